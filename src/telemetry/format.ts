/**
 * How live miner values read on pages and in emails. Plain functions of numbers (no locale
 * lookups beyond en-US digit grouping), so output is deterministic and testable.
 */

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 98.24 → "98.2"; 1234.5 → "1,235"; 3.456 → "3.46". */
export function formatNumber(value: number): string {
  // Decide on the rounded value, so 99.96 reads "100", not "100.0".
  const abs = Math.abs(value);
  if (Math.round(abs) >= 1000) return grouped.format(value);
  if (Math.round(abs * 10) / 10 >= 100) return value.toFixed(0);
  if (Math.round(abs * 100) / 100 >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

const HASH_UNITS = ['TH/s', 'PH/s', 'EH/s'] as const;

/** The unit a hashrate of this size reads best in, and the divisor into it. */
export function hashrateScale(maxThs: number): { unit: (typeof HASH_UNITS)[number]; divisor: number } {
  let index = 0;
  let divisor = 1;
  while (index < HASH_UNITS.length - 1 && Math.abs(maxThs) / divisor >= 1000) {
    index += 1;
    divisor *= 1000;
  }
  return { unit: HASH_UNITS[index]!, divisor };
}

/** TH/s, scaled to PH/s or EH/s for a fleet: 98.2 → "98.2 TH/s"; 12_400 → "12.4 PH/s". */
export function formatHashrate(ths: number | null | undefined): string {
  if (ths === null || ths === undefined) return '—';
  const { unit, divisor } = hashrateScale(ths);
  return `${formatNumber(ths / divisor)} ${unit}`;
}

/** W below 10 kW as watts, above as kW: 3050 → "3,050 W"; 125_000 → "125 kW". */
export function formatPower(watts: number | null | undefined): string {
  if (watts === null || watts === undefined) return '—';
  if (Math.abs(watts) >= 10_000) return `${formatNumber(watts / 1000)} kW`;
  return `${grouped.format(watts)} W`;
}

export function formatTemperature(celsius: number | null | undefined): string {
  if (celsius === null || celsius === undefined) return '—';
  return `${Number.isInteger(celsius) ? celsius : celsius.toFixed(1)} °C`;
}

export function formatEfficiency(jth: number | null | undefined): string {
  if (jth === null || jth === undefined) return '—';
  return `${jth.toFixed(1)} J/TH`;
}

/** A share of nominal: 0.944 → "94%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${Math.round(ratio * 100)}%`;
}

/** A span of time, two units at most: "3d 4h", "2h 5m", "45m", "30s". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return `${minutes}m`;
  return `${seconds}s`;
}

export function formatUptime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  return formatDuration(seconds * 1000);
}
