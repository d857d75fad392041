import { queueAlertOutbox, type AlertOutboxRow } from './alert-tracker';
import { chunk, D1_JSON_CHUNK, execJsonRows } from './chunk';
import type { AdvancedSample } from './fold';

/**
 * The pool guard (issue 10, "Pool guard"): a room of SiteState that compares each advanced
 * sample's reported pool with the miner's desired one (`desired-pool.ts`: the owner's pool on
 * record, or the holding pool while the customer is under an active redirect).
 *
 * - `pool_mismatch` (staff, and the customer for its own units): a unit mining on another pool
 *   or worker than its owner's pool on record, outside a redirect, for longer than the grace
 *   (a change being applied, or this object's facts being a refresh behind D1). During a redirect
 *   the guard stands down: the holding pool is then the desired one, and a unit that did not
 *   switch is the redirect's own failure to report (its per-unit progress), not an intrusion.
 * - `pool_change` (the customer's opt-in, `customers.pool_change_notice`): the moment a unit
 *   reports a pool other than the one on record (the owner's pool, else the first pool this room
 *   saw it on for that customer), including a change made by the host. One alert, and so one
 *   email (`alert-email.ts`, idempotent through `alerts.emailed_at`), per change: a unit that
 *   moves on to a third pool closes the first notice and opens another; back on record closes it.
 *
 * Its decisions are queued in the alert tracker's `alert_outbox` within the ingest transaction
 * (the rules are not run on journal replay), and `AlertTracker.flush` records them in D1.
 * Facts come from D1 on the registry's cadence (`refresh`).
 */

/** How long a unit may mine elsewhere before the guard raises `pool_mismatch`. Longer than the
 * registry refresh (5 minutes) plus an agent cycle, so a redirect starting or ending never alerts. */
export const POOL_GUARD_GRACE_MS = 10 * 60 * 1000;

interface PoolFacts {
  customerId: string | null;
  ownerUrl: string | null;
  ownerUser: string | null;
  redirectUrl: string | null;
  redirectUser: string | null;
  notice: boolean;
}

interface PoolWatch {
  mismatchSince: number | null;
  mismatchAlertId: string | null;
  customerId: string | null;
  baselineUrl: string | null;
  baselineUser: string | null;
  changeAlertId: string | null;
  changeUrl: string | null;
  changeUser: string | null;
}

const EMPTY_WATCH: PoolWatch = {
  mismatchSince: null,
  mismatchAlertId: null,
  customerId: null,
  baselineUrl: null,
  baselineUser: null,
  changeAlertId: null,
  changeUrl: null,
  changeUser: null,
};

const CANONICAL_URLS_KEPT = 1_000;
const canonicalUrls = new Map<string, string>();

/** Scheme and host compare case-insensitively, a trailing slash does not count (as the agent's `samePool`). */
export function canonicalPoolUrl(url: string): string {
  const known = canonicalUrls.get(url);
  if (known !== undefined) return known;
  const trimmed = url.trim();
  const match = /^([a-z0-9+]+:\/\/)([^/]+)(.*)$/i.exec(trimmed);
  const canonical = match ? `${match[1]!.toLowerCase()}${match[2]!.toLowerCase()}${match[3]!.replace(/\/$/, '')}` : trimmed;
  // A site reports a handful of distinct pool URLs, each thousands of times a batch: remember them
  // (bounded, so a site of odd URLs cannot grow it without limit).
  if (canonicalUrls.size >= CANONICAL_URLS_KEPT) canonicalUrls.clear();
  canonicalUrls.set(url, canonical);
  return canonical;
}

/** Every field of a watch (EMPTY_WATCH is typed PoolWatch, so a new field cannot be left out here). */
const WATCH_FIELDS = Object.keys(EMPTY_WATCH) as (keyof PoolWatch)[];

/** Field by field: evaluated for every advanced sample, so no JSON of either side. */
const sameWatch = (a: PoolWatch, b: PoolWatch) => WATCH_FIELDS.every((field) => a[field] === b[field]);

/** Same pool and worker; a pool on record without a worker matches any worker on that pool. */
export function samePool(reported: { url: string; user: string }, wanted: { url: string; user: string | null }): boolean {
  if (canonicalPoolUrl(reported.url) !== canonicalPoolUrl(wanted.url)) return false;
  return !wanted.user || reported.user === wanted.user;
}

type OutboxRow = AlertOutboxRow & { 4: 'pool_mismatch' | 'pool_change' };

export class PoolGuard {
  private facts: Map<string, PoolFacts> | null = null;
  private watches: Map<string, PoolWatch> | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly db: D1Database,
  ) {}

  static migrate(sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS pool_facts (miner_id TEXT PRIMARY KEY, customer_id TEXT, owner_url TEXT, owner_user TEXT,
        redirect_url TEXT, redirect_user TEXT, notice INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS pool_watch (miner_id TEXT PRIMARY KEY, mismatch_since INTEGER, mismatch_alert_id TEXT, customer_id TEXT,
        baseline_url TEXT, baseline_user TEXT, change_alert_id TEXT, change_url TEXT, change_user TEXT);
    `);
  }

  /**
   * Re-reads each miner's pool facts from D1: its customer (while assigned), the owner's pool on
   * record, the customer's active redirect when it covers this unit (an "all units" redirect
   * covers every unit of the customer; a share redirect only the units it chose), and the
   * customer's opt-in. Miners gone from the
   * host's inventory lose their facts (and so are not judged).
   */
  async refresh(hostId: string, minerIds: readonly string[]): Promise<void> {
    const rows: [string, string | null, string | null, string | null, string | null, string | null, number][] = [];
    for (const part of chunk([...minerIds], D1_JSON_CHUNK)) {
      const result = await this.db
        .prepare(
          `SELECT m.id, c.id AS customer_id, m.owner_pool_url, m.owner_pool_user, r.pool_url AS redirect_url, r.pool_user AS redirect_user,
             coalesce(c.pool_change_notice, 0) AS notice
           FROM miners m
           LEFT JOIN customers c ON c.id = m.customer_id AND c.host_id = ?1 AND m.status = 'assigned'
           LEFT JOIN pool_redirects r ON r.id = (
             SELECT r2.id FROM pool_redirects r2
             WHERE r2.host_id = ?1 AND r2.customer_id = c.id AND r2.ended_at IS NULL
               AND (r2.scope = 'all' OR EXISTS (SELECT 1 FROM pool_redirect_units u WHERE u.redirect_id = r2.id AND u.miner_id = m.id AND u.phase = 'redirect'))
             ORDER BY r2.started_at DESC LIMIT 1)
           WHERE m.host_id = ?1 AND m.id IN (SELECT value FROM json_each(?2))`,
        )
        .bind(hostId, JSON.stringify(part))
        .all<{ id: string; customer_id: string | null; owner_pool_url: string | null; owner_pool_user: string | null; redirect_url: string | null; redirect_user: string | null; notice: number }>();
      for (const r of result.results) rows.push([r.id, r.customer_id, r.owner_pool_url, r.owner_pool_user, r.redirect_url, r.redirect_user, r.notice ? 1 : 0]);
    }
    this.sql.exec('DELETE FROM pool_facts');
    for (const part of chunk(rows, 500)) {
      this.sql.exec(
        `INSERT INTO pool_facts (miner_id, customer_id, owner_url, owner_user, redirect_url, redirect_user, notice)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]'
         FROM json_each(?) j`,
        JSON.stringify(part),
      );
    }
    this.facts = null;
  }

  /** Drops cached rows (a rolled-back transaction may have changed them in memory only). */
  forget() {
    this.watches = null;
    this.facts = null;
  }

  /** Judges each sample that advanced a miner and reported its pool; queues alert opens and closes. */
  evaluate(samples: readonly AdvancedSample[], now: number) {
    const facts = this.loadFacts();
    if (facts.size === 0) return;
    const watches = this.loadWatches();
    const changed: [string, PoolWatch][] = [];
    const outbox: OutboxRow[] = [];
    for (const { miner, reg } of samples) {
      const fact = facts.get(reg.minerId);
      if (!fact || !miner.pool_url) continue;
      const reported = { url: miner.pool_url, user: miner.pool_user ?? '' };
      const before = watches.get(reg.minerId) ?? EMPTY_WATCH;
      const watch = { ...before };
      const open = (kind: OutboxRow[4], detail: Record<string, unknown>) => {
        const id = crypto.randomUUID();
        outbox.push(['open', id, reg.minerId, fact.customerId, kind, JSON.stringify(detail), now]);
        return id;
      };
      const close = (kind: OutboxRow[4], id: string) => outbox.push(['close', id, reg.minerId, fact.customerId, kind, null, now]);

      // The guard: outside a redirect, the owner's pool on record is the only right one.
      const owner = fact.ownerUrl ? { url: fact.ownerUrl, user: fact.ownerUser } : null;
      const mismatch = fact.redirectUrl === null && owner !== null && !samePool(reported, owner);
      if (mismatch) {
        watch.mismatchSince ??= now;
        if (!watch.mismatchAlertId && now - watch.mismatchSince >= POOL_GUARD_GRACE_MS) {
          watch.mismatchAlertId = open('pool_mismatch', { pool_url: reported.url, pool_user: reported.user, desired_url: owner.url, desired_user: owner.user ?? '' });
        }
      } else {
        watch.mismatchSince = null;
        if (watch.mismatchAlertId) close('pool_mismatch', watch.mismatchAlertId);
        watch.mismatchAlertId = null;
      }

      // The customer's notice: any change from the pool on record, the host's own included.
      if (watch.customerId !== fact.customerId) {
        if (watch.changeAlertId) close('pool_change', watch.changeAlertId);
        Object.assign(watch, { customerId: fact.customerId, baselineUrl: null, baselineUser: null, changeAlertId: null, changeUrl: null, changeUser: null });
      }
      if (fact.customerId) {
        if (!owner && watch.baselineUrl === null) {
          watch.baselineUrl = reported.url;
          watch.baselineUser = reported.user;
        }
        const record = owner ?? { url: watch.baselineUrl!, user: watch.baselineUser };
        const away = !samePool(reported, record);
        const alreadyNoticed = watch.changeAlertId !== null && watch.changeUrl !== null && samePool(reported, { url: watch.changeUrl, user: watch.changeUser ?? '' });
        if (away && fact.notice && !alreadyNoticed) {
          if (watch.changeAlertId) close('pool_change', watch.changeAlertId);
          watch.changeAlertId = open('pool_change', { pool_url: reported.url, pool_user: reported.user, record_url: record.url, record_user: record.user ?? '' });
          watch.changeUrl = reported.url;
          watch.changeUser = reported.user;
        } else if ((!away || !fact.notice) && watch.changeAlertId) {
          close('pool_change', watch.changeAlertId);
          Object.assign(watch, { changeAlertId: null, changeUrl: null, changeUser: null });
        }
      }

      if (!sameWatch(watch, before)) changed.push([reg.minerId, watch]);
    }
    this.save(changed, outbox);
  }

  private save(changed: [string, PoolWatch][], outbox: OutboxRow[]) {
    if (changed.length > 0) {
      execJsonRows(
        this.sql,
        `INSERT INTO pool_watch (miner_id, mismatch_since, mismatch_alert_id, customer_id, baseline_url, baseline_user, change_alert_id, change_url, change_user)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]',
           j.value ->> '$[7]', j.value ->> '$[8]' FROM json_each(?) j WHERE true
         ON CONFLICT (miner_id) DO UPDATE SET mismatch_since = excluded.mismatch_since, mismatch_alert_id = excluded.mismatch_alert_id,
           customer_id = excluded.customer_id, baseline_url = excluded.baseline_url, baseline_user = excluded.baseline_user,
           change_alert_id = excluded.change_alert_id, change_url = excluded.change_url, change_user = excluded.change_user`,
        changed.map(([id, w]) => [id, w.mismatchSince, w.mismatchAlertId, w.customerId, w.baselineUrl, w.baselineUser, w.changeAlertId, w.changeUrl, w.changeUser]),
      );
      const watches = this.loadWatches();
      for (const [id, watch] of changed) watches.set(id, watch);
    }
    queueAlertOutbox(this.sql, outbox);
  }

  private loadFacts(): Map<string, PoolFacts> {
    if (this.facts) return this.facts;
    const map = new Map<string, PoolFacts>();
    for (const row of this.sql.exec<{ miner_id: string; customer_id: string | null; owner_url: string | null; owner_user: string | null; redirect_url: string | null; redirect_user: string | null; notice: number }>(
      'SELECT miner_id, customer_id, owner_url, owner_user, redirect_url, redirect_user, notice FROM pool_facts',
    )) {
      map.set(row.miner_id, {
        customerId: row.customer_id,
        ownerUrl: row.owner_url,
        ownerUser: row.owner_user,
        redirectUrl: row.redirect_url,
        redirectUser: row.redirect_user,
        notice: Number(row.notice) === 1,
      });
    }
    this.facts = map;
    return map;
  }

  private loadWatches(): Map<string, PoolWatch> {
    if (this.watches) return this.watches;
    const map = new Map<string, PoolWatch>();
    for (const row of this.sql.exec<{
      miner_id: string;
      mismatch_since: number | null;
      mismatch_alert_id: string | null;
      customer_id: string | null;
      baseline_url: string | null;
      baseline_user: string | null;
      change_alert_id: string | null;
      change_url: string | null;
      change_user: string | null;
    }>('SELECT * FROM pool_watch')) {
      map.set(row.miner_id, {
        mismatchSince: row.mismatch_since === null ? null : Number(row.mismatch_since),
        mismatchAlertId: row.mismatch_alert_id,
        customerId: row.customer_id,
        baselineUrl: row.baseline_url,
        baselineUser: row.baseline_user,
        changeAlertId: row.change_alert_id,
        changeUrl: row.change_url,
        changeUser: row.change_user,
      });
    }
    this.watches = map;
    return map;
  }
}
