import { sql, type SQL } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';

/**
 * `column IN (…)` for any number of ids with one bound parameter (a JSON array read by
 * json_each): a D1 statement may bind at most 100 parameters.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export const inIds = (column: SQL | AnySQLiteColumn, ids: readonly string[]): SQL =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;
