/**
 * Sealed usage (docs/billing/evidence.md). 48 hours after a UTC day ends, each site's usage rows
 * of that day are sealed: a `usage_seal_days` row, which makes the triggers of migration 0006 turn
 * any later change to those rows into a `usage_adjustments` row, and one `usage_seals` row per
 * customer with SHA-256 over the canonical form of that customer's rows (src/billing/seal-format.js),
 * chained to the same (site, customer)'s previous seal.
 */
import { and, asc, eq, gte, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { inIds } from '../db/sql';
import { hosts, sites, usageAdjustments, usageSealDays, usageSeals } from '../db/schema';
import { GENESIS_HASH, nextUtcDay, sealHash, utcDayOf, utcDayStartMs, type SealRow } from './seal-format.js';

/** The D1 binding under a Db (getDb keeps it): raw statements with json_each go in D1 batches. */
const d1Of = (db: Db): D1Database => (db as Db & { $client: D1Database }).$client;

/** Time agents have to replay their spool before a day is sealed. */
export const SEAL_AFTER_MS = 48 * 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Steps per cron run: sealing one (site, day) with rows (two D1 round trips) or marking a site's
 * run of empty days (one). Bounded so a run stays far inside a Worker's D1 query limit however
 * many sites a deployment has; the cron runs every 15 minutes, so a backlog drains over runs.
 */
export const SEAL_STEPS_PER_RUN = 12;

/** The newest UTC day that may be sealed at `now`: it ended at least 48 hours before. */
export const lastSealableDay = (now: number): string => utcDayOf(now - SEAL_AFTER_MS - DAY_MS);

export interface SealRunResult {
  /** (site, day)s sealed that had usage rows. */
  sealedDays: number;
  /** (site, day)s marked sealed that had none (so a late row for them becomes an adjustment). */
  emptyDays: number;
  /** usage_seals rows written (one per customer of each sealed day). */
  seals: number;
  /** (site, day)s whose rows changed between reading and sealing: left for the next run. */
  retried: number;
}

interface SiteCursor {
  siteId: string;
  hostId: string;
  /** The first day of this site not yet sealed. */
  day: string;
  /** The last day to seal now: the run's cutoff, or the day its host closed if that is earlier. */
  cutoff: string;
}

const fingerprintRows = (rows: { customerId: string | null; energyWh: number | null; onlineSeconds: number; samples: number; avgHashrateMths: number; energySource: string }[]) => {
  const byKey = new Map<string, [string, number, number, number, number, number, number]>();
  for (const r of rows) {
    const key = r.customerId ?? '';
    const f = byKey.get(key) ?? [key, 0, 0, 0, 0, 0, 0];
    f[1] += 1;
    f[2] += r.energyWh ?? 0;
    f[3] += r.onlineSeconds;
    f[4] += r.samples;
    f[5] += r.avgHashrateMths;
    f[6] += r.energySource.length;
    byKey.set(key, f);
  }
  return JSON.stringify([...byKey.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
};

/**
 * True in SQL while the site's rows of [?3, ?4) (host ?1, site ?2) are exactly as read: the same
 * per-customer counts and sums as the JSON in ?5 (fingerprintRows), and none in [?6, ?3) (the
 * days about to be marked empty). A spool replay landing between our read and our write changes
 * them, and the write then does nothing and is retried next run.
 */
const ROWS_UNCHANGED = `(
  SELECT json_group_array(json_array(k, c, e, o, s, h, l)) FROM (
    SELECT COALESCE(customer_id, '') AS k, count(*) AS c, sum(energy_wh) AS e, sum(online_seconds) AS o, sum(samples) AS s,
      sum(avg_hashrate_mths) AS h, sum(length(energy_source)) AS l
    FROM usage_hourly WHERE host_id = ?1 AND site_id = ?2 AND hour_start >= ?3 AND hour_start < ?4
    GROUP BY k ORDER BY k)
  ) = ?5
  AND NOT EXISTS (SELECT 1 FROM usage_hourly u WHERE u.host_id = ?1 AND u.site_id = ?2 AND u.hour_start >= ?6 AND u.hour_start < ?3)`;

/** Days from `from` up to and including `to` (ISO, UTC). */
function daysThrough(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = nextUtcDay(day)) days.push(day);
  return days;
}

/**
 * Seals every (site, UTC day) that ended at least 48 hours before `now` and is not sealed yet,
 * oldest first per site, at most `maxSteps` steps per run (SEAL_STEPS_PER_RUN). Days are marked
 * from the site's creation (or its first usage row, if older) with no gap, empty ones included.
 * Each (site, day) is one atomic batch, guarded so a re-run or a racing run seals nothing twice
 * and a day whose rows changed after they were read is left for the next run. `siteIds` limits a run to some sites (a manual re-run,
 * tests); the cron seals all.
 */
export async function sealDueDays(db: Db, now: number, options: { maxSteps?: number; siteIds?: readonly string[] } = {}): Promise<SealRunResult> {
  const maxSteps = options.maxSteps ?? SEAL_STEPS_PER_RUN;
  const cutoff = lastSealableDay(now);
  const result: SealRunResult = { sealedDays: 0, emptyDays: 0, seals: 0, retried: 0 };

  const siteRows = await db
    .select({
      siteId: sites.id,
      hostId: sites.hostId,
      createdAt: sites.createdAt,
      lastDay: sql<string | null>`(SELECT max(d.day) FROM usage_seal_days d WHERE d.site_id = ${sites.id})`,
      firstHour: sql<number | null>`(SELECT min(u.hour_start) FROM usage_hourly u WHERE u.host_id = ${sites.hostId} AND u.site_id = ${sites.id})`,
      hostClosedAt: hosts.closedAt,
    })
    .from(sites)
    .innerJoin(hosts, eq(hosts.id, sites.hostId))
    .where(options.siteIds ? inIds(sites.id, options.siteIds) : undefined)
    .all();
  let due: SiteCursor[] = siteRows
    .map((s) => ({
      siteId: s.siteId,
      hostId: s.hostId,
      day: s.lastDay ? nextUtcDay(s.lastDay) : utcDayOf(Math.min(s.createdAt, s.firstHour ?? s.createdAt)),
      // A closed host's usage is final once its sites rolled up at closing (src/team/close.ts):
      // its days are sealed through the day it closed, so the evidence of its last period is
      // complete for the export and any dispute, and no later (empty) day is sealed for it.
      cutoff: s.hostClosedAt === null || utcDayOf(s.hostClosedAt) > cutoff ? cutoff : utcDayOf(s.hostClosedAt),
    }))
    .filter((s) => s.day <= s.cutoff);

  let budget = maxSteps;
  while (due.length > 0 && budget > 0) {
    // Each due site's next hour with rows, in one statement.
    const next = await db.all<{ site_id: string; next_hour: number | null }>(sql`
      SELECT j.value ->> '$[0]' AS site_id,
        (SELECT min(u.hour_start) FROM usage_hourly u
          WHERE u.host_id = j.value ->> '$[1]' AND u.site_id = j.value ->> '$[0]' AND u.hour_start >= j.value ->> '$[2]') AS next_hour
      FROM json_each(${JSON.stringify(due.map((s) => [s.siteId, s.hostId, utcDayStartMs(s.day)]))}) j`);
    const nextHour = new Map(next.map((r) => [r.site_id, r.next_hour]));
    const stillDue: SiteCursor[] = [];
    for (const site of due) {
      const hour = nextHour.get(site.siteId) ?? null;
      const rowDay = hour === null ? null : utcDayOf(hour);
      if (budget === 0) break;
      budget -= 1;
      if (rowDay === null || rowDay > site.cutoff) {
        // Nothing to seal up to the cutoff: mark the remaining days, if they are still empty.
        if (await markEmptyDays(db, site, site.cutoff, now)) result.emptyDays += daysThrough(site.day, site.cutoff).length;
        else result.retried += 1;
        continue;
      }
      const outcome = await sealSiteDay(db, site, rowDay, now);
      if (outcome === null) {
        result.retried += 1;
        continue;
      }
      result.sealedDays += 1;
      result.emptyDays += outcome.emptyBefore;
      result.seals += outcome.seals;
      const following = nextUtcDay(rowDay);
      if (following <= site.cutoff) stillDue.push({ ...site, day: following });
    }
    due = stillDue;
  }
  return result;
}

/** The site's days [site.day, through] marked sealed, all or none, only while none has rows. */
async function markEmptyDays(db: Db, site: SiteCursor, through: string, now: number): Promise<boolean> {
  const days = daysThrough(site.day, through);
  if (days.length === 0) return true;
  const result = await markEmptyDaysStatement(d1Of(db), site, days, now).run();
  return result.meta.changes > 0;
}

function markEmptyDaysStatement(d1: D1Database, site: SiteCursor, days: string[], now: number) {
  const fromMs = utcDayStartMs(days[0]!);
  const toMs = utcDayStartMs(days[days.length - 1]!) + DAY_MS;
  return d1
    .prepare(
      `INSERT INTO usage_seal_days (site_id, day, host_id, sealed_at)
       SELECT ?2, j.value, ?1, ?3 FROM json_each(?4) j
       WHERE NOT EXISTS (SELECT 1 FROM usage_hourly u WHERE u.host_id = ?1 AND u.site_id = ?2 AND u.hour_start >= ?5 AND u.hour_start < ?6)
       ON CONFLICT (site_id, day) DO NOTHING`,
    )
    .bind(site.hostId, site.siteId, now, JSON.stringify(days), fromMs, toMs);
}

interface UsageSqlRow {
  miner_id: string;
  hour_start: number;
  customer_id: string | null;
  energy_wh: number | null;
  energy_source: string;
  avg_hashrate_mths: number;
  online_seconds: number;
  samples: number;
}

/**
 * Seals one (site, day) with rows, marking the empty days before it in the same batch. Null when
 * the rows changed under us (nothing written). A racing run that already sealed the day makes
 * every insert here a no-op: it read the same frozen rows and the same chain, so its seals are ours.
 */
async function sealSiteDay(db: Db, site: SiteCursor, day: string, now: number): Promise<{ seals: number; emptyBefore: number } | null> {
  const d1 = d1Of(db);
  const fromMs = utcDayStartMs(day);
  const toMs = fromMs + DAY_MS;
  const [read, tipsRead] = await d1.batch<Record<string, unknown>>([
    d1
      .prepare(
        `SELECT miner_id, hour_start, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples
         FROM usage_hourly WHERE host_id = ?1 AND site_id = ?2 AND hour_start >= ?3 AND hour_start < ?4`,
      )
      .bind(site.hostId, site.siteId, fromMs, toMs),
    // The latest seal before `day` of every customer key of the site: each chain's tip.
    d1
      .prepare(
        `SELECT s.customer_key, s.hash FROM usage_seals s
         WHERE s.site_id = ?1 AND s.day < ?2
           AND NOT EXISTS (SELECT 1 FROM usage_seals t WHERE t.site_id = s.site_id AND t.customer_key = s.customer_key AND t.day > s.day AND t.day < ?2)`,
      )
      .bind(site.siteId, day),
  ]);
  const rows = (read!.results as unknown as UsageSqlRow[]).map((r) => ({
    minerId: r.miner_id,
    hourStart: r.hour_start,
    customerId: r.customer_id,
    energyWh: r.energy_wh,
    energySource: r.energy_source,
    avgHashrateMths: r.avg_hashrate_mths,
    onlineSeconds: r.online_seconds,
    samples: r.samples,
  }));
  const tips = new Map((tipsRead!.results as unknown as { customer_key: string; hash: string }[]).map((r) => [r.customer_key, r.hash]));
  const byKey = new Map<string, SealRow[]>();
  for (const r of rows) {
    const key = r.customerId ?? '';
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  const seals = await Promise.all(
    [...byKey].map(async ([customerKey, keyRows]) => {
      const prevHash = tips.get(customerKey) ?? GENESIS_HASH;
      const hash = await sealHash({ siteId: site.siteId, customerKey, day, prevHash, rows: keyRows });
      return [customerKey, keyRows.length, keyRows.reduce((sum, r) => sum + (r.energyWh ?? 0), 0), hash, prevHash] as const;
    }),
  );

  const emptyDays = day > site.day ? daysThrough(site.day, utcDayOf(fromMs - DAY_MS)) : [];
  const guardParams = [site.hostId, site.siteId, fromMs, toMs, fingerprintRows(rows), utcDayStartMs(site.day)] as const;
  const results = await d1.batch([
    d1
      .prepare(
        `INSERT INTO usage_seal_days (site_id, day, host_id, sealed_at)
         SELECT ?2, ?7, ?1, ?8 WHERE ${ROWS_UNCHANGED}
         ON CONFLICT (site_id, day) DO NOTHING`,
      )
      .bind(...guardParams, day, now),
    d1
      .prepare(
        `INSERT INTO usage_seals (site_id, customer_key, day, host_id, row_count, energy_wh, hash, prev_hash, sealed_at)
         SELECT ?2, j.value ->> '$[0]', ?7, ?1, j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', ?8
         FROM json_each(?9) j WHERE ${ROWS_UNCHANGED}
         ON CONFLICT (site_id, customer_key, day) DO NOTHING`,
      )
      .bind(...guardParams, day, now, JSON.stringify(seals)),
    // The empty days before it, in the same transaction, so marks never leave a gap.
    ...(emptyDays.length > 0 ? [markEmptyDaysStatement(d1, site, emptyDays, now)] : []),
  ]);
  if (results[0]!.meta.changes === 0) {
    // Either a racing run sealed it (done) or the rows changed (retry next run): tell them apart.
    const sealed = await db
      .select({ day: usageSealDays.day })
      .from(usageSealDays)
      .where(and(eq(usageSealDays.siteId, site.siteId), eq(usageSealDays.day, day)))
      .get();
    return sealed ? { seals: 0, emptyBefore: 0 } : null;
  }
  return { seals: results[1]!.meta.changes, emptyBefore: emptyDays.length };
}

// ---------------------------------------------------------------------------------------------
// Reads for invoices and evidence.

export interface CitedSeal {
  siteId: string;
  day: string;
  hash: string;
}

/**
 * What an energy line cites (EnergyLineDetail.seals / unsealedDays): for each of the sites and
 * each UTC day overlapping [fromMs, toMs), the customer's seal of that (site, day), or the
 * (site, day) as unsealed if the day is not sealed yet. A sealed day on which the customer had no
 * rows at the site has no seal and is not listed.
 */
export async function sealsForWindow(
  db: Db,
  hostId: string,
  customerId: string,
  siteIds: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<{ seals: CitedSeal[]; unsealedDays: { siteId: string; day: string }[] }> {
  const uniqueSites = [...new Set(siteIds)].sort();
  if (uniqueSites.length === 0 || toMs <= fromMs) return { seals: [], unsealedDays: [] };
  const firstDay = utcDayOf(fromMs);
  const lastDay = utcDayOf(toMs - 1);
  const [sealDays, seals] = await db.batch([
    db
      .select({ siteId: usageSealDays.siteId, day: usageSealDays.day })
      .from(usageSealDays)
      .where(and(eq(usageSealDays.hostId, hostId), inIds(usageSealDays.siteId, uniqueSites), gte(usageSealDays.day, firstDay), sql`${usageSealDays.day} <= ${lastDay}`)),
    db
      .select({ siteId: usageSeals.siteId, day: usageSeals.day, hash: usageSeals.hash })
      .from(usageSeals)
      .where(
        and(
          eq(usageSeals.hostId, hostId),
          eq(usageSeals.customerKey, customerId),
          inIds(usageSeals.siteId, uniqueSites),
          gte(usageSeals.day, firstDay),
          sql`${usageSeals.day} <= ${lastDay}`,
        ),
      )
      .orderBy(asc(usageSeals.siteId), asc(usageSeals.day)),
  ]);
  const sealed = new Set(sealDays.map((d) => `${d.siteId}\n${d.day}`));
  const unsealedDays = uniqueSites.flatMap((siteId) => daysThrough(firstDay, lastDay).filter((day) => !sealed.has(`${siteId}\n${day}`)).map((day) => ({ siteId, day })));
  return { seals, unsealedDays };
}

/** The seal rows of one customer for given (site, day)s, keyed `site\nday`. */
export async function customerSeals(db: Db, hostId: string, customerKey: string, siteDays: readonly { siteId: string; day: string }[]) {
  const out = new Map<string, { hash: string; prevHash: string }>();
  if (siteDays.length === 0) return out;
  const rows = await db.all<{ site_id: string; day: string; hash: string; prev_hash: string }>(sql`
    SELECT s.site_id, s.day, s.hash, s.prev_hash FROM usage_seals s
    JOIN json_each(${JSON.stringify(siteDays.map((d) => [d.siteId, d.day]))}) j ON s.site_id = j.value ->> '$[0]' AND s.day = j.value ->> '$[1]'
    WHERE s.host_id = ${hostId} AND s.customer_key = ${customerKey}`);
  for (const r of rows) out.set(`${r.site_id}\n${r.day}`, { hash: r.hash, prevHash: r.prev_hash });
  return out;
}

/** Which of the given (site, day)s are sealed, keyed `site\nday`. */
export async function sealedSiteDays(db: Db, hostId: string, siteDays: readonly { siteId: string; day: string }[]): Promise<Set<string>> {
  if (siteDays.length === 0) return new Set();
  const rows = await db.all<{ site_id: string; day: string }>(sql`
    SELECT d.site_id, d.day FROM usage_seal_days d
    JOIN json_each(${JSON.stringify(siteDays.map((d) => [d.siteId, d.day]))}) j ON d.site_id = j.value ->> '$[0]' AND d.day = j.value ->> '$[1]'
    WHERE d.host_id = ${hostId}`);
  return new Set(rows.map((r) => `${r.site_id}\n${r.day}`));
}

// ---------------------------------------------------------------------------------------------
// Adjustments.

export interface UsageAdjustment {
  id: string;
  siteId: string;
  minerId: string;
  hourStart: number;
  customerId: string | null;
  /** The value this adjustment replaced: the sealed row's, or the previous adjustment's new value. */
  previousWh: number;
  newWh: number;
  /** What this adjustment adds to the bill: newWh − previousWh. */
  deltaWh: number;
  energySource: string;
  detectedAt: number;
  invoiceId: string | null;
}

/**
 * Adjustments with the Wh each one adds. The trigger records every late write of an hour against
 * the sealed value (old_energy_wh stays the sealed row's, since that row never changes), so two
 * replays of one hour (100 → 120, then 100 → 130) would bill 20 + 30 if their delta_wh were
 * summed. Each adjustment instead bills its change over the one before it for the same hour (in
 * insertion order, rowid): 20 then 10, summing to the hour's real change.
 */
function adjustmentsQuery(hostId: string, where: SQL) {
  return sql`
    WITH chain AS (
      SELECT a.id, a.site_id, a.miner_id, a.hour_start, a.customer_id, a.new_energy_wh, a.energy_source, a.detected_at, a.invoice_id, a.rowid AS seq,
        COALESCE(LAG(a.new_energy_wh) OVER (PARTITION BY a.miner_id, a.hour_start ORDER BY a.rowid), a.old_energy_wh) AS previous_wh
      FROM usage_adjustments a
      WHERE a.host_id = ${hostId}
        AND (a.miner_id, a.hour_start) IN (SELECT b.miner_id, b.hour_start FROM usage_adjustments b WHERE b.host_id = ${hostId} AND ${where})
    )
    SELECT id, site_id, miner_id, hour_start, customer_id, previous_wh, new_energy_wh, energy_source, detected_at, invoice_id FROM chain c
    WHERE c.id IN (SELECT b.id FROM usage_adjustments b WHERE b.host_id = ${hostId} AND ${where})
    ORDER BY hour_start, miner_id, seq`;
}

type AdjustmentSqlRow = {
  id: string;
  site_id: string;
  miner_id: string;
  hour_start: number;
  customer_id: string | null;
  previous_wh: number;
  new_energy_wh: number;
  energy_source: string;
  detected_at: number;
  invoice_id: string | null;
};

const toAdjustment = (r: AdjustmentSqlRow): UsageAdjustment => ({
  id: r.id,
  siteId: r.site_id,
  minerId: r.miner_id,
  hourStart: r.hour_start,
  customerId: r.customer_id,
  previousWh: r.previous_wh,
  newWh: r.new_energy_wh,
  deltaWh: r.new_energy_wh - r.previous_wh,
  energySource: r.energy_source,
  detectedAt: r.detected_at,
  invoiceId: r.invoice_id,
});

/**
 * A customer's usage adjustments (oldest hour first); `unbilled` keeps those no invoice has
 * billed yet, which is what the invoice generator puts on the next invoice's adjustment line.
 */
export async function listAdjustments(db: Db, hostId: string, customerId: string, options: { unbilled?: boolean } = {}): Promise<UsageAdjustment[]> {
  const where = options.unbilled ? sql`b.customer_id = ${customerId} AND b.invoice_id IS NULL` : sql`b.customer_id = ${customerId}`;
  return (await db.all<AdjustmentSqlRow>(adjustmentsQuery(hostId, where))).map(toAdjustment);
}

/** Adjustments by id (an adjustment line's detail), the host's only. */
export async function adjustmentsByIds(db: Db, hostId: string, ids: readonly string[]): Promise<UsageAdjustment[]> {
  if (ids.length === 0) return [];
  return (await db.all<AdjustmentSqlRow>(adjustmentsQuery(hostId, sql`b.id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`))).map(toAdjustment);
}

/**
 * The statement that marks adjustments billed by an invoice, for the generator's db.batch():
 * guarded, so an adjustment another invoice already took is never billed twice (compare the
 * changes count with the ids' length to detect that race).
 */
export const markAdjustmentsBilled = (db: Db, hostId: string, customerId: string, adjustmentIds: readonly string[], invoiceId: string) =>
  db
    .update(usageAdjustments)
    .set({ invoiceId })
    .where(and(eq(usageAdjustments.hostId, hostId), eq(usageAdjustments.customerId, customerId), isNull(usageAdjustments.invoiceId), inIds(usageAdjustments.id, adjustmentIds)));

/** The statement that releases an invoice's adjustments (voiding it), so the next invoice bills them. */
export const releaseAdjustments = (db: Db, hostId: string, invoiceId: string) =>
  db
    .update(usageAdjustments)
    .set({ invoiceId: null })
    .where(and(eq(usageAdjustments.hostId, hostId), eq(usageAdjustments.invoiceId, invoiceId)));

