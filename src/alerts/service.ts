import { customerInSiteScope, inSiteScope, type SiteScope } from '../team/scope';
import { and, asc, count, desc, eq, gt, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { activityInsert, type Actor, type Changes } from '../activity/service';
import { can, requireThat } from '../auth/permissions';
import type { StaffSession } from '../auth/staff-session';
import { csvCell } from '../customers/csv';
import type { Db } from '../db/client';
import { alertRules, alerts, customers, miners, sites } from '../db/schema';
import { decodeCursor, encodeCursor, keysetPage } from '../lib/cursor';
import { parseInput } from '../lib/validation';
import { loadAlertRules, type AlertRules } from '../telemetry/alerts';
import { unitName } from '../equipment/naming';
import { describeAlert, type AlertKind } from './describe';
import { alertRulesSchema, listAlertsQuerySchema, type AlertRulesInput, type ListAlertsQuery } from './schema';

/** An alert with what a person needs to read it: the miner, its customer and site by name. */
export interface AlertView {
  id: string;
  kind: AlertKind;
  detail: string | null;
  openedAt: number;
  closedAt: number | null;
  emailedAt: number | null;
  /** The maintenance window (announcement id) the alert opened in: recorded, not emailed. */
  suppressedBy: string | null;
  siteId: string;
  siteName: string | null;
  minerId: string;
  minerSerial: string | null;
  minerMac: string | null;
  minerModel: string | null;
  minerRackLocation: string | null;
  customerId: string | null;
  customerName: string | null;
}

export interface AlertPage {
  items: AlertView[];
  total: number;
  nextCursor: string | null;
  prevCursor: string | null;
}

export const ALERT_PAGE_SIZE = 50;

/** The miner of an alert, named for people (`unitName`). */
export const alertMinerName = (alert: AlertView) =>
  unitName({ id: alert.minerId, model: alert.minerModel, rackLocation: alert.minerRackLocation, serial: alert.minerSerial, mac: alert.minerMac });

export const alertText = (alert: Pick<AlertView, 'kind' | 'detail'>) => describeAlert(alert.kind, alert.detail);

const alertColumns = {
  id: alerts.id,
  kind: alerts.kind,
  detail: alerts.detail,
  openedAt: alerts.openedAt,
  closedAt: alerts.closedAt,
  emailedAt: alerts.emailedAt,
  suppressedBy: alerts.suppressedBy,
  siteId: alerts.siteId,
  // Aliased: D1 batch results are keyed by column name, and sites.name would collide with customers.name.
  siteName: sql<string | null>`${sites.name}`.as('site_name'),
  minerId: alerts.minerId,
  minerSerial: miners.serial,
  minerMac: miners.mac,
  minerModel: miners.model,
  minerRackLocation: miners.rackLocation,
  customerId: alerts.customerId,
  customerName: sql<string | null>`${customers.name}`.as('customer_name'),
};

/**
 * Who may see an alert. Staff see every alert of their host. A customer sees an alert only while
 * it was raised for them AND the miner is still assigned to them: a unit that moves to another
 * customer takes neither its past alerts to the new owner nor new ones to the old.
 * (Raw SQL with table-qualified names: drizzle prints one-table columns unqualified, which in
 * this subquery would bind to miners.host_id.)
 */
const ownedByCustomer = (customerId: string) =>
  and(
    eq(alerts.customerId, customerId),
    sql`EXISTS (SELECT 1 FROM miners AS owned WHERE owned.id = "alerts"."miner_id" AND owned.host_id = "alerts"."host_id"
      AND owned.customer_id = ${customerId} AND owned.status = 'assigned')`,
  );

export interface AlertScope {
  /** Portal: only this customer's own alerts (see ownedByCustomer). */
  customerId?: string;
  /** Staff limited to some sites (src/team/scope.ts): only those sites' alerts. */
  siteIds?: SiteScope;
}

function alertFilters(hostId: string, query: ListAlertsQuery, scope: AlertScope): (SQL | undefined)[] {
  return [
    eq(alerts.hostId, hostId),
    query.site_id ? eq(alerts.siteId, query.site_id) : undefined,
    query.customer_id ? eq(alerts.customerId, query.customer_id) : undefined,
    query.miner_id ? eq(alerts.minerId, query.miner_id) : undefined,
    query.kind ? eq(alerts.kind, query.kind) : undefined,
    query.state === 'open' ? isNull(alerts.closedAt) : query.state === 'closed' ? isNotNull(alerts.closedAt) : undefined,
    scope.customerId ? ownedByCustomer(scope.customerId) : undefined,
    inSiteScope(alerts.siteId, scope.siteIds),
  ];
}

/**
 * Alerts newest first (opened_at, then id), keyset-paged both ways like the customer list, with
 * the filtered total: two statements in one round trip whatever the page.
 */
export async function listAlerts(db: Db, hostId: string, rawQuery: unknown, scope: AlertScope = {}): Promise<AlertPage> {
  const list = alertListQueries(db, hostId, rawQuery, scope);
  const [rows, totals] = await db.batch(list.queries);
  return list.read(rows, totals);
}

/**
 * listAlerts' two statements, unexecuted (so a page can send them in a batch of its own), and
 * how to make the page from their rows.
 */
export function alertListQueries(db: Db, hostId: string, rawQuery: unknown, scope: AlertScope = {}) {
  const query = parseInput(listAlertsQuerySchema, rawQuery);
  const limit = query.limit ?? ALERT_PAGE_SIZE;
  const filters = alertFilters(hostId, query, scope);

  const goingBack = query.before !== undefined;
  const cursorText = query.before ?? query.cursor;
  const keyset = cursorText ? decodeCursor(cursorText, goingBack ? 'before' : 'cursor') : null;
  const pageFilters = [...filters];
  if (keyset) {
    const [openedAt, id] = keyset;
    const at = Number(openedAt);
    // Newest first; walking back reads the newer neighbours in ascending order, then flips them.
    pageFilters.push(
      goingBack
        ? or(gt(alerts.openedAt, at), and(eq(alerts.openedAt, at), gt(alerts.id, id)))
        : or(lt(alerts.openedAt, at), and(eq(alerts.openedAt, at), lt(alerts.id, id))),
    );
  }
  const order = goingBack ? [asc(alerts.openedAt), asc(alerts.id)] : [desc(alerts.openedAt), desc(alerts.id)];

  const queries = [
    db
      .select(alertColumns)
      .from(alerts)
      .leftJoin(miners, and(eq(miners.id, alerts.minerId), eq(miners.hostId, alerts.hostId)))
      .leftJoin(customers, and(eq(customers.id, alerts.customerId), eq(customers.hostId, alerts.hostId)))
      .leftJoin(sites, and(eq(sites.id, alerts.siteId), eq(sites.hostId, alerts.hostId)))
      .where(and(...pageFilters))
      .orderBy(...order)
      .limit(limit + 1),
    db
      .select({ total: count() })
      .from(alerts)
      .where(and(...filters)),
  ] as const;
  const read = (rows: AlertView[], totals: { total: number }[]): AlertPage => {
    const { page, nextCursor, prevCursor } = keysetPage(rows, limit, { goingBack, fromCursor: keyset !== null }, (row) => encodeCursor([row.openedAt, row.id]));
    return { items: page, total: totals[0]?.total ?? 0, nextCursor, prevCursor };
  };
  return { queries, read };
}

/** The portal's Alerts page: every open alert first (newest first), then a page of closed ones. */
export async function listCustomerAlerts(db: Db, hostId: string, customerId: string, page: { cursor?: string; before?: string } = {}) {
  const [open, closed] = await Promise.all([
    listAlerts(db, hostId, { state: 'open', limit: 200 }, { customerId }),
    listAlerts(db, hostId, { state: 'closed', ...page }, { customerId }),
  ]);
  return { open, closed };
}

/** Filter choices for the staff Alerts page: the host's sites, and customers who have alerts. */
export async function alertFilterOptions(db: Db, hostId: string, siteScope?: SiteScope) {
  const [siteRows, customerRows] = await db.batch([
    db.select({ id: sites.id, name: sites.name }).from(sites).where(and(eq(sites.hostId, hostId), inSiteScope(sites.id, siteScope))).orderBy(asc(sites.name), asc(sites.id)),
    db
      .select({ id: customers.id, name: customers.name })
      .from(customers)
      .where(and(eq(customers.hostId, hostId), sql`EXISTS (SELECT 1 FROM alerts AS a WHERE a.customer_id = "customers"."id")`, customerInSiteScope(customers.id, siteScope)))
      .orderBy(asc(customers.sortName), asc(customers.id))
      .limit(500),
  ]);
  return { sites: siteRows, customers: customerRows };
}

// ---------------------------------------------------------------------------------------------
// CSV export of the staff list (same filters, same order).

export const ALERTS_CSV_MAX_ROWS = 10_000;

const CSV_HEADER = [
  'id',
  'kind',
  'state',
  'detail',
  'miner_id',
  'miner',
  'customer_id',
  'customer',
  'site_id',
  'site',
  'opened_at',
  'closed_at',
  'duration_seconds',
  'emailed_at',
] as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function alertsCsv(db: Db, hostId: string, rawQuery: unknown, now = Date.now(), siteScope?: SiteScope): Promise<string> {
  const query = parseInput(listAlertsQuerySchema, rawQuery);
  const rows = await db
    .select(alertColumns)
    .from(alerts)
    .leftJoin(miners, and(eq(miners.id, alerts.minerId), eq(miners.hostId, alerts.hostId)))
    .leftJoin(customers, and(eq(customers.id, alerts.customerId), eq(customers.hostId, alerts.hostId)))
    .leftJoin(sites, and(eq(sites.id, alerts.siteId), eq(sites.hostId, alerts.hostId)))
    .where(and(...alertFilters(hostId, { ...query, cursor: undefined, before: undefined }, { siteIds: siteScope })))
    .orderBy(desc(alerts.openedAt), desc(alerts.id))
    .limit(ALERTS_CSV_MAX_ROWS)
    .all();
  const lines = [CSV_HEADER.join(',')];
  for (const row of rows) {
    lines.push(
      [
        row.id,
        row.kind,
        row.closedAt === null ? 'open' : 'closed',
        alertText(row),
        row.minerId,
        alertMinerName(row),
        row.customerId,
        row.customerName,
        row.siteId,
        row.siteName,
        iso(row.openedAt),
        iso(row.closedAt),
        Math.round(((row.closedAt ?? now) - row.openedAt) / 1000),
        iso(row.emailedAt),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

// ---------------------------------------------------------------------------------------------
// Host alert rules.

export const rulesToInput = (rules: AlertRules): AlertRulesInput => ({
  offline_minutes: rules.offlineMinutes,
  low_hashrate_pct: rules.lowHashratePct,
  low_hashrate_minutes: rules.lowHashrateMinutes,
  over_temp_c: rules.overTempC,
  over_temp_minutes: rules.overTempMinutes,
  cooldown_minutes: rules.cooldownMinutes,
  email_customer: rules.emailCustomer,
});

export async function getAlertRules(db: Db, hostId: string): Promise<AlertRulesInput> {
  return rulesToInput(await loadAlertRules(db, hostId));
}

/**
 * Owner or admin: validates, upserts the host's row and records what changed, in one batch.
 * SiteState objects re-read the rules within a minute (RULES_REFRESH_MS in site-state.ts).
 */
export async function updateAlertRules(db: Db, session: StaffSession, actor: Actor, raw: unknown): Promise<AlertRulesInput> {
  requireThat(can.manageAlertRules(session.role), 'Only an owner or admin can change alert rules.');
  const input = parseInput(alertRulesSchema, raw);
  const hostId = session.host.id;
  const before = await getAlertRules(db, hostId);
  const changes: Changes = {};
  for (const key of Object.keys(input) as (keyof AlertRulesInput)[]) {
    if (before[key] !== input[key]) changes[key] = [before[key], input[key]];
  }
  const now = Date.now();
  const values = {
    offlineMinutes: input.offline_minutes,
    lowHashratePct: input.low_hashrate_pct,
    lowHashrateMinutes: input.low_hashrate_minutes,
    overTempC: input.over_temp_c,
    overTempMinutes: input.over_temp_minutes,
    cooldownMinutes: input.cooldown_minutes,
    emailCustomer: input.email_customer,
    updatedAt: now,
  };
  const upsert = db
    .insert(alertRules)
    .values({ hostId, ...values })
    .onConflictDoUpdate({ target: alertRules.hostId, set: values });
  if (Object.keys(changes).length === 0) {
    await upsert;
  } else {
    await db.batch([upsert, activityInsert(db, hostId, actor, 'alert_rules.updated', null, changes, now)]);
  }
  return input;
}
