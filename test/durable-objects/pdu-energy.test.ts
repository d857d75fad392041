import { runDurableObjectAlarm } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { usageHourly } from '../../src/db/schema';
import { HOUR_MS, hourOf } from '../../src/telemetry/energy';
import { createHost, db } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

/** PDU metering (issue 17) through the real SiteState object and D1: a counter's energy is what the hour records. */
describe('PDU counters through SiteState', () => {
  it('records the counter difference with source pdu, across a 32-bit wrap, and falls back to the outlet power after a reset', async () => {
    const host = await createHost('PDU Energy Host');
    const siteId = await createSite(host);
    const ctx = { hostId: host.hostId, siteId };
    const stub = stateOf(siteId);
    const mac = nextMac();
    const hour = hourOf(Date.now()) - 3 * HOUR_MS;
    const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();
    const sample = (minutes: number, energyWh: number) =>
      report(mac, {
        sampled_at: at(minutes),
        power_w: 3300,
        power_source: 'pdu',
        pdu: { pdu_id: 'pdu-1', outlet: '7', sampled_at: at(minutes), power_w: 3300, energy_wh: energyWh },
      });
    // Minutes 0 → 5 → 10: the counter says 290 Wh, then 300 Wh (3,300 W of power would say 275 each).
    await stub.ingest(ctx, batchOf([sample(0, 2 ** 32 - 100)]));
    await stub.ingest(ctx, batchOf([sample(5, 2 ** 32 + 190)]));
    await stub.ingest(ctx, batchOf([sample(10, 2 ** 32 + 490)]));
    // The counter was reset: 10 → 15 falls back to the outlet's power, 275 Wh.
    await stub.ingest(ctx, batchOf([sample(15, 40)]));
    await runDurableObjectAlarm(stub);
    const rows = await db().select().from(usageHourly).where(eq(usageHourly.hostId, host.hostId)).all();
    expect(rows.map((r) => [r.energyWh, r.energySource, r.onlineSeconds])).toEqual([[290 + 300 + 275, 'pdu', 900]]);
  });
});
