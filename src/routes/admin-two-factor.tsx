import { Hono, type Context } from 'hono';
import { staffPasswordCheck, staffTwoFactorAccount } from '../auth/two-factor';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import type { FieldErrors } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { startStaffSession } from '../middleware/staff-auth';
import { qrSvg } from '../security/qr';
import { otpauthUri } from '../security/totp';
import { confirmEnrolment, disableTwoFactor, regenerateRecoveryCodes, startEnrolment, twoFactorStatus } from '../security/two-factor';
import { TwoFactorManage, type TwoFactorManageProps } from '../../views/pages/two-factor';
import { AdminLayout, PageHeader } from '../../views/layouts/admin';
import { handleForm } from './forms';

const BASE = '/admin/account/two-factor';
const NOTICES: Record<string, string> = { off: 'Two-factor sign-in is off. Your other browsers were signed out.' };

type Extra = Partial<Pick<TwoFactorManageProps, 'recoveryCodes' | 'confirmErrors' | 'disableErrors' | 'recoveryErrors' | 'notice'>>;

async function page(c: Context<AppEnv>, extra: Extra = {}) {
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

const rerenderWith = (c: Context<AppEnv>, key: keyof Extra) => async (errors: FieldErrors) => {
  const html = await page(c, { [key]: errors });
  return { fragment: html, page: html };
};

/** The signed-in staff member's own two-factor sign-in (set up, recovery codes, turn off). */
export const adminTwoFactorRoutes = new Hono<AppEnv>()
  .get('/', async (c) => c.html(await page(c, { notice: NOTICES[c.req.query('done') ?? ''] })))
  .post('/start', async (c) => {
    await startEnrolment(getDb(c.env.DB), staffTwoFactorAccount(c.get('staff')));
    return redirectAfterPost(c, BASE);
  })
  .post('/confirm', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const { recoveryCodes, sessionVersion } = await confirmEnrolment(getDb(c.env.DB), staffTwoFactorAccount(session), form);
        // Other browsers are signed out; this one carries on with the new version. No redirect: the codes are shown once.
        await startStaffSession(c, { userId: session.user.id, hostId: session.host.id, sessionVersion });
        c.header('Cache-Control', 'no-store');
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
        const recoveryCodes = await regenerateRecoveryCodes(getDb(c.env.DB), staffTwoFactorAccount(c.get('staff')), form);
        c.header('Cache-Control', 'no-store');
        return c.html(await page(c, { recoveryCodes }));
      },
      rerenderWith(c, 'recoveryErrors'),
    );
  })
  .post('/disable', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const db = getDb(c.env.DB);
        const sessionVersion = await disableTwoFactor(db, staffTwoFactorAccount(session), form, staffPasswordCheck(db, session.user.id));
        await startStaffSession(c, { userId: session.user.id, hostId: session.host.id, sessionVersion });
        return redirectAfterPost(c, `${BASE}?done=off`);
      },
      rerenderWith(c, 'disableErrors'),
    );
  });
