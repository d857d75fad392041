import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

/** Every response carries X-Request-Id (Cloudflare's ray id when present) for support and logs. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = c.req.header('CF-Ray') ?? crypto.randomUUID();
  c.set('requestId', id);
  await next();
  c.header('X-Request-Id', id);
});
