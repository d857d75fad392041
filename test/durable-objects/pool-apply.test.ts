import { abortAllDurableObjects, runDurableObjectAlarm } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { miners } from '../../src/db/schema';
import { createHost, db } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, report, stateOf } from '../helpers/telemetry';

describe('SiteState keeps each miner’s last pool_apply', () => {
  it('null until reported, the newest report kept across batches without one, and through an eviction', async () => {
    const host = await createHost('Pool Apply Host');
    const siteId = await createSite(host);
    const ctx = { hostId: host.hostId, siteId };
    const stub = stateOf(siteId);
    const mac = nextMac();
    const other = nextMac();
    await stub.ingest(ctx, batchOf([report(mac), report(other)]));
    const rows = await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all();
    const id = rows.find((r) => r.mac === mac)!.id;
    const otherId = rows.find((r) => r.mac === other)!.id;
    expect((await stub.live([id]))[0]!.poolApply).toBeNull();

    const at = new Date(Date.now() - 1_000).toISOString();
    await stub.ingest(ctx, batchOf([report(mac, { pool_apply: { status: 'refused', message: "addpool: Access denied to 'addpool' command", at } })]));
    const refused = { status: 'refused', message: "addpool: Access denied to 'addpool' command", at: Date.parse(at) };
    expect((await stub.live([id]))[0]!.poolApply).toEqual(refused);
    // the next batch carries no report (no attempt): the last one stays
    await stub.ingest(ctx, batchOf([report(mac)]));
    expect((await stub.live([id]))[0]!.poolApply).toEqual(refused);
    expect((await stub.live([otherId]))[0]!.poolApply).toBeNull();

    const later = new Date().toISOString();
    await stub.ingest(ctx, batchOf([report(mac, { pool_apply: { status: 'applied', at: later } })]));
    expect((await stub.live([id]))[0]!.poolApply).toEqual({ status: 'applied', message: null, at: Date.parse(later) });

    // checkpointed by the alarm, then rebuilt after an eviction
    await runDurableObjectAlarm(stub);
    await abortAllDurableObjects();
    expect((await stateOf(siteId).live([id]))[0]!.poolApply).toEqual({ status: 'applied', message: null, at: Date.parse(later) });
  });

  it('the agent API refuses a batch with a malformed pool_apply whole', async () => {
    const host = await createHost('Pool Apply Reject Host');
    const siteId = await createSite(host);
    const stub = stateOf(siteId);
    const body = new TextEncoder().encode(
      JSON.stringify(batchOf([report(nextMac()), report(nextMac(), { pool_apply: { status: 'maybe', at: new Date().toISOString() } as never })])),
    );
    const outcome = await stub.ingestBody({ hostId: host.hostId, siteId }, body.buffer as ArrayBuffer, 'identity');
    expect(outcome).toEqual({ ok: false, reason: 'invalid', fields: { 'miners.1.pool_apply': 'status: use applied, refused or unreachable.' } });
    expect(await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all()).toHaveLength(0);
  });
});
