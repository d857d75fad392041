import { fillPlaceholders } from 'drizzle-orm';
import type { SQLiteSelect } from 'drizzle-orm/sqlite-core';
import type { Db } from './client';

/**
 * A query whose SQL is built once per isolate and bound per use: drizzle builds a query's SQL
 * text from its builder on every execution (`_prepare` → `buildSelectQuery`, walking every
 * column and chunk), a large share of a signed-in page's CPU (bench/README.md, "Fleet pages:
 * where a request's time goes"). The queries on every request's path (the session checks, the
 * fleet pages' first reads) are built with `sql.placeholder(name)` where the request's values
 * go, prepared once per D1 binding, and each use binds the values: the SQL, and so the tenant
 * scoping written into it, is exactly the builder's.
 *
 * What a use returns runs like the builder did: awaited on its own, or as an item of `db.batch`
 * (drizzle's D1 batch takes any item whose `_prepare()` answers a prepared query; this one
 * answers the prepared query with the values filled in).
 * @see https://orm.drizzle.team/docs/perf-queries
 */
export type PreparedRows<T> = Pick<SQLiteSelect, '_'> & { readonly _: { readonly result: T }; all(): Promise<T> } & PromiseLike<T>;

type PreparedSelect = ReturnType<SQLiteSelect['prepare']> & { getQuery(): { sql: string; params: unknown[] } };

export function preparedSelect<TValues extends Record<string, unknown>, TQuery extends { prepare(): unknown; _: { result: unknown } }>(
  build: (db: Db) => TQuery,
): (db: Db, values: TValues) => PreparedRows<TQuery['_']['result']> {
  // Keyed by the D1 binding a statement was prepared on (one per isolate in production; tests
  // and development may hand out others, which then get their own).
  const byBinding = new WeakMap<D1Database, PreparedSelect>();
  return (db, values) => {
    let prepared = byBinding.get(db.$client);
    if (!prepared) {
      prepared = build(db).prepare() as PreparedSelect;
      byBinding.set(db.$client, prepared);
    }
    const query = prepared.getQuery();
    const filled = { sql: query.sql, params: fillPlaceholders(query.params, values) };
    // The prepared query (its D1 statement and row mapping) with this use's values.
    const bound: PreparedSelect = Object.create(prepared, { getQuery: { value: () => filled } });
    const run = prepared;
    const all = () => run.execute(values) as Promise<TQuery['_']['result']>;
    const rows: PromiseLike<TQuery['_']['result']> = { then: (onfulfilled, onrejected) => all().then(onfulfilled, onrejected) };
    return Object.assign(rows, { all, _prepare: () => bound }) as unknown as PreparedRows<TQuery['_']['result']>;
  };
}
