import { describe, expect, it } from 'vitest';
import { agingBucket } from '../../src/billing/financials';
import { addCredit, recordPayment } from '../../src/billing/payments';
import { staffActor } from '../../src/hosts/service';
import { customerCredits, daysAgo, insertInvoice, today } from '../helpers/billing';
import { createHost, createTestCustomer, db, getPage, postForm } from '../helpers/fixtures';

const cell = (html: string, testId: string, bucket: string) => {
  const table = html.slice(html.indexOf(`data-testid="${testId}"`));
  const match = new RegExp(`data-bucket="${bucket}"><span class="money">([^<]+)</span>`).exec(table);
  return match?.[1];
};

describe('aging buckets', () => {
  it('counts whole days past the due date: due today is current, the day after is 1', () => {
    expect([0, -5, 1, 30, 31, 60, 61, 90, 91, 400].map(agingBucket)).toEqual([
      'current',
      'current',
      'd1_30',
      'd1_30',
      'd31_60',
      'd31_60',
      'd61_90',
      'd61_90',
      'd90_plus',
      'd90_plus',
    ]);
  });

  it('puts each open balance in its bucket on the Financials tab; paid, void and draft invoices count nothing', async () => {
    const host = await createHost('Aging Host');
    const customer = await createTestCustomer(host);
    await insertInvoice(host, customer.id, { totalMinor: 1_000, dueOn: daysAgo(-3) }); // not yet due
    await insertInvoice(host, customer.id, { totalMinor: 2_000, dueOn: today() }); // due today: current
    await insertInvoice(host, customer.id, { totalMinor: 3_000, paidMinor: 500, status: 'partially_paid', dueOn: daysAgo(1) });
    await insertInvoice(host, customer.id, { totalMinor: 4_000, status: 'overdue', dueOn: daysAgo(31) });
    await insertInvoice(host, customer.id, { totalMinor: 5_000, status: 'overdue', dueOn: daysAgo(90) });
    await insertInvoice(host, customer.id, { totalMinor: 6_000, status: 'overdue', dueOn: daysAgo(91) });
    await insertInvoice(host, customer.id, { totalMinor: 7_000, paidMinor: 7_000, status: 'paid', dueOn: daysAgo(100) });
    await insertInvoice(host, customer.id, { totalMinor: 8_000, status: 'void', dueOn: daysAgo(100) });
    await insertInvoice(host, customer.id, { totalMinor: 9_000, status: 'draft' });
    await addCredit(db(), host.hostId, staffActor(host.owner.session), customer.id, { kind: 'manual', amount: '12.34', reason: 'Goodwill' });

    const res = await getPage(`/admin/customers/${customer.id}/financials`, { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(cell(html, 'aging', 'current')).toBe('30.00 USD');
    expect(cell(html, 'aging', 'd1_30')).toBe('25.00 USD');
    expect(cell(html, 'aging', 'd31_60')).toBe('40.00 USD');
    expect(cell(html, 'aging', 'd61_90')).toBe('50.00 USD');
    expect(cell(html, 'aging', 'd90_plus')).toBe('60.00 USD');
    expect(html).toMatch(/data-testid="balance-USD"><span class="money">205\.00 USD/);
    expect(html).toMatch(/data-testid="overdue-USD"><span class="money">175\.00 USD/);
    expect(html).toMatch(/data-testid="credit-USD"><span class="money">12\.34 USD/);
    // Status in words, and invoice numbers link to the invoice page.
    for (const word of ['Issued', 'Partially paid', 'Overdue', 'Paid', 'Void', 'Draft']) expect(html).toContain(`>${word}</span>`);
    expect(html).toMatch(/href="\/admin\/invoices\/[0-9a-f-]{36}"/);
    expect(html).toContain('aria-current="page">Financials');
  });

  it('shows an empty state for a customer with no billing yet', async () => {
    const host = await createHost('Empty Host');
    const customer = await createTestCustomer(host);
    const html = await (await getPage(`/admin/customers/${customer.id}/financials`, { cookie: host.owner.cookie })).text();
    expect(html).toContain('No invoices yet');
    expect(html).toContain('No payments recorded');
    expect(html).toMatch(/data-testid="balance-USD"><span class="money">0\.00 USD/);
  });
});

describe('CSV exports', () => {
  it('exports the invoices and the payments with their allocations, exactly', async () => {
    const host = await createHost('CSV Host');
    const customer = await createTestCustomer(host);
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_050, number: 'INV-2026-0007', periodKey: '2026-10', dueOn: daysAgo(5), status: 'overdue' });
    await recordPayment(db(), host.hostId, staffActor(host.owner.session), customer.id, {
      method: 'wire',
      amount: '120.00',
      received_on: today(),
      reference: '=HYPERLINK("x")',
      notes: 'Paid, with "quotes"',
    });

    const invoicesRes = await getPage(`/admin/customers/${customer.id}/financials/invoices.csv`, { cookie: host.owner.cookie });
    expect(invoicesRes.status).toBe(200);
    expect(invoicesRes.headers.get('Content-Type')).toContain('text/csv');
    expect(invoicesRes.headers.get('Content-Disposition')).toContain('attachment');
    const invoicesCsv = (await invoicesRes.text()).split('\r\n');
    expect(invoicesCsv[0]).toBe('number,period,period_start,period_end,status,issued_on,due_on,days_past_due,currency,total,paid,balance,id');
    expect(invoicesCsv[1]).toBe(`INV-2026-0007,2026-10,2026-10-01,2026-10-28,paid,2026-10-02,${daysAgo(5)},0,USD,100.50,100.50,0.00,${invoice}`);

    const paymentsCsv = (await (await getPage(`/admin/customers/${customer.id}/financials/payments.csv`, { cookie: host.owner.cookie })).text()).split('\r\n');
    expect(paymentsCsv[0]).toBe('received_on,method,reference,currency,amount,applied_to,credit_created,notes,recorded_by,id');
    // A formula-looking reference is defused; quotes are doubled; the excess is the credit.
    expect(paymentsCsv[1]).toMatch(new RegExp(`^${today()},Wire transfer,"'=HYPERLINK\\(""x""\\)",USD,120\\.00,INV-2026-0007: 100\\.50,19\\.50,"Paid, with ""quotes""",`));
  });

  it('re-renders the credit form with field errors (422) and stores nothing', async () => {
    const host = await createHost('Credit Form Host');
    const customer = await createTestCustomer(host);
    const res = await postForm(`/admin/customers/${customer.id}/financials/credits`, { kind: 'manual', amount: '12.345', reason: '' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('id="credit-reason-error"');
    expect(html).toContain('Reason is required.');
    expect(await customerCredits(customer.id)).toEqual([]);
    const ok = await postForm(`/admin/customers/${customer.id}/financials/credits`, { kind: 'adjustment', amount: '12.34', reason: 'Meter fault' }, { cookie: host.owner.cookie });
    expect(ok.status).toBe(303);
    const page = await (await getPage(`/admin/customers/${customer.id}/financials?done=credit`, { cookie: host.owner.cookie })).text();
    expect(page).toContain('Credit added.');
    expect(page).toContain('Meter fault');
  });
});
