import type { MinerState, PoolApplyStatus } from '../telemetry/batch';
import { deriveLiveStatus } from '../telemetry/status';
import type { LiveKey, LiveMiner } from '../telemetry/types';

/**
 * What SiteState holds in memory per miner, and how a page sees it. Pure data: `fold.ts` changes
 * it, `store.ts` checkpoints it as-is (JSON), `toLive` projects it for the read RPCs.
 */

export const HISTORY_BUCKET_MS = 5 * 60 * 1000;

export const bucketOf = (t: number) => Math.floor(t / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS;

/** The open 5-minute history bucket of one miner (sums and counts, so late samples can add in). */
export interface OpenBucket {
  b: number;
  hs: number;
  hn: number;
  ps: number;
  pn: number;
  tm: number | null;
}

/** The open hour of energy accounting of one miner (src/telemetry/energy.ts). */
export interface OpenHour {
  h: number;
  wh: number;
  onMs: number;
  hashMs: number;
  n: number;
  measuredMs: number;
  src: string;
  /** Online ms with neither a measured nor a nominal power: the hour's energy is unknown (absent in older snapshots). */
  unknownMs?: number;
  /** Online ms of gaps the miner's uptime counter explains, at the surrounding power (absent in older snapshots). */
  interpMs?: number;
}

/**
 * Everything the object knows about one miner; serialised as-is into the snapshot, so a field
 * added here must tolerate being absent in a snapshot written before it existed.
 */
export interface MinerLiveState {
  id: string;
  t: number;
  state: MinerState;
  hashrate: number | null;
  hashrateAvg: number | null;
  expected: number | null;
  powerW: number | null;
  powerSource: 'miner' | 'pdu' | null;
  tempMax: number | null;
  boardTemps: number[];
  chipTemps: number[];
  fans: number[];
  ip: string | null;
  firmware: string | null;
  poolUrl: string | null;
  poolUser: string | null;
  uptime: number | null;
  errors: string[];
  /** The agent's last pool_apply report (absent in snapshots written before it existed). */
  poolApply?: LivePoolApply | null;
  /** The last PDU energy total (Wh) and the outlet it came from, `pduId:outlet` (absent in older snapshots). */
  pduWh?: number | null;
  pduKey?: string | null;
  bucket: OpenBucket | null;
  hour: OpenHour | null;
}

/** The outcome of the agent's last attempt to apply this miner's desired pools; `at` epoch ms. */
export interface LivePoolApply {
  status: PoolApplyStatus;
  message: string | null;
  at: number;
}

/** The miners' state by inventory id. */
export type MinerStates = Map<string, MinerLiveState>;

/** The hottest of a sample's board and chip readings, or null when it reported none. */
export function tempMaxOf(sample: { board_temps_c?: number[]; chip_temps_c?: number[] }): number | null {
  // Loops, not Math.max(...spread) nor a list of the two lists: this runs for every sample of every batch.
  return maxOf(sample.chip_temps_c, maxOf(sample.board_temps_c, null));
}

function maxOf(values: readonly number[] | undefined, max: number | null): number | null {
  if (values) for (let i = 0; i < values.length; i++) if (max === null || values[i]! > max) max = values[i]!;
  return max;
}

/** A miner's live status as of `now` (`deriveLiveStatus`: this host's offline rule, the site's last report). */
function liveStatusOf(miner: MinerLiveState, now: number, siteLastReportAt: number | null, offlineAfterMs: number) {
  return deriveLiveStatus({
    now,
    lastSeenAt: miner.t,
    siteLastReportAt,
    state: miner.state,
    hashrateThs: miner.hashrate,
    expectedThs: miner.expected,
    errors: miner.errors.length,
    offlineAfterMs,
  });
}

const efficiencyOf = (miner: MinerLiveState) => (miner.powerW !== null && miner.hashrate !== null && miner.hashrate > 0 ? miner.powerW / miner.hashrate : null);

/**
 * What sorts, filters and totals read of a miner: its status and the values sorted by, without
 * the rest of `toLive` (a live sort or a fleet's totals look at every candidate, a page shows 50).
 */
export function toLiveKey(miner: MinerLiveState, now: number, siteLastReportAt: number | null, offlineAfterMs: number): LiveKey {
  return {
    minerId: miner.id,
    status: liveStatusOf(miner, now, siteLastReportAt, offlineAfterMs),
    hashrateThs: miner.hashrate,
    tempMaxC: miner.tempMax,
    powerW: miner.powerW,
    efficiencyJth: efficiencyOf(miner),
    uptimeS: miner.uptime,
  };
}

export function toLive(miner: MinerLiveState, now: number, siteLastReportAt: number | null, offlineAfterMs: number): LiveMiner {
  return {
    minerId: miner.id,
    status: liveStatusOf(miner, now, siteLastReportAt, offlineAfterMs),
    lastSeenAt: miner.t,
    hashrateThs: miner.hashrate,
    hashrateAvgThs: miner.hashrateAvg,
    expectedHashrateThs: miner.expected,
    tempMaxC: miner.tempMax,
    boardTempsC: miner.boardTemps,
    chipTempsC: miner.chipTemps,
    fansRpm: miner.fans,
    powerW: miner.powerW,
    powerSource: miner.powerSource,
    efficiencyJth: efficiencyOf(miner),
    uptimeS: miner.uptime,
    poolUrl: miner.poolUrl,
    poolUser: miner.poolUser,
    ip: miner.ip,
    firmware: miner.firmware,
    errors: miner.errors,
    poolApply: miner.poolApply ?? null,
  };
}
