import { inSiteScope, type SiteScope } from '../team/scope';
import { and, desc, eq, getTableColumns, isNull, sql } from 'drizzle-orm';
import * as z from '../lib/schema';
import { activityInsert, activityInsertIfChanged, type Actor } from '../activity/service';
import { can, requireThat } from '../auth/permissions';
import type { Db } from '../db/client';
import { agents, hosts, rateLimits, sites, type StaffRole } from '../db/schema';
import { AppError, notFound } from '../lib/errors';
import { base64Url, newId, sha256Hex } from '../lib/ids';
import { consumeRateLimit } from '../lib/rate-limit';
import { optionalText, parseInput } from '../lib/validation';

/**
 * Facility agents (DESIGN.md §5). "Add agent" makes a row with a one-time registration code; the
 * agent trades the code for a long-lived bearer token at POST /api/agent/v1/register
 * (registerAgent), then authenticates every call with it (authenticateAgent). Codes and tokens
 * are stored only as SHA-256 hashes and shown once.
 */

/** Uppercase letters and digits without the look-alikes 0/O and 1/I: 32 symbols, 5 bits each. */
export const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/**
 * A code is a 4-symbol selector (20 bits, stored plain: which code is being tried) and an
 * 8-symbol secret (40 bits, stored only inside the SHA-256 of the whole code). Guessing is bounded
 * by limits no address change escapes (docs/ARCHITECTURE.md, "Agent registration codes"):
 * a code expires after CODE_MAX_FAILURES wrong secrets, and failed attempts platform-wide are
 * capped per minute, on top of the per-address limit.
 */
export const CODE_SELECTOR_LENGTH = 4;
export const CODE_LENGTH = 12;
export const CODE_TTL_MS = 30 * 60 * 1000;
export const CODE_MAX_FAILURES = 5;
/** Failed registrations (unknown selector or wrong secret), every client together, per minute. */
export const REGISTER_PLATFORM_FAILURES = { limit: 100, windowMs: 60 * 1000 };
const PLATFORM_FAILURES_KEY = 'agent-register:failed:platform';
export const TOKEN_PREFIX = 'hya_';
/** last_seen_at is written at most this often per agent. */
export const TOUCH_INTERVAL_MS = 60 * 1000;
/** Registration attempts per client address: 2^30 codes make guessing hopeless at this rate. */
export const REGISTER_RATE_LIMIT = { limit: 20, windowMs: 15 * 60 * 1000 };

/** A fresh code: 32 symbols divide 256 evenly, so masking a random byte is unbiased. */
export function generateRegistrationCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(CODE_LENGTH));
  return [...bytes].map((b) => CODE_ALPHABET[b & 31]).join('');
}

/** What people type: spaces, dashes and lowercase are forgiven. */
export const normalizeCode = (code: string) => code.replace(/[\s-]/g, '').toUpperCase();

export function generateAgentToken(): string {
  return `${TOKEN_PREFIX}${base64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

export type AgentRow = typeof agents.$inferSelect;

export type AgentState = 'awaiting' | 'expired' | 'registered' | 'revoked';

export function agentState(agent: Pick<AgentRow, 'revokedAt' | 'registeredAt' | 'codeExpiresAt' | 'tokenHash'>, now = Date.now()): AgentState {
  if (agent.revokedAt !== null) return 'revoked';
  if (agent.registeredAt !== null && agent.tokenHash !== null) return 'registered';
  if (agent.codeExpiresAt === null || agent.codeExpiresAt <= now) return 'expired';
  return 'awaiting';
}

export interface AgentListItem {
  id: string;
  siteId: string;
  name: string;
  state: AgentState;
  codeExpiresAt: number | null;
  registeredAt: number | null;
  revokedAt: number | null;
  lastSeenAt: number | null;
  version: string | null;
  hostname: string | null;
  createdAt: number;
}

const toListItem = (row: AgentRow, now: number): AgentListItem => ({
  id: row.id,
  siteId: row.siteId,
  name: row.name,
  state: agentState(row, now),
  codeExpiresAt: row.codeExpiresAt,
  registeredAt: row.registeredAt,
  revokedAt: row.revokedAt,
  lastSeenAt: row.lastSeenAt,
  version: row.version,
  hostname: row.hostname,
  createdAt: row.createdAt,
});

/** The site's agents, newest first. */
export async function listAgents(db: Db, hostId: string, siteId: string, now = Date.now()): Promise<AgentListItem[]> {
  const rows = await db
    .select()
    .from(agents)
    .where(and(eq(agents.hostId, hostId), eq(agents.siteId, siteId)))
    .orderBy(desc(agents.createdAt), desc(agents.id))
    .all();
  return rows.map((row) => toListItem(row, now));
}

/** Who may add, revoke and regenerate agents: a staff role (owner/admin), or any host API key. */
export type AgentManager = { role: StaffRole; siteIds?: SiteScope } | { apiKey: true };

function requireAgentManager(manager: AgentManager) {
  if ('role' in manager) requireThat(can.manageAgents(manager.role), 'Only owners and admins manage facility agents.');
}

/** The site, within the manager's site scope (src/team/scope.ts): another site is not found. */
async function siteOf(db: Db, hostId: string, siteId: string, manager?: AgentManager) {
  const scope = manager && 'role' in manager ? manager.siteIds : undefined;
  const site = await db.select({ id: sites.id, name: sites.name }).from(sites).where(and(eq(sites.hostId, hostId), eq(sites.id, siteId), inSiteScope(sites.id, scope))).get();
  if (!site) throw notFound('Site');
  return site;
}

const createAgentSchema = z.strictObject({ name: optionalText(100) });

export interface IssuedCode {
  agent: AgentListItem;
  /** The plain code: shown this once, never stored. */
  code: string;
  expiresAt: number;
}

/**
 * Writes a fresh code hash with `write`, retrying on the (one in a billion) chance that another
 * outstanding code has the same hash (the unique index on code_hash refuses it).
 */
async function withFreshCode<T>(write: (fresh: { codeHash: string; codeSelector: string }) => Promise<T>): Promise<{ result: T; code: string }> {
  for (let attempt = 0; ; attempt++) {
    const code = generateRegistrationCode();
    try {
      return { result: await write({ codeHash: await sha256Hex(code), codeSelector: code.slice(0, CODE_SELECTOR_LENGTH) }), code };
    } catch (error) {
      if (attempt < 3 && String(error).includes('UNIQUE')) continue;
      throw error;
    }
  }
}

/** "Add agent": a new agents row for the site with a one-time code valid for 30 minutes. */
export async function createAgent(db: Db, hostId: string, actor: Actor, manager: AgentManager, siteId: string, raw: unknown = {}): Promise<IssuedCode> {
  requireAgentManager(manager);
  const input = parseInput(createAgentSchema, raw ?? {});
  const site = await siteOf(db, hostId, siteId, manager);
  const now = Date.now();
  const id = newId();
  const expiresAt = now + CODE_TTL_MS;
  const name = input.name ?? `Agent ${new Date(now).toISOString().slice(0, 10)}`;
  const { code } = await withFreshCode((fresh) =>
    db.batch([
      db.insert(agents).values({ id, hostId, siteId, name, ...fresh, codeExpiresAt: expiresAt, createdBy: actor.id, createdAt: now }),
      activityInsert(db, hostId, actor, 'agent.created', null, { site: [site.name, site.name], agent: [null, name] }, now),
    ]),
  );
  const row = await db.select().from(agents).where(eq(agents.id, id)).get();
  return { agent: toListItem(row!, now), code, expiresAt };
}

async function agentOf(db: Db, hostId: string, siteId: string, agentId: string): Promise<AgentRow> {
  const row = await db
    .select()
    .from(agents)
    .where(and(eq(agents.hostId, hostId), eq(agents.siteId, siteId), eq(agents.id, agentId)))
    .get();
  if (!row) throw notFound('Agent');
  return row;
}

/** Revoking ends the agent's token at once (authenticateAgent refuses it) and voids any code. */
export async function revokeAgent(db: Db, hostId: string, actor: Actor, manager: AgentManager, siteId: string, agentId: string): Promise<void> {
  requireAgentManager(manager);
  const site = await siteOf(db, hostId, siteId, manager);
  const agent = await agentOf(db, hostId, siteId, agentId);
  if (agent.revokedAt !== null) return;
  const now = Date.now();
  await db.batch([
    db
      .update(agents)
      .set({ revokedAt: now, codeHash: null, codeSelector: null, codeExpiresAt: null })
      .where(and(eq(agents.hostId, hostId), eq(agents.id, agentId), isNull(agents.revokedAt))),
    activityInsertIfChanged(db, hostId, actor, 'agent.revoked', null, { site: [site.name, site.name], agent: [agent.name, agent.name] }, now),
  ]);
}

/**
 * A new code for an agent that has not registered (or whose code expired), or that was revoked:
 * the old code and any token stop working; the agent must register again with the new code.
 * A registered, active agent is refused: revoke it first, so a token is never dropped by accident.
 */
export async function regenerateAgentCode(
  db: Db,
  hostId: string,
  actor: Actor,
  manager: AgentManager,
  siteId: string,
  agentId: string,
): Promise<IssuedCode> {
  requireAgentManager(manager);
  const site = await siteOf(db, hostId, siteId, manager);
  const agent = await agentOf(db, hostId, siteId, agentId);
  const now = Date.now();
  if (agentState(agent, now) === 'registered') {
    throw new AppError('conflict', 'This agent is registered and active. Revoke it first, then generate a new code.');
  }
  const expiresAt = now + CODE_TTL_MS;
  const { result, code } = await withFreshCode((fresh) =>
    db.batch([
      db
        .update(agents)
        .set({ ...fresh, codeFailures: 0, codeExpiresAt: expiresAt, tokenHash: null, registeredAt: null, revokedAt: null })
        // Guarded: an agent that registered meanwhile keeps its token.
        .where(and(eq(agents.hostId, hostId), eq(agents.id, agentId), sql`(${agents.tokenHash} IS NULL OR ${agents.revokedAt} IS NOT NULL)`))
        .returning({ id: agents.id }),
      activityInsertIfChanged(db, hostId, actor, 'agent.code_regenerated', null, { site: [site.name, site.name], agent: [agent.name, agent.name] }, now),
    ]),
  );
  if (result[0].length === 0) throw new AppError('conflict', 'This agent registered meanwhile. Revoke it first, then generate a new code.');
  const row = await db.select().from(agents).where(eq(agents.id, agentId)).get();
  return { agent: toListItem(row!, now), code, expiresAt };
}

// ---------------------------------------------------------------------------------------------
// The agent API's side (called by src/routes/agent-api.ts).

export const registerAgentSchema = z.object({
  code: z.pipe(z.pipe(z.string({ error: 'Send the 12-character registration code.' }), z.transform(normalizeCode)), z.string().check(z.regex(new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`), 'A registration code is 12 letters and digits, like K7Q2-ZPXM-4HAB.'))),
  hostname: z.string({ error: 'Send the agent machine’s hostname.' }).check(
    z.trim(),
    z.minLength(1, 'Send the agent machine’s hostname.'),
    z.maxLength(253),
  ),
  version: z.string({ error: 'Send the agent version.' }).check(z.trim(), z.minLength(1, 'Send the agent version.'), z.maxLength(64)),
});

const NOT_VALID = 'This registration code is not valid or has already been used. Generate a new code on the site’s page.';

/** Too many failed registrations platform-wide this minute: refuse before looking anything up. */
async function refuseWhenPlatformFailuresExceeded(db: Db, now: number): Promise<void> {
  const row = await db.select().from(rateLimits).where(eq(rateLimits.key, PLATFORM_FAILURES_KEY)).get();
  if (row && row.windowStart > now - REGISTER_PLATFORM_FAILURES.windowMs && row.count >= REGISTER_PLATFORM_FAILURES.limit) {
    const retryAfterSeconds = Math.max(1, Math.ceil((row.windowStart + REGISTER_PLATFORM_FAILURES.windowMs - now) / 1000));
    throw new AppError('rate_limited', 'Too many failed registrations on the platform right now. Wait a minute and try again.', undefined, retryAfterSeconds);
  }
}

/** Counts one failed registration in the platform-wide window (never throws: the caller is failing already). */
async function countPlatformFailure(db: Db, now: number): Promise<void> {
  await consumeRateLimit(db, { key: PLATFORM_FAILURES_KEY, limit: Number.MAX_SAFE_INTEGER, windowMs: REGISTER_PLATFORM_FAILURES.windowMs }, now);
}

export interface RegisteredAgent {
  agent_id: string;
  site_id: string;
  /** `hya_` + 32 random bytes base64url: returned this once, stored only as its SHA-256. */
  token: string;
}

/**
 * Trades a one-time code for a bearer token (wire format v1: `{ agent_id, site_id, token }`).
 * Rate-limited per client address (`ip`, e.g. clientIp(request.headers); absent = one shared
 * bucket). An unknown, used or expired code is refused with `unauthorized` (401), changing nothing.
 * Single use is settled by one guarded UPDATE: two agents racing with the same code cannot both win.
 */
export async function registerAgent(
  db: Db,
  raw: { code: unknown; hostname: unknown; version: unknown; ip?: string | null },
  now = Date.now(),
): Promise<RegisteredAgent> {
  await consumeRateLimit(db, { key: `agent-register:ip:${raw.ip ?? 'unknown'}`, ...REGISTER_RATE_LIMIT }, now);
  const input = parseInput(registerAgentSchema, { code: raw.code, hostname: raw.hostname, version: raw.version });
  await refuseWhenPlatformFailuresExceeded(db, now);
  const codeHash = await sha256Hex(input.code);
  const agent = await db
    .select(getTableColumns(agents))
    .from(agents)
    // A closed host registers no agent: its codes read as unknown (src/team/close.ts).
    .innerJoin(hosts, and(eq(hosts.id, agents.hostId), isNull(hosts.closedAt)))
    .where(eq(agents.codeSelector, input.code.slice(0, CODE_SELECTOR_LENGTH)))
    .get();
  if (!agent || agent.revokedAt !== null || agent.tokenHash !== null || agent.codeHash === null) {
    await countPlatformFailure(db, now);
    throw new AppError('unauthorized', NOT_VALID);
  }
  if (agent.codeHash !== codeHash) {
    await countPlatformFailure(db, now);
    // The code being guessed: count the wrong secret on it, and expire it at the limit.
    await db
      .update(agents)
      .set({
        codeFailures: sql`${agents.codeFailures} + 1`,
        codeExpiresAt: sql`CASE WHEN ${agents.codeFailures} + 1 >= ${CODE_MAX_FAILURES} THEN min(coalesce(${agents.codeExpiresAt}, ${now}), ${now}) ELSE ${agents.codeExpiresAt} END`,
      })
      .where(and(eq(agents.id, agent.id), eq(agents.codeHash, agent.codeHash)));
    throw new AppError('unauthorized', NOT_VALID);
  }
  if (agent.codeExpiresAt === null || agent.codeExpiresAt <= now) {
    throw new AppError(
      'unauthorized',
      agent.codeFailures >= CODE_MAX_FAILURES
        ? 'This registration code was withdrawn after too many wrong attempts. Generate a new code on the site’s page.'
        : 'This registration code has expired. Generate a new code on the site’s page.',
    );
  }
  const token = generateAgentToken();
  const tokenHash = await sha256Hex(token);
  const actor: Actor = { kind: 'system', id: agent.id, label: `Agent on ${input.hostname}` };
  const [updated] = await db.batch([
    db
      .update(agents)
      .set({ tokenHash, codeHash: null, codeSelector: null, codeExpiresAt: null, registeredAt: now, lastSeenAt: now, hostname: input.hostname, version: input.version })
      .where(
        and(
          eq(agents.id, agent.id),
          eq(agents.codeHash, codeHash),
          sql`${agents.codeExpiresAt} > ${now}`,
          isNull(agents.revokedAt),
          isNull(agents.tokenHash),
        ),
      )
      .returning({ id: agents.id }),
    activityInsertIfChanged(db, agent.hostId, actor, 'agent.registered', null, { agent: [agent.name, agent.name], hostname: [null, input.hostname], version: [null, input.version] }, now),
  ]);
  if (updated.length === 0) {
    throw new AppError('unauthorized', 'This registration code is not valid or has already been used. Generate a new code on the site’s page.');
  }
  return { agent_id: agent.id, site_id: agent.siteId, token };
}

export interface AuthedAgent {
  agentId: string;
  hostId: string;
  siteId: string;
  /** The site's SiteState shard count (src/live/shard.ts). */
  liveShards: number;
}

/** Reads `Authorization: Bearer hya_…`; null for a missing, malformed, unknown or revoked token. */
export async function authenticateAgent(db: Db, authorization: string | null | undefined): Promise<AuthedAgent | null> {
  const match = /^Bearer\s+(hya_[A-Za-z0-9_-]{43})$/i.exec((authorization ?? '').trim());
  if (!match?.[1]) return null;
  const tokenHash = await sha256Hex(match[1]);
  const row = await db
    .select({ agentId: agents.id, hostId: agents.hostId, siteId: agents.siteId, liveShards: sites.liveShards })
    .from(agents)
    // A closed host's agents stop at once (src/team/close.ts).
    .innerJoin(hosts, and(eq(hosts.id, agents.hostId), isNull(hosts.closedAt)))
    // The site's shard count travels with the token check: ingest splits a batch without another read.
    .innerJoin(sites, and(eq(sites.id, agents.siteId), eq(sites.hostId, agents.hostId)))
    .where(and(eq(agents.tokenHash, tokenHash), isNull(agents.revokedAt)))
    .get();
  return row ?? null;
}

/**
 * Records that the agent called in: one conditional UPDATE that writes only when last_seen_at is
 * a minute old (or the version changed), so the hot telemetry path rarely writes.
 */
export async function touchAgent(db: Db, agentId: string, version?: string | null, now = Date.now()): Promise<void> {
  const v = version?.trim().slice(0, 64) || null;
  await db
    .update(agents)
    .set({ lastSeenAt: now, ...(v ? { version: v } : {}) })
    .where(
      and(
        eq(agents.id, agentId),
        isNull(agents.revokedAt),
        v
          ? sql`(${agents.lastSeenAt} IS NULL OR ${agents.lastSeenAt} <= ${now - TOUCH_INTERVAL_MS} OR ${agents.version} IS NOT ${v})`
          : sql`(${agents.lastSeenAt} IS NULL OR ${agents.lastSeenAt} <= ${now - TOUCH_INTERVAL_MS})`,
      ),
    );
}
