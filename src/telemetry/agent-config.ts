import { and, eq, inArray, isNotNull, isNull, ne, or } from 'drizzle-orm';
import type { Db } from '../db/client';
import { miners, networkSegments, poolRedirects, poolRedirectUnits } from '../db/schema';
import { desiredPoolOf, type DesiredPool } from '../live/desired-pool';
import { renderWorker } from '../default/settings';
import { agentPdus } from '../pdu/service';

/** How often the agent polls its miners unless told otherwise (seconds). */
export const DEFAULT_POLL_INTERVAL_S = 30;

/**
 * `GET /api/agent/v1/config` (wire format v1, agent/README.md): the CIDRs to scan, the poll
 * interval, and the pools each miner should mine on. Default redirects (docs/DEFAULT.md) decide
 * first, per unit: a unit of a running redirect mines on the holding pools (the first, then its
 * backups in priority order: the agent orders them ahead of the customer's own pools, which stay
 * on the miner for the restore) under its own worker name; a unit whose redirect ended (or that left it) goes back to the pool recorded when the
 * redirect started, until that is confirmed, with that redirect's holding pools as `remove_pools` (the
 * agent removes them, else disables them: left enabled behind the customer's pool, a miner whose
 * own pool went down would fail over to the host's); a unit of a customer under an "all units" redirect
 * that has no row yet (assigned since; the next sync records it) gets the holding pool too.
 * Otherwise a miner with its owner's pool on record is pointed back at it (`desiredPoolOf`).
 * Miners with no entry are left as they are.
 *
 * `pdus` lists the site's PDUs with mapped outlets and their SNMP access (src/pdu/service.ts);
 * `pduKey` decrypts the credentials and is only asked for when the site has such a PDU.
 */
export async function agentConfig(db: Db, hostId: string, siteId: string, pduKey?: () => Promise<CryptoKey>) {
  const [segments, rows, unitRows] = await db.batch([
    db.select({ cidr: networkSegments.cidr }).from(networkSegments).where(and(eq(networkSegments.hostId, hostId), eq(networkSegments.siteId, siteId))),
    db
      .select({
        id: miners.id,
        mac: miners.mac,
        serial: miners.serial,
        ip: miners.ip,
        ownerPoolUrl: miners.ownerPoolUrl,
        ownerPoolUser: miners.ownerPoolUser,
        redirectUrl: poolRedirects.poolUrl,
        redirectUser: poolRedirects.poolUser,
        redirectPassword: poolRedirects.poolPassword,
        redirectBackups: poolRedirects.backupPools,
      })
      .from(miners)
      .leftJoin(
        poolRedirects,
        and(eq(poolRedirects.customerId, miners.customerId), eq(poolRedirects.hostId, hostId), isNull(poolRedirects.endedAt), eq(poolRedirects.scope, 'all')),
      )
      .where(
        and(
          eq(miners.hostId, hostId),
          eq(miners.siteId, siteId),
          or(
            isNotNull(poolRedirects.id),
            isNotNull(miners.ownerPoolUrl),
            // Units a redirect names: on the holding pool, or on their way back.
            inArray(
              miners.id,
              db
                .select({ id: poolRedirectUnits.minerId })
                .from(poolRedirectUnits)
                .where(and(eq(poolRedirectUnits.hostId, hostId), eq(poolRedirectUnits.siteId, siteId), or(ne(poolRedirectUnits.status, 'confirmed'), eq(poolRedirectUnits.phase, 'redirect')))),
            ),
          ),
        ),
      ),
    // Units in effect: of a running redirect (phase redirect), or on their way back (restore, not yet confirmed).
    db
      .select({
        minerId: poolRedirectUnits.minerId,
        phase: poolRedirectUnits.phase,
        targetUrl: poolRedirectUnits.targetPoolUrl,
        targetUser: poolRedirectUnits.targetPoolUser,
        targetBackups: poolRedirectUnits.targetBackupPools,
        previousUrl: poolRedirectUnits.previousPoolUrl,
        previousUser: poolRedirectUnits.previousPoolUser,
        password: poolRedirects.poolPassword,
      })
      .from(poolRedirectUnits)
      .innerJoin(poolRedirects, eq(poolRedirects.id, poolRedirectUnits.redirectId))
      .where(
        and(
          eq(poolRedirectUnits.hostId, hostId),
          eq(poolRedirectUnits.siteId, siteId),
          or(
            and(eq(poolRedirectUnits.phase, 'redirect'), isNull(poolRedirects.endedAt)),
            and(eq(poolRedirectUnits.phase, 'restore'), ne(poolRedirectUnits.status, 'confirmed'), isNotNull(poolRedirectUnits.previousPoolUrl)),
          ),
        ),
      ),
  ]);
  const byMiner = new Map<string, DesiredPool[]>();
  /** A restoring unit's holding pools: the agent removes them (else disables them) from the miner. */
  const removeByMiner = new Map<string, { url: string; user: string }[]>();
  // A redirect row wins over a restore row of an older redirect (a unit moved between two redirected customers).
  for (const unit of [...unitRows].sort((a, b) => (a.phase === b.phase ? 0 : a.phase === 'restore' ? -1 : 1))) {
    const holding = [{ url: unit.targetUrl, user: unit.targetUser }, ...(unit.targetBackups ?? []).map((b) => ({ url: b.url, user: b.user }))];
    if (unit.phase === 'redirect') {
      byMiner.set(unit.minerId, holding.map((p) => ({ ...p, password: unit.password })));
      removeByMiner.delete(unit.minerId);
    } else {
      byMiner.set(unit.minerId, [{ url: unit.previousUrl!, user: unit.previousUser ?? '', password: 'x' }]);
      removeByMiner.set(unit.minerId, holding);
    }
  }
  const desired = rows.flatMap((row) => {
    const owner = desiredPoolOf({ ...row, redirectUrl: null });
    const pools =
      byMiner.get(row.id) ??
      (row.redirectUrl
        ? [{ url: row.redirectUrl, user: row.redirectUser ?? '' }, ...(row.redirectBackups ?? [])].map((p) => ({ url: p.url, user: renderWorker(p.user, row), password: row.redirectPassword ?? 'x' }))
        : owner
          ? [owner]
          : []);
    if (pools.length === 0) return [];
    const remove = removeByMiner.get(row.id);
    return [
      {
        ...(row.mac ? { mac: row.mac } : {}),
        ...(row.serial ? { serial: row.serial } : {}),
        ...(row.ip ? { ip: row.ip } : {}),
        pools,
        remove_other_pools: false,
        ...(remove?.length ? { remove_pools: remove } : {}),
      },
    ];
  });
  const pdus = pduKey ? await agentPdus(db, pduKey, hostId, siteId) : [];
  return { scan_segments: segments.map((s) => s.cidr), poll_interval_s: DEFAULT_POLL_INTERVAL_S, miners: desired, pdus };
}
