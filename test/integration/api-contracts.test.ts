import { describe, expect, it } from 'vitest';
import { api, createApiKeyFor, createHost, createTestCustomer } from '../helpers/fixtures';
import { makeSite } from '../helpers/equipment';
import { contractActivity, contractRow, contractsOf, customerUnit, minerRowOf, stockUnit, TERMS } from '../helpers/contracts';

async function json(res: Response) {
  return (await res.json()) as { data: Record<string, unknown> & { id: string }; next_cursor?: string | null; error?: { code: string; fields?: Record<string, string> } };
}

describe('/api/v1/contracts', () => {
  it('creates a draft with units, activates it, and shows money as minor units with the currency', async () => {
    const host = await createHost();
    const key = await createApiKeyFor(host);
    const customer = await createTestCustomer(host);
    const unit = await customerUnit(host, customer.id);
    const created = await api('/api/v1/contracts', {
      key,
      method: 'POST',
      body: { customer_id: customer.id, ...TERMS.hostedFixed, term_months: 12, monthly_fee: '180.5', setup_fee: 50, miner_ids: [unit.id] },
    });
    expect(created.status).toBe(201);
    const draft = (await json(created)).data;
    expect(created.headers.get('Location')).toBe(`/api/v1/contracts/${draft.id}`);
    expect(draft).toMatchObject({
      status: 'draft',
      kind: 'hosted',
      pricing: 'fixed_per_unit',
      monthly_fee: { amount_minor: 18_050, currency: 'USD' },
      setup_fee: { amount_minor: 5000, currency: 'USD' },
      end_date: '2026-12-31',
      miner_ids: [unit.id],
      unit_count: 1,
      monthly_value: { amount_minor: 18_050, currency: 'USD' },
    });
    const activated = await api(`/api/v1/contracts/${draft.id}/activate`, { key, method: 'POST' });
    expect(activated.status).toBe(200);
    expect((await json(activated)).data).toMatchObject({ status: 'active' });
    const again = await api(`/api/v1/contracts/${draft.id}/activate`, { key, method: 'POST' });
    expect(again.status).toBe(409);
    const entries = await contractActivity(host, 'contract.activated');
    expect(entries[0]).toMatchObject({ actorKind: 'api_key' });
  });

  it('lists with customer, status and kind filters and keyset paging', async () => {
    const host = await createHost();
    const key = await createApiKeyFor(host);
    const a = await createTestCustomer(host, { name: 'A' });
    const b = await createTestCustomer(host, { name: 'B' });
    for (const body of [
      { customer_id: a.id, ...TERMS.infinity },
      { customer_id: a.id, ...TERMS.lease },
      { customer_id: a.id, ...TERMS.om },
      { customer_id: b.id, ...TERMS.infinity },
    ]) {
      expect((await api('/api/v1/contracts', { key, method: 'POST', body })).status).toBe(201);
    }
    const ofA = (await (await api(`/api/v1/contracts?customer_id=${a.id}`, { key })).json()) as { data: { customer_id: string }[] };
    expect(ofA.data).toHaveLength(3);
    expect(ofA.data.every((c) => c.customer_id === a.id)).toBe(true);
    const infinity = (await (await api('/api/v1/contracts?kind=infinity&status=draft', { key })).json()) as { data: unknown[] };
    expect(infinity.data).toHaveLength(2);
    const first = (await (await api('/api/v1/contracts?limit=3', { key })).json()) as { data: { id: string }[]; next_cursor: string };
    expect(first.data).toHaveLength(3);
    const second = (await (await api(`/api/v1/contracts?limit=3&cursor=${first.next_cursor}`, { key })).json()) as { data: { id: string }[]; next_cursor: null };
    expect(second.data).toHaveLength(1);
    expect(second.next_cursor).toBeNull();
    expect(new Set([...first.data, ...second.data].map((c) => c.id)).size).toBe(4);
    const bad = await api('/api/v1/contracts?status=open', { key });
    expect(bad.status).toBe(422);
    expect((await json(bad)).error?.fields?.status).toBeDefined();
  });

  it('refuses bad input with field errors and stores nothing', async () => {
    const host = await createHost();
    const key = await createApiKeyFor(host);
    const customer = await createTestCustomer(host);
    const other = await createTestCustomer(host, { name: 'Other' });
    const theirs = await customerUnit(host, other.id);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...TERMS.hostedMetered, energy_rate_per_kwh: -0.1 }, 'energy_rate_per_kwh'],
      [{ ...TERMS.lease, currency: 'ZZZ' }, 'currency'],
      [{ ...TERMS.lease, end_date: '2025-06-01' }, 'end_date'],
      [{ ...TERMS.lease, term_months: 0 }, 'term_months'],
      [{ ...TERMS.lease, surprise: 1 }, 'surprise'],
      [{ ...TERMS.hostedMetered, miner_ids: [theirs.id] }, 'miner_ids'],
      [{ ...TERMS.lease, miner_ids: [theirs.id] }, 'miner_ids'],
    ];
    for (const [body, field] of cases) {
      const res = await api('/api/v1/contracts', { key, method: 'POST', body: { customer_id: customer.id, ...body } });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(Object.keys((await json(res)).error?.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    expect((await api('/api/v1/contracts', { key, method: 'POST', body: TERMS.lease })).status).toBe(422);
    expect(await contractsOf(host)).toHaveLength(0);
  });

  it('patches drafts freely and active contracts only in notes and auto-renew', async () => {
    const host = await createHost();
    const key = await createApiKeyFor(host);
    const customer = await createTestCustomer(host);
    const site = await makeSite(host);
    const { data } = await json(await api('/api/v1/contracts', { key, method: 'POST', body: { customer_id: customer.id, ...TERMS.om } }));
    const patched = await api(`/api/v1/contracts/${data.id}`, { key, method: 'PATCH', body: { monthly_fee: '15000', start_date: '2026-03-01', site_ids: [site.id] } });
    expect(patched.status).toBe(200);
    expect((await json(patched)).data).toMatchObject({ monthly_fee: { amount_minor: 1_500_000 }, end_date: '2028-02-29', site_ids: [site.id] });
    expect((await api(`/api/v1/contracts/${data.id}/activate`, { key, method: 'POST' })).status).toBe(200);
    const refused = await api(`/api/v1/contracts/${data.id}`, { key, method: 'PATCH', body: { monthly_fee: '1' } });
    expect(refused.status).toBe(422);
    expect((await contractRow(data.id))!.monthlyFeeMinor).toBe(1_500_000);
    const notes = await api(`/api/v1/contracts/${data.id}`, { key, method: 'PATCH', body: { notes: 'Quarterly review', auto_renew: true } });
    expect((await json(notes)).data).toMatchObject({ notes: 'Quarterly review', auto_renew: true });
  });

  it('extends a lease up to three times and terminates it, returning its units', async () => {
    const host = await createHost();
    const key = await createApiKeyFor(host);
    const customer = await createTestCustomer(host);
    const unit = await stockUnit(host);
    const { data } = await json(await api('/api/v1/contracts', { key, method: 'POST', body: { customer_id: customer.id, ...TERMS.lease, miner_ids: [unit.id] } }));
    await api(`/api/v1/contracts/${data.id}/activate`, { key, method: 'POST' });
    expect(await minerRowOf(unit.id)).toMatchObject({ customerId: customer.id });
    expect((await json(await api(`/api/v1/contracts/${data.id}/extend`, { key, method: 'POST' }))).data).toMatchObject({ extensions: 1, end_date: '2026-12-31' });
    expect((await json(await api(`/api/v1/contracts/${data.id}/extend`, { key, method: 'POST', body: { months: 1 } }))).data).toMatchObject({ end_date: '2027-01-31' });
    expect((await api(`/api/v1/contracts/${data.id}/extend`, { key, method: 'POST', body: { months: 0 } })).status).toBe(422);
    expect((await api(`/api/v1/contracts/${data.id}/extend`, { key, method: 'POST', body: {} })).status).toBe(200);
    const fourth = await api(`/api/v1/contracts/${data.id}/extend`, { key, method: 'POST', body: {} });
    expect(fourth.status).toBe(409);
    expect((await json(fourth)).error?.code).toBe('conflict');
    const bad = await api(`/api/v1/contracts/${data.id}/terminate`, { key, method: 'POST', body: { end_date: '2020-01-01', reason: 'x' } });
    expect(bad.status).toBe(422);
    const ended = await api(`/api/v1/contracts/${data.id}/terminate`, { key, method: 'POST', body: { end_date: '2026-02-15', reason: 'Customer left' } });
    expect((await json(ended)).data).toMatchObject({ status: 'terminated', end_date: '2026-02-15', end_reason: 'Customer left' });
    expect(await minerRowOf(unit.id)).toMatchObject({ customerId: null, status: 'unassigned' });
  });

  it('deletes drafts only', async () => {
    const host = await createHost();
    const key = await createApiKeyFor(host);
    const customer = await createTestCustomer(host);
    const { data } = await json(await api('/api/v1/contracts', { key, method: 'POST', body: { customer_id: customer.id, ...TERMS.infinity } }));
    expect((await api(`/api/v1/contracts/${data.id}`, { key, method: 'DELETE' })).status).toBe(204);
    expect((await api(`/api/v1/contracts/${data.id}`, { key })).status).toBe(404);
  });
});
