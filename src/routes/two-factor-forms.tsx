import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import type { FieldErrors } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { confirmEnrolment, disableTwoFactor, regenerateRecoveryCodes, startEnrolment, type TwoFactorAccount } from '../security/two-factor';
import type { TwoFactorManageProps } from '../../views/pages/two-factor';
import { handleForm } from './forms';

export type TwoFactorPageExtra = Partial<Pick<TwoFactorManageProps, 'recoveryCodes' | 'confirmErrors' | 'disableErrors' | 'recoveryErrors' | 'notice'>>;

/** What differs between the staff and the portal two-factor pages. */
export interface TwoFactorPages {
  account: (c: Context<AppEnv>) => TwoFactorAccount;
  /** The management page's own address (…/two-factor). */
  base: (c: Context<AppEnv>) => string;
  passwordCheck: (c: Context<AppEnv>) => (password: string) => Promise<boolean>;
  /** Re-issues this browser's session at the new version (the account's other sessions just ended). */
  renewSession: (c: Context<AppEnv>, sessionVersion: number) => Promise<void>;
  page: (c: Context<AppEnv>, extra?: TwoFactorPageExtra) => Promise<JSX.Element>;
}

/** The set-up, confirm, recovery-code and turn-off forms, for staff and portal alike. */
export function twoFactorFormRoutes(pages: TwoFactorPages) {
  const rerenderWith = (c: Context<AppEnv>, key: keyof TwoFactorPageExtra) => async (errors: FieldErrors) => {
    const html = await pages.page(c, { [key]: errors });
    return { fragment: html, page: html };
  };
  // Recovery codes are shown once, in this answer only: never a redirect, never cached.
  const showCodes = async (c: Context<AppEnv>, extra: TwoFactorPageExtra) => {
    c.header('Cache-Control', 'no-store');
    return c.html(await pages.page(c, extra));
  };
  return new Hono<AppEnv>()
    .post('/start', async (c) => {
      await startEnrolment(getDb(c.env.DB), pages.account(c));
      return redirectAfterPost(c, pages.base(c));
    })
    .post('/confirm', async (c) => {
      const form = await readForm(c);
      return handleForm(
        c,
        async () => {
          const { recoveryCodes, sessionVersion } = await confirmEnrolment(getDb(c.env.DB), pages.account(c), form);
          await pages.renewSession(c, sessionVersion);
          return showCodes(c, { recoveryCodes, notice: 'Two-factor sign-in is on.' });
        },
        rerenderWith(c, 'confirmErrors'),
      );
    })
    .post('/recovery-codes', async (c) => {
      const form = await readForm(c);
      return handleForm(c, async () => showCodes(c, { recoveryCodes: await regenerateRecoveryCodes(getDb(c.env.DB), pages.account(c), form) }), rerenderWith(c, 'recoveryErrors'));
    })
    .post('/disable', async (c) => {
      const form = await readForm(c);
      return handleForm(
        c,
        async () => {
          const sessionVersion = await disableTwoFactor(getDb(c.env.DB), pages.account(c), form, pages.passwordCheck(c));
          await pages.renewSession(c, sessionVersion);
          return redirectAfterPost(c, `${pages.base(c)}?done=off`);
        },
        rerenderWith(c, 'disableErrors'),
      );
    });
}
