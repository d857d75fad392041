import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { signIn, signUpHost, type SignedIn } from '../auth/service';
import { loadStaffSession, signStaffToken, STAFF_COOKIE, STAFF_SESSION_TTL_SECONDS } from '../auth/staff-session';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { AppError, ValidationError } from '../lib/errors';
import { isHtmx, readForm, redirectAfterPost } from '../lib/http';
import { SignInForm, SignInPage, SignUpForm, SignUpPage } from '../../views/pages/auth';
import { handleForm } from './forms';
import type { Context } from 'hono';

/**
 * Only same-site paths: never `//evil.example` or an absolute URL. Backslashes and control
 * characters are refused too: browsers read `\` as `/` and drop tabs and newlines, so `/\t/evil.example`
 * would become `//evil.example` (and a newline cannot go in a Location header at all).
 */
const safeNext = (next: string | undefined) =>
  next && /^\/(?!\/)/.test(next) && !/[\\\u0000-\u001f\u007f]/.test(next) ? next : '/admin/customers';

async function startSession(c: Context<AppEnv>, signedIn: SignedIn) {
  const token = await signStaffToken(c.get('vars').SESSION_SECRET, signedIn.userId, signedIn.hostId);
  setCookie(c, STAFF_COOKIE, token, { path: '/', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: STAFF_SESSION_TTL_SECONDS });
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
        await startSession(c, await signUpHost(getDb(c.env.DB), c.req.raw.headers, form));
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
    const notice = c.req.query('signed_out') ? 'You have signed out.' : undefined;
    return c.html(<SignInPage next={next} notice={notice} />);
  })
  .post('/login', async (c) => {
    const form = await readForm(c);
    const rerender = (status: 422 | 429, error: AppError) => {
      const props = { email: form.email, next: form.next, errors: error.fields, message: error.message };
      return c.html(isHtmx(c) ? <SignInForm {...props} /> : <SignInPage {...props} />, status);
    };
    try {
      await startSession(c, await signIn(getDb(c.env.DB), c.req.raw.headers, form));
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
  .post('/logout', (c) => {
    deleteCookie(c, STAFF_COOKIE, { path: '/', secure: true });
    return redirectAfterPost(c, '/login?signed_out=1');
  });
