import { h } from '#jsx';
import { Hono } from '../lib/hono';
import { startStaffSession } from '../middleware/staff-auth';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { acceptStaffInvite, findStaffInvite, inviteStateMessage } from '../team/invites';
import { acceptTransfer, findTransfer } from '../team/ownership';
import { AcceptInvitePage, AcceptTransferPage } from '../../views/pages/team/accept';

/**
 * The links staff emails carry (no session needed: the token is the proof, then the password).
 * A used, revoked or expired link says so with 409/410-like wording and changes nothing.
 */
export const teamRoutes = new Hono<AppEnv>()
  .get('/invite/:token', async (c) => {
    const token = c.req.param('token');
    const invite = await findStaffInvite(getDb(c.env.DB), token);
    if (!invite) return c.html(<AcceptInvitePage token={token} invite={null} />, 404);
    if (invite.state !== 'pending') return c.html(<AcceptInvitePage token={token} invite={invite} unusable={inviteStateMessage(invite.state)} />, 409);
    return c.html(<AcceptInvitePage token={token} invite={invite} />);
  })
  .post('/invite/:token', async (c) => {
    const token = c.req.param('token');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    try {
      await startStaffSession(c, await acceptStaffInvite(db, c.req.raw.headers, token, form));
      return redirectAfterPost(c, '/admin/dashboard');
    } catch (error) {
      if (!(error instanceof AppError) || !['validation_failed', 'conflict', 'not_found', 'rate_limited'].includes(error.code)) throw error;
      const invite = await findStaffInvite(db, token);
      const status = error.status as 404 | 409 | 422 | 429;
      if (error.code === 'validation_failed') {
        return c.html(<AcceptInvitePage token={token} invite={invite} name={form.name} errors={error.fields} />, status);
      }
      return c.html(<AcceptInvitePage token={token} invite={invite} unusable={error.message} />, status);
    }
  })
  .get('/transfer/:token', async (c) => {
    const token = c.req.param('token');
    const transfer = await findTransfer(getDb(c.env.DB), token);
    if (!transfer) return c.html(<AcceptTransferPage token={token} transfer={null} />, 404);
    if (transfer.state !== 'pending') {
      return c.html(<AcceptTransferPage token={token} transfer={transfer} unusable={`This transfer was ${transfer.state}; ask the owner for a new one.`} />, 409);
    }
    return c.html(<AcceptTransferPage token={token} transfer={transfer} />);
  })
  .post('/transfer/:token', async (c) => {
    const token = c.req.param('token');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    try {
      await startStaffSession(c, await acceptTransfer(db, c.req.raw.headers, token, form));
      return redirectAfterPost(c, '/admin/settings/staff');
    } catch (error) {
      if (!(error instanceof AppError) || !['validation_failed', 'conflict', 'not_found', 'rate_limited'].includes(error.code)) throw error;
      const transfer = await findTransfer(db, token);
      const status = error.status as 404 | 409 | 422 | 429;
      if (error.code === 'validation_failed') return c.html(<AcceptTransferPage token={token} transfer={transfer} errors={error.fields} />, status);
      return c.html(<AcceptTransferPage token={token} transfer={transfer} unusable={error.message} />, status);
    }
  });
