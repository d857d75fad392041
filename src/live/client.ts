import type { Bindings } from '../env';
import type { HistoryPoint, LiveMiner, SiteSummary } from '../telemetry/types';
import { addTotals, addToPoint, emptyTotals, type LiveTotals } from './aggregate';
import { compareSorted, liveSortValue, sortedPageOf, type SortedEntry, type SortedPageRequest } from '../telemetry/live-sort';

/**
 * The Worker-side client of the SiteState objects: what pages and services call to read live
 * state across any number of sites (one RPC per site, in parallel), and the one place that
 * addresses an object by its site.
 */

/** The site's SiteState object: one per site, addressed by the site id. */
export const siteState = (env: Pick<Bindings, 'SITE_STATE'>, siteId: string) => env.SITE_STATE.getByName(siteId);

/**
 * How long a page waits for one site's object before showing that site's inventory without live
 * values. A healthy object answers in milliseconds; a cold start with a large SQLite store stays
 * around a second even on a busy machine. Durable Objects can be reset at any time (deploys, evictions, overload).
 * @see https://developers.cloudflare.com/durable-objects/observability/troubleshooting/
 */
export const LIVE_READ_TIMEOUT_MS = 5_000;

/**
 * The sites whose object failed or timed out during one request. A page or API call that passes
 * one (see `tolerantLive`) gets the inventory without those sites' live values instead of an
 * error; callers that act on live state (the default-redirect cron, ingestion) pass none, so a
 * failure still throws rather than being read as "no data".
 */
export class LiveOutage {
  readonly sites = new Map<string, string>();
  record(siteId: string, error: unknown) {
    if (!this.sites.has(siteId)) this.sites.set(siteId, error instanceof LiveTimeout ? 'timed out' : 'failed');
    console.warn(`SiteState ${siteId} unavailable:`, error instanceof Error ? error.message : error);
  }
  get any() {
    return this.sites.size > 0;
  }
}

export class LiveTimeout extends Error {
  constructor(siteId: string) {
    super(`SiteState ${siteId} did not answer within ${LIVE_READ_TIMEOUT_MS} ms`);
    this.name = 'LiveTimeout';
  }
}

/** Where live state comes from; with `outage`, a failing site degrades instead of throwing. */
export type LiveSource = Pick<Bindings, 'SITE_STATE'> & { outage?: LiveOutage };

/** A live source for one request that tolerates failing sites, recording them in `outage`. */
export const tolerantLive = (env: Pick<Bindings, 'SITE_STATE'>): LiveSource & { outage: LiveOutage } => ({ SITE_STATE: env.SITE_STATE, outage: new LiveOutage() });

/**
 * One site's read. With a tolerant source (a page or an API answer): bounded in time, and on
 * failure `fallback`, the site recorded. Without one: exactly the RPC, its errors thrown, as the
 * callers that act on live state have always had it.
 */
async function fromSite<T>(env: LiveSource, siteId: string, read: (stub: ReturnType<typeof siteState>) => Promise<T>, fallback: T): Promise<T> {
  if (!env.outage) return read(siteState(env, siteId));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LiveTimeout(siteId)), LIVE_READ_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read(siteState(env, siteId)), timeout]);
  } catch (error) {
    env.outage.record(siteId, error);
    return fallback;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * Live state for miners spread over any number of sites: one RPC per site, in parallel, so a
 * page's cost grows with its sites, not its miners. Miners never reported are absent.
 */
export async function readLive(env: LiveSource, miners: readonly { id: string; siteId: string | null }[]): Promise<Map<string, LiveMiner>> {
  const bySite = idsBySite(miners);
  const results = await Promise.all([...bySite].map(([siteId, ids]) => fromSite(env, siteId, (site) => site.live(ids), [])));
  const out = new Map<string, LiveMiner>();
  for (const states of results) for (const state of states) out.set(state.minerId, state);
  return out;
}

/** A page of a live-sorted list across sites (readSortedPage). */
export interface LiveSortedPage {
  /** Candidates matching the status filter, over every site. */
  matched: number;
  /** The page's unit ids, in order. */
  ids: string[];
  live: Map<string, LiveMiner>;
  /** With `totals`: over every candidate with live state (units never reported are the caller's to count). */
  totals: LiveTotals | null;
}

/**
 * One page of a live sort over candidates spread over any number of sites (in the list's own
 * order; ties keep it): each site's object sorts its own candidates and answers with a page
 * (SiteState.sortedPage), one RPC per site in parallel. With one site that is the page itself;
 * with several, each answers its first offset + limit and they are merged here. Units without a
 * site have no live state: their value is missing and they sort last.
 */
export async function readSortedPage(
  env: LiveSource,
  candidates: readonly { id: string; siteId: string | null }[],
  request: Omit<SortedPageRequest, 'minerIds'>,
): Promise<LiveSortedPage> {
  const bySite = new Map<string, { ids: string[]; positions: number[] }>();
  const siteless: SortedEntry[] = [];
  candidates.forEach((unit, index) => {
    if (!unit.siteId) {
      if (request.status === null || request.status === 'unknown') siteless.push({ minerId: unit.id, value: request.sort === null ? 0 : liveSortValue(request.sort, undefined), index });
      return;
    }
    const site = bySite.get(unit.siteId) ?? { ids: [], positions: [] };
    site.ids.push(unit.id);
    site.positions.push(index);
    bySite.set(unit.siteId, site);
  });
  const single = bySite.size === 1 && siteless.length === 0;
  const perSite = await Promise.all(
    [...bySite].map(async ([siteId, site]) => {
      const siteRequest = { ...request, minerIds: site.ids, offset: single ? request.offset : 0, limit: single ? request.limit : request.offset + request.limit };
      // A site that failed (tolerant source) still lists its units, as never reported.
      const answer = (await fromSite(env, siteId, (stub) => stub.sortedPage(siteRequest), null)) ?? sortedPageOf(siteRequest, () => undefined, () => emptyTotals());
      // Positions in the site's list back to positions in the whole list, the tie-break across sites.
      return { ...answer, entries: answer.entries.map((entry) => ({ ...entry, index: site.positions[entry.index]! })) };
    }),
  );
  const live = new Map<string, LiveMiner>();
  let matched = siteless.length;
  let totals: LiveTotals | null = request.totals ? emptyTotals() : null;
  const entries: SortedEntry[] = [...siteless];
  for (const site of perSite) {
    matched += site.matched;
    entries.push(...site.entries);
    for (const state of site.live) live.set(state.minerId, state);
    if (totals && site.totals) addTotals(totals, site.totals);
  }
  const page = single ? entries : entries.sort(compareSorted(request.descending)).slice(request.offset, request.offset + request.limit);
  return { matched, ids: page.map((entry) => entry.minerId), live, totals };
}

/**
 * Live totals over miners spread over any number of sites (one RPC per site, in parallel), without
 * each miner's state crossing the RPC boundary. `miners` counts those with live state; miners
 * never reported (or without a site) are the caller's to count as no data.
 */
export async function readLiveTotals(env: LiveSource, miners: readonly { id: string; siteId: string | null }[]): Promise<LiveTotals> {
  const perSite = await Promise.all([...idsBySite(miners)].map(([siteId, ids]) => fromSite(env, siteId, (site) => site.totals(ids), emptyTotals())));
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

/** A site's summary; null when a tolerant source's site failed. */
export function readSiteSummary(env: LiveSource, siteId: string): Promise<SiteSummary | null> {
  return fromSite<SiteSummary | null>(env, siteId, (site) => site.summary(), null);
}

/**
 * 5-minute points since `sinceMs`, summed over the given miners (one miner for a miner chart, any
 * subset of units for a filtered one). Hashrate and power add up across miners; temperature is
 * the max. With `customerId`, the miners are that customer's fleet and each of their sites answers
 * from its per-customer aggregates instead (SiteState.customerHistory: at most one row per bucket,
 * whatever the fleet size; a bucket belongs to whoever owned the unit when it closed), so only
 * the sites cross the RPC boundary, not the ids.
 */
export async function readHistory(
  env: LiveSource,
  miners: readonly { id: string; siteId: string | null }[],
  sinceMs: number,
  options: { customerId?: string } = {},
): Promise<HistoryPoint[]> {
  const bySite = idsBySite(miners);
  const { customerId } = options;
  const perSite = await Promise.all(
    [...bySite].map(([siteId, ids]) =>
      fromSite(env, siteId, (site) => (customerId === undefined ? site.history(ids, sinceMs) : site.customerHistory(customerId, sinceMs)), []),
    ),
  );
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
