/**
 * The billing queue: the cron finds which customers need their period's invoice
 * (dueBillingJobs) and sends one message each; this consumer generates and issues them.
 * Fanning out keeps each invocation to a fixed handful of D1 queries per invoice, so a host of
 * thousands of customers never meets a Worker's per-invocation limits.
 * @see https://developers.cloudflare.com/workers/platform/limits/#subrequests
 *
 * Nothing is lost: a message that keeps failing is retried, and the cron re-sends every job
 * whose invoice still does not exist on its next run; a duplicate finds the invoice already
 * there (one per period by unique index) and already issued (guarded UPDATE).
 */
import { getDb } from '../db/client';
import type { Bindings } from '../env';
import { openHostIds } from '../hosts/open';
import { dueBillingJobs, markOverdue, runBillingJob, type BillingJob } from './invoices';

export const BILLING_QUEUE_NAME = 'hashyard-billing';

/** Queue.sendBatch takes at most 100 messages. @see https://developers.cloudflare.com/queues/platform/limits/ */
const SEND_BATCH_LIMIT = 100;

const isBillingJob = (body: unknown): body is BillingJob => {
  const b = body as Partial<BillingJob> | null;
  return !!b && b.kind === 'invoice' && typeof b.hostId === 'string' && typeof b.customerId === 'string' && typeof b.periodKey === 'string';
};

export async function handleBillingQueue(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  const db = getDb(env.DB);
  const open = await openHostIds(db, batch.messages.flatMap((message) => (isBillingJob(message.body) ? [message.body.hostId] : [])));
  for (const message of batch.messages) {
    if (!isBillingJob(message.body)) {
      console.error(`[billing] message ${message.id} is not a billing job; dropped`);
      message.ack();
      continue;
    }
    if (!open.has(message.body.hostId)) {
      // Queued before the host was closed: a closed host books no more invoices.
      console.warn(`[billing] ${message.body.hostId}/${message.body.customerId}/${message.body.periodKey}: the host is closed; dropped`);
      message.ack();
      continue;
    }
    try {
      await runBillingJob(db, env, message.body);
      message.ack();
    } catch (error) {
      console.error(`[billing] ${message.body.hostId}/${message.body.customerId}/${message.body.periodKey} failed; retrying`, error);
      message.retry();
    }
  }
}

/** The cron's billing work: age invoices, then queue the invoices that are due. */
export async function runBillingCron(env: Pick<Bindings, 'DB' | 'BILLING_QUEUE'>, now = Date.now()): Promise<{ overdue: number; queued: number }> {
  const db = getDb(env.DB);
  const overdue = await markOverdue(db, now);
  const jobs = await dueBillingJobs(db, now);
  for (let i = 0; i < jobs.length; i += SEND_BATCH_LIMIT) {
    await env.BILLING_QUEUE.sendBatch(jobs.slice(i, i + SEND_BATCH_LIMIT).map((body) => ({ body })));
  }
  return { overdue, queued: jobs.length };
}
