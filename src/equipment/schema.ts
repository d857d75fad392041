import * as z from '../lib/schema';
import { MINER_STATUSES } from '../db/schema';
import { formatScaledDecimal, numberText, parseScaledDecimal } from '../lib/decimal';
import { addIssue, optionalText, pageQueryFields } from '../lib/validation';
import { optionalWholeNumber, parseIpv4 } from '../sites/schema';
import { formatCount } from '../lib/format';

/**
 * Equipment (miner) field rules, shared by the admin forms, the CSV import and the JSON API
 * (snake_case names everywhere, so an error names the same field in all three).
 */

export type MinerStatus = (typeof MINER_STATUSES)[number];
export { MINER_STATUSES };

export const MINER_STATUS_LABELS: Record<MinerStatus, string> = {
  staged: 'Staged',
  unassigned: 'Unassigned',
  assigned: 'Assigned',
  retired: 'Retired',
};

/** Statuses a person may set by hand; `assigned` comes only with a customer (assignEquipment). */
export const SETTABLE_STATUSES = ['staged', 'unassigned', 'retired'] as const;

export const MAX_NOMINAL_THS = 100_000;

/**
 * Lowercase, colon-separated (the agent's form). Accepts `A0:B1:…`, `a0-b1-…`, `a0b1.c2d3.e4f5`
 * and bare `a0b1c2d3e4f5`.
 */
export function normalizeMac(text: string): string | null {
  const hex = text.trim().toLowerCase();
  let digits: string | null = null;
  if (/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/.test(hex)) digits = hex.replace(/[:-]/g, '');
  else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(hex)) digits = hex.replace(/\./g, '');
  else if (/^[0-9a-f]{12}$/.test(hex)) digits = hex;
  return digits ? digits.match(/../g)!.join(':') : null;
}

/** milli-TH/s ↔ TH/s text: "104" → 104000, "98.5" → 98500; half-up at the fourth decimal. */
export const thsToMths = (text: string): number | null => parseScaledDecimal(text, 3);
export const mthsToThs = (mths: number): string => formatScaledDecimal(mths, 3);

const macField = z.pipe(z.optional(z.nullable(z.string({ error: 'Use a MAC address like a0:b1:c2:d3:e4:f5.' }))), z.transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (value === null || value.trim() === '') return null;
    const mac = normalizeMac(value);
    if (!mac) {
      addIssue(ctx, 'Use a MAC address like a0:b1:c2:d3:e4:f5.');
      return z.NEVER;
    }
    return mac;
  }));

const ipField = z.pipe(z.optional(z.nullable(z.string({ error: 'Use an IPv4 address like 10.0.1.15.' }))), z.transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (value === null || value.trim() === '') return null;
    if (parseIpv4(value.trim()) === null) {
      addIssue(ctx, 'Use an IPv4 address like 10.0.1.15.');
      return z.NEVER;
    }
    return value.trim();
  }));

const hashrateField = z.pipe(z.optional(z.nullable(z.union([z.string(), z.number()], { error: 'Enter TH/s like 104 or 98.5.' }))), z.transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (value === null) return null;
    const text = numberText(value);
    if (text === '') return null;
    const mths = typeof value === 'number' && !Number.isFinite(value) ? null : thsToMths(text);
    if (mths === null) {
      addIssue(ctx, 'Enter TH/s like 104 or 98.5 (digits and a decimal point).');
      return z.NEVER;
    }
    if (mths > MAX_NOMINAL_THS * 1000) {
      addIssue(ctx, `Enter at most ${formatCount(MAX_NOMINAL_THS)} TH/s.`);
      return z.NEVER;
    }
    return mths;
  }));

const statusField = z.pipe(z.string({ error: `Use one of: ${SETTABLE_STATUSES.join(', ')}.` }).check(
  z.trim(),
  z.toLowerCase(),
), z.transform((value, ctx) => {
    if (value === 'assigned') {
      addIssue(ctx, 'Units are assigned from a customer’s Equipment tab (or POST /api/v1/customers/:id/equipment).');
      return z.NEVER;
    }
    if (!(SETTABLE_STATUSES as readonly string[]).includes(value)) {
      addIssue(ctx, `Use one of: ${SETTABLE_STATUSES.join(', ')}.`);
      return z.NEVER;
    }
    return value as (typeof SETTABLE_STATUSES)[number];
  }));

const siteIdField = z.pipe(z.optional(z.nullable(z.string({ error: 'Choose a site from the list.' }).check(
  z.trim(),
  z.maxLength(64, 'Choose a site from the list.'),
))), z.transform((value) => (value === undefined ? undefined : value === null || value === '' ? null : value)));

export const minerFields = {
  serial: optionalText(64),
  mac: macField,
  ip: ipField,
  vendor: optionalText(64),
  model: optionalText(96),
  firmware: optionalText(128),
  nominal_hashrate_ths: hashrateField,
  nominal_power_w: optionalWholeNumber('Nominal power', 0, 100_000),
  site_id: siteIdField,
  rack_location: optionalText(100),
  status: z.optional(statusField),
};

const IDENTITY_MESSAGE = 'Enter a serial number or a MAC address.';

const present = (value: unknown) => typeof value === 'string' && value.trim() !== '';

/** A serial or a MAC: checked even when other fields failed, so the form shows every problem at once. */
export const createMinerSchema = z.strictObject(minerFields).check(z.refine((value) => present(value.serial) || present(value.mac), {
  message: IDENTITY_MESSAGE,
  path: ['serial'],
  when: (payload) => typeof payload.value === 'object' && payload.value !== null,
}));
export type CreateMinerInput = z.output<typeof createMinerSchema>;

export const updateMinerSchema = z.partial(z.strictObject(minerFields));
export type UpdateMinerInput = z.output<typeof updateMinerSchema>;

export { IDENTITY_MESSAGE };

// ---------------------------------------------------------------------------------------------
// Lists.

/** Sorts D1 answers (keyset-paged) and sorts on live values (read for the filtered set, sorted in memory). */
export const D1_SORTS = ['serial', '-serial', 'model', '-model', 'created', '-created'] as const;
export const LIVE_SORTS = [
  '-hashrate',
  'hashrate',
  '-power',
  'power',
  '-temperature',
  'temperature',
  'efficiency',
  '-efficiency',
  '-uptime',
  'uptime',
] as const;
export const MINER_SORTS = [...D1_SORTS, ...LIVE_SORTS] as const;
export type MinerSort = (typeof MINER_SORTS)[number];
export type D1Sort = (typeof D1_SORTS)[number];
export type LiveSort = (typeof LIVE_SORTS)[number];
export const isLiveSort = (sort: MinerSort): sort is LiveSort => (LIVE_SORTS as readonly string[]).includes(sort);

/** `none` in the site or customer filter means "no site" / "no customer". */
export const NONE = 'none';

export const listMinersQuerySchema = z.strictObject({
  q: z.optional(z.string().check(z.trim(), z.maxLength(200, 'Use at most 200 characters.'))),
  site: z.optional(z.string().check(z.trim(), z.maxLength(64))),
  status: z.optional(z.enum(MINER_STATUSES, { error: `Use one of: ${MINER_STATUSES.join(', ')}.` })),
  model: z.optional(z.string().check(z.trim(), z.maxLength(96))),
  customer: z.optional(z.string().check(z.trim(), z.maxLength(64))),
  /** `missing`: only units without power data (src/equipment/power-data.ts). */
  power: z.optional(z.enum(['missing'], { error: 'Use: missing.' })),
  sort: z.optional(z.enum(MINER_SORTS, { error: `Use one of: ${MINER_SORTS.join(', ')}.` })),
  ...pageQueryFields,
});
export type ListMinersQuery = z.output<typeof listMinersQuerySchema>;

/** Assign / unassign: the ids of this host's units (at most 200 per call). */
export const MAX_ASSIGN = 200;
export const minerIdsSchema = z.strictObject({
  miner_ids: z.pipe(z.array(z.string({ error: 'Each miner id must be a string.' }).check(
    z.trim(),
    z.minLength(1),
    z.maxLength(64),
  ), { error: 'Send "miner_ids": an array of miner ids.' }).check(
    z.minLength(1, 'Choose at least one unit.'),
    z.maxLength(MAX_ASSIGN, `At most ${MAX_ASSIGN} units at a time.`),
  ), z.transform((ids) => [...new Set(ids)])),
});

/** The admin form posts strings; the field names are the API's. */
export function minerFormToInput(form: Record<string, string>): Record<string, unknown> {
  return {
    serial: form.serial ?? '',
    mac: form.mac ?? '',
    ip: form.ip ?? '',
    vendor: form.vendor ?? '',
    model: form.model ?? '',
    firmware: form.firmware ?? '',
    nominal_hashrate_ths: form.nominal_hashrate_ths ?? '',
    nominal_power_w: form.nominal_power_w ?? '',
    site_id: form.site_id ?? '',
    rack_location: form.rack_location ?? '',
    ...(form.status !== undefined ? { status: form.status } : {}),
  };
}
