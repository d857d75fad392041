import { runDurableObjectAlarm } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { hostModels, miners, usageHourly } from '../../src/db/schema';
import { HOUR_MS, hourOf } from '../../src/telemetry/energy';
import { createHost, db } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

/** Issue 17 through the real SiteState object and D1: catalogue specs at staging, unknown hours, uptime gaps. */
async function siteFixture(name: string) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  return { host, siteId, ctx: { hostId: host.hostId, siteId }, stub: stateOf(siteId) };
}

const noPower = { power_w: undefined, power_source: undefined } as const;
const hourRows = async (hostId: string) => (await db().select().from(usageHourly).where(eq(usageHourly.hostId, hostId)).all()).sort((a, b) => a.hourStart - b.hourStart);

describe('energy a host can bill', () => {
  it('stages a unit reported as "Antminer S19 Pro" with the catalogue’s 3,250 W and 110 TH/s, and bills its hour at that spec', async () => {
    const { host, ctx, stub } = await siteFixture('Catalogue Stage Host');
    const mac = nextMac();
    const hour = hourOf(Date.now()) - 3 * HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    // Stock Antminer firmware reports no power: the measured case of the issue.
    await stub.ingest(ctx, batchOf([report(mac, { ...noPower, model: 'Antminer S19 Pro', sampled_at: at(0) })]));
    const [unit] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    expect(unit).toMatchObject({ model: 'Antminer S19 Pro', nominalPowerW: 3250, nominalHashrateMths: 110_000, status: 'staged' });
    await stub.ingest(ctx, batchOf([report(mac, { ...noPower, model: 'Antminer S19 Pro', sampled_at: at(6) })]));
    await runDurableObjectAlarm(stub);
    const rows = await hourRows(host.hostId);
    // 3,250 W × 6 minutes = 325 Wh, from the spec: not 0.
    expect(rows.map((r) => [r.energyWh, r.energySource, r.onlineSeconds])).toEqual([[325, 'spec', 360]]);
  });

  it('stages with the host’s own model entry, which wins over the catalogue', async () => {
    const { host, ctx, stub } = await siteFixture('Host Model Stage Host');
    const now = Date.now();
    await db().insert(hostModels).values({ id: crypto.randomUUID(), hostId: host.hostId, name: 'S19 Pro', matchKey: 's19pro', nominalHashrateMths: 104_000, nominalPowerW: 3068, createdAt: now, updatedAt: now });
    await stub.ingest(ctx, batchOf([report(nextMac(), { model: 'Antminer S19 Pro' })]));
    const [unit] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    expect(unit).toMatchObject({ nominalPowerW: 3068, nominalHashrateMths: 104_000 });
  });

  it('records an hour online with neither measured nor nominal power as unknown (null), never 0 Wh', async () => {
    const { host, ctx, stub } = await siteFixture('Unknown Energy Host');
    const mac = nextMac();
    const hour = hourOf(Date.now()) - 3 * HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    for (const minute of [0, 5, 10]) {
      await stub.ingest(ctx, batchOf([report(mac, { ...noPower, model: 'Mystery Miner 9000', sampled_at: at(minute) })]));
    }
    const [unit] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    expect(unit!.nominalPowerW).toBeNull();
    await runDurableObjectAlarm(stub);
    const rows = await hourRows(host.hostId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ energyWh: null, energySource: 'unknown', onlineSeconds: 600 });
  });

  it('counts a gap the uptime counter spans as online at the surrounding power (interpolated)', async () => {
    const { host, ctx, stub } = await siteFixture('Uptime Gap Host');
    const mac = nextMac();
    const hour = hourOf(Date.now()) - 3 * HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(0), power_w: 3000, uptime_s: 10_000 })]));
    // 30 minutes without an answer; the uptime grew by 30 minutes: the miner kept running.
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(30), power_w: 3200, uptime_s: 10_000 + 30 * 60 })]));
    await runDurableObjectAlarm(stub);
    const rows = await hourRows(host.hostId);
    // The mean of 3,000 W and 3,200 W over 30 minutes = 1,550 Wh.
    expect(rows.map((r) => [r.energyWh, r.energySource, r.onlineSeconds])).toEqual([[1550, 'interpolated', 1800]]);
  });

  it('counts a gap after which the uptime counter reset as down', async () => {
    const { host, ctx, stub } = await siteFixture('Uptime Reset Host');
    const mac = nextMac();
    const hour = hourOf(Date.now()) - 3 * HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(0), power_w: 3000, uptime_s: 10_000 })]));
    // 30 minutes later the miner has been up 2 minutes: it rebooted, so the gap was down.
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(30), power_w: 3000, uptime_s: 120 })]));
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(35), power_w: 3000, uptime_s: 420 })]));
    await runDurableObjectAlarm(stub);
    const rows = await hourRows(host.hostId);
    // Only 30:00 → 35:00 counts: 3,000 W × 5 minutes = 250 Wh, measured.
    expect(rows.map((r) => [r.energyWh, r.energySource, r.onlineSeconds])).toEqual([[250, 'miner', 300]]);
  });
});
