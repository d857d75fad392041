import { describe, expect, it } from 'vitest';
import { canonicalPoolUrl, samePool } from '../../src/live/pool-guard';

describe('canonicalPoolUrl (remembered per distinct URL)', () => {
  it('gives the same answer the first time and every time after', () => {
    const url = 'STRATUM+TCP://Pool.Example:3333/';
    expect(canonicalPoolUrl(url)).toBe('stratum+tcp://pool.example:3333');
    expect(canonicalPoolUrl(url)).toBe('stratum+tcp://pool.example:3333');
    expect(canonicalPoolUrl('  plain-host:3333 ')).toBe('plain-host:3333');
    expect(canonicalPoolUrl('  plain-host:3333 ')).toBe('plain-host:3333');
  });

  it('stays right past the bound on remembered URLs', () => {
    for (let i = 0; i < 2_500; i++) expect(canonicalPoolUrl(`stratum+tcp://POOL${i}.example:3333/`)).toBe(`stratum+tcp://pool${i}.example:3333`);
    expect(canonicalPoolUrl('stratum+tcp://POOL7.example:3333/')).toBe('stratum+tcp://pool7.example:3333');
  });

  it('samePool compares the canonical URLs and the worker when one is on record', () => {
    expect(samePool({ url: 'stratum+tcp://pool.example:3333', user: 'a.1' }, { url: 'STRATUM+TCP://POOL.EXAMPLE:3333/', user: 'a.1' })).toBe(true);
    expect(samePool({ url: 'stratum+tcp://pool.example:3333', user: 'a.1' }, { url: 'stratum+tcp://pool.example:3333', user: null })).toBe(true);
    expect(samePool({ url: 'stratum+tcp://pool.example:3333', user: 'a.1' }, { url: 'stratum+tcp://pool.example:3333', user: 'b.1' })).toBe(false);
    expect(samePool({ url: 'stratum+tcp://other.example:3333', user: 'a.1' }, { url: 'stratum+tcp://pool.example:3333', user: null })).toBe(false);
  });
});
