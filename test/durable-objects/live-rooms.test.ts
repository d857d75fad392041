import { env, runInDurableObject } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { alerts, miners, usageHourly } from '../../src/db/schema';
import { AlertTracker } from '../../src/live/alert-tracker';
import { emptyEffects, foldBatch, type BucketRow, type HourRow } from '../../src/live/fold';
import { gzip } from '../../src/live/gzip';
import { HistoryRoom } from '../../src/live/history';
import type { MinerStates } from '../../src/live/miner-state';
import { MinerRegistry } from '../../src/live/registry';
import { minerKey } from '../../src/telemetry/batch';
import { LiveStore } from '../../src/live/store';
import { UsageRoom } from '../../src/live/usage';
import { DEFAULT_ALERT_RULES } from '../../src/telemetry/alerts';
import { HOUR_MS, hourOf } from '../../src/telemetry/energy';
import { createHost, db } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report } from '../helpers/telemetry';

/** Runs `fn` on the SQLite of a fresh object (its constructor has created every room's tables). */
const inFreshObject = <T>(fn: (sql: SqlStorage) => T | Promise<T>) =>
  runInDurableObject(env.SITE_STATE.getByName(crypto.randomUUID()), (_instance, state) => fn(state.storage.sql));

async function siteWithMiner(name: string) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  const mac = nextMac();
  const site = { hostId: host.hostId, siteId };
  return { host, site, mac };
}

describe('LiveStore', () => {
  it('binds to the first host and site and refuses any other', async () => {
    await inFreshObject((sql) => {
      const store = new LiveStore(sql);
      expect(store.site()).toBeNull();
      store.bind({ hostId: 'h1', siteId: 's1' });
      store.bind({ hostId: 'h1', siteId: 's1' });
      expect(store.site()).toEqual({ hostId: 'h1', siteId: 's1' });
      expect(() => store.bind({ hostId: 'h1', siteId: 's2' })).toThrow('another site');
    });
  });

  it('keeps the latest origin the agent reached the platform at, for links in its emails', async () => {
    await inFreshObject((sql) => {
      const store = new LiveStore(sql);
      expect(store.platformOrigin()).toBeNull();
      store.rememberPlatformOrigin('http://localhost:61234');
      store.rememberPlatformOrigin(undefined);
      expect(store.platformOrigin()).toBe('http://localhost:61234');
    });
  });

  it('replays the journal after the snapshot, and a checkpoint leaves nothing to replay', async () => {
    const batch = batchOf([report(nextMac())]);
    const body = await gzip(JSON.stringify(batch));
    await inFreshObject(async (sql) => {
      const store = new LiveStore(sql);
      store.append(batch.batch_id, body, 1_000);
      expect(store.seen(batch.batch_id)).toBe(true);
      expect(store.lastReportAt()).toBe(1_000);
      const replayed: string[] = [];
      await store.load((_states, reported) => replayed.push(...reported.map((m) => m.mac!)));
      expect(replayed).toEqual([batch.miners[0]!.mac]);

      const states: MinerStates = new Map([['m1', { id: 'm1', t: 5 } as never]]);
      store.checkpoint(states);
      const again: string[] = [];
      expect(await store.load((_states, reported) => again.push(...reported.map((m) => m.mac!)))).toEqual(states);
      expect(again).toEqual([]);
    });
  });
});

describe('MinerRegistry', () => {
  it('stages an unknown miner once, and a refresh picks up what changed in D1 (nominal specs)', async () => {
    const { host, site, mac } = await siteWithMiner('Registry Room Host');
    await inFreshObject(async (sql) => {
      const registry = new MinerRegistry(sql, env.DB);
      expect(await registry.resolve(site, [report(mac)])).toEqual({ staged: 1, refused: [] });
      expect(await registry.resolve(site, [report(mac)])).toEqual({ staged: 0, refused: [] });
      const [row] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
      expect([...registry.customersById()]).toEqual([[row!.id, null]]);
      await db().update(miners).set({ nominalPowerW: 3250 }).where(eq(miners.id, row!.id));
      await registry.refresh(host.hostId, site.siteId);
      expect([...registry.all().values()][0]).toMatchObject({ minerId: row!.id, nominalW: 3250 });
      // Another instance over the same SQLite sees the mirror without asking D1.
      expect(new MinerRegistry(sql, env.DB).all().size).toBe(1);
    });
  });
});

describe('MinerRegistry.match (ingest matches a batch without a key string per miner)', () => {
  it('answers what all().get(minerKey) answers, and its version tells when an answer went stale', async () => {
    const { host, site, mac } = await siteWithMiner('Registry Match Host');
    await inFreshObject(async (sql) => {
      const registry = new MinerRegistry(sql, env.DB);
      const reported = [report(mac), report(nextMac()), { ...report(mac), mac: undefined, serial: 'S-NONE' }];
      expect(registry.match(reported)).toEqual([undefined, undefined, undefined]);
      const before = registry.version;
      await registry.resolve(site, [report(mac)]);
      expect(registry.version).not.toBe(before);
      const [row] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
      expect(registry.match(reported).map((r) => r?.minerId)).toEqual([row!.id, undefined, undefined]);
      expect(registry.match(reported)).toEqual(reported.map((m) => registry.all().get(minerKey(m))));
      // An answer holds while nothing changed: the same batch matched again costs no version.
      const after = registry.version;
      registry.match(reported);
      await registry.resolve(site, [report(mac)]);
      expect(registry.version).toBe(after);
    });
  });
});

describe('HistoryRoom', () => {
  it('adds rows into a bucket, sums miners, adds open buckets from memory, and a late write refreshes a cached fleet chart', async () => {
    const bucket = 1_800_000_000_000 - (1_800_000_000_000 % (5 * 60_000));
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await inFreshObject((sql) => {
      const room = new HistoryRoom(sql);
      room.add(ids.map((id): BucketRow => [id, bucket, 100, 1, 3000, 1, 70]));
      const now = bucket + 60 * 60_000;
      const read = () => room.read(ids, bucket, new Map(), now).map((p) => [p.t - bucket, p.hashrateThs, p.powerW, p.tempMaxC]);
      expect(read()).toEqual([[0, 2000, 60_000, 70]]);
      // A late sample into that bucket (m0 now averages (100 + 40) / 2): the cached chart follows.
      room.add([['m0', bucket, 40, 1, 3000, 1, 75]]);
      expect(read()).toEqual([[0, 1970, 60_000, 75]]);
      room.prune(bucket + 26 * HOUR_MS);
      expect(room.read(['m0'], 0, new Map(), now)).toEqual([]);
    });
  });
});

describe('UsageRoom', () => {
  it('adds closed hours, then writes them to D1 as absolute values however often it runs', async () => {
    const { host, site, mac } = await siteWithMiner('Usage Room Host');
    const hour = hourOf(Date.now()) - 2 * HOUR_MS;
    await inFreshObject(async (sql) => {
      const registry = new MinerRegistry(sql, env.DB);
      await registry.resolve(site, [report(mac)]);
      const [minerId] = registry.customersById().keys();
      const room = new UsageRoom(sql, env.DB);
      const part = (wh: number): HourRow => [minerId!, hour, wh, 300_000, 100 * 300_000, 1, 300_000, 'miner'];
      room.add([part(250)]);
      expect(await room.rollUp(site, registry.customersById(), Date.now())).toBe(1);
      // Samples that arrive after the hour was written add to it, and it is written again.
      room.add([part(300)]);
      expect(await room.rollUp(site, registry.customersById(), Date.now())).toBe(1);
      expect(await room.rollUp(site, registry.customersById(), Date.now())).toBe(0);
      const rows = await db().select().from(usageHourly).where(eq(usageHourly.hostId, host.hostId)).all();
      expect(rows).toEqual([expect.objectContaining({ hourStart: hour, energyWh: 550, onlineSeconds: 600, samples: 2, avgHashrateMths: 100_000 })]);
    });
  });
});

describe('AlertTracker', () => {
  it('opens after the sustain time from the fold’s advanced samples, records it in D1 once, and closes it', async () => {
    const { host, site, mac } = await siteWithMiner('Tracker Room Host');
    const rules = { ...DEFAULT_ALERT_RULES, overTempC: 85, overTempMinutes: 5, cooldownMinutes: 0 };
    await inFreshObject(async (sql) => {
      const registry = new MinerRegistry(sql, env.DB);
      await registry.resolve(site, [report(mac)]);
      const tracker = new AlertTracker(sql, env);
      const states: MinerStates = new Map();
      const t0 = Date.now();
      const hot = (minutes: number, temp: number) =>
        foldBatch(states, registry.all(), [report(mac, { chip_temps_c: [temp], sampled_at: new Date(t0 + minutes * 60_000).toISOString() })], emptyEffects());
      tracker.evaluateReported(hot(0, 99), rules, t0);
      await tracker.flush(site);
      expect(await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all()).toHaveLength(0);
      tracker.evaluateReported(hot(5, 99), rules, t0 + 5 * 60_000);
      await tracker.flush(site);
      await tracker.flush(site);
      const open = await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all();
      expect(open).toEqual([expect.objectContaining({ kind: 'over_temp', closedAt: null })]);
      tracker.evaluateReported(hot(6, 70), rules, t0 + 6 * 60_000);
      await tracker.flush(site);
      const [closed] = await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all();
      expect(closed!.closedAt).toBe(t0 + 6 * 60_000);
    });
  });

  it('a healthy sample still ends a breach tracked before the object restarted (tracks loaded from storage)', async () => {
    const { host, site, mac } = await siteWithMiner('Tracker Restart Host');
    const rules = { ...DEFAULT_ALERT_RULES, overTempC: 85, overTempMinutes: 5, cooldownMinutes: 0 };
    await inFreshObject(async (sql) => {
      const registry = new MinerRegistry(sql, env.DB);
      await registry.resolve(site, [report(mac)]);
      const states: MinerStates = new Map();
      const t0 = Date.now();
      const sample = (minutes: number, temp: number) =>
        foldBatch(states, registry.all(), [report(mac, { chip_temps_c: [temp], sampled_at: new Date(t0 + minutes * 60_000).toISOString() })], emptyEffects());
      new AlertTracker(sql, env).evaluateReported(sample(0, 99), rules, t0);
      // A new tracker (the object evicted and back): its only knowledge of the breach is the stored track.
      const tracker = new AlertTracker(sql, env);
      tracker.evaluateReported(sample(1, 70), rules, t0 + 60_000);
      expect(sql.exec('SELECT breach_since FROM alert_track').toArray()).toEqual([{ breach_since: null }]);
      // Hot again from minute 2: at minute 6 that is 4 minutes, under the sustain (the breach from minute 0 was ended).
      tracker.evaluateReported(sample(2, 99), rules, t0 + 2 * 60_000);
      tracker.evaluateReported(sample(6, 99), rules, t0 + 6 * 60_000);
      await tracker.flush(site);
      expect(await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all()).toHaveLength(0);
      tracker.evaluateReported(sample(7, 99), rules, t0 + 7 * 60_000);
      await tracker.flush(site);
      expect(await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all()).toEqual([expect.objectContaining({ kind: 'over_temp', closedAt: null })]);
    });
  });
});
