/**
 * Live miner state as SiteState (src/live/site-state.ts) keeps it and pages read it.
 * Units: hashrate TH/s (float, as reported), temperatures °C, power W, time epoch ms.
 */
export const LIVE_STATUSES = ['active', 'degraded', 'offline', 'sleeping', 'stale', 'lost'] as const;
export type LiveStatus = (typeof LIVE_STATUSES)[number];

export const LIVE_STATUS_LABELS: Record<LiveStatus, string> = {
  active: 'Active',
  degraded: 'Degraded',
  offline: 'Offline',
  sleeping: 'Sleeping',
  stale: 'Stale',
  lost: 'Lost',
};

export interface LiveMiner {
  minerId: string;
  status: LiveStatus;
  /** When the agent last reported this miner (sampled_at), or null if never. */
  lastSeenAt: number | null;
  hashrateThs: number | null;
  hashrateAvgThs: number | null;
  expectedHashrateThs: number | null;
  /** The hottest board or chip reading, °C. */
  tempMaxC: number | null;
  boardTempsC: number[];
  chipTempsC: number[];
  fansRpm: number[];
  powerW: number | null;
  powerSource: 'miner' | 'pdu' | 'spec' | null;
  /** J/TH = W ÷ TH/s, when both are known and hashrate > 0. */
  efficiencyJth: number | null;
  uptimeS: number | null;
  poolUrl: string | null;
  poolUser: string | null;
  ip: string | null;
  firmware: string | null;
  errors: string[];
  /**
   * The agent's last attempt to apply this miner's desired pools (`pool_apply` on the wire):
   * null until one is reported; `at` epoch ms. The reported pool (poolUrl/poolUser) confirms it.
   */
  poolApply: { status: 'applied' | 'refused' | 'unreachable'; message: string | null; at: number } | null;
}

/**
 * What a live sort, a status filter or totals read of a miner: its status and sortable values,
 * the part of its full state `liveSortValue` and `liveTotals` look at.
 */
export type LiveKey = Pick<LiveMiner, 'minerId' | 'status' | 'hashrateThs' | 'tempMaxC' | 'powerW' | 'efficiencyJth' | 'uptimeS'>;

/** A site's totals for dashboards. */
export interface SiteSummary {
  miners: number;
  byStatus: Record<LiveStatus, number>;
  hashrateThs: number;
  powerW: number;
  lastReportAt: number | null;
}

/** One point of a 24-hour chart: a 5-minute bucket. */
export interface HistoryPoint {
  t: number;
  hashrateThs: number | null;
  powerW: number | null;
  tempMaxC: number | null;
}
