import { Hono } from '../../lib/hono';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { generateInvoice, getInvoice, issueInvoice, listInvoices, previewInvoice, voidInvoice } from '../../billing/invoices';
import { isPeriodKey } from '../../billing/periods';
import { toApiInvoice, toApiInvoiceDetail, toApiUnitFees } from '../../billing/serialize';
import { removeUnitFee, setUnitFees } from '../../billing/unit-fees';
import { getDb } from '../../db/client';
import { INVOICE_STATUSES } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ValidationError } from '../../lib/errors';
import { readJsonObject } from '../../lib/http';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });

/** The customer and period a call is about, both required: 422 names each missing one, with `more` field errors. */
function customerPeriod(values: Record<string, unknown>, more: Record<string, string> = {}): { customerId: string; period: string } {
  const fields = { ...more };
  if (typeof values.customer_id !== 'string' || values.customer_id === '') fields.customer_id = 'Required: the customer.';
  if (typeof values.period !== 'string' || !isPeriodKey(values.period)) fields.period = 'Required: a month as YYYY-MM.';
  if (Object.keys(fields).length > 0) throw new ValidationError(fields);
  return { customerId: values.customer_id as string, period: values.period as string };
}

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
    const { customerId, period } = customerPeriod(await readJsonObject(c));
    const result = await generateInvoice(getDb(c.env.DB), key.hostId, customerId, period, apiActor(key));
    const detail = await getInvoice(getDb(c.env.DB), key.hostId, result.invoice.id);
    c.header('Location', `/api/v1/invoices/${result.invoice.id}`);
    return c.json({ data: { ...toApiInvoiceDetail(detail), outcome: result.outcome, blockers: result.blockers } }, result.outcome === 'created' ? 201 : 200);
  })
  // docs/API.md, "Fixed fees for units without power data"; registered before `/:id`.
  .get('/unit-fees', async (c) => {
    const key = c.get('apiKey');
    const { customerId, period } = customerPeriod(c.req.query());
    return c.json({ data: toApiUnitFees(await previewInvoice(getDb(c.env.DB), key.hostId, customerId, period)) });
  })
  .put('/unit-fees', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const minerIds = body.miner_ids ?? [];
    const listed = Array.isArray(minerIds) && minerIds.every((id) => typeof id === 'string');
    const { customerId, period } = customerPeriod(body, listed ? {} : { miner_ids: 'A list of unit ids.' });
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const result = await setUnitFees(getDb(c.env.DB), key.hostId, apiActor(key), {
      customerId,
      periodKey: period,
      minerIds: minerIds as string[],
      allBlocked: body.all_blocked === true,
      fee: text('fee'),
      note: text('note'),
    });
    return c.json({ data: toApiUnitFees(result.preview) });
  })
  .delete('/unit-fees/:minerId', async (c) => {
    const key = c.get('apiKey');
    const { customerId, period } = customerPeriod(c.req.query());
    const result = await removeUnitFee(getDb(c.env.DB), key.hostId, apiActor(key), customerId, period, c.req.param('minerId'));
    return c.json({ data: toApiUnitFees(result.preview) });
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
