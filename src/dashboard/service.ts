/**
 * Host OS → Dashboard (docs/billing/payments.md, "Dashboard"): the staff home. Every D1 read
 * travels in ONE batch (a fixed number of statements whatever the host's size), then the live
 * part asks each site's SiteState for totals and history (one RPC per site, in parallel).
 */
import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { AGING_BUCKETS, emptyAging, type AgingBucket, type CurrencyPosition } from '../billing/financials';
import { microsTimesMilliAmountMinor } from '../billing/money';
import { addMonths, periodHolding, zonedDate, type BillingPeriod, billingPeriod } from '../billing/periods';
import { customerStatusSql, CUSTOMER_STATUSES, type CustomerStatus } from '../customers/status';
import type { Db } from '../db/client';
import { alerts, billingSettings, contracts, customers, invoices } from '../db/schema';
import type { LiveSource } from '../live/client';
import { hostFleetOverview, hostFleetSitesQuery, type FleetSummary } from '../telemetry/fleet';
import type { HistoryPoint } from '../telemetry/types';

const OPEN_SQL = sql.raw(`('issued', 'partially_paid', 'overdue')`);

/** SQL for an open invoice's aging bucket: whole days from due_on to today (host-zone dates). */
const bucketSql = (today: string) => sql<AgingBucket>`CASE
  WHEN due_on IS NULL OR julianday(${today}) - julianday(due_on) <= 0 THEN 'current'
  WHEN julianday(${today}) - julianday(due_on) <= 30 THEN 'd1_30'
  WHEN julianday(${today}) - julianday(due_on) <= 60 THEN 'd31_60'
  WHEN julianday(${today}) - julianday(due_on) <= 90 THEN 'd61_90'
  ELSE 'd90_plus' END`;

export interface CustomerBalance {
  customerId: string;
  name: string;
  currency: string;
  outstandingMinor: number;
  overdueMinor: number;
}

export interface ExpectedRevenue {
  currency: string;
  /** Fixed monthly fees: hosted fixed-per-unit and lease (fee × active units), O&M (fee). */
  fixedMinor: number;
  /** Infinity: TH/s × the period's days × price per TH per day. */
  infinityMinor: number;
  /** Per-kWh hosted contracts: their energy lines of the last closed period, as the estimate. */
  energyEstimateMinor: number;
  totalMinor: number;
  contracts: number;
}

export interface DashboardData {
  today: string;
  /** The running period (what "expected" covers) and the last closed one (what was billed this month). */
  currentPeriod: BillingPeriod;
  billedPeriod: BillingPeriod;
  receivables: CurrencyPosition[];
  topBalances: CustomerBalance[];
  billed: { currency: string; invoices: number; totalMinor: number }[];
  expected: ExpectedRevenue[];
  /** Active per-kWh contracts that had no energy line last period (estimated at zero). */
  perKwhWithoutHistory: number;
  fleet: FleetSummary;
  history: HistoryPoint[];
  openAlerts: number;
  customersByStatus: Record<CustomerStatus, number>;
  customersTotal: number;
}

export const TOP_BALANCES = 10;

export async function loadDashboard(db: Db, env: LiveSource, host: { id: string; timezone: string }, now = Date.now()): Promise<DashboardData> {
  const hostId = host.id;
  const today = zonedDate(now, host.timezone);
  // The last closed period is one of the two months before this one, whichever the billing day
  // (read in the same batch) makes it: read both, pick after.
  const thisMonth = `${today.slice(0, 7)}-01`;
  const candidateKeys = [addMonths(thisMonth, -1).slice(0, 7), addMonths(thisMonth, -2).slice(0, 7)] as const;
  const bucket = bucketSql(today);
  const energyOf = (key: string) =>
    sql<number>`(SELECT coalesce(sum(l.amount_minor), 0) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE l.contract_id = "contracts"."id" AND l.kind = 'energy' AND i.period_key = ${key} AND i.status <> 'void')`;
  const energyLinesOf = (key: string) =>
    sql<number>`(SELECT count(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE l.contract_id = "contracts"."id" AND l.kind = 'energy' AND i.period_key = ${key} AND i.status <> 'void')`;

  const [settingsRows, agingRows, balanceRows, billedRows, contractRows, fleetRows, alertRows, statusRows] = await db.batch([
    db.select({ billingDay: billingSettings.billingDay }).from(billingSettings).where(eq(billingSettings.hostId, hostId)),
    db
      .select({ currency: invoices.currency, bucket: bucket.as('bucket'), balance: sql<number>`sum(total_minor - paid_minor)`.as('balance') })
      .from(invoices)
      .where(and(eq(invoices.hostId, hostId), sql`status IN ${OPEN_SQL}`))
      .groupBy(invoices.currency, sql`bucket`),
    db
      .select({
        customerId: invoices.customerId,
        name: customers.name,
        currency: invoices.currency,
        outstanding: sql<number>`sum(${invoices.totalMinor} - ${invoices.paidMinor})`.as('outstanding'),
        overdue: sql<number>`sum(CASE WHEN ${invoices.dueOn} < ${today} THEN ${invoices.totalMinor} - ${invoices.paidMinor} ELSE 0 END)`.as('overdue'),
      })
      .from(invoices)
      .innerJoin(customers, and(eq(customers.id, invoices.customerId), eq(customers.hostId, hostId)))
      .where(and(eq(invoices.hostId, hostId), sql`${invoices.status} IN ${OPEN_SQL}`))
      .groupBy(invoices.customerId, invoices.currency)
      .orderBy(sql`outstanding DESC`)
      .limit(TOP_BALANCES),
    db
      .select({ periodKey: invoices.periodKey, currency: invoices.currency, invoices: count(), total: sql<number>`sum(${invoices.totalMinor})`.as('total') })
      .from(invoices)
      .where(and(eq(invoices.hostId, hostId), sql`${invoices.status} NOT IN ('draft', 'void')`, sql`${invoices.periodKey} IN (${candidateKeys[0]}, ${candidateKeys[1]})`))
      .groupBy(invoices.periodKey, invoices.currency),
    db
      .select({
        id: contracts.id,
        kind: contracts.kind,
        pricing: contracts.pricing,
        currency: contracts.currency,
        monthlyFeeMinor: contracts.monthlyFeeMinor,
        infinityMths: contracts.infinityMths,
        priceMicrosPerThDay: contracts.priceMicrosPerThDay,
        units: sql<number>`(SELECT count(*) FROM contract_miners cm WHERE cm.contract_id = "contracts"."id" AND cm.active = 1)`.as('units'),
        energy0: energyOf(candidateKeys[0]).as('energy0'),
        energy1: energyOf(candidateKeys[1]).as('energy1'),
        energyLines0: energyLinesOf(candidateKeys[0]).as('energy_lines0'),
        energyLines1: energyLinesOf(candidateKeys[1]).as('energy_lines1'),
      })
      .from(contracts)
      .where(and(eq(contracts.hostId, hostId), eq(contracts.status, 'active'))),
    // The host's fleet (every unit not retired) as one row per site: the fleet summary's light read.
    hostFleetSitesQuery(db, hostId),
    db.select({ open: count() }).from(alerts).where(and(eq(alerts.hostId, hostId), isNull(alerts.closedAt))),
    db
      .select({ status: customerStatusSql.as('status'), customers: count() })
      .from(customers)
      .where(eq(customers.hostId, hostId))
      .groupBy(sql`status`),
  ]);

  const billingDay = settingsRows[0]?.billingDay ?? 1;
  const currentPeriod = periodHolding(today, billingDay, host.timezone);
  const billedPeriod = billingPeriod(addMonths(currentPeriod.start, -1).slice(0, 7), billingDay, host.timezone);
  const billedIndex = billedPeriod.key === candidateKeys[0] ? 0 : 1;

  const receivables = new Map<string, CurrencyPosition>();
  for (const row of agingRows) {
    let p = receivables.get(row.currency);
    if (!p) receivables.set(row.currency, (p = { currency: row.currency, outstandingMinor: 0, overdueMinor: 0, creditMinor: 0, aging: emptyAging() }));
    const amount = Number(row.balance);
    p.aging[row.bucket] += amount;
    p.outstandingMinor += amount;
    if (row.bucket !== 'current') p.overdueMinor += amount;
  }

  const expected = new Map<string, ExpectedRevenue>();
  let perKwhWithoutHistory = 0;
  for (const c of contractRows) {
    let e = expected.get(c.currency);
    if (!e) expected.set(c.currency, (e = { currency: c.currency, fixedMinor: 0, infinityMinor: 0, energyEstimateMinor: 0, totalMinor: 0, contracts: 0 }));
    e.contracts += 1;
    const fee = c.monthlyFeeMinor ?? 0;
    if (c.kind === 'lease' || (c.kind === 'hosted' && c.pricing === 'fixed_per_unit')) e.fixedMinor += fee * c.units;
    else if (c.kind === 'om') e.fixedMinor += fee;
    else if (c.kind === 'infinity') {
      e.infinityMinor += microsTimesMilliAmountMinor(c.priceMicrosPerThDay ?? 0, BigInt(c.infinityMths ?? 0) * BigInt(currentPeriod.days), c.currency);
    } else if (c.kind === 'hosted') {
      e.energyEstimateMinor += Number(billedIndex === 0 ? c.energy0 : c.energy1);
      if (Number(billedIndex === 0 ? c.energyLines0 : c.energyLines1) === 0) perKwhWithoutHistory += 1;
    }
  }
  for (const e of expected.values()) e.totalMinor = e.fixedMinor + e.infinityMinor + e.energyEstimateMinor;

  const customersByStatus = Object.fromEntries(CUSTOMER_STATUSES.map((s) => [s, 0])) as Record<CustomerStatus, number>;
  for (const row of statusRows) customersByStatus[row.status] = row.customers;

  const { summary: fleet, history } = await hostFleetOverview(env, fleetRows, now);

  return {
    today,
    currentPeriod,
    billedPeriod,
    receivables: [...receivables.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    topBalances: balanceRows.map((r) => ({ customerId: r.customerId, name: r.name, currency: r.currency, outstandingMinor: Number(r.outstanding), overdueMinor: Number(r.overdue) })),
    billed: billedRows.filter((r) => r.periodKey === billedPeriod.key).map((r) => ({ currency: r.currency, invoices: r.invoices, totalMinor: Number(r.total) })),
    expected: [...expected.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    perKwhWithoutHistory,
    fleet,
    history,
    openAlerts: alertRows[0]?.open ?? 0,
    customersByStatus,
    customersTotal: statusRows.reduce((sum, row) => sum + row.customers, 0),
  };
}

export { AGING_BUCKETS };
