import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { miners, sites } from '../../src/db/schema';
import { readTelemetryPayload } from '../../src/telemetry/ingest';
import { MAX_BATCH_BYTES } from '../../src/telemetry/batch';
import { AppError } from '../../src/lib/errors';
import { createHost, createMiner, createTestCustomer, db, getPage } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, postTelemetry, registeredAgent, report, stateOf } from '../helpers/telemetry';

/** Issue 11's weaknesses 1, 3, 4 and 10 (telemetry): each test failed on the code before the fix. */

type Answer = { miners_accepted: number; miners_staged: number; miners_refused: { miner: string; reason: string; message: string }[] };

describe('weakness 1: an agent writes only its own site’s units', () => {
  it('refuses, by name, a unit of another site of the same host, and writes nothing for it', async () => {
    const host = await createHost('Two Sites Host');
    const siteX = await createSite(host, 'Site X');
    const siteY = await createSite(host, 'Site Y');
    const customer = await createTestCustomer(host);
    const unitAtY = await createMiner(host, { siteId: siteY, customerId: customer.id });
    const mac = nextMac();
    await db().update(miners).set({ mac }).where(eq(miners.id, unitAtY));
    const { token } = await registeredAgent(host, siteX);

    const res = await postTelemetry(token, batchOf([report(mac, { state: 'error', errors: ['fan failure'] })]));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Answer;
    expect(body.miners_accepted).toBe(0);
    expect(body.miners_staged).toBe(0);
    expect(body.miners_refused).toEqual([{ miner: `mac:${mac}`, reason: 'other_site', message: expect.stringMatching(/another site/) }]);
    // Neither object holds a live state for the unit: no alert, no energy, no usage.
    expect(await stateOf(siteX).live([unitAtY])).toEqual([]);
    expect(await stateOf(siteY).live([unitAtY])).toEqual([]);
    const [row] = await db().select().from(miners).where(eq(miners.id, unitAtY)).all();
    expect(row).toMatchObject({ siteId: siteY, customerId: customer.id });
  });

  it('refuses a unit of the host that has no site, and still accepts its own site’s units', async () => {
    const host = await createHost('Unsited Host');
    const siteX = await createSite(host, 'Site X');
    const unsited = await createMiner(host, { siteId: null, status: 'unassigned' });
    const mac = nextMac();
    await db().update(miners).set({ mac }).where(eq(miners.id, unsited));
    const { token } = await registeredAgent(host, siteX);
    const own = nextMac();
    const body = (await (await postTelemetry(token, batchOf([report(mac), report(own)]))).json()) as Answer;
    expect(body).toMatchObject({ miners_accepted: 1, miners_staged: 1 });
    expect(body.miners_refused.map((r) => r.miner)).toEqual([`mac:${mac}`]);
  });
});

describe('weakness 3: staged units are capped per site', () => {
  it('stages up to the cap, refuses the rest by name, and the site page says why', async () => {
    const host = await createHost('Cap Host');
    const siteId = await createSite(host, 'Capped site');
    await db().update(sites).set({ stagedCap: 2 }).where(eq(sites.id, siteId));
    const { token } = await registeredAgent(host, siteId);
    const macs = [nextMac(), nextMac(), nextMac()];
    const body = (await (await postTelemetry(token, batchOf(macs.map((mac) => report(mac))))).json()) as Answer;
    expect(body.miners_staged).toBe(2);
    expect(body.miners_refused).toEqual([{ miner: `mac:${macs[2]}`, reason: 'staging_cap', message: expect.stringMatching(/cap/) }]);
    expect(await db().select().from(miners).where(eq(miners.siteId, siteId)).all()).toHaveLength(2);

    const page = await getPage(`/admin/sites/${siteId}`, { cookie: host.owner.cookie });
    const html = await page.text();
    expect(html).toContain('data-testid="staging-refused"');
    expect(html).toMatch(/reached its staging cap \(2 staged units\)/);
  });

  it('defaults to 5,000 staged units for a new site', async () => {
    const host = await createHost('Default Cap Host');
    const siteId = await createSite(host, 'Default site');
    const { token } = await registeredAgent(host, siteId);
    const batch = batchOf(Array.from({ length: 5_001 }, (_, i) => report(`02:aa:${[i >> 16, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}:01`)));
    const body = (await (await postTelemetry(token, batch)).json()) as Answer;
    expect(body.miners_staged).toBe(5_000);
    expect(body.miners_refused).toHaveLength(1);
  });
});

describe('weakness 4: sample times are bounded', () => {
  it('refuses a sample dated 2099 or older than the spool’s horizon, naming the field', async () => {
    const host = await createHost('Clock Host');
    const siteId = await createSite(host);
    const { token } = await registeredAgent(host, siteId);
    const future = await postTelemetry(token, batchOf([report(nextMac(), { sampled_at: '2099-01-01T00:00:00Z' })]));
    expect(future.status).toBe(422);
    expect(((await future.json()) as { error: { fields: Record<string, string> } }).error.fields['miners.0.sampled_at']).toMatch(/future/);
    const old = await postTelemetry(token, batchOf([report(nextMac(), { sampled_at: new Date(Date.now() - 25 * 3600_000).toISOString() })]));
    expect(old.status).toBe(422);
    expect(((await old.json()) as { error: { fields: Record<string, string> } }).error.fields['miners.0.sampled_at']).toMatch(/horizon/);
    expect(await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all()).toEqual([]);
    // Four minutes ahead (clock skew) is fine.
    const skewed = await postTelemetry(token, batchOf([report(nextMac(), { sampled_at: new Date(Date.now() + 4 * 60_000).toISOString() })]));
    expect(skewed.status).toBe(200);
  });
});

describe('weakness 10: a chunked body is refused as soon as it passes the limit', () => {
  it('stops reading a body without Content-Length past MAX_BATCH_BYTES', async () => {
    let produced = 0;
    const chunkBytes = 1024 * 1024;
    // 256 MB if read whole; the reader must give up after 16.
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= 256 * chunkBytes) return controller.close();
        produced += chunkBytes;
        controller.enqueue(new Uint8Array(chunkBytes));
      },
    });
    const request = new Request('https://hashyard.test/api/agent/v1/telemetry', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(request.headers.get('Content-Length')).toBeNull();
    const error = await readTelemetryPayload(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/larger than/);
    expect(produced).toBeLessThan(MAX_BATCH_BYTES + 4 * chunkBytes);
  });
});

void env;
