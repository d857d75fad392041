import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, invoiceLines, invoiceUnitFees, invoices } from '../../src/db/schema';
import { api, createApiKeyFor, db } from '../helpers/fixtures';
import { blockedSetup } from '../helpers/invoicing';

/**
 * /api/v1/invoices/unit-fees: the fixed fee for units without power data (src/billing/unit-fees.ts),
 * as the invoice preview's fee section offers it on the pages (docs/API.md, "Fixed fees for
 * units without power data").
 */
const PERIOD = '2026-03';

interface FeesAnswer {
  data: {
    customer_id: string;
    period: string;
    currency: string;
    draft_invoice_id: string | null;
    blocked_units: { miner_id: string; unit: string; model: string | null; hours_without_power_data: number; contracts: string[] }[];
    unit_fees: { miner_id: string; unit: string; model: string | null; fee: { amount_minor: number; currency: string }; note: string | null; set_by: string; updated_at: string }[];
    blockers: string[];
  };
  error?: { code: string; fields?: Record<string, string> };
}

const answer = async (res: Response) => (await res.json()) as FeesAnswer;
const feeRows = (hostId: string) => db().select().from(invoiceUnitFees).where(eq(invoiceUnitFees.hostId, hostId)).all();
const feeLines = (invoiceId: string) =>
  db()
    .select()
    .from(invoiceLines)
    .where(and(eq(invoiceLines.invoiceId, invoiceId), eq(invoiceLines.kind, 'unit_fee')))
    .all();

describe('/api/v1/invoices/unit-fees', () => {
  it('lists the blocked unit, bills it a fee, changes it on the draft, and removes it', async () => {
    const { host, customer, bare } = await blockedSetup();
    const key = await createApiKeyFor(host, 'Billing robot');
    const query = `customer_id=${customer.id}&period=${PERIOD}`;

    const before = await answer(await api(`/api/v1/invoices/unit-fees?${query}`, { key }));
    expect(before.data).toMatchObject({ customer_id: customer.id, period: PERIOD, currency: 'USD', draft_invoice_id: null, unit_fees: [] });
    expect(before.data.blocked_units).toEqual([{ miner_id: bare, unit: 'SN-NO-POWER', model: 'S19 Pro', hours_without_power_data: 37, contracts: ['Hosting'] }]);
    expect(before.data.blockers.join(' ')).toContain('Unit SN-NO-POWER has 37 hours with unknown energy');

    const set = await api('/api/v1/invoices/unit-fees', { key, method: 'PUT', body: { customer_id: customer.id, period: PERIOD, miner_ids: [bare], fee: '150.00', note: 'PDU not installed yet' } });
    expect(set.status).toBe(200);
    const after = (await answer(set)).data;
    expect(after.blocked_units).toEqual([]);
    expect(after.blockers).toEqual([]);
    expect(after.unit_fees).toMatchObject([{ miner_id: bare, unit: 'SN-NO-POWER', model: 'S19 Pro', fee: { amount_minor: 15_000, currency: 'USD' }, note: 'PDU not installed yet', set_by: 'API key “Billing robot”' }]);
    expect((await feeRows(host.hostId)).map((f) => [f.minerId, f.amountMinor])).toEqual([[bare, 15_000]]);
    const logged = (await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all()).filter((a) => a.action === 'invoice.unit_fee_set');
    expect(logged.map((a) => [a.actorKind, JSON.parse(a.changes!).units])).toEqual([['api_key', [null, 'SN-NO-POWER']]]);

    // With a draft, a changed fee regenerates it in the same step: one fee line, the new amount.
    const generated = await api('/api/v1/invoices', { key, method: 'POST', body: { customer_id: customer.id, period: PERIOD } });
    const draftId = ((await generated.json()) as { data: { id: string } }).data.id;
    expect((await feeLines(draftId)).map((l) => l.amountMinor)).toEqual([15_000]);
    const changed = await api('/api/v1/invoices/unit-fees', { key, method: 'PUT', body: { customer_id: customer.id, period: PERIOD, all_blocked: false, miner_ids: [bare], fee: '90' } });
    expect(changed.status).toBe(200);
    expect((await answer(changed)).data).toMatchObject({ draft_invoice_id: draftId, unit_fees: [{ fee: { amount_minor: 9_000 }, note: null }] });
    expect((await feeLines(draftId)).map((l) => l.amountMinor)).toEqual([9_000]);
    const draft = await db().select().from(invoices).where(eq(invoices.id, draftId)).get();
    const lines = await db().select().from(invoiceLines).where(eq(invoiceLines.invoiceId, draftId)).all();
    expect(draft!.totalMinor).toBe(lines.reduce((sum, l) => sum + l.amountMinor, 0));

    const removed = await api(`/api/v1/invoices/unit-fees/${bare}?${query}`, { key, method: 'DELETE' });
    expect(removed.status).toBe(200);
    const back = (await answer(removed)).data;
    expect(back.unit_fees).toEqual([]);
    expect(back.blocked_units.map((u) => u.miner_id)).toEqual([bare]);
    expect(await feeRows(host.hostId)).toEqual([]);
    expect(await feeLines(draftId)).toEqual([]);
  });

  it('"all_blocked" bills every blocked unit the same fee', async () => {
    const { host, customer, bare } = await blockedSetup();
    const key = await createApiKeyFor(host);
    const res = await api('/api/v1/invoices/unit-fees', { key, method: 'PUT', body: { customer_id: customer.id, period: PERIOD, all_blocked: true, fee: '20' } });
    expect(res.status).toBe(200);
    expect((await answer(res)).data.unit_fees.map((f) => [f.miner_id, f.fee.amount_minor])).toEqual([[bare, 2_000]]);
  });

  it('refuses bad input with field errors (422) and writes nothing', async () => {
    const { host, customer, units } = await blockedSetup();
    const key = await createApiKeyFor(host);
    const put = (body: Record<string, unknown>) => api('/api/v1/invoices/unit-fees', { key, method: 'PUT', body });
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['customer_id', 'period']],
      [{ customer_id: customer.id, period: '2026-3', miner_ids: 'all', fee: '10' }, ['miner_ids', 'period']],
      [{ customer_id: customer.id, period: PERIOD, miner_ids: [], fee: '10' }, ['miner_ids']],
      [{ customer_id: customer.id, period: PERIOD, miner_ids: [units[0]], fee: '10' }, ['miner_ids']],
      [{ customer_id: customer.id, period: PERIOD, all_blocked: true, fee: '-5' }, ['fee']],
      [{ customer_id: customer.id, period: PERIOD, all_blocked: true, fee: '1.234' }, ['fee']],
      [{ customer_id: customer.id, period: PERIOD, all_blocked: true, fee: '10', note: 'x'.repeat(201) }, ['note']],
    ];
    for (const [body, fields] of cases) {
      const res = await put(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      const error = (await answer(res)).error!;
      expect(error.code).toBe('validation_failed');
      expect(Object.keys(error.fields!).sort(), JSON.stringify(body)).toEqual(fields);
    }
    expect((await api('/api/v1/invoices/unit-fees?period=2026-03', { key })).status).toBe(422);
    expect((await api(`/api/v1/invoices/unit-fees/${units[0]}?customer_id=${customer.id}&period=${PERIOD}`, { key, method: 'DELETE' })).status).toBe(404);
    expect((await api('/api/v1/invoices/unit-fees', { key, method: 'PUT', rawBody: 'fee=10', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(400);
    expect(await feeRows(host.hostId)).toEqual([]);
  });

  it('refuses to change the fees of an issued period (409)', async () => {
    const { host, customer, bare } = await blockedSetup();
    const key = await createApiKeyFor(host);
    const body = { customer_id: customer.id, period: PERIOD, miner_ids: [bare], fee: '10' };
    expect((await api('/api/v1/invoices/unit-fees', { key, method: 'PUT', body })).status).toBe(200);
    const generated = (await (await api('/api/v1/invoices', { key, method: 'POST', body: { customer_id: customer.id, period: PERIOD } })).json()) as { data: { id: string } };
    expect((await api(`/api/v1/invoices/${generated.data.id}/issue`, { key, method: 'POST' })).status).toBe(200);
    const refused = await api('/api/v1/invoices/unit-fees', { key, method: 'PUT', body: { ...body, fee: '99' } });
    expect(refused.status).toBe(409);
    expect((await api(`/api/v1/invoices/unit-fees/${bare}?customer_id=${customer.id}&period=${PERIOD}`, { key, method: 'DELETE' })).status).toBe(409);
    expect((await feeRows(host.hostId)).map((f) => f.amountMinor)).toEqual([1_000]);
  });
});
