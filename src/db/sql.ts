import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';

/**
 * `column IN (…)` for any number of ids with one bound parameter (a JSON array read by
 * json_each): a D1 statement may bind at most 100 parameters.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export const inIds = (column: SQL | AnySQLiteColumn, ids: readonly string[]): SQL =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;

/** A unit's id and site: what a live sort sends to each site's object. */
export interface UnitKey {
  id: string;
  siteId: string | null;
}

/**
 * The keys of every unit a list matches, in the list's order, as a few rows each holding a JSON
 * array of up to `UNIT_KEYS_PER_ROW` keys instead of a row per unit: a live sort reads all of them
 * (1,000 or 50,000), and D1's row encoding plus drizzle's per-row mapping cost more than the
 * object's sort (bench/README.md, "Fleet pages: where a request's time goes"). `ranked` selects
 * `id`, `siteId` and `rank` (`rankIn(order)`); the order travels as each unit's rank, not as the
 * aggregate's input order, which SQL does not promise. Group the query by `unitKeysChunk(ranked)`
 * and read it with `unitKeysOf`.
 */
export function unitKeysSelection(ranked: { id: SQLWrapper; siteId: SQLWrapper; rank: SQLWrapper }) {
  return { unitKeys: sql<string>`json_group_array(json_array(${ranked.id}, ${ranked.siteId}, ${ranked.rank}))`.as('unit_keys') };
}

/**
 * Keys per row: a row's JSON stays far below D1's 2,000,000-byte limit on a string (about 70 bytes
 * a key), so a 50,000-unit site reads in five rows.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export const UNIT_KEYS_PER_ROW = 10_000;

/** What `unitKeysSelection` groups by: consecutive ranks, `UNIT_KEYS_PER_ROW` to a row. */
export const unitKeysChunk = (ranked: { rank: SQLWrapper }) => sql`(${ranked.rank} - 1) / ${sql.raw(String(UNIT_KEYS_PER_ROW))}`;

/** Each row's place in `order` (1, 2, …), for `unitKeysSelection`. */
export const rankIn = (order: readonly SQL[]) => sql<number>`row_number() OVER (ORDER BY ${sql.join([...order], sql`, `)})`.as('unit_rank');

/** The keys `unitKeysSelection` read (any number of rows), back in the list's order. */
export function unitKeysOf(rows: readonly { unitKeys: string | null }[]): UnitKey[] {
  const entries = rows.flatMap((row) => JSON.parse(row.unitKeys ?? '[]') as [string, string | null, number][]);
  entries.sort((a, b) => a[2] - b[2]);
  return entries.map(([id, siteId]) => ({ id, siteId }));
}
