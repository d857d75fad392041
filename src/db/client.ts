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

export const getDb = (d1: D1Database): Db => drizzle(d1);
