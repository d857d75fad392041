import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { generateInvoice } from '../../src/billing/invoices';
import { activityLog, invoiceLines, invoiceUnitFees, miners } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { addMember, createHost, db, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { billedCustomer, billingContract, billingUnit, unknownHours } from '../helpers/invoicing';

/** Fixed fees for units without power data (src/billing/unit-fees.ts): tenancy, sessions, CSRF, HTML injection. */

const PERIOD = '2026-03';

async function blocked(host: TestHost, serial = 'SN-BLOCKED') {
  const { customer, siteId } = await billedCustomer(host);
  const unit = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial });
  await billingContract(host, customer.id, { minerIds: [unit] });
  await unknownHours(host, unit, siteId, customer.id, 3);
  return { customer, unit };
}

const allFees = (hostId: string) => db().select().from(invoiceUnitFees).where(eq(invoiceUnitFees.hostId, hostId)).all();
const feeEntries = async (hostId: string) => (await db().select().from(activityLog).where(eq(activityLog.hostId, hostId)).all()).filter((r) => r.action.startsWith('invoice.unit_fee'));

describe('fixed fees for blocked units: security', () => {
  it('another host’s staff cannot set or remove a fee on this host’s invoice (404), and nothing is written', async () => {
    const host = await createHost();
    const { customer, unit } = await blocked(host);
    const other = await createHost();
    const set = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: unit, fee: '10' }, { cookie: other.owner.cookie });
    expect(set.status).toBe(404);
    const all = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, all_blocked: '1', fee: '10' }, { cookie: other.owner.cookie });
    expect(all.status).toBe(404);
    expect(await allFees(host.hostId)).toEqual([]);

    // A fee the owner set cannot be removed by the other host either.
    expect((await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: unit, fee: '10' }, { cookie: host.owner.cookie })).status).toBe(303);
    const removed = await postForm('/admin/invoices/unit-fees/remove', { customer_id: customer.id, period: PERIOD, miner_id: unit }, { cookie: other.owner.cookie });
    expect(removed.status).toBe(404);
    expect(await allFees(host.hostId)).toHaveLength(1);
    expect(await feeEntries(other.hostId)).toEqual([]);
    // Nor can it use its own customer to bill the first host's unit.
    const { customer: own } = await blocked(other);
    const borrowed = await postForm('/admin/invoices/unit-fees', { customer_id: own.id, period: PERIOD, miner_ids: unit, fee: '10' }, { cookie: other.owner.cookie });
    expect(borrowed.status).toBe(422);
    expect(await allFees(host.hostId)).toHaveLength(1);
    expect(await allFees(other.hostId)).toEqual([]);
  });

  it('a fee for one customer cannot take another customer’s blocked unit (422), nor remove that customer’s fee', async () => {
    const host = await createHost();
    const a = await blocked(host, 'SN-A');
    const b = await blocked(host, 'SN-B');
    const res = await postForm('/admin/invoices/unit-fees', { customer_id: a.customer.id, period: PERIOD, miner_ids: b.unit, fee: '10' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Only units listed as blocked');
    expect(await allFees(host.hostId)).toEqual([]);

    expect((await postForm('/admin/invoices/unit-fees', { customer_id: b.customer.id, period: PERIOD, miner_ids: b.unit, fee: '10' }, { cookie: host.owner.cookie })).status).toBe(303);
    const cross = await postForm('/admin/invoices/unit-fees/remove', { customer_id: a.customer.id, period: PERIOD, miner_id: b.unit }, { cookie: host.owner.cookie });
    expect(cross.status).toBe(404);
    expect((await allFees(host.hostId)).map((f) => f.customerId)).toEqual([b.customer.id]);
  });

  it('needs a session and an owner or admin; refuses cross-site posts', async () => {
    const host = await createHost();
    const { customer, unit } = await blocked(host);
    const fields = { customer_id: customer.id, period: PERIOD, miner_ids: unit, fee: '10' };
    const anonymous = await postForm('/admin/invoices/unit-fees', fields);
    expect([302, 303]).toContain(anonymous.status);
    expect(anonymous.headers.get('Location')).toContain('/login');
    const staff = await addMember(host, 'staff');
    expect((await postForm('/admin/invoices/unit-fees', fields, { cookie: staff.cookie })).status).toBe(403);
    for (const origin of ['https://evil.example', null]) {
      const forged = await postForm('/admin/invoices/unit-fees', fields, { cookie: host.owner.cookie, origin });
      expect(forged.status, String(origin)).toBe(403);
    }
    expect(await allFees(host.hostId)).toEqual([]);
    expect((await postForm('/admin/invoices/unit-fees', fields, { cookie: host.owner.cookie })).status).toBe(303);
    const forgedRemove = await postForm('/admin/invoices/unit-fees/remove', { customer_id: customer.id, period: PERIOD, miner_id: unit }, { cookie: host.owner.cookie, origin: 'https://evil.example' });
    expect(forgedRemove.status).toBe(403);
    expect((await postForm('/admin/invoices/unit-fees/remove', { customer_id: customer.id, period: PERIOD, miner_id: unit }, { cookie: staff.cookie })).status).toBe(403);
    expect(await allFees(host.hostId)).toHaveLength(1);
    // Staff who may not manage invoices see the blocked units, not the form.
    const page = await (await getPage(`/admin/invoices/new?customer_id=${customer.id}&period=${PERIOD}`, { cookie: staff.cookie })).text();
    expect(page).toContain('Units without power data');
    expect(page).not.toContain('action="/admin/invoices/unit-fees"');
  });

  it('shows every text back as text: note, unit serial and model, and a refused amount', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const host = await createHost();
    const { customer, unit } = await blocked(host, `SN-${evil}`);
    await db().update(miners).set({ model: evil }).where(eq(miners.id, unit));
    const refused = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: unit, fee: evil, note: evil }, { cookie: host.owner.cookie });
    expect(refused.status).toBe(422);
    const refusedHtml = await refused.text();
    expect(refusedHtml).not.toContain(evil);
    expect(refusedHtml).toContain('&lt;img src=x onerror=alert(1)&gt;');

    expect((await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: unit, fee: '10', note: evil }, { cookie: host.owner.cookie })).status).toBe(303);
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, PERIOD, staffActor(host.owner.session));
    const line = (await db().select().from(invoiceLines).where(eq(invoiceLines.invoiceId, invoice.id)).all()).find((l) => l.kind === 'unit_fee')!;
    expect(line.description).toContain(evil); // stored as typed, escaped when shown
    for (const path of [`/admin/invoices/new?customer_id=${customer.id}&period=${PERIOD}`, `/admin/invoices/${invoice.id}`, `/admin/invoices/${invoice.id}/print`]) {
      const html = await (await getPage(path, { cookie: host.owner.cookie })).text();
      expect(html, path).not.toContain(evil);
      expect(html, path).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
    // The evidence CSV is text/csv, and its note keeps the text as data.
    const csv = await getPage(`/admin/invoices/${invoice.id}/lines/${line.id}/evidence.csv`, { cookie: host.owner.cookie });
    expect(csv.headers.get('Content-Type')).toContain('text/csv');
  });
});
