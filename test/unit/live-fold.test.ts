import { describe, expect, it } from 'vitest';
import { closeQuietPeriods, emptyEffects, foldBatch } from '../../src/live/fold';
import type { MinerStates } from '../../src/live/miner-state';
import type { Registered } from '../../src/live/registry';
import { HOUR_MS } from '../../src/telemetry/energy';
import { minerKey, type TelemetryMiner } from '../../src/telemetry/batch';

// An hour boundary, so bucket and hour arithmetic is easy to read.
const HOUR = Date.parse('2026-11-26T10:00:00.000Z');
const at = (minutes: number) => new Date(HOUR + minutes * 60_000).toISOString();

const MAC = 'a0:b1:c2:d3:e4:f5';
const registry = new Map<string, Registered>([[minerKey({ mac: MAC }), { minerId: 'm1', customerId: 'c1', nominalMths: 104_000, nominalW: 3250 }]]);

const sample = (minutes: number, fields: Partial<TelemetryMiner> = {}): TelemetryMiner => ({
  mac: MAC,
  sampled_at: at(minutes),
  state: 'mining',
  hashrate_ths: 100,
  power_w: 3000,
  power_source: 'miner',
  chip_temps_c: [70, 74],
  ...fields,
});

describe('foldBatch', () => {
  it('keeps the latest sample, its open bucket and hour, and says which samples advanced', () => {
    const states: MinerStates = new Map();
    const effects = emptyEffects();
    const advanced = foldBatch(states, registry, [sample(1, { hashrate_ths: 90 }), sample(2, { hashrate_ths: 95 })], effects);
    // The same miner twice in a batch: only its newest sample counts.
    expect(advanced.map((a) => a.miner.hashrate_ths)).toEqual([95]);
    const state = states.get('m1')!;
    expect(state).toMatchObject({ hashrate: 95, powerW: 3000, powerSource: 'miner', tempMax: 74, expected: 104 });
    expect(state.bucket).toMatchObject({ b: HOUR, hs: 95, hn: 1, ps: 3000, pn: 1, tm: 74 });
    expect(state.hour).toMatchObject({ h: HOUR, n: 1, wh: 0 });
    expect(effects).toEqual(emptyEffects());
  });

  it('skips miners the registry does not know', () => {
    const states: MinerStates = new Map();
    expect(foldBatch(states, registry, [sample(1, { mac: '02:00:00:00:00:01' })], emptyEffects())).toEqual([]);
    expect(states.size).toBe(0);
  });

  it('counts measured energy since the previous sample, else nominal power while mining', () => {
    const states: MinerStates = new Map();
    foldBatch(states, registry, [sample(0)], emptyEffects());
    foldBatch(states, registry, [sample(6, { power_w: undefined, power_source: undefined })], emptyEffects());
    // 3,000 W measured for 6 minutes = 300 Wh.
    expect(states.get('m1')!.hour).toMatchObject({ wh: 300, onMs: 6 * 60_000, measuredMs: 6 * 60_000, src: 'miner', n: 2 });
    foldBatch(states, registry, [sample(12)], emptyEffects());
    // Then no measurement: the nominal 3,250 W for 6 minutes = 325 Wh, not counted as measured.
    expect(states.get('m1')!.hour).toMatchObject({ wh: 625, measuredMs: 6 * 60_000, n: 3 });
  });

  it('closes buckets and hours as time moves on, splitting energy at the hour', () => {
    const states: MinerStates = new Map();
    foldBatch(states, registry, [sample(58)], emptyEffects());
    const effects = emptyEffects();
    foldBatch(states, registry, [sample(62)], effects);
    expect(effects.closedBuckets).toEqual([['m1', HOUR + 55 * 60_000, 100, 1, 3000, 1, 74]]);
    // 2 minutes of 3,000 W in the closed hour (100 Wh); the other 2 minutes open the next one.
    expect(effects.closedHours).toEqual([['m1', HOUR, 100, 120_000, 100 * 120_000, 1, 120_000, 'miner', 0, 0]]);
    expect(states.get('m1')!.hour).toMatchObject({ h: HOUR + HOUR_MS, wh: 100, n: 1 });
  });

  it('sends a late sample to history only: never the latest state or energy', () => {
    const states: MinerStates = new Map();
    foldBatch(states, registry, [sample(12, { hashrate_ths: 100 })], emptyEffects());
    const before = structuredClone(states.get('m1')!);
    const effects = emptyEffects();
    // Inside the open bucket (10–15): added to it.
    expect(foldBatch(states, registry, [sample(11, { hashrate_ths: 50 })], effects)).toEqual([]);
    expect(states.get('m1')!.bucket).toMatchObject({ hs: 150, hn: 2 });
    // Older than the open bucket: a row of its own for the history room to add.
    foldBatch(states, registry, [sample(3, { hashrate_ths: 40 })], effects);
    expect(effects.lateBuckets).toEqual([['m1', HOUR, 40, 1, 3000, 1, 74]]);
    const after = states.get('m1')!;
    expect({ ...after, bucket: before.bucket }).toEqual(before);
  });

  it('on journal replay (no effects) rebuilds the same state', () => {
    const live: MinerStates = new Map();
    const replayed: MinerStates = new Map();
    for (const minutes of [1, 7, 13, 59, 64]) {
      foldBatch(live, registry, [sample(minutes)], emptyEffects());
      foldBatch(replayed, registry, [sample(minutes)], null);
    }
    expect(replayed).toEqual(live);
  });
});

describe('closeQuietPeriods', () => {
  it('closes a silent miner’s bucket and hour once they are over, and nothing before', () => {
    const states: MinerStates = new Map();
    foldBatch(states, registry, [sample(1), sample(3)], emptyEffects());
    expect(closeQuietPeriods(states, HOUR + 4 * 60_000)).toEqual(emptyEffects());
    const atFive = closeQuietPeriods(states, HOUR + 5 * 60_000);
    expect(atFive.closedBuckets).toHaveLength(1);
    expect(atFive.closedHours).toHaveLength(0);
    expect(states.get('m1')!.bucket).toBeNull();
    const nextHour = closeQuietPeriods(states, HOUR + HOUR_MS);
    expect(nextHour.closedHours).toEqual([['m1', HOUR, 0, 0, 0, 1, 0, 'spec', 0, 0]]);
    expect(states.get('m1')!.hour).toBeNull();
  });
});

describe('gaps and unknown power (issue 17)', () => {
  const bare = new Map<string, Registered>([[minerKey({ mac: MAC }), { minerId: 'm1', customerId: 'c1', nominalMths: null, nominalW: null }]]);

  it('counts mining time with neither a reading nor a nominal power as unknown, never as 0 Wh', () => {
    const states: MinerStates = new Map();
    foldBatch(states, bare, [sample(0, { power_w: undefined, power_source: undefined })], emptyEffects());
    foldBatch(states, bare, [sample(5, { power_w: undefined, power_source: undefined })], emptyEffects());
    expect(states.get('m1')!.hour).toMatchObject({ wh: 0, onMs: 5 * 60_000, unknownMs: 5 * 60_000 });
  });

  it('interpolates a gap the uptime counter spans, only while both samples were mining', () => {
    const spanned: MinerStates = new Map();
    foldBatch(spanned, registry, [sample(0, { uptime_s: 1000 })], emptyEffects());
    foldBatch(spanned, registry, [sample(20, { uptime_s: 1000 + 20 * 60 })], emptyEffects());
    // 3,000 W on both sides for 20 minutes = 1,000 Wh, online, interpolated.
    expect(spanned.get('m1')!.hour).toMatchObject({ wh: 1000, onMs: 20 * 60_000, interpMs: 20 * 60_000 });

    const asleep: MinerStates = new Map();
    foldBatch(asleep, registry, [sample(0, { uptime_s: 1000, state: 'sleeping' })], emptyEffects());
    foldBatch(asleep, registry, [sample(20, { uptime_s: 1000 + 20 * 60 })], emptyEffects());
    expect(asleep.get('m1')!.hour).toMatchObject({ wh: 0, onMs: 0, interpMs: 0 });

    const rebooted: MinerStates = new Map();
    foldBatch(rebooted, registry, [sample(0, { uptime_s: 1000 })], emptyEffects());
    foldBatch(rebooted, registry, [sample(20, { uptime_s: 60 })], emptyEffects());
    expect(rebooted.get('m1')!.hour).toMatchObject({ wh: 0, onMs: 0, interpMs: 0 });
  });
});

describe('PDU metering (issue 17): a PDU counter over measured power over the nominal spec', () => {
  const outlet = (energyWh: number | undefined, fields: Partial<NonNullable<TelemetryMiner['pdu']>> = {}) => ({
    power_w: 3300,
    power_source: 'pdu' as const,
    pdu: { pdu_id: 'p1', outlet: '7', sampled_at: at(0), power_w: 3300, ...(energyWh === undefined ? {} : { energy_wh: energyWh }), ...fields },
  });

  it('the counter difference is the energy of the interval, recorded as pdu', () => {
    const states: MinerStates = new Map();
    foldBatch(states, registry, [sample(0, outlet(10_000))], emptyEffects());
    foldBatch(states, registry, [sample(5, outlet(10_290))], emptyEffects());
    // 290 Wh counted, not 3,300 W × 5 min = 275 Wh from power.
    expect(states.get('m1')!.hour).toMatchObject({ wh: 290, measuredMs: 5 * 60_000, src: 'pdu' });
  });

  it('a counter past 2^32 (the agent unwraps it) still gives the difference', () => {
    const states: MinerStates = new Map();
    foldBatch(states, registry, [sample(0, outlet(2 ** 32 - 100))], emptyEffects());
    foldBatch(states, registry, [sample(5, outlet(2 ** 32 + 180))], emptyEffects());
    expect(states.get('m1')!.hour).toMatchObject({ wh: 280, src: 'pdu' });
  });

  it('is spread over the hours of the interval by time', () => {
    const states: MinerStates = new Map();
    foldBatch(states, registry, [sample(58, outlet(0))], emptyEffects());
    const effects = emptyEffects();
    foldBatch(states, registry, [sample(62, outlet(240))], effects);
    expect(effects.closedHours[0]).toEqual(['m1', HOUR, 120, 2 * 60_000, 100 * 2 * 60_000, 1, 2 * 60_000, 'pdu', 0, 0]);
    expect(states.get('m1')!.hour).toMatchObject({ h: HOUR + HOUR_MS, wh: 120, src: 'pdu' });
  });

  it('a reset, another outlet, an implausible jump or a missing total fall back to the outlet power', () => {
    const cases: [Partial<TelemetryMiner>, Partial<TelemetryMiner>][] = [
      [outlet(10_000), outlet(50)],
      [outlet(10_000), outlet(10_290, { outlet: '8' })],
      [outlet(10_000), outlet(10_000 + 9_000_000)],
      [outlet(undefined), outlet(10_290)],
    ];
    for (const [first, second] of cases) {
      const states: MinerStates = new Map();
      foldBatch(states, registry, [sample(0, first)], emptyEffects());
      foldBatch(states, registry, [sample(5, second)], emptyEffects());
      // 3,300 W from the PDU outlet for 5 minutes = 275 Wh, still the PDU's measurement
      expect(states.get('m1')!.hour).toMatchObject({ wh: 275, measuredMs: 5 * 60_000, src: 'pdu' });
    }
  });

  it('without a PDU the miner’s power counts, and without that the nominal spec', () => {
    const states: MinerStates = new Map();
    foldBatch(states, registry, [sample(0)], emptyEffects());
    foldBatch(states, registry, [sample(5, { power_w: undefined, power_source: undefined })], emptyEffects());
    expect(states.get('m1')!.hour).toMatchObject({ wh: 250, src: 'miner' });
    foldBatch(states, registry, [sample(10)], emptyEffects());
    // then nominal 3,250 W for 5 minutes
    expect(states.get('m1')!.hour!.wh).toBeCloseTo(250 + 270.8333, 3);
  });
});
