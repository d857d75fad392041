import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { authenticateAgent, createAgent, registerAgent } from '../../src/agents/service';
import { activityLog, agents, miners, networkSegments, sites } from '../../src/db/schema';
import { assignEquipment } from '../../src/equipment/service';
import { previewImport } from '../../src/equipment/csv';
import { staffActor } from '../../src/hosts/service';
import { addMember, api, createApiKeyFor, createHost, createTestCustomer, db, getPage, postForm, uniqueId } from '../helpers/fixtures';
import { fetchForm, makeMiner, makeSite, minerIdsIn, registeredAgent } from '../helpers/equipment';

/** Host B with a site (segment, agent), a customer and two units (one assigned); host A with its own customer and key. */
async function twoHosts() {
  const a = await createHost('Host A');
  const b = await createHost('Host B');
  const aKey = await createApiKeyFor(a);
  const aCustomer = await createTestCustomer(a, { name: 'A Customer' });
  const aSite = await makeSite(a, { name: 'A Site' });
  const bSite = await makeSite(b, { name: 'B Secret Site', city: 'B City', network_segments: [{ cidr: '10.66.0.0/24', label: 'B row' }] });
  const bCustomer = await createTestCustomer(b, { name: 'B Secret Customer' });
  const bFree = await makeMiner(b, { serial: 'B-SECRET-FREE', site_id: bSite.id, rack_location: 'B rack' });
  const bHeld = await makeMiner(b, { serial: 'B-SECRET-HELD', site_id: bSite.id });
  await assignEquipment(db(), b.hostId, staffActor(b.owner.session), bCustomer.id, { miner_ids: [bHeld.id] });
  const bAgent = await createAgent(db(), b.hostId, staffActor(b.owner.session), { role: 'owner' }, bSite.id, { name: 'B agent' });
  const snapshot = async () => ({
    site: await db().select().from(sites).where(eq(sites.id, bSite.id)).get(),
    segments: await db().select().from(networkSegments).where(eq(networkSegments.siteId, bSite.id)).all(),
    agents: await db().select().from(agents).where(eq(agents.siteId, bSite.id)).all(),
    miners: await db().select().from(miners).where(eq(miners.hostId, b.hostId)).all(),
    activity: (await db().select().from(activityLog).where(eq(activityLog.hostId, b.hostId)).all()).length,
  });
  return { a, b, aKey, aCustomer, aSite, bSite, bCustomer, bFree, bHeld, bAgent, before: await snapshot(), snapshot };
}

const SECRETS = ['B Secret Site', 'B City', 'B-SECRET-FREE', 'B-SECRET-HELD', 'B rack', 'B Secret Customer', '10.66.0.0/24'];

function expectNoSecrets(body: string, where: string) {
  for (const secret of SECRETS) expect(body, `${where} leaks ${secret}`).not.toContain(secret);
}

describe('sites, equipment and agents never cross hosts (pages)', () => {
  it('answers 404 for every page of another host’s site or unit, for every role', async () => {
    const t = await twoHosts();
    const members = [t.a.owner, await addMember(t.a, 'admin'), await addMember(t.a, 'staff')];
    const paths = [`/admin/sites/${t.bSite.id}`, `/admin/sites/${t.bSite.id}/edit`, `/admin/equipment/${t.bFree.id}`, `/admin/equipment/${t.bHeld.id}/edit`];
    for (const member of members) {
      for (const path of paths) {
        const res = await getPage(path, { cookie: member.cookie });
        expect(res.status, `${member.email} ${path}`).toBe(404);
        expectNoSecrets(await res.text(), path);
      }
    }
  });

  it('never lists, searches, filters or exports another host’s sites or units', async () => {
    const t = await twoHosts();
    const own = await makeMiner(t.a, { serial: 'A-OWN-1' });
    for (const path of [
      '/admin/sites',
      '/admin/equipment',
      '/admin/equipment?q=B-SECRET',
      `/admin/equipment?site=${t.bSite.id}`,
      `/admin/equipment?customer=${t.bCustomer.id}`,
      '/admin/equipment?sort=-hashrate',
      '/admin/equipment/export.csv',
      `/admin/equipment/export.csv?site=${t.bSite.id}`,
      `/admin/customers/${t.aCustomer.id}/equipment/assign`,
      `/admin/customers/${t.aCustomer.id}/equipment/assign?site=${t.bSite.id}`,
    ]) {
      const res = await getPage(path, { cookie: t.a.owner.cookie });
      expect(res.status, path).toBe(200);
      const body = await res.text();
      expectNoSecrets(body, path);
      expect(body).not.toContain(t.bFree.id);
      expect(body).not.toContain(t.bHeld.id);
    }
    expect(minerIdsIn(await (await getPage('/admin/equipment', { cookie: t.a.owner.cookie })).text())).toEqual([own.id]);
  });

  it('refuses every change to another host’s site, segments, agents and units, changing nothing', async () => {
    const t = await twoHosts();
    const cookie = t.a.owner.cookie;
    const attempts: [string, Record<string, string>][] = [
      [`/admin/sites/${t.bSite.id}`, { name: 'Hijacked', timezone: 'UTC' }],
      [`/admin/sites/${t.bSite.id}/segments`, { cidr: '10.99.0.0/24' }],
      [`/admin/sites/${t.bSite.id}/segments/${t.before.segments[0]!.id}/remove`, {}],
      [`/admin/sites/${t.bSite.id}/agents`, { name: 'Planted agent' }],
      [`/admin/sites/${t.bSite.id}/agents/${t.bAgent.agent.id}/revoke`, {}],
      [`/admin/sites/${t.bSite.id}/agents/${t.bAgent.agent.id}/regenerate`, {}],
      // B's agent addressed through A's own site.
      [`/admin/sites/${t.aSite.id}/agents/${t.bAgent.agent.id}/revoke`, {}],
      [`/admin/sites/${t.aSite.id}/agents/${t.bAgent.agent.id}/regenerate`, {}],
      [`/admin/sites/${t.aSite.id}/segments/${t.before.segments[0]!.id}/remove`, {}],
      [`/admin/equipment/${t.bFree.id}`, { serial: 'HIJACKED', status: 'retired' }],
      [`/admin/customers/${t.bCustomer.id}/equipment/unassign`, { miner_ids: t.bHeld.id }],
      [`/admin/customers/${t.bCustomer.id}/equipment/assign`, { miner_ids: t.bFree.id }],
    ];
    for (const [path, fields] of attempts) {
      for (const htmx of [false, true]) {
        const res = await postForm(path, fields, { cookie, htmx });
        expect(res.status, path).toBe(404);
        expectNoSecrets(await res.text(), path);
      }
    }
    expect(await t.snapshot()).toEqual(t.before);
  });

  it('cannot assign another host’s units to its own customer, nor point its units at another host’s site', async () => {
    const t = await twoHosts();
    const body = new URLSearchParams();
    body.append('miner_ids', t.bFree.id);
    body.append('miner_ids', t.bHeld.id);
    const res = await fetchForm(`/admin/customers/${t.aCustomer.id}/equipment/assign`, body, t.a.owner.cookie);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('2 units could not be assigned');
    expectNoSecrets(page, 'assign report');

    const unassign = await fetchForm(`/admin/customers/${t.aCustomer.id}/equipment/unassign`, body, t.a.owner.cookie);
    expect(unassign.status).toBe(200);
    expectNoSecrets(await unassign.text(), 'unassign report');

    const own = await makeMiner(t.a, { serial: 'A-UNIT' });
    const moved = await postForm(`/admin/equipment/${own.id}`, { serial: 'A-UNIT', mac: own.mac!, site_id: t.bSite.id, status: 'staged' }, { cookie: t.a.owner.cookie });
    expect(moved.status).toBe(422);
    expect(await moved.text()).toContain('Choose a site from the list.');
    const created = await postForm('/admin/equipment', { serial: 'A-NEW', site_id: t.bSite.id, status: 'staged' }, { cookie: t.a.owner.cookie });
    expect(created.status).toBe(422);

    // A CSV naming B's site (by name or id) does not resolve it.
    const preview = await previewImport(db(), t.a.hostId, `serial,site\nA-CSV-1,B Secret Site\nA-CSV-2,${t.bSite.id}\n`);
    expect(preview.rows.map((r) => r.errors.site)).toEqual([expect.stringContaining('No site named'), expect.stringContaining('No site named')]);
    // Duplicates are per host: B's MAC and serial are free for A.
    const dupes = await previewImport(db(), t.a.hostId, `serial,mac\nB-SECRET-FREE,${t.bFree.mac}\n`);
    expect(dupes.goodCount).toBe(1);

    expect(await t.snapshot()).toEqual(t.before);
  });
});

describe('sites, equipment and agents never cross hosts (API)', () => {
  it('answers 404 to another host’s site, unit, agents and customer', async () => {
    const t = await twoHosts();
    const key = t.aKey;
    const calls: [string, string, unknown?][] = [
      ['GET', `/api/v1/sites/${t.bSite.id}`],
      ['PATCH', `/api/v1/sites/${t.bSite.id}`, { name: 'Hijacked' }],
      ['GET', `/api/v1/sites/${t.bSite.id}/agents`],
      ['POST', `/api/v1/sites/${t.bSite.id}/agents`, {}],
      ['GET', `/api/v1/miners/${t.bFree.id}`],
      ['PATCH', `/api/v1/miners/${t.bFree.id}`, { serial: 'HIJACKED' }],
      ['POST', `/api/v1/customers/${t.bCustomer.id}/equipment`, { miner_ids: [t.bFree.id] }],
      ['DELETE', `/api/v1/customers/${t.bCustomer.id}/equipment`, { miner_ids: [t.bHeld.id] }],
    ];
    for (const [method, path, body] of calls) {
      const res = await api(path, { key, method, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expectNoSecrets(await res.text(), path);
    }
    expect(await t.snapshot()).toEqual(t.before);
  });

  it('lists only its own sites and units, whatever the filters, and cannot take B’s units', async () => {
    const t = await twoHosts();
    const key = t.aKey;
    for (const path of ['/api/v1/sites', '/api/v1/miners', `/api/v1/miners?site=${t.bSite.id}`, `/api/v1/miners?customer=${t.bCustomer.id}`, '/api/v1/miners?q=B-SECRET']) {
      const body = await (await api(path, { key })).text();
      expectNoSecrets(body, path);
    }
    const res = await api(`/api/v1/customers/${t.aCustomer.id}/equipment`, { key, method: 'POST', body: { miner_ids: [t.bFree.id, t.bHeld.id] } });
    expect(await res.json()).toEqual({
      data: {
        assigned: [],
        failed: [
          { id: t.bFree.id, reason: 'not_found', message: 'no such unit' },
          { id: t.bHeld.id, reason: 'not_found', message: 'no such unit' },
        ],
      },
    });
    const unassign = await api(`/api/v1/customers/${t.aCustomer.id}/equipment`, { key, method: 'DELETE', body: { miner_ids: [t.bHeld.id] } });
    expect(await unassign.json()).toMatchObject({ data: { unassigned: [], failed: [{ id: t.bHeld.id, reason: 'not_found' }] } });
    const patch = await api(`/api/v1/miners/${(await makeMiner(t.a)).id}`, { key, method: 'PATCH', body: { site_id: t.bSite.id } });
    expect(patch.status).toBe(422);
    expect(await t.snapshot()).toEqual(t.before);
  });

  it('binds an agent token to its own host and site', async () => {
    const t = await twoHosts();
    const aAgent = await registeredAgent(t.a, t.aSite.id);
    expect(await authenticateAgent(db(), `Bearer ${aAgent.token}`)).toEqual({ agentId: aAgent.agentId, hostId: t.a.hostId, siteId: t.aSite.id, liveShards: 1 });
    const bRegistered = await registerAgent(db(), { code: t.bAgent.code, hostname: 'b-box', version: '1', ip: `t-${uniqueId()}` });
    expect(await authenticateAgent(db(), `Bearer ${bRegistered.token}`)).toEqual({ agentId: t.bAgent.agent.id, hostId: t.b.hostId, siteId: t.bSite.id, liveShards: 1 });
  });
});
