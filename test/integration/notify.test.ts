import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { announcementRecipients, announcements, customerUsers, emailOutbox } from '../../src/db/schema';
import { handleEmailQueue } from '../../src/email/consumer';
import type { OutgoingEmail, Transport } from '../../src/email/types';
import { handleNotifyQueue, NOTIFY_QUEUE_NAME } from '../../src/notify/queue';
import {
  checkAnnouncement,
  CHUNK_SIZE,
  createAnnouncement,
  deliverChunk,
  deliveryFigures,
  previewRecipients,
  resendFailures,
  runNotifyCron,
} from '../../src/notify/service';
import { staffActor } from '../../src/hosts/service';
import { api, createApiKeyFor, createContract, createHost, createTestCustomer, db, getPage, openDefaultCase, postForm, type TestHost } from '../helpers/fixtures';
import { insertMiner, insertSite, portalCustomer } from '../helpers/alerts';
import { recordingEnv } from '../helpers/notify';

// ---------------------------------------------------------------------------------------------
// Helpers


async function addPortalMember(host: TestHost, customerId: string, email: string, fields: { removed?: boolean } = {}) {
  const now = Date.now();
  await db()
    .insert(customerUsers)
    .values({ id: crypto.randomUUID(), hostId: host.hostId, customerId, email, name: email.split('@')[0]!, passwordHash: 'unused', role: 'member', createdAt: now, updatedAt: now, removedAt: fields.removed ? now : null });
}

const recipientsOf = async (id: string) =>
  (await db().select({ email: announcementRecipients.email }).from(announcementRecipients).where(eq(announcementRecipients.announcementId, id)).all()).map((r) => r.email).sort();

/** A host with customers in every situation targeting must tell apart. */
async function targetingFixture() {
  const host = await createHost('Notify Host');
  const north = await insertSite(host, 'North Hall');
  const south = await insertSite(host, 'South Hall');
  const team = await createTestCustomer(host, { name: 'Team Co', contact_email: 'contact@team.example' });
  await addPortalMember(host, team.id, 'Alice@Team.example');
  await addPortalMember(host, team.id, 'bob@team.example');
  await addPortalMember(host, team.id, 'gone@team.example', { removed: true });
  await insertMiner(host, { siteId: north, customerId: team.id });
  await createContract(host, team.id, { kind: 'hosted' });

  const solo = await createTestCustomer(host, { name: 'Solo Ltd', contact_email: 'solo@solo.example' });
  await insertMiner(host, { siteId: south, customerId: solo.id });
  await createContract(host, solo.id, { kind: 'lease' });

  const noPortal = await createTestCustomer(host, { name: 'No Portal', contact_email: 'np@np.example', portal_access: false });
  await addPortalMember(host, noPortal.id, 'member@np.example');
  await insertMiner(host, { siteId: north, customerId: noPortal.id });

  const defaulted = await createTestCustomer(host, { name: 'Late Payer', contact_email: 'late@late.example' });
  await openDefaultCase(host, defaulted.id);
  const inactive = await createTestCustomer(host, { name: 'Sleeping', contact_email: 'zz@sleep.example', active: false });

  const other = await createHost('Other Host');
  await createTestCustomer(other, { name: 'Elsewhere', contact_email: 'else@where.example' });
  return { host, north, south, team, solo, noPortal, defaulted, inactive, other };
}

const target = (fields: Partial<{ site_ids: string[]; contract_kinds: string[]; statuses: string[]; customer_ids: string[] }>) => ({
  site_ids: [],
  contract_kinds: [],
  statuses: [],
  customer_ids: [],
  ...fields,
});

// ---------------------------------------------------------------------------------------------

describe('Announcement targeting', () => {
  it('picks exactly the right recipients for each target', async () => {
    const f = await targetingFixture();
    const emails = async (t: ReturnType<typeof target>) => (await previewRecipients(db(), f.host.hostId, t as never)).list.map((r) => r.email).sort();

    // Everyone not inactive: a team's live members (lowercased), else the contact email; no other host.
    expect(await emails(target({}))).toEqual(['alice@team.example', 'bob@team.example', 'late@late.example', 'np@np.example', 'solo@solo.example']);
    expect(await emails(target({ site_ids: [f.north] }))).toEqual(['alice@team.example', 'bob@team.example', 'np@np.example']);
    expect(await emails(target({ contract_kinds: ['lease'] }))).toEqual(['solo@solo.example']);
    expect(await emails(target({ statuses: ['in_default'] }))).toEqual(['late@late.example']);
    expect(await emails(target({ statuses: ['inactive'] }))).toEqual(['zz@sleep.example']);
    expect(await emails(target({ customer_ids: [f.solo.id, f.defaulted.id] }))).toEqual(['late@late.example', 'solo@solo.example']);
    expect(await emails(target({ site_ids: [f.north], contract_kinds: ['hosted'] }))).toEqual(['alice@team.example', 'bob@team.example']);
    const preview = await previewRecipients(db(), f.host.hostId, target({}) as never);
    expect(preview.count).toBe(5);
    expect(preview.customers).toBe(4);
  });

  it('refuses another host’s site or customer as a target (422, nothing written)', async () => {
    const f = await targetingFixture();
    const otherSite = await insertSite(f.other, 'Their Hall');
    const res = await postForm('/admin/notify/new', { kind: 'announcement', subject: 'Hi', body: 'x', format: 'plain', site_ids: otherSite, action: 'create' }, { cookie: f.host.owner.cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Choose sites from the list.');
    expect(await db().select().from(announcements).where(eq(announcements.hostId, f.host.hostId)).all()).toHaveLength(0);
  });
});

describe('Sending and delivery', () => {
  it('fixes the recipients once, one outbox row each, and counts queued, sent and failed', async () => {
    const f = await targetingFixture();
    const rec = recordingEnv();
    const checked = await checkAnnouncement(db(), f.host.hostId, 'UTC', { subject: 'Power upgrade', body: 'Hello **all**', format: 'markdown' });
    const a = await createAnnouncement(db(), rec.env, f.host.hostId, staffActor(f.host.owner.session), checked, 'https://hashyard.test');
    expect(a.status).toBe('sending');
    expect(a.recipientCount).toBe(5);
    expect(rec.notify).toEqual([{ kind: 'notify_chunk', hostId: f.host.hostId, announcementId: a.id, phase: 'notice', fromSeq: 1, toSeq: 5 }]);

    await deliverChunk(db(), rec.env, rec.notify[0]!);
    const rows = await db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, f.host.hostId), eq(emailOutbox.template, 'announcement'))).all();
    expect(rows.map((r) => r.toEmail).sort()).toEqual(await recipientsOf(a.id));
    expect(rec.email.sort()).toEqual(rows.map((r) => r.id).sort());
    expect((await db().select().from(announcements).where(eq(announcements.id, a.id)).get())!.status).toBe('sent');
    expect(JSON.parse(rows[0]!.payload).portalUrl).toMatch(new RegExp(`^https://hashyard.test/host/.+/announcements/${a.id}$`));

    await db().update(emailOutbox).set({ status: 'sent', sentAt: Date.now() }).where(eq(emailOutbox.id, rows[0]!.id));
    await db().update(emailOutbox).set({ status: 'failed', lastError: 'bounced' }).where(eq(emailOutbox.id, rows[1]!.id));
    expect((await deliveryFigures(db(), f.host.hostId, [a.id])).get(a.id)).toEqual({ recipients: 5, queued: 3, sent: 1, failed: 1, percent: 40 });

    // Resend failures: the failed row goes back to queued and its chunk is queued again.
    rec.notify.length = 0;
    expect(await resendFailures(db(), rec.env, f.host.hostId, staffActor(f.host.owner.session), a.id)).toBe(1);
    expect((await deliveryFigures(db(), f.host.hostId, [a.id])).get(a.id)).toMatchObject({ queued: 4, failed: 0 });
    expect(rec.notify).toHaveLength(1);
  });

  it('fans 1,200 recipients out in chunks through the notify queue; a redelivered chunk never doubles an email', async () => {
    const host = await createHost('Big Host');
    // 1,200 customers without portal teams, inserted in one statement.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
       INSERT INTO customers (id, host_id, name, sort_name, contact_email, active, portal_access, tax_exempt, created_at, updated_at)
       SELECT lower(hex(randomblob(16))), ?1, 'C' || i, 'c' || i, 'c' || i || '@big.example', 1, 1, 0, 0, 0 FROM n`,
    )
      .bind(host.hostId)
      .run();
    const rec = recordingEnv();
    const checked = await checkAnnouncement(db(), host.hostId, 'UTC', { subject: 'Big news', body: 'Everyone' });
    const a = await createAnnouncement(db(), rec.env, host.hostId, staffActor(host.owner.session), checked, null);
    expect(a.recipientCount).toBe(1200);
    expect(rec.notify.map((m) => [m.fromSeq, m.toSeq])).toEqual([
      [1, CHUNK_SIZE],
      [CHUNK_SIZE + 1, 2 * CHUNK_SIZE],
      [2 * CHUNK_SIZE + 1, 1200],
    ]);

    // The real consumer, twice over the same messages (an at-least-once redelivery).
    const messages = rec.notify.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body }));
    for (let round = 0; round < 2; round += 1) {
      const batch = createMessageBatch(NOTIFY_QUEUE_NAME, messages);
      const ctx = createExecutionContext();
      await handleNotifyQueue(batch, rec.env);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks.sort()).toEqual(messages.map((m) => m.id).sort());
      expect(result.retryMessages).toEqual([]);
    }
    const count = await db().get<{ n: number }>(sql`SELECT count(*) AS n FROM email_outbox WHERE host_id = ${host.hostId} AND template = 'announcement'`);
    expect(count!.n).toBe(1200);
    expect((await db().select().from(announcements).where(eq(announcements.id, a.id)).get())!.status).toBe('sent');

    // The email consumer: the same outbox id delivered twice is sent once.
    const sent: OutgoingEmail[] = [];
    const transport: Transport = { name: 'local', async send(email) { sent.push(email); } };
    const one = rec.email[0]!;
    for (let round = 0; round < 2; round += 1) {
      const batch = createMessageBatch('hashyard-email', [{ id: `e${round}`, timestamp: new Date(), attempts: 1, body: { outboxId: one } }]);
      await handleEmailQueue(batch as MessageBatch<{ outboxId: string }>, rec.env, { transport });
    }
    expect(sent).toHaveLength(1);
    expect((await deliveryFigures(db(), host.hostId, [a.id])).get(a.id)).toMatchObject({ recipients: 1200, sent: 1, queued: 1199 });
  });

  it('a scheduled announcement waits for the cron, which sends it once', async () => {
    const f = await targetingFixture();
    const rec = recordingEnv();
    const now = Date.now();
    const later = new Date(now + 3_600_000).toISOString();
    const checked = await checkAnnouncement(db(), f.host.hostId, 'UTC', { subject: 'Later', body: 'Soon', send_at: later }, now);
    const a = await createAnnouncement(db(), rec.env, f.host.hostId, staffActor(f.host.owner.session), checked, null, now);
    expect(a.status).toBe('scheduled');
    expect(rec.notify).toHaveLength(0);
    expect(await runNotifyCron(rec.env, now + 60_000)).toMatchObject({ started: 0 });
    expect((await runNotifyCron(rec.env, now + 3_600_000)).started).toBeGreaterThanOrEqual(1);
    expect((await db().select().from(announcements).where(eq(announcements.id, a.id)).get())!.status).toBe('sending');
    expect(rec.notify.filter((m) => m.announcementId === a.id)).toHaveLength(1);
    // A second run does not fix the recipients again.
    await runNotifyCron(rec.env, now + 3_700_000);
    expect(rec.notify.filter((m) => m.announcementId === a.id)).toHaveLength(1);
    expect(await recipientsOf(a.id)).toHaveLength(5);
  });
});

describe('Staff pages and the API', () => {
  it('previews the exact recipients, sends, and shows who received it with a progress bar', async () => {
    const f = await targetingFixture();
    const preview = await postForm(
      '/admin/notify/new',
      { kind: 'announcement', subject: 'Heads up', body: 'Body', format: 'plain', site_ids: f.north, action: 'preview' },
      { cookie: f.host.owner.cookie },
    );
    expect(preview.status).toBe(200);
    const html = await preview.text();
    expect(html).toContain('data-testid="recipient-count">3<');
    expect(html).toContain('np@np.example');
    expect(html).not.toContain('solo@solo.example');
    expect(await db().select().from(announcements).where(eq(announcements.hostId, f.host.hostId)).all()).toHaveLength(0);

    const res = await postForm('/admin/notify/new', { kind: 'announcement', subject: 'Heads up', body: 'Body', format: 'plain', site_ids: f.north, action: 'create' }, { cookie: f.host.owner.cookie });
    expect(res.status).toBe(303);
    const detail = await (await getPage(res.headers.get('Location')!, { cookie: f.host.owner.cookie })).text();
    expect(detail).toContain('<progress');
    expect(detail).toContain('data-recipient="alice@team.example"');
    expect(detail).toContain('data-testid="figure-recipients">3<');
  });

  it('the API lists, creates and reports delivery figures, with field errors for bad input', async () => {
    const f = await targetingFixture();
    const key = await createApiKeyFor(f.host);
    const bad = await api('/api/v1/announcements', { key, method: 'POST', body: { subject: '', body: 'x', statuses: ['nope'] } });
    expect(bad.status).toBe(422);
    const error = (await bad.json()) as { error: { code: string; fields: Record<string, string> } };
    expect(error.error.code).toBe('validation_failed');
    expect(Object.keys(error.error.fields)).toEqual(expect.arrayContaining(['subject']));

    const created = await api('/api/v1/announcements', { key, method: 'POST', body: { subject: 'API news', body: 'From the API', statuses: ['in_default'] } });
    expect(created.status).toBe(201);
    const data = ((await created.json()) as { data: { id: string; status: string; delivery: { recipients: number } } }).data;
    expect(data.delivery.recipients).toBe(1);
    const one = (await (await api(`/api/v1/announcements/${data.id}`, { key })).json()) as { data: { delivery: { recipients: number; sent: number; failed: number; queued: number } } };
    expect(one.data.delivery.recipients).toBe(1);
    const list = (await (await api('/api/v1/announcements', { key })).json()) as { data: { id: string }[]; total: number };
    expect(list.data.map((a) => a.id)).toContain(data.id);

    const otherKey = await createApiKeyFor(f.other);
    expect((await api(`/api/v1/announcements/${data.id}`, { key: otherKey })).status).toBe(404);
    expect(((await (await api('/api/v1/announcements', { key: otherKey })).json()) as { total: number }).total).toBe(0);
    expect((await api('/api/v1/announcements')).status).toBe(401);
  });
});

describe('Portal', () => {
  it('shows a customer only its own host’s announcements sent to it, as a banner it can dismiss and a list', async () => {
    const host = await createHost('Portal Notify Host');
    const mine = await portalCustomer(host, 'Mine Co');
    const notMine = await createTestCustomer(host, { name: 'Not Mine', contact_email: 'nm@nm.example' });
    const other = await createHost('Other Portal Host');
    const rec = recordingEnv();
    const send = async (h: TestHost, subject: string, customerIds: string[]) =>
      createAnnouncement(db(), rec.env, h.hostId, staffActor(h.owner.session), await checkAnnouncement(db(), h.hostId, 'UTC', { subject, body: 'b', customer_ids: customerIds }), null);
    const toMe = await send(host, 'For Mine Co', [mine.customer.id]);
    const toThem = await send(host, 'For Not Mine', [notMine.id]);
    const otherCustomer = await createTestCustomer(other, { name: 'X' });
    const elsewhere = await send(other, 'Other host news', [otherCustomer.id]);

    const banner = await (await getPage(`${mine.base}/announcements/banner`, { cookie: mine.cookie, htmx: true })).text();
    expect(banner).toContain('For Mine Co');
    expect(banner).not.toContain('For Not Mine');
    expect(banner).not.toContain('Other host news');
    const list = await (await getPage(`${mine.base}/announcements`, { cookie: mine.cookie })).text();
    expect(list).toContain('For Mine Co');
    expect(list).not.toContain('For Not Mine');
    expect((await getPage(`${mine.base}/announcements/${toThem.id}`, { cookie: mine.cookie })).status).toBe(404);
    expect((await getPage(`${mine.base}/announcements/${elsewhere.id}`, { cookie: mine.cookie })).status).toBe(404);

    // Dismiss needs a same-origin post, then the banner no longer shows it (the list still does).
    expect((await postForm(`${mine.base}/announcements/${toMe.id}/dismiss`, {}, { cookie: mine.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await postForm(`${mine.base}/announcements/${toMe.id}/dismiss`, {}, { cookie: mine.cookie, htmx: true })).status).toBe(200);
    expect(await (await getPage(`${mine.base}/announcements/banner`, { cookie: mine.cookie, htmx: true })).text()).not.toContain('For Mine Co');
    expect(await (await getPage(`${mine.base}/announcements`, { cookie: mine.cookie })).text()).toContain('For Mine Co');
    // A dismissal of someone else's announcement is refused.
    expect((await postForm(`${mine.base}/announcements/${toThem.id}/dismiss`, {}, { cookie: mine.cookie })).status).toBe(404);
    // Without a session: to sign-in.
    expect((await getPage(`${mine.base}/announcements`)).status).toBe(303);
  });
});

describe('Security', () => {
  it('shows Markdown and HTML injection as text, with only http(s)/mailto links', async () => {
    const host = await createHost('Injection Host');
    const mine = await portalCustomer(host, 'Target Co');
    const rec = recordingEnv();
    const body = '# Hi <script>alert(1)</script>\n\n[click](javascript:alert(1)) [ok](https://ok.example) "><img src=x onerror=alert(1)>\n\n- **<b>bold</b>**';
    const subject = '<img src=x onerror=alert(2)>';
    const a = await createAnnouncement(db(), rec.env, host.hostId, staffActor(host.owner.session), await checkAnnouncement(db(), host.hostId, 'UTC', { subject, body, format: 'markdown' }), null);
    for (const html of [
      await (await getPage(`${mine.base}/announcements/${a.id}`, { cookie: mine.cookie })).text(),
      await (await getPage(`/admin/notify/${a.id}`, { cookie: host.owner.cookie })).text(),
      await (await getPage(`${mine.base}/announcements/banner`, { cookie: mine.cookie, htmx: true })).text(),
    ]) {
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('href="javascript:');
    }
    const page = await (await getPage(`${mine.base}/announcements/${a.id}`, { cookie: mine.cookie })).text();
    expect(page).toContain('&lt;script&gt;');
    expect(page).toContain('href="https://ok.example/"');
    expect(page).toContain('<strong>&lt;b&gt;bold&lt;/b&gt;</strong>');

    // The email, rendered by the real consumer, escapes the same way.
    await deliverChunk(db(), rec.env, rec.notify[0]!);
    const sent: OutgoingEmail[] = [];
    const batch = createMessageBatch('hashyard-email', rec.email.map((outboxId, i) => ({ id: `x${i}`, timestamp: new Date(), attempts: 1, body: { outboxId } })));
    await handleEmailQueue(batch as MessageBatch<{ outboxId: string }>, rec.env, { transport: { name: 'local', async send(email) { sent.push(email); } } });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.html).not.toContain('<script>alert');
    expect(sent[0]!.html).not.toContain('<img src=x');
    expect(sent[0]!.html).not.toContain('href="javascript:');
    expect(sent[0]!.html).toContain('&lt;script&gt;');
  });

  it('needs a staff session and a same-origin post; another host’s announcement is 404', async () => {
    const f = await targetingFixture();
    const form = { kind: 'announcement', subject: 'x', body: 'y', format: 'plain', action: 'create' };
    expect((await postForm('/admin/notify/new', form)).status).toBe(303); // to sign-in
    expect((await postForm('/admin/notify/new', form, { cookie: f.host.owner.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await postForm('/admin/notify/new', form, { cookie: f.host.owner.cookie, origin: null })).status).toBe(403);
    expect(await db().select().from(announcements).where(eq(announcements.hostId, f.host.hostId)).all()).toHaveLength(0);

    const rec = recordingEnv();
    const theirs = await createAnnouncement(db(), rec.env, f.other.hostId, staffActor(f.other.owner.session), await checkAnnouncement(db(), f.other.hostId, 'UTC', { subject: 'Theirs', body: 'b' }), null);
    expect((await getPage(`/admin/notify/${theirs.id}`, { cookie: f.host.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/notify/${theirs.id}/resend`, {}, { cookie: f.host.owner.cookie })).status).toBe(404);
    expect(await (await getPage('/admin/notify', { cookie: f.host.owner.cookie })).text()).not.toContain('Theirs');
  });

  it('cancels a scheduled announcement only with a same-origin post, and never one already sent', async () => {
    const f = await targetingFixture();
    const rec = recordingEnv();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await createAnnouncement(db(), rec.env, f.host.hostId, staffActor(f.host.owner.session), await checkAnnouncement(db(), f.host.hostId, 'UTC', { subject: 'Later', body: 'b', send_at: later }), null);
    expect((await postForm(`/admin/notify/${scheduled.id}/cancel`, {}, { cookie: f.host.owner.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await db().select().from(announcements).where(eq(announcements.id, scheduled.id)).get())!.status).toBe('scheduled');
    expect((await postForm(`/admin/notify/${scheduled.id}/cancel`, {}, { cookie: f.host.owner.cookie })).status).toBe(303);
    expect((await db().select().from(announcements).where(eq(announcements.id, scheduled.id)).get())!.status).toBe('cancelled');
    // The cron never sends a cancelled one.
    await runNotifyCron(rec.env, Date.now() + 7_200_000);
    expect(rec.notify.filter((m) => m.announcementId === scheduled.id)).toHaveLength(0);

    const sent = await createAnnouncement(db(), rec.env, f.host.hostId, staffActor(f.host.owner.session), await checkAnnouncement(db(), f.host.hostId, 'UTC', { subject: 'Now', body: 'b' }), null);
    expect((await postForm(`/admin/notify/${sent.id}/cancel`, {}, { cookie: f.host.owner.cookie })).status).toBe(409);
    expect((await postForm(`/admin/notify/${sent.id}/resend`, {}, { cookie: f.host.owner.cookie, origin: null })).status).toBe(403);
  });
});
