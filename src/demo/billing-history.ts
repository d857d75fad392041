import { and, asc, inArray } from 'drizzle-orm';
import type { Actor } from '../activity/service';
import type { Db } from '../db/client';
import { invoices } from '../db/schema';
import type { Bindings } from '../env';
import { dueBillingJobs, markOverdue, runBillingJob, SEAL_LAG_MS } from '../billing/invoices';
import { recordPayment } from '../billing/payments';
import { addDays } from '../billing/periods';
import { sealDueDays } from '../billing/seal';

/**
 * The demo's billing history (`npm start`, development only): the seed wrote a few months of
 * hourly usage for the demo fleet; this runs the real engine over it exactly as the production
 * crons would have, month by month — seal the days, generate and issue each closed period's
 * invoices at the moment the cron would have — then records the customers' payments: every
 * invoice paid in full a few days before its due date (the newest left open while it is not due
 * yet), one customer per host half paying its newest, and the customers in default paying
 * nothing (their invoices go overdue, as their default cases say).
 * Nothing here is made up by hand, so totals, evidence and seals are what a real host would see.
 */

const DEMO_ACTOR: Actor = { kind: 'system', id: null, label: 'Demo seed' };
const HOUR_MS = 3_600_000;
/** The demo's contracts start on the first of the month this many months back (scripts/demo-data.mjs). */
const CONTRACT_MONTHS_BACK = 4;

export interface DemoBillingResult {
  sealedDays: number;
  invoices: Record<string, number>;
  payments: number;
  overdue: number;
}

export async function buildDemoBillingHistory(
  db: Db,
  env: Pick<Bindings, 'EMAIL_QUEUE' | 'APP_HOST' | 'ENVIRONMENT'>,
  hostIds: readonly string[],
  options: { defaulterIds: readonly string[]; partialPayerIds: readonly string[]; now?: number },
): Promise<DemoBillingResult> {
  const now = options.now ?? Date.now();
  const result: DemoBillingResult = { sealedDays: 0, invoices: {}, payments: 0, overdue: 0 };
  for (;;) {
    const run = await sealDueDays(db, now, { maxSteps: 200 });
    result.sealedDays += run.sealedDays + run.emptyDays;
    if (run.sealedDays + run.emptyDays + run.retried === 0) break;
  }

  // The cron's moment in each month since the contracts began: the first hour at which the
  // previous month's days are all sealed (a day after they end, plus the seal lag, in any zone).
  // Oldest first, so invoice numbers follow the calendar.
  for (let back = CONTRACT_MONTHS_BACK - 1; back >= 0; back--) {
    const at = new Date(now);
    const cronAt = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - back, 1) + SEAL_LAG_MS + 26 * HOUR_MS;
    if (cronAt > now) continue;
    const jobs = (await dueBillingJobs(db, cronAt, 500)).filter((job) => hostIds.includes(job.hostId));
    for (const job of jobs) {
      const outcome = await runBillingJob(db, env, job, cronAt);
      result.invoices[outcome] = (result.invoices[outcome] ?? 0) + 1;
    }
  }

  const issued = await db
    .select({ id: invoices.id, hostId: invoices.hostId, customerId: invoices.customerId, dueOn: invoices.dueOn, totalMinor: invoices.totalMinor, paidMinor: invoices.paidMinor, currency: invoices.currency })
    .from(invoices)
    .where(and(inArray(invoices.hostId, [...hostIds]), inArray(invoices.status, ['issued', 'partially_paid', 'overdue'])))
    .orderBy(asc(invoices.customerId), asc(invoices.periodKey));
  const today = new Date(now).toISOString().slice(0, 10);
  const newestOf = new Map<string, string>();
  for (const inv of issued) newestOf.set(inv.customerId, inv.id);
  for (const inv of issued) {
    // An invoice with any payment was settled by an earlier run: a second run pays nothing twice.
    if (options.defaulterIds.includes(inv.customerId) || inv.paidMinor > 0 || !inv.dueOn) continue;
    const newest = newestOf.get(inv.customerId) === inv.id;
    const partial = newest && options.partialPayerIds.includes(inv.customerId);
    if (newest && !partial && inv.dueOn >= today) continue; // not due yet: left open
    const balance = inv.totalMinor - inv.paidMinor;
    const amountMinor = partial ? Math.floor(balance / 2) : balance;
    if (amountMinor <= 0) continue;
    const receivedOn = addDays(inv.dueOn, -3);
    await recordPayment(db, inv.hostId, DEMO_ACTOR, inv.customerId, {
      method: 'ach',
      reference: `DEMO-${inv.id.slice(0, 8).toUpperCase()}`,
      received_on: receivedOn > today ? today : receivedOn,
      amount_minor: amountMinor,
      currency: inv.currency,
      invoice_id: inv.id,
    });
    result.payments += 1;
  }
  result.overdue = await markOverdue(db, now);
  return result;
}

/** Whether the demo's history was built already (any invoice of these hosts): `npm start` runs this every time. */
export async function hasBillingHistory(db: Db, hostIds: readonly string[]): Promise<boolean> {
  const [row] = await db.select({ id: invoices.id }).from(invoices).where(inArray(invoices.hostId, [...hostIds])).limit(1);
  return row !== undefined;
}
