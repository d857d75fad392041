import { describe, expect, it } from 'vitest';
import { validateTelemetryBatch } from '../../src/telemetry/batch';

const miner = (extra: Record<string, unknown>) => ({ mac: 'a0:b1:c2:d3:e4:f5', sampled_at: '2026-12-02T20:00:00Z', state: 'mining', ...extra });
const batch = (...miners: unknown[]) => ({ batch_id: 'b-0000-0001', sent_at: '2026-12-02T20:00:01Z', miners });

describe('pool_apply in a telemetry batch', () => {
  it('accepts each status, with and without a message, and a null message as absent', () => {
    for (const status of ['applied', 'refused', 'unreachable']) {
      const result = validateTelemetryBatch(batch(miner({ pool_apply: { status, message: 'addpool: Access denied', at: '2026-12-02T19:59:58.123Z' } })));
      expect(result.ok).toBe(true);
    }
    const bare = validateTelemetryBatch(batch(miner({ pool_apply: { status: 'applied', at: '2026-12-02T19:59:58+01:00' } })));
    expect(bare.ok && bare.batch.miners[0]!.pool_apply).toEqual({ status: 'applied', at: '2026-12-02T19:59:58+01:00' });
    const nullMessage = validateTelemetryBatch(batch(miner({ pool_apply: { status: 'refused', message: null, at: '2026-12-02T19:59:58Z' } })));
    expect(nullMessage.ok && nullMessage.batch.miners[0]!.pool_apply).toEqual({ status: 'refused', at: '2026-12-02T19:59:58Z' });
    // absent or null pool_apply: unknown, as every optional field
    const none = validateTelemetryBatch(batch(miner({ pool_apply: null })));
    expect(none.ok && 'pool_apply' in none.batch.miners[0]!).toBe(false);
  });

  it('a malformed pool_apply rejects the whole batch, naming the miner and field', () => {
    const bad: [unknown, RegExp][] = [
      ['applied', /object/],
      [[], /object/],
      [{ status: 'done', at: '2026-12-02T19:59:58Z' }, /applied, refused or unreachable/],
      [{ at: '2026-12-02T19:59:58Z' }, /status/],
      [{ status: 'applied' }, /^at: /],
      [{ status: 'applied', at: '2 December' }, /^at: /],
      [{ status: 'applied', at: '2026-12-02T19:59:58' }, /^at: /],
      [{ status: 'refused', at: '2026-12-02T19:59:58Z', message: 42 }, /^message: Must be text/],
      [{ status: 'refused', at: '2026-12-02T19:59:58Z', message: 'x'.repeat(257) }, /^message: Use at most 256/],
      [{ status: 'applied', at: '2026-12-02T19:59:58Z', pool: 'stratum+tcp://x' }, /Unknown field pool/],
    ];
    for (const [value, message] of bad) {
      const result = validateTelemetryBatch(batch(miner({}), miner({ mac: 'a0:b1:c2:d3:e4:f6', pool_apply: value })));
      expect(result.ok, JSON.stringify(value)).toBe(false);
      if (!result.ok) {
        expect(Object.keys(result.fields)).toEqual(['miners.1.pool_apply']);
        expect(result.fields['miners.1.pool_apply']).toMatch(message);
      }
    }
    // exactly 256 characters is fine
    expect(validateTelemetryBatch(batch(miner({ pool_apply: { status: 'refused', at: '2026-12-02T19:59:58Z', message: 'x'.repeat(256) } }))).ok).toBe(true);
  });
});
