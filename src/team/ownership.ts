import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { activityInsert } from '../activity/service';
import { verifyPassword } from '../auth/password';
import type { SignedIn } from '../auth/service';
import type { StaffSession } from '../auth/staff-session';
import type { Db } from '../db/client';
import { hosts, hostUsers, ownershipTransfers, users } from '../db/schema';
import { outboxInsert, queueEmail } from '../email/outbox';
import type { Bindings } from '../env';
import { staffActor } from '../hosts/service';
import { AppError, forbidden, notFound, ValidationError } from '../lib/errors';
import { newId, randomToken, sha256Hex } from '../lib/ids';
import { clientIp, consumeRateLimit } from '../lib/rate-limit';
import { parseInput } from '../lib/validation';
import { failUnless, isGuardFailure } from './guard';
import { acceptExistingSchema, transferSchema } from './schema';
import { checkSecondFactorWhereOn } from './two-factor-hook';

export const TRANSFER_TTL_MS = 7 * 24 * 60 * 60 * 1000;

async function checkOwnPassword(db: Db, userId: string, password: string) {
  const row = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)).get();
  if (!row || !(await verifyPassword(password, row.passwordHash))) throw new ValidationError({ password: 'That is not your password.' });
}

export interface PendingTransfer {
  id: string;
  toUserId: string;
  toName: string;
  toEmail: string;
  expiresAt: number;
}

export async function pendingTransfer(db: Db, hostId: string, now = Date.now()): Promise<PendingTransfer | null> {
  const row = await db
    .select({ id: ownershipTransfers.id, toUserId: ownershipTransfers.toUserId, toName: users.name, toEmail: users.email, expiresAt: ownershipTransfers.expiresAt })
    .from(ownershipTransfers)
    .innerJoin(users, eq(users.id, ownershipTransfers.toUserId))
    .where(and(eq(ownershipTransfers.hostId, hostId), isNull(ownershipTransfers.acceptedAt), isNull(ownershipTransfers.cancelledAt), gt(ownershipTransfers.expiresAt, now)))
    .orderBy(desc(ownershipTransfers.createdAt))
    .get();
  return row ?? null;
}

/**
 * The owner offers the host to one of its admins, confirming with their password; the admin
 * confirms from the emailed link. Until then nothing changes; a new offer replaces an old one.
 */
export async function startTransfer(db: Db, env: Bindings, session: StaffSession, raw: unknown, origin: string): Promise<void> {
  if (session.role !== 'owner') throw forbidden('Only the owner can transfer ownership.');
  const input = parseInput(transferSchema, raw);
  await consumeRateLimit(db, { key: `transfer:host:${session.host.id}`, limit: 10, windowMs: 60 * 60 * 1000 });
  await checkOwnPassword(db, session.user.id, input.password);
  const target = await db
    .select({ role: hostUsers.role, email: users.email, name: users.name })
    .from(hostUsers)
    .innerJoin(users, eq(users.id, hostUsers.userId))
    .where(and(eq(hostUsers.hostId, session.host.id), eq(hostUsers.userId, input.to_user_id)))
    .get();
  if (!target || target.role !== 'admin') throw new ValidationError({ to_user_id: 'Choose one of your admins: make them an admin first.' });

  const now = Date.now();
  const token = randomToken(32);
  const expiresAt = now + TRANSFER_TTL_MS;
  const email = outboxInsert(db, {
    hostId: session.host.id,
    to: target.email,
    template: 'platform_notice',
    subject: `${session.user.name} wants to make you the owner of ${session.host.name}`,
    payload: {
      greeting: `Hello ${target.name},`,
      paragraphs: [
        `${session.user.name} wants to hand the ownership of ${session.host.name} on Hashyard to you.`,
        'As the owner you alone change the organisation’s settings, billing and domains, export its data and can close it. The current owner becomes an admin once you confirm.',
      ],
      actionLabel: 'Review and confirm',
      actionUrl: `${origin}/team/transfer/${token}`,
      expiresAt: new Date(expiresAt).toISOString(),
    },
  });
  await db.batch([
    db
      .update(ownershipTransfers)
      .set({ cancelledAt: now })
      .where(and(eq(ownershipTransfers.hostId, session.host.id), isNull(ownershipTransfers.acceptedAt), isNull(ownershipTransfers.cancelledAt))),
    db.insert(ownershipTransfers).values({
      id: newId(),
      hostId: session.host.id,
      fromUserId: session.user.id,
      toUserId: input.to_user_id,
      tokenHash: await sha256Hex(token),
      expiresAt,
      createdAt: now,
    }),
    email.statement,
    activityInsert(db, session.host.id, staffActor(session), 'ownership.offered', null, { owner: [session.user.email, target.email] }, now),
  ]);
  await queueEmail(env, [email.id]);
}

export async function cancelTransfer(db: Db, session: StaffSession): Promise<void> {
  if (session.role !== 'owner') throw forbidden('Only the owner can cancel a transfer.');
  const pending = await pendingTransfer(db, session.host.id);
  if (!pending) throw notFound('Transfer');
  const now = Date.now();
  await db.batch([
    db.update(ownershipTransfers).set({ cancelledAt: now }).where(and(eq(ownershipTransfers.id, pending.id), isNull(ownershipTransfers.acceptedAt))),
    activityInsert(db, session.host.id, staffActor(session), 'ownership.offer_cancelled', null, { owner: [session.user.email, null] }, now),
  ]);
}

export interface TransferForAcceptance {
  id: string;
  hostId: string;
  hostName: string;
  fromUserId: string;
  fromName: string;
  toUserId: string;
  toEmail: string;
  state: 'pending' | 'accepted' | 'cancelled' | 'expired';
}

export async function findTransfer(db: Db, token: string, now = Date.now()): Promise<TransferForAcceptance | null> {
  const row = await db
    .select({
      id: ownershipTransfers.id,
      hostId: ownershipTransfers.hostId,
      hostName: hosts.name,
      hostClosedAt: hosts.closedAt,
      fromUserId: ownershipTransfers.fromUserId,
      fromName: sql<string>`(SELECT name FROM users WHERE users.id = ${ownershipTransfers.fromUserId})`,
      toUserId: ownershipTransfers.toUserId,
      toEmail: sql<string>`(SELECT email FROM users WHERE users.id = ${ownershipTransfers.toUserId})`,
      acceptedAt: ownershipTransfers.acceptedAt,
      cancelledAt: ownershipTransfers.cancelledAt,
      expiresAt: ownershipTransfers.expiresAt,
    })
    .from(ownershipTransfers)
    .innerJoin(hosts, eq(hosts.id, ownershipTransfers.hostId))
    .where(eq(ownershipTransfers.tokenHash, await sha256Hex(token)))
    .get();
  if (!row) return null;
  const state = row.acceptedAt ? 'accepted' : row.cancelledAt || row.hostClosedAt ? 'cancelled' : row.expiresAt <= now ? 'expired' : 'pending';
  return { id: row.id, hostId: row.hostId, hostName: row.hostName, fromUserId: row.fromUserId, fromName: row.fromName ?? '', toUserId: row.toUserId, toEmail: row.toEmail ?? '', state };
}

/**
 * The admin confirms with their password (and, where on, two-factor). One batch: the claim, the
 * old owner down to admin, the admin up to owner — the one-owner index and the guards make it
 * all or nothing (a transfer to someone who is no longer an admin changes nothing).
 */
export async function acceptTransfer(db: Db, headers: Headers, token: string, form: Record<string, string>): Promise<SignedIn> {
  await consumeRateLimit(db, { key: `transfer:accept:ip:${clientIp(headers)}`, limit: 30, windowMs: 15 * 60 * 1000 });
  const transfer = await findTransfer(db, token);
  if (!transfer) throw notFound('Transfer');
  if (transfer.state !== 'pending') throw new AppError('conflict', `This transfer was ${transfer.state}; ask the owner for a new one.`);
  const input = parseInput(acceptExistingSchema, form);
  const user = await db.select({ passwordHash: users.passwordHash, sessionVersion: users.sessionVersion, name: users.name }).from(users).where(eq(users.id, transfer.toUserId)).get();
  if (!user || !(await verifyPassword(input.password, user.passwordHash))) throw new ValidationError({ password: 'That is not your password.' });
  await checkSecondFactorWhereOn(db, transfer.toUserId, form);

  const now = Date.now();
  const { hostId, fromUserId, toUserId } = transfer;
  const ownerNow = (userId: string) => sql`EXISTS (SELECT 1 FROM host_users WHERE host_id = ${hostId} AND user_id = ${userId} AND role = 'owner')`;
  try {
    await db.batch([
      db
        .update(ownershipTransfers)
        .set({ acceptedAt: now })
        .where(and(eq(ownershipTransfers.id, transfer.id), isNull(ownershipTransfers.acceptedAt), isNull(ownershipTransfers.cancelledAt), gt(ownershipTransfers.expiresAt, now))),
      failUnless(db, hostId, sql`EXISTS (SELECT 1 FROM ownership_transfers WHERE id = ${transfer.id} AND accepted_at = ${now})`),
      db.update(hostUsers).set({ role: 'admin' }).where(and(eq(hostUsers.hostId, hostId), eq(hostUsers.userId, fromUserId), eq(hostUsers.role, 'owner'))),
      db.update(hostUsers).set({ role: 'owner', siteIds: null }).where(and(eq(hostUsers.hostId, hostId), eq(hostUsers.userId, toUserId), eq(hostUsers.role, 'admin'))),
      failUnless(db, hostId, ownerNow(toUserId)),
      activityInsert(db, hostId, { kind: 'staff', id: toUserId, label: user.name }, 'ownership.transferred', null, { owner: [fromUserId, toUserId] }, now),
    ]);
  } catch (error) {
    if (isGuardFailure(error) || String(error).includes('UNIQUE')) {
      throw new AppError('conflict', 'This transfer can no longer complete: it was used or cancelled, or your role changed. Ask the owner for a new one.');
    }
    throw error;
  }
  return { userId: toUserId, hostId, sessionVersion: user.sessionVersion };
}
