import { h } from '#jsx';
import { Hono } from '../lib/hono';
import { loadDashboard } from '../dashboard/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { tolerantLive } from '../live/client';
import { unavailableSites } from '../live/outage';
import { DashboardPage } from '../../views/pages/dashboard';

/** Host OS → Dashboard, the staff home: one D1 batch, then one live RPC per site (a failing site degrades, never fails the page). */
export const adminDashboardRoutes = new Hono<AppEnv>().get('/', async (c) => {
  const session = c.get('staff');
  const now = Date.now();
  const db = getDb(c.env.DB);
  const live = tolerantLive(c.env);
  const data = await loadDashboard(db, live, session.host, now);
  const liveUnavailable = await unavailableSites(db, session.host.id, live.outage);
  return c.html(<DashboardPage session={session} data={data} now={now} liveUnavailable={liveUnavailable} />);
});
