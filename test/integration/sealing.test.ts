import { runDurableObjectAlarm } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, sealHash } from '../../src/billing/seal-format.js';
import { listAdjustments, markAdjustmentsBilled, releaseAdjustments, SEAL_AFTER_MS, sealDueDays, sealsForWindow } from '../../src/billing/seal';
import { miners, usageAdjustments, usageHourly, usageSealDays, usageSeals } from '../../src/db/schema';
import { HOUR_MS as ENERGY_HOUR_MS, hourOf } from '../../src/telemetry/energy';
import { createHost, createMiner, createTestCustomer, db, type TestHost } from '../helpers/fixtures';
import { DAY_MS, HOUR_MS, insertInvoice, insertUsage, upsertUsageLikeSiteState, utcMidnightDaysAgo } from '../helpers/evidence';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function fixture(name: string) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  const alice = await createTestCustomer(host, { name: 'Alice Mining' });
  const bob = await createTestCustomer(host, { name: 'Bob Mining' });
  const aliceUnit = await createMiner(host, { customerId: alice.id, siteId });
  const bobUnit = await createMiner(host, { customerId: bob.id, siteId });
  const spareUnit = await createMiner(host, { siteId, status: 'unassigned' });
  return { host, siteId, alice: alice.id, bob: bob.id, aliceUnit, bobUnit, spareUnit };
}

const sealsOf = (siteId: string) => db().select().from(usageSeals).where(eq(usageSeals.siteId, siteId)).all();
const sealDaysOf = (siteId: string) => db().select().from(usageSealDays).where(eq(usageSealDays.siteId, siteId)).all();
const adjustmentsOf = (host: TestHost) => db().select().from(usageAdjustments).where(eq(usageAdjustments.hostId, host.hostId)).all();

describe('sealing usage 48 hours after a UTC day ends', () => {
  it('seals nothing before 48 hours, then one seal per customer of the (site, day), re-derivable from the rows', async () => {
    const f = await fixture('Seal Timing Host');
    const day = utcMidnightDaysAgo(10);
    await insertUsage(f.host, [
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: day + 2 * HOUR_MS, energyWh: 3_100 },
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: day + HOUR_MS, energyWh: 3_000 },
      { minerId: f.bobUnit, siteId: f.siteId, customerId: f.bob, hourStart: day + HOUR_MS, energyWh: 2_900, energySource: 'pdu' },
      { minerId: f.spareUnit, siteId: f.siteId, customerId: null, hourStart: day + 23 * HOUR_MS, energyWh: 50, energySource: 'spec' },
    ]);
    const dayEnd = day + DAY_MS;

    const early = await sealDueDays(db(), dayEnd + SEAL_AFTER_MS - 1, { siteIds: [f.siteId] });
    expect(early).toEqual({ sealedDays: 0, emptyDays: 0, seals: 0, retried: 0 });
    expect(await sealDaysOf(f.siteId)).toEqual([]);

    const run = await sealDueDays(db(), dayEnd + SEAL_AFTER_MS, { siteIds: [f.siteId] });
    expect(run).toEqual({ sealedDays: 1, emptyDays: 0, seals: 3, retried: 0 });
    expect((await sealDaysOf(f.siteId)).map((d) => d.day)).toEqual([dayOf(day)]);

    const seals = await sealsOf(f.siteId);
    expect(seals.map((s) => [s.customerKey, s.rowCount, s.energyWh, s.prevHash]).sort()).toEqual(
      [
        [f.alice, 2, 6_100, GENESIS_HASH],
        [f.bob, 1, 2_900, GENESIS_HASH],
        ['', 1, 50, GENESIS_HASH],
      ].sort(),
    );
    const rows = await db().select().from(usageHourly).where(eq(usageHourly.siteId, f.siteId)).all();
    for (const seal of seals) {
      const own = rows.filter((r) => (r.customerId ?? '') === seal.customerKey);
      expect(seal.hash).toBe(await sealHash({ siteId: f.siteId, customerKey: seal.customerKey, day: dayOf(day), prevHash: GENESIS_HASH, rows: own }));
      expect(seal.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('chains each (site, customer) day to its previous seal and marks empty days between', async () => {
    const f = await fixture('Seal Chain Host');
    const d0 = utcMidnightDaysAgo(20);
    await insertUsage(f.host, [
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: d0 },
      { minerId: f.bobUnit, siteId: f.siteId, customerId: f.bob, hourStart: d0 },
      { minerId: f.bobUnit, siteId: f.siteId, customerId: f.bob, hourStart: d0 + DAY_MS + 5 * HOUR_MS },
      // d0 + 2 days: nothing at all. d0 + 3 days: Alice again.
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: d0 + 3 * DAY_MS + 7 * HOUR_MS, energyWh: 2_222 },
    ]);
    const run = await sealDueDays(db(), d0 + 4 * DAY_MS + SEAL_AFTER_MS, { siteIds: [f.siteId], maxSteps: 50 });
    expect(run).toMatchObject({ sealedDays: 3, emptyDays: 1, seals: 4, retried: 0 });
    expect((await sealDaysOf(f.siteId)).map((d) => d.day).sort()).toEqual([0, 1, 2, 3].map((n) => dayOf(d0 + n * DAY_MS)));

    const seals = await sealsOf(f.siteId);
    const seal = (customer: string, n: number) => seals.find((s) => s.customerKey === customer && s.day === dayOf(d0 + n * DAY_MS))!;
    expect(seal(f.alice, 0).prevHash).toBe(GENESIS_HASH);
    expect(seal(f.bob, 0).prevHash).toBe(GENESIS_HASH);
    expect(seal(f.bob, 1).prevHash).toBe(seal(f.bob, 0).hash);
    // Alice had no rows on days 1 and 2: her day-3 seal chains straight to her day-0 seal.
    expect(seal(f.alice, 3).prevHash).toBe(seal(f.alice, 0).hash);
    expect(seals.filter((s) => s.day === dayOf(d0 + 2 * DAY_MS))).toEqual([]);
  });

  it('bounds a run and carries on where it stopped, in day order', async () => {
    const f = await fixture('Seal Budget Host');
    const d0 = utcMidnightDaysAgo(30);
    await insertUsage(
      f.host,
      [0, 1, 2, 3, 4].map((n) => ({ minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: d0 + n * DAY_MS })),
    );
    const now = d0 + 5 * DAY_MS + SEAL_AFTER_MS;
    expect(await sealDueDays(db(), now, { siteIds: [f.siteId], maxSteps: 2 })).toMatchObject({ sealedDays: 2 });
    expect((await sealDaysOf(f.siteId)).length).toBe(2);
    expect(await sealDueDays(db(), now, { siteIds: [f.siteId], maxSteps: 10 })).toMatchObject({ sealedDays: 3 });
    const seals = (await sealsOf(f.siteId)).sort((a, b) => (a.day < b.day ? -1 : 1));
    expect(seals).toHaveLength(5);
    for (let i = 1; i < seals.length; i++) expect(seals[i]!.prevHash).toBe(seals[i - 1]!.hash);
  });

  it('is idempotent: a second run and two racing runs seal each day once, with one chain', async () => {
    const f = await fixture('Seal Race Host');
    const d0 = utcMidnightDaysAgo(15);
    await insertUsage(f.host, [
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: d0 },
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: d0 + DAY_MS },
      { minerId: f.bobUnit, siteId: f.siteId, customerId: f.bob, hourStart: d0 + 2 * DAY_MS },
    ]);
    const now = d0 + 3 * DAY_MS + SEAL_AFTER_MS;
    const [a, b] = await Promise.all([sealDueDays(db(), now, { siteIds: [f.siteId] }), sealDueDays(db(), now, { siteIds: [f.siteId] })]);
    expect(a.retried + b.retried).toBe(0);
    const seals = await sealsOf(f.siteId);
    expect(seals).toHaveLength(3);
    expect(a.seals + b.seals).toBe(3);
    expect(await sealDaysOf(f.siteId)).toHaveLength(3);
    const before = JSON.stringify(seals.sort((x, y) => (x.day < y.day ? -1 : 1)));

    expect(await sealDueDays(db(), now, { siteIds: [f.siteId] })).toEqual({ sealedDays: 0, emptyDays: 0, seals: 0, retried: 0 });
    expect(JSON.stringify((await sealsOf(f.siteId)).sort((x, y) => (x.day < y.day ? -1 : 1)))).toBe(before);
    const alice = seals.filter((s) => s.customerKey === f.alice);
    expect(alice[1]!.prevHash).toBe(alice[0]!.hash);
  });

  it('starts a site with no usage at its creation day and marks empty days, so a late first row is an adjustment', async () => {
    const f = await fixture('Seal Empty Host');
    const now = Date.now() + 5 * DAY_MS;
    const run = await sealDueDays(db(), now, { siteIds: [f.siteId] });
    expect(run.sealedDays).toBe(0);
    expect(run.emptyDays).toBeGreaterThanOrEqual(2);
    const today = utcMidnightDaysAgo(0);
    await upsertUsageLikeSiteState(f.host, f.siteId, [{ minerId: f.aliceUnit, siteId: f.siteId, hourStart: today + HOUR_MS, energyWh: 1_234 }]);
    expect(await db().select().from(usageHourly).where(eq(usageHourly.siteId, f.siteId)).all()).toEqual([]);
    expect(await adjustmentsOf(f.host)).toEqual([
      expect.objectContaining({ minerId: f.aliceUnit, customerId: f.alice, hourStart: today + HOUR_MS, oldEnergyWh: 0, newEnergyWh: 1_234, deltaWh: 1_234 }),
    ]);
  });
});

describe('a change reaching a sealed day', () => {
  it('leaves the sealed row unchanged and records adjustments; unsealed days still update', async () => {
    const f = await fixture('Seal Late Host');
    const sealed = utcMidnightDaysAgo(12);
    const open = utcMidnightDaysAgo(1);
    await insertUsage(f.host, [
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: sealed + 3 * HOUR_MS, energyWh: 100 },
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: open + 3 * HOUR_MS, energyWh: 100 },
    ]);
    await sealDueDays(db(), sealed + DAY_MS + SEAL_AFTER_MS, { siteIds: [f.siteId] });
    const [sealBefore] = await sealsOf(f.siteId);

    // A late spool replay: the exact upsert SiteState sends, twice (the hour grows 100 → 120 → 130).
    await upsertUsageLikeSiteState(f.host, f.siteId, [{ minerId: f.aliceUnit, siteId: f.siteId, hourStart: sealed + 3 * HOUR_MS, energyWh: 120 }]);
    await upsertUsageLikeSiteState(f.host, f.siteId, [{ minerId: f.aliceUnit, siteId: f.siteId, hourStart: sealed + 3 * HOUR_MS, energyWh: 130 }]);
    // The same value again (an alarm re-run) records nothing.
    await upsertUsageLikeSiteState(f.host, f.siteId, [{ minerId: f.aliceUnit, siteId: f.siteId, hourStart: sealed + 3 * HOUR_MS, energyWh: 100 }]);
    // A new hour in the sealed day, and a change to the unsealed day.
    await upsertUsageLikeSiteState(f.host, f.siteId, [
      { minerId: f.bobUnit, siteId: f.siteId, hourStart: sealed + 9 * HOUR_MS, energyWh: 75 },
      { minerId: f.aliceUnit, siteId: f.siteId, hourStart: open + 3 * HOUR_MS, energyWh: 150 },
    ]);

    const rows = await db().select().from(usageHourly).where(eq(usageHourly.siteId, f.siteId)).all();
    expect(rows.map((r) => [r.hourStart, r.energyWh]).sort()).toEqual(
      [
        [sealed + 3 * HOUR_MS, 100],
        [open + 3 * HOUR_MS, 150],
      ].sort(),
    );
    expect((await sealsOf(f.siteId))[0]).toEqual(sealBefore);

    const raw = await adjustmentsOf(f.host);
    expect(raw.map((a) => [a.minerId, a.oldEnergyWh, a.newEnergyWh, a.deltaWh]).sort()).toEqual(
      [
        [f.aliceUnit, 100, 120, 20],
        [f.aliceUnit, 100, 130, 30],
        [f.bobUnit, 0, 75, 75],
      ].sort(),
    );

    // Billed deltas: each replay over the one before, so the hour adds 30 Wh in all, not 50.
    const alice = await listAdjustments(db(), f.host.hostId, f.alice, { unbilled: true });
    expect(alice.map((a) => [a.previousWh, a.newWh, a.deltaWh])).toEqual([
      [100, 120, 20],
      [120, 130, 10],
    ]);
    const bob = await listAdjustments(db(), f.host.hostId, f.bob, { unbilled: true });
    expect(bob.map((a) => [a.hourStart, a.deltaWh, a.siteId])).toEqual([[sealed + 9 * HOUR_MS, 75, f.siteId]]);
    // Another host sees none of them.
    const other = await createHost('Seal Other Host');
    expect(await listAdjustments(db(), other.hostId, f.alice)).toEqual([]);
  });

  it('marks adjustments billed once (a second invoice cannot take them) and releases them on void', async () => {
    const f = await fixture('Seal Billed Host');
    const sealed = utcMidnightDaysAgo(9);
    await insertUsage(f.host, [{ minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: sealed, energyWh: 100 }]);
    await sealDueDays(db(), sealed + DAY_MS + SEAL_AFTER_MS, { siteIds: [f.siteId] });
    await upsertUsageLikeSiteState(f.host, f.siteId, [{ minerId: f.aliceUnit, siteId: f.siteId, hourStart: sealed, energyWh: 140 }]);
    const [adjustment] = await listAdjustments(db(), f.host.hostId, f.alice, { unbilled: true });
    const first = await insertInvoice(f.host, f.alice, { fromMs: sealed, toMs: sealed + DAY_MS });
    const second = await insertInvoice(f.host, f.alice, { fromMs: sealed + DAY_MS, toMs: sealed + 2 * DAY_MS });

    const [taken] = await db().batch([markAdjustmentsBilled(db(), f.host.hostId, f.alice, [adjustment!.id], first)]);
    expect(taken.meta.changes).toBe(1);
    const [again] = await db().batch([markAdjustmentsBilled(db(), f.host.hostId, f.alice, [adjustment!.id], second)]);
    expect(again.meta.changes).toBe(0);
    // Another customer's id list cannot take Alice's adjustment either.
    const [wrong] = await db().batch([markAdjustmentsBilled(db(), f.host.hostId, f.bob, [adjustment!.id], second)]);
    expect(wrong.meta.changes).toBe(0);
    expect(await listAdjustments(db(), f.host.hostId, f.alice, { unbilled: true })).toEqual([]);
    expect((await listAdjustments(db(), f.host.hostId, f.alice))[0]).toMatchObject({ invoiceId: first, deltaWh: 40 });

    await db().batch([releaseAdjustments(db(), f.host.hostId, first)]);
    expect(await listAdjustments(db(), f.host.hostId, f.alice, { unbilled: true })).toHaveLength(1);
  });

  it('a real SiteState late replay into a sealed hour becomes an adjustment', async () => {
    const host = await createHost('Seal Replay Host');
    const siteId = await createSite(host);
    const customer = await createTestCustomer(host);
    const stub = stateOf(siteId);
    const ctx = { hostId: host.hostId, siteId };
    const mac = nextMac();
    const hour = hourOf(Date.now()) - 3 * ENERGY_HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(10), power_w: 3000 })]));
    const [miner] = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    await db().update(miners).set({ customerId: customer.id, status: 'assigned' }).where(eq(miners.id, miner!.id));
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(15), power_w: 3000 })]));
    await runDurableObjectAlarm(stub);
    const [row] = await db().select().from(usageHourly).where(eq(usageHourly.siteId, siteId)).all();
    expect(row).toMatchObject({ hourStart: hour, energyWh: 250 });

    // Two days and more later the day is sealed; then the agent replays a spooled sample of that hour.
    await sealDueDays(db(), hour + 4 * DAY_MS, { siteIds: [siteId] });
    expect(await db().select().from(usageSealDays).where(and(eq(usageSealDays.siteId, siteId), eq(usageSealDays.day, dayOf(hour)))).get()).toBeDefined();
    await stub.ingest(ctx, batchOf([report(mac, { sampled_at: at(20), power_w: 3000 })]));
    await runDurableObjectAlarm(stub);

    const [after] = await db().select().from(usageHourly).where(eq(usageHourly.siteId, siteId)).all();
    expect(after).toEqual(row);
    const adjustments = await listAdjustments(db(), host.hostId, customer.id);
    expect(adjustments).toEqual([expect.objectContaining({ minerId: miner!.id, hourStart: hour, previousWh: 250, newWh: 500, deltaWh: 250 })]);
  });
});

describe('seals cited by an invoice line', () => {
  it('lists the customer own seals over a window and the days not yet sealed', async () => {
    const f = await fixture('Seal Window Host');
    const d0 = utcMidnightDaysAgo(8);
    await insertUsage(f.host, [
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: d0 + HOUR_MS },
      { minerId: f.bobUnit, siteId: f.siteId, customerId: f.bob, hourStart: d0 + DAY_MS + HOUR_MS },
      { minerId: f.aliceUnit, siteId: f.siteId, customerId: f.alice, hourStart: d0 + 2 * DAY_MS + HOUR_MS },
    ]);
    // Seal days 0 and 1 only.
    await sealDueDays(db(), d0 + 2 * DAY_MS + SEAL_AFTER_MS, { siteIds: [f.siteId] });
    const window = await sealsForWindow(db(), f.host.hostId, f.alice, [f.siteId, f.siteId], d0, d0 + 3 * DAY_MS);
    const [aliceSeal] = await db()
      .select()
      .from(usageSeals)
      .where(and(eq(usageSeals.siteId, f.siteId), eq(usageSeals.customerKey, f.alice)))
      .all();
    expect(window).toEqual({
      seals: [{ siteId: f.siteId, day: dayOf(d0), hash: aliceSeal!.hash }],
      unsealedDays: [{ siteId: f.siteId, day: dayOf(d0 + 2 * DAY_MS) }],
    });
    // Another host asking about this site gets nothing sealed.
    const other = await createHost('Seal Window Other');
    expect((await sealsForWindow(db(), other.hostId, f.alice, [f.siteId], d0, d0 + DAY_MS)).seals).toEqual([]);
  });
});
