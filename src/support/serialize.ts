import type { TicketDetail, TicketListItem } from './service';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A ticket in a list, as the API shows it. */
export const toApiTicket = (t: TicketListItem) => ({
  id: t.id,
  number: t.number,
  subject: t.subject,
  category: t.category,
  status: t.status,
  customer: { id: t.customerId, name: t.customerName },
  assignee: t.assigneeUserId ? { id: t.assigneeUserId, name: t.assigneeName } : null,
  invoice_line_id: t.invoiceLineId,
  waiting_since: iso(t.waitingSince),
  last_message_at: iso(t.lastMessageAt),
  created_at: iso(t.createdAt),
});

/**
 * One ticket with its thread. `detail.messages` holds internal notes only when the caller read it
 * with `includeInternal` (the API asks for that only on `include_internal=true`).
 */
export const toApiTicketDetail = (detail: TicketDetail, attachmentBase: string) => {
  const { ticket } = detail;
  return {
    id: ticket.id,
    number: ticket.number,
    subject: ticket.subject,
    category: ticket.category,
    status: ticket.status,
    customer: { id: ticket.customerId, name: detail.customerName },
    assignee: ticket.assigneeUserId ? { id: ticket.assigneeUserId, name: detail.assigneeName } : null,
    opened_by: { kind: ticket.openedByKind, label: ticket.openedByLabel },
    units: detail.units.map((u) => ({ id: u.id, label: u.label })),
    dispute: detail.dispute
      ? {
          invoice_id: detail.dispute.invoiceId,
          invoice_number: detail.dispute.invoiceNumber,
          invoice_line_id: detail.dispute.lineId,
          description: detail.dispute.description,
          amount: { amount_minor: detail.dispute.amountMinor, currency: detail.dispute.currency },
          credit: detail.dispute.credit ? { id: detail.dispute.credit.id, amount: { amount_minor: detail.dispute.credit.amountMinor, currency: detail.dispute.currency } } : null,
        }
      : null,
    waiting_since: iso(ticket.waitingSince),
    last_message_at: iso(ticket.lastMessageAt),
    resolved_at: iso(ticket.resolvedAt),
    closed_at: iso(ticket.closedAt),
    created_at: iso(ticket.createdAt),
    messages: detail.messages.map((m) => ({
      id: m.id,
      author: { kind: m.authorKind, label: m.authorLabel },
      internal: m.internal,
      body: m.body,
      created_at: iso(m.createdAt),
      attachments: m.attachments.map((a) => ({ id: a.id, filename: a.filename, content_type: a.contentType, size_bytes: a.sizeBytes, url: `${attachmentBase}/${a.id}` })),
    })),
  };
};
