import type { BatchReadsBuilt } from '../db/batch-reads';
import type { Db } from '../db/client';
import { judgePortalSession, memberSessionQuery, verifyPortalToken, type PortalSessionResult } from './session';
import { hostByDomainQuery, hostBySlugQuery, pickHostBySlug, type PortalHost } from './tenant';

export type PortalAddress = { slug: string } | { hostname: string };

/**
 * A page's own D1 reads, started before the session is known: built for the host and customer a
 * valid token claims, sent in the session check's batch, and read only once the account row
 * confirms both (read-only pages only: nothing may change before the session is judged).
 */
export type PortalPrefetch<T> = (db: Db, scope: PortalScope) => BatchReadsBuilt<T>;

/** The host and customer a portal token claims: what a page's prefetched reads are scoped to. */
export interface PortalScope {
  hostId: string;
  customerId: string;
}

/**
 * The host a portal request is addressed to and, when it carries a portal cookie, whether that is
 * a session there: one D1 round trip for both. The token is verified first (no storage), and the
 * account row is read for the host the token names; it only counts when that is the host the
 * address resolved to (judgePortalSession), exactly as `loadPortalSession` decides.
 * Every D1 round trip a page waits for adds to it (bench/README.md, "DevTools network events
 * off"), so every portal page saves one here, and a page declared with `pagePrefetch`
 * (src/middleware/page-prefetch.ts) saves its own too.
 */
export async function resolvePortalRequest<T = never>(
  db: Db,
  secret: string,
  address: PortalAddress,
  token: string | undefined,
  prefetch?: PortalPrefetch<T>,
): Promise<{ host: PortalHost; session: PortalSessionResult; prefetched: T | null } | null> {
  const claims = await verifyPortalToken(secret, token);
  const claimedHost = typeof claims?.hostId === 'string' ? claims.hostId : null;
  const claimedCustomer = typeof claims?.customerId === 'string' ? claims.customerId : null;
  const hostQuery = 'slug' in address ? hostBySlugQuery(db, address.slug) : hostByDomainQuery(db, address.hostname);
  const memberQuery = claims && claimedHost ? memberSessionQuery(db, claims.memberId, claimedHost) : null;
  const pageReads = memberQuery && claimedHost && claimedCustomer && prefetch ? await prefetch(db, { hostId: claimedHost, customerId: claimedCustomer }) : null;

  const results: readonly unknown[] = memberQuery ? await db.batch([hostQuery, memberQuery, ...(pageReads?.queries ?? [])]) : [await hostQuery];
  const [hostRows, memberRows = [], ...pageRows] = results as [Awaited<typeof hostQuery>, Awaited<NonNullable<typeof memberQuery>>?, ...unknown[]];
  const host = 'slug' in address ? pickHostBySlug(hostRows as Awaited<ReturnType<typeof hostBySlugQuery>>) : (hostRows[0] ?? null);
  if (!host) return null;
  const session = judgePortalSession(claims, host.id, memberRows[0]);
  // The page's reads were scoped by the token's claims: used only when the account confirms them.
  const confirmed = session.ok && host.id === claimedHost && session.customer.id === claimedCustomer;
  return { host, session, prefetched: pageReads && confirmed ? pageReads.read(pageRows) : null };
}
