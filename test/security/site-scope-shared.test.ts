import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { contracts, customers } from '../../src/db/schema';
import { addMember, createContract, createHost, createMiner, createSite, createTestCustomer, db, getPage, postForm } from '../helpers/fixtures';

/** Issue 16: a site-scoped member sees a customer shared with other sites, but cannot change it. */
describe('a customer shared with a site the technician cannot see', () => {
  async function setup() {
    const host = await createHost();
    const north = await createSite(host, 'North Yard');
    const south = await createSite(host, 'South Yard');
    const shared = await createTestCustomer(host, { name: 'Shared Hash' });
    const own = await createTestCustomer(host, { name: 'Northern Only' });
    const omShared = await createTestCustomer(host, { name: 'Shared by O&M' });
    await createMiner(host, { siteId: north, customerId: shared.id });
    await createMiner(host, { siteId: south, customerId: shared.id });
    await createMiner(host, { siteId: north, customerId: own.id });
    await createMiner(host, { siteId: north, customerId: omShared.id });
    await createContract(host, omShared.id, { kind: 'om', siteIds: [south] });
    const tech = await addMember(host, 'admin', { siteIds: [north] });
    return { host, north, south, shared, own, omShared, tech };
  }

  const editForm = (name: string) => ({ name, contact_email: 'ops@acme.example' });
  const nameOf = async (id: string) => (await db().select({ name: customers.name }).from(customers).where(eq(customers.id, id)).get())!.name;

  it('is readable, but its details, team, contracts and money are refused (403) and unchanged', async () => {
    const s = await setup();
    const cookie = s.tech.cookie;
    const page = await getPage(`/admin/customers/${s.shared.id}`, { cookie });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Shared Hash');

    const edit = await postForm(`/admin/customers/${s.shared.id}`, editForm('Renamed'), { cookie });
    expect(edit.status).toBe(403);
    expect(await edit.text()).toContain('read-only for you');
    expect(await nameOf(s.shared.id)).toBe('Shared Hash');
    // The same through htmx, and on the other customer routes.
    expect((await postForm(`/admin/customers/${s.shared.id}`, editForm('Renamed'), { cookie, htmx: true })).status).toBe(403);
    expect((await postForm(`/admin/customers/${s.shared.id}/team/invites`, { email: 'x@example.com', role: 'member' }, { cookie })).status).toBe(403);
    expect((await postForm(`/admin/customers/${s.shared.id}/contracts`, { name: 'Sneaky', kind: 'hosted' }, { cookie })).status).toBe(403);
    expect((await postForm(`/admin/customers/${s.shared.id}/financials/payments`, { method: 'wire', amount: '10', received_on: '2026-01-01' }, { cookie })).status).toBe(403);
    expect(await db().select().from(contracts).where(eq(contracts.customerId, s.shared.id)).all()).toHaveLength(0);
  });

  it('an O&M contract at another site makes the customer shared too', async () => {
    const s = await setup();
    expect((await postForm(`/admin/customers/${s.omShared.id}`, editForm('Renamed'), { cookie: s.tech.cookie })).status).toBe(403);
    expect(await nameOf(s.omShared.id)).toBe('Shared by O&M');
  });

  it('a customer wholly at their sites stays editable; the owner edits the shared one', async () => {
    const s = await setup();
    expect((await postForm(`/admin/customers/${s.own.id}`, editForm('Northern Renamed'), { cookie: s.tech.cookie })).status).toBe(303);
    expect(await nameOf(s.own.id)).toBe('Northern Renamed');
    expect((await postForm(`/admin/customers/${s.shared.id}`, editForm('Owner Renamed'), { cookie: s.host.owner.cookie })).status).toBe(303);
    expect(await nameOf(s.shared.id)).toBe('Owner Renamed');
  });

  it('a customer wholly elsewhere stays a 404, and another host’s customer too', async () => {
    const s = await setup();
    const southOnly = await createTestCustomer(s.host, { name: 'Southern Only' });
    await createMiner(s.host, { siteId: s.south, customerId: southOnly.id });
    expect((await postForm(`/admin/customers/${southOnly.id}`, editForm('Taken'), { cookie: s.tech.cookie })).status).toBe(404);
    const other = await createHost('Other');
    const foreign = await createTestCustomer(other, { name: 'Foreign' });
    expect((await postForm(`/admin/customers/${foreign.id}`, editForm('Taken'), { cookie: s.tech.cookie })).status).toBe(404);
    expect(await nameOf(southOnly.id)).toBe('Southern Only');
    expect(await nameOf(foreign.id)).toBe('Foreign');
  });
});
