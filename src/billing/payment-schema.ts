import * as z from '../lib/schema';
import { CREDIT_KINDS, PAYMENT_METHODS } from '../db/schema';
import { isCurrencyCode } from '../lib/currencies';
import { numberText } from '../lib/decimal';
import { optionalText, requiredText } from '../lib/validation';
import { parseIsoDate } from './periods';

/**
 * Payment and credit field rules, shared by the staff Financials forms and /api/v1/payments
 * (snake_case names on both). Amounts arrive either as decimal text in the currency's major unit
 * (`amount`, what a person types) or as integer minor units (`amount_minor`, the API's money
 * shape); the service turns them into minor units once it knows the currency.
 */

export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
/** How a payment can arrive (pages import the list from here, not from the schema). */
export { PAYMENT_METHODS };
export const PAYMENT_METHOD_LABELS: Record<PaymentMethod, string> = {
  ach: 'ACH',
  wire: 'Wire transfer',
  card: 'Card',
  check: 'Check',
  crypto: 'Crypto',
  other: 'Other',
};

/** Credits a person can add by hand (overpayment credit is made by payments; hashrate by SLA work). */
export const MANUAL_CREDIT_KINDS = ['manual', 'adjustment'] as const satisfies readonly (typeof CREDIT_KINDS)[number][];
export type ManualCreditKind = (typeof MANUAL_CREDIT_KINDS)[number];
export const CREDIT_KIND_LABELS: Record<(typeof CREDIT_KINDS)[number], string> = {
  overpayment: 'Overpayment',
  manual: 'Manual credit',
  adjustment: 'Adjustment',
  hashrate: 'Hashrate credit',
};

/** A typo guard, not a business rule: no single payment or credit above 10^12 minor units. */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

const AMOUNT_MESSAGE = 'Enter an amount greater than zero, like 1250.00 (digits and a decimal point, no currency sign).';

/** Decimal text or a number, kept as text: the currency decides how many decimals it may have. */
const amountText = z.pipe(z.optional(z.union([z.string(), z.number()], { error: AMOUNT_MESSAGE })), z.transform((value) => (value === undefined ? undefined : numberText(value))));

const amountMinorField = z.optional(z.number({ error: 'amount_minor must be a whole number of minor units.' }).check(
  z.int('amount_minor must be a whole number of minor units.'),
  z.positive('amount_minor must be greater than zero.'),
  z.lte(MAX_AMOUNT_MINOR, `amount_minor must be at most ${MAX_AMOUNT_MINOR}.`),
));

const currencyField = z.optional(z.pipe(z.pipe(z.string({ error: 'Choose a currency code like USD.' }).check(z.trim()), z.transform((value) => value.toUpperCase())).check(z.refine((value) => value === '' || isCurrencyCode(value), { message: 'Use an ISO 4217 currency code like USD.' })), z.transform((value) => (value === '' ? undefined : value))));

const isoDateField = (label: string) =>
  z.string({ error: `${label} is required.` }).check(
    z.trim(),
    z.minLength(1, `${label} is required.`),
    z.refine((value) => parseIsoDate(value) !== null, { message: `${label} must be a date like 2026-12-01.` }),
  );

const optionalId = z.optional(z.pipe(z.string({ error: 'Must be an id.' }).check(
  z.trim(),
  z.maxLength(64),
), z.transform((value) => (value === '' ? undefined : value))));

export const recordPaymentSchema = z.strictObject({
    /** API only: the form's customer is in its URL. */
    customer_id: optionalId,
    method: z.enum(PAYMENT_METHODS, { error: 'Choose how it was paid.' }),
    reference: optionalText(200),
    received_on: isoDateField('Received on'),
    amount: amountText,
    amount_minor: amountMinorField,
    currency: currencyField,
    /** Blank = oldest open invoice first. */
    invoice_id: optionalId,
    notes: optionalText(2000),
  }).check(z.superRefine((value, ctx) => {
    if (value.method === 'crypto' && !value.reference) {
      ctx.addIssue({ code: 'custom', path: ['reference'], message: 'Enter the transaction id of a crypto payment.' });
    }
    if ((value.amount === undefined || value.amount === '') && value.amount_minor === undefined) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: AMOUNT_MESSAGE });
    }
  }));
export type RecordPaymentInput = z.output<typeof recordPaymentSchema>;

export const addCreditSchema = z.strictObject({
    customer_id: optionalId,
    kind: z.enum(MANUAL_CREDIT_KINDS, { error: 'Choose a manual credit or an adjustment.' }),
    amount: amountText,
    amount_minor: amountMinorField,
    currency: currencyField,
    reason: requiredText('Reason', 500),
  }).check(z.superRefine((value, ctx) => {
    if ((value.amount === undefined || value.amount === '') && value.amount_minor === undefined) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: AMOUNT_MESSAGE });
    }
  }));
export type AddCreditInput = z.output<typeof addCreditSchema>;

export const applyCreditSchema = z.strictObject({
  invoice_id: z.string({ error: 'Choose an invoice.' }).check(z.trim(), z.minLength(1, 'Choose an invoice.'), z.maxLength(64)),
  /** Blank = as much as the invoice's balance and the available credit allow. */
  amount: amountText,
  amount_minor: amountMinorField,
});
export type ApplyCreditInput = z.output<typeof applyCreditSchema>;

/** The staff forms post strings; the field names are the API's. */
export const paymentFormToInput = (form: Record<string, string>) => ({
  method: form.method ?? '',
  reference: form.reference ?? '',
  received_on: form.received_on ?? '',
  amount: form.amount ?? '',
  invoice_id: form.invoice_id ?? '',
  notes: form.notes ?? '',
});

export const creditFormToInput = (form: Record<string, string>) => ({
  kind: form.kind ?? '',
  amount: form.amount ?? '',
  reason: form.reason ?? '',
});

export const applyCreditFormToInput = (form: Record<string, string>) => ({
  invoice_id: form.invoice_id ?? '',
  amount: form.amount ?? '',
});
