import { and, count, eq, isNull } from 'drizzle-orm';
import { listAlerts, type AlertView } from '../alerts/service';
import type { Db } from '../db/client';
import { customerUsers } from '../db/schema';
import type { Bindings } from '../env';
import { sharedBatch } from '../db/shared-batch';
import { fleetIndexOf, fleetSitesQuery, fleetSummary, type FleetSummary } from '../telemetry/fleet';

export interface PortalDashboardData {
  teamSize: number;
  fleet: FleetSummary;
  /** The 5 newest open alerts, and how many are open. */
  openAlerts: AlertView[];
  openAlertTotal: number;
}

/**
 * What the portal dashboard shows, whatever the fleet size: one D1 round trip (team size, the
 * fleet's ids per site, the open alerts and their count, in one batch), then one RPC per site
 * answering live totals only.
 */
export async function loadPortalDashboard(db: Db, env: Pick<Bindings, 'SITE_STATE'>, hostId: string, customerId: string): Promise<PortalDashboardData> {
  const shared = sharedBatch(db);
  const [[team, siteRows], alerts] = await Promise.all([
    shared.batch([
      // The same members listTeam lists: of this customer, not removed.
      shared
        .select({ members: count() })
        .from(customerUsers)
        .where(and(eq(customerUsers.hostId, hostId), eq(customerUsers.customerId, customerId), isNull(customerUsers.removedAt))),
      fleetSitesQuery(shared, hostId, customerId),
    ]),
    listAlerts(shared, hostId, { state: 'open', limit: 5 }, { customerId }),
  ]);
  const fleet = await fleetSummary(env, fleetIndexOf(siteRows));
  return { teamSize: team[0]?.members ?? 0, fleet, openAlerts: alerts.items, openAlertTotal: alerts.total };
}
