import { DurableObject } from 'cloudflare:workers';
import { getDb } from '../db/client';
import type { Bindings } from '../env';
import { alertEmails } from '../telemetry/alert-email';
import { DEFAULT_ALERT_RULES, evaluateAlert, type AlertKind, type AlertRules, type AlertTrack } from '../telemetry/alerts';
import { minerKey, validateTelemetryBatch, type TelemetryBatch, type TelemetryMiner } from '../telemetry/batch';
import { hourOf, MAX_GAP_MS, roundWh, splitByHour, wattMsToWh } from '../telemetry/energy';
import { deriveLiveStatus } from '../telemetry/status';
import { LIVE_STATUSES, type HistoryPoint, type LiveMiner, type LiveStatus, type SiteSummary } from '../telemetry/types';

/**
 * SiteState: the live state of one site's miners (DESIGN.md §4), one object per site
 * (`getByName(siteId)`), SQLite-backed, RPC methods only.
 *
 * Everything that matters is in the object's SQLite, never only in memory: objects are evicted
 * at any time and alarms run at least once, so every alarm step is idempotent.
 * @see https://developers.cloudflare.com/durable-objects/api/alarms/ (at-least-once execution)
 *
 * Bulk statements pass rows as one JSON parameter read with json_each: a Durable Object's SQL
 * (and D1) allow at most 100 bound parameters per statement, and one statement per table keeps a
 * 5,000-miner batch to a handful of statements.
 * @see https://developers.cloudflare.com/durable-objects/platform/limits/
 */

const ALARM_EVERY_MS = 60_000;
const HISTORY_BUCKET_MS = 5 * 60 * 1000;
const HISTORY_KEEP_MS = 25 * 60 * 60 * 1000;
const SEEN_BATCH_KEEP_MS = 24 * 60 * 60 * 1000;
const USAGE_KEEP_MS = 48 * 60 * 60 * 1000;
const REGISTRY_REFRESH_MS = 5 * 60 * 1000;
const RULES_REFRESH_MS = 60 * 1000;
/** Rows per bulk D1 statement (one JSON parameter; keeps each statement's payload modest). */
const D1_JSON_CHUNK = 500;

export interface IngestContext {
  hostId: string;
  siteId: string;
}

export type IngestOutcome =
  | { ok: true; result: IngestResult }
  | { ok: false; reason: 'bad_json' }
  | { ok: false; reason: 'invalid'; fields: Record<string, string> };

export interface IngestResult {
  duplicate: boolean;
  accepted: number;
  /** Miners reported for the first time and added to inventory as staged. */
  staged: number;
}

interface Registered {
  minerId: string;
  customerId: string | null;
  nominalMths: number | null;
  nominalW: number | null;
}

interface LatestRow extends Record<string, SqlStorageValue> {
  miner_id: string;
  sampled_at: number;
  state: 'mining' | 'sleeping' | 'error';
  hashrate: number | null;
  expected: number | null;
  power_w: number | null;
  power_source: string | null;
  temp_max: number | null;
  errors: number;
  data: string;
}

interface InventoryRow {
  id: string;
  mac: string | null;
  serial: string | null;
  ip: string | null;
  customer_id: string | null;
  nominal_hashrate_mths: number | null;
  nominal_power_w: number | null;
}

interface PreviousSample {
  t: number;
  powerW: number | null;
  source: string | null;
  online: boolean;
  hashrate: number | null;
}

const registeredOf = (row: InventoryRow): Registered => ({
  minerId: row.id,
  customerId: row.customer_id,
  nominalMths: row.nominal_hashrate_mths,
  nominalW: row.nominal_power_w,
});

const maxOf = (values: number[] | undefined): number | null => (values && values.length > 0 ? Math.max(...values) : null);

export class SiteState extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;
  private registry: Map<string, Registered> | null = null;
  /**
   * Write-through caches of what the ingest path reads for every miner (the previous sample for
   * energy, the alert tracks), so a batch costs writes only. SQLite stays the source of truth:
   * an evicted object rebuilds them on first use. Every write goes through this one instance
   * (a Durable Object is single-threaded), so they cannot drift.
   */
  private previous: Map<string, PreviousSample> | null = null;
  private tracks: Map<string, AlertTrack> | null = null;
  private rules: { value: AlertRules; loadedAt: number } | null = null;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.migrate());
  }

  private migrate() {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
      CREATE TABLE IF NOT EXISTS registry (key TEXT PRIMARY KEY, miner_id TEXT NOT NULL, customer_id TEXT, nominal_mths INTEGER, nominal_w INTEGER);
      CREATE TABLE IF NOT EXISTS latest (miner_id TEXT PRIMARY KEY, sampled_at INTEGER NOT NULL, state TEXT NOT NULL,
        hashrate REAL, expected REAL, power_w REAL, power_source TEXT, temp_max REAL, errors INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS history (miner_id TEXT NOT NULL, bucket INTEGER NOT NULL, hashrate_sum REAL NOT NULL, hashrate_n INTEGER NOT NULL,
        power_sum REAL NOT NULL, power_n INTEGER NOT NULL, temp_max REAL, PRIMARY KEY (miner_id, bucket));
      CREATE TABLE IF NOT EXISTS usage (miner_id TEXT NOT NULL, hour INTEGER NOT NULL, wh REAL NOT NULL, online_ms INTEGER NOT NULL,
        hashrate_ms REAL NOT NULL, samples INTEGER NOT NULL, measured_ms INTEGER NOT NULL, source TEXT NOT NULL, written INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (miner_id, hour));
      CREATE TABLE IF NOT EXISTS alert_track (miner_id TEXT NOT NULL, kind TEXT NOT NULL, breach_since INTEGER, open_alert_id TEXT, last_closed_at INTEGER,
        PRIMARY KEY (miner_id, kind));
      CREATE TABLE IF NOT EXISTS alert_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, alert_id TEXT NOT NULL, miner_id TEXT NOT NULL,
        customer_id TEXT, kind TEXT NOT NULL, detail TEXT, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS seen_batches (batch_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL);
    `);
  }

  // -------------------------------------------------------------------------------------------
  // Identity and cached configuration.

  private meta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0];
    return row?.value ?? null;
  }

  private setMeta(key: string, value: string) {
    this.sql.exec('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  /** The object learns its host and site from its first call and refuses any other afterwards. */
  private bind(context: IngestContext) {
    const hostId = this.meta('host_id');
    const siteId = this.meta('site_id');
    if (hostId === null) {
      this.setMeta('host_id', context.hostId);
      this.setMeta('site_id', context.siteId);
      return;
    }
    if (hostId !== context.hostId || siteId !== context.siteId) throw new Error('SiteState called for another site');
  }

  private async alertRules(): Promise<AlertRules> {
    const hostId = this.meta('host_id');
    if (!hostId) return DEFAULT_ALERT_RULES;
    if (this.rules && Date.now() - this.rules.loadedAt < RULES_REFRESH_MS) return this.rules.value;
    const row = await this.env.DB.prepare(
      `SELECT offline_minutes AS offlineMinutes, low_hashrate_pct AS lowHashratePct, low_hashrate_minutes AS lowHashrateMinutes,
        over_temp_c AS overTempC, over_temp_minutes AS overTempMinutes, cooldown_minutes AS cooldownMinutes, email_customer AS emailCustomer
       FROM alert_rules WHERE host_id = ?`,
    )
      .bind(hostId)
      .first<AlertRules>();
    const value = row ? { ...row, emailCustomer: Boolean(row.emailCustomer) } : DEFAULT_ALERT_RULES;
    this.rules = { value, loadedAt: Date.now() };
    return value;
  }

  private loadRegistry(): Map<string, Registered> {
    if (this.registry) return this.registry;
    const map = new Map<string, Registered>();
    for (const row of this.sql.exec<{ key: string; miner_id: string; customer_id: string | null; nominal_mths: number | null; nominal_w: number | null }>(
      'SELECT key, miner_id, customer_id, nominal_mths, nominal_w FROM registry',
    )) {
      map.set(row.key, { minerId: row.miner_id, customerId: row.customer_id, nominalMths: row.nominal_mths, nominalW: row.nominal_w });
    }
    this.registry = map;
    return map;
  }

  private saveRegistry(entries: [string, Registered][]) {
    if (entries.length === 0) return;
    this.sql.exec(
      `INSERT INTO registry (key, miner_id, customer_id, nominal_mths, nominal_w)
       SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]' FROM json_each(?) j WHERE true
       ON CONFLICT (key) DO UPDATE SET miner_id = excluded.miner_id, customer_id = excluded.customer_id,
         nominal_mths = excluded.nominal_mths, nominal_w = excluded.nominal_w`,
      JSON.stringify(entries.map(([key, r]) => [key, r.minerId, r.customerId, r.nominalMths, r.nominalW])),
    );
    const map = this.loadRegistry();
    for (const [key, value] of entries) map.set(key, value);
  }

  /**
   * Maps reported miners to inventory rows; a miner never seen before is added to the host's
   * inventory as `staged` (INSERT … ON CONFLICT DO NOTHING, then read back, so two objects or two
   * batches racing for the same MAC end with one row).
   */
  private async resolveMiners(context: IngestContext, reported: TelemetryMiner[]): Promise<number> {
    const registry = this.loadRegistry();
    const unknown = reported.filter((miner) => !registry.has(minerKey(miner)));
    if (unknown.length === 0) return 0;
    const found = await this.lookupInventory(context.hostId, context.siteId, unknown);
    const missing = unknown.filter((miner) => !found.has(minerKey(miner)));
    let staged = 0;
    if (missing.length > 0) {
      const now = Date.now();
      const statements = chunk(missing, D1_JSON_CHUNK).map((rows) =>
        this.env.DB.prepare(
          `INSERT INTO miners (id, host_id, site_id, mac, serial, ip, vendor, model, firmware, status, created_at, updated_at)
           SELECT j.value ->> '$[0]', ?1, ?2, j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]',
             j.value ->> '$[5]', j.value ->> '$[6]', 'staged', ?3, ?3 FROM json_each(?4) j WHERE true
           ON CONFLICT DO NOTHING`,
        ).bind(
          context.hostId,
          context.siteId,
          now,
          JSON.stringify(rows.map((m) => [crypto.randomUUID(), m.mac ?? null, m.serial ?? null, m.ip ?? null, m.vendor ?? null, m.model ?? null, m.firmware ?? null])),
        ),
      );
      const results = await this.env.DB.batch(statements);
      staged = results.reduce((sum, result) => sum + (result.meta.changes ?? 0), 0);
      for (const [key, value] of await this.lookupInventory(context.hostId, context.siteId, missing)) found.set(key, value);
    }
    this.saveRegistry([...found]);
    return staged;
  }

  private async lookupInventory(hostId: string, siteId: string, miners: TelemetryMiner[]): Promise<Map<string, Registered>> {
    const found = new Map<string, Registered>();
    for (const rows of chunk(miners, D1_JSON_CHUNK)) {
      const macs = rows.flatMap((m) => (m.mac ? [m.mac] : []));
      const serials = rows.flatMap((m) => (!m.mac && m.serial ? [m.serial] : []));
      const ips = rows.flatMap((m) => (!m.mac && !m.serial && m.ip ? [m.ip] : []));
      const result = await this.env.DB.prepare(
        `SELECT id, mac, serial, ip, customer_id, nominal_hashrate_mths, nominal_power_w FROM miners
         WHERE host_id = ?1 AND (mac IN (SELECT value FROM json_each(?2))
           OR (mac IS NULL AND serial IN (SELECT value FROM json_each(?3)))
           OR (mac IS NULL AND serial IS NULL AND site_id = ?4 AND ip IN (SELECT value FROM json_each(?5))))`,
      )
        .bind(hostId, JSON.stringify(macs), JSON.stringify(serials), siteId, JSON.stringify(ips))
        .all<InventoryRow>();
      for (const row of result.results) found.set(minerKey(row), registeredOf(row));
    }
    return found;
  }

  /** Assignments and nominal specs change in D1; the alarm re-reads them every few minutes. */
  private async refreshRegistry(now: number) {
    const last = Number(this.meta('registry_refreshed_at') ?? 0);
    const hostId = this.meta('host_id');
    if (!hostId || now - last < REGISTRY_REFRESH_MS) return;
    const ids = [...this.loadRegistry().values()].map((r) => r.minerId);
    const entries: [string, Registered][] = [];
    for (const part of chunk(ids, D1_JSON_CHUNK)) {
      const result = await this.env.DB.prepare(
        `SELECT id, mac, serial, ip, customer_id, nominal_hashrate_mths, nominal_power_w FROM miners
         WHERE host_id = ?1 AND id IN (SELECT value FROM json_each(?2))`,
      )
        .bind(hostId, JSON.stringify(part))
        .all<InventoryRow>();
      for (const row of result.results) entries.push([minerKey(row), registeredOf(row)]);
    }
    this.saveRegistry(entries);
    this.setMeta('registry_refreshed_at', String(now));
  }

  // -------------------------------------------------------------------------------------------
  // Ingest.

  /** The agent API's entry point: the raw body text, parsed and validated here (see ingest.ts). */
  async ingestJson(context: IngestContext, text: string): Promise<IngestOutcome> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'bad_json' };
    }
    const validation = validateTelemetryBatch(raw);
    if (!validation.ok) return { ok: false, reason: 'invalid', fields: validation.fields };
    return { ok: true, result: await this.ingest(context, validation.batch) };
  }

  async ingest(context: IngestContext, batch: TelemetryBatch): Promise<IngestResult> {
    this.bind(context);
    const seen = this.sql.exec('SELECT 1 FROM seen_batches WHERE batch_id = ?', batch.batch_id).toArray();
    if (seen.length > 0) return { duplicate: true, accepted: 0, staged: 0 };

    const staged = await this.resolveMiners(context, batch.miners);
    const rules = await this.alertRules();
    const registry = this.loadRegistry();
    const now = Date.now();

    // The same miner twice in one batch: keep its newest sample.
    const samples = new Map<string, { miner: TelemetryMiner; reg: Registered; t: number }>();
    for (const miner of batch.miners) {
      const reg = registry.get(minerKey(miner));
      if (!reg) continue;
      const t = Date.parse(miner.sampled_at);
      const existing = samples.get(reg.minerId);
      if (!existing || existing.t <= t) samples.set(reg.minerId, { miner, reg, t });
    }
    const rows = [...samples.values()];

    this.ctx.storage.transactionSync(() => {
      // Energy first: it reads each miner's previous sample, which writeLatest replaces.
      this.integrateEnergy(rows);
      this.writeLatest(rows);
      this.writeHistory(rows);
      this.evaluateReportedAlerts(rows, rules, now);
      this.sql.exec('INSERT INTO seen_batches (batch_id, received_at) VALUES (?, ?)', batch.batch_id, now);
      this.setMeta('last_report_at', String(now));
    });
    await this.ensureAlarm();
    await this.flushAlerts().catch((error: unknown) => console.error('SiteState: alert flush deferred to the alarm', error));
    return { duplicate: false, accepted: rows.length, staged };
  }

  private writeLatest(rows: { miner: TelemetryMiner; reg: Registered; t: number }[]) {
    if (rows.length === 0) return;
    const payload = rows.map(({ miner, reg, t }) => {
      const expected = miner.expected_hashrate_ths ?? (reg.nominalMths !== null ? reg.nominalMths / 1000 : null);
      const tempMax = maxOf([...(miner.board_temps_c ?? []), ...(miner.chip_temps_c ?? [])]);
      const data = {
        ip: miner.ip ?? null,
        firmware: miner.firmware ?? null,
        hashrate_avg_ths: miner.hashrate_avg_ths ?? null,
        board_temps_c: miner.board_temps_c ?? [],
        chip_temps_c: miner.chip_temps_c ?? [],
        fans_rpm: miner.fans_rpm ?? [],
        power_source: miner.power_w !== undefined ? (miner.power_source ?? 'miner') : null,
        pool_url: miner.pool_url ?? null,
        pool_user: miner.pool_user ?? null,
        uptime_s: miner.uptime_s ?? null,
        errors: miner.errors ?? [],
      };
      return [reg.minerId, t, miner.state, miner.hashrate_ths ?? null, expected, miner.power_w ?? null, data.power_source, tempMax, (miner.errors ?? []).length, JSON.stringify(data)];
    });
    // An out-of-order sample (older than what is stored) never replaces the latest state.
    this.sql.exec(
      `INSERT INTO latest (miner_id, sampled_at, state, hashrate, expected, power_w, power_source, temp_max, errors, data)
       SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]',
         j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]', j.value ->> '$[8]', j.value ->> '$[9]' FROM json_each(?) j WHERE true
       ON CONFLICT (miner_id) DO UPDATE SET sampled_at = excluded.sampled_at, state = excluded.state, hashrate = excluded.hashrate,
         expected = excluded.expected, power_w = excluded.power_w, power_source = excluded.power_source, temp_max = excluded.temp_max,
         errors = excluded.errors, data = excluded.data
       WHERE excluded.sampled_at >= latest.sampled_at`,
      JSON.stringify(payload),
    );
  }

  private previousSamples(): Map<string, PreviousSample> {
    if (this.previous) return this.previous;
    const map = new Map<string, PreviousSample>();
    for (const row of this.sql.exec<{ miner_id: string; sampled_at: number; power_w: number | null; power_source: string | null; state: string; hashrate: number | null }>(
      'SELECT miner_id, sampled_at, power_w, power_source, state, hashrate FROM latest',
    )) {
      map.set(row.miner_id, { t: row.sampled_at, powerW: row.power_w, source: row.power_source, online: row.state === 'mining', hashrate: row.hashrate });
    }
    this.previous = map;
    return map;
  }

  private writeHistory(rows: { miner: TelemetryMiner; t: number; reg: Registered }[]) {
    if (rows.length === 0) return;
    const payload = rows.map(({ miner, reg, t }) => {
      const tempMax = maxOf([...(miner.board_temps_c ?? []), ...(miner.chip_temps_c ?? [])]);
      const hashrate = miner.hashrate_ths ?? null;
      const power = miner.power_w ?? null;
      return [reg.minerId, Math.floor(t / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS, hashrate ?? 0, hashrate === null ? 0 : 1, power ?? 0, power === null ? 0 : 1, tempMax];
    });
    this.sql.exec(
      `INSERT INTO history (miner_id, bucket, hashrate_sum, hashrate_n, power_sum, power_n, temp_max)
       SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]'
       FROM json_each(?) j WHERE true
       ON CONFLICT (miner_id, bucket) DO UPDATE SET hashrate_sum = hashrate_sum + excluded.hashrate_sum, hashrate_n = hashrate_n + excluded.hashrate_n,
         power_sum = power_sum + excluded.power_sum, power_n = power_n + excluded.power_n,
         temp_max = CASE WHEN excluded.temp_max IS NULL THEN temp_max WHEN temp_max IS NULL THEN excluded.temp_max ELSE max(temp_max, excluded.temp_max) END`,
      JSON.stringify(payload),
    );
  }

  /**
   * Energy and online time per miner per hour (src/telemetry/energy.ts). Each sample closes the
   * interval since the miner's previous one: measured power (miner or PDU) when the previous sample
   * had it, else the nominal power while mining (source `spec`). Samples older than the last one
   * integrated are kept for history but add no energy, so out-of-order delivery never double counts.
   */
  private integrateEnergy(rows: { miner: TelemetryMiner; reg: Registered; t: number }[]) {
    if (rows.length === 0) return;
    const previous = this.previousSamples();
    const usage = new Map<string, { minerId: string; hour: number; wh: number; onlineMs: number; hashrateMs: number; samples: number; measuredMs: number; source: string }>();
    for (const { miner, reg, t } of rows) {
      const prev = previous.get(reg.minerId);
      if (prev && t <= prev.t) continue;
      if (prev && t - prev.t <= MAX_GAP_MS) {
        for (const [hour, ms] of splitByHour(prev.t, t)) {
          const key = `${reg.minerId}|${hour}`;
          const acc = usage.get(key) ?? { minerId: reg.minerId, hour, wh: 0, onlineMs: 0, hashrateMs: 0, samples: 0, measuredMs: 0, source: 'spec' };
          if (prev.powerW !== null) {
            acc.wh += wattMsToWh(prev.powerW * ms);
            acc.measuredMs += ms;
            if (prev.source === 'pdu' || acc.source !== 'pdu') acc.source = prev.source ?? 'miner';
          } else if (prev.online && reg.nominalW !== null) {
            acc.wh += wattMsToWh(reg.nominalW * ms);
          }
          if (prev.online) {
            acc.onlineMs += ms;
            acc.hashrateMs += (prev.hashrate ?? 0) * ms;
          }
          usage.set(key, acc);
        }
      }
      const hourKey = `${reg.minerId}|${hourOf(t)}`;
      const acc = usage.get(hourKey) ?? { minerId: reg.minerId, hour: hourOf(t), wh: 0, onlineMs: 0, hashrateMs: 0, samples: 0, measuredMs: 0, source: 'spec' };
      acc.samples += 1;
      usage.set(hourKey, acc);
      const measured = miner.power_w !== undefined;
      previous.set(reg.minerId, {
        t,
        powerW: measured ? (miner.power_w ?? null) : null,
        source: measured ? (miner.power_source === 'pdu' ? 'pdu' : 'miner') : null,
        online: miner.state === 'mining',
        hashrate: miner.hashrate_ths ?? null,
      });
    }
    if (usage.size > 0) {
      this.sql.exec(
        `INSERT INTO usage (miner_id, hour, wh, online_ms, hashrate_ms, samples, measured_ms, source, written)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]', 0
         FROM json_each(?) j WHERE true
         ON CONFLICT (miner_id, hour) DO UPDATE SET wh = wh + excluded.wh, online_ms = online_ms + excluded.online_ms,
           hashrate_ms = hashrate_ms + excluded.hashrate_ms, samples = samples + excluded.samples, measured_ms = measured_ms + excluded.measured_ms,
           source = CASE WHEN excluded.measured_ms = 0 THEN source WHEN source = 'pdu' THEN 'pdu' ELSE excluded.source END, written = 0`,
        JSON.stringify([...usage.values()].map((u) => [u.minerId, u.hour, u.wh, u.onlineMs, u.hashrateMs, u.samples, u.measuredMs, u.source])),
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Alerts: tracked here, recorded in D1 through alert_outbox (flushed after ingest and by the alarm).

  private alertTracks(): Map<string, AlertTrack> {
    if (this.tracks) return this.tracks;
    const tracks = new Map<string, AlertTrack>();
    for (const row of this.sql.exec<{ miner_id: string; kind: string; breach_since: number | null; open_alert_id: string | null; last_closed_at: number | null }>(
      'SELECT miner_id, kind, breach_since, open_alert_id, last_closed_at FROM alert_track',
    )) {
      tracks.set(`${row.miner_id}|${row.kind}`, { breachSince: row.breach_since, openAlertId: row.open_alert_id, lastClosedAt: row.last_closed_at });
    }
    this.tracks = tracks;
    return tracks;
  }

  /** Applies decisions: new tracks, and open/close records queued for D1. */
  private applyAlerts(decisions: { minerId: string; customerId: string | null; kind: AlertKind; track: AlertTrack; breaching: boolean; detail: unknown }[], tracks: Map<string, AlertTrack>, rules: AlertRules, now: number) {
    const trackRows: unknown[] = [];
    const outbox: unknown[] = [];
    for (const item of decisions) {
      const sustainMs = item.kind === 'low_hashrate' ? rules.lowHashrateMinutes * 60_000 : item.kind === 'over_temp' ? rules.overTempMinutes * 60_000 : 0;
      const before = tracks.get(`${item.minerId}|${item.kind}`) ?? { breachSince: null, openAlertId: null, lastClosedAt: null };
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
        tracks.set(`${item.minerId}|${item.kind}`, track);
      }
    }
    if (trackRows.length > 0) {
      this.sql.exec(
        `INSERT INTO alert_track (miner_id, kind, breach_since, open_alert_id, last_closed_at)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]' FROM json_each(?) j WHERE true
         ON CONFLICT (miner_id, kind) DO UPDATE SET breach_since = excluded.breach_since, open_alert_id = excluded.open_alert_id,
           last_closed_at = excluded.last_closed_at`,
        JSON.stringify(trackRows),
      );
    }
    if (outbox.length > 0) {
      this.sql.exec(
        `INSERT INTO alert_outbox (op, alert_id, miner_id, customer_id, kind, detail, at)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]'
         FROM json_each(?) j`,
        JSON.stringify(outbox),
      );
    }
  }

  private evaluateReportedAlerts(rows: { miner: TelemetryMiner; reg: Registered; t: number }[], rules: AlertRules, now: number) {
    const tracks = this.alertTracks();
    const decisions: Parameters<SiteState['applyAlerts']>[0] = [];
    for (const { miner, reg } of rows) {
      const expected = reg.nominalMths !== null ? reg.nominalMths / 1000 : (miner.expected_hashrate_ths ?? null);
      const tempMax = maxOf([...(miner.board_temps_c ?? []), ...(miner.chip_temps_c ?? [])]);
      const hashrate = miner.hashrate_ths ?? null;
      const low = miner.state === 'mining' && hashrate !== null && expected !== null && expected > 0 && hashrate < (expected * rules.lowHashratePct) / 100;
      const hot = tempMax !== null && tempMax > rules.overTempC;
      const base = { minerId: reg.minerId, customerId: reg.customerId, track: { breachSince: null, openAlertId: null, lastClosedAt: null } };
      decisions.push({ ...base, kind: 'offline', breaching: miner.state === 'error', detail: { state: miner.state } });
      decisions.push({ ...base, kind: 'low_hashrate', breaching: low, detail: { hashrate_ths: hashrate, expected_ths: expected, threshold_pct: rules.lowHashratePct } });
      decisions.push({ ...base, kind: 'over_temp', breaching: hot, detail: { temp_c: tempMax, limit_c: rules.overTempC } });
    }
    this.applyAlerts(decisions, tracks, rules, now);
  }

  /** Offline detection for miners that stopped being reported (the agent still reports others). */
  private evaluateSilentMiners(rules: AlertRules, now: number) {
    const siteLast = Number(this.meta('last_report_at') ?? 0) || null;
    const offlineAfterMs = rules.offlineMinutes * 60_000;
    const silent = this.sql
      .exec<{ miner_id: string; sampled_at: number }>('SELECT miner_id, sampled_at FROM latest WHERE sampled_at < ?', now - offlineAfterMs)
      .toArray();
    // While the whole agent is silent (stale) we know nothing about miners: no alerts either way.
    if (silent.length === 0 || (siteLast !== null && now - siteLast > 5 * 60_000)) return;
    const customers = new Map([...this.loadRegistry().values()].map((r) => [r.minerId, r.customerId]));
    const tracks = this.alertTracks();
    this.applyAlerts(
      silent.map((row) => ({
        minerId: row.miner_id,
        customerId: customers.get(row.miner_id) ?? null,
        kind: 'offline' as const,
        track: { breachSince: null, openAlertId: null, lastClosedAt: null },
        breaching: true,
        detail: { last_seen_at: new Date(row.sampled_at).toISOString(), after_minutes: rules.offlineMinutes },
      })),
      tracks,
      rules,
      now,
    );
  }

  /** Writes queued alert opens/closes to D1 (idempotent: INSERT OR IGNORE, close only if open). */
  private async flushAlerts() {
    const hostId = this.meta('host_id');
    const siteId = this.meta('site_id');
    const pending = this.sql
      .exec<{ seq: number; op: string; alert_id: string; miner_id: string; customer_id: string | null; kind: string; detail: string | null; at: number }>(
        'SELECT seq, op, alert_id, miner_id, customer_id, kind, detail, at FROM alert_outbox ORDER BY seq LIMIT 2000',
      )
      .toArray();
    if (!hostId || !siteId || pending.length === 0) return;
    const statements: D1PreparedStatement[] = [];
    for (const part of chunk(pending, D1_JSON_CHUNK)) {
      const opens = part.filter((p) => p.op === 'open').map((p) => [p.alert_id, p.miner_id, p.customer_id, p.kind, p.detail, p.at]);
      const closes = part.filter((p) => p.op === 'close').map((p) => [p.alert_id, p.at]);
      if (opens.length > 0) {
        statements.push(
          this.env.DB.prepare(
            `INSERT OR IGNORE INTO alerts (id, host_id, site_id, miner_id, customer_id, kind, detail, opened_at)
             SELECT j.value ->> '$[0]', ?1, ?2, j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]'
             FROM json_each(?3) j`,
          ).bind(hostId, siteId, JSON.stringify(opens)),
        );
      }
      if (closes.length > 0) {
        statements.push(
          this.env.DB.prepare(
            `UPDATE alerts SET closed_at = (SELECT j.value ->> '$[1]' FROM json_each(?2) j WHERE j.value ->> '$[0]' = alerts.id)
             WHERE host_id = ?1 AND closed_at IS NULL AND id IN (SELECT j.value ->> '$[0]' FROM json_each(?2) j)`,
          ).bind(hostId, JSON.stringify(closes)),
        );
      }
    }
    await this.env.DB.batch(statements);
    // Alert emails (src/telemetry/alert-email.ts): idempotent through alerts.emailed_at, so if this
    // throws, the outbox rows stay and the next flush re-records (INSERT OR IGNORE) and retries.
    const opened = pending.filter((p) => p.op === 'open').map((p) => p.alert_id);
    if (opened.length > 0) await alertEmails(getDb(this.env.DB), this.env, hostId, opened);
    const lastSeq = pending[pending.length - 1]!.seq;
    this.sql.exec('DELETE FROM alert_outbox WHERE seq <= ?', lastSeq);
  }

  // -------------------------------------------------------------------------------------------
  // The alarm: offline detection, alert records, hourly usage roll-up, retention.

  private async ensureAlarm() {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
  }

  override async alarm() {
    const now = Date.now();
    if (!this.meta('host_id')) return;
    await this.refreshRegistry(now);
    const rules = await this.alertRules();
    this.ctx.storage.transactionSync(() => this.evaluateSilentMiners(rules, now));
    await this.flushAlerts();
    await this.rollUpUsage(now);
    this.sql.exec('DELETE FROM history WHERE bucket < ?', now - HISTORY_KEEP_MS);
    this.sql.exec('DELETE FROM seen_batches WHERE received_at < ?', now - SEEN_BATCH_KEEP_MS);
    this.sql.exec('DELETE FROM usage WHERE written = 1 AND hour < ?', now - USAGE_KEEP_MS);
    await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
  }

  /**
   * Completed hours go to D1's usage_hourly as absolute values keyed by (miner, hour), so a
   * re-run (at-least-once alarms) overwrites rather than adds. A row is marked written only if it
   * did not change while the write was in flight.
   */
  async rollUpUsage(now = Date.now()) {
    const hostId = this.meta('host_id');
    const siteId = this.meta('site_id');
    if (!hostId || !siteId) return 0;
    const rows = this.sql
      .exec<{ miner_id: string; hour: number; wh: number; online_ms: number; hashrate_ms: number; samples: number; source: string }>(
        'SELECT miner_id, hour, wh, online_ms, hashrate_ms, samples, source FROM usage WHERE written = 0 AND hour < ?',
        hourOf(now),
      )
      .toArray();
    if (rows.length === 0) return 0;
    const customers = new Map([...this.loadRegistry().values()].map((r) => [r.minerId, r.customerId]));
    const statements = chunk(rows, D1_JSON_CHUNK).map((part) =>
      this.env.DB.prepare(
        `INSERT INTO usage_hourly (miner_id, hour_start, host_id, site_id, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', ?1, ?2, j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]'
         FROM json_each(?3) j WHERE true
         ON CONFLICT (miner_id, hour_start) DO UPDATE SET customer_id = excluded.customer_id, energy_wh = excluded.energy_wh,
           energy_source = excluded.energy_source, avg_hashrate_mths = excluded.avg_hashrate_mths, online_seconds = excluded.online_seconds,
           samples = excluded.samples`,
      ).bind(
        hostId,
        siteId,
        JSON.stringify(
          part.map((r) => [
            r.miner_id,
            r.hour,
            customers.get(r.miner_id) ?? null,
            roundWh(r.wh),
            r.source,
            r.online_ms > 0 ? Math.round((r.hashrate_ms / r.online_ms) * 1000) : 0,
            Math.round(r.online_ms / 1000),
            r.samples,
          ]),
        ),
      ),
    );
    await this.env.DB.batch(statements);
    this.sql.exec(
      `UPDATE usage SET written = 1 WHERE written = 0 AND EXISTS (SELECT 1 FROM json_each(?) j
         WHERE j.value ->> '$[0]' = usage.miner_id AND j.value ->> '$[1]' = usage.hour AND j.value ->> '$[2]' = usage.wh AND j.value ->> '$[3]' = usage.samples)`,
      JSON.stringify(rows.map((r) => [r.miner_id, r.hour, r.wh, r.samples])),
    );
    return rows.length;
  }

  // -------------------------------------------------------------------------------------------
  // Reads for pages and the API.

  async live(minerIds: string[]): Promise<LiveMiner[]> {
    if (minerIds.length === 0) return [];
    const rules = await this.alertRules();
    const now = Date.now();
    const siteLast = Number(this.meta('last_report_at') ?? 0) || null;
    const rows = this.sql.exec<LatestRow>('SELECT * FROM latest WHERE miner_id IN (SELECT value FROM json_each(?))', JSON.stringify(minerIds)).toArray();
    return rows.map((row) => toLive(row, now, siteLast, rules.offlineMinutes * 60_000));
  }

  async summary(): Promise<SiteSummary> {
    const rules = await this.alertRules();
    const now = Date.now();
    const siteLast = Number(this.meta('last_report_at') ?? 0) || null;
    const byStatus = Object.fromEntries(LIVE_STATUSES.map((s) => [s, 0])) as Record<LiveStatus, number>;
    let hashrateThs = 0;
    let powerW = 0;
    let miners = 0;
    for (const row of this.sql.exec<LatestRow>('SELECT * FROM latest')) {
      const live = toLive(row, now, siteLast, rules.offlineMinutes * 60_000);
      miners += 1;
      byStatus[live.status] += 1;
      if (live.status === 'active' || live.status === 'degraded') {
        hashrateThs += live.hashrateThs ?? 0;
        powerW += live.powerW ?? 0;
      }
    }
    return { miners, byStatus, hashrateThs, powerW, lastReportAt: siteLast };
  }

  async history(minerIds: string[], sinceMs: number): Promise<HistoryPoint[]> {
    if (minerIds.length === 0) return [];
    const rows = this.sql
      .exec<{ bucket: number; hashrate: number | null; power: number | null; temp: number | null }>(
        `SELECT bucket,
           sum(CASE WHEN hashrate_n > 0 THEN hashrate_sum / hashrate_n END) AS hashrate,
           sum(CASE WHEN power_n > 0 THEN power_sum / power_n END) AS power,
           max(temp_max) AS temp
         FROM history WHERE bucket >= ? AND miner_id IN (SELECT value FROM json_each(?)) GROUP BY bucket ORDER BY bucket`,
        sinceMs,
        JSON.stringify(minerIds),
      )
      .toArray();
    return rows.map((row) => ({ t: row.bucket, hashrateThs: row.hashrate, powerW: row.power, tempMaxC: row.temp }));
  }
}

function toLive(row: LatestRow, now: number, siteLastReportAt: number | null, offlineAfterMs: number): LiveMiner {
  const data = JSON.parse(row.data) as {
    ip: string | null;
    firmware: string | null;
    hashrate_avg_ths: number | null;
    board_temps_c: number[];
    chip_temps_c: number[];
    fans_rpm: number[];
    power_source: 'miner' | 'pdu' | 'spec' | null;
    pool_url: string | null;
    pool_user: string | null;
    uptime_s: number | null;
    errors: string[];
  };
  const status = deriveLiveStatus({
    now,
    lastSeenAt: row.sampled_at,
    siteLastReportAt,
    state: row.state,
    hashrateThs: row.hashrate,
    expectedThs: row.expected,
    errors: row.errors,
    offlineAfterMs,
  });
  return {
    minerId: row.miner_id,
    status,
    lastSeenAt: row.sampled_at,
    hashrateThs: row.hashrate,
    hashrateAvgThs: data.hashrate_avg_ths,
    expectedHashrateThs: row.expected,
    tempMaxC: row.temp_max,
    boardTempsC: data.board_temps_c,
    chipTempsC: data.chip_temps_c,
    fansRpm: data.fans_rpm,
    powerW: row.power_w,
    powerSource: data.power_source,
    efficiencyJth: row.power_w !== null && row.hashrate !== null && row.hashrate > 0 ? row.power_w / row.hashrate : null,
    uptimeS: data.uptime_s,
    poolUrl: data.pool_url,
    poolUser: data.pool_user,
    ip: data.ip,
    firmware: data.firmware,
    errors: data.errors,
  };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
