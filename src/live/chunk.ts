/**
 * Rows per bulk D1 statement. Rows travel as one JSON parameter read with json_each, because D1
 * (and a Durable Object's SQL) bind at most 100 parameters per statement; chunking keeps each
 * statement's payload modest.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export const D1_JSON_CHUNK = 500;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Rows per bulk statement on the object's own SQLite. One JSON parameter over SQLite's maximum
 * string length fails with SQLITE_TOOBIG, which a 50,000-unit site reached (the alarm closing
 * every unit's bucket, the registry refresh); 1,000 rows of a few hundred bytes stay far below.
 * @see https://developers.cloudflare.com/durable-objects/platform/limits/
 */
export const SQL_JSON_CHUNK = 1_000;

/** Runs `statement`, whose one parameter is read with json_each, once per chunk of `rows`. */
export function execJsonRows(sql: SqlStorage, statement: string, rows: readonly unknown[]) {
  for (const part of chunk(rows, SQL_JSON_CHUNK)) sql.exec(statement, JSON.stringify(part));
}

/** A table's column names in the object's SQLite: what a `migrate` checks before adding a column to an object created earlier. */
export function tableColumns(sql: SqlStorage, table: string): Set<string> {
  return new Set(sql.exec<{ name: string }>('SELECT name FROM pragma_table_info(?)', table).toArray().map((row) => row.name));
}
