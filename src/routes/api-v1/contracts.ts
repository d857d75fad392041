import type { Context } from 'hono';
import { Hono } from '../../lib/hono';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { toApiContract } from '../../contracts/serialize';
import {
  activateContract,
  createContract,
  deleteDraft,
  extendLease,
  getContract,
  listContracts,
  terminateContract,
  updateContract,
  type ContractStatus,
} from '../../contracts/service';
import { CONTRACT_KINDS, CONTRACT_STATUSES } from '../../db/schema';
import { getDb } from '../../db/client';
import type { AppEnv } from '../../env';
import { ValidationError } from '../../lib/errors';
import { readJsonObject } from '../../lib/http';
import type { ContractKind } from '../../contracts/schema';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });

/** An optional JSON body: none (or an empty one) is `{}`. */
async function optionalJson(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const length = c.req.header('Content-Length');
  if (!c.req.header('Content-Type') && (length === undefined || length === '0')) return {};
  return readJsonObject(c);
}

function listQuery(query: Record<string, string>) {
  const errors: Record<string, string> = {};
  const status = query.status || undefined;
  const kind = query.kind || undefined;
  if (status && !(CONTRACT_STATUSES as readonly string[]).includes(status)) errors.status = `Use one of: ${CONTRACT_STATUSES.join(', ')}.`;
  if (kind && !(CONTRACT_KINDS as readonly string[]).includes(kind)) errors.kind = `Use one of: ${CONTRACT_KINDS.join(', ')}.`;
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) errors.limit = 'limit must be a whole number from 1 to 200.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return {
    customer: query.customer_id || undefined,
    status: status as ContractStatus | undefined,
    kind: kind as ContractKind | undefined,
    limit,
    cursor: query.cursor || undefined,
  };
}

/** /api/v1/contracts — the same services and zod schemas as the Contracts tab. */
export const apiContractRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const page = await listContracts(getDb(c.env.DB), key.hostId, listQuery(c.req.query()));
    return c.json({ data: page.items.map(toApiContract), next_cursor: page.nextCursor });
  })
  .post('/', async (c) => {
    const key = c.get('apiKey');
    const { customer_id: customerId, ...body } = await readJsonObject(c);
    if (typeof customerId !== 'string' || customerId.trim() === '') throw new ValidationError({ customer_id: 'customer_id is required.' });
    const contract = await createContract(getDb(c.env.DB), key.hostId, apiActor(key), customerId, body);
    c.header('Location', `/api/v1/contracts/${contract.id}`);
    return c.json({ data: toApiContract(contract) }, 201);
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    return c.json({ data: toApiContract(await getContract(getDb(c.env.DB), key.hostId, c.req.param('id'))) });
  })
  .patch('/:id', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const contract = await updateContract(getDb(c.env.DB), key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: toApiContract(contract) });
  })
  .delete('/:id', async (c) => {
    const key = c.get('apiKey');
    await deleteDraft(getDb(c.env.DB), key.hostId, apiActor(key), c.req.param('id'));
    return c.body(null, 204);
  })
  .post('/:id/activate', async (c) => {
    const key = c.get('apiKey');
    const contract = await activateContract(getDb(c.env.DB), key.hostId, apiActor(key), c.req.param('id'));
    return c.json({ data: toApiContract(contract) });
  })
  .post('/:id/extend', async (c) => {
    const key = c.get('apiKey');
    const body = await optionalJson(c);
    const contract = await extendLease(getDb(c.env.DB), key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: toApiContract(contract) });
  })
  .post('/:id/terminate', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const contract = await terminateContract(getDb(c.env.DB), key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: toApiContract(contract) });
  });
