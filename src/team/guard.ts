import { eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { hosts } from '../db/schema';

/**
 * A statement for a `db.batch([...])` that fails — rolling the whole batch back — unless
 * `condition` holds at that point of the batch. D1 runs a batch as one transaction, so a guarded
 * UPDATE followed by `failUnless(it happened)` makes the writes after it all-or-nothing.
 * (SQLite's RAISE() exists only in triggers; json() on a non-JSON string raises "malformed JSON".)
 * @see https://developers.cloudflare.com/d1/worker-api/d1-database/#batch
 */
export const failUnless = (db: Db, hostId: string, condition: SQL) =>
  db
    .select({ ok: sql<number>`CASE WHEN ${condition} THEN 1 ELSE json('guard failed') END` })
    .from(hosts)
    .where(eq(hosts.id, hostId));

/** Whether an error is a failUnless guard refusing its batch. */
export const isGuardFailure = (error: unknown) => /malformed JSON/i.test(String(error)) || /malformed JSON/i.test(String((error as { cause?: unknown })?.cause));
