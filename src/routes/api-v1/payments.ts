import { Hono } from '../../lib/hono';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { money } from '../../billing/money';
import { getPayment, listPayments, recordPayment, type PaymentResult } from '../../billing/payments';
import { getDb } from '../../db/client';
import { autoCloseSettled } from '../../default/service';
import type { AppEnv } from '../../env';
import { readJsonObject } from '../../lib/http';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });

/** A payment as the API shows it: money as { amount_minor, currency }, with where it went. */
export const toApiPayment = ({ payment, allocations, credit }: PaymentResult) => ({
  id: payment.id,
  customer_id: payment.customerId,
  method: payment.method,
  reference: payment.reference,
  received_on: payment.receivedOn,
  amount: money(payment.amountMinor, payment.currency),
  notes: payment.notes,
  recorded_by: payment.createdBy,
  created_at: new Date(payment.createdAt).toISOString(),
  allocations: allocations.map((a) => ({ invoice_id: a.invoiceId, invoice_number: a.invoiceNumber, amount: money(a.amountMinor, payment.currency) })),
  credit: credit ? { id: credit.id, kind: credit.kind, amount: money(credit.amountMinor, credit.currency), remaining: money(credit.remainingMinor, credit.currency) } : null,
});

/** /api/v1/payments — the same service and zod schema as the staff Financials tab. */
export const apiPaymentRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const page = await listPayments(getDb(c.env.DB), key.hostId, { customer_id: c.req.query('customer_id'), cursor: c.req.query('cursor'), limit: c.req.query('limit') });
    return c.json({ data: page.items.map(toApiPayment), next_cursor: page.nextCursor });
  })
  .post('/', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const result = await recordPayment(getDb(c.env.DB), key.hostId, apiActor(key), null, body);
    // A payment that clears the overdue balance closes the default at once (docs/DEFAULT.md).
    await autoCloseSettled(getDb(c.env.DB), c.env, key.hostId, { customerId: result.payment.customerId });
    c.header('Location', `/api/v1/payments/${result.payment.id}`);
    return c.json({ data: toApiPayment(result) }, 201);
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    return c.json({ data: toApiPayment(await getPayment(getDb(c.env.DB), key.hostId, c.req.param('id'))) });
  });
