import { and, eq, isNull, sql } from 'drizzle-orm';
import type { BatchReadsBuilt } from '../db/batch-reads';
import type { Db } from '../db/client';
import { preparedSelect } from '../db/prepared';
import { hosts, hostUsers, users, type StaffRole } from '../db/schema';
import { signJwt, verifyJwt } from '../lib/jwt';

/**
 * The staff session: an HS256 JWT (src/lib/jwt.ts) in a `__Host-` cookie (Secure, Path=/, no Domain, so it is
 * bound to exactly the origin that set it). Membership and the account's session version are
 * re-read on every request, so removing someone from a host, their signing out or changing their
 * password ends every token issued before, on its next use.
 */
export const STAFF_COOKIE = '__Host-hy_staff';
export const STAFF_SESSION_TTL_SECONDS = 60 * 60 * 24 * 7;
const AUDIENCE = 'hashyard:staff';

export interface StaffSession {
  user: { id: string; name: string; email: string; sessionVersion: number };
  role: StaffRole;
  /** The sites this member may see, or null for every site (src/team/scope.ts). */
  siteIds: string[] | null;
  /** How many hosts this person belongs to: the header offers a switch when more than one. */
  hostCount: number;
  host: { id: string; name: string; mainSlug: string; defaultCurrency: string; timezone: string };
  /** The host requires two-factor of its staff and this person has none yet: only set-up opens (src/middleware/staff-auth.ts). */
  twoFactorSetupRequired?: boolean;
}

/** The stored JSON array of site ids; anything unreadable scopes to no site rather than all. */
export function parseSiteIds(stored: string | null): string[] | null {
  if (stored === null) return null;
  try {
    const parsed: unknown = JSON.parse(stored);
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}


export async function signStaffToken(secret: string, userId: string, hostId: string, sessionVersion: number): Promise<string> {
  return signJwt(secret, { hid: hostId, sv: sessionVersion }, { subject: userId, audience: AUDIENCE, ttlSeconds: STAFF_SESSION_TTL_SECONDS });
}

/** Verifies the token and re-checks membership; null when either fails. */
export async function loadStaffSession(db: Db, secret: string, token: string): Promise<StaffSession | null> {
  return (await loadStaffSessionWith(db, secret, token))?.session ?? null;
}

/** The membership, account and host a staff token names (prepared once: every staff page reads it). */
const staffSessionQuery = preparedSelect((db) =>
  db
    .select({
      userId: users.id,
      userName: users.name,
      email: users.email,
      sessionVersion: users.sessionVersion,
      role: hostUsers.role,
      siteIds: hostUsers.siteIds,
      hostCount: sql<number>`(SELECT count(*) FROM host_users AS mine JOIN hosts AS open_host ON open_host.id = mine.host_id WHERE mine.user_id = ${hostUsers.userId} AND open_host.closed_at IS NULL)`.as('host_count'),
      // Aliased: in a D1 batch drizzle maps rows by column name, and users and hosts both have
      // id and name. @see https://github.com/drizzle-team/drizzle-orm/issues/6038
      hostId: sql<string>`${hosts.id}`.as('host_id'),
      hostName: sql<string>`${hosts.name}`.as('host_name'),
      mainSlug: hosts.mainSlug,
      defaultCurrency: hosts.defaultCurrency,
      timezone: hosts.timezone,
      twoFactorSetupRequired: sql<number>`(${hosts.requireStaffTwoFactor} AND NOT EXISTS (SELECT 1 FROM two_factor AS tf WHERE tf.account_kind = 'staff' AND tf.account_id = ${users.id} AND tf.enabled_at IS NOT NULL))`.as('two_factor_setup_required'),
    })
    .from(hostUsers)
    .innerJoin(users, eq(users.id, hostUsers.userId))
    .innerJoin(hosts, eq(hosts.id, hostUsers.hostId))
    // A closed host (src/team/close.ts) answers no session at all: every door shuts at once.
    .where(and(eq(hostUsers.userId, sql.placeholder('userId')), eq(hostUsers.hostId, sql.placeholder('hostId')), isNull(hosts.closedAt)))
    .limit(1),
);

/**
 * loadStaffSession, plus a read-only page's own D1 reads in the same batch: built for the host the
 * token claims and returned only when the membership row confirms the session (which is read for
 * that same host). A page whose reads cannot be built (bad query) gets none and reads on its own.
 */
export async function loadStaffSessionWith<T = never>(
  db: Db,
  secret: string,
  token: string,
  pageReads?: (db: Db, hostId: string) => BatchReadsBuilt<T>,
): Promise<{ session: StaffSession; prefetched: T | null } | null> {
  let userId: string | undefined;
  let hostId: unknown;
  let sessionVersion: unknown;
  try {
    const payload = await verifyJwt(secret, token, AUDIENCE);
    if (!payload) return null;
    userId = payload.sub;
    hostId = payload.hid;
    sessionVersion = payload.sv;
  } catch {
    return null;
  }
  if (!userId || typeof hostId !== 'string' || typeof sessionVersion !== 'number') return null;
  const sessionQuery = staffSessionQuery(db, { userId, hostId });
  const reads = (await pageReads?.(db, hostId)) ?? null;
  const [rows, ...pageRows] = reads ? await db.batch([sessionQuery, ...reads.queries]) : [await sessionQuery];
  const row = (rows as Awaited<typeof sessionQuery>)[0];
  if (!row || row.sessionVersion !== sessionVersion) return null;
  return {
    session: {
      user: { id: row.userId, name: row.userName, email: row.email, sessionVersion: row.sessionVersion },
      role: row.role,
      siteIds: parseSiteIds(row.siteIds),
      hostCount: Number(row.hostCount),
      host: {
        id: row.hostId,
        name: row.hostName,
        mainSlug: row.mainSlug,
        defaultCurrency: row.defaultCurrency,
        timezone: row.timezone,
      },
      twoFactorSetupRequired: Boolean(row.twoFactorSetupRequired),
    },
    prefetched: reads ? reads.read(pageRows) : null,
  };
}
