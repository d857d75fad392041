// Background work after the owner closes the host (issue 16): every cron path and queue consumer
// skips the closed host while the identical work of an open host, in the same run, is done — so
// each test proves the filter, not an empty run. The host is closed through the real service.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { and, eq, inArray, max } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addDays, zonedDate } from '../../src/billing/periods';
import { markOverdue, type BillingJob } from '../../src/billing/invoices';
import { BILLING_QUEUE_NAME, handleBillingQueue, runBillingCron } from '../../src/billing/queue';
import { SEAL_AFTER_MS, sealDueDays } from '../../src/billing/seal';
import { runContractLifecycle } from '../../src/contracts/service';
import { activityLog, alerts, announcements, contracts, defaultCases, emailOutbox, hostExports, invoices, usageSealDays } from '../../src/db/schema';
import { runDefaultCron } from '../../src/default/cron';
import { handleEmailQueue } from '../../src/email/consumer';
import { outboxInsert } from '../../src/email/outbox';
import type { OutgoingEmail, Transport } from '../../src/email/types';
import type { Bindings, EmailQueueMessage } from '../../src/env';
import { staffActor } from '../../src/hosts/service';
import { handleNotifyQueue, NOTIFY_QUEUE_NAME } from '../../src/notify/queue';
import { checkAnnouncement, createAnnouncement, runNotifyCron } from '../../src/notify/service';
import { closeHost } from '../../src/team/close';
import { EXPORT_QUEUE_NAME, handleExportQueue, requestExport, type ExportMessage } from '../../src/team/export';
import { insertMiner, insertSite, setAlertRules } from '../helpers/alerts';
import { insertInvoice } from '../helpers/billing';
import { setHoldingPool } from '../helpers/default';
import { DAY_MS, HOUR_MS, insertUsage } from '../helpers/evidence';
import { createHost, createMiner, createTestCustomer, db, ORIGIN, type TestHost } from '../helpers/fixtures';
import { billedCustomer, billingContract, hour } from '../helpers/invoicing';
import { recordingEnv } from '../helpers/notify';
import { recordingQueue } from '../helpers/queues';
import { batchOf, createSite, report, stateOf } from '../helpers/telemetry';

const bindings = env as unknown as Bindings;

/** Two hosts made the same way; the second is closed by its owner (name and password), the first stays open. */
async function openAndClosed<T>(make: (host: TestHost) => Promise<T>, options: { closeAt?: number; beforeClose?: (open: T, closed: T) => Promise<void> } = {}) {
  const openHost = await createHost('Open Hosting');
  const closedHost = await createHost('Closed Hosting');
  const open = await make(openHost);
  const closed = await make(closedHost);
  await options.beforeClose?.(open, closed);
  await closeHost(bindings, db(), closedHost.owner.session, { confirmation: 'Closed Hosting', password: closedHost.owner.password }, options.closeAt);
  return { openHost, closedHost, open, closed };
}

const batchOfBodies = <T>(queueName: string, bodies: T[]) =>
  createMessageBatch<T>(
    queueName,
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );

async function consume<T>(queueName: string, bodies: T[], handler: (batch: MessageBatch<T>) => Promise<void>) {
  const batch = batchOfBodies(queueName, bodies);
  const ctx = createExecutionContext();
  await handler(batch);
  return getQueueResult(batch, ctx);
}

describe('contract lifecycle', () => {
  it('expires an open host’s ended contract and leaves the closed host’s as it was', async () => {
    const { open, closed } = await openAndClosed(async (host) => {
      const customer = await createTestCustomer(host);
      return billingContract(host, customer.id, { startDate: '2026-01-01', endDate: '2026-06-30' });
    });
    const report = await runContractLifecycle(db(), Date.parse('2026-07-01T12:00:00Z'));
    expect(report.expired).toContain(open);
    expect(report.expired).not.toContain(closed);
    const rows = await db().select({ id: contracts.id, status: contracts.status }).from(contracts).where(inArray(contracts.id, [open, closed])).all();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [open]: 'expired', [closed]: 'active' });
  });
});

describe('billing', () => {
  async function contracted(host: TestHost) {
    const { customer, units } = await billedCustomer(host);
    await billingContract(host, customer.id, { minerIds: units, pricing: 'fixed_per_unit', kwhSource: null, monthlyFeeMinor: 12_000 });
    return { host, customerId: customer.id };
  }

  it('the cron queues the open host’s due invoices, none of the closed host’s', async () => {
    const { open, closed } = await openAndClosed(contracted);
    const { queue, sent } = recordingQueue<BillingJob>();
    await runBillingCron({ DB: env.DB, BILLING_QUEUE: queue }, hour('2026-04-03T01:00:00Z'));
    expect(sent.filter((job) => job.hostId === open.host.hostId)).toEqual([{ kind: 'invoice', hostId: open.host.hostId, customerId: open.customerId, periodKey: '2026-03' }]);
    expect(sent.filter((job) => job.hostId === closed.host.hostId)).toEqual([]);
  });

  it('marks the open host’s past-due invoice overdue, and not the closed host’s', async () => {
    const { open, closed, openHost, closedHost } = await openAndClosed(async (host) => {
      const customer = await createTestCustomer(host);
      return insertInvoice(host, customer.id, { status: 'issued', dueOn: '2026-04-16' });
    });
    await markOverdue(db(), hour('2026-04-17T01:00:00Z'));
    const rows = await db().select({ id: invoices.id, status: invoices.status }).from(invoices).where(inArray(invoices.id, [open, closed])).all();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [open]: 'overdue', [closed]: 'issued' });
    const overdueEntries = async (host: TestHost) =>
      db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'invoice.overdue'))).all();
    expect(await overdueEntries(openHost)).toHaveLength(1);
    expect(await overdueEntries(closedHost)).toHaveLength(0);
  });

  it('the queue consumer acknowledges a closed host’s job queued before the close without invoicing', async () => {
    const { open, closed } = await openAndClosed(contracted);
    const job = (c: { host: TestHost; customerId: string }): BillingJob => ({ kind: 'invoice', hostId: c.host.hostId, customerId: c.customerId, periodKey: '2026-03' });
    const result = await consume<unknown>(BILLING_QUEUE_NAME, [job(open), job(closed)], (batch) => handleBillingQueue(batch, bindings));
    expect(result.explicitAcks.sort()).toEqual(['m0', 'm1']);
    expect(result.retryMessages).toEqual([]);
    const invoiced = async (c: { host: TestHost }) => db().select({ status: invoices.status }).from(invoices).where(eq(invoices.hostId, c.host.hostId)).all();
    expect(await invoiced(open)).toEqual([{ status: 'issued' }]);
    expect(await invoiced(closed)).toEqual([]);
    const invoiceMail = async (c: { host: TestHost }) =>
      db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, c.host.hostId), eq(emailOutbox.template, 'invoice'))).all();
    expect(await invoiceMail(open)).toHaveLength(1);
    expect(await invoiceMail(closed)).toHaveLength(0);
  });
});

describe('usage sealing', () => {
  it('seals a closed host’s days through the day it closed, and an open host’s through the cutoff', async () => {
    const d0 = Date.UTC(2026, 2, 1);
    const closeAt = d0 + DAY_MS + 12 * HOUR_MS; // the second day, at noon
    const { open, closed } = await openAndClosed(
      async (host) => {
        const siteId = await createSite(host);
        const customer = await createTestCustomer(host);
        const unit = await createMiner(host, { customerId: customer.id, siteId });
        // Usage on the first two days (what SiteState rolled up before the close).
        await insertUsage(host, [0, 1].map((day) => ({ minerId: unit, siteId, customerId: customer.id, hourStart: d0 + day * DAY_MS + 4 * HOUR_MS })));
        return siteId;
      },
      { closeAt },
    );
    const now = d0 + 4 * DAY_MS + SEAL_AFTER_MS; // the cutoff is the fourth day (d0 + 3)
    await sealDueDays(db(), now, { siteIds: [open, closed], maxSteps: 50 });
    const lastSealed = async (siteId: string) => (await db().select({ day: max(usageSealDays.day) }).from(usageSealDays).where(eq(usageSealDays.siteId, siteId)).get())?.day;
    expect(await lastSealed(open)).toBe('2026-03-04');
    expect(await lastSealed(closed)).toBe('2026-03-02');
    // A later run seals nothing more for the closed host.
    await sealDueDays(db(), now + 10 * DAY_MS, { siteIds: [closed], maxSteps: 50 });
    expect(await lastSealed(closed)).toBe('2026-03-02');
  });
});

describe('default cron', () => {
  it('opens a case for the open host’s long-overdue customer, none for the closed host’s', async () => {
    const { openHost, closedHost } = await openAndClosed(async (host) => {
      await setHoldingPool(host, 'stratum+tcp://holding.hashyard.example:3333', { grace_days: '15', notice_emails: true });
      const customer = await createTestCustomer(host);
      await insertInvoice(host, customer.id, { status: 'overdue', dueOn: addDays(zonedDate(Date.now(), 'UTC'), -20) });
      return customer.id;
    });
    await runDefaultCron(bindings);
    const cases = async (host: TestHost) => db().select().from(defaultCases).where(eq(defaultCases.hostId, host.hostId)).all();
    expect(await cases(openHost)).toHaveLength(1);
    expect(await cases(closedHost)).toEqual([]);
    const notices = async (host: TestHost) => db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, host.hostId), eq(emailOutbox.template, 'default_notice'))).all();
    expect(await notices(closedHost)).toEqual([]);
  });
});

describe('announcements and maintenance notices', () => {
  /** A customer at a site, a maintenance window under way (its notice queued at once) and an announcement scheduled in 2 h. */
  async function notifyFixture(rec: ReturnType<typeof recordingEnv>, now: number) {
    return async (host: TestHost) => {
      const siteId = await insertSite(host, 'Hall');
      const customer = await createTestCustomer(host, { name: 'Rack Co', contact_email: `rack-${host.hostId}@rack.example` });
      await insertMiner(host, { siteId, customerId: customer.id });
      const actor = staffActor(host.owner.session);
      const windowInput = {
        kind: 'maintenance',
        subject: 'Power work',
        body: 'We replace a PDU.',
        site_id: siteId,
        starts_at: new Date(now - 3 * HOUR_MS).toISOString(),
        ends_at: new Date(now + HOUR_MS).toISOString(),
        notice_hours: 0,
      };
      const maintenance = await createAnnouncement(db(), rec.env, host.hostId, actor, await checkAnnouncement(db(), host.hostId, 'UTC', windowInput, now), null, now);
      const laterInput = { subject: 'Price list', body: 'New prices', send_at: new Date(now + 2 * HOUR_MS).toISOString() };
      const scheduled = await createAnnouncement(db(), rec.env, host.hostId, actor, await checkAnnouncement(db(), host.hostId, 'UTC', laterInput, now), null, now);
      expect(maintenance.status).toBe('sending');
      expect(scheduled.status).toBe('scheduled');
      return { host, maintenance: maintenance.id, scheduled: scheduled.id };
    };
  }

  it('the cron starts, ends and re-queues only the open host’s announcements', async () => {
    const rec = recordingEnv();
    const now = Date.now();
    const { open, closed } = await openAndClosed(await notifyFixture(rec, now));
    const queuedBefore = rec.notify.length;
    // 2 h later: the scheduled announcement is due, the window has ended, and the window's
    // fan-out (never consumed here) is older than 30 minutes, so it is re-queued.
    await runNotifyCron(rec.env, now + 2 * HOUR_MS);
    const queued = rec.notify.slice(queuedBefore);
    expect(queued.filter((m) => m.hostId === closed.host.hostId)).toEqual([]);
    const openQueued = queued.filter((m) => m.hostId === open.host.hostId).map((m) => `${m.announcementId === open.maintenance ? 'maintenance' : 'scheduled'}:${m.phase}`);
    expect(openQueued.sort()).toEqual(['maintenance:ended', 'maintenance:notice', 'scheduled:notice']);

    const rows = await db()
      .select({ id: announcements.id, status: announcements.status, endedNoticeAt: announcements.endedNoticeAt })
      .from(announcements)
      .where(inArray(announcements.id, [open.scheduled, closed.scheduled, open.maintenance, closed.maintenance]))
      .all();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(open.scheduled)!.status).toBe('sending');
    expect(byId.get(closed.scheduled)!.status).toBe('scheduled');
    expect(byId.get(open.maintenance)!.endedNoticeAt).not.toBeNull();
    expect(byId.get(closed.maintenance)!.endedNoticeAt).toBeNull();
  });

  it('the notify consumer acknowledges a closed host’s chunk queued before the close without writing its emails', async () => {
    const rec = recordingEnv();
    const now = Date.now();
    const { open, closed } = await openAndClosed(await notifyFixture(rec, now));
    const chunks = rec.notify.filter((m) => m.announcementId === open.maintenance || m.announcementId === closed.maintenance);
    expect(chunks.map((m) => m.hostId).sort()).toEqual([open.host.hostId, closed.host.hostId].sort());
    const result = await consume<unknown>(NOTIFY_QUEUE_NAME, chunks, (batch) => handleNotifyQueue(batch, rec.env));
    expect(result.explicitAcks.sort()).toEqual(['m0', 'm1']);
    expect(result.retryMessages).toEqual([]);
    const announcementMail = async (host: TestHost) =>
      db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, host.hostId), eq(emailOutbox.template, 'announcement'))).all();
    expect(await announcementMail(open.host)).toHaveLength(1);
    expect(await announcementMail(closed.host)).toEqual([]);
  });
});

describe('alert emails', () => {
  it('an alert a closed host’s site object still records is not emailed; the open host’s is', async () => {
    const { open, closed } = await openAndClosed(async (host) => {
      const siteId = await insertSite(host, 'Hot Hall');
      const customer = await createTestCustomer(host, { contact_email: `ops-${host.hostId}@hot.example` });
      const miner = await insertMiner(host, { siteId, customerId: customer.id });
      await setAlertRules(host, { overTempC: 85, overTempMinutes: 0, emailCustomer: true });
      return { host, siteId, miner };
    });
    const hot = (mac: string) => report(mac, { board_temps_c: [88, 91], chip_temps_c: [94] });
    // Straight into the site objects: an ingest (or flush) already under way when the host closed.
    for (const f of [open, closed]) await stateOf(f.siteId).ingest({ hostId: f.host.hostId, siteId: f.siteId }, batchOf([hot(f.miner.mac)]));
    const alertOf = async (f: typeof open) => (await db().select().from(alerts).where(eq(alerts.hostId, f.host.hostId)).all())[0];
    expect((await alertOf(open))!.emailedAt).toEqual(expect.any(Number));
    const recorded = await alertOf(closed);
    expect(recorded).toMatchObject({ kind: 'over_temp', emailedAt: null });
    const alertMail = async (f: typeof open) => db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, f.host.hostId), eq(emailOutbox.template, 'alert'))).all();
    expect(await alertMail(open)).toHaveLength(1);
    expect(await alertMail(closed)).toEqual([]);
  });
});

describe('the email consumer', () => {
  const invite = (hostId: string, to: string) =>
    outboxInsert(db(), {
      hostId,
      to,
      template: 'invite',
      subject: 'Join the portal',
      payload: { customerName: 'Acme', inviterLabel: 'Ana', acceptUrl: 'https://hashyard.test/host/x/auth/invite/t', expiresAt: '2030-01-01T00:00:00.000Z' },
    });

  it('fails a closed host’s customer email with the reason and sends the open host’s', async () => {
    const { openHost, closedHost } = await openAndClosed(async () => undefined);
    const toOpen = invite(openHost.hostId, 'customer@open.example');
    const toClosed = invite(closedHost.hostId, 'customer@closed.example');
    await db().batch([toOpen.statement, toClosed.statement]);
    const sent: OutgoingEmail[] = [];
    const transport: Transport = { name: 'local', send: async (email) => void sent.push(email) };
    const result = await consume<EmailQueueMessage>('hashyard-email', [{ outboxId: toOpen.id }, { outboxId: toClosed.id }], (batch) => handleEmailQueue(batch, bindings, { transport }));
    expect(result.explicitAcks.sort()).toEqual(['m0', 'm1']);
    expect(sent.map((e) => e.to)).toEqual(['customer@open.example']);
    const rows = await db().select().from(emailOutbox).where(inArray(emailOutbox.id, [toOpen.id, toClosed.id])).all();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(toOpen.id)!.status).toBe('sent');
    expect(byId.get(toClosed.id)).toMatchObject({ status: 'failed', lastError: 'The host is closed.' });
  });

  it('an export asked for before the close is still built, and its ready email still reaches the owner', async () => {
    const exportQueue = recordingQueue<ExportMessage>();
    const { closedHost } = await openAndClosed(async (host) => host, {
      // The owner asks for the export just before closing (the page offers it first).
      beforeClose: async (_open, closing) => void (await requestExport(db(), { EXPORT_QUEUE: exportQueue.queue }, closing.owner.session, ORIGIN)),
    });
    expect(exportQueue.sent.map((m) => m.hostId)).toEqual([closedHost.hostId]);
    const built = await consume<unknown>(EXPORT_QUEUE_NAME, exportQueue.sent, (batch) => handleExportQueue(batch, bindings));
    expect(built.explicitAcks).toEqual(['m0']);
    const exportRow = await db().select().from(hostExports).where(eq(hostExports.hostId, closedHost.hostId)).get();
    expect(exportRow!.status).toBe('ready');
    const ready = await db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, closedHost.hostId), eq(emailOutbox.template, 'platform_notice'))).all();
    expect(ready).toHaveLength(1);

    const sent: OutgoingEmail[] = [];
    const transport: Transport = { name: 'local', send: async (email) => void sent.push(email) };
    await consume<EmailQueueMessage>('hashyard-email', [{ outboxId: ready[0]!.id }], (batch) => handleEmailQueue(batch, bindings, { transport }));
    expect(sent.map((e) => e.to)).toEqual([closedHost.owner.email]);
    expect(sent[0]!.subject).toBe('Your data export of Closed Hosting is ready');
  });
});
