import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { activityInsert, type Actor } from '../activity/service';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../auth/password';
import type { Db } from '../db/client';
import { customers, customerUsers, invites, passwordResets } from '../db/schema';
import { outboxInsert, queueEmail } from '../email/outbox';
import type { Bindings } from '../env';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId, randomToken, sha256Hex } from '../lib/ids';
import { clientIp, consumeRateLimit } from '../lib/rate-limit';
import { parseInput } from '../lib/validation';
import { findInviteByToken, inviteState } from './invites';
import { accountKey, checkSignInDelay, clearSignInFailures, recordSignInFailure } from '../security/sign-in-delay';
import {
  acceptInviteSignInSchema,
  acceptInviteSignUpSchema,
  changePasswordSchema,
  forgotPasswordSchema,
  portalSignInSchema,
  profileSchema,
  resetPasswordSchema,
  teamNameSchema,
} from './schema';
import { LOCKOUT_MESSAGES } from './session';
import { portalBaseUrl } from './links';
import type { PortalHost } from './tenant';

const FIFTEEN_MINUTES = 15 * 60 * 1000;
const RESET_TTL_MS = 60 * 60 * 1000;

export interface PortalSignedIn {
  id: string;
  hostId: string;
  /** The customer the account belongs to (changing it bumps the session version). */
  customerId: string;
  sessionVersion: number;
  /** The account's key for the device cookie (sign-in only). */
  deviceKey?: string;
}

const memberActor = (member: { id: string; name: string }): Actor => ({ kind: 'customer', id: member.id, label: member.name });

/** Per address; per account a growing delay rather than a lockout (src/security/sign-in-delay.ts). */
async function limitSignIn(db: Db, headers: Headers) {
  await consumeRateLimit(db, { key: `portal-signin:ip:${clientIp(headers)}`, limit: 50, windowMs: FIFTEEN_MINUTES });
}

/** Portal Access and Active Account are checked here and again on every request (session.ts). */
function assertCustomerCanUsePortal(customer: { active: boolean; portalAccess: boolean }) {
  if (!customer.active) throw new AppError('forbidden', LOCKOUT_MESSAGES.inactive ?? '');
  if (!customer.portalAccess) throw new AppError('forbidden', LOCKOUT_MESSAGES.portal_access_off ?? '');
}

async function accountByEmail(db: Db, hostId: string, email: string) {
  return db
    .select({
      id: customerUsers.id,
      name: customerUsers.name,
      customerId: customerUsers.customerId,
      passwordHash: customerUsers.passwordHash,
      sessionVersion: customerUsers.sessionVersion,
      removedAt: customerUsers.removedAt,
      active: customers.active,
      portalAccess: customers.portalAccess,
    })
    .from(customerUsers)
    .innerJoin(customers, eq(customers.id, customerUsers.customerId))
    .where(and(eq(customerUsers.hostId, hostId), eq(customerUsers.email, email)))
    .get();
}

const BAD_CREDENTIALS = 'Email or password is incorrect.';

export async function signInMember(db: Db, host: PortalHost, headers: Headers, raw: unknown, knownDevice: readonly string[] = []): Promise<PortalSignedIn> {
  const input = parseInput(portalSignInSchema, raw);
  await limitSignIn(db, headers);
  const deviceKey = await accountKey(`portal:${host.id}`, input.email);
  await checkSignInDelay(db, deviceKey, knownDevice.includes(deviceKey));
  const account = await accountByEmail(db, host.id, input.email);
  if (!account || account.removedAt) {
    await burnPasswordCheck(input.password);
    await recordSignInFailure(db, deviceKey);
    throw new ValidationError({ email: BAD_CREDENTIALS }, BAD_CREDENTIALS);
  }
  if (!(await verifyPassword(input.password, account.passwordHash))) {
    await recordSignInFailure(db, deviceKey);
    throw new ValidationError({ email: BAD_CREDENTIALS }, BAD_CREDENTIALS);
  }
  await clearSignInFailures(db, deviceKey);
  assertCustomerCanUsePortal(account);
  return { id: account.id, hostId: host.id, customerId: account.customerId, sessionVersion: account.sessionVersion, deviceKey };
}

/** Why an invite link cannot be used, in words for the person holding it; null when it can. */
export function inviteProblem(invite: { acceptedAt: number | null; revokedAt: number | null; expiresAt: number } | null): string | null {
  if (!invite) return 'This invitation link is not valid. Ask for a new invitation.';
  const state = inviteState(invite);
  if (state === 'accepted') return 'This invitation has already been used. Sign in instead.';
  if (state === 'revoked') return 'This invitation was withdrawn. Ask for a new invitation.';
  if (state === 'expired') return 'This invitation has expired. Ask for a new one.';
  return null;
}

async function usableInvite(db: Db, hostId: string, token: string) {
  const invite = await findInviteByToken(db, hostId, token);
  const problem = inviteProblem(invite);
  if (problem || !invite) throw new AppError('conflict', problem ?? '');
  return invite;
}

/**
 * Accepting an invite as someone new to this portal: creates the account as a member of the
 * invited customer (never host staff), marks the invite used, logs it — in one batch.
 * The email must be the one the invite was sent to.
 */
export async function acceptInviteAsNewMember(db: Db, host: PortalHost, headers: Headers, token: string, raw: unknown): Promise<PortalSignedIn> {
  const invite = await usableInvite(db, host.id, token);
  const input = parseInput(acceptInviteSignUpSchema, raw);
  if (input.email !== invite.email) throw new ValidationError({ email: 'Use the email address this invitation was sent to.' });
  await consumeRateLimit(db, { key: `portal-signup:ip:${clientIp(headers)}`, limit: 20, windowMs: 60 * 60 * 1000 });
  if (await accountByEmail(db, host.id, input.email)) {
    throw new ValidationError({ email: 'You already have an account on this portal: sign in below to accept.' });
  }
  const customer = await db.select({ active: customers.active, portalAccess: customers.portalAccess }).from(customers).where(eq(customers.id, invite.customerId)).get();
  if (!customer) throw notFound('Customer');
  assertCustomerCanUsePortal(customer);
  const now = Date.now();
  const id = newId();
  const [, accepted] = await db.batch([
    db.insert(customerUsers).values({
      id,
      hostId: host.id,
      customerId: invite.customerId,
      email: input.email,
      name: input.name,
      passwordHash: await hashPassword(input.password),
      role: invite.role,
      createdAt: now,
      updatedAt: now,
    }),
    // The conditional update is what makes an invite single-use under concurrent accepts.
    db
      .update(invites)
      .set({ acceptedAt: now })
      .where(and(eq(invites.id, invite.id), isNull(invites.acceptedAt), isNull(invites.revokedAt), gt(invites.expiresAt, now)))
      .returning({ id: invites.id }),
    activityInsert(db, host.id, { kind: 'customer', id, label: input.name }, 'member.joined', invite.customerId, { [input.email]: [null, invite.role] }, now),
  ]);
  if (accepted.length === 0) {
    // Lost a race with another accept or a revoke: undo the account.
    await db.delete(customerUsers).where(eq(customerUsers.id, id));
    throw new AppError('conflict', 'This invitation was used or withdrawn a moment ago.');
  }
  return { id, hostId: host.id, customerId: invite.customerId, sessionVersion: 1 };
}

/**
 * Accepting an invite with an account this portal already has (for example a member removed
 * earlier and invited back): the password proves it is them; they join the invited customer.
 */
export async function acceptInviteAsExistingMember(db: Db, host: PortalHost, headers: Headers, token: string, raw: unknown): Promise<PortalSignedIn> {
  const invite = await usableInvite(db, host.id, token);
  const input = parseInput(acceptInviteSignInSchema, raw);
  if (input.email !== invite.email) throw new ValidationError({ email: 'Use the email address this invitation was sent to.' });
  await limitSignIn(db, headers);
  // The same per-account delay as signing in: a password is being checked.
  const deviceKey = await accountKey(`portal:${host.id}`, input.email);
  await checkSignInDelay(db, deviceKey, false);
  const account = await accountByEmail(db, host.id, input.email);
  if (!account || !(await verifyPassword(input.password, account.passwordHash))) {
    if (!account) await burnPasswordCheck(input.password);
    await recordSignInFailure(db, deviceKey);
    throw new ValidationError({ email: BAD_CREDENTIALS }, BAD_CREDENTIALS);
  }
  if (!account.removedAt && account.customerId !== invite.customerId) {
    throw new ValidationError({ email: 'This email already belongs to another customer account on this portal.' });
  }
  const customer = await db.select({ active: customers.active, portalAccess: customers.portalAccess }).from(customers).where(eq(customers.id, invite.customerId)).get();
  if (!customer) throw notFound('Customer');
  assertCustomerCanUsePortal(customer);
  const now = Date.now();
  const sessionVersion = account.sessionVersion + 1;
  const [accepted] = await db.batch([
    db
      .update(invites)
      .set({ acceptedAt: now })
      .where(and(eq(invites.id, invite.id), isNull(invites.acceptedAt), isNull(invites.revokedAt), gt(invites.expiresAt, now)))
      .returning({ id: invites.id }),
    db
      .update(customerUsers)
      .set({ customerId: invite.customerId, role: invite.role, removedAt: null, sessionVersion, updatedAt: now })
      .where(and(eq(customerUsers.id, account.id), eq(customerUsers.hostId, host.id))),
    activityInsert(db, host.id, { kind: 'customer', id: account.id, label: account.name }, 'member.joined', invite.customerId, { [input.email]: [null, invite.role] }, now),
  ]);
  if (accepted.length === 0) throw new AppError('conflict', 'This invitation was used or withdrawn a moment ago.');
  return { id: account.id, hostId: host.id, customerId: invite.customerId, sessionVersion };
}

/** Always answers the same, whether or not the email has an account (no enumeration). */
export async function requestPasswordReset(db: Db, env: Bindings, host: PortalHost, headers: Headers, raw: unknown, requestUrl: string): Promise<void> {
  const input = parseInput(forgotPasswordSchema, raw);
  await consumeRateLimit(db, { key: `portal-reset:ip:${clientIp(headers)}`, limit: 20, windowMs: FIFTEEN_MINUTES });
  await consumeRateLimit(db, { key: `portal-reset:email:${host.id}:${input.email}`, limit: 3, windowMs: FIFTEEN_MINUTES });
  const account = await accountByEmail(db, host.id, input.email);
  if (!account || account.removedAt) return;
  const token = randomToken(32);
  const now = Date.now();
  const base = portalBaseUrl(host, requestUrl);
  const email = outboxInsert(db, {
    hostId: host.id,
    to: input.email,
    template: 'password_reset',
    subject: `Reset your ${host.name} password`,
    payload: {
      name: account.name,
      resetUrl: `${base}/auth/reset/${token}`,
      expiresAt: new Date(now + RESET_TTL_MS).toISOString(),
      logoUrl: host.logoKey ? `${base}/brand/logo?v=${host.brandVersion}` : undefined,
    },
  });
  await db.batch([
    db.insert(passwordResets).values({ id: newId(), hostId: host.id, customerUserId: account.id, tokenHash: await sha256Hex(token), expiresAt: now + RESET_TTL_MS, createdAt: now }),
    email.statement,
  ]);
  await queueEmail(env, [email.id]);
}

export async function findPasswordReset(db: Db, hostId: string, token: string) {
  const row = await db
    .select()
    .from(passwordResets)
    .where(and(eq(passwordResets.hostId, hostId), eq(passwordResets.tokenHash, await sha256Hex(token))))
    .get();
  if (!row || row.usedAt || row.expiresAt <= Date.now()) return null;
  return row;
}

/** Sets the new password and ends every other session of the account (version bump). */
export async function resetPassword(db: Db, host: PortalHost, token: string, raw: unknown): Promise<PortalSignedIn> {
  const reset = await findPasswordReset(db, host.id, token);
  if (!reset) throw new AppError('conflict', 'This reset link has expired or was already used. Ask for a new one.');
  const input = parseInput(resetPasswordSchema, raw);
  const account = await db.select().from(customerUsers).where(and(eq(customerUsers.id, reset.customerUserId), eq(customerUsers.hostId, host.id))).get();
  if (!account || account.removedAt) throw new AppError('conflict', 'This account no longer has access to the portal.');
  const now = Date.now();
  const sessionVersion = account.sessionVersion + 1;
  const [used] = await db.batch([
    db
      .update(passwordResets)
      .set({ usedAt: now })
      .where(and(eq(passwordResets.id, reset.id), isNull(passwordResets.usedAt)))
      .returning({ id: passwordResets.id }),
    db
      .update(customerUsers)
      .set({ passwordHash: await hashPassword(input.password), sessionVersion, updatedAt: now })
      .where(eq(customerUsers.id, account.id)),
  ]);
  if (used.length === 0) throw new AppError('conflict', 'This reset link was already used.');
  return { id: account.id, hostId: host.id, customerId: account.customerId, sessionVersion };
}

// ---------------------------------------------------------------------------------------------
// Team: members of one customer.

export interface TeamMember {
  id: string;
  name: string;
  email: string;
  role: 'owner' | 'member';
  createdAt: number;
}

export async function listTeam(db: Db, hostId: string, customerId: string): Promise<TeamMember[]> {
  return db
    .select({ id: customerUsers.id, name: customerUsers.name, email: customerUsers.email, role: customerUsers.role, createdAt: customerUsers.createdAt })
    .from(customerUsers)
    .where(and(eq(customerUsers.hostId, hostId), eq(customerUsers.customerId, customerId), isNull(customerUsers.removedAt)))
    .orderBy(asc(customerUsers.createdAt))
    .all();
}

/**
 * Ends a member's access at once: removed_at plus a session-version bump, so their current
 * session fails on its next request. The account row stays so history keeps its name.
 */
export async function removeMember(db: Db, hostId: string, customerId: string, memberId: string, actor: Actor): Promise<void> {
  const member = await db
    .select()
    .from(customerUsers)
    .where(and(eq(customerUsers.id, memberId), eq(customerUsers.hostId, hostId), eq(customerUsers.customerId, customerId), isNull(customerUsers.removedAt)))
    .get();
  if (!member) throw notFound('Team member');
  if (actor.kind === 'customer' && actor.id === memberId) throw new AppError('conflict', 'You cannot remove yourself; ask another owner or your hosting provider.');
  const now = Date.now();
  await db.batch([
    db
      .update(customerUsers)
      .set({ removedAt: now, sessionVersion: member.sessionVersion + 1, updatedAt: now })
      .where(eq(customerUsers.id, memberId)),
    activityInsert(db, hostId, actor, 'member.removed', customerId, { [member.email]: [member.role, null] }, now),
  ]);
}

export async function setTeamName(db: Db, hostId: string, customerId: string, actor: Actor, raw: unknown): Promise<void> {
  const { team_name: teamName } = parseInput(teamNameSchema, raw);
  const customer = await db.select({ teamName: customers.teamName }).from(customers).where(and(eq(customers.id, customerId), eq(customers.hostId, hostId))).get();
  if (!customer) throw notFound('Customer');
  if (customer.teamName === teamName) return;
  const now = Date.now();
  await db.batch([
    db.update(customers).set({ teamName, updatedAt: now }).where(and(eq(customers.id, customerId), eq(customers.hostId, hostId))),
    activityInsert(db, hostId, actor, 'customer.updated', customerId, { team_name: [customer.teamName, teamName] }, now),
  ]);
}

export async function updateProfile(db: Db, hostId: string, member: { id: string; name: string }, raw: unknown) {
  const input = parseInput(profileSchema, raw);
  await db.update(customerUsers).set({ name: input.name, updatedAt: Date.now() }).where(and(eq(customerUsers.id, member.id), eq(customerUsers.hostId, hostId)));
}

/** Changing the password ends other sessions; the caller re-issues this one's cookie. */
export async function changePassword(db: Db, hostId: string, memberId: string, raw: unknown): Promise<PortalSignedIn> {
  const input = parseInput(changePasswordSchema, raw);
  const account = await db.select().from(customerUsers).where(and(eq(customerUsers.id, memberId), eq(customerUsers.hostId, hostId))).get();
  if (!account) throw notFound('Account');
  if (!(await verifyPassword(input.current_password, account.passwordHash))) {
    throw new ValidationError({ current_password: 'That is not your current password.' });
  }
  const sessionVersion = account.sessionVersion + 1;
  await db
    .update(customerUsers)
    .set({ passwordHash: await hashPassword(input.new_password), sessionVersion, updatedAt: Date.now() })
    .where(eq(customerUsers.id, memberId));
  return { id: memberId, hostId, customerId: account.customerId, sessionVersion };
}

export { memberActor };

/** Signing out ends every session of the portal account (the version moves on), not only this browser's cookie. */
export async function signOutMember(db: Db, hostId: string, memberId: string): Promise<void> {
  await db
    .update(customerUsers)
    .set({ sessionVersion: sql`${customerUsers.sessionVersion} + 1`, updatedAt: Date.now() })
    .where(and(eq(customerUsers.hostId, hostId), eq(customerUsers.id, memberId)));
}
