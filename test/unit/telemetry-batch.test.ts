import { describe, expect, it } from 'vitest';
import { MAX_MINERS_PER_BATCH, minerKey, validateTelemetryBatch } from '../../src/telemetry/batch';

const miner = (fields: Record<string, unknown> = {}) => ({
  mac: 'A0-B1-C2-D3-E4-F5',
  sampled_at: '2026-11-26T21:59:58Z',
  state: 'mining',
  hashrate_ths: 98.2,
  ...fields,
});
const batch = (miners: unknown[], fields: Record<string, unknown> = {}) => ({ batch_id: '0b6c2f1e-aaaa', sent_at: '2026-11-26T22:00:00Z', miners, ...fields });
const fieldsOf = (raw: unknown) => {
  const result = validateTelemetryBatch(raw);
  if (result.ok) throw new Error('expected a refusal');
  return result.fields;
};

describe('telemetry batch validation (wire format v1)', () => {
  it('accepts the DESIGN.md example shape, normalises the MAC, ignores unknown fields, drops nulls', () => {
    const result = validateTelemetryBatch(
      batch([
        miner({
          serial: ' JYZZ1 ',
          ip: '10.20.1.15',
          vendor: 'Bitmain',
          model: 'Antminer S19j Pro',
          hashrate_avg_ths: 97.9,
          expected_hashrate_ths: 104,
          board_temps_c: [62, 64, 63],
          chip_temps_c: [71, 74, 72],
          fans_rpm: [5400, 5460],
          power_w: 3050,
          power_source: 'miner',
          pool_url: 'stratum+tcp://pool.example:3333',
          pool_user: 'acct.worker1',
          uptime_s: 86400,
          errors: [],
          firmware_extra: 'ignored',
          fans_pct: null,
          power_w_null: null,
          hashrate_avg_ths_2: 1,
          uptime_s_x: null,
          temp: null,
          vendor_id: 3,
          nominal: undefined,
          firmware: null,
        }),
      ]),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [m] = result.batch.miners;
    expect(m).toMatchObject({ mac: 'a0:b1:c2:d3:e4:f5', serial: 'JYZZ1', hashrate_ths: 98.2, power_source: 'miner' });
    expect('firmware' in m!).toBe(false);
  });

  it('identifies by MAC, then serial, then IP', () => {
    expect(minerKey({ mac: 'a0:b1:c2:d3:e4:f5', serial: 'S', ip: '1.2.3.4' })).toBe('mac:a0:b1:c2:d3:e4:f5');
    expect(minerKey({ serial: 'S', ip: '1.2.3.4' })).toBe('serial:S');
    expect(minerKey({ ip: '1.2.3.4' })).toBe('ip:1.2.3.4');
    expect(fieldsOf(batch([miner({ mac: undefined })]))).toEqual({ 'miners.0.mac': expect.stringContaining('needs a mac') });
  });

  it('names each bad field with its miner index and refuses the whole batch', () => {
    const fields = fieldsOf(
      batch([
        miner(),
        miner({ hashrate_ths: -1 }),
        miner({ state: 'on' }),
        miner({ sampled_at: 'yesterday' }),
        miner({ mac: 'zz:zz' }),
        miner({ board_temps_c: [60, 'hot'] }),
        miner({ power_source: 'guess' }),
        miner({ uptime_s: 1.5 }),
        miner({ errors: 'none' }),
        'not a miner',
      ]),
    );
    expect(Object.keys(fields)).toEqual([
      'miners.1.hashrate_ths',
      'miners.2.state',
      'miners.3.sampled_at',
      'miners.4.mac',
      'miners.5.board_temps_c',
      'miners.6.power_source',
      'miners.7.uptime_s',
      'miners.8.errors',
      'miners.9',
    ]);
  });

  it('checks the envelope: batch id, sent_at, the miners list and its size', () => {
    expect(fieldsOf(batch([miner()], { batch_id: 'x' }))).toHaveProperty('batch_id');
    expect(fieldsOf(batch([miner()], { sent_at: 'now' }))).toHaveProperty('sent_at');
    expect(fieldsOf({ batch_id: '0b6c2f1e-aaaa', sent_at: '2026-11-26T22:00:00Z', miners: {} })).toHaveProperty('miners');
    expect(fieldsOf(batch(Array.from({ length: MAX_MINERS_PER_BATCH + 1 }, () => miner())))).toEqual({ miners: `At most ${MAX_MINERS_PER_BATCH} miners per batch.` });
    expect(fieldsOf([])).toEqual({ _: 'The batch must be a JSON object.' });
  });

  it('reports at most 20 problems, so a broken agent gets a readable answer', () => {
    expect(Object.keys(fieldsOf(batch(Array.from({ length: 500 }, () => miner({ state: 'x' }))))).length).toBe(20);
  });
});

describe('pdu readings (issue 17, PDU metering)', () => {
  const pdu = (fields: Record<string, unknown> = {}) => ({ pdu_id: 'c0ffee00-pdu', outlet: '7', sampled_at: '2026-11-26T21:59:57Z', power_w: 3251, energy_wh: 4_294_968_000, ...fields });

  it('accepts an outlet reading with power, energy or both', () => {
    for (const reading of [pdu(), pdu({ energy_wh: undefined }), pdu({ power_w: undefined }), pdu({ outlet: '1.1.12' })]) {
      const result = validateTelemetryBatch(batch([miner({ power_w: 3251, power_source: 'pdu', pdu: reading })]));
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.batch.miners[0]!.pdu).toEqual(reading);
    }
  });

  it('refuses anything else, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      ['outlet 7', /Must be an object/],
      [pdu({ volts: 230 }), /Unknown field volts/],
      [pdu({ pdu_id: '' }), /pdu_id/],
      [pdu({ pdu_id: 'x'.repeat(65) }), /pdu_id/],
      [pdu({ outlet: 'A1' }), /outlet/],
      [pdu({ outlet: 7 }), /outlet/],
      [pdu({ sampled_at: 'yesterday' }), /sampled_at/],
      [pdu({ power_w: undefined, energy_wh: undefined }), /Needs power_w, energy_wh or both/],
      [pdu({ power_w: -1 }), /power_w/],
      [pdu({ energy_wh: 12.5 }), /energy_wh: Must be a whole number/],
      [pdu({ energy_wh: -3 }), /energy_wh/],
      [pdu({ energy_wh: '100' }), /energy_wh/],
    ];
    for (const [reading, message] of cases) {
      expect(fieldsOf(batch([miner({ pdu: reading })]))['miners.0.pdu']).toMatch(message);
    }
  });
});
