import { and, eq, isNotNull } from 'drizzle-orm';
import { activityInsertIfChanged, type Actor } from '../activity/service';
import type { Db } from '../db/client';
import { customers, miners } from '../db/schema';
import type { Bindings } from '../env';
import { notFound, ValidationError } from '../lib/errors';
import { liveShardsOf, refreshSitePoolFacts } from '../live/client';

/**
 * The customer's "tell me when my miners' pool changes" (issue 10, pool guard): a portal setting
 * a customer owner turns on or off. Each site's SiteState reads it with its pool facts
 * (src/live/pool-guard.ts); saving asks the customer's sites to re-read now.
 */

export async function poolChangeNoticeOf(db: Db, hostId: string, customerId: string): Promise<boolean> {
  const row = await db
    .select({ on: customers.poolChangeNotice })
    .from(customers)
    .where(and(eq(customers.hostId, hostId), eq(customers.id, customerId)))
    .get();
  if (!row) throw notFound('Customer');
  return row.on;
}

/** A checkbox: checked posts "on"; unchecked posts nothing. Anything else is refused. */
function parseSwitch(value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  if (value === 'on' || value === 'true' || value === '1') return true;
  throw new ValidationError({ pool_change_notice: 'Turn the notice on or off.' });
}

export async function setPoolChangeNotice(
  db: Db,
  env: Pick<Bindings, 'SITE_STATE'>,
  hostId: string,
  customerId: string,
  actor: Actor,
  form: Record<string, string | undefined>,
): Promise<boolean> {
  const enabled = parseSwitch(form.pool_change_notice);
  const before = await poolChangeNoticeOf(db, hostId, customerId);
  await db.batch([
    db
      .update(customers)
      .set({ poolChangeNotice: enabled, updatedAt: Date.now() })
      .where(and(eq(customers.hostId, hostId), eq(customers.id, customerId), eq(customers.poolChangeNotice, !enabled))),
    activityInsertIfChanged(db, hostId, actor, enabled ? 'customer.pool_change_notice_on' : 'customer.pool_change_notice_off', customerId, {
      pool_change_notice: [before, enabled],
    }),
  ]);
  if (before !== enabled) {
    const sites = await db
      .selectDistinct({ siteId: miners.siteId, liveShards: liveShardsOf(miners.siteId).as('live_shards') })
      .from(miners)
      .where(and(eq(miners.hostId, hostId), eq(miners.customerId, customerId), isNotNull(miners.siteId)))
      .all();
    await refreshSitePoolFacts(env, sites);
  }
  return enabled;
}
