import type { LiveMiner } from '../telemetry/types';
import { mthsToThs } from './schema';
import type { AssignmentResult, MinerWithLive } from './service';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Live fields as the API shows them; null when the site's agent has never reported the unit. */
export function toApiLive(live: LiveMiner | null) {
  if (!live) return null;
  return {
    status: live.status,
    last_seen_at: iso(live.lastSeenAt),
    hashrate_ths: live.hashrateThs,
    hashrate_avg_ths: live.hashrateAvgThs,
    expected_hashrate_ths: live.expectedHashrateThs,
    temp_max_c: live.tempMaxC,
    power_w: live.powerW,
    power_source: live.powerSource,
    efficiency_jth: live.efficiencyJth,
    uptime_s: live.uptimeS,
    pool_url: live.poolUrl,
    pool_user: live.poolUser,
    pool_apply: live.poolApply ? { status: live.poolApply.status, message: live.poolApply.message, at: new Date(live.poolApply.at).toISOString() } : null,
  };
}

/** The JSON API's miner: snake_case, nominal hashrate in TH/s (a number), times ISO 8601 UTC. */
/** `liveError` is set when the unit's site could not be read (src/live/outage.ts): `live` is then null. */
export function toApiMiner(miner: MinerWithLive, liveError: string | null = null) {
  return {
    id: miner.id,
    serial: miner.serial,
    mac: miner.mac,
    ip: miner.ip,
    vendor: miner.vendor,
    model: miner.model,
    firmware: miner.firmware,
    nominal_hashrate_ths: miner.nominalHashrateMths === null ? null : Number(mthsToThs(miner.nominalHashrateMths)),
    nominal_power_w: miner.nominalPowerW,
    site_id: miner.siteId,
    site_name: miner.siteName,
    rack_location: miner.rackLocation,
    status: miner.status,
    customer_id: miner.customerId,
    customer_name: miner.customerName,
    live: liveError ? null : toApiLive(miner.live),
    live_error: liveError,
    created_at: iso(miner.createdAt),
    updated_at: iso(miner.updatedAt),
  };
}

export function toApiAssignment(result: AssignmentResult, verb: 'assigned' | 'unassigned') {
  return {
    [verb]: result.changed.map((unit) => unit.id),
    failed: result.failed.map((failure) => ({ id: failure.id, reason: failure.reason, message: failure.message })),
  };
}
