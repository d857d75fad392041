import type { Context } from 'hono';
import { getCookie, setCookie } from '../lib/cookie';
import type { AppEnv } from '../env';
import { getDb } from '../db/client';
import {
  enabledTwoFactor,
  isRememberedDevice,
  PENDING_COOKIE,
  PENDING_TTL_SECONDS,
  REMEMBER_COOKIE,
  REMEMBER_DAYS,
  signPendingSignIn,
  signRememberCookie,
  type PendingSignIn,
  type TwoFactorKind,
} from '../security/two-factor';

/** Right password, code still to come: the short-lived pending cookie (never a session). */
export async function startPendingSignIn(c: Context<AppEnv>, pending: PendingSignIn): Promise<void> {
  setCookie(c, PENDING_COOKIE, await signPendingSignIn(c.get('vars').SESSION_SECRET, pending), {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: PENDING_TTL_SECONDS,
  });
}

/** "Remember this device": the next sign-ins of this enrolment from this browser skip the code for 30 days. */
export async function rememberTwoFactorDevice(c: Context<AppEnv>, enrolmentId: string): Promise<void> {
  const secret = c.get('vars').SESSION_SECRET;
  setCookie(c, REMEMBER_COOKIE, await signRememberCookie(secret, getCookie(c, REMEMBER_COOKIE), enrolmentId), {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: REMEMBER_DAYS * 24 * 60 * 60,
  });
}

/**
 * Whether a password just proved must be followed by a code: two-factor is on and this browser is
 * not remembered for it. Every way in that checks a password asks (sign-in, accepting an invite or
 * a transfer with an existing account, a portal password reset), so none of them skips the code.
 */
export async function secondStepNeeded(c: Context<AppEnv>, kind: TwoFactorKind, accountId: string): Promise<boolean> {
  const enrolment = await enabledTwoFactor(getDb(c.env.DB), kind, accountId);
  return enrolment !== null && !(await isRememberedDevice(c.get('vars').SESSION_SECRET, getCookie(c, REMEMBER_COOKIE), enrolment.id));
}
