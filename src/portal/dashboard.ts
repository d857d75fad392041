import { and, count, eq, isNull } from 'drizzle-orm';
import { alertListQueries, type AlertView } from '../alerts/service';
import type { BatchReads } from '../db/batch-reads';
import type { Db } from '../db/client';
import { customerUsers } from '../db/schema';
import type { LiveSource } from '../live/client';
import { fleetIndexOf, fleetSitesQuery, fleetSummary, type FleetIndex, type FleetSummary } from '../telemetry/fleet';

export interface PortalDashboardData {
  teamSize: number;
  fleet: FleetSummary;
  /** The 5 newest open alerts, and how many are open. */
  openAlerts: AlertView[];
  openAlertTotal: number;
}

/** What the dashboard reads from D1, before the live totals. */
export interface DashboardRows {
  teamSize: number;
  fleet: FleetIndex;
  openAlerts: AlertView[];
  openAlertTotal: number;
}

/**
 * The dashboard's D1 reads for one customer, unexecuted: team size, the fleet's ids per site, the
 * open alerts and their count. They travel as one batch, on their own (`loadPortalDashboard`) or
 * inside the session check's own batch (`resolvePortalRequest`), whatever the fleet size.
 */
export function dashboardReads(db: Db, scope: { hostId: string; customerId: string }): BatchReads<DashboardRows> {
  const { hostId, customerId } = scope;
  const alertList = alertListQueries(db, hostId, { state: 'open', limit: 5 }, { customerId });
  const queries = [
    // The same members listTeam lists: of this customer, not removed.
    db
      .select({ members: count() })
      .from(customerUsers)
      .where(and(eq(customerUsers.hostId, hostId), eq(customerUsers.customerId, customerId), isNull(customerUsers.removedAt))),
    fleetSitesQuery(db, hostId, customerId),
    ...alertList.queries,
  ] as const;
  type Results = [{ members: number }[], Parameters<typeof fleetIndexOf>[0], ...Parameters<typeof alertList.read>];
  const read = (results: readonly unknown[]): DashboardRows => {
    const [team, siteRows, alertRows, alertTotals] = results as Results;
    const alerts = alertList.read(alertRows, alertTotals);
    return { teamSize: team[0]?.members ?? 0, fleet: fleetIndexOf(siteRows), openAlerts: alerts.items, openAlertTotal: alerts.total };
  };
  return { queries, read };
}

/** The live part: one RPC per site, each answering totals only. */
export async function completeDashboard(env: LiveSource, rows: DashboardRows): Promise<PortalDashboardData> {
  const { fleet, ...rest } = rows;
  return { ...rest, fleet: await fleetSummary(env, fleet) };
}

/** What the portal dashboard shows: one D1 round trip, then one RPC per site. */
export async function loadPortalDashboard(db: Db, env: LiveSource, hostId: string, customerId: string): Promise<PortalDashboardData> {
  const reads = dashboardReads(db, { hostId, customerId });
  return completeDashboard(env, reads.read(await db.batch(reads.queries)));
}
