/**
 * The one place values become text: staff pages, the portal, emails, alert details and CSV
 * headers all format through here, so the same reading never prints two ways.
 *
 * Rules: en-US digit grouping; about three significant figures for measured values (deciding on
 * the rounded value); a unit after a space ("98.2 TH/s", "85.5 °C", "3,050 W"); "—" for a value
 * that is not known. Intl formatters are costly to build (ICU lookups, ~0.08 ms each), and a
 * 50-row list formats hundreds of values: every formatter here is built once per isolate.
 */
import { MINOR_DIGITS } from './currencies';

/** What a missing value reads as, everywhere. */
export const NONE = '—';

/**
 * Units, and the suffix each one has in a CSV or API field name (`live_hashrate_ths`), so a
 * header and the page's column always name the same unit.
 */
export const UNITS = {
  hashrate: { label: 'TH/s', field: 'ths' },
  power: { label: 'W', field: 'w' },
  energy: { label: 'Wh', field: 'wh' },
  temperature: { label: '°C', field: 'c' },
  efficiency: { label: 'J/TH', field: 'jth' },
  duration: { label: 's', field: 's' },
} as const;

/** A CSV/API field name with its unit suffix: csvField('live_hashrate', 'hashrate') → "live_hashrate_ths". */
export const unitField = (name: string, unit: keyof typeof UNITS): string => `${name}_${UNITS[unit].field}`;

const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(minimumFractionDigits: number, maximumFractionDigits = minimumFractionDigits): Intl.NumberFormat {
  const key = `${minimumFractionDigits}|${maximumFractionDigits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits, maximumFractionDigits });
    numberFormats.set(key, format);
  }
  return format;
}

/** A number with exactly `digits` decimals and en-US grouping: fixed(3050, 0) → "3,050". */
export const fixed = (value: number, digits: number): string => numberFormat(digits).format(value);

/** A count: 1234 → "1,234". */
export const formatCount = (value: number): string => numberFormat(0).format(value);

/** About three significant figures: 98.24 → "98.2"; 1234.5 → "1,235"; 3.456 → "3.46". */
export function formatNumber(value: number): string {
  // Decide on the rounded value, so 99.96 reads "100", not "100.0".
  const abs = Math.abs(value);
  if (Math.round(abs) >= 100) return fixed(value, 0);
  if (Math.round(abs * 10) / 10 >= 10) return fixed(value, 1);
  return fixed(value, 2);
}

const HASH_UNITS = ['TH/s', 'PH/s', 'EH/s'] as const;

/** The unit a hashrate of this size reads best in, and the divisor into it (for chart axes). */
export function hashrateScale(maxThs: number): { unit: (typeof HASH_UNITS)[number]; divisor: number } {
  let index = 0;
  let divisor = 1;
  while (index < HASH_UNITS.length - 1 && Math.abs(maxThs) / divisor >= 1000) {
    index += 1;
    divisor *= 1000;
  }
  return { unit: HASH_UNITS[index]!, divisor };
}

const known = (value: number | null | undefined): value is number => value !== null && value !== undefined && Number.isFinite(value);

/** TH/s, scaled to PH/s or EH/s for a fleet: 98.2 → "98.2 TH/s"; 12_400 → "12.4 PH/s". */
export function formatHashrate(ths: number | null | undefined): string {
  if (!known(ths)) return NONE;
  const { unit, divisor } = hashrateScale(ths);
  return `${formatNumber(ths / divisor)} ${unit}`;
}

/** Watts below 10 kW, then kW, then MW: 3050 → "3,050 W"; 125_000 → "125 kW"; 12.5e6 → "12.5 MW". */
export function formatPower(watts: number | null | undefined): string {
  if (!known(watts)) return NONE;
  const abs = Math.abs(watts);
  if (abs >= 10_000_000) return `${formatNumber(watts / 1_000_000)} MW`;
  if (abs >= 10_000) return `${formatNumber(watts / 1000)} kW`;
  return `${fixed(Math.round(watts), 0)} W`;
}

/** Energy from integer Wh: 850 → "850 Wh"; 12_345 → "12.3 kWh"; 4.2e6 → "4.20 MWh"; then GWh. */
export function formatEnergy(wh: number | null | undefined): string {
  if (!known(wh)) return NONE;
  const abs = Math.abs(wh);
  if (abs >= 1e9) return `${formatNumber(wh / 1e9)} GWh`;
  if (abs >= 1e6) return `${formatNumber(wh / 1e6)} MWh`;
  if (abs >= 1000) return `${formatNumber(wh / 1000)} kWh`;
  return `${fixed(Math.round(wh), 0)} Wh`;
}

/** Degrees Celsius, to a tenth when not whole: 85.5 → "85.5 °C"; 74 → "74 °C". */
export function formatTemperature(celsius: number | null | undefined): string {
  if (!known(celsius)) return NONE;
  const tenth = Math.round(celsius * 10) / 10;
  return `${Number.isInteger(tenth) ? fixed(tenth, 0) : fixed(tenth, 1)} °C`;
}

export function formatEfficiency(jth: number | null | undefined): string {
  if (!known(jth)) return NONE;
  return `${fixed(jth, 1)} J/TH`;
}

/** A share: 0.944 → "94%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (!known(ratio)) return NONE;
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

/** Uptime reported in seconds, read like any other duration: 30 → "30s"; 93_600 → "1d 2h". */
export function formatUptime(seconds: number | null | undefined): string {
  if (!known(seconds)) return NONE;
  return formatDuration(seconds * 1000);
}

/** How long ago, for live values: "15s ago", "3m ago", "2h 5m ago"; "just now" under a second. */
export function formatAgo(ms: number, now: number): string {
  const elapsed = now - ms;
  if (elapsed < 1000) return 'just now';
  return `${formatDuration(elapsed)} ago`;
}

// ---------------------------------------------------------------------------------------------
// Money: integer minor units + ISO 4217 code; the exponent comes from src/lib/currencies.ts.

/** The currency's minor-unit digits (USD 2, JPY 0, BHD 3). Throws for a code that is not ISO 4217. */
export function currencyExponent(currency: string): number {
  const digits = MINOR_DIGITS.get(currency);
  if (digits === undefined) throw new RangeError(`Unknown currency ${currency}`);
  return digits;
}

/**
 * An amount of money from integer minor units, exactly (no float on the way: 1234567 USD →
 * "1,234,567.89" would be wrong; it is "12,345.67 USD"). The code follows the amount, which
 * reads unambiguously for every currency: "12,345.67 USD", "500 JPY", "-1.250 BHD".
 */
export function formatMoney(minor: number | bigint, currency: string): string {
  const digits = currencyExponent(currency);
  const value = typeof minor === 'bigint' ? minor : BigInt(Math.trunc(minor));
  if (typeof minor === 'number' && !Number.isSafeInteger(minor)) throw new RangeError('Money must be a safe integer of minor units');
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const text = abs.toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction} ${currency}`;
}

// ---------------------------------------------------------------------------------------------
// Dates and times, always in a named IANA zone (the host's), never the server's.

export type DateStyle = 'datetime' | 'date' | 'long' | 'time' | 'chart';

const DATE_OPTIONS: Record<DateStyle, Intl.DateTimeFormatOptions> = {
  datetime: { dateStyle: 'medium', timeStyle: 'short' }, // "2 Dec 2026, 14:05"
  date: { dateStyle: 'medium' }, // "2 Dec 2026"
  long: { dateStyle: 'long', timeStyle: 'short' }, // "2 December 2026 at 14:05"
  time: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, // "14:05"
  chart: { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
};

const dateFormats = new Map<string, { zone: string; format: Intl.DateTimeFormat }>();

/**
 * The cached formatter for (zone, style); an unknown zone falls back to UTC (the returned `zone`
 * says which was used).
 */
export function dateFormatter(timezone: string, style: DateStyle = 'datetime'): { zone: string; format: Intl.DateTimeFormat } {
  const key = `${timezone}|${style}`;
  const cached = dateFormats.get(key);
  if (cached) return cached;
  for (const zone of [timezone, 'UTC']) {
    try {
      const entry = { zone, format: new Intl.DateTimeFormat('en-GB', { timeZone: zone, ...DATE_OPTIONS[style] }) };
      dateFormats.set(key, entry);
      return entry;
    } catch {
      // An unknown IANA zone throws a RangeError: try UTC.
    }
  }
  throw new Error('unreachable');
}

/** A date and time in the given zone: formatDate(ms, 'Europe/Berlin') → "2 Dec 2026, 15:05". */
export function formatDate(ms: number, timezone: string, style: DateStyle = 'datetime'): string {
  return dateFormatter(timezone, style).format.format(new Date(ms));
}

/** The zone as a page states it once: "Times in Europe/Berlin". */
export const timezoneNote = (timezone: string): string => `Times in ${dateFormatter(timezone, 'date').zone}`;
