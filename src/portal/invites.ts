import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { activityInsert, type Actor } from '../activity/service';
import type { Db } from '../db/client';
import { customers, customerUsers, invites } from '../db/schema';
import { outboxInsert, queueEmail } from '../email/outbox';
import type { Bindings } from '../env';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId, randomToken, sha256Hex } from '../lib/ids';
import { consumeRateLimit } from '../lib/rate-limit';
import { parseInput } from '../lib/validation';
import { inviteSchema } from './schema';
import { portalBaseUrl } from './links';
import type { PortalHost } from './tenant';

export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Per customer and per host, so neither a host's staff nor a customer can spam addresses. */
export const INVITE_LIMITS = { perCustomerPerHour: 20, perHostPerHour: 200, resendPerInvitePerHour: 5 };
const ONE_HOUR = 60 * 60 * 1000;

export type InviteState = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface InviteRow {
  id: string;
  email: string;
  role: 'owner' | 'member';
  state: InviteState;
  invitedByLabel: string;
  expiresAt: number;
  lastSentAt: number;
  sendCount: number;
}

export function inviteState(row: { acceptedAt: number | null; revokedAt: number | null; expiresAt: number }, now = Date.now()): InviteState {
  if (row.acceptedAt) return 'accepted';
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt <= now) return 'expired';
  return 'pending';
}

export async function listInvites(db: Db, hostId: string, customerId: string): Promise<InviteRow[]> {
  const rows = await db
    .select()
    .from(invites)
    .where(and(eq(invites.hostId, hostId), eq(invites.customerId, customerId)))
    .orderBy(desc(invites.createdAt))
    .limit(100)
    .all();
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    role: row.role,
    state: inviteState(row),
    invitedByLabel: row.invitedByLabel,
    expiresAt: row.expiresAt,
    lastSentAt: row.lastSentAt,
    sendCount: row.sendCount,
  }));
}

export interface Inviter extends Actor {
  kind: 'staff' | 'customer';
  id: string;
}

function inviteEmail(db: Db, host: PortalHost, customerName: string, inviter: Inviter, email: string, token: string, expiresAt: number, requestUrl: string) {
  const base = portalBaseUrl(host, requestUrl);
  return outboxInsert(db, {
    hostId: host.id,
    to: email,
    template: 'invite',
    subject: `${inviter.label} invited you to ${host.name}`,
    payload: {
      customerName,
      inviterLabel: inviter.label,
      acceptUrl: `${base}/auth/invite/${token}`,
      expiresAt: new Date(expiresAt).toISOString(),
      logoUrl: host.logoKey ? `${base}/brand/logo?v=${host.brandVersion}` : undefined,
    },
  });
}

/**
 * Invites someone to a customer's portal team: the invite row, its email (outbox row) and the
 * activity entry land in one batch; only then is the email queued.
 */
export async function createInvite(
  db: Db,
  env: Bindings,
  host: PortalHost,
  customerId: string,
  inviter: Inviter,
  raw: unknown,
  requestUrl: string,
): Promise<string> {
  if (!host.hostSlug) {
    throw new AppError('conflict', 'Set a host slug in Settings → General before inviting customers: invitations link to your branded portal.');
  }
  const input = parseInput(inviteSchema, raw);
  const customer = await db
    .select({ id: customers.id, name: customers.name })
    .from(customers)
    .where(and(eq(customers.hostId, host.id), eq(customers.id, customerId)))
    .get();
  if (!customer) throw notFound('Customer');

  const now = Date.now();
  const [members, pending] = await db.batch([
    db
      .select({ customerId: customerUsers.customerId })
      .from(customerUsers)
      .where(and(eq(customerUsers.hostId, host.id), eq(customerUsers.email, input.email), isNull(customerUsers.removedAt))),
    db
      .select({ id: invites.id })
      .from(invites)
      .where(
        and(
          eq(invites.hostId, host.id),
          eq(invites.customerId, customerId),
          eq(invites.email, input.email),
          isNull(invites.acceptedAt),
          isNull(invites.revokedAt),
          gt(invites.expiresAt, now),
        ),
      ),
  ]);
  if (members[0]?.customerId === customerId) throw new ValidationError({ email: 'This person is already on the team.' });
  if (members[0]) throw new ValidationError({ email: 'This email already belongs to another customer account on this portal.' });
  if (pending.length > 0) throw new ValidationError({ email: 'An invitation to this email is already pending; resend it instead.' });

  await consumeRateLimit(db, { key: `invite:customer:${customerId}`, limit: INVITE_LIMITS.perCustomerPerHour, windowMs: ONE_HOUR });
  await consumeRateLimit(db, { key: `invite:host:${host.id}`, limit: INVITE_LIMITS.perHostPerHour, windowMs: ONE_HOUR });

  const { id, emailId, statements } = await inviteStatements(db, host, customer, inviter, input.email, input.role, requestUrl, now);
  await db.batch(statements);
  await queueEmail(env, [emailId]);
  return id;
}

/**
 * An invite's row, its email (outbox) and activity entry, unexecuted: for callers that batch them
 * with the customer itself (an accepted quote). The caller queues `emailId` once the batch lands.
 */
export async function inviteStatements(
  db: Db,
  host: PortalHost,
  customer: { id: string; name: string },
  inviter: Inviter,
  emailAddress: string,
  role: 'owner' | 'member',
  requestUrl: string,
  now = Date.now(),
) {
  const token = randomToken(32);
  const id = newId();
  const expiresAt = now + INVITE_TTL_MS;
  const email = inviteEmail(db, host, customer.name, inviter, emailAddress, token, expiresAt, requestUrl);
  const statements = [
    db.insert(invites).values({
      id,
      hostId: host.id,
      customerId: customer.id,
      email: emailAddress,
      role,
      tokenHash: await sha256Hex(token),
      invitedByKind: inviter.kind,
      invitedById: inviter.id,
      invitedByLabel: inviter.label,
      expiresAt,
      lastSentAt: now,
      createdAt: now,
    }),
    email.statement,
    activityInsert(db, host.id, inviter, 'invite.sent', customer.id, { [emailAddress]: [null, role] }, now),
  ] as const;
  return { id, emailId: email.id, statements };
}

async function pendingInvite(db: Db, hostId: string, customerId: string, inviteId: string) {
  const row = await db
    .select()
    .from(invites)
    .where(and(eq(invites.id, inviteId), eq(invites.hostId, hostId), eq(invites.customerId, customerId)))
    .get();
  if (!row) throw notFound('Invitation');
  const state = inviteState(row);
  if (state === 'accepted' || state === 'revoked') throw new AppError('conflict', `This invitation was already ${state}.`);
  return row;
}

/** A fresh link (the old one stops working) and seven more days; rate-limited per invite. */
export async function resendInvite(db: Db, env: Bindings, host: PortalHost, customerId: string, inviteId: string, inviter: Inviter, requestUrl: string) {
  const row = await pendingInvite(db, host.id, customerId, inviteId);
  await consumeRateLimit(db, { key: `invite:resend:${inviteId}`, limit: INVITE_LIMITS.resendPerInvitePerHour, windowMs: ONE_HOUR });
  const customer = await db.select({ name: customers.name }).from(customers).where(eq(customers.id, customerId)).get();
  const now = Date.now();
  const token = randomToken(32);
  const expiresAt = now + INVITE_TTL_MS;
  const email = inviteEmail(db, host, customer?.name ?? '', inviter, row.email, token, expiresAt, requestUrl);
  await db.batch([
    db
      .update(invites)
      .set({ tokenHash: await sha256Hex(token), expiresAt, lastSentAt: now, sendCount: row.sendCount + 1 })
      .where(and(eq(invites.id, inviteId), eq(invites.hostId, host.id))),
    email.statement,
    activityInsert(db, host.id, inviter, 'invite.resent', customerId, { [row.email]: [null, row.role] }, now),
  ]);
  await queueEmail(env, [email.id]);
}

export async function revokeInvite(db: Db, hostId: string, customerId: string, inviteId: string, actor: Actor) {
  const row = await pendingInvite(db, hostId, customerId, inviteId);
  const now = Date.now();
  await db.batch([
    db.update(invites).set({ revokedAt: now }).where(and(eq(invites.id, inviteId), eq(invites.hostId, hostId))),
    activityInsert(db, hostId, actor, 'invite.revoked', customerId, { [row.email]: [row.role, null] }, now),
  ]);
}

/** The invite a link points at, within this host only; null when the token is unknown. */
export async function findInviteByToken(db: Db, hostId: string, token: string) {
  const row = await db
    .select({
      id: invites.id,
      customerId: invites.customerId,
      customerName: customers.name,
      email: invites.email,
      role: invites.role,
      acceptedAt: invites.acceptedAt,
      revokedAt: invites.revokedAt,
      expiresAt: invites.expiresAt,
    })
    .from(invites)
    .innerJoin(customers, eq(customers.id, invites.customerId))
    .where(and(eq(invites.hostId, hostId), eq(invites.tokenHash, await sha256Hex(token))))
    .get();
  return row ?? null;
}
