import { and, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { activityInsert } from '../activity/service';
import { can, requireThat } from '../auth/permissions';
import { hashPassword, verifyPassword } from '../auth/password';
import type { SignedIn } from '../auth/service';
import type { StaffSession } from '../auth/staff-session';
import type { Db } from '../db/client';
import { hosts, hostUsers, sites, staffInvites, users, type StaffRole } from '../db/schema';
import { outboxInsert, queueEmail } from '../email/outbox';
import type { Bindings } from '../env';
import { staffActor } from '../hosts/service';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId, randomToken, sha256Hex } from '../lib/ids';
import { clientIp, consumeRateLimit } from '../lib/rate-limit';
import { parseInput } from '../lib/validation';
import { failUnless, isGuardFailure } from './guard';
import { acceptExistingSchema, acceptNewSchema, accessFromForm, staffInviteSchema } from './schema';
import { checkSecondFactorWhereOn } from './two-factor-hook';

export const STAFF_INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const ONE_HOUR = 60 * 60 * 1000;
/**
 * Per host and per inviter, so a compromised admin cannot turn the platform into a mailer; per
 * invite for resends; per address for accepting (which may check an existing account's password).
 */
export const STAFF_INVITE_LIMITS = { perHostPerHour: 50, perInviterPerHour: 30, resendPerInvitePerHour: 5, acceptPerIpPer15Min: 30 };

export type StaffInviteState = 'pending' | 'accepted' | 'revoked' | 'expired';

export function staffInviteState(row: { acceptedAt: number | null; revokedAt: number | null; expiresAt: number }, now = Date.now()): StaffInviteState {
  if (row.acceptedAt) return 'accepted';
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt <= now) return 'expired';
  return 'pending';
}

export interface StaffInviteRow {
  id: string;
  email: string;
  role: StaffRole;
  siteIds: string[] | null;
  state: StaffInviteState;
  invitedByLabel: string;
  expiresAt: number;
  lastSentAt: number;
  sendCount: number;
}

const parseIds = (stored: string | null): string[] | null => (stored === null ? null : (JSON.parse(stored) as string[]));

/** The host's invitations, newest first (the last 100: older ones are history in the activity log). */
export async function listStaffInvites(db: Db, hostId: string): Promise<StaffInviteRow[]> {
  const rows = await db.select().from(staffInvites).where(eq(staffInvites.hostId, hostId)).orderBy(desc(staffInvites.createdAt)).limit(100).all();
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    role: row.role,
    siteIds: parseIds(row.siteIds),
    state: staffInviteState(row),
    invitedByLabel: row.invitedByLabel,
    expiresAt: row.expiresAt,
    lastSentAt: row.lastSentAt,
    sendCount: row.sendCount,
  }));
}

/**
 * The sites a member may be given: the host's own, and — when the granting member is scoped
 * themselves — only among their own sites (nobody hands out more than they can see).
 */
export async function checkGrantableSites(db: Db, session: StaffSession, siteIds: string[] | null, field = 'site_access'): Promise<void> {
  if (siteIds === null) {
    if (session.siteIds !== null) throw new ValidationError({ [field]: 'You can only give access to the sites you can see yourself.' });
    return;
  }
  if (session.siteIds !== null && siteIds.some((id) => !session.siteIds!.includes(id))) {
    throw new ValidationError({ [field]: 'You can only give access to the sites you can see yourself.' });
  }
  const found = await db.select({ id: sites.id }).from(sites).where(and(eq(sites.hostId, session.host.id), inArray(sites.id, siteIds))).all();
  if (found.length !== siteIds.length) throw new ValidationError({ [field]: 'Choose sites from the list.' });
}

function inviteEmail(db: Db, session: StaffSession, email: string, role: StaffRole, token: string, expiresAt: number, origin: string) {
  return outboxInsert(db, {
    hostId: session.host.id,
    to: email,
    template: 'platform_notice',
    subject: `${session.user.name} invited you to ${session.host.name} on Hashyard`,
    payload: {
      greeting: 'Hello,',
      paragraphs: [
        `${session.user.name} invited you to join the team of ${session.host.name} on Hashyard, as ${role === 'admin' ? 'an admin' : 'staff'}.`,
        'Accepting takes a minute: choose your password, or confirm the one you already use on Hashyard. The invitation can be used once.',
      ],
      actionLabel: 'Accept the invitation',
      actionUrl: `${origin}/team/invite/${token}`,
      expiresAt: new Date(expiresAt).toISOString(),
    },
  });
}

/**
 * Invites someone by email. The answer is the same whether or not the address already has a
 * Hashyard account anywhere (only this host's own team and pending invitations, which the
 * inviter can see anyway, are refused), and it is rate-limited per host and per inviter.
 */
export async function createStaffInvite(db: Db, env: Bindings, session: StaffSession, form: Record<string, string>, origin: string): Promise<string> {
  requireThat(can.manageStaff(session.role), 'Only the owner and admins can invite staff.');
  const input = parseInput(staffInviteSchema, { email: form.email, role: form.role, ...accessFromForm(form) });
  requireThat(can.manageStaffRole(session.role, input.role));
  await checkGrantableSites(db, session, input.siteIds);
  await consumeRateLimit(db, { key: `staff-invite:host:${session.host.id}`, limit: STAFF_INVITE_LIMITS.perHostPerHour, windowMs: ONE_HOUR });
  await consumeRateLimit(db, { key: `staff-invite:by:${session.user.id}`, limit: STAFF_INVITE_LIMITS.perInviterPerHour, windowMs: ONE_HOUR });

  const now = Date.now();
  const [members, pending] = await db.batch([
    db
      .select({ userId: hostUsers.userId })
      .from(hostUsers)
      .innerJoin(users, eq(users.id, hostUsers.userId))
      .where(and(eq(hostUsers.hostId, session.host.id), eq(users.email, input.email))),
    db
      .select({ id: staffInvites.id })
      .from(staffInvites)
      .where(
        and(
          eq(staffInvites.hostId, session.host.id),
          eq(staffInvites.email, input.email),
          isNull(staffInvites.acceptedAt),
          isNull(staffInvites.revokedAt),
          gt(staffInvites.expiresAt, now),
        ),
      ),
  ]);
  if (members.length > 0) throw new ValidationError({ email: 'This person is already on your team.' });
  if (pending.length > 0) throw new ValidationError({ email: 'An invitation to this email is already pending; resend it instead.' });

  const token = randomToken(32);
  const id = newId();
  const expiresAt = now + STAFF_INVITE_TTL_MS;
  const email = inviteEmail(db, session, input.email, input.role, token, expiresAt, origin);
  await db.batch([
    db.insert(staffInvites).values({
      id,
      hostId: session.host.id,
      email: input.email,
      role: input.role,
      siteIds: input.siteIds === null ? null : JSON.stringify(input.siteIds),
      tokenHash: await sha256Hex(token),
      invitedById: session.user.id,
      invitedByLabel: session.user.name,
      expiresAt,
      lastSentAt: now,
      createdAt: now,
    }),
    email.statement,
    activityInsert(db, session.host.id, staffActor(session), 'staff.invited', null, { [input.email]: [null, input.role], sites: [null, input.siteIds ?? 'all'] }, now),
  ]);
  await queueEmail(env, [email.id]);
  return id;
}

async function pendingStaffInvite(db: Db, session: StaffSession, inviteId: string) {
  requireThat(can.manageStaff(session.role), 'Only the owner and admins can manage invitations.');
  const row = await db.select().from(staffInvites).where(and(eq(staffInvites.id, inviteId), eq(staffInvites.hostId, session.host.id))).get();
  if (!row) throw notFound('Invitation');
  const state = staffInviteState(row);
  if (state === 'accepted' || state === 'revoked') throw new AppError('conflict', `This invitation was already ${state}.`);
  return row;
}

/** A fresh link (the old one stops working) and seven more days; rate-limited per invitation. */
export async function resendStaffInvite(db: Db, env: Bindings, session: StaffSession, inviteId: string, origin: string): Promise<void> {
  const row = await pendingStaffInvite(db, session, inviteId);
  await consumeRateLimit(db, { key: `staff-invite:resend:${inviteId}`, limit: STAFF_INVITE_LIMITS.resendPerInvitePerHour, windowMs: ONE_HOUR });
  const now = Date.now();
  const token = randomToken(32);
  const expiresAt = now + STAFF_INVITE_TTL_MS;
  const email = inviteEmail(db, session, row.email, row.role, token, expiresAt, origin);
  await db.batch([
    db
      .update(staffInvites)
      .set({ tokenHash: await sha256Hex(token), expiresAt, lastSentAt: now, sendCount: row.sendCount + 1 })
      .where(and(eq(staffInvites.id, inviteId), eq(staffInvites.hostId, session.host.id), isNull(staffInvites.acceptedAt), isNull(staffInvites.revokedAt))),
    email.statement,
    activityInsert(db, session.host.id, staffActor(session), 'staff.invite_resent', null, { [row.email]: [null, row.role] }, now),
  ]);
  await queueEmail(env, [email.id]);
}

export async function revokeStaffInvite(db: Db, session: StaffSession, inviteId: string): Promise<void> {
  const row = await pendingStaffInvite(db, session, inviteId);
  const now = Date.now();
  await db.batch([
    db
      .update(staffInvites)
      .set({ revokedAt: now })
      .where(and(eq(staffInvites.id, inviteId), eq(staffInvites.hostId, session.host.id), isNull(staffInvites.acceptedAt))),
    activityInsert(db, session.host.id, staffActor(session), 'staff.invite_revoked', null, { [row.email]: [row.role, null] }, now),
  ]);
}

export interface InviteForAcceptance {
  id: string;
  hostId: string;
  hostName: string;
  email: string;
  role: StaffRole;
  state: StaffInviteState;
  /** Whether the invited address already has an account: it then confirms with its password. */
  hasAccount: boolean;
}

/** What an invitation link points at; null for an unknown token. Only the token's holder sees it. */
export async function findStaffInvite(db: Db, token: string): Promise<InviteForAcceptance | null> {
  const row = await db
    .select({
      id: staffInvites.id,
      hostId: staffInvites.hostId,
      hostName: hosts.name,
      hostClosedAt: hosts.closedAt,
      email: staffInvites.email,
      role: staffInvites.role,
      acceptedAt: staffInvites.acceptedAt,
      revokedAt: staffInvites.revokedAt,
      expiresAt: staffInvites.expiresAt,
      userId: sql<string | null>`(SELECT ${users.id} FROM ${users} WHERE ${users.email} = ${staffInvites.email})`,
    })
    .from(staffInvites)
    .innerJoin(hosts, eq(hosts.id, staffInvites.hostId))
    .where(eq(staffInvites.tokenHash, await sha256Hex(token)))
    .get();
  if (!row) return null;
  return {
    id: row.id,
    hostId: row.hostId,
    hostName: row.hostName,
    email: row.email,
    role: row.role,
    // A closed host takes no one new: its invitations read as revoked.
    state: row.hostClosedAt ? 'revoked' : staffInviteState(row),
    hasAccount: row.userId !== null,
  };
}

const STATE_MESSAGES: Record<Exclude<StaffInviteState, 'pending'>, string> = {
  accepted: 'This invitation was already used. Sign in instead.',
  revoked: 'This invitation was withdrawn. Ask the person who invited you for a new one.',
  expired: 'This invitation has expired. Ask the person who invited you to resend it.',
};

export const inviteStateMessage = (state: StaffInviteState) => (state === 'pending' ? '' : STATE_MESSAGES[state]);

/**
 * Accepts an invitation: a new person gets an account with their own password; someone who
 * already has one proves it with their password (and, where on, two-factor). Single use: the
 * claim is a guarded UPDATE and everything after it in the batch stands or falls with it, so of
 * two accepts racing, exactly one joins.
 */
export async function acceptStaffInvite(db: Db, headers: Headers, token: string, form: Record<string, string>): Promise<SignedIn> {
  await consumeRateLimit(db, { key: `staff-invite:accept:ip:${clientIp(headers)}`, limit: STAFF_INVITE_LIMITS.acceptPerIpPer15Min, windowMs: 15 * 60 * 1000 });
  const tokenHash = await sha256Hex(token);
  const invite = await findStaffInvite(db, token);
  if (!invite) throw notFound('Invitation');
  if (invite.state !== 'pending') throw new AppError('conflict', inviteStateMessage(invite.state));

  const now = Date.now();
  const existing = await db.select({ id: users.id, passwordHash: users.passwordHash, sessionVersion: users.sessionVersion }).from(users).where(eq(users.email, invite.email)).get();
  let userId: string;
  let sessionVersion = 1;
  const writes = [];
  if (existing) {
    const input = parseInput(acceptExistingSchema, form);
    if (!(await verifyPassword(input.password, existing.passwordHash))) throw new ValidationError({ password: 'That is not the password of this account.' });
    await checkSecondFactorWhereOn(db, existing.id, form);
    userId = existing.id;
    sessionVersion = existing.sessionVersion;
  } else {
    const input = parseInput(acceptNewSchema, form);
    userId = newId();
    writes.push(db.insert(users).values({ id: userId, email: invite.email, name: input.name, passwordHash: await hashPassword(input.password), createdAt: now, updatedAt: now }));
  }
  const claimed = sql`EXISTS (SELECT 1 FROM staff_invites WHERE id = ${invite.id} AND accepted_by = ${userId} AND accepted_at = ${now})`;
  const row = await db.select({ role: staffInvites.role, siteIds: staffInvites.siteIds }).from(staffInvites).where(eq(staffInvites.id, invite.id)).get();
  try {
    await db.batch([
      db
        .update(staffInvites)
        .set({ acceptedAt: now, acceptedBy: userId })
        .where(
          and(
            eq(staffInvites.id, invite.id),
            eq(staffInvites.tokenHash, tokenHash),
            isNull(staffInvites.acceptedAt),
            isNull(staffInvites.revokedAt),
            gt(staffInvites.expiresAt, now),
          ),
        ),
      failUnless(db, invite.hostId, claimed),
      ...writes,
      db.insert(hostUsers).values({ hostId: invite.hostId, userId, role: row!.role, siteIds: row!.siteIds, createdAt: now }),
      activityInsert(db, invite.hostId, { kind: 'staff', id: userId, label: existing ? invite.email : (form.name ?? '').trim() }, 'staff.joined', null, { [invite.email]: [null, invite.role] }, now),
    ]);
  } catch (error) {
    if (isGuardFailure(error) || String(error).includes('UNIQUE')) {
      throw new AppError('conflict', 'This invitation was just used, withdrawn or replaced. Sign in, or ask for a new one.');
    }
    throw error;
  }
  return { userId, hostId: invite.hostId, sessionVersion };
}
