import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { execJsonRows, SQL_JSON_CHUNK } from '../../src/live/chunk';
import type { BucketRow, HourRow } from '../../src/live/fold';
import { HistoryRoom } from '../../src/live/history';
import { UsageRoom } from '../../src/live/usage';

/**
 * A 50,000-unit site (issue 14, bench/site.mjs): the alarm closes every unit's bucket and hour at
 * once, and one JSON parameter carrying them all is past SQLite's maximum string length.
 */

const inFreshObject = <T>(fn: (sql: SqlStorage) => T | Promise<T>) =>
  runInDurableObject(env.SITE_STATE.getByName(crypto.randomUUID()), (_instance, state) => fn(state.storage.sql));

const UNITS = 50_000;
const count = (sql: SqlStorage, table: string) => sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;

describe('bulk writes on the object’s SQLite at 50,000 units', () => {
  it('one statement with every row fails with SQLITE_TOOBIG; execJsonRows writes them all in chunks', async () => {
    await inFreshObject((sql) => {
      sql.exec('CREATE TABLE scale_probe (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
      const rows = Array.from({ length: UNITS }, (_, i) => [`unit-${String(i).padStart(6, '0')}`, 'x'.repeat(40)]);
      const insert = "INSERT INTO scale_probe (id, body) SELECT j.value ->> '$[0]', j.value ->> '$[1]' FROM json_each(?) j";
      expect(() => sql.exec(insert, JSON.stringify(rows))).toThrow(/SQLITE_TOOBIG/);
      expect(count(sql, 'scale_probe')).toBe(0);
      execJsonRows(sql, insert, rows);
      expect(count(sql, 'scale_probe')).toBe(UNITS);
      expect(UNITS / SQL_JSON_CHUNK).toBeGreaterThan(1);
    });
  });

  it('the history and usage rooms take every unit’s closed bucket and hour in one call', async () => {
    const bucket = 1_700_000_100_000 - (1_700_000_100_000 % 300_000);
    const hour = 1_700_002_800_000 - (1_700_002_800_000 % 3_600_000);
    await inFreshObject((sql) => {
      const buckets: BucketRow[] = Array.from({ length: UNITS }, (_, i) => [`unit-${String(i).padStart(6, '0')}`, bucket, 104.25, 5, 3_250, 5, 77]);
      const hours: HourRow[] = Array.from({ length: UNITS }, (_, i) => [`unit-${String(i).padStart(6, '0')}`, hour, 3_250.5, 3_600_000, 374_400_000, 60, 3_600_000, 'miner', 0, 0]);
      new HistoryRoom(sql).add(buckets);
      new UsageRoom(sql, env.DB).add(hours);
      expect(count(sql, 'history')).toBe(UNITS);
      expect(count(sql, 'usage')).toBe(UNITS);
      // Added again (a late sample's bucket, an hour carried on): each row adds, none is duplicated.
      new HistoryRoom(sql).add(buckets.slice(0, 10));
      expect(sql.exec<{ n: number }>("SELECT hashrate_n AS n FROM history WHERE miner_id = 'unit-000000'").one().n).toBe(10);
      expect(count(sql, 'history')).toBe(UNITS);
    });
  });
});
