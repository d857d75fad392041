import { Hono } from 'hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { readForm, redirectAfterPost } from '../lib/http';
import {
  addStaff,
  changeStaffRole,
  createApiKey,
  getHostSettings,
  listApiKeys,
  listStaff,
  removeStaff,
  revokeApiKey,
  updateHostSettings,
} from '../hosts/service';
import { ApiKeysPage, GeneralSettingsForm, GeneralSettingsPage, StaffPage, type GeneralValues } from '../../views/pages/settings';
import { handleForm } from './forms';

export const adminSettingsRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const host = await getHostSettings(getDb(c.env.DB), session.host.id);
    const values: GeneralValues = { name: host.name, main_slug: host.mainSlug, default_currency: host.defaultCurrency, timezone: host.timezone };
    return c.html(<GeneralSettingsPage session={session} values={values} saved={c.req.query('saved') === '1'} />);
  })
  .post('/', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    const values: GeneralValues = {
      name: form.name ?? '',
      main_slug: form.main_slug ?? '',
      default_currency: form.default_currency ?? '',
      timezone: form.timezone ?? '',
    };
    return handleForm(
      c,
      async () => {
        await updateHostSettings(getDb(c.env.DB), session, form);
        return redirectAfterPost(c, '/admin/settings?saved=1');
      },
      (errors) => ({
        fragment: <GeneralSettingsForm values={values} errors={errors} editable />,
        page: <GeneralSettingsPage session={session} values={values} errors={errors} />,
      }),
    );
  })
  .get('/api-keys', async (c) => {
    const session = c.get('staff');
    return c.html(<ApiKeysPage session={session} keys={await listApiKeys(getDb(c.env.DB), session.host.id)} />);
  })
  .post('/api-keys', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    // The new key is rendered in this response (never stored, never put in a URL).
    return handleForm(
      c,
      async () => {
        const created = await createApiKey(db, session, form);
        return c.html(<ApiKeysPage session={session} keys={await listApiKeys(db, session.host.id)} created={created} />, 201);
      },
      async (errors) => {
        const keys = await listApiKeys(db, session.host.id);
        const page = <ApiKeysPage session={session} keys={keys} values={{ name: form.name ?? '' }} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .post('/api-keys/:id/revoke', async (c) => {
    await revokeApiKey(getDb(c.env.DB), c.get('staff'), c.req.param('id'));
    return redirectAfterPost(c, '/admin/settings/api-keys');
  })
  .get('/staff', async (c) => {
    const session = c.get('staff');
    const notice = c.req.query('added') ? 'Staff member added.' : c.req.query('removed') ? 'Staff member removed.' : c.req.query('changed') ? 'Role changed.' : undefined;
    return c.html(<StaffPage session={session} staff={await listStaff(getDb(c.env.DB), session.host.id)} notice={notice} />);
  })
  .post('/staff', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    const staff = await listStaff(db, session.host.id);
    return handleForm(
      c,
      async () => {
        await addStaff(db, session, form);
        return redirectAfterPost(c, '/admin/settings/staff?added=1');
      },
      (errors) => {
        const page = <StaffPage session={session} staff={staff} values={{ name: form.name ?? '', email: form.email ?? '', role: form.role ?? '' }} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .post('/staff/:userId/role', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await changeStaffRole(db, session, c.req.param('userId'), form);
        return redirectAfterPost(c, '/admin/settings/staff?changed=1');
      },
      async (errors) => {
        const page = <StaffPage session={session} staff={await listStaff(db, session.host.id)} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .post('/staff/:userId/remove', async (c) => {
    await removeStaff(getDb(c.env.DB), c.get('staff'), c.req.param('userId'));
    return redirectAfterPost(c, '/admin/settings/staff?removed=1');
  });
