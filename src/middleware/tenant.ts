import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { parseVars } from '../env';
import { notFound } from '../lib/errors';

/** The request's hostname without the port (wrangler dev passes Host through unchanged). */
export const requestHostname = (url: string): string => new URL(url).hostname.toLowerCase();

/**
 * Routing by Host (DESIGN.md §2): the platform host serves the admin app, portals and APIs.
 * Any other hostname will be looked up among verified custom domains once they exist;
 * until then, and for unknown names always, the answer is 404 — never a default tenant.
 */
export const platformOnly = createMiddleware<AppEnv>(async (c, next) => {
  const vars = parseVars(c.env);
  c.set('vars', vars);
  if (requestHostname(c.req.url) !== vars.APP_HOST.toLowerCase()) throw notFound();
  await next();
});
