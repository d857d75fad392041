import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agents/service';
import { activityLog, agents, miners, networkSegments, sites } from '../../src/db/schema';
import { assignEquipment } from '../../src/equipment/service';
import { staffActor } from '../../src/hosts/service';
import { createHost, createTestCustomer, db, ORIGIN, postForm, type TestHost } from '../helpers/fixtures';
import { csvUpload, makeMiner, makeSite } from '../helpers/equipment';

/** Everything a forged post could touch for one host. */
async function stateOf(host: TestHost) {
  return {
    sites: await db().select().from(sites).where(eq(sites.hostId, host.hostId)).all(),
    segments: await db().select().from(networkSegments).where(eq(networkSegments.hostId, host.hostId)).all(),
    agents: await db().select().from(agents).where(eq(agents.hostId, host.hostId)).all(),
    miners: await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all(),
    activity: (await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all()).length,
  };
}

async function fixture() {
  const host = await createHost();
  const site = await makeSite(host, { name: 'CSRF site', network_segments: [{ cidr: '10.1.0.0/24' }] });
  const customer = await createTestCustomer(host, { name: 'CSRF customer' });
  const free = await makeMiner(host, { serial: 'CSRF-FREE' });
  const held = await makeMiner(host, { serial: 'CSRF-HELD' });
  await assignEquipment(db(), host.hostId, staffActor(host.owner.session), customer.id, { miner_ids: [held.id] });
  const agent = await createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, site.id, { name: 'CSRF agent' });
  const segmentId = (await db().select().from(networkSegments).where(eq(networkSegments.siteId, site.id)).get())!.id;
  return { host, site, customer, free, held, agentId: agent.agent.id, segmentId };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

const TARGETS: [name: string, path: (f: Fixture) => string, fields: (f: Fixture) => Record<string, string>][] = [
  ['Add Site', () => '/admin/sites', () => ({ name: 'Forged site', timezone: 'UTC' })],
  ['edit site', (f) => `/admin/sites/${f.site.id}`, () => ({ name: 'Forged name', timezone: 'UTC', energy_cost_per_kwh: '9' })],
  ['add segment', (f) => `/admin/sites/${f.site.id}/segments`, () => ({ cidr: '10.2.0.0/24' })],
  ['remove segment', (f) => `/admin/sites/${f.site.id}/segments/${f.segmentId}/remove`, () => ({})],
  ['Add agent', (f) => `/admin/sites/${f.site.id}/agents`, () => ({ name: 'Forged agent' })],
  ['revoke agent', (f) => `/admin/sites/${f.site.id}/agents/${f.agentId}/revoke`, () => ({})],
  ['regenerate agent code', (f) => `/admin/sites/${f.site.id}/agents/${f.agentId}/regenerate`, () => ({})],
  ['Add unit', () => '/admin/equipment', () => ({ serial: 'FORGED-1', status: 'staged' })],
  ['edit unit', (f) => `/admin/equipment/${f.free.id}`, (f) => ({ serial: 'FORGED', mac: f.free.mac!, status: 'retired' })],
  ['import CSV', () => '/admin/equipment/import', () => ({ csv: 'serial\nFORGED-CSV-1\n', action: 'import_all', good_count: '1' })],
  ['assign equipment', (f) => `/admin/customers/${f.customer.id}/equipment/assign`, (f) => ({ miner_ids: f.free.id })],
  ['unassign equipment', (f) => `/admin/customers/${f.customer.id}/equipment/unassign`, (f) => ({ miner_ids: f.held.id })],
];

describe.each(TARGETS)('CSRF: %s', (_name, pathOf, fieldsOf) => {
  it('refuses a post from another origin, plain or htmx, and changes nothing', async () => {
    const f = await fixture();
    const before = await stateOf(f.host);
    for (const htmx of [false, true]) {
      const res = await postForm(pathOf(f), fieldsOf(f), { cookie: f.host.owner.cookie, origin: 'https://evil.example', htmx });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('This form was sent from another site and was refused.');
    }
    const crossSite = await postForm(pathOf(f), fieldsOf(f), { cookie: f.host.owner.cookie, origin: null, headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    // A look-alike origin (the platform host as a subdomain of the attacker's) is refused too.
    const lookalike = await postForm(pathOf(f), fieldsOf(f), { cookie: f.host.owner.cookie, origin: 'https://hashyard.test.evil.example' });
    expect(lookalike.status).toBe(403);
    expect(await stateOf(f.host)).toEqual(before);
  });
});

describe('CSRF: multipart CSV upload', () => {
  it('refuses a cross-origin upload', async () => {
    const f = await fixture();
    const before = await stateOf(f.host);
    const res = await SELF.fetch(`${ORIGIN}/admin/equipment/import`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', Cookie: f.host.owner.cookie },
      body: csvUpload('serial\nFORGED-UPLOAD\n', { action: 'import_all' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(await stateOf(f.host)).toEqual(before);
  });
});

describe('same-origin controls', () => {
  it('accepts the same posts from the app itself', async () => {
    const f = await fixture();
    expect((await postForm('/admin/sites', { name: 'Real site', timezone: 'UTC' }, { cookie: f.host.owner.cookie })).status).toBe(303);
    expect((await postForm(`/admin/customers/${f.customer.id}/equipment/assign`, { miner_ids: f.free.id }, { cookie: f.host.owner.cookie })).status).toBe(200);
    expect((await db().select().from(miners).where(eq(miners.id, f.free.id)).get())!.customerId).toBe(f.customer.id);
  });
});
