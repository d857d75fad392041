import { Hono } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import { signOutEverywhere } from '../auth/account';
import { recordSignIn } from '../security/sign-ins';
import { DEVICE_COOKIE, deviceAccounts } from '../security/sign-in-delay';
import { rememberDevice } from '../middleware/device-cookie';
import { startStaffSession } from '../middleware/staff-auth';
import { signIn, signUpHost } from '../auth/service';
import { loadStaffSession, STAFF_COOKIE } from '../auth/staff-session';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { AppError, ValidationError } from '../lib/errors';
import { isHtmx, readForm, redirectAfterPost } from '../lib/http';
import { SignInForm, SignInPage, SignUpForm, SignUpPage } from '../../views/pages/auth';
import { handleForm } from './forms';

/**
 * Only same-site paths: never `//evil.example` or an absolute URL. Backslashes and control
 * characters are refused too: browsers read `\` as `/` and drop tabs and newlines, so `/\t/evil.example`
 * would become `//evil.example` (and a newline cannot go in a Location header at all).
 */
export const safeNext = (next: string | undefined) =>
  next && /^\/(?!\/)/.test(next) && !/[\\\u0000-\u001f\u007f]/.test(next) ? next : '/admin/customers';


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
      await recordSignIn(db, { kind: 'staff', id: signedIn.userId, hostId: signedIn.hostId }, c.req.raw.headers);
      if (signedIn.deviceKey) await rememberDevice(c, secret, known, signedIn.deviceKey);
      await startStaffSession(c, signedIn);
      // Several hosts: the person picks one first (the session already names their first).
      if ((signedIn.hostCount ?? 1) > 1) return redirectAfterPost(c, `/admin/hosts?next=${encodeURIComponent(safeNext(form.next))}`);
      return redirectAfterPost(c, safeNext(form.next));
    } catch (error) {
      if (error instanceof ValidationError) return rerender(422, error);
      if (error instanceof AppError && error.code === 'rate_limited') {
        c.header('Retry-After', String(error.retryAfterSeconds ?? 60));
        return rerender(429, error);
      }
      throw error;
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
