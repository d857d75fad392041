import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { BatchReads, BatchReadsBuilt } from '../db/batch-reads';
import type { Db } from '../db/client';
import type { AppEnv } from '../env';

/**
 * A read-only page whose first D1 batch travels with its door's session check, staff or portal:
 * one round trip less on the pages people load most (docs/ARCHITECTURE.md, query budgets).
 *
 * The page declares its reads where its route is declared, and the declaration's `middleware` is
 * registered on that route ahead of the session check; the check (`requireStaff`, the portal's
 * tenant middleware) builds the reads for the scope the verified token claims (`pendingPageReads`)
 * and keeps the rows only when the account row confirms that scope (`keepPrefetched`). A renamed
 * route carries its declaration along, and a page without one simply reads on its own.
 * A declaration may build its reads asynchronously (a whole-fleet live sort asks the sites'
 * objects first, src/live/rank-ahead.ts): the check awaits them once the token's signature holds.
 */
export interface PagePrefetch<T> {
  /** Registered on the page's GET route, before the session check runs. */
  middleware: MiddlewareHandler<AppEnv>;
  /** The page's data when it came with the session; undefined means the page reads it itself. */
  take(c: Context<AppEnv>): T | undefined;
}

/** What a declaration leaves for the session check (typed in `src/env.ts` without the page's types). */
type PendingPageReads = NonNullable<AppEnv['Variables']['pagePrefetch']>;

/**
 * Declares a page's first reads for a scope (the staff door passes the host id; the portal's the
 * host and customer). Reads that cannot be built (a query the page cannot parse) are skipped, so
 * the page reads on its own and reports the problem as usual.
 */
export function pagePrefetch<S, T>(reads: (c: Context<AppEnv>, db: Db, scope: S) => BatchReadsBuilt<T>): PagePrefetch<T> {
  const handle: PagePrefetch<T> = {
    middleware: createMiddleware<AppEnv>(async (c, next) => {
      c.set('pagePrefetch', {
        handle,
        reads: async (db: Db, scope: S) => {
          try {
            return await reads(c, db, scope);
          } catch {
            return null;
          }
        },
      } as PendingPageReads);
      await next();
    }),
    take: (c) => {
      const prefetched = c.get('pagePrefetched');
      return prefetched?.handle === handle ? (prefetched.value as T) : undefined;
    },
  };
  return handle;
}

/**
 * For a session check: the reads the matched page declared, for the check to build with its
 * scope. GET only: nothing may be read on behalf of a request that changes something before its
 * session is judged.
 */
export function pendingPageReads<S>(c: Context<AppEnv>): ((db: Db, scope: S) => Promise<BatchReads<unknown> | null>) | undefined {
  const pending = c.req.method === 'GET' ? c.get('pagePrefetch') : undefined;
  return pending?.reads as ((db: Db, scope: S) => Promise<BatchReads<unknown> | null>) | undefined;
}

/** For a session check that confirmed the scope: hands the rows to the page's `take`. */
export function keepPrefetched(c: Context<AppEnv>, value: unknown) {
  const pending = c.get('pagePrefetch');
  if (pending && value != null) c.set('pagePrefetched', { handle: pending.handle, value });
}
