import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import * as schema from './schema';

/** The drizzle client, with its D1 binding for the few reads drizzle cannot batch (json_each joins). */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

export const getDb = (d1: D1Database): Db => drizzle(d1, { schema });
