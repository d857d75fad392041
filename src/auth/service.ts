import { and, asc, eq, isNull, or } from 'drizzle-orm';
import type { Db } from '../db/client';
import { hosts, hostUsers, users } from '../db/schema';
import { activityInsert } from '../activity/service';
import { AppError, ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { clientIp, consumeRateLimit } from '../lib/rate-limit';
import { parseInput } from '../lib/validation';
import { signInSchema, signUpSchema } from '../hosts/schema';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password';
import { accountKey, checkSignInDelay, clearSignInFailures, recordSignInFailure } from '../security/sign-in-delay';

const FIFTEEN_MINUTES = 15 * 60 * 1000;
const ONE_HOUR = 60 * 60 * 1000;
/**
 * Per address. Per account there is no hard limit (a stranger could lock anyone out with it) but a
 * delay that grows with failures and never applies to a device that signed in before
 * (src/security/sign-in-delay.ts).
 */
export const SIGNIN_LIMITS = { perIp: 50, windowMs: FIFTEEN_MINUTES };
export const SIGNUP_LIMITS = { perIp: 20, windowMs: ONE_HOUR };

export interface SignedIn {
  userId: string;
  hostId: string;
  sessionVersion: number;
  /** Set by signIn: more than one, and the person picks a host first (/admin/hosts). */
  hostCount?: number;
  /** The account's key for the device cookie (sign-in only). */
  deviceKey?: string;
}

/** Creates a host and its owner in one batch; the slug and email must be free. */
export async function signUpHost(db: Db, headers: Headers, raw: unknown): Promise<SignedIn> {
  const input = parseInput(signUpSchema, raw);
  await consumeRateLimit(db, { key: `signup:ip:${clientIp(headers)}`, limit: SIGNUP_LIMITS.perIp, windowMs: SIGNUP_LIMITS.windowMs });
  // A main slug is also a portal URL (/host/<slug>), so it must not be any host's host slug either.
  const [slugTaken, emailTaken] = await db.batch([
    db.select({ id: hosts.id }).from(hosts).where(or(eq(hosts.mainSlug, input.main_slug), eq(hosts.hostSlug, input.main_slug))).limit(1),
    db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).limit(1),
  ]);
  const fields: Record<string, string> = {};
  if (slugTaken.length > 0) fields.main_slug = 'That slug is taken; choose another.';
  if (emailTaken.length > 0) fields.email = 'An account with this email already exists; sign in instead.';
  if (Object.keys(fields).length > 0) throw new ValidationError(fields);

  const now = Date.now();
  const hostId = newId();
  const userId = newId();
  const passwordHash = await hashPassword(input.password);
  try {
    await db.batch([
      db.insert(hosts).values({ id: hostId, name: input.organisation_name, mainSlug: input.main_slug, createdAt: now, updatedAt: now }),
      db.insert(users).values({ id: userId, email: input.email, name: input.owner_name, passwordHash, createdAt: now, updatedAt: now }),
      db.insert(hostUsers).values({ hostId, userId, role: 'owner', createdAt: now }),
      activityInsert(db, hostId, { kind: 'staff', id: userId, label: input.owner_name }, 'host.created', null, null, now),
    ]);
  } catch (error) {
    // Two sign-ups raced for the same slug or email: the unique index decided.
    if (String(error).includes('UNIQUE')) {
      throw new ValidationError({ main_slug: 'That slug or email was just taken; try again.' });
    }
    throw error;
  }
  return { userId, hostId, sessionVersion: 1 };
}

/** Email + password; the same message for an unknown email and a wrong password. */
export async function signIn(db: Db, headers: Headers, raw: unknown, knownDevice: readonly string[] = []): Promise<SignedIn> {
  const input = parseInput(signInSchema, raw);
  await consumeRateLimit(db, { key: `signin:ip:${clientIp(headers)}`, limit: SIGNIN_LIMITS.perIp, windowMs: SIGNIN_LIMITS.windowMs });
  const deviceKey = await accountKey('staff', input.email);
  await checkSignInDelay(db, deviceKey, knownDevice.includes(deviceKey));
  const user = await db.select().from(users).where(eq(users.email, input.email)).get();
  if (!user) {
    await burnPasswordCheck(input.password);
    await recordSignInFailure(db, deviceKey);
    throw new ValidationError({ email: 'Email or password is incorrect.' }, 'Email or password is incorrect.');
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) {
    await recordSignInFailure(db, deviceKey);
    throw new ValidationError({ email: 'Email or password is incorrect.' }, 'Email or password is incorrect.');
  }
  await clearSignInFailures(db, deviceKey);
  // The session names one host: the first joined; a person on several then picks one (/admin/hosts).
  // Closed hosts (src/team/close.ts) are no longer a way in.
  const memberships = await db
    .select({ hostId: hostUsers.hostId })
    .from(hostUsers)
    .innerJoin(hosts, eq(hosts.id, hostUsers.hostId))
    .where(and(eq(hostUsers.userId, user.id), isNull(hosts.closedAt)))
    .orderBy(asc(hostUsers.createdAt))
    .all();
  const first = memberships[0];
  if (!first) throw new AppError('forbidden', 'This account is not a member of any open host any more.');
  return { userId: user.id, hostId: first.hostId, sessionVersion: user.sessionVersion, hostCount: memberships.length, deviceKey };
}
