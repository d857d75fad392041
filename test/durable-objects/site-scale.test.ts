import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { execJsonRows, SQL_JSON_CHUNK } from '../../src/live/chunk';
import type { BucketRow, HourRow } from '../../src/live/fold';
import { HistoryRoom } from '../../src/live/history';
import { UsageRoom } from '../../src/live/usage';
import type { SiteState } from '../../src/live/site-state';
import { createHost } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

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

describe('the bench’s view of the object (bench/site.mjs, development only)', () => {
  it('runs the alarm at a simulated minute and times its steps, then sizes the state and storage after a full checkpoint and a reload', async () => {
    const host = await createHost('Bench Figures Host');
    const siteId = await createSite(host);
    const stub = stateOf(siteId);
    const sampled = Date.now() - 10 * 60_000;
    const macs = [nextMac(), nextMac(), nextMac()];
    await stub.ingest({ hostId: host.hostId, siteId }, batchOf(macs.map((mac) => report(mac, { sampled_at: new Date(sampled).toISOString() }))));

    const alarm = await stub.benchAlarm(sampled + 60_000);
    expect(Object.keys(alarm.steps).sort()).toEqual(['d1', 'prune', 'refresh', 'transaction']);
    expect(alarm.totalMs).toBe(Object.values(alarm.steps).reduce((a, b) => a + b, 0));
    // The alarm re-armed itself a real minute ahead, as the real one does.
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now());

    const figures = await stub.benchFigures();
    expect(figures.miners).toBe(3);
    expect(figures.stateJsonBytes).toBeGreaterThan(3 * 200);
    expect(figures.databaseBytes).toBeGreaterThan(0);
    // Reloaded from the checkpoint, the object still knows every miner.
    expect((await stub.summary()).miners).toBe(3);
  });

  it('refuses the bench methods in production', async () => {
    const host = await createHost('Bench Production Host');
    const siteId = await createSite(host);
    const stub = stateOf(siteId);
    await runInDurableObject(stub, async (raw) => {
      const instance = raw as unknown as SiteState;
      const object = raw as unknown as { env: typeof env };
      const original = object.env;
      object.env = { ...original, ENVIRONMENT: 'production' };
      try {
        await expect(instance.benchAlarm(Date.now())).rejects.toThrow(/development only/);
        await expect(instance.benchFigures()).rejects.toThrow(/development only/);
      } finally {
        object.env = original;
      }
    });
  });
});
