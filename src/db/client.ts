import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';

/**
 * The drizzle client, with its D1 binding for the few reads drizzle cannot batch (json_each joins).
 *
 * Built without the schema: with it, drizzle derives its relational-query config from every table
 * on each call (about 12 ms of CPU a request, measured with the inspector's profiler, more than a
 * trivial page costs in all), and nothing here uses the relational API (`db.query.*`); queries
 * name their tables.
 */
export type Db = DrizzleD1Database & { $client: D1Database };

/**
 * Columns are declared by key alone (`hostId: text()`) and named in SQL by drizzle's snake_case
 * of the key (`host_id`), which is what every migration wrote: the names then exist once, in the
 * migrations, rather than twice in the Worker bundle (about 1.7 KiB gzip, bench/README.md).
 * `test/integration/schema-columns.test.ts` holds every table's names to the migrated database.
 * @see https://orm.drizzle.team/docs/sql-schema-declaration#camel-and-snake-casing
 */
export const DB_CASING = 'snake_case';

export const getDb = (d1: D1Database): Db => drizzle(d1, { casing: DB_CASING });
