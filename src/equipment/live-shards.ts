import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { sites } from '../db/schema';
import { UNITS_PER_SHARD } from '../live/shard';

/**
 * The statement (none without a site) that grows the sites' SiteState shard counts to fit their units (src/live/shard.ts):
 * `live_shards` becomes ceil(units / UNITS_PER_SHARD) where that is more, never less. Put it in the
 * same `db.batch` as the write that added or moved units, after it, so the count it reads includes
 * them (D1 runs a batch as one transaction). Retired units hold no live state and do not count.
 */
export function growLiveShards(db: Db, hostId: string, siteIds: readonly (string | null | undefined)[]) {
  const ids = [...new Set(siteIds.filter((id): id is string => !!id))];
  // Written out qualified: drizzle renders an UPDATE's own columns unqualified, and a bare "id"
  // inside the subquery would be the unit's.
  const units = sql`(SELECT count(*) FROM miners m WHERE m.host_id = "sites"."host_id" AND m.site_id = "sites"."id" AND m.status <> 'retired')`;
  if (ids.length === 0) return [];
  return [
    db
      .update(sites)
      .set({ liveShards: sql`max("sites"."live_shards", (${units} + ${sql.raw(String(UNITS_PER_SHARD - 1))}) / ${sql.raw(String(UNITS_PER_SHARD))})` })
      .where(and(eq(sites.hostId, hostId), inArray(sites.id, ids))),
  ];
}
