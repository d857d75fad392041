import { and, asc, eq } from 'drizzle-orm';
import { activityLog, credits, invoiceLines, invoices, paymentAllocations, payments } from '../../src/db/schema';
import { db, type TestHost } from './fixtures';

/**
 * Invoices inserted directly (the generator is built elsewhere): one `fixed_fee` line carrying
 * the whole total, so total = sum of lines holds. Period keys are unique per call unless given.
 */
let periodCounter = 0;
const nextPeriodKey = () => {
  periodCounter += 1;
  const year = 2000 + Math.floor(periodCounter / 12);
  return `${year}-${String((periodCounter % 12) + 1).padStart(2, '0')}`;
};

export interface InvoiceFixture {
  status?: (typeof invoices.$inferInsert)['status'];
  totalMinor?: number;
  paidMinor?: number;
  currency?: string;
  dueOn?: string | null;
  issuedOn?: string | null;
  number?: string | null;
  periodKey?: string;
  /** Splits the total: an energy line of this contract and amount, the rest as the fixed fee line. */
  energyLine?: { contractId: string; amountMinor: number };
}

export async function insertInvoice(host: TestHost, customerId: string, fields: InvoiceFixture = {}) {
  const id = crypto.randomUUID();
  const now = Date.now();
  const status = fields.status ?? 'issued';
  const periodKey = fields.periodKey ?? nextPeriodKey();
  const seq = Math.floor(Math.random() * 1e9);
  const total = fields.totalMinor ?? 10_000;
  const issued = status !== 'draft';
  await db()
    .batch([
      db()
        .insert(invoices)
        .values({
          id,
          hostId: host.hostId,
          customerId,
          periodKey,
          periodStart: `${periodKey}-01`,
          periodEnd: `${periodKey}-28`,
          periodFromMs: 0,
          periodToMs: 1,
          status,
          number: fields.number !== undefined ? fields.number : issued ? `INV-${periodKey.slice(0, 4)}-${String(seq).padStart(4, '0')}` : null,
          numberYear: issued ? Number(periodKey.slice(0, 4)) : null,
          numberSeq: issued ? seq : null,
          currency: fields.currency ?? 'USD',
          subtotalMinor: total,
          totalMinor: total,
          paidMinor: fields.paidMinor ?? 0,
          issuedOn: fields.issuedOn !== undefined ? fields.issuedOn : issued ? `${periodKey}-02` : null,
          dueOn: fields.dueOn !== undefined ? fields.dueOn : issued ? `${periodKey}-17` : null,
          issuedAt: issued ? now : null,
          generatedAt: now,
          createdAt: now,
          updatedAt: now,
        }),
      db()
        .insert(invoiceLines)
        .values({ id: crypto.randomUUID(), invoiceId: id, hostId: host.hostId, position: 1, kind: 'fixed_fee', description: 'Hosting', amountMinor: total - (fields.energyLine?.amountMinor ?? 0) }),
      ...(fields.energyLine
        ? [
            db()
              .insert(invoiceLines)
              .values({ id: crypto.randomUUID(), invoiceId: id, hostId: host.hostId, contractId: fields.energyLine.contractId, position: 2, kind: 'energy' as const, description: 'Energy', amountMinor: fields.energyLine.amountMinor }),
          ]
        : []),
    ]);
  return id;
}

export const invoiceRow = (id: string) => db().select().from(invoices).where(eq(invoices.id, id)).get();

export const customerPayments = (customerId: string) => db().select().from(payments).where(eq(payments.customerId, customerId)).all();

export const customerCredits = (customerId: string) =>
  db().select().from(credits).where(eq(credits.customerId, customerId)).orderBy(asc(credits.createdAt)).all();

export const invoiceAllocations = (invoiceId: string) => db().select().from(paymentAllocations).where(eq(paymentAllocations.invoiceId, invoiceId)).all();

export const customerActivity = (host: TestHost, customerId: string) =>
  db()
    .select()
    .from(activityLog)
    .where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.customerId, customerId)))
    .all();

/** An ISO date n days before today in UTC (the test hosts' zone). */
export const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
export const today = () => daysAgo(0);
