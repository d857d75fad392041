import { createExecutionContext, createMessageBatch, createScheduledController, env, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { dueBillingJobs, type BillingJob } from '../../src/billing/invoices';
import { BILLING_QUEUE_NAME, handleBillingQueue, runBillingCron } from '../../src/billing/queue';
import { emailOutbox, invoices } from '../../src/db/schema';
import type { Bindings } from '../../src/env';
import worker from '../../src/index';
import { createHost, createTestCustomer, db } from '../helpers/fixtures';
import { billedCustomer, billingContract, hour, setBilling } from '../helpers/invoicing';
import { recordingQueue } from '../helpers/queues';

const bindings = env as unknown as Bindings;

async function hostWithCustomers() {
  const host = await createHost();
  const { customer, units } = await billedCustomer(host);
  await billingContract(host, customer.id, { minerIds: units, pricing: 'fixed_per_unit', kwhSource: null, monthlyFeeMinor: 12_000 });
  const idle = await createTestCustomer(host, { name: 'No contract', contact_email: 'idle@example.com' });
  return { host, customer, idle };
}

describe('billing cron', () => {
  it('queues a period only once its last UTC day has been sealed (48 h after it ends)', async () => {
    const { host, customer } = await hostWithCustomers();
    const mine = (jobs: BillingJob[]) => jobs.filter((j) => j.hostId === host.hostId);
    expect(mine(await dueBillingJobs(db(), hour('2026-04-02T23:00:00Z')))).toEqual([]);
    const jobs = mine(await dueBillingJobs(db(), hour('2026-04-03T00:30:00Z')));
    expect(jobs).toEqual([{ kind: 'invoice', hostId: host.hostId, customerId: customer.id, periodKey: '2026-03' }]);
  });

  it('follows the host’s billing day', async () => {
    const { host, customer } = await hostWithCustomers();
    await setBilling(host, { billingDay: 15 });
    const mine = (jobs: BillingJob[]) => jobs.filter((j) => j.hostId === host.hostId);
    // The period 2026-03-15 .. 2026-04-14 ends 2026-04-15 00:00: ready from 2026-04-17.
    expect(mine(await dueBillingJobs(db(), hour('2026-04-16T12:00:00Z')))).toEqual([]);
    expect(mine(await dueBillingJobs(db(), hour('2026-04-17T00:10:00Z')))).toEqual([{ kind: 'invoice', hostId: host.hostId, customerId: customer.id, periodKey: '2026-03' }]);
  });

  it('generates and issues each queued invoice once, however often the message arrives', async () => {
    const { host, customer } = await hostWithCustomers();
    const job: BillingJob = { kind: 'invoice', hostId: host.hostId, customerId: customer.id, periodKey: '2026-03' };
    for (let delivery = 0; delivery < 2; delivery++) {
      const batch = createMessageBatch<unknown>(BILLING_QUEUE_NAME, [{ id: `m${delivery}`, timestamp: new Date(), attempts: 1, body: job }]);
      const ctx = createExecutionContext();
      await handleBillingQueue(batch, bindings);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual([`m${delivery}`]);
    }
    const rows = await db().select().from(invoices).where(eq(invoices.customerId, customer.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'issued', totalMinor: 24_000, numberSeq: 1 });
    const mail = await db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, host.hostId), eq(emailOutbox.template, 'invoice')));
    expect(mail).toHaveLength(1);
  });

  it('drops a malformed message instead of retrying it forever', async () => {
    const batch = createMessageBatch<unknown>(BILLING_QUEUE_NAME, [{ id: 'bad', timestamp: new Date(), attempts: 1, body: { kind: 'invoice' } }]);
    const ctx = createExecutionContext();
    await handleBillingQueue(batch, bindings);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['bad']);
  });

  it('the scheduled handler queues due invoices and marks overdue ones', async () => {
    const { host, customer } = await hostWithCustomers();
    const { queue, sent } = recordingQueue<BillingJob>();
    const summary = await runBillingCron({ DB: env.DB, BILLING_QUEUE: queue }, hour('2026-04-03T01:00:00Z'));
    expect(sent.filter((j) => j.hostId === host.hostId)).toEqual([{ kind: 'invoice', hostId: host.hostId, customerId: customer.id, periodKey: '2026-03' }]);
    expect(summary.queued).toBeGreaterThanOrEqual(1);

    // Through the Worker's own scheduled entry point too (the real queue binding).
    const controller = createScheduledController({ scheduledTime: hour('2026-04-03T01:15:00Z'), cron: '*/15 * * * *' });
    const ctx = createExecutionContext();
    await worker.scheduled!(controller, bindings, ctx);
    await waitOnExecutionContext(ctx);
  });
});
