import { activityInsert, type Actor } from '../activity/service';
import type { Db } from '../db/client';

/** View Portal is recorded each time staff enter it, so the customer's history shows who looked. */
export async function recordPortalView(db: Db, hostId: string, customerId: string, actor: Actor): Promise<void> {
  await activityInsert(db, hostId, actor, 'portal.viewed', customerId, null);
}
