import { h } from '#jsx';
import { Hono } from '../lib/hono';
import { changeOwnPassword, updateOwnName } from '../auth/account';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { readForm, redirectAfterPost } from '../lib/http';
import { AccountPage } from '../../views/pages/account';
import { startStaffSession } from '../middleware/staff-auth';
import { handleForm } from './forms';
import { listMemberships } from '../team/service';
import { recentSignIns } from '../security/sign-ins';
import { enabledTwoFactor } from '../security/two-factor';

/** The signed-in staff member's own name and password. */
export const adminAccountRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const notice = c.req.query('saved')
      ? 'Saved.'
      : c.req.query('password')
        ? 'Password changed; your other browsers were signed out.'
        : c.req.query('left')
          ? 'You left the host.'
          : undefined;
    const db = getDb(c.env.DB);
    const [memberships, signIns, twoFactor] = await Promise.all([
      listMemberships(db, session.user.id),
      recentSignIns(db, { kind: 'staff', id: session.user.id }),
      enabledTwoFactor(db, 'staff', session.user.id),
    ]);
    return c.html(<AccountPage session={session} notice={notice} memberships={memberships} signIns={signIns} twoFactorEnabled={twoFactor !== null} />);
  })
  .post('/', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updateOwnName(getDb(c.env.DB), session, form);
        return redirectAfterPost(c, '/admin/account?saved=1');
      },
      (errors) => {
        const page = <AccountPage session={session} name={form.name} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .post('/password', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const sessionVersion = await changeOwnPassword(getDb(c.env.DB), session, form);
        await startStaffSession(c, { userId: session.user.id, hostId: session.host.id, sessionVersion });
        return redirectAfterPost(c, '/admin/account?password=1');
      },
      (errors) => {
        const page = <AccountPage session={session} passwordErrors={errors} />;
        return { fragment: page, page };
      },
    );
  });
