import type { Bindings } from '../env';
import type { HistoryPoint, LiveKey, LiveMiner, SiteSummary } from '../telemetry/types';
import { addTotals, addToPoint, emptyTotals, type LiveTotals } from './aggregate';

/**
 * The Worker-side client of the SiteState objects: what pages and services call to read live
 * state across any number of sites (one RPC per site, in parallel), and the one place that
 * addresses an object by its site.
 */

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

/**
 * Live totals over miners spread over any number of sites (one RPC per site, in parallel), without
 * each miner's state crossing the RPC boundary. `miners` counts those with live state; miners
 * never reported (or without a site) are the caller's to count as no data.
 */
export async function readLiveTotals(env: Pick<Bindings, 'SITE_STATE'>, miners: readonly { id: string; siteId: string | null }[]): Promise<LiveTotals> {
  const perSite = await Promise.all([...idsBySite(miners)].map(([siteId, ids]) => siteState(env, siteId).totals(ids)));
  const out = emptyTotals();
  for (const site of perSite) addTotals(out, site);
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
 * Asks each site's pool guard to re-read its facts from D1 now (a redirect started or ended, a
 * unit joined or left one, a customer's notice changed), so it stands down or resumes at once
 * rather than on its next refresh. Best effort: it never fails the caller, since every site
 * re-reads on its own within minutes (SiteState's alarm).
 */
export async function refreshSitePoolFacts(env: Pick<Bindings, 'SITE_STATE'>, siteIds: Iterable<string | null>): Promise<void> {
  const unique = [...new Set([...siteIds].filter((id): id is string => !!id))];
  const results = await Promise.allSettled(unique.map((siteId) => siteState(env, siteId).refreshPoolFacts()));
  for (const result of results) if (result.status === 'rejected') console.error('pool guard refresh deferred to the site alarm', result.reason);
}
