import { h } from '#jsx';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import { getMailboxMessage, listMailbox } from '../email/mailbox';
import type { AppEnv } from '../env';
import { notFound } from '../lib/errors';
import { MailboxListPage, MailboxMessagePage } from '../../views/pages/dev-mailbox';

/** The mailbox shows every host's mail: it exists only where the data is throwaway. */
const MAILBOX_ENVIRONMENTS = ['development', 'test'];

/**
 * The development mailbox (DESIGN.md §6): the local outbox transport's mail, newest first, so a
 * newcomer can open an invite and follow its link. No staff session: it is a developer tool.
 * Mounted by app.tsx at /dev/mailbox; answers 404 in production, as if it did not exist.
 */
export const devMailboxRoutes = () =>
  new Hono<AppEnv>()
    .use('*', async (c, next) => {
      if (!MAILBOX_ENVIRONMENTS.includes(c.get('vars').ENVIRONMENT)) throw notFound();
      await next();
      c.header('Cache-Control', 'no-store');
    })
    .get('/', async (c) => c.html(<MailboxListPage entries={await listMailbox(getDb(c.env.DB))} />))
    .get('/:id', async (c) => {
      const message = await getMailboxMessage(getDb(c.env.DB), c.req.param('id'));
      if (!message) throw notFound('Email');
      return c.html(<MailboxMessagePage message={message} />);
    });
