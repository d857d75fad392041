import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { registerAgent } from '../../src/agents/service';
import { activityLog, agents, networkSegments } from '../../src/db/schema';
import { api, createApiKeyFor, createHost, createTestCustomer, db, uniqueId } from '../helpers/fixtures';
import { customerActivity, makeMiner, makeSite, minerRow } from '../helpers/equipment';

interface ApiError {
  error: { code: string; message: string; fields: Record<string, string> };
}

async function hostWithKey(name?: string) {
  const host = await createHost(name);
  return { host, key: await createApiKeyFor(host) };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ApiError;
  expect(body.error.code).toBe(code);
  return body.error;
}

// ---------------------------------------------------------------------------------------------

describe('/api/v1/sites', () => {
  it('creates a site with segments and lists it', async () => {
    const { host, key } = await hostWithKey();
    expect(await (await api('/api/v1/sites', { key })).json()).toEqual({ data: [] });

    const res = await api('/api/v1/sites', {
      key,
      method: 'POST',
      body: {
        name: 'Permian 2',
        city: 'Odessa',
        region: 'TX',
        country: 'US',
        timezone: 'America/Chicago',
        capacity_kw: 5000,
        energy_cost_per_kwh: 0.045,
        network_segments: [{ cidr: '10.20.0.0/16', label: 'Main' }, { cidr: '192.168.5.0/24' }],
      },
    });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(res.headers.get('Location')).toBe(`/api/v1/sites/${data.id}`);
    expect(data).toMatchObject({
      name: 'Permian 2',
      city: 'Odessa',
      region: 'TX',
      country: 'US',
      timezone: 'America/Chicago',
      capacity_kw: 5000,
      energy_cost_per_kwh: '0.045',
      energy_cost_micros_per_kwh: 45_000,
      miner_count: 0,
      agent_status: 'none',
      agent_last_seen_at: null,
      network_segments: [
        { id: expect.any(String), cidr: '10.20.0.0/16', label: 'Main' },
        { id: expect.any(String), cidr: '192.168.5.0/24', label: null },
      ],
    });
    expect(data.created_at).toMatch(ISO);
    const entry = await db().select().from(activityLog).where(eq(activityLog.action, 'site.created')).all();
    expect(entry.find((e) => e.hostId === host.hostId)?.actorKind).toBe('api_key');

    const list = (await (await api('/api/v1/sites', { key })).json()) as { data: Record<string, unknown>[] };
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toEqual(data);
    expect(await (await api(`/api/v1/sites/${data.id}`, { key })).json()).toEqual({ data });

    const patched = await api(`/api/v1/sites/${data.id}`, { key, method: 'PATCH', body: { energy_cost_per_kwh: null, capacity_kw: '6000' } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ data: { energy_cost_per_kwh: null, energy_cost_micros_per_kwh: null, capacity_kw: 6000 } });
  });

  it('validates with the same rules as the form, naming each field', async () => {
    const { host, key } = await hostWithKey();
    const error = await expectError(
      await api('/api/v1/sites', {
        key,
        method: 'POST',
        body: { name: '', capacity_kw: -1, energy_cost_per_kwh: '0,05', timezone: 'Nowhere/City', network_segments: [{ cidr: '10.0.0.9/24' }], colour: 'red' },
      }),
      422,
      'validation_failed',
    );
    expect(error.fields).toMatchObject({
      name: 'Site name is required.',
      capacity_kw: expect.stringContaining('whole number'),
      energy_cost_per_kwh: expect.stringContaining('0.045'),
      timezone: 'Choose a timezone from the list.',
      'network_segments.0.cidr': 'Host bits are set: did you mean 10.0.0.0/24?',
      colour: 'Unknown field.',
    });
    const overlap = await expectError(
      await api('/api/v1/sites', { key, method: 'POST', body: { name: 'X', network_segments: [{ cidr: '10.0.0.0/16' }, { cidr: '10.0.3.0/24' }] } }),
      422,
      'validation_failed',
    );
    expect(overlap.fields['network_segments.1.cidr']).toContain('overlaps 10.0.0.0/16');
    expect(await db().select().from(networkSegments).where(eq(networkSegments.hostId, host.hostId)).all()).toEqual([]);
  });

  it('adds an agent and answers its one-time code, which registers once', async () => {
    const { host, key } = await hostWithKey();
    const site = await makeSite(host, { name: 'API agent site' });
    const res = await api(`/api/v1/sites/${site.id}/agents`, { key, method: 'POST', body: { name: 'Gateway 1' } });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: { agent: Record<string, unknown>; registration_code: string; code_expires_at: string } };
    expect(data.registration_code).toMatch(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{12}$/);
    expect(data.code_expires_at).toMatch(ISO);
    expect(data.agent).toMatchObject({ name: 'Gateway 1', site_id: site.id, status: 'awaiting', code_expires_at: data.code_expires_at, registered_at: null });

    const registered = await registerAgent(db(), { code: data.registration_code, hostname: 'gw', version: '1.0.0', ip: `api-${uniqueId()}` });
    expect(registered.site_id).toBe(site.id);
    const listed = (await (await api(`/api/v1/sites/${site.id}/agents`, { key })).json()) as { data: Record<string, unknown>[] };
    expect(listed.data).toEqual([expect.objectContaining({ status: 'registered', hostname: 'gw', version: '1.0.0' })]);
    expect(JSON.stringify(listed)).not.toContain(data.registration_code);
    expect(await (await api(`/api/v1/sites/${site.id}`, { key })).json()).toMatchObject({ data: { agent_status: 'online' } });

    // No body at all is fine too.
    const bare = await api(`/api/v1/sites/${site.id}/agents`, { key, method: 'POST' });
    expect(bare.status).toBe(201);
    expect(await db().select().from(agents).where(eq(agents.siteId, site.id)).all()).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------

describe('/api/v1/miners', () => {
  it('lists units with filters, paging and their live fields', async () => {
    const { host, key } = await hostWithKey();
    const site = await makeSite(host, { name: 'API site' });
    const a = await makeMiner(host, { serial: 'API-A', site_id: site.id, nominal_hashrate_ths: '104.5', nominal_power_w: '3250', ip: '10.0.0.1' });
    const b = await makeMiner(host, { serial: 'API-B', status: 'staged' });
    const c = await makeMiner(host, { serial: 'API-C', site_id: site.id, status: 'retired' });

    const all = (await (await api('/api/v1/miners', { key })).json()) as { data: Record<string, unknown>[]; total: number; next_cursor: string | null };
    expect(all.total).toBe(3);
    expect(all.next_cursor).toBeNull();
    expect(all.data.map((m) => m.id)).toEqual([a.id, b.id, c.id]);
    expect(all.data[0]).toEqual({
      id: a.id,
      serial: 'API-A',
      mac: a.mac,
      ip: '10.0.0.1',
      vendor: null,
      model: 'Antminer S19j Pro',
      firmware: null,
      nominal_hashrate_ths: 104.5,
      nominal_power_w: 3250,
      site_id: site.id,
      site_name: 'API site',
      rack_location: null,
      status: 'unassigned',
      customer_id: null,
      customer_name: null,
      live: null,
      live_error: null,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });

    const q = async (query: string) => ((await (await api(`/api/v1/miners?${query}`, { key })).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(await q(`site=${site.id}`)).toEqual([a.id, c.id]);
    expect(await q('status=staged')).toEqual([b.id]);
    expect(await q('q=10.0.0.1')).toEqual([a.id]);
    expect(await q('sort=-serial')).toEqual([c.id, b.id, a.id]);
    expect(await q('sort=-hashrate')).toEqual([a.id, b.id, c.id]);

    const page1 = (await (await api('/api/v1/miners?limit=2', { key })).json()) as { data: { id: string }[]; next_cursor: string };
    expect(page1.data.map((m) => m.id)).toEqual([a.id, b.id]);
    const page2 = (await (await api(`/api/v1/miners?limit=2&cursor=${page1.next_cursor}`, { key })).json()) as { data: { id: string }[]; next_cursor: null };
    expect(page2.data.map((m) => m.id)).toEqual([c.id]);
    expect(page2.next_cursor).toBeNull();

    const bad = await expectError(await api('/api/v1/miners?sort=hashpower&limit=500&colour=red', { key }), 422, 'validation_failed');
    expect(Object.keys(bad.fields).sort()).toEqual(['colour', 'limit', 'sort']);
    await expectError(await api('/api/v1/miners?cursor=garbage', { key }), 422, 'validation_failed');
    await expectError(await api('/api/v1/miners'), 401, 'unauthorized');
  });

  it('creates, reads and patches a unit with the form’s rules; activity names the key', async () => {
    const { host, key } = await hostWithKey();
    const created = await api('/api/v1/miners', { key, method: 'POST', body: { mac: 'AA-BB-CC-00-11-22', model: 'S21', nominal_hashrate_ths: 200 } });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string } };
    expect(created.headers.get('Location')).toBe(`/api/v1/miners/${data.id}`);
    expect(data).toMatchObject({ mac: 'aa:bb:cc:00:11:22', serial: null, status: 'staged', nominal_hashrate_ths: 200, live: null });

    const got = await api(`/api/v1/miners/${data.id}`, { key });
    expect(await got.json()).toEqual({ data });

    const patched = await api(`/api/v1/miners/${data.id}`, { key, method: 'PATCH', body: { serial: 'S21-0001', nominal_hashrate_ths: '198.125', status: 'unassigned' } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ data: { serial: 'S21-0001', nominal_hashrate_ths: 198.125, status: 'unassigned' } });
    expect(await minerRow(data.id)).toMatchObject({ nominalHashrateMths: 198_125 });

    const refused = await expectError(await api(`/api/v1/miners/${data.id}`, { key, method: 'PATCH', body: { status: 'assigned', ip: '300.1.1.1' } }), 422, 'validation_failed');
    expect(refused.fields.status).toContain('/api/v1/customers/:id/equipment');
    expect(refused.fields.ip).toBe('Use an IPv4 address like 10.0.1.15.');
    await expectError(await api('/api/v1/miners', { key, method: 'POST', body: { model: 'no identity' } }), 422, 'validation_failed');
    await expectError(await api(`/api/v1/miners/${crypto.randomUUID()}`, { key }), 404, 'not_found');

    const entries = await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all();
    expect(entries.filter((e) => e.action.startsWith('miner.')).map((e) => [e.action, e.actorKind, e.actorLabel])).toEqual([
      ['miner.created', 'api_key', 'API key “Test key”'],
      ['miner.updated', 'api_key', 'API key “Test key”'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('/api/v1/customers/:id/equipment', () => {
  it('assigns and unassigns by miner ids, reporting what could not change', async () => {
    const { host, key } = await hostWithKey();
    const customer = await createTestCustomer(host, { name: 'API Customer' });
    const rival = await createTestCustomer(host, { name: 'API Rival' });
    const a = await makeMiner(host, { serial: 'EQ-A' });
    const b = await makeMiner(host, { serial: 'EQ-B', status: 'staged' });
    const held = await makeMiner(host, { serial: 'EQ-HELD' });
    await api(`/api/v1/customers/${rival.id}/equipment`, { key, method: 'POST', body: { miner_ids: [held.id] } });
    const missing = crypto.randomUUID();

    const res = await api(`/api/v1/customers/${customer.id}/equipment`, { key, method: 'POST', body: { miner_ids: [a.id, b.id, held.id, missing, a.id] } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      data: {
        assigned: [a.id, b.id],
        failed: [
          { id: missing, reason: 'not_found', message: 'no such unit' },
          { id: held.id, reason: 'assigned_elsewhere', message: 'assigned to another customer' },
        ],
      },
    });
    const listed = (await (await api(`/api/v1/miners?customer=${customer.id}`, { key })).json()) as { data: { id: string; status: string; customer_name: string }[] };
    expect(listed.data.map((m) => [m.id, m.status, m.customer_name])).toEqual([
      [a.id, 'assigned', 'API Customer'],
      [b.id, 'assigned', 'API Customer'],
    ]);
    const again = await api(`/api/v1/customers/${customer.id}/equipment`, { key, method: 'POST', body: { miner_ids: [a.id] } });
    expect(await again.json()).toEqual({ data: { assigned: [], failed: [{ id: a.id, reason: 'already_assigned', message: 'already assigned to this customer' }] } });

    const un = await api(`/api/v1/customers/${customer.id}/equipment`, { key, method: 'DELETE', body: { miner_ids: [a.id, held.id] } });
    expect(un.status).toBe(200);
    expect(await un.json()).toEqual({
      data: { unassigned: [a.id], failed: [{ id: held.id, reason: 'not_assigned_here', message: 'not assigned to this customer' }] },
    });
    expect(await minerRow(a.id)).toMatchObject({ status: 'unassigned', customerId: null });
    expect(await minerRow(held.id)).toMatchObject({ status: 'assigned', customerId: rival.id });
    const actions = (await customerActivity(host, customer.id)).filter((e) => e.action.startsWith('equipment.'));
    expect(actions.map((e) => [e.action, e.actorKind])).toEqual([
      ['equipment.assigned', 'api_key'],
      ['equipment.assigned', 'api_key'],
      ['equipment.unassigned', 'api_key'],
    ]);
  });

  it('validates the body', async () => {
    const { host, key } = await hostWithKey();
    const customer = await createTestCustomer(host);
    const path = `/api/v1/customers/${customer.id}/equipment`;
    expect((await expectError(await api(path, { key, method: 'POST', body: {} }), 422, 'validation_failed')).fields).toHaveProperty('miner_ids');
    expect((await expectError(await api(path, { key, method: 'POST', body: { miner_ids: [] } }), 422, 'validation_failed')).fields.miner_ids).toBe('Choose at least one unit.');
    const tooMany = Array.from({ length: 201 }, () => crypto.randomUUID());
    expect((await expectError(await api(path, { key, method: 'POST', body: { miner_ids: tooMany } }), 422, 'validation_failed')).fields.miner_ids).toContain('At most 200');
    await expectError(await api(path, { key, method: 'POST', body: { miner_ids: 'abc' } }), 422, 'validation_failed');
    await expectError(await api(path, { key, method: 'POST', rawBody: 'nope', headers: { 'Content-Type': 'application/json' } }), 400, 'bad_request');
    await expectError(await api(`/api/v1/customers/${crypto.randomUUID()}/equipment`, { key, method: 'POST', body: { miner_ids: [crypto.randomUUID()] } }), 404, 'not_found');
  });
});
