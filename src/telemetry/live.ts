import type { Bindings } from '../env';
import { LIVE_STATUSES, type HistoryPoint, type LiveKey, type LiveMiner, type LiveStatus, type SiteSummary } from './types';

/** The site's SiteState object: one per site, addressed by the site id. */
export const siteState = (env: Pick<Bindings, 'SITE_STATE'>, siteId: string) => env.SITE_STATE.getByName(siteId);

/**
 * Live state for miners spread over any number of sites: one RPC per site, in parallel, so a
 * page's cost grows with its sites, not its miners. Miners never reported are absent.
 */
export async function readLive(env: Pick<Bindings, 'SITE_STATE'>, miners: readonly { id: string; siteId: string | null }[]): Promise<Map<string, LiveMiner>> {
  const bySite = idsBySite(miners);
  const results = await Promise.all([...bySite].map(([siteId, ids]) => siteState(env, siteId).live(ids)));
  const out = new Map<string, LiveMiner>();
  for (const states of results) for (const state of states) out.set(state.minerId, state);
  return out;
}

/** Status and sortable values only (SiteState.liveKeys): what a live sort or status filter over many miners reads. */
export async function readLiveKeys(env: Pick<Bindings, 'SITE_STATE'>, miners: readonly { id: string; siteId: string | null }[]): Promise<Map<string, LiveKey>> {
  const results = await Promise.all([...idsBySite(miners)].map(([siteId, ids]) => siteState(env, siteId).liveKeys(ids)));
  const out = new Map<string, LiveKey>();
  for (const keys of results) for (const key of keys) out.set(key.minerId, key);
  return out;
}

/** Live totals over some miners: counts by status; hashrate and power of the mining ones. */
export type LiveTotals = Omit<SiteSummary, 'lastReportAt'>;

const emptyTotals = (): LiveTotals => ({ miners: 0, byStatus: Object.fromEntries(LIVE_STATUSES.map((s) => [s, 0])) as Record<LiveStatus, number>, hashrateThs: 0, powerW: 0 });

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

/**
 * Live totals over miners spread over any number of sites (one RPC per site, in parallel), without
 * each miner's state crossing the RPC boundary. `miners` counts those with live state; miners
 * never reported (or without a site) are the caller's to count as no data.
 */
export async function readLiveTotals(env: Pick<Bindings, 'SITE_STATE'>, miners: readonly { id: string; siteId: string | null }[]): Promise<LiveTotals> {
  const perSite = await Promise.all([...idsBySite(miners)].map(([siteId, ids]) => siteState(env, siteId).totals(ids)));
  const out = emptyTotals();
  for (const site of perSite) {
    out.miners += site.miners;
    out.hashrateThs += site.hashrateThs;
    out.powerW += site.powerW;
    for (const status of LIVE_STATUSES) out.byStatus[status] += site.byStatus[status];
  }
  return out;
}

function idsBySite(miners: readonly { id: string; siteId: string | null }[]): Map<string, string[]> {
  const bySite = new Map<string, string[]>();
  for (const miner of miners) {
    if (!miner.siteId) continue;
    const ids = bySite.get(miner.siteId);
    if (ids) ids.push(miner.id);
    else bySite.set(miner.siteId, [miner.id]);
  }
  return bySite;
}

export function readSiteSummary(env: Pick<Bindings, 'SITE_STATE'>, siteId: string): Promise<SiteSummary> {
  return siteState(env, siteId).summary();
}

/**
 * 24 hours of 5-minute points, summed over the given miners (one miner for a miner chart, all of a
 * customer's miners for theirs). Hashrate and power add up across miners; temperature is the max.
 */
export async function readHistory(
  env: Pick<Bindings, 'SITE_STATE'>,
  miners: readonly { id: string; siteId: string | null }[],
  sinceMs: number,
): Promise<HistoryPoint[]> {
  const bySite = idsBySite(miners);
  const perSite = await Promise.all([...bySite].map(([siteId, ids]) => siteState(env, siteId).history(ids, sinceMs)));
  const merged = new Map<number, HistoryPoint>();
  for (const points of perSite) for (const point of points) addToPoint(merged, point.t, point.hashrateThs, point.powerW, point.tempMaxC);
  return [...merged.values()].sort((a, b) => a.t - b.t);
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
