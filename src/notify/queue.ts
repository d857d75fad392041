/**
 * The notify queue (`hashyard-notify`): each message is one chunk of an announcement's
 * recipients (src/notify/service.ts, deliverChunk). A chunk is idempotent — its outbox rows have
 * ids chosen when the recipients were fixed, inserted with INSERT OR IGNORE, and the email
 * consumer claims each row before sending — so a redelivered or re-queued chunk never sends twice.
 * @see https://developers.cloudflare.com/queues/reference/delivery-guarantees/
 */
import { getDb } from '../db/client';
import type { Bindings } from '../env';
import { openHostIds } from '../hosts/open';
import { deliverChunk, type NotifyChunkMessage } from './service';

export const NOTIFY_QUEUE_NAME = 'hashyard-notify';

const isChunk = (body: unknown): body is NotifyChunkMessage => {
  const b = body as Partial<NotifyChunkMessage> | null;
  return (
    !!b &&
    b.kind === 'notify_chunk' &&
    typeof b.hostId === 'string' &&
    typeof b.announcementId === 'string' &&
    (b.phase === 'notice' || b.phase === 'ended') &&
    Number.isInteger(b.fromSeq) &&
    Number.isInteger(b.toSeq)
  );
};

export async function handleNotifyQueue(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  const db = getDb(env.DB);
  const open = await openHostIds(db, batch.messages.flatMap((message) => (isChunk(message.body) ? [message.body.hostId] : [])));
  for (const message of batch.messages) {
    if (!isChunk(message.body)) {
      console.error(`[notify] message ${message.id} is not a notify chunk; dropped`);
      message.ack();
      continue;
    }
    if (!open.has(message.body.hostId)) {
      // Queued before the host was closed: its customers get no more announcements.
      console.warn(`[notify] ${message.body.announcementId} ${message.body.fromSeq}-${message.body.toSeq}: the host is closed; dropped`);
      message.ack();
      continue;
    }
    try {
      await deliverChunk(db, env, message.body);
      message.ack();
    } catch (error) {
      console.error(`[notify] ${message.body.announcementId} ${message.body.fromSeq}-${message.body.toSeq} failed; retrying`, error);
      message.retry({ delaySeconds: 30 });
    }
  }
}
