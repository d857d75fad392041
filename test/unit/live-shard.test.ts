import { describe, expect, it } from 'vitest';
import { fnv1a32, shardName, shardOfKey, shardsFor, UNITS_PER_SHARD } from '../../src/live/shard';
import { minerKey } from '../../src/telemetry/batch';

describe('the shard of a unit', () => {
  it('FNV-1a 32 matches the published test vectors, so the shard of a unit never changes between releases', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(shardOfKey('mac:aa:bb:cc:00:00:01', 4)).toBe(fnv1a32('mac:aa:bb:cc:00:00:01') % 4);
    expect(shardOfKey(minerKey({ mac: 'aa:bb:cc:00:00:01', serial: 'S1' }), 4)).toBe(shardOfKey('mac:aa:bb:cc:00:00:01', 4));
  });

  it('one shard is always shard 0, and a key always lands in the same shard', () => {
    expect(shardOfKey('mac:anything', 1)).toBe(0);
    expect(shardOfKey('serial:X', 0)).toBe(0);
    for (let i = 0; i < 50; i++) expect(shardOfKey(`serial:S${i}`, 3)).toBe(shardOfKey(`serial:S${i}`, 3));
  });

  it('spreads 50,000 sequential MACs evenly over 4 shards (each within 2% of a quarter)', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 50_000; i++) {
      const mac = `02:00:${[(i >> 16) & 255, (i >> 8) & 255, i & 255, 7].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      counts[shardOfKey(minerKey({ mac }), 4)]! += 1;
    }
    for (const count of counts) expect(Math.abs(count - 12_500)).toBeLessThan(250);
  });

  it('names shard 0 by the site id (existing objects keep theirs) and shard k as site:k', () => {
    expect(shardName('site-1', 0)).toBe('site-1');
    expect(shardName('site-1', 3)).toBe('site-1:3');
  });

  it('counts shards by capacity and never lowers a count', () => {
    expect(shardsFor(0)).toBe(1);
    expect(shardsFor(UNITS_PER_SHARD)).toBe(1);
    expect(shardsFor(UNITS_PER_SHARD + 1)).toBe(2);
    expect(shardsFor(50_000)).toBe(4);
    expect(shardsFor(10, 3)).toBe(3);
  });
});
