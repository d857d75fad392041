import type { HistoryPoint } from '../telemetry/types';
import { addToPoint } from './aggregate';
import { execJsonRows } from './chunk';
import type { BucketRow } from './fold';
import { bucketOf, HISTORY_BUCKET_MS, type MinerStates } from './miner-state';

/**
 * Closed 5-minute history buckets per miner (`history` table, 25 hours) and the charts read from
 * them, with an in-memory cache for fleet charts.
 *
 * A fleet chart (HISTORY_CACHE_MIN_MINERS or more) keeps its sums up to a horizon in memory and
 * reads only rows after it: a customer's 24-hour chart over 1,000 miners is 288,000 rows cold,
 * the last few buckets warm. The horizon is before every bucket still open in this site, so
 * closing buckets in the normal course never touches a cached point; a write into an older bucket
 * (late samples, a spool replayed after an outage) drops the series (`add`).
 */

const HISTORY_KEEP_MS = 25 * 60 * 60 * 1000;
/** Fleet charts (this many miners or more) keep their closed 5-minute points in memory. */
const HISTORY_CACHE_MIN_MINERS = 20;
const HISTORY_CACHE_ENTRIES = 64;

/** A fleet chart's points from closed history rows up to `upTo` (inclusive), summed over its miners. */
interface CachedSeries {
  /** The window's start it was read for: it holds no points before it. */
  from: number;
  upTo: number;
  points: Map<number, HistoryPoint>;
}

export class HistoryRoom {
  /** Fleet chart series by miner set (the ids joined), oldest first. */
  private readonly cache = new Map<string, CachedSeries>();

  constructor(private readonly sql: SqlStorage) {}

  static migrate(sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS history (miner_id TEXT NOT NULL, bucket INTEGER NOT NULL, hashrate_sum REAL NOT NULL, hashrate_n INTEGER NOT NULL,
      power_sum REAL NOT NULL, power_n INTEGER NOT NULL, temp_max REAL, PRIMARY KEY (miner_id, bucket))`);
  }

  /**
   * Adds closed buckets (and late samples) to their rows. Adding is safe because each row is
   * written exactly once (see `SiteState.writeEffects`); adding, not replacing, keeps a bucket that
   * received samples after it closed whole.
   */
  add(rows: readonly BucketRow[]) {
    if (rows.length === 0) return;
    const oldest = Math.min(...rows.map((row) => row[1]));
    for (const [key, series] of this.cache) if (oldest <= series.upTo) this.cache.delete(key);
    execJsonRows(
      this.sql,
      `INSERT INTO history (miner_id, bucket, hashrate_sum, hashrate_n, power_sum, power_n, temp_max)
       SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]'
       FROM json_each(?) j WHERE true
       ON CONFLICT (miner_id, bucket) DO UPDATE SET hashrate_sum = hashrate_sum + excluded.hashrate_sum, hashrate_n = hashrate_n + excluded.hashrate_n,
         power_sum = power_sum + excluded.power_sum, power_n = power_n + excluded.power_n,
         temp_max = CASE WHEN excluded.temp_max IS NULL THEN temp_max WHEN temp_max IS NULL THEN excluded.temp_max ELSE max(temp_max, excluded.temp_max) END`,
      rows,
    );
  }

  /**
   * Closed buckets from SQLite plus each miner's open bucket from `states`, summed over the
   * miners (hashrate and power add up, temperature is the max; null where no miner had a value).
   */
  read(minerIds: readonly string[], sinceMs: number, states: MinerStates, now: number): HistoryPoint[] {
    if (minerIds.length === 0) return [];
    const key = minerIds.length >= HISTORY_CACHE_MIN_MINERS ? minerIds.join(',') : null;
    // A series read for a later window start lacks the earlier points: read afresh then.
    const found = key === null ? undefined : this.cache.get(key);
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
    if (key !== null) this.remember(key, points, sinceMs, horizon(states, now));
    for (const id of minerIds) {
      const bucket = states.get(id)?.bucket;
      if (bucket && bucket.b >= sinceMs) addToPoint(points, bucket.b, bucket.hn > 0 ? bucket.hs / bucket.hn : null, bucket.pn > 0 ? bucket.ps / bucket.pn : null, bucket.tm);
    }
    return [...points.values()].sort((a, b) => a.t - b.t);
  }

  prune(now: number) {
    this.sql.exec('DELETE FROM history WHERE bucket < ?', now - HISTORY_KEEP_MS);
  }

  private remember(key: string, points: Map<number, HistoryPoint>, from: number, upTo: number) {
    const kept = new Map<number, HistoryPoint>();
    for (const [t, point] of points) if (t <= upTo) kept.set(t, { ...point });
    this.cache.delete(key);
    this.cache.set(key, { from, upTo, points: kept });
    if (this.cache.size > HISTORY_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
  }
}

/** The newest bucket no normal close can still write: before every open bucket, and before the current one. */
function horizon(states: MinerStates, now: number): number {
  let upTo = bucketOf(now) - HISTORY_BUCKET_MS;
  for (const miner of states.values()) if (miner.bucket && miner.bucket.b - HISTORY_BUCKET_MS < upTo) upTo = miner.bucket.b - HISTORY_BUCKET_MS;
  return upTo;
}
