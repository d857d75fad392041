import { Hono } from '../../lib/hono';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { getDb, type Db } from '../../db/client';
import type { AppEnv, Bindings } from '../../env';
import { tolerantLive, type LiveOutage } from '../../live/client';
import { liveErrorOf, unavailableSites } from '../../live/outage';
import { toApiAssignment, toApiMiner } from '../../equipment/serialize';
import { assignEquipment, createMiner, getMinerWithLive, listMiners, unassignEquipment, updateMiner } from '../../equipment/service';
import { readJsonObject } from '../../lib/http';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });

/**
 * A unit with its live state; a failing site gives `live: null` and `live_error` rather than a
 * 500 (after a create or update the write has happened, and the answer says so).
 */
async function minerWithLive(db: Db, env: Pick<Bindings, 'SITE_STATE'>, hostId: string, minerId: string) {
  const live = tolerantLive(env);
  const miner = await getMinerWithLive(db, live, hostId, minerId);
  return toApiMiner(miner, liveErrorOf(live.outage, miner.siteId));
}

/** The list's sites whose live state could not be read, one entry per site. */
async function apiLiveErrors(db: Db, hostId: string, outage: LiveOutage) {
  const sites = await unavailableSites(db, hostId, outage);
  return sites.map((site) => ({ site_id: site.id, site_name: site.name, error: `Live data unavailable for ${site.name} (its live state ${site.reason}).` }));
}

/** /api/v1/miners — the same services and zod schemas as the Equipment pages. */
export const apiMinerRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const live = tolerantLive(c.env);
    const page = await listMiners(db, live, key.hostId, c.req.query());
    return c.json({
      data: page.items.map((miner) => toApiMiner(miner, liveErrorOf(live.outage, miner.siteId))),
      total: page.total,
      next_cursor: page.nextCursor,
      live_errors: await apiLiveErrors(db, key.hostId, live.outage),
    });
  })
  .post('/', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const body = await readJsonObject(c);
    const miner = await createMiner(db, key.hostId, apiActor(key), body);
    c.header('Location', `/api/v1/miners/${miner.id}`);
    return c.json({ data: await minerWithLive(db, c.env, key.hostId, miner.id) }, 201);
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    return c.json({ data: await minerWithLive(getDb(c.env.DB), c.env, key.hostId, c.req.param('id')) });
  })
  .patch('/:id', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const body = await readJsonObject(c);
    const miner = await updateMiner(db, key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: await minerWithLive(db, c.env, key.hostId, miner.id) });
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
