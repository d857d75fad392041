import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { miners, sites } from '../db/schema';
import type { Bindings } from '../env';
import { notFound } from '../lib/errors';
import { readHistory, readLive } from './live';
import { LIVE_STATUSES, type HistoryPoint, type LiveMiner, type LiveStatus } from './types';

/**
 * A customer's fleet as the portal shows it: the units assigned to them (miners.customer_id is
 * the customer AND status is `assigned`), each with its live state from the site's SiteState.
 * Cost: one D1 query for the units plus one RPC per site, whatever the number of miners.
 */

export const HISTORY_SPAN_MS = 24 * 60 * 60 * 1000;

export interface FleetMiner {
  id: string;
  siteId: string | null;
  siteName: string | null;
  serial: string | null;
  mac: string | null;
  vendor: string | null;
  model: string | null;
  firmware: string | null;
  rackLocation: string | null;
  /** TH/s (the inventory stores milli-TH/s). */
  nominalThs: number | null;
  nominalPowerW: number | null;
  /** Null when the site's agent has never reported this unit. */
  live: LiveMiner | null;
}

/** Live status, or `unknown` for a unit never reported. */
export type FleetStatus = LiveStatus | 'unknown';
export const FLEET_STATUSES = [...LIVE_STATUSES, 'unknown'] as const;

export interface FleetSummary {
  miners: number;
  byStatus: Record<FleetStatus, number>;
  /** Sum over units that are mining (active or degraded), TH/s. */
  hashrateThs: number;
  /** Sum of nominal hashrate over every unit that has one, TH/s. */
  nominalThs: number;
  powerW: number;
}

type LiveSource = Pick<Bindings, 'SITE_STATE'>;

const fleetColumns = {
  id: miners.id,
  siteId: miners.siteId,
  siteName: sql<string | null>`${sites.name}`.as('site_name'),
  serial: miners.serial,
  mac: miners.mac,
  vendor: miners.vendor,
  model: miners.model,
  firmware: miners.firmware,
  rackLocation: miners.rackLocation,
  nominalHashrateMths: miners.nominalHashrateMths,
  nominalPowerW: miners.nominalPowerW,
};

interface FleetRow {
  id: string;
  siteId: string | null;
  siteName: string | null;
  serial: string | null;
  mac: string | null;
  vendor: string | null;
  model: string | null;
  firmware: string | null;
  rackLocation: string | null;
  nominalHashrateMths: number | null;
  nominalPowerW: number | null;
}

const owned = (hostId: string, customerId: string) =>
  and(eq(miners.hostId, hostId), eq(miners.customerId, customerId), eq(miners.status, 'assigned'));

function toFleetMiner(row: FleetRow, live: LiveMiner | null): FleetMiner {
  const { nominalHashrateMths, ...rest } = row;
  return { ...rest, nominalThs: nominalHashrateMths === null ? null : nominalHashrateMths / 1000, live };
}

export async function listCustomerMiners(db: Db, hostId: string, customerId: string): Promise<FleetRow[]> {
  return db
    .select(fleetColumns)
    .from(miners)
    .leftJoin(sites, and(eq(sites.id, miners.siteId), eq(sites.hostId, miners.hostId)))
    .where(owned(hostId, customerId))
    .orderBy(asc(sites.name), asc(miners.rackLocation), asc(miners.serial), asc(miners.id))
    .all();
}

export function summarizeFleet(fleet: readonly FleetMiner[]): FleetSummary {
  const byStatus = Object.fromEntries(FLEET_STATUSES.map((status) => [status, 0])) as Record<FleetStatus, number>;
  let hashrateThs = 0;
  let nominalThs = 0;
  let powerW = 0;
  for (const miner of fleet) {
    const status: FleetStatus = miner.live?.status ?? 'unknown';
    byStatus[status] += 1;
    nominalThs += miner.nominalThs ?? 0;
    if (status === 'active' || status === 'degraded') {
      hashrateThs += miner.live?.hashrateThs ?? 0;
      powerW += miner.live?.powerW ?? 0;
    }
  }
  return { miners: fleet.length, byStatus, hashrateThs, nominalThs, powerW };
}

/** The customer's units with their live state, and the totals. */
export async function customerFleet(db: Db, env: LiveSource, hostId: string, customerId: string): Promise<{ miners: FleetMiner[]; summary: FleetSummary }> {
  const rows = await listCustomerMiners(db, hostId, customerId);
  const live = await readLive(env, rows);
  const fleet = rows.map((row) => toFleetMiner(row, live.get(row.id) ?? null));
  return { miners: fleet, summary: summarizeFleet(fleet) };
}

/** One of the customer's units; any other id (another customer's, another host's, unassigned) is 404. */
export async function customerMiner(db: Db, env: LiveSource, hostId: string, customerId: string, minerId: string): Promise<FleetMiner> {
  const row = await db
    .select(fleetColumns)
    .from(miners)
    .leftJoin(sites, and(eq(sites.id, miners.siteId), eq(sites.hostId, miners.hostId)))
    .where(and(owned(hostId, customerId), eq(miners.id, minerId)))
    .get();
  if (!row) throw notFound('Miner');
  const live = await readLive(env, [row]);
  return toFleetMiner(row, live.get(row.id) ?? null);
}

/** 24 hours of 5-minute points, summed over the given units (one RPC per site). */
export function fleetHistory(env: LiveSource, fleet: readonly { id: string; siteId: string | null }[], now = Date.now()): Promise<HistoryPoint[]> {
  return readHistory(env, fleet, now - HISTORY_SPAN_MS);
}
