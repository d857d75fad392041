import type { Db } from '../db/client';
import { judgePortalSession, memberSessionQuery, verifyPortalToken, type PortalSessionResult } from './session';
import { hostByDomainQuery, hostBySlugQuery, pickHostBySlug, type PortalHost } from './tenant';

export type PortalAddress = { slug: string } | { hostname: string };

/**
 * The host a portal request is addressed to and, when it carries a portal cookie, whether that is
 * a session there: one D1 round trip for both. The token is verified first (no storage), and the
 * account row is read for the host the token names; it only counts when that is the host the
 * address resolved to (judgePortalSession), exactly as `loadPortalSession` decides.
 * A local D1 round trip costs about as much as a whole trivial page (bench/README.md), so every
 * portal page saves one here.
 */
export async function resolvePortalRequest(
  db: Db,
  secret: string,
  address: PortalAddress,
  token: string | undefined,
): Promise<{ host: PortalHost; session: PortalSessionResult } | null> {
  const claims = await verifyPortalToken(secret, token);
  const memberQuery = claims && typeof claims.hostId === 'string' ? memberSessionQuery(db, claims.memberId, claims.hostId) : null;
  let host: PortalHost | null;
  let memberRows: Awaited<ReturnType<typeof memberSessionQuery>> = [];
  if ('slug' in address) {
    const hostQuery = hostBySlugQuery(db, address.slug);
    const [hostRows, rows] = memberQuery ? await db.batch([hostQuery, memberQuery]) : [await hostQuery, []];
    host = pickHostBySlug(hostRows);
    memberRows = rows;
  } else {
    const hostQuery = hostByDomainQuery(db, address.hostname);
    const [hostRows, rows] = memberQuery ? await db.batch([hostQuery, memberQuery]) : [await hostQuery, []];
    host = hostRows[0] ?? null;
    memberRows = rows;
  }
  if (!host) return null;
  return { host, session: judgePortalSession(claims, host.id, memberRows[0]) };
}
