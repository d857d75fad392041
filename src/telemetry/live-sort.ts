import type { LiveKey } from './types';

/**
 * Rows in the order of a live value (hashrate, temperature…), read from each row's live state.
 * A missing value (no data) sorts last in either direction; ties keep the order the rows came
 * in (Array.prototype.sort is stable), so a list's own order breaks them.
 */
export function sortByLiveValue<T extends { id: string }>(
  rows: readonly T[],
  states: ReadonlyMap<string, LiveKey>,
  valueOf: (live: LiveKey | undefined) => number | null,
  descending: boolean,
): T[] {
  const keyed = rows.map((row) => ({ row, value: valueOf(states.get(row.id)) }));
  keyed.sort((a, b) => {
    if (a.value === null || b.value === null) return a.value === b.value ? 0 : a.value === null ? 1 : -1;
    return descending ? b.value - a.value : a.value - b.value;
  });
  return keyed.map(({ row }) => row);
}
