import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

/**
 * Every response carries X-Request-Id (Cloudflare's ray id when present) for support and logs.
 * Set on the finished response's own headers, as securityHeaders does: `c.header()` after the
 * handler has answered copies the whole Response first (hono's Context.header): 0.3–0.5 ms of
 * a 50 KB page (bench/README.md, "One Response per page").
 */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = c.req.header('CF-Ray') ?? crypto.randomUUID();
  c.set('requestId', id);
  await next();
  c.res.headers.set('X-Request-Id', id);
});
