import type { HistoryPoint } from '../telemetry/types';
import { setBounded } from '../lib/bounded-map';
import { addToPoint } from './aggregate';
import { chunk, execJsonRows, SQL_JSON_CHUNK, tableColumns } from './chunk';
import type { BucketRow } from './fold';
import { bucketOf, HISTORY_BUCKET_MS, type MinerStates, type OpenBucket } from './miner-state';

/**
 * Closed 5-minute history buckets per miner (`history` table, 25 hours), the same buckets summed
 * per customer as they close (`customer_history`), and the charts read from them.
 *
 * A customer's chart (`readCustomer`) is one read of at most 288 `customer_history` rows plus the
 * open buckets of the miners the customer owns now, whatever the size of the fleet; the whole
 * site's chart likewise, from its own rows (`WHOLE_SITE`: every miner's buckets). Each history
 * row records the customer that owned the miner when the bucket closed (the registry's owner
 * then, `MinerRegistry.ownerOf`), and the bucket is summed into that customer's row: a unit
 * re-assigned later leaves its past buckets with the old owner. A late sample (after its bucket
 * closed, or a spool replayed after an outage) goes to the owner recorded in the miner's row for
 * that bucket; a bucket the miner had no row for yet goes to its owner now. The customer row holds
 * the sum of the miners' bucket means (and how many miners had one), so a late sample that changes
 * a miner's mean moves the sum by the change of that mean: the chart equals the per-miner sum.
 *
 * A chart over any other set of miners (one unit, a filtered view) is summed from the miners'
 * rows (`read`). A fleet-sized one (HISTORY_CACHE_MIN_MINERS or more) keeps its sums up to a
 * horizon in memory and reads only rows after it. The horizon is before every bucket still open
 * in this site, so closing buckets in the normal course never touches a cached point; a write
 * into an older bucket (late samples, a spool replayed after an outage) drops the series (`add`).
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

/** What one customer's bucket row gains: the change of its miners' means (and of how many have one). */
interface CustomerDelta {
  customerId: string;
  bucket: number;
  hashrate: number;
  hashrateMiners: number;
  power: number;
  powerMiners: number;
  tempMax: number | null;
}

const meanOf = (sum: number, n: number) => (n > 0 ? sum / n : null);

/**
 * The `customer_history` key of the whole site's rows: every miner's buckets, whoever owned it (no
 * customer id is empty). The staff dashboard's chart reads them (`readCustomer(WHOLE_SITE, …)`).
 */
export const WHOLE_SITE = '';

/**
 * Miners' `history` rows of one bucket as a `customer_history` row, as `add` sums them: each
 * miner's bucket means summed, the miners that had one counted, the hottest temperature.
 */
const BUCKET_MEANS_SUMMED = `total(CASE WHEN hashrate_n > 0 THEN hashrate_sum / hashrate_n END), count(CASE WHEN hashrate_n > 0 THEN 1 END),
  total(CASE WHEN power_n > 0 THEN power_sum / power_n END), count(CASE WHEN power_n > 0 THEN 1 END), max(temp_max)`;

/** How a row (a miner's or a customer's) takes an addition: sums and counts add up, temperature is the max. */
const ADD_SUMS = `hashrate_sum = hashrate_sum + excluded.hashrate_sum, hashrate_n = hashrate_n + excluded.hashrate_n,
  power_sum = power_sum + excluded.power_sum, power_n = power_n + excluded.power_n,
  temp_max = CASE WHEN excluded.temp_max IS NULL THEN temp_max WHEN temp_max IS NULL THEN excluded.temp_max ELSE max(temp_max, excluded.temp_max) END`;

export class HistoryRoom {
  /** Fleet chart series by miner set (the ids joined), oldest first. */
  private readonly cache = new Map<string, CachedSeries>();
  /**
   * Customer charts' closed rows by customer, read for a window starting at `from`: every write to
   * `customer_history` (`add`, `prune`) empties it, so a chart polled every few seconds reads its
   * 288 rows once per bucket that closes rather than on every view.
   */
  private readonly customerCache = new Map<string, { from: number; points: HistoryPoint[] }>();

  constructor(private readonly sql: SqlStorage) {}

  static migrate(sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS history (miner_id TEXT NOT NULL, bucket INTEGER NOT NULL, hashrate_sum REAL NOT NULL, hashrate_n INTEGER NOT NULL,
      power_sum REAL NOT NULL, power_n INTEGER NOT NULL, temp_max REAL, customer_id TEXT, PRIMARY KEY (miner_id, bucket))`);
    // hashrate_sum / power_sum: the sum of the customer's miners' bucket means; _n: how many miners had one.
    sql.exec(`CREATE TABLE IF NOT EXISTS customer_history (customer_id TEXT NOT NULL, bucket INTEGER NOT NULL, hashrate_sum REAL NOT NULL, hashrate_n INTEGER NOT NULL,
      power_sum REAL NOT NULL, power_n INTEGER NOT NULL, temp_max REAL, PRIMARY KEY (customer_id, bucket))`);
    if (!tableColumns(sql, 'history').has('customer_id')) {
      // An object from before per-customer aggregates: its past buckets go to the owners the
      // registry knows now (the best it knows; no assignment history is kept), summed once.
      sql.exec('ALTER TABLE history ADD COLUMN customer_id TEXT');
      sql.exec('UPDATE history SET customer_id = (SELECT r.customer_id FROM registry r WHERE r.miner_id = history.miner_id LIMIT 1)');
      sql.exec(`INSERT OR REPLACE INTO customer_history (customer_id, bucket, hashrate_sum, hashrate_n, power_sum, power_n, temp_max)
        SELECT customer_id, bucket, ${BUCKET_MEANS_SUMMED}
        FROM history WHERE customer_id IS NOT NULL GROUP BY customer_id, bucket`);
    }
    // An object from before the whole site's rows: its past buckets summed once, as `add` sums them.
    if (!sql.exec('SELECT 1 FROM customer_history WHERE customer_id = ? LIMIT 1', WHOLE_SITE).toArray().length) {
      sql.exec(
        `INSERT INTO customer_history (customer_id, bucket, hashrate_sum, hashrate_n, power_sum, power_n, temp_max)
        SELECT ?, bucket, ${BUCKET_MEANS_SUMMED}
        FROM history GROUP BY bucket`,
        WHOLE_SITE,
      );
    }
  }

  /**
   * Adds closed buckets (and late samples) to their rows, and each row's change to its customer's
   * row. Adding is safe because each row is written exactly once (see `SiteState.writeEffects`);
   * adding, not replacing, keeps a bucket that received samples after it closed whole. `ownerOf`
   * names the customer a bucket the miner has no row for yet is attributed to (its owner now).
   */
  add(rows: readonly BucketRow[], ownerOf: (minerId: string) => string | null = () => null) {
    if (rows.length === 0) return;
    const merged = mergeRows(rows);
    const oldest = Math.min(...merged.map((row) => row[1]));
    for (const [key, series] of this.cache) if (oldest <= series.upTo) this.cache.delete(key);
    this.customerCache.clear();
    const stored = new Map<string, { hs: number; hn: number; ps: number; pn: number; owner: string | null }>();
    for (const part of chunk(merged, SQL_JSON_CHUNK)) {
      for (const row of this.sql.exec<{ miner_id: string; bucket: number; hashrate_sum: number; hashrate_n: number; power_sum: number; power_n: number; customer_id: string | null }>(
        `SELECT h.miner_id, h.bucket, h.hashrate_sum, h.hashrate_n, h.power_sum, h.power_n, h.customer_id
         FROM json_each(?) j JOIN history h ON h.miner_id = j.value ->> '$[0]' AND h.bucket = j.value ->> '$[1]'`,
        JSON.stringify(part.map((row) => [row[0], row[1]])),
      )) {
        stored.set(`${row.miner_id}|${row.bucket}`, { hs: row.hashrate_sum, hn: row.hashrate_n, ps: row.power_sum, pn: row.power_n, owner: row.customer_id });
      }
    }
    const owners: (string | null)[] = [];
    const deltas = new Map<string, CustomerDelta>();
    for (const [minerId, bucket, hs, hn, ps, pn, tm] of merged) {
      const before = stored.get(`${minerId}|${bucket}`);
      const owner = before ? before.owner : ownerOf(minerId);
      owners.push(owner);
      const oldHashrate = before ? meanOf(before.hs, before.hn) : null;
      const newHashrate = meanOf((before?.hs ?? 0) + hs, (before?.hn ?? 0) + hn);
      const oldPower = before ? meanOf(before.ps, before.pn) : null;
      const newPower = meanOf((before?.ps ?? 0) + ps, (before?.pn ?? 0) + pn);
      // The owner's row, and the whole site's (every miner, whoever owned it).
      for (const customerId of owner === null ? [WHOLE_SITE] : [owner, WHOLE_SITE]) {
        const key = `${customerId}|${bucket}`;
        const delta = deltas.get(key) ?? { customerId, bucket, hashrate: 0, hashrateMiners: 0, power: 0, powerMiners: 0, tempMax: null };
        delta.hashrate += (newHashrate ?? 0) - (oldHashrate ?? 0);
        delta.hashrateMiners += Number(newHashrate !== null) - Number(oldHashrate !== null);
        delta.power += (newPower ?? 0) - (oldPower ?? 0);
        delta.powerMiners += Number(newPower !== null) - Number(oldPower !== null);
        if (tm !== null) delta.tempMax = delta.tempMax === null ? tm : Math.max(delta.tempMax, tm);
        deltas.set(key, delta);
      }
    }
    execJsonRows(
      this.sql,
      `INSERT INTO history (miner_id, bucket, hashrate_sum, hashrate_n, power_sum, power_n, temp_max, customer_id)
       SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]'
       FROM json_each(?) j WHERE true
       ON CONFLICT (miner_id, bucket) DO UPDATE SET ${ADD_SUMS}`,
      merged.map((row, i) => [...row, owners[i]]),
    );
    execJsonRows(
      this.sql,
      `INSERT INTO customer_history (customer_id, bucket, hashrate_sum, hashrate_n, power_sum, power_n, temp_max)
       SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]'
       FROM json_each(?) j WHERE true
       ON CONFLICT (customer_id, bucket) DO UPDATE SET ${ADD_SUMS}`,
      [...deltas.values()].map((d) => [d.customerId, d.bucket, d.hashrate, d.hashrateMiners, d.power, d.powerMiners, d.tempMax]),
    );
  }

  /**
   * A customer's chart: the buckets closed while the customer owned each miner (at most one row
   * per bucket), plus the open bucket of each miner `owns` says the customer owns now.
   */
  readCustomer(customerId: string, sinceMs: number, states: MinerStates, owns: (minerId: string) => boolean): HistoryPoint[] {
    const points = new Map<number, HistoryPoint>();
    for (const point of this.closedCustomerPoints(customerId, sinceMs)) if (point.t >= sinceMs) points.set(point.t, { ...point });
    for (const miner of states.values()) {
      const bucket = miner.bucket;
      if (bucket && bucket.b >= sinceMs && owns(miner.id)) addOpenBucket(points, bucket);
    }
    return [...points.values()].sort((a, b) => a.t - b.t);
  }

  /** A customer's closed rows since `sinceMs` (or since an earlier start: the caller filters), from the cache when it has them. */
  private closedCustomerPoints(customerId: string, sinceMs: number): readonly HistoryPoint[] {
    const cached = this.customerCache.get(customerId);
    if (cached && cached.from <= sinceMs) return cached.points;
    const points: HistoryPoint[] = [];
    for (const row of this.sql.exec<{ bucket: number; hashrate: number | null; power: number | null; temp_max: number | null }>(
      `SELECT bucket, CASE WHEN hashrate_n > 0 THEN hashrate_sum END AS hashrate, CASE WHEN power_n > 0 THEN power_sum END AS power, temp_max
       FROM customer_history WHERE customer_id = ? AND bucket >= ?`,
      customerId,
      sinceMs,
    )) {
      points.push({ t: row.bucket, hashrateThs: row.hashrate, powerW: row.power, tempMaxC: row.temp_max });
    }
    setBounded(this.customerCache, customerId, { from: sinceMs, points }, HISTORY_CACHE_ENTRIES);
    return points;
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
      if (bucket && bucket.b >= sinceMs) addOpenBucket(points, bucket);
    }
    return [...points.values()].sort((a, b) => a.t - b.t);
  }

  prune(now: number) {
    this.sql.exec('DELETE FROM history WHERE bucket < ?', now - HISTORY_KEEP_MS);
    this.sql.exec('DELETE FROM customer_history WHERE bucket < ?', now - HISTORY_KEEP_MS);
    this.customerCache.clear();
  }

  /** Forgets what it holds in memory (the object's storage was deleted). */
  forgetCaches() {
    this.cache.clear();
    this.customerCache.clear();
  }

  private remember(key: string, points: Map<number, HistoryPoint>, from: number, upTo: number) {
    const kept = new Map<number, HistoryPoint>();
    for (const [t, point] of points) if (t <= upTo) kept.set(t, { ...point });
    setBounded(this.cache, key, { from, upTo, points: kept }, HISTORY_CACHE_ENTRIES);
  }
}

/** The newest bucket no normal close can still write: before every open bucket, and before the current one. */
function horizon(states: MinerStates, now: number): number {
  let upTo = bucketOf(now) - HISTORY_BUCKET_MS;
  for (const miner of states.values()) if (miner.bucket && miner.bucket.b - HISTORY_BUCKET_MS < upTo) upTo = miner.bucket.b - HISTORY_BUCKET_MS;
  return upTo;
}

const addOpenBucket = (points: Map<number, HistoryPoint>, bucket: OpenBucket) => addToPoint(points, bucket.b, meanOf(bucket.hs, bucket.hn), meanOf(bucket.ps, bucket.pn), bucket.tm);

/** The same miner and bucket twice in one write (never from one fold, but cheap to be sure of): one row. */
function mergeRows(rows: readonly BucketRow[]): BucketRow[] {
  const byKey = new Map<string, BucketRow>();
  for (const row of rows) {
    const key = `${row[0]}|${row[1]}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, [...row]);
    else {
      seen[2] += row[2];
      seen[3] += row[3];
      seen[4] += row[4];
      seen[5] += row[5];
      if (row[6] !== null) seen[6] = seen[6] === null ? row[6] : Math.max(seen[6], row[6]);
    }
  }
  return [...byKey.values()];
}
