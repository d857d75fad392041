import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { generateInvoice, issueInvoice } from '../../src/billing/invoices';
import { activityLog, billingSettings, invoices } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { addMember, api, createApiKeyFor, createHost, db, getPage, postForm } from '../helpers/fixtures';
import { billedCustomer, billingContract, hour, usageRows } from '../helpers/invoicing';
import { acceptInvite, setHostSlug, staffInvite } from '../helpers/portal';

const emailEnv = { EMAIL_QUEUE: env.EMAIL_QUEUE, APP_HOST: 'hashyard.test', ENVIRONMENT: 'test' };

async function invoicedCustomer() {
  const host = await createHost();
  const { customer, siteId, units } = await billedCustomer(host);
  await billingContract(host, customer.id, { minerIds: units, name: 'Rack A hosting' });
  await usageRows(host, units.map((minerId, i) => ({ minerId, siteId, customerId: customer.id, hourStart: hour('2026-03-02T00:00:00Z') + i * 3_600_000, energyWh: 3_000 })));
  return { host, customer, siteId, units };
}

describe('Settings → Billing', () => {
  it('saves the terms, logs the change, and re-renders field errors without saving', async () => {
    const host = await createHost();
    const ok = await postForm(
      '/admin/settings/billing',
      { default_currency: 'USD', timezone: 'UTC', default_energy_rate_per_kwh: '0.065', net_days: '30', billing_day: '5', invoice_prefix: 'tm', tax_enabled: 'on', tax_label: 'Sales tax', tax_rate_percent: '8.25', business_address: '1 Mine Rd', remit_to: 'Wire to …', invoice_footer: 'Thanks' },
      { cookie: host.owner.cookie },
    );
    expect(ok.status).toBe(303);
    const [row] = await db().select().from(billingSettings).where(eq(billingSettings.hostId, host.hostId));
    expect(row).toMatchObject({ defaultEnergyRateMicrosPerKwh: 65_000, netDays: 30, billingDay: 5, invoicePrefix: 'TM', taxEnabled: true, taxRateBps: 825 });
    const log = await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId));
    expect(log.some((e) => e.action === 'billing_settings.updated')).toBe(true);

    const bad = await postForm(
      '/admin/settings/billing',
      { default_currency: 'XXX', timezone: 'Mars/Base', default_energy_rate_per_kwh: '-1', net_days: '1000', billing_day: '31', invoice_prefix: 'in-v', tax_rate_percent: '8.255' },
      { cookie: host.owner.cookie },
    );
    expect(bad.status).toBe(422);
    const html = await bad.text();
    for (const field of ['default_currency', 'timezone', 'default_energy_rate_per_kwh', 'net_days', 'billing_day', 'invoice_prefix', 'tax_rate_percent']) {
      expect(html).toContain(`id="${field}-error"`);
    }
    const [after] = await db().select().from(billingSettings).where(eq(billingSettings.hostId, host.hostId));
    expect(after).toEqual(row);
  });

  it('is read-only for plain staff', async () => {
    const host = await createHost();
    const staff = await addMember(host, 'staff');
    const res = await postForm('/admin/settings/billing', { default_currency: 'USD', timezone: 'UTC', net_days: '1', billing_day: '1', invoice_prefix: 'X' }, { cookie: staff.cookie });
    expect(res.status).toBe(403);
  });
});

describe('invoice pages', () => {
  it('previews without storing, then generates, issues and prints', async () => {
    const { host, customer } = await invoicedCustomer();
    const preview = await getPage(`/admin/invoices/new?customer_id=${customer.id}&period=2026-03`, { cookie: host.owner.cookie });
    expect(preview.status).toBe(200);
    const previewHtml = await preview.text();
    expect(previewHtml).toContain('Rack A hosting');
    expect(previewHtml).toMatch(/data-testid="preview-total">0\.48 USD</); // 6 kWh x 0.08
    expect(await db().select().from(invoices).where(eq(invoices.customerId, customer.id))).toHaveLength(0);

    const generated = await postForm('/admin/invoices', { customer_id: customer.id, period: '2026-03' }, { cookie: host.owner.cookie });
    expect(generated.status).toBe(303);
    const detailPath = generated.headers.get('Location')!.split('?')[0]!;
    const [draft] = await db().select().from(invoices).where(eq(invoices.customerId, customer.id));
    expect(detailPath).toBe(`/admin/invoices/${draft!.id}`);

    const issued = await postForm(`${detailPath}/issue`, {}, { cookie: host.owner.cookie });
    expect(issued.status).toBe(303);
    const page = await (await getPage(detailPath, { cookie: host.owner.cookie })).text();
    expect(page).toMatch(/Invoice INV-\d{4}-0001/);
    expect(page).toContain('Evidence (CSV)');
    const print = await getPage(`${detailPath}/print`, { cookie: host.owner.cookie });
    expect(print.status).toBe(200);
    expect(await print.text()).not.toContain('class="sidebar"');

    const list = await (await getPage('/admin/invoices?status=issued', { cookie: host.owner.cookie })).text();
    expect(list).toContain(customer.name);
    const csv = await getPage('/admin/invoices/export.csv', { cookie: host.owner.cookie });
    expect(csv.headers.get('Content-Type')).toContain('text/csv');
    expect(await csv.text()).toMatch(/INV-\d{4}-0001/);
  });

  it('refuses a bad preview with field errors', async () => {
    const { host } = await invoicedCustomer();
    const res = await getPage('/admin/invoices/new?customer_id=nope&period=2026-13', { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('id="customer_id-error"');
    expect(html).toContain('id="period-error"');
  });

  it('voids with a reason and re-renders the reason error when missing', async () => {
    const { host, customer } = await invoicedCustomer();
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', staffActor(host.owner.session));
    await issueInvoice(db(), emailEnv, host.hostId, invoice.id, staffActor(host.owner.session));
    const missing = await postForm(`/admin/invoices/${invoice.id}/void`, { reason: '' }, { cookie: host.owner.cookie });
    expect(missing.status).toBe(422);
    expect((await db().select().from(invoices).where(eq(invoices.id, invoice.id)))[0]!.status).toBe('issued');
    const ok = await postForm(`/admin/invoices/${invoice.id}/void`, { reason: 'Billed the wrong rack' }, { cookie: host.owner.cookie });
    expect(ok.status).toBe(303);
    expect((await db().select().from(invoices).where(eq(invoices.id, invoice.id)))[0]!.status).toBe('void');
  });

  it('shows the customer their issued invoice in the portal, never a draft', async () => {
    const { host, customer } = await invoicedCustomer();
    const slug = await setHostSlug(host);
    const { token } = await staffInvite(host, customer.id, `member-${customer.id.slice(0, 6)}@example.com`);
    const { cookie } = await acceptInvite(`/host/${slug}`, token, `member-${customer.id.slice(0, 6)}@example.com`);
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', staffActor(host.owner.session));
    expect((await getPage(`/host/${slug}/invoices/${invoice.id}`, { cookie })).status).toBe(404);
    await issueInvoice(db(), emailEnv, host.hostId, invoice.id, staffActor(host.owner.session));
    const res = await getPage(`/host/${slug}/invoices/${invoice.id}`, { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/Invoice INV-\d{4}-0001/);
    expect(html).toContain(`/host/${slug}/invoices/${invoice.id}/lines/`);
  });
});

describe('/api/v1/invoices', () => {
  it('generates, lists, gets with lines, issues and voids, with money as minor units', async () => {
    const { host, customer } = await invoicedCustomer();
    const key = await createApiKeyFor(host);
    const created = await api('/api/v1/invoices', { key, method: 'POST', body: { customer_id: customer.id, period: '2026-03' } });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string; total: { amount_minor: number; currency: string }; lines: { energy_wh: number; amount: { amount_minor: number } }[] } };
    expect(data.total).toEqual({ amount_minor: 48, currency: 'USD' });
    expect(data.lines[0]).toMatchObject({ energy_wh: 6000, amount: { amount_minor: 48, currency: 'USD' } });

    const again = await api('/api/v1/invoices', { key, method: 'POST', body: { customer_id: customer.id, period: '2026-03' } });
    expect(again.status).toBe(200);

    expect(((await again.json()) as { data: { id: string } }).data.id).toBe(data.id);
    const issued = await api(`/api/v1/invoices/${data.id}/issue`, { key, method: 'POST' });
    expect(issued.status).toBe(200);
    expect(((await issued.json()) as { data: { status: string } }).data.status).toBe('issued');

    const list = (await (await api(`/api/v1/invoices?customer_id=${customer.id}&status=issued`, { key })).json()) as { data: { id: string }[] };
    expect(list.data.map((i) => i.id)).toEqual([data.id]);

    const badVoid = await api(`/api/v1/invoices/${data.id}/void`, { key, method: 'POST', body: {} });
    expect(badVoid.status).toBe(422);
    expect(((await badVoid.json()) as { error: { fields: Record<string, string> } }).error.fields.reason).toBeTruthy();
    const voided = await api(`/api/v1/invoices/${data.id}/void`, { key, method: 'POST', body: { reason: 'duplicate' } });
    expect(((await voided.json()) as { data: { status: string } }).data.status).toBe('void');
  });

  it('answers bad filters and bodies with field errors', async () => {
    const { host } = await invoicedCustomer();
    const key = await createApiKeyFor(host);
    const res = await api('/api/v1/invoices?status=unpaid&period=2026-3', { key });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; fields: Record<string, string> } };
    expect(body.error.code).toBe('validation_failed');
    expect(Object.keys(body.error.fields).sort()).toEqual(['period', 'status']);
    const post = await api('/api/v1/invoices', { key, method: 'POST', body: { period: 'March' } });
    expect(post.status).toBe(422);
  });
});
