import { and, desc, eq, isNull, ne, or, sql } from 'drizzle-orm';
import { activityInsert, activityInsertIfChanged, diffFields, type Actor } from '../activity/service';
import { can, requireThat } from '../auth/permissions';
import type { StaffSession } from '../auth/staff-session';
import type { Db } from '../db/client';
import { apiKeys, hosts } from '../db/schema';
import type { ApiKeyScope } from '../auth/api-keys';
import { notFound, ValidationError } from '../lib/errors';
import { newId, randomToken, sha256Hex } from '../lib/ids';
import { parseInput } from '../lib/validation';
import { apiKeyCreateSchema, hostSettingsSchema } from './schema';

export const staffActor = (session: StaffSession): Actor => ({ kind: 'staff', id: session.user.id, label: session.user.name });

// ---------------------------------------------------------------------------------------------
// Core settings (owner only).

export async function getHostSettings(db: Db, hostId: string) {
  const host = await db.select().from(hosts).where(eq(hosts.id, hostId)).get();
  if (!host) throw notFound('Host');
  return host;
}

const SLUG_TAKEN = 'That slug is taken; choose another.';

/**
 * Whether a host other than `exceptHostId` already answers `/host/<slug>`. Portal URLs resolve
 * by host slug first and fall back to the main slug, so a slug must be free in BOTH columns of
 * every other host: this one check serves a new main slug and a new host slug alike.
 */
export async function portalSlugTaken(db: Db, slug: string, exceptHostId: string | null): Promise<boolean> {
  const row = await db
    .select({ id: hosts.id })
    .from(hosts)
    .where(and(or(eq(hosts.hostSlug, slug), eq(hosts.mainSlug, slug)), exceptHostId ? ne(hosts.id, exceptHostId) : undefined))
    .limit(1)
    .get();
  return row !== undefined;
}

/**
 * The same rule inside the write itself: unique indexes settle races within one column, but no
 * index spans host_slug and main_slug, so the UPDATE carries this guard. D1 runs statements one
 * at a time, so the check and the write cannot interleave with another host's write.
 */
const slugFreeGuard = (slug: string, hostId: string) =>
  sql`NOT EXISTS (SELECT 1 FROM hosts AS other WHERE other.id <> ${hostId} AND (other.host_slug = ${slug} OR other.main_slug = ${slug}))`;

export async function updateHostSettings(db: Db, session: StaffSession, raw: unknown) {
  requireThat(can.changeCoreSettings(session.role), 'Only the owner can change these settings.');
  const input = parseInput(hostSettingsSchema, raw);
  const hostId = session.host.id;
  const existing = await getHostSettings(db, hostId);
  const hostSlug = input.host_slug === undefined ? existing.hostSlug : input.host_slug;
  const mainSlugChanged = input.main_slug !== existing.mainSlug;
  const hostSlugChanged = hostSlug !== null && hostSlug !== existing.hostSlug;

  const taken: Record<string, string> = {};
  if (mainSlugChanged && (await portalSlugTaken(db, input.main_slug, hostId))) taken.main_slug = SLUG_TAKEN;
  if (hostSlugChanged && (await portalSlugTaken(db, hostSlug, hostId))) taken.host_slug = SLUG_TAKEN;
  if (Object.keys(taken).length > 0) throw new ValidationError(taken);

  const values = { name: input.name, mainSlug: input.main_slug, hostSlug, defaultCurrency: input.default_currency, timezone: input.timezone };
  const changes = diffFields(existing, values, ['name', 'mainSlug', 'hostSlug', 'defaultCurrency', 'timezone']);
  if (Object.keys(changes).length === 0) return existing;
  const now = Date.now();
  const where = and(
    eq(hosts.id, hostId),
    mainSlugChanged ? slugFreeGuard(input.main_slug, hostId) : undefined,
    hostSlugChanged ? slugFreeGuard(hostSlug, hostId) : undefined,
  );
  let updated: { id: string }[];
  try {
    [updated] = await db.batch([
      db.update(hosts).set({ ...values, updatedAt: now }).where(where).returning({ id: hosts.id }),
      activityInsertIfChanged(db, hostId, staffActor(session), 'host.settings_updated', null, changes, now),
    ]);
  } catch (error) {
    if (!String(error).includes('UNIQUE')) throw error;
    updated = [];
  }
  if (updated.length === 0) {
    // Another host took a slug between the check above and the write (guard or unique index).
    throw new ValidationError({
      ...(mainSlugChanged ? { main_slug: SLUG_TAKEN } : {}),
      ...(hostSlugChanged ? { host_slug: SLUG_TAKEN } : {}),
    });
  }
  return getHostSettings(db, hostId);
}

// ---------------------------------------------------------------------------------------------
// API keys: the secret is shown once; only its SHA-256 is stored.

export const API_KEY_PREFIX = 'hy_live_';

export async function listApiKeys(db: Db, hostId: string) {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
      scopes: apiKeys.scopes,
    })
    .from(apiKeys)
    .where(eq(apiKeys.hostId, hostId))
    .orderBy(desc(apiKeys.createdAt))
    .all();
}

export async function createApiKey(db: Db, session: StaffSession, raw: unknown): Promise<{ id: string; name: string; secret: string }> {
  requireThat(can.manageApiKeys(session.role), 'Only owners and admins can create API keys.');
  const input = parseInput(apiKeyCreateSchema, raw);
  const scopes: ApiKeyScope[] = input.scope_ticket_notes ? ['tickets:internal_notes'] : [];
  const secret = `${API_KEY_PREFIX}${randomToken(24)}`;
  const id = newId();
  const now = Date.now();
  await db.batch([
    db.insert(apiKeys).values({
      id,
      hostId: session.host.id,
      name: input.name,
      prefix: secret.slice(0, API_KEY_PREFIX.length + 4),
      keyHash: await sha256Hex(secret),
      createdBy: session.user.id,
      createdAt: now,
      scopes: JSON.stringify(scopes),
    }),
    activityInsert(db, session.host.id, staffActor(session), 'api_key.created', null, { name: [null, input.name], ...(scopes.length ? { scopes: [null, scopes.join(', ')] } : {}) }, now),
  ]);
  return { id, name: input.name, secret };
}

export async function revokeApiKey(db: Db, session: StaffSession, keyId: string): Promise<void> {
  requireThat(can.manageApiKeys(session.role), 'Only owners and admins can revoke API keys.');
  const key = await db
    .select({ name: apiKeys.name })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.hostId, session.host.id), isNull(apiKeys.revokedAt)))
    .get();
  if (!key) throw notFound('API key');
  const now = Date.now();
  await db.batch([
    db.update(apiKeys).set({ revokedAt: now }).where(and(eq(apiKeys.id, keyId), eq(apiKeys.hostId, session.host.id))),
    activityInsert(db, session.host.id, staffActor(session), 'api_key.revoked', null, { name: [key.name, null] }, now),
  ]);
}
