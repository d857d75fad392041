import { Hono } from '../../lib/hono';
import type { Actor } from '../../activity/service';
import { toApiCustomer } from '../../customers/serialize';
import { createCustomer, getCustomer, listCustomers, updateCustomer } from '../../customers/service';
import { getDb } from '../../db/client';
import type { AppEnv } from '../../env';
import { readJsonObject } from '../../lib/http';
import type { AuthedApiKey } from '../../auth/api-keys';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });

/** /api/v1/customers — the same services and zod schemas as the admin pages. */
export const apiCustomerRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const page = await listCustomers(getDb(c.env.DB), key.hostId, c.req.query());
    return c.json({ data: page.items.map(toApiCustomer), total: page.total, next_cursor: page.nextCursor });
  })
  .post('/', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const customer = await createCustomer(getDb(c.env.DB), key.hostId, apiActor(key), body);
    c.header('Location', `/api/v1/customers/${customer.id}`);
    return c.json({ data: toApiCustomer(customer) }, 201);
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    const customer = await getCustomer(getDb(c.env.DB), key.hostId, c.req.param('id'));
    return c.json({ data: toApiCustomer(customer) });
  })
  .patch('/:id', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const customer = await updateCustomer(getDb(c.env.DB), key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: toApiCustomer(customer) });
  });
