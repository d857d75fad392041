import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { miners } from '../../src/db/schema';
import type { BucketRow } from '../../src/live/fold';
import { HistoryRoom, WHOLE_SITE } from '../../src/live/history';
import type { MinerStates } from '../../src/live/miner-state';
import type { SiteState } from '../../src/live/site-state';
import { HOUR_MS, hourOf } from '../../src/telemetry/energy';
import type { HistoryPoint } from '../../src/telemetry/types';
import { insertMiner } from '../helpers/alerts';
import { createHost, createTestCustomer, db } from '../helpers/fixtures';
import { batchOf, createSite, expectSameChart, report, stateOf } from '../helpers/telemetry';

/**
 * Per-customer 5-minute aggregates (src/live/history.ts): a customer's chart is read from one row
 * per bucket, each bucket belongs to whoever owned the unit when it closed, and it always equals
 * the per-miner sum over the same buckets.
 */

const BUCKET_MS = 5 * 60_000;

const inFreshObject = <T>(fn: (sql: SqlStorage) => T | Promise<T>) =>
  runInDurableObject(env.SITE_STATE.getByName(crypto.randomUUID()), (_instance, state) => fn(state.storage.sql));

/** A seeded pseudo-random generator, so a failure is reproducible. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

describe('HistoryRoom per-customer aggregates', () => {
  it('equal the per-miner computation over the same rows: closed buckets, late samples, missing values and open buckets', async () => {
    const next = random(14);
    const base = 1_800_000_000_000 - (1_800_000_000_000 % BUCKET_MS);
    const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await inFreshObject((sql) => {
      const room = new HistoryRoom(sql);
      const owner = () => 'c1';
      // 30 miners × 48 buckets, written as they would close: a batch of miners at a time.
      for (let b = 0; b < 48; b += 1) {
        const rows = ids.map((id): BucketRow => {
          const n = 1 + Math.floor(next() * 5);
          // Some buckets without a hashrate or a power reading, or a temperature.
          const hn = next() < 0.1 ? 0 : n;
          const pn = next() < 0.1 ? 0 : n;
          return [id, base + b * BUCKET_MS, hn * (80 + next() * 40), hn, pn * (3000 + next() * 500), pn, next() < 0.1 ? null : 60 + next() * 30];
        });
        room.add(rows.slice(0, 15), owner);
        room.add(rows.slice(15), owner);
      }
      // Late samples into closed buckets, some into a bucket whose miner had no hashrate there.
      for (let i = 0; i < 200; i += 1) {
        const id = ids[Math.floor(next() * ids.length)]!;
        const b = base + Math.floor(next() * 48) * BUCKET_MS;
        room.add([[id, b, next() < 0.2 ? 0 : 50 + next() * 80, next() < 0.2 ? 0 : 1, 3100, 1, 55 + next() * 40]], owner);
      }
      // Open buckets in memory: the last bucket for some miners.
      const open = base + 48 * BUCKET_MS;
      const states: MinerStates = new Map(ids.slice(0, 7).map((id, i) => [id, { id, bucket: { b: open, hs: 100 + i, hn: 1, ps: 3000, pn: 1, tm: 70 + i } } as never]));
      const now = open + 60_000;
      const perMiner = room.read(ids, base, states, now);
      const aggregated = room.readCustomer('c1', base, states, () => true);
      expect(aggregated).toHaveLength(49);
      expectSameChart(aggregated, perMiner);
      // A later window start: only the buckets from then on.
      expectSameChart(room.readCustomer('c1', base + 40 * BUCKET_MS, states, () => true), room.read(ids, base + 40 * BUCKET_MS, states, now));
      // Another customer has nothing; a miner nobody owns adds to no customer's row.
      expect(room.readCustomer('c2', base, new Map(), () => false)).toEqual([]);
      room.add([['loose', base, 100, 1, 3000, 1, 99]], () => null);
      expectSameChart(room.readCustomer('c1', base, states, () => true), perMiner);
      // The whole site's rows (the staff dashboard): every miner, owned or not.
      expectSameChart(room.readCustomer(WHOLE_SITE, base, states, () => true), room.read([...ids, 'loose'], base, states, now));
    });
  });

  it('prunes the aggregates with the miners’ rows (25 hours)', async () => {
    const bucket = 1_800_000_000_000 - (1_800_000_000_000 % BUCKET_MS);
    await inFreshObject((sql) => {
      const room = new HistoryRoom(sql);
      room.add([['m1', bucket, 100, 1, 3000, 1, 70]], () => 'c1');
      room.add([['m1', bucket + 2 * HOUR_MS, 90, 1, 3000, 1, 70]], () => 'c1');
      room.prune(bucket + 25 * HOUR_MS + BUCKET_MS);
      expect(room.readCustomer('c1', 0, new Map(), () => true).map((p) => [p.t - bucket, p.hashrateThs])).toEqual([[2 * HOUR_MS, 90]]);
      // One row left for the customer and one for the whole site.
      expect(sql.exec('SELECT customer_id, count(*) AS n FROM customer_history GROUP BY customer_id ORDER BY customer_id').toArray()).toEqual([
        { customer_id: WHOLE_SITE, n: 1 },
        { customer_id: 'c1', n: 1 },
      ]);
    });
  });

  it('an object from before the aggregates builds them once from its miners’ rows, for the owners its registry knows', async () => {
    const bucket = 1_800_000_000_000 - (1_800_000_000_000 % BUCKET_MS);
    await inFreshObject((sql) => {
      sql.exec('DROP TABLE history');
      sql.exec('DROP TABLE customer_history');
      sql.exec(`CREATE TABLE history (miner_id TEXT NOT NULL, bucket INTEGER NOT NULL, hashrate_sum REAL NOT NULL, hashrate_n INTEGER NOT NULL,
        power_sum REAL NOT NULL, power_n INTEGER NOT NULL, temp_max REAL, PRIMARY KEY (miner_id, bucket))`);
      sql.exec(`INSERT INTO history VALUES ('m1', ${bucket}, 200, 2, 6000, 2, 70), ('m2', ${bucket}, 50, 1, 3000, 1, 80), ('m3', ${bucket}, 7, 1, 3000, 1, 90)`);
      sql.exec(`INSERT INTO registry (key, miner_id, customer_id) VALUES ('mac:1', 'm1', 'c1'), ('mac:2', 'm2', 'c1'), ('mac:3', 'm3', NULL)`);
      HistoryRoom.migrate(sql);
      HistoryRoom.migrate(sql);
      const room = new HistoryRoom(sql);
      expect(room.readCustomer('c1', 0, new Map(), () => true)).toEqual([{ t: bucket, hashrateThs: 150, powerW: 6000, tempMaxC: 80 }]);
      // The whole site's rows, from every miner's (m3 has no owner).
      expect(room.readCustomer(WHOLE_SITE, 0, new Map(), () => true)).toEqual([{ t: bucket, hashrateThs: 157, powerW: 9000, tempMaxC: 90 }]);
      // Later writes carry on from there.
      room.add([['m2', bucket, 150, 1, 3000, 1, 60]], () => 'c9');
      expect(room.readCustomer('c1', 0, new Map(), () => true)).toEqual([{ t: bucket, hashrateThs: 200, powerW: 6000, tempMaxC: 80 }]);
      expect(room.readCustomer(WHOLE_SITE, 0, new Map(), () => true)).toEqual([{ t: bucket, hashrateThs: 207, powerW: 9000, tempMaxC: 90 }]);
      expect(room.readCustomer('c9', 0, new Map(), () => true)).toEqual([]);
    });
  });
});

/**
 * One site, customers A and B, three units of A reporting distinct hashrates (100, 10 and 1 TH/s,
 * so every sum says which units it holds). Samples are hours in the past (each bucket is over),
 * `at(m)` minutes into that hour.
 */
async function reassignmentFixture(name: string) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  const a = await createTestCustomer(host, { name: `${name} A` });
  const b = await createTestCustomer(host, { name: `${name} B` });
  const units = [await insertMiner(host, { siteId, customerId: a.id }), await insertMiner(host, { siteId, customerId: a.id }), await insertMiner(host, { siteId, customerId: a.id })];
  const ctx = { hostId: host.hostId, siteId };
  const hour = hourOf(Date.now()) - 3 * HOUR_MS;
  const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
  const rates = [100, 10, 1];
  const sample = (minutes: number, only = [0, 1, 2]) =>
    batchOf(only.map((i) => report(units[i]!.mac, { sampled_at: at(minutes), hashrate_ths: rates[i]!, power_w: 3000 + i, chip_temps_c: [70 + i] })));
  const stub = () => stateOf(siteId);
  /** The chart as [minutes into the hour, hashrate, power, temperature]. */
  const chartOf = (points: HistoryPoint[]) => points.map((p) => [(p.t - hour) / 60_000, p.hashrateThs, p.powerW, p.tempMaxC]);
  const customerChart = async (customerId: string) => chartOf(await stub().customerHistory(customerId, hour));
  const minerChart = async (indexes: number[], since = hour) => stub().history(indexes.map((i) => units[i]!.id), since);
  return { host, siteId, a, b, units, ctx, hour, at, sample, stub, chartOf, customerChart, minerChart };
}

/** The next alarm re-reads the registry from D1 (as it does every few minutes). */
async function refreshRegistryOnNextAlarm(siteId: string) {
  await runInDurableObject(stateOf(siteId), (_object, state) => {
    state.storage.sql.exec("DELETE FROM meta WHERE key = 'registry_refreshed_at'");
  });
}

describe('SiteState customer charts across a re-assignment', () => {
  it('past buckets stay with the owner when they closed; late samples and a replayed spool land once, with the right customer', async () => {
    const f = await reassignmentFixture('Reassign Host');
    await f.stub().ingest(f.ctx, f.sample(1));
    await f.stub().ingest(f.ctx, f.sample(6));
    await f.stub().ingest(f.ctx, f.sample(11)); // closes 0 and 5 under A; 10 is open
    expect(await f.customerChart(f.a.id)).toEqual([
      [0, 111, 9003, 72],
      [5, 111, 9003, 72],
      [10, 111, 9003, 72],
    ]);

    // Units 1 and 2 go to B. The alarm re-reads the registry, then closes bucket 10 (over by now):
    // it closes with B as their owner.
    await db().update(miners).set({ customerId: f.b.id }).where(inArray(miners.id, [f.units[1]!.id, f.units[2]!.id]));
    await refreshRegistryOnNextAlarm(f.siteId);
    await runDurableObjectAlarm(f.stub());
    await f.stub().ingest(f.ctx, f.sample(16));
    await f.stub().ingest(f.ctx, f.sample(21)); // closes 15; 20 is open
    expect(await f.customerChart(f.a.id)).toEqual([
      [0, 111, 9003, 72],
      [5, 111, 9003, 72],
      [10, 100, 3000, 70],
      [15, 100, 3000, 70],
      [20, 100, 3000, 70],
    ]);
    expect(await f.customerChart(f.b.id)).toEqual([
      [10, 11, 6003, 72],
      [15, 11, 6003, 72],
      [20, 11, 6003, 72],
    ]);

    // A late sample of unit 1 into bucket 0, when A owned it: A's bucket follows unit 1's mean
    // there, (10 + 30) / 2 = 20, so 100 + 20 + 1; B's chart does not change.
    const late = batchOf([report(f.units[1]!.mac, { sampled_at: f.at(2), hashrate_ths: 30, power_w: 3001, chip_temps_c: [95] })]);
    await f.stub().ingest(f.ctx, late);
    // An outage: unit 2 is next heard at 41, then its agent replays the spool it kept (26, 31 and
    // 36, one batch each, oldest first): buckets it has no row for, closed long ago, go to B (its
    // owner now), once.
    await f.stub().ingest(f.ctx, f.sample(41));
    const spool = [26, 31, 36].map((m) => batchOf([report(f.units[2]!.mac, { sampled_at: f.at(m), hashrate_ths: 5, power_w: 2000, board_temps_c: [60], chip_temps_c: [60] })]));
    for (const batch of spool) await f.stub().ingest(f.ctx, batch);

    const expectedA = [
      [0, 121, 9003, 95],
      [5, 111, 9003, 72],
      [10, 100, 3000, 70],
      [15, 100, 3000, 70],
      [20, 100, 3000, 70],
      [40, 100, 3000, 70],
    ];
    const expectedB = [
      [10, 11, 6003, 72],
      [15, 11, 6003, 72],
      [20, 11, 6003, 72],
      [25, 5, 2000, 60],
      [30, 5, 2000, 60],
      [35, 5, 2000, 60],
      [40, 11, 6003, 72],
    ];
    expect(await f.customerChart(f.a.id)).toEqual(expectedA);
    expect(await f.customerChart(f.b.id)).toEqual(expectedB);

    // The same batches again (an agent retrying) change nothing.
    for (const batch of [late, ...spool]) expect((await f.stub().ingest(f.ctx, batch)).duplicate).toBe(true);
    // Evicted before any checkpoint of the later batches: the journal replays, writing nothing twice.
    await abortAllDurableObjects();
    expect(await f.customerChart(f.a.id)).toEqual(expectedA);
    expect(await f.customerChart(f.b.id)).toEqual(expectedB);
    // The alarm closes bucket 40 (it wrote nothing for it yet); run again, it writes nothing more.
    await runDurableObjectAlarm(f.stub());
    await runInDurableObject(f.stub(), (object) => (object as unknown as SiteState).alarm());
    expect(await f.customerChart(f.a.id)).toEqual(expectedA);
    expect(await f.customerChart(f.b.id)).toEqual(expectedB);

    // The per-miner computation over the same buckets agrees: before the re-assignment A's chart
    // is all three units, from it on unit 0 alone; B's is units 1 and 2 from the re-assignment on.
    const reassignedAt = f.hour + 10 * 60_000;
    const all = await f.minerChart([0, 1, 2]);
    expect(f.chartOf(all.filter((p) => p.t < reassignedAt))).toEqual(expectedA.slice(0, 2));
    expect(f.chartOf(await f.minerChart([0], reassignedAt))).toEqual(expectedA.slice(2));
    expect(f.chartOf(await f.minerChart([1, 2], reassignedAt))).toEqual(expectedB);
    // The whole site's chart (the staff dashboard) is every unit's, whoever owned it: the per-miner sum.
    expect(await f.customerChart(WHOLE_SITE)).toEqual(f.chartOf(all));
  });

  it('an alarm whose transaction rolls back closes its buckets again on the retry, once', async () => {
    const f = await reassignmentFixture('Rollback Host');
    await f.stub().ingest(f.ctx, f.sample(1));
    await f.stub().ingest(f.ctx, f.sample(6)); // closes 0; 5 stays open until an alarm
    const failing = await runInDurableObject(f.stub(), async (object) => {
      const rooms = object as unknown as { historyRoom: HistoryRoom };
      const add = rooms.historyRoom.add;
      rooms.historyRoom.add = () => {
        throw new Error('storage hiccup');
      };
      try {
        await (object as unknown as SiteState).alarm();
        return null;
      } catch (error) {
        return (error as Error).message;
      } finally {
        rooms.historyRoom.add = add;
      }
    });
    expect(failing).toBe('storage hiccup');
    // The retried alarm writes bucket 5 exactly once; another run adds nothing.
    await runDurableObjectAlarm(f.stub());
    await runInDurableObject(f.stub(), (object) => (object as unknown as SiteState).alarm());
    const expected = [
      [0, 111, 9003, 72],
      [5, 111, 9003, 72],
    ];
    expect(await f.customerChart(f.a.id)).toEqual(expected);
    expect(f.chartOf(await f.minerChart([0, 1, 2]))).toEqual(expected);
    const rows = await runInDurableObject(f.stub(), (_object, state) => state.storage.sql.exec('SELECT count(*) AS n FROM history').one().n);
    expect(rows).toBe(6);
  });

  it('a unit nobody owned when its bucket closed is in no customer’s chart, and its owner’s chart starts at the assignment', async () => {
    const f = await reassignmentFixture('Unassigned Host');
    // Unassigned before the site first hears of it: the registry reads it so from D1.
    await db().update(miners).set({ customerId: null, status: 'unassigned' }).where(eq(miners.id, f.units[0]!.id));
    await f.stub().ingest(f.ctx, f.sample(1));
    await f.stub().ingest(f.ctx, f.sample(6));
    expect(await f.customerChart(f.a.id)).toEqual([
      [0, 11, 6003, 72],
      [5, 11, 6003, 72],
    ]);
    await db().update(miners).set({ customerId: f.b.id, status: 'assigned' }).where(eq(miners.id, f.units[0]!.id));
    await refreshRegistryOnNextAlarm(f.siteId);
    await runDurableObjectAlarm(f.stub()); // closes 5: unit 0 is B's by then
    await f.stub().ingest(f.ctx, f.sample(11));
    expect(await f.customerChart(f.b.id)).toEqual([
      [5, 100, 3000, 70],
      [10, 100, 3000, 70],
    ]);
    // The whole site's chart has unit 0 throughout, owned or not.
    expect(await f.customerChart(WHOLE_SITE)).toEqual([
      [0, 111, 9003, 72],
      [5, 111, 9003, 72],
      [10, 111, 9003, 72],
    ]);
  });
});
