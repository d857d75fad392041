/**
 * Payments and credit (docs/billing/payments.md).
 *
 * Money reaches an invoice only through a `payment_allocations` row (from a payment or from a
 * credit), and every allocation moves `invoices.paid_minor` and the status in the same
 * `db.batch()`. The amount of each allocation is computed by SQL when the batch runs, from the
 * invoice's balance at that moment, never from what a page read earlier: D1 runs a batch as one
 * transaction, so two payments racing for one invoice are serialised, the second sees the first's
 * allocation, and whatever no longer fits becomes credit instead of an over-payment.
 */
import { and, asc, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { activityInsert, type Actor } from '../activity/service';
import type { Db } from '../db/client';
import { inIds } from '../db/sql';
import { activityLog, credits, customers, hosts, invoices, paymentAllocations, payments } from '../db/schema';
import { decodeCursor, encodeCursor } from '../lib/cursor';
import { notFound, ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { parseInput } from '../lib/validation';
import { currencyExponent, minorToDecimalText, parseMoneyText } from './money';
import {
  addCreditSchema,
  applyCreditSchema,
  CREDIT_KIND_LABELS,
  MAX_AMOUNT_MINOR,
  PAYMENT_METHOD_LABELS,
  recordPaymentSchema,
  type PaymentMethod,
} from './payment-schema';
import { zonedDate } from './periods';

export type PaymentRow = typeof payments.$inferSelect;
export type CreditRow = typeof credits.$inferSelect;
export type AllocationRow = typeof paymentAllocations.$inferSelect;
export type InvoiceRow = typeof invoices.$inferSelect;

/** Invoices that take money: issued and not yet settled. Drafts and void invoices never do. */
export const OPEN_INVOICE_STATUSES = ['issued', 'partially_paid', 'overdue'] as const;
const OPEN_SQL = sql.raw(`('issued', 'partially_paid', 'overdue')`);

/** How many open invoices one payment walks (oldest first); the rest of the money becomes credit. */
export const MAX_INVOICES_PER_PAYMENT = 100;
/** How many credits one application draws from (oldest first). */
const MAX_CREDITS_PER_APPLICATION = 50;

/** The customer as billing sees it: this host's, with its billing currency resolved. */
export interface BillingCustomer {
  id: string;
  name: string;
  currency: string;
  timezone: string;
}

export async function billingCustomer(db: Db, hostId: string, customerId: string): Promise<BillingCustomer> {
  const row = await db
    .select({ id: customers.id, name: customers.name, billingCurrency: customers.billingCurrency, defaultCurrency: hosts.defaultCurrency, timezone: hosts.timezone })
    .from(customers)
    .innerJoin(hosts, eq(hosts.id, customers.hostId))
    .where(and(eq(customers.hostId, hostId), eq(customers.id, customerId)))
    .get();
  if (!row) throw notFound('Customer');
  return { id: row.id, name: row.name, currency: row.billingCurrency ?? row.defaultCurrency, timezone: row.timezone };
}

// ---------------------------------------------------------------------------------------------
// SQL pieces shared by every allocation.

/**
 * Minor units as exact decimal text in SQL ("1250.00"), so an activity entry written inside the
 * batch can show an amount only SQL knows (integer division and remainder: no floating point).
 */
export function minorTextSql(amount: SQL, currency: string): SQL {
  const exponent = currencyExponent(currency);
  if (exponent === 0) return sql`CAST(${amount} AS TEXT)`;
  const unit = 10 ** exponent;
  return sql`(CASE WHEN ${amount} < 0 THEN '-' ELSE '' END || (abs(${amount}) / ${sql.raw(String(unit))}) || '.' || substr('${sql.raw('0'.repeat(exponent))}' || (abs(${amount}) % ${sql.raw(String(unit))}), -${sql.raw(String(exponent))}))`;
}

/** An activity entry whose change values are SQL (json), landing only when `when` holds. */
function activityInsertSelect(db: Db, hostId: string, actor: Actor, action: string, customerId: string, changes: SQL, from: SQL, now: number) {
  // Values in activity_log's column order, as drizzle's INSERT … SELECT writes them.
  return db.insert(activityLog).select(sql`SELECT ${newId()}, ${hostId}, ${customerId}, ${actor.kind}, ${actor.id}, ${actor.label}, ${action}, ${changes}, ${now} ${from}`);
}

const allocationAmount = (allocationId: string) => sql`(SELECT pa.amount_minor FROM payment_allocations pa WHERE pa.id = ${allocationId})`;

/**
 * Puts an allocation (already inserted earlier in the same batch) on its invoice: paid_minor and
 * the status move together. issued → partially_paid while a balance remains; overdue stays
 * overdue while a balance remains; a zero balance is paid, with paid_at. The WHERE re-checks the
 * invoice is open and the allocation fits its balance, so this UPDATE alone can never over-pay.
 */
function postAllocationToInvoice(db: Db, hostId: string, invoiceId: string, allocationId: string, now: number) {
  const amount = allocationAmount(allocationId);
  const settles = sql`total_minor - paid_minor - ${amount} <= 0`;
  return db
    .update(invoices)
    .set({
      paidMinor: sql`paid_minor + ${amount}`,
      status: sql`CASE WHEN ${settles} THEN 'paid' WHEN status = 'overdue' THEN 'overdue' ELSE 'partially_paid' END`,
      paidAt: sql`CASE WHEN ${settles} THEN ${now} ELSE paid_at END`,
      updatedAt: now,
    })
    .where(
      and(
        eq(invoices.hostId, hostId),
        eq(invoices.id, invoiceId),
        sql`status IN ${OPEN_SQL}`,
        sql`${amount} IS NOT NULL`,
        sql`total_minor - paid_minor >= ${amount}`,
      ),
    );
}

/** The allocation's activity entry, written only if the allocation row exists. */
function allocationActivity(db: Db, hostId: string, actor: Actor, customerId: string, allocationId: string, currency: string, action: string, source: SQL, now: number) {
  const changes = sql`json_object('invoice', json_array(NULL, coalesce(i.number, i.period_key)), 'amount', json_array(NULL, ${minorTextSql(sql`pa.amount_minor`, currency)} || ' ' || ${currency}), ${source})`;
  return activityInsertSelect(
    db,
    hostId,
    actor,
    action,
    customerId,
    changes,
    sql`FROM payment_allocations pa JOIN invoices i ON i.id = pa.invoice_id WHERE pa.id = ${allocationId}`,
    now,
  );
}

// ---------------------------------------------------------------------------------------------
// Reading the targets.

const openInvoicesOldestFirst = (db: Db, hostId: string, customerId: string, currency: string) =>
  db
    .select()
    .from(invoices)
    .where(and(eq(invoices.hostId, hostId), eq(invoices.customerId, customerId), eq(invoices.currency, currency), inArray(invoices.status, OPEN_INVOICE_STATUSES)))
    .orderBy(asc(invoices.dueOn), asc(invoices.numberYear), asc(invoices.numberSeq), asc(invoices.id))
    .limit(MAX_INVOICES_PER_PAYMENT);

async function customerInvoice(db: Db, hostId: string, customerId: string, invoiceId: string, field = 'invoice_id'): Promise<InvoiceRow> {
  const invoice = await db
    .select()
    .from(invoices)
    .where(and(eq(invoices.hostId, hostId), eq(invoices.customerId, customerId), eq(invoices.id, invoiceId)))
    .get();
  if (!invoice) throw new ValidationError({ [field]: 'Choose one of this customer’s invoices.' });
  if (invoice.status === 'draft') throw new ValidationError({ [field]: 'A draft invoice takes no payments: issue it first.' });
  if (invoice.status === 'void') throw new ValidationError({ [field]: 'A void invoice takes no payments.' });
  if (invoice.status === 'paid') throw new ValidationError({ [field]: 'This invoice is already paid.' });
  return invoice;
}

function amountMinorOf(input: { amount?: string; amount_minor?: number }, currency: string, field = 'amount'): number {
  if (input.amount_minor !== undefined) return input.amount_minor;
  const minor = parseMoneyText(input.amount ?? '', currency);
  const digits = currencyExponent(currency);
  if (minor === null || minor <= 0) {
    throw new ValidationError({
      [field]: `Enter an amount greater than zero with at most ${digits} decimal${digits === 1 ? '' : 's'} for ${currency}, like ${minorToDecimalText(125000, currency)}.`,
    });
  }
  if (minor > MAX_AMOUNT_MINOR) throw new ValidationError({ [field]: 'That amount is too large; check it.' });
  return minor;
}

const moneyText = (minor: number, currency: string) => `${minorToDecimalText(minor, currency)} ${currency}`;

// ---------------------------------------------------------------------------------------------
// Recording a payment.

export interface PaymentResult {
  payment: PaymentRow;
  allocations: (AllocationRow & { invoiceNumber: string | null })[];
  credit: CreditRow | null;
}

/**
 * Records a payment and applies it: to the chosen invoice, or oldest first (due date, then
 * number) across the customer's open invoices in the payment's currency. Whatever is left (an
 * over-payment, or money that a racing payment made redundant) becomes an overpayment credit.
 * One batch: the payment, every allocation with its invoice update, the credit, the activity.
 */
export async function recordPayment(db: Db, hostId: string, actor: Actor, customerIdFromUrl: string | null, raw: unknown): Promise<PaymentResult> {
  const input = parseInput(recordPaymentSchema, raw);
  const customerId = customerIdFromUrl ?? input.customer_id;
  if (!customerId) throw new ValidationError({ customer_id: 'customer_id is required.' });
  if (customerIdFromUrl && input.customer_id && input.customer_id !== customerIdFromUrl) {
    throw new ValidationError({ customer_id: 'Unknown field.' });
  }
  // Another host's customer (or none) is a 404 either way, from the URL or the API's body.
  const customer = await billingCustomer(db, hostId, customerId);

  const chosen = input.invoice_id ? await customerInvoice(db, hostId, customer.id, input.invoice_id) : null;
  const currency = input.currency ?? chosen?.currency ?? customer.currency;
  if (chosen && chosen.currency !== currency) {
    throw new ValidationError({ currency: `Invoice ${chosen.number ?? ''} is in ${chosen.currency}: a payment in ${currency} cannot pay it.`.replace('  ', ' ') });
  }
  const targets = chosen ? [chosen] : await openInvoicesOldestFirst(db, hostId, customer.id, currency).all();
  if (!chosen && currency !== customer.currency && targets.length === 0) {
    throw new ValidationError({ currency: `${customer.name} is billed in ${customer.currency}: a payment in ${currency} matches none of their invoices.` });
  }
  const amountMinor = amountMinorOf(input, currency);
  const today = zonedDate(Date.now(), customer.timezone);
  if (input.received_on > today) throw new ValidationError({ received_on: `Received on cannot be after today (${today}).` });
  if (input.received_on < '2000-01-01') throw new ValidationError({ received_on: 'Received on must be in 2000 or later.' });

  const now = Date.now();
  const payment: PaymentRow = {
    id: newId(),
    hostId,
    customerId: customer.id,
    method: input.method,
    reference: input.reference ?? null,
    receivedOn: input.received_on,
    amountMinor,
    currency,
    notes: input.notes ?? null,
    createdBy: actor.label,
    createdAt: now,
  };
  const statements: BatchItem<'sqlite'>[] = [
    db.insert(payments).values(payment),
    activityInsert(
      db,
      hostId,
      actor,
      'payment.recorded',
      customer.id,
      {
        method: [null, PAYMENT_METHOD_LABELS[input.method as PaymentMethod]],
        reference: [null, payment.reference],
        received_on: [null, payment.receivedOn],
        amount: [null, moneyText(amountMinor, currency)],
        applied_to: [null, chosen ? (chosen.number ?? chosen.periodKey) : 'Oldest open invoices first'],
        notes: [null, payment.notes],
        _payment: [null, payment.id],
      },
      now,
    ),
  ];
  const spent = sql`(SELECT coalesce(sum(x.amount_minor), 0) FROM payment_allocations x WHERE x.payment_id = ${payment.id})`;
  for (const invoice of targets) {
    const allocationId = newId();
    const amount = sql`min(i.total_minor - i.paid_minor, ${amountMinor} - ${spent})`;
    statements.push(
      db.insert(paymentAllocations).select(
        sql`SELECT ${allocationId}, ${hostId}, i.id, ${payment.id}, NULL, ${amount}, ${now} FROM invoices i
          WHERE i.id = ${invoice.id} AND i.host_id = ${hostId} AND i.customer_id = ${customer.id} AND i.currency = ${currency}
            AND i.status IN ${OPEN_SQL} AND ${amount} > 0`,
      ),
      postAllocationToInvoice(db, hostId, invoice.id, allocationId, now),
      allocationActivity(db, hostId, actor, customer.id, allocationId, currency, 'payment.allocated', sql`'_payment', json_array(NULL, ${payment.id})`, now),
    );
  }
  const creditId = newId();
  const excess = sql`(${amountMinor} - ${spent})`;
  statements.push(
    db.insert(credits).select(
      sql`SELECT ${creditId}, ${hostId}, ${customer.id}, 'overpayment', ${excess}, ${excess}, ${currency}, ${'Over-payment of ' + describePayment(payment)}, ${payment.id}, NULL, ${actor.label}, ${now}
        WHERE ${excess} > 0`,
    ),
    activityInsertSelect(
      db,
      hostId,
      actor,
      'credit.created',
      customer.id,
      sql`json_object('kind', json_array(NULL, ${CREDIT_KIND_LABELS.overpayment}), 'amount', json_array(NULL, ${minorTextSql(sql`c.amount_minor`, currency)} || ' ' || ${currency}), 'reason', json_array(NULL, c.reason), '_credit', json_array(NULL, c.id))`,
      sql`FROM credits c WHERE c.id = ${creditId}`,
      now,
    ),
  );
  await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  return paymentResult(db, hostId, payment.id);
}

const describePayment = (payment: PaymentRow) =>
  `${PAYMENT_METHOD_LABELS[payment.method]} payment received ${payment.receivedOn}${payment.reference ? ` (${payment.reference})` : ''}`;

export async function paymentResult(db: Db, hostId: string, paymentId: string): Promise<PaymentResult> {
  const [rows, allocations, credit] = await db.batch([
    db.select().from(payments).where(and(eq(payments.hostId, hostId), eq(payments.id, paymentId))),
    allocationsWithNumbers(db, hostId).where(and(eq(paymentAllocations.hostId, hostId), eq(paymentAllocations.paymentId, paymentId))).orderBy(asc(sql`${paymentAllocations}.rowid`)),
    db.select().from(credits).where(and(eq(credits.hostId, hostId), eq(credits.paymentId, paymentId))),
  ]);
  const payment = rows[0];
  if (!payment) throw notFound('Payment');
  return { payment, allocations, credit: credit[0] ?? null };
}

const allocationsWithNumbers = (db: Db, _hostId: string) =>
  db
    .select({
      id: paymentAllocations.id,
      hostId: paymentAllocations.hostId,
      invoiceId: paymentAllocations.invoiceId,
      paymentId: paymentAllocations.paymentId,
      creditId: paymentAllocations.creditId,
      amountMinor: paymentAllocations.amountMinor,
      createdAt: paymentAllocations.createdAt,
      invoiceNumber: invoices.number,
    })
    .from(paymentAllocations)
    .innerJoin(invoices, eq(invoices.id, paymentAllocations.invoiceId));

// ---------------------------------------------------------------------------------------------
// Manual credit and adjustments.

/** A credit added by hand (kind manual or adjustment), with its reason, in the customer's currency. */
export async function addCredit(db: Db, hostId: string, actor: Actor, customerIdFromUrl: string | null, raw: unknown): Promise<CreditRow> {
  const input = parseInput(addCreditSchema, raw);
  const customerId = customerIdFromUrl ?? input.customer_id;
  if (!customerId) throw new ValidationError({ customer_id: 'customer_id is required.' });
  const customer = await billingCustomer(db, hostId, customerId);
  const currency = input.currency ?? customer.currency;
  if (currency !== customer.currency) throw new ValidationError({ currency: `${customer.name} is billed in ${customer.currency}.` });
  const amountMinor = amountMinorOf(input, currency);
  const now = Date.now();
  const credit: CreditRow = {
    id: newId(),
    hostId,
    customerId: customer.id,
    kind: input.kind,
    amountMinor,
    remainingMinor: amountMinor,
    currency,
    reason: input.reason,
    paymentId: null,
    detail: null,
    createdBy: actor.label,
    createdAt: now,
  };
  await db.batch([
    db.insert(credits).values(credit),
    activityInsert(
      db,
      hostId,
      actor,
      'credit.created',
      customer.id,
      { kind: [null, CREDIT_KIND_LABELS[input.kind]], amount: [null, moneyText(amountMinor, currency)], reason: [null, input.reason], _credit: [null, credit.id] },
      now,
    ),
  ]);
  return credit;
}

// ---------------------------------------------------------------------------------------------
// Applying available credit to an open invoice.

const availableCredits = (db: Db, hostId: string, customerId: string, currency: string) =>
  db
    .select()
    .from(credits)
    .where(and(eq(credits.hostId, hostId), eq(credits.customerId, customerId), eq(credits.currency, currency), gt(credits.remainingMinor, 0)))
    .orderBy(asc(credits.createdAt), asc(credits.id))
    .limit(MAX_CREDITS_PER_APPLICATION);

/**
 * Applies the customer's available credit (oldest first) to one open invoice, up to its balance
 * (or a smaller amount asked for). Each credit drawn is one allocation with credit_id; the credit's
 * remaining_minor goes down by exactly that allocation, guarded in the UPDATE.
 */
export async function applyCredit(db: Db, hostId: string, actor: Actor, customerId: string, raw: unknown): Promise<(AllocationRow & { invoiceNumber: string | null })[]> {
  const input = parseInput(applyCreditSchema, raw);
  const customer = await billingCustomer(db, hostId, customerId);
  const invoice = await customerInvoice(db, hostId, customer.id, input.invoice_id);
  const cap = input.amount_minor !== undefined || (input.amount ?? '') !== '' ? amountMinorOf(input, invoice.currency) : null;
  const pool = await availableCredits(db, hostId, customer.id, invoice.currency).all();
  if (pool.length === 0) throw new ValidationError({ invoice_id: `${customer.name} has no available ${invoice.currency} credit.` });
  const now = Date.now();
  const allocationIds = pool.map(() => newId());
    const appliedSoFar = sql`(SELECT coalesce(sum(x.amount_minor), 0) FROM payment_allocations x WHERE ${inIds(sql`x.id`, allocationIds)})`;
  const statements: BatchItem<'sqlite'>[] = [];
  pool.forEach((credit, index) => {
    const allocationId = allocationIds[index]!;
    const parts = [sql`i.total_minor - i.paid_minor`, sql`c.remaining_minor`];
    if (cap !== null) parts.push(sql`${cap} - ${appliedSoFar}`);
    const amount = sql`min(${sql.join(parts, sql`, `)})`;
    statements.push(
      db.insert(paymentAllocations).select(
        sql`SELECT ${allocationId}, ${hostId}, i.id, NULL, c.id, ${amount}, ${now} FROM invoices i, credits c
          WHERE i.id = ${invoice.id} AND i.host_id = ${hostId} AND i.customer_id = ${customer.id} AND i.status IN ${OPEN_SQL}
            AND c.id = ${credit.id} AND c.host_id = ${hostId} AND c.customer_id = ${customer.id} AND c.currency = i.currency
            AND ${amount} > 0`,
      ),
      db
        .update(credits)
        .set({ remainingMinor: sql`remaining_minor - ${allocationAmount(allocationId)}` })
        .where(and(eq(credits.hostId, hostId), eq(credits.id, credit.id), sql`${allocationAmount(allocationId)} IS NOT NULL`, sql`remaining_minor >= ${allocationAmount(allocationId)}`)),
      postAllocationToInvoice(db, hostId, invoice.id, allocationId, now),
      allocationActivity(db, hostId, actor, customer.id, allocationId, invoice.currency, 'credit.applied', sql`'_credit', json_array(NULL, ${credit.id})`, now),
    );
  });
  await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  const applied = await allocationsWithNumbers(db, hostId)
    .where(and(eq(paymentAllocations.hostId, hostId), inIds(paymentAllocations.id, allocationIds)))
    .orderBy(asc(sql`${paymentAllocations}.rowid`))
    .all();
  if (applied.length === 0) throw new ValidationError({ invoice_id: 'Nothing was applied: the invoice has no balance left.' });
  return applied;
}

// ---------------------------------------------------------------------------------------------
// Credit taken by a newly generated invoice (called by the invoice generator).

export interface CreditTaken {
  /** How much credit the statements take (0 when none is available): the credit line is minus this. */
  amountMinor: number;
  /** Which credits, and how much of each (for the line's `detail`). */
  credits: { credit_id: string; kind: CreditRow['kind']; amount_minor: number }[];
  /**
   * To run in the generator's own batch, with the invoice and its lines. Each credit's
   * remaining_minor drops by its share, guarded (`remaining_minor >= share`); the statement after
   * each guard is its activity entry, whose action is NULL (a NOT NULL violation) when the guard
   * matched nothing, so a credit spent meanwhile aborts the whole batch instead of leaving a
   * credit line that no credit paid for. Retry the generation on that failure.
   */
  statements: BatchItem<'sqlite'>[];
}

/** The error text a batch aborted by a spent credit fails with (the generator may test for it). */
export const CREDIT_RACE_MARKER = 'activity_log.action';

/**
 * Plans taking up to `maxMinor` of a customer's available credit (oldest first, `currency` only)
 * for a new invoice, as a negative `credit` line of minus `amountMinor`. Reads once; writes nothing
 * itself. `maxMinor` is the invoice's total before the credit line (never take more than it).
 */
export async function takeCreditForInvoice(
  db: Db,
  hostId: string,
  customerId: string,
  currency: string,
  maxMinor: number,
  options: { invoiceId?: string; actor?: Actor; now?: number } = {},
): Promise<CreditTaken> {
  if (!(maxMinor > 0)) return { amountMinor: 0, credits: [], statements: [] };
  const actor = options.actor ?? { kind: 'system', id: null, label: 'Billing' };
  const now = options.now ?? Date.now();
  const pool = await availableCredits(db, hostId, customerId, currency).all();
  const taken: CreditTaken['credits'] = [];
  const statements: BatchItem<'sqlite'>[] = [];
  let left = maxMinor;
  for (const credit of pool) {
    if (left <= 0) break;
    const share = Math.min(left, credit.remainingMinor);
    left -= share;
    taken.push({ credit_id: credit.id, kind: credit.kind, amount_minor: share });
    statements.push(
      db
        .update(credits)
        .set({ remainingMinor: sql`remaining_minor - ${share}` })
        .where(and(eq(credits.hostId, hostId), eq(credits.id, credit.id), sql`remaining_minor >= ${share}`)),
      db.insert(activityLog).select(
        sql`SELECT ${newId()}, ${hostId}, ${customerId}, ${actor.kind}, ${actor.id}, ${actor.label},
          CASE WHEN changes() > 0 THEN 'credit.invoiced' ELSE NULL END,
          ${JSON.stringify({ amount: [null, moneyText(share, currency)], invoice: [null, options.invoiceId ?? null], _credit: [null, credit.id] })}, ${now}`,
      ),
    );
  }
  return { amountMinor: maxMinor - left, credits: taken, statements };
}

// ---------------------------------------------------------------------------------------------
// The API's list.

export const PAYMENT_PAGE_SIZE = 50;

export async function listPayments(
  db: Db,
  hostId: string,
  query: { customer_id?: string; cursor?: string; limit?: string },
): Promise<{ items: PaymentResult[]; nextCursor: string | null }> {
  const limitNumber = query.limit === undefined ? PAYMENT_PAGE_SIZE : Number(query.limit);
  if (!Number.isInteger(limitNumber) || limitNumber < 1 || limitNumber > 200) throw new ValidationError({ limit: 'limit must be a whole number from 1 to 200.' });
  const cursor = query.cursor ? decodeCursor(query.cursor, 'cursor') : null;
  if (query.customer_id) await billingCustomer(db, hostId, query.customer_id);
  const rows = await db
    .select()
    .from(payments)
    .where(
      and(
        eq(payments.hostId, hostId),
        query.customer_id ? eq(payments.customerId, query.customer_id) : undefined,
        cursor ? or(lt(payments.createdAt, Number(cursor[0])), and(eq(payments.createdAt, Number(cursor[0])), lt(payments.id, cursor[1]))) : undefined,
      ),
    )
    .orderBy(desc(payments.createdAt), desc(payments.id))
    .limit(limitNumber + 1)
    .all();
  const page = rows.slice(0, limitNumber);
  const ids = page.map((p) => p.id);
  const [allocations, paymentCredits] =
    ids.length === 0
      ? [[], []]
      : await db.batch([
          allocationsWithNumbers(db, hostId).where(and(eq(paymentAllocations.hostId, hostId), inIds(paymentAllocations.paymentId, ids))).orderBy(asc(sql`${paymentAllocations}.rowid`)),
          db.select().from(credits).where(and(eq(credits.hostId, hostId), inIds(credits.paymentId, ids))),
        ]);
  const last = page[page.length - 1];
  return {
    items: page.map((payment) => ({
      payment,
      allocations: allocations.filter((a) => a.paymentId === payment.id),
      credit: paymentCredits.find((c) => c.paymentId === payment.id) ?? null,
    })),
    nextCursor: rows.length > limitNumber && last ? encodeCursor([last.createdAt, last.id]) : null,
  };
}

export async function getPayment(db: Db, hostId: string, paymentId: string): Promise<PaymentResult> {
  return paymentResult(db, hostId, paymentId);
}
