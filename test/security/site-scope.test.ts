import { describe, expect, it } from 'vitest';
import { addMember, createHost, createMiner, createSite, createTestCustomer, getPage, postForm } from '../helpers/fixtures';

/** Site-scoped staff (issue 16), tested like tenant isolation: pages, htmx fragments, exports. */
describe('a technician limited to one site', () => {
  async function setup() {
    const host = await createHost();
    const north = await createSite(host, 'North Yard');
    const south = await createSite(host, 'South Yard');
    const northCustomer = await createTestCustomer(host, { name: 'Northern Hash' });
    const southCustomer = await createTestCustomer(host, { name: 'Southern Hash' });
    const northUnit = await createMiner(host, { siteId: north, customerId: northCustomer.id });
    const southUnit = await createMiner(host, { siteId: south, customerId: southCustomer.id });
    const tech = await addMember(host, 'staff', { siteIds: [north] });
    return { host, north, south, northCustomer, southCustomer, northUnit, southUnit, tech };
  }

  it('sees only that site, its units and its customers, in pages, fragments and exports', async () => {
    const s = await setup();
    const cookie = s.tech.cookie;
    const sites = await (await getPage('/admin/sites', { cookie })).text();
    expect(sites).toContain('North Yard');
    expect(sites).not.toContain('South Yard');
    expect((await getPage(`/admin/sites/${s.south}`, { cookie })).status).toBe(404);
    expect((await getPage(`/admin/sites/${s.north}`, { cookie })).status).toBe(200);

    const units = await (await getPage('/admin/equipment', { cookie })).text();
    expect(units).toContain(s.northUnit);
    expect(units).not.toContain(s.southUnit);
    const fragment = await (await getPage('/admin/equipment', { cookie, htmx: true, headers: { 'HX-Target': 'equipment-results' } })).text();
    expect(fragment).toContain(s.northUnit);
    expect(fragment).not.toContain(s.southUnit);
    const csv = await (await getPage('/admin/equipment/export.csv', { cookie })).text();
    expect(csv).toContain(s.northUnit);
    expect(csv).not.toContain(s.southUnit);
    expect((await getPage(`/admin/equipment/${s.southUnit}`, { cookie })).status).toBe(404);

    const customers = await (await getPage('/admin/customers', { cookie })).text();
    expect(customers).toContain('Northern Hash');
    expect(customers).not.toContain('Southern Hash');
    const customerCsv = await (await getPage('/admin/customers/export.csv', { cookie })).text();
    expect(customerCsv).not.toContain('Southern Hash');
    expect((await getPage(`/admin/customers/${s.southCustomer.id}`, { cookie })).status).toBe(404);
    expect((await getPage(`/admin/customers/${s.northCustomer.id}`, { cookie })).status).toBe(200);

    // The owner still sees everything.
    const all = await (await getPage('/admin/customers', { cookie: s.host.owner.cookie })).text();
    expect(all).toContain('Southern Hash');
  });

  it('cannot change another site: edit, segments, agents, new sites', async () => {
    const s = await setup();
    const admin = await addMember(s.host, 'admin', { siteIds: [s.north] });
    expect((await postForm(`/admin/sites/${s.south}`, { name: 'Taken', timezone: 'UTC' }, { cookie: admin.cookie })).status).toBe(404);
    expect((await postForm(`/admin/sites/${s.south}/agents`, { name: 'Rogue' }, { cookie: admin.cookie })).status).toBe(404);
    expect((await postForm('/admin/sites', { name: 'New site', timezone: 'UTC' }, { cookie: admin.cookie })).status).toBe(403);
    // Nor hand out wider access than their own.
    const wider = await postForm('/admin/settings/staff/invites', { email: `w-${Date.now()}@example.com`, role: 'staff', site_access: 'all' }, { cookie: admin.cookie });
    expect(wider.status).toBe(422);
  });
});
