/**
 * A customer's money as the staff Financials tab and the portal's Invoices page show it:
 * invoices with their balances, payments with where they went, credit, and aging. One D1 round
 * trip (four reads in one batch), whatever the history's length.
 */
import { and, asc, desc, eq, ne, sql } from 'drizzle-orm';
import { csvCell } from '../customers/csv';
import type { Db } from '../db/client';
import { credits, INVOICE_STATUSES, invoices, paymentAllocations, payments } from '../db/schema';
import { minorToDecimalText } from './money';
import { CREDIT_KIND_LABELS, PAYMENT_METHOD_LABELS } from './payment-schema';
import type { CreditRow, PaymentRow } from './payments';
import { daysBetween } from './periods';

export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Status in words (pages show the word, never a colour alone). */
export const INVOICE_STATUS_LABELS: Record<InvoiceStatus, string> = {
  draft: 'Draft',
  issued: 'Issued',
  partially_paid: 'Partially paid',
  paid: 'Paid',
  overdue: 'Overdue',
  void: 'Void',
};

const OPEN: readonly InvoiceStatus[] = ['issued', 'partially_paid', 'overdue'];
export const isOpenInvoice = (status: InvoiceStatus) => OPEN.includes(status);

/**
 * Aging buckets by whole days past the due date (due_on, a date in the host's zone, against
 * today in the host's zone): not yet due or due today is current; the day after the due date
 * is 1 day past due.
 */
export const AGING_BUCKETS = ['current', 'd1_30', 'd31_60', 'd61_90', 'd90_plus'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];
export const AGING_LABELS: Record<AgingBucket, string> = {
  current: 'Current',
  d1_30: '1–30 days',
  d31_60: '31–60 days',
  d61_90: '61–90 days',
  d90_plus: '90+ days',
};

export function agingBucket(daysPastDue: number): AgingBucket {
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= 30) return 'd1_30';
  if (daysPastDue <= 60) return 'd31_60';
  if (daysPastDue <= 90) return 'd61_90';
  return 'd90_plus';
}

export const emptyAging = (): Record<AgingBucket, number> => ({ current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90_plus: 0 });

export interface FinancialInvoice {
  id: string;
  number: string | null;
  periodKey: string;
  periodStart: string;
  periodEnd: string;
  status: InvoiceStatus;
  held: boolean;
  currency: string;
  totalMinor: number;
  paidMinor: number;
  /** What is still owed: total − paid on an open invoice, 0 otherwise. */
  balanceMinor: number;
  issuedOn: string | null;
  dueOn: string | null;
  /** Whole days past due (host zone), for an open invoice with a due date; else null. */
  daysPastDue: number | null;
}

export interface AllocationView {
  invoiceId: string;
  invoiceNumber: string | null;
  amountMinor: number;
}

export interface FinancialPayment extends PaymentRow {
  allocations: AllocationView[];
  /** The overpayment credit this payment left, if any. */
  credit: CreditRow | null;
}

export interface FinancialCredit extends CreditRow {
  /** Where the credit went (allocations with credit_id). */
  allocations: AllocationView[];
}

/** Per currency (a customer normally has one): what is owed, overdue, aged, and held as credit. */
export interface CurrencyPosition {
  currency: string;
  outstandingMinor: number;
  overdueMinor: number;
  creditMinor: number;
  aging: Record<AgingBucket, number>;
}

export interface CustomerFinancials {
  invoices: FinancialInvoice[];
  payments: FinancialPayment[];
  credits: FinancialCredit[];
  positions: CurrencyPosition[];
  /** Open invoices that can take credit or a chosen payment (oldest first). */
  openInvoices: FinancialInvoice[];
  today: string;
}

/**
 * Everything for one customer (the caller has checked the customer is the host's). The portal
 * passes `customerView`: drafts are never shown to a customer.
 */
export async function loadCustomerFinancials(
  db: Db,
  hostId: string,
  customerId: string,
  today: string,
  options: { customerView?: boolean } = {},
): Promise<CustomerFinancials> {
  const [invoiceRows, paymentRows, allocationRows, creditRows] = await db.batch([
    db
      .select({
        id: invoices.id,
        number: invoices.number,
        periodKey: invoices.periodKey,
        periodStart: invoices.periodStart,
        periodEnd: invoices.periodEnd,
        status: invoices.status,
        held: invoices.held,
        currency: invoices.currency,
        totalMinor: invoices.totalMinor,
        paidMinor: invoices.paidMinor,
        issuedOn: invoices.issuedOn,
        dueOn: invoices.dueOn,
      })
      .from(invoices)
      .where(and(eq(invoices.hostId, hostId), eq(invoices.customerId, customerId), options.customerView ? ne(invoices.status, 'draft') : undefined))
      .orderBy(desc(invoices.periodKey), desc(invoices.createdAt), desc(invoices.id)),
    db
      .select()
      .from(payments)
      .where(and(eq(payments.hostId, hostId), eq(payments.customerId, customerId)))
      .orderBy(desc(payments.receivedOn), desc(payments.createdAt), desc(payments.id)),
    db
      .select({
        invoiceId: paymentAllocations.invoiceId,
        invoiceNumber: invoices.number,
        paymentId: paymentAllocations.paymentId,
        creditId: paymentAllocations.creditId,
        amountMinor: paymentAllocations.amountMinor,
      })
      .from(paymentAllocations)
      .innerJoin(invoices, eq(invoices.id, paymentAllocations.invoiceId))
      .where(and(eq(paymentAllocations.hostId, hostId), eq(invoices.hostId, hostId), eq(invoices.customerId, customerId)))
      .orderBy(asc(sql`${paymentAllocations}.rowid`)),
    db
      .select()
      .from(credits)
      .where(and(eq(credits.hostId, hostId), eq(credits.customerId, customerId)))
      .orderBy(desc(credits.createdAt), desc(credits.id)),
  ]);

  const invoiceList: FinancialInvoice[] = invoiceRows.map((row) => {
    const open = isOpenInvoice(row.status);
    return {
      ...row,
      balanceMinor: open ? row.totalMinor - row.paidMinor : 0,
      daysPastDue: open && row.dueOn ? daysBetween(row.dueOn, today) : null,
    };
  });
  const view = (a: (typeof allocationRows)[number]): AllocationView => ({ invoiceId: a.invoiceId, invoiceNumber: a.invoiceNumber, amountMinor: a.amountMinor });
  const positions = new Map<string, CurrencyPosition>();
  const position = (currency: string) => {
    let found = positions.get(currency);
    if (!found) positions.set(currency, (found = { currency, outstandingMinor: 0, overdueMinor: 0, creditMinor: 0, aging: emptyAging() }));
    return found;
  };
  for (const invoice of invoiceList) {
    if (!isOpenInvoice(invoice.status)) continue;
    const p = position(invoice.currency);
    p.outstandingMinor += invoice.balanceMinor;
    const bucket = agingBucket(invoice.daysPastDue ?? 0);
    p.aging[bucket] += invoice.balanceMinor;
    if (bucket !== 'current') p.overdueMinor += invoice.balanceMinor;
  }
  for (const credit of creditRows) if (credit.remainingMinor > 0) position(credit.currency).creditMinor += credit.remainingMinor;

  return {
    invoices: invoiceList,
    payments: paymentRows.map((payment) => ({
      ...payment,
      allocations: allocationRows.filter((a) => a.paymentId === payment.id).map(view),
      credit: creditRows.find((c) => c.paymentId === payment.id) ?? null,
    })),
    credits: creditRows.map((credit) => ({ ...credit, allocations: allocationRows.filter((a) => a.creditId === credit.id).map(view) })),
    positions: [...positions.values()],
    openInvoices: invoiceList
      .filter((i) => isOpenInvoice(i.status))
      .sort((a, b) => (a.dueOn ?? '').localeCompare(b.dueOn ?? '') || (a.number ?? '').localeCompare(b.number ?? '')),
    today,
  };
}

// ---------------------------------------------------------------------------------------------
// CSV exports (amounts as decimal text in the major unit, with the currency in its own column).

const csv = (header: readonly string[], rows: (string | number | boolean | null)[][]) =>
  `${[header.join(','), ...rows.map((row) => row.map(csvCell).join(','))].join('\r\n')}\r\n`;

const decimal = (minor: number, currency: string) => minorToDecimalText(minor, currency);

export function invoicesCsv(financials: CustomerFinancials): string {
  return csv(
    ['number', 'period', 'period_start', 'period_end', 'status', 'issued_on', 'due_on', 'days_past_due', 'currency', 'total', 'paid', 'balance', 'id'],
    financials.invoices.map((i) => [
      i.number,
      i.periodKey,
      i.periodStart,
      i.periodEnd,
      i.status,
      i.issuedOn,
      i.dueOn,
      i.daysPastDue !== null && i.daysPastDue > 0 ? i.daysPastDue : 0,
      i.currency,
      decimal(i.totalMinor, i.currency),
      decimal(i.paidMinor, i.currency),
      decimal(i.balanceMinor, i.currency),
      i.id,
    ]),
  );
}

export function paymentsCsv(financials: CustomerFinancials): string {
  return csv(
    ['received_on', 'method', 'reference', 'currency', 'amount', 'applied_to', 'credit_created', 'notes', 'recorded_by', 'id'],
    financials.payments.map((p) => [
      p.receivedOn,
      PAYMENT_METHOD_LABELS[p.method],
      p.reference,
      p.currency,
      decimal(p.amountMinor, p.currency),
      p.allocations.map((a) => `${a.invoiceNumber ?? a.invoiceId}: ${decimal(a.amountMinor, p.currency)}`).join('; '),
      p.credit ? decimal(p.credit.amountMinor, p.currency) : '',
      p.notes,
      p.createdBy,
      p.id,
    ]),
  );
}

export const creditKindLabel = (kind: CreditRow['kind']) => CREDIT_KIND_LABELS[kind];
