/**
 * The order of the inventory lists, as the SiteState objects reproduce it from their registry
 * (`SiteState.rankedPage`) so a live sort of a whole fleet needs no candidate list from D1. A
 * live sort orders by the live value, and ties keep the list's own order, which D1 defines:
 * - `serial` (staff Equipment): `lower(coalesce(serial, mac, ''))`, then id;
 * - `location` (portal Equipment): site name, site id, rack location, serial, then id (the site's
 *   name and id are the Worker's to prepend when it merges several sites' answers; one object is
 *   one site).
 * The label is lowered by SQLite itself (the registry reads it from D1), and texts compare here
 * as SQLite's BINARY collation does (NULL first, then UTF-8 bytes, which is code point order), so
 * the object's ties break exactly as the D1 query's `ORDER BY` did.
 */

export type UnitList = 'serial' | 'location';

/** A unit as a list holds it: its owner and status (the portal's scope) and its tie-break key. */
export interface ListedUnit {
  minerId: string;
  customerId: string | null;
  status: string;
  /** The list's order columns, the unit's id last (`tieOf`). */
  tie: (string | null)[];
}

/** A unit's tie-break key in `list` (`Registered.order`'s columns, then its id). */
export function tieOf(list: UnitList, minerId: string, order: { label: string; rack: string | null; serial: string | null }): (string | null)[] {
  return list === 'serial' ? [order.label, minerId] : [order.rack, order.serial, minerId];
}

/**
 * Two texts as SQLite's BINARY collation orders them, NULL first. JavaScript's `<` compares
 * UTF-16 code units, which differs from UTF-8 byte order only between a surrogate pair (a code
 * point above U+FFFF) and a code unit in U+E000–U+FFFF: that case is mapped to code point order.
 */
export function compareSqlText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
    return x - y;
  }
  return a.length - b.length;
}

/** Surrogates (0xD800–0xDFFF) above U+E000–U+FFFF, as their code points are. */
const codePointRank = (unit: number) => (unit < 0xe000 ? unit + 0x2000 : unit - 0x800);

/** Two tie-break keys, column by column. */
export function compareTies(a: readonly (string | null)[], b: readonly (string | null)[]): number {
  for (let i = 0; i < a.length; i++) {
    const order = compareSqlText(a[i] ?? null, b[i] ?? null);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}
