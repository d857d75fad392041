// Value helpers shared by the dialect normalisers: numbers that may arrive as
// strings, hashrate unit conversion to TH/s, temperature sentinels, pools.

import { ParseError } from '../errors.mjs';

/**
 * A number from a firmware value. Numbers pass; numeric strings ("37603.30")
 * are converted; `undefined`, `null` and "" mean "not reported" (undefined).
 * Anything else is a parse error: it is never turned into 0.
 * @param {unknown} v
 * @param {string} [what] field name, for the error message
 * @returns {number | undefined}
 */
export function num(v, what = 'value') {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ParseError(`${what} is not a finite number`);
    return v;
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return undefined;
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
    throw new ParseError(`${what} is not a number: ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`);
  }
  throw new ParseError(`${what} is not a number: ${typeof v}`);
}

/** @param {unknown} v @param {string} [what] */
export function int(v, what) {
  const n = num(v, what);
  return n === undefined ? undefined : Math.round(n);
}

/** A non-empty trimmed string, else undefined. @param {unknown} v */
export function str(v) {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** @param {number} x @param {number} digits */
export function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Hashrates are reported in TH/s rounded to 1 GH/s (3 decimals). @param {number} x */
export const roundThs = (x) => round(x, 3);
/** Temperatures are reported in °C rounded to 0.1. @param {number} x */
export const roundC = (x) => round(x, 1);

/** Divisors from a unit prefix to TH/s. */
const TO_THS = /** @type {const} */ ({ T: 1, G: 1e3, M: 1e6, K: 1e9, '': 1e12 });

/**
 * Convert `value` expressed in `unit` ("GH", "MH", "TH", "GHS", "MH/s", ...) to TH/s.
 * @param {number} value
 * @param {string} unit
 */
export function toThs(value, unit) {
  const p = unit.trim().toUpperCase().replace(/H.*$/, '');
  if (!(p in TO_THS)) throw new ParseError(`unknown hashrate unit ${JSON.stringify(unit)}`);
  return roundThs(value / TO_THS[/** @type {keyof typeof TO_THS} */ (p)]);
}

/**
 * Read a rate field for one averaging window from a cgminer-family object,
 * whatever unit prefix the firmware uses: `GHS 5s`, `MHS 30s`, `THS av`, ...
 * Returns TH/s, or undefined when no key for that window exists.
 * @param {Record<string, any>} obj
 * @param {string} window e.g. '5s', '30s', 'av', '1m'
 */
export function rateThs(obj, window) {
  for (const prefix of ['THS', 'GHS', 'MHS', 'KHS']) {
    const key = `${prefix} ${window}`;
    if (key in obj) {
      const v = num(obj[key], key);
      return v === undefined ? undefined : toThs(v, prefix);
    }
  }
  return undefined;
}

/**
 * The first window (in preference order) that the object reports.
 * @param {Record<string, any>} obj
 * @param {string[]} windows
 */
export function firstRateThs(obj, windows) {
  for (const w of windows) {
    const v = rateThs(obj, w);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * A temperature reading, or undefined for "no sensor": Avalon's -273
 * sentinel, Antminer's 0 for empty chain slots, BOSminer's `Chip: 0.0`.
 * ASIC boards and chips never legitimately read ≤ 0 °C while powered.
 * @param {unknown} v
 * @param {string} [what]
 */
export function tempC(v, what) {
  const n = num(v, what);
  if (n === undefined || n <= 0) return undefined;
  return roundC(n);
}

/**
 * Highest valid reading in a dash-joined sensor string ("73-45-64-65"),
 * undefined for "0-0-0-0" or "".
 * @param {unknown} v
 * @param {string} [what]
 */
export function maxOfDashed(v, what) {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new ParseError(`${what ?? 'sensor string'} is not a string`);
  let best;
  for (const part of v.split('-')) {
    const t = tempC(part, what);
    if (t !== undefined && (best === undefined || t > best)) best = t;
  }
  return best;
}

/**
 * Normalise a MAC address to lower-case colon form; undefined when it is not
 * one (or is all zeros).
 * @param {unknown} v
 */
export function normaliseMac(v) {
  if (typeof v !== 'string') return undefined;
  const hex = v.trim().toLowerCase().replace(/[:\-.]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex) || /^0+$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(':');
}

/**
 * @typedef {{ id: number, url: string, user?: string, priority?: number,
 *   status?: string, active: boolean }} PoolEntry
 */

/**
 * The pools of a `pools` reply, in priority order. `POOL` ids are kept as
 * the miner numbers them (0-based on most firmware, 1-based on Whatsminer
 * 2020-12), since `switchpool`/`removepool` take that id.
 * @param {Record<string, any>[]} pools the POOLS array
 * @returns {PoolEntry[]}
 */
export function poolEntries(pools) {
  /** @type {PoolEntry[]} */
  const out = [];
  pools.forEach((p, index) => {
    const url = str(p.URL);
    if (url === undefined) return;
    out.push({
      id: int(p.POOL, 'POOL') ?? index,
      url,
      user: str(p.User),
      priority: int(p.Priority, 'Priority'),
      status: str(p.Status),
      active: p['Stratum Active'] === true,
    });
  });
  return out.sort((a, b) => (a.priority ?? a.id) - (b.priority ?? b.id));
}

/**
 * The pool the miner is mining on: the one whose stratum is active, else the
 * alive pool with the best priority, else the first.
 * @param {PoolEntry[]} entries
 */
export function activePool(entries) {
  return (
    entries.find((p) => p.active) ??
    entries.find((p) => p.status === 'Alive') ??
    entries[0]
  );
}

/**
 * Fields for the miner object from a pools list.
 * @param {PoolEntry[]} entries
 */
export function poolFields(entries) {
  const p = activePool(entries);
  return p ? { pool_url: p.url, pool_user: p.user } : {};
}

/**
 * A list of numbers, each validated; drops undefined entries.
 * @param {(number | undefined)[]} values
 * @returns {number[] | undefined} undefined when nothing is left
 */
export function list(values) {
  const out = /** @type {number[]} */ (values.filter((v) => v !== undefined));
  return out.length > 0 ? out : undefined;
}
