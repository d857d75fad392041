/**
 * Reads for the development mailbox (/dev/mailbox, src/routes/dev-mailbox.tsx): every host's
 * outbox, so it must never be reachable in production — the route refuses there.
 */
import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { emailOutbox, hosts } from '../db/schema';
import type { OutboxStatus } from './outbox';

// A function, not a constant: a top-level object reading the schema's columns would stay in the
// production build, which leaves the mailbox out (HASHYARD_DEV_ROUTES in src/app.tsx).
const listColumns = () => ({
  id: emailOutbox.id,
  to: emailOutbox.toEmail,
  subject: emailOutbox.subject,
  template: emailOutbox.template,
  status: emailOutbox.status,
  transport: emailOutbox.transport,
  attempts: emailOutbox.attempts,
  lastError: emailOutbox.lastError,
  createdAt: emailOutbox.createdAt,
  sentAt: emailOutbox.sentAt,
  hostName: hosts.name,
  timezone: hosts.timezone,
});

export interface MailboxEntry {
  id: string;
  to: string;
  subject: string;
  template: string;
  /** Includes `sending`, the consumer's claim marker (outbox.ts). */
  status: OutboxStatus;
  transport: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
  hostName: string | null;
  timezone: string;
}

export interface MailboxMessage extends MailboxEntry {
  html: string | null;
  text: string | null;
  /** The http(s) links in the message, in order, without repeats: what a newcomer clicks. */
  links: string[];
}

const toEntry = <T extends { status: string; timezone: string | null }>(row: T) => ({
  ...row,
  status: row.status as OutboxStatus,
  timezone: row.timezone ?? 'UTC',
});

/** Newest first (rowid breaks ties within one millisecond: insertion order). */
export async function listMailbox(db: Db, limit = 200): Promise<MailboxEntry[]> {
  const rows = await db
    .select(listColumns())
    .from(emailOutbox)
    .leftJoin(hosts, eq(hosts.id, emailOutbox.hostId))
    .orderBy(desc(emailOutbox.createdAt), sql`"email_outbox"."rowid" desc`)
    .limit(limit);
  return rows.map(toEntry);
}

export async function getMailboxMessage(db: Db, id: string): Promise<MailboxMessage | null> {
  const rows = await db
    .select({ ...listColumns(), html: emailOutbox.renderedHtml, text: emailOutbox.renderedText })
    .from(emailOutbox)
    .leftJoin(hosts, eq(hosts.id, emailOutbox.hostId))
    .where(eq(emailOutbox.id, id))
    .limit(1);
  const row = rows[0];
  return row ? { ...toEntry(row), links: linksIn(row.text ?? '') } : null;
}

/**
 * Links from the plain-text version: every template spells its links out there, and plain text
 * needs no HTML parsing. Only http(s), so the page never links a javascript: URL.
 */
export function linksIn(text: string): string[] {
  const found = text.match(/\bhttps?:\/\/[^\s<>"']+/g) ?? [];
  return [...new Set(found.map((url) => url.replace(/[.,;:!?)\]]+$/, '')))];
}
