import { describe, expect, it } from 'vitest';
import { compareSorted, sortedPageOf, sortedSlice } from '../../src/telemetry/live-sort';
import type { LiveKey } from '../../src/telemetry/types';
import { emptyTotals } from '../../src/live/aggregate';
import { rng } from '../helpers/random';

/** Entries as the live sorts hold them: few distinct values (many ties), some with none. */
function entriesOf(random: () => number, count: number) {
  return Array.from({ length: count }, (_, index) => ({ minerId: `m${index}`, index, value: random() < 0.1 ? null : Math.floor(random() * 12) * 10 }));
}

describe('a live sort page picked, not sorted (sortedSlice)', () => {
  it('is exactly the full sort’s slice, for top, middle and deep pages, either direction, ties and missing values', () => {
    for (let seed = 1; seed <= 2_000; seed++) {
      const random = rng(seed);
      const entries = entriesOf(random, Math.floor(random() * 900));
      const descending = random() < 0.5;
      const limit = [0, 1, 7, 50][Math.floor(random() * 4)]!;
      // Mostly near the top (the path that keeps only the best), sometimes deep or past the end.
      const offset = random() < 0.7 ? Math.floor(random() * 3) * limit : Math.floor(random() * (entries.length + 60));
      const expected = [...entries].sort(compareSorted(descending)).slice(offset, offset + limit);
      // Shuffled input as well as the list's own order: the index, not the arrival, breaks ties.
      const shuffled = [...entries].sort(() => random() - 0.5);
      expect(sortedSlice([...entries], compareSorted(descending), offset, limit), `seed ${seed}`).toEqual(expected);
      expect(sortedSlice(shuffled, compareSorted(descending), offset, limit), `seed ${seed}, shuffled`).toEqual(expected);
    }
  });

  it('pages of a SiteState answer follow one another without a gap or a repeat', () => {
    const random = rng(42);
    const minerIds = Array.from({ length: 1_000 }, (_, i) => `m${i}`);
    const keys = new Map<string, LiveKey>(
      minerIds.flatMap((minerId): [string, LiveKey][] =>
        random() < 0.05
          ? []
          : [[minerId, { minerId, status: 'active', hashrateThs: Math.floor(random() * 20) * 5, tempMaxC: 60, powerW: 3000, efficiencyJth: 30, uptimeS: 100 }]],
      ),
    );
    const request = { minerIds, sort: 'hashrate' as const, descending: true, status: null, totals: false };
    const pageAt = (offset: number) => sortedPageOf({ ...request, offset, limit: 50 }, (id) => keys.get(id), () => undefined, () => emptyTotals());
    const walked = Array.from({ length: 20 }, (_, page) => pageAt(page * 50).entries.map((entry) => entry.minerId)).flat();
    expect(new Set(walked).size).toBe(1_000);
    const values = walked.map((id) => keys.get(id)?.hashrateThs ?? -1);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(pageAt(0).matched).toBe(1_000);
  });
});
