import { createApp } from './app';
import { runContractLifecycle } from './contracts/service';
import { getDb } from './db/client';
import { requeueStale, STALE_AFTER_MS } from './email/outbox';
import { handleDeadLetterQueue, handleEmailQueue } from './email/consumer';
import { EMAIL_DLQ_NAME, EMAIL_QUEUE_NAME } from './email/types';
import type { Bindings, EmailQueueMessage } from './env';

export { SiteState } from './live/site-state';

const app = createApp();

export default {
  fetch: app.fetch,

  /** One Worker consumes both email queues (wrangler.toml); the batch says which. */
  async queue(batch, env, _ctx) {
    switch (batch.queue) {
      case EMAIL_QUEUE_NAME:
        return handleEmailQueue(batch, env);
      case EMAIL_DLQ_NAME:
        return handleDeadLetterQueue(batch, env);
      default:
        // Throwing leaves the batch unacknowledged, so a misrouted queue is retried, not lost.
        throw new Error(`No consumer for queue "${batch.queue}"`);
    }
  },

  /**
   * Cron (wrangler.toml [triggers]): re-queues emails whose outbox row was written but whose
   * queue send failed, so nothing written to the outbox is ever silently lost; and runs the
   * contract lifecycle (expiry, renewal, scheduled terminations). The lifecycle is idempotent and
   * cheap when nothing is due, so every tick runs it: a contract ends within one tick of its
   * host's midnight.
   */
  async scheduled(controller, env, ctx) {
    const db = getDb(env.DB);
    ctx.waitUntil(requeueStale(env, db, STALE_AFTER_MS));
    ctx.waitUntil(runContractLifecycle(db, controller.scheduledTime));
  },
} satisfies ExportedHandler<Bindings, EmailQueueMessage>;
