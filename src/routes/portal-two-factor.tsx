import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import type { FieldErrors } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import type { PortalSignedIn } from '../portal/accounts';
import { portalPasswordCheck, portalTwoFactorAccount } from '../portal/two-factor';
import { qrSvg } from '../security/qr';
import { otpauthUri } from '../security/totp';
import { confirmEnrolment, disableTwoFactor, regenerateRecoveryCodes, startEnrolment, twoFactorStatus } from '../security/two-factor';
import { PortalLayout, portalHref } from '../../views/layouts/portal';
import { TwoFactorManage, type TwoFactorManageProps } from '../../views/pages/two-factor';
import { handleForm } from './forms';

type Extra = Partial<Pick<TwoFactorManageProps, 'recoveryCodes' | 'confirmErrors' | 'disableErrors' | 'recoveryErrors' | 'notice'>>;

async function page(c: Context<AppEnv>, extra: Extra = {}) {
  const portal = c.get('portal');
  const member = portal.member!;
  const status = await twoFactorStatus(getDb(c.env.DB), 'customer', member.id);
  // The issuer is the host's name: the portal is white-label.
  const svg = status.pendingSecret ? qrSvg(otpauthUri(portal.host.name, member.email, status.pendingSecret), 'QR code with your two-factor key') : undefined;
  return (
    <PortalLayout portal={portal} title="Two-factor sign-in" section="profile">
      <h1>Two-factor sign-in</h1>
      <p>
        <a href={portalHref(portal, '/profile')}>Back to your profile</a>
      </p>
      <TwoFactorManage
        base={portalHref(portal, '/profile/two-factor')}
        status={status}
        timezone={portal.host.timezone}
        qrSvg={svg}
        required={portal.host.requireTwoFactor}
        doneHref={portalHref(portal, '/')}
        {...extra}
      />
    </PortalLayout>
  );
}

const rerenderWith = (c: Context<AppEnv>, key: keyof Extra) => async (errors: FieldErrors) => {
  const html = await page(c, { [key]: errors });
  return { fragment: html, page: html };
};

/**
 * A portal member's own two-factor sign-in, at /profile/two-factor. `guard` is the portal's
 * member check that lets this page open while the host's requirement is unmet; `startSession`
 * re-issues this browser's cookie when the account's other sessions are ended.
 */
export function portalTwoFactorRoutes(guard: MiddlewareHandler<AppEnv>, startSession: (c: Context<AppEnv>, signedIn: PortalSignedIn) => Promise<void>) {
  const account = (c: Context<AppEnv>) => portalTwoFactorAccount(c.get('portal'));
  const base = (c: Context<AppEnv>) => portalHref(c.get('portal'), '/profile/two-factor');
  return new Hono<AppEnv>()
    .use('*', guard)
    .get('/', async (c) => {
      // View Portal shows the customer's pages, not their credentials.
      if (c.get('portal').preview) return c.redirect(portalHref(c.get('portal'), '/profile'), 303);
      return c.html(await page(c, { notice: c.req.query('done') === 'off' ? 'Two-factor sign-in is off. Your other devices were signed out.' : undefined }));
    })
    .post('/start', async (c) => {
      await startEnrolment(getDb(c.env.DB), account(c));
      return redirectAfterPost(c, base(c));
    })
    .post('/confirm', async (c) => {
      const form = await readForm(c);
      return handleForm(
        c,
        async () => {
          const { recoveryCodes, sessionVersion } = await confirmEnrolment(getDb(c.env.DB), account(c), form);
          const portal = c.get('portal');
          await startSession(c, { id: portal.member!.id, hostId: portal.host.id, customerId: portal.customer!.id, sessionVersion });
          c.header('Cache-Control', 'no-store');
          // The requirement is met from now on: the page shows the codes, not the warning.
          c.set('portal', { ...portal, host: { ...portal.host, requireTwoFactor: false } });
          return c.html(await page(c, { recoveryCodes, notice: 'Two-factor sign-in is on.' }));
        },
        rerenderWith(c, 'confirmErrors'),
      );
    })
    .post('/recovery-codes', async (c) => {
      const form = await readForm(c);
      return handleForm(
        c,
        async () => {
          const recoveryCodes = await regenerateRecoveryCodes(getDb(c.env.DB), account(c), form);
          c.header('Cache-Control', 'no-store');
          return c.html(await page(c, { recoveryCodes }));
        },
        rerenderWith(c, 'recoveryErrors'),
      );
    })
    .post('/disable', async (c) => {
      const form = await readForm(c);
      return handleForm(
        c,
        async () => {
          const portal = c.get('portal');
          const db = getDb(c.env.DB);
          const sessionVersion = await disableTwoFactor(db, account(c), form, portalPasswordCheck(db, portal.host.id, portal.member!.id));
          await startSession(c, { id: portal.member!.id, hostId: portal.host.id, customerId: portal.customer!.id, sessionVersion });
          return redirectAfterPost(c, `${base(c)}?done=off`);
        },
        rerenderWith(c, 'disableErrors'),
      );
    });
}
