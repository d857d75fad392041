/**
 * Ticket emails, through the outbox and the email queue like every other email: new tickets and
 * customer replies go to the ticket's assignee, else the host's support address (Support →
 * Settings), else its owners and admins; staff replies go to the customer's portal team, else
 * its contact email. Internal notes never produce an email: nothing here is called for them, and
 * the payload carries only the one message it is about.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../db/client';
import { customers, customerUsers, hostUsers, supportSettings, users } from '../db/schema';
import type { Bindings } from '../env';
import { outboxInsert, type OutboxInsertStatement } from '../email/outbox';
import type { TicketPayload } from '../email/templates';
import { portalBaseUrl, platformOrigin } from '../portal/links';
import { resolveHostById } from '../portal/tenant';
import { TICKET_STATUS_LABELS, type TicketStatus } from './schema';

/** Emails show at most this much of a message; the page has the rest. */
const EXCERPT = 4000;
const excerpt = (text: string) => (text.length > EXCERPT ? `${text.slice(0, EXCERPT - 1)}…` : text);

/** The admin app's origin: the request's when it came to the platform, else the configured one. */
export function staffOrigin(requestUrl: string | null, env: Pick<Bindings, 'APP_HOST' | 'ENVIRONMENT'>): string {
  if (requestUrl) {
    const url = new URL(requestUrl);
    if (url.hostname.toLowerCase() === env.APP_HOST.toLowerCase()) return url.origin;
  }
  return platformOrigin(env);
}

interface TicketFacts {
  id: string;
  hostId: string;
  customerId: string;
  number: number;
  subject: string;
  status: TicketStatus;
  assigneeUserId: string | null;
}

/** Who hears about a customer's message: assignee, else the support address, else owners and admins. */
async function staffRecipients(db: Db, ticket: TicketFacts): Promise<string[]> {
  const [assignee, settings, leaders] = await db.batch([
    db
      .select({ email: users.email })
      .from(users)
      .innerJoin(hostUsers, and(eq(hostUsers.userId, users.id), eq(hostUsers.hostId, ticket.hostId)))
      .where(eq(users.id, ticket.assigneeUserId ?? '')),
    db.select({ email: supportSettings.supportEmail }).from(supportSettings).where(eq(supportSettings.hostId, ticket.hostId)),
    db
      .select({ email: users.email })
      .from(users)
      .innerJoin(hostUsers, eq(hostUsers.userId, users.id))
      .where(and(eq(hostUsers.hostId, ticket.hostId), inArray(hostUsers.role, ['owner', 'admin']))),
  ]);
  if (assignee[0]) return [assignee[0].email];
  if (settings[0]?.email) return [settings[0].email];
  return [...new Set(leaders.map((row) => row.email))];
}

/** The customer's portal team (members not removed), else its contact email. */
async function customerRecipients(db: Db, ticket: TicketFacts): Promise<{ emails: string[]; customerName: string }> {
  const [members, customerRows] = await db.batch([
    db
      .select({ email: customerUsers.email })
      .from(customerUsers)
      .where(and(eq(customerUsers.hostId, ticket.hostId), eq(customerUsers.customerId, ticket.customerId), isNull(customerUsers.removedAt))),
    db.select({ name: customers.name, contactEmail: customers.contactEmail }).from(customers).where(and(eq(customers.hostId, ticket.hostId), eq(customers.id, ticket.customerId))),
  ]);
  const customer = customerRows[0];
  const emails = members.length > 0 ? members.map((m) => m.email) : customer ? [customer.contactEmail] : [];
  return { emails: [...new Set(emails)], customerName: customer?.name ?? '' };
}

export interface TicketEmailEvent {
  event: TicketPayload['event'];
  ticket: TicketFacts;
  customerName: string;
  authorLabel: string;
  message: string;
  /** Where links point: the request's URL (the portal base is derived from the host's own domain/slug). */
  requestUrl: string | null;
}

/**
 * The outbox inserts for one ticket event, to run in the same batch as the message they announce
 * (then `queueEmail(env, ids)`).
 */
export async function ticketEmails(db: Db, env: Pick<Bindings, 'APP_HOST' | 'ENVIRONMENT'>, input: TicketEmailEvent): Promise<{ ids: string[]; statements: OutboxInsertStatement[] }> {
  const { ticket } = input;
  const host = await resolveHostById(db, ticket.hostId);
  if (!host) return { ids: [], statements: [] };
  const toCustomer = input.event === 'staff_reply';
  const platform = staffOrigin(input.requestUrl, env);
  const portalBase = portalBaseUrl(host, platform);
  let recipients: string[];
  let customerName = input.customerName;
  let ticketUrl: string;
  if (toCustomer) {
    const found = await customerRecipients(db, ticket);
    recipients = found.emails;
    customerName = customerName || found.customerName;
    ticketUrl = `${portalBase}/support/${ticket.id}`;
  } else {
    recipients = await staffRecipients(db, ticket);
    ticketUrl = `${platform}/admin/support/${ticket.id}`;
  }
  const subject = toCustomer ? `Re: [#${ticket.number}] ${ticket.subject}` : `[#${ticket.number}] ${input.event === 'opened' ? 'New ticket' : 'Customer reply'}: ${ticket.subject}`;
  const logoUrl = toCustomer && host.logoKey ? `${portalBase}/brand/logo?v=${host.brandVersion}` : undefined;
  const rows = recipients.map((to) =>
    outboxInsert(db, {
      hostId: ticket.hostId,
      to,
      subject,
      template: 'ticket',
      payload: {
        event: input.event,
        ticketNumber: ticket.number,
        subject: ticket.subject.slice(0, 300),
        customerName: customerName.slice(0, 200),
        authorLabel: input.authorLabel.slice(0, 200),
        message: excerpt(input.message),
        statusText: TICKET_STATUS_LABELS[ticket.status],
        ticketUrl,
        logoUrl,
      },
    }),
  );
  return { ids: rows.map((r) => r.id), statements: rows.map((r) => r.statement) };
}
