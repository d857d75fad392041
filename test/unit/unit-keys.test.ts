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

describe('unitKeysOf over several rows (5,000 keys a row)', () => {
  it('merges the rows back into one list in rank order, whichever row came first', () => {
    const row = (keys: [string, string | null, number][]) => ({ unitKeys: JSON.stringify(keys) });
    expect(
      unitKeysOf([row([['m-4', 's', 4], ['m-3', 's', 3]]), row([['m-2', null, 2], ['m-1', 's', 1]])]).map((key) => key.id),
    ).toEqual(['m-1', 'm-2', 'm-3', 'm-4']);
  });
});

describe('unitKeysOf with a sharded site', () => {
  it('carries the shard count and the identifiers the shard is hashed from', () => {
    const unitKeys = JSON.stringify([
      ['m-2', 'big', 2, 4, null, 'SN-2', '10.0.0.2'],
      ['m-1', 'big', 1, 4, 'aa:bb:cc:dd:ee:01', 'SN-1', '10.0.0.1'],
      ['m-3', 'small', 3, 1, null, null, null],
    ]);
    expect(unitKeysOf([{ unitKeys }])).toEqual([
      { id: 'm-1', siteId: 'big', liveShards: 4, mac: 'aa:bb:cc:dd:ee:01', serial: 'SN-1', ip: '10.0.0.1' },
      { id: 'm-2', siteId: 'big', liveShards: 4, mac: null, serial: 'SN-2', ip: '10.0.0.2' },
      { id: 'm-3', siteId: 'small', liveShards: 1, mac: null, serial: null, ip: null },
    ]);
  });
});
