import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { deleteCookie, getCookie } from '../lib/cookie';
import { signOutEverywhere } from '../auth/account';
import { recordSignIn } from '../security/sign-ins';
import { DEVICE_COOKIE, deviceAccounts } from '../security/sign-in-delay';
import { rememberDevice } from '../middleware/device-cookie';
import { startStaffSession } from '../middleware/staff-auth';
import { signIn, signUpHost, type SignedIn } from '../auth/service';
import { enabledTwoFactor, PENDING_COOKIE, readPendingSignIn, verifySecondFactor } from '../security/two-factor';
import { rememberTwoFactorDevice, secondStepNeeded, startPendingSignIn } from '../middleware/two-factor-cookies';
import { loadStaffSession, STAFF_COOKIE } from '../auth/staff-session';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { AppError, ValidationError } from '../lib/errors';
import { isHtmx, readForm, redirectAfterPost } from '../lib/http';
import { SignInForm, SignInPage, SignUpForm, SignUpPage, TwoFactorStepPage } from '../../views/pages/auth';
import { handleForm } from './forms';

/**
 * Only same-site paths: never `//evil.example` or an absolute URL. Backslashes and control
 * characters are refused too: browsers read `\` as `/` and drop tabs and newlines, so `/\t/evil.example`
 * would become `//evil.example` (and a newline cannot go in a Location header at all).
 */
export const safeNext = (next: string | undefined) =>
  next && /^\/(?!\/)/.test(next) && !/[\\\u0000-\u001f\u007f]/.test(next) ? next : '/admin/customers';


/** Password (and code, when two-factor is on) right: record it, remember the device, start the session. */
async function completeSignIn(c: Context<AppEnv>, signedIn: SignedIn, next: string): Promise<Response> {
  const db = getDb(c.env.DB);
  const secret = c.get('vars').SESSION_SECRET;
  await recordSignIn(db, { kind: 'staff', id: signedIn.userId, hostId: signedIn.hostId }, c.req.raw.headers);
  if (signedIn.deviceKey) await rememberDevice(c, secret, await deviceAccounts(secret, getCookie(c, DEVICE_COOKIE)), signedIn.deviceKey);
  await startStaffSession(c, signedIn);
  // Several hosts: the person picks one first (the session already names their first).
  if ((signedIn.hostCount ?? 1) > 1) return redirectAfterPost(c, `/admin/hosts?next=${encodeURIComponent(next)}`);
  return redirectAfterPost(c, next);
}

/** Right password, code still to come: the pending cookie, and the second step's page. */
async function askForCode(c: Context<AppEnv>, signedIn: SignedIn, next: string): Promise<Response> {
  await startPendingSignIn(c, {
    kind: 'staff',
    accountId: signedIn.userId,
    hostId: signedIn.hostId,
    sessionVersion: signedIn.sessionVersion,
    hostCount: signedIn.hostCount,
    next,
    deviceKey: signedIn.deviceKey,
  });
  return redirectAfterPost(c, '/login/two-factor');
}

export const authRoutes = new Hono<AppEnv>()
  .get('/', (c) => c.redirect('/admin/customers', 302))
  .get('/signup', (c) => c.html(<SignUpPage values={{}} />))
  .post('/signup', async (c) => {
    const form = await readForm(c);
    const values = { organisation_name: form.organisation_name, main_slug: form.main_slug, owner_name: form.owner_name, email: form.email };
    return handleForm(
      c,
      async () => {
        await startStaffSession(c, await signUpHost(getDb(c.env.DB), c.req.raw.headers, form));
        return redirectAfterPost(c, '/admin/customers');
      },
      (errors) => ({ fragment: <SignUpForm values={values} errors={errors} />, page: <SignUpPage values={values} errors={errors} /> }),
    );
  })
  .get('/login', async (c) => {
    const token = getCookie(c, STAFF_COOKIE);
    const next = c.req.query('next');
    if (token && (await loadStaffSession(getDb(c.env.DB), c.get('vars').SESSION_SECRET, token))) {
      return c.redirect(safeNext(next), 302);
    }
    const notice = c.req.query('signed_out')
      ? 'You have signed out.'
      : c.req.query('closed')
        ? 'The host’s account is closed: nobody can sign in to it any more, and its data is deleted after 30 days.'
      : c.req.query('expired')
        ? 'The sign-in took too long. Enter your password again.'
        : undefined;
    return c.html(<SignInPage next={next} notice={notice} />);
  })
  .post('/login', async (c) => {
    const form = await readForm(c);
    const rerender = (status: 422 | 429, error: AppError) => {
      const props = { email: form.email, next: form.next, errors: error.fields, message: error.message };
      return c.html(isHtmx(c) ? <SignInForm {...props} /> : <SignInPage {...props} />, status);
    };
    try {
      const db = getDb(c.env.DB);
      const secret = c.get('vars').SESSION_SECRET;
      const known = await deviceAccounts(secret, getCookie(c, DEVICE_COOKIE));
      const signedIn = await signIn(db, c.req.raw.headers, form, known);
      // Two-factor on and this browser not remembered for it: no session yet, only the pending step.
      if (await secondStepNeeded(c, 'staff', signedIn.userId)) return askForCode(c, signedIn, safeNext(form.next));
      return completeSignIn(c, signedIn, safeNext(form.next));
    } catch (error) {
      if (error instanceof ValidationError) return rerender(422, error);
      if (error instanceof AppError && error.code === 'rate_limited') {
        c.header('Retry-After', String(error.retryAfterSeconds ?? 60));
        return rerender(429, error);
      }
      throw error;
    }
  })
  .get('/login/two-factor', async (c) => {
    const pending = await readPendingSignIn(c.get('vars').SESSION_SECRET, getCookie(c, PENDING_COOKIE), 'staff');
    if (!pending) return c.redirect('/login?expired=1', 303);
    return c.html(<TwoFactorStepPage />);
  })
  .post('/login/two-factor', async (c) => {
    const secret = c.get('vars').SESSION_SECRET;
    const pending = await readPendingSignIn(secret, getCookie(c, PENDING_COOKIE), 'staff');
    if (!pending) return redirectAfterPost(c, '/login?expired=1');
    const form = await readForm(c);
    try {
      const db = getDb(c.env.DB);
      await verifySecondFactor(db, 'staff', pending.accountId, form.code);
      if (form.remember) {
        const enrolment = await enabledTwoFactor(db, 'staff', pending.accountId);
        if (enrolment) await rememberTwoFactorDevice(c, enrolment.id);
      }
      deleteCookie(c, PENDING_COOKIE, { path: '/', secure: true });
      const signedIn = { userId: pending.accountId, hostId: pending.hostId, sessionVersion: pending.sessionVersion, hostCount: pending.hostCount, deviceKey: pending.deviceKey };
      return await completeSignIn(c, signedIn, safeNext(pending.next));
    } catch (error) {
      if (!(error instanceof AppError) || !['validation_failed', 'rate_limited'].includes(error.code)) throw error;
      if (error.retryAfterSeconds) c.header('Retry-After', String(error.retryAfterSeconds));
      return c.html(<TwoFactorStepPage errors={error.fields} message={error.message} />, error.code === 'rate_limited' ? 429 : 422);
    }
  })
  .post('/logout', async (c) => {
    const token = getCookie(c, STAFF_COOKIE);
    const db = getDb(c.env.DB);
    const session = token ? await loadStaffSession(db, c.get('vars').SESSION_SECRET, token) : null;
    // The token itself stops working too, not only this browser's copy of it.
    if (session) await signOutEverywhere(db, session.user.id);
    deleteCookie(c, STAFF_COOKIE, { path: '/', secure: true });
    return redirectAfterPost(c, '/login?signed_out=1');
  });
