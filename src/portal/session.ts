import { customerStatusSql, type CustomerStatus } from '../customers/status';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { preparedSelect } from '../db/prepared';
import { customers, customerUsers } from '../db/schema';
import { pendingAgreementsCount } from '../legal/service';
import { signJwt, verifyJwt } from '../lib/jwt';

/**
 * The portal session: an HS256 JWT (src/lib/jwt.ts) bound to one host (`hid`) and to the account's session version
 * (`sv`), in its own `__Host-` cookie. On the platform origin every host's portal shares the
 * cookie jar, so the host in the token must equal the host the URL resolved to; on a custom
 * domain the cookie never leaves that domain at all.
 *
 * Every request re-reads the account and its customer, so removing a member, switching off
 * Portal Access or disabling the account locks people out on their next click.
 */
export const PORTAL_COOKIE = '__Host-hy_portal';
export const PORTAL_SESSION_TTL_SECONDS = 60 * 60 * 24 * 14;
const AUDIENCE = 'hashyard:portal';

export interface PortalMember {
  id: string;
  name: string;
  email: string;
  role: 'owner' | 'member';
}

export interface PortalCustomer {
  id: string;
  name: string;
  companyName: string | null;
  teamName: string | null;
  contactEmail: string;
  billingEmail: string | null;
  active: boolean;
  portalAccess: boolean;
  /** The status rule of src/customers/status.ts: the portal's default banner shows for in_default and pool_redirected. */
  status?: CustomerStatus;
}


export function signPortalToken(secret: string, member: { id: string; hostId: string; customerId: string; sessionVersion: number }): Promise<string> {
  // `cid` lets a page start its reads in the session check's own round trip (src/portal/request.ts);
  // the account row decides whether they are shown.
  return signJwt(secret, { hid: member.hostId, cid: member.customerId, sv: member.sessionVersion }, { subject: member.id, audience: AUDIENCE, ttlSeconds: PORTAL_SESSION_TTL_SECONDS });
}

export type PortalSessionResult =
  | {
      ok: true;
      member: PortalMember;
      customer: PortalCustomer;
      /** Required agreements (current versions) the customer has not accepted: the portal is gated until 0. */
      pendingAgreements: number;
      /** Whether the account has two-factor sign-in on (the host may require it). */
      twoFactorEnabled: boolean;
    }
  | { ok: false; reason: 'none' | 'locked_out' | 'portal_access_off' | 'inactive' };

/** What a valid portal token claims; the account behind it is still to be checked. */
export interface PortalClaims {
  memberId: string;
  hostId: unknown;
  /** The customer the account belonged to when the token was issued (absent from older tokens). */
  customerId: unknown;
  sessionVersion: unknown;
}

/** The signature, audience and expiry of a portal token (no storage); null when any fails. */
export async function verifyPortalToken(secret: string, token: string | undefined): Promise<PortalClaims | null> {
  if (!token) return null;
  try {
    const payload = await verifyJwt(secret, token, AUDIENCE);
    if (!payload) return null;
    return payload.sub ? { memberId: payload.sub, hostId: payload.hid, customerId: payload.cid, sessionVersion: payload.sv } : null;
  } catch {
    return null;
  }
}

/**
 * The account and customer a token names, within one host. Unexecuted, so the portal's tenant
 * resolution can send it in the same D1 batch as the host lookup (src/portal/request.ts).
 */
export function memberSessionQuery(db: Db, memberId: string, hostId: string) {
  return memberSessionPrepared(db, { memberId, hostId });
}

const memberSessionPrepared = preparedSelect((db) =>
  db
    .select({
      id: customerUsers.id,
      name: customerUsers.name,
      email: customerUsers.email,
      role: customerUsers.role,
      sessionVersion: customerUsers.sessionVersion,
      // Aliased: in a D1 batch drizzle maps rows by column name, and both tables have id and name.
      // @see https://github.com/drizzle-team/drizzle-orm/issues/6038
      customerId: sql<string>`${customers.id}`.as('customer_id'),
      customerName: sql<string>`${customers.name}`.as('customer_name'),
      companyName: customers.companyName,
      teamName: customers.teamName,
      contactEmail: customers.contactEmail,
      billingEmail: customers.billingEmail,
      active: customers.active,
      portalAccess: customers.portalAccess,
      status: customerStatusSql.as('customer_status'),
      // Read with the session, so the agreement gate costs no round trip of its own.
      pendingAgreements: pendingAgreementsCount(sql`${customers.id}`, sql`${customerUsers.hostId}`).as('pending_agreements'),
      twoFactorEnabled: sql<number>`EXISTS (SELECT 1 FROM two_factor AS tf WHERE tf.account_kind = 'customer' AND tf.account_id = ${customerUsers.id} AND tf.enabled_at IS NOT NULL)`.as('two_factor_enabled'),
    })
    .from(customerUsers)
    .innerJoin(customers, eq(customers.id, customerUsers.customerId))
    .where(and(eq(customerUsers.id, sql.placeholder('memberId')), eq(customerUsers.hostId, sql.placeholder('hostId')), isNull(customerUsers.removedAt)))
    .limit(1),
);

type MemberSessionRow = Awaited<ReturnType<typeof memberSessionQuery>>[number];

/** Whether `claims` plus the account row read for them make a session on `hostId`, and why not. */
export function judgePortalSession(claims: PortalClaims | null, hostId: string, row: MemberSessionRow | undefined): PortalSessionResult {
  // A session from another host's portal is simply not a session here.
  if (!claims || claims.hostId !== hostId) return { ok: false, reason: 'none' };
  if (!row || row.sessionVersion !== claims.sessionVersion) return { ok: false, reason: 'locked_out' };
  if (!row.active) return { ok: false, reason: 'inactive' };
  if (!row.portalAccess) return { ok: false, reason: 'portal_access_off' };
  return {
    ok: true,
    member: { id: row.id, name: row.name, email: row.email, role: row.role },
    customer: {
      id: row.customerId,
      name: row.customerName,
      companyName: row.companyName,
      teamName: row.teamName,
      contactEmail: row.contactEmail,
      billingEmail: row.billingEmail,
      active: row.active,
      portalAccess: row.portalAccess,
      status: row.status,
    },
    pendingAgreements: Number(row.pendingAgreements ?? 0),
    twoFactorEnabled: Boolean(row.twoFactorEnabled),
  };
}

/** Verifies the token for this host and re-checks the account; says why when it fails. */
export async function loadPortalSession(db: Db, secret: string, hostId: string, token: string | undefined): Promise<PortalSessionResult> {
  const claims = await verifyPortalToken(secret, token);
  if (!claims || claims.hostId !== hostId) return { ok: false, reason: 'none' };
  const [row] = await memberSessionQuery(db, claims.memberId, hostId);
  return judgePortalSession(claims, hostId, row);
}

export const LOCKOUT_MESSAGES: Record<Exclude<PortalSessionResult, { ok: true }>['reason'], string | null> = {
  none: null,
  locked_out: 'Your access to this portal has ended. Sign in again, or ask your team owner for a new invitation.',
  portal_access_off: 'Portal access is turned off for your account. Contact your hosting provider to turn it back on.',
  inactive: 'Your account is inactive, so the portal is unavailable. Contact your hosting provider.',
};
