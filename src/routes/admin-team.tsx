import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import type { FieldErrors } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { accessFromForm } from '../team/schema';
import { createStaffInvite, listStaffInvites, resendStaffInvite, revokeStaffInvite } from '../team/invites';
import { cancelTransfer, pendingTransfer, startTransfer } from '../team/ownership';
import { changeStaffRole, listStaff, removeStaff, setMemberSites, siteChoices } from '../team/service';
import { TeamPage, type TeamPageProps } from '../../views/pages/team/settings-team';
import { handleForm } from './forms';

const NOTICES: Record<string, string> = {
  invited: 'Invitation sent. They join once they accept it.',
  resent: 'Invitation sent again with a fresh link.',
  revoked: 'Invitation revoked.',
  removed: 'Staff member removed.',
  changed: 'Role changed.',
  sites: 'Site access saved.',
  offered: 'Ownership offered: they confirm from the email.',
  cancelled: 'Transfer cancelled.',
};

const origin = (c: Context<AppEnv>) => new URL(c.req.url).origin;

async function teamPage(c: Context<AppEnv>, extra: Partial<TeamPageProps> = {}) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const [staff, invites, sites, transfer] = await Promise.all([
    listStaff(db, session.host.id),
    listStaffInvites(db, session.host.id),
    siteChoices(db, session.host.id),
    pendingTransfer(db, session.host.id),
  ]);
  const notice = NOTICES[Object.keys(NOTICES).find((key) => c.req.query(key) === '1') ?? ''];
  return <TeamPage session={session} staff={staff} invites={invites} sites={sites} transfer={transfer} notice={notice} {...extra} />;
}

/** Settings → Team: members, invitations, site access and the ownership transfer. */
export const adminTeamRoutes = new Hono<AppEnv>()
  .get('/', async (c) => c.html(await teamPage(c)))
  .post('/invites', async (c) => {
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await createStaffInvite(getDb(c.env.DB), c.env, c.get('staff'), form, origin(c));
        return redirectAfterPost(c, '/admin/settings/staff?invited=1');
      },
      async (errors) => {
        const access = accessFromForm(form);
        const values = { email: form.email ?? '', role: form.role ?? '', siteIds: access.site_access === 'some' ? access.site_ids : null };
        const page = await teamPage(c, { values, errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/invites/:id/resend', async (c) => {
    await resendStaffInvite(getDb(c.env.DB), c.env, c.get('staff'), c.req.param('id'), origin(c));
    return redirectAfterPost(c, '/admin/settings/staff?resent=1');
  })
  .post('/invites/:id/revoke', async (c) => {
    await revokeStaffInvite(getDb(c.env.DB), c.get('staff'), c.req.param('id'));
    return redirectAfterPost(c, '/admin/settings/staff?revoked=1');
  })
  .post('/transfer', async (c) => {
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await startTransfer(getDb(c.env.DB), c.env, c.get('staff'), form, origin(c));
        return redirectAfterPost(c, '/admin/settings/staff?offered=1');
      },
      async (transferErrors: FieldErrors) => {
        const page = await teamPage(c, { transferErrors });
        return { fragment: page, page };
      },
    );
  })
  .post('/transfer/cancel', async (c) => {
    await cancelTransfer(getDb(c.env.DB), c.get('staff'));
    return redirectAfterPost(c, '/admin/settings/staff?cancelled=1');
  })
  .post('/:userId/role', async (c) => {
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await changeStaffRole(getDb(c.env.DB), c.get('staff'), c.req.param('userId'), form);
        return redirectAfterPost(c, '/admin/settings/staff?changed=1');
      },
      async (errors) => {
        const page = await teamPage(c, { errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/:userId/sites', async (c) => {
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await setMemberSites(getDb(c.env.DB), c.get('staff'), c.req.param('userId'), form);
        return redirectAfterPost(c, '/admin/settings/staff?sites=1');
      },
      async (errors) => {
        const page = await teamPage(c, { errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/:userId/remove', async (c) => {
    await removeStaff(getDb(c.env.DB), c.get('staff'), c.req.param('userId'));
    return redirectAfterPost(c, '/admin/settings/staff?removed=1');
  });
