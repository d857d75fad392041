/**
 * Settings → Billing: the host's billing defaults (docs/BILLING.md). A host without a
 * billing_settings row bills with DEFAULT_BILLING_SETTINGS; the first save creates the row.
 */
import { eq } from 'drizzle-orm';
import * as z from '../lib/schema';
import { activityInsert, diffFields, type Actor } from '../activity/service';
import type { Db } from '../db/client';
import { billingSettings, hosts } from '../db/schema';
import { isCurrencyCode } from '../lib/currencies';
import { numberText } from '../lib/decimal';
import { isTimezone } from '../lib/timezones';
import { addIssue, optionalText, parseInput } from '../lib/validation';
import { energyCostField } from '../sites/schema';

export type BillingSettings = {
  defaultCurrency: string;
  timezone: string;
  defaultEnergyRateMicrosPerKwh: number | null;
  netDays: number;
  billingDay: number;
  invoicePrefix: string;
  taxEnabled: boolean;
  taxLabel: string | null;
  taxRateBps: number;
  businessAddress: string | null;
  remitTo: string | null;
  invoiceFooter: string | null;
};

export const DEFAULT_BILLING_SETTINGS = {
  defaultEnergyRateMicrosPerKwh: null,
  netDays: 15,
  billingDay: 1,
  invoicePrefix: 'INV',
  taxEnabled: false,
  taxLabel: null,
  taxRateBps: 0,
  businessAddress: null,
  remitTo: null,
  invoiceFooter: null,
} as const;

/** The most net days and tax a form may set: typo guards, not business rules. */
export const MAX_NET_DAYS = 365;
export const MAX_TAX_BPS = 5_000;

export async function getBillingSettings(db: Db, hostId: string): Promise<BillingSettings> {
  const [hostRows, rows] = await db.batch([
    db.select({ defaultCurrency: hosts.defaultCurrency, timezone: hosts.timezone }).from(hosts).where(eq(hosts.id, hostId)),
    db.select().from(billingSettings).where(eq(billingSettings.hostId, hostId)),
  ]);
  const host = hostRows[0];
  if (!host) throw new Error(`Host ${hostId} not found`);
  const row = rows[0];
  return { ...host, ...DEFAULT_BILLING_SETTINGS, ...(row ? withoutMeta(row) : {}) };
}

const withoutMeta = ({ hostId: _h, updatedAt: _u, ...rest }: typeof billingSettings.$inferSelect) => rest;

const wholeIn = (label: string, min: number, max: number) =>
  z.pipe(z.union([z.string(), z.number()], { error: `${label} must be a whole number.` }), z.transform((value, ctx) => {
    const text = numberText(value);
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      addIssue(ctx, `${label} must be a whole number from ${min} to ${max}.`);
      return z.NEVER;
    }
    return Number(text);
  }));

/** Tax rate as a percentage with up to two decimals ("8.25") → basis points (825). */
const taxRateField = z.pipe(z.union([z.string(), z.number()], { error: 'Enter a percentage like 8.25.' }), z.transform((value, ctx) => {
  const text = numberText(value);
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text === '' ? '0' : text);
  const bps = m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : NaN;
  if (!m || bps > MAX_TAX_BPS) {
    addIssue(ctx, `Enter a percentage from 0 to ${MAX_TAX_BPS / 100}, with at most two decimals.`);
    return z.NEVER;
  }
  return bps;
}));

export const billingSettingsSchema = z.strictObject({
  default_currency: z.string({ error: 'Choose a currency.' }).check(
    z.trim(),
    z.toUpperCase(),
    z.refine(isCurrencyCode, { message: 'Choose a currency from the list (ISO 4217).' }),
  ),
  timezone: z.string({ error: 'Choose a time zone.' }).check(z.trim(), z.refine(isTimezone, { message: 'Choose a time zone from the list.' })),
  default_energy_rate_per_kwh: energyCostField,
  net_days: wholeIn('Payment terms', 0, MAX_NET_DAYS),
  billing_day: wholeIn('The billing day', 1, 28),
  invoice_prefix: z.string({ error: 'Enter a prefix.' }).check(
    z.trim(),
    z.toUpperCase(),
    z.regex(/^[A-Z0-9]{1,10}$/, 'Use 1–10 letters or digits, like INV or TM.'),
  ),
  tax_enabled: z.boolean(),
  tax_label: optionalText(40),
  tax_rate_percent: taxRateField,
  business_address: optionalText(500),
  remit_to: optionalText(2000),
  invoice_footer: optionalText(1000),
}).check(z.superRefine((value, ctx) => {
  if (value.tax_enabled && !value.tax_label) ctx.addIssue({ code: 'custom', path: ['tax_label'], message: 'Name the tax (e.g. Sales tax) to charge it.' });
  if (value.tax_enabled && value.tax_rate_percent === 0) ctx.addIssue({ code: 'custom', path: ['tax_rate_percent'], message: 'Enter the tax rate, or turn tax off.' });
}));
export type BillingSettingsInput = z.output<typeof billingSettingsSchema>;

/** Form strings → the schema's input (checkbox absent = off). */
export function billingSettingsFormToInput(form: Record<string, string>): Record<string, unknown> {
  return {
    default_currency: form.default_currency ?? '',
    timezone: form.timezone ?? '',
    default_energy_rate_per_kwh: form.default_energy_rate_per_kwh ?? '',
    net_days: form.net_days ?? '',
    billing_day: form.billing_day ?? '',
    invoice_prefix: form.invoice_prefix ?? '',
    tax_enabled: form.tax_enabled === 'on',
    tax_label: form.tax_label ?? '',
    tax_rate_percent: form.tax_rate_percent ?? '',
    business_address: form.business_address ?? '',
    remit_to: form.remit_to ?? '',
    invoice_footer: form.invoice_footer ?? '',
  };
}

/** Percent text for the form (825 → "8.25"). */
export const bpsToPercentText = (bps: number) => (bps % 100 === 0 ? String(bps / 100) : `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0').replace(/0$/, '')}`);

const FIELDS = [
  'defaultCurrency',
  'timezone',
  'defaultEnergyRateMicrosPerKwh',
  'netDays',
  'billingDay',
  'invoicePrefix',
  'taxEnabled',
  'taxLabel',
  'taxRateBps',
  'businessAddress',
  'remitTo',
  'invoiceFooter',
] as const;

/** Saves the settings (host currency and zone on the host row) with one activity entry, atomically. */
export async function updateBillingSettings(db: Db, hostId: string, actor: Actor, raw: unknown, now = Date.now()): Promise<BillingSettings> {
  const input = parseInput(billingSettingsSchema, raw);
  const before = await getBillingSettings(db, hostId);
  const after: BillingSettings = {
    defaultCurrency: input.default_currency,
    timezone: input.timezone,
    defaultEnergyRateMicrosPerKwh: input.default_energy_rate_per_kwh ?? null,
    netDays: input.net_days,
    billingDay: input.billing_day,
    invoicePrefix: input.invoice_prefix,
    taxEnabled: input.tax_enabled,
    taxLabel: input.tax_label ?? null,
    taxRateBps: input.tax_rate_percent,
    businessAddress: input.business_address ?? null,
    remitTo: input.remit_to ?? null,
    invoiceFooter: input.invoice_footer ?? null,
  };
  const changes = diffFields(before, after, FIELDS);
  if (Object.keys(changes).length === 0) return after;
  const { defaultCurrency, timezone, ...settingsRow } = after;
  await db.batch([
    db.update(hosts).set({ defaultCurrency, timezone, updatedAt: now }).where(eq(hosts.id, hostId)),
    db
      .insert(billingSettings)
      .values({ hostId, ...settingsRow, updatedAt: now })
      .onConflictDoUpdate({ target: billingSettings.hostId, set: { ...settingsRow, updatedAt: now } }),
    activityInsert(db, hostId, actor, 'billing_settings.updated', null, changes, now),
  ]);
  return after;
}
