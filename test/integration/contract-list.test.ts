import { describe, expect, it } from 'vitest';
import { createHost, createTestCustomer, getPage, uniqueId } from '../helpers/fixtures';
import { billingContract } from '../helpers/invoicing';

// Host OS → Contracts (/admin/contracts): the host-wide list, its filters and its CSV.

async function hostWithContracts() {
  const host = await createHost();
  const alice = await createTestCustomer(host, { name: `Alice ${uniqueId()}` });
  const bob = await createTestCustomer(host, { name: `<b>Bob</b> ${uniqueId()}` });
  const hosting = await billingContract(host, alice.id, { name: 'Row A hosting' });
  const lease = await billingContract(host, bob.id, { kind: 'lease', pricing: null, kwhSource: null, monthlyFeeMinor: 25_000, name: '<script>alert(1)</script> lease' });
  const draft = await billingContract(host, alice.id, { status: 'draft', name: 'Draft proposal' });
  return { host, alice, bob, hosting, lease, draft };
}

describe('Host OS → Contracts', () => {
  it('lists every contract of the host with its customer, never another host’s, names escaped', async () => {
    const { host, alice, hosting, lease, draft } = await hostWithContracts();
    const other = await hostWithContracts();
    const html = await (await getPage('/admin/contracts', { cookie: host.owner.cookie })).text();
    for (const id of [hosting, lease, draft]) expect(html).toContain(`data-contract-id="${id}"`);
    for (const id of [other.hosting, other.lease, other.draft]) expect(html).not.toContain(id);
    expect(html).toContain(`/admin/customers/${alice.id}/contracts/${hosting}`);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; lease');
    expect(html).not.toContain('<b>Bob</b>');
  });

  it('filters by status, type and customer (the Dashboard links to the active ones)', async () => {
    const { host, alice, hosting, lease, draft } = await hostWithContracts();
    const active = await (await getPage('/admin/contracts?status=active', { cookie: host.owner.cookie })).text();
    expect(active).toContain(hosting);
    expect(active).toContain(lease);
    expect(active).not.toContain(`data-contract-id="${draft}"`);
    const leases = await (await getPage('/admin/contracts?kind=lease', { cookie: host.owner.cookie })).text();
    expect(leases).toContain(lease);
    expect(leases).not.toContain(`data-contract-id="${hosting}"`);
    const alices = await (await getPage(`/admin/contracts?customer=${alice.id}`, { cookie: host.owner.cookie, htmx: true, headers: { 'HX-Target': 'contract-results' } })).text();
    expect(alices).not.toContain('<html');
    expect(alices).toContain(hosting);
    expect(alices).not.toContain(`data-contract-id="${lease}"`);
  });

  it('exports the filtered list as CSV, scoped to the host', async () => {
    const { host, hosting, lease, draft } = await hostWithContracts();
    const other = await hostWithContracts();
    const res = await getPage('/admin/contracts/export.csv?status=active', { cookie: host.owner.cookie });
    expect(res.headers.get('Content-Type')).toContain('text/csv');
    const csv = await res.text();
    expect(csv.split('\r\n')[0]).toBe('contract_id,name,customer,type,status,equipment,start_date,end_date,currency,monthly_value');
    expect(csv).toContain(hosting);
    expect(csv).toContain(lease);
    expect(csv).not.toContain(draft);
    expect(csv).not.toContain(other.hosting);
  });

  it('asks for a session', async () => {
    const res = await getPage('/admin/contracts');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toContain('/login');
  });
});
