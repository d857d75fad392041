import { sql } from 'drizzle-orm';
import type { Actor } from '../activity/service';
import type { Db } from '../db/client';
import { newId } from '../lib/ids';

/**
 * One View Portal session: entries within this long of the same person's last `portal.viewed`
 * for the same customer belong to it and are not logged again.
 */
export const PORTAL_VIEW_SESSION_MS = 30 * 60 * 1000;

/**
 * Records that staff entered a customer's portal, once per view session, whichever way they came
 * in: the View Portal button, a bookmark or a typed `/admin/customers/<id>/portal` URL (the
 * preview middleware calls this on every request). One conditional INSERT, so two tabs racing
 * log one entry at worst twice, never zero times.
 */
export async function recordPortalView(db: Db, hostId: string, customerId: string, actor: Actor, now = Date.now()): Promise<void> {
  await db.run(sql`
    INSERT INTO activity_log (id, host_id, customer_id, actor_kind, actor_id, actor_label, action, changes, created_at)
    SELECT ${newId()}, ${hostId}, ${customerId}, ${actor.kind}, ${actor.id}, ${actor.label}, 'portal.viewed', NULL, ${now}
    WHERE NOT EXISTS (
      SELECT 1 FROM activity_log
      WHERE host_id = ${hostId} AND customer_id = ${customerId} AND action = 'portal.viewed'
        AND actor_id IS ${actor.id} AND created_at > ${now - PORTAL_VIEW_SESSION_MS}
    )`);
}
