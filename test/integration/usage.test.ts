import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { billedWh, type KwhSource, type UsageRow } from '../../src/billing/energy';
import { billingPeriod } from '../../src/billing/periods';
import { customerUsage, parseUsageMonth, usageSettings, varianceBand } from '../../src/billing/usage';
import { getDb } from '../../src/db/client';
import { countingD1 } from '../helpers/counting-d1';
import { createHost, createTestCustomer, db, getPage } from '../helpers/fixtures';
import { portalCustomer } from '../helpers/alerts';
import { insertMiner, insertSite } from '../helpers/alerts';
import { HOUR_MS, hoursFrom, insertPerKwhContract, insertUsage, setBillingDay, setHostTimezone, type UsageSeed } from '../helpers/usage';

const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);
const AFTER_NOV = DEC + 5 * 24 * HOUR_MS;
const UTC = { timezone: 'UTC', billingDay: 1 };

/** A deterministic pseudo-random sequence (tests must be repeatable). */
function random(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % n;
  };
}

const asUsageRow = (row: UsageSeed): UsageRow => ({
  minerId: row.minerId,
  hourStart: row.hourStart,
  siteId: row.siteId,
  customerId: row.customerId,
  energyWh: row.energyWh ?? 3000,
  energySource: row.energySource ?? 'miner',
  avgHashrateMths: row.avgHashrateMths ?? 100_000,
  onlineSeconds: row.onlineSeconds ?? 3600,
  samples: row.samples ?? 60,
});

/** What invoice generation computes: per-row billedWh, then a plain sum. */
const expectedBilled = (rows: UsageSeed[], source: KwhSource, nominalPowerW: number | null, efficiency: number | null) =>
  rows.reduce((sum, row) => sum + billedWh(asUsageRow(row), source, { nominalPowerW }, efficiency)!, 0);

async function hostWithCustomer(name = 'Usage Host') {
  const host = await createHost(name);
  const customer = await createTestCustomer(host, { name: 'Usage Customer' });
  const siteId = await insertSite(host, 'Hall A');
  return { host, customer, siteId };
}

const unitOf = (usage: Awaited<ReturnType<typeof customerUsage>>, minerId: string) => {
  const unit = usage.units.find((u) => u.minerId === minerId);
  if (!unit) throw new Error(`unit ${minerId} not in usage`);
  return unit;
};

describe('usage per unit: the three kWh sources, exactly as invoices bill them', () => {
  it('sums per-row billedWh (half up per row) for metered, spec and hashrate, and shows metered kWh for units under no per-kWh contract', async () => {
    const { host, customer, siteId } = await hostWithCustomer();
    const next = random(42);
    const metered = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-METERED' });
    const spec = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-SPEC', nominalPowerW: 3068 });
    const hashrate = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-HASHRATE' });
    const none = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-NONE' });
    const fixed = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-FIXED' });
    // Random hours, including online seconds and hashrates that land on .5 Wh (the rounding edge).
    const rowsFor = (minerId: string) =>
      hoursFrom(NOV, 200, (i) => ({
        minerId,
        siteId,
        customerId: customer.id,
        energyWh: next(3500),
        avgHashrateMths: i % 7 === 0 ? 100_000 : 50_000 + next(100_000),
        onlineSeconds: i % 5 === 0 ? 1800 : i % 11 === 0 ? 0 : next(3601),
      }));
    const rows = { metered: rowsFor(metered.id), spec: rowsFor(spec.id), hashrate: rowsFor(hashrate.id), none: rowsFor(none.id), fixed: rowsFor(fixed.id) };
    // 1200 W for 1800 s is 600 Wh exactly; 3068 W x 1 s = 0.852 Wh → 1; pick one row that is exactly x.5.
    rows.spec[1]!.onlineSeconds = 1_173; // 3068 x 1173 / 3600 = 999.65… → 1000
    rows.hashrate[2]!.avgHashrateMths = 100_000;
    rows.hashrate[2]!.onlineSeconds = 9; // 21500 x 100000 x 9 / 3.6e9 = 5.375 → 5
    await insertUsage(host, Object.values(rows).flat());
    await insertPerKwhContract(host, customer.id, [metered.id], { kwhSource: 'metered' });
    await insertPerKwhContract(host, customer.id, [spec.id], { kwhSource: 'spec' });
    await insertPerKwhContract(host, customer.id, [hashrate.id], { kwhSource: 'hashrate', efficiencyMjPerTh: 21_500 });
    await insertPerKwhContract(host, customer.id, [fixed.id], { pricing: 'fixed_per_unit' });
    // A draft per-kWh contract covers nothing.
    await insertPerKwhContract(host, customer.id, [none.id], { kwhSource: 'spec', status: 'draft' });

    const usage = await customerUsage(db(), host.hostId, customer.id, '2026-11', UTC, AFTER_NOV);
    expect(usage.units.map((u) => u.serial)).toEqual(['U-FIXED', 'U-HASHRATE', 'U-METERED', 'U-NONE', 'U-SPEC']);

    const m = unitOf(usage, metered.id);
    expect(m.sources).toEqual(['metered']);
    expect(m.billedWh).toBe(expectedBilled(rows.metered, 'metered', 3068, null));
    expect(m.meteredWh).toBe(rows.metered.reduce((s, r) => s + r.energyWh!, 0));
    expect(m.variance).toBeNull(); // metered is billed as metered: nothing to compare

    const s = unitOf(usage, spec.id);
    expect(s.sources).toEqual(['spec']);
    expect(s.billedWh).toBe(expectedBilled(rows.spec, 'spec', 3068, null));
    expect(s.variance?.billedWh).toBe(s.billedWh);
    expect(s.variance?.meteredWh).toBe(s.meteredWh);

    const h = unitOf(usage, hashrate.id);
    expect(h.sources).toEqual(['hashrate']);
    expect(h.billedWh).toBe(expectedBilled(rows.hashrate, 'hashrate', null, 21_500));
    expect(h.variance).not.toBeNull();

    for (const [unitId, unitRows] of [
      [none.id, rows.none],
      [fixed.id, rows.fixed],
    ] as const) {
      const unit = unitOf(usage, unitId);
      expect(unit.billedWh).toBeNull();
      expect(unit.billedNote).toBe('no_per_kwh_contract');
      expect(unit.sources).toEqual([]);
      expect(unit.meteredWh).toBe(unitRows.reduce((sum, r) => sum + r.energyWh!, 0));
      expect(unit.uncoveredHours).toBe(200);
    }
    expect(usage.totals.billedWh).toBe(m.billedWh! + s.billedWh! + h.billedWh!);
    expect(usage.totals.meteredWh).toBe(usage.units.reduce((sum, u) => sum + u.meteredWh, 0));
    // Online-weighted average hashrate, half up, in milli-TH/s.
    const weighted = rows.hashrate.reduce((sum, r) => sum + r.avgHashrateMths! * r.onlineSeconds!, 0);
    const online = rows.hashrate.reduce((sum, r) => sum + r.onlineSeconds!, 0);
    expect(h.onlineSeconds).toBe(online);
    expect(h.avgHashrateMths).toBe(Math.floor((2 * weighted + online) / (2 * online)));
  });

  it('bills only the hours within the contract’s dates, says when a source lacks its parameter, and never counts an hour twice', async () => {
    const { host, customer, siteId } = await hostWithCustomer();
    const late = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-LATE', nominalPowerW: 1000 });
    const noPower = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-NOPOWER', nominalPowerW: null });
    const noEfficiency = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-NOEFF' });
    const twice = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-TWICE', nominalPowerW: 2000 });
    const seed = (minerId: string) => hoursFrom(NOV, 24 * 30, () => ({ minerId, siteId, customerId: customer.id, energyWh: 900, onlineSeconds: 3600 }));
    await insertUsage(host, [...seed(late.id), ...seed(noPower.id), ...seed(noEfficiency.id), ...seed(twice.id)]);
    // Starts on the 11th (host midnight, UTC here): ten days uncovered.
    await insertPerKwhContract(host, customer.id, [late.id], { kwhSource: 'spec', startDate: '2026-11-11', endDate: '2027-11-10' });
    await insertPerKwhContract(host, customer.id, [noPower.id], { kwhSource: 'spec' });
    await insertPerKwhContract(host, customer.id, [noEfficiency.id], { kwhSource: 'hashrate', efficiencyMjPerTh: null });
    // An ended contract to the 20th and a later one from the 20th overlap on the 20th: the later one wins.
    await insertPerKwhContract(host, customer.id, [twice.id], { kwhSource: 'metered', status: 'terminated', startDate: '2026-01-01', endDate: '2026-11-20' });
    await insertPerKwhContract(host, customer.id, [twice.id], { kwhSource: 'spec', startDate: '2026-11-20', endDate: '2027-11-19' });

    const usage = await customerUsage(db(), host.hostId, customer.id, '2026-11', UTC, AFTER_NOV);
    const l = unitOf(usage, late.id);
    expect(l.coveredHours).toBe(20 * 24);
    expect(l.uncoveredHours).toBe(10 * 24);
    expect(l.billedWh).toBe(20 * 24 * 1000);
    expect(l.meteredWh).toBe(30 * 24 * 900);
    expect(l.variance).toEqual({ against: 'metered', billedWh: 480_000, meteredWh: 432_000, bps: 1111, band: 'yellow' });

    expect(unitOf(usage, noPower.id)).toMatchObject({ billedWh: null, billedNote: 'missing_nominal_power', sources: ['spec'], variance: null });
    expect(unitOf(usage, noEfficiency.id)).toMatchObject({ billedWh: null, billedNote: 'missing_efficiency', sources: ['hashrate'] });
    expect(usage.totals.unbilledUnits).toBe(2);

    const t = unitOf(usage, twice.id);
    expect(t.sources).toEqual(['metered', 'spec']);
    expect(t.coveredHours).toBe(30 * 24);
    expect(t.billedWh).toBe(19 * 24 * 900 + 11 * 24 * 2000);
    expect(t.variance).toMatchObject({ billedWh: 11 * 24 * 2000, meteredWh: 11 * 24 * 900 });
  });
});

describe('variance bands', () => {
  it('are green below 5 %, yellow from 5 % to below 20 %, red from 20 %, n/a on nothing metered; decided exactly, not on the rounded figure', async () => {
    expect(varianceBand(1049, 1000)).toBe('green');
    expect(varianceBand(1050, 1000)).toBe('yellow');
    expect(varianceBand(951, 1000)).toBe('green');
    expect(varianceBand(950, 1000)).toBe('yellow');
    expect(varianceBand(1199, 1000)).toBe('yellow');
    expect(varianceBand(1200, 1000)).toBe('red');
    expect(varianceBand(800, 1000)).toBe('red');
    expect(varianceBand(801, 1000)).toBe('yellow');
    expect(varianceBand(5, 0)).toBe('n/a');
    // 4.9995 % shows as 5.00 % but is green.
    expect(varianceBand(1_049_995, 1_000_000)).toBe('green');

    const { host, customer, siteId } = await hostWithCustomer();
    const cases = [
      { serial: 'V-1049', power: 1049, metered: 1000, band: 'green', bps: 490 },
      { serial: 'V-1050', power: 1050, metered: 1000, band: 'yellow', bps: 500 },
      { serial: 'V-0951', power: 951, metered: 1000, band: 'green', bps: 490 },
      { serial: 'V-0950', power: 950, metered: 1000, band: 'yellow', bps: 500 },
      { serial: 'V-1199', power: 1199, metered: 1000, band: 'yellow', bps: 1990 },
      { serial: 'V-1200', power: 1200, metered: 1000, band: 'red', bps: 2000 },
      { serial: 'V-ZERO', power: 10, metered: 0, band: 'n/a', bps: null },
    ];
    const ids: string[] = [];
    for (const c of cases) {
      const unit = await insertMiner(host, { siteId, customerId: customer.id, serial: c.serial, nominalPowerW: c.power });
      ids.push(unit.id);
      await insertUsage(host, [{ minerId: unit.id, hourStart: NOV + 5 * HOUR_MS, siteId, customerId: customer.id, energyWh: c.metered, onlineSeconds: 3600 }]);
    }
    await insertPerKwhContract(host, customer.id, ids, { kwhSource: 'spec' });
    const usage = await customerUsage(db(), host.hostId, customer.id, '2026-11', UTC, AFTER_NOV);
    cases.forEach((c, i) => {
      expect(unitOf(usage, ids[i]!).variance, c.serial).toEqual({ against: 'metered', billedWh: c.power, meteredWh: c.metered, bps: c.bps, band: c.band });
    });
  });
});

describe('whose hours, and uptime', () => {
  it('never shows another customer’s rows of a unit re-assigned mid-month, and counts uptime over the hours the unit was the customer’s', async () => {
    const { host, customer, siteId } = await hostWithCustomer();
    const other = await createTestCustomer(host, { name: 'Next Owner' });
    // Moves to the other customer after 10 hours (and is theirs now).
    const moved = await insertMiner(host, { siteId, customerId: other.id, serial: 'U-MOVED' });
    // Still the customer's; reported 10 hours (5 fully online, 5 half), then nothing.
    const dark = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-DARK' });
    // The customer's since before the period, reported nothing this period: theirs, down.
    const silent = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-SILENT' });
    // Assigned now but never reported for them: not shown (no evidence it was theirs).
    const fresh = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-FRESH' });
    await insertUsage(host, [
      ...hoursFrom(NOV, 10, () => ({ minerId: moved.id, siteId, customerId: customer.id, energyWh: 1000, onlineSeconds: 3600 })),
      ...hoursFrom(NOV + 10 * HOUR_MS, 10, () => ({ minerId: moved.id, siteId, customerId: other.id, energyWh: 7777, onlineSeconds: 3600 })),
      ...hoursFrom(NOV + 2 * HOUR_MS, 10, (i) => ({ minerId: dark.id, siteId, customerId: customer.id, energyWh: 500, onlineSeconds: i < 5 ? 3600 : 1800 })),
      { minerId: silent.id, hourStart: NOV - 3 * HOUR_MS, siteId, customerId: customer.id, energyWh: 1, onlineSeconds: 3600 },
    ]);
    // "Now" is 20 h 30 min into the period: 20 complete hours.
    const now = NOV + 20 * HOUR_MS + 30 * 60_000;
    const usage = await customerUsage(db(), host.hostId, customer.id, '2026-11', UTC, now);
    expect(usage.units.map((u) => u.serial).sort()).toEqual(['U-DARK', 'U-MOVED', 'U-SILENT']);
    expect(usage.units.some((u) => u.minerId === fresh.id)).toBe(false);

    const m = unitOf(usage, moved.id);
    expect(m.meteredWh).toBe(10_000);
    expect(m.ownedSeconds).toBe(10 * 3600);
    expect(m.uptimeBps).toBe(10_000);
    const theirs = await customerUsage(db(), host.hostId, other.id, '2026-11', UTC, now);
    expect(theirs.units.map((u) => u.meteredWh)).toEqual([77_770]);
    expect(theirs.units[0]!.ownedSeconds).toBe(10 * 3600);

    const d = unitOf(usage, dark.id);
    // From its first row (hour 2) to the last complete hour (20): 18 hours, 7.5 of them online.
    expect(d.ownedSeconds).toBe(18 * 3600);
    expect(d.onlineSeconds).toBe(5 * 3600 + 5 * 1800);
    expect(d.uptimeBps).toBe(Math.round((27_000 / 64_800) * 10_000));
    expect(d.plannedDowntimeSeconds).toBe(0);

    const s = unitOf(usage, silent.id);
    expect(s.ownedSeconds).toBe(20 * 3600);
    expect(s.uptimeBps).toBe(0);
    expect(s.meteredWh).toBe(0);

    expect(usage.totals.onlineSeconds).toBe(10 * 3600 + 27_000);
    expect(usage.totals.ownedSeconds).toBe(10 * 3600 + 18 * 3600 + 20 * 3600);

    // After the period, the dark unit (still theirs) owned the whole period from its first row.
    const later = await customerUsage(db(), host.hostId, customer.id, '2026-11', UTC, AFTER_NOV);
    expect(unitOf(later, dark.id).ownedSeconds).toBe((DEC - NOV) / 1000 - 2 * 3600);
    expect(unitOf(later, moved.id).ownedSeconds).toBe(10 * 3600);
  });

  it('is empty for a customer with no usage, and for another host’s customer id', async () => {
    const { host, customer, siteId } = await hostWithCustomer();
    const unit = await insertMiner(host, { siteId, customerId: customer.id });
    await insertUsage(host, hoursFrom(NOV, 3, () => ({ minerId: unit.id, siteId, customerId: customer.id })));
    const empty = await createTestCustomer(host, { name: 'Nothing Yet' });
    expect((await customerUsage(db(), host.hostId, empty.id, '2026-11', UTC, AFTER_NOV)).units).toEqual([]);
    const stranger = await createHost('Stranger');
    const leaked = await customerUsage(db(), stranger.hostId, customer.id, '2026-11', UTC, AFTER_NOV);
    expect(leaked.units).toEqual([]);
    expect(leaked.totals.meteredWh).toBe(0);
  });
});

describe('periods, time zones and days', () => {
  it('uses the host’s billing day and zone: hours belong to the period and local day holding their start, across a DST change', async () => {
    const { host, customer, siteId } = await hostWithCustomer('New York Host');
    await setHostTimezone(host, 'America/New_York');
    await setBillingDay(host, 15);
    expect(await usageSettings(db(), host.hostId)).toEqual({ timezone: 'America/New_York', billingDay: 15 });
    const settings = await usageSettings(db(), host.hostId);
    const period = billingPeriod('2026-10', 15, 'America/New_York');
    // 2026-10-15 00:00 EDT = 04:00Z; 2026-11-15 00:00 EST = 05:00Z (DST ended on Nov 1).
    expect(period.fromMs).toBe(Date.UTC(2026, 9, 15, 4));
    expect(period.toMs).toBe(Date.UTC(2026, 10, 15, 5));
    const unit = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-NY' });
    const row = (hourStart: number, energyWh: number): UsageSeed => ({ minerId: unit.id, hourStart, siteId, customerId: customer.id, energyWh, onlineSeconds: 3600 });
    await insertUsage(host, [
      row(period.fromMs - HOUR_MS, 1), // 23:00 on Oct 14: the previous period
      row(period.fromMs, 10), // 00:00 Oct 15
      row(Date.UTC(2026, 9, 16, 3), 20), // 23:00 Oct 15 EDT
      row(Date.UTC(2026, 9, 16, 4), 40), // 00:00 Oct 16 EDT
      row(Date.UTC(2026, 10, 2, 4), 80), // 23:00 Nov 1 EST
      row(Date.UTC(2026, 10, 2, 5), 160), // 00:00 Nov 2 EST
      row(period.toMs - HOUR_MS, 320), // 23:00 Nov 14 EST: the last hour
      row(period.toMs, 640), // 00:00 Nov 15: the next period
    ]);
    const usage = await customerUsage(db(), host.hostId, customer.id, '2026-10', settings, Date.UTC(2027, 0, 1));
    expect(usage.period.start).toBe('2026-10-15');
    expect(usage.period.end).toBe('2026-11-15');
    expect(usage.previousKey).toBe('2026-09');
    expect(usage.nextKey).toBe('2026-11');
    expect(usage.totals.meteredWh).toBe(10 + 20 + 40 + 80 + 160 + 320);
    expect(usage.days).toHaveLength(31);
    const byDate = Object.fromEntries(usage.days.map((d) => [d.date, d.meteredWh]));
    expect(byDate['2026-10-15']).toBe(30);
    expect(byDate['2026-10-16']).toBe(40);
    expect(byDate['2026-11-01']).toBe(80);
    expect(byDate['2026-11-02']).toBe(160);
    expect(byDate['2026-11-14']).toBe(320);
    expect(usage.days.reduce((sum, d) => sum + d.meteredWh, 0)).toBe(usage.totals.meteredWh);
    // Nov 1 had 25 hours: its average fleet hashrate is one hour's 100 TH over 25 hours.
    expect(usage.days.find((d) => d.date === '2026-11-01')!.avgHashrateMths).toBe(4_000);

    const previous = await customerUsage(db(), host.hostId, customer.id, '2026-09', settings, Date.UTC(2027, 0, 1));
    expect(previous.totals.meteredWh).toBe(1);
    const following = await customerUsage(db(), host.hostId, customer.id, '2026-11', settings, Date.UTC(2027, 0, 1));
    expect(following.totals.meteredWh).toBe(640);
  });

  it('defaults the month to the period holding today in the host’s zone, and refuses anything but YYYY-MM', () => {
    // 2026-12-14 23:30 in New York is already the 15th in UTC: the New York period is still November's (billing day 15).
    const now = Date.UTC(2026, 11, 15, 4, 30);
    expect(parseUsageMonth(undefined, 15, 'America/New_York', now)).toBe('2026-11');
    expect(parseUsageMonth(undefined, 15, 'UTC', now)).toBe('2026-12');
    expect(parseUsageMonth('', 1, 'UTC', now)).toBe('2026-12');
    expect(parseUsageMonth('2026-02', 1, 'UTC', now)).toBe('2026-02');
    for (const bad of ['2026-13', '2026-1', '26-01', '2026-00', 'november', '1999-12', '2026-11-01', ' 2026-11']) {
      expect(() => parseUsageMonth(bad, 1, 'UTC', now), bad).toThrow(expect.objectContaining({ code: 'validation_failed', fields: { month: expect.any(String) } }));
    }
  });
});

describe('query budget', () => {
  it('makes the same D1 statements and round trips for 2 units or 40', async () => {
    const count = async (units: number) => {
      const { host, customer, siteId } = await hostWithCustomer(`Budget ${units}`);
      const ids: string[] = [];
      for (let i = 0; i < units; i += 1) ids.push((await insertMiner(host, { siteId, customerId: customer.id, nominalPowerW: 3000 })).id);
      await insertUsage(
        host,
        ids.flatMap((minerId) => hoursFrom(NOV, 24, () => ({ minerId, siteId, customerId: customer.id }))),
      );
      await insertPerKwhContract(host, customer.id, ids, { kwhSource: 'spec' });
      const { db: counted, counts } = countingD1(env.DB);
      const usage = await customerUsage(getDb(counted), host.hostId, customer.id, '2026-11', UTC, AFTER_NOV);
      expect(usage.units).toHaveLength(units);
      expect(usage.totals.billedWh).toBe(units * 24 * 3000);
      return counts;
    };
    const few = await count(2);
    const many = await count(40);
    expect(many).toEqual(few);
    expect(many.roundTrips).toBe(1);
  });
});


describe('the Usage tab (staff) and the portal Usage page', () => {
  async function seeded() {
    const host = await createHost('Usage Pages Host');
    const c = await portalCustomer(host, 'Usage Pages Customer');
    const siteId = await insertSite(host, 'Hall P');
    const spec = await insertMiner(host, { siteId, customerId: c.customer.id, serial: 'P-SPEC', model: 'S21', nominalPowerW: 1100 });
    const none = await insertMiner(host, { siteId, customerId: c.customer.id, serial: 'P-NONE' });
    await insertUsage(host, [
      ...hoursFrom(NOV, 48, () => ({ minerId: spec.id, siteId, customerId: c.customer.id, energyWh: 1000, onlineSeconds: 3600, avgHashrateMths: 200_000 })),
      ...hoursFrom(NOV, 24, () => ({ minerId: none.id, siteId, customerId: c.customer.id, energyWh: 2000, onlineSeconds: 1800 })),
    ]);
    await insertPerKwhContract(host, c.customer.id, [spec.id], { kwhSource: 'spec' });
    return { host, c, spec, none };
  }

  it('shows the month’s cards, daily charts with their data tables, the per-unit table with links, bands in text, and month navigation', async () => {
    const { host, c, spec, none } = await seeded();
    const res = await getPage(`/admin/customers/${c.customer.id}/usage?month=2026-11`, { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('aria-current="page">Usage</a>');
    expect(html).toContain('Usage, 2026-11-01 to 2026-12-01');
    // Billed: 48 h x 1100 W = 52.8 kWh; metered 48 + 48 kWh.
    expect(html).toMatch(/data-testid="usage-billed">\s*52\.800 kWh/);
    expect(html).toMatch(/data-testid="usage-metered">\s*96\.000 kWh/);
    expect(html).toContain(`href="/admin/equipment/${spec.id}"`);
    expect(html).toContain(`href="/admin/equipment/${none.id}"`);
    expect(html).toContain('No per-kWh contract: metered kWh shown');
    // 52.8 vs 48: 10 % → the middle band, said in words.
    expect(html).toContain('Check: 5 % to 20 % (10.00 %)');
    expect(html).toContain('id="usage-energy-chart"');
    expect(html).toContain('id="usage-hashrate-chart"');
    expect(html).toContain('<rect class="chart-bar"');
    expect(html).toContain('Daily data table');
    expect(html).toContain('href="/admin/customers/' + c.customer.id + '/usage?month=2026-10"');
    expect(html).toContain('href="/admin/customers/' + c.customer.id + '/usage?month=2026-12"');
    expect(html).toContain(`href="/admin/customers/${c.customer.id}/usage.csv?month=2026-11"`);
    expect(html).toContain('<label for="usage-month-input">Month</label>');
    expect(html).toContain('Planned downtime (announced maintenance');

    const empty = await (await getPage(`/admin/customers/${c.customer.id}/usage?month=2026-08`, { cookie: host.owner.cookie })).text();
    expect(empty).toContain('No usage in this period');
    expect(empty).not.toContain('usage-table');

    // Default month: the period holding today.
    const current = await (await getPage(`/admin/customers/${c.customer.id}/usage`, { cookie: host.owner.cookie })).text();
    expect(current).toContain(`value="${new Date().toISOString().slice(0, 7)}"`);

    const bad = await getPage(`/admin/customers/${c.customer.id}/usage?month=2026-13`, { cookie: host.owner.cookie });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Choose a month as YYYY-MM');
  });

  it('exports the month as CSV, integer Wh and exact kWh', async () => {
    const { host, c, spec, none } = await seeded();
    const res = await getPage(`/admin/customers/${c.customer.id}/usage.csv?month=2026-11`, { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/csv');
    expect(res.headers.get('Content-Disposition')).toContain('usage-Usage-Pages-Customer-2026-11.csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe(
      'month,period_start,period_end_exclusive,time_zone,unit_id,serial,model,site,kwh_source,billed_wh,billed_kwh,billed_note,metered_wh,metered_kwh,variance_pct,variance_band,online_seconds,online_hours,owned_seconds,avg_hashrate_ths,uptime_pct',
    );
    expect(lines).toHaveLength(3);
    expect(lines).toContain(`2026-11,2026-11-01,2026-12-01,UTC,${spec.id},P-SPEC,S21,Hall P,spec,52800,52.800,,48000,48.000,10.00,yellow,172800,48.00,2592000,200.000,6.67`);
    expect(lines.find((l) => l.includes(none.id))).toContain(',none,,,no_per_kwh_contract,48000,48.000,,,43200,12.00,');
  });

  it('shows the customer their own usage in the portal, with its CSV and without admin links', async () => {
    const { c, spec } = await seeded();
    const res = await getPage(`${c.base}/usage?month=2026-11`, { cookie: c.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`href="${c.base}/usage" aria-current="page">Usage</a>`);
    expect(html).toMatch(/data-testid="usage-billed">\s*52\.800 kWh/);
    expect(html).toContain('P-SPEC');
    expect(html).not.toContain('/admin/');
    expect(html).toContain(`href="${c.base}/usage.csv?month=2026-11"`);
    expect(html).toContain(`href="${c.base}/usage?month=2026-10"`);
    const csv = await getPage(`${c.base}/usage.csv?month=2026-11`, { cookie: c.cookie });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('Content-Disposition')).toContain('usage-2026-11.csv');
    expect(await csv.text()).toContain(spec.id);
  });

  it('is in View Portal too (staff see the customer’s page, read-only)', async () => {
    const { host, c } = await seeded();
    const res = await getPage(`/admin/customers/${c.customer.id}/portal/usage?month=2026-11`, { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('View Portal');
    expect(html).toMatch(/data-testid="usage-billed">\s*52\.800 kWh/);
    expect(html).toContain(`href="/admin/customers/${c.customer.id}/portal/usage.csv?month=2026-11"`);
    expect(html).not.toContain('href="/admin/equipment/');
  });
});

describe('variance against a PDU (issue 17, PDU metering)', () => {
  it('compares billed kWh with the PDU’s kWh over the hours a PDU metered, and says so', async () => {
    const { host, customer, siteId } = await hostWithCustomer('PDU Variance Host');
    const metred = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-PDU', nominalPowerW: 3000 });
    const plain = await insertMiner(host, { siteId, customerId: customer.id, serial: 'U-PLAIN', nominalPowerW: 3000 });
    await insertUsage(host, [
      // 10 hours a PDU metered (2,800 Wh each), then 10 hours of the miner's own figure (2,000 Wh).
      ...hoursFrom(NOV, 10, () => ({ minerId: metred.id, siteId, customerId: customer.id, energyWh: 2800, energySource: 'pdu' as const })),
      ...hoursFrom(NOV + 10 * HOUR_MS, 10, () => ({ minerId: metred.id, siteId, customerId: customer.id, energyWh: 2000, energySource: 'miner' as const })),
      ...hoursFrom(NOV, 20, () => ({ minerId: plain.id, siteId, customerId: customer.id, energyWh: 2900, energySource: 'miner' as const })),
    ]);
    await insertPerKwhContract(host, customer.id, [metred.id, plain.id], { kwhSource: 'spec' });
    const usage = await customerUsage(db(), host.hostId, customer.id, '2026-11', UTC, AFTER_NOV);
    // Billed 3,000 Wh × 10 PDU hours against 28,000 Wh the PDU counted: 7.14 %, yellow.
    expect(unitOf(usage, metred.id).variance).toEqual({ against: 'pdu', billedWh: 30_000, meteredWh: 28_000, bps: 714, band: 'yellow' });
    expect(unitOf(usage, metred.id).billedWh).toBe(60_000);
    // Without a PDU, the rows' own energy: 60,000 billed against 58,000.
    expect(unitOf(usage, plain.id).variance).toEqual({ against: 'metered', billedWh: 60_000, meteredWh: 58_000, bps: 345, band: 'green' });
    const page = await (await getPage(`/admin/customers/${customer.id}/usage?month=2026-11`, { cookie: host.owner.cookie })).text();
    expect(page).toContain('(7.14 %) vs PDU');
  });
});
