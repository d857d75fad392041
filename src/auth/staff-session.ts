import { and, eq } from 'drizzle-orm';
import { jwtVerify, SignJWT } from 'jose';
import type { Db } from '../db/client';
import { hosts, hostUsers, users, type StaffRole } from '../db/schema';

/**
 * The staff session: a jose-signed JWT in a `__Host-` cookie (Secure, Path=/, no Domain, so it is
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
  host: { id: string; name: string; mainSlug: string; defaultCurrency: string; timezone: string };
}

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export async function signStaffToken(secret: string, userId: string, hostId: string, sessionVersion: number): Promise<string> {
  return new SignJWT({ hid: hostId, sv: sessionVersion })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${STAFF_SESSION_TTL_SECONDS}s`)
    .sign(keyOf(secret));
}

/** Verifies the token and re-checks membership; null when either fails. */
export async function loadStaffSession(db: Db, secret: string, token: string): Promise<StaffSession | null> {
  let userId: string | undefined;
  let hostId: unknown;
  let sessionVersion: unknown;
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { audience: AUDIENCE, algorithms: ['HS256'] });
    userId = payload.sub;
    hostId = payload.hid;
    sessionVersion = payload.sv;
  } catch {
    return null;
  }
  if (!userId || typeof hostId !== 'string' || typeof sessionVersion !== 'number') return null;
  const row = await db
    .select({
      userId: users.id,
      userName: users.name,
      email: users.email,
      sessionVersion: users.sessionVersion,
      role: hostUsers.role,
      hostId: hosts.id,
      hostName: hosts.name,
      mainSlug: hosts.mainSlug,
      defaultCurrency: hosts.defaultCurrency,
      timezone: hosts.timezone,
    })
    .from(hostUsers)
    .innerJoin(users, eq(users.id, hostUsers.userId))
    .innerJoin(hosts, eq(hosts.id, hostUsers.hostId))
    .where(and(eq(hostUsers.userId, userId), eq(hostUsers.hostId, hostId)))
    .get();
  if (!row || row.sessionVersion !== sessionVersion) return null;
  return {
    user: { id: row.userId, name: row.userName, email: row.email, sessionVersion: row.sessionVersion },
    role: row.role,
    host: {
      id: row.hostId,
      name: row.hostName,
      mainSlug: row.mainSlug,
      defaultCurrency: row.defaultCurrency,
      timezone: row.timezone,
    },
  };
}
