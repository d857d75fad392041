import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiKeys, credits, miners } from '../../src/db/schema';
import { portalCustomer } from '../helpers/alerts';
import { insertInvoice } from '../helpers/billing';
import { addMember, api, createApiKeyFor, createHost, createMiner, createSite, db, getPage, postForm } from '../helpers/fixtures';
import {
  attachmentsOf,
  messagesOf,
  PDF_BYTES,
  PNG_BYTES,
  postMultipart,
  ticketEmailsTo,
  ticketIdFrom,
  ticketRow,
  ticketsOf,
} from '../helpers/tickets';

async function setup() {
  const host = await createHost('Ticket Host');
  const customer = await portalCustomer(host, 'Ticket Customer');
  return { host, ...customer };
}

async function openTicket(base: string, cookie: string, fields: Record<string, string> = {}, options: Parameters<typeof postMultipart>[2] = {}) {
  const res = await postMultipart(`${base}/support`, { subject: 'Unit 7 is down', category: 'hardware', message: 'It stopped hashing at noon.', ...fields }, { cookie, ...options });
  expect(res.status, await res.clone().text()).toBe(303);
  return ticketIdFrom(res);
}

describe('a customer opens a ticket', () => {
  it('stores the ticket, its message, its units and its checked attachments, and emails the host', async () => {
    const { host, customer, cookie, base } = await setup();
    const site = await createSite(host);
    const unit = await createMiner(host, { siteId: site, customerId: customer.id, status: 'assigned' });
    await db().update(miners).set({ serial: 'SN-TICKET-1' }).where(eq(miners.id, unit));
    const id = await openTicket(base, cookie, {}, {
      unitIds: [unit],
      files: [
        { name: 'photo.png', type: 'image/png', bytes: PNG_BYTES },
        { name: 'report.pdf', type: 'application/pdf', bytes: PDF_BYTES },
        { name: 'miner.log', type: 'text/plain', bytes: new TextEncoder().encode('12:00 fan failure ✓\n') },
      ],
    });
    const ticket = await ticketRow(id);
    expect(ticket).toMatchObject({ status: 'open', category: 'hardware', customerId: customer.id, number: 1, openedByKind: 'customer' });
    expect(ticket!.waitingSince).not.toBeNull();
    const files = await attachmentsOf(id);
    expect(files.map((f) => f.contentType).sort()).toEqual(['application/pdf', 'image/png', 'text/plain; charset=utf-8']);
    for (const f of files) expect(await env.FILES.head(f.r2Key)).not.toBeNull();

    // No assignee, no support address: the owner hears of it, with a link to the admin app.
    const mail = await ticketEmailsTo(host.hostId, host.owner.email);
    expect(mail).toHaveLength(1);
    expect(JSON.parse(mail[0]!.payload)).toMatchObject({ event: 'opened', ticketNumber: 1, ticketUrl: `https://hashyard.test/admin/support/${id}` });

    const page = await getPage(`${base}/support/${id}`, { cookie });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('It stopped hashing at noon.');
    expect(html).toContain('photo.png');
    expect(html).toContain('SN-TICKET-1');

    const png = files.find((f) => f.contentType === 'image/png')!;
    const download = await getPage(`${base}/support/${id}/attachments/${png.id}`, { cookie });
    expect(download.status).toBe(200);
    expect(download.headers.get('Content-Type')).toBe('image/png');
    expect(download.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(PNG_BYTES);

    const list = await (await getPage(`${base}/support`, { cookie })).text();
    expect(list).toContain('#1 Unit 7 is down');
  });

  it('re-renders the form with field errors (422) and writes nothing when fields are missing', async () => {
    const { host, cookie, base } = await setup();
    const res = await postMultipart(`${base}/support`, { subject: '', category: 'nonsense', message: '' }, { cookie });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('Subject is required.');
    expect(html).toContain('Choose a category');
    expect(await ticketsOf(host.hostId)).toHaveLength(0);
  });

  it('emails the support address when set, and the assignee once assigned', async () => {
    const { host, cookie, base } = await setup();
    const saved = await postForm('/admin/support/settings', { support_email: 'help@host.example' }, { cookie: host.owner.cookie });
    expect(saved.status).toBe(303);
    const id = await openTicket(base, cookie);
    expect(await ticketEmailsTo(host.hostId, 'help@host.example')).toHaveLength(1);
    expect(await ticketEmailsTo(host.hostId, host.owner.email)).toHaveLength(0);

    const agent = await addMember(host, 'staff');
    expect((await postForm(`/admin/support/${id}/assign`, { assignee_user_id: agent.userId }, { cookie: host.owner.cookie })).status).toBe(303);
    expect((await postMultipart(`${base}/support/${id}/replies`, { message: 'Any news?' }, { cookie })).status).toBe(303);
    const toAgent = await ticketEmailsTo(host.hostId, agent.email);
    expect(toAgent).toHaveLength(1);
    expect(JSON.parse(toAgent[0]!.payload)).toMatchObject({ event: 'customer_reply', message: 'Any news?' });
  });
});

describe('staff work a ticket', () => {
  it('replies (emailed to the customer team), notes (never shown or emailed), and the lifecycle', async () => {
    const { host, cookie, base, email } = await setup();
    const id = await openTicket(base, cookie);
    const staffPage = await getPage(`/admin/support/${id}`, { cookie: host.owner.cookie });
    expect(staffPage.status).toBe(200);

    expect((await postMultipart(`/admin/support/${id}/replies`, { message: 'SECRET-NOTE customer is difficult', internal: '1' }, { cookie: host.owner.cookie })).status).toBe(303);
    expect((await ticketRow(id))!.status).toBe('open');
    expect((await postMultipart(`/admin/support/${id}/replies`, { message: 'We replaced the fan.', status: 'pending' }, { cookie: host.owner.cookie, files: [{ name: 'fan.png', type: 'image/png', bytes: PNG_BYTES }] })).status).toBe(303);
    const afterReply = await ticketRow(id);
    expect(afterReply).toMatchObject({ status: 'pending', waitingSince: null });

    const toCustomer = await ticketEmailsTo(host.hostId, email);
    expect(toCustomer).toHaveLength(1);
    const payload = JSON.parse(toCustomer[0]!.payload);
    expect(payload).toMatchObject({ event: 'staff_reply', message: 'We replaced the fan.' });
    expect(payload.ticketUrl).toMatch(new RegExp(`/support/${id}$`));

    const portalHtml = await (await getPage(`${base}/support/${id}`, { cookie })).text();
    expect(portalHtml).toContain('We replaced the fan.');
    expect(portalHtml).toContain('fan.png');
    expect(portalHtml).not.toContain('SECRET-NOTE');
    expect(await (await getPage(`/admin/support/${id}`, { cookie: host.owner.cookie })).text()).toContain('SECRET-NOTE');

    // The customer's reply reopens a pending ticket; and a resolved one.
    await postMultipart(`${base}/support/${id}/replies`, { message: 'Still slow.' }, { cookie });
    expect((await ticketRow(id))!.status).toBe('open');
    expect((await postForm(`/admin/support/${id}/status`, { status: 'resolved' }, { cookie: host.owner.cookie })).status).toBe(303);
    expect((await ticketRow(id))!.status).toBe('resolved');
    await postMultipart(`${base}/support/${id}/replies`, { message: 'Broken again.' }, { cookie });
    expect((await ticketRow(id))!).toMatchObject({ status: 'open', resolvedAt: null });

    // Closed is final: no transition out, no replies from either side.
    expect((await postForm(`/admin/support/${id}/status`, { status: 'closed' }, { cookie: host.owner.cookie })).status).toBe(303);
    const reopen = await postForm(`/admin/support/${id}/status`, { status: 'open' }, { cookie: host.owner.cookie });
    expect(reopen.status).toBe(422);
    const late = await postMultipart(`${base}/support/${id}/replies`, { message: 'Hello?' }, { cookie });
    expect(late.status).toBe(409);
    expect((await messagesOf(id)).some((m) => m.body === 'Hello?')).toBe(false);
    expect((await ticketRow(id))!.status).toBe('closed');
  });

  it('refuses a move the lifecycle does not allow, changing nothing', async () => {
    const { host, cookie, base } = await setup();
    const id = await openTicket(base, cookie);
    await postForm(`/admin/support/${id}/status`, { status: 'resolved' }, { cookie: host.owner.cookie });
    const res = await postForm(`/admin/support/${id}/status`, { status: 'pending' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('cannot move to waiting on customer');
    expect((await ticketRow(id))!.status).toBe('resolved');
  });

  it('lists with filters and search, and the customer page has a Support tab', async () => {
    const { host, customer, cookie, base } = await setup();
    const other = await portalCustomer(host, 'Other Customer');
    const a = await openTicket(base, cookie, { subject: 'Payout missing', category: 'payout' });
    await openTicket(other.base, other.cookie, { subject: 'Network flaps', category: 'network' });
    const page = async (query: string) => (await getPage(`/admin/support${query}`, { cookie: host.owner.cookie })).text();
    expect(await page('')).toContain('Network flaps');
    const payout = await page('?category=payout');
    expect(payout).toContain('Payout missing');
    expect(payout).not.toContain('Network flaps');
    const byCustomer = await page(`?customer_id=${customer.id}`);
    expect(byCustomer).toContain('Payout missing');
    expect(byCustomer).not.toContain('Network flaps');
    expect(await page('?q=flaps')).not.toContain('Payout missing');
    expect(await page('?q=%231')).toContain('Payout missing');
    await postForm(`/admin/support/${a}/status`, { status: 'resolved' }, { cookie: host.owner.cookie });
    const active = await page('?status=active');
    expect(active).not.toContain('Payout missing');
    expect(active).toContain('Network flaps');
    expect(await page('?assignee=none')).toContain('Network flaps');
    expect(await page('?age=7d')).toContain('No tickets match');
    const csv = await getPage('/admin/support/export.csv?category=network', { cookie: host.owner.cookie });
    expect(csv.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    const csvLines = (await csv.text()).trim().split('\r\n');
    expect(csvLines).toHaveLength(2);
    expect(csvLines[1]).toContain('Network flaps');

    const tab = await getPage(`/admin/customers/${customer.id}/support`, { cookie: host.owner.cookie });
    expect(tab.status).toBe(200);
    const tabHtml = await tab.text();
    expect(tabHtml).toContain('Payout missing');
    expect(tabHtml).not.toContain('Network flaps');
  });
});

describe('/api/v1/tickets', () => {
  it('lists, gets without internal notes unless asked, and posts a staff reply', async () => {
    const { host, cookie, base, email } = await setup();
    const key = await createApiKeyFor(host, 'Staff tool', { ticketNotes: true });
    const id = await openTicket(base, cookie);
    await postMultipart(`/admin/support/${id}/replies`, { message: 'API-SECRET-NOTE', internal: '1' }, { cookie: host.owner.cookie });

    const list = await api('/api/v1/tickets?status=open', { key });
    expect(list.status).toBe(200);
    const listed = (await list.json()) as { data: { id: string; number: number }[]; total: number };
    expect(listed.data.map((t) => t.id)).toEqual([id]);

    const plain = await api(`/api/v1/tickets/${id}`, { key });
    const plainText = await plain.text();
    expect(plain.status).toBe(200);
    expect(plainText).not.toContain('API-SECRET-NOTE');
    const withNotes = (await (await api(`/api/v1/tickets/${id}?include_internal=true`, { key })).json()) as { data: { messages: { body: string; internal: boolean }[] } };
    expect(withNotes.data.messages.find((m) => m.internal)?.body).toBe('API-SECRET-NOTE');

    const reply = await api(`/api/v1/tickets/${id}/replies`, { key, method: 'POST', body: { message: 'Reply from the integration', status: 'resolved' } });
    expect(reply.status).toBe(201);
    const replied = (await reply.json()) as { data: { status: string; messages: { body: string; author: { kind: string } }[] } };
    expect(replied.data.status).toBe('resolved');
    expect(replied.data.messages.at(-1)).toMatchObject({ body: 'Reply from the integration', author: { kind: 'api_key' } });
    expect(JSON.stringify(replied)).not.toContain('API-SECRET-NOTE');
    expect(await ticketEmailsTo(host.hostId, email)).toHaveLength(1);

    const bad = await api(`/api/v1/tickets/${id}/replies`, { key, method: 'POST', body: { message: '' } });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { code: string; fields: Record<string, string> } }).error).toMatchObject({ code: 'validation_failed', fields: { message: 'Message is required.' } });
  });
});

describe('question this line', () => {
  async function disputed() {
    const ctx = await setup();
    const invoiceId = await insertInvoice(ctx.host, ctx.customer.id, { totalMinor: 12_345, number: 'INV-Q-1' });
    const invoice = await getPage(`${ctx.base}/invoices/${invoiceId}`, { cookie: ctx.cookie });
    const html = await invoice.text();
    const lineId = /invoice_line=([0-9a-f-]{36})/.exec(html)?.[1];
    expect(lineId, 'Question this line link').toBeTruthy();
    const form = await (await getPage(`${ctx.base}/support/new?invoice_line=${lineId}`, { cookie: ctx.cookie })).text();
    expect(form).toContain('Question about INV-Q-1: Hosting');
    expect(form).toContain('123.45');
    const id = await openTicket(ctx.base, ctx.cookie, { subject: 'Question about INV-Q-1: Hosting', category: 'billing', message: 'Too high', invoice_line_id: lineId! });
    return { ...ctx, invoiceId, lineId: lineId!, id };
  }

  it('opens a dispute pre-filled with the line; staff see the disputed line on the invoice', async () => {
    const { host, invoiceId, lineId, id } = await disputed();
    expect(await ticketRow(id)).toMatchObject({ invoiceId, invoiceLineId: lineId, category: 'billing' });
    const adminInvoice = await (await getPage(`/admin/invoices/${invoiceId}`, { cookie: host.owner.cookie })).text();
    expect(adminInvoice).toContain('Disputed');
    expect(adminInvoice).toContain(`/admin/support/${id}`);
    const ticketPage = await (await getPage(`/admin/support/${id}`, { cookie: host.owner.cookie })).text();
    expect(ticketPage).toContain('Questioned invoice line');
    expect(ticketPage).toContain('Resolve with credit');
  });

  it('resolves with an exact credit, once, never above the line', async () => {
    const { host, customer, id, cookie, base, email } = await disputed();
    const tooMuch = await postForm(`/admin/support/${id}/credit`, { amount: '123.46' }, { cookie: host.owner.cookie });
    expect(tooMuch.status).toBe(422);
    const tooPrecise = await postForm(`/admin/support/${id}/credit`, { amount: '1.005' }, { cookie: host.owner.cookie });
    expect(tooPrecise.status).toBe(422);
    expect(await db().select().from(credits).where(eq(credits.customerId, customer.id)).all()).toHaveLength(0);

    const ok = await postForm(`/admin/support/${id}/credit`, { amount: '0.1', note: 'Sorry for the error.' }, { cookie: host.owner.cookie });
    expect(ok.status).toBe(303);
    const posted = await db().select().from(credits).where(eq(credits.customerId, customer.id)).all();
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ kind: 'adjustment', amountMinor: 10, remainingMinor: 10, currency: 'USD' });
    expect(await ticketRow(id)).toMatchObject({ status: 'resolved', creditId: posted[0]!.id });
    const again = await postForm(`/admin/support/${id}/credit`, { amount: '5' }, { cookie: host.owner.cookie });
    expect(again.status).toBe(409);
    expect(await db().select().from(credits).where(eq(credits.customerId, customer.id)).all()).toHaveLength(1);

    const portal = await (await getPage(`${base}/support/${id}`, { cookie })).text();
    expect(portal).toContain('A credit of');
    expect(portal).toContain('Sorry for the error.');
    expect(await ticketEmailsTo(host.hostId, email)).toHaveLength(1);
  });

  it('refuses a line of another customer’s invoice', async () => {
    const { host, cookie, base } = await setup();
    const other = await portalCustomer(host, 'Neighbour');
    const theirs = await insertInvoice(host, other.customer.id, { number: 'INV-THEIRS' });
    const html = await (await getPage(`${other.base}/invoices/${theirs}`, { cookie: other.cookie })).text();
    const lineId = /invoice_line=([0-9a-f-]{36})/.exec(html)![1]!;
    expect((await getPage(`${base}/support/new?invoice_line=${lineId}`, { cookie })).status).toBe(404);
    const res = await postMultipart(`${base}/support`, { subject: 'x', category: 'billing', message: 'y', invoice_line_id: lineId }, { cookie });
    expect(res.status).toBe(422);
    expect(await ticketsOf(host.hostId)).toHaveLength(0);
  });
});

describe('units on a ticket', () => {
  it('takes only the customer’s own assigned units', async () => {
    const { host, cookie, base } = await setup();
    const other = await portalCustomer(host, 'Unit Neighbour');
    const site = await createSite(host);
    const theirs = await createMiner(host, { siteId: site, customerId: other.customer.id, status: 'assigned' });
    const res = await postMultipart(`${base}/support`, { subject: 's', category: 'hardware', message: 'm' }, { cookie, unitIds: [theirs] });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Choose only your own units.');
    expect(await ticketsOf(host.hostId)).toHaveLength(0);
    expect((await db().select().from(miners).where(eq(miners.id, theirs)).get())!.customerId).toBe(other.customer.id);
  });
});

describe('/api/v1/tickets: the internal-notes scope', () => {
  it('a key without the scope is refused internal notes (403), never gets them back from a note it writes, nor their attachments', async () => {
    const { host, cookie, base } = await setup();
    const plainKey = await createApiKeyFor(host, 'Customer mirror');
    const id = await openTicket(base, cookie);
    await postMultipart(`/admin/support/${id}/replies`, { message: 'SCOPED-SECRET-NOTE', internal: '1' }, { cookie: host.owner.cookie });

    const refused = await api(`/api/v1/tickets/${id}?include_internal=true`, { key: plainKey });
    expect(refused.status).toBe(403);
    const refusedText = await refused.text();
    expect(JSON.parse(refusedText).error.code).toBe('forbidden');
    expect(refusedText).not.toContain('SCOPED-SECRET-NOTE');
    expect(await (await api(`/api/v1/tickets/${id}`, { key: plainKey })).text()).not.toContain('SCOPED-SECRET-NOTE');

    // Writing a note is allowed; reading notes back is not.
    const wrote = await api(`/api/v1/tickets/${id}/replies`, { key: plainKey, method: 'POST', body: { message: 'Note from the mirror', internal: true } });
    expect(wrote.status).toBe(201);
    const wroteText = await wrote.text();
    expect(wroteText).not.toContain('SCOPED-SECRET-NOTE');
    expect(wroteText).not.toContain('Note from the mirror');

    const scopedKey = await createApiKeyFor(host, 'Staff tool', { ticketNotes: true });
    const withNotes = await (await api(`/api/v1/tickets/${id}?include_internal=true`, { key: scopedKey })).text();
    expect(withNotes).toContain('SCOPED-SECRET-NOTE');
    expect(withNotes).toContain('Note from the mirror');
  });

  it('Settings → API keys creates a key with the scope only when ticked, and lists it', async () => {
    const host = await createHost('Scope Settings Host');
    const plain = await postForm('/admin/settings/api-keys', { name: 'Plain key' }, { cookie: host.owner.cookie });
    expect(plain.status).toBe(201);
    const scoped = await postForm('/admin/settings/api-keys', { name: 'Notes key', scope_ticket_notes: 'on' }, { cookie: host.owner.cookie });
    expect(scoped.status).toBe(201);
    const rows = await db().select({ name: apiKeys.name, scopes: apiKeys.scopes }).from(apiKeys).where(eq(apiKeys.hostId, host.hostId)).all();
    expect(Object.fromEntries(rows.map((r) => [r.name, JSON.parse(r.scopes)]))).toEqual({ 'Plain key': [], 'Notes key': ['tickets:internal_notes'] });
    const page = await (await getPage('/admin/settings/api-keys', { cookie: host.owner.cookie })).text();
    expect(page).toContain('Read internal notes on support tickets');
    expect(page).toContain('Standard');
  });
});
