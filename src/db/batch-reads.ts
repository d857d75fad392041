import type { BatchItem } from 'drizzle-orm/batch';

/**
 * A page's D1 reads, unexecuted, and how to make its data from their rows: so they can travel in
 * someone else's batch (the session check's, src/auth/staff-session.ts, src/portal/request.ts),
 * since every D1 round trip a page waits for adds to it (locally 1.9 ms, about half a trivial
 * page; on Cloudflare a network round trip to the database: bench/README.md).
 */
export interface BatchReads<T> {
  queries: readonly [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];
  read(results: readonly unknown[]): T;
}

/**
 * Reads some pages can only build after asking elsewhere first (a whole-fleet live sort asks the
 * sites' objects for the page's ids, so the page's rows can travel in the same batch: src/live/rank-ahead.ts).
 */
export type BatchReadsBuilt<T> = BatchReads<T> | null | Promise<BatchReads<T> | null>;

/** The same reads, their result mapped (a page tags what it read, for instance). */
export function mapReads<T, U>(reads: BatchReads<T>, map: (value: T) => U): BatchReads<U> {
  return { queries: reads.queries, read: (results) => map(reads.read(results)) };
}
