import { Hono } from 'hono';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { getDb } from '../../db/client';
import type { AppEnv } from '../../env';
import { toApiAssignment, toApiMiner } from '../../equipment/serialize';
import { assignEquipment, createMiner, getMinerWithLive, listMiners, unassignEquipment, updateMiner } from '../../equipment/service';
import { readJsonObject } from '../../lib/http';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });

/** /api/v1/miners — the same services and zod schemas as the Equipment pages. */
export const apiMinerRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const page = await listMiners(getDb(c.env.DB), c.env, key.hostId, c.req.query());
    return c.json({ data: page.items.map(toApiMiner), total: page.total, next_cursor: page.nextCursor });
  })
  .post('/', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const body = await readJsonObject(c);
    const miner = await createMiner(db, key.hostId, apiActor(key), body);
    c.header('Location', `/api/v1/miners/${miner.id}`);
    return c.json({ data: toApiMiner(await getMinerWithLive(db, c.env, key.hostId, miner.id)) }, 201);
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    return c.json({ data: toApiMiner(await getMinerWithLive(getDb(c.env.DB), c.env, key.hostId, c.req.param('id'))) });
  })
  .patch('/:id', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const body = await readJsonObject(c);
    const miner = await updateMiner(db, key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: toApiMiner(await getMinerWithLive(db, c.env, key.hostId, miner.id)) });
  });

/** /api/v1/customers/:id/equipment — assign (POST) and unassign (DELETE) by miner ids. */
export const apiCustomerEquipmentRoutes = new Hono<AppEnv>()
  .post('/:id/equipment', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const result = await assignEquipment(getDb(c.env.DB), key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: toApiAssignment(result, 'assigned') });
  })
  .delete('/:id/equipment', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const result = await unassignEquipment(getDb(c.env.DB), key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: toApiAssignment(result, 'unassigned') });
  });
