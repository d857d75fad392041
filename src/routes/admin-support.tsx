import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { can } from '../auth/permissions';
import { getCustomer } from '../customers/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { forbidden, notFound } from '../lib/errors';
import { isHtmx, readForm, redirectAfterPost } from '../lib/http';
import { staffActor } from '../hosts/service';
import { attachmentHeaders } from '../support/attachments';
import { STATUS_FILTERS, TICKET_AGES, TICKET_CATEGORIES, type StatusFilter, type TicketAge, type TicketCategory } from '../support/schema';
import {
  assignTicket,
  findAttachment,
  getSupportSettings,
  getTicket,
  listStaffMembers,
  listTickets,
  resolveDisputeWithCredit,
  saveSupportSettings,
  setTicketStatus,
  staffReply,
  ticketFilterOptions,
  ticketsCsvRows,
} from '../support/service';
import { csvCell } from '../customers/csv';
import { CustomerShell } from '../../views/pages/customers/detail';
import { SupportListPageView, SupportResults, SupportSettingsPage, SupportTicketPage, TicketTable, type SupportListFilters } from '../../views/pages/support/staff';
import { EmptyState } from '../../views/components/form';
import { KeysetPagination } from '../../views/components/pagination';
import { handleForm } from './forms';
import { readTicketForm } from './support-forms';

type Ctx = Context<AppEnv>;

/** Query-string filters, tolerant of junk: an unknown value falls back to "all". */
function listFilters(query: Record<string, string>): SupportListFilters {
  const text = (value: string | undefined) => (value ?? '').trim().slice(0, 100);
  return {
    status: STATUS_FILTERS.includes(query.status as StatusFilter) ? (query.status as StatusFilter) : '',
    customer_id: text(query.customer_id),
    assignee: text(query.assignee),
    category: TICKET_CATEGORIES.includes(query.category as TicketCategory) ? (query.category as TicketCategory) : '',
    age: TICKET_AGES.includes(query.age as TicketAge) ? (query.age as TicketAge) : '',
    q: text(query.q),
  };
}

const pageOf = (c: Ctx) => Math.max(1, Number(c.req.query('page') ?? '1') || 1);

const NOTICES: Record<string, string> = {
  replied: 'Reply sent to the customer.',
  noted: 'Internal note added.',
  assigned: 'Assignee saved.',
  status: 'Status changed.',
  credited: 'Credit posted and the dispute resolved.',
};

async function ticketPage(c: Ctx, ticketId: string, extra: { errors?: Record<string, string>; values?: { message?: string; internal?: boolean; amount?: string; note?: string } } = {}) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const [detail, staff] = await Promise.all([getTicket(db, session.host.id, ticketId, { includeInternal: true }), listStaffMembers(db, session.host.id)]);
  return <SupportTicketPage session={session} detail={detail} staff={staff} now={Date.now()} notice={NOTICES[c.req.query('done') ?? '']} {...extra} />;
}

/** /admin/support — every ticket of the host; a ticket's page; Support settings. */
export const adminSupportRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const filters = listFilters(c.req.query());
    const now = Date.now();
    const page = await listTickets(db, session.host.id, { ...filters, page: pageOf(c) }, { now });
    if (isHtmx(c) && c.req.header('HX-Target') === 'support-results') {
      return c.html(<SupportResults page={page} filters={filters} timezone={session.host.timezone} now={now} />);
    }
    const options = await ticketFilterOptions(db, session.host.id);
    return c.html(<SupportListPageView session={session} page={page} filters={filters} options={options} now={now} />);
  })
  .get('/export.csv', async (c) => {
    const session = c.get('staff');
    const rows = await ticketsCsvRows(getDb(c.env.DB), session.host.id, listFilters(c.req.query()));
    const date = new Date().toISOString().slice(0, 10);
    return c.body(`${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="tickets-${date}.csv"`,
      'Cache-Control': 'no-store',
    });
  })
  .get('/settings', async (c) => {
    const session = c.get('staff');
    const settings = await getSupportSettings(getDb(c.env.DB), session.host.id);
    return c.html(<SupportSettingsPage session={session} supportEmail={settings.supportEmail} saved={c.req.query('saved') === '1'} canEdit={can.manageStaff(session.role)} />);
  })
  .post('/settings', async (c) => {
    const session = c.get('staff');
    if (!can.manageStaff(session.role)) throw forbidden('Only owners and admins can change support settings.');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await saveSupportSettings(getDb(c.env.DB), session.host.id, staffActor(session), { support_email: form.support_email ?? '' });
        return redirectAfterPost(c, '/admin/support/settings?saved=1');
      },
      (errors) => {
        const page = <SupportSettingsPage session={session} supportEmail={form.support_email ?? ''} errors={errors} canEdit />;
        return { fragment: page, page };
      },
    );
  })
  .get('/:id', async (c) => c.html(await ticketPage(c, c.req.param('id'))))
  .post('/:id/replies', async (c) => {
    const session = c.get('staff');
    const ticketId = c.req.param('id');
    let values: { message?: string; internal?: boolean } = {};
    return handleForm(
      c,
      async () => {
        const form = await readTicketForm(c);
        const internal = form.fields.internal === '1' || form.fields.internal === 'on';
        values = { message: form.fields.message, internal };
        const input: Record<string, unknown> = { message: form.fields.message, internal };
        if (!internal && form.fields.status) input.status = form.fields.status;
        await staffReply(getDb(c.env.DB), c.env, session.host.id, ticketId, staffActor(session), input, form.files, c.req.url);
        return redirectAfterPost(c, `/admin/support/${ticketId}?done=${internal ? 'noted' : 'replied'}`);
      },
      async (errors) => {
        const page = await ticketPage(c, ticketId, { errors, values });
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/assign', async (c) => {
    const session = c.get('staff');
    const ticketId = c.req.param('id');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await assignTicket(getDb(c.env.DB), session.host.id, ticketId, staffActor(session), { assignee_user_id: form.assignee_user_id ?? '' });
        return redirectAfterPost(c, `/admin/support/${ticketId}?done=assigned`);
      },
      async (errors) => {
        const page = await ticketPage(c, ticketId, { errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/status', async (c) => {
    const session = c.get('staff');
    const ticketId = c.req.param('id');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await setTicketStatus(getDb(c.env.DB), session.host.id, ticketId, staffActor(session), { status: form.status ?? '' });
        return redirectAfterPost(c, `/admin/support/${ticketId}?done=status`);
      },
      async (errors) => {
        const page = await ticketPage(c, ticketId, { errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/credit', async (c) => {
    const session = c.get('staff');
    if (!can.manageInvoices(session.role)) throw forbidden('Only owners and admins can post credit.');
    const ticketId = c.req.param('id');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await resolveDisputeWithCredit(getDb(c.env.DB), c.env, session.host.id, ticketId, staffActor(session), { amount: form.amount ?? '', note: form.note ?? '' }, c.req.url);
        return redirectAfterPost(c, `/admin/support/${ticketId}?done=credited`);
      },
      async (errors) => {
        const page = await ticketPage(c, ticketId, { errors, values: { amount: form.amount, note: form.note } });
        return { fragment: page, page };
      },
    );
  })
  .get('/:id/attachments/:attachmentId', async (c) => {
    const session = c.get('staff');
    const row = await findAttachment(getDb(c.env.DB), session.host.id, c.req.param('id'), c.req.param('attachmentId'), { includeInternal: true });
    const object = await c.env.FILES.get(row.r2Key);
    if (!object) throw notFound('Attachment');
    return c.body(object.body, 200, attachmentHeaders(row));
  });

/** The customer page's Support tab: that customer's tickets (mounted before the generic tab routes). */
export const adminCustomerSupportRoutes = new Hono<AppEnv>().get('/:id/support', async (c) => {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const customer = await getCustomer(db, session.host.id, c.req.param('id'));
  const now = Date.now();
  const page = await listTickets(db, session.host.id, { page: pageOf(c) }, { customerId: customer.id, now });
  const href = (n: number) => `/admin/customers/${customer.id}/support${n > 1 ? `?page=${n}` : ''}`;
  return c.html(
    <CustomerShell session={session} customer={customer} tab="support">
      <p>
        <a href={`/admin/support?customer_id=${encodeURIComponent(customer.id)}`}>Open in Support with filters</a>
      </p>
      {page.items.length === 0 ? (
        <EmptyState title="No support tickets">
          <p>Tickets {customer.name} opens from the portal appear here.</p>
        </EmptyState>
      ) : (
        <TicketTable items={page.items} timezone={session.host.timezone} now={now} showCustomer={false} />
      )}
      <KeysetPagination prevHref={page.page > 1 ? href(page.page - 1) : null} nextHref={page.page < page.pages ? href(page.page + 1) : null} />
    </CustomerShell>,
  );
});
