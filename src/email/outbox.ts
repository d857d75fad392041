/**
 * The email outbox (DESIGN.md §6): every email is an `email_outbox` row first, and only then is
 * its id queued. The row is the durable record; the queue message is only a nudge.
 *
 * Producers:
 *
 *   const email = outboxInsert(db, { hostId, to, template: 'invite', subject, payload });
 *   await db.batch([inviteInsert, email.statement]);   // the email lands with its cause, or neither
 *   await queueEmail(env, [email.id]);
 *
 * or `sendEmail(env, db, input)` when there is nothing to batch with.
 *
 * If queueing fails after the row is written (a queue outage), the row stays `queued` and nothing
 * is lost: `requeueStale(env, db, olderThanMs)` finds such rows and queues them again. A cron
 * trigger is meant to call it (e.g. hourly with `STALE_AFTER_MS`).
 *
 * Row states: `queued` → `sending` (claimed by one consumer, see claimOutboxRow) → `sent`; back to
 * `queued` when an attempt fails and will be retried; `failed` when retrying cannot help or the
 * dead-letter queue gave up.
 */
import { and, asc, eq, lte, or, sql } from 'drizzle-orm';
import * as z from '../lib/schema';
import type { Db } from '../db/client';
import { emailOutbox, EMAIL_STATUSES } from '../db/schema';
import type { Bindings, EmailQueueMessage } from '../env';
import { newId } from '../lib/ids';
import { validatePayload, type EmailContent, type RenderedEmail } from './templates';
import type { TransportName } from './types';

/**
 * `sending` marks a row claimed by one consumer invocation. It is not in EMAIL_STATUSES
 * (src/db/schema.ts) yet; the column has no CHECK constraint, so only the TypeScript union lags.
 * While a row is `sending`, `sent_at` holds the time of the claim (there is no claimed_at column).
 */
export const SENDING = 'sending';
export type OutboxStatus = (typeof EMAIL_STATUSES)[number] | typeof SENDING;

/**
 * A claim older than this belongs to an invocation that can no longer be running: a queue
 * consumer invocation's wall-clock limit is 15 minutes. Another delivery may then take the row.
 * @see https://developers.cloudflare.com/queues/platform/limits/
 */
export const CLAIM_TTL_MS = 15 * 60 * 1000;

/**
 * What `requeueStale` should be given: well beyond the whole retry schedule (5 retries with
 * 30 s · 2^n backoff ≈ 16 minutes, see consumer.ts), so a row still `queued` after it is not
 * waiting on any message in flight.
 */
export const STALE_AFTER_MS = 60 * 60 * 1000;

/** Queue.sendBatch takes at most 100 messages. @see https://developers.cloudflare.com/queues/platform/limits/ */
const SEND_BATCH_LIMIT = 100;

export type EmailInput = {
  /** The host whose branding the email carries and whose records it belongs to. */
  hostId: string;
  to: string;
  subject: string;
} & EmailContent;

const recipient = z.email();

const insertStatement = (db: Db, values: typeof emailOutbox.$inferInsert) => db.insert(emailOutbox).values(values);
/** A drizzle insert: run it inside `db.batch([...])` (or await it on its own). */
export type OutboxInsertStatement = ReturnType<typeof insertStatement>;

/** Subjects become a header: one line, bounded. */
const cleanSubject = (subject: string) => subject.replace(/[\r\n]+/g, ' ').trim().slice(0, 250);

/**
 * The insert for one email, not yet run: put `statement` in the same `db.batch()` as the change
 * that causes the email, then `queueEmail(env, [id])` once the batch has committed.
 * Throws (a programming error) if the recipient, subject or payload is invalid, so a bad email
 * fails the request that made it rather than a queue consumer minutes later.
 */
export function outboxInsert(db: Db, input: EmailInput, now = Date.now()): { id: string; statement: OutboxInsertStatement } {
  const row = prepareOutboxRow(input);
  const statement = insertStatement(db, { ...row, status: 'queued', attempts: 0, createdAt: now });
  return { id: row.id, statement };
}

/**
 * The checked values of one outbox row (a new id, the trimmed recipient, the one-line subject,
 * the template's normalised payload as JSON), for producers that must write rows in bulk or under
 * a condition (src/telemetry/alert-email.ts). Throws like outboxInsert on a bad recipient,
 * subject or payload.
 */
export function prepareOutboxRow(input: EmailInput): { id: string; hostId: string; toEmail: string; template: string; payload: string; subject: string } {
  const to = input.to.trim();
  if (!recipient.safeParse(to).success) throw new Error(`Invalid email recipient: ${JSON.stringify(input.to)}`);
  const subject = cleanSubject(input.subject);
  if (!subject) throw new Error('An email needs a subject.');
  const payload = validatePayload(input);
  return { id: newId(), hostId: input.hostId, toEmail: to, template: input.template, payload: JSON.stringify(payload), subject };
}

/** Queues the ids; throws if the queue refuses. */
async function enqueue(queue: Queue<EmailQueueMessage>, ids: readonly string[]): Promise<void> {
  if (ids.length === 1) {
    await queue.send({ outboxId: ids[0]! });
    return;
  }
  for (let start = 0; start < ids.length; start += SEND_BATCH_LIMIT) {
    await queue.sendBatch(ids.slice(start, start + SEND_BATCH_LIMIT).map((outboxId) => ({ body: { outboxId } })));
  }
}

/**
 * Queues already-written outbox rows. Never throws: by now the rows (and whatever caused them)
 * are committed, so failing the request would only mislead the user. On a queue failure the
 * rows stay `queued` and `requeueStale` re-drives them; the return value says whether it worked.
 */
export async function queueEmail(env: Pick<Bindings, 'EMAIL_QUEUE'>, ids: readonly string[]): Promise<boolean> {
  if (ids.length === 0) return true;
  try {
    await enqueue(env.EMAIL_QUEUE, ids);
    return true;
  } catch (error) {
    console.error(`[email] queueing ${ids.length} outbox row(s) failed; they stay queued for requeueStale: ${ids.join(', ')}`, error);
    return false;
  }
}

/** Writes the outbox row, then queues it. For emails that are not part of a larger change. */
export async function sendEmail(env: Pick<Bindings, 'EMAIL_QUEUE'>, db: Db, input: EmailInput): Promise<{ id: string; queued: boolean }> {
  const { id, statement } = outboxInsert(db, input);
  await statement;
  return { id, queued: await queueEmail(env, [id]) };
}

/**
 * Re-drives rows that no message will deliver: `queued` rows older than `olderThanMs` (their
 * queue send failed, or their messages were lost) and `sending` rows whose claim is older than
 * both `olderThanMs` and CLAIM_TTL_MS (their consumer died mid-send). At most 100 per call,
 * oldest first. Queue errors propagate, so the cron run that called it reports the failure.
 * A row re-driven while a message for it is still in flight is harmless: the claim lets only one
 * delivery send it. Returns the ids queued.
 */
export async function requeueStale(env: Pick<Bindings, 'EMAIL_QUEUE'>, db: Db, olderThanMs: number, now = Date.now()): Promise<string[]> {
  const claimCutoff = now - Math.max(olderThanMs, CLAIM_TTL_MS);
  const rows = await db
    .select({ id: emailOutbox.id })
    .from(emailOutbox)
    .where(
      or(
        and(eq(emailOutbox.status, 'queued'), lte(emailOutbox.createdAt, now - olderThanMs)),
        and(sql`${emailOutbox.status} = ${SENDING}`, lte(emailOutbox.sentAt, claimCutoff)),
      ),
    )
    .orderBy(asc(emailOutbox.createdAt))
    .limit(SEND_BATCH_LIMIT);
  const ids = rows.map((row) => row.id);
  if (ids.length > 0) await enqueue(env.EMAIL_QUEUE, ids);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Row transitions used by the consumer (consumer.ts). Each is one conditional UPDATE: D1 has no
// interactive transactions, so the WHERE clause is what settles races between deliveries.

export type OutboxRow = typeof emailOutbox.$inferSelect;

const clip = (text: string) => (text.length > 1000 ? `${text.slice(0, 997)}...` : text);

/**
 * Claims a row for sending: `queued` → `sending`, attempts + 1, claim time in sent_at. Also takes
 * over a `sending` row whose claim has expired. Returns the claimed row, or null when the row is
 * missing, already `sent`/`failed`, or claimed by a delivery that may still be running — so two
 * deliveries of the same id (queues deliver at least once) can never both send.
 * @see https://developers.cloudflare.com/queues/reference/delivery-guarantees/
 */
export async function claimOutboxRow(db: Db, id: string, now: number): Promise<OutboxRow | null> {
  const rows = await db
    .update(emailOutbox)
    .set({ status: sql`${SENDING}`, attempts: sql`${emailOutbox.attempts} + 1`, sentAt: now })
    .where(
      and(
        eq(emailOutbox.id, id),
        or(eq(emailOutbox.status, 'queued'), and(sql`${emailOutbox.status} = ${SENDING}`, lte(emailOutbox.sentAt, now - CLAIM_TTL_MS))),
      ),
    )
    .returning();
  return rows[0] ?? null;
}

export async function readOutboxState(db: Db, id: string) {
  const rows = await db
    .select({ status: emailOutbox.status, sentAt: emailOutbox.sentAt, attempts: emailOutbox.attempts })
    .from(emailOutbox)
    .where(eq(emailOutbox.id, id))
    .limit(1);
  const row = rows[0];
  return row ? { ...row, status: row.status as OutboxStatus } : null;
}

/** Delivered: keep the rendered copy (the development mailbox and support read it). */
export async function markSent(db: Db, id: string, transport: TransportName, rendered: RenderedEmail, now: number): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ status: 'sent', sentAt: now, transport, renderedHtml: rendered.html, renderedText: rendered.text })
    .where(eq(emailOutbox.id, id));
}

/** A failed attempt that will be retried: back to `queued`, if this delivery still holds the claim. */
export async function releaseClaim(db: Db, id: string, claimedAt: number, error: string): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ status: 'queued', sentAt: null, lastError: clip(error) })
    .where(and(eq(emailOutbox.id, id), sql`${emailOutbox.status} = ${SENDING}`, eq(emailOutbox.sentAt, claimedAt)));
}

/** Retrying cannot help (bad template or payload, a provider's refusal): `failed` now. */
export async function markFailed(db: Db, id: string, error: string): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ status: 'failed', sentAt: null, lastError: clip(error) })
    .where(and(eq(emailOutbox.id, id), sql`${emailOutbox.status} <> 'sent'`));
}

/** The dead-letter queue gave up on this row: `failed`, keeping the last error it recorded. */
export async function markDeadLettered(db: Db, id: string): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ status: 'failed', sentAt: null, lastError: sql`coalesce(${emailOutbox.lastError}, 'Delivery retries exhausted.')` })
    .where(and(eq(emailOutbox.id, id), or(eq(emailOutbox.status, 'queued'), sql`${emailOutbox.status} = ${SENDING}`)));
}
