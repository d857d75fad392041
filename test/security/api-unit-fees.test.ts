import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, invoiceUnitFees } from '../../src/db/schema';
import { api, createApiKeyFor, createHost, db, getPage } from '../helpers/fixtures';
import { blockedSetup } from '../helpers/invoicing';

/** /api/v1/invoices/unit-fees (docs/API.md, "Fixed fees for units without power data"): keys, tenancy, and a note shown back on the pages. */
const PERIOD = '2026-03';
const allFees = (hostId: string) => db().select().from(invoiceUnitFees).where(eq(invoiceUnitFees.hostId, hostId)).all();

describe('/api/v1/invoices/unit-fees: security', () => {
  it('needs an API key: 401 for none or a wrong one, and nothing is written', async () => {
    const { host, customer, bare } = await blockedSetup();
    const query = `customer_id=${customer.id}&period=${PERIOD}`;
    for (const key of [undefined, 'hy_live_not-a-real-key']) {
      expect((await api(`/api/v1/invoices/unit-fees?${query}`, { key })).status).toBe(401);
      expect((await api('/api/v1/invoices/unit-fees', { key, method: 'PUT', body: { customer_id: customer.id, period: PERIOD, miner_ids: [bare], fee: '10' } })).status).toBe(401);
      expect((await api(`/api/v1/invoices/unit-fees/${bare}?${query}`, { key, method: 'DELETE' })).status).toBe(401);
    }
    expect(await allFees(host.hostId)).toEqual([]);
  });

  it('another host’s key cannot read, set or remove this host’s fees (404), nor bill this host’s unit to its own customer (422)', async () => {
    const { host, customer, bare } = await blockedSetup();
    const ownKey = await createApiKeyFor(host);
    const other = await blockedSetup();
    const otherKey = await createApiKeyFor(other.host);
    const query = `customer_id=${customer.id}&period=${PERIOD}`;

    const read = await api(`/api/v1/invoices/unit-fees?${query}`, { key: otherKey });
    expect(read.status).toBe(404);
    expect(await read.text()).not.toContain(bare);
    expect((await api('/api/v1/invoices/unit-fees', { key: otherKey, method: 'PUT', body: { customer_id: customer.id, period: PERIOD, all_blocked: true, fee: '10' } })).status).toBe(404);
    expect(await allFees(host.hostId)).toEqual([]);

    expect((await api('/api/v1/invoices/unit-fees', { key: ownKey, method: 'PUT', body: { customer_id: customer.id, period: PERIOD, miner_ids: [bare], fee: '10' } })).status).toBe(200);
    expect((await api(`/api/v1/invoices/unit-fees/${bare}?${query}`, { key: otherKey, method: 'DELETE' })).status).toBe(404);
    expect(await allFees(host.hostId)).toHaveLength(1);

    const borrowed = await api('/api/v1/invoices/unit-fees', { key: otherKey, method: 'PUT', body: { customer_id: other.customer.id, period: PERIOD, miner_ids: [bare], fee: '10' } });
    expect(borrowed.status).toBe(422);
    expect(await allFees(other.host.hostId)).toEqual([]);
    const entries = await db().select().from(activityLog).where(eq(activityLog.hostId, other.host.hostId)).all();
    expect(entries.filter((e) => e.action.startsWith('invoice.unit_fee'))).toEqual([]);
  });

  it('a note with markup comes back as plain JSON text and is escaped where the pages show it', async () => {
    const { host, customer, bare } = await blockedSetup();
    const key = await createApiKeyFor(host);
    const note = '<img src=x onerror=alert(1)>"&';
    const res = await api('/api/v1/invoices/unit-fees', { key, method: 'PUT', body: { customer_id: customer.id, period: PERIOD, miner_ids: [bare], fee: '10', note } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('application/json');
    expect(((await res.json()) as { data: { unit_fees: { note: string }[] } }).data.unit_fees[0]!.note).toBe(note);
    const page = await (await getPage(`/admin/invoices/new?customer_id=${customer.id}&period=${PERIOD}`, { cookie: host.owner.cookie })).text();
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('a host without the customer at all answers 404 whatever the period', async () => {
    const host = await createHost();
    const key = await createApiKeyFor(host);
    expect((await api(`/api/v1/invoices/unit-fees?customer_id=${crypto.randomUUID()}&period=${PERIOD}`, { key })).status).toBe(404);
  });
});
