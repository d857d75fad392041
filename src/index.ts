import { createApp } from './app';
import { runContractLifecycle } from './contracts/service';
import { expireQuotes } from './quotes/service';
import { getDb } from './db/client';
import { requeueStale, STALE_AFTER_MS } from './email/outbox';
import { handleDeadLetterQueue, handleEmailQueue } from './email/consumer';
import { EMAIL_DLQ_NAME, EMAIL_QUEUE_NAME } from './email/types';
import { sealDueDays } from './billing/seal';
import { pruneRateLimits } from './lib/rate-limit';
import { pruneSignInFailures } from './security/sign-in-delay';
import type { Bindings, EmailQueueMessage } from './env';
import { BILLING_QUEUE_NAME, handleBillingQueue, runBillingCron } from './billing/queue';
import { runDefaultCron } from './default/cron';
import { handleNotifyQueue, NOTIFY_QUEUE_NAME } from './notify/queue';
import { runNotifyCron } from './notify/service';
import { EXPORT_QUEUE_NAME, handleExportQueue, runExportCron } from './team/export';
import { deleteClosedHosts } from './team/close';

export { SiteState } from './live/site-state';

const app = createApp();

export default {
  fetch: app.fetch,

  /** One Worker consumes both email queues (wrangler.toml); the batch says which. */
  async queue(batch, env, _ctx) {
    switch (batch.queue) {
      case EMAIL_QUEUE_NAME:
        return handleEmailQueue(batch as MessageBatch<EmailQueueMessage>, env);
      case EMAIL_DLQ_NAME:
        return handleDeadLetterQueue(batch as MessageBatch<EmailQueueMessage>, env);
      case BILLING_QUEUE_NAME:
        return handleBillingQueue(batch, env);
      case NOTIFY_QUEUE_NAME:
        return handleNotifyQueue(batch, env);
      case EXPORT_QUEUE_NAME:
        return handleExportQueue(batch, env);
      default:
        // Throwing leaves the batch unacknowledged, so a misrouted queue is retried, not lost.
        throw new Error(`No consumer for queue "${batch.queue}"`);
    }
  },

  /**
   * Cron (wrangler.toml [triggers], every 15 minutes; runs at least once, so every job here is
   * idempotent): re-queues emails whose outbox row was written but whose queue send failed, so
   * nothing written to the outbox is ever silently lost; runs the contract lifecycle (expiry,
   * renewal, scheduled terminations: a contract ends within one tick of its host's midnight);
   * seals the usage of days that ended 48 hours ago (src/billing/seal.ts), a bounded batch per
   * run; marks overdue invoices and queues the period's invoices once their usage is sealed
   * (src/billing/queue.ts). Closed hosts get none of this work (src/hosts/open.ts); their exports,
   * quote expiry and their deletion still run.
   */
  async scheduled(controller, env, ctx) {
    const db = getDb(env.DB);
    ctx.waitUntil(requeueStale(env, db, STALE_AFTER_MS));
    ctx.waitUntil(runContractLifecycle(db, controller.scheduledTime));
    ctx.waitUntil(sealDueDays(db, controller.scheduledTime));
    ctx.waitUntil(runBillingCron(env, controller.scheduledTime));
    // Defaults and pool redirects (docs/DEFAULT.md): open, redirect, confirm, credit, close.
    ctx.waitUntil(runDefaultCron(env, controller.scheduledTime));
    // Announcements whose time came, "maintenance finished" emails, stuck fan-outs (src/notify/).
    ctx.waitUntil(runNotifyCron(env, controller.scheduledTime));
    ctx.waitUntil(expireQuotes(db, controller.scheduledTime));
    ctx.waitUntil(pruneRateLimits(db, controller.scheduledTime));
    ctx.waitUntil(pruneSignInFailures(db, controller.scheduledTime));
    // The host's data exports: files past their 7 days, lost build messages (src/team/export.ts);
    // closed hosts past their grace period lose their data (src/team/close.ts).
    ctx.waitUntil(runExportCron(env, controller.scheduledTime, `https://${env.APP_HOST}`));
    ctx.waitUntil(deleteClosedHosts(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Bindings, unknown>;
