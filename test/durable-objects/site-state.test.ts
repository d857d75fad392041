import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { alertRules, alerts, miners, usageHourly } from '../../src/db/schema';
import type { SiteState } from '../../src/live/site-state';
import { HOUR_MS, hourOf } from '../../src/telemetry/energy';
import { createHost, db } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

async function siteFixture(name: string) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  return { host, siteId, ctx: { hostId: host.hostId, siteId }, stub: stateOf(siteId) };
}

describe('SiteState ingest', () => {
  it('adds unknown miners to inventory as staged and keeps their latest state', async () => {
    const { host, siteId, ctx, stub } = await siteFixture('Ingest Host');
    const mac = nextMac();
    const result = await stub.ingest(ctx, batchOf([report(mac), report(nextMac(), { serial: 'SN-1' })]));
    expect(result).toEqual({ duplicate: false, accepted: 2, staged: 2, refused: [] });
    const rows = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.status === 'staged' && row.siteId === siteId)).toBe(true);
    const miner = rows.find((row) => row.mac === mac)!;
    expect(miner.model).toBe('Antminer S19j Pro');
    const [live] = await stub.live([miner.id]);
    expect(live).toMatchObject({ minerId: miner.id, status: 'active', hashrateThs: 100, tempMaxC: 74, powerW: 3050, powerSource: 'miner' });
    expect(live!.efficiencyJth).toBeCloseTo(30.5);
    // A second report of the same miner is matched, not staged again.
    expect((await stub.ingest(ctx, batchOf([report(mac)]))).staged).toBe(0);
  });

  it('identifies a miner with neither MAC nor serial by its IP within the site', async () => {
    const { host, ctx, stub } = await siteFixture('Ip Host');
    const bare = { ...report(nextMac(), { ip: '10.9.9.9' }) } as Record<string, unknown>;
    delete bare.mac;
    await stub.ingest(ctx, batchOf([bare as never]));
    await stub.ingest(ctx, batchOf([bare as never]));
    const rows = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ip: '10.9.9.9', mac: null, serial: null });
  });

  it('acknowledges a replayed batch id and changes nothing', async () => {
    const { host, ctx, stub } = await siteFixture('Replay Host');
    const mac = nextMac();
    const batch = batchOf([report(mac, { hashrate_ths: 90 })]);
    await stub.ingest(ctx, batch);
    const replay = await stub.ingest(ctx, { ...batch, miners: [report(mac, { hashrate_ths: 1 })] });
    expect(replay).toEqual({ duplicate: true, accepted: 0, staged: 0, refused: [] });
    const [miner] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    expect((await stub.live([miner!.id]))[0]!.hashrateThs).toBe(90);
  });

  it('tolerates out-of-order samples: an older one never replaces the latest', async () => {
    const { host, ctx, stub } = await siteFixture('Order Host');
    const mac = nextMac();
    await stub.ingest(ctx, batchOf([report(mac, { hashrate_ths: 95 })]));
    await stub.ingest(ctx, batchOf([report(mac, { hashrate_ths: 10, sampled_at: new Date(Date.now() - 60_000).toISOString() })]));
    const [miner] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    expect((await stub.live([miner!.id]))[0]!.hashrateThs).toBe(95);
  });

  it('derives Degraded, Sleeping and Offline from what the agent reports', async () => {
    const { host, ctx, stub } = await siteFixture('Status Host');
    const macs = { low: nextMac(), sleep: nextMac(), error: nextMac(), silent: nextMac() };
    await stub.ingest(
      ctx,
      batchOf([
        report(macs.low, { hashrate_ths: 60 }),
        report(macs.sleep, { state: 'sleeping', hashrate_ths: 0 }),
        report(macs.error, { state: 'error', hashrate_ths: 0 }),
        report(macs.silent, { sampled_at: new Date(Date.now() - 30 * 60_000).toISOString() }),
      ]),
    );
    const rows = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    const byMac = new Map(rows.map((row) => [row.mac, row.id]));
    const live = new Map((await stub.live(rows.map((r) => r.id))).map((l) => [l.minerId, l.status]));
    expect(live.get(byMac.get(macs.low)!)).toBe('degraded');
    expect(live.get(byMac.get(macs.sleep)!)).toBe('sleeping');
    expect(live.get(byMac.get(macs.error)!)).toBe('offline');
    expect(live.get(byMac.get(macs.silent)!)).toBe('offline');
    const summary = await stub.summary();
    expect(summary.miners).toBe(4);
    expect(summary.byStatus).toMatchObject({ degraded: 1, sleeping: 1, offline: 2, active: 0 });
  });

  it('totals(ids): the summary over the given miners only, with hashrate and power of the mining ones', async () => {
    const { host, ctx, stub } = await siteFixture('Totals Host');
    const macs = { fast: nextMac(), low: nextMac(), sleep: nextMac(), error: nextMac(), other: nextMac() };
    await stub.ingest(
      ctx,
      batchOf([
        report(macs.fast, { hashrate_ths: 100.5, power_w: 3000 }),
        report(macs.low, { hashrate_ths: 60, power_w: 2500 }),
        report(macs.sleep, { state: 'sleeping', hashrate_ths: 0, power_w: 40 }),
        report(macs.error, { state: 'error', hashrate_ths: 7, power_w: 900 }),
        report(macs.other, { hashrate_ths: 90, power_w: 3100 }),
      ]),
    );
    const rows = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    const id = (mac: string) => rows.find((row) => row.mac === mac)!.id;
    // A miner this site never saw (another site's, or never reported) is simply not counted.
    const totals = await stub.totals([id(macs.fast), id(macs.low), id(macs.sleep), id(macs.error), crypto.randomUUID()]);
    expect(totals).toEqual({
      miners: 4,
      byStatus: { active: 1, degraded: 1, offline: 1, sleeping: 1, stale: 0, lost: 0 },
      // Active and degraded only: the sleeping and the offline miner's readings are left out.
      hashrateThs: 160.5,
      powerW: 5500,
    });
    expect(await stub.totals([])).toEqual({ miners: 0, byStatus: { active: 0, degraded: 0, offline: 0, sleeping: 0, stale: 0, lost: 0 }, hashrateThs: 0, powerW: 0 });
    // Over every miner, the same figures as summary().
    const { lastReportAt, ...summary } = await stub.summary();
    expect(await stub.totals(rows.map((row) => row.id))).toEqual(summary);
    expect(summary.miners).toBe(5);
    expect(lastReportAt).toBeGreaterThan(0);
  });

  it('refuses to be used for another host or site than the one it belongs to', async () => {
    const { ctx, stub } = await siteFixture('Bound Host');
    await stub.ingest(ctx, batchOf([report(nextMac())]));
    // Called in the object itself, so the refusal is caught here rather than crossing RPC.
    await runInDurableObject(stub, async (object) => {
      const instance = object as unknown as SiteState;
      await expect(instance.ingest({ ...ctx, hostId: 'another-host' }, batchOf([report(nextMac())]))).rejects.toThrow('another site');
    });
  });
});

describe('SiteState alerts', () => {
  it('opens an over-temperature alert in D1 and closes it when the miner cools', async () => {
    const { host, ctx, stub } = await siteFixture('Alert Host');
    const now = Date.now();
    await db().insert(alertRules).values({
      hostId: host.hostId,
      offlineMinutes: 10,
      lowHashratePct: 80,
      lowHashrateMinutes: 0,
      overTempC: 85,
      overTempMinutes: 0,
      cooldownMinutes: 0,
      emailCustomer: false,
      updatedAt: now,
    });
    const mac = nextMac();
    await stub.ingest(ctx, batchOf([report(mac, { chip_temps_c: [96, 97] })]));
    const open = await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ kind: 'over_temp', closedAt: null });
    expect(JSON.parse(open[0]!.detail!)).toMatchObject({ temp_c: 97, limit_c: 85 });
    // Still hot: still one alert.
    await stub.ingest(ctx, batchOf([report(mac, { chip_temps_c: [95] })]));
    expect(await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all()).toHaveLength(1);
    await stub.ingest(ctx, batchOf([report(mac, { chip_temps_c: [70] })]));
    const closed = await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all();
    expect(closed).toHaveLength(1);
    expect(closed[0]!.closedAt).not.toBeNull();
  });

  it('waits the sustain time before opening (default rules: 5 minutes over temperature)', async () => {
    const { host, ctx, stub } = await siteFixture('Sustain Host');
    await stub.ingest(ctx, batchOf([report(nextMac(), { chip_temps_c: [99] })]));
    expect(await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all()).toHaveLength(0);
  });

  it('the alarm notices a miner that stopped being reported while the agent reports others', async () => {
    const { host, ctx, stub, siteId } = await siteFixture('Offline Host');
    const quiet = nextMac();
    await stub.ingest(ctx, batchOf([report(nextMac()), report(quiet, { sampled_at: new Date(Date.now() - 20 * 60_000).toISOString() })]));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const rows = await db().select().from(alerts).where(and(eq(alerts.hostId, host.hostId), eq(alerts.kind, 'offline'))).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.siteId).toBe(siteId);
    // Alarms run at least once: a second run opens nothing new.
    await runDurableObjectAlarm(stub);
    expect(await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all()).toHaveLength(1);
    // Reported again and healthy: the alert closes.
    await stub.ingest(ctx, batchOf([report(quiet)]));
    const [after] = await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all();
    expect(after!.closedAt).not.toBeNull();
  });
});

describe('SiteState usage roll-up', () => {
  it('writes measured energy per miner per hour to D1, idempotently under re-runs', async () => {
    const { host, ctx, stub } = await siteFixture('Usage Host');
    const mac = nextMac();
    const hour = hourOf(Date.now()) - 2 * HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    // 3,000 W for 5 minutes, then 3,600 W for 5 minutes: 250 Wh + 300 Wh.
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(10), power_w: 3000, hashrate_ths: 100 })]));
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(15), power_w: 3600, hashrate_ths: 110 })]));
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(20), power_w: 3600, hashrate_ths: 110 })]));
    await runDurableObjectAlarm(stub);
    await runInDurableObject(stub, (object) => (object as unknown as SiteState).rollUpUsage());
    const rows = await db().select().from(usageHourly).where(eq(usageHourly.hostId, host.hostId)).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ hourStart: hour, energyWh: 550, energySource: 'miner', onlineSeconds: 600, samples: 3, avgHashrateMths: 105_000 });
  });

  it('falls back to the nominal power × time mining when the miner reports no power (source spec)', async () => {
    const { host, ctx, stub, siteId } = await siteFixture('Spec Host');
    const mac = nextMac();
    const now = Date.now();
    await db().insert(miners).values({ id: crypto.randomUUID(), hostId: host.hostId, siteId, mac, nominalPowerW: 3250, nominalHashrateMths: 104_000, status: 'unassigned', createdAt: now, updatedAt: now });
    const hour = hourOf(now) - 3 * HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    const noPower = { power_w: undefined, power_source: undefined };
    // 58:00 → 62:00 crosses the hour: 2 minutes in each hour at 3,250 W ≈ 108.33 Wh each.
    await stub.ingest(ctx, batchOf([report(mac, { ...noPower, sampled_at: at(58) })]));
    await stub.ingest(ctx, batchOf([report(mac, { ...noPower, sampled_at: at(62) })]));
    await runDurableObjectAlarm(stub);
    const rows = (await db().select().from(usageHourly).where(eq(usageHourly.hostId, host.hostId)).all()).sort((a, b) => a.hourStart - b.hourStart);
    expect(rows.map((r) => [r.hourStart - hour, r.energyWh, r.energySource, r.onlineSeconds])).toEqual([
      [0, 108, 'spec', 120],
      [HOUR_MS, 108, 'spec', 120],
    ]);
    expect(env.DB).toBeDefined();
  });
});

describe('SiteState after eviction', () => {
  it('rebuilds its state from the journal, then from the checkpoint, and keeps counting energy', async () => {
    const { host, ctx, siteId } = await siteFixture('Evicted Host');
    const mac = nextMac();
    const hour = hourOf(Date.now()) - 2 * HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    await stateOf(siteId).ingest(ctx, batchOf([report(mac, { sampled_at: at(10), power_w: 3000, hashrate_ths: 97 })]));
    await stateOf(siteId).ingest(ctx, batchOf([report(mac, { sampled_at: at(15), power_w: 3000, hashrate_ths: 98 })]));
    const [miner] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();

    // Evicted before any checkpoint: the journal alone restores the state.
    await abortAllDurableObjects();
    expect((await stateOf(siteId).live([miner!.id]))[0]).toMatchObject({ hashrateThs: 98, lastSeenAt: Date.parse(at(15)) });

    // The alarm checkpoints; evicted again, the snapshot restores it and energy carries on.
    await runDurableObjectAlarm(stateOf(siteId));
    await abortAllDurableObjects();
    await stateOf(siteId).ingest(ctx, batchOf([report(mac, { sampled_at: at(20), power_w: 3000, hashrate_ths: 99 })]));
    await runDurableObjectAlarm(stateOf(siteId));
    const rows = await db().select().from(usageHourly).where(eq(usageHourly.hostId, host.hostId)).all();
    // 3,000 W for 10 minutes = 500 Wh, counted once although the object restarted twice.
    expect(rows).toEqual([expect.objectContaining({ hourStart: hour, energyWh: 500, samples: 3, onlineSeconds: 600 })]);
    const history = await stateOf(siteId).history([miner!.id], hour);
    expect(history.map((p) => [p.t - hour, p.hashrateThs])).toEqual([
      [10 * 60_000, 97],
      [15 * 60_000, 98],
      [20 * 60_000, 99],
    ]);
  });
});

describe('SiteState alert attribution', () => {
  it('an alert raised right after assignment belongs to the new customer, not the cached owner', async () => {
    const { host, ctx, stub } = await siteFixture('Attribution Host');
    const now = Date.now();
    await db().insert(alertRules).values({ hostId: host.hostId, offlineMinutes: 10, lowHashratePct: 80, lowHashrateMinutes: 0, overTempC: 85, overTempMinutes: 0, cooldownMinutes: 0, emailCustomer: false, updatedAt: now });
    const mac = nextMac();
    await stub.ingest(ctx, batchOf([report(mac)]));
    const [miner] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    const { createTestCustomer } = await import('../helpers/fixtures');
    const customer = await createTestCustomer(host);
    await db().update(miners).set({ customerId: customer.id, status: 'assigned' }).where(eq(miners.id, miner!.id));
    // No alarm has refreshed the object's registry since the assignment.
    await stub.ingest(ctx, batchOf([report(mac, { chip_temps_c: [99] })]));
    const [alert] = await db().select().from(alerts).where(eq(alerts.hostId, host.hostId)).all();
    expect(alert).toMatchObject({ kind: 'over_temp', customerId: customer.id });
  });
});

describe('SiteState fleet history', () => {
  it('a fleet chart stays the sum of its miners as buckets close, and a late sample into a summed bucket counts', async () => {
    const { host, ctx, siteId } = await siteFixture('Fleet Chart Host');
    // 24 miners: a fleet chart (the object keeps its closed points in memory).
    const macs = Array.from({ length: 24 }, () => nextMac());
    const hour = hourOf(Date.now()) - 3 * HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    const sample = (minutes: number, hashrate: number) => batchOf(macs.map((mac) => report(mac, { sampled_at: at(minutes), hashrate_ths: hashrate, power_w: 3000 })));
    // One miner reported an hour earlier too: outside the chart's window below, inside a longer one.
    const earlier = hour - HOUR_MS;
    await stateOf(siteId).ingest(ctx, batchOf([report(macs[1]!, { sampled_at: new Date(earlier + 60_000).toISOString(), hashrate_ths: 50, power_w: 3000 })]));
    await stateOf(siteId).ingest(ctx, sample(1, 100));
    await stateOf(siteId).ingest(ctx, sample(6, 90));
    await stateOf(siteId).ingest(ctx, sample(11, 80));
    const ids = (await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all()).map((m) => m.id);
    const chart = async () => (await stateOf(siteId).history(ids, hour)).map((p) => [(p.t - hour) / 60_000, p.hashrateThs, p.powerW]);

    const first = await chart();
    expect(first).toEqual([
      [0, 2400, 72_000],
      [5, 2160, 72_000],
      [10, 1920, 72_000],
    ]);
    // Asked again (now from memory up to the horizon), the same points.
    expect(await chart()).toEqual(first);
    // Asked for a longer window than the one kept in memory, it reads the earlier point as well.
    expect((await stateOf(siteId).history(ids, earlier)).map((p) => [(p.t - hour) / 60_000, p.hashrateThs])).toEqual([
      [-60, 50],
      [0, 2400],
      [5, 2160],
      [10, 1920],
    ]);

    // A new bucket closes the open one: the chart carries on.
    await stateOf(siteId).ingest(ctx, sample(16, 70));
    expect(await chart()).toEqual([...first, [15, 1680, 72_000]]);

    // A late sample for one miner lands in the first bucket, long summed: that miner's average
    // there becomes (100 + 40) / 2 = 70, so the bucket reads 23 × 100 + 70.
    await stateOf(siteId).ingest(ctx, batchOf([report(macs[0]!, { sampled_at: at(2), hashrate_ths: 40, power_w: 3000 })]));
    expect((await chart())[0]).toEqual([0, 23 * 100 + 70, 72_000]);

    // Evicted, the object reads it all from SQLite again: the same chart.
    const before = await chart();
    await abortAllDurableObjects();
    expect(await chart()).toEqual(before);
  });
});
