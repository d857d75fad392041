import { h } from '#jsx';
import { Hono } from '../lib/hono';
import { ALERT_KINDS, type AlertKind } from '../alerts/describe';
import { ALERT_STATES, type AlertState } from '../alerts/schema';
import { alertFilterOptions, alertsCsv, listAlerts } from '../alerts/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { isHtmx } from '../lib/http';
import { AlertListPage, AlertResults, type AlertListFilters } from '../../views/pages/alerts';

/** Query-string filters, tolerant of junk: an unknown kind or state falls back to "all". */
function listFilters(query: Record<string, string>): AlertListFilters {
  const text = (value: string | undefined) => (value ?? '').trim().slice(0, 100);
  return {
    site_id: text(query.site_id),
    customer_id: text(query.customer_id),
    kind: ALERT_KINDS.includes(query.kind as AlertKind) ? (query.kind as AlertKind) : '',
    state: ALERT_STATES.includes(query.state as AlertState) ? (query.state as AlertState) : '',
  };
}

/** The service's query: empty filters are absent. */
const serviceQuery = (filters: AlertListFilters, page: { cursor?: string; before?: string } = {}) =>
  Object.fromEntries(Object.entries({ ...filters, ...page }).filter(([, value]) => value !== '' && value !== undefined));

/** /admin/alerts — every alert of the host, filtered and paged; CSV export of the same filters. */
export const adminAlertRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const filters = listFilters(c.req.query());
    const page = await listAlerts(db, session.host.id, serviceQuery(filters, { cursor: c.req.query('cursor'), before: c.req.query('before') }), { siteIds: session.siteIds });
    const now = Date.now();
    // The filter form and page links swap only the results.
    if (isHtmx(c) && c.req.header('HX-Target') === 'alert-results') {
      return c.html(<AlertResults page={page} filters={filters} timezone={session.host.timezone} now={now} />);
    }
    const options = await alertFilterOptions(db, session.host.id, session.siteIds);
    return c.html(<AlertListPage session={session} page={page} filters={filters} options={options} now={now} />);
  })
  .get('/export.csv', async (c) => {
    const session = c.get('staff');
    const csv = await alertsCsv(getDb(c.env.DB), session.host.id, serviceQuery(listFilters(c.req.query())), Date.now(), session.siteIds);
    const date = new Date().toISOString().slice(0, 10);
    return c.body(csv, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="alerts-${date}.csv"`,
      'Cache-Control': 'no-store',
    });
  });
