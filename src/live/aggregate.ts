import { LIVE_STATUSES, type HistoryPoint, type LiveKey, type LiveStatus, type SiteSummary } from '../telemetry/types';

/**
 * How live values add up over miners and over sites: the one rule, used inside SiteState (per
 * miner) and by the Worker-side client (across sites). Pure, no bindings.
 */

/** Live totals over some miners: counts by status; hashrate and power of the mining ones. */
export type LiveTotals = Omit<SiteSummary, 'lastReportAt'>;

export const emptyTotals = (): LiveTotals => ({ miners: 0, byStatus: Object.fromEntries(LIVE_STATUSES.map((s) => [s, 0])) as Record<LiveStatus, number>, hashrateThs: 0, powerW: 0 });

/** Totals over live states: every state counts by its status; hashrate and power only while mining (active or degraded). */
export function liveTotals(states: Iterable<LiveKey>): LiveTotals {
  const out = emptyTotals();
  for (const live of states) {
    out.miners += 1;
    out.byStatus[live.status] += 1;
    if (live.status === 'active' || live.status === 'degraded') {
      out.hashrateThs += live.hashrateThs ?? 0;
      out.powerW += live.powerW ?? 0;
    }
  }
  return out;
}

/** Adds one site's totals into `into` (readLiveTotals across sites). */
export function addTotals(into: LiveTotals, site: LiveTotals) {
  into.miners += site.miners;
  into.hashrateThs += site.hashrateThs;
  into.powerW += site.powerW;
  for (const status of LIVE_STATUSES) into.byStatus[status] += site.byStatus[status];
}

/**
 * Adds one miner's (or one site's summed) values into the chart point at `t`: hashrate and power
 * add up, temperature is the max, and a value stays null until some miner has one. The one rule
 * for fleet charts, in SiteState (per miner) and across sites (readHistory).
 */
export function addToPoint(points: Map<number, HistoryPoint>, t: number, hashrate: number | null, power: number | null, temp: number | null) {
  const point = points.get(t) ?? { t, hashrateThs: null, powerW: null, tempMaxC: null };
  if (hashrate !== null) point.hashrateThs = (point.hashrateThs ?? 0) + hashrate;
  if (power !== null) point.powerW = (point.powerW ?? 0) + power;
  if (temp !== null) point.tempMaxC = point.tempMaxC === null ? temp : Math.max(point.tempMaxC, temp);
  points.set(t, point);
}
