import * as z from '../lib/schema';
import { isTimezone } from '../lib/timezones';
import { formatScaledDecimal, numberText, parseScaledDecimal } from '../lib/decimal';
import { addIssue, optionalText, requiredText } from '../lib/validation';
import { formatCount } from '../lib/format';

/**
 * Site field rules, shared by the admin forms and the JSON API (snake_case names on both).
 * Forms post strings; the API may send numbers: the numeric fields take either.
 */

/** The most a site's energy may cost, in host currency per kWh (a typo guard, not a business rule). */
export const MAX_ENERGY_COST_PER_KWH = 1000;
export const MICROS = 1_000_000;

/**
 * A decimal amount of host currency → integer micro-units, rounded half-up at the seventh decimal
 * (0.0000005 → 1 micro-unit; 0.00000049 → 0). Parsed from the decimal text itself, never through
 * floating point, so "0.0425" is exactly 42,500. A JSON number is first written back as the
 * shortest text that reads as the same number (String(0.1) is "0.1"), then parsed the same way.
 * Returns null for text that is not a plain non-negative decimal.
 */
export const decimalToMicros = (text: string): number | null => parseScaledDecimal(text, 6);

/** Integer micro-units → decimal text with at least two decimals ("0.10", "0.0425"). */
export const microsToDecimal = (micros: number): string => formatScaledDecimal(micros, 6, 2);


/** Energy cost per kWh: decimal text or number; blank/null = the host default (stored as null). */
export const energyCostField = z.pipe(z.optional(z.nullable(z.union([z.string(), z.number()], { error: 'Enter an amount like 0.045.' }))), z.transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (value === null) return null;
    const text = numberText(value);
    if (text === '') return null;
    const micros = typeof value === 'number' && !Number.isFinite(value) ? null : decimalToMicros(text);
    if (micros === null) {
      addIssue(ctx, 'Enter an amount like 0.045 (digits and a decimal point, no currency sign).');
      return z.NEVER;
    }
    if (micros > MAX_ENERGY_COST_PER_KWH * MICROS) {
      addIssue(ctx, `Enter at most ${MAX_ENERGY_COST_PER_KWH} per kWh.`);
      return z.NEVER;
    }
    return micros;
  }));

/** A whole number in [min, max]; blank/null clears it. */
export const optionalWholeNumber = (label: string, min: number, max: number) =>
  z.pipe(z.optional(z.nullable(z.union([z.string(), z.number()], { error: `${label} must be a whole number.` }))), z.transform((value, ctx) => {
      if (value === undefined) return undefined;
      if (value === null) return null;
      const text = numberText(value);
      if (text === '') return null;
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        addIssue(ctx, `${label} must be a whole number of at least ${min}.`);
        return z.NEVER;
      }
      const n = Number(text);
      if (n < min || n > max) {
        addIssue(ctx, `${label} must be between ${min} and ${formatCount(max)}.`);
        return z.NEVER;
      }
      return n;
    }));

const timezoneField = z.string({ error: 'Choose a timezone from the list.' }).check(
  z.trim(),
  z.refine(isTimezone, { message: 'Choose a timezone from the list.' }),
);

// ---------------------------------------------------------------------------------------------
// CIDR (IPv4 only: mining LANs are IPv4).

export const MIN_PREFIX = 16;

export type CidrResult = { ok: true; cidr: string; network: number; prefix: number } | { ok: false; message: string };

const ipToText = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** Parses `a.b.c.d` (no leading zeros) into an unsigned 32-bit number, or null. */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

/**
 * `a.b.c.d/nn`, prefix /16–/32, host bits zero. A CIDR with host bits set is refused with the
 * network it probably meant ("did you mean 10.0.1.0/24?"), never silently corrected.
 */
export function parseCidr(input: string): CidrResult {
  const text = input.trim();
  if (text === '') return { ok: false, message: 'Enter a network like 10.0.1.0/24.' };
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!match) {
    if (parseIpv4(text) !== null) return { ok: false, message: `Add the prefix length, like ${text}/24.` };
    return { ok: false, message: 'Enter an IPv4 network like 10.0.1.0/24.' };
  }
  const address = parseIpv4(match[1]!);
  if (address === null) return { ok: false, message: 'Use four numbers from 0 to 255 without leading zeros, like 10.0.1.0/24.' };
  const prefix = Number(match[2]);
  if (prefix < MIN_PREFIX || prefix > 32) {
    return { ok: false, message: `Use a prefix from /${MIN_PREFIX} to /32 (a /16 is 65,536 addresses; larger ranges take too long to scan).` };
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (address & mask) >>> 0;
  if (network !== address) {
    return { ok: false, message: `Host bits are set: did you mean ${ipToText(network)}/${prefix}?` };
  }
  return { ok: true, cidr: `${ipToText(network)}/${prefix}`, network, prefix };
}

/** Whether two valid CIDRs share any address. */
export function cidrsOverlap(a: { network: number; prefix: number }, b: { network: number; prefix: number }): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((a.network & mask) >>> 0) === ((b.network & mask) >>> 0);
}

export const cidrField = z.pipe(z.string({ error: 'Enter a network like 10.0.1.0/24.' }), z.transform((value, ctx) => {
    const result = parseCidr(value);
    if (!result.ok) {
      addIssue(ctx, result.message);
      return z.NEVER;
    }
    return result.cidr;
  }));

export const segmentSchema = z.strictObject({
  cidr: cidrField,
  label: optionalText(100),
});
export type SegmentInput = z.output<typeof segmentSchema>;

export const MAX_SEGMENTS_PER_SITE = 64;

// ---------------------------------------------------------------------------------------------

const fields = {
  name: requiredText('Site name', 200),
  city: optionalText(100),
  region: optionalText(100),
  country: optionalText(100),
  timezone: z.optional(timezoneField),
  capacity_kw: optionalWholeNumber('Capacity', 0, 10_000_000),
  energy_cost_per_kwh: energyCostField,
  /** Most staged units the site may hold; blank = twice its units, at least 5,000. */
  staged_cap: optionalWholeNumber('Staging cap', 0, 1_000_000),
};

export const createSiteSchema = z.strictObject({
  ...fields,
  /** API only: segments to add with the site (the admin page adds them on the site's page). */
  network_segments: z.optional(z.array(segmentSchema).check(z.maxLength(MAX_SEGMENTS_PER_SITE, `At most ${MAX_SEGMENTS_PER_SITE} segments per site.`))),
});
export type CreateSiteInput = z.output<typeof createSiteSchema>;

export const updateSiteSchema = z.partial(z.strictObject(fields));
export type UpdateSiteInput = z.output<typeof updateSiteSchema>;

/** The admin form posts strings; the field names are the API's. */
export function siteFormToInput(form: Record<string, string>): Record<string, unknown> {
  return {
    name: form.name ?? '',
    city: form.city ?? '',
    region: form.region ?? '',
    country: form.country ?? '',
    timezone: form.timezone ?? '',
    capacity_kw: form.capacity_kw ?? '',
    energy_cost_per_kwh: form.energy_cost_per_kwh ?? '',
    staged_cap: form.staged_cap ?? '',
  };
}
