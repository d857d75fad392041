import { h } from '#jsx';
import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import type { PortalSignedIn } from '../portal/accounts';
import { portalPasswordCheck, portalTwoFactorAccount } from '../portal/two-factor';
import { qrSvg } from '../security/qr';
import { otpauthUri } from '../security/totp';
import { twoFactorStatus } from '../security/two-factor';
import { PortalLayout, portalHref } from '../../views/layouts/portal';
import { TwoFactorManage } from '../../views/pages/two-factor';
import { twoFactorFormRoutes, type TwoFactorPageExtra } from './two-factor-forms';

async function page(c: Context<AppEnv>, extra: TwoFactorPageExtra = {}) {
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

/**
 * A portal member's own two-factor sign-in, at /profile/two-factor. `guard` is the portal's
 * member check that lets this page open while the host's requirement is unmet; `startSession`
 * re-issues this browser's cookie when the account's other sessions are ended.
 */
export function portalTwoFactorRoutes(guard: MiddlewareHandler<AppEnv>, startSession: (c: Context<AppEnv>, signedIn: PortalSignedIn) => Promise<void>) {
  return new Hono<AppEnv>()
    .use('*', guard)
    .get('/', async (c) => {
      // View Portal shows the customer's pages, not their credentials.
      if (c.get('portal').preview) return c.redirect(portalHref(c.get('portal'), '/profile'), 303);
      return c.html(await page(c, { notice: c.req.query('done') === 'off' ? 'Two-factor sign-in is off. Your other devices were signed out.' : undefined }));
    })
    .route(
      '/',
      twoFactorFormRoutes({
        account: (c) => portalTwoFactorAccount(c.get('portal')),
        base: (c) => portalHref(c.get('portal'), '/profile/two-factor'),
        passwordCheck: (c) => portalPasswordCheck(getDb(c.env.DB), c.get('portal').host.id, c.get('portal').member!.id),
        renewSession: (c, sessionVersion) => {
          const portal = c.get('portal');
          return startSession(c, { id: portal.member!.id, hostId: portal.host.id, customerId: portal.customer!.id, sessionVersion });
        },
        page,
      }),
    );
}
