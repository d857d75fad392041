import { and, count, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import * as z from '../lib/schema';
import { activityInsert, type Actor } from '../activity/service';
import type { Db } from '../db/client';
import { customerUsers, twoFactor, twoFactorRecoveryCodes, users } from '../db/schema';
import { AppError, ValidationError } from '../lib/errors';
import { newId, sha256Hex } from '../lib/ids';
import { signJwt, verifyJwt } from '../lib/jwt';
import { consumeRateLimit } from '../lib/rate-limit';
import { parseInput } from '../lib/validation';
import { base32Decode, base32Encode, matchingStep, TOTP_SECRET_BYTES } from './totp';

/**
 * Two-factor sign-in for staff and portal accounts (issue 11): a TOTP key confirmed with a first
 * code, ten single-use recovery codes, replay refusal by the last accepted time step, and a
 * per-account attempt limit. Staff enrol once as a person (their enrolment follows them to every
 * host); a portal account enrols within its host.
 */
export type TwoFactorKind = 'staff' | 'customer';

export interface TwoFactorAccount {
  kind: TwoFactorKind;
  id: string;
  /** The host the activity is logged to (portal: the account's own host, which also scopes it). */
  hostId: string;
  /** Who acts, for the activity log. */
  label: string;
  /** A portal account's customer (the activity entry shows on its page). */
  customerId?: string | null;
}

export const RECOVERY_CODE_COUNT = 10;
/** Attempts per account in the window, right or wrong: a 6-digit code cannot be walked through. */
export const TWO_FACTOR_LIMITS = { attempts: 10, windowMs: 15 * 60 * 1000 };

const actorOf = (account: TwoFactorAccount): Actor => ({ kind: account.kind, id: account.id, label: account.label });

const ownRow = (kind: TwoFactorKind, id: string) => and(eq(twoFactor.accountKind, kind), eq(twoFactor.accountId, id));

export interface TwoFactorStatus {
  enabled: boolean;
  /** The key of an enrolment started but not confirmed yet. */
  pendingSecret: string | null;
  recoveryCodesLeft: number;
  enabledAt: number | null;
}

export async function twoFactorStatus(db: Db, kind: TwoFactorKind, id: string): Promise<TwoFactorStatus> {
  const [rows, left] = await db.batch([
    db.select().from(twoFactor).where(ownRow(kind, id)).limit(1),
    db
      .select({ left: count() })
      .from(twoFactorRecoveryCodes)
      .innerJoin(twoFactor, eq(twoFactor.id, twoFactorRecoveryCodes.twoFactorId))
      .where(and(ownRow(kind, id), isNull(twoFactorRecoveryCodes.usedAt))),
  ]);
  const row = rows[0];
  return {
    enabled: Boolean(row?.enabledAt),
    pendingSecret: row && !row.enabledAt ? row.secret : null,
    recoveryCodesLeft: Number(left[0]?.left ?? 0),
    enabledAt: row?.enabledAt ?? null,
  };
}

/** The confirmed enrolment of an account, or null: sign-in asks for a code only when there is one. */
export async function enabledTwoFactor(db: Db, kind: TwoFactorKind, id: string): Promise<{ id: string } | null> {
  return (await db.select({ id: twoFactor.id }).from(twoFactor).where(and(ownRow(kind, id), isNotNull(twoFactor.enabledAt))).get()) ?? null;
}

/** A new key for the account, replacing any unconfirmed one; refused while two-factor is on. */
export async function startEnrolment(db: Db, account: TwoFactorAccount, now = Date.now()): Promise<string> {
  const secret = base32Encode(crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES)));
  const [row] = await db
    .insert(twoFactor)
    .values({ id: newId(), accountKind: account.kind, accountId: account.id, hostId: account.kind === 'customer' ? account.hostId : null, secret, createdAt: now })
    .onConflictDoUpdate({
      target: [twoFactor.accountKind, twoFactor.accountId],
      set: { id: sql`excluded.id`, secret, createdAt: now },
      setWhere: isNull(twoFactor.enabledAt),
    })
    .returning({ secret: twoFactor.secret });
  if (!row) throw new AppError('conflict', 'Two-factor sign-in is already on for this account.');
  return secret;
}

const codeSchema = z.object({
  code: z.pipe(z.pipe(z.string({ error: 'Enter the code.' }), z.transform((value) => value.trim())), z.string().check(
    z.minLength(1, 'Enter the code.'),
    z.maxLength(40, 'That code is too long.'),
  )),
});

/** Ten recovery codes of 50 random bits, `xxxxx-xxxxx` in base32 lower case. */
function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const key = base32Encode(crypto.getRandomValues(new Uint8Array(7))).slice(0, 10).toLowerCase();
    return `${key.slice(0, 5)}-${key.slice(5)}`;
  });
}

const recoveryHash = (code: string) => sha256Hex(`recovery:${code.toLowerCase().replace(/[\s-]/g, '')}`);

/** Hash first (async), then build: a returned builder would be awaited, which runs it. */
const recoveryHashes = (codes: string[]) => Promise.all(codes.map(recoveryHash));

function recoveryInserts(db: Db, twoFactorId: string, hashes: string[]) {
  return db.insert(twoFactorRecoveryCodes).values(hashes.map((codeHash) => ({ id: newId(), twoFactorId, codeHash })));
}

/** Moves the account's session version on (other browsers signed out); returns the new version. */
function bumpSessionVersion(db: Db, account: TwoFactorAccount) {
  return account.kind === 'staff'
    ? db
        .update(users)
        .set({ sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: Date.now() })
        .where(eq(users.id, account.id))
        .returning({ sessionVersion: users.sessionVersion })
    : db
        .update(customerUsers)
        .set({ sessionVersion: sql`${customerUsers.sessionVersion} + 1`, updatedAt: Date.now() })
        .where(and(eq(customerUsers.id, account.id), eq(customerUsers.hostId, account.hostId)))
        .returning({ sessionVersion: customerUsers.sessionVersion });
}

const limitAttempts = (db: Db, kind: TwoFactorKind, id: string) =>
  consumeRateLimit(db, { key: `two-factor:${kind}:${id}`, limit: TWO_FACTOR_LIMITS.attempts, windowMs: TWO_FACTOR_LIMITS.windowMs });

const WRONG_CODE = 'That code is not right. Check the time on your phone and enter the newest code.';
const USED_CODE = 'That code was already used. Wait for the next one (up to 30 seconds).';

/**
 * Accepts a TOTP code whose step is newer than the last one accepted, and records that step in the
 * same statement (so two requests racing with one code cannot both pass).
 */
async function acceptTotp(db: Db, row: { id: string; secret: string }, code: string, now: number, enabling: boolean): Promise<boolean> {
  const step = await matchingStep(base32Decode(row.secret) ?? new Uint8Array(), code.replace(/\s/g, ''), now);
  if (step === null) return false;
  const accepted = await db
    .update(twoFactor)
    .set(enabling ? { lastUsedStep: step, enabledAt: now } : { lastUsedStep: step })
    .where(
      and(
        eq(twoFactor.id, row.id),
        enabling ? isNull(twoFactor.enabledAt) : isNotNull(twoFactor.enabledAt),
        sql`(${twoFactor.lastUsedStep} IS NULL OR ${twoFactor.lastUsedStep} < ${step})`,
      ),
    )
    .returning({ id: twoFactor.id });
  if (accepted.length === 0) throw new ValidationError({ code: USED_CODE }, USED_CODE);
  return true;
}

/**
 * Confirms a started enrolment with a first code: two-factor is on from then, other sessions of the
 * account end, and the ten recovery codes are returned (the only time they are seen in clear).
 */
export async function confirmEnrolment(db: Db, account: TwoFactorAccount, raw: unknown, now = Date.now()): Promise<{ recoveryCodes: string[]; sessionVersion: number }> {
  const { code } = parseInput(codeSchema, raw);
  await limitAttempts(db, account.kind, account.id);
  const row = await db.select().from(twoFactor).where(ownRow(account.kind, account.id)).get();
  if (!row || row.enabledAt) throw new AppError('conflict', row ? 'Two-factor sign-in is already on.' : 'Start the set-up again: no key is waiting for a code.');
  if (!(await acceptTotp(db, row, code, now, true))) throw new ValidationError({ code: WRONG_CODE }, WRONG_CODE);
  const recoveryCodes = newRecoveryCodes();
  const hashes = await recoveryHashes(recoveryCodes);
  const [, bumped] = await db.batch([
    recoveryInserts(db, row.id, hashes),
    bumpSessionVersion(db, account),
    activityInsert(db, account.hostId, actorOf(account), 'two_factor.enabled', account.customerId ?? null, null, now),
  ]);
  return { recoveryCodes, sessionVersion: bumped[0]?.sessionVersion ?? 0 };
}

/**
 * The second step: a current TOTP code, or one unused recovery code (spent by this call).
 * Rate-limited per account; wrong answers are field errors on `code`.
 */
export async function verifySecondFactor(db: Db, kind: TwoFactorKind, id: string, rawCode: unknown, now = Date.now()): Promise<'totp' | 'recovery'> {
  const { code } = parseInput(codeSchema, { code: rawCode });
  await limitAttempts(db, kind, id);
  const row = await db.select().from(twoFactor).where(and(ownRow(kind, id), isNotNull(twoFactor.enabledAt))).get();
  if (!row) throw new AppError('conflict', 'Two-factor sign-in is not on for this account.');
  if (/^\d{3}\s?\d{3}$/.test(code)) {
    if (await acceptTotp(db, row, code, now, false)) return 'totp';
    throw new ValidationError({ code: WRONG_CODE }, WRONG_CODE);
  }
  const spent = await db
    .update(twoFactorRecoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(twoFactorRecoveryCodes.twoFactorId, row.id), eq(twoFactorRecoveryCodes.codeHash, await recoveryHash(code)), isNull(twoFactorRecoveryCodes.usedAt)))
    .returning({ id: twoFactorRecoveryCodes.id });
  if (spent.length === 0) {
    const message = 'That is neither the current code nor an unused recovery code.';
    throw new ValidationError({ code: message }, message);
  }
  return 'recovery';
}

const disableSchema = z.object({ password: z.string({ error: 'Enter your password.' }).check(
  z.minLength(1, 'Enter your password.'),
  z.maxLength(200),
) });

/**
 * Turns two-factor off: needs the password now (not only a session) and a code or recovery code.
 * The enrolment, its recovery codes and (by its id) every remembered device go; other sessions end.
 */
export async function disableTwoFactor(
  db: Db,
  account: TwoFactorAccount,
  raw: Record<string, string | undefined>,
  passwordIsRight: (password: string) => Promise<boolean>,
  now = Date.now(),
): Promise<number> {
  const { password } = parseInput(disableSchema, raw);
  if (!(await passwordIsRight(password))) throw new ValidationError({ password: 'That is not your password.' });
  await verifySecondFactor(db, account.kind, account.id, raw.code, now);
  const [, , bumped] = await db.batch([
    db.delete(twoFactorRecoveryCodes).where(sql`${twoFactorRecoveryCodes.twoFactorId} IN (SELECT id FROM two_factor WHERE account_kind = ${account.kind} AND account_id = ${account.id})`),
    db.delete(twoFactor).where(ownRow(account.kind, account.id)),
    bumpSessionVersion(db, account),
    activityInsert(db, account.hostId, actorOf(account), 'two_factor.disabled', account.customerId ?? null, null, now),
  ]);
  return bumped[0]?.sessionVersion ?? 0;
}

/** Ten new recovery codes in place of the old ones (used or not), after a code proves the person. */
export async function regenerateRecoveryCodes(db: Db, account: TwoFactorAccount, raw: Record<string, string | undefined>, now = Date.now()): Promise<string[]> {
  await verifySecondFactor(db, account.kind, account.id, raw.code, now);
  const enrolment = await enabledTwoFactor(db, account.kind, account.id);
  if (!enrolment) throw new AppError('conflict', 'Two-factor sign-in is not on for this account.');
  const codes = newRecoveryCodes();
  const hashes = await recoveryHashes(codes);
  await db.batch([
    db.delete(twoFactorRecoveryCodes).where(eq(twoFactorRecoveryCodes.twoFactorId, enrolment.id)),
    recoveryInserts(db, enrolment.id, hashes),
    activityInsert(db, account.hostId, actorOf(account), 'two_factor.recovery_codes_replaced', account.customerId ?? null, null, now),
  ]);
  return codes;
}

// ---------------------------------------------------------------------------------------------
// Cookies: the pending second step, and devices remembered for 30 days.


/**
 * Between a right password and a right code there is no session, only this short-lived signed
 * cookie naming who is signing in. Its own audience and cookie name: it is never accepted as a session.
 */
export const PENDING_COOKIE = '__Host-hy_2fa_pending';
export const PENDING_TTL_SECONDS = 10 * 60;
const PENDING_AUDIENCE = 'hashyard:2fa-pending';

export interface PendingSignIn {
  kind: TwoFactorKind;
  accountId: string;
  hostId: string;
  sessionVersion: number;
  customerId?: string;
  hostCount?: number;
  next?: string;
  deviceKey?: string;
}

export function signPendingSignIn(secret: string, pending: PendingSignIn): Promise<string> {
  return signJwt(secret, { p: pending }, { subject: pending.accountId, audience: PENDING_AUDIENCE, ttlSeconds: PENDING_TTL_SECONDS });
}

/** The pending sign-in of `kind` (on `hostId` for the portal); null when missing, forged, expired or another's. */
export async function readPendingSignIn(secret: string, token: string | undefined, kind: TwoFactorKind, hostId?: string): Promise<PendingSignIn | null> {
  if (!token) return null;
  try {
    const payload = await verifyJwt(secret, token, PENDING_AUDIENCE);
    if (!payload) return null;
    const pending = payload.p as PendingSignIn | undefined;
    if (!pending || pending.kind !== kind || pending.accountId !== payload.sub) return null;
    if (hostId !== undefined && pending.hostId !== hostId) return null;
    return pending;
  } catch {
    return null;
  }
}

/** "Remember this device for 30 days": the cookie lists enrolment ids with their own expiry. */
export const REMEMBER_COOKIE = '__Host-hy_2fa_device';
export const REMEMBER_DAYS = 30;
const REMEMBER_MS = REMEMBER_DAYS * 24 * 60 * 60 * 1000;
const REMEMBER_AUDIENCE = 'hashyard:2fa-device';
const MAX_REMEMBERED = 20;

type Remembered = { e: string; x: number };

async function rememberedEntries(secret: string, cookie: string | undefined, now: number): Promise<Remembered[]> {
  if (!cookie) return [];
  try {
    const payload = await verifyJwt(secret, cookie, REMEMBER_AUDIENCE);
    if (!payload) return [];
    const list = Array.isArray(payload.r) ? (payload.r as Remembered[]) : [];
    return list.filter((entry) => typeof entry?.e === 'string' && typeof entry.x === 'number' && entry.x > now);
  } catch {
    return [];
  }
}

/** Whether this browser was remembered for the enrolment (a re-enrolment has a new id: forgotten). */
export async function isRememberedDevice(secret: string, cookie: string | undefined, enrolmentId: string, now = Date.now()): Promise<boolean> {
  return (await rememberedEntries(secret, cookie, now)).some((entry) => entry.e === enrolmentId);
}

export async function signRememberCookie(secret: string, cookie: string | undefined, enrolmentId: string, now = Date.now()): Promise<string> {
  const kept = (await rememberedEntries(secret, cookie, now)).filter((entry) => entry.e !== enrolmentId);
  const entries = [{ e: enrolmentId, x: now + REMEMBER_MS }, ...kept].slice(0, MAX_REMEMBERED);
  return signJwt(secret, { r: entries }, { audience: REMEMBER_AUDIENCE, ttlSeconds: REMEMBER_MS / 1000 });
}
