import { Hono } from '../../lib/hono';
import { toApiAlert } from '../../alerts/serialize';
import { listAlerts } from '../../alerts/service';
import { getDb } from '../../db/client';
import type { AppEnv } from '../../env';

/** /api/v1/alerts — the same service and zod schema as the staff Alerts page. */
export const apiAlertRoutes = new Hono<AppEnv>().get('/', async (c) => {
  const key = c.get('apiKey');
  const page = await listAlerts(getDb(c.env.DB), key.hostId, c.req.query());
  return c.json({ data: page.items.map(toApiAlert), total: page.total, next_cursor: page.nextCursor });
});
