import { DurableObject } from 'cloudflare:workers';
import { getDb } from '../db/client';
import type { Bindings } from '../env';
import { alertEmails } from '../telemetry/alert-email';
import { DEFAULT_ALERT_RULES, evaluateAlert, type AlertKind, type AlertRules, type AlertTrack } from '../telemetry/alerts';
import { MAX_BATCH_BYTES, minerKey, validateTelemetryBatch, type MinerState, type TelemetryBatch, type TelemetryMiner } from '../telemetry/batch';
import { hourOf, MAX_GAP_MS, roundWh, splitByHour, wattMsToWh } from '../telemetry/energy';
import { addToPoint, liveTotals, type LiveTotals } from '../telemetry/live';
import { deriveLiveStatus, STALE_AFTER_MS } from '../telemetry/status';
import type { HistoryPoint, LiveKey, LiveMiner, SiteSummary } from '../telemetry/types';

/**
 * SiteState: the live state of one site's miners (DESIGN.md §4), one object per site
 * (`getByName(siteId)`), SQLite-backed, RPC methods only.
 *
 * The ingest path is a journal: each accepted batch is stored once, as the gzip bytes the agent
 * sent, in one row, and applied to the in-memory state (latest sample per miner, the open 5-minute
 * history bucket and the open hour of energy). Rows are written per miner only when a bucket or an
 * hour closes, and every minute the alarm checkpoints the in-memory state into a few snapshot rows
 * and drops the journal it covers. An evicted object rebuilds its state from the snapshot plus the
 * journal, so nothing that matters lives only in memory, and a 5,000-miner batch costs a handful
 * of row writes instead of tens of thousands (DESIGN.md §10; bench/ingest.mjs).
 *
 * Alarms run at least once, so every alarm step is idempotent.
 * @see https://developers.cloudflare.com/durable-objects/api/alarms/
 * Bulk statements pass rows as one JSON parameter read with json_each: a Durable Object's SQL
 * (and D1) allow at most 100 bound parameters per statement; a row (so a journal entry or a
 * snapshot shard) is at most 2 MB.
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
/** Snapshot shards: ~50,000 miners stay under the 2 MB row limit at ~600 bytes a miner. */
const SNAPSHOT_SHARDS = 64;
/** Fleet charts (this many miners or more) keep their closed 5-minute points in memory. */
const HISTORY_CACHE_MIN_MINERS = 20;
const HISTORY_CACHE_ENTRIES = 64;

export interface IngestContext {
  hostId: string;
  siteId: string;
}

export type IngestOutcome =
  | { ok: true; result: IngestResult }
  | { ok: false; reason: 'bad_json' | 'bad_gzip' | 'too_large' }
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

interface InventoryRow {
  id: string;
  mac: string | null;
  serial: string | null;
  ip: string | null;
  customer_id: string | null;
  nominal_hashrate_mths: number | null;
  nominal_power_w: number | null;
}

const registeredOf = (row: InventoryRow): Registered => ({
  minerId: row.id,
  customerId: row.customer_id,
  nominalMths: row.nominal_hashrate_mths,
  nominalW: row.nominal_power_w,
});

/** The open 5-minute history bucket of one miner. */
interface OpenBucket {
  b: number;
  hs: number;
  hn: number;
  ps: number;
  pn: number;
  tm: number | null;
}

/** The open hour of energy accounting of one miner (src/telemetry/energy.ts). */
interface OpenHour {
  h: number;
  wh: number;
  onMs: number;
  hashMs: number;
  n: number;
  measuredMs: number;
  src: string;
}

/** Everything the object knows about one miner; serialised as-is into the snapshot. */
interface MinerLiveState {
  id: string;
  t: number;
  state: MinerState;
  hashrate: number | null;
  hashrateAvg: number | null;
  expected: number | null;
  powerW: number | null;
  powerSource: 'miner' | 'pdu' | null;
  tempMax: number | null;
  boardTemps: number[];
  chipTemps: number[];
  fans: number[];
  ip: string | null;
  firmware: string | null;
  poolUrl: string | null;
  poolUser: string | null;
  uptime: number | null;
  errors: string[];
  bucket: OpenBucket | null;
  hour: OpenHour | null;
}

/**
 * A fleet chart's points from closed history rows up to `upTo` (inclusive), summed over its
 * miners: a customer's 24-hour chart over 1,000 miners is 288,000 rows, so only the rows after
 * `upTo` are read again (see `history`).
 */
interface CachedSeries {
  /** The window's start it was read for: it holds no points before it. */
  from: number;
  upTo: number;
  points: Map<number, HistoryPoint>;
}

/** What applying a batch must write besides the journal: closed buckets and hours, late samples. */
interface ApplyEffects {
  closedBuckets: unknown[];
  lateBuckets: unknown[];
  closedHours: unknown[];
}

const maxOf = (values: number[] | undefined): number | null => (values && values.length > 0 ? Math.max(...values) : null);
const bucketOf = (t: number) => Math.floor(t / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS;

async function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
}

/** Gunzips, refusing more than MAX_BATCH_BYTES so a small zip bomb cannot exhaust the isolate. */
async function gunzipText(bytes: ArrayBuffer): Promise<string> {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BATCH_BYTES) throw new RangeError('too large');
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return new TextDecoder().decode(out);
}

export class SiteState extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;
  private registry: Map<string, Registered> | null = null;
  private rules: { value: AlertRules; loadedAt: number } | null = null;
  /** In-memory state, rebuilt from snapshot + journal by load(); null until then. */
  private miners: Map<string, MinerLiveState> | null = null;
  private tracks: Map<string, AlertTrack> | null = null;
  private loading: Promise<Map<string, MinerLiveState>> | null = null;
  /** Fleet chart series by miner set (the ids joined), oldest first; see `history`. */
  private readonly historyCache = new Map<string, CachedSeries>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.migrate());
  }

  private migrate() {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
      CREATE TABLE IF NOT EXISTS registry (key TEXT PRIMARY KEY, miner_id TEXT NOT NULL, customer_id TEXT, nominal_mths INTEGER, nominal_w INTEGER);
      CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, body BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS snapshot (shard INTEGER PRIMARY KEY, body TEXT NOT NULL);
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
  // In-memory state: snapshot + journal.

  /** The miners' state, loading it once per object lifetime (snapshot, then journal replay). */
  private async state(): Promise<Map<string, MinerLiveState>> {
    if (this.miners) return this.miners;
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<Map<string, MinerLiveState>> {
    const map = new Map<string, MinerLiveState>();
    for (const row of this.sql.exec<{ body: string }>('SELECT body FROM snapshot')) {
      for (const miner of JSON.parse(row.body) as MinerLiveState[]) map.set(miner.id, miner);
    }
    const registry = this.loadRegistry();
    // Batches accepted since the last checkpoint: re-applied in order, writing nothing again
    // (their closed buckets and hours, alerts and seen ids were stored when they arrived).
    for (const row of this.sql.exec<{ received_at: number; body: ArrayBuffer }>('SELECT received_at, body FROM journal ORDER BY seq').toArray()) {
      const validation = validateTelemetryBatch(JSON.parse(await gunzipText(row.body)));
      if (validation.ok) this.apply(map, registry, validation.batch.miners, null);
    }
    this.miners = map;
    return map;
  }

  /** Writes the whole state into the snapshot shards and drops the journal it now covers. */
  private checkpoint(map: Map<string, MinerLiveState>) {
    const shards: MinerLiveState[][] = Array.from({ length: SNAPSHOT_SHARDS }, () => []);
    let i = 0;
    for (const miner of map.values()) shards[i++ % SNAPSHOT_SHARDS]!.push(miner);
    this.sql.exec('DELETE FROM snapshot');
    shards.forEach((miners, shard) => {
      if (miners.length > 0) this.sql.exec('INSERT INTO snapshot (shard, body) VALUES (?, ?)', shard, JSON.stringify(miners));
    });
    this.sql.exec('DELETE FROM journal');
  }

  // -------------------------------------------------------------------------------------------
  // Ingest.

  /**
   * The agent API's entry point: the body as the agent sent it (gzip or plain JSON). Parsed and
   * validated here, so the payload crosses the RPC boundary once, as bytes; a batch with any
   * invalid miner is rejected whole and nothing is written.
   */
  async ingestBody(context: IngestContext, body: ArrayBuffer, encoding: 'gzip' | 'identity'): Promise<IngestOutcome> {
    let text: string;
    try {
      text = encoding === 'gzip' ? await gunzipText(body) : new TextDecoder().decode(body);
    } catch (error) {
      return { ok: false, reason: error instanceof RangeError ? 'too_large' : 'bad_gzip' };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'bad_json' };
    }
    const validation = validateTelemetryBatch(raw);
    if (!validation.ok) return { ok: false, reason: 'invalid', fields: validation.fields };
    const journal = encoding === 'gzip' ? body : await gzip(text);
    return { ok: true, result: await this.accept(context, validation.batch, journal) };
  }

  /** A validated batch (tests and internal callers); stored in the journal like any other. */
  async ingest(context: IngestContext, batch: TelemetryBatch): Promise<IngestResult> {
    return this.accept(context, batch, await gzip(JSON.stringify(batch)));
  }

  private async accept(context: IngestContext, batch: TelemetryBatch, journal: ArrayBuffer): Promise<IngestResult> {
    this.bind(context);
    const seen = this.sql.exec('SELECT 1 FROM seen_batches WHERE batch_id = ?', batch.batch_id).toArray();
    if (seen.length > 0) return { duplicate: true, accepted: 0, staged: 0 };
    const staged = await this.resolveMiners(context, batch.miners);
    const rules = await this.alertRules();
    const map = await this.state();
    const registry = this.loadRegistry();
    const now = Date.now();
    try {
      this.ctx.storage.transactionSync(() => {
        const effects: ApplyEffects = { closedBuckets: [], lateBuckets: [], closedHours: [] };
        const reported = this.apply(map, registry, batch.miners, effects);
        this.writeEffects(effects);
        this.evaluateReportedAlerts(reported, rules, now);
        this.sql.exec('INSERT INTO journal (received_at, body) VALUES (?, ?)', now, journal);
        this.sql.exec('INSERT INTO seen_batches (batch_id, received_at) VALUES (?, ?)', batch.batch_id, now);
        this.setMeta('last_report_at', String(now));
      });
    } catch (error) {
      // The transaction rolled back; the in-memory state may not have: rebuild it from storage.
      this.miners = null;
      this.tracks = null;
      throw error;
    }
    await this.ensureAlarm();
    await this.flushAlerts().catch((error: unknown) => console.error('SiteState: alert flush deferred to the alarm', error));
    return { duplicate: false, accepted: new Set(batch.miners.map((m) => registry.get(minerKey(m))?.minerId).filter(Boolean)).size, staged };
  }

  /**
   * Applies samples to the in-memory state: latest values, the open history bucket, energy since
   * each miner's previous sample. With `effects`, records what must be written (buckets and hours
   * that closed, samples older than a miner's open bucket); on journal replay (`effects` null)
   * those were written when the batch first arrived. Returns the samples that advanced a miner.
   */
  private apply(
    map: Map<string, MinerLiveState>,
    registry: Map<string, Registered>,
    reported: TelemetryMiner[],
    effects: ApplyEffects | null,
  ): { miner: TelemetryMiner; reg: Registered; t: number }[] {
    // The same miner twice in one batch: keep its newest sample.
    const newest = new Map<string, { miner: TelemetryMiner; reg: Registered; t: number }>();
    for (const miner of reported) {
      const reg = registry.get(minerKey(miner));
      if (!reg) continue;
      const t = Date.parse(miner.sampled_at);
      const existing = newest.get(reg.minerId);
      if (!existing || existing.t <= t) newest.set(reg.minerId, { miner, reg, t });
    }
    const advanced: { miner: TelemetryMiner; reg: Registered; t: number }[] = [];
    for (const sample of newest.values()) {
      const { miner, reg, t } = sample;
      const prev = map.get(reg.minerId);
      const tempMax = maxOf([...(miner.board_temps_c ?? []), ...(miner.chip_temps_c ?? [])]);
      if (prev && t <= prev.t) {
        // Out of order: history only, never the latest state or energy (no double counting).
        const bucket = bucketOf(t);
        if (prev.bucket && bucket === prev.bucket.b) addToBucket(prev.bucket, miner, tempMax);
        else if (effects) effects.lateBuckets.push(bucketRow(reg.minerId, { b: bucket, hs: 0, hn: 0, ps: 0, pn: 0, tm: null }, miner, tempMax));
        continue;
      }
      const state: MinerLiveState = prev ?? {
        id: reg.minerId,
        t,
        state: miner.state,
        hashrate: null,
        hashrateAvg: null,
        expected: null,
        powerW: null,
        powerSource: null,
        tempMax: null,
        boardTemps: [],
        chipTemps: [],
        fans: [],
        ip: null,
        firmware: null,
        poolUrl: null,
        poolUser: null,
        uptime: null,
        errors: [],
        bucket: null,
        hour: null,
      };
      if (prev && t - prev.t <= MAX_GAP_MS) {
        for (const [hour, ms] of splitByHour(prev.t, t)) {
          const acc = openHour(state, hour, effects);
          if (prev.powerW !== null) {
            acc.wh += wattMsToWh(prev.powerW * ms);
            acc.measuredMs += ms;
            if (prev.powerSource === 'pdu' || acc.src !== 'pdu') acc.src = prev.powerSource ?? 'miner';
          } else if (prev.state === 'mining' && reg.nominalW !== null) {
            acc.wh += wattMsToWh(reg.nominalW * ms);
          }
          if (prev.state === 'mining') {
            acc.onMs += ms;
            acc.hashMs += (prev.hashrate ?? 0) * ms;
          }
        }
      }
      openHour(state, hourOf(t), effects).n += 1;
      const bucket = bucketOf(t);
      if (!state.bucket || state.bucket.b !== bucket) {
        if (state.bucket && effects) effects.closedBuckets.push(bucketRow(reg.minerId, state.bucket));
        state.bucket = { b: bucket, hs: 0, hn: 0, ps: 0, pn: 0, tm: null };
      }
      addToBucket(state.bucket, miner, tempMax);
      const measured = miner.power_w !== undefined;
      state.t = t;
      state.state = miner.state;
      state.hashrate = miner.hashrate_ths ?? null;
      state.hashrateAvg = miner.hashrate_avg_ths ?? null;
      state.expected = miner.expected_hashrate_ths ?? (reg.nominalMths !== null ? reg.nominalMths / 1000 : null);
      state.powerW = measured ? (miner.power_w ?? null) : null;
      state.powerSource = measured ? (miner.power_source === 'pdu' ? 'pdu' : 'miner') : null;
      state.tempMax = tempMax;
      state.boardTemps = miner.board_temps_c ?? [];
      state.chipTemps = miner.chip_temps_c ?? [];
      state.fans = miner.fans_rpm ?? [];
      state.ip = miner.ip ?? null;
      state.firmware = miner.firmware ?? null;
      state.poolUrl = miner.pool_url ?? null;
      state.poolUser = miner.pool_user ?? null;
      state.uptime = miner.uptime_s ?? null;
      state.errors = miner.errors ?? [];
      map.set(reg.minerId, state);
      advanced.push(sample);
    }
    return advanced;
  }

  /**
   * Adds closed buckets and hours (and late samples) to their rows. Adding is safe because each
   * effect is written exactly once: in the same transaction as the journal entry that caused it
   * (a replay of that entry writes nothing), or in the alarm's transaction with the checkpoint
   * that forgets the closed period. Adding, not replacing, keeps a period that received samples
   * after it was closed (an agent replaying its spool after an outage) whole.
   */
  private writeEffects(effects: ApplyEffects) {
    const buckets = [...effects.closedBuckets, ...effects.lateBuckets];
    if (buckets.length > 0) {
      // A write into a bucket a cached chart already summed (late samples, a spool replayed
      // after an outage) makes that chart stale.
      const oldest = Math.min(...buckets.map((row) => (row as [string, number])[1]));
      for (const [key, series] of this.historyCache) if (oldest <= series.upTo) this.historyCache.delete(key);
      this.sql.exec(
        `INSERT INTO history (miner_id, bucket, hashrate_sum, hashrate_n, power_sum, power_n, temp_max)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]'
         FROM json_each(?) j WHERE true
         ON CONFLICT (miner_id, bucket) DO UPDATE SET hashrate_sum = hashrate_sum + excluded.hashrate_sum, hashrate_n = hashrate_n + excluded.hashrate_n,
           power_sum = power_sum + excluded.power_sum, power_n = power_n + excluded.power_n,
           temp_max = CASE WHEN excluded.temp_max IS NULL THEN temp_max WHEN temp_max IS NULL THEN excluded.temp_max ELSE max(temp_max, excluded.temp_max) END`,
        JSON.stringify(buckets),
      );
    }
    if (effects.closedHours.length > 0) {
      this.sql.exec(
        `INSERT INTO usage (miner_id, hour, wh, online_ms, hashrate_ms, samples, measured_ms, source, written)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]', 0
         FROM json_each(?) j WHERE true
         ON CONFLICT (miner_id, hour) DO UPDATE SET wh = wh + excluded.wh, online_ms = online_ms + excluded.online_ms,
           hashrate_ms = hashrate_ms + excluded.hashrate_ms, samples = samples + excluded.samples, measured_ms = measured_ms + excluded.measured_ms,
           source = CASE WHEN excluded.measured_ms = 0 THEN source WHEN source = 'pdu' THEN 'pdu' ELSE excluded.source END, written = 0`,
        JSON.stringify(effects.closedHours),
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
      // A healthy miner with nothing tracked needs no decision: the common case stays allocation-free.
      const consider = (kind: AlertKind, breaching: boolean, detail: () => unknown) => {
        if (!breaching && !tracks.has(`${reg.minerId}|${kind}`)) return;
        decisions.push({ minerId: reg.minerId, customerId: reg.customerId, kind, breaching, detail: detail(), track: { breachSince: null, openAlertId: null, lastClosedAt: null } });
      };
      consider('offline', miner.state === 'error', () => ({ state: miner.state }));
      consider('low_hashrate', low, () => ({ hashrate_ths: hashrate, expected_ths: expected, threshold_pct: rules.lowHashratePct }));
      consider('over_temp', hot, () => ({ temp_c: tempMax, limit_c: rules.overTempC }));
    }
    this.applyAlerts(decisions, tracks, rules, now);
  }

  /** Offline detection for miners that stopped being reported (the agent still reports others). */
  private evaluateSilentMiners(map: Map<string, MinerLiveState>, rules: AlertRules, now: number) {
    const siteLast = Number(this.meta('last_report_at') ?? 0) || null;
    const offlineAfterMs = rules.offlineMinutes * 60_000;
    // While the whole agent is silent (stale) we know nothing about miners: no alerts either way.
    if (siteLast !== null && now - siteLast > STALE_AFTER_MS) return;
    const silent = [...map.values()].filter((miner) => miner.t < now - offlineAfterMs);
    if (silent.length === 0) return;
    const customers = new Map([...this.loadRegistry().values()].map((r) => [r.minerId, r.customerId]));
    this.applyAlerts(
      silent.map((miner) => ({
        minerId: miner.id,
        customerId: customers.get(miner.id) ?? null,
        kind: 'offline' as const,
        track: { breachSince: null, openAlertId: null, lastClosedAt: null },
        breaching: true,
        detail: { last_seen_at: new Date(miner.t).toISOString(), after_minutes: rules.offlineMinutes },
      })),
      this.alertTracks(),
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
            // The customer comes from D1's current assignment, not the object's cached registry
            // (refreshed only every few minutes): an alert right after assignment is theirs.
            `INSERT OR IGNORE INTO alerts (id, host_id, site_id, miner_id, customer_id, kind, detail, opened_at)
             SELECT j.value ->> '$[0]', ?1, ?2, j.value ->> '$[1]',
               (SELECT m.customer_id FROM miners m WHERE m.id = j.value ->> '$[1]' AND m.host_id = ?1 AND m.status = 'assigned'),
               j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]'
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
  // The alarm: offline detection, alert records, buckets and hours that closed, checkpoint,
  // hourly usage roll-up to D1, retention.

  private async ensureAlarm() {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
  }

  override async alarm() {
    const now = Date.now();
    if (!this.meta('host_id')) return;
    await this.refreshRegistry(now);
    const rules = await this.alertRules();
    const map = await this.state();
    this.ctx.storage.transactionSync(() => {
      this.evaluateSilentMiners(map, rules, now);
      this.closeQuietPeriods(map, now);
      this.checkpoint(map);
    });
    await this.flushAlerts();
    await this.rollUpUsage(now);
    this.sql.exec('DELETE FROM history WHERE bucket < ?', now - HISTORY_KEEP_MS);
    this.sql.exec('DELETE FROM seen_batches WHERE received_at < ?', now - SEEN_BATCH_KEEP_MS);
    this.sql.exec('DELETE FROM usage WHERE written = 1 AND hour < ?', now - USAGE_KEEP_MS);
    await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
  }

  /** A miner that stopped reporting still closes its bucket and hour once they are over. */
  private closeQuietPeriods(map: Map<string, MinerLiveState>, now: number) {
    const effects: ApplyEffects = { closedBuckets: [], lateBuckets: [], closedHours: [] };
    for (const miner of map.values()) {
      if (miner.bucket && miner.bucket.b + HISTORY_BUCKET_MS <= now) {
        effects.closedBuckets.push(bucketRow(miner.id, miner.bucket));
        miner.bucket = null;
      }
      if (miner.hour && miner.hour.h < hourOf(now)) {
        effects.closedHours.push(hourRow(miner.id, miner.hour));
        miner.hour = null;
      }
    }
    this.writeEffects(effects);
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
        // Who owns the miner now, read from D1 (the object's registry lags assignments by minutes).
        `INSERT INTO usage_hourly (miner_id, hour_start, host_id, site_id, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples)
         SELECT j.value ->> '$[0]', j.value ->> '$[1]', ?1, ?2,
           (SELECT m.customer_id FROM miners m WHERE m.id = j.value ->> '$[0]' AND m.host_id = ?1 AND m.status = 'assigned'),
           j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]'
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
    const map = await this.state();
    const now = Date.now();
    const siteLast = Number(this.meta('last_report_at') ?? 0) || null;
    const out: LiveMiner[] = [];
    for (const id of minerIds) {
      const miner = map.get(id);
      if (miner) out.push(toLive(miner, now, siteLast, rules.offlineMinutes * 60_000));
    }
    return out;
  }

  /** Status and sortable values of many miners (a live sort or status filter), nothing else. */
  async liveKeys(minerIds: string[]): Promise<LiveKey[]> {
    return (await this.live(minerIds)).map(({ minerId, status, hashrateThs, tempMaxC, powerW, efficiencyJth, uptimeS }) => ({
      minerId,
      status,
      hashrateThs,
      tempMaxC,
      powerW,
      efficiencyJth,
      uptimeS,
    }));
  }

  async summary(): Promise<SiteSummary> {
    return { ...(await this.totalsOf(null)), lastReportAt: Number(this.meta('last_report_at') ?? 0) || null };
  }

  /**
   * The same totals as summary(), over the given miners only: what a customer's fleet summary
   * needs without shipping every miner's state across the RPC boundary. `miners` counts those
   * this site has state for; the caller counts the rest as never reported.
   */
  async totals(minerIds: string[]): Promise<LiveTotals> {
    return this.totalsOf(minerIds);
  }

  private async totalsOf(minerIds: string[] | null): Promise<LiveTotals> {
    const rules = await this.alertRules();
    const map = await this.state();
    const now = Date.now();
    const siteLast = Number(this.meta('last_report_at') ?? 0) || null;
    const states = minerIds === null ? [...map.values()] : minerIds.flatMap((id) => map.get(id) ?? []);
    return liveTotals(states.map((miner) => toLive(miner, now, siteLast, rules.offlineMinutes * 60_000)));
  }

  /**
   * Closed buckets from SQLite plus each miner's open bucket from memory, summed over the miners
   * (hashrate and power add up, temperature is the max; null where no miner had a value).
   *
   * A fleet chart (HISTORY_CACHE_MIN_MINERS or more) keeps its sums up to a horizon in memory and
   * reads only rows after it. The horizon is before every bucket still open in this site, so
   * closing buckets in the normal course never touches a cached point; a write into an older
   * bucket (late samples) drops the series (`writeEffects`). Cold, 1,000 miners over 24 hours
   * is 288,000 rows summed in SQL; warm, the last few buckets.
   */
  async history(minerIds: string[], sinceMs: number): Promise<HistoryPoint[]> {
    if (minerIds.length === 0) return [];
    const map = await this.state();
    const now = Date.now();
    const key = minerIds.length >= HISTORY_CACHE_MIN_MINERS ? minerIds.join(',') : null;
    // A series read for a later window start lacks the earlier points: read afresh then.
    const found = key === null ? undefined : this.historyCache.get(key);
    const cached = found && found.from <= sinceMs ? found : undefined;
    const points = new Map<number, HistoryPoint>();
    if (cached) for (const point of cached.points.values()) if (point.t >= sinceMs) points.set(point.t, { ...point });
    const rows = this.sql.exec<{ bucket: number; hashrate: number | null; power: number | null; temp_max: number | null }>(
      `SELECT bucket, sum(CASE WHEN hashrate_n > 0 THEN hashrate_sum / hashrate_n END) AS hashrate,
         sum(CASE WHEN power_n > 0 THEN power_sum / power_n END) AS power, max(temp_max) AS temp_max
       FROM history WHERE bucket >= ? AND miner_id IN (SELECT value FROM json_each(?)) GROUP BY bucket`,
      cached ? Math.max(sinceMs, cached.upTo + 1) : sinceMs,
      JSON.stringify(minerIds),
    );
    for (const row of rows) addToPoint(points, row.bucket, row.hashrate, row.power, row.temp_max);
    if (key !== null) this.cacheSeries(key, points, sinceMs, this.historyHorizon(map, now));
    for (const id of minerIds) {
      const bucket = map.get(id)?.bucket;
      if (bucket && bucket.b >= sinceMs) addToPoint(points, bucket.b, bucket.hn > 0 ? bucket.hs / bucket.hn : null, bucket.pn > 0 ? bucket.ps / bucket.pn : null, bucket.tm);
    }
    return [...points.values()].sort((a, b) => a.t - b.t);
  }

  /** The newest bucket no normal close can still write: before every open bucket, and before the current one. */
  private historyHorizon(map: Map<string, MinerLiveState>, now: number): number {
    let horizon = bucketOf(now) - HISTORY_BUCKET_MS;
    for (const miner of map.values()) if (miner.bucket && miner.bucket.b - HISTORY_BUCKET_MS < horizon) horizon = miner.bucket.b - HISTORY_BUCKET_MS;
    return horizon;
  }

  private cacheSeries(key: string, points: Map<number, HistoryPoint>, from: number, upTo: number) {
    const kept = new Map<number, HistoryPoint>();
    for (const [t, point] of points) if (t <= upTo) kept.set(t, { ...point });
    this.historyCache.delete(key);
    this.historyCache.set(key, { from, upTo, points: kept });
    if (this.historyCache.size > HISTORY_CACHE_ENTRIES) this.historyCache.delete(this.historyCache.keys().next().value!);
  }
}

function addToBucket(bucket: OpenBucket, miner: TelemetryMiner, tempMax: number | null) {
  if (miner.hashrate_ths !== undefined) {
    bucket.hs += miner.hashrate_ths;
    bucket.hn += 1;
  }
  if (miner.power_w !== undefined) {
    bucket.ps += miner.power_w;
    bucket.pn += 1;
  }
  if (tempMax !== null) bucket.tm = bucket.tm === null ? tempMax : Math.max(bucket.tm, tempMax);
}

function bucketRow(minerId: string, bucket: OpenBucket, late?: TelemetryMiner, lateTemp?: number | null): unknown[] {
  if (late) addToBucket(bucket, late, lateTemp ?? null);
  return [minerId, bucket.b, bucket.hs, bucket.hn, bucket.ps, bucket.pn, bucket.tm];
}

const hourRow = (minerId: string, hour: OpenHour): unknown[] => [minerId, hour.h, hour.wh, hour.onMs, hour.hashMs, hour.n, hour.measuredMs, hour.src];

/** The miner's open hour for `hour`, closing (into `effects`) the one before when time moved on. */
function openHour(state: MinerLiveState, hour: number, effects: ApplyEffects | null): OpenHour {
  if (state.hour && state.hour.h === hour) return state.hour;
  if (state.hour && effects) effects.closedHours.push(hourRow(state.id, state.hour));
  state.hour = { h: hour, wh: 0, onMs: 0, hashMs: 0, n: 0, measuredMs: 0, src: 'spec' };
  return state.hour;
}

function toLive(miner: MinerLiveState, now: number, siteLastReportAt: number | null, offlineAfterMs: number): LiveMiner {
  const status = deriveLiveStatus({
    now,
    lastSeenAt: miner.t,
    siteLastReportAt,
    state: miner.state,
    hashrateThs: miner.hashrate,
    expectedThs: miner.expected,
    errors: miner.errors.length,
    offlineAfterMs,
  });
  return {
    minerId: miner.id,
    status,
    lastSeenAt: miner.t,
    hashrateThs: miner.hashrate,
    hashrateAvgThs: miner.hashrateAvg,
    expectedHashrateThs: miner.expected,
    tempMaxC: miner.tempMax,
    boardTempsC: miner.boardTemps,
    chipTempsC: miner.chipTemps,
    fansRpm: miner.fans,
    powerW: miner.powerW,
    powerSource: miner.powerSource,
    efficiencyJth: miner.powerW !== null && miner.hashrate !== null && miner.hashrate > 0 ? miner.powerW / miner.hashrate : null,
    uptimeS: miner.uptime,
    poolUrl: miner.poolUrl,
    poolUser: miner.poolUser,
    ip: miner.ip,
    firmware: miner.firmware,
    errors: miner.errors,
  };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
