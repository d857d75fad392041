import { Hono } from 'hono';
import { loadDashboard } from '../dashboard/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { DashboardPage } from '../../views/pages/dashboard';

/** Host OS → Dashboard, the staff home: one D1 batch, then one live RPC per site. */
export const adminDashboardRoutes = new Hono<AppEnv>().get('/', async (c) => {
  const session = c.get('staff');
  const now = Date.now();
  const data = await loadDashboard(getDb(c.env.DB), c.env, session.host, now);
  return c.html(<DashboardPage session={session} data={data} now={now} />);
});
