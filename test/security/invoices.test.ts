import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { generateInvoice, issueInvoice } from '../../src/billing/invoices';
import { invoices } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { api, createApiKeyFor, createHost, db, getPage, postForm } from '../helpers/fixtures';
import { billedCustomer, billingContract, setBilling } from '../helpers/invoicing';
import { acceptInvite, setHostSlug, staffInvite } from '../helpers/portal';

const emailEnv = { EMAIL_QUEUE: env.EMAIL_QUEUE, APP_HOST: 'hashyard.test', ENVIRONMENT: 'test' };

async function issuedInvoice(fields: { name?: string } = {}) {
  const host = await createHost();
  const { customer, units } = await billedCustomer(host, fields.name ? { name: fields.name } : {});
  await billingContract(host, customer.id, { minerIds: units, pricing: 'fixed_per_unit', kwhSource: null, monthlyFeeMinor: 5_000, name: fields.name ?? 'Hosting' });
  const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', staffActor(host.owner.session));
  await issueInvoice(db(), emailEnv, host.hostId, invoice.id, staffActor(host.owner.session));
  return { host, customer, invoice };
}

describe('invoice security', () => {
  it('another host’s staff and API key get 404 and change nothing', async () => {
    const { invoice } = await issuedInvoice();
    const other = await createHost();
    for (const path of [`/admin/invoices/${invoice.id}`, `/admin/invoices/${invoice.id}/print`]) {
      expect((await getPage(path, { cookie: other.owner.cookie })).status).toBe(404);
    }
    expect((await postForm(`/admin/invoices/${invoice.id}/void`, { reason: 'mine now' }, { cookie: other.owner.cookie })).status).toBe(404);
    const key = await createApiKeyFor(other);
    expect((await api(`/api/v1/invoices/${invoice.id}`, { key })).status).toBe(404);
    expect((await api(`/api/v1/invoices/${invoice.id}/void`, { key, method: 'POST', body: { reason: 'x x x' } })).status).toBe(404);
    const list = (await (await api('/api/v1/invoices', { key })).json()) as { data: unknown[] };
    expect(list.data).toHaveLength(0);
    expect((await db().select().from(invoices).where(eq(invoices.id, invoice.id)))[0]!.status).toBe('issued');
  });

  it('another host cannot generate for a customer that is not theirs', async () => {
    const { customer } = await issuedInvoice();
    const other = await createHost();
    const res = await postForm('/admin/invoices', { customer_id: customer.id, period: '2026-04' }, { cookie: other.owner.cookie });
    expect(res.status).toBe(422);
    expect(await db().select().from(invoices).where(eq(invoices.periodKey, '2026-04'))).toHaveLength(0);
  });

  it('a portal member never sees another customer’s invoice', async () => {
    const { host, invoice } = await issuedInvoice();
    const slug = await setHostSlug(host);
    const { customer: neighbour } = await billedCustomer(host, { name: 'Neighbour' });
    const email = `n-${neighbour.id.slice(0, 6)}@example.com`;
    const { token } = await staffInvite(host, neighbour.id, email);
    const { cookie } = await acceptInvite(`/host/${slug}`, token, email);
    expect((await getPage(`/host/${slug}/invoices/${invoice.id}`, { cookie })).status).toBe(404);
  });

  it('needs a session, and refuses cross-site form posts', async () => {
    const { host, invoice } = await issuedInvoice();
    const anonymous = await getPage(`/admin/invoices/${invoice.id}`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('Location')).toContain('/login');
    const forged = await postForm(`/admin/invoices/${invoice.id}/void`, { reason: 'forged' }, { cookie: host.owner.cookie, origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    expect((await db().select().from(invoices).where(eq(invoices.id, invoice.id)))[0]!.status).toBe('issued');
    expect((await api('/api/v1/invoices')).status).toBe(401);
  });

  it('renders every text it shows back as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const { host, invoice } = await issuedInvoice({ name: evil });
    await setBilling(host, { businessAddress: evil, remitTo: evil, invoiceFooter: evil });
    await db().update(invoices).set({ status: 'void', voidReason: evil }).where(eq(invoices.id, invoice.id));
    for (const path of [`/admin/invoices/${invoice.id}`, `/admin/invoices/${invoice.id}/print`, '/admin/invoices', `/admin/settings/billing`]) {
      const html = await (await getPage(path, { cookie: host.owner.cookie })).text();
      expect(html).not.toContain(evil);
    }
    const html = await (await getPage(`/admin/invoices/${invoice.id}`, { cookie: host.owner.cookie })).text();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
