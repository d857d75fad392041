import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { SiteState } from '../../src/live/site-state';
import { HOUR_MS, hourOf } from '../../src/telemetry/energy';
import { createHost } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

// A rolled-up hour is marked written, so the next alarm sends nothing and the row can be pruned:
// the mark compares the hour's energy as read back from JSON, which must hold for any float sum.
describe('SiteState usage roll-up marks what it wrote', () => {
  it('a second roll-up sends nothing, whatever the hours sum to', async () => {
    const host = await createHost('Marking Host');
    const siteId = await createSite(host);
    const ctx = { hostId: host.hostId, siteId };
    const stub = stateOf(siteId);
    const hour = hourOf(Date.now()) - 3 * HOUR_MS;
    const macs = Array.from({ length: 40 }, () => nextMac());
    for (let minute = 0; minute <= 60; minute += 1) {
      const at = new Date(hour + minute * 60_000).toISOString();
      await stub.ingest(ctx, batchOf(macs.map((mac, i) => report(mac, { sampled_at: at, power_w: 3000 + i * 7.37 + minute * 0.113, hashrate_ths: 100.1 + i / 3 }))));
    }
    await runDurableObjectAlarm(stub);
    const again = await runInDurableObject(stub, (object) => (object as unknown as SiteState).rollUpUsage());
    const rows = await runInDurableObject(stub, (_object, state) =>
      state.storage.sql.exec<{ hours: number; unmarked: number }>('SELECT count(*) AS hours, coalesce(sum(written = 0), 0) AS unmarked FROM usage WHERE hour = ?', hour).one(),
    );
    // Every miner's hour was closed and written once, with a fractional Wh sum (not a round number).
    expect({ again, ...rows }).toEqual({ again: 0, hours: 40, unmarked: 0 });
    const fractional = await runInDurableObject(stub, (_object, state) => state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM usage WHERE hour = ? AND wh != round(wh)', hour).one().n);
    expect(fractional).toBeGreaterThan(0);
  });
});
