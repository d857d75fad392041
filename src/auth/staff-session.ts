import { and, eq } from 'drizzle-orm';
import { jwtVerify, SignJWT } from 'jose';
import type { Db } from '../db/client';
import { hosts, hostUsers, users, type StaffRole } from '../db/schema';

/**
 * The staff session: a jose-signed JWT in a `__Host-` cookie (Secure, Path=/, no Domain, so it is
 * bound to exactly the origin that set it). Membership is re-read on every request, so removing
 * someone from a host locks them out on their next click.
 */
export const STAFF_COOKIE = '__Host-hy_staff';
export const STAFF_SESSION_TTL_SECONDS = 60 * 60 * 24 * 7;
const AUDIENCE = 'hashyard:staff';

export interface StaffSession {
  user: { id: string; name: string; email: string };
  role: StaffRole;
  host: { id: string; name: string; mainSlug: string; defaultCurrency: string; timezone: string };
}

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export async function signStaffToken(secret: string, userId: string, hostId: string): Promise<string> {
  return new SignJWT({ hid: hostId })
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
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { audience: AUDIENCE, algorithms: ['HS256'] });
    userId = payload.sub;
    hostId = payload.hid;
  } catch {
    return null;
  }
  if (!userId || typeof hostId !== 'string') return null;
  const row = await db
    .select({
      userId: users.id,
      userName: users.name,
      email: users.email,
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
  if (!row) return null;
  return {
    user: { id: row.userId, name: row.userName, email: row.email },
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
