import { validateTelemetryBatch, type TelemetryMiner } from '../telemetry/batch';
import { gunzipText } from './gzip';
import type { MinerLiveState, MinerStates } from './miner-state';
import type { ShardRef } from './shard';

/**
 * The object's own durable record: which host and site it serves (`meta`), the journal of
 * accepted batches, the snapshot of the in-memory state, and the batch ids already seen.
 *
 * Each accepted batch is stored once, as gzip bytes, in one `journal` row; every minute the alarm
 * writes the whole state into `snapshot` shards and empties the journal. An evicted object
 * rebuilds from snapshot + journal (`load`), so nothing that matters lives only in memory.
 * A row is at most 2 MB, hence the shards.
 * @see https://developers.cloudflare.com/durable-objects/platform/limits/
 */

/** Snapshot shards: ~50,000 miners stay under the 2 MB row limit at ~600 bytes a miner. */
const SNAPSHOT_SHARDS = 64;
/** A replayed batch id is recognised for this long (an agent's spool replays within hours). */
const SEEN_BATCH_KEEP_MS = 24 * 60 * 60 * 1000;

export class LiveStore {
  /** `shard()`, read once per object lifetime (it changes only through `rememberShard`). */
  private shardRef: ShardRef | null = null;

  constructor(private readonly sql: SqlStorage) {}

  static migrate(sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
      CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, body BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS snapshot (shard INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS seen_batches (batch_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL);
    `);
  }

  meta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0];
    return row?.value ?? null;
  }

  setMeta(key: string, value: string) {
    this.sql.exec('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  /** The host and site this object serves, once its first ingest bound it; else null. */
  site(): { hostId: string; siteId: string } | null {
    const hostId = this.meta('host_id');
    const siteId = this.meta('site_id');
    return hostId && siteId ? { hostId, siteId } : null;
  }

  /** The object learns its host and site from its first call and refuses any other afterwards. */
  bind(site: { hostId: string; siteId: string }) {
    const hostId = this.meta('host_id');
    const siteId = this.meta('site_id');
    if (hostId === null) {
      this.setMeta('host_id', site.hostId);
      this.setMeta('site_id', site.siteId);
      return;
    }
    if (hostId !== site.hostId || siteId !== site.siteId) throw new Error('SiteState called for another site');
  }

  /** Where the platform is reached, as the agent's latest request showed it (`IngestContext.origin`). */
  platformOrigin(): string | null {
    return this.meta('platform_origin');
  }

  rememberPlatformOrigin(origin: string | undefined) {
    if (origin && origin !== this.platformOrigin()) this.setMeta('platform_origin', origin);
  }

  /** When the agent last delivered a batch (the site's staleness), or null. */
  lastReportAt(): number | null {
    return Number(this.meta('last_report_at') ?? 0) || null;
  }

  seen(batchId: string): boolean {
    return this.sql.exec('SELECT 1 FROM seen_batches WHERE batch_id = ?', batchId).toArray().length > 0;
  }

  /**
   * Records an accepted batch: its journal entry (none for a shard's empty part: nothing to
   * replay), its id, the report time. Call inside the ingest transaction.
   */
  append(batchId: string, gzipBody: ArrayBuffer | null, now: number) {
    if (gzipBody) this.sql.exec('INSERT INTO journal (received_at, body) VALUES (?, ?)', now, gzipBody);
    this.sql.exec('INSERT INTO seen_batches (batch_id, received_at) VALUES (?, ?)', batchId, now);
    this.setMeta('last_report_at', String(now));
  }

  /**
   * The state as of the last batch: the snapshot, then every journal entry since, handed in order
   * to `replay` (which must write nothing: those batches' effects were stored when they arrived).
   */
  async load(replay: (states: MinerStates, miners: TelemetryMiner[]) => void): Promise<MinerStates> {
    const states: MinerStates = new Map();
    for (const row of this.sql.exec<{ body: string }>('SELECT body FROM snapshot')) {
      for (const miner of JSON.parse(row.body) as MinerLiveState[]) states.set(miner.id, miner);
    }
    for (const row of this.sql.exec<{ received_at: number; body: ArrayBuffer }>('SELECT received_at, body FROM journal ORDER BY seq').toArray()) {
      const validation = validateTelemetryBatch(JSON.parse(await gunzipText(row.body)));
      if (validation.ok) replay(states, validation.batch.miners);
    }
    return states;
  }

  /** Writes the whole state into the snapshot shards and drops the journal it now covers. */
  checkpoint(states: MinerStates) {
    const shards: MinerLiveState[][] = Array.from({ length: SNAPSHOT_SHARDS }, () => []);
    let i = 0;
    for (const miner of states.values()) shards[i++ % SNAPSHOT_SHARDS]!.push(miner);
    this.sql.exec('DELETE FROM snapshot');
    shards.forEach((miners, shard) => {
      if (miners.length > 0) this.sql.exec('INSERT INTO snapshot (shard, body) VALUES (?, ?)', shard, JSON.stringify(miners));
    });
    this.sql.exec('DELETE FROM journal');
  }

  /** Which shard of its site this object is, as the latest ingest said (absent: the only one). */
  shard(): ShardRef {
    this.shardRef ??= { index: Number(this.meta('shard_index') ?? 0), count: Number(this.meta('shard_count') ?? 1) };
    return this.shardRef;
  }

  /** Remembers the shard the Worker named; true when the site's shard count changed. */
  rememberShard(shard: ShardRef | undefined): boolean {
    const next = shard ?? { index: 0, count: 1 };
    const known = this.shard();
    if (known.index === next.index && known.count === next.count) return false;
    this.setMeta('shard_index', String(next.index));
    this.setMeta('shard_count', String(next.count));
    this.shardRef = next;
    return true;
  }

  prune(now: number) {
    this.sql.exec('DELETE FROM seen_batches WHERE received_at < ?', now - SEEN_BATCH_KEEP_MS);
  }
}
