import { describe, expect, it } from 'vitest';
import { foldBatch, foldSamples, newestOf, newestSamples, emptyEffects } from '../../src/live/fold';
import { indexByIdentifier, matchAll } from '../../src/live/registry';
import type { MinerStates } from '../../src/live/miner-state';
import { tempMaxOf } from '../../src/live/miner-state';
import type { Registered } from '../../src/live/registry';
import { minerKey, SampleTimes, validateTelemetryBatch, type TelemetryMiner } from '../../src/telemetry/batch';

// The shortcuts ingest takes on a 5,000-miner batch (bench/README.md, "Where ingest time goes")
// must decide exactly what the long way decides.

const NOW = Date.parse('2026-11-26T22:00:00Z');
const miner = (fields: Record<string, unknown> = {}) => ({ mac: 'a0:b1:c2:d3:e4:f5', sampled_at: '2026-11-26T21:59:58Z', state: 'mining', ...fields });
const batch = (miners: unknown[]) => ({ batch_id: '0b6c2f1e-aaaa', sent_at: '2026-11-26T22:00:00Z', miners });
const fieldsOf = (miners: unknown[]) => {
  const result = validateTelemetryBatch(batch(miners), NOW);
  if (result.ok) throw new Error('expected a refusal');
  return result.fields;
};

describe('sample times parsed once per distinct string', () => {
  it('answers the same as a fresh parse, for repeats, changes and bad values', () => {
    const times = new SampleTimes();
    const values: unknown[] = ['2026-11-26T21:59:58Z', '2026-11-26T21:59:58Z', '2026-11-26T21:59:59.5+01:00', 'yesterday', 'yesterday', 42, null, '2026-11-26T21:59:58Z', '2026-02-30T25:00:00Z'];
    for (const value of values) {
      const expected = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : Number.NaN;
      expect(times.ms(value)).toBe(expected);
    }
  });

  it('still refuses a bad or out-of-range time after miners that shared a good one', () => {
    expect(fieldsOf([miner(), miner(), miner({ sampled_at: 'yesterday' }), miner({ sampled_at: '2026-11-26T23:00:00Z' }), miner()])).toEqual({
      'miners.2.sampled_at': expect.stringContaining('ISO 8601'),
      'miners.3.sampled_at': expect.stringContaining('future'),
    });
  });
});

describe('MAC addresses: the canonical form as sent, any other spelling normalised', () => {
  it('keeps a canonical MAC, normalises upper case and dashes, refuses the rest whole', () => {
    const result = validateTelemetryBatch(batch([miner(), miner({ mac: ' A0-B1-C2-D3-E4-F6 ' })]), NOW);
    expect(result.ok && result.batch.miners.map((m) => m.mac)).toEqual(['a0:b1:c2:d3:e4:f5', 'a0:b1:c2:d3:e4:f6']);
    expect(fieldsOf([miner(), miner({ mac: 'zz:zz' }), miner({ mac: 'a0:b1:c2:d3:e4' }), miner({ mac: 7 })])).toEqual({
      'miners.1.mac': expect.stringContaining('MAC address'),
      'miners.2.mac': expect.stringContaining('MAC address'),
      'miners.3.mac': expect.stringContaining('MAC address'),
    });
  });
});

describe('the optional fields, checked one line a field: the same rule and message for each', () => {
  // Messages as the table-driven validator gave them before it was unrolled (bench/README.md).
  const cases: [string, unknown, string][] = [
    ['serial', 7, 'Must be text.'],
    ['serial', '   ', 'Must not be empty.'],
    ['serial', 'x'.repeat(65), 'Use at most 64 characters.'],
    ['ip', 5, 'Must be text.'],
    ['ip', 'x'.repeat(46), 'Use at most 45 characters.'],
    ['vendor', {}, 'Must be text.'],
    ['vendor', 'x'.repeat(65), 'Use at most 64 characters.'],
    ['model', 'x'.repeat(97), 'Use at most 96 characters.'],
    ['firmware', 'x'.repeat(129), 'Use at most 128 characters.'],
    ['hashrate_ths', '95', 'Must be a number.'],
    ['hashrate_ths', -1, 'Must be between 0 and 100000.'],
    ['hashrate_ths', Infinity, 'Must be a number.'],
    ['hashrate_avg_ths', 100_001, 'Must be between 0 and 100000.'],
    ['expected_hashrate_ths', true, 'Must be a number.'],
    ['board_temps_c', 62, 'Must be a list.'],
    ['board_temps_c', [62, 'hot'], 'Must be a number.'],
    ['board_temps_c', [201], 'Must be between -60 and 200.'],
    ['board_temps_c', Array(65).fill(1), 'At most 64 items.'],
    ['chip_temps_c', [-61], 'Must be between -60 and 200.'],
    ['fans_rpm', Array(17).fill(1), 'At most 16 items.'],
    ['fans_rpm', [100_001], 'Must be between 0 and 100000.'],
    ['power_w', -5, 'Must be between 0 and 100000.'],
    ['power_source', 'grid', 'Use miner, pdu or spec.'],
    ['power_source', 3, 'Use miner, pdu or spec.'],
    ['pool_url', 'x'.repeat(513), 'Use at most 512 characters.'],
    ['pool_user', 'x'.repeat(257), 'Use at most 256 characters.'],
    ['uptime_s', 1.5, 'Must be a whole number.'],
    ['uptime_s', -1, 'Must be between 0 and 315360000.'],
    ['uptime_s', 'long', 'Must be a number.'],
    ['errors', 'boom', 'Must be a list.'],
    ['errors', [1], 'Must be text.'],
    ['errors', Array(51).fill('e'), 'At most 50 items.'],
    ['errors', ['x'.repeat(501)], 'Use at most 500 characters.'],
    ['pool_apply', 'done', 'Must be an object with status, at and an optional message.'],
    ['pdu', [], 'Must be an object with pdu_id, outlet, sampled_at, power_w and energy_wh.'],
  ];

  it.each(cases)('%s = %j: %s', (field, value, message) => {
    expect(fieldsOf([miner({ [field]: value })])).toEqual({ [`miners.0.${field}`]: message });
  });

  it('drops every null optional field (unknown) and keeps the rest', () => {
    const fields = ['serial', 'ip', 'vendor', 'model', 'firmware', 'hashrate_ths', 'hashrate_avg_ths', 'expected_hashrate_ths', 'board_temps_c', 'chip_temps_c', 'fans_rpm', 'power_w', 'power_source', 'pool_url', 'pool_user', 'uptime_s', 'errors', 'pool_apply', 'pdu'];
    const result = validateTelemetryBatch(batch([miner({ ...Object.fromEntries(fields.map((f) => [f, null])), serial: ' S1 ', power_w: 3000 })]), NOW);
    expect(result.ok && result.batch.miners[0]).toEqual({ mac: 'a0:b1:c2:d3:e4:f5', sampled_at: '2026-11-26T21:59:58Z', state: 'mining', serial: 'S1', power_w: 3000 });
  });

  it('names the first bad field in the wire order, one per miner', () => {
    expect(fieldsOf([miner({ errors: 'boom', ip: 5, fans_rpm: 'fast' })])).toEqual({ 'miners.0.ip': 'Must be text.' });
    expect(fieldsOf([miner({ pdu: [], uptime_s: -1 })])).toEqual({ 'miners.0.uptime_s': 'Must be between 0 and 315360000.' });
  });
});

describe('matching a batch by identifier: what registry.get(minerKey(miner)) answers', () => {
  it('by MAC, else serial, else IP, each kind in its own map; unknown and other kinds stay unknown', () => {
    const reg = (minerId: string): Registered => ({ minerId, customerId: null, nominalMths: null, nominalW: null });
    const entries = new Map<string, Registered>([
      ['mac:a0:b1:c2:d3:e4:f5', reg('m-mac')],
      ['serial:S2', reg('m-serial')],
      ['ip:10.0.0.7', reg('m-ip')],
      // A serial that looks like a MAC, and an IP that looks like a serial, are not those kinds.
      ['serial:a0:b1:c2:d3:e4:f6', reg('m-serial-2')],
      ['ip:S3', reg('m-ip-2')],
    ]);
    const reported = [
      miner(),
      miner({ mac: undefined, serial: 'S2', ip: '10.0.0.7' }),
      miner({ mac: undefined, ip: '10.0.0.7' }),
      miner({ mac: 'a0:b1:c2:d3:e4:f6' }),
      miner({ mac: undefined, serial: 'S3' }),
      miner({ mac: undefined, serial: 'a0:b1:c2:d3:e4:f6' }),
      miner({ mac: '02:00:00:00:00:09', serial: 'S2' }),
    ] as TelemetryMiner[];
    const matched = matchAll(indexByIdentifier(entries), reported);
    expect(matched).toEqual(reported.map((m) => entries.get(minerKey(m))));
    expect(matched.map((r) => r?.minerId)).toEqual(['m-mac', 'm-serial', 'm-ip', undefined, undefined, 'm-serial-2', undefined]);
  });

  it('newestOf with matched entries equals newestSamples with the registry', () => {
    const entries = new Map<string, Registered>([[minerKey({ mac: 'a0:b1:c2:d3:e4:f5' }), { minerId: 'm1', customerId: null, nominalMths: null, nominalW: null }]]);
    const reported = [miner({ hashrate_ths: 1 }), miner({ sampled_at: '2026-11-26T21:59:59Z', hashrate_ths: 2 }), miner({ mac: '02:00:00:00:00:09' })] as TelemetryMiner[];
    expect(newestOf(reported, matchAll(indexByIdentifier(entries), reported))).toEqual(newestSamples(entries, reported));
  });
});

describe('newestSamples: one sample per unit, the count ingest answers with', () => {
  const registry = new Map<string, Registered>([
    [minerKey({ mac: 'a0:b1:c2:d3:e4:f5' }), { minerId: 'm1', customerId: null, nominalMths: null, nominalW: null }],
    [minerKey({ serial: 'S2' }), { minerId: 'm2', customerId: null, nominalMths: null, nominalW: null }],
  ]);
  const reported = [
    miner({ sampled_at: '2026-11-26T21:59:00Z', hashrate_ths: 1 }),
    miner({ mac: undefined, serial: 'S2', sampled_at: '2026-11-26T21:59:00Z' }),
    miner({ sampled_at: '2026-11-26T21:59:30Z', hashrate_ths: 2 }),
    miner({ sampled_at: '2026-11-26T21:58:00Z', hashrate_ths: 3 }),
    miner({ mac: '02:00:00:00:00:09' }),
  ] as TelemetryMiner[];

  it('keeps each known unit once with its newest sample and skips unknown units', () => {
    const samples = newestSamples(registry, reported);
    expect(samples.size).toBe(2);
    expect(samples.get('m1')!.miner.hashrate_ths).toBe(2);
    expect(newestSamples(registry, reported, reported.map(minerKey))).toEqual(samples);
  });

  it('folds to the same state as foldBatch', () => {
    const viaBatch: MinerStates = new Map();
    const viaSamples: MinerStates = new Map();
    const a = emptyEffects();
    const b = emptyEffects();
    expect(foldSamples(viaSamples, newestSamples(registry, reported), b)).toEqual(foldBatch(viaBatch, registry, reported, a));
    expect(viaSamples).toEqual(viaBatch);
    expect(b).toEqual(a);
  });
});

describe('tempMaxOf', () => {
  it('is the hottest board or chip reading, or null with none', () => {
    expect(tempMaxOf({ board_temps_c: [62, 64.5], chip_temps_c: [71, -3] })).toBe(71);
    expect(tempMaxOf({ board_temps_c: [-10, -4] })).toBe(-4);
    expect(tempMaxOf({ chip_temps_c: [] })).toBeNull();
    expect(tempMaxOf({})).toBeNull();
  });
});
