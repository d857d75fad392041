import { and, asc, count, desc, eq, isNull, ne, or, sql } from 'drizzle-orm';
import { activityInsert, activityInsertIfChanged, diffFields, type Actor } from '../activity/service';
import { can, requireThat } from '../auth/permissions';
import { hashPassword } from '../auth/password';
import type { StaffSession } from '../auth/staff-session';
import type { Db } from '../db/client';
import { apiKeys, hosts, hostUsers, users, type StaffRole } from '../db/schema';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId, randomToken, sha256Hex } from '../lib/ids';
import { parseInput } from '../lib/validation';
import { addStaffSchema, apiKeyCreateSchema, changeRoleSchema, hostSettingsSchema } from './schema';

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
    })
    .from(apiKeys)
    .where(eq(apiKeys.hostId, hostId))
    .orderBy(desc(apiKeys.createdAt))
    .all();
}

export async function createApiKey(db: Db, session: StaffSession, raw: unknown): Promise<{ id: string; name: string; secret: string }> {
  requireThat(can.manageApiKeys(session.role), 'Only owners and admins can create API keys.');
  const input = parseInput(apiKeyCreateSchema, raw);
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
    }),
    activityInsert(db, session.host.id, staffActor(session), 'api_key.created', null, { name: [null, input.name] }, now),
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

// ---------------------------------------------------------------------------------------------
// Staff members.

export async function listStaff(db: Db, hostId: string) {
  return db
    .select({ userId: users.id, name: users.name, email: users.email, role: hostUsers.role, joinedAt: hostUsers.createdAt })
    .from(hostUsers)
    .innerJoin(users, eq(users.id, hostUsers.userId))
    .where(eq(hostUsers.hostId, hostId))
    .orderBy(asc(hostUsers.createdAt))
    .all();
}

/**
 * Adds a new staff account with a password the owner or admin shares with them. An email that
 * already has an account is refused: joining an existing person to another host waits for
 * invitations by email, so nobody is attached to a host without their say.
 */
export async function addStaff(db: Db, session: StaffSession, raw: unknown) {
  requireThat(can.manageStaff(session.role), 'Only owners and admins can add staff.');
  const input = parseInput(addStaffSchema, raw);
  if (!can.manageStaffRole(session.role, input.role)) {
    throw new ValidationError({ role: 'Only an owner can add owners or admins.' });
  }
  const existing = await db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get();
  if (existing) throw new ValidationError({ email: 'This email already has a Hashyard account.' });
  const now = Date.now();
  const userId = newId();
  await db.batch([
    db.insert(users).values({ id: userId, email: input.email, name: input.name, passwordHash: await hashPassword(input.password), createdAt: now, updatedAt: now }),
    db.insert(hostUsers).values({ hostId: session.host.id, userId, role: input.role, createdAt: now }),
    activityInsert(db, session.host.id, staffActor(session), 'staff.added', null, { [input.email]: [null, input.role] }, now),
  ]);
  return userId;
}

async function membershipOf(db: Db, hostId: string, userId: string) {
  const row = await db
    .select({ role: hostUsers.role, email: users.email })
    .from(hostUsers)
    .innerJoin(users, eq(users.id, hostUsers.userId))
    .where(and(eq(hostUsers.hostId, hostId), eq(hostUsers.userId, userId)))
    .get();
  if (!row) throw notFound('Staff member');
  return row;
}

async function ownerCount(db: Db, hostId: string): Promise<number> {
  const row = await db.select({ n: count() }).from(hostUsers).where(and(eq(hostUsers.hostId, hostId), eq(hostUsers.role, 'owner'))).get();
  return row?.n ?? 0;
}

export async function changeStaffRole(db: Db, session: StaffSession, userId: string, raw: unknown) {
  requireThat(session.role === 'owner', 'Only an owner can change roles.');
  const { role } = parseInput(changeRoleSchema, raw);
  const member = await membershipOf(db, session.host.id, userId);
  if (member.role === role) return;
  if (member.role === 'owner' && (await ownerCount(db, session.host.id)) <= 1) {
    throw new ValidationError({ role: 'A host needs at least one owner.' });
  }
  const now = Date.now();
  await db.batch([
    db.update(hostUsers).set({ role }).where(and(eq(hostUsers.hostId, session.host.id), eq(hostUsers.userId, userId))),
    activityInsert(db, session.host.id, staffActor(session), 'staff.role_changed', null, { [member.email]: [member.role, role] }, now),
  ]);
}

/** Removal takes effect on the member's next request: sessions re-check membership every time. */
export async function removeStaff(db: Db, session: StaffSession, userId: string) {
  requireThat(can.manageStaff(session.role), 'Only owners and admins can remove staff.');
  const member = await membershipOf(db, session.host.id, userId);
  if (!can.manageStaffRole(session.role, member.role as StaffRole)) throw new AppError('forbidden', 'Only an owner can remove owners or admins.');
  if (member.role === 'owner' && (await ownerCount(db, session.host.id)) <= 1) {
    throw new AppError('conflict', 'A host needs at least one owner.');
  }
  const now = Date.now();
  await db.batch([
    db.delete(hostUsers).where(and(eq(hostUsers.hostId, session.host.id), eq(hostUsers.userId, userId))),
    activityInsert(db, session.host.id, staffActor(session), 'staff.removed', null, { [member.email]: [member.role, null] }, now),
  ]);
}
