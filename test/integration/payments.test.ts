import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addCredit, applyCredit, recordPayment, takeCreditForInvoice } from '../../src/billing/payments';
import { credits, payments } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { ValidationError } from '../../src/lib/errors';
import { customerActivity, customerCredits, customerPayments, daysAgo, insertInvoice, invoiceAllocations, invoiceRow, today } from '../helpers/billing';
import { api, createApiKeyFor, createHost, createTestCustomer, db, postForm } from '../helpers/fixtures';

async function setup(currency?: string) {
  const host = await createHost('Pay Host');
  const customer = await createTestCustomer(host, currency ? { billing_currency: currency } : {});
  const actor = staffActor(host.owner.session);
  const pay = (fields: Record<string, unknown>) => recordPayment(db(), host.hostId, actor, customer.id, { method: 'wire', received_on: today(), ...fields });
  return { host, customer, actor, pay };
}

async function refused(promise: Promise<unknown>): Promise<Record<string, string>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ValidationError) return error.fields ?? {};
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('recording payments', () => {
  it('a partial payment leaves the invoice partially paid with its balance', async () => {
    const { customer, host, pay } = await setup();
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_000 });
    const result = await pay({ amount: '40.00' });
    expect(result.payment.amountMinor).toBe(4_000);
    expect(result.allocations.map((a) => [a.invoiceId, a.amountMinor])).toEqual([[invoice, 4_000]]);
    expect(result.credit).toBeNull();
    const row = await invoiceRow(invoice);
    expect(row).toMatchObject({ status: 'partially_paid', paidMinor: 4_000, paidAt: null });
    const actions = (await customerActivity(host, customer.id)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['payment.recorded', 'payment.allocated']));
  });

  it('an exact payment marks the invoice paid with paid_at', async () => {
    const { customer, host, pay } = await setup();
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 12_345, paidMinor: 2_345, status: 'partially_paid' });
    const result = await pay({ amount: '100' });
    expect(result.credit).toBeNull();
    const row = await invoiceRow(invoice);
    expect(row?.status).toBe('paid');
    expect(row?.paidMinor).toBe(12_345);
    expect(row?.paidAt).toBeTypeOf('number');
  });

  it('an over-payment pays the invoice and the excess becomes an overpayment credit', async () => {
    const { customer, host, pay } = await setup();
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_000 });
    const result = await pay({ amount: '150.25', reference: 'WIRE-77' });
    expect((await invoiceRow(invoice))?.status).toBe('paid');
    expect(result.credit).toMatchObject({ kind: 'overpayment', amountMinor: 5_025, remainingMinor: 5_025, currency: 'USD', paymentId: result.payment.id });
    const entry = (await customerActivity(host, customer.id)).find((e) => e.action === 'credit.created');
    expect(JSON.parse(entry!.changes!).amount).toEqual([null, '50.25 USD']);
  });

  it('applies oldest first by due date across open invoices, skipping drafts, void and paid ones', async () => {
    const { customer, host, pay } = await setup();
    const newer = await insertInvoice(host, customer.id, { totalMinor: 10_000, dueOn: '2026-03-15' });
    const older = await insertInvoice(host, customer.id, { totalMinor: 10_000, dueOn: '2026-02-15', status: 'overdue' });
    const draft = await insertInvoice(host, customer.id, { totalMinor: 10_000, status: 'draft' });
    const voided = await insertInvoice(host, customer.id, { totalMinor: 10_000, status: 'void', dueOn: '2026-01-01' });
    const newest = await insertInvoice(host, customer.id, { totalMinor: 10_000, dueOn: '2026-04-15' });
    const result = await pay({ amount: '150' });
    expect(result.allocations.map((a) => [a.invoiceId, a.amountMinor])).toEqual([
      [older, 10_000],
      [newer, 5_000],
    ]);
    expect((await invoiceRow(older))?.status).toBe('paid');
    expect((await invoiceRow(newer))).toMatchObject({ status: 'partially_paid', paidMinor: 5_000 });
    for (const untouched of [draft, voided, newest]) expect((await invoiceRow(untouched))?.paidMinor).toBe(0);
  });

  it('applies to the chosen invoice only; what is left becomes credit', async () => {
    const { customer, host, pay } = await setup();
    const older = await insertInvoice(host, customer.id, { totalMinor: 10_000, dueOn: '2026-02-15' });
    const chosen = await insertInvoice(host, customer.id, { totalMinor: 3_000, dueOn: '2026-03-15' });
    const result = await pay({ amount: '50', invoice_id: chosen });
    expect(result.allocations.map((a) => [a.invoiceId, a.amountMinor])).toEqual([[chosen, 3_000]]);
    expect(result.credit?.amountMinor).toBe(2_000);
    expect((await invoiceRow(older))?.paidMinor).toBe(0);
  });

  it('an overdue invoice stays overdue while a balance remains and becomes paid when cleared', async () => {
    const { customer, host, pay } = await setup();
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_000, status: 'overdue', dueOn: daysAgo(40) });
    await pay({ amount: '60' });
    expect(await invoiceRow(invoice)).toMatchObject({ status: 'overdue', paidMinor: 6_000 });
    await pay({ amount: '40' });
    expect(await invoiceRow(invoice)).toMatchObject({ status: 'paid', paidMinor: 10_000 });
  });

  it('refuses a payment in another currency than the invoice and stores nothing', async () => {
    const { customer, host, pay } = await setup();
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_000 });
    expect(await refused(pay({ amount: '100', currency: 'EUR', invoice_id: invoice }))).toHaveProperty('currency');
    expect(await refused(pay({ amount: '100', currency: 'EUR' }))).toHaveProperty('currency');
    expect(await customerPayments(customer.id)).toEqual([]);
    expect(await customerCredits(customer.id)).toEqual([]);
    expect((await invoiceRow(invoice))?.paidMinor).toBe(0);
    expect((await customerActivity(host, customer.id)).map((e) => e.action)).toEqual(['customer.created']);
  });

  it('refuses bad input with field errors: crypto without a tx id, too many decimals, drafts, void, future dates', async () => {
    const { customer, host, pay } = await setup('JPY');
    const draft = await insertInvoice(host, customer.id, { status: 'draft', currency: 'JPY' });
    const voided = await insertInvoice(host, customer.id, { status: 'void', currency: 'JPY' });
    expect(await refused(pay({ method: 'crypto', amount: '100' }))).toHaveProperty('reference');
    expect(await refused(pay({ amount: '100.5' }))).toHaveProperty('amount');
    expect(await refused(pay({ amount: '0' }))).toHaveProperty('amount');
    expect(await refused(pay({ amount: '-5' }))).toHaveProperty('amount');
    expect(await refused(pay({ amount: '100', invoice_id: draft }))).toHaveProperty('invoice_id');
    expect(await refused(pay({ amount: '100', invoice_id: voided }))).toHaveProperty('invoice_id');
    expect(await refused(pay({ amount: '100', received_on: '2999-01-01' }))).toHaveProperty('received_on');
    expect(await refused(pay({ amount: '100', received_on: '2026-02-30' }))).toHaveProperty('received_on');
    expect(await refused(pay({ amount: '100', method: 'cash' }))).toHaveProperty('method');
    expect(await customerPayments(customer.id)).toEqual([]);
  });

  it('a JPY payment with no open invoice becomes credit in yen', async () => {
    const { customer, pay } = await setup('JPY');
    const result = await pay({ amount: '5000', method: 'crypto', reference: '0xabc' });
    expect(result.payment).toMatchObject({ currency: 'JPY', amountMinor: 5_000 });
    expect(result.credit).toMatchObject({ currency: 'JPY', remainingMinor: 5_000 });
  });

  it('racing payments never over-allocate an invoice: what no longer fits becomes credit', async () => {
    const { customer, host, pay } = await setup();
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_000 });
    const results = await Promise.all([pay({ amount: '100' }), pay({ amount: '100' }), pay({ amount: '70', invoice_id: invoice }).catch(() => null)]);
    const row = await invoiceRow(invoice);
    expect(row).toMatchObject({ status: 'paid', paidMinor: 10_000 });
    const allocated = (await invoiceAllocations(invoice)).reduce((sum, a) => sum + a.amountMinor, 0);
    expect(allocated).toBe(10_000);
    const recorded = results.filter((r) => r !== null);
    const received = recorded.reduce((sum, r) => sum + r.payment.amountMinor, 0);
    const credited = (await customerCredits(customer.id)).reduce((sum, c) => sum + c.amountMinor, 0);
    // Every minor unit received is either on the invoice or in credit, never both, never lost.
    expect(allocated + credited).toBe(received);
  });
});

describe('credit', () => {
  it('adds a manual credit with a reason and applies it to an open invoice', async () => {
    const { customer, host, actor } = await setup();
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_000 });
    const credit = await addCredit(db(), host.hostId, actor, customer.id, { kind: 'manual', amount: '30', reason: 'Goodwill for the outage' });
    expect(credit).toMatchObject({ kind: 'manual', amountMinor: 3_000, remainingMinor: 3_000, reason: 'Goodwill for the outage' });
    const applied = await applyCredit(db(), host.hostId, actor, customer.id, { invoice_id: invoice });
    expect(applied.map((a) => [a.creditId, a.paymentId, a.amountMinor])).toEqual([[credit.id, null, 3_000]]);
    expect(await invoiceRow(invoice)).toMatchObject({ status: 'partially_paid', paidMinor: 3_000 });
    expect((await customerCredits(customer.id))[0]?.remainingMinor).toBe(0);
    const actions = (await customerActivity(host, customer.id)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['credit.created', 'credit.applied']));
  });

  it('applies credits oldest first, only up to the balance, and an amount cap when given', async () => {
    const { customer, host, actor, pay } = await setup();
    await pay({ amount: '20' }); // no open invoice: all credit
    await addCredit(db(), host.hostId, actor, customer.id, { kind: 'adjustment', amount: '50', reason: 'Billing error in March' });
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 6_000 });
    const capped = await applyCredit(db(), host.hostId, actor, customer.id, { invoice_id: invoice, amount: '10' });
    expect(capped.map((a) => a.amountMinor)).toEqual([1_000]);
    const rest = await applyCredit(db(), host.hostId, actor, customer.id, { invoice_id: invoice });
    expect(rest.map((a) => a.amountMinor)).toEqual([1_000, 4_000]);
    expect(await invoiceRow(invoice)).toMatchObject({ status: 'paid', paidMinor: 6_000 });
    expect((await customerCredits(customer.id)).map((c) => c.remainingMinor)).toEqual([0, 1_000]);
    expect(await refused(applyCredit(db(), host.hostId, actor, customer.id, { invoice_id: invoice }))).toHaveProperty('invoice_id');
  });

  it('requires a reason for manual credit and adjustments', async () => {
    const { customer, host, actor } = await setup();
    expect(await refused(addCredit(db(), host.hostId, actor, customer.id, { kind: 'manual', amount: '30', reason: '  ' }))).toHaveProperty('reason');
    expect(await refused(addCredit(db(), host.hostId, actor, customer.id, { kind: 'overpayment', amount: '30', reason: 'x' }))).toHaveProperty('kind');
    expect(await customerCredits(customer.id)).toEqual([]);
  });

  it('takeCreditForInvoice plans the credit line and its statements decrement the credits', async () => {
    const { customer, host, actor } = await setup();
    const first = await addCredit(db(), host.hostId, actor, customer.id, { kind: 'manual', amount: '30', reason: 'A' });
    const second = await addCredit(db(), host.hostId, actor, customer.id, { kind: 'manual', amount: '50', reason: 'B' });
    const taken = await takeCreditForInvoice(db(), host.hostId, customer.id, 'USD', 4_500, { invoiceId: 'inv-1' });
    expect(taken.amountMinor).toBe(4_500);
    expect(taken.credits).toEqual([
      { credit_id: first.id, kind: 'manual', amount_minor: 3_000 },
      { credit_id: second.id, kind: 'manual', amount_minor: 1_500 },
    ]);
    await db().batch(taken.statements as never);
    expect((await customerCredits(customer.id)).map((c) => c.remainingMinor)).toEqual([0, 3_500]);
    expect((await takeCreditForInvoice(db(), host.hostId, customer.id, 'EUR', 4_500)).amountMinor).toBe(0);
  });

  it('takeCreditForInvoice statements abort the whole batch when a credit was spent meanwhile', async () => {
    const { customer, host, actor } = await setup();
    const credit = await addCredit(db(), host.hostId, actor, customer.id, { kind: 'manual', amount: '30', reason: 'A' });
    const taken = await takeCreditForInvoice(db(), host.hostId, customer.id, 'USD', 10_000);
    await db().update(credits).set({ remainingMinor: 1_000 }).where(eq(credits.id, credit.id));
    const marker = crypto.randomUUID();
    const probe = db().insert(payments).values({ id: marker, hostId: host.hostId, customerId: customer.id, method: 'other', receivedOn: today(), amountMinor: 1, currency: 'USD', createdAt: Date.now() });
    await expect(db().batch([probe, ...taken.statements] as never)).rejects.toThrow();
    expect(await db().select().from(payments).where(eq(payments.id, marker)).get()).toBeUndefined();
    expect((await customerCredits(customer.id))[0]?.remainingMinor).toBe(1_000);
  });
});

describe('payments over HTTP', () => {
  it('records a payment from the Financials form and re-renders field errors with 422', async () => {
    const { customer, host } = await setup();
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_000 });
    const bad = await postForm(`/admin/customers/${customer.id}/financials/payments`, { method: 'crypto', amount: 'ten', received_on: today(), reference: '' }, { cookie: host.owner.cookie });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('Enter the transaction id');
    expect(html).toContain('aria-invalid="true"');
    const ok = await postForm(`/admin/customers/${customer.id}/financials/payments`, { method: 'wire', amount: '100.00', received_on: today(), reference: 'REF-1', invoice_id: '' }, { cookie: host.owner.cookie });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toContain(`/admin/customers/${customer.id}/financials`);
    expect((await invoiceRow(invoice))?.status).toBe('paid');
  });
});

describe('/api/v1/payments', () => {
  it('creates a payment with the same rules and answers money as amount_minor + currency', async () => {
    const { customer, host } = await setup();
    const key = await createApiKeyFor(host);
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_000, number: 'INV-2026-0042' });
    const res = await api('/api/v1/payments', { key, method: 'POST', body: { customer_id: customer.id, method: 'crypto', reference: '0xfeed', received_on: today(), amount_minor: 12_500, currency: 'USD' } });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({
      customer_id: customer.id,
      method: 'crypto',
      reference: '0xfeed',
      amount: { amount_minor: 12_500, currency: 'USD' },
      allocations: [{ invoice_id: invoice, invoice_number: 'INV-2026-0042', amount: { amount_minor: 10_000, currency: 'USD' } }],
      credit: { kind: 'overpayment', amount: { amount_minor: 2_500, currency: 'USD' }, remaining: { amount_minor: 2_500, currency: 'USD' } },
    });
    expect(res.headers.get('Location')).toBe(`/api/v1/payments/${data.id as string}`);
    const entry = (await customerActivity(host, customer.id)).find((e) => e.action === 'payment.recorded');
    expect(entry?.actorKind).toBe('api_key');
    const one = await api(`/api/v1/payments/${data.id as string}`, { key });
    expect(((await one.json()) as { data: { id: string } }).data.id).toBe(data.id);
  });

  it('refuses bad input with the error shape and stores nothing', async () => {
    const { customer, host } = await setup();
    const key = await createApiKeyFor(host);
    const res = await api('/api/v1/payments', { key, method: 'POST', body: { customer_id: customer.id, method: 'crypto', received_on: 'yesterday', amount_minor: 1.5, currency: 'USD', extra: 1 } });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; fields: Record<string, string> } };
    expect(body.error.code).toBe('validation_failed');
    expect(Object.keys(body.error.fields).sort()).toEqual(['amount_minor', 'extra', 'received_on']);
    const mismatch = await api('/api/v1/payments', { key, method: 'POST', body: { customer_id: customer.id, method: 'wire', received_on: today(), amount_minor: 100, currency: 'EUR' } });
    expect(mismatch.status).toBe(422);
    expect(((await mismatch.json()) as { error: { fields: Record<string, string> } }).error.fields).toHaveProperty('currency');
    expect(await customerPayments(customer.id)).toEqual([]);
  });

  it('lists payments newest first, filtered by customer, in pages', async () => {
    const { customer, host, pay } = await setup();
    const other = await createTestCustomer(host, { name: 'Other Payer' });
    const key = await createApiKeyFor(host);
    for (const amount of ['1', '2', '3']) await pay({ amount });
    await recordPayment(db(), host.hostId, staffActor(host.owner.session), other.id, { method: 'card', amount: '9', received_on: today() });
    const first = (await (await api(`/api/v1/payments?customer_id=${customer.id}&limit=2`, { key })).json()) as { data: { amount: { amount_minor: number } }[]; next_cursor: string };
    expect(first.data.map((p) => p.amount.amount_minor)).toEqual([300, 200]);
    const second = (await (await api(`/api/v1/payments?customer_id=${customer.id}&limit=2&cursor=${first.next_cursor}`, { key })).json()) as { data: { amount: { amount_minor: number } }[]; next_cursor: string | null };
    expect(second.data.map((p) => p.amount.amount_minor)).toEqual([100]);
    expect(second.next_cursor).toBeNull();
    const all = (await (await api('/api/v1/payments', { key })).json()) as { data: unknown[] };
    expect(all.data).toHaveLength(4);
    expect((await api('/api/v1/payments?limit=0', { key })).status).toBe(422);
  });
});
