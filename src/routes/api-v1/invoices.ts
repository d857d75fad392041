import { Hono } from '../../lib/hono';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { generateInvoice, getInvoice, issueInvoice, listInvoices, voidInvoice } from '../../billing/invoices';
import { isPeriodKey } from '../../billing/periods';
import { toApiInvoice, toApiInvoiceDetail } from '../../billing/serialize';
import { getDb } from '../../db/client';
import { INVOICE_STATUSES } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ValidationError } from '../../lib/errors';
import { readJsonObject } from '../../lib/http';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });

/** /api/v1/invoices — the same services as the admin pages (docs/API.md, "Invoices"). */
export const apiInvoiceRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const q = c.req.query();
    const fields: Record<string, string> = {};
    if (q.status && !(INVOICE_STATUSES as readonly string[]).includes(q.status)) fields.status = `One of ${INVOICE_STATUSES.join(', ')}.`;
    if (q.period && !isPeriodKey(q.period)) fields.period = 'A month as YYYY-MM.';
    const page = q.page === undefined ? 1 : Number(q.page);
    if (!Number.isInteger(page) || page < 1) fields.page = 'A whole number from 1.';
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);
    const list = await listInvoices(getDb(c.env.DB), key.hostId, { status: q.status, customerId: q.customer_id, period: q.period, page });
    return c.json({ data: list.items.map((i) => toApiInvoice(i)), page: list.page, pages: list.pages, total: list.total });
  })
  .post('/', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const fields: Record<string, string> = {};
    if (typeof body.customer_id !== 'string' || body.customer_id === '') fields.customer_id = 'Required: the customer to invoice.';
    if (typeof body.period !== 'string' || !isPeriodKey(body.period)) fields.period = 'Required: a month as YYYY-MM.';
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);
    const result = await generateInvoice(getDb(c.env.DB), key.hostId, body.customer_id as string, body.period as string, apiActor(key));
    const detail = await getInvoice(getDb(c.env.DB), key.hostId, result.invoice.id);
    c.header('Location', `/api/v1/invoices/${result.invoice.id}`);
    return c.json({ data: { ...toApiInvoiceDetail(detail), outcome: result.outcome, blockers: result.blockers } }, result.outcome === 'created' ? 201 : 200);
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    return c.json({ data: toApiInvoiceDetail(await getInvoice(getDb(c.env.DB), key.hostId, c.req.param('id'))) });
  })
  .post('/:id/issue', async (c) => {
    const key = c.get('apiKey');
    const invoice = await issueInvoice(getDb(c.env.DB), { ...c.env, origin: new URL(c.req.url).origin }, key.hostId, c.req.param('id'), apiActor(key));
    return c.json({ data: toApiInvoiceDetail(await getInvoice(getDb(c.env.DB), key.hostId, invoice.id)) });
  })
  .post('/:id/void', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const invoice = await voidInvoice(getDb(c.env.DB), key.hostId, c.req.param('id'), typeof body.reason === 'string' ? body.reason : '', apiActor(key));
    return c.json({ data: toApiInvoiceDetail(await getInvoice(getDb(c.env.DB), key.hostId, invoice.id)) });
  });
