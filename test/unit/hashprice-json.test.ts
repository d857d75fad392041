import { describe, expect, it } from 'vitest';
import { parseHashpriceJson } from '../../src/default/settings';

/** The documented JSON shape a hashprice URL answers (docs/DEFAULT.md, issue 10). */
describe('parseHashpriceJson', () => {
  it('reads the documented shape exactly, as micro-USD per TH/s per day, price as a string or a number', () => {
    const body = {
      currency: 'USD',
      unit: 'TH/s/day',
      prices: [
        { date: '2026-11-29', usd_per_th_day: '0.052' },
        { date: '2026-11-30', usd_per_th_day: 0.0535 },
        { date: '2026-12-01', usd_per_th_day: '0.123456' },
      ],
    };
    expect(parseHashpriceJson(body)).toEqual([
      { day: '2026-11-29', priceMicros: 52_000 },
      { day: '2026-11-30', priceMicros: 53_500 },
      { day: '2026-12-01', priceMicros: 123_456 },
    ]);
  });

  it('accepts a single { date, usd_per_th_day } object', () => {
    expect(parseHashpriceJson({ date: '2026-11-30', usd_per_th_day: '0.05' })).toEqual([{ day: '2026-11-30', priceMicros: 50_000 }]);
  });

  it('rounds a price beyond 6 decimals half up to the micro-USD', () => {
    const body = { prices: [{ date: '2026-11-03', usd_per_th_day: '0.0500004' }, { date: '2026-11-04', usd_per_th_day: '0.0500005' }] };
    expect(parseHashpriceJson(body)).toEqual([
      { day: '2026-11-03', priceMicros: 50_000 },
      { day: '2026-11-04', priceMicros: 50_001 },
    ]);
  });

  it('skips entries that do not parse: bad dates, zero, negative, non-numbers, huge values', () => {
    const body = {
      prices: [
        { date: '2026-02-30', usd_per_th_day: '0.05' },
        { date: '30/11/2026', usd_per_th_day: '0.05' },
        { date: '2026-11-01', usd_per_th_day: '0' },
        { date: '2026-11-02', usd_per_th_day: '-0.05' },
        { date: '2026-11-04', usd_per_th_day: 'cheap' },
        { date: '2026-11-05', usd_per_th_day: null },
        { date: '2026-11-06', usd_per_th_day: '99999999' },
        null,
        'text',
        { date: '2026-11-07', usd_per_th_day: '0.051' },
      ],
    };
    expect(parseHashpriceJson(body)).toEqual([{ day: '2026-11-07', priceMicros: 51_000 }]);
  });

  it('answers nothing for bodies that are not the shape at all', () => {
    for (const body of [null, 42, 'prices', [], {}, { prices: 'none' }]) expect(parseHashpriceJson(body)).toEqual([]);
  });
});
