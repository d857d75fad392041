import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { inIds } from '../db/sql';
import { sites } from '../db/schema';
import type { LiveOutage } from './client';

/** A site whose live state could not be read for this request, named for the page's notice. */
export interface UnavailableSite {
  id: string;
  name: string;
  /** `timed out` or `failed`. */
  reason: string;
}

/**
 * The sites a request's live reads could not reach, with their names (the host's own sites
 * only). No query at all when every site answered, so healthy pages keep their query budget.
 */
export async function unavailableSites(db: Db, hostId: string, outage: LiveOutage): Promise<UnavailableSite[]> {
  if (!outage.any) return [];
  const ids = [...outage.sites.keys()];
  const rows = await db
    .select({ id: sites.id, name: sites.name })
    .from(sites)
    .where(and(eq(sites.hostId, hostId), inIds(sites.id, ids)))
    .all();
  const names = new Map(rows.map((row) => [row.id, row.name]));
  return ids.filter((id) => names.has(id)).map((id) => ({ id, name: names.get(id)!, reason: outage.sites.get(id)! }));
}

/** What the JSON API says about a unit whose site could not be read (`live_error`), else null. */
export function liveErrorOf(outage: LiveOutage, siteId: string | null): string | null {
  const reason = siteId ? outage.sites.get(siteId) : undefined;
  return reason ? `Live data unavailable for this unit's site (its live state ${reason}); inventory fields are current.` : null;
}
