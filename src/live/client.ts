import { and, eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client';
import { miners, sites } from '../db/schema';
import { inIds, rankIn, unitKeysChunk, unitKeysSelection } from '../db/sql';
import type { Bindings } from '../env';
import { minerKey } from '../telemetry/batch';
import type { HistoryPoint, LiveMiner, SiteSummary } from '../telemetry/types';
import { addTotals, addToPoint, emptyTotals, type LiveTotals } from './aggregate';
import { shardName, shardOfKey } from './shard';
import { compareSorted, liveSortValue, sortedPageOf, sortedSlice, type RankedEntry, type RankedPageRequest, type SortedEntry, type SortedPageRequest } from '../telemetry/live-sort';
import { compareTies } from './unit-order';

/**
 * The Worker-side client of the SiteState objects: what pages and services call to read live
 * state across any number of sites (one RPC per site, in parallel), and the one place that
 * addresses an object by its site.
 */

/**
 * One shard of a site's SiteState (src/live/shard.ts): shard 0, the only one of most sites, is
 * addressed by the site id itself; shard k ≥ 1 by `${siteId}:${k}`.
 */
export const siteState = (env: Pick<Bindings, 'SITE_STATE'>, siteId: string, shard = 0) => env.SITE_STATE.getByName(shardName(siteId, shard));

/** Every shard of a site, shard 0 first. */
export const siteShards = (env: Pick<Bindings, 'SITE_STATE'>, siteId: string, liveShards: number | null) =>
  Array.from({ length: Math.max(1, liveShards ?? 1) }, (_, shard) => siteState(env, siteId, shard));

/**
 * A unit as the live reads take it: its site and the site's shard count (`sites.live_shards`,
 * read with the unit's row: `liveShardsOf`), so a read reaches every shard without a query of its own.
 */
export interface LiveUnit {
  id: string;
  siteId: string | null;
  /** The site's `live_shards`; null for a unit without a site. */
  liveShards: number | null;
}

/**
 * Units with their sites' shard counts read in one query, for callers off the page paths (actions,
 * cron) whose rows carry only the site; pages read `liveShardsOf` with their rows instead.
 */
export async function withLiveShards<T extends { siteId: string | null }>(db: Db, units: readonly T[]): Promise<(T & { liveShards: number | null })[]> {
  const siteIds = [...new Set(units.flatMap((unit) => (unit.siteId ? [unit.siteId] : [])))];
  const rows = siteIds.length ? await db.select({ id: sites.id, liveShards: sites.liveShards }).from(sites).where(inIds(sites.id, siteIds)).all() : [];
  const shards = new Map(rows.map((row) => [row.id, row.liveShards]));
  return units.map((unit) => ({ ...unit, liveShards: unit.siteId ? (shards.get(unit.siteId) ?? 1) : null }));
}

/**
 * A live sort's candidate columns (`SortCandidate`) for the caller's select, with the site's
 * shard count as `liveShards` (a column or `liveShardsOf`): a unit's MAC, serial and IP are read
 * only where its site is sharded, so a one-shard site's candidate list stays ids and sites.
 */
const sortCandidateColumns = (liveShards: SQL<number> | AnySQLiteColumn) => {
  const whereSharded = (column: AnySQLiteColumn) => sql<string | null>`CASE WHEN ${liveShards} > 1 THEN ${column} END`;
  return {
    id: miners.id,
    siteId: miners.siteId,
    liveShards: sql<number>`${liveShards}`.as('live_shards'),
    mac: whereSharded(miners.mac).as('shard_mac'),
    serial: whereSharded(miners.serial).as('shard_serial'),
    ip: whereSharded(miners.ip).as('shard_ip'),
  };
};

/**
 * Every unit matching `where` as a live sort's candidates, ranked by `order` (the list's own
 * order, which breaks ties in the live value), as JSON rows of keys (`unitKeysSelection`; read
 * them with `unitKeysOf`). The sites join gives each unit its site's shard count.
 */
export function sortCandidatesQuery(db: Db, where: SQL | undefined, order: readonly SQL[]) {
  const ranked = db
    .select({ ...sortCandidateColumns(sql<number>`coalesce(${sites.liveShards}, 1)`), rank: rankIn(order) })
    .from(miners)
    .leftJoin(sites, and(eq(sites.id, miners.siteId), eq(sites.hostId, miners.hostId)))
    .where(where)
    .as('ranked');
  return db.select(unitKeysSelection(ranked)).from(ranked).groupBy(unitKeysChunk(ranked));
}

/**
 * D1's newest change to a host's units (`miners_host_updated_idx`), as a column of a prepared
 * query whose `hostId` placeholder names the host, or of a query given the host's id: how the
 * sites' objects tell their registries are behind (SiteState.rankedPage). A placeholder or a
 * value, not the outer query's column: drizzle writes a single-table query's columns unqualified,
 * and inside this subquery `"host_id"` would name the subquery's own column (every host's newest
 * change, not this one's).
 */
export const hostUnitsVersion = (hostId: string | SQLWrapper = sql.placeholder('hostId')): SQL<number> => sql<number>`(SELECT coalesce(max(u.updated_at), 0) FROM miners u WHERE u.host_id = ${hostId})`;

/** The shard count of the site in `siteId`, as a column of the caller's own query (no extra round trip). */
export const liveShardsOf = (siteId: SQL | AnySQLiteColumn): SQL<number> => sql<number>`coalesce((SELECT ls.live_shards FROM sites ls WHERE ls.id = ${siteId}), 1)`;

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
async function fromSite<T>(env: LiveSource, siteId: string, read: (stub: ReturnType<typeof siteState>) => Promise<T>, fallback: T, shard = 0): Promise<T> {
  if (!env.outage) return read(siteState(env, siteId, shard));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LiveTimeout(siteId)), LIVE_READ_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read(siteState(env, siteId, shard)), timeout]);
  } catch (error) {
    env.outage.record(siteId, error);
    return fallback;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * The same read from every shard of every site, in parallel (a site's shards each answer for the
 * units they hold; `fromSite` bounds and records each shard, under its site's id).
 */
function fromEveryShard<T>(env: LiveSource, bySite: ReadonlyMap<string, SiteUnits>, read: (stub: ReturnType<typeof siteState>, ids: string[]) => Promise<T>, fallback: T): Promise<T[]> {
  return Promise.all([...bySite].flatMap(([siteId, site]) => Array.from({ length: site.shards }, (_, shard) => fromSite(env, siteId, (stub) => read(stub, site.ids), fallback, shard))));
}

/**
 * Live state for miners spread over any number of sites: one RPC per site shard, in parallel, so
 * a page's cost grows with its sites, not its miners. Miners never reported are absent. A unit
 * held by two shards (for the minutes after its site's shard count grew) shows its newest state.
 */
export async function readLive(env: LiveSource, miners: readonly LiveUnit[]): Promise<Map<string, LiveMiner>> {
  const results = await fromEveryShard(env, idsBySite(miners), (site, ids) => site.live(ids), []);
  const out = new Map<string, LiveMiner>();
  for (const states of results) {
    for (const state of states) {
      const held = out.get(state.minerId);
      if (!held || (state.lastSeenAt ?? 0) > (held.lastSeenAt ?? 0)) out.set(state.minerId, state);
    }
  }
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
 * A candidate of a live sort: a unit with its identifiers, so a sharded site's candidates go each
 * to the shard their `minerKey` names (the shard that holds, or will hold, the unit's state).
 */
export type SortCandidate = LiveUnit & { mac: string | null; serial: string | null; ip: string | null };

/**
 * One page of a live sort over candidates spread over any number of sites (in the list's own
 * order; ties keep it): each site shard's object sorts its own candidates and answers with a page
 * (SiteState.sortedPage), one RPC per shard in parallel. With one site of one shard that is the
 * page itself; with several, each answers its first offset + limit and they are merged here.
 * Units without a site have no live state: their value is missing and they sort last.
 */
export async function readSortedPage(env: LiveSource, candidates: readonly SortCandidate[], request: Omit<SortedPageRequest, 'minerIds'>): Promise<LiveSortedPage> {
  const byShard = new Map<string, { siteId: string; shard: number; ids: string[]; positions: number[] }>();
  const siteless: SortedEntry[] = [];
  candidates.forEach((unit, index) => {
    if (!unit.siteId) {
      if (request.status === null || request.status === 'unknown') siteless.push({ minerId: unit.id, value: request.sort === null ? 0 : liveSortValue(request.sort, undefined), index });
      return;
    }
    const shards = unit.liveShards ?? 1;
    const shard = shards > 1 ? shardOfKey(minerKey(unit), shards) : 0;
    const name = shardName(unit.siteId, shard);
    const part = byShard.get(name) ?? { siteId: unit.siteId, shard, ids: [], positions: [] };
    part.ids.push(unit.id);
    part.positions.push(index);
    byShard.set(name, part);
  });
  const single = byShard.size === 1 && siteless.length === 0;
  const perSite = await Promise.all(
    [...byShard.values()].map(async (site) => {
      const siteRequest = { ...request, minerIds: site.ids, offset: single ? request.offset : 0, limit: single ? request.limit : request.offset + request.limit };
      // A shard that failed (tolerant source) still lists its units, as never reported.
      const answer = (await fromSite(env, site.siteId, (stub) => stub.sortedPage(siteRequest), null, site.shard)) ?? sortedPageOf(siteRequest, () => undefined, () => undefined, () => emptyTotals());
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
  const page = single ? entries : sortedSlice(entries, compareSorted(request.descending), request.offset, request.limit);
  return { matched, ids: page.map((entry) => entry.minerId), live, totals };
}

/** A site a whole-fleet read asks (`readRankedPage`); `name` orders sites in the portal's location list. */
export interface RankedSite {
  siteId: string;
  liveShards: number | null;
  /** The site's name, the location list's first column (null for the staff list, ordered by serial). */
  name?: string | null;
}

/** A page of a whole fleet's live sort across sites (readRankedPage). */
export interface RankedRead {
  /** Units with a value over every site: a page within them is exact (`RankedPage.valued`). */
  valued: number;
  /** The page's unit ids, in order. */
  ids: string[];
  live: Map<string, LiveMiner>;
  totals: LiveTotals | null;
  history: HistoryPoint[] | null;
  /**
   * The oldest registry among the answers: D1's newest change to the host's units it had read
   * (`RankedPage.unitsAsOf`); -1 when a shard failed (a tolerant source counts it as never reported).
   */
  unitsAsOf: number;
}

/**
 * A whole fleet's live sort, totals, live state and chart from every shard of the given sites,
 * each answering from its own registry (SiteState.rankedPage): one RPC per shard, no candidate
 * ids sent. One shard answers the page itself; several each answer their first offset + limit,
 * merged here by value, then the list's own order (site name and id first in the location list).
 * A shard that fails (tolerant source) counts as a site never reported: none of its units has a
 * value, and none is in the totals.
 */
export async function readRankedPage(env: LiveSource, sites: readonly RankedSite[], request: RankedPageRequest): Promise<RankedRead> {
  const shards = sites.flatMap((site) => Array.from({ length: Math.max(1, site.liveShards ?? 1) }, (_, shard) => ({ site, shard })));
  const single = shards.length === 1;
  // liveIds (a page of 50 at most) go to every shard; each answers for the units it holds.
  const answers = await Promise.all(
    shards.map(({ site, shard }) =>
      fromSite(env, site.siteId, (stub) => stub.rankedPage(single ? request : { ...request, offset: 0, limit: request.offset + request.limit }), null, shard).then((answer) => ({ site, answer })),
    ),
  );
  let valued = 0;
  let unitsAsOf = Number.POSITIVE_INFINITY;
  const entries: (RankedEntry & { order: (string | null)[] })[] = [];
  const live = new Map<string, LiveMiner>();
  const totals = request.totals ? emptyTotals() : null;
  const points = new Map<number, HistoryPoint>();
  let history: HistoryPoint[] | null = null;
  for (const { site, answer } of answers) {
    unitsAsOf = Math.min(unitsAsOf, answer?.unitsAsOf ?? -1);
    if (!answer) continue;
    valued += answer.valued;
    const prefix = request.list === 'location' ? [site.name ?? null, site.siteId] : [];
    for (const entry of answer.entries) entries.push({ ...entry, order: [...prefix, ...entry.tie] });
    for (const state of answer.live) {
      const held = live.get(state.minerId);
      if (!held || (state.lastSeenAt ?? 0) > (held.lastSeenAt ?? 0)) live.set(state.minerId, state);
    }
    if (totals && answer.totals) addTotals(totals, answer.totals);
    if (answer.history) {
      history = [];
      for (const point of answer.history) addToPoint(points, point.t, point.hashrateThs, point.powerW, point.tempMaxC);
    }
  }
  if (history) history = [...points.values()].sort((a, b) => a.t - b.t);
  else if (request.historySince !== undefined) history = [];
  const byValue = compareSorted(request.descending);
  // A unit two shards both still hold (for the minutes after its site's shard count grew) is listed once.
  const seen = new Set<string>();
  const page = single
    ? entries
    : entries
        .sort((a, b) => byValue({ value: a.value, index: 0 }, { value: b.value, index: 0 }) || compareTies(a.order, b.order))
        .filter((entry) => !seen.has(entry.minerId) && seen.add(entry.minerId))
        .slice(request.offset, request.offset + request.limit);
  return { valued, ids: page.map((entry) => entry.minerId), live, totals, history, unitsAsOf };
}

/** Whether a page of a list of `total` units lies within the head a ranked read sorted (`RankedRead.valued`). */
export const withinRanked = (read: RankedRead, offset: number, limit: number, total: number) => Math.min(offset + limit, total) <= read.valued;

/**
 * Live totals over miners spread over any number of sites (one RPC per site, in parallel), without
 * each miner's state crossing the RPC boundary. `miners` counts those with live state; miners
 * never reported (or without a site) are the caller's to count as no data.
 */
export async function readLiveTotals(env: LiveSource, miners: readonly LiveUnit[]): Promise<LiveTotals> {
  const perShard = await fromEveryShard(env, idsBySite(miners), (site, ids) => site.totals(ids), emptyTotals());
  const out = emptyTotals();
  for (const shard of perShard) addTotals(out, shard);
  return out;
}

interface SiteUnits {
  ids: string[];
  shards: number;
}

function idsBySite(miners: readonly LiveUnit[]): Map<string, SiteUnits> {
  const bySite = new Map<string, SiteUnits>();
  for (const miner of miners) {
    if (!miner.siteId) continue;
    const site = bySite.get(miner.siteId);
    if (site) site.ids.push(miner.id);
    else bySite.set(miner.siteId, { ids: [miner.id], shards: Math.max(1, miner.liveShards ?? 1) });
  }
  return bySite;
}

/**
 * A site's summary over all its shards (totals added, the latest report); null when a tolerant
 * source's shard failed, since part of a site is not its summary.
 */
export async function readSiteSummary(env: LiveSource, siteId: string, liveShards: number): Promise<SiteSummary | null> {
  const perShard = await Promise.all(Array.from({ length: Math.max(1, liveShards) }, (_, shard) => fromSite<SiteSummary | null>(env, siteId, (site) => site.summary(), null, shard)));
  if (perShard.length === 1) return perShard[0]!;
  if (perShard.some((summary) => summary === null)) return null;
  const totals = emptyTotals();
  let lastReportAt: number | null = null;
  for (const summary of perShard as SiteSummary[]) {
    addTotals(totals, summary);
    if (summary.lastReportAt !== null && (lastReportAt === null || summary.lastReportAt > lastReportAt)) lastReportAt = summary.lastReportAt;
  }
  return { ...totals, lastReportAt };
}

/**
 * 5-minute points since `sinceMs`, summed over the given miners (one miner for a miner chart, any
 * subset of units for a filtered one). Hashrate and power add up across miners; temperature is
 * the max.
 */
export async function readHistory(env: LiveSource, miners: readonly LiveUnit[], sinceMs: number): Promise<HistoryPoint[]> {
  // Every shard: a unit's past buckets stay in the shard that closed them when it moves shard.
  return mergedHistory(await fromEveryShard(env, idsBySite(miners), (site, ids) => site.history(ids, sinceMs), []));
}

/**
 * A customer's fleet chart, as readHistory sums it, from every shard of the fleet's sites, each
 * answering from its per-customer aggregates (SiteState.customerHistory: at most one row per
 * bucket, whatever the fleet size; a bucket belongs to whoever owned the unit when it closed), so
 * only the sites are needed, not the units.
 */
export async function readCustomerHistory(env: LiveSource, sites: readonly RankedSite[], customerId: string, sinceMs: number): Promise<HistoryPoint[]> {
  const bySite = new Map(sites.map((site) => [site.siteId, { ids: [], shards: Math.max(1, site.liveShards ?? 1) }]));
  return mergedHistory(await fromEveryShard(env, bySite, (stub) => stub.customerHistory(customerId, sinceMs), []));
}

function mergedHistory(perShard: readonly HistoryPoint[][]): HistoryPoint[] {
  const merged = new Map<number, HistoryPoint>();
  for (const points of perShard) for (const point of points) addToPoint(merged, point.t, point.hashrateThs, point.powerW, point.tempMaxC);
  return [...merged.values()].sort((a, b) => a.t - b.t);
}


/**
 * Asks each site's pool guard to re-read its facts from D1 now (a redirect started or ended, a
 * unit joined or left one, a customer's notice changed), so it stands down or resumes at once
 * rather than on its next refresh. Best effort: it never fails the caller, since every site
 * re-reads on its own within minutes (SiteState's alarm).
 */
export async function refreshSitePoolFacts(env: Pick<Bindings, 'SITE_STATE'>, sites: Iterable<{ siteId: string | null; liveShards: number | null }>): Promise<void> {
  const shards = new Map<string, number>();
  for (const { siteId, liveShards } of sites) if (siteId) shards.set(siteId, Math.max(shards.get(siteId) ?? 1, liveShards ?? 1));
  const results = await Promise.allSettled([...shards].flatMap(([siteId, count]) => siteShards(env, siteId, count).map((stub) => stub.refreshPoolFacts())));
  for (const result of results) if (result.status === 'rejected') console.error('pool guard refresh deferred to the site alarm', result.reason);
}
