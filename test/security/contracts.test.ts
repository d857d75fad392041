import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activateContract, createContract } from '../../src/contracts/service';
import { activityLog, contractMiners, contracts, contractSites, miners } from '../../src/db/schema';
import { api, createApiKeyFor, createHost, createTestCustomer, db, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { fetchForm, makeSite } from '../helpers/equipment';
import { actorOf, customerUnit, stockUnit, TERMS } from '../helpers/contracts';

/** Everything a contract action could change for one host. */
async function stateOf(host: TestHost) {
  return {
    contracts: await db().select().from(contracts).where(eq(contracts.hostId, host.hostId)).all(),
    units: await db().select().from(contractMiners).where(eq(contractMiners.hostId, host.hostId)).all(),
    sites: await db().select().from(contractSites).where(eq(contractSites.hostId, host.hostId)).all(),
    miners: await db().select().from(miners).where(eq(miners.hostId, host.hostId)).all(),
    activity: (await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all()).length,
  };
}

/** A host with a draft lease, an active hosted contract and a draft O&M contract for one customer. */
async function fixture() {
  const host = await createHost();
  const customer = await createTestCustomer(host, { name: 'Victim Co' });
  const unit = await customerUnit(host, customer.id);
  const stock = await stockUnit(host);
  const site = await makeSite(host);
  const active = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.hostedMetered, miner_ids: [unit.id] });
  await activateContract(db(), host.hostId, actorOf(host), active.id);
  const draft = await createContract(db(), host.hostId, actorOf(host), customer.id, { ...TERMS.lease, miner_ids: [stock.id] });
  const om = await createContract(db(), host.hostId, actorOf(host), customer.id, TERMS.om);
  return { host, customer, unit, stock, site, active, draft, om };
}
type Fixture = Awaited<ReturnType<typeof fixture>>;

const FORM_TARGETS: [name: string, path: (f: Fixture) => string, fields: (f: Fixture) => Record<string, string>][] = [
  ['New Contract', (f) => `/admin/customers/${f.customer.id}/contracts`, () => ({ ...TERMS.infinity, intent: 'next' })],
  ['edit draft', (f) => `/admin/customers/${f.customer.id}/contracts/${f.draft.id}`, () => ({ ...TERMS.lease, monthly_fee: '1', intent: 'draft' })],
  ['edit active', (f) => `/admin/customers/${f.customer.id}/contracts/${f.active.id}`, () => ({ notes: 'forged' })],
  ['choose units', (f) => `/admin/customers/${f.customer.id}/contracts/${f.draft.id}/equipment`, (f) => ({ visible_ids: f.stock.id, intent: 'complete' })],
  ['choose sites', (f) => `/admin/customers/${f.customer.id}/contracts/${f.om.id}/equipment`, (f) => ({ site_ids: f.site.id, intent: 'complete' })],
  ['activate', (f) => `/admin/customers/${f.customer.id}/contracts/${f.draft.id}/activate`, () => ({})],
  ['terminate', (f) => `/admin/customers/${f.customer.id}/contracts/${f.active.id}/terminate`, () => ({ end_date: '2026-02-01', reason: 'forged' })],
  ['delete draft', (f) => `/admin/customers/${f.customer.id}/contracts/${f.draft.id}/delete`, () => ({})],
];

describe.each(FORM_TARGETS)('contract form %s', (_name, pathOf, fieldsOf) => {
  it('refuses a cross-origin post (CSRF) and changes nothing', async () => {
    const f = await fixture();
    const before = await stateOf(f.host);
    for (const htmx of [false, true]) {
      const res = await postForm(pathOf(f), fieldsOf(f), { cookie: f.host.owner.cookie, origin: 'https://evil.example', htmx });
      expect(res.status).toBe(403);
    }
    expect(await stateOf(f.host)).toEqual(before);
  });

  it('answers 404 to another host’s staff and changes nothing', async () => {
    const f = await fixture();
    const intruder = await createHost('Intruder');
    const before = await stateOf(f.host);
    const res = await postForm(pathOf(f), fieldsOf(f), { cookie: intruder.owner.cookie });
    expect(res.status).toBe(404);
    expect(await stateOf(f.host)).toEqual(before);
    expect(await stateOf(intruder)).toMatchObject({ contracts: [] });
  });

  it('sends a visitor without a session to /login and changes nothing', async () => {
    const f = await fixture();
    const before = await stateOf(f.host);
    const res = await postForm(pathOf(f), fieldsOf(f));
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toMatch(/^\/login/);
    expect(await stateOf(f.host)).toEqual(before);
  });
});

describe('contract pages across customers and hosts', () => {
  it('answers 404 for another customer’s contract under this customer’s URL, and for another host’s pages', async () => {
    const f = await fixture();
    const other = await createTestCustomer(f.host, { name: 'Other Co' });
    for (const suffix of ['', '/edit', '/equipment']) {
      expect((await getPage(`/admin/customers/${other.id}/contracts/${f.draft.id}${suffix}`, { cookie: f.host.owner.cookie })).status).toBe(404);
    }
    const before = await stateOf(f.host);
    const res = await postForm(`/admin/customers/${other.id}/contracts/${f.active.id}/terminate`, { end_date: '2026-02-01', reason: 'x' }, { cookie: f.host.owner.cookie });
    expect(res.status).toBe(404);
    expect(await stateOf(f.host)).toEqual(before);
    const intruder = await createHost('Intruder');
    for (const path of [`/admin/customers/${f.customer.id}/contracts`, `/admin/customers/${f.customer.id}/contracts/new`, `/admin/customers/${f.customer.id}/contracts/${f.active.id}`]) {
      expect((await getPage(path, { cookie: intruder.owner.cookie })).status, path).toBe(404);
    }
    expect((await getPage(`/admin/customers/${f.customer.id}/contracts`)).status).toBe(303);
  });

  it('refuses units of another customer or host, and sites of another host, in step 2', async () => {
    const f = await fixture();
    const other = await createTestCustomer(f.host, { name: 'Other Co' });
    const othersUnit = await customerUnit(f.host, other.id);
    const intruder = await createHost('Intruder');
    const foreignUnit = await stockUnit(intruder);
    const foreignSite = await makeSite(intruder);
    const hosted = await createContract(db(), f.host.hostId, actorOf(f.host), f.customer.id, TERMS.hostedSpec);
    const before = await stateOf(f.host);
    for (const [contractId, field, id] of [
      [hosted.id, 'miner_ids', othersUnit.id],
      [hosted.id, 'miner_ids', foreignUnit.id],
      [f.draft.id, 'miner_ids', foreignUnit.id],
      [f.om.id, 'site_ids', foreignSite.id],
    ] as const) {
      const body = new URLSearchParams([[field, id], ['intent', 'save']]);
      const res = await fetchForm(`/admin/customers/${f.customer.id}/contracts/${contractId}/equipment`, body, f.host.owner.cookie);
      expect(res.status, `${field} ${id}`).toBe(422);
    }
    expect(await stateOf(f.host)).toEqual(before);
  });
});

describe('the contracts API across hosts', () => {
  it('answers 401 without a key and 404 for another host’s contract or customer', async () => {
    const f = await fixture();
    const intruder = await createHost('Intruder');
    const key = await createApiKeyFor(intruder);
    expect((await api('/api/v1/contracts')).status).toBe(401);
    expect((await api('/api/v1/contracts', { method: 'POST', body: { customer_id: f.customer.id, ...TERMS.infinity } })).status).toBe(401);
    const before = await stateOf(f.host);
    expect((await api(`/api/v1/contracts/${f.active.id}`, { key })).status).toBe(404);
    expect((await api(`/api/v1/contracts/${f.draft.id}`, { key, method: 'PATCH', body: { name: 'x' } })).status).toBe(404);
    expect((await api(`/api/v1/contracts/${f.draft.id}/activate`, { key, method: 'POST' })).status).toBe(404);
    expect((await api(`/api/v1/contracts/${f.active.id}/terminate`, { key, method: 'POST', body: { end_date: '2026-02-01', reason: 'x' } })).status).toBe(404);
    expect((await api(`/api/v1/contracts/${f.draft.id}`, { key, method: 'DELETE' })).status).toBe(404);
    expect((await api('/api/v1/contracts', { key, method: 'POST', body: { customer_id: f.customer.id, ...TERMS.infinity } })).status).toBe(404);
    const list = (await (await api(`/api/v1/contracts?customer_id=${f.customer.id}`, { key })).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);
    expect(await stateOf(f.host)).toEqual(before);
  });
});

describe('HTML injection in contract text', () => {
  it('shows the name, notes and termination reason escaped on every page', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host);
    const payload = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const res = await postForm(
      `/admin/customers/${customer.id}/contracts`,
      { ...TERMS.infinity, name: payload, notes: payload, intent: 'next' },
      { cookie: host.owner.cookie },
    );
    expect(res.status).toBe(303);
    const id = /contracts\/([0-9a-f-]{36})/.exec(res.headers.get('Location')!)![1]!;
    await postForm(`/admin/customers/${customer.id}/contracts/${id}/terminate`, { end_date: '2026-02-01', reason: payload }, { cookie: host.owner.cookie });
    for (const path of [`/admin/customers/${customer.id}/contracts`, `/admin/customers/${customer.id}/contracts/${id}`, `/admin/customers/${customer.id}/activity`]) {
      const html = await (await getPage(path, { cookie: host.owner.cookie })).text();
      expect(html, path).not.toContain('<script>alert(1)');
      expect(html, path).not.toContain('<img src=x');
      expect(html, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    // Echoed back escaped in a form that failed validation, too.
    const failed = await postForm(`/admin/customers/${customer.id}/contracts`, { ...TERMS.lease, name: payload, monthly_fee: 'x', intent: 'next' }, { cookie: host.owner.cookie });
    expect(failed.status).toBe(422);
    const html = await failed.text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;script&gt;');
  });
});
