import { ALERT_KINDS } from '../db/schema';
import { formatHashrate, formatTemperature } from '../lib/format';

export type AlertKind = (typeof ALERT_KINDS)[number];
export { ALERT_KINDS };

export const ALERT_KIND_LABELS: Record<AlertKind, string> = {
  offline: 'Offline',
  low_hashrate: 'Low hashrate',
  over_temp: 'Over temperature',
  pool_mismatch: 'Pool mismatch',
  pool_change: 'Pool changed',
};

/** Parses the `alerts.detail` JSON that SiteState writes; anything unreadable is an empty object. */
export function parseAlertDetail(detail: string | null): Record<string, unknown> {
  if (!detail) return {};
  try {
    const value = JSON.parse(detail) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/**
 * One sentence for people: what crossed the rule. SiteState writes
 * offline `{state}` (the miner said error) or `{last_seen_at, after_minutes}` (it went silent),
 * low_hashrate `{hashrate_ths, expected_ths, threshold_pct}`, over_temp `{temp_c, limit_c}`,
 * pool_mismatch `{pool_url, pool_user, desired_url, desired_user}` (src/live/pool-guard.ts),
 * pool_change `{pool_url, pool_user, record_url, record_user}`.
 */
export function describeAlert(kind: AlertKind, detailJson: string | null): string {
  const detail = parseAlertDetail(detailJson);
  switch (kind) {
    case 'offline': {
      if (detail.state === 'error') return 'The miner reported an error state.';
      const minutes = num(detail.after_minutes);
      const lastSeen = typeof detail.last_seen_at === 'string' && !Number.isNaN(Date.parse(detail.last_seen_at)) ? detail.last_seen_at : null;
      if (lastSeen && minutes !== null) return `No report for more than ${minutes} minutes (last seen ${lastSeen.replace('T', ' ').slice(0, 16)} UTC).`;
      if (minutes !== null) return `No report for more than ${minutes} minutes.`;
      return 'The miner stopped reporting.';
    }
    case 'low_hashrate': {
      const hashrate = num(detail.hashrate_ths);
      const expected = num(detail.expected_ths);
      const pct = num(detail.threshold_pct);
      if (hashrate !== null && expected !== null && pct !== null) {
        return `Hashrate ${formatHashrate(hashrate)}, below ${pct}% of the expected ${formatHashrate(expected)}.`;
      }
      if (hashrate !== null) return `Hashrate ${formatHashrate(hashrate)}, below the expected rate.`;
      return 'Hashrate below the expected rate.';
    }
    case 'over_temp': {
      const temp = num(detail.temp_c);
      const limit = num(detail.limit_c);
      if (temp !== null && limit !== null) return `Temperature ${formatTemperature(temp)}, above the ${formatTemperature(limit)} limit.`;
      if (temp !== null) return `Temperature ${formatTemperature(temp)}, above the limit.`;
      return 'Temperature above the limit.';
    }
    case 'pool_mismatch': {
      const now = poolText(detail.pool_url, detail.pool_user);
      const desired = poolText(detail.desired_url, detail.desired_user);
      if (now && desired) return `Mining on ${now}, not on its pool ${desired}.`;
      return 'Mining on another pool than its own.';
    }
    case 'pool_change': {
      const now = poolText(detail.pool_url, detail.pool_user);
      const record = poolText(detail.record_url, detail.record_user);
      if (now && record) return `Now mining on ${now}; the pool on record is ${record}.`;
      if (now) return `Now mining on ${now}.`;
      return 'The pool changed.';
    }
  }
}

/** "url as user" for a sentence, or null when the url is missing (bounded: detail comes from telemetry). */
function poolText(url: unknown, user: unknown): string | null {
  if (typeof url !== 'string' || url === '') return null;
  const who = typeof user === 'string' && user !== '' ? ` as ${user.slice(0, 120)}` : '';
  return `${url.slice(0, 200)}${who}`;
}
