import { h } from '#jsx';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { readForm, redirectAfterPost } from '../lib/http';
import { startStaffSession } from '../middleware/staff-auth';
import { checkMembership, leaveHost, listMemberships } from '../team/service';
import { ChooseHostPage } from '../../views/pages/team/accept';
import { safeNext } from './auth';

/** Several hosts per person: choose one, switch (membership re-checked), leave one. */
export const adminHostRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const memberships = await listMemberships(getDb(c.env.DB), session.user.id);
    return c.html(<ChooseHostPage session={session} memberships={memberships} next={c.req.query('next')} />);
  })
  .post('/switch', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    const hostId = form.host_id ?? '';
    // The new session names the chosen host only after its membership is read again.
    await checkMembership(getDb(c.env.DB), session.user.id, hostId);
    await startStaffSession(c, { userId: session.user.id, hostId, sessionVersion: session.user.sessionVersion });
    return redirectAfterPost(c, form.next ? safeNext(form.next) : '/admin/dashboard');
  })
  .post('/:hostId/leave', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const hostId = c.req.param('hostId');
    await leaveHost(db, session, hostId);
    if (hostId !== session.host.id) return redirectAfterPost(c, '/admin/account?left=1');
    // Left the host this session names: carry on in another one, or sign in again.
    const [next] = await listMemberships(db, session.user.id);
    if (!next) return redirectAfterPost(c, '/login?left=1');
    await startStaffSession(c, { userId: session.user.id, hostId: next.hostId, sessionVersion: session.user.sessionVersion });
    return redirectAfterPost(c, '/admin/account?left=1');
  });
