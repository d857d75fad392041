import { and, asc, count, eq, isNull, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { preparedSelect } from '../db/prepared';
import type { BatchReads } from '../db/batch-reads';
import type { Db } from '../db/client';
import { inIdOrder, inJsonIds, unindexedEq, unitKeysOf } from '../db/sql';
import { miners, sites } from '../db/schema';
import { notFound } from '../lib/errors';
import type { LiveSortKey } from './live-sort';
import { emptyTotals, type LiveTotals } from '../live/aggregate';
import { hostUnitsVersion, liveShardsOf, readCustomerHistory, readHistory, readRankedPage, sortCandidatesQuery, readLive, readSortedPage, withinRanked, type LiveSource, type LiveUnit, type RankedSite } from '../live/client';
import { knownFleet, rankedAheadHolds, type RankedAhead } from '../live/rank-ahead';
import { LIVE_STATUSES, type HistoryPoint, type LiveMiner, type LiveStatus } from './types';

/**
 * A customer's fleet as the portal shows it: the units assigned to them (miners.customer_id is
 * the customer AND status is `assigned`), each with its live state from the site's SiteState.
 *
 * Nothing here reads every unit's full row or ships every unit's live state, whatever the fleet
 * size (DESIGN.md §10):
 * - the summary reads one row per site (its units' ids as one JSON array, their nominal sum) and
 *   asks each site's object for totals over those ids (`SiteState.totals`);
 * - the Equipment list reads full rows for one page of 50. In the default order (site, rack,
 *   serial) D1 pages it, in the same batch as the summary's read, and only the page's units'
 *   live state is read; a status filter or a live sort reads the matching ids (in location
 *   order), and each site's object filters and sorts them and answers with the page and its
 *   live state (`SiteState.sortedPage`); then the page's rows.
 */

export const HISTORY_SPAN_MS = 24 * 60 * 60 * 1000;

/** A unit as the portal lists it: its inventory row (nominal in TH/s) and its live state. */
export interface FleetMiner extends Omit<FleetRow, 'nominalHashrateMths'> {
  /** TH/s (the inventory stores milli-TH/s). */
  nominalThs: number | null;
  /** Null when the site's agent has never reported this unit. */
  live: LiveMiner | null;
}

/** Live status, or `unknown` for a unit never reported. */
export type FleetStatus = LiveStatus | 'unknown';
export const FLEET_STATUSES = [...LIVE_STATUSES, 'unknown'] as const;

export interface FleetSummary {
  miners: number;
  byStatus: Record<FleetStatus, number>;
  /** Sum over units that are mining (active or degraded), TH/s. */
  hashrateThs: number;
  /** Sum of nominal hashrate over every unit that has one, TH/s. */
  nominalThs: number;
  powerW: number;
}


const fleetColumns = {
  id: miners.id,
  /** The joined site's id: miners.site_id, and in the walked page (fleetPagePrepared) the outer loop's. */
  siteId: sql<string | null>`${sites.id}`.as('site_id'),
  siteName: sql<string | null>`${sites.name}`.as('site_name'),
  /** The site's SiteState shard count (src/live/shard.ts). */
  liveShards: sql<number>`coalesce(${sites.liveShards}, 1)`.as('live_shards'),
  serial: miners.serial,
  mac: miners.mac,
  vendor: miners.vendor,
  model: miners.model,
  firmware: miners.firmware,
  rackLocation: miners.rackLocation,
  nominalHashrateMths: miners.nominalHashrateMths,
  nominalPowerW: miners.nominalPowerW,
};


/** A customer's units: theirs and assigned (fleetByIdPrepared writes the same three terms, unindexed). */
const owned = (hostId: string | SQLWrapper, customerId: string | SQLWrapper) =>
  and(eq(miners.hostId, hostId), eq(miners.customerId, customerId), eq(miners.status, 'assigned'));


/**
 * The list's default order: site (by name, then id, so two sites of one name never interleave),
 * rack location, serial, then id (so pages never overlap). Units without a site come first.
 */
const LOCATION_ORDER = [asc(sites.name), asc(sites.id), asc(miners.rackLocation), asc(miners.serial), asc(miners.id)];

/** Units with their site's name (joined within the same host). */
const selectFleet = (db: Db) =>
  db
    .select(fleetColumns)
    .from(miners)
    .leftJoin(sites, and(eq(sites.id, miners.siteId), eq(sites.hostId, miners.hostId)));

/** A unit's row as fleetColumns reads it. */
type FleetRow = Awaited<ReturnType<ReturnType<typeof selectFleet>['all']>>[number];

function toFleetMiner(row: FleetRow, live: LiveMiner | null): FleetMiner {
  const { nominalHashrateMths, ...rest } = row;
  return { ...rest, nominalThs: nominalHashrateMths === null ? null : nominalHashrateMths / 1000, live };
}

// ---------------------------------------------------------------------------------------------
// The summary.

/**
 * The light read behind a fleet summary: one row per site holding its units' ids (a JSON array)
 * and their nominal hashrate summed, so its cost hardly grows with the fleet. A query, not a
 * promise: callers put it in their own `db.batch`.
 */
export function fleetSitesQuery(db: Db, hostId: string, customerId: string) {
  return fleetSitesPrepared(db, { hostId, customerId });
}

/** A customer's units, as the prepared fleet queries name their scope (the same rule as `owned`). */
const ownedByPlaceholders = () => owned(sql.placeholder('hostId'), sql.placeholder('customerId'));

const fleetSitesPrepared = preparedSelect((db) =>
  db
    .select({
      siteId: miners.siteId,
      liveShards: liveShardsOf(miners.siteId).as('live_shards'),
      // The site's name orders sites in the location list (readRankedPage merges by it).
      siteName: sql<string | null>`(SELECT sn.name FROM sites sn WHERE sn.id = ${miners.siteId} AND sn.host_id = ${sql.placeholder('hostId')})`.as('site_name'),
      customerId: miners.customerId,
      unitsVersion: hostUnitsVersion().as('units_version'),
      unitCount: count(),
      nominalMths: sql<number>`total(${miners.nominalHashrateMths})`.as('nominal_mths'),
    })
    .from(miners)
    .where(ownedByPlaceholders())
    .groupBy(miners.siteId),
);

/**
 * A fleet's size and nominal sum, from one row per site (fleetSitesQuery: a customer's;
 * hostFleetSitesQuery: a host's), so its cost grows with the sites, not the units; and what the
 * sites' objects need to answer for the whole fleet from their own registries (`readRankedPage`):
 * the customer (none: the whole host), the sites, D1's newest change to the host's units.
 */
export interface FleetIndex {
  unitCount: number;
  nominalMths: number;
  customerId: string | null;
  sites: RankedSite[];
  unitsVersion: number;
}

export function fleetIndexOf(
  rows: readonly {
    siteId: string | null;
    liveShards: number;
    siteName?: string | null;
    customerId?: string | null;
    unitsVersion: number;
    unitCount: number;
    nominalMths: number | null;
  }[],
): FleetIndex {
  const sites: RankedSite[] = [];
  let unitCount = 0;
  let nominalMths = 0;
  for (const row of rows) {
    unitCount += row.unitCount;
    if (row.siteId) sites.push({ siteId: row.siteId, liveShards: row.liveShards, name: row.siteName ?? null });
    nominalMths += row.nominalMths ?? 0;
  }
  return { unitCount, nominalMths, customerId: rows[0]?.customerId ?? null, sites, unitsVersion: rows[0]?.unitsVersion ?? 0 };
}

/**
 * A host's whole fleet (every unit not retired) as one row per site, as fleetSitesQuery reads a
 * customer's: the units counted and their nominal hashrate summed from an index alone
 * (`miners_customer_fleet_idx` holds status, site and nominal after the host), no unit's row and
 * no unit id read. A query, not a promise: the staff dashboard sends it in its own batch.
 */
export function hostFleetSitesQuery(db: Db, hostId: string) {
  return db
    .select({
      siteId: miners.siteId,
      liveShards: liveShardsOf(miners.siteId).as('live_shards'),
      unitsVersion: hostUnitsVersion(hostId).as('units_version'),
      unitCount: count(),
      nominalMths: sql<number>`total(${miners.nominalHashrateMths})`.as('nominal_mths'),
    })
    .from(miners)
    .where(and(eq(miners.hostId, hostId), sql`${miners.status} <> 'retired'`))
    .groupBy(miners.siteId);
}

/**
 * A host's whole fleet from hostFleetSitesQuery's rows: its summary and its 24-hour chart, each
 * site's objects answering from their own registries and whole-site history rows (one RPC per
 * site shard; no unit id sent, whatever the fleet size).
 */
export async function hostFleetOverview(env: LiveSource, rows: Parameters<typeof fleetIndexOf>[0], now = Date.now()): Promise<{ summary: FleetSummary; history: HistoryPoint[] }> {
  const index = fleetIndexOf(rows);
  const whole = await readWholeFleet(env, index, null, { sort: null, descending: false, offset: 0, historySince: now - HISTORY_SPAN_MS });
  return { summary: summaryOf(index, whole.totals ?? emptyTotals()), history: whole.history ?? [] };
}

/**
 * A read of the whole fleet from its sites' objects (`readRankedPage`), in the location list's
 * order: a live-sorted page, the fleet's totals, a page's live state, the chart, in one RPC per
 * site shard. Whose units they are comes from each object's registry, re-read from D1 when the
 * host's units changed since (SiteState.rankedPage); the Worker reads the page's rows from D1
 * within the customer's scope. No customer: the whole host's units (the staff dashboard).
 */
function readWholeFleet(
  env: LiveSource,
  index: Pick<FleetIndex, 'sites' | 'unitsVersion'>,
  customerId: string | null,
  ask: { sort: LiveSortKey | null; descending: boolean; offset: number; liveIds?: string[]; historySince?: number },
) {
  return readRankedPage(env, index.sites, {
    unitsVersion: index.unitsVersion,
    customerId,
    list: 'location',
    sort: ask.sort,
    descending: ask.descending,
    offset: ask.offset,
    limit: FLEET_PAGE_SIZE,
    totals: true,
    ...(ask.liveIds ? { liveIds: ask.liveIds } : {}),
    ...(ask.historySince !== undefined ? { historySince: ask.historySince } : {}),
  });
}

/** A customer's portal fleet, as rank-ahead.ts remembers it. */
const portalFleetScope = (hostId: string, customerId: string) => `portal:${hostId}:${customerId}`;

/** The fleet as rank-ahead.ts remembers it (its sites compared as id, shard count and name, in the read's order). */
const knownOf = (index: FleetIndex) => ({ sitesKey: JSON.stringify(index.sites), sites: index.sites, unitsVersion: index.unitsVersion });

/**
 * The summary from the sites' totals: units a site has no state for (never reported, or without
 * a site) count as `unknown`; hashrate and power add up over mining units (active or degraded);
 * the nominal sum covers every unit that has one.
 */
function summaryOf(index: FleetIndex, totals: LiveTotals): FleetSummary {
  return {
    miners: index.unitCount,
    byStatus: { ...totals.byStatus, unknown: index.unitCount - totals.miners },
    hashrateThs: totals.hashrateThs,
    nominalThs: index.nominalMths / 1000,
    powerW: totals.powerW,
  };
}

/**
 * A fleet's summary (fleetIndexOf): one RPC per site shard, each answering totals only from the
 * object's own registry (`readWholeFleet`: no unit ids sent).
 */
export async function fleetSummary(env: LiveSource, index: FleetIndex): Promise<FleetSummary> {
  const whole = await readWholeFleet(env, index, index.customerId, { sort: null, descending: false, offset: 0 });
  return summaryOf(index, whole.totals ?? emptyTotals());
}

// ---------------------------------------------------------------------------------------------
// The Equipment list: search, status filter, sort, pages of 50.

export const FLEET_PAGE_SIZE = 50;

/** `location` (site, rack, serial) is D1's order; the others are live values, sorted in memory. */
export const FLEET_SORTS = ['location', '-hashrate', 'hashrate', '-temperature', 'temperature', 'efficiency', '-efficiency', 'status'] as const;
export type FleetSort = (typeof FLEET_SORTS)[number];

export interface FleetQuery {
  /** Free text: serial, MAC, model, rack location or site name. */
  q: string;
  status: FleetStatus | '';
  sort: FleetSort;
  /** 1-based. */
  page: number;
}

export const DEFAULT_FLEET_QUERY: FleetQuery = { q: '', status: '', sort: 'location', page: 1 };

/** The list's state from a query string, tolerant of junk: anything unknown falls back to the default. */
export function parseFleetQuery(query: Record<string, string | undefined>): FleetQuery {
  const status = query.status as FleetStatus;
  const sort = query.sort as FleetSort;
  const page = Number(query.page);
  return {
    q: (query.q ?? '').trim().slice(0, 200),
    status: FLEET_STATUSES.includes(status) ? status : '',
    sort: FLEET_SORTS.includes(sort) ? sort : 'location',
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
  };
}

export const isFilteredFleet = (query: FleetQuery) => query.q !== '' || query.status !== '';

/**
 * Search over serial, model, rack location and site name (ASCII case-insensitive), and MAC
 * (stored lowercase with colons; dashes in the search read as colons). instr(), not LIKE: no
 * wildcards to escape, and D1 caps LIKE patterns at 50 bytes. char(31) keeps a match from
 * spanning two fields. Needs the sites join.
 */
function fleetSearch(q: string): SQL | undefined {
  if (!q) return undefined;
  const needle = q.toLowerCase();
  return or(
    sql`instr(lower(coalesce(${miners.serial}, '') || char(31) || coalesce(${miners.model}, '') || char(31) || coalesce(${miners.rackLocation}, '') || char(31) || coalesce(${sites.name}, '')), ${needle}) > 0`,
    sql`instr(coalesce(${miners.mac}, ''), ${needle.replace(/-/g, ':')}) > 0`,
  );
}

/** A portal sort as the live sort it is (`location` is D1's order: none). */
function liveSortOf(sort: FleetSort): LiveSortKey | null {
  if (sort === 'location') return null;
  return sort.replace(/^-/, '') as LiveSortKey;
}

export interface FleetPage {
  /** The query answered, its page brought within range. */
  query: FleetQuery;
  /** This page's units, with their live state. */
  items: FleetMiner[];
  /** Units matching the search and status filter. */
  total: number;
  /** Index of the page's first unit in the matching list (0-based). */
  offset: number;
  pageCount: number;
}

export interface FleetView {
  summary: FleetSummary;
  page: FleetPage;
  /** 24 hours of the whole fleet, when asked for. */
  history: HistoryPoint[] | null;
}

const pageCountOf = (total: number) => Math.max(1, Math.ceil(total / FLEET_PAGE_SIZE));

/** Finishes an Equipment page from its first batch: live state, history, any follow-up read. */
export type FinishFleetPage = (env: LiveSource, options?: { historySince?: number }) => Promise<FleetView>;

/**
 * The Equipment list: the whole fleet's summary (and, with `historySince`, its 24-hour history)
 * plus one page of units matching the query. Round trips, whatever the fleet size:
 * - default order: one D1 batch (each site's unit count, the page's rows, and with a search the
 *   matching count), then, in parallel, per site: totals, the page's live state, history;
 * - status filter or live sort: one D1 batch (sites' ids, the matching ids in location order),
 *   then per site, in parallel: the sorted page with its live state (and, without a search, the
 *   fleet's totals: the matching list is the whole fleet), history, and with a search the
 *   totals; then the page's rows (D1).
 * A page past the end shows the last page (one more D1 read in the default order, one more
 * sortedPage otherwise).
 */
export async function customerFleetPage(
  db: Db,
  env: LiveSource,
  hostId: string,
  customerId: string,
  query: FleetQuery,
  options: { historySince?: number } = {},
): Promise<FleetView> {
  const reads = fleetPageReads(db, { hostId, customerId }, query);
  return reads.read(await db.batch(reads.queries))(env, options);
}

/**
 * customerFleetPage's first D1 batch, unexecuted, and how to finish the page from its rows: so
 * the portal can send it with the session check (src/portal/request.ts).
 */
export function fleetPageReads(db: Db, scope: { hostId: string; customerId: string }, query: FleetQuery, ahead: FleetAhead | null = null): BatchReads<FinishFleetPage> {
  const { hostId, customerId } = scope;
  const where = and(owned(hostId, customerId), fleetSearch(query.q));
  const history = (env: LiveSource, index: FleetIndex, since: number | undefined): Promise<HistoryPoint[] | null> =>
    since === undefined ? Promise.resolve(null) : readCustomerHistory(env, index.sites, customerId, since);

  if (query.status === '' && query.sort === 'location') {
    // The whole fleet (no search), the Equipment page's first view and its polled fragment: prepared.
    const pageRows = (page: number) =>
      query.q === ''
        ? fleetPagePrepared(db, { hostId, customerId, offset: (page - 1) * FLEET_PAGE_SIZE })
        : selectFleet(db)
            .where(where)
            .orderBy(...LOCATION_ORDER)
            .limit(FLEET_PAGE_SIZE)
            .offset((page - 1) * FLEET_PAGE_SIZE);
    // Without a search the matching units are the whole fleet, which the sites' rows count already.
    const searched = query.q === '' ? null : fleetCount(db, where);
    return {
      queries: searched ? [fleetSitesQuery(db, hostId, customerId), pageRows(query.page), searched] : [fleetSitesQuery(db, hostId, customerId), pageRows(query.page)],
      read: (results) => async (env, options = {}) => {
        const [siteRows, firstTry, counted] = results as [Parameters<typeof fleetIndexOf>[0], FleetRow[], { total: number }[] | undefined];
        const index = fleetIndexOf(siteRows);
        const total = counted ? (counted[0]?.total ?? 0) : index.unitCount;
        const pageCount = pageCountOf(total);
        const page = Math.min(query.page, pageCount);
        const rows = page === query.page ? firstTry : await pageRows(page).all();
        // The fleet's totals, the page's live state and the chart: one RPC per site shard.
        const whole = await readWholeFleet(env, index, customerId, {
          sort: null,
          descending: false,
          offset: 0,
          liveIds: rows.flatMap((row) => (row.siteId ? [row.id] : [])),
          ...(options.historySince !== undefined ? { historySince: options.historySince } : {}),
        });
        return {
          summary: summaryOf(index, whole.totals ?? emptyTotals()),
          page: {
            query: { ...query, page },
            items: rows.map((row) => toFleetMiner(row, whole.live.get(row.id) ?? null)),
            total,
            offset: (page - 1) * FLEET_PAGE_SIZE,
            pageCount,
          },
          history: whole.history,
        };
      },
    };
  }

  const sort = liveSortOf(query.sort);
  const descending = query.sort.startsWith('-');
  /** The page's rows from D1 (the customer's only, whatever ids the objects named), in the objects' order. */
  const pageRows = (ids: string[]) => fleetByIdPrepared(db, { hostId, customerId, ids: JSON.stringify(ids) });
  const rowsInOrder = async (ids: string[], live: ReadonlyMap<string, LiveMiner>, read?: FleetRow[]) => {
    const rows = read ?? (ids.length > 0 ? await pageRows(ids) : []);
    return inIdOrder(ids, rows).map((row) => toFleetMiner(row, live.get(row.id) ?? null));
  };
  // Each site's object filters and sorts the matching units it is sent (in location order: ties
  // in the live value keep it) and answers with the page; a page past the end asks again for the last page.
  const sortedFrom = (env: LiveSource, listed: ReturnType<typeof unitKeysOf>, totals: boolean) => async (page: number) =>
    readSortedPage(env, listed, {
      sort,
      descending,
      status: query.status === '' ? null : query.status,
      offset: (page - 1) * FLEET_PAGE_SIZE,
      limit: FLEET_PAGE_SIZE,
      totals,
    });

  if (query.q === '' && query.status === '' && sort !== null) {
    // A live sort of the whole fleet: the sites' objects answer it from their own registries with
    // the fleet's totals and the chart (`readWholeFleet`, one RPC per site shard), then the page's
    // rows. Only a page reaching past the units with a value reads every unit's key from D1.
    // Ranked before this batch (fleetPageReadsRankedAhead), the page's rows come with it.
    const early = ahead?.ranked.read;
    const aheadRows = early && early.ids.length > 0 ? pageRows(early.ids) : null;
    return {
      queries: aheadRows ? [fleetSitesQuery(db, hostId, customerId), aheadRows] : [fleetSitesQuery(db, hostId, customerId)],
      read: (results) => async (env, options = {}) => {
        const index = fleetIndexOf((results as [Parameters<typeof fleetIndexOf>[0]])[0]);
        const total = index.unitCount;
        const pageCount = pageCountOf(total);
        const page = Math.min(query.page, pageCount);
        const offset = (page - 1) * FLEET_PAGE_SIZE;
        const since = options.historySince;
        const held =
          rankedAheadHolds(portalFleetScope(hostId, customerId), ahead?.ranked, knownOf(index)) &&
          page === query.page &&
          (since === undefined || ahead?.historySince !== undefined);
        const whole = held ? early! : await readWholeFleet(env, index, customerId, { sort, descending, offset, ...(since !== undefined ? { historySince: since } : {}) });
        const sorted = withinRanked(whole, offset, FLEET_PAGE_SIZE, total)
          ? whole
          : await sortedFrom(env, unitKeysOf(await fleetKeysPrepared(db, { hostId, customerId })), false)(page);
        const items = await rowsInOrder(sorted.ids, sorted.live, held && sorted === whole ? (results[1] as FleetRow[] | undefined) : undefined);
        // An early chart was asked a moment before the page set its window: its points from that window on.
        const history = held && since !== undefined ? (whole.history ?? []).filter((point) => point.t >= since) : whole.history;
        return { summary: summaryOf(index, whole.totals ?? emptyTotals()), page: { query: { ...query, page }, items, total, offset, pageCount }, history };
      },
    };
  }

  // Every matching unit's key in location order (ties in the live value keep it), as JSON rows (5,000 keys a row).
  const listedQuery = query.q === '' ? fleetKeysPrepared(db, { hostId, customerId }) : fleetKeys(db, where);
  return {
    queries: [fleetSitesQuery(db, hostId, customerId), listedQuery],
    read: (results) => async (env, options = {}) => {
      const [siteRows, listedRows] = results as [Parameters<typeof fleetIndexOf>[0], Awaited<typeof listedQuery>];
      const listed = unitKeysOf(listedRows);
      const index = fleetIndexOf(siteRows);
      const listPage = async () => {
        // Without a search the matching list is the whole fleet: its objects answer the fleet's totals too.
        const ask = sortedFrom(env, listed, query.q === '');
        const [firstTry, searchedTotals] = await Promise.all([ask(query.page), query.q === '' ? null : fleetSummary(env, index)]);
        const pageCount = pageCountOf(firstTry.matched);
        const page = Math.min(query.page, pageCount);
        const sorted = page === query.page ? firstTry : await ask(page);
        const summary = searchedTotals ?? summaryOf(index, firstTry.totals ?? emptyTotals());
        const items = await rowsInOrder(sorted.ids, sorted.live);
        const offset = (page - 1) * FLEET_PAGE_SIZE;
        return { summary, page: { query: { ...query, page }, items, total: firstTry.matched, offset, pageCount } };
      };
      const [listedPage, points] = await Promise.all([listPage(), history(env, index, options.historySince)]);
      return { ...listedPage, history: points };
    },
  };
}

/**
 * A whole-fleet live sort asked of the sites' objects before the page's first batch
 * (src/live/rank-ahead.ts), with the chart's start when the page draws one.
 */
interface FleetAhead {
  ranked: RankedAhead;
  historySince?: number;
}

/**
 * fleetPageReads for the session check's batch: a live sort of the whole fleet (no search, no
 * status filter) asks the sites' objects first, so the page's rows travel in that batch as well.
 */
export async function fleetPageReadsRankedAhead(
  db: Db,
  live: LiveSource,
  scope: { hostId: string; customerId: string },
  query: FleetQuery,
  options: { historySince?: number } = {},
): Promise<BatchReads<FinishFleetPage>> {
  const sort = liveSortOf(query.sort);
  const known = query.q === '' && query.status === '' && knownFleet(portalFleetScope(scope.hostId, scope.customerId));
  if (!known || sort === null) return fleetPageReads(db, scope, query);
  const read = await readWholeFleet(live, known, scope.customerId, { sort, descending: query.sort.startsWith('-'), offset: (query.page - 1) * FLEET_PAGE_SIZE, ...options });
  return fleetPageReads(db, scope, query, { ranked: { known, read }, ...options });
}

/** How many units match `where` (needs the sites join for the search). */
const fleetCount = (db: Db, where: SQL | undefined) =>
  db
    .select({ total: count() })
    .from(miners)
    .leftJoin(sites, and(eq(sites.id, miners.siteId), eq(sites.hostId, miners.hostId)))
    .where(where);

/** The keys of every unit matching `where`, in location order. */
const fleetKeys = (db: Db, where: SQL | undefined) => sortCandidatesQuery(db, where, LOCATION_ORDER);

// The whole fleet's reads (no search), prepared once: what every Equipment view and poll sends.
/**
 * A page of the whole fleet in LOCATION_ORDER, walked from indexes rather than sorted (migration
 * 0025): first the units without a site, then the host's sites in name and id order
 * (`sites_host_idx`, unique, so SQLite knows each step is one site) and each site's units in
 * rack, serial and id order (`miners_customer_fleet_idx`). SQLite merges the two arms and stops
 * at the page's end. One ORDER BY over the units' join sorted all of the customer's units,
 * reading each one's row, on every view and poll. CROSS JOIN keeps the sites the outer loop; the
 * compound's ORDER BY names the first arm's result columns. A unit's site is always one of its
 * host's (`requireSite`; agents report into their own site).
 * @see https://www.sqlite.org/optoverview.html#order_by_optimizations
 */
const fleetPagePrepared = preparedSelect((db) =>
  selectFleet(db)
    .where(and(ownedByPlaceholders(), isNull(miners.siteId)))
    .unionAll(
      db
        .select(fleetColumns)
        .from(sites)
        .crossJoin(miners)
        .where(and(eq(sites.hostId, sql.placeholder('hostId')), ownedByPlaceholders(), eq(miners.siteId, sites.id))),
    )
    .orderBy(sql`site_name, site_id, rack_location, serial, "miners"."id"`)
    .limit(FLEET_PAGE_SIZE)
    .offset(sql.placeholder('offset')),
);
/** A live-sorted page's rows: the customer's units (`owned`, written so each id is looked up by key) among `ids`. */
const fleetByIdPrepared = preparedSelect((db) =>
  selectFleet(db).where(
    and(
      unindexedEq(miners.hostId, sql.placeholder('hostId')),
      unindexedEq(miners.customerId, sql.placeholder('customerId')),
      unindexedEq(miners.status, 'assigned'),
      inJsonIds(miners.id, sql.placeholder('ids')),
    ),
  ),
);
const fleetKeysPrepared = preparedSelect((db) => fleetKeys(db, ownedByPlaceholders()));

/** One of the customer's units; any other id (another customer's, another host's, unassigned) is 404. */
export async function customerMiner(db: Db, env: LiveSource, hostId: string, customerId: string, minerId: string): Promise<FleetMiner> {
  const row = await selectFleet(db)
    .where(and(owned(hostId, customerId), eq(miners.id, minerId)))
    .get();
  if (!row) throw notFound('Miner');
  const live = await readLive(env, [row]);
  return toFleetMiner(row, live.get(row.id) ?? null);
}

/** 24 hours of 5-minute points, summed over the given units (one RPC per site shard): one unit's chart. */
export function fleetHistory(env: LiveSource, fleet: readonly LiveUnit[], now = Date.now()): Promise<HistoryPoint[]> {
  return readHistory(env, fleet, now - HISTORY_SPAN_MS);
}
