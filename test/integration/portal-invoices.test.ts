import { describe, expect, it } from 'vitest';
import { addCredit, recordPayment } from '../../src/billing/payments';
import { staffActor } from '../../src/hosts/service';
import { daysAgo, insertInvoice, today } from '../helpers/billing';
import { portalCustomer } from '../helpers/alerts';
import { createHost, db, getPage } from '../helpers/fixtures';

describe('portal Invoices', () => {
  it("lists the customer's own invoices (never drafts) with status in words, balance, credit and payment history", async () => {
    const host = await createHost('Portal Billing Host');
    const a = await portalCustomer(host, 'Portal A');
    const b = await portalCustomer(host, 'Portal B');
    const issued = await insertInvoice(host, a.customer.id, { totalMinor: 10_000, number: 'INV-2026-0101', dueOn: daysAgo(-5) });
    const overdue = await insertInvoice(host, a.customer.id, { totalMinor: 5_000, number: 'INV-2026-0100', status: 'overdue', dueOn: daysAgo(20) });
    const voided = await insertInvoice(host, a.customer.id, { totalMinor: 7_000, number: 'INV-2026-0099', status: 'void' });
    const draft = await insertInvoice(host, a.customer.id, { totalMinor: 9_900, status: 'draft' });
    const others = await insertInvoice(host, b.customer.id, { totalMinor: 4_242, number: 'INV-2026-0777' });
    await recordPayment(db(), host.hostId, staffActor(host.owner.session), a.customer.id, { method: 'ach', amount: '20.00', received_on: today(), reference: 'ACH-555', notes: 'internal: called twice' });
    await addCredit(db(), host.hostId, staffActor(host.owner.session), a.customer.id, { kind: 'manual', amount: '7.50', reason: 'Goodwill' });

    const res = await getPage(`${a.base}/invoices`, { cookie: a.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`href="${a.base}/invoices/${issued}"`);
    expect(html).toContain(`href="${a.base}/invoices/${overdue}"`);
    expect(html).toContain(`href="${a.base}/invoices/${voided}"`);
    expect(html).not.toContain(draft);
    expect(html).not.toContain(others);
    expect(html).not.toContain('INV-2026-0777');
    for (const word of ['Issued', 'Overdue', 'Void']) expect(html).toContain(`>${word}</span>`);
    // $20 paid the overdue invoice's $50 in part (oldest first): $130 remains, $30 of it overdue.
    expect(html).toMatch(/data-testid="balance-USD"><span class="money">130\.00 USD/);
    expect(html).toMatch(/data-testid="overdue-USD"><span class="money">30\.00 USD/);
    expect(html).toMatch(/data-testid="credit-USD"><span class="money">7\.50 USD/);
    expect(html).toContain('ACH-555');
    expect(html).not.toContain('internal: called twice');
    expect(html).toContain('aria-current="page">Invoices');
  });

  it('shows an empty state before the first invoice, and staff see the same page in View Portal', async () => {
    const host = await createHost('Portal Empty Host');
    const a = await portalCustomer(host, 'Portal Empty');
    const html = await (await getPage(`${a.base}/invoices`, { cookie: a.cookie })).text();
    expect(html).toContain('No invoices yet');
    await insertInvoice(host, a.customer.id, { totalMinor: 1_234, number: 'INV-2026-0500' });
    const preview = await getPage(`/admin/customers/${a.customer.id}/portal/invoices`, { cookie: host.owner.cookie });
    expect(preview.status).toBe(200);
    const previewHtml = await preview.text();
    expect(previewHtml).toContain('INV-2026-0500');
    expect(previewHtml).toContain(`/admin/customers/${a.customer.id}/portal/invoices/`);
  });

  it('sends a visitor without a session to sign in', async () => {
    const host = await createHost('Portal Anon Host');
    const a = await portalCustomer(host, 'Portal Anon');
    const res = await getPage(`${a.base}/invoices`);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`${a.base}/auth`);
  });
});
