import { h } from '#jsx';
import { Hono } from '../lib/hono';
import { getTwoFactorRequirements, setTwoFactorRequirements } from '../auth/two-factor-requirement';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { readForm, redirectAfterPost } from '../lib/http';
import { SecuritySettingsPage } from '../../views/pages/settings/security';
import { handleForm } from './forms';

/** Settings → Security: the host's two-factor requirements for staff and portal accounts. */
export const adminSecuritySettingsRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const values = await getTwoFactorRequirements(getDb(c.env.DB), session.host.id);
    return c.html(<SecuritySettingsPage session={session} values={values} saved={c.req.query('saved') === '1'} />);
  })
  .post('/', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await setTwoFactorRequirements(getDb(c.env.DB), session, form);
        return redirectAfterPost(c, '/admin/settings/security?saved=1');
      },
      (errors) => {
        const page = <SecuritySettingsPage session={session} values={{ staff: form.require_staff === 'on', portal: form.require_portal === 'on' }} errors={errors} />;
        return { fragment: page, page };
      },
    );
  });
