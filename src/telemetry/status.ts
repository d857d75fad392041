import type { LiveStatus } from './types';

/**
 * How long silence means what (DESIGN.md §4). The agent polls every 30 s by default.
 * - stale: the whole site's agent has not reported for STALE_AFTER: we no longer know anything.
 * - offline: the agent reports, but not this miner (or the miner says `error`) for offline_minutes.
 * - lost: this miner has not been reported for LOST_AFTER, whatever the agent does.
 */
export const STALE_AFTER_MS = 5 * 60 * 1000;
export const LOST_AFTER_MS = 24 * 60 * 60 * 1000;
/** Below this share of the expected hashrate a mining miner is Degraded. */
export const DEGRADED_BELOW_PCT = 80;

export interface StatusInputs {
  now: number;
  /** When the miner was last reported (its sampled_at). */
  lastSeenAt: number;
  /** When the site's agent last delivered any batch. */
  siteLastReportAt: number | null;
  state: 'mining' | 'sleeping' | 'error';
  hashrateThs: number | null;
  /** The miner's own expected hashrate, else the nominal one from inventory. */
  expectedThs: number | null;
  errors: number;
  offlineAfterMs: number;
}

export function deriveLiveStatus(input: StatusInputs): LiveStatus {
  const silentFor = input.now - input.lastSeenAt;
  if (silentFor > LOST_AFTER_MS) return 'lost';
  if (input.siteLastReportAt !== null && input.now - input.siteLastReportAt > STALE_AFTER_MS) return 'stale';
  if (silentFor > input.offlineAfterMs || input.state === 'error') return 'offline';
  if (input.state === 'sleeping') return 'sleeping';
  if (input.hashrateThs !== null && input.hashrateThs <= 0) return 'degraded';
  if (input.hashrateThs !== null && input.expectedThs && input.hashrateThs < (input.expectedThs * DEGRADED_BELOW_PCT) / 100) return 'degraded';
  if (input.errors > 0) return 'degraded';
  return 'active';
}
