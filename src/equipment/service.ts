import { customerInSiteScope, inSiteScope, type SiteScope } from '../team/scope';
import { and, asc, count, desc, eq, inArray, isNull, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { activityInsert, activityInsertIfChanged, diffFields, type Actor, type Changes } from '../activity/service';
import { getCustomer } from '../customers/service';
import type { BatchItem } from 'drizzle-orm/batch';
import type { BatchReads } from '../db/batch-reads';
import type { Db } from '../db/client';
import { keysetPage } from '../lib/cursor';
import { preparedSelect } from '../db/prepared';
import { inIdOrder, inIds, inJsonIds, unindexedEq, unitKeysOf } from '../db/sql';
import { activityLog, customers, hosts, miners, sites } from '../db/schema';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { decodeListCursor, encodeCursor, encodeOffsetCursor } from '../lib/cursor';
import { newId } from '../lib/ids';
import { unitIdent, unitLabel } from './naming';
import { growLiveShards } from './live-shards';
import { fillNominal, hostModelEntries, recentMeasuredSince, withoutPowerDataFilter } from './power-data';
import { parseInput } from '../lib/validation';
import { siteOptionsQuery } from '../sites/service';
import { hostUnitsVersion, readLive, readRankedPage, readSortedPage, sortCandidatesQuery, withinRanked, type LiveSource } from '../live/client';
import { knownFleet, rankedAheadHolds, type KnownFleet, type RankedAhead } from '../live/rank-ahead';
import { liveSortValue, sortByLiveValue, type LiveSortKey } from '../telemetry/live-sort';
import type { LiveKey, LiveMiner } from '../telemetry/types';
import {
  createMinerSchema,
  IDENTITY_MESSAGE,
  isLiveSort,
  minerIdsSchema,
  listMinersQuerySchema,
  mthsToThs,
  NONE,
  updateMinerSchema,
  type D1Sort,
  type ListMinersQuery,
  type LiveSort,
  type MinerSort,
  type MinerStatus,
} from './schema';

export type MinerRow = typeof miners.$inferSelect;

export interface Miner extends MinerRow {
  siteName: string | null;
  customerName: string | null;
  /** The site's SiteState shard count (src/live/shard.ts); 1 without a site. */
  liveShards: number;
}

export interface MinerWithLive extends Miner {
  /** Null when the site's agent has never reported this unit (pages show "No data"). */
  live: LiveMiner | null;
}

/** Where live state comes from: the SiteState Durable Objects (src/live/client.ts); a tolerant source degrades per site. */
export type { LiveSource } from '../live/client';

export function minerColumns() {
  return {
    id: miners.id,
    hostId: miners.hostId,
    siteId: miners.siteId,
    customerId: miners.customerId,
    serial: miners.serial,
    mac: miners.mac,
    ip: miners.ip,
    vendor: miners.vendor,
    model: miners.model,
    firmware: miners.firmware,
    nominalHashrateMths: miners.nominalHashrateMths,
    nominalPowerW: miners.nominalPowerW,
    rackLocation: miners.rackLocation,
    status: miners.status,
    ownerPoolUrl: miners.ownerPoolUrl,
    ownerPoolUser: miners.ownerPoolUser,
    createdAt: miners.createdAt,
    updatedAt: miners.updatedAt,
    // Aliased: D1 returns rows keyed by column name, and two columns called "name" would collide
    // (drizzle maps db.batch() results by position from those keys).
    siteName: sql<string | null>`${sites.name}`.as('site_name'),
    customerName: sql<string | null>`${customers.name}`.as('customer_name'),
    /** The site's SiteState shard count (src/live/shard.ts): live reads reach every shard. */
    liveShards: sql<number>`coalesce(${sites.liveShards}, 1)`.as('live_shards'),
  };
}

/** Miners with their site's and customer's names (joined within the same host). */
function selectMiners(db: Db) {
  return db
    .select(minerColumns())
    .from(miners)
    .leftJoin(sites, and(eq(sites.id, miners.siteId), eq(sites.hostId, miners.hostId)))
    .leftJoin(customers, and(eq(customers.id, miners.customerId), eq(customers.hostId, miners.hostId)));
}


/** A unit outside the member's site scope (src/team/scope.ts) is not found, like another host's. */
export async function getMiner(db: Db, hostId: string, minerId: string, siteScope?: SiteScope): Promise<Miner> {
  const row = await selectMiners(db)
    .where(and(eq(miners.hostId, hostId), eq(miners.id, minerId), inSiteScope(miners.siteId, siteScope)))
    .get();
  if (!row) throw notFound('Unit');
  return row;
}

export async function getMinerWithLive(db: Db, live: LiveSource, hostId: string, minerId: string, siteScope?: SiteScope): Promise<MinerWithLive> {
  const miner = await getMiner(db, hostId, minerId, siteScope);
  const states = await readLive(live, [miner]);
  return { ...miner, live: states.get(miner.id) ?? null };
}

async function withLive(live: LiveSource, rows: Miner[]): Promise<MinerWithLive[]> {
  const states = rows.length ? await readLive(live, rows) : new Map<string, LiveMiner>();
  return rows.map((row) => ({ ...row, live: states.get(row.id) ?? null }));
}

// ---------------------------------------------------------------------------------------------
// Lists: search, filters, D1 sorts with keyset pagination, live sorts in memory.

export const DEFAULT_PAGE_SIZE = 50;

export interface MinerPage {
  items: MinerWithLive[];
  total: number;
  nextCursor: string | null;
  prevCursor: string | null;
}

/** Which units a list may show: all, or only those free to assign (staged/unassigned, no customer). */
export type MinerScope = 'all' | 'assignable';

/** The WHERE of a unit list: host scope, free-text search and filters. */
export function minerFilters(hostId: string, query: Omit<ListMinersQuery, 'sort' | 'limit' | 'cursor' | 'before'>, scope: MinerScope = 'all', siteScope?: SiteScope): SQL[] {
  const filters: SQL[] = [eq(miners.hostId, hostId)];
  const inScope = inSiteScope(miners.siteId, siteScope);
  if (inScope) filters.push(inScope);
  if (query.q) {
    // instr(), not LIKE: no wildcards to escape, and D1 caps LIKE patterns at 50 bytes.
    const needle = query.q.toLowerCase();
    const macNeedle = needle.replace(/-/g, ':');
    filters.push(
      or(
        sql`instr(lower(coalesce(${miners.serial}, '') || char(31) || coalesce(${miners.ip}, '') || char(31) || coalesce(${miners.model}, '') || char(31) || coalesce(${miners.rackLocation}, '')), ${needle}) > 0`,
        sql`instr(coalesce(${miners.mac}, ''), ${macNeedle}) > 0`,
      )!,
    );
  }
  if (query.site) filters.push(query.site === NONE ? isNull(miners.siteId) : eq(miners.siteId, query.site));
  if (query.status) filters.push(eq(miners.status, query.status));
  if (query.model) filters.push(eq(miners.model, query.model));
  if (query.customer) filters.push(query.customer === NONE ? isNull(miners.customerId) : eq(miners.customerId, query.customer));
  if (query.power === 'missing') filters.push(withoutPowerDataFilter(hostId));
  if (scope === 'assignable') {
    filters.push(inArray(miners.status, ['staged', 'unassigned']), isNull(miners.customerId));
  }
  return filters;
}

/** The D1 sort's key as SQL (read back as a column, so cursors use SQLite's own lower()). */
function d1SortKey(sort: D1Sort): SQL {
  if (sort.endsWith('serial')) return sql`lower(coalesce(${miners.serial}, ${miners.mac}, ''))`;
  if (sort.endsWith('model')) return sql`lower(coalesce(${miners.model}, ''))`;
  return sql`${miners.createdAt}`;
}

/** An Equipment live sort as the live sort it is (`-hashrate` is hashrate, descending). */
const liveSortKey = (sort: LiveSort) => sort.replace(/^-/, '') as LiveSortKey;

/** Ties keep the serial order the rows arrived in. */
const sortByLive = <T extends { id: string }>(rows: T[], states: ReadonlyMap<string, LiveKey>, sort: LiveSort): T[] =>
  sortByLiveValue(rows, states, (live) => liveSortValue(liveSortKey(sort), live), sort.startsWith('-'));

export async function listMiners(db: Db, live: LiveSource, hostId: string, rawQuery: unknown, scope: MinerScope = 'all', siteScope?: SiteScope): Promise<MinerPage> {
  const plan = listPlan(db, hostId, parseInput(listMinersQuerySchema, rawQuery), scope, siteScope);
  return plan.finish(await db.batch(plan.queries), live);
}

/**
 * The Equipment page's first D1 reads, unexecuted: the list's first batch plus the filter
 * choices (sites, models, customers holding units). Reading them gives the function that
 * finishes the page (live state, and for a live sort the page's rows). They travel with the
 * session check (src/routes/admin-equipment.tsx), so a D1-sorted page is one round trip in all.
 */
function equipmentPageReads(db: Db, hostId: string, rawQuery: unknown, siteScope?: SiteScope): EquipmentPageReads {
  return pageReadsOf(db, hostId, parseInput(listMinersQuerySchema, rawQuery), siteScope, null);
}

type EquipmentPageReads = BatchReads<(live: LiveSource) => Promise<{ page: MinerPage; options: EquipmentFilterOptions }>>;

/**
 * equipmentPageReads for the session check's batch (the host's whole list, no site scope): a live
 * sort of the whole host asks the sites' objects first (src/live/rank-ahead.ts), so the page's
 * rows travel in that batch as well.
 */
export async function equipmentPageReadsRankedAhead(db: Db, live: LiveSource, hostId: string, rawQuery: unknown): Promise<EquipmentPageReads> {
  const query = parseInput(listMinersQuerySchema, rawQuery);
  const sort: MinerSort = query.sort ?? 'serial';
  const liveSort = isLiveSort(sort) && minerFilters(hostId, query).length === 1 ? sort : null;
  const known = liveSort && knownFleet(staffFleetScope(hostId));
  return pageReadsOf(db, hostId, query, undefined, liveSort && known ? { known, read: await rankHost(live, known, liveSortRequest(liveSort, query)) } : null);
}

function pageReadsOf(db: Db, hostId: string, query: ListMinersQuery, siteScope: SiteScope | undefined, ahead: RankedAhead | null): EquipmentPageReads {
  const plan = listPlan(db, hostId, query, 'all', siteScope, ahead);
  const choices = filterChoices(db, hostId, query.customer, siteScope);
  return {
    queries: [...plan.queries, choices],
    read: (results) => {
      const listRows = results.slice(0, plan.queries.length);
      const choiceRows = results[plan.queries.length] as FilterChoiceRows;
      return async (live) => ({ page: await plan.finish(listRows, live), options: toFilterOptions(choiceRows) });
    },
  };
}

/** listMiners plus the filter choices, in one batch (equipmentPageReads) when not prefetched. */
export async function listMinersWithOptions(db: Db, live: LiveSource, hostId: string, rawQuery: unknown, siteScope?: SiteScope) {
  const reads = equipmentPageReads(db, hostId, rawQuery, siteScope);
  return reads.read(await db.batch(reads.queries))(live);
}

/** A list's first D1 batch, and how to finish the page from its rows. */
interface ListPlan {
  queries: readonly [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];
  finish(results: readonly unknown[], live: LiveSource): Promise<MinerPage>;
}

function listPlan(db: Db, hostId: string, query: ListMinersQuery, scope: MinerScope, siteScope?: SiteScope, ahead: RankedAhead | null = null): ListPlan {
  const sort: MinerSort = query.sort ?? 'serial';
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const filters = minerFilters(hostId, query, scope, siteScope);
  // Only the host's own scope (minerFilters' first): the list's reads are prepared once (`preparedSelect`).
  const wholeHost = filters.length === 1 ? hostId : null;
  return isLiveSort(sort) ? liveSortPlan(db, hostId, filters, sort, query, wholeHost, ahead) : d1SortPlan(db, filters, sort, limit, query, wholeHost);
}

/** D1 sorts: the page and the filtered total in one batch, keyset-paged; then the page's live state. */
function d1SortPlan(db: Db, filters: SQL[], sort: D1Sort, limit: number, query: ListMinersQuery, wholeHost: string | null): ListPlan {
  const key = d1SortKey(sort);
  const descending = sort.startsWith('-');
  const goingBack = query.before !== undefined;
  const cursorText = query.before ?? query.cursor;
  const decoded = cursorText ? decodeListCursor(cursorText, goingBack ? 'before' : 'cursor') : null;
  const keyset = decoded?.kind === 'keyset' ? decoded : null;
  const readDescending = descending !== goingBack;
  const pageFilters = [...filters];
  if (keyset) {
    pageFilters.push(
      readDescending
        ? sql`(${key} < ${keyset.value} OR (${key} = ${keyset.value} AND ${miners.id} < ${keyset.id}))`
        : sql`(${key} > ${keyset.value} OR (${key} = ${keyset.value} AND ${miners.id} > ${keyset.id}))`,
    );
  }
  const order = readDescending ? [desc(key), desc(miners.id)] : [asc(key), asc(miners.id)];
  const pageQuery =
    wholeHost !== null && !keyset
      ? firstPagePrepared(sort, readDescending)(db, { hostId: wholeHost, limit: limit + 1 })
      : d1Page(db, key, and(...pageFilters), order).limit(limit + 1);
  const totalQuery = wholeHost !== null ? hostTotalPrepared(db, { hostId: wholeHost }) : d1Total(db, and(...filters));
  return {
    queries: [pageQuery, totalQuery],
    async finish(results, live) {
      const [rows, totals] = results as [Awaited<typeof pageQuery>, Awaited<typeof totalQuery>];
      // The key as SQLite computed it (its lower() is not JavaScript's), so cursors compare alike.
      const { page, nextCursor, prevCursor } = keysetPage(rows, limit, { goingBack, fromCursor: keyset !== null }, (row) =>
        encodeCursor([row.sortKey, row.id]),
      );
      return { items: await withLive(live, page.map(({ sortKey: _key, ...row }) => row)), total: totals[0]?.total ?? 0, nextCursor, prevCursor };
    },
  };
}

/** A D1-sorted page's rows (with their sort key as SQLite computes it), before its limit. */
const d1Page = (db: Db, key: SQL, where: SQL | undefined, order: SQL[]) =>
  db
    .select({ ...minerColumns(), sortKey: sql<string | number>`${key}`.as('sort_key') })
    .from(miners)
    .leftJoin(sites, and(eq(sites.id, miners.siteId), eq(sites.hostId, miners.hostId)))
    .leftJoin(customers, and(eq(customers.id, miners.customerId), eq(customers.hostId, miners.hostId)))
    .where(where)
    .orderBy(...order);

const d1Total = (db: Db, where: SQL | undefined) => db.select({ total: count() }).from(miners).where(where);

// A whole host's list (no filter, no cursor), prepared once per sort and direction.
const firstPages = new Map<string, ReturnType<typeof preparedFirstPage>>();
const preparedFirstPage = (sort: D1Sort, descending: boolean) =>
  preparedSelect((db) => {
    const key = d1SortKey(sort);
    const order = descending ? [desc(key), desc(miners.id)] : [asc(key), asc(miners.id)];
    return d1Page(db, key, eq(miners.hostId, sql.placeholder('hostId')), order).limit(sql.placeholder('limit'));
  });
function firstPagePrepared(sort: D1Sort, descending: boolean) {
  const name = `${sort}|${descending}`;
  let prepared = firstPages.get(name);
  if (!prepared) firstPages.set(name, (prepared = preparedFirstPage(sort, descending)));
  return prepared;
}
const hostTotalPrepared = preparedSelect((db) => d1Total(db, eq(miners.hostId, sql.placeholder('hostId'))));

/**
 * Live sorts. A whole host's list (no filter): one D1 read (the count, D1's newest change to the
 * units, the host's sites), then each site's objects answer the page from their own registries
 * (`readRankedPage`: no candidate ids sent), then the page's rows from D1, still scoped by host,
 * so a registry behind D1 can only show fewer rows, never another host's. A page reaching past
 * the units with a value (never reported, or without a site), and every filtered list, reads the
 * filtered set's ids from D1 and each site's object sorts them (SiteState.sortedPage), then the
 * page's rows. Cursors carry an offset into that order.
 */
function liveSortPlan(db: Db, hostId: string, filters: SQL[], sort: LiveSort, query: ListMinersQuery, wholeHost: string | null, ahead: RankedAhead | null): ListPlan {
  const request = liveSortRequest(sort, query);
  const { offset, limit } = request;
  const pageRows = (ids: string[]) => minersByIdPrepared(db, { hostId, ids: JSON.stringify(ids) });
  const pageOf = async (ids: string[], states: ReadonlyMap<string, LiveMiner>, total: number, read?: Miner[]): Promise<MinerPage> => {
    const rows = read ?? (ids.length ? await pageRows(ids) : []);
    const items = inIdOrder(ids, rows).map((row) => ({ ...row, live: states.get(row.id) ?? null }));
    return {
      items,
      total,
      nextCursor: offset + limit < total ? encodeOffsetCursor(offset + limit) : null,
      prevCursor: offset > 0 ? encodeOffsetCursor(Math.max(0, offset - limit)) : null,
    };
  };
  // Every matching unit's key, in serial order (ties in the live value keep it), as JSON rows (5,000 keys a row).
  const candidates = async (live: LiveSource, keysRows: Awaited<ReturnType<typeof hostKeysPrepared>>) => {
    const keys = unitKeysOf(keysRows);
    const sorted = await readSortedPage(live, keys, { ...request, status: null, totals: false });
    return pageOf(sorted.ids, sorted.live, keys.length);
  };
  if (wholeHost !== null) {
    const fleetQuery = hostFleetPrepared(db, { hostId: wholeHost });
    // Ranked before this batch (equipmentPageReadsRankedAhead): the page's rows come with it.
    const aheadRows = ahead && ahead.read.ids.length > 0 ? pageRows(ahead.read.ids) : null;
    return {
      queries: aheadRows ? [fleetQuery, aheadRows] : [fleetQuery],
      async finish(results, live) {
        const fleet = (results as [Awaited<typeof fleetQuery>])[0][0]!;
        const sites = (JSON.parse(fleet.sites) as [string, number][]).map(([siteId, liveShards]) => ({ siteId, liveShards }));
        const known = { sitesKey: fleet.sites, sites, unitsVersion: fleet.unitsVersion };
        const held = rankedAheadHolds(staffFleetScope(wholeHost), ahead, known);
        const ranked = held ? ahead.read : await rankHost(live, known, request);
        if (withinRanked(ranked, offset, limit, fleet.total)) return pageOf(ranked.ids, ranked.live, fleet.total, held ? (results[1] as Miner[] | undefined) : undefined);
        return candidates(live, await hostKeysPrepared(db, { hostId: wholeHost }));
      },
    };
  }
  const keysQuery = unitKeysQuery(db, and(...filters));
  return {
    queries: [keysQuery],
    finish: (results, live) => candidates(live, (results as [Awaited<typeof keysQuery>])[0]),
  };
}

/** A live sort's page as the objects are asked for it: the sort, and the page the cursor points at. */
function liveSortRequest(sort: LiveSort, query: ListMinersQuery) {
  const cursorText = query.cursor ?? query.before;
  const decoded = cursorText ? decodeListCursor(cursorText, query.cursor ? 'cursor' : 'before') : null;
  const offset = decoded?.kind === 'offset' ? decoded.offset : 0;
  return { sort: liveSortKey(sort), descending: sort.startsWith('-'), offset, limit: query.limit ?? DEFAULT_PAGE_SIZE };
}

/** A whole host's live sort, answered by its sites' objects from their registries (`readRankedPage`). */
const rankHost = (live: LiveSource, fleet: KnownFleet, request: ReturnType<typeof liveSortRequest>) =>
  readRankedPage(live, fleet.sites, { ...request, unitsVersion: fleet.unitsVersion, customerId: null, list: 'serial', totals: false });

/** A host's staff list, as rank-ahead.ts remembers it. */
const staffFleetScope = (hostId: string) => `staff:${hostId}`;

/** Every unit matching the filters, in the list's order, with live state (for the CSV export). */
export async function listAllMiners(db: Db, live: LiveSource, hostId: string, rawQuery: unknown, siteScope?: SiteScope): Promise<MinerWithLive[]> {
  const { cursor: _c, before: _b, limit: _l, ...query } = parseInput(listMinersQuerySchema, rawQuery);
  const sort: MinerSort = query.sort ?? 'serial';
  const d1Sort: D1Sort = isLiveSort(sort) ? 'serial' : sort;
  const key = d1SortKey(d1Sort);
  const rows = await selectMiners(db)
    .where(and(...minerFilters(hostId, query, 'all', siteScope)))
    .orderBy(...(d1Sort.startsWith('-') ? [desc(key), desc(miners.id)] : [asc(key), asc(miners.id)]))
    .all();
  const states = rows.length ? await readLive(live, rows) : new Map<string, LiveMiner>();
  const ordered = isLiveSort(sort) ? sortByLive(rows, states, sort) : rows;
  return ordered.map((row) => ({ ...row, live: states.get(row.id) ?? null }));
}

/** Distinct models in the host's inventory (of the member's sites, when scoped), for the model filter. */
const modelOptionsQuery = (db: Db, hostId: string | SQLWrapper, siteScope?: SiteScope) =>
  db
    .selectDistinct({ model: miners.model })
    .from(miners)
    .where(and(eq(miners.hostId, hostId), sql`${miners.model} IS NOT NULL`, inSiteScope(miners.siteId, siteScope)))
    .orderBy(asc(sql`lower(${miners.model})`))
    .limit(500);

export async function modelOptions(db: Db, hostId: string): Promise<string[]> {
  return (await modelOptionsQuery(db, hostId)).map((row) => row.model!);
}

/** The keys of every unit matching `where`, in serial order. */
const unitKeysQuery = (db: Db, where: SQL | undefined) => sortCandidatesQuery(db, where, [asc(d1SortKey('serial')), asc(miners.id)]);
/** A live-sorted page's rows: the host's units among `ids` (a JSON array, `inIds`), each looked up by id. */
const minersByIdPrepared = preparedSelect((db) =>
  selectMiners(db).where(and(unindexedEq(miners.hostId, sql.placeholder('hostId')), inJsonIds(miners.id, sql.placeholder('ids')))),
);
const hostKeysPrepared = preparedSelect((db) => unitKeysQuery(db, eq(miners.hostId, sql.placeholder('hostId'))));
/**
 * A whole host's live sort's one D1 read: its units counted, D1's newest change to them
 * (`miners_host_updated_idx`: the objects' registry freshness), and its sites with their shard
 * counts as one JSON array.
 */
const hostFleetPrepared = preparedSelect((db) =>
  db
    .select({
      total: count(),
      unitsVersion: hostUnitsVersion().as('units_version'),
      sites: sql<string>`(SELECT json_group_array(json_array(s.id, coalesce(s.live_shards, 1))) FROM sites s WHERE s.host_id = ${sql.placeholder('hostId')})`.as('host_sites'),
    })
    .from(miners)
    .where(eq(miners.hostId, sql.placeholder('hostId'))),
);

/** Customers that hold units (and the one already chosen), for the customer filter. */
const customerFilterOptionsQuery = (db: Db, hostId: string | SQLWrapper, selected?: string, siteScope?: SiteScope) =>
  db
    .select({ id: customers.id, name: customers.name })
    .from(customers)
    .where(
      and(
        eq(customers.hostId, hostId),
        or(
          // A member limited to some sites is offered the customers holding units there (src/team/scope.ts).
          sql`EXISTS (SELECT 1 FROM miners m WHERE m.customer_id = "customers"."id"${siteScope ? sql` AND ${inSiteScope(sql`m.site_id`, siteScope)}` : sql``})`,
          selected ? and(eq(customers.id, selected), customerInSiteScope(sql`"customers"."id"`, siteScope)) : undefined,
        ),
      ),
    )
    .orderBy(asc(customers.sortName), asc(customers.id))
    .limit(500);

/** The Equipment list's filter choices (site, model, customer). */
export interface EquipmentFilterOptions {
  sites: { id: string; name: string }[];
  models: string[];
  customers: { id: string; name: string }[];
  /** Units without power data (no nominal power, no measured power), flagged above the list. */
  withoutPowerData: number;
}

/**
 * The filter choices as one statement: each list a JSON array read from its own query, in that
 * query's order (an ordered subquery under an aggregate is not flattened, so the array keeps it),
 * and the count of units without power data; for a member limited to some sites, all of it over
 * those sites' units. Sent as four statements, they cost four times D1's work per statement on
 * every Equipment view (bench/README.md, "Where a fleet page's time goes"). Read from the
 * host's row, which every signed-in host has.
 * @see https://www.sqlite.org/optoverview.html#flattening (rule 16)
 */
const filterChoicesQuery = (db: Db, hostId: string | SQLWrapper, recentSince: number | SQLWrapper, selectedCustomer?: string, siteScope?: SiteScope) =>
  db
    .select({
      sites: sql<string>`(SELECT json_group_array(json_array("id", "name")) FROM ${siteOptionsQuery(db, hostId, siteScope)})`.as('site_choices'),
      models: sql<string>`(SELECT json_group_array("model") FROM ${modelOptionsQuery(db, hostId, siteScope)})`.as('model_choices'),
      customers: sql<string>`(SELECT json_group_array(json_array("id", "name")) FROM ${customerFilterOptionsQuery(db, hostId, selectedCustomer, siteScope)})`.as('customer_choices'),
      withoutPowerData: sql<number>`(SELECT count(*) FROM ${miners} WHERE ${and(withoutPowerDataFilter(hostId, recentSince), inSiteScope(miners.siteId, siteScope))})`.as('without_power_data'),
    })
    .from(hosts)
    .where(eq(hosts.id, hostId));

/** The filter choices of every Equipment view of a whole host, prepared once (`preparedSelect`). */
const hostFilterChoicesPrepared = preparedSelect((db) => filterChoicesQuery(db, sql.placeholder('hostId'), sql.placeholder('recentSince')));

/** The filter-choice statement, unexecuted: `listMiners` sends it in the page's own batch. */
const filterChoices = (db: Db, hostId: string, selectedCustomer?: string, siteScope?: SiteScope) =>
  (siteScope === null || siteScope === undefined) && !selectedCustomer
    ? hostFilterChoicesPrepared(db, { hostId, recentSince: recentMeasuredSince() })
    : filterChoicesQuery(db, hostId, recentMeasuredSince(), selectedCustomer, siteScope);

type FilterChoiceRows = Awaited<ReturnType<typeof filterChoicesQuery>>;

const pairsOf = (json: string | undefined) => (JSON.parse(json ?? '[]') as [string, string][]).map(([id, name]) => ({ id, name }));

const toFilterOptions = ([row]: FilterChoiceRows): EquipmentFilterOptions => ({
  sites: pairsOf(row?.sites),
  models: JSON.parse(row?.models ?? '[]') as string[],
  customers: pairsOf(row?.customers),
  withoutPowerData: row?.withoutPowerData ?? 0,
});

// ---------------------------------------------------------------------------------------------
// Create and update (each write and its activity entry in one db.batch).

/** API/form field → column. */
const FIELD_COLUMNS = {
  serial: 'serial',
  mac: 'mac',
  ip: 'ip',
  vendor: 'vendor',
  model: 'model',
  firmware: 'firmware',
  nominal_hashrate_ths: 'nominalHashrateMths',
  nominal_power_w: 'nominalPowerW',
  site_id: 'siteId',
  rack_location: 'rackLocation',
  status: 'status',
} as const;
type FieldName = keyof typeof FIELD_COLUMNS;
const FIELD_NAMES = Object.keys(FIELD_COLUMNS) as FieldName[];

function toColumns(input: Partial<Record<FieldName, unknown>>): Partial<MinerRow> {
  const values: Partial<Record<keyof MinerRow, unknown>> = {};
  for (const field of FIELD_NAMES) {
    if (input[field] !== undefined) values[FIELD_COLUMNS[field]] = input[field];
  }
  return values as Partial<MinerRow>;
}

/**
 * Changes as the Activity tab shows them: hashrate in TH/s, the site by name. `_miner_id` ties
 * the entry to the unit (its detail page finds its history by it) and is not shown as a change.
 */
function minerChanges(before: Partial<MinerRow>, after: Partial<MinerRow>, siteNames: Map<string, string>, minerId: string): Changes {
  const byColumn = diffFields(before as Record<string, unknown>, after as Record<string, unknown>, Object.values(FIELD_COLUMNS));
  const show = (column: keyof MinerRow, value: unknown) => {
    if (value === null || value === undefined) return null;
    if (column === 'nominalHashrateMths') return `${mthsToThs(value as number)} TH/s`;
    if (column === 'siteId') return siteNames.get(value as string) ?? value;
    return value;
  };
  const changes: Changes = {};
  for (const field of FIELD_NAMES) {
    const column = FIELD_COLUMNS[field];
    const change = byColumn[column];
    if (change) changes[field === 'site_id' ? 'site' : field] = [show(column, change[0]), show(column, change[1])];
  }
  if (Object.keys(changes).length > 0) changes._miner_id = [minerId, minerId];
  return changes;
}

async function siteNamesOf(db: Db, hostId: string, ids: (string | null | undefined)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => !!id))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select({ id: sites.id, name: sites.name })
    .from(sites)
    .where(and(eq(sites.hostId, hostId), inIds(sites.id, wanted)))
    .all();
  return new Map(rows.map((row) => [row.id, row.name]));
}

/** Duplicates of MAC or serial among the host's other units, as field errors. */
async function duplicateErrors(db: Db, hostId: string, values: { mac?: string | null; serial?: string | null }, exceptId?: string): Promise<Record<string, string>> {
  const checks: SQL[] = [];
  if (values.mac) checks.push(eq(miners.mac, values.mac));
  if (values.serial) checks.push(eq(miners.serial, values.serial));
  if (checks.length === 0) return {};
  const rows = await db
    .select({ id: miners.id, mac: miners.mac, serial: miners.serial })
    .from(miners)
    .where(and(eq(miners.hostId, hostId), or(...checks), exceptId ? sql`${miners.id} <> ${exceptId}` : undefined))
    .all();
  const errors: Record<string, string> = {};
  for (const row of rows) {
    if (values.mac && row.mac === values.mac) errors.mac = `Another unit (${unitIdent(row)}) already has this MAC address.`;
    if (values.serial && row.serial === values.serial) errors.serial = 'Another unit already has this serial number.';
  }
  return errors;
}

async function requireSite(db: Db, hostId: string, siteId: string | null | undefined, names: Map<string, string>) {
  if (siteId && !names.has(siteId)) throw new ValidationError({ site_id: 'Choose a site from the list.' });
}

export async function createMiner(db: Db, hostId: string, actor: Actor, raw: unknown): Promise<Miner> {
  const input = parseInput(createMinerSchema, raw);
  const names = await siteNamesOf(db, hostId, [input.site_id]);
  await requireSite(db, hostId, input.site_id, names);
  const duplicates = await duplicateErrors(db, hostId, input);
  if (Object.keys(duplicates).length > 0) throw new ValidationError(duplicates);
  const now = Date.now();
  const id = newId();
  // A unit added without nominal specs gets them from the host's models or the catalogue.
  const values = fillNominal({ ...toColumns(input), status: input.status ?? ('staged' as const) }, await hostModelEntries(db, hostId));
  const created: Changes = {};
  for (const [field, change] of Object.entries(minerChanges({}, values, names, id))) {
    if (change[1] !== null) created[field] = change;
  }
  try {
    await db.batch([
      db.insert(miners).values({ ...(values as typeof miners.$inferInsert), id, hostId, customerId: null, createdAt: now, updatedAt: now }),
      activityInsert(db, hostId, actor, 'miner.created', null, created, now),
      ...growLiveShards(db, hostId, [values.siteId]),
    ]);
  } catch (error) {
    // Someone added the same MAC or serial meanwhile: the unique indexes settle it.
    if (String(error).includes('UNIQUE')) throw new ValidationError(await duplicateErrors(db, hostId, input));
    throw error;
  }
  return getMiner(db, hostId, id);
}

/**
 * PATCH semantics (the edit form sends every field). An assigned unit keeps its status: it
 * changes only through assign/unassign, which record it in the customer's Activity.
 */
export async function updateMiner(db: Db, hostId: string, actor: Actor, minerId: string, raw: unknown): Promise<Miner> {
  const input = parseInput(updateMinerSchema, raw);
  const existing = await getMiner(db, hostId, minerId);
  if (input.status !== undefined && existing.status === 'assigned') {
    throw new ValidationError({ status: `This unit is assigned to ${existing.customerName ?? 'a customer'}: unassign it from the customer’s Equipment tab first.` });
  }
  const serial = input.serial !== undefined ? input.serial : existing.serial;
  const mac = input.mac !== undefined ? input.mac : existing.mac;
  if (!serial && !mac) throw new ValidationError({ serial: IDENTITY_MESSAGE });
  const names = await siteNamesOf(db, hostId, [input.site_id, existing.siteId]);
  await requireSite(db, hostId, input.site_id, names);
  const values = toColumns(input);
  const changes = minerChanges(existing, values, names, minerId);
  if (Object.keys(changes).length === 0) return existing;
  const duplicates = await duplicateErrors(db, hostId, { mac: values.mac, serial: values.serial }, minerId);
  if (Object.keys(duplicates).length > 0) throw new ValidationError(duplicates);
  const now = Date.now();
  try {
    const [updated] = await db.batch([
      db
        .update(miners)
        .set({ ...values, updatedAt: now })
        .where(
          and(
            eq(miners.hostId, hostId),
            eq(miners.id, minerId),
            // The status we checked against must still hold (an assignment may land meanwhile).
            values.status !== undefined ? sql`${miners.status} <> 'assigned'` : undefined,
          ),
        )
        .returning({ id: miners.id }),
      activityInsertIfChanged(db, hostId, actor, 'miner.updated', existing.customerId, changes, now),
      // Moved to a site (or back from retired): the site may need another shard.
      ...growLiveShards(db, hostId, values.siteId !== undefined || values.status !== undefined ? [values.siteId ?? existing.siteId] : []),
    ]);
    if (updated.length === 0) throw new AppError('conflict', 'This unit was assigned meanwhile; reload the page and try again.');
  } catch (error) {
    if (String(error).includes('UNIQUE')) throw new ValidationError(await duplicateErrors(db, hostId, { mac: values.mac, serial: values.serial }, minerId));
    throw error;
  }
  return getMiner(db, hostId, minerId);
}

export interface MinerActivityEntry {
  id: string;
  actorKind: string;
  actorLabel: string;
  action: string;
  changes: Changes | null;
  createdAt: number;
}

/**
 * The unit's history, newest first: activity entries that carry its id. A scan of the host's
 * entries (no per-unit index in activity_log), bounded to the 50 newest matches.
 */
export async function listMinerActivity(db: Db, hostId: string, minerId: string): Promise<MinerActivityEntry[]> {
  const rows = await db
    .select({
      id: activityLog.id,
      actorKind: activityLog.actorKind,
      actorLabel: activityLog.actorLabel,
      action: activityLog.action,
      changes: activityLog.changes,
      createdAt: activityLog.createdAt,
    })
    .from(activityLog)
    .where(and(eq(activityLog.hostId, hostId), sql`instr(${activityLog.changes}, ${JSON.stringify(minerId)}) > 0`))
    .orderBy(desc(sql`${activityLog}.rowid`))
    .limit(50)
    .all();
  return rows.map((row) => ({ ...row, changes: row.changes ? (JSON.parse(row.changes) as Changes) : null }));
}

// ---------------------------------------------------------------------------------------------
// Assigning equipment to customers.

export type AssignFailure = 'not_found' | 'already_assigned' | 'assigned_elsewhere' | 'retired' | 'not_assigned_here' | 'changed';

export const ASSIGN_FAILURE_TEXT: Record<AssignFailure, string> = {
  not_found: 'no such unit',
  already_assigned: 'already assigned to this customer',
  assigned_elsewhere: 'assigned to another customer',
  retired: 'retired',
  not_assigned_here: 'not assigned to this customer',
  changed: 'changed by someone else at the same time',
};

export interface AssignmentResult {
  /** Units whose assignment changed, in the order asked. */
  changed: { id: string; label: string }[];
  failed: { id: string; label: string | null; reason: AssignFailure; message: string }[];
}

interface Candidate {
  id: string;
  serial: string | null;
  mac: string | null;
  model: string | null;
  status: MinerStatus;
  customerId: string | null;
}

async function candidatesOf(db: Db, hostId: string, ids: string[]): Promise<Map<string, Candidate>> {
  const rows = await db
    .select({ id: miners.id, serial: miners.serial, mac: miners.mac, model: miners.model, status: miners.status, customerId: miners.customerId })
    .from(miners)
    .where(and(eq(miners.hostId, hostId), inIds(miners.id, ids)))
    .all();
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Assigns units to a customer. Each unit is one guarded UPDATE — it changes only while the unit
 * is staged or unassigned and has no customer — followed by its activity entry, written only if
 * that UPDATE changed a row; all in one db.batch. So two people assigning the same unit to two
 * customers at once cannot both win (D1 runs statements one at a time), and the loser is told
 * which units it could not assign. The guard, not the form, is what enforces one customer per unit.
 */
export async function assignEquipment(db: Db, hostId: string, actor: Actor, customerId: string, raw: unknown): Promise<AssignmentResult> {
  const { miner_ids: ids } = parseInput(minerIdsSchema, raw);
  const customer = await getCustomer(db, hostId, customerId);
  const found = await candidatesOf(db, hostId, ids);
  const now = Date.now();
  const result: AssignmentResult = { changed: [], failed: [] };
  const attempts: Candidate[] = [];
  const statements = [];
  for (const id of ids) {
    const row = found.get(id);
    if (!row) {
      result.failed.push({ id, label: null, reason: 'not_found', message: ASSIGN_FAILURE_TEXT.not_found });
      continue;
    }
    attempts.push(row);
    statements.push(
      db
        .update(miners)
        .set({ status: 'assigned', customerId: customer.id, updatedAt: now })
        .where(and(eq(miners.hostId, hostId), eq(miners.id, id), inArray(miners.status, ['staged', 'unassigned']), isNull(miners.customerId)))
        .returning({ id: miners.id }),
      activityInsertIfChanged(
        db,
        hostId,
        actor,
        'equipment.assigned',
        customer.id,
        { unit: [null, unitLabel(row)], status: [row.status, 'assigned'], _miner_id: [id, id] },
        now,
      ),
    );
  }
  const outcomes = statements.length ? await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]) : [];
  attempts.forEach((row, index) => {
    const updated = outcomes[index * 2] as { id: string }[];
    if (updated.length > 0) {
      result.changed.push({ id: row.id, label: unitLabel(row) });
      return;
    }
    const reason: AssignFailure =
      row.customerId === customer.id ? 'already_assigned' : row.customerId ? 'assigned_elsewhere' : row.status === 'retired' ? 'retired' : 'changed';
    result.failed.push({ id: row.id, label: unitLabel(row), reason, message: ASSIGN_FAILURE_TEXT[reason] });
  });
  return result;
}

/** Returns units to `unassigned`; only units assigned to this customer change (guarded likewise). */
export async function unassignEquipment(db: Db, hostId: string, actor: Actor, customerId: string, raw: unknown): Promise<AssignmentResult> {
  const { miner_ids: ids } = parseInput(minerIdsSchema, raw);
  const customer = await getCustomer(db, hostId, customerId);
  const found = await candidatesOf(db, hostId, ids);
  const now = Date.now();
  const result: AssignmentResult = { changed: [], failed: [] };
  const attempts: Candidate[] = [];
  const statements = [];
  for (const id of ids) {
    const row = found.get(id);
    if (!row) {
      result.failed.push({ id, label: null, reason: 'not_found', message: ASSIGN_FAILURE_TEXT.not_found });
      continue;
    }
    attempts.push(row);
    statements.push(
      db
        .update(miners)
        .set({ status: 'unassigned', customerId: null, updatedAt: now })
        .where(and(eq(miners.hostId, hostId), eq(miners.id, id), eq(miners.customerId, customer.id), eq(miners.status, 'assigned')))
        .returning({ id: miners.id }),
      activityInsertIfChanged(
        db,
        hostId,
        actor,
        'equipment.unassigned',
        customer.id,
        { unit: [unitLabel(row), null], status: ['assigned', 'unassigned'], _miner_id: [id, id] },
        now,
      ),
    );
  }
  const outcomes = statements.length ? await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]) : [];
  attempts.forEach((row, index) => {
    const updated = outcomes[index * 2] as { id: string }[];
    if (updated.length > 0) result.changed.push({ id: row.id, label: unitLabel(row) });
    else result.failed.push({ id: row.id, label: unitLabel(row), reason: 'not_assigned_here', message: ASSIGN_FAILURE_TEXT.not_assigned_here });
  });
  return result;
}
