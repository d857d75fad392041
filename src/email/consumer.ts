/**
 * Queue consumers for email (DESIGN.md §6). Messages carry only `{ outboxId }`; the outbox row
 * is the truth.
 *
 * Queues deliver at least once, so the same id can arrive twice — redelivered after a lost ack,
 * or queued again by requeueStale. A row is therefore claimed with a conditional UPDATE before
 * anything is sent (claimOutboxRow), and a row already `sent` is acknowledged without sending.
 * The one remaining window for a duplicate: the provider accepted the message but recording
 * `sent` failed; the retry then sends again. A rare duplicate is preferred to a lost email.
 * @see https://developers.cloudflare.com/queues/reference/delivery-guarantees/
 *
 * Retries use the queue's own delay (message.retry), so nothing waits inside an invocation.
 * After max_retries (wrangler.toml) the queue moves the message to the dead-letter queue, whose
 * consumer marks the row `failed`.
 * @see https://developers.cloudflare.com/queues/configuration/batching-retries/
 * @see https://developers.cloudflare.com/queues/configuration/dead-letter-queues/
 */
import { getDb } from '../db/client';
import type { Bindings, EmailQueueMessage } from '../env';
import {
  CLAIM_TTL_MS,
  claimOutboxRow,
  markDeadLettered,
  markFailed,
  markSent,
  readOutboxState,
  releaseClaim,
  SENDING,
} from './outbox';
import { isPlatformTemplate, loadHostBrand, PLATFORM_BRAND_ROW, renderEmail, type HostBrandRow } from './templates';
import { selectTransport } from './transports';
import { PermanentEmailError, type Transport } from './types';

const BASE_DELAY_SECONDS = 30;
const MAX_DELAY_SECONDS = 60 * 60;

/**
 * Exponential backoff: 30 s after the first failed attempt, then 60, 120, 240, 480 …, capped at
 * an hour. `attempts` counts attempts made so far, this one included.
 */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(BASE_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_SECONDS);
}

export interface EmailConsumerOptions {
  /** Replaces the transport chosen from the environment (tests inject one that fails). */
  transport?: Transport;
  /** Clock, for tests. */
  now?: () => number;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)) || 'Unknown error';

/** Renders, sends and records each message's outbox row; see the file comment for the guarantees. */
export async function handleEmailQueue(batch: MessageBatch<EmailQueueMessage>, env: Bindings, options: EmailConsumerOptions = {}): Promise<void> {
  const db = getDb(env.DB);
  const now = options.now ?? Date.now;
  // One read per host per batch: a batch of invites for one host shares the branding.
  const hosts = new Map<string, Promise<HostBrandRow | null>>();
  const hostBrand = (hostId: string) => {
    let brand = hosts.get(hostId);
    if (!brand) hosts.set(hostId, (brand = loadHostBrand(db, hostId)));
    return brand;
  };
  let transport = options.transport;

  // One at a time: a batch is at most 10 messages, and each send is one subrequest.
  for (const message of batch.messages) {
    const outboxId = (message.body as Partial<EmailQueueMessage> | null)?.outboxId;
    if (typeof outboxId !== 'string' || outboxId === '') {
      // Not ours to interpret; retrying would not make it readable.
      console.error(`[email] message ${message.id} has no outboxId; dropped`);
      message.ack();
      continue;
    }
    try {
      const row = await claimOutboxRow(db, outboxId, now());
      if (!row) {
        await settleUnclaimed(db, message, outboxId, now());
        continue;
      }
      const claimedAt = row.sentAt!;
      try {
        if (!row.hostId) throw new PermanentEmailError('The email has no host to brand it.');
        const host = await hostBrand(row.hostId);
        if (!host) throw new PermanentEmailError('The host no longer exists.');
        // A closed host's billing, alerts and announcements still queued never reach its customers;
        // platform notices to its staff (an export being ready) still go.
        if (host.closedAt && !isPlatformTemplate(row.template)) throw new PermanentEmailError('The host is closed.');
        const rendered = await renderEmail(row, host);
        transport ??= selectTransport(env);
        await transport.send({ outboxId, to: row.toEmail, fromName: isPlatformTemplate(row.template) ? PLATFORM_BRAND_ROW.name : host.name, subject: row.subject, ...rendered });
        await markSent(db, outboxId, transport.name, rendered, now());
        message.ack();
      } catch (error) {
        const reason = describe(error);
        if (error instanceof PermanentEmailError) {
          console.error(`[email] ${outboxId} failed permanently: ${reason}`);
          await markFailed(db, outboxId, reason);
          message.ack();
        } else {
          const delaySeconds = retryDelaySeconds(row.attempts);
          console.warn(`[email] ${outboxId} attempt ${row.attempts} failed, retrying in ${delaySeconds}s: ${reason}`);
          await releaseClaim(db, outboxId, claimedAt, reason);
          message.retry({ delaySeconds });
        }
      }
    } catch (error) {
      // The database itself failed (claim, read or the bookkeeping above): try again shortly.
      console.error(`[email] ${outboxId}: ${describe(error)}`);
      message.retry({ delaySeconds: BASE_DELAY_SECONDS });
    }
  }
}

/** The claim was refused: the row is done, gone, or another delivery holds it. */
async function settleUnclaimed(db: ReturnType<typeof getDb>, message: Message<EmailQueueMessage>, outboxId: string, now: number) {
  const state = await readOutboxState(db, outboxId);
  if (!state || state.status === 'sent' || state.status === 'failed') {
    // Never send twice: a redelivery of a sent (or abandoned, or deleted) email only acknowledges.
    message.ack();
    return;
  }
  if (state.status === SENDING) {
    // Another delivery is sending it now. If that one dies, its claim expires and this message,
    // retried after the claim's remaining lifetime, takes over.
    const remaining = Math.ceil(((state.sentAt ?? now) + CLAIM_TTL_MS - now) / 1000);
    message.retry({ delaySeconds: Math.min(Math.max(remaining, BASE_DELAY_SECONDS), CLAIM_TTL_MS / 1000) });
    return;
  }
  // `queued` again between the claim and this read (the other delivery failed): try again soon.
  message.retry({ delaySeconds: BASE_DELAY_SECONDS });
}

/**
 * The dead-letter queue receives messages whose retries ran out: mark the row `failed` (its
 * last_error says why) and acknowledge. A row already `sent` is left alone.
 */
export async function handleDeadLetterQueue(batch: MessageBatch<EmailQueueMessage>, env: Bindings): Promise<void> {
  const db = getDb(env.DB);
  for (const message of batch.messages) {
    const outboxId = (message.body as Partial<EmailQueueMessage> | null)?.outboxId;
    if (typeof outboxId !== 'string' || outboxId === '') {
      message.ack();
      continue;
    }
    try {
      await markDeadLettered(db, outboxId);
      console.error(`[email] ${outboxId} dead-lettered after ${message.attempts} delivery attempt(s); marked failed`);
      message.ack();
    } catch (error) {
      console.error(`[email] dead-letter ${outboxId}: ${describe(error)}`);
      message.retry();
    }
  }
}
