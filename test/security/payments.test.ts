import { describe, expect, it } from 'vitest';
import { addCredit, recordPayment } from '../../src/billing/payments';
import { staffActor } from '../../src/hosts/service';
import { customerActivity, customerCredits, customerPayments, insertInvoice, invoiceRow, today } from '../helpers/billing';
import { portalCustomer } from '../helpers/alerts';
import { api, createApiKeyFor, createHost, createTestCustomer, db, getPage, postForm } from '../helpers/fixtures';

const XSS = '<script>alert("pay")</script><img src=x onerror=alert(1)>';
const ESCAPED = '&lt;script&gt;alert(&quot;pay&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;';

/** Two hosts; host B's customer has an invoice, a payment and a credit worth stealing. */
async function twoHosts() {
  const a = await createHost('Pay Host A');
  const b = await createHost('Pay Host B');
  const aCustomer = await createTestCustomer(a, { name: 'A Payer' });
  const bCustomer = await createTestCustomer(b, { name: 'B Secret Payer' });
  const bInvoice = await insertInvoice(b, bCustomer.id, { totalMinor: 10_000, number: 'INV-B-SECRET' });
  const bPayment = await recordPayment(db(), b.hostId, staffActor(b.owner.session), bCustomer.id, { method: 'wire', amount: '40', received_on: today(), reference: 'B-SECRET-REF' });
  await addCredit(db(), b.hostId, staffActor(b.owner.session), bCustomer.id, { kind: 'manual', amount: '5', reason: 'B secret reason' });
  const snapshot = async () => ({
    invoice: await invoiceRow(bInvoice),
    payments: await customerPayments(bCustomer.id),
    credits: await customerCredits(bCustomer.id),
    activity: (await customerActivity(b, bCustomer.id)).length,
  });
  return { a, b, aCustomer, bCustomer, bInvoice, bPayment, before: await snapshot(), snapshot };
}

describe('payments never cross hosts', () => {
  it('answers 404 to every Financials page and CSV of another host’s customer', async () => {
    const { a, bCustomer } = await twoHosts();
    for (const path of ['', '/invoices.csv', '/payments.csv']) {
      const res = await getPage(`/admin/customers/${bCustomer.id}/financials${path}`, { cookie: a.owner.cookie });
      expect(res.status, path).toBe(404);
      const body = await res.text();
      expect(body).not.toContain('INV-B-SECRET');
      expect(body).not.toContain('B-SECRET-REF');
      expect(body).not.toContain('B Secret Payer');
    }
  });

  it('answers 404 to payment, credit and apply-credit posts for another host’s customer, and changes nothing', async () => {
    const { a, bCustomer, bInvoice, before, snapshot } = await twoHosts();
    const posts: [string, Record<string, string>][] = [
      ['payments', { method: 'wire', amount: '100', received_on: today(), invoice_id: bInvoice }],
      ['credits', { kind: 'manual', amount: '1000', reason: 'steal' }],
      ['apply-credit', { invoice_id: bInvoice }],
    ];
    for (const [action, fields] of posts) {
      const res = await postForm(`/admin/customers/${bCustomer.id}/financials/${action}`, fields, { cookie: a.owner.cookie });
      expect(res.status, action).toBe(404);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses another host’s invoice on one’s own customer (422) and stores nothing', async () => {
    const { a, aCustomer, bInvoice, before, snapshot } = await twoHosts();
    const res = await postForm(`/admin/customers/${aCustomer.id}/financials/payments`, { method: 'wire', amount: '100', received_on: today(), invoice_id: bInvoice }, { cookie: a.owner.cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).not.toContain('INV-B-SECRET');
    expect(await customerPayments(aCustomer.id)).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('the API never reads or writes another host’s payments', async () => {
    const { a, bCustomer, bInvoice, bPayment, before, snapshot } = await twoHosts();
    const key = await createApiKeyFor(a);
    expect((await api(`/api/v1/payments/${bPayment.payment.id}`, { key })).status).toBe(404);
    expect((await api(`/api/v1/payments?customer_id=${bCustomer.id}`, { key })).status).toBe(404);
    const list = (await (await api('/api/v1/payments', { key })).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);
    const create = await api('/api/v1/payments', { key, method: 'POST', body: { customer_id: bCustomer.id, method: 'wire', received_on: today(), amount_minor: 100, currency: 'USD', invoice_id: bInvoice } });
    expect(create.status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });
});

describe('payments never cross customers of one host', () => {
  it('refuses a payment or a credit application on another customer’s invoice', async () => {
    const host = await createHost('Two Customers');
    const one = await createTestCustomer(host, { name: 'One' });
    const two = await createTestCustomer(host, { name: 'Two' });
    const twoInvoice = await insertInvoice(host, two.id, { totalMinor: 10_000 });
    await addCredit(db(), host.hostId, staffActor(host.owner.session), one.id, { kind: 'manual', amount: '50', reason: 'One’s credit' });
    const pay = await postForm(`/admin/customers/${one.id}/financials/payments`, { method: 'wire', amount: '100', received_on: today(), invoice_id: twoInvoice }, { cookie: host.owner.cookie });
    expect(pay.status).toBe(422);
    const apply = await postForm(`/admin/customers/${one.id}/financials/apply-credit`, { invoice_id: twoInvoice }, { cookie: host.owner.cookie });
    expect(apply.status).toBe(422);
    expect(await invoiceRow(twoInvoice)).toMatchObject({ paidMinor: 0, status: 'issued' });
    expect(await customerPayments(one.id)).toEqual([]);
    expect((await customerCredits(one.id))[0]?.remainingMinor).toBe(5_000);
  });

  it('a portal member sees only their own customer’s invoices and payments', async () => {
    const host = await createHost('Portal Split');
    const mine = await portalCustomer(host, 'Mine');
    const theirs = await portalCustomer(host, 'Theirs');
    await insertInvoice(host, theirs.customer.id, { totalMinor: 4_321, number: 'INV-THEIRS-1' });
    await recordPayment(db(), host.hostId, staffActor(host.owner.session), theirs.customer.id, { method: 'wire', amount: '1', received_on: today(), reference: 'THEIR-REF' });
    const html = await (await getPage(`${mine.base}/invoices`, { cookie: mine.cookie })).text();
    expect(html).not.toContain('INV-THEIRS-1');
    expect(html).not.toContain('THEIR-REF');
    expect(html).toContain('No invoices yet');
    // Another host's portal session is not a session here.
    const elsewhere = await createHost('Portal Elsewhere');
    const stranger = await portalCustomer(elsewhere, 'Stranger');
    const res = await getPage(`${mine.base}/invoices`, { cookie: stranger.cookie });
    expect(res.status).toBe(303);
  });
});

describe('sessions and CSRF', () => {
  it('redirects to /login without a session and writes nothing; the API answers 401', async () => {
    const host = await createHost('No Session Host');
    const customer = await createTestCustomer(host);
    for (const path of ['/admin/dashboard', `/admin/customers/${customer.id}/financials`, `/admin/customers/${customer.id}/financials/payments.csv`]) {
      const res = await getPage(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('Location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    const post = await postForm(`/admin/customers/${customer.id}/financials/payments`, { method: 'wire', amount: '100', received_on: today() });
    expect(post.status).toBe(303);
    expect(post.headers.get('Location')).toContain('/login');
    expect((await api('/api/v1/payments')).status).toBe(401);
    expect((await api('/api/v1/payments', { method: 'POST', body: { customer_id: customer.id } })).status).toBe(401);
    expect(await customerPayments(customer.id)).toEqual([]);
  });

  it('refuses cross-origin posts to every Financials action with 403 and changes nothing', async () => {
    const host = await createHost('CSRF Pay Host');
    const customer = await createTestCustomer(host);
    const invoice = await insertInvoice(host, customer.id, { totalMinor: 10_000 });
    await addCredit(db(), host.hostId, staffActor(host.owner.session), customer.id, { kind: 'manual', amount: '5', reason: 'x' });
    const posts: [string, Record<string, string>][] = [
      ['payments', { method: 'wire', amount: '100', received_on: today() }],
      ['credits', { kind: 'manual', amount: '100', reason: 'forged' }],
      ['apply-credit', { invoice_id: invoice }],
    ];
    for (const [action, fields] of posts) {
      for (const origin of ['https://evil.example', 'null']) {
        const res = await postForm(`/admin/customers/${customer.id}/financials/${action}`, fields, { cookie: host.owner.cookie, origin, headers: { 'Sec-Fetch-Site': 'cross-site' } });
        expect(res.status, `${action} from ${origin}`).toBe(403);
      }
    }
    expect(await customerPayments(customer.id)).toEqual([]);
    expect((await customerCredits(customer.id)).map((c) => c.remainingMinor)).toEqual([500]);
    expect((await invoiceRow(invoice))?.paidMinor).toBe(0);
  });
});

describe('HTML injection', () => {
  it('renders reference, notes, reason and names escaped on Financials, the portal and the dashboard', async () => {
    const host = await createHost('XSS Pay Host');
    const portal = await portalCustomer(host, XSS);
    await insertInvoice(host, portal.customer.id, { totalMinor: 10_000, number: 'INV-XSS-1' });
    const form = await postForm(
      `/admin/customers/${portal.customer.id}/financials/payments`,
      { method: 'crypto', amount: '20', received_on: today(), reference: XSS, notes: XSS },
      { cookie: host.owner.cookie },
    );
    expect(form.status).toBe(303);
    expect((await postForm(`/admin/customers/${portal.customer.id}/financials/credits`, { kind: 'adjustment', amount: '1', reason: XSS }, { cookie: host.owner.cookie })).status).toBe(303);
    // A rejected form echoes what was typed, escaped.
    const rejected = await postForm(`/admin/customers/${portal.customer.id}/financials/payments`, { method: 'wire', amount: 'x', received_on: today(), reference: XSS, notes: XSS }, { cookie: host.owner.cookie });
    expect(rejected.status).toBe(422);

    const pages = [
      await rejected.text(),
      await (await getPage(`/admin/customers/${portal.customer.id}/financials`, { cookie: host.owner.cookie })).text(),
      await (await getPage(`/admin/customers/${portal.customer.id}/activity`, { cookie: host.owner.cookie })).text(),
      await (await getPage(`${portal.base}/invoices`, { cookie: portal.cookie })).text(),
      await (await getPage('/admin/dashboard', { cookie: host.owner.cookie })).text(),
    ];
    for (const html of pages) {
      expect(html).not.toContain('<script>alert("pay")');
      expect(html).not.toContain('<img src=x onerror');
      expect(html).toContain(ESCAPED);
    }
  });
});
