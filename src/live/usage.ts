import { hourOf, roundWh } from '../telemetry/energy';
import { chunk, D1_JSON_CHUNK, execJsonRows, tableColumns } from './chunk';
import type { HourRow } from './fold';
import type { SiteRef } from './registry';

/**
 * Closed hours of energy per miner (`usage` table) and their roll-up into D1's `usage_hourly`
 * (DESIGN.md §7: what invoices are computed from, once sealed).
 */

/** A written hour is kept this long after it closed (late samples still add to it, then it is re-written). */
const USAGE_KEEP_MS = 48 * 60 * 60 * 1000;

export class UsageRoom {
  constructor(
    private readonly sql: SqlStorage,
    private readonly db: D1Database,
  ) {}

  static migrate(sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS usage (miner_id TEXT NOT NULL, hour INTEGER NOT NULL, wh REAL NOT NULL, online_ms INTEGER NOT NULL,
      hashrate_ms REAL NOT NULL, samples INTEGER NOT NULL, measured_ms INTEGER NOT NULL, source TEXT NOT NULL, written INTEGER NOT NULL DEFAULT 0,
      unknown_ms INTEGER NOT NULL DEFAULT 0, interpolated_ms INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (miner_id, hour))`);
    // Objects created before unknown/interpolated time was tracked.
    const columns = tableColumns(sql, 'usage');
    if (!columns.has('unknown_ms')) sql.exec('ALTER TABLE usage ADD COLUMN unknown_ms INTEGER NOT NULL DEFAULT 0');
    if (!columns.has('interpolated_ms')) sql.exec('ALTER TABLE usage ADD COLUMN interpolated_ms INTEGER NOT NULL DEFAULT 0');
  }

  /**
   * Adds closed hours to their rows and marks them to be (re-)written to D1. Adding is safe
   * because each row is written exactly once (see `SiteState.writeEffects`); an hour that received
   * samples after it closed (a replayed spool) stays whole. Measured power outranks the spec, and
   * PDU outranks the miner's own reading. Unknown and interpolated time are summed; the hour's final
   * source is decided when it is rolled up.
   */
  add(rows: readonly HourRow[]) {
    if (rows.length === 0) return;
    execJsonRows(
      this.sql,
      `INSERT INTO usage (miner_id, hour, wh, online_ms, hashrate_ms, samples, measured_ms, source, unknown_ms, interpolated_ms, written)
       SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]',
         coalesce(j.value ->> '$[8]', 0), coalesce(j.value ->> '$[9]', 0), 0
       FROM json_each(?) j WHERE true
       ON CONFLICT (miner_id, hour) DO UPDATE SET wh = wh + excluded.wh, online_ms = online_ms + excluded.online_ms,
         unknown_ms = unknown_ms + excluded.unknown_ms, interpolated_ms = interpolated_ms + excluded.interpolated_ms,
         hashrate_ms = hashrate_ms + excluded.hashrate_ms, samples = samples + excluded.samples, measured_ms = measured_ms + excluded.measured_ms,
         source = CASE WHEN excluded.measured_ms = 0 THEN source WHEN source = 'pdu' THEN 'pdu' ELSE excluded.source END, written = 0`,
      rows,
    );
  }

  /**
   * Completed hours go to D1's usage_hourly as absolute values keyed by (miner, hour), so a
   * re-run (at-least-once alarms) overwrites rather than adds. A row is marked written only if it
   * did not change while the write was in flight. Returns how many rows were sent.
   *
   * An hour with online time that had neither a measured nor a nominal power is written with
   * energy null and source `unknown` (never 0 Wh); an hour with a gap the uptime counter explains
   * is `interpolated` (docs/billing/usage.md).
   * @see https://developers.cloudflare.com/durable-objects/api/alarms/
   */
  async rollUp(site: SiteRef, customers: ReadonlyMap<string, string | null>, now: number): Promise<number> {
    const rows = this.sql
      .exec<{ miner_id: string; hour: number; wh: number; online_ms: number; hashrate_ms: number; samples: number; source: string; unknown_ms: number; interpolated_ms: number }>(
        'SELECT miner_id, hour, wh, online_ms, hashrate_ms, samples, source, unknown_ms, interpolated_ms FROM usage WHERE written = 0 AND hour < ?',
        hourOf(now),
      )
      .toArray();
    if (rows.length === 0) return 0;
    const statements = chunk(rows, D1_JSON_CHUNK).map((part) =>
      this.db
        .prepare(
          // Who owns the miner now, read from D1 (the object's registry lags assignments by minutes).
          `INSERT INTO usage_hourly (miner_id, hour_start, host_id, site_id, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples)
           SELECT j.value ->> '$[0]', j.value ->> '$[1]', ?1, ?2,
             (SELECT m.customer_id FROM miners m WHERE m.id = j.value ->> '$[0]' AND m.host_id = ?1 AND m.status = 'assigned'),
             j.value ->> '$[3]', j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]', j.value ->> '$[7]'
           FROM json_each(?3) j WHERE true
           ON CONFLICT (miner_id, hour_start) DO UPDATE SET customer_id = excluded.customer_id, energy_wh = excluded.energy_wh,
             energy_source = excluded.energy_source, avg_hashrate_mths = excluded.avg_hashrate_mths, online_seconds = excluded.online_seconds,
             samples = excluded.samples`,
        )
        .bind(
          site.hostId,
          site.siteId,
          JSON.stringify(
            part.map((r) => [
              r.miner_id,
              r.hour,
              customers.get(r.miner_id) ?? null,
              r.unknown_ms > 0 ? null : roundWh(r.wh),
              r.unknown_ms > 0 ? 'unknown' : r.interpolated_ms > 0 ? 'interpolated' : r.source,
              r.online_ms > 0 ? Math.round((r.hashrate_ms / r.online_ms) * 1000) : 0,
              Math.round(r.online_ms / 1000),
              r.samples,
            ]),
          ),
        ),
    );
    await this.db.batch(statements);
    // Joined on the key (miner, hour), chunked: an hour of a 50,000-unit site is 50,000 rows.
    execJsonRows(
      this.sql,
      `UPDATE usage SET written = 1 FROM json_each(?) j
       WHERE usage.miner_id = j.value ->> '$[0]' AND usage.hour = j.value ->> '$[1]' AND usage.written = 0
         AND usage.wh = j.value ->> '$[2]' AND usage.samples = j.value ->> '$[3]'`,
      rows.map((r) => [r.miner_id, r.hour, r.wh, r.samples]),
    );
    return rows.length;
  }

  prune(now: number) {
    this.sql.exec('DELETE FROM usage WHERE written = 1 AND hour < ?', now - USAGE_KEEP_MS);
  }
}
