import { microsToDecimal } from './schema';
import type { SiteDetail, SiteListItem } from './service';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The JSON API's site: snake_case, times ISO 8601 UTC, energy cost as exact decimal text. */
export function toApiSite(site: SiteListItem | SiteDetail) {
  return {
    id: site.id,
    name: site.name,
    city: site.city,
    region: site.region,
    country: site.country,
    timezone: site.timezone,
    capacity_kw: site.capacityKw,
    energy_cost_per_kwh: site.energyCostMicrosPerKwh === null ? null : microsToDecimal(site.energyCostMicrosPerKwh),
    energy_cost_micros_per_kwh: site.energyCostMicrosPerKwh,
    staged_cap: site.stagedCap,
    staging_refused_at: iso(site.stagingRefusedAt),
    staging_refused_count: site.stagingRefusedCount,
    miner_count: site.minerCount,
    agent_status: site.agent.kind,
    agent_last_seen_at: site.agent.kind === 'none' ? null : iso(site.agent.lastSeenAt),
    ...('segments' in site
      ? { network_segments: site.segments.map((segment) => ({ id: segment.id, cidr: segment.cidr, label: segment.label })) }
      : {}),
    created_at: iso(site.createdAt),
    updated_at: iso(site.updatedAt),
  };
}
