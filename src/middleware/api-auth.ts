import { createMiddleware } from 'hono/factory';
import { authenticateApiKey, touchApiKey } from '../auth/api-keys';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { unauthorized } from '../lib/errors';

/** /api/v1: a host API key in `Authorization: Bearer …`; the key alone decides the host. */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const db = getDb(c.env.DB);
  const key = await authenticateApiKey(db, c.req.header('Authorization'));
  if (!key) {
    c.header('WWW-Authenticate', 'Bearer realm="hashyard"');
    throw unauthorized('Send a valid API key as Authorization: Bearer <key>.');
  }
  c.set('apiKey', key);
  c.executionCtx.waitUntil(touchApiKey(db, key));
  await next();
});
