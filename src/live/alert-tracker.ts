import { getDb } from '../db/client';
import { alertEmails, type AlertEmailEnv } from '../telemetry/alert-email';
import { DEFAULT_ALERT_RULES, evaluateAlert, type AlertKind, type AlertRules, type AlertTrack } from '../telemetry/alerts';
import { STALE_AFTER_MS } from '../telemetry/status';
import { chunk, D1_JSON_CHUNK, execJsonRows } from './chunk';
import type { AdvancedSample } from './fold';
import { tempMaxOf, type MinerStates } from './miner-state';
import type { SiteRef } from './registry';

/**
 * Alert tracking (src/telemetry/alerts.ts has the pure sustain/cooldown rule): one track per miner
 * and kind (`alert_track`), and the opens and closes it decides, queued in `alert_outbox` in the
 * same transaction as the batch or alarm that caused them, then written to D1 `alerts` by `flush`
 * (after ingest and by the alarm; idempotent, so a failed or repeated flush is harmless).
 */

/** Objects re-read the host's alert rules this often (Settings → Alerts says "within a minute"). */
const RULES_REFRESH_MS = 60 * 1000;

interface Decision {
  minerId: string;
  customerId: string | null;
  kind: AlertKind;
  breaching: boolean;
  detail: unknown;
}

const trackKey = (minerId: string, kind: AlertKind) => `${minerId}|${kind}`;
const NO_TRACK: AlertTrack = { breachSince: null, openAlertId: null, lastClosedAt: null };

export class AlertTracker {
  private tracks: Map<string, AlertTrack> | null = null;
  /** Every miner with a track of any kind (loaded and kept with `tracks`): a healthy miner not in it needs no decision. */
  private trackedMiners: Set<string> | null = null;
  private rulesCache: { value: AlertRules; loadedAt: number } | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: AlertEmailEnv,
  ) {}

  static migrate(sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS alert_track (miner_id TEXT NOT NULL, kind TEXT NOT NULL, breach_since INTEGER, open_alert_id TEXT, last_closed_at INTEGER,
        PRIMARY KEY (miner_id, kind));
      CREATE TABLE IF NOT EXISTS alert_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, alert_id TEXT NOT NULL, miner_id TEXT NOT NULL,
        customer_id TEXT, kind TEXT NOT NULL, detail TEXT, at INTEGER NOT NULL);
    `);
  }

  /** The host's rules (defaults until the object knows its host), cached for a minute. */
  async rules(hostId: string | null, now = Date.now()): Promise<AlertRules> {
    if (!hostId) return DEFAULT_ALERT_RULES;
    if (this.rulesCache && now - this.rulesCache.loadedAt < RULES_REFRESH_MS) return this.rulesCache.value;
    const row = await this.env.DB.prepare(
      `SELECT offline_minutes AS offlineMinutes, low_hashrate_pct AS lowHashratePct, low_hashrate_minutes AS lowHashrateMinutes,
        over_temp_c AS overTempC, over_temp_minutes AS overTempMinutes, cooldown_minutes AS cooldownMinutes, email_customer AS emailCustomer
       FROM alert_rules WHERE host_id = ?`,
    )
      .bind(hostId)
      .first<AlertRules>();
    const value = row ? { ...row, emailCustomer: Boolean(row.emailCustomer) } : DEFAULT_ALERT_RULES;
    this.rulesCache = { value, loadedAt: now };
    return value;
  }

  /** Drops the cached tracks (a rolled-back transaction may have changed them in memory only). */
  forget() {
    this.tracks = null;
    this.trackedMiners = null;
  }

  /** Judges each sample that advanced a miner: offline (state error), low hashrate, over temperature. */
  evaluateReported(samples: readonly AdvancedSample[], rules: AlertRules, now: number) {
    const tracks = this.loadTracks();
    const trackedMiners = this.trackedMiners!;
    const decisions: Decision[] = [];
    for (const { miner, reg } of samples) {
      const expected = reg.nominalMths !== null ? reg.nominalMths / 1000 : (miner.expected_hashrate_ths ?? null);
      const tempMax = tempMaxOf(miner);
      const hashrate = miner.hashrate_ths ?? null;
      const offline = miner.state === 'error';
      const low = miner.state === 'mining' && hashrate !== null && expected !== null && expected > 0 && hashrate < (expected * rules.lowHashratePct) / 100;
      const hot = tempMax !== null && tempMax > rules.overTempC;
      // A healthy miner with nothing tracked needs no decision: the common case (almost every
      // sample of a batch) is one set lookup, no key string built and no closure allocated.
      if (!offline && !low && !hot && !trackedMiners.has(reg.minerId)) continue;
      const consider = (kind: AlertKind, breaching: boolean, detail: () => unknown) => {
        if (!breaching && !tracks.has(trackKey(reg.minerId, kind))) return;
        decisions.push({ minerId: reg.minerId, customerId: reg.customerId, kind, breaching, detail: detail() });
      };
      consider('offline', offline, () => ({ state: miner.state }));
      consider('low_hashrate', low, () => ({ hashrate_ths: hashrate, expected_ths: expected, threshold_pct: rules.lowHashratePct }));
      consider('over_temp', hot, () => ({ temp_c: tempMax, limit_c: rules.overTempC }));
    }
    this.apply(decisions, rules, now);
  }

  /** Offline detection for miners that stopped being reported (the alarm; the agent still reports others). */
  evaluateSilent(states: MinerStates, customers: ReadonlyMap<string, string | null>, siteLastReportAt: number | null, rules: AlertRules, now: number) {
    const offlineAfterMs = rules.offlineMinutes * 60_000;
    // While the whole agent is silent (stale) we know nothing about miners: no alerts either way.
    if (siteLastReportAt !== null && now - siteLastReportAt > STALE_AFTER_MS) return;
    // Only units the registry maps here (`customers` has every one): a unit moved to another site
    // or shard is watched there.
    const silent = [...states.values()].filter((miner) => miner.t < now - offlineAfterMs && customers.has(miner.id));
    if (silent.length === 0) return;
    this.apply(
      silent.map((miner) => ({
        minerId: miner.id,
        customerId: customers.get(miner.id) ?? null,
        kind: 'offline' as const,
        breaching: true,
        detail: { last_seen_at: new Date(miner.t).toISOString(), after_minutes: rules.offlineMinutes },
      })),
      rules,
      now,
    );
  }

  /** Writes queued alert opens/closes to D1 (idempotent: INSERT OR IGNORE, close only if open), then emails (links on `platformOrigin`). */
  async flush(site: SiteRef | null, platformOrigin: string | null = null) {
    const pending = this.sql
      .exec<{ seq: number; op: string; alert_id: string; miner_id: string; customer_id: string | null; kind: string; detail: string | null; at: number }>(
        'SELECT seq, op, alert_id, miner_id, customer_id, kind, detail, at FROM alert_outbox ORDER BY seq LIMIT 2000',
      )
      .toArray();
    if (!site || pending.length === 0) return;
    const statements: D1PreparedStatement[] = [];
    for (const part of chunk(pending, D1_JSON_CHUNK)) {
      const opens = part.filter((p) => p.op === 'open').map((p) => [p.alert_id, p.miner_id, p.customer_id, p.kind, p.detail, p.at]);
      const closes = part.filter((p) => p.op === 'close').map((p) => [p.alert_id, p.at]);
      if (opens.length > 0) {
        statements.push(
          this.env.DB.prepare(
            // The customer comes from D1's current assignment, not the object's cached registry
            // (refreshed only every few minutes): an alert right after assignment is theirs.
            // A unit inside a maintenance window (src/notify/) still gets its alert recorded, marked
            // suppressed by the window: never emailed, shown as planned (suppressed_by).
            `INSERT OR IGNORE INTO alerts (id, host_id, site_id, miner_id, customer_id, kind, detail, opened_at, suppressed_by)
             SELECT j.value ->> '$[0]', ?1, ?2, j.value ->> '$[1]',
               (SELECT m.customer_id FROM miners m WHERE m.id = j.value ->> '$[1]' AND m.host_id = ?1 AND m.status = 'assigned'),
               j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]',
               (SELECT mu.announcement_id FROM maintenance_units mu WHERE mu.miner_id = j.value ->> '$[1]' AND mu.host_id = ?1
                  AND mu.starts_at <= j.value ->> '$[5]' AND mu.ends_at > j.value ->> '$[5]' LIMIT 1)
             FROM json_each(?3) j`,
          ).bind(site.hostId, site.siteId, JSON.stringify(opens)),
        );
      }
      if (closes.length > 0) {
        statements.push(
          this.env.DB.prepare(
            `UPDATE alerts SET closed_at = (SELECT j.value ->> '$[1]' FROM json_each(?2) j WHERE j.value ->> '$[0]' = alerts.id)
             WHERE host_id = ?1 AND closed_at IS NULL AND id IN (SELECT j.value ->> '$[0]' FROM json_each(?2) j)`,
          ).bind(site.hostId, JSON.stringify(closes)),
        );
      }
    }
    await this.env.DB.batch(statements);
    // Alert emails (src/telemetry/alert-email.ts): idempotent through alerts.emailed_at, so if this
    // throws, the outbox rows stay and the next flush re-records (INSERT OR IGNORE) and retries.
    const opened = pending.filter((p) => p.op === 'open').map((p) => p.alert_id);
    if (opened.length > 0) await alertEmails(getDb(this.env.DB), this.env, site.hostId, opened, platformOrigin);
    const lastSeq = pending[pending.length - 1]!.seq;
    this.sql.exec('DELETE FROM alert_outbox WHERE seq <= ?', lastSeq);
  }

  private loadTracks(): Map<string, AlertTrack> {
    if (this.tracks) return this.tracks;
    const tracks = new Map<string, AlertTrack>();
    const trackedMiners = new Set<string>();
    for (const row of this.sql.exec<{ miner_id: string; kind: AlertKind; breach_since: number | null; open_alert_id: string | null; last_closed_at: number | null }>(
      'SELECT miner_id, kind, breach_since, open_alert_id, last_closed_at FROM alert_track',
    )) {
      tracks.set(trackKey(row.miner_id, row.kind), { breachSince: row.breach_since, openAlertId: row.open_alert_id, lastClosedAt: row.last_closed_at });
      trackedMiners.add(row.miner_id);
    }
    this.tracks = tracks;
    this.trackedMiners = trackedMiners;
    return tracks;
  }

  /** Applies decisions: changed tracks, and open/close records queued for D1. */
  private apply(decisions: readonly Decision[], rules: AlertRules, now: number) {
    const tracks = this.loadTracks();
    const trackRows: unknown[] = [];
    const outbox: unknown[] = [];
    for (const item of decisions) {
      const sustainMs = item.kind === 'low_hashrate' ? rules.lowHashrateMinutes * 60_000 : item.kind === 'over_temp' ? rules.overTempMinutes * 60_000 : 0;
      const before = tracks.get(trackKey(item.minerId, item.kind)) ?? NO_TRACK;
      const decision = evaluateAlert(before, item.breaching, now, sustainMs, rules.cooldownMinutes * 60_000);
      let track = decision.track;
      if (decision.event?.type === 'open') {
        const alertId = crypto.randomUUID();
        track = { ...track, openAlertId: alertId };
        outbox.push(['open', alertId, item.minerId, item.customerId, item.kind, JSON.stringify(item.detail), now]);
      } else if (decision.event?.type === 'close') {
        outbox.push(['close', decision.event.alertId, item.minerId, item.customerId, item.kind, null, now]);
      }
      if (before.breachSince !== track.breachSince || before.openAlertId !== track.openAlertId || before.lastClosedAt !== track.lastClosedAt) {
        trackRows.push([item.minerId, item.kind, track.breachSince, track.openAlertId, track.lastClosedAt]);
        tracks.set(trackKey(item.minerId, item.kind), track);
        this.trackedMiners!.add(item.minerId);
      }
    }
    if (trackRows.length > 0) {
      execJsonRows(
        this.sql,
        `INSERT INTO alert_track (miner_id, kind, breach_since, open_alert_id, last_closed_at)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]' FROM json_each(?) j WHERE true
         ON CONFLICT (miner_id, kind) DO UPDATE SET breach_since = excluded.breach_since, open_alert_id = excluded.open_alert_id,
           last_closed_at = excluded.last_closed_at`,
        trackRows,
      );
    }
    queueAlertOutbox(this.sql, outbox);
  }
}

/** An alert open or close for `flush` to record in D1: [op, alert id, miner id, customer id, kind, detail JSON, at]. */
export type AlertOutboxRow = [op: 'open' | 'close', alertId: string, minerId: string, customerId: string | null, kind: string, detail: string | null, at: number];

/**
 * Queues opens and closes in `alert_outbox` (inside the caller's transaction). Rooms with rules of
 * their own (`pool-guard.ts`) queue here too, so one flush records and emails every alert.
 */
export function queueAlertOutbox(sql: SqlStorage, rows: readonly unknown[]) {
  if (rows.length === 0) return;
  execJsonRows(
    sql,
    `INSERT INTO alert_outbox (op, alert_id, miner_id, customer_id, kind, detail, at)
     SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]'
     FROM json_each(?) j`,
    rows,
  );
}
