import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { createMiddleware } from 'hono/factory';
import { authenticateAgent, registerAgent, touchAgent, type AuthedAgent } from '../agents/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { unauthorized } from '../lib/errors';
import { clientIp } from '../lib/rate-limit';
import { readJsonObject } from '../lib/http';
import { agentConfig } from '../telemetry/agent-config';
import { pduCredentialKey } from '../pdu/crypto';
import { ingestTelemetry, readTelemetryPayload } from '../telemetry/ingest';

type AgentEnv = AppEnv & { Variables: AppEnv['Variables'] & { agent: AuthedAgent } };

/** `hashyard-agent/1.2.3 (node …)` → `1.2.3`; anything else records no version. */
const agentVersion = (userAgent: string | undefined) => /^hashyard-agent\/(\S+)/.exec(userAgent ?? '')?.[1] ?? null;

/**
 * The bearer token decides the agent, and through it the one site it may write: checked in D1 on
 * every request (no cache), so a revoked token or a closed host stops at once.
 */
async function authenticatedAgent(c: Context<AgentEnv>): Promise<AuthedAgent> {
  const db = getDb(c.env.DB);
  const agent = await authenticateAgent(db, c.req.header('Authorization'));
  if (!agent) {
    c.header('WWW-Authenticate', 'Bearer realm="hashyard-agent"');
    throw unauthorized('Send the agent token as Authorization: Bearer <token>; a revoked token must be re-registered.');
  }
  c.executionCtx.waitUntil(touchAgent(db, agent.agentId, agentVersion(c.req.header('User-Agent'))));
  return agent;
}

const requireAgent = createMiddleware<AgentEnv>(async (c, next) => {
  c.set('agent', await authenticatedAgent(c));
  await next();
});

/** Why a reported miner was written nowhere (wire format v1, `miners_refused[].message`). */
const REFUSED_MESSAGES = {
  other_site: 'This unit belongs to another site of the host (or to none); move it to this site in Hashyard first.',
  staging_cap: 'This site has reached its cap of staged units; confirm or delete staged units, or raise the cap on the site’s page.',
} as const;

/** Facility agents, wire format v1 (DESIGN.md §5; a public protocol). */
export const agentApiRoutes = new Hono<AgentEnv>()
  .post('/register', async (c) => {
    const body = await readJsonObject(c);
    const registered = await registerAgent(getDb(c.env.DB), { code: body.code, hostname: body.hostname, version: body.version, ip: clientIp(c.req.raw.headers) });
    return c.json(registered, 201);
  })
  .post('/telemetry', async (c) => {
    // The body arrives while the token is checked: the two waits overlap (bench/README.md, "Third
    // pass"). The read only buffers the bytes (bounded as ever); nothing is parsed, written or
    // answered about the body before the token is accepted, and a refused token stops the read.
    const abandon = new AbortController();
    const payload = readTelemetryPayload(c.req.raw, abandon.signal);
    payload.catch(() => undefined);
    const agent = await authenticatedAgent(c).catch((error: unknown) => {
      abandon.abort();
      throw error;
    });
    // The agent API is served on the platform host only, so this is where its portals are reached too.
    const result = await ingestTelemetry(c.env, agent, await payload, new URL(c.req.url).origin);
    return c.json({
      batch_accepted: true,
      duplicate: result.duplicate,
      miners_accepted: result.accepted,
      miners_staged: result.staged,
      miners_refused: result.refused.map(({ key, reason }) => ({ miner: key, reason, message: REFUSED_MESSAGES[reason] })),
    });
  })
  .get('/config', requireAgent, async (c) => {
    const agent = c.get('agent');
    return c.json(await agentConfig(getDb(c.env.DB), agent.hostId, agent.siteId, () => pduCredentialKey(c.env)));
  });
