/**
 * Default cases and pool redirects (issue 10, docs/DEFAULT.md).
 *
 * A case opens for a customer (automatically after the grace days past an overdue invoice's due
 * date, or by staff with a reason). A redirect points the case's units (all, or the most
 * efficient share) at the host's holding pool: each unit gets a `pool_redirect_units` row that
 * records the pool it reported when the redirect started, and the agent config
 * (src/telemetry/agent-config.ts) serves the unit's desired pool from those rows. Progress is
 * evaluated against live state (`syncRedirects`, by the cron and on every view of the case), with
 * guarded UPDATEs so two evaluations at once change a unit once.
 */
import { and, asc, desc, eq, getTableColumns, inArray, isNotNull, isNull, ne, or, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { activityInsert, activityInsertIfChanged, type ActivityEntry, type Actor, type Changes } from '../activity/service';
import type { Db } from '../db/client';
import { activityLog, credits, customers, defaultCases, hosts, invoices, miners, poolRedirects, poolRedirectUnits, sites } from '../db/schema';
import type { Bindings } from '../env';
import { openHost } from '../hosts/open';
import { minerIdent, unitIdent } from '../equipment/naming';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { liveShardsOf, readLive, refreshSitePoolFacts, withLiveShards } from '../live/client';
import type { LiveMiner } from '../telemetry/types';
import { getDefaultSettings, holdingPoolsOf, renderWorker, type DefaultSettings, type HoldingPool } from './settings';
import { noticeStatements, type Notice } from './notices';

export type LiveEnv = Pick<Bindings, 'SITE_STATE'>;
/** What a change that may email needs: the queue, and where the portal answers (links). */
export type DefaultEnv = Pick<Bindings, 'SITE_STATE' | 'EMAIL_QUEUE' | 'APP_HOST' | 'ENVIRONMENT'>;
export type CaseRow = typeof defaultCases.$inferSelect;
export type RedirectRow = typeof poolRedirects.$inferSelect;
export type RedirectUnitRow = typeof poolRedirectUnits.$inferSelect;

export const SYSTEM_DEFAULT_ACTOR: Actor = { kind: 'system', id: null, label: 'System' };
export const AGENT_ACTOR: Actor = { kind: 'system', id: null, label: 'Agent' };

const conflict = (message: string) => new AppError('conflict', message);

// ---------------------------------------------------------------------------------------------
// Reading.

export async function getCase(db: Db, hostId: string, caseId: string): Promise<CaseRow> {
  const row = await db.select().from(defaultCases).where(and(eq(defaultCases.hostId, hostId), eq(defaultCases.id, caseId))).get();
  if (!row) throw notFound('Default case');
  return row;
}

async function customerOf(db: Db, hostId: string, customerId: string) {
  const row = await db
    .select({ id: customers.id, name: customers.name, active: customers.active, contactEmail: customers.contactEmail, billingEmail: customers.billingEmail })
    .from(customers)
    .where(and(eq(customers.hostId, hostId), eq(customers.id, customerId)))
    .get();
  if (!row) throw notFound('Customer');
  return row;
}

export interface OverdueAmount {
  currency: string;
  amountMinor: number;
}

/** What the customer owes past due now: Σ (total − paid) of its overdue invoices, per currency. */
export async function overdueAmounts(db: Db, hostId: string, customerId: string): Promise<OverdueAmount[]> {
  const rows = await db
    .select({ currency: invoices.currency, amountMinor: sql<number>`sum(${invoices.totalMinor} - ${invoices.paidMinor})` })
    .from(invoices)
    .where(and(eq(invoices.hostId, hostId), eq(invoices.customerId, customerId), eq(invoices.status, 'overdue')))
    .groupBy(invoices.currency);
  return rows.filter((r) => r.amountMinor > 0);
}

async function oldestOverdueInvoice(db: Db, hostId: string, customerId: string) {
  return db
    .select({ id: invoices.id, number: invoices.number, dueOn: invoices.dueOn })
    .from(invoices)
    .where(and(eq(invoices.hostId, hostId), eq(invoices.customerId, customerId), eq(invoices.status, 'overdue')))
    .orderBy(asc(invoices.dueOn), asc(invoices.id))
    .get();
}

export async function listCases(db: Db, hostId: string, customerId: string): Promise<CaseRow[]> {
  await customerOf(db, hostId, customerId);
  return db.select().from(defaultCases).where(and(eq(defaultCases.hostId, hostId), eq(defaultCases.customerId, customerId))).orderBy(desc(defaultCases.openedAt)).limit(100);
}

export async function redirectsOfCase(db: Db, hostId: string, caseId: string): Promise<RedirectRow[]> {
  return db.select().from(poolRedirects).where(and(eq(poolRedirects.hostId, hostId), eq(poolRedirects.defaultCaseId, caseId))).orderBy(desc(poolRedirects.startedAt));
}

export interface UnitProgress extends RedirectUnitRow {
  serial: string | null;
  mac: string | null;
  model: string | null;
  siteName: string | null;
}

export async function unitsOfRedirects(db: Db, hostId: string, redirectIds: string[]): Promise<UnitProgress[]> {
  if (redirectIds.length === 0) return [];
  const rows = await db
    .select({ unit: poolRedirectUnits, serial: miners.serial, mac: miners.mac, model: miners.model, siteName: sites.name })
    .from(poolRedirectUnits)
    .leftJoin(miners, eq(miners.id, poolRedirectUnits.minerId))
    .leftJoin(sites, eq(sites.id, poolRedirectUnits.siteId))
    .where(and(eq(poolRedirectUnits.hostId, hostId), inArray(poolRedirectUnits.redirectId, redirectIds.slice(0, 50))))
    .orderBy(asc(poolRedirectUnits.joinedAt), asc(miners.serial), asc(poolRedirectUnits.id))
    .limit(5000);
  return rows.map((r) => ({ ...r.unit, serial: r.serial, mac: r.mac, model: r.model, siteName: r.siteName }));
}

/** Hashrate credit a case has earned (kind hashrate, detail names the case), per currency. */
export async function creditEarned(db: Db, hostId: string, caseId: string): Promise<OverdueAmount[]> {
  return db
    .select({ currency: credits.currency, amountMinor: sql<number>`sum(${credits.amountMinor})` })
    .from(credits)
    .where(and(eq(credits.hostId, hostId), eq(credits.kind, 'hashrate'), sql`json_extract(${credits.detail}, '$.default_case_id') = ${caseId}`))
    .groupBy(credits.currency);
}

/** How many entries the Default status tab shows of a case's history (the Activity tab has them all). */
export const CASE_TIMELINE_LIMIT = 50;

/**
 * A case's history, newest first: its own steps and its redirects' (opened, redirect started and
 * ended, units confirmed or failed, credit posted, closed), from the activity log. The entries
 * of this customer in those families since the case opened (and until it closed).
 */
export async function caseTimeline(db: Db, hostId: string, caseRow: CaseRow): Promise<ActivityEntry[]> {
  const rows = await db
    .select({ id: activityLog.id, actorKind: activityLog.actorKind, actorLabel: activityLog.actorLabel, action: activityLog.action, changes: activityLog.changes, createdAt: activityLog.createdAt })
    .from(activityLog)
    .where(
      and(
        eq(activityLog.hostId, hostId),
        eq(activityLog.customerId, caseRow.customerId),
        sql`${activityLog.createdAt} >= ${caseRow.openedAt}`,
        caseRow.closedAt === null ? undefined : sql`${activityLog.createdAt} <= ${caseRow.closedAt}`,
        or(
          sql`${activityLog.action} LIKE 'default.%'`,
          sql`${activityLog.action} LIKE 'redirect.%'`,
          sql`${activityLog.action} LIKE 'restore.%'`,
          eq(activityLog.action, 'hashrate_credit.posted'),
        ),
      ),
    )
    .orderBy(desc(sql`${activityLog}.rowid`))
    .limit(CASE_TIMELINE_LIMIT);
  return rows.map((r) => ({ ...r, changes: r.changes ? (JSON.parse(r.changes) as Changes) : null }));
}

export interface CaseSummary {
  openCase: CaseRow | null;
  activeRedirect: RedirectRow | null;
  overdue: OverdueAmount[];
  earned: OverdueAmount[];
}

/** The portal banner's facts: the open case, its active redirect, what is owed and earned. */
export async function caseSummary(db: Db, hostId: string, customerId: string): Promise<CaseSummary> {
  const [openRows, redirectRows] = await db.batch([
    db.select().from(defaultCases).where(and(eq(defaultCases.hostId, hostId), eq(defaultCases.customerId, customerId), isNull(defaultCases.closedAt))).limit(1),
    db.select().from(poolRedirects).where(and(eq(poolRedirects.hostId, hostId), eq(poolRedirects.customerId, customerId), isNull(poolRedirects.endedAt))).limit(1),
  ]);
  const openCase = openRows[0] ?? null;
  if (!openCase && !redirectRows[0]) return { openCase: null, activeRedirect: null, overdue: [], earned: [] };
  const [overdue, earned] = await Promise.all([overdueAmounts(db, hostId, customerId), openCase ? creditEarned(db, hostId, openCase.id) : Promise.resolve([])]);
  return { openCase, activeRedirect: redirectRows[0] ?? null, overdue, earned };
}

// ---------------------------------------------------------------------------------------------
// Opening and closing.

const REASON_MAX = 500;

export async function openCase(db: Db, env: DefaultEnv, hostId: string, actor: Actor, customerId: string, raw: { reason?: unknown }, now = Date.now()): Promise<CaseRow> {
  const customer = await customerOf(db, hostId, customerId);
  const reason = typeof raw.reason === 'string' ? raw.reason.trim() : '';
  if (!reason) throw new ValidationError({ reason: 'Say why the customer is in default (shown to the customer).' });
  if (reason.length > REASON_MAX) throw new ValidationError({ reason: `Use at most ${REASON_MAX} characters.` });
  const invoice = await oldestOverdueInvoice(db, hostId, customer.id);
  return insertCase(db, env, hostId, actor, customer, { reason, invoiceId: invoice?.id ?? null }, now);
}

async function insertCase(
  db: Db,
  env: DefaultEnv,
  hostId: string,
  actor: Actor,
  customer: { id: string; name: string; contactEmail: string; billingEmail: string | null },
  fields: { reason: string; invoiceId: string | null },
  now: number,
): Promise<CaseRow> {
  const row: CaseRow = { id: newId(), hostId, customerId: customer.id, reason: fields.reason, openedAt: now, closedAt: null, invoiceId: fields.invoiceId, openedBy: actor.label, closedBy: null, closeReason: null, creditNoticeAt: null };
  const settings = await getDefaultSettings(db, hostId);
  const notice = await noticeStatements(db, env, hostId, customer, settings, { kind: 'opened', reason: fields.reason }, now);
  const results = await db.batch([
    db.insert(defaultCases).values(row).onConflictDoNothing().returning({ id: defaultCases.id }),
    activityInsertIfChanged(db, hostId, actor, 'default.opened', customer.id, { reason: [null, fields.reason], _case: [null, row.id] }, now),
    ...notice.statementsIf(sql`EXISTS (SELECT 1 FROM default_cases WHERE id = ${row.id})`),
  ] as unknown as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  if ((results[0] as unknown[]).length === 0) throw conflict(`${customer.name} already has an open default case.`);
  await notice.queue(env);
  return row;
}

export async function closeCase(db: Db, env: DefaultEnv, hostId: string, actor: Actor, caseId: string, raw: { reason?: unknown }, now = Date.now()): Promise<CaseRow> {
  const row = await getCase(db, hostId, caseId);
  if (row.closedAt !== null) throw conflict('This default case is already closed.');
  const reason = typeof raw.reason === 'string' && raw.reason.trim() ? raw.reason.trim() : 'Closed by hand';
  if (reason.length > REASON_MAX) throw new ValidationError({ reason: `Use at most ${REASON_MAX} characters.` });
  const active = await activeRedirectOf(db, hostId, row.customerId);
  const statements: BatchItem<'sqlite'>[] = [];
  if (active) statements.push(...endRedirectStatements(db, hostId, actor, active, now));
  statements.push(
    db
      .update(defaultCases)
      .set({ closedAt: now, closedBy: actor.label, closeReason: reason })
      .where(and(eq(defaultCases.hostId, hostId), eq(defaultCases.id, row.id), isNull(defaultCases.closedAt))),
    activityInsertIfChanged(db, hostId, actor, 'default.closed', row.customerId, { reason: [null, reason], _case: [null, row.id] }, now),
  );
  const customer = await customerOf(db, hostId, row.customerId);
  const settings = await getDefaultSettings(db, hostId);
  const notice = active ? await noticeStatements(db, env, hostId, customer, settings, { kind: 'restored' }, now) : null;
  await db.batch([...statements, ...(notice?.statementsIf(sql`1`) ?? [])] as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  await notice?.queue(env);
  if (active) await refreshPoolGuards(db, env, hostId, row.customerId, active.id);
  return getCase(db, hostId, row.id);
}

// ---------------------------------------------------------------------------------------------
// Redirect: which units, from which pool to which.

export interface RedirectScope {
  scope: 'all' | 'count' | 'percent';
  value: number | null;
}

export function parseScope(raw: { scope?: unknown; count?: unknown; percent?: unknown }): RedirectScope {
  const scope = raw.scope === undefined || raw.scope === '' ? 'all' : raw.scope;
  if (scope !== 'all' && scope !== 'count' && scope !== 'percent') throw new ValidationError({ scope: 'Choose all units, a number of units, or a percentage.' });
  if (scope === 'all') return { scope, value: null };
  const text = String(scope === 'count' ? (raw.count ?? '') : (raw.percent ?? '')).trim();
  const value = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (scope === 'count' && !(value >= 1)) throw new ValidationError({ count: 'Enter how many units to redirect (1 or more).' });
  if (scope === 'percent' && !(value >= 1 && value <= 100)) throw new ValidationError({ percent: 'Enter a percentage from 1 to 100.' });
  return { scope, value };
}

interface EligibleUnit {
  id: string;
  siteId: string;
  serial: string | null;
  mac: string | null;
  model: string | null;
  siteName: string | null;
  /** The site's SiteState shard count (live reads). */
  liveShards: number | null;
  ownerPoolUrl: string | null;
  ownerPoolUser: string | null;
  /** Nominal J/TH × 1000 (integer), null without specs. */
  efficiencyMjth: number | null;
}

/** The customer's units that can mine: on a site, not retired. */
async function eligibleUnits(db: Db, hostId: string, customerId: string): Promise<EligibleUnit[]> {
  const rows = await db
    .select({
      id: miners.id,
      siteId: miners.siteId,
      serial: miners.serial,
      mac: miners.mac,
      model: miners.model,
      siteName: sites.name,
      liveShards: sites.liveShards,
      ownerPoolUrl: miners.ownerPoolUrl,
      ownerPoolUser: miners.ownerPoolUser,
      powerW: miners.nominalPowerW,
      mths: miners.nominalHashrateMths,
    })
    .from(miners)
    .leftJoin(sites, eq(sites.id, miners.siteId))
    .where(and(eq(miners.hostId, hostId), eq(miners.customerId, customerId), isNotNull(miners.siteId), ne(miners.status, 'retired')))
    .limit(5000);
  return rows.map((r) => ({ ...r, siteId: r.siteId!, efficiencyMjth: r.powerW && r.mths ? Math.round((r.powerW * 1_000_000) / r.mths) : null }));
}

/** Most efficient first (lowest nominal J/TH); units without specs last; then by serial. */
export function pickUnits<T extends { efficiencyMjth: number | null; serial: string | null; id: string }>(units: T[], scope: RedirectScope): T[] {
  const sorted = [...units].sort(
    (a, b) =>
      (a.efficiencyMjth ?? Number.MAX_SAFE_INTEGER) - (b.efficiencyMjth ?? Number.MAX_SAFE_INTEGER) ||
      (a.serial ?? '').localeCompare(b.serial ?? '') ||
      a.id.localeCompare(b.id),
  );
  if (scope.scope === 'all') return sorted;
  const n = scope.scope === 'count' ? Math.min(scope.value!, sorted.length) : Math.ceil((sorted.length * scope.value!) / 100);
  return sorted.slice(0, n);
}

export interface PlannedUnit {
  minerId: string;
  siteId: string;
  serial: string | null;
  mac: string | null;
  model: string | null;
  siteName: string | null;
  efficiencyMjth: number | null;
  fromUrl: string | null;
  fromUser: string | null;
  /** Where the "from" pool comes from: the unit's live report, or the owner pool on record. */
  fromSource: 'live' | 'record' | null;
  toUrl: string;
  toUser: string;
  /** The backup holding pools with this unit's worker name, in priority order. */
  toBackups: { url: string; user: string }[];
}

export interface RedirectPlan {
  scope: RedirectScope;
  totalUnits: number;
  units: PlannedUnit[];
  poolUrl: string;
  poolPassword: string;
  workerTemplate: string;
  /** Every holding pool the units get, in priority order (the first is poolUrl/workerTemplate). */
  pools: HoldingPool[];
}

function requireHoldingPools(settings: DefaultSettings): [HoldingPool, ...HoldingPool[]] {
  const pools = holdingPoolsOf(settings);
  if (pools.length === 0) throw new ValidationError({ scope: 'Set the holding pool first (Settings → Default and holding pool).' });
  return pools as [HoldingPool, ...HoldingPool[]];
}

/** A redirect's holding pools as they were at its start: pool_url/pool_user, then its backups. */
export const redirectPools = (r: Pick<RedirectRow, 'poolUrl' | 'poolUser' | 'backupPools'>): HoldingPool[] => [
  { url: r.poolUrl, template: r.poolUser },
  ...(r.backupPools ?? []).map((b) => ({ url: b.url, template: b.user })),
];

/** Exactly which units would change, from which pool (live now, else the owner pool on record) to which. */
export async function planRedirect(db: Db, env: LiveEnv, hostId: string, caseRow: CaseRow, scope: RedirectScope): Promise<RedirectPlan> {
  const settings = await getDefaultSettings(db, hostId);
  const holding = requireHoldingPools(settings);
  const all = await eligibleUnits(db, hostId, caseRow.customerId);
  const chosen = pickUnits(all, scope);
  const live = await readLive(env, chosen.map((u) => ({ id: u.id, siteId: u.siteId, liveShards: u.liveShards })));
  return {
    scope,
    totalUnits: all.length,
    poolUrl: holding[0].url,
    poolPassword: settings.poolPassword,
    workerTemplate: holding[0].template,
    pools: holding,
    units: chosen.map((u) => plannedUnit(u, live.get(u.id), holding)),
  };
}

function plannedUnit(u: EligibleUnit, live: LiveMiner | undefined, holding: HoldingPool[]): PlannedUnit {
  const fromLive = live?.poolUrl ? { url: live.poolUrl, user: live.poolUser ?? '' } : null;
  const fromRecord = !fromLive && u.ownerPoolUrl ? { url: u.ownerPoolUrl, user: u.ownerPoolUser ?? '' } : null;
  const from = fromLive ?? fromRecord;
  return {
    minerId: u.id,
    siteId: u.siteId,
    serial: u.serial,
    mac: u.mac,
    model: u.model,
    siteName: u.siteName,
    efficiencyMjth: u.efficiencyMjth,
    fromUrl: from?.url ?? null,
    fromUser: from?.user ?? null,
    fromSource: fromLive ? 'live' : fromRecord ? 'record' : null,
    toUrl: holding[0]!.url,
    toUser: renderWorker(holding[0]!.template, u),
    toBackups: holding.slice(1).map((p) => ({ url: p.url, user: renderWorker(p.template, u) })),
  };
}

async function activeRedirectOf(db: Db, hostId: string, customerId: string): Promise<RedirectRow | null> {
  return (await db.select().from(poolRedirects).where(and(eq(poolRedirects.hostId, hostId), eq(poolRedirects.customerId, customerId), isNull(poolRedirects.endedAt))).get()) ?? null;
}

/**
 * The pool guard of every site involved (where the customer has units now, or where the redirect
 * had units) re-reads its facts at once, so it stands down when a redirect starts and resumes when
 * it ends, instead of on its next refresh. Best effort (refreshSitePoolFacts never throws).
 */
async function refreshPoolGuards(db: Db, env: LiveEnv, hostId: string, customerId: string, redirectId: string): Promise<void> {
  const [owned, redirected] = await db.batch([
    db.selectDistinct({ siteId: miners.siteId, liveShards: liveShardsOf(miners.siteId).as('live_shards') }).from(miners).where(and(eq(miners.hostId, hostId), eq(miners.customerId, customerId), isNotNull(miners.siteId))),
    db
      .selectDistinct({ siteId: poolRedirectUnits.siteId, liveShards: liveShardsOf(poolRedirectUnits.siteId).as('live_shards') })
      .from(poolRedirectUnits)
      .where(and(eq(poolRedirectUnits.hostId, hostId), eq(poolRedirectUnits.redirectId, redirectId))),
  ]);
  await refreshSitePoolFacts(env, [...owned, ...redirected]);
}

const UNIT_ROWS_PER_INSERT = 4; // 19 columns each: under D1's 100 bound parameters

function unitInserts(db: Db, rows: (typeof poolRedirectUnits.$inferInsert)[]): BatchItem<'sqlite'>[] {
  const out: BatchItem<'sqlite'>[] = [];
  for (let i = 0; i < rows.length; i += UNIT_ROWS_PER_INSERT) out.push(db.insert(poolRedirectUnits).values(rows.slice(i, i + UNIT_ROWS_PER_INSERT)).onConflictDoNothing());
  return out;
}

const unitRow = (hostId: string, redirectId: string, customerId: string, p: PlannedUnit, now: number): typeof poolRedirectUnits.$inferInsert => ({
  id: newId(),
  hostId,
  redirectId,
  customerId,
  minerId: p.minerId,
  siteId: p.siteId,
  previousPoolUrl: p.fromUrl,
  previousPoolUser: p.fromUser,
  targetPoolUrl: p.toUrl,
  targetPoolUser: p.toUser,
  targetBackupPools: p.toBackups,
  phase: 'redirect',
  status: 'pending',
  attempts: 1,
  requestedAt: now,
  joinedAt: now,
});

/**
 * Starts the case's redirect: records each chosen unit's current pool, then (same batch) the
 * redirect and its unit rows, from which the site's agent config serves the holding pool.
 */
export async function startRedirect(
  db: Db,
  env: DefaultEnv,
  hostId: string,
  actor: Actor,
  caseId: string,
  raw: Record<string, unknown>,
  now = Date.now(),
): Promise<RedirectRow> {
  const caseRow = await getCase(db, hostId, caseId);
  if (caseRow.closedAt !== null) throw conflict('This default case is closed.');
  if (await activeRedirectOf(db, hostId, caseRow.customerId)) throw conflict('A redirect is already running for this customer.');
  const scope = parseScope(raw);
  const plan = await planRedirect(db, env, hostId, caseRow, scope);
  if (plan.units.length === 0) throw new ValidationError({ scope: 'This customer has no units on a site to redirect.' });
  const redirect: RedirectRow = {
    id: newId(),
    hostId,
    customerId: caseRow.customerId,
    defaultCaseId: caseRow.id,
    poolUrl: plan.poolUrl,
    poolUser: plan.workerTemplate,
    poolPassword: plan.poolPassword,
    backupPools: plan.pools.slice(1).map((p) => ({ url: p.url, user: p.template })),
    startedAt: now,
    endedAt: null,
    scope: scope.scope,
    scopeValue: scope.value,
    startedBy: actor.label,
    endedBy: null,
  };
  const customer = await customerOf(db, hostId, caseRow.customerId);
  const settings = await getDefaultSettings(db, hostId);
  const notice = await noticeStatements(db, env, hostId, customer, settings, { kind: 'redirect_started', units: plan.units.length }, now);
  const shareText = scope.scope === 'all' ? 'all units' : scope.scope === 'count' ? `${scope.value} most efficient units` : `${scope.value}% most efficient units`;
  try {
    await db.batch([
      db.insert(poolRedirects).values(redirect),
      ...unitInserts(
        db,
        plan.units.map((p) => unitRow(hostId, redirect.id, caseRow.customerId, p, now)),
      ),
      activityInsert(
        db,
        hostId,
        actor,
        'redirect.started',
        caseRow.customerId,
        {
          pool: [null, plan.poolUrl],
          ...(plan.pools.length > 1 ? { backup_pools: [null, plan.pools.slice(1).map((p) => p.url).join(', ')] } : {}),
          share: [null, shareText], units: [null, plan.units.length], _case: [null, caseRow.id], _redirect: [null, redirect.id] },
        now,
      ),
      ...notice.statementsIf(sql`1`),
    ] as unknown as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  } catch (error) {
    if (String(error).includes('UNIQUE')) throw conflict('A redirect is already running for this customer.');
    throw error;
  }
  await notice.queue(env);
  await refreshPoolGuards(db, env, hostId, caseRow.customerId, redirect.id);
  return redirect;
}

/** The statements that end a redirect: every unit still pointed at the holding pool goes back. */
function endRedirectStatements(db: Db, hostId: string, actor: Actor, redirect: RedirectRow, now: number): BatchItem<'sqlite'>[] {
  return [
    db
      .update(poolRedirects)
      .set({ endedAt: now, endedBy: actor.label })
      .where(and(eq(poolRedirects.hostId, hostId), eq(poolRedirects.id, redirect.id), isNull(poolRedirects.endedAt))),
    activityInsertIfChanged(db, hostId, actor, 'redirect.ended', redirect.customerId, { _redirect: [null, redirect.id], _case: [null, redirect.defaultCaseId] }, now),
    ...restoreUnitStatements(db, hostId, and(eq(poolRedirectUnits.redirectId, redirect.id), eq(poolRedirectUnits.phase, 'redirect'))!, now),
  ];
}

/** Units move to the restore phase: back to the pool recorded at the start (none recorded = reported as failed). */
function restoreUnitStatements(db: Db, hostId: string, which: ReturnType<typeof and> & object, now: number): BatchItem<'sqlite'>[] {
  return [
    db
      .update(poolRedirectUnits)
      .set({
        phase: 'restore',
        status: sql`CASE WHEN previous_pool_url IS NULL THEN 'failed' ELSE 'pending' END`,
        failure: sql`CASE WHEN previous_pool_url IS NULL THEN 'no_previous_pool' ELSE NULL END`,
        failureMessage: null,
        confirmedAt: null,
        attempts: 1,
        requestedAt: now,
      })
      .where(and(eq(poolRedirectUnits.hostId, hostId), which)),
  ];
}

export async function endRedirect(db: Db, env: DefaultEnv, hostId: string, actor: Actor, caseId: string, now = Date.now()): Promise<RedirectRow> {
  const caseRow = await getCase(db, hostId, caseId);
  const active = await activeRedirectOf(db, hostId, caseRow.customerId);
  if (!active || (active.defaultCaseId !== null && active.defaultCaseId !== caseRow.id)) throw conflict('No redirect is running for this case.');
  const customer = await customerOf(db, hostId, caseRow.customerId);
  const settings = await getDefaultSettings(db, hostId);
  const notice = await noticeStatements(db, env, hostId, customer, settings, { kind: 'restored' }, now);
  await db.batch([...endRedirectStatements(db, hostId, actor, active, now), ...notice.statementsIf(sql`1`)] as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  await notice.queue(env);
  await refreshPoolGuards(db, env, hostId, caseRow.customerId, active.id);
  return { ...active, endedAt: now, endedBy: actor.label };
}

/** Failed units of the case get another try: back to pending, the confirmation clock restarted. */
export async function retryFailed(db: Db, hostId: string, actor: Actor, caseId: string, now = Date.now()): Promise<number> {
  const caseRow = await getCase(db, hostId, caseId);
  const redirectIds = (await redirectsOfCase(db, hostId, caseRow.id)).map((r) => r.id);
  if (redirectIds.length === 0) throw conflict('This case has no redirect.');
  const which = and(
    eq(poolRedirectUnits.hostId, hostId),
    inArray(poolRedirectUnits.redirectId, redirectIds),
    eq(poolRedirectUnits.status, 'failed'),
    or(eq(poolRedirectUnits.phase, 'redirect'), isNotNull(poolRedirectUnits.previousPoolUrl)),
  );
  const [updated] = await db.batch([
    db
      .update(poolRedirectUnits)
      .set({ status: 'pending', failure: null, failureMessage: null, attempts: sql`attempts + 1`, requestedAt: now })
      .where(which)
      .returning({ id: poolRedirectUnits.id }),
    activityInsertIfChanged(db, hostId, actor, 'redirect.retried', caseRow.customerId, { _case: [null, caseRow.id] }, now),
  ]);
  return updated.length;
}

// ---------------------------------------------------------------------------------------------
// Progress: membership and confirmation against live state. Idempotent.

type PoolApply = { status?: string; message?: string; at?: string | number };

/** The optional `poolApply` a newer agent reports per miner (the agent's own result of applying pools). */
function poolApplyOf(live: LiveMiner | undefined): { status: string; message: string | null; at: number } | null {
  const apply = (live as (LiveMiner & { poolApply?: PoolApply | null }) | undefined)?.poolApply;
  if (!apply || typeof apply.status !== 'string') return null;
  const at = typeof apply.at === 'number' ? apply.at : typeof apply.at === 'string' ? Date.parse(apply.at) : NaN;
  return { status: apply.status, message: typeof apply.message === 'string' ? apply.message.slice(0, 300) : null, at: Number.isFinite(at) ? at : 0 };
}

const samePool = (a: { url: string | null; user: string | null }, b: { url: string | null; user: string | null }) =>
  !!a.url && !!b.url && a.url.trim().toLowerCase() === b.url.trim().toLowerCase() && (a.user ?? '').trim() === (b.user ?? '').trim();

const UNREACHABLE: readonly string[] = ['offline', 'lost', 'stale'];

export type Verdict = { status: 'confirmed'; poolUrl: string } | { status: 'failed'; failure: string; message: string | null } | { status: 'pending' };

type JudgedUnit = Pick<RedirectUnitRow, 'phase' | 'targetPoolUrl' | 'targetPoolUser' | 'previousPoolUrl' | 'previousPoolUser' | 'requestedAt'> & Partial<Pick<RedirectUnitRow, 'targetBackupPools'>>;

/**
 * What live state says about one unit's current phase. A redirected unit is confirmed on any of
 * its holding pools: one that failed over to a backup (the first endpoint down) is still mining
 * for the host. A restore wants exactly the recorded pool.
 */
export function judgeUnit(unit: JudgedUnit, live: LiveMiner | undefined, confirmMs: number, now: number): Verdict {
  const wanted =
    unit.phase === 'redirect'
      ? [{ url: unit.targetPoolUrl, user: unit.targetPoolUser }, ...(unit.targetBackupPools ?? [])]
      : [{ url: unit.previousPoolUrl, user: unit.previousPoolUser }];
  if (!wanted[0]!.url) return { status: 'failed', failure: 'no_previous_pool', message: null };
  const apply = poolApplyOf(live);
  const failedApply = apply && apply.at >= unit.requestedAt - 60_000 && (apply.status === 'refused' || apply.status === 'unreachable') ? apply : null;
  // Telemetry names only the pool in use, not the miner's whole table: a restore is confirmed by
  // the recorded pool in use AND no failed attempt since the request — the agent reports `refused`
  // while a holding pool it was told to remove (`remove_pools`) stays enabled on the miner. Strictly
  // after the request here: a refusal of the redirect itself (a unit that never left its pool) must
  // not hold its restore back, and the agent reports nothing more once its pools are right.
  if (unit.phase === 'restore' && failedApply && failedApply.at > unit.requestedAt) return { status: 'failed', failure: failedApply.status, message: failedApply.message };
  const on = live && (live.lastSeenAt ?? 0) >= unit.requestedAt - 60_000 ? wanted.find((want) => samePool({ url: live.poolUrl, user: live.poolUser }, want)) : undefined;
  if (on) return { status: 'confirmed', poolUrl: on.url! };
  if (failedApply) return { status: 'failed', failure: failedApply.status, message: failedApply.message };
  if (!live || UNREACHABLE.includes(live.status)) return { status: 'failed', failure: 'unreachable', message: live ? `The unit is ${live.status}.` : 'The unit has never reported.' };
  if (now - unit.requestedAt > confirmMs) return { status: 'failed', failure: 'timeout', message: null };
  return { status: 'pending' };
}

/**
 * Brings a host's redirects up to date: units assigned to a redirected customer since the start
 * join an "all units" redirect; units no longer the customer's leave it and are restored; then
 * every unit not yet confirmed in its phase is judged against live state. Each change is a
 * guarded UPDATE (it applies only if the row is still as read), so running twice is harmless.
 */
export async function syncRedirects(db: Db, env: LiveEnv, hostId: string, options: { customerId?: string; now?: number } = {}): Promise<{ joined: number; left: number; changed: number }> {
  const now = options.now ?? Date.now();
  const settings = await getDefaultSettings(db, hostId);
  let joined = 0;
  let left = 0;
  const active = await db
    .select()
    .from(poolRedirects)
    .where(and(eq(poolRedirects.hostId, hostId), isNull(poolRedirects.endedAt), options.customerId ? eq(poolRedirects.customerId, options.customerId) : undefined));
  for (const redirect of active) {
    const [units, current] = await Promise.all([
      redirectUnitsNamed(db, hostId).where(and(eq(poolRedirectUnits.hostId, hostId), eq(poolRedirectUnits.redirectId, redirect.id))),
      eligibleUnits(db, hostId, redirect.customerId),
    ]);
    const currentIds = new Set(current.map((u) => u.id));
    const byMiner = new Map(units.map((u) => [u.minerId, u]));
    const leaving = units.filter((u) => u.phase === 'redirect' && !currentIds.has(u.minerId));
    const joining = redirect.scope === 'all' ? current.filter((u) => !byMiner.has(u.id)) : [];
    const rejoining = redirect.scope === 'all' ? units.filter((u) => u.phase === 'restore' && currentIds.has(u.minerId)) : [];
    const statements: BatchItem<'sqlite'>[] = [];
    if (leaving.length) {
      statements.push(...restoreUnitStatements(db, hostId, and(eq(poolRedirectUnits.redirectId, redirect.id), eq(poolRedirectUnits.phase, 'redirect'), inArray(poolRedirectUnits.id, leaving.map((u) => u.id)))!, now));
      for (const u of leaving) statements.push(activityInsert(db, hostId, SYSTEM_DEFAULT_ACTOR, 'redirect.unit_left', redirect.customerId, { unit: [null, minerIdent(u)], _redirect: [null, redirect.id] }, now));
    }
    if (joining.length) {
      const live = await readLive(env, joining.map((u) => ({ id: u.id, siteId: u.siteId, liveShards: u.liveShards })));
      const holding = redirectPools(redirect);
      statements.push(...unitInserts(db, joining.map((u) => unitRow(hostId, redirect.id, redirect.customerId, plannedUnit(u, live.get(u.id), holding), now))));
      for (const u of joining) statements.push(activityInsert(db, hostId, SYSTEM_DEFAULT_ACTOR, 'redirect.unit_joined', redirect.customerId, { unit: [null, unitIdent(u)], _redirect: [null, redirect.id] }, now));
    }
    for (const u of rejoining) {
      statements.push(
        db
          .update(poolRedirectUnits)
          .set({ phase: 'redirect', status: 'pending', failure: null, failureMessage: null, confirmedAt: null, requestedAt: now })
          .where(and(eq(poolRedirectUnits.id, u.id), eq(poolRedirectUnits.phase, 'restore'))),
      );
    }
    if (statements.length) {
      await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
      await refreshPoolGuards(db, env, hostId, redirect.customerId, redirect.id);
    }
    joined += joining.length;
    left += leaving.length;
  }
  const changed = await judgeOpenUnits(db, env, hostId, settings, options.customerId, now);
  return { joined, left, changed };
}

/** A host's redirect units with their unit's serial and MAC, so activity names them as every page does (`minerIdent`). */
const redirectUnitsNamed = (db: Db, hostId: string) =>
  db
    .select({ ...getTableColumns(poolRedirectUnits), serial: miners.serial, mac: miners.mac })
    .from(poolRedirectUnits)
    .leftJoin(miners, and(eq(miners.id, poolRedirectUnits.minerId), eq(miners.hostId, hostId)));

async function judgeOpenUnits(db: Db, env: LiveEnv, hostId: string, settings: DefaultSettings, customerId: string | undefined, now: number): Promise<number> {
  const open = await redirectUnitsNamed(db, hostId)
    .where(and(eq(poolRedirectUnits.hostId, hostId), ne(poolRedirectUnits.status, 'confirmed'), customerId ? eq(poolRedirectUnits.customerId, customerId) : undefined))
    .limit(2000);
  if (open.length === 0) return 0;
  const live = await readLive(env, await withLiveShards(db, open.map((u) => ({ id: u.minerId, siteId: u.siteId }))));
  const confirmMs = settings.confirmMinutes * 60_000;
  const statements: BatchItem<'sqlite'>[] = [];
  for (const unit of open) {
    const verdict = judgeUnit(unit, live.get(unit.minerId), confirmMs, now);
    if (verdict.status === 'pending' && unit.status === 'pending') continue;
    if (verdict.status === 'failed' && unit.status === 'failed' && unit.failure === verdict.failure) continue;
    if (verdict.status === 'pending') continue; // a failed unit stays failed until it confirms or is retried
    // Guard: only the row as read (status, phase and request time) changes, so a second run does nothing.
    const guard = and(
      eq(poolRedirectUnits.id, unit.id),
      eq(poolRedirectUnits.status, unit.status),
      eq(poolRedirectUnits.phase, unit.phase),
      eq(poolRedirectUnits.requestedAt, unit.requestedAt),
      unit.failure === null ? isNull(poolRedirectUnits.failure) : eq(poolRedirectUnits.failure, unit.failure),
    );
    const label = unit.phase === 'redirect' ? 'redirect' : 'restore';
    if (verdict.status === 'confirmed') {
      statements.push(
        db
          .update(poolRedirectUnits)
          .set({ status: 'confirmed', failure: null, failureMessage: null, confirmedAt: now, ...(unit.phase === 'redirect' ? { redirectedAt: sql`coalesce(redirected_at, ${now})` } : {}) })
          .where(guard),
        activityInsertIfChanged(db, hostId, AGENT_ACTOR, `${label}.unit_confirmed`, unit.customerId, { unit: [null, minerIdent(unit)], pool: [null, verdict.poolUrl], _redirect: [null, unit.redirectId] }, now),
      );
    } else {
      statements.push(
        db.update(poolRedirectUnits).set({ status: 'failed', failure: verdict.failure, failureMessage: verdict.message }).where(guard),
        activityInsertIfChanged(db, hostId, AGENT_ACTOR, `${label}.unit_failed`, unit.customerId, { unit: [null, minerIdent(unit)], failure: [null, verdict.failure], _redirect: [null, unit.redirectId] }, now),
      );
    }
  }
  for (let i = 0; i < statements.length; i += 80) await db.batch(statements.slice(i, i + 80) as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  return statements.length / 2;
}

/** Units of a case (all its redirects), after bringing their progress up to date. */
export async function caseUnits(db: Db, env: LiveEnv, hostId: string, caseId: string, options: { sync?: boolean } = {}): Promise<{ caseRow: CaseRow; redirects: RedirectRow[]; units: UnitProgress[] }> {
  const caseRow = await getCase(db, hostId, caseId);
  if (options.sync !== false) await syncRedirects(db, env, hostId, { customerId: caseRow.customerId });
  const redirects = await redirectsOfCase(db, hostId, caseRow.id);
  const units = await unitsOfRedirects(db, hostId, redirects.map((r) => r.id));
  return { caseRow, redirects, units };
}

// ---------------------------------------------------------------------------------------------
// Cron: automatic opening, automatic redirect, automatic close. Each step is idempotent.

const DAY_MS = 86_400_000;

/** Opens a case for each customer with an invoice overdue beyond the host's grace days (none open, none ever opened for that invoice). */
export async function autoOpenCases(db: Db, env: DefaultEnv, hostId: string, settings: DefaultSettings, timezone: string, now: number): Promise<number> {
  if (settings.graceDays === null) return 0;
  const { zonedDate, addDays, daysBetween } = await import('../billing/periods');
  const today = zonedDate(now, timezone);
  const latestDue = addDays(today, -settings.graceDays);
  const candidates = await db
    .select({ id: invoices.id, number: invoices.number, dueOn: invoices.dueOn, customerId: invoices.customerId })
    .from(invoices)
    .innerJoin(customers, eq(customers.id, invoices.customerId))
    .where(
      and(
        eq(invoices.hostId, hostId),
        eq(invoices.status, 'overdue'),
        sql`${invoices.dueOn} <= ${latestDue}`,
        sql`${invoices.totalMinor} > ${invoices.paidMinor}`,
        eq(customers.active, true),
        sql`NOT EXISTS (SELECT 1 FROM default_cases dc WHERE dc.customer_id = ${invoices.customerId} AND (dc.closed_at IS NULL OR dc.invoice_id = ${invoices.id}))`,
      ),
    )
    .orderBy(asc(invoices.dueOn), asc(invoices.id))
    .limit(200);
  const seen = new Set<string>();
  let opened = 0;
  for (const invoice of candidates) {
    if (seen.has(invoice.customerId)) continue;
    seen.add(invoice.customerId);
    const customer = await customerOf(db, hostId, invoice.customerId);
    const days = daysBetween(invoice.dueOn!, today);
    try {
      await insertCase(db, env, hostId, SYSTEM_DEFAULT_ACTOR, customer, { reason: `Invoice ${invoice.number ?? invoice.id} overdue by ${days} days`, invoiceId: invoice.id }, now);
      opened += 1;
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'conflict')) throw error;
    }
  }
  return opened;
}

/** Starts the redirect of cases open for the configured days that never had one. */
export async function autoStartRedirects(db: Db, env: DefaultEnv, hostId: string, settings: DefaultSettings, now: number): Promise<number> {
  if (settings.autoRedirectDays === null || !settings.holdingPoolUrl) return 0;
  const due = await db
    .select({ id: defaultCases.id })
    .from(defaultCases)
    .where(
      and(
        eq(defaultCases.hostId, hostId),
        isNull(defaultCases.closedAt),
        sql`${defaultCases.openedAt} <= ${now - settings.autoRedirectDays * DAY_MS}`,
        sql`NOT EXISTS (SELECT 1 FROM pool_redirects pr WHERE pr.default_case_id = ${defaultCases.id} OR (pr.customer_id = ${defaultCases.customerId} AND pr.ended_at IS NULL))`,
      ),
    )
    .limit(50);
  let started = 0;
  for (const row of due) {
    try {
      await startRedirect(db, env, hostId, SYSTEM_DEFAULT_ACTOR, row.id, { scope: 'all' }, now);
      started += 1;
    } catch (error) {
      if (!(error instanceof AppError)) throw error; // conflict (raced) or no units: try again next run
    }
  }
  return started;
}

/** Closes cases (ending their redirect) whose customer owes nothing past due any more. Cases opened by hand with nothing overdue at the time stay open. */
export async function autoCloseSettled(db: Db, env: DefaultEnv, hostId: string, options: { customerId?: string; now?: number } = {}): Promise<number> {
  const now = options.now ?? Date.now();
  const settled = await db
    .select({ id: defaultCases.id })
    .from(defaultCases)
    .where(
      and(
        eq(defaultCases.hostId, hostId),
        isNull(defaultCases.closedAt),
        isNotNull(defaultCases.invoiceId),
        options.customerId ? eq(defaultCases.customerId, options.customerId) : undefined,
        sql`NOT EXISTS (SELECT 1 FROM invoices i WHERE i.host_id = ${hostId} AND i.customer_id = ${defaultCases.customerId} AND i.status = 'overdue' AND i.total_minor > i.paid_minor)`,
      ),
    )
    .limit(100);
  let closed = 0;
  for (const row of settled) {
    try {
      await closeCase(db, env, hostId, SYSTEM_DEFAULT_ACTOR, row.id, { reason: 'Overdue balance cleared' }, now);
      closed += 1;
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'conflict')) throw error;
    }
  }
  return closed;
}

/**
 * Open hosts with something to do: configured settings, an open case, or a unit not yet confirmed.
 * A closed host's cases stay as they were (no opening, redirect, credit or notice).
 */
export async function hostsForDefaultCron(db: Db): Promise<{ id: string; timezone: string }[]> {
  return db
    .select({ id: hosts.id, timezone: hosts.timezone })
    .from(hosts)
    .where(
      sql`${openHost} AND (EXISTS (SELECT 1 FROM default_settings s WHERE s.host_id = ${hosts.id})
        OR EXISTS (SELECT 1 FROM default_cases dc WHERE dc.host_id = ${hosts.id} AND dc.closed_at IS NULL)
        OR EXISTS (SELECT 1 FROM pool_redirect_units u WHERE u.host_id = ${hosts.id} AND u.status <> 'confirmed'))`,
    )
    .limit(1000);
}

export type { Notice };
