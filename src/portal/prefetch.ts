import { mapReads } from '../db/batch-reads';
import { fleetPageReads, parseFleetQuery, type FinishFleetPage } from '../telemetry/fleet';
import { dashboardReads, type DashboardRows } from './dashboard';
import type { PortalPrefetch } from './request';

/** What a portal page read with the session check, tagged by page. */
export type PortalPagePrefetched = { page: 'dashboard'; rows: DashboardRows } | { page: 'equipment'; finish: FinishFleetPage };

/**
 * The read-only portal pages whose first D1 batch travels with the session check
 * (`resolvePortalRequest`): the dashboard, and Equipment with its polled fragment. Any other
 * request, or any method but GET, reads on its own after the session is judged.
 */
export function portalPagePrefetch(method: string, relativePath: string, query: Record<string, string>): PortalPrefetch<PortalPagePrefetched> | undefined {
  if (method !== 'GET') return undefined;
  if (relativePath === '/') return (db, scope) => mapReads(dashboardReads(db, scope), (rows) => ({ page: 'dashboard', rows }));
  if (relativePath === '/equipment' || relativePath === '/equipment/live') {
    const fleetQuery = parseFleetQuery(query);
    return (db, scope) => mapReads(fleetPageReads(db, scope, fleetQuery), (finish) => ({ page: 'equipment', finish }));
  }
  return undefined;
}
