import { Hono } from '../../lib/hono';
import { createAgent, listAgents, type AgentListItem } from '../../agents/service';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { getDb } from '../../db/client';
import type { AppEnv } from '../../env';
import { readJsonObject } from '../../lib/http';
import { toApiSite } from '../../sites/serialize';
import { createSite, getSite, listSitesWithSegments, updateSite } from '../../sites/service';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const toApiAgent = (agent: AgentListItem) => ({
  id: agent.id,
  site_id: agent.siteId,
  name: agent.name,
  status: agent.state,
  code_expires_at: agent.state === 'awaiting' ? iso(agent.codeExpiresAt) : null,
  registered_at: iso(agent.registeredAt),
  revoked_at: iso(agent.revokedAt),
  last_seen_at: iso(agent.lastSeenAt),
  version: agent.version,
  hostname: agent.hostname,
  created_at: iso(agent.createdAt),
});

/** An optional JSON body: none (or an empty one) is `{}`. */
async function optionalJson(c: Parameters<typeof readJsonObject>[0]): Promise<Record<string, unknown>> {
  const length = c.req.header('Content-Length');
  if (!c.req.header('Content-Type') && (length === undefined || length === '0')) return {};
  return readJsonObject(c);
}

/** /api/v1/sites — the same services and zod schemas as the admin pages. */
export const apiSiteRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const sites = await listSitesWithSegments(getDb(c.env.DB), key.hostId);
    return c.json({ data: sites.map(toApiSite) });
  })
  .post('/', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const site = await createSite(getDb(c.env.DB), key.hostId, apiActor(key), body);
    c.header('Location', `/api/v1/sites/${site.id}`);
    return c.json({ data: toApiSite(site) }, 201);
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    return c.json({ data: toApiSite(await getSite(getDb(c.env.DB), key.hostId, c.req.param('id'))) });
  })
  .patch('/:id', async (c) => {
    const key = c.get('apiKey');
    const body = await readJsonObject(c);
    const site = await updateSite(getDb(c.env.DB), key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: toApiSite(site) });
  })
  .get('/:id/agents', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const site = await getSite(db, key.hostId, c.req.param('id'));
    return c.json({ data: (await listAgents(db, key.hostId, site.id)).map(toApiAgent) });
  })
  /** A new agent and its one-time registration code: in this response only. */
  .post('/:id/agents', async (c) => {
    const key = c.get('apiKey');
    const body = await optionalJson(c);
    const issued = await createAgent(getDb(c.env.DB), key.hostId, apiActor(key), { apiKey: true }, c.req.param('id'), body);
    return c.json(
      { data: { agent: toApiAgent(issued.agent), registration_code: issued.code, code_expires_at: new Date(issued.expiresAt).toISOString() } },
      201,
    );
  });
