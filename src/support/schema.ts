import * as z from '../lib/schema';
import { TICKET_CATEGORIES, TICKET_STATUSES } from '../db/schema';
import { optionalEmail, requiredText } from '../lib/validation';

/**
 * Support ticket field rules, shared by the portal and staff forms and /api/v1/tickets (the same
 * snake_case names everywhere).
 */
export { TICKET_CATEGORIES, TICKET_STATUSES };
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_CATEGORY_LABELS: Record<TicketCategory, string> = {
  hardware: 'Hardware',
  network: 'Network',
  billing: 'Billing',
  payout: 'Payout',
  other: 'Other',
};

export const TICKET_STATUS_LABELS: Record<TicketStatus, string> = {
  open: 'Open',
  pending: 'Waiting on customer',
  resolved: 'Resolved',
  closed: 'Closed',
};

/**
 * Where staff may move a ticket from each status: open → pending (waiting on customer) →
 * resolved → closed, and back to open while it is not closed. Closed is final: the customer opens
 * a new ticket. (A customer's reply reopens a pending or resolved ticket by itself.)
 */
export const STATUS_TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  open: ['pending', 'resolved', 'closed'],
  pending: ['open', 'resolved', 'closed'],
  resolved: ['open', 'closed'],
  closed: [],
};

export const MAX_SUBJECT = 200;
export const MAX_MESSAGE = 20_000;

const message = requiredText('Message', MAX_MESSAGE);

const ids = z.pipe(z.optional(z.array(z.string().check(
  z.trim(),
  z.maxLength(64),
), { error: 'unit_ids must be a list of unit ids.' }).check(z.maxLength(100, 'Choose at most 100 units.'))), z.transform((list) => [...new Set((list ?? []).filter((id) => id !== ''))]));

export const createTicketSchema = z.strictObject({
  subject: requiredText('Subject', MAX_SUBJECT),
  category: z.enum(TICKET_CATEGORIES, { error: 'Choose a category: hardware, network, billing, payout or other.' }),
  message,
  unit_ids: ids,
  /** "Question this line": the invoice line the ticket disputes (portal only). */
  invoice_line_id: z.pipe(z.optional(z.string().check(z.trim(), z.maxLength(64))), z.transform((value) => (value ? value : undefined))),
});
export type CreateTicketInput = z.input<typeof createTicketSchema>;

export const customerReplySchema = z.strictObject({ message });

/** A staff reply (seen by the customer and emailed) or an internal note (neither). */
export const staffReplySchema = z.strictObject({
  message,
  internal: z._default(z.optional(z.boolean({ error: 'internal must be true or false.' })), false),
  /** After a reply: where the ticket goes (default pending, waiting on the customer). */
  status: z.optional(z.enum(TICKET_STATUSES, { error: 'status must be open, pending, resolved or closed.' })),
});

export const statusSchema = z.strictObject({
  status: z.enum(TICKET_STATUSES, { error: 'Choose a status: open, pending, resolved or closed.' }),
});

export const assignSchema = z.strictObject({
  assignee_user_id: z._default(z.optional(z.string().check(z.trim(), z.maxLength(64))), ''),
});

export const disputeCreditSchema = z.strictObject({
  amount: z.string({ error: 'Enter an amount like 12.50.' }).check(z.trim(), z.minLength(1, 'Enter the credit amount, like 12.50.'), z.maxLength(40)),
  note: z._default(z.optional(z.string().check(z.trim(), z.maxLength(2000))), ''),
});

export const supportSettingsSchema = z.strictObject({ support_email: optionalEmail() });

export const TICKET_AGES = ['1d', '3d', '7d', '30d'] as const;
export type TicketAge = (typeof TICKET_AGES)[number];
export const TICKET_AGE_LABELS: Record<TicketAge, string> = { '1d': 'Older than 1 day', '3d': 'Older than 3 days', '7d': 'Older than 7 days', '30d': 'Older than 30 days' };
export const TICKET_AGE_MS: Record<TicketAge, number> = { '1d': 86_400_000, '3d': 3 * 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

/** "active" = open or waiting on the customer: the default staff view. */
export const STATUS_FILTERS = ['active', ...TICKET_STATUSES] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];
