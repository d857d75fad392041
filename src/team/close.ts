/**
 * Closing the host's account (issue 16, owner only, typed confirmation of the host's name and
 * the owner's password). `hosts.closed_at` shuts every door in the same instant, because each door
 * reads it on every request: staff sign-in and sessions (src/auth/service.ts,
 * src/auth/staff-session.ts), the portal by slug and by custom domain with its sign-in and public
 * quote pages (src/portal/tenant.ts), agents (src/agents/service.ts) and API keys
 * (src/auth/api-keys.ts). The sites' live objects stop their alarms (no alert emails after
 * closing). Background work (crons, queue consumers, alert emails) skips a closed host through
 * src/hosts/open.ts. The data stays for CLOSE_GRACE_MS, then the cron deletes it (deleteClosedHosts).
 */
import { and, asc, eq, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import { activityInsert } from '../activity/service';
import { verifyPassword } from '../auth/password';
import { can, requireThat } from '../auth/permissions';
import type { StaffSession } from '../auth/staff-session';
import type { Db } from '../db/client';
import { getDb } from '../db/client';
import { hosts, hostUsers, sites, users } from '../db/schema';
import type { Bindings } from '../env';
import { staffActor } from '../hosts/service';
import { AppError, ValidationError } from '../lib/errors';
import { parseInput } from '../lib/validation';
import { siteShards, type siteState } from '../live/client';
import { closeHostSchema } from './schema';

export const CLOSE_GRACE_MS = 30 * 24 * 60 * 60 * 1000;
/** Rows one DELETE statement removes: small enough for D1's per-statement limits. */
const DELETE_CHUNK = 5000;
/** Wall time one cron run spends deleting; the next run carries on where it stopped. */
const DELETE_BUDGET_MS = 20_000;
/** R2 prefixes that hold a host's files (logos, legal PDFs, ticket attachments, exports). */
const filePrefixes = (hostId: string) => [`hosts/${hostId}/`, `legal/${hostId}/`, `tickets/${hostId}/`, `exports/${hostId}/`];

export async function closeHost(env: Pick<Bindings, 'SITE_STATE'>, db: Db, session: StaffSession, form: Record<string, string>, now = Date.now()): Promise<{ deleteAfter: number }> {
  requireThat(can.exportHostData(session.role), 'Only the owner can close the host’s account.');
  const input = parseInput(closeHostSchema, { confirmation: form.confirmation, password: form.password });
  const host = await db.select({ name: hosts.name, closedAt: hosts.closedAt }).from(hosts).where(eq(hosts.id, session.host.id)).get();
  if (!host || host.closedAt !== null) throw new AppError('conflict', 'This host is already closed.');
  if (input.confirmation !== host.name) throw new ValidationError({ confirmation: `Type the host’s name exactly: ${host.name}` });
  const user = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, session.user.id)).get();
  if (!user || !(await verifyPassword(input.password, user.passwordHash))) throw new ValidationError({ password: 'That is not your password.' });

  const deleteAfter = now + CLOSE_GRACE_MS;
  const [closed] = await db.batch([
    db
      .update(hosts)
      .set({ closedAt: now, deleteAfter, updatedAt: now })
      .where(and(eq(hosts.id, session.host.id), isNull(hosts.closedAt)))
      .returning({ id: hosts.id }),
    activityInsert(db, session.host.id, staffActor(session), 'host.closed', null, { delete_after: [null, new Date(deleteAfter).toISOString()] }, now),
  ]);
  if (closed.length === 0) throw new AppError('conflict', 'This host is already closed.');
  await eachSiteObject(env, db, session.host.id, (stub) => stub.stopForClosedHost());
  return { deleteAfter };
}

/** The step on every SiteState of the host: every shard of every site (src/live/shard.ts). */
async function eachSiteObject(env: Pick<Bindings, 'SITE_STATE'>, db: Db, hostId: string, step: (stub: ReturnType<typeof siteState>) => Promise<void>) {
  const rows = await db.select({ id: sites.id, liveShards: sites.liveShards }).from(sites).where(eq(sites.hostId, hostId)).all();
  const results = await Promise.allSettled(rows.flatMap((row) => siteShards(env, row.id, row.liveShards).map(step)));
  for (const result of results) if (result.status === 'rejected') console.error('[close] a site object did not answer', result.reason);
}

// ---------------------------------------------------------------------------------------------
// Deleting a closed host's data after the grace period.

interface TableInfo {
  name: string;
  parents: string[];
}

/**
 * Every table with a host_id column, children before the tables they reference, read from the
 * database itself so a table added later is deleted too.
 */
async function hostTablesInDeleteOrder(d1: D1Database): Promise<string[]> {
  const { results } = await d1
    .prepare(
      `SELECT m.name AS name, (SELECT json_group_array(f."table") FROM pragma_foreign_key_list(m.name) AS f) AS parents
       FROM sqlite_master AS m
       WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_cf_%' AND m.name <> 'hosts'
         AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) AS c WHERE c.name = 'host_id')`,
    )
    .all<{ name: string; parents: string }>();
  const tables: TableInfo[] = results.map((row) => ({ name: row.name, parents: JSON.parse(row.parents) as string[] }));
  const names = new Set(tables.map((t) => t.name));
  const ordered: string[] = [];
  const placed = new Set<string>();
  // A table goes once every table referencing it has gone (children first).
  while (ordered.length < tables.length) {
    const before = ordered.length;
    for (const table of tables) {
      if (placed.has(table.name)) continue;
      const referencedByPending = tables.some((other) => !placed.has(other.name) && other.name !== table.name && other.parents.includes(table.name));
      if (!referencedByPending) {
        ordered.push(table.name);
        placed.add(table.name);
      }
    }
    if (ordered.length === before) {
      // A cycle: the rest in any order (their foreign keys cascade).
      for (const table of tables) if (!placed.has(table.name) && names.has(table.name)) ordered.push(table.name), placed.add(table.name);
    }
  }
  return ordered;
}

/**
 * Cron: one closed host past its grace period at a time, within a time budget; a run that stops
 * part-way leaves the host row, and the next run carries on. The host row goes last.
 */
export async function deleteClosedHosts(env: Bindings, now: number, budgetMs = DELETE_BUDGET_MS): Promise<string[]> {
  const started = Date.now();
  const db = getDb(env.DB);
  const due = await db
    .select({ id: hosts.id })
    .from(hosts)
    .where(and(isNotNull(hosts.closedAt), isNotNull(hosts.deleteAfter), lte(hosts.deleteAfter, now)))
    .orderBy(asc(hosts.deleteAfter))
    .limit(5)
    .all();
  const deleted: string[] = [];
  for (const { id: hostId } of due) {
    if (Date.now() - started >= budgetMs) break;
    if (await deleteHostData(env, db, hostId, started, budgetMs)) deleted.push(hostId);
  }
  return deleted;
}

async function deleteHostData(env: Bindings, db: Db, hostId: string, started: number, budgetMs: number): Promise<boolean> {
  const outOfTime = () => Date.now() - started >= budgetMs;
  // Files first: their keys are named by the host, so nothing in D1 is needed to find them.
  for (const prefix of filePrefixes(hostId)) {
    for (;;) {
      const listed = await env.FILES.list({ prefix, limit: 1000 });
      if (listed.objects.length > 0) await env.FILES.delete(listed.objects.map((o) => o.key));
      if (!listed.truncated) break;
      if (outOfTime()) return false;
    }
  }
  await eachSiteObject(env, db, hostId, (stub) => stub.forget());

  // host_users goes with the host row (cascade), so an interrupted run still knows the members.
  for (const table of (await hostTablesInDeleteOrder(env.DB)).filter((name) => name !== 'host_users')) {
    for (;;) {
      const result = await env.DB.prepare(`DELETE FROM "${table}" WHERE rowid IN (SELECT rowid FROM "${table}" WHERE host_id = ?1 LIMIT ${DELETE_CHUNK})`)
        .bind(hostId)
        .run();
      if ((result.meta.changes ?? 0) < DELETE_CHUNK) break;
      if (outOfTime()) return false;
    }
  }
  const members = await db.select({ userId: hostUsers.userId }).from(hostUsers).where(eq(hostUsers.hostId, hostId)).all();
  await db.delete(hosts).where(eq(hosts.id, hostId));
  // Staff accounts that belonged to no other host have nothing left to sign in to.
  const memberIds = members.map((m) => m.userId);
  for (let at = 0; at < memberIds.length; at += 90) {
    try {
      await db
        .delete(users)
        .where(and(inArray(users.id, memberIds.slice(at, at + 90)), sql`NOT EXISTS (SELECT 1 FROM host_users AS other WHERE other.user_id = ${users.id})`));
    } catch (error) {
      console.error('[close] staff accounts kept: still referenced', error);
    }
  }
  return true;
}
