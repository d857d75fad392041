import { eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { signInFailures } from '../db/schema';
import { AppError } from '../lib/errors';
import { sha256Hex } from '../lib/ids';
import { signJwt, verifyJwt } from '../lib/jwt';

/**
 * Sign-in throttling per account without a lockout (issue 11, weakness 8). Wrong passwords make the
 * account wait longer before the next try: nothing for the first FREE_FAILURES, then 1 s, 2 s, 4 s …
 * up to MAX_DELAY_MS. A browser that signed in to the account before carries a signed device
 * cookie naming it, and is never delayed: a guesser elsewhere cannot keep the owner out.
 * Unknown emails are counted the same way, so the delay says nothing about whether an account exists.
 */
export const FREE_FAILURES = 5;
export const MAX_DELAY_MS = 15 * 60 * 1000;
/** Failures older than this are forgotten (the cron prunes them). */
export const FAILURE_MEMORY_MS = 24 * 60 * 60 * 1000;

export const DEVICE_COOKIE = '__Host-hy_device';
export const DEVICE_COOKIE_TTL_SECONDS = 60 * 60 * 24 * 365;
const DEVICE_AUDIENCE = 'hashyard:device';
/** A browser remembers at most this many accounts (newest kept). */
const MAX_DEVICE_ACCOUNTS = 20;

export function delayAfter(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(MAX_DELAY_MS, 1000 * 2 ** (failures - FREE_FAILURES));
}

/** The account's key: hashed, so the device cookie and the table never hold an email. */
export async function accountKey(scope: 'staff' | `portal:${string}`, email: string): Promise<string> {
  return (await sha256Hex(`${scope}:${email.trim().toLowerCase()}`)).slice(0, 32);
}

/** Refuses the attempt (rate_limited, with Retry-After) while the account's delay runs, unless the device is known. */
export async function checkSignInDelay(db: Db, key: string, knownDevice: boolean, now = Date.now()): Promise<void> {
  if (knownDevice) return;
  const row = await db.select().from(signInFailures).where(eq(signInFailures.key, key)).get();
  if (!row || row.lastFailureAt < now - FAILURE_MEMORY_MS) return;
  const until = row.lastFailureAt + delayAfter(row.failures);
  if (until > now) {
    throw new AppError(
      'rate_limited',
      'Too many attempts for this account. Wait a little and try again, or sign in from a device you used before.',
      undefined,
      Math.max(1, Math.ceil((until - now) / 1000)),
    );
  }
}

export async function recordSignInFailure(db: Db, key: string, now = Date.now()): Promise<void> {
  await db.run(sql`
    INSERT INTO sign_in_failures (key, failures, last_failure_at) VALUES (${key}, 1, ${now})
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN last_failure_at < ${now - FAILURE_MEMORY_MS} THEN 1 ELSE failures + 1 END,
      last_failure_at = ${now}`);
}

export async function clearSignInFailures(db: Db, key: string): Promise<void> {
  await db.delete(signInFailures).where(eq(signInFailures.key, key));
}

export async function pruneSignInFailures(db: Db, now = Date.now()): Promise<void> {
  await db.delete(signInFailures).where(lt(signInFailures.lastFailureAt, now - FAILURE_MEMORY_MS));
}


/** The account keys a device cookie names; none when it is missing, forged or expired. */
export async function deviceAccounts(secret: string, cookie: string | undefined): Promise<string[]> {
  if (!cookie) return [];
  try {
    const payload = await verifyJwt(secret, cookie, DEVICE_AUDIENCE);
    if (!payload) return [];
    return Array.isArray(payload.acc) ? payload.acc.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

/** A device cookie naming `key` along with the accounts it already named. */
export function signDeviceCookie(secret: string, known: string[], key: string): Promise<string> {
  const accounts = [key, ...known.filter((k) => k !== key)].slice(0, MAX_DEVICE_ACCOUNTS);
  return signJwt(secret, { acc: accounts }, { audience: DEVICE_AUDIENCE, ttlSeconds: DEVICE_COOKIE_TTL_SECONDS });
}
