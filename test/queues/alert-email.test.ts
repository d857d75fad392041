import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { alerts, customers, emailOutbox, hosts, miners } from '../../src/db/schema';
import { loadHostBrand, renderEmail } from '../../src/email/templates';
import type { Bindings, EmailQueueMessage } from '../../src/env';
import { platformOrigin } from '../../src/portal/links';
import { ALERT_EMAILS_PER_CUSTOMER, alertEmails } from '../../src/telemetry/alert-email';
import { createHost, createTestCustomer, db, type TestHost } from '../helpers/fixtures';
import { insertAlert, insertMiner, insertSite, setAlertRules } from '../helpers/alerts';
import { setHostSlug } from '../helpers/portal';
import { batchOf, nextMac, report, stateOf } from '../helpers/telemetry';

const bindings = env as unknown as Bindings;

/** The real bindings with a queue that records instead of delivering. */
function recordingEnv() {
  const sent: string[] = [];
  const queue = {
    async send(body: EmailQueueMessage) {
      sent.push(body.outboxId);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<EmailQueueMessage>>) {
      for (const m of messages) sent.push(m.body.outboxId);
    },
  } as unknown as Queue<EmailQueueMessage>;
  return { env: { ...bindings, EMAIL_QUEUE: queue }, sent };
}

const alertEmailsTo = (hostId: string) => db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, hostId), eq(emailOutbox.template, 'alert'))).all();

async function hotFixture(name: string, options: { emailCustomer?: boolean; customerFields?: Record<string, unknown> } = {}) {
  const host = await createHost(name);
  const slug = await setHostSlug(host);
  const siteId = await insertSite(host, `${name} Site`);
  const customer = await createTestCustomer(host, { name: `${name} Customer`, contact_email: 'ops@hot.example', billing_email: 'billing@hot.example', ...options.customerFields });
  const miner = await insertMiner(host, { siteId, customerId: customer.id, model: 'Antminer <S19>', rackLocation: 'Row 4 & Rack "9"' });
  await setAlertRules(host, { overTempC: 85, overTempMinutes: 0, emailCustomer: options.emailCustomer ?? true });
  return { host, slug, siteId, customer, miner, ctx: { hostId: host.hostId, siteId } };
}

const hot = (mac: string) => report(mac, { board_temps_c: [88, 91], chip_temps_c: [94] });

describe('alert emails from SiteState', () => {
  it('emails the customer once when an alert opens, through the outbox, and marks the alert', async () => {
    const f = await hotFixture('Alert Mail Host');
    await stateOf(f.siteId).ingest(f.ctx, batchOf([hot(f.miner.mac)]));
    const [alert] = await db().select().from(alerts).where(eq(alerts.hostId, f.host.hostId)).all();
    expect(alert).toMatchObject({ kind: 'over_temp', minerId: f.miner.id, customerId: f.customer.id, closedAt: null });
    expect(alert!.emailedAt).toEqual(expect.any(Number));
    const mails = await alertEmailsTo(f.host.hostId);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.toEmail).toBe('billing@hot.example');
    expect(mail.subject).toBe('Alert: Over temperature on Antminer <S19> · Row 4 & Rack "9" (' + `SN-${f.miner.mac.replace(/:/g, '')})`);
    const payload = JSON.parse(mail.payload) as Record<string, unknown>;
    expect(payload).toMatchObject({
      minerLabel: expect.stringContaining('Antminer <S19>'),
      kind: 'over_temp',
      detail: 'Temperature 94 °C, above the 85 °C limit.',
      openedAt: new Date(alert!.openedAt).toISOString(),
      portalUrl: `https://hashyard.test/host/${f.slug}/equipment/${f.miner.id}`,
    });
    expect(payload.otherAlerts).toBeUndefined();

    // The alert stays open across more hot reports and the alarm: no second email.
    await stateOf(f.siteId).ingest(f.ctx, batchOf([hot(f.miner.mac)]));
    await runDurableObjectAlarm(stateOf(f.siteId));
    expect(await alertEmailsTo(f.host.hostId)).toHaveLength(1);
    // A re-run of the email step for the same alert (a retried flush) emails nobody.
    const rerun = recordingEnv();
    expect(await alertEmails(db(), rerun.env, f.host.hostId, [alert!.id])).toEqual([]);
    expect(rerun.sent).toEqual([]);
    expect(await alertEmailsTo(f.host.hostId)).toHaveLength(1);
  });

  it('uses the contact email when the customer has no billing email, and the custom domain in the link', async () => {
    const f = await hotFixture('Alert Contact Host', { customerFields: { billing_email: '' } });
    const now = Date.now();
    const { customDomains } = await import('../../src/db/schema');
    await db().insert(customDomains).values({ id: crypto.randomUUID(), hostId: f.host.hostId, hostname: `portal-${f.slug}.example`, status: 'active', verifiedAt: now, createdAt: now, updatedAt: now });
    await stateOf(f.siteId).ingest(f.ctx, batchOf([hot(f.miner.mac)]));
    const [mail] = await alertEmailsTo(f.host.hostId);
    expect(mail!.toEmail).toBe('ops@hot.example');
    expect(JSON.parse(mail!.payload).portalUrl).toBe(`https://portal-${f.slug}.example/equipment/${f.miner.id}`);
  });

  it('sends nothing while the host’s rule is off', async () => {
    const f = await hotFixture('Alert Off Host', { emailCustomer: false });
    await stateOf(f.siteId).ingest(f.ctx, batchOf([hot(f.miner.mac)]));
    const [alert] = await db().select().from(alerts).where(eq(alerts.hostId, f.host.hostId)).all();
    expect(alert).toBeDefined();
    expect(alert!.emailedAt).toBeNull();
    expect(await alertEmailsTo(f.host.hostId)).toHaveLength(0);
  });

  it('sends nothing for an unassigned miner (a unit the agent found, staged in inventory)', async () => {
    const f = await hotFixture('Alert Staged Host');
    const unknownMac = nextMac();
    await stateOf(f.siteId).ingest(f.ctx, batchOf([hot(unknownMac)]));
    const staged = await db().select().from(miners).where(and(eq(miners.hostId, f.host.hostId), eq(miners.mac, unknownMac))).get();
    expect(staged?.status).toBe('staged');
    const [alert] = await db().select().from(alerts).where(eq(alerts.minerId, staged!.id)).all();
    expect(alert).toMatchObject({ kind: 'over_temp', customerId: null, emailedAt: null });
    expect(await alertEmailsTo(f.host.hostId)).toHaveLength(0);
  });
});

describe('alertEmails', () => {
  async function directFixture(name: string, rules = { emailCustomer: true }) {
    const host = await createHost(name);
    await setHostSlug(host);
    const siteId = await insertSite(host);
    const customer = await createTestCustomer(host, { name: `${name} Customer`, contact_email: `c-${crypto.randomUUID().slice(0, 6)}@example.com` });
    await setAlertRules(host, rules);
    return { host, siteId, customer };
  }

  it('skips closed alerts, miners no longer the customer’s, and inactive customers', async () => {
    const f = await directFixture('Alert Skip Host');
    const mine = await insertMiner(f.host, { siteId: f.siteId, customerId: f.customer.id });
    const other = await createTestCustomer(f.host, { name: 'Other' });
    const moved = await insertMiner(f.host, { siteId: f.siteId, customerId: other.id });
    const ids = {
      closed: await insertAlert(f.host, { siteId: f.siteId, minerId: mine.id, customerId: f.customer.id, closedAt: Date.now() }),
      moved: await insertAlert(f.host, { siteId: f.siteId, minerId: moved.id, customerId: f.customer.id }),
      ok: await insertAlert(f.host, { siteId: f.siteId, minerId: mine.id, customerId: f.customer.id, kind: 'offline' }),
    };
    const rec = recordingEnv();
    const sent = await alertEmails(db(), rec.env, f.host.hostId, Object.values(ids));
    expect(sent).toHaveLength(1);
    expect(rec.sent).toEqual(sent);
    const marked = await db().select({ id: alerts.id, emailedAt: alerts.emailedAt }).from(alerts).where(inArray(alerts.id, Object.values(ids))).all();
    expect(Object.fromEntries(marked.map((m) => [m.id, m.emailedAt !== null]))).toEqual({ [ids.closed]: false, [ids.moved]: false, [ids.ok]: true });

    await db().update(customers).set({ active: false }).where(eq(customers.id, f.customer.id));
    const later = await insertAlert(f.host, { siteId: f.siteId, minerId: mine.id, customerId: f.customer.id, kind: 'low_hashrate' });
    expect(await alertEmails(db(), recordingEnv().env, f.host.hostId, [later])).toEqual([]);
  });

  it('never emails twice when two flushes race over the same alerts', async () => {
    const f = await directFixture('Alert Race Host');
    const miner = await insertMiner(f.host, { siteId: f.siteId, customerId: f.customer.id });
    const ids = [
      await insertAlert(f.host, { siteId: f.siteId, minerId: miner.id, customerId: f.customer.id, kind: 'offline' }),
      await insertAlert(f.host, { siteId: f.siteId, minerId: miner.id, customerId: f.customer.id, kind: 'over_temp' }),
    ];
    const rec = recordingEnv();
    const [a, b] = await Promise.all([alertEmails(db(), rec.env, f.host.hostId, ids), alertEmails(db(), rec.env, f.host.hostId, ids)]);
    expect(a.length + b.length).toBe(2);
    expect(rec.sent.sort()).toEqual([...a, ...b].sort());
    expect(await alertEmailsTo(f.host.hostId)).toHaveLength(2);
  });

  it('sends at most a few per customer at once; the last says how many more opened, and all are marked', async () => {
    const f = await directFixture('Alert Flood Host');
    const t = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < ALERT_EMAILS_PER_CUSTOMER + 3; i += 1) {
      const miner = await insertMiner(f.host, { siteId: f.siteId, customerId: f.customer.id });
      ids.push(await insertAlert(f.host, { siteId: f.siteId, minerId: miner.id, customerId: f.customer.id, kind: 'offline', openedAt: t + i }));
    }
    const sent = await alertEmails(db(), recordingEnv().env, f.host.hostId, ids);
    expect(sent).toHaveLength(ALERT_EMAILS_PER_CUSTOMER);
    const payloads = (await alertEmailsTo(f.host.hostId)).map((row) => JSON.parse(row.payload) as { otherAlerts?: number; openedAt: string });
    payloads.sort((x, y) => x.openedAt.localeCompare(y.openedAt));
    expect(payloads.map((p) => p.otherAlerts ?? 0)).toEqual([0, 0, 0, 0, 3]);
    const unmarked = await db().select().from(alerts).where(and(inArray(alerts.id, ids))).all();
    expect(unmarked.every((row) => row.emailedAt !== null)).toBe(true);
  });

  it('renders a branded alert email, markup in the miner’s name escaped', async () => {
    const f = await hotFixture('Alert Render Host');
    await db().update(hosts).set({ brandPrimaryColor: '#0f766e', timezone: 'America/Chicago' }).where(eq(hosts.id, f.host.hostId));
    await db().update(miners).set({ model: '<script>alert(1)</script>' }).where(eq(miners.id, f.miner.id));
    const alertId = await insertAlert(f.host, { siteId: f.siteId, minerId: f.miner.id, customerId: f.customer.id, openedAt: Date.parse('2026-11-26T22:00:00Z') });
    await alertEmails(db(), recordingEnv().env, f.host.hostId, [alertId]);
    const [row] = await alertEmailsTo(f.host.hostId);
    const rendered = await renderEmail(row!, (await loadHostBrand(db(), f.host.hostId))!);
    expect(rendered.html).toContain('Alert Render Host');
    expect(rendered.html).toContain('#0f766e');
    expect(rendered.html).toContain('Over temperature');
    expect(rendered.html).toContain('Temperature 92 °C, above the 85 °C limit.');
    expect(rendered.html).toContain('26 November 2026 at 16:00 (America/Chicago)');
    expect(rendered.html).not.toContain('<script>alert(1)</script>');
    expect(rendered.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(rendered.html).not.toContain('Hashyard'); // the host's brand only (the link's domain is the platform's)
    expect(rendered.text).toContain('Miner:  <script>alert(1)</script>');
    expect(rendered.text).toContain(`/equipment/${f.miner.id}`);
  });

  it('links to https://APP_HOST, or to wrangler dev’s port in development', () => {
    expect(platformOrigin({ APP_HOST: 'app.hashyard.example', ENVIRONMENT: 'production' })).toBe('https://app.hashyard.example');
    expect(platformOrigin({ APP_HOST: 'localhost', ENVIRONMENT: 'development' })).toBe('http://localhost:8787');
  });

  it('does nothing for an empty list or another host’s alerts', async () => {
    const f = await directFixture('Alert Scope Host');
    const other: TestHost = await createHost('Alert Scope Other');
    await setAlertRules(other, { emailCustomer: true });
    const miner = await insertMiner(f.host, { siteId: f.siteId, customerId: f.customer.id });
    const id = await insertAlert(f.host, { siteId: f.siteId, minerId: miner.id, customerId: f.customer.id });
    expect(await alertEmails(db(), recordingEnv().env, f.host.hostId, [])).toEqual([]);
    expect(await alertEmails(db(), recordingEnv().env, other.hostId, [id])).toEqual([]);
    expect((await db().select().from(alerts).where(eq(alerts.id, id)).get())?.emailedAt).toBeNull();
  });
});
