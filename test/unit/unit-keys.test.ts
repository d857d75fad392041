import { describe, expect, it } from 'vitest';
import { unitKeysOf } from '../../src/db/sql';

describe('unitKeysOf (a live sort\'s candidates, read as one JSON row)', () => {
  it('puts the keys back in the list\'s order by their rank, whatever order the aggregate gave them', () => {
    const unitKeys = JSON.stringify([
      ['m-3', 'site-b', 3],
      ['m-1', 'site-a', 1],
      ['m-2', null, 2],
    ]);
    expect(unitKeysOf([{ unitKeys }])).toEqual([
      { id: 'm-1', siteId: 'site-a' },
      { id: 'm-2', siteId: null },
      { id: 'm-3', siteId: 'site-b' },
    ]);
  });

  it('reads no units from an empty list', () => {
    expect(unitKeysOf([{ unitKeys: '[]' }])).toEqual([]);
    expect(unitKeysOf([])).toEqual([]);
  });
});

describe('unitKeysOf over several rows (10,000 keys a row)', () => {
  it('merges the rows back into one list in rank order, whichever row came first', () => {
    const row = (keys: [string, string | null, number][]) => ({ unitKeys: JSON.stringify(keys) });
    expect(
      unitKeysOf([row([['m-4', 's', 4], ['m-3', 's', 3]]), row([['m-2', null, 2], ['m-1', 's', 1]])]).map((key) => key.id),
    ).toEqual(['m-1', 'm-2', 'm-3', 'm-4']);
  });
});
