import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { formatMoney } from '../lib/format';
import { notFound, ValidationError } from '../lib/errors';
import { redirectAfterPost } from '../lib/http';
import { attachmentHeaders } from '../support/attachments';
import { customerActor, customerReply, customerUnitChoices, findAttachment, getTicket, invoiceLineForCustomer, listTickets, openTicket } from '../support/service';
import { TICKET_CATEGORIES, type TicketCategory } from '../support/schema';
import { lineHasEvidence } from '../../views/pages/support/shared';
import { portalHref } from '../../views/layouts/portal';
import { PortalNewTicketPage, PortalSupportPage, PortalTicketPage, type NewTicketValues } from '../../views/pages/portal/support';
import { handleForm } from './forms';
import { readTicketForm } from './support-forms';

type Ctx = Context<AppEnv>;

/** The member's customer and name, from the portal context (never from the request). */
function scopeOf(c: Ctx) {
  const portal = c.get('portal');
  const customer = portal.customer!;
  return { hostId: portal.host.id, customerId: customer.id, customerName: customer.name };
}

const actorOf = (c: Ctx) => {
  const portal = c.get('portal');
  // View Portal never reaches a write (previewIsReadOnly), so a member is always present here.
  return customerActor(portal.member ?? { id: '', name: portal.customer!.name });
};

const EMPTY_VALUES: NewTicketValues = { subject: '', category: '', message: '', unit_ids: [], invoice_line_id: '' };

/** "Question this line": the form pre-filled with the line, its amount and its evidence link. */
async function questionValues(c: Ctx, lineId: string) {
  const portal = c.get('portal');
  const scope = scopeOf(c);
  let line;
  try {
    line = await invoiceLineForCustomer(getDb(c.env.DB), scope.hostId, scope.customerId, lineId);
  } catch (error) {
    if (error instanceof ValidationError) throw notFound('Invoice line');
    throw error;
  }
  const amountText = formatMoney(line.amountMinor, line.currency);
  const origin = new URL(c.req.url).origin;
  const evidence = lineHasEvidence(line.kind) ? `${origin}${portalHref(portal, `/invoices/${line.invoiceId}/lines/${line.lineId}/evidence.csv`)}` : null;
  const values: NewTicketValues = {
    subject: `Question about ${line.invoiceNumber ?? 'an invoice'}: ${line.description}`.slice(0, 200),
    category: 'billing',
    message: [
      `I have a question about this line of invoice ${line.invoiceNumber ?? ''}:`,
      '',
      `${line.description}${line.quantityText ? ` (${line.quantityText})` : ''}: ${amountText}`,
      ...(evidence ? [`Evidence: ${evidence}`] : []),
      '',
      '',
    ].join('\n'),
    unit_ids: [],
    invoice_line_id: line.lineId,
  };
  return { values, line: { invoiceNumber: line.invoiceNumber, description: line.description, amountText } };
}

/** Portal → Support, mounted behind sign-in: only the member's own customer's tickets. */
export const portalSupportRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const scope = scopeOf(c);
    const page = await listTickets(getDb(c.env.DB), scope.hostId, { page: Number(c.req.query('page') ?? '1') || 1 }, { customerId: scope.customerId });
    return c.html(<PortalSupportPage portal={c.get('portal')} page={page} notice={c.req.query('opened') ? 'Your ticket was opened. We will email your team when support replies.' : undefined} />);
  })
  .get('/new', async (c) => {
    const portal = c.get('portal');
    const scope = scopeOf(c);
    const units = await customerUnitChoices(getDb(c.env.DB), scope.hostId, scope.customerId);
    const lineId = c.req.query('invoice_line');
    const question = lineId ? await questionValues(c, lineId) : null;
    const category = c.req.query('category');
    const values = question?.values ?? { ...EMPTY_VALUES, category: TICKET_CATEGORIES.includes(category as TicketCategory) ? (category as TicketCategory) : '' };
    return c.html(<PortalNewTicketPage portal={portal} units={units} values={values} line={question?.line} />);
  })
  .post('/', async (c) => {
    const portal = c.get('portal');
    const scope = scopeOf(c);
    const db = getDb(c.env.DB);
    let posted = { fields: {} as Record<string, string>, unitIds: [] as string[] };
    return handleForm(
      c,
      async () => {
        const form = await readTicketForm(c);
        posted = form;
        const ticket = await openTicket(db, c.env, scope, actorOf(c), { ...form.fields, unit_ids: form.unitIds }, form.files, c.req.url);
        return redirectAfterPost(c, portalHref(portal, `/support/${ticket.id}?opened=1`));
      },
      async (errors) => {
        const units = await customerUnitChoices(db, scope.hostId, scope.customerId);
        const f = posted.fields;
        const values: NewTicketValues = {
          subject: f.subject ?? '',
          category: TICKET_CATEGORIES.includes(f.category as TicketCategory) ? (f.category as TicketCategory) : '',
          message: f.message ?? '',
          unit_ids: posted.unitIds,
          invoice_line_id: f.invoice_line_id ?? '',
        };
        const page = <PortalNewTicketPage portal={portal} units={units} values={values} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .get('/:id', async (c) => {
    const scope = scopeOf(c);
    const detail = await getTicket(getDb(c.env.DB), scope.hostId, c.req.param('id'), { customerId: scope.customerId, includeInternal: false });
    const notice = c.req.query('opened') ? 'Your ticket was opened. We will email your team when support replies.' : c.req.query('replied') ? 'Reply sent.' : undefined;
    return c.html(<PortalTicketPage portal={c.get('portal')} detail={detail} notice={notice} />);
  })
  .post('/:id/replies', async (c) => {
    const portal = c.get('portal');
    const scope = scopeOf(c);
    const db = getDb(c.env.DB);
    const ticketId = c.req.param('id');
    let message = '';
    return handleForm(
      c,
      async () => {
        const form = await readTicketForm(c);
        message = form.fields.message ?? '';
        await customerReply(db, c.env, scope, ticketId, actorOf(c), { message: form.fields.message }, form.files, c.req.url);
        return redirectAfterPost(c, portalHref(portal, `/support/${ticketId}?replied=1`));
      },
      async (errors) => {
        const detail = await getTicket(db, scope.hostId, ticketId, { customerId: scope.customerId, includeInternal: false });
        const page = <PortalTicketPage portal={portal} detail={detail} errors={errors} message={message} />;
        return { fragment: page, page };
      },
    );
  })
  .get('/:id/attachments/:attachmentId', async (c) => {
    const scope = scopeOf(c);
    const row = await findAttachment(getDb(c.env.DB), scope.hostId, c.req.param('id'), c.req.param('attachmentId'), { customerId: scope.customerId, includeInternal: false });
    const object = await c.env.FILES.get(row.r2Key);
    if (!object) throw notFound('Attachment');
    return c.body(object.body, 200, attachmentHeaders(row));
  });
