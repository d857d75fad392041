import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { staffPasswordCheck, staffTwoFactorAccount } from '../auth/two-factor';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { startStaffSession } from '../middleware/staff-auth';
import { qrSvg } from '../security/qr';
import { otpauthUri } from '../security/totp';
import { twoFactorStatus } from '../security/two-factor';
import { TwoFactorManage } from '../../views/pages/two-factor';
import { AdminLayout, PageHeader } from '../../views/layouts/admin';
import { twoFactorFormRoutes, type TwoFactorPageExtra } from './two-factor-forms';

const BASE = '/admin/account/two-factor';

async function page(c: Context<AppEnv>, extra: TwoFactorPageExtra = {}) {
  const session = c.get('staff');
  const status = await twoFactorStatus(getDb(c.env.DB), 'staff', session.user.id);
  const svg = status.pendingSecret ? qrSvg(otpauthUri(`Hashyard (${session.host.name})`, session.user.email, status.pendingSecret), 'QR code with your two-factor key') : undefined;
  return (
    <AdminLayout session={session} title="Two-factor sign-in">
      <PageHeader title="Two-factor sign-in" subtitle={session.user.email} />
      <p>
        <a href="/admin/account">Back to your account</a>
      </p>
      <TwoFactorManage
        base={BASE}
        status={status}
        timezone={session.host.timezone}
        qrSvg={svg}
        required={session.twoFactorSetupRequired}
        doneHref="/admin/account"
        {...extra}
      />
    </AdminLayout>
  );
}

/** The signed-in staff member's own two-factor sign-in (set up, recovery codes, turn off). */
export const adminTwoFactorRoutes = new Hono<AppEnv>()
  .get('/', async (c) => c.html(await page(c, { notice: c.req.query('done') === 'off' ? 'Two-factor sign-in is off. Your other browsers were signed out.' : undefined })))
  .route(
    '/',
    twoFactorFormRoutes({
      account: (c) => staffTwoFactorAccount(c.get('staff')),
      base: () => BASE,
      passwordCheck: (c) => staffPasswordCheck(getDb(c.env.DB), c.get('staff').user.id),
      renewSession: (c, sessionVersion) => {
        const session = c.get('staff');
        return startStaffSession(c, { userId: session.user.id, hostId: session.host.id, sessionVersion });
      },
      page,
    }),
  );
