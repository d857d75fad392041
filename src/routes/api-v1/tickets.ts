import { Hono } from '../../lib/hono';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { getDb } from '../../db/client';
import type { AppEnv } from '../../env';
import { AppError, forbidden, notFound } from '../../lib/errors';
import { readJsonObject } from '../../lib/http';
import { attachmentHeaders } from '../../support/attachments';
import { STATUS_FILTERS, TICKET_AGES, TICKET_CATEGORIES, type StatusFilter, type TicketAge, type TicketCategory } from '../../support/schema';
import { toApiTicket, toApiTicketDetail } from '../../support/serialize';
import { findAttachment, getTicket, listTickets, staffReply } from '../../support/service';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });

/** Whether the key holds the scope that reads internal notes (src/auth/api-keys.ts). */
const readsNotes = (key: AuthedApiKey) => key.scopes.includes('tickets:internal_notes');

/**
 * Internal notes are staff-only: they are left out unless asked for by name
 * (`include_internal=true`), and only a key created with the `tickets:internal_notes` scope may
 * ask, so an integration that mirrors tickets to the customer cannot leak them by accident.
 */
function includeInternal(key: AuthedApiKey, value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value !== 'true') throw new AppError('bad_request', 'include_internal must be true or false.');
  if (!readsNotes(key)) throw forbidden('This API key may not read internal notes: create a key with the “Read internal notes on support tickets” scope (Settings → API keys).');
  return true;
}

function oneOf<T extends string>(list: readonly T[], value: string | undefined, name: string): T | '' {
  if (!value) return '';
  if (!list.includes(value as T)) throw new AppError('bad_request', `${name} must be one of: ${list.join(', ')}.`);
  return value as T;
}

/** /api/v1/tickets — list, get (with messages), and a staff reply or internal note. */
export const apiTicketRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const q = c.req.query();
    const limit = q.limit ? Number(q.limit) : 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new AppError('bad_request', 'limit must be a whole number from 1 to 100.');
    const page = q.page ? Number(q.page) : 1;
    if (!Number.isInteger(page) || page < 1) throw new AppError('bad_request', 'page must be a whole number from 1.');
    const result = await listTickets(
      getDb(c.env.DB),
      key.hostId,
      {
        status: oneOf<StatusFilter>(STATUS_FILTERS, q.status, 'status'),
        category: oneOf<TicketCategory>(TICKET_CATEGORIES, q.category, 'category'),
        age: oneOf<TicketAge>(TICKET_AGES, q.age, 'age'),
        customer_id: q.customer_id,
        assignee: q.assignee,
        q: q.q,
        page,
      },
      { pageSize: limit },
    );
    return c.json({ data: result.items.map(toApiTicket), total: result.total, page: result.page, pages: result.pages });
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    const id = c.req.param('id');
    const detail = await getTicket(getDb(c.env.DB), key.hostId, id, { includeInternal: includeInternal(key, c.req.query('include_internal')) });
    return c.json({ data: toApiTicketDetail(detail, `/api/v1/tickets/${id}/attachments`) });
  })
  .post('/:id/replies', async (c) => {
    const key = c.get('apiKey');
    const id = c.req.param('id');
    const body = await readJsonObject(c);
    const db = getDb(c.env.DB);
    const { messageId } = await staffReply(db, c.env, key.hostId, id, apiActor(key), body, [], c.req.url);
    // A key may write a note without the scope, but only a key with it reads notes back.
    const detail = await getTicket(db, key.hostId, id, { includeInternal: body.internal === true && readsNotes(key) });
    c.header('Location', `/api/v1/tickets/${id}`);
    const data = toApiTicketDetail(detail, `/api/v1/tickets/${id}/attachments`);
    return c.json({ data: { ...data, message_id: messageId } }, 201);
  })
  .get('/:id/attachments/:attachmentId', async (c) => {
    const key = c.get('apiKey');
    const row = await findAttachment(getDb(c.env.DB), key.hostId, c.req.param('id'), c.req.param('attachmentId'), { includeInternal: readsNotes(key) });
    const object = await c.env.FILES.get(row.r2Key);
    if (!object) throw notFound('Attachment');
    return c.body(object.body, 200, attachmentHeaders(row));
  });
