/**
 * Support tickets (docs/ARCHITECTURE.md, "Support tickets"). Every read and write is scoped by
 * the host (from the staff session, the portal's resolved host or the API key), and portal calls
 * also by the signed-in member's customer: another customer's ticket is simply not found.
 *
 * Internal notes are `support_messages.internal = 1`; a customer-facing read asks for
 * `includeInternal: false` and the filter is in the SQL, so they never leave the database for
 * the portal, its JSON or an email.
 */
import { and, asc, desc, eq, inArray, isNull, lte, ne, or, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { activityInsert, type Actor } from '../activity/service';
import { formatMoney, parseMoneyText } from '../billing/money';
import type { Db } from '../db/client';
import { inIds } from '../db/sql';
import {
  credits,
  customers,
  hostUsers,
  invoiceLines,
  invoices,
  miners,
  supportAttachments,
  supportMessages,
  supportSettings,
  supportTickets,
  supportTicketUnits,
  users,
} from '../db/schema';
import { queueEmail } from '../email/outbox';
import type { Bindings } from '../env';
import { unitLabel } from '../equipment/naming';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { parseInput } from '../lib/validation';
import { checkAttachments, removeStored, storeAttachments } from './attachments';
import { ticketEmails } from './email';
import {
  assignSchema,
  createTicketSchema,
  customerReplySchema,
  disputeCreditSchema,
  STATUS_TRANSITIONS,
  staffReplySchema,
  statusSchema,
  supportSettingsSchema,
  TICKET_AGE_MS,
  TICKET_CATEGORY_LABELS,
  TICKET_STATUS_LABELS,
  type StatusFilter,
  type TicketAge,
  type TicketCategory,
  type TicketStatus,
} from './schema';

export type TicketRow = typeof supportTickets.$inferSelect;
type SupportEnv = Pick<Bindings, 'EMAIL_QUEUE' | 'FILES' | 'APP_HOST' | 'ENVIRONMENT'>;

export const TICKET_PAGE_SIZE = 50;

const customerActor = (member: { id: string; name: string }): Actor => ({ kind: 'customer', id: member.id, label: member.name });
export { customerActor };

// ---------------------------------------------------------------------------------------------
// Lists.

export interface TicketListFilters {
  status?: StatusFilter | '';
  customer_id?: string;
  /** A staff user id, or `none` for unassigned. */
  assignee?: string;
  category?: TicketCategory | '';
  age?: TicketAge | '';
  q?: string;
  page?: number;
}

export interface TicketListItem {
  id: string;
  number: number;
  subject: string;
  category: TicketCategory;
  status: TicketStatus;
  customerId: string;
  customerName: string;
  assigneeUserId: string | null;
  assigneeName: string | null;
  invoiceLineId: string | null;
  lastMessageAt: number;
  waitingSince: number | null;
  createdAt: number;
}

function listConditions(hostId: string, filters: TicketListFilters, customerId: string | undefined, now: number): SQL[] {
  const where: SQL[] = [eq(supportTickets.hostId, hostId)];
  if (customerId) where.push(eq(supportTickets.customerId, customerId));
  else if (filters.customer_id) where.push(eq(supportTickets.customerId, filters.customer_id));
  if (filters.status === 'active') where.push(inArray(supportTickets.status, ['open', 'pending']));
  else if (filters.status) where.push(eq(supportTickets.status, filters.status));
  if (filters.category) where.push(eq(supportTickets.category, filters.category));
  if (filters.assignee === 'none') where.push(isNull(supportTickets.assigneeUserId));
  else if (filters.assignee) where.push(eq(supportTickets.assigneeUserId, filters.assignee));
  if (filters.age) where.push(lte(supportTickets.createdAt, now - TICKET_AGE_MS[filters.age]));
  const q = (filters.q ?? '').trim().toLowerCase();
  if (q) {
    // instr(), not LIKE: no escaping, and D1 caps LIKE patterns at 50 bytes.
    const number = /^#?(\d{1,9})$/.exec(q)?.[1];
    const matches: SQL[] = [
      sql`instr(lower(${supportTickets.subject}), ${q}) > 0`,
      sql`instr(lower(${customers.name}), ${q}) > 0`,
      // Customers search only what they can see; staff search notes too.
      sql`EXISTS (SELECT 1 FROM support_messages m WHERE m.ticket_id = ${supportTickets.id} ${customerId ? sql`AND m.internal = 0` : sql``} AND instr(lower(m.body), ${q}) > 0)`,
    ];
    if (number) matches.push(eq(supportTickets.number, Number(number)));
    where.push(or(...matches)!);
  }
  return where;
}

/** One page of tickets, newest activity first, with the filtered total (one batch). */
export async function listTickets(
  db: Db,
  hostId: string,
  filters: TicketListFilters,
  options: { customerId?: string; now?: number; pageSize?: number } = {},
): Promise<{ items: TicketListItem[]; total: number; page: number; pages: number }> {
  const now = options.now ?? Date.now();
  const pageSize = options.pageSize ?? TICKET_PAGE_SIZE;
  const where = and(...listConditions(hostId, filters, options.customerId, now));
  const page = Math.max(1, Math.floor(filters.page ?? 1));
  const [rows, count] = await db.batch([
    db
      .select({
        id: supportTickets.id,
        number: supportTickets.number,
        subject: supportTickets.subject,
        category: supportTickets.category,
        status: supportTickets.status,
        customerId: supportTickets.customerId,
        customerName: sql<string>`${customers.name}`.as('customer_name'),
        assigneeUserId: supportTickets.assigneeUserId,
        assigneeName: sql<string | null>`${users.name}`.as('assignee_name'),
        invoiceLineId: supportTickets.invoiceLineId,
        lastMessageAt: supportTickets.lastMessageAt,
        waitingSince: supportTickets.waitingSince,
        createdAt: supportTickets.createdAt,
      })
      .from(supportTickets)
      .innerJoin(customers, eq(customers.id, supportTickets.customerId))
      .leftJoin(users, eq(users.id, supportTickets.assigneeUserId))
      .where(where)
      .orderBy(desc(supportTickets.lastMessageAt), desc(supportTickets.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db
      .select({ n: sql<number>`count(*)` })
      .from(supportTickets)
      .innerJoin(customers, eq(customers.id, supportTickets.customerId))
      .where(where),
  ]);
  const total = count[0]?.n ?? 0;
  return { items: rows, total, page, pages: Math.max(1, Math.ceil(total / pageSize)) };
}

/** The filter choices of the staff list: customers with tickets, and the host's staff. */
export async function ticketFilterOptions(db: Db, hostId: string) {
  const [customerRows, staffRows] = await db.batch([
    db
      .selectDistinct({ id: customers.id, name: customers.name })
      .from(supportTickets)
      .innerJoin(customers, eq(customers.id, supportTickets.customerId))
      .where(eq(supportTickets.hostId, hostId))
      .orderBy(asc(customers.sortName)),
    staffMembersQuery(db, hostId),
  ]);
  return { customers: customerRows, staff: staffRows };
}

const staffMembersQuery = (db: Db, hostId: string) =>
  db
    .select({ id: users.id, name: users.name, email: users.email })
    .from(hostUsers)
    .innerJoin(users, eq(users.id, hostUsers.userId))
    .where(eq(hostUsers.hostId, hostId))
    .orderBy(asc(users.name));

export const listStaffMembers = (db: Db, hostId: string) => staffMembersQuery(db, hostId).all();

// ---------------------------------------------------------------------------------------------
// One ticket.

export interface TicketAttachmentView {
  id: string;
  messageId: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
}

export interface TicketMessageView {
  id: string;
  authorKind: TicketRow['openedByKind'];
  authorLabel: string;
  internal: boolean;
  body: string;
  createdAt: number;
  attachments: TicketAttachmentView[];
}

export interface TicketUnitView {
  id: string;
  label: string;
  /** Still the ticket customer's unit (the portal links only those). */
  stillTheirs: boolean;
}

export interface DisputedLine {
  invoiceId: string;
  invoiceNumber: string | null;
  invoiceStatus: string;
  lineId: string;
  description: string;
  quantityText: string | null;
  amountMinor: number;
  currency: string;
  kind: string;
  credit: { id: string; amountMinor: number } | null;
}

export interface TicketDetail {
  ticket: TicketRow;
  customerName: string;
  assigneeName: string | null;
  units: TicketUnitView[];
  messages: TicketMessageView[];
  dispute: DisputedLine | null;
}

/**
 * A ticket with its thread. `customerId` (portal) makes another customer's ticket a 404;
 * `includeInternal` false leaves internal notes (and their files) in the database.
 */
export async function getTicket(db: Db, hostId: string, ticketId: string, options: { customerId?: string; includeInternal: boolean }): Promise<TicketDetail> {
  const scope = and(
    eq(supportTickets.hostId, hostId),
    eq(supportTickets.id, ticketId),
    options.customerId ? eq(supportTickets.customerId, options.customerId) : undefined,
  );
  const visible = options.includeInternal ? undefined : eq(supportMessages.internal, false);
  const [ticketRows, messageRows, attachmentRows, unitRows] = await db.batch([
    db
      .select({ ticket: supportTickets, customerName: sql<string>`${customers.name}`.as('customer_name'), assigneeName: sql<string | null>`${users.name}`.as('assignee_name') })
      .from(supportTickets)
      .innerJoin(customers, eq(customers.id, supportTickets.customerId))
      .leftJoin(users, eq(users.id, supportTickets.assigneeUserId))
      .where(scope),
    db
      .select({
        id: supportMessages.id,
        authorKind: supportMessages.authorKind,
        authorLabel: supportMessages.authorLabel,
        internal: supportMessages.internal,
        body: supportMessages.body,
        createdAt: supportMessages.createdAt,
      })
      .from(supportMessages)
      .innerJoin(supportTickets, eq(supportTickets.id, supportMessages.ticketId))
      .where(and(scope, eq(supportMessages.hostId, hostId), visible))
      .orderBy(asc(supportMessages.createdAt), asc(sql`${supportMessages}.rowid`)),
    db
      .select({
        id: supportAttachments.id,
        messageId: supportAttachments.messageId,
        filename: supportAttachments.filename,
        contentType: supportAttachments.contentType,
        sizeBytes: supportAttachments.sizeBytes,
      })
      .from(supportAttachments)
      .innerJoin(supportMessages, eq(supportMessages.id, supportAttachments.messageId))
      .innerJoin(supportTickets, eq(supportTickets.id, supportAttachments.ticketId))
      .where(and(scope, eq(supportAttachments.hostId, hostId), visible))
      .orderBy(asc(supportAttachments.createdAt)),
    db
      .select({ id: miners.id, serial: miners.serial, mac: miners.mac, model: miners.model, customerId: miners.customerId })
      .from(supportTicketUnits)
      .innerJoin(supportTickets, eq(supportTickets.id, supportTicketUnits.ticketId))
      .innerJoin(miners, and(eq(miners.id, supportTicketUnits.minerId), eq(miners.hostId, hostId)))
      .where(scope),
  ]);
  const head = ticketRows[0];
  if (!head) throw notFound('Ticket');
  const byMessage = new Map<string, TicketAttachmentView[]>();
  for (const a of attachmentRows) byMessage.set(a.messageId, [...(byMessage.get(a.messageId) ?? []), a]);
  const dispute = head.ticket.invoiceLineId ? await disputedLine(db, hostId, head.ticket) : null;
  return {
    ticket: head.ticket,
    customerName: head.customerName,
    assigneeName: head.assigneeName,
    units: unitRows.map((u) => ({ id: u.id, label: unitLabel(u), stillTheirs: u.customerId === head.ticket.customerId })),
    messages: messageRows.map((m) => ({ ...m, attachments: byMessage.get(m.id) ?? [] })),
    dispute,
  };
}

async function disputedLine(db: Db, hostId: string, ticket: TicketRow): Promise<DisputedLine | null> {
  const [lineRows, creditRows] = await db.batch([
    db
      .select({
        // Aliased: a D1 batch keys row values by column name, and both tables have id.
        invoiceId: sql<string>`${invoices.id}`.as('dispute_invoice_id'),
        invoiceNumber: sql<string | null>`${invoices.number}`.as('dispute_invoice_number'),
        invoiceStatus: sql<string>`${invoices.status}`.as('dispute_invoice_status'),
        lineId: sql<string>`${invoiceLines.id}`.as('dispute_line_id'),
        description: sql<string>`${invoiceLines.description}`.as('dispute_description'),
        quantityText: sql<string | null>`${invoiceLines.quantityText}`.as('dispute_quantity_text'),
        amountMinor: sql<number>`${invoiceLines.amountMinor}`.as('dispute_amount_minor'),
        currency: sql<string>`${invoices.currency}`.as('dispute_currency'),
        kind: sql<string>`${invoiceLines.kind}`.as('dispute_kind'),
      })
      .from(invoiceLines)
      .innerJoin(invoices, eq(invoices.id, invoiceLines.invoiceId))
      .where(and(eq(invoiceLines.hostId, hostId), eq(invoiceLines.id, ticket.invoiceLineId ?? ''), eq(invoices.customerId, ticket.customerId))),
    db
      .select({ id: credits.id, amountMinor: credits.amountMinor })
      .from(credits)
      .where(and(eq(credits.hostId, hostId), eq(credits.id, ticket.creditId ?? ''))),
  ]);
  const line = lineRows[0];
  return line ? { ...line, credit: creditRows[0] ?? null } : null;
}

/** One attachment, if the caller may see it (portal: its customer's ticket, not an internal note). */
export async function findAttachment(db: Db, hostId: string, ticketId: string, attachmentId: string, options: { customerId?: string; includeInternal: boolean }) {
  const row = await db
    .select({ r2Key: supportAttachments.r2Key, filename: supportAttachments.filename, contentType: supportAttachments.contentType, sizeBytes: supportAttachments.sizeBytes })
    .from(supportAttachments)
    .innerJoin(supportTickets, eq(supportTickets.id, supportAttachments.ticketId))
    .innerJoin(supportMessages, eq(supportMessages.id, supportAttachments.messageId))
    .where(
      and(
        eq(supportAttachments.hostId, hostId),
        eq(supportAttachments.id, attachmentId),
        eq(supportTickets.id, ticketId),
        eq(supportTickets.hostId, hostId),
        options.customerId ? eq(supportTickets.customerId, options.customerId) : undefined,
        options.includeInternal ? undefined : eq(supportMessages.internal, false),
      ),
    )
    .get();
  if (!row) throw notFound('Attachment');
  return row;
}

// ---------------------------------------------------------------------------------------------
// Writing a message: files to R2 first, rows in one batch, emails queued after it commits.

interface MessageWrite {
  id: string;
  ticketId: string;
  hostId: string;
  actor: Actor;
  internal: boolean;
  body: string;
  now: number;
}

function messageStatements(db: Db, write: MessageWrite, files: Awaited<ReturnType<typeof checkAttachments>>, keys: string[]): BatchItem<'sqlite'>[] {
  return [
    db.insert(supportMessages).values({
      id: write.id,
      ticketId: write.ticketId,
      hostId: write.hostId,
      authorKind: write.actor.kind,
      authorId: write.actor.id,
      authorLabel: write.actor.label,
      internal: write.internal,
      body: write.body,
      createdAt: write.now,
    }),
    ...files.map((file, index) =>
      db.insert(supportAttachments).values({
        id: file.id,
        ticketId: write.ticketId,
        messageId: write.id,
        hostId: write.hostId,
        r2Key: keys[index]!,
        filename: file.filename,
        contentType: file.contentType,
        sizeBytes: file.bytes.byteLength,
        createdAt: write.now,
      }),
    ),
  ];
}

/** Runs the batch with the files already in R2; on failure the files are removed again. */
async function commitWithFiles(db: Db, env: SupportEnv, statements: BatchItem<'sqlite'>[], keys: string[]) {
  try {
    await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  } catch (error) {
    await removeStored(env.FILES, keys);
    throw error;
  }
}

/** Text fields from a form or JSON: the zod input of createTicketSchema, units possibly repeated. */
export type TicketFormInput = Record<string, unknown>;

/**
 * A customer (portal) opens a ticket. Units must be the customer's own assigned units; a disputed
 * invoice line must be on one of the customer's issued invoices.
 */
export async function openTicket(
  db: Db,
  env: SupportEnv,
  scope: { hostId: string; customerId: string; customerName: string },
  actor: Actor,
  raw: TicketFormInput,
  files: File[],
  requestUrl: string | null,
): Promise<TicketRow> {
  const input = parseInput(createTicketSchema, raw);
  const { hostId, customerId } = scope;
  if (input.unit_ids.length > 0) {
    const owned = await db
      .select({ id: miners.id })
      .from(miners)
      .where(and(eq(miners.hostId, hostId), eq(miners.customerId, customerId), eq(miners.status, 'assigned'), inIds(miners.id, input.unit_ids)))
      .all();
    if (owned.length !== input.unit_ids.length) throw new ValidationError({ unit_ids: 'Choose only your own units.' });
  }
  let invoiceId: string | null = null;
  if (input.invoice_line_id) {
    const line = await invoiceLineForCustomer(db, hostId, customerId, input.invoice_line_id);
    invoiceId = line.invoiceId;
  }
  const checked = await checkAttachments(files);
  const now = Date.now();
  const ticketId = newId();
  const messageId = newId();
  const keys = await storeAttachments(env.FILES, hostId, ticketId, checked);
  const ticket: TicketRow = {
    id: ticketId,
    hostId,
    customerId,
    number: 0,
    subject: input.subject,
    category: input.category,
    status: 'open',
    assigneeUserId: null,
    openedByKind: actor.kind,
    openedByLabel: actor.label,
    invoiceId,
    invoiceLineId: input.invoice_line_id ?? null,
    creditId: null,
    lastMessageAt: now,
    waitingSince: now,
    resolvedAt: null,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  // The host's next number; two tickets racing for it meet the unique index, and the second is refused whole.
  const numbered = await db
    .select({ n: sql<number>`coalesce(max(${supportTickets.number}), 0) + 1` })
    .from(supportTickets)
    .where(eq(supportTickets.hostId, hostId))
    .get();
  ticket.number = numbered?.n ?? 1;
  const emails = await ticketEmails(db, env, {
    event: 'opened',
    ticket,
    customerName: scope.customerName,
    authorLabel: actor.label,
    message: input.message,
    requestUrl,
  });
  const statements: BatchItem<'sqlite'>[] = [
    db.insert(supportTickets).values(ticket),
    ...input.unit_ids.map((minerId) => db.insert(supportTicketUnits).values({ ticketId, minerId, hostId })),
    ...messageStatements(db, { id: messageId, ticketId, hostId, actor, internal: false, body: input.message, now }, checked, keys),
    activityInsert(db, hostId, actor, 'ticket.opened', customerId, { subject: [null, input.subject], category: [null, TICKET_CATEGORY_LABELS[input.category]] }, now),
    ...emails.statements,
  ];
  try {
    await commitWithFiles(db, env, statements, keys);
  } catch (error) {
    if (String(error).includes('support_tickets.number')) throw new AppError('conflict', 'Another ticket was opened at the same moment; send it again.');
    throw error;
  }
  await queueEmail(env, emails.ids);
  return ticket;
}

/** An issued (not draft, not void) invoice line of this customer, or a field error. */
export async function invoiceLineForCustomer(db: Db, hostId: string, customerId: string, lineId: string) {
  const line = await db
    .select({
      invoiceId: invoices.id,
      invoiceNumber: invoices.number,
      currency: invoices.currency,
      lineId: invoiceLines.id,
      description: invoiceLines.description,
      quantityText: invoiceLines.quantityText,
      amountMinor: invoiceLines.amountMinor,
      kind: invoiceLines.kind,
    })
    .from(invoiceLines)
    .innerJoin(invoices, eq(invoices.id, invoiceLines.invoiceId))
    .where(and(eq(invoiceLines.hostId, hostId), eq(invoiceLines.id, lineId), eq(invoices.hostId, hostId), eq(invoices.customerId, customerId), ne(invoices.status, 'draft')))
    .get();
  if (!line) throw new ValidationError({ invoice_line_id: 'That invoice line is not one of yours.' });
  return line;
}

async function ticketInScope(db: Db, hostId: string, ticketId: string, customerId?: string): Promise<TicketRow> {
  const ticket = await db
    .select()
    .from(supportTickets)
    .where(and(eq(supportTickets.hostId, hostId), eq(supportTickets.id, ticketId), customerId ? eq(supportTickets.customerId, customerId) : undefined))
    .get();
  if (!ticket) throw notFound('Ticket');
  return ticket;
}

const closedError = () => new AppError('conflict', 'This ticket is closed. Open a new ticket to continue.');

/**
 * A customer replies: the ticket goes back to open (a pending or resolved ticket reopens) and
 * staff are emailed. A closed ticket takes no replies.
 */
export async function customerReply(
  db: Db,
  env: SupportEnv,
  scope: { hostId: string; customerId: string; customerName: string },
  ticketId: string,
  actor: Actor,
  raw: Record<string, unknown>,
  files: File[],
  requestUrl: string | null,
): Promise<void> {
  const ticket = await ticketInScope(db, scope.hostId, ticketId, scope.customerId);
  const input = parseInput(customerReplySchema, raw);
  if (ticket.status === 'closed') throw closedError();
  const checked = await checkAttachments(files);
  const now = Date.now();
  const keys = await storeAttachments(env.FILES, scope.hostId, ticket.id, checked);
  const emails = await ticketEmails(db, env, {
    event: 'customer_reply',
    ticket: { ...ticket, status: 'open' },
    customerName: scope.customerName,
    authorLabel: actor.label,
    message: input.message,
    requestUrl,
  });
  const reopened = ticket.status === 'resolved' || ticket.status === 'pending';
  await commitWithFiles(
    db,
    env,
    [
      db
        .update(supportTickets)
        .set({ status: 'open', lastMessageAt: now, waitingSince: sql`coalesce(${supportTickets.waitingSince}, ${now})`, resolvedAt: null, updatedAt: now })
        .where(and(eq(supportTickets.hostId, scope.hostId), eq(supportTickets.id, ticket.id), ne(supportTickets.status, 'closed'))),
      ...messageStatements(db, { id: newId(), ticketId: ticket.id, hostId: scope.hostId, actor, internal: false, body: input.message, now }, checked, keys),
      activityInsert(db, scope.hostId, actor, reopened ? 'ticket.reopened' : 'ticket.replied', scope.customerId, { ticket: [null, `#${ticket.number}`], ...(reopened ? { status: [TICKET_STATUS_LABELS[ticket.status], TICKET_STATUS_LABELS.open] } : {}) }, now),
      ...emails.statements,
    ],
    keys,
  );
  await queueEmail(env, emails.ids);
}

/**
 * Staff (or an API key) reply to the customer, or add an internal note. A reply is emailed to
 * the customer's team and, unless told otherwise, moves the ticket to pending (waiting on the
 * customer); a note changes nothing else and is never emailed.
 */
export async function staffReply(
  db: Db,
  env: SupportEnv,
  hostId: string,
  ticketId: string,
  actor: Actor,
  raw: Record<string, unknown>,
  files: File[],
  requestUrl: string | null,
): Promise<{ messageId: string }> {
  const ticket = await ticketInScope(db, hostId, ticketId);
  const input = parseInput(staffReplySchema, raw);
  if (ticket.status === 'closed') throw closedError();
  if (input.internal && input.status && input.status !== ticket.status) {
    throw new ValidationError({ status: 'An internal note does not change the status; change it separately.' });
  }
  const target = input.internal ? ticket.status : (input.status ?? 'pending');
  if (target !== ticket.status && !STATUS_TRANSITIONS[ticket.status].includes(target)) {
    throw new ValidationError({ status: `A ${TICKET_STATUS_LABELS[ticket.status].toLowerCase()} ticket cannot move to ${TICKET_STATUS_LABELS[target].toLowerCase()}.` });
  }
  const checked = input.internal ? [] : await checkAttachments(files);
  if (input.internal && files.some((f) => f.size > 0)) throw new ValidationError({ attachments: 'Internal notes take no attachments.' });
  const now = Date.now();
  const messageId = newId();
  const keys = await storeAttachments(env.FILES, hostId, ticket.id, checked);
  const emails = input.internal
    ? { ids: [], statements: [] }
    : await ticketEmails(db, env, { event: 'staff_reply', ticket: { ...ticket, status: target }, customerName: '', authorLabel: actor.label, message: input.message, requestUrl });
  const statusChange = target !== ticket.status;
  await commitWithFiles(
    db,
    env,
    [
      db
        .update(supportTickets)
        .set(
          input.internal
            ? { updatedAt: now }
            : {
                status: target,
                lastMessageAt: now,
                waitingSince: target === 'open' ? sql`${supportTickets.waitingSince}` : null,
                resolvedAt: target === 'resolved' ? now : target === 'closed' ? sql`${supportTickets.resolvedAt}` : null,
                closedAt: target === 'closed' ? now : null,
                updatedAt: now,
              },
        )
        .where(and(eq(supportTickets.hostId, hostId), eq(supportTickets.id, ticket.id), ne(supportTickets.status, 'closed'))),
      ...messageStatements(db, { id: messageId, ticketId: ticket.id, hostId, actor, internal: input.internal, body: input.message, now }, checked, keys),
      activityInsert(
        db,
        hostId,
        actor,
        input.internal ? 'ticket.noted' : 'ticket.replied',
        ticket.customerId,
        { ticket: [null, `#${ticket.number}`], ...(statusChange ? { status: [TICKET_STATUS_LABELS[ticket.status], TICKET_STATUS_LABELS[target]] } : {}) },
        now,
      ),
      ...emails.statements,
    ],
    keys,
  );
  await queueEmail(env, emails.ids);
  return { messageId };
}

/** Moves a ticket along its lifecycle (STATUS_TRANSITIONS); a race settled by the guarded UPDATE. */
export async function setTicketStatus(db: Db, hostId: string, ticketId: string, actor: Actor, raw: Record<string, unknown>): Promise<TicketRow> {
  const ticket = await ticketInScope(db, hostId, ticketId);
  const { status } = parseInput(statusSchema, raw);
  if (status === ticket.status) return ticket;
  if (!STATUS_TRANSITIONS[ticket.status].includes(status)) {
    throw new ValidationError({ status: `A ${TICKET_STATUS_LABELS[ticket.status].toLowerCase()} ticket cannot move to ${TICKET_STATUS_LABELS[status].toLowerCase()}.` });
  }
  const now = Date.now();
  const [updated] = await db.batch([
    db
      .update(supportTickets)
      .set({
        status,
        waitingSince: status === 'open' ? sql`${supportTickets.waitingSince}` : null,
        resolvedAt: status === 'resolved' ? now : status === 'closed' ? sql`${supportTickets.resolvedAt}` : null,
        closedAt: status === 'closed' ? now : null,
        updatedAt: now,
      })
      .where(and(eq(supportTickets.hostId, hostId), eq(supportTickets.id, ticket.id), eq(supportTickets.status, ticket.status)))
      .returning(),
    activityInsert(db, hostId, actor, 'ticket.status_changed', ticket.customerId, { ticket: [null, `#${ticket.number}`], status: [TICKET_STATUS_LABELS[ticket.status], TICKET_STATUS_LABELS[status]] }, now),
  ]);
  const row = updated[0];
  if (!row) throw new AppError('conflict', 'The ticket changed meanwhile; reload and try again.');
  return row;
}

/** Assigns the ticket to one of the host's staff, or to nobody (`''`). */
export async function assignTicket(db: Db, hostId: string, ticketId: string, actor: Actor, raw: Record<string, unknown>): Promise<void> {
  const ticket = await ticketInScope(db, hostId, ticketId);
  const { assignee_user_id: userId } = parseInput(assignSchema, raw);
  let name: string | null = null;
  if (userId) {
    const member = await db
      .select({ name: users.name })
      .from(hostUsers)
      .innerJoin(users, eq(users.id, hostUsers.userId))
      .where(and(eq(hostUsers.hostId, hostId), eq(hostUsers.userId, userId)))
      .get();
    if (!member) throw new ValidationError({ assignee_user_id: 'Choose a member of your staff.' });
    name = member.name;
  }
  const now = Date.now();
  await db.batch([
    db
      .update(supportTickets)
      .set({ assigneeUserId: userId || null, updatedAt: now })
      .where(and(eq(supportTickets.hostId, hostId), eq(supportTickets.id, ticket.id))),
    activityInsert(db, hostId, actor, 'ticket.assigned', ticket.customerId, { ticket: [null, `#${ticket.number}`], assignee: [null, name ?? 'Nobody'] }, now),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Question this line: disputes on invoices, resolved with a credit.

/** The disputes on one invoice's lines, by line id (staff invoice page, portal invoice page). */
export async function disputesForInvoice(db: Db, hostId: string, invoiceId: string, options: { customerId?: string } = {}) {
  const rows = await db
    .select({ lineId: supportTickets.invoiceLineId, id: supportTickets.id, number: supportTickets.number, status: supportTickets.status, creditId: supportTickets.creditId })
    .from(supportTickets)
    .where(and(eq(supportTickets.hostId, hostId), eq(supportTickets.invoiceId, invoiceId), options.customerId ? eq(supportTickets.customerId, options.customerId) : undefined))
    .orderBy(asc(supportTickets.number))
    .all();
  const byLine = new Map<string, { id: string; number: number; status: TicketStatus; creditId: string | null }[]>();
  for (const row of rows) if (row.lineId) byLine.set(row.lineId, [...(byLine.get(row.lineId) ?? []), row]);
  return byLine;
}

/**
 * Resolves a dispute with a credit to the customer, in the invoice's currency: exact minor units
 * parsed from decimal text (never through floating point), greater than zero and at most the
 * disputed line's amount. One batch: the ticket takes the credit id (guarded: a ticket is
 * credited once), the credit is inserted only if that guard passed, a message visible to the
 * customer says so, and the customer is emailed. The credit is then available like any other:
 * the next invoice takes it, or staff apply it to an open invoice (docs/billing/payments.md).
 */
export async function resolveDisputeWithCredit(
  db: Db,
  env: SupportEnv,
  hostId: string,
  ticketId: string,
  actor: Actor,
  raw: Record<string, unknown>,
  requestUrl: string | null,
): Promise<{ creditId: string; amountMinor: number; currency: string }> {
  const ticket = await ticketInScope(db, hostId, ticketId);
  const input = parseInput(disputeCreditSchema, raw);
  if (!ticket.invoiceLineId) throw new ValidationError({ amount: 'This ticket does not question an invoice line.' });
  if (ticket.creditId) throw new AppError('conflict', 'This dispute was already credited.');
  if (ticket.status === 'closed') throw closedError();
  const line = await invoiceLineForCustomer(db, hostId, ticket.customerId, ticket.invoiceLineId);
  const amountMinor = parseMoneyText(input.amount, line.currency);
  if (amountMinor === null || amountMinor <= 0) throw new ValidationError({ amount: `Enter an amount greater than zero in ${line.currency}, like 12.50.` });
  if (line.amountMinor > 0 && amountMinor > line.amountMinor) {
    throw new ValidationError({ amount: `The credit cannot exceed the line's ${formatMoney(line.amountMinor, line.currency)}.` });
  }
  const now = Date.now();
  const creditId = newId();
  const amountText = formatMoney(amountMinor, line.currency);
  const reason = `Dispute #${ticket.number}: ${line.invoiceNumber ?? 'invoice'}, ${line.description}`.slice(0, 500);
  const message = [`A credit of ${amountText} was posted to your account for the questioned line "${line.description}" of invoice ${line.invoiceNumber ?? ''}. It is taken by your next invoice.`, input.note]
    .filter(Boolean)
    .join('\n\n');
  const emails = await ticketEmails(db, env, { event: 'staff_reply', ticket: { ...ticket, status: 'resolved' }, customerName: '', authorLabel: actor.label, message, requestUrl });
  const credited = sql`EXISTS (SELECT 1 FROM support_tickets WHERE id = ${ticket.id} AND host_id = ${hostId} AND credit_id = ${creditId})`;
  const messageId = newId();
  await db.batch([
    db
      .update(supportTickets)
      .set({ creditId, status: 'resolved', resolvedAt: now, waitingSince: null, lastMessageAt: now, updatedAt: now })
      .where(and(eq(supportTickets.hostId, hostId), eq(supportTickets.id, ticket.id), isNull(supportTickets.creditId), ne(supportTickets.status, 'closed'))),
    // credits' columns in table order: id, host, customer, kind, amount, remaining, currency, reason, payment, detail, created_by, created_at.
    db.insert(credits).select(
      sql`SELECT ${creditId}, ${hostId}, ${ticket.customerId}, 'adjustment', ${amountMinor}, ${amountMinor}, ${line.currency}, ${reason}, NULL,
        ${JSON.stringify({ ticket_id: ticket.id, ticket_number: ticket.number, invoice_id: line.invoiceId, invoice_line_id: line.lineId })}, ${actor.label}, ${now}
        WHERE ${credited}`,
    ),
    // support_messages' columns in table order: id, ticket, host, author kind, author id, label, internal, body, created_at.
    db.insert(supportMessages).select(
      sql`SELECT ${messageId}, ${ticket.id}, ${hostId}, ${actor.kind}, ${actor.id}, ${actor.label}, 0, ${message}, ${now} WHERE ${credited}`,
    ),
    activityInsert(db, hostId, actor, 'ticket.credited', ticket.customerId, { ticket: [null, `#${ticket.number}`], amount: [null, amountText], _credit: [null, creditId] }, now),
    ...emails.statements,
  ]);
  const landed = await db.select({ id: credits.id }).from(credits).where(and(eq(credits.hostId, hostId), eq(credits.id, creditId))).get();
  if (!landed) throw new AppError('conflict', 'This dispute was already credited or closed meanwhile.');
  await queueEmail(env, emails.ids);
  return { creditId, amountMinor, currency: line.currency };
}

// ---------------------------------------------------------------------------------------------
// Settings and the portal's form choices.

export async function getSupportSettings(db: Db, hostId: string): Promise<{ supportEmail: string | null }> {
  const row = await db.select({ supportEmail: supportSettings.supportEmail }).from(supportSettings).where(eq(supportSettings.hostId, hostId)).get();
  return { supportEmail: row?.supportEmail ?? null };
}

export async function saveSupportSettings(db: Db, hostId: string, actor: Actor, raw: Record<string, unknown>): Promise<void> {
  const input = parseInput(supportSettingsSchema, raw);
  const before = await getSupportSettings(db, hostId);
  const now = Date.now();
  const email = input.support_email ?? null;
  await db.batch([
    db
      .insert(supportSettings)
      .values({ hostId, supportEmail: email, updatedAt: now })
      .onConflictDoUpdate({ target: supportSettings.hostId, set: { supportEmail: email, updatedAt: now } }),
    activityInsert(db, hostId, actor, 'support.settings_updated', null, { support_email: [before.supportEmail, email] }, now),
  ]);
}

/** The customer's assigned units, for the "units it concerns" choice. */
export async function customerUnitChoices(db: Db, hostId: string, customerId: string) {
  const rows = await db
    .select({ id: miners.id, serial: miners.serial, mac: miners.mac, model: miners.model })
    .from(miners)
    .where(and(eq(miners.hostId, hostId), eq(miners.customerId, customerId), eq(miners.status, 'assigned')))
    .orderBy(asc(miners.serial), asc(miners.id))
    .limit(500)
    .all();
  return rows.map((row) => ({ id: row.id, label: unitLabel(row) }));
}

/** The export's cap: a spreadsheet of the filtered list, not a backup. */
export const TICKET_EXPORT_LIMIT = 10_000;

/** Every ticket matching the staff list's filters (up to the cap), as CSV rows with a header. */
export async function ticketsCsvRows(db: Db, hostId: string, filters: TicketListFilters, now = Date.now()): Promise<(string | number | null)[][]> {
  const rows: (string | number | null)[][] = [['number', 'subject', 'status', 'category', 'customer', 'assignee', 'dispute', 'opened_at', 'last_message_at', 'waiting_hours']];
  const pageSize = 500;
  for (let page = 1; (page - 1) * pageSize < TICKET_EXPORT_LIMIT; page += 1) {
    const result = await listTickets(db, hostId, { ...filters, page }, { now, pageSize });
    for (const t of result.items) {
      rows.push([
        t.number,
        t.subject,
        t.status,
        t.category,
        t.customerName,
        t.assigneeName,
        t.invoiceLineId ? 'yes' : 'no',
        new Date(t.createdAt).toISOString(),
        new Date(t.lastMessageAt).toISOString(),
        t.status === 'open' && t.waitingSince !== null ? Math.floor((now - t.waitingSince) / 3_600_000) : null,
      ]);
    }
    if (page >= result.pages) break;
  }
  return rows;
}
