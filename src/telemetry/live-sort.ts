import type { HistoryPoint, LiveKey, LiveMiner, LiveStatus } from './types';
import type { LiveTotals } from '../live/aggregate';
import type { UnitList } from '../live/unit-order';

/**
 * Live sorts: lists ordered by a live value (hashrate, temperature…). The order is one rule,
 * used inside a site's SiteState (`sortedPage`, which sorts its own miners and answers with one
 * page) and by the Worker (merging several sites' answers, and the CSV export):
 * a missing value (no data) sorts last in either direction; ties keep the order the candidates
 * came in (the list's own order: serial, or site and rack), so a list's own order breaks them.
 */

export type LiveSortKey = 'hashrate' | 'power' | 'temperature' | 'efficiency' | 'uptime' | 'status';

/** Problems first; units never reported (no live state: `unknown`) last, like every live sort's missing values. */
const STATUS_RANK: Record<LiveStatus | 'unknown', number> = { offline: 0, lost: 1, stale: 2, degraded: 3, sleeping: 4, active: 5, unknown: 6 };

/** The value a live sort orders by; null (no data) always sorts last. */
export function liveSortValue(key: LiveSortKey, live: LiveKey | undefined): number | null {
  switch (key) {
    case 'hashrate':
      return live?.hashrateThs ?? null;
    case 'power':
      return live?.powerW ?? null;
    case 'temperature':
      return live?.tempMaxC ?? null;
    case 'efficiency':
      return live?.efficiencyJth ?? null;
    case 'uptime':
      return live?.uptimeS ?? null;
    case 'status':
      return STATUS_RANK[live?.status ?? 'unknown'];
  }
}

/** Orders by value (nulls last, either direction), then by position in the candidate list. */
export function compareSorted(descending: boolean) {
  return (a: { value: number | null; index: number }, b: { value: number | null; index: number }): number => {
    if (a.value !== b.value) {
      if (a.value === null) return 1;
      if (b.value === null) return -1;
      return descending ? b.value - a.value : a.value - b.value;
    }
    return a.index - b.index;
  };
}

/**
 * `entries[offset, offset + limit)` as if sorted by `compare`, which must order every pair (the
 * live sorts break ties by index), so the answer is exactly the full sort's slice. A page near the
 * top keeps only the best `offset + limit` in a sorted array (binary insertion) instead of sorting
 * them all: a first page of 10,000 units was a 4.7 ms sort of every valued one (bench/README.md,
 * "A live sort's page picked, not sorted"). A deep page sorts them all. May reorder `entries`.
 */
export function sortedSlice<T>(entries: T[], compare: (a: T, b: T) => number, offset: number, limit: number): T[] {
  const keep = offset + limit;
  if (keep < 1) return [];
  if (keep * 8 > entries.length) return entries.sort(compare).slice(offset, keep);
  const best: T[] = [];
  for (const entry of entries) {
    if (best.length === keep && compare(entry, best[keep - 1]!) > 0) continue;
    let low = 0;
    let high = best.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compare(best[middle]!, entry) < 0) low = middle + 1;
      else high = middle;
    }
    best.splice(low, 0, entry);
    if (best.length > keep) best.pop();
  }
  return best.slice(offset);
}

/**
 * Rows in the order of a live value, read from each row's live state (for callers that hold
 * every row anyway, like the CSV export).
 */
export function sortByLiveValue<T extends { id: string }>(
  rows: readonly T[],
  states: ReadonlyMap<string, LiveKey>,
  valueOf: (live: LiveKey | undefined) => number | null,
  descending: boolean,
): T[] {
  const keyed = rows.map((row, index) => ({ row, index, value: valueOf(states.get(row.id)) }));
  keyed.sort(compareSorted(descending));
  return keyed.map(({ row }) => row);
}

/** A page of a live-sorted list, asked of one site's SiteState. */
export interface SortedPageRequest {
  /** The candidates (this site's units matching the list's search and filters), in the list's own order. */
  minerIds: string[];
  /** Null keeps the candidates' own order (a status filter on a list in its own order). */
  sort: LiveSortKey | null;
  descending: boolean;
  /** Only units with this live status (`unknown`: never reported); null for all. */
  status: LiveStatus | 'unknown' | null;
  offset: number;
  limit: number;
  /** Also answer the live totals over every candidate (before the status filter). */
  totals: boolean;
}

export interface SortedEntry {
  minerId: string;
  value: number | null;
  /** Position in the request's minerIds: the tie-break, and how the Worker merges sites. */
  index: number;
}

export interface SortedPage {
  /** Candidates matching the status filter. */
  matched: number;
  /** The page, in order: [offset, offset + limit) of the sorted, filtered candidates. */
  entries: SortedEntry[];
  /** Full live state of the page's units that have any. */
  live: LiveMiner[];
  totals: LiveTotals | null;
}

/**
 * The page of a live-sorted list from the candidates' live values (`keyOf`; undefined: never
 * reported), and the page's full live state (`liveOf`, asked for the page's units only). Pure:
 * SiteState.sortedPage runs it over its in-memory state, so only the page crosses the RPC
 * boundary, never every candidate's value.
 */
export function sortedPageOf(
  request: SortedPageRequest,
  keyOf: (minerId: string) => LiveKey | undefined,
  liveOf: (minerId: string) => LiveMiner | undefined,
  totalsOf: (keys: LiveKey[]) => LiveTotals,
): SortedPage {
  const keyed: SortedEntry[] = [];
  const withState: LiveKey[] = [];
  const { status, sort } = request;
  const ids = request.minerIds;
  for (let index = 0; index < ids.length; index++) {
    const minerId = ids[index]!;
    const key = keyOf(minerId);
    if (key) withState.push(key);
    if (status !== null && (key?.status ?? 'unknown') !== status) continue;
    keyed.push({ minerId, index, value: sort === null ? 0 : liveSortValue(sort, key) });
  }
  const page = sortedSlice(keyed, compareSorted(request.descending), request.offset, request.limit);
  return {
    matched: keyed.length,
    entries: page,
    live: page.flatMap(({ minerId }) => liveOf(minerId) ?? []),
    totals: request.totals ? totalsOf(withState) : null,
  };
}

/**
 * A whole fleet's live sort (a host's staff list without filters, or a customer's portal list
 * without search or status filter), asked of one site's SiteState, which answers from its own
 * registry (`SiteState.rankedPage`): no candidate ids cross from D1 to the Worker to the object.
 * The same call carries the fleet's totals, a D1-ordered page's live state and the customer's
 * chart, so a portal Equipment view is one RPC per site shard.
 */
export interface RankedPageRequest {
  /**
   * D1's newest `miners.updated_at` of the host: an object whose registry was read before it
   * re-reads its units from D1 first, so an assignment change shows at once, never minutes later.
   */
  unitsVersion: number;
  /** The portal: this customer's `assigned` units; null: every unit the site holds (staff). */
  customerId: string | null;
  list: UnitList;
  /** Null: no sorted page (totals, live state, chart only). */
  sort: LiveSortKey | null;
  descending: boolean;
  offset: number;
  limit: number;
  /** Also the live totals over the scope's units (retired ones left out: the staff dashboard's whole site). */
  totals: boolean;
  /** Also the live state of these units (a page in D1's own order). */
  liveIds?: string[];
  /** Also the chart since then: the customer's (`customerHistory`), or with no customer the whole site's. */
  historySince?: number;
}

/** A sorted entry with its tie-break key in the list's order (`unit-order.ts`), to merge sites by. */
export interface RankedEntry extends SortedEntry {
  tie: (string | null)[];
}

export interface RankedPage {
  /**
   * Units of the scope with a value for the sort: the sorted list's head. Every other unit (no
   * value, or never reported, which the object cannot know of) sorts after them, so a page within
   * the head is exact, and a page reaching past it is the Worker's to read the old way.
   */
  valued: number;
  /** [offset, offset + limit) of the head, sorted. */
  entries: RankedEntry[];
  /** Live state of the entries and of `liveIds`. */
  live: LiveMiner[];
  totals: LiveTotals | null;
  history: HistoryPoint[] | null;
  /**
   * D1's newest change to the host's units as of the registry this answer came from: a Worker that
   * asked before reading D1 (src/live/rank-ahead.ts) uses the answer only if D1 has nothing newer.
   */
  unitsAsOf: number;
}
