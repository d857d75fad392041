import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from '../lib/cookie';
import { createMiddleware } from 'hono/factory';
import type { SignedIn } from '../auth/service';
import { loadStaffSessionWith, signStaffToken, STAFF_COOKIE, STAFF_SESSION_TTL_SECONDS } from '../auth/staff-session';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { isHtmx } from '../lib/http';
import { keepPrefetched, pendingPageReads } from './page-prefetch';

/** What a member who must set up two-factor first can still open. */
const TWO_FACTOR_SETUP_PATHS = ['/admin/account/two-factor', '/admin/hosts'];

/**
 * Admin pages need a staff session whose membership still exists. Without one: a page request
 * goes to /login (remembering where it was going); an htmx request is told to navigate there.
 */
export const requireStaff = createMiddleware<AppEnv>(async (c, next) => {
  const token = getCookie(c, STAFF_COOKIE);
  // A page declared with pagePrefetch sends its first reads in this batch, for the host the token names.
  const pageReads = pendingPageReads<string>(c);
  const loaded = token ? await loadStaffSessionWith(getDb(c.env.DB), c.get('vars').SESSION_SECRET, token, pageReads) : null;
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
  // The host requires two-factor and this person has none: set-up (and picking another host) only.
  if (session.twoFactorSetupRequired && !TWO_FACTOR_SETUP_PATHS.some((path) => c.req.path === path || c.req.path.startsWith(`${path}/`))) {
    const setup = `${TWO_FACTOR_SETUP_PATHS[0]}?required=1`;
    if (isHtmx(c)) {
      c.header('HX-Redirect', setup);
      return c.body(null, 403);
    }
    return c.redirect(setup, 303);
  }
  if (pageReads) keepPrefetched(c, loaded?.prefetched);
  await next();
});

/** Issues the staff session cookie (sign-in, sign-up, and after a password change). */
export async function startStaffSession(c: Context<AppEnv>, signedIn: SignedIn): Promise<void> {
  const token = await signStaffToken(c.get('vars').SESSION_SECRET, signedIn.userId, signedIn.hostId, signedIn.sessionVersion);
  setCookie(c, STAFF_COOKIE, token, { path: '/', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: STAFF_SESSION_TTL_SECONDS });
}
