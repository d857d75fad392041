import { SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, contracts, customers, invites, quoteLines, quotes } from '../../src/db/schema';
import { api, createApiKeyFor, createHost, db, getPage, postForm, type TestHost } from '../helpers/fixtures';
import { addActiveDomain, latestEmail, setHostSlug, tokenOf } from '../helpers/portal';
import { publishDocument } from '../helpers/legal';
import { expireQuotes } from '../../src/quotes/service';

const future = () => new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);

function quoteForm(fields: Record<string, string> = {}) {
  return {
    prospect_name: 'Dana Prospect',
    prospect_company: 'Prospect Mining LLC',
    prospect_email: `dana-${crypto.randomUUID().slice(0, 8)}@prospect.example`,
    prospect_phone: '+1 512 555 0100',
    kind: 'hosted',
    pricing: 'per_kwh',
    currency: 'USD',
    rate: '0.065',
    term_months: '12',
    setup_fee: '500',
    deposit: '2000',
    valid_until: future(),
    notes: 'Includes 24/7 remote hands.',
    line1_description: 'Antminer S21',
    line1_units: '10',
    line1_ths: '200',
    line1_power_w: '3500',
    ...fields,
  };
}

async function newQuote(host: TestHost, fields: Record<string, string> = {}) {
  const form = quoteForm(fields);
  const res = await postForm('/admin/quotes', form, { cookie: host.owner.cookie });
  expect(res.status).toBe(303);
  const id = res.headers.get('Location')!.match(/quotes\/([0-9a-f-]{36})/)![1]!;
  return { id, email: form.prospect_email };
}

async function sentQuote(host: TestHost, fields: Record<string, string> = {}) {
  const { id, email } = await newQuote(host, fields);
  expect((await postForm(`/admin/quotes/${id}/send`, {}, { cookie: host.owner.cookie })).status).toBe(303);
  const mail = await latestEmail(email, 'quote');
  return { id, email, url: mail.data.quoteUrl!, token: tokenOf(mail.data.quoteUrl!) };
}

const quoteRow = (id: string) => db().select().from(quotes).where(eq(quotes.id, id)).get();

describe('the quote builder', () => {
  it('computes the monthly estimate exactly (units × power × 730 h × rate) and re-renders bad input with field errors', async () => {
    const host = await createHost('Quote Host');
    const { id } = await newQuote(host);
    const row = await quoteRow(id);
    // 10 × 3500 W × 730 h = 25,550 kWh × 0.065 = 1,660.75
    expect(row!.monthlyEstimateMinor).toBe(166_075);
    expect(row!.status).toBe('draft');
    const page = await (await getPage(`/admin/quotes/${id}`, { cookie: host.owner.cookie })).text();
    expect(page).toContain('1,660.75');
    expect(page).toContain('Q-0001');

    const bad = await postForm('/admin/quotes', quoteForm({ prospect_email: 'nope', rate: 'abc', valid_until: '2020-01-01', line1_units: '0' }), { cookie: host.owner.cookie });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('valid email');
    expect(html).toContain('rate per kWh');
    expect(html).toContain('today or later');
    expect((await db().select().from(quotes).where(eq(quotes.hostId, host.hostId)).all()).length).toBe(1);
  });

  it('sends a branded link, marks the quote viewed on first open, and tells the host', async () => {
    const host = await createHost('Send Host');
    const slug = await setHostSlug(host);
    const { id, url, token } = await sentQuote(host);
    expect(url).toBe(`https://hashyard.test/host/${slug}/quote/${token}`);
    expect((await quoteRow(id))!.tokenHash).not.toContain(token);
    const page = await getPage(`/host/${slug}/quote/${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('1,660.75');
    expect((await quoteRow(id))!.status).toBe('viewed');
    const notice = await latestEmail(host.owner.email, 'quote_event');
    expect(notice.data.event).toBe('viewed');
  });

  it('accepting creates exactly one customer, one draft contract and one invite, even when submitted twice at once', async () => {
    const host = await createHost('Race Host');
    const slug = await setHostSlug(host);
    await publishDocument(host, { title: 'Hosting Agreement', body: 'Terms.' });
    const { id, email, token } = await sentQuote(host);
    const base = `/host/${slug}/quote/${token}`;
    // The required agreement's checkbox.
    expect((await postForm(`${base}/accept`, { name: 'Dana', title: 'CEO' })).status).toBe(422);

    const [a, b] = await Promise.all([
      postForm(`${base}/accept`, { name: 'Dana', title: 'CEO', agree: 'on' }, { headers: { 'CF-Connecting-IP': '203.0.113.9' } }),
      postForm(`${base}/accept`, { name: 'Dana', title: 'CEO', agree: 'on' }, { headers: { 'CF-Connecting-IP': '203.0.113.9' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([303, 409]);
    const made = await db().select().from(customers).where(and(eq(customers.hostId, host.hostId), eq(customers.contactEmail, email))).all();
    expect(made).toHaveLength(1);
    expect(made[0]!.name).toBe('Prospect Mining LLC');
    expect(made[0]!.billingCurrency).toBe('USD');
    const drafts = await db().select().from(contracts).where(eq(contracts.customerId, made[0]!.id)).all();
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({ status: 'draft', kind: 'hosted', pricing: 'per_kwh', energyRateMicrosPerKwh: 65_000, termMonths: 12, setupFeeMinor: 50_000, depositMinor: 200_000 });
    expect(await db().select().from(invites).where(eq(invites.customerId, made[0]!.id)).all()).toHaveLength(1);
    const quote = await quoteRow(id);
    expect(quote).toMatchObject({ status: 'accepted', customerId: made[0]!.id, contractId: drafts[0]!.id, acceptedByName: 'Dana', acceptedIp: '203.0.113.9' });
    expect(JSON.parse(quote!.acceptedAgreements!)[0].title).toBe('Hosting Agreement');
    const invite = await latestEmail(email, 'invite');
    expect(invite.data.acceptUrl).toContain(`/host/${slug}/auth/invite/`);
    expect((await latestEmail(host.owner.email, 'quote_event')).data.event).toBe('accepted');
    // A third try, later: still refused, nothing more made.
    expect((await postForm(`${base}/accept`, { name: 'Dana', agree: 'on' })).status).toBe(409);
    expect(await db().select().from(customers).where(and(eq(customers.hostId, host.hostId), eq(customers.contactEmail, email))).all()).toHaveLength(1);
  });

  it('refuses expired and declined quotes', async () => {
    const host = await createHost('Expire Host');
    const slug = await setHostSlug(host);
    const expired = await sentQuote(host);
    await db().update(quotes).set({ validUntil: '2020-01-01' }).where(eq(quotes.id, expired.id));
    const res = await postForm(`/host/${slug}/quote/${expired.token}/accept`, { name: 'Late' });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('expired');
    // The cron writes what the pages already read.
    await expireQuotes(db());
    expect((await quoteRow(expired.id))!.status).toBe('expired');

    const declined = await sentQuote(host);
    const decline = await postForm(`/host/${slug}/quote/${declined.token}/decline`, { reason: 'Too expensive' });
    expect(decline.status).toBe(303);
    expect((await quoteRow(declined.id))).toMatchObject({ status: 'declined', declineReason: 'Too expensive' });
    expect((await latestEmail(host.owner.email, 'quote_event')).data.event).toBe('declined');
    expect((await postForm(`/host/${slug}/quote/${declined.token}/accept`, { name: 'Changed mind' })).status).toBe(409);
    expect(await db().select().from(customers).where(eq(customers.hostId, host.hostId)).all()).toHaveLength(0);
  });

  it('lists quotes with status filter, conversion figures and CSV', async () => {
    const host = await createHost('List Host');
    const slug = await setHostSlug(host);
    const a = await sentQuote(host, { prospect_name: 'Alpha' });
    await newQuote(host, { prospect_name: 'Beta' });
    await postForm(`/host/${slug}/quote/${a.token}/accept`, { name: 'Alpha' });
    const list = await (await getPage('/admin/quotes?status=accepted', { cookie: host.owner.cookie })).text();
    expect(list).toContain('Alpha');
    expect(list).not.toContain('Beta');
    expect(list).toContain('1 of 1 sent accepted');
    const csv = await (await getPage('/admin/quotes.csv', { cookie: host.owner.cookie })).text();
    expect(csv.split('\r\n')[0]).toContain('number,status,prospect');
    expect(csv).toContain('Q-0001,accepted,Alpha');
    expect((await getPage(`/admin/quotes/${a.id}/print`, { cookie: host.owner.cookie })).status).toBe(200);
  });
});

describe('quotes: isolation and injection', () => {
  it('host A’s quote link never opens on host B’s slug or domain, nor in View Portal', async () => {
    const a = await createHost('Quote A');
    await setHostSlug(a);
    const b = await createHost('Quote B');
    const slugB = await setHostSlug(b);
    await addActiveDomain(b, `portal-${b.slug}.localhost`);
    const { token, id } = await sentQuote(a);
    expect((await getPage(`/host/${slugB}/quote/${token}`)).status).toBe(404);
    expect((await SELF.fetch(`https://portal-${b.slug}.localhost/quote/${token}`)).status).toBe(404);
    expect((await postForm(`/host/${slugB}/quote/${token}/accept`, { name: 'X' })).status).toBe(404);
    expect((await getPage(`/admin/quotes/${id}`, { cookie: b.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/quotes/${id}/send`, {}, { cookie: b.owner.cookie })).status).toBe(404);
    expect((await quoteRow(id))!.status).toBe('sent');
    // A draft's page does not open, and an unknown token is a plain 404.
    expect((await getPage(`/host/${slugB}/quote/not-a-token`)).status).toBe(404);
  });

  it('shows every prospect field as text', async () => {
    const host = await createHost('Quote Xss');
    const slug = await setHostSlug(host);
    const nasty = '<script>alert(1)</script>';
    const { id, token } = await sentQuote(host, { prospect_name: `N ${nasty}`, prospect_company: `C ${nasty}`, notes: nasty, line1_description: `S21 ${nasty}` });
    const pages = [
      await (await getPage('/admin/quotes', { cookie: host.owner.cookie })).text(),
      await (await getPage(`/admin/quotes/${id}`, { cookie: host.owner.cookie })).text(),
      await (await getPage(`/host/${slug}/quote/${token}`)).text(),
    ];
    for (const html of pages) {
      expect(html).not.toContain('<script>alert');
      expect(html).toContain('&lt;script&gt;');
    }
    expect((await postForm(`/host/${slug}/quote/${token}/decline`, { reason: 'x' }, { origin: 'https://evil.example' })).status).toBe(403);
  });
});

describe('/api/v1/quotes', () => {
  it('creates, lists, gets and sends, scoped to the key’s host', async () => {
    const host = await createHost('Api Quote Host');
    await setHostSlug(host);
    const key = await createApiKeyFor(host);
    const body = {
      prospect_name: 'Api Prospect',
      prospect_email: 'api@prospect.example',
      kind: 'infinity',
      currency: 'USD',
      rate: '0.05',
      term_months: 6,
      valid_until: future(),
      lines: [{ description: '100 TH/s block', ths: '100' }],
      notify_email: host.owner.email,
    };
    const created = await api('/api/v1/quotes', { key, method: 'POST', body });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string; monthly_estimate_minor: number; status: string } };
    // 100 TH/s × 0.05 × 30 days = 150.00
    expect(data.monthly_estimate_minor).toBe(15_000);
    expect(data.status).toBe('draft');
    const bad = await api('/api/v1/quotes', { key, method: 'POST', body: { ...body, kind: 'nope' } });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { fields: Record<string, string> } }).error.fields.kind).toBeTruthy();
    const sent = await api(`/api/v1/quotes/${data.id}/send`, { key, method: 'POST' });
    expect(((await sent.json()) as { data: { status: string } }).data.status).toBe('sent');
    const list = (await (await api('/api/v1/quotes?status=sent', { key })).json()) as { data: { id: string }[] };
    expect(list.data.map((q) => q.id)).toEqual([data.id]);
    const other = await createHost('Api Quote Other');
    expect((await api(`/api/v1/quotes/${data.id}`, { key: await createApiKeyFor(other) })).status).toBe(404);
  });
});

describe('editing a quote before the prospect answers', () => {
  it('edits a draft with the form prefilled, re-renders bad input (422) without changing anything, and logs the change', async () => {
    const host = await createHost('Edit Quote Host');
    const { id } = await newQuote(host, { line2_description: 'Antminer S19', line2_units: '2', line2_ths: '95', line2_power_w: '3250' });
    const form = await (await getPage(`/admin/quotes/${id}/edit`, { cookie: host.owner.cookie })).text();
    expect(form).toContain(`action="/admin/quotes/${id}"`);
    expect(form).toContain('value="0.065"');
    expect(form).toContain('value="Antminer S19"');
    expect(form).toContain('value="3250"');
    expect(form).toContain('value="500.00"');

    const bad = await postForm(`/admin/quotes/${id}`, quoteForm({ rate: 'cheap', line1_units: '0' }), { cookie: host.owner.cookie });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Enter the rate per kWh');
    expect(badHtml).toContain('Edit quote Q-');
    // Unchanged: 1,660.75 + 2 × 3250 W × 730 h = 4,745 kWh × 0.065 = 308.425 → 308.43.
    expect((await quoteRow(id))!.monthlyEstimateMinor).toBe(196_918);

    const ok = await postForm(`/admin/quotes/${id}`, quoteForm({ rate: '0.07', line1_units: '20', prospect_name: 'Dana <script>alert(1)</script>' }), { cookie: host.owner.cookie });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toBe(`/admin/quotes/${id}?edited=1`);
    const row = await quoteRow(id);
    // 20 × 3500 W × 730 h = 51,100 kWh × 0.07 = 3,577.00; the second line is gone.
    expect(row).toMatchObject({ monthlyEstimateMinor: 357_700, energyRateMicrosPerKwh: 70_000, status: 'draft' });
    expect(await db().select().from(quoteLines).where(eq(quoteLines.quoteId, id)).all()).toHaveLength(1);
    const page = await (await getPage(`/admin/quotes/${id}?edited=1`, { cookie: host.owner.cookie })).text();
    expect(page).toContain('Changes saved.');
    expect(page).toContain('Dana &lt;script&gt;');
    expect(page).not.toContain('<script>alert(1)');
    const log = await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'quote.edited'))).all();
    expect(log).toHaveLength(1);
  });

  it('a sent quote goes back to draft and its old link stops working; an accepted one cannot be edited', async () => {
    const host = await createHost('Edit Sent Host');
    const slug = await setHostSlug(host);
    const sent = await sentQuote(host);
    expect((await getPage(`/host/${slug}/quote/${sent.token}`)).status).toBe(200);
    const form = await (await getPage(`/admin/quotes/${sent.id}/edit`, { cookie: host.owner.cookie })).text();
    expect(form).toContain('data-testid="quote-edit-warning"');
    expect((await postForm(`/admin/quotes/${sent.id}`, quoteForm({ prospect_email: sent.email, deposit: '2500' }), { cookie: host.owner.cookie })).status).toBe(303);
    expect(await quoteRow(sent.id)).toMatchObject({ status: 'draft', tokenHash: null, depositMinor: 250_000 });
    expect((await getPage(`/host/${slug}/quote/${sent.token}`)).status).toBe(404);
    expect((await postForm(`/host/${slug}/quote/${sent.token}/accept`, { name: 'Dana', agree: 'on' })).status).toBe(404);

    const accepted = await sentQuote(host);
    expect((await postForm(`/host/${slug}/quote/${accepted.token}/accept`, { name: 'Dana', title: 'CEO', agree: 'on' })).status).toBe(303);
    const before = await quoteRow(accepted.id);
    expect((await getPage(`/admin/quotes/${accepted.id}/edit`, { cookie: host.owner.cookie })).status).toBe(409);
    const refused = await postForm(`/admin/quotes/${accepted.id}`, quoteForm({ prospect_email: accepted.email, rate: '0.01' }), { cookie: host.owner.cookie });
    expect(refused.status).toBe(409);
    expect(await quoteRow(accepted.id)).toEqual(before);
    expect(await (await getPage(`/admin/quotes/${accepted.id}`, { cookie: host.owner.cookie })).text()).not.toContain(`href="/admin/quotes/${accepted.id}/edit"`);
  });

  it('another host cannot edit it, and a missing CSRF origin changes nothing', async () => {
    const host = await createHost('Edit Owner Host');
    const other = await createHost('Edit Other Host');
    const { id } = await newQuote(host);
    const before = await quoteRow(id);
    expect((await getPage(`/admin/quotes/${id}/edit`, { cookie: other.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/quotes/${id}`, quoteForm({ rate: '0.01' }), { cookie: other.owner.cookie })).status).toBe(404);
    const crossSite = await postForm(`/admin/quotes/${id}`, quoteForm({ rate: '0.01' }), { cookie: host.owner.cookie, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(await quoteRow(id)).toEqual(before);
  });

  it('PUT /api/v1/quotes/:id replaces the terms of an unanswered quote', async () => {
    const host = await createHost('Api Edit Host');
    const key = await createApiKeyFor(host);
    const { id } = await newQuote(host);
    const body = { prospect_name: 'Api Dana', prospect_email: 'dana@prospect.example', kind: 'lease', currency: 'USD', rate: '120', term_months: 24, valid_until: future(), lines: [{ description: 'S21', units: '3' }] };
    const res = await api(`/api/v1/quotes/${id}`, { key, method: 'PUT', body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { monthly_estimate_minor: number; kind: string } }).data).toMatchObject({ monthly_estimate_minor: 36_000, kind: 'lease' });
    const bad = await api(`/api/v1/quotes/${id}`, { key, method: 'PUT', body: { ...body, term_months: 0 } });
    expect(bad.status).toBe(422);
    expect((await quoteRow(id))!.termMonths).toBe(24);
    expect((await api(`/api/v1/quotes/${id}`, { key: await createApiKeyFor(await createHost('Api Edit Other')), method: 'PUT', body })).status).toBe(404);
  });
});
