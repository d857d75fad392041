import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { activityLog } from '../db/schema';
import { newId } from '../lib/ids';

/** Who did something: recorded with the label they had then. */
export interface Actor {
  kind: 'staff' | 'api_key' | 'customer' | 'system';
  id: string | null;
  label: string;
}

export type Changes = Record<string, [unknown, unknown]>;

export interface ActivityEntry {
  id: string;
  actorKind: Actor['kind'];
  actorLabel: string;
  action: string;
  changes: Changes | null;
  createdAt: number;
}

/** An insert to put in the same db.batch() as the change it records, so neither lands alone. */
export function activityInsert(
  db: Db,
  hostId: string,
  actor: Actor,
  action: string,
  customerId: string | null,
  changes: Changes | null,
  now = Date.now(),
) {
  return db.insert(activityLog).values({
    id: newId(),
    hostId,
    customerId,
    actorKind: actor.kind,
    actorId: actor.id,
    actorLabel: actor.label,
    action,
    changes: changes ? JSON.stringify(changes) : null,
    createdAt: now,
  });
}

/**
 * Like activityInsert, for the statement right after a guarded write in the same db.batch():
 * the entry lands only when that write changed a row (SQLite's changes() reports the previous
 * statement), so a write whose WHERE guard refused it leaves no entry behind.
 */
export function activityInsertIfChanged(
  db: Db,
  hostId: string,
  actor: Actor,
  action: string,
  customerId: string | null,
  changes: Changes | null,
  now = Date.now(),
) {
  // INSERT … SELECT through the query builder (drizzle cannot batch a raw statement with
  // parameters on D1). The SELECT lists values in activity_log's column order, as drizzle inserts.
  return db.insert(activityLog).select(
    sql`SELECT ${newId()}, ${hostId}, ${customerId}, ${actor.kind}, ${actor.id}, ${actor.label}, ${action},
      ${changes ? JSON.stringify(changes) : null}, ${now} WHERE changes() > 0`,
  );
}

/** Field-by-field differences between a stored row and the values being written. */
export function diffFields<T extends Record<string, unknown>>(before: T, after: Partial<T>, fields: readonly (keyof T & string)[]): Changes {
  const changes: Changes = {};
  for (const field of fields) {
    if (!(field in after)) continue;
    const oldValue = before[field] ?? null;
    const newValue = after[field] ?? null;
    if (oldValue !== newValue) changes[field] = [oldValue, newValue];
  }
  return changes;
}

export const ACTIVITY_PAGE_SIZE = 50;

/**
 * A customer's activity, newest first. Ordered by rowid (insertion order) rather than created_at,
 * so two changes in the same millisecond still read in the order they happened.
 */
export async function listCustomerActivity(
  db: Db,
  hostId: string,
  customerId: string,
  beforeSeq?: number,
): Promise<{ entries: (ActivityEntry & { seq: number })[]; nextBeforeSeq: number | null }> {
  const rows = await db
    .select({
      seq: sql<number>`${activityLog}.rowid`,
      id: activityLog.id,
      actorKind: activityLog.actorKind,
      actorLabel: activityLog.actorLabel,
      action: activityLog.action,
      changes: activityLog.changes,
      createdAt: activityLog.createdAt,
    })
    .from(activityLog)
    .where(
      and(
        eq(activityLog.hostId, hostId),
        eq(activityLog.customerId, customerId),
        beforeSeq !== undefined ? sql`${activityLog}.rowid < ${beforeSeq}` : undefined,
      ),
    )
    .orderBy(desc(sql`${activityLog}.rowid`))
    .limit(ACTIVITY_PAGE_SIZE + 1)
    .all();
  const page = rows.slice(0, ACTIVITY_PAGE_SIZE);
  return {
    entries: page.map((row) => ({ ...row, changes: row.changes ? (JSON.parse(row.changes) as Changes) : null })),
    nextBeforeSeq: rows.length > ACTIVITY_PAGE_SIZE ? (page[page.length - 1]?.seq ?? null) : null,
  };
}
