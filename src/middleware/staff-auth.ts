import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { SignedIn } from '../auth/service';
import { loadStaffSessionWith, signStaffToken, STAFF_COOKIE, STAFF_SESSION_TTL_SECONDS } from '../auth/staff-session';
import type { BatchReads } from '../db/batch-reads';
import { getDb, type Db } from '../db/client';
import type { AppEnv } from '../env';
import { isHtmx } from '../lib/http';

/**
 * Admin pages need a staff session whose membership still exists. Without one: a page request
 * goes to /login (remembering where it was going); an htmx request is told to navigate there.
 */
export const requireStaff = createMiddleware<AppEnv>(async (c, next) => {
  const token = getCookie(c, STAFF_COOKIE);
  const pending = c.req.method === 'GET' ? c.get('staffPrefetch') : undefined;
  const loaded = token ? await loadStaffSessionWith(getDb(c.env.DB), c.get('vars').SESSION_SECRET, token, pending?.reads) : null;
  const session = loaded?.session ?? null;
  if (!session) {
    if (token) deleteCookie(c, STAFF_COOKIE, { path: '/', secure: true });
    const url = new URL(c.req.url);
    const login = `/login?next=${encodeURIComponent(url.pathname + url.search)}`;
    if (isHtmx(c)) {
      c.header('HX-Redirect', login);
      return c.body(null, 401);
    }
    return c.redirect(login, 303);
  }
  c.set('staff', session);
  if (pending && loaded?.prefetched != null) c.set('staffPrefetched', { handle: pending.handle, value: loaded.prefetched });
  await next();
});

/** A read-only admin page whose first D1 batch travels with the session check. */
export interface StaffPagePrefetch<T> {
  /** Registered on the page's GET route before requireStaff (src/app.tsx). */
  middleware: MiddlewareHandler<AppEnv>;
  /** The page's data when it came with the session; undefined means the page reads it itself. */
  take(c: Context<AppEnv>): T | undefined;
}

/**
 * Declares a page's first reads so requireStaff can send them in the session check's batch, for
 * the host the token claims; they are kept only when membership confirms it
 * (`loadStaffSessionWith`). Reads that cannot be built (a bad query string) are skipped, so the
 * page reads on its own and reports the problem as usual. GET only: nothing may change before
 * the session is judged.
 */
export function staffPagePrefetch<T>(reads: (c: Context<AppEnv>, db: Db, hostId: string) => BatchReads<T>): StaffPagePrefetch<T> {
  const handle: StaffPagePrefetch<T> = {
    middleware: createMiddleware<AppEnv>(async (c, next) => {
      c.set('staffPrefetch', {
        handle,
        reads: (db, hostId) => {
          try {
            return reads(c, db, hostId);
          } catch {
            return null;
          }
        },
      });
      await next();
    }),
    take: (c) => {
      const prefetched = c.get('staffPrefetched');
      return prefetched?.handle === handle ? (prefetched.value as T) : undefined;
    },
  };
  return handle;
}

/** Issues the staff session cookie (sign-in, sign-up, and after a password change). */
export async function startStaffSession(c: Context<AppEnv>, signedIn: SignedIn): Promise<void> {
  const token = await signStaffToken(c.get('vars').SESSION_SECRET, signedIn.userId, signedIn.hostId, signedIn.sessionVersion);
  setCookie(c, STAFF_COOKIE, token, { path: '/', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: STAFF_SESSION_TTL_SECONDS });
}
