/**
 * Energy accounting (DESIGN.md §7: integer Wh). Power is integrated over time between a miner's
 * consecutive samples (left Riemann sum: the earlier sample's power holds until the next one),
 * gaps longer than MAX_GAP_MS count as offline (no energy), and intervals are split at hour
 * boundaries so each hour gets exactly its share. Wh are kept as floats while an hour is open and
 * rounded half-up to an integer once, when the hour is written to D1.
 */
export const HOUR_MS = 60 * 60 * 1000;
export const MAX_GAP_MS = 10 * 60 * 1000;

export const hourOf = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;

/**
 * Calls `visit(hourStart, milliseconds)` for each piece of the interval [start, end), in order:
 * `splitByHour` without a list, for the ingest fold (once per sample of every batch).
 */
export function eachHourOf(start: number, end: number, visit: (hour: number, ms: number) => void) {
  let cursor = start;
  while (cursor < end) {
    const hour = hourOf(cursor);
    const until = Math.min(end, hour + HOUR_MS);
    visit(hour, until - cursor);
    cursor = until;
  }
}

/** [hourStart, milliseconds] pieces of the interval [start, end). */
export function splitByHour(start: number, end: number): [number, number][] {
  const pieces: [number, number][] = [];
  eachHourOf(start, end, (hour, ms) => pieces.push([hour, ms]));
  return pieces;
}

export const wattMsToWh = (wattMs: number) => wattMs / HOUR_MS;

/** Half-up rounding to whole Wh, the one rounding rule for energy. */
export const roundWh = (wh: number) => Math.floor(wh + 0.5);
