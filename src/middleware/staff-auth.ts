import { deleteCookie, getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { loadStaffSession, STAFF_COOKIE } from '../auth/staff-session';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { isHtmx } from '../lib/http';

/**
 * Admin pages need a staff session whose membership still exists. Without one: a page request
 * goes to /login (remembering where it was going); an htmx request is told to navigate there.
 */
export const requireStaff = createMiddleware<AppEnv>(async (c, next) => {
  const token = getCookie(c, STAFF_COOKIE);
  const session = token ? await loadStaffSession(getDb(c.env.DB), c.get('vars').SESSION_SECRET, token) : null;
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
  await next();
});
