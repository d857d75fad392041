import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';

/**
 * `column IN (…)` for any number of ids with one bound parameter (a JSON array read by
 * json_each): a D1 statement may bind at most 100 parameters.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export const inIds = (column: SQL | AnySQLiteColumn, ids: readonly string[]): SQL => inJsonIds(column, JSON.stringify(ids));

/** `inIds` with the JSON array as any SQL value: a prepared query's placeholder (src/db/prepared.ts). */
export const inJsonIds = (column: SQL | AnySQLiteColumn, idsJson: string | SQLWrapper): SQL => sql`${column} IN (SELECT value FROM json_each(${idsJson}))`;

/**
 * `column = value` that SQLite may not answer from an index (the unary `+`), for the scope of a
 * read by a list of ids: the plan then looks each id up by primary key, where an indexable scope
 * (a host's or a customer's units) made it walk every unit of the scope and test each against
 * the list (bench/README.md, "Fleet pages without their scans").
 * @see https://www.sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_
 */
export const unindexedEq = (column: AnySQLiteColumn, value: unknown): SQL => sql`+${column} = ${value}`;

/**
 * Rows read by `inIds`/`inJsonIds` (in whatever order SQLite returned them) in the order of
 * `ids`, as a live sort's page names them; an id without a row (outside the reader's scope, or
 * gone) is left out.
 */
export function inIdOrder<T extends { id: string }>(ids: readonly string[], rows: readonly T[]): T[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [row] : [];
  });
}

/**
 * What a live sort sends to each site's object: a unit's id and site, the site's shard count, and,
 * where the site is sharded, the identifiers its shard is hashed from (src/live/shard.ts).
 */
export interface UnitKey {
  id: string;
  siteId: string | null;
  liveShards: number | null;
  mac: string | null;
  serial: string | null;
  ip: string | null;
}

/** The columns of a `ranked` subquery that `unitKeysSelection` packs, `rank` from `rankIn(order)`. */
type RankedUnitKeys = { [K in keyof UnitKey | 'rank']: SQLWrapper };

/**
 * The keys of every unit a list matches, in the list's order, as a few rows each holding a JSON
 * array of up to `UNIT_KEYS_PER_ROW` keys instead of a row per unit: a live sort reads all of them
 * (1,000 or 50,000), and D1's row encoding plus drizzle's per-row mapping cost more than the
 * object's sort (bench/README.md, "Fleet pages: where a request's time goes"). `ranked` selects
 * the `UnitKey` columns (`sortCandidatesQuery` in src/live/client.ts) and `rank` (`rankIn(order)`); the order travels as each unit's rank, not as the
 * aggregate's input order, which SQL does not promise. Group the query by `unitKeysChunk(ranked)`
 * and read it with `unitKeysOf`.
 */
export function unitKeysSelection(ranked: RankedUnitKeys) {
  const key = sql.join([ranked.id, ranked.siteId, ranked.rank, ranked.liveShards, ranked.mac, ranked.serial, ranked.ip], sql`, `);
  return { unitKeys: sql<string>`json_group_array(json_array(${key}))`.as('unit_keys') };
}

/**
 * Keys per row: a row's JSON stays far below D1's 2,000,000-byte limit on a string (about 80 bytes
 * a key, up to ~200 with a sharded site's MAC, serial and IP), so a 50,000-unit site reads in ten rows.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export const UNIT_KEYS_PER_ROW = 5_000;

/** What `unitKeysSelection` groups by: consecutive ranks, `UNIT_KEYS_PER_ROW` to a row. */
export const unitKeysChunk = (ranked: { rank: SQLWrapper }) => sql`(${ranked.rank} - 1) / ${sql.raw(String(UNIT_KEYS_PER_ROW))}`;

/** Each row's place in `order` (1, 2, …), for `unitKeysSelection`. */
export const rankIn = (order: readonly SQL[]) => sql<number>`row_number() OVER (ORDER BY ${sql.join([...order], sql`, `)})`.as('unit_rank');

/** The keys `unitKeysSelection` read (any number of rows), back in the list's order. */
export function unitKeysOf(rows: readonly { unitKeys: string | null }[]): UnitKey[] {
  type Packed = [id: string, siteId: string | null, rank: number, liveShards: number | null, mac: string | null, serial: string | null, ip: string | null];
  const entries = rows.flatMap((row) => JSON.parse(row.unitKeys ?? '[]') as Packed[]);
  entries.sort((a, b) => a[2] - b[2]);
  return entries.map(([id, siteId, , liveShards, mac, serial, ip]) => ({ id, siteId, liveShards, mac, serial, ip }));
}
