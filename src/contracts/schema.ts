import * as z from '../lib/schema';
import { CONTRACT_KINDS, HOSTED_PRICING, KWH_SOURCES, type contracts } from '../db/schema';
import { addDays, addMonths, parseIsoDate } from '../billing/periods';
import { isCurrencyCode, parseMoneyText } from '../billing/money';
import { numberText, parseScaledDecimal } from '../lib/decimal';
import { addIssue, optionalText, requiredText } from '../lib/validation';
import { decimalToMicros, MAX_ENERGY_COST_PER_KWH, MICROS } from '../sites/schema';

/**
 * Contract field rules, shared by the admin wizard and the JSON API (snake_case names on both).
 * Forms post strings; the API may send numbers or booleans. Money is decimal text in the
 * contract's currency (parsed exactly by parseMoneyText); rates are decimal text turned into
 * integer micro-units; quantities into integer milli-units. No float touches any of them.
 */

export type ContractKind = (typeof CONTRACT_KINDS)[number];
export type ContractRow = typeof contracts.$inferSelect;

export const MIN_TERM_MONTHS = 1;
export const MAX_TERM_MONTHS = 120;
export const MAX_LEASE_EXTENSIONS = 3;
export const MAX_NOTICE_DAYS = 365;
/** Typo guards, not business rules: a fee of 100 million in any currency is a slip of the keyboard. */
export const MAX_FEE_MAJOR = 100_000_000;
export const MAX_PRICE_PER_TH_DAY = 1000;
export const MAX_INFINITY_THS = 10_000_000;
export const MIN_EFFICIENCY_J_PER_TH = 1;
export const MAX_EFFICIENCY_J_PER_TH = 1000;

export const KIND_LABELS: Record<ContractKind, string> = {
  hosted: 'Hosted',
  lease: 'Lease',
  infinity: 'Infinity (hashrate)',
  om: 'O&M',
};

/** end_date when none is given: the day before start + term (the last day covered). */
export const defaultEndDate = (startDate: string, termMonths: number): string => addDays(addMonths(startDate, termMonths), -1);

const textOrNumber = z.union([z.string(), z.number()], { error: 'Enter a number.' });
/** Raw, converted in the object transform once the currency is known. */
const rawNumber = z.optional(z.nullable(textOrNumber));

const isoDate = (label: string) =>
  z.string({ error: `${label} is required.` }).check(
    z.trim(),
    z.refine((value) => value === '' || parseIsoDate(value) !== null, { message: `${label} must be a real date, YYYY-MM-DD.` }),
  );

const flag = (label: string) =>
  z.pipe(z.union([z.boolean(), z.literal('on'), z.literal('true'), z.literal('false'), z.literal('')], { error: `${label} must be true or false.` }), z.transform((value) => value === true || value === 'on' || value === 'true'));

const wholeNumber = (label: string, min: number, max: number) =>
  z.pipe(textOrNumber, z.transform((value, ctx) => {
    const text = numberText(value);
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      addIssue(ctx, `${label} must be a whole number from ${min} to ${max}.`);
      return z.NEVER;
    }
    return Number(text);
  }));

const enumOrBlank = <T extends readonly [string, ...string[]]>(values: T, message: string) =>
  z.optional(z.nullable(z.pipe(z.union([z.enum(values), z.literal('')], { error: message }), z.transform((value) => (value === '' ? null : value)))));

/** Every term a contract has; which apply depends on the kind (the transform checks that). */
const termFields = {
  kind: z.enum(CONTRACT_KINDS, { error: 'Choose a contract type: hosted, lease, infinity or om.' }),
  name: requiredText('Contract name', 200),
  currency: z.string({ error: 'Choose a currency.' }).check(z.trim(), z.toUpperCase()),
  // Start, term and end are checked in the transform, so their errors show alongside the price
  // fields' (a zod transform runs only once every field has parsed).
  start_date: z.string({ error: 'Start date is required.' }).check(z.trim()),
  term_months: z.optional(textOrNumber),
  /** Blank or absent: start + term − 1 day. */
  end_date: z.optional(z.nullable(z.string({ error: 'End date must be a real date, YYYY-MM-DD.' }).check(z.trim()))),
  auto_renew: z.optional(flag('Auto-renew')),
  renewal_notice_days: z.optional(z.pipe(z.union([z.literal(''), wholeNumber('Renewal notice', 0, MAX_NOTICE_DAYS)]), z.transform((value) => (value === '' ? undefined : value)))),
  pricing: enumOrBlank(HOSTED_PRICING, 'Choose per kWh or a fixed fee per unit.'),
  kwh_source: enumOrBlank(KWH_SOURCES, 'Choose metered, spec or hashrate.'),
  energy_rate_per_kwh: rawNumber,
  efficiency_j_per_th: rawNumber,
  monthly_fee: rawNumber,
  infinity_ths: rawNumber,
  price_per_th_day: rawNumber,
  setup_fee: rawNumber,
  deposit: rawNumber,
  notes: optionalText(2000),
};

/** The columns a contract's terms set, in the contract's currency's minor units and micro-units. */
export interface ContractTerms {
  kind: ContractKind;
  name: string;
  currency: string;
  startDate: string;
  termMonths: number;
  endDate: string;
  autoRenew: boolean;
  renewalNoticeDays: number;
  pricing: ContractRow['pricing'];
  kwhSource: ContractRow['kwhSource'];
  energyRateMicrosPerKwh: number | null;
  efficiencyMjPerTh: number | null;
  monthlyFeeMinor: number | null;
  infinityMths: number | null;
  priceMicrosPerThDay: number | null;
  setupFeeMinor: number;
  depositMinor: number;
  notes: string | null;
}

const blank = (value: string | number | null | undefined) => value === undefined || value === null || numberText(value) === '';

type Issue = (field: string, message: string) => void;

function money(value: string | number | null | undefined, field: string, currency: string, issue: Issue, required: boolean): number | null {
  if (blank(value)) {
    if (required) issue(field, 'Enter an amount.');
    return null;
  }
  const text = numberText(value!);
  const minor = typeof value === 'number' && !Number.isFinite(value) ? null : parseMoneyText(text, currency);
  if (minor === null) {
    issue(field, text.startsWith('-') ? 'Enter an amount of zero or more.' : `Enter an amount in ${currency}, like 125.50 (digits and a decimal point, no currency sign).`);
    return null;
  }
  if (minor > parseMoneyText(String(MAX_FEE_MAJOR), currency)!) {
    issue(field, `Enter at most ${MAX_FEE_MAJOR.toLocaleString('en-US')} ${currency}.`);
    return null;
  }
  return minor;
}

function scaled(
  value: string | number | null | undefined,
  field: string,
  scale: number,
  bounds: { min: number; max: number; example: string; unit: string },
  issue: Issue,
  required: boolean,
): number | null {
  if (blank(value)) {
    if (required) issue(field, `Enter a value like ${bounds.example}.`);
    return null;
  }
  const text = numberText(value!);
  const parsed = typeof value === 'number' && !Number.isFinite(value) ? null : parseScaledDecimal(text, scale);
  if (parsed === null) {
    issue(field, text.startsWith('-') ? 'Enter a value of zero or more.' : `Enter a number like ${bounds.example}.`);
    return null;
  }
  if (parsed < bounds.min * 10 ** scale || parsed > bounds.max * 10 ** scale) {
    issue(field, `Enter a value from ${bounds.min} to ${bounds.max.toLocaleString('en-US')} ${bounds.unit}.`);
    return null;
  }
  return parsed;
}

/**
 * A contract's terms (create, and a draft's edit once merged with what is stored). The currency
 * arrives filled in by the service (the customer's) unless the caller named one; the kind decides
 * which price fields are required, and the ones that do not apply are stored as null.
 */
export const contractTermsSchema = z.pipe(z.strictObject(termFields), z.transform((input, ctx): ContractTerms => {
  const issue: Issue = (field, message) => addIssue(ctx, message, [field]);
  const currency = input.currency;
  if (!isCurrencyCode(currency)) {
    issue('currency', `Unknown currency “${currency}”: use an ISO 4217 code like USD or EUR.`);
    return z.NEVER;
  }
  const startOk = parseIsoDate(input.start_date) !== null;
  if (input.start_date === '') issue('start_date', 'Start date is required.');
  else if (!startOk) issue('start_date', 'Start date must be a real date, YYYY-MM-DD.');
  const termText = input.term_months === undefined ? '' : numberText(input.term_months);
  const termMonths = /^\d+$/.test(termText) ? Number(termText) : NaN;
  if (!(termMonths >= MIN_TERM_MONTHS && termMonths <= MAX_TERM_MONTHS)) issue('term_months', `Term must be a whole number from ${MIN_TERM_MONTHS} to ${MAX_TERM_MONTHS}.`);
  const endText = input.end_date ?? '';
  if (endText !== '' && parseIsoDate(endText) === null) issue('end_date', 'End date must be a real date, YYYY-MM-DD.');
  const endDate = endText !== '' ? endText : startOk && termMonths >= 1 ? defaultEndDate(input.start_date, termMonths) : '';
  if (startOk && endDate !== '' && endDate < input.start_date) issue('end_date', 'End date must be on or after the start date.');
  const terms: ContractTerms = {
    kind: input.kind,
    name: input.name,
    currency,
    startDate: input.start_date,
    termMonths,
    endDate,
    autoRenew: input.auto_renew ?? false,
    renewalNoticeDays: input.renewal_notice_days ?? 30,
    pricing: null,
    kwhSource: null,
    energyRateMicrosPerKwh: null,
    efficiencyMjPerTh: null,
    monthlyFeeMinor: null,
    infinityMths: null,
    priceMicrosPerThDay: null,
    setupFeeMinor: money(input.setup_fee, 'setup_fee', currency, issue, false) ?? 0,
    depositMinor: money(input.deposit, 'deposit', currency, issue, false) ?? 0,
    notes: input.notes ?? null,
  };
  switch (input.kind) {
    case 'hosted':
      if (!input.pricing) {
        issue('pricing', 'Choose per kWh or a fixed fee per unit.');
        break;
      }
      terms.pricing = input.pricing;
      if (input.pricing === 'fixed_per_unit') {
        terms.monthlyFeeMinor = money(input.monthly_fee, 'monthly_fee', currency, issue, true);
        break;
      }
      if (!input.kwh_source) {
        issue('kwh_source', 'Choose where the kWh come from: metered, spec or hashrate.');
        break;
      }
      terms.kwhSource = input.kwh_source;
      if (!blank(input.energy_rate_per_kwh)) {
        const text = numberText(input.energy_rate_per_kwh!);
        const micros = typeof input.energy_rate_per_kwh === 'number' && !Number.isFinite(input.energy_rate_per_kwh) ? null : decimalToMicros(text);
        if (micros === null) issue('energy_rate_per_kwh', text.startsWith('-') ? 'Enter a rate of zero or more.' : 'Enter a rate like 0.045 (digits and a decimal point, no currency sign).');
        else if (micros > MAX_ENERGY_COST_PER_KWH * MICROS) issue('energy_rate_per_kwh', `Enter at most ${MAX_ENERGY_COST_PER_KWH} per kWh.`);
        else terms.energyRateMicrosPerKwh = micros;
      }
      if (input.kwh_source === 'hashrate') {
        terms.efficiencyMjPerTh = scaled(
          input.efficiency_j_per_th,
          'efficiency_j_per_th',
          3,
          { min: MIN_EFFICIENCY_J_PER_TH, max: MAX_EFFICIENCY_J_PER_TH, example: '21.5', unit: 'J/TH' },
          issue,
          true,
        );
      }
      break;
    case 'lease':
    case 'om':
      terms.monthlyFeeMinor = money(input.monthly_fee, 'monthly_fee', currency, issue, true);
      break;
    case 'infinity':
      terms.infinityMths = scaled(input.infinity_ths, 'infinity_ths', 3, { min: 0.001, max: MAX_INFINITY_THS, example: '100', unit: 'TH/s' }, issue, true);
      terms.priceMicrosPerThDay = scaled(
        input.price_per_th_day,
        'price_per_th_day',
        6,
        { min: 0, max: MAX_PRICE_PER_TH_DAY, example: '0.055', unit: `${currency} per TH/s per day` },
        issue,
        true,
      );
      break;
  }
  return terms;
}));
export type ContractTermsInput = z.input<typeof contractTermsSchema>;

export const TERM_FIELD_NAMES = Object.keys(termFields) as (keyof typeof termFields)[];

const idList = (field: string, max: number) =>
  z.pipe(z.array(z.string({ error: 'Ids are text.' }).check(
    z.trim(),
    z.minLength(1),
    z.maxLength(100),
  ), { error: `${field} must be a list of ids.` }).check(z.maxLength(max, `At most ${max.toLocaleString('en-US')} at once.`)), z.transform((ids) => [...new Set(ids)]));

export const MAX_UNITS_PER_CONTRACT = 5000;

/** API create: the terms, optionally with the units or sites to put under the draft. */
export const createContractSchema = z.strictObject({
  customer_id: z.string({ error: 'customer_id is required.' }).check(z.trim(), z.minLength(1, 'customer_id is required.')),
  miner_ids: z.optional(idList('miner_ids', MAX_UNITS_PER_CONTRACT)),
  site_ids: z.optional(idList('site_ids', 500)),
});

/** The units and sites of a new contract, for a customer already chosen (the customer's page). */
export const contractScopeSchema = z.omit(createContractSchema, { customer_id: true });

export const unitSelectionSchema = z.strictObject({ miner_ids: idList('miner_ids', MAX_UNITS_PER_CONTRACT) });
export const siteSelectionSchema = z.strictObject({ site_ids: idList('site_ids', 500) });

/** What an active contract still lets anyone change. */
export const activeContractPatchSchema = z.strictObject({
  notes: optionalText(2000),
  auto_renew: z.optional(flag('Auto-renew')),
  renewal_notice_days: z.optional(wholeNumber('Renewal notice', 0, MAX_NOTICE_DAYS)),
});
export const ACTIVE_EDITABLE_FIELDS = ['notes', 'auto_renew', 'renewal_notice_days'] as const;

/** Extend a lease: by its own term when months is blank or absent. */
export const extendSchema = z.strictObject({
  months: z.pipe(z.optional(z.nullable(z.union([z.string(), z.number()], { error: 'Months must be a whole number.' }))), z.transform((value, ctx) => {
      if (value === undefined || value === null || numberText(value) === '') return null;
      const text = numberText(value);
      if (!/^\d+$/.test(text) || Number(text) < MIN_TERM_MONTHS || Number(text) > MAX_TERM_MONTHS) {
        addIssue(ctx, `Months must be a whole number from ${MIN_TERM_MONTHS} to ${MAX_TERM_MONTHS}.`);
        return z.NEVER;
      }
      return Number(text);
    })),
});

export const terminateSchema = z.strictObject({
  end_date: isoDate('End date').check(z.refine((value) => value !== '', { message: 'End date is required.' })),
  reason: requiredText('Reason', 500),
});

/** The wizard's step-1 form posts strings under the API's names. */
export function contractFormToInput(form: Record<string, string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const name of TERM_FIELD_NAMES) {
    if (name === 'auto_renew') input.auto_renew = form.auto_renew === 'on';
    else if (name === 'currency') {
      if ((form.currency ?? '') !== '') input.currency = form.currency;
    } else input[name] = form[name] ?? '';
  }
  return input;
}

/** The lists pages filter by (views import them from here, never from the database layer). */
export { CONTRACT_KINDS, CONTRACT_STATUSES } from '../db/schema';
