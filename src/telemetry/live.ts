import type { Bindings } from '../env';
import type { HistoryPoint, LiveMiner, SiteSummary } from './types';

/** The site's SiteState object: one per site, addressed by the site id. */
export const siteState = (env: Pick<Bindings, 'SITE_STATE'>, siteId: string) => env.SITE_STATE.getByName(siteId);

/**
 * Live state for miners spread over any number of sites: one RPC per site, in parallel, so a
 * page's cost grows with its sites, not its miners. Miners never reported are absent.
 */
export async function readLive(env: Pick<Bindings, 'SITE_STATE'>, miners: readonly { id: string; siteId: string | null }[]): Promise<Map<string, LiveMiner>> {
  const bySite = new Map<string, string[]>();
  for (const miner of miners) {
    if (!miner.siteId) continue;
    const ids = bySite.get(miner.siteId) ?? [];
    ids.push(miner.id);
    bySite.set(miner.siteId, ids);
  }
  const results = await Promise.all([...bySite].map(([siteId, ids]) => siteState(env, siteId).live(ids)));
  const out = new Map<string, LiveMiner>();
  for (const states of results) for (const state of states) out.set(state.minerId, state);
  return out;
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
  const bySite = new Map<string, string[]>();
  for (const miner of miners) {
    if (!miner.siteId) continue;
    bySite.set(miner.siteId, [...(bySite.get(miner.siteId) ?? []), miner.id]);
  }
  const perSite = await Promise.all([...bySite].map(([siteId, ids]) => siteState(env, siteId).history(ids, sinceMs)));
  const merged = new Map<number, HistoryPoint>();
  for (const points of perSite) {
    for (const point of points) {
      const into = merged.get(point.t);
      if (!into) {
        merged.set(point.t, { ...point });
        continue;
      }
      into.hashrateThs = sumNullable(into.hashrateThs, point.hashrateThs);
      into.powerW = sumNullable(into.powerW, point.powerW);
      into.tempMaxC = into.tempMaxC === null ? point.tempMaxC : point.tempMaxC === null ? into.tempMaxC : Math.max(into.tempMaxC, point.tempMaxC);
    }
  }
  return [...merged.values()].sort((a, b) => a.t - b.t);
}

const sumNullable = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);
