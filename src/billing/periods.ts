/**
 * Billing periods (docs/BILLING.md, "Periods"). A period runs from the host's billing day of one
 * month to the day before it in the next, in the host's time zone; it is named by the month it
 * starts in (`YYYY-MM`). Usage hours are UTC hours and belong to the period that holds their
 * start, so a period is also the UTC instant range [fromMs, toMs).
 */

export interface BillingPeriod {
  key: string;
  /** First day, and the day after the last, ISO dates in the host's zone. */
  start: string;
  end: string;
  fromMs: number;
  toMs: number;
  /** Calendar days in the period (proration denominator). */
  days: number;
}

const DAY_MS = 86_400_000;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export const isoDate = (year: number, month: number, day: number) => `${pad(year, 4)}-${pad(month)}-${pad(day)}`;

/** Parses `YYYY-MM-DD` (a real calendar date) into its parts; null otherwise. */
export function parseIsoDate(text: string): { year: number; month: number; day: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null;
  return { year, month, day };
}

/** Whole days from a to b (ISO dates), b - a. */
export function daysBetween(a: string, b: string): number {
  const pa = parseIsoDate(a)!;
  const pb = parseIsoDate(b)!;
  return Math.round((Date.UTC(pb.year, pb.month - 1, pb.day) - Date.UTC(pa.year, pa.month - 1, pa.day)) / DAY_MS);
}

/** date + n days (ISO). */
export function addDays(date: string, n: number): string {
  const p = parseIsoDate(date)!;
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day) + n * DAY_MS);
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/**
 * date + n months, keeping the day where the month has it and the month's last day otherwise
 * (Jan 31 + 1 month = Feb 28/29).
 */
export function addMonths(date: string, n: number): string {
  const p = parseIsoDate(date)!;
  const total = p.year * 12 + (p.month - 1) + n;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return isoDate(year, month, Math.min(p.day, lastDay));
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in ms (local = utc + offset). */
function zoneOffsetMs(timeZone: string, atMs: number): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(atMs)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

/** The UTC instant of 00:00 on a calendar date in a zone (the first instant of that local day). */
export function zonedMidnightMs(date: string, timeZone: string): number {
  const p = parseIsoDate(date)!;
  const naive = Date.UTC(p.year, p.month - 1, p.day);
  // Two passes settle a DST change between the naive guess and the real instant.
  let guess = naive - zoneOffsetMs(timeZone, naive);
  guess = naive - zoneOffsetMs(timeZone, guess);
  return guess;
}

/** The calendar date (ISO) of an instant in a zone. */
export function zonedDate(atMs: number, timeZone: string): string {
  const local = new Date(atMs + zoneOffsetMs(timeZone, atMs));
  return isoDate(local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate());
}

/** The period named `key` (`YYYY-MM`) for a billing day and zone. */
export function billingPeriod(key: string, billingDay: number, timeZone: string): BillingPeriod {
  const start = `${key}-${pad(billingDay)}`;
  if (!parseIsoDate(start)) throw new Error(`Bad period ${key}`);
  const end = addMonths(start, 1);
  return { key, start, end, fromMs: zonedMidnightMs(start, timeZone), toMs: zonedMidnightMs(end, timeZone), days: daysBetween(start, end) };
}

/** The period that holds a calendar date. */
export function periodHolding(date: string, billingDay: number, timeZone: string): BillingPeriod {
  const p = parseIsoDate(date)!;
  const key = p.day >= billingDay ? `${pad(p.year, 4)}-${pad(p.month)}` : addMonths(`${pad(p.year, 4)}-${pad(p.month)}-01`, -1).slice(0, 7);
  return billingPeriod(key, billingDay, timeZone);
}

/** The last period that has fully ended by an instant (what the billing-day cron invoices). */
export function lastClosedPeriod(nowMs: number, billingDay: number, timeZone: string): BillingPeriod {
  const current = periodHolding(zonedDate(nowMs, timeZone), billingDay, timeZone);
  return billingPeriod(addMonths(current.start, -1).slice(0, 7), billingDay, timeZone);
}

export const isPeriodKey = (text: string): boolean => /^\d{4}-(0[1-9]|1[0-2])$/.test(text);

/** UTC day (ISO) of an instant: the unit of usage sealing. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
