import { and, eq, isNotNull, isNull, or } from 'drizzle-orm';
import type { Db } from '../db/client';
import { miners, networkSegments, poolRedirects } from '../db/schema';

/** How often the agent polls its miners unless told otherwise (seconds). */
export const DEFAULT_POLL_INTERVAL_S = 30;

export interface DesiredPool {
  url: string;
  user: string;
  password: string;
}

/**
 * `GET /api/agent/v1/config` (wire format v1, agent/README.md): the CIDRs to scan, the poll
 * interval, and the pools each miner should mine on. A customer under an active pool redirect
 * (default, DESIGN.md §7) mines on the host's holding pool; otherwise a miner with its owner's
 * pool on record is pointed back at it. Miners with no entry are left as they are.
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
    const pool: DesiredPool | null = row.redirectUrl
      ? { url: row.redirectUrl, user: row.redirectUser ?? '', password: 'x' }
      : row.ownerPoolUrl
        ? { url: row.ownerPoolUrl, user: row.ownerPoolUser ?? '', password: 'x' }
        : null;
    if (!pool) return [];
    return [{ ...(row.mac ? { mac: row.mac } : {}), ...(row.serial ? { serial: row.serial } : {}), ...(row.ip ? { ip: row.ip } : {}), pools: [pool], remove_other_pools: false }];
  });
  return { scan_segments: segments.map((s) => s.cidr), poll_interval_s: DEFAULT_POLL_INTERVAL_S, miners: desired };
}
