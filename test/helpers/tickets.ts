import { env, SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { emailOutbox, supportAttachments, supportMessages, supportTickets } from '../../src/db/schema';
import { db, ORIGIN } from './fixtures';

/** A minimal valid PNG signature plus padding: enough for the magic-number check. */
export const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4]);
export const PDF_BYTES = new TextEncoder().encode('%PDF-1.4\n%test\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');

/**
 * A browser-like multipart post (same-origin Origin header unless `origin: null`): text fields,
 * repeated `unit_ids`, and files as `attachments`.
 */
export function postMultipart(
  path: string,
  fields: Record<string, string>,
  options: { cookie?: string; files?: { name: string; type: string; bytes: Uint8Array }[]; unitIds?: string[]; origin?: string | null } = {},
): Promise<Response> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  for (const id of options.unitIds ?? []) form.append('unit_ids', id);
  for (const file of options.files ?? []) form.append('attachments', new File([file.bytes], file.name, { type: file.type }));
  const headers = new Headers();
  if (options.origin !== null) headers.set('Origin', options.origin ?? ORIGIN);
  if (options.cookie) headers.set('Cookie', options.cookie);
  return SELF.fetch(`${ORIGIN}${path}`, { method: 'POST', headers, body: form, redirect: 'manual' });
}

export const ticketsOf = (hostId: string) => db().select().from(supportTickets).where(eq(supportTickets.hostId, hostId)).all();
export const messagesOf = (ticketId: string) => db().select().from(supportMessages).where(eq(supportMessages.ticketId, ticketId)).all();
export const attachmentsOf = (ticketId: string) => db().select().from(supportAttachments).where(eq(supportAttachments.ticketId, ticketId)).all();
export const ticketRow = (id: string) => db().select().from(supportTickets).where(eq(supportTickets.id, id)).get();
export const ticketEmailsTo = (hostId: string, to?: string) =>
  db()
    .select()
    .from(emailOutbox)
    .where(and(eq(emailOutbox.hostId, hostId), eq(emailOutbox.template, 'ticket'), to ? eq(emailOutbox.toEmail, to) : undefined))
    .all();
export const allTicketEmails = (hostId: string) => ticketEmailsTo(hostId);
export const storedTicketFiles = async (hostId: string) => (await env.FILES.list({ prefix: `tickets/${hostId}/` })).objects.map((o) => o.key);

/** The ticket id a successful portal post redirected to. */
export function ticketIdFrom(res: Response): string {
  const location = res.headers.get('Location') ?? '';
  const match = /\/support\/([0-9a-f-]{36})/.exec(location);
  if (!match) throw new Error(`no ticket in redirect: ${res.status} ${location}`);
  return match[1]!;
}
