import { minerKey, SampleTimes, type TelemetryMiner } from '../telemetry/batch';
import { eachHourOf, hourOf, MAX_GAP_MS, splitByHour, wattMsToWh } from '../telemetry/energy';
import { bucketOf, HISTORY_BUCKET_MS, tempMaxOf, type MinerLiveState, type MinerStates, type OpenBucket, type OpenHour } from './miner-state';
import type { Registered } from './registry';

/**
 * The ingest fold: a batch of samples applied to the miners' in-memory state. Pure (no storage,
 * no clock): the facade (`site-state.ts`) decides what to write and when.
 *
 * Where a new per-sample rule goes: `foldBatch` returns the samples that advanced a miner
 * (`FoldResult.advanced`, each with its registry entry and the miner's state after the fold).
 * A rule that judges each new sample (the alert tracker's `evaluateReported` is the first; an
 * energy rule or an agent check would be the next) takes that list in the facade's ingest
 * transaction, in its own room. It is not run when the journal is replayed after an eviction,
 * since whatever it wrote was stored when the batch first arrived. A rule that must also act when
 * samples stop arriving hooks into the alarm instead (`AlertTracker.evaluateSilent`).
 */

/** Rows the fold closed, for the history and usage rooms; see `emptyEffects`. */
export interface FoldEffects {
  /** History rows (`bucketRow`) of buckets that closed. */
  closedBuckets: BucketRow[];
  /** History rows of samples older than their miner's open bucket (added to the stored row). */
  lateBuckets: BucketRow[];
  /** Usage rows (`hourRow`) of hours that closed. */
  closedHours: HourRow[];
}

export type BucketRow = [minerId: string, bucket: number, hashrateSum: number, hashrateN: number, powerSum: number, powerN: number, tempMax: number | null];
export type HourRow = [
  minerId: string,
  hour: number,
  wh: number,
  onlineMs: number,
  hashrateMs: number,
  samples: number,
  measuredMs: number,
  source: string,
  unknownMs?: number,
  interpolatedMs?: number,
];

/** A sample that became its miner's latest. */
export interface AdvancedSample {
  miner: TelemetryMiner;
  reg: Registered;
  t: number;
}

export const emptyEffects = (): FoldEffects => ({ closedBuckets: [], lateBuckets: [], closedHours: [] });

/**
 * Applies samples to the state: latest values, the open history bucket, energy since each
 * miner's previous sample. An older sample than a miner's latest goes to history only, never to
 * the latest state or energy (no double counting). With `effects`, records what must be written
 * (buckets and hours that closed, late samples outside the open bucket); on journal replay
 * (`effects` null) those were written when the batch first arrived. Miners the registry does not
 * know are skipped. Returns the samples that advanced a miner.
 */
export function foldBatch(states: MinerStates, registry: ReadonlyMap<string, Registered>, reported: readonly TelemetryMiner[], effects: FoldEffects | null): AdvancedSample[] {
  return foldSamples(states, newestSamples(registry, reported), effects);
}

/**
 * The batch's samples of known miners, one per miner (its newest: the same miner twice in one
 * batch keeps the later sample), by miner id; its size is how many units the batch reported.
 * `keys` are the miners' `minerKey`s when the caller has them already (ingest builds them once
 * for the registry and the fold).
 */
export function newestSamples(registry: ReadonlyMap<string, Registered>, reported: readonly TelemetryMiner[], keys: readonly string[] = reported.map(minerKey)): Map<string, AdvancedSample> {
  return newestOf(reported, keys.map((key) => registry.get(key)));
}

/**
 * `newestSamples` for miners already matched to their registry entries (`regs[i]` is
 * `reported[i]`'s, undefined when unknown): what ingest has from `MinerRegistry.resolve`.
 */
export function newestOf(reported: readonly TelemetryMiner[], regs: readonly (Registered | undefined)[]): Map<string, AdvancedSample> {
  const newest = new Map<string, AdvancedSample>();
  const times = new SampleTimes();
  for (let i = 0; i < reported.length; i++) {
    const reg = regs[i];
    if (!reg) continue;
    const miner = reported[i]!;
    const t = times.ms(miner.sampled_at);
    const existing = newest.get(reg.minerId);
    if (!existing || existing.t <= t) newest.set(reg.minerId, { miner, reg, t });
  }
  return newest;
}

/** `foldBatch` for samples already matched to their miners (`newestSamples`). */
export function foldSamples(states: MinerStates, newest: ReadonlyMap<string, AdvancedSample>, effects: FoldEffects | null): AdvancedSample[] {
  const advanced: AdvancedSample[] = [];
  for (const sample of newest.values()) {
    const { miner, reg, t } = sample;
    const prev = states.get(reg.minerId);
    const tempMax = tempMaxOf(miner);
    if (prev && t <= prev.t) {
      const bucket = bucketOf(t);
      if (prev.bucket && bucket === prev.bucket.b) addToBucket(prev.bucket, miner, tempMax);
      else if (effects) effects.lateBuckets.push(bucketRow(reg.minerId, withSample(emptyBucket(bucket), miner, tempMax)));
      continue;
    }
    const state = prev ?? newMinerState(reg.minerId, t, miner);
    if (prev && t - prev.t <= MAX_GAP_MS) foldEnergy(state, prev, reg, t, effects, pduCounterWh(prev, miner, t));
    else if (prev && prev.state === 'mining' && miner.state === 'mining' && uptimeSpans(prev, miner, t)) foldInterpolated(state, prev, miner, reg, t, effects);
    openHour(state, hourOf(t), effects).n += 1;
    const bucket = bucketOf(t);
    if (!state.bucket || state.bucket.b !== bucket) {
      if (state.bucket && effects) effects.closedBuckets.push(bucketRow(reg.minerId, state.bucket));
      state.bucket = emptyBucket(bucket);
    }
    addToBucket(state.bucket, miner, tempMax);
    takeLatest(state, miner, reg, t, tempMax);
    if (!prev) states.set(reg.minerId, state);
    advanced.push(sample);
  }
  return advanced;
}

/** A miner that stopped reporting still closes its bucket and hour once they are over (the alarm). */
export function closeQuietPeriods(states: MinerStates, now: number): FoldEffects {
  const effects = emptyEffects();
  for (const miner of states.values()) {
    if (miner.bucket && miner.bucket.b + HISTORY_BUCKET_MS <= now) {
      effects.closedBuckets.push(bucketRow(miner.id, miner.bucket));
      miner.bucket = null;
    }
    if (miner.hour && miner.hour.h < hourOf(now)) {
      effects.closedHours.push(hourRow(miner.id, miner.hour));
      miner.hour = null;
    }
  }
  return effects;
}

/** No unit draws more than this: a counter difference implying more is a glitch, not energy. */
const MAX_PLAUSIBLE_W = 100_000;

/**
 * The energy a PDU outlet counted between the previous sample and this one (Wh), when both carry
 * a total from the same outlet and it did not go down (a reset) or jump past what any unit could
 * draw; else null, and the interval falls back to power. docs/ARCHITECTURE.md, "PDU metering".
 */
export function pduCounterWh(prev: Pick<MinerLiveState, 't' | 'pduWh' | 'pduKey'>, miner: Pick<TelemetryMiner, 'pdu'>, t: number): number | null {
  const now = miner.pdu;
  if (!now || now.energy_wh === undefined || prev.pduWh === undefined || prev.pduWh === null || prev.pduKey !== pduKeyOf(now)) return null;
  const wh = now.energy_wh - prev.pduWh;
  if (wh < 0 || wh > wattMsToWh(MAX_PLAUSIBLE_W * Math.max(0, t - prev.t))) return null;
  return wh;
}

const pduKeyOf = (report: NonNullable<TelemetryMiner['pdu']>) => `${report.pdu_id}:${report.outlet}`;

/**
 * Energy of the interval since the previous sample (src/telemetry/energy.ts), by precedence: what
 * the unit's PDU outlet counted (`counterWh`, spread over the interval by time), else the earlier
 * sample's measured power held until this one (a PDU outlet's, else the miner's own), else
 * nominal power while it was mining. `state` may be `prev` itself: `prev`'s values are read
 * before this sample replaces them.
 */
function foldEnergy(state: MinerLiveState, prev: MinerLiveState, reg: Registered, t: number, effects: FoldEffects | null, counterWh: number | null = null) {
  eachHourOf(prev.t, t, (hour, ms) => {
    const acc = openHour(state, hour, effects);
    if (counterWh !== null) {
      acc.wh += (counterWh * ms) / (t - prev.t);
      acc.measuredMs += ms;
      acc.src = 'pdu';
    } else if (prev.powerW !== null) {
      acc.wh += wattMsToWh(prev.powerW * ms);
      acc.measuredMs += ms;
      if (prev.powerSource === 'pdu' || acc.src !== 'pdu') acc.src = prev.powerSource ?? 'miner';
    } else if (prev.state === 'mining' && reg.nominalW !== null) {
      acc.wh += wattMsToWh(reg.nominalW * ms);
    } else if (prev.state === 'mining') {
      // Mining with no power reading and no nominal power: unknown, never a silent 0 Wh.
      acc.unknownMs = (acc.unknownMs ?? 0) + ms;
    }
    if (prev.state === 'mining') {
      acc.onMs += ms;
      acc.hashMs += (prev.hashrate ?? 0) * ms;
    }
  });
}

/**
 * A gap longer than MAX_GAP_MS that the miner's own uptime counter spans: it grew by at least the
 * gap (1 s of slack for the counter's whole seconds), so the miner kept running and only its API
 * went unanswered. A reset (or a counter missing on either side) leaves the gap offline.
 * docs/billing/usage.md, "Gaps the uptime counter explains".
 */
export function uptimeSpans(prev: Pick<MinerLiveState, 't' | 'uptime'>, miner: Pick<TelemetryMiner, 'uptime_s'>, t: number): boolean {
  if (prev.uptime === null || miner.uptime_s === undefined || miner.uptime_s === null) return false;
  return (miner.uptime_s - prev.uptime) * 1000 >= t - prev.t - 1000;
}

/**
 * The gap counts online at the surrounding power: the mean of the readings on both sides (or the
 * one side that has one), else nominal power, else unknown; hashrate likewise the mean of both.
 */
function foldInterpolated(state: MinerLiveState, prev: MinerLiveState, miner: TelemetryMiner, reg: Registered, t: number, effects: FoldEffects | null) {
  const readings = [prev.powerW, miner.power_w ?? null].filter((w): w is number => w !== null);
  const measuredW = readings.length > 0 ? readings.reduce((a, b) => a + b, 0) / readings.length : null;
  const rates = [prev.hashrate, miner.hashrate_ths ?? null].filter((h): h is number => h !== null);
  const hashrate = rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length : 0;
  for (const [hour, ms] of splitByHour(prev.t, t)) {
    const acc = openHour(state, hour, effects);
    const watts = measuredW ?? reg.nominalW;
    if (watts !== null) acc.wh += wattMsToWh(watts * ms);
    else acc.unknownMs = (acc.unknownMs ?? 0) + ms;
    acc.interpMs = (acc.interpMs ?? 0) + ms;
    acc.onMs += ms;
    acc.hashMs += hashrate * ms;
  }
}

function takeLatest(state: MinerLiveState, miner: TelemetryMiner, reg: Registered, t: number, tempMax: number | null) {
  const measured = miner.power_w !== undefined;
  state.t = t;
  state.state = miner.state;
  state.hashrate = miner.hashrate_ths ?? null;
  state.hashrateAvg = miner.hashrate_avg_ths ?? null;
  state.expected = miner.expected_hashrate_ths ?? (reg.nominalMths !== null ? reg.nominalMths / 1000 : null);
  state.powerW = measured ? (miner.power_w ?? null) : null;
  state.powerSource = measured ? (miner.power_source === 'pdu' ? 'pdu' : 'miner') : null;
  state.tempMax = tempMax;
  state.boardTemps = miner.board_temps_c ?? [];
  state.chipTemps = miner.chip_temps_c ?? [];
  state.fans = miner.fans_rpm ?? [];
  state.ip = miner.ip ?? null;
  state.firmware = miner.firmware ?? null;
  state.poolUrl = miner.pool_url ?? null;
  state.poolUser = miner.pool_user ?? null;
  state.uptime = miner.uptime_s ?? null;
  state.errors = miner.errors ?? [];
  // A sample without a PDU total breaks the chain: the next interval falls back to power.
  state.pduWh = miner.pdu?.energy_wh ?? null;
  state.pduKey = miner.pdu?.energy_wh !== undefined ? pduKeyOf(miner.pdu) : null;
  // Kept until a newer report: the agent sends pool_apply only in the batch after an attempt.
  const report = miner.pool_apply;
  if (report) {
    const at = Date.parse(report.at);
    if (!state.poolApply || at >= state.poolApply.at) state.poolApply = { status: report.status, message: report.message ?? null, at };
  }
}

const newMinerState = (id: string, t: number, miner: TelemetryMiner): MinerLiveState => ({
  id,
  t,
  state: miner.state,
  hashrate: null,
  hashrateAvg: null,
  expected: null,
  powerW: null,
  powerSource: null,
  tempMax: null,
  boardTemps: [],
  chipTemps: [],
  fans: [],
  ip: null,
  firmware: null,
  poolUrl: null,
  poolUser: null,
  uptime: null,
  errors: [],
  bucket: null,
  hour: null,
});

const emptyBucket = (b: number): OpenBucket => ({ b, hs: 0, hn: 0, ps: 0, pn: 0, tm: null });

function addToBucket(bucket: OpenBucket, miner: TelemetryMiner, tempMax: number | null) {
  if (miner.hashrate_ths !== undefined) {
    bucket.hs += miner.hashrate_ths;
    bucket.hn += 1;
  }
  if (miner.power_w !== undefined) {
    bucket.ps += miner.power_w;
    bucket.pn += 1;
  }
  if (tempMax !== null) bucket.tm = bucket.tm === null ? tempMax : Math.max(bucket.tm, tempMax);
}

function withSample(bucket: OpenBucket, miner: TelemetryMiner, tempMax: number | null): OpenBucket {
  addToBucket(bucket, miner, tempMax);
  return bucket;
}

const bucketRow = (minerId: string, b: OpenBucket): BucketRow => [minerId, b.b, b.hs, b.hn, b.ps, b.pn, b.tm];

const hourRow = (minerId: string, h: OpenHour): HourRow => [minerId, h.h, h.wh, h.onMs, h.hashMs, h.n, h.measuredMs, h.src, h.unknownMs ?? 0, h.interpMs ?? 0];

/** The miner's open hour for `hour`, closing (into `effects`) the one before when time moved on. */
function openHour(state: MinerLiveState, hour: number, effects: FoldEffects | null): OpenHour {
  if (state.hour && state.hour.h === hour) return state.hour;
  if (state.hour && effects) effects.closedHours.push(hourRow(state.id, state.hour));
  state.hour = { h: hour, wh: 0, onMs: 0, hashMs: 0, n: 0, measuredMs: 0, src: 'spec', unknownMs: 0, interpMs: 0 };
  return state.hour;
}
