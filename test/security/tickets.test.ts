import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { portalCustomer } from '../helpers/alerts';
import { loadHostBrand, renderEmail } from '../../src/email/templates';
import { api, createApiKeyFor, createHost, db, getPage, postForm } from '../helpers/fixtures';
import { allTicketEmails, attachmentsOf, messagesOf, PNG_BYTES, postMultipart, storedTicketFiles, ticketIdFrom, ticketRow, ticketsOf } from '../helpers/tickets';

const XSS = '<script>alert("t")</script><img src=x onerror=alert(1)>';
const ESCAPED = '&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;';

async function open(base: string, cookie: string, fields: Record<string, string> = {}) {
  const res = await postMultipart(`${base}/support`, { subject: 'Secret subject', category: 'other', message: 'Secret message', ...fields }, { cookie, files: [{ name: 'shot.png', type: 'image/png', bytes: PNG_BYTES }] });
  expect(res.status, await res.clone().text()).toBe(303);
  return ticketIdFrom(res);
}

/** Host A with two customers (one ticket each), and host B with one. */
async function world() {
  const a = await createHost('Sec Host A');
  const b = await createHost('Sec Host B');
  const a1 = await portalCustomer(a, 'A One');
  const a2 = await portalCustomer(a, 'A Two');
  const b1 = await portalCustomer(b, 'B One');
  const a1Ticket = await open(a1.base, a1.cookie, { subject: 'A1-ONLY subject', message: 'A1-ONLY message' });
  const bTicket = await open(b1.base, b1.cookie, { subject: 'B-ONLY subject', message: 'B-ONLY message' });
  const a1Attachment = (await attachmentsOf(a1Ticket))[0]!.id;
  const bAttachment = (await attachmentsOf(bTicket))[0]!.id;
  return { a, b, a1, a2, b1, a1Ticket, bTicket, a1Attachment, bAttachment };
}

describe('tickets never cross customers or hosts', () => {
  it('a portal member sees only their own customer’s tickets', async () => {
    const { a2, a1Ticket, a1Attachment } = await world();
    const list = await (await getPage(`${a2.base}/support`, { cookie: a2.cookie })).text();
    expect(list).not.toContain('A1-ONLY');
    expect((await getPage(`${a2.base}/support/${a1Ticket}`, { cookie: a2.cookie })).status).toBe(404);
    expect((await getPage(`${a2.base}/support/${a1Ticket}/attachments/${a1Attachment}`, { cookie: a2.cookie })).status).toBe(404);
    const reply = await postMultipart(`${a2.base}/support/${a1Ticket}/replies`, { message: 'hijack' }, { cookie: a2.cookie });
    expect(reply.status).toBe(404);
    expect((await messagesOf(a1Ticket)).some((m) => m.body === 'hijack')).toBe(false);
  });

  it('a session of host B is not a session on host A’s portal, and host B’s ticket ids are 404 there', async () => {
    const { a1, b1, bTicket, bAttachment } = await world();
    const foreign = await getPage(`${a1.base}/support`, { cookie: b1.cookie });
    expect(foreign.status).toBe(303);
    expect((await getPage(`${a1.base}/support/${bTicket}`, { cookie: a1.cookie })).status).toBe(404);
    expect((await getPage(`${a1.base}/support/${bTicket}/attachments/${bAttachment}`, { cookie: a1.cookie })).status).toBe(404);
  });

  it('staff of host A get 404 for host B’s ticket pages, posts and files, and change nothing', async () => {
    const { a, bTicket, bAttachment } = await world();
    const before = await ticketRow(bTicket);
    expect((await getPage(`/admin/support/${bTicket}`, { cookie: a.owner.cookie })).status).toBe(404);
    expect((await getPage(`/admin/support/${bTicket}/attachments/${bAttachment}`, { cookie: a.owner.cookie })).status).toBe(404);
    expect((await postMultipart(`/admin/support/${bTicket}/replies`, { message: 'x' }, { cookie: a.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/support/${bTicket}/status`, { status: 'closed' }, { cookie: a.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/support/${bTicket}/assign`, { assignee_user_id: a.owner.userId }, { cookie: a.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/support/${bTicket}/credit`, { amount: '1' }, { cookie: a.owner.cookie })).status).toBe(404);
    expect(await ticketRow(bTicket)).toEqual(before);
    expect(await (await getPage('/admin/support', { cookie: a.owner.cookie })).text()).not.toContain('B-ONLY');
  });

  it('an API key of host A cannot list, read or reply to host B’s tickets', async () => {
    const { a, bTicket } = await world();
    const key = await createApiKeyFor(a);
    expect(await (await api('/api/v1/tickets', { key })).text()).not.toContain('B-ONLY');
    expect((await api(`/api/v1/tickets/${bTicket}`, { key })).status).toBe(404);
    expect((await api(`/api/v1/tickets/${bTicket}/replies`, { key, method: 'POST', body: { message: 'x' } })).status).toBe(404);
    expect((await messagesOf(bTicket)).map((m) => m.body)).toEqual(['B-ONLY message']);
  });

  it('staff cannot assign a ticket to someone outside their host', async () => {
    const { a, b, a1Ticket } = await world();
    const res = await postForm(`/admin/support/${a1Ticket}/assign`, { assignee_user_id: b.owner.userId }, { cookie: a.owner.cookie });
    expect(res.status).toBe(422);
    expect((await ticketRow(a1Ticket))!.assigneeUserId).toBeNull();
  });
});

describe('internal notes stay internal', () => {
  it('never reach the portal, the default API JSON or any email', async () => {
    const { a, a1, a1Ticket } = await world();
    const note = 'INTERNAL-ONLY do not show';
    expect((await postMultipart(`/admin/support/${a1Ticket}/replies`, { message: note, internal: '1' }, { cookie: a.owner.cookie })).status).toBe(303);
    await postMultipart(`/admin/support/${a1Ticket}/replies`, { message: 'Visible answer' }, { cookie: a.owner.cookie });
    await postMultipart(`${a1.base}/support/${a1Ticket}/replies`, { message: 'Customer follow-up' }, { cookie: a1.cookie });
    const portal = await (await getPage(`${a1.base}/support/${a1Ticket}`, { cookie: a1.cookie })).text();
    expect(portal).toContain('Visible answer');
    expect(portal).not.toContain(note);
    expect(portal).not.toContain('Internal note');
    const key = await createApiKeyFor(a);
    expect(await (await api(`/api/v1/tickets/${a1Ticket}`, { key })).text()).not.toContain(note);
    const emails = await allTicketEmails(a.hostId);
    expect(emails.length).toBeGreaterThanOrEqual(3);
    for (const mail of emails) {
      expect(mail.payload).not.toContain(note);
      expect(mail.subject).not.toContain(note);
    }
  });
});

describe('attachments are what they claim', () => {
  it('refuses bytes that are not the claimed type, and stores nothing', async () => {
    const { a, a1 } = await world();
    const before = (await ticketsOf(a.hostId)).length;
    const filesBefore = await storedTicketFiles(a.hostId);
    const cases = [
      { name: 'fake.png', type: 'image/png', bytes: new TextEncoder().encode('<html><script>alert(1)</script></html>') },
      { name: 'fake.pdf', type: 'application/pdf', bytes: PNG_BYTES },
      { name: 'binary.log', type: 'text/plain', bytes: new Uint8Array([0x41, 0xff, 0xfe, 0x00, 0x42]) },
      { name: 'page.html', type: 'text/html', bytes: new TextEncoder().encode('<html></html>') },
    ];
    for (const file of cases) {
      const res = await postMultipart(`${a1.base}/support`, { subject: 's', category: 'other', message: 'm' }, { cookie: a1.cookie, files: [file] });
      expect(res.status, file.name).toBe(422);
      expect(await res.text(), file.name).toContain(file.name);
    }
    expect(await ticketsOf(a.hostId)).toHaveLength(before);
    expect(await storedTicketFiles(a.hostId)).toEqual(filesBefore);
  });

  it('refuses a wrong file on a reply, leaving the thread as it was', async () => {
    const { a1, a1Ticket } = await world();
    const res = await postMultipart(`${a1.base}/support/${a1Ticket}/replies`, { message: 'see file' }, { cookie: a1.cookie, files: [{ name: 'x.jpg', type: 'image/jpeg', bytes: PNG_BYTES }] });
    expect(res.status).toBe(422);
    expect((await messagesOf(a1Ticket)).map((m) => m.body)).toEqual(['A1-ONLY message']);
  });

  it('serves files with the verified type, nosniff, and non-images as downloads', async () => {
    const { a1 } = await world();
    const res = await postMultipart(`${a1.base}/support`, { subject: 's', category: 'other', message: 'm' }, { cookie: a1.cookie, files: [{ name: 'notes.txt', type: 'text/html', bytes: new TextEncoder().encode('<b>hi</b>') }] });
    expect(res.status).toBe(303);
    const id = ticketIdFrom(res);
    const file = (await attachmentsOf(id))[0]!;
    const got = await getPage(`${a1.base}/support/${id}/attachments/${file.id}`, { cookie: a1.cookie });
    expect(got.headers.get('Content-Type')).toBe('text/plain; charset=utf-8');
    expect(got.headers.get('Content-Disposition')).toMatch(/^attachment;/);
    expect(got.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(await env.FILES.head(file.r2Key)).not.toBeNull();
  });
});

describe('HTML injection is shown as text', () => {
  it('in subjects, messages, file names and notes, on both sides', async () => {
    const { a, a1 } = await world();
    const res = await postMultipart(`${a1.base}/support`, { subject: XSS, category: 'other', message: XSS }, { cookie: a1.cookie, files: [{ name: `${XSS}.png`, type: 'image/png', bytes: PNG_BYTES }] });
    expect(res.status).toBe(303);
    const id = ticketIdFrom(res);
    await postMultipart(`/admin/support/${id}/replies`, { message: XSS, internal: '1' }, { cookie: a.owner.cookie });
    for (const [path, cookie] of [
      [`${a1.base}/support/${id}`, a1.cookie],
      [`${a1.base}/support`, a1.cookie],
      [`/admin/support/${id}`, a.owner.cookie],
      ['/admin/support', a.owner.cookie],
    ] as const) {
      const html = await (await getPage(path, { cookie })).text();
      expect(html, path).not.toContain('<script>alert("t")');
      expect(html, path).not.toContain('<img src=x');
      expect(html, path).toContain('&lt;script&gt;');
    }
    expect(await (await getPage(`/admin/support/${id}`, { cookie: a.owner.cookie })).text()).toContain(ESCAPED);

    // The email about it, as the consumer renders it: escaped too.
    const mail = (await allTicketEmails(a.hostId)).find((row) => row.payload.includes('onerror'))!;
    const rendered = await renderEmail(mail, (await loadHostBrand(db(), a.hostId))!);
    expect(rendered.html).not.toContain('<script>alert("t")');
    expect(rendered.html).not.toContain('<img src=x');
    expect(rendered.html).toContain('&lt;script&gt;');
  });
});

describe('sessions and CSRF', () => {
  it('sends a visitor without a session to sign in, and writes nothing', async () => {
    const { a, a1, a1Ticket } = await world();
    const page = await getPage(`${a1.base}/support`);
    expect(page.status).toBe(303);
    expect(page.headers.get('Location')).toContain('/auth');
    const post = await postMultipart(`${a1.base}/support`, { subject: 'anon', category: 'other', message: 'anon' });
    expect(post.status).toBe(303);
    expect((await getPage(`/admin/support/${a1Ticket}`)).status).toBe(303);
    const staffPost = await postMultipart(`/admin/support/${a1Ticket}/replies`, { message: 'anon' });
    expect(staffPost.status).toBe(303);
    expect((await api('/api/v1/tickets')).status).toBe(401);
    expect((await ticketsOf(a.hostId)).some((t) => t.subject === 'anon')).toBe(false);
    expect((await messagesOf(a1Ticket)).map((m) => m.body)).toEqual(['A1-ONLY message']);
  });

  it('refuses cross-site posts (403) on both sides and writes nothing', async () => {
    const { a, a1, a1Ticket } = await world();
    const evil = 'https://evil.example';
    const attempts = [
      postMultipart(`${a1.base}/support`, { subject: 'csrf', category: 'other', message: 'csrf' }, { cookie: a1.cookie, origin: evil }),
      postMultipart(`${a1.base}/support/${a1Ticket}/replies`, { message: 'csrf' }, { cookie: a1.cookie, origin: evil }),
      postMultipart(`/admin/support/${a1Ticket}/replies`, { message: 'csrf' }, { cookie: a.owner.cookie, origin: evil }),
      postForm(`/admin/support/${a1Ticket}/status`, { status: 'closed' }, { cookie: a.owner.cookie, origin: evil }),
      postForm('/admin/support/settings', { support_email: 'evil@evil.example' }, { cookie: a.owner.cookie, origin: evil }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(403);
    expect((await ticketsOf(a.hostId)).some((t) => t.subject === 'csrf')).toBe(false);
    expect((await messagesOf(a1Ticket)).map((m) => m.body)).toEqual(['A1-ONLY message']);
    expect((await ticketRow(a1Ticket))!.status).toBe('open');
  });

  it('View Portal is read-only for tickets', async () => {
    const { a, a1, a1Ticket } = await world();
    const preview = `/admin/customers/${a1.customer.id}/portal`;
    const page = await getPage(`${preview}/support/${a1Ticket}`, { cookie: a.owner.cookie });
    expect(page.status).toBe(200);
    const res = await postMultipart(`${preview}/support/${a1Ticket}/replies`, { message: 'from preview' }, { cookie: a.owner.cookie });
    expect(res.status).toBe(403);
    expect((await messagesOf(a1Ticket)).map((m) => m.body)).toEqual(['A1-ONLY message']);
  });
});
