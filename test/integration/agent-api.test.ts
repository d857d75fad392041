import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { revokeAgent } from '../../src/agents/service';
import { customers, miners, networkSegments, poolRedirects } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { createHost, createTestCustomer, db } from '../helpers/fixtures';
import { batchOf, createSite, nextMac, postTelemetry, registeredAgent, report, stateOf } from '../helpers/telemetry';

async function agentFixture(name: string) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  const { token, agentId } = await registeredAgent(host, siteId);
  return { host, siteId, token, agentId };
}

const minersOf = (hostId: string) => db().select().from(miners).where(eq(miners.hostId, hostId)).all();

describe('POST /api/agent/v1/register', () => {
  it('trades a one-time code for a token once; the code cannot be reused', async () => {
    const host = await createHost('Register Host');
    const siteId = await createSite(host);
    const { createAgent } = await import('../../src/agents/service');
    const issued = await createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, siteId, {});
    const register = () =>
      SELF.fetch('https://hashyard.test/api/agent/v1/register', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code: issued.code.toLowerCase(), hostname: 'rig-1', version: '0.1.0' }),
      });
    const first = await register();
    expect(first.status).toBe(201);
    const body = (await first.json()) as Record<string, string>;
    expect(body.site_id).toBe(siteId);
    expect(body.token).toMatch(/^hya_[A-Za-z0-9_-]{43}$/);
    const again = await register();
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

describe('POST /api/agent/v1/telemetry', () => {
  it('needs a valid, unrevoked agent token', async () => {
    const { host, siteId, token, agentId } = await agentFixture('Token Host');
    expect((await postTelemetry(null, batchOf([report(nextMac())]))).status).toBe(401);
    expect((await postTelemetry(`hya_${'x'.repeat(43)}`, batchOf([report(nextMac())]))).status).toBe(401);
    await revokeAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, siteId, agentId);
    const revoked = await postTelemetry(token, batchOf([report(nextMac())]));
    expect(revoked.status).toBe(401);
    expect(await minersOf(host.hostId)).toHaveLength(0);
  });

  it('answers a refused token 401 whatever its body (the body is read while the token is checked, and judged only after)', async () => {
    const { host, siteId, token, agentId } = await agentFixture('Early Read Host');
    const unknown = `hya_${'y'.repeat(43)}`;
    const bodies: { raw: BodyInit; headers?: Record<string, string> }[] = [
      { raw: '{"batch_id": ' },
      { raw: 'not gzip at all', headers: { 'Content-Encoding': 'gzip' } },
      { raw: '{}', headers: { 'Content-Encoding': 'br' } },
      { raw: '' },
    ];
    const post = (bearer: string, { raw, headers = {} }: (typeof bodies)[number]) =>
      SELF.fetch('https://hashyard.test/api/agent/v1/telemetry', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}`, ...headers },
        body: raw,
      });
    for (const body of bodies) {
      const res = await post(unknown, body);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    // The same bodies with the agent's own token are the body's errors (400).
    for (const body of bodies) expect((await post(token, body)).status).toBe(400);
    // Revoked: the next request is refused at once, a valid batch included, and nothing is written.
    await revokeAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, siteId, agentId);
    for (const body of bodies) expect((await post(token, body)).status).toBe(401);
    expect((await postTelemetry(token, batchOf([report(nextMac())]), { gzip: true })).status).toBe(401);
    expect(await minersOf(host.hostId)).toHaveLength(0);
    expect((await stateOf(siteId).summary()).miners).toBe(0);
  });

  it('ingests a gzip batch into the agent’s own site and stages new miners', async () => {
    const { host, siteId, token } = await agentFixture('Gzip Host');
    const res = await postTelemetry(token, batchOf([report(nextMac()), report(nextMac())]), { gzip: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ batch_accepted: true, duplicate: false, miners_accepted: 2, miners_staged: 2, miners_refused: [] });
    const rows = await minersOf(host.hostId);
    expect(rows.map((r) => r.siteId)).toEqual([siteId, siteId]);
  });

  it('acknowledges a replayed batch id and ignores it', async () => {
    const { token } = await agentFixture('Replay Api Host');
    const batch = batchOf([report(nextMac())]);
    await postTelemetry(token, batch);
    const replay = await postTelemetry(token, batch);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ duplicate: true, miners_accepted: 0 });
  });

  it('rejects a malformed batch whole, naming the bad field, and writes nothing', async () => {
    const { host, siteId, token } = await agentFixture('Malformed Host');
    const good = report(nextMac());
    const bad = { ...report(nextMac()), hashrate_ths: -5 };
    const res = await postTelemetry(token, batchOf([good, good, bad as never]));
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; fields: Record<string, string> } };
    expect(body.error.code).toBe('validation_failed');
    expect(Object.keys(body.error.fields)).toEqual(['miners.2.hashrate_ths']);
    expect(await minersOf(host.hostId)).toHaveLength(0);
    expect((await stateOf(siteId).summary()).miners).toBe(0);

    const noId = await postTelemetry(token, batchOf([{ ...report(nextMac()), mac: undefined, serial: undefined, ip: undefined } as never]));
    expect(noId.status).toBe(422);
    expect((await postTelemetry(token, null, { raw: '{"batch_id": ' })).status).toBe(400);
  });

  it('a token for one host’s site never writes another host or site', async () => {
    const a = await agentFixture('Tenant Agent A');
    const b = await agentFixture('Tenant Agent B');
    const mac = nextMac();
    await postTelemetry(a.token, batchOf([report(mac)]));
    expect(await minersOf(b.host.hostId)).toHaveLength(0);
    const [row] = await minersOf(a.host.hostId);
    expect(row!.siteId).toBe(a.siteId);
    expect((await stateOf(b.siteId).summary()).miners).toBe(0);
  });
});

describe('GET /api/agent/v1/config', () => {
  it('answers the site’s segments and the holding pool for a redirected customer’s miners', async () => {
    const { host, siteId, token } = await agentFixture('Config Host');
    const otherSite = await createSite(host, 'Other site');
    const now = Date.now();
    await db().insert(networkSegments).values([
      { id: crypto.randomUUID(), hostId: host.hostId, siteId, cidr: '10.20.1.0/24', createdAt: now },
      { id: crypto.randomUUID(), hostId: host.hostId, siteId: otherSite, cidr: '10.99.0.0/24', createdAt: now },
    ]);
    const customer = await createTestCustomer(host);
    const mac = nextMac();
    await db().insert(miners).values({ id: crypto.randomUUID(), hostId: host.hostId, siteId, customerId: customer.id, mac, status: 'assigned', ownerPoolUrl: 'stratum+tcp://own.pool:3333', ownerPoolUser: 'cust.w1', createdAt: now, updatedAt: now });
    const get = async () => (await SELF.fetch('https://hashyard.test/api/agent/v1/config', { headers: { Authorization: `Bearer ${token}` } })).json();
    expect(await get()).toEqual({
      scan_segments: ['10.20.1.0/24'],
      poll_interval_s: 30,
      miners: [{ mac, pools: [{ url: 'stratum+tcp://own.pool:3333', user: 'cust.w1', password: 'x' }], remove_other_pools: false }],
      pdus: [],
    });
    await db().insert(poolRedirects).values({ id: crypto.randomUUID(), hostId: host.hostId, customerId: customer.id, poolUrl: 'stratum+tcp://holding.pool:3333', poolUser: 'host.holding', startedAt: now });
    const redirected = (await get()) as { miners: { pools: { url: string }[] }[] };
    expect(redirected.miners[0]!.pools[0]!.url).toBe('stratum+tcp://holding.pool:3333');
    expect(await db().select().from(customers).where(eq(customers.id, customer.id)).all()).toHaveLength(1);
  });
});
