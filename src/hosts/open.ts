/**
 * Whether a host is open: the one place background work asks (issue 16). A host closed by its
 * owner (`hosts.closed_at`, src/team/close.ts) gets nothing more done for it in the background —
 * no contract renewals, invoices, overdue marks, default cases, credits, redirects,
 * announcements or alert emails — until the deletion cron removes its data. What still runs for
 * a closed host, and why, is listed in docs/ARCHITECTURE.md ("closing the host").
 *
 * The cron paths filter in the SQL that selects their work (`openHost` where `hosts` is already
 * in the query, `hostIdIsOpen` where only a host id column is); queue consumers, whose messages
 * were queued before the close, ask once per batch (`openHostIds`) and acknowledge the messages of a
 * closed (or already deleted) host without doing them. The email consumer reads `closed_at` with
 * the branding it loads for each host anyway (src/email/consumer.ts) and fails a closed host's
 * emails, platform notices to its staff excepted.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client';
import { inIds } from '../db/sql';
import { hosts } from '../db/schema';

/** For a query that already reads `hosts`: the host is not closed. */
export const openHost: SQL = sql`${hosts.closedAt} IS NULL`;

/** For a query with only a host id column: that host exists and is not closed (a primary-key lookup). */
export const hostIdIsOpen = (hostId: AnySQLiteColumn | SQL): SQL =>
  sql`EXISTS (SELECT 1 FROM hosts AS open_host WHERE open_host.id = ${hostId} AND open_host.closed_at IS NULL)`;

/** Which of these hosts exist and are open (one read, whatever the number of ids). */
export async function openHostIds(db: Db, hostIds: Iterable<string>): Promise<Set<string>> {
  const ids = [...new Set(hostIds)];
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: hosts.id })
    .from(hosts)
    .where(sql`${inIds(hosts.id, ids)} AND ${openHost}`)
    .all();
  return new Set(rows.map((row) => row.id));
}
