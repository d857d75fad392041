import { and, eq, isNotNull, isNull, or } from 'drizzle-orm';
import type { Db } from '../db/client';
import { miners, networkSegments, poolRedirects } from '../db/schema';
import { desiredPoolOf } from '../live/desired-pool';

/** How often the agent polls its miners unless told otherwise (seconds). */
export const DEFAULT_POLL_INTERVAL_S = 30;

/**
 * `GET /api/agent/v1/config` (wire format v1, agent/README.md): the CIDRs to scan, the poll
 * interval, and the pools each miner should mine on. A customer under an active pool redirect
 * (default, DESIGN.md §7) mines on the host's holding pool; otherwise a miner with its owner's
 * pool on record is pointed back at it (`desiredPoolOf`). Miners with no entry are left as they are.
 */
export async function agentConfig(db: Db, hostId: string, siteId: string) {
  const [segments, rows] = await db.batch([
    db.select({ cidr: networkSegments.cidr }).from(networkSegments).where(and(eq(networkSegments.hostId, hostId), eq(networkSegments.siteId, siteId))),
    db
      .select({
        mac: miners.mac,
        serial: miners.serial,
        ip: miners.ip,
        ownerPoolUrl: miners.ownerPoolUrl,
        ownerPoolUser: miners.ownerPoolUser,
        redirectUrl: poolRedirects.poolUrl,
        redirectUser: poolRedirects.poolUser,
      })
      .from(miners)
      .leftJoin(poolRedirects, and(eq(poolRedirects.customerId, miners.customerId), eq(poolRedirects.hostId, hostId), isNull(poolRedirects.endedAt)))
      .where(and(eq(miners.hostId, hostId), eq(miners.siteId, siteId), or(isNotNull(poolRedirects.id), isNotNull(miners.ownerPoolUrl)))),
  ]);
  const desired = rows.flatMap((row) => {
    const pool = desiredPoolOf(row);
    if (!pool) return [];
    return [{ ...(row.mac ? { mac: row.mac } : {}), ...(row.serial ? { serial: row.serial } : {}), ...(row.ip ? { ip: row.ip } : {}), pools: [pool], remove_other_pools: false }];
  });
  return { scan_segments: segments.map((s) => s.cidr), poll_interval_s: DEFAULT_POLL_INTERVAL_S, miners: desired };
}
