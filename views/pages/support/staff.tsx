import { Fragment, h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { FieldErrors } from '../../../src/lib/errors';
import {
  STATUS_FILTERS,
  STATUS_TRANSITIONS,
  TICKET_AGE_LABELS,
  TICKET_AGES,
  TICKET_CATEGORIES,
  TICKET_CATEGORY_LABELS,
  TICKET_STATUS_LABELS,
  TICKET_STATUSES,
  type StatusFilter,
  type TicketAge,
  type TicketCategory,
} from '../../../src/support/schema';
import type { TicketDetail, TicketListItem } from '../../../src/support/service';
import { Card, EmptyState, FormErrorSummary, SelectField, TextArea, TextField } from '../../components/form';
import { FilterSearch, FilterSelect } from '../../components/filter-select';
import { KeysetPagination } from '../../components/pagination';
import { TableWrap } from '../../components/table';
import { Time } from '../../components/time';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { AgeText, AttachmentField, CategoryLabel, DisputedLineCard, lineHasEvidence, TicketStatusBadge, TicketThread } from './shared';

export interface SupportListFilters {
  status: StatusFilter | '';
  customer_id: string;
  assignee: string;
  category: TicketCategory | '';
  age: TicketAge | '';
  q: string;
}

export interface SupportListPage {
  items: TicketListItem[];
  total: number;
  page: number;
  pages: number;
}

export function supportListHref(filters: SupportListFilters, page = 1, path = '/admin/support'): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

const STATUS_FILTER_LABELS: Record<StatusFilter, string> = { active: 'Open or waiting', ...TICKET_STATUS_LABELS };

/** The ticket table: the Support page's results and the customer's Support tab. */
export function TicketTable(props: { items: TicketListItem[]; timezone: string; now: number; showCustomer: boolean }) {
  return (
    <TableWrap label="Support tickets">
      <table class="table ticket-table">
        <thead>
          <tr>
            <th scope="col">Ticket</th>
            <th scope="col">Status</th>
            {props.showCustomer && <th scope="col">Customer</th>}
            <th scope="col">Category</th>
            <th scope="col">Assignee</th>
            <th scope="col">Waiting</th>
            <th scope="col">Age</th>
            <th scope="col">Last activity</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((t) => (
            <tr data-ticket-id={t.id}>
              <td>
                <a href={`/admin/support/${t.id}`}>
                  #{t.number} {t.subject}
                </a>
                {t.invoiceLineId && <span class="badge badge-ticket-dispute">Dispute</span>}
              </td>
              <td>
                <TicketStatusBadge status={t.status} />
              </td>
              {props.showCustomer && (
                <td>
                  <a href={`/admin/customers/${t.customerId}/support`}>{t.customerName}</a>
                </td>
              )}
              <td>
                <CategoryLabel category={t.category} />
              </td>
              <td>{t.assigneeName ?? <span class="muted">Unassigned</span>}</td>
              <td class={t.waitingSince !== null && props.now - t.waitingSince > 86_400_000 ? 'sla-late' : undefined}>
                <AgeText since={t.status === 'open' ? t.waitingSince : null} now={props.now} />
              </td>
              <td>
                <AgeText since={t.createdAt} now={props.now} />
              </td>
              <td>
                <Time ms={t.lastMessageAt} timezone={props.timezone} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function SupportResults(props: { page: SupportListPage; filters: SupportListFilters; timezone: string; now: number }) {
  const { page, filters } = props;
  const filtered = Object.values(filters).some(Boolean);
  return (
    <div id="support-results">
      <p class="result-count muted">
        {page.total === 1 ? '1 ticket' : `${page.total} tickets`}
        {filtered ? ' match' : ''} · <a href={supportListHref(filters, 1, '/admin/support/export.csv')}>Export CSV</a>
      </p>
      {page.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No tickets match">
            <p>
              Try other filters, or <a href="/admin/support">clear them</a>.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No support tickets yet">
            <p>Tickets your customers open from their portal appear here.</p>
          </EmptyState>
        )
      ) : (
        <TicketTable items={page.items} timezone={props.timezone} now={props.now} showCustomer />
      )}
      <KeysetPagination
        prevHref={page.page > 1 ? supportListHref(filters, page.page - 1) : null}
        nextHref={page.page < page.pages ? supportListHref(filters, page.page + 1) : null}
        target="support-results"
      />
    </div>
  );
}

export function SupportListPageView(props: {
  session: StaffSession;
  page: SupportListPage;
  filters: SupportListFilters;
  options: { customers: { id: string; name: string }[]; staff: { id: string; name: string }[] };
  now: number;
}) {
  const { filters, options } = props;
  return (
    <AdminLayout session={props.session} title="Support" area="support">
      <PageHeader
        title="Support"
        subtitle="Tickets from your customers, most recent activity first. Waiting is how long the customer has waited for your answer."
        actions={
          <a class="btn" href="/admin/support/settings">
            Support settings
          </a>
        }
      />
      <form class="filters" role="search" method="get" action="/admin/support" hx-get="/admin/support" hx-trigger="change, submit" hx-target="#support-results" hx-swap="outerHTML" hx-push-url="true">
        <FilterSearch id="support-q" label="Search tickets" value={filters.q} placeholder="Subject, message, customer or #number" />
        <FilterSelect id="support-status" name="status" label="Status" value={filters.status} options={[['', 'All statuses'], ...STATUS_FILTERS.map((s) => [s, STATUS_FILTER_LABELS[s]] as const)]} />
        <FilterSelect id="support-customer" name="customer_id" label="Customer" value={filters.customer_id} options={[['', 'All customers'], ...options.customers.map((c) => [c.id, c.name] as const)]} />
        <FilterSelect
          id="support-assignee"
          name="assignee"
          label="Assignee"
          value={filters.assignee}
          options={[['', 'Anyone'], ['none', 'Unassigned'], ...options.staff.map((s) => [s.id, s.name] as const)]}
        />
        <FilterSelect id="support-category" name="category" label="Category" value={filters.category} options={[['', 'All categories'], ...TICKET_CATEGORIES.map((c) => [c, TICKET_CATEGORY_LABELS[c]] as const)]} />
        <FilterSelect id="support-age" name="age" label="Age" value={filters.age} options={[['', 'Any age'], ...TICKET_AGES.map((a) => [a, TICKET_AGE_LABELS[a]] as const)]} />
        <button type="submit" class="btn">
          Search
        </button>
      </form>
      <SupportResults page={props.page} filters={filters} timezone={props.session.host.timezone} now={props.now} />
    </AdminLayout>
  );
}

export function SupportTicketPage(props: {
  session: StaffSession;
  detail: TicketDetail;
  staff: { id: string; name: string }[];
  now: number;
  errors?: FieldErrors;
  values?: { message?: string; internal?: boolean; amount?: string; note?: string };
  notice?: string;
}) {
  const { detail, errors } = props;
  const { ticket } = detail;
  const tz = props.session.host.timezone;
  const base = `/admin/support/${ticket.id}`;
  const closed = ticket.status === 'closed';
  const nextStatuses = STATUS_TRANSITIONS[ticket.status];
  return (
    <AdminLayout session={props.session} title={`#${ticket.number} ${ticket.subject}`} area="support">
      <p>
        <a href="/admin/support">← Support</a>
      </p>
      <PageHeader
        title={`#${ticket.number} ${ticket.subject}`}
        subtitle={
          <>
            <TicketStatusBadge status={ticket.status} /> · <CategoryLabel category={ticket.category} /> · <a href={`/admin/customers/${ticket.customerId}/support`}>{detail.customerName}</a> · opened by {ticket.openedByLabel}{' '}
            <Time ms={ticket.createdAt} timezone={tz} /> · age <AgeText since={ticket.createdAt} now={props.now} />
            {ticket.status === 'open' && ticket.waitingSince !== null && (
              <>
                {' '}
                · waiting <AgeText since={ticket.waitingSince} now={props.now} />
              </>
            )}
          </>
        }
      />
      {props.notice && (
        <p class="alert alert-success" role="status">
          {props.notice}
        </p>
      )}
      <FormErrorSummary errors={errors} />
      <div class="ticket-layout">
        <div class="ticket-main">
          <TicketThread messages={detail.messages} timezone={tz} attachmentHref={(id) => `${base}/attachments/${id}`} />
          {closed ? (
            <p class="muted">This ticket is closed: it takes no more replies.</p>
          ) : (
            <Card title="Reply">
              <form method="post" action={`${base}/replies`} enctype="multipart/form-data" class="stack">
                <TextArea label="Message" name="message" required rows={6} maxlength={20000} value={props.values?.message} errors={errors} />
                <div class="field">
                  <label for="f-internal">
                    <input id="f-internal" type="checkbox" name="internal" value="1" checked={props.values?.internal} /> Internal note (only your staff see it; the customer is not emailed)
                  </label>
                </div>
                <SelectField
                  label="Then set the status to"
                  name="status"
                  value={nextStatuses.includes('pending') ? 'pending' : ticket.status}
                  errors={errors}
                  options={[ticket.status, ...nextStatuses].map((status) => [status, status === ticket.status ? `${TICKET_STATUS_LABELS[status]} (unchanged)` : TICKET_STATUS_LABELS[status]] as const)}
                  hint="Ignored for internal notes."
                />
                <AttachmentField errors={errors} />
                <button type="submit" class="btn btn-primary">
                  Send
                </button>
              </form>
            </Card>
          )}
        </div>
        <aside class="ticket-side">
          <Card title="Ticket">
            <form method="post" action={`${base}/assign`} class="stack">
              <SelectField label="Assignee" name="assignee_user_id" value={ticket.assigneeUserId ?? ''} errors={errors} options={[['', 'Unassigned'], ...props.staff.map((s) => [s.id, s.name] as const)]} />
              <button type="submit" class="btn btn-small">
                Assign
              </button>
            </form>
            {nextStatuses.length > 0 && (
              <div class="ticket-status-actions">
                <p class="small muted">Move to</p>
                {nextStatuses.map((status) => (
                  <form method="post" action={`${base}/status`} class="inline-form">
                    <input type="hidden" name="status" value={status} />
                    <button type="submit" class="btn btn-small">
                      {TICKET_STATUS_LABELS[status]}
                    </button>
                  </form>
                ))}
              </div>
            )}
            {detail.units.length > 0 && (
              <>
                <h3 class="small">Units</h3>
                <ul class="plain-list">
                  {detail.units.map((u) => (
                    <li>
                      <a href={`/admin/equipment/${u.id}`}>{u.label}</a>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </Card>
          {detail.dispute && (
            <DisputedLineCard
              line={detail.dispute}
              invoiceHref={`/admin/invoices/${detail.dispute.invoiceId}`}
              evidenceHref={lineHasEvidence(detail.dispute.kind) ? `/admin/invoices/${detail.dispute.invoiceId}/lines/${detail.dispute.lineId}/evidence.csv` : null}
            >
              {!detail.dispute.credit && !closed && (
                <form method="post" action={`${base}/credit`} class="stack">
                  <TextField label={`Credit (${detail.dispute.currency})`} name="amount" required value={props.values?.amount} errors={errors} hint="Posted as an adjustment credit; the next invoice takes it." />
                  <TextArea label="Note to the customer" name="note" rows={2} maxlength={2000} value={props.values?.note} errors={errors} />
                  <button type="submit" class="btn btn-primary">
                    Resolve with credit
                  </button>
                </form>
              )}
            </DisputedLineCard>
          )}
        </aside>
      </div>
    </AdminLayout>
  );
}

export function SupportSettingsPage(props: { session: StaffSession; supportEmail: string | null; errors?: FieldErrors; saved?: boolean; canEdit: boolean }) {
  return (
    <AdminLayout session={props.session} title="Support settings" area="support">
      <p>
        <a href="/admin/support">← Support</a>
      </p>
      <PageHeader title="Support settings" />
      {props.saved && (
        <p class="alert alert-success" role="status">
          Saved.
        </p>
      )}
      <Card>
        <form method="post" action="/admin/support/settings" class="stack">
          <FormErrorSummary errors={props.errors} />
          <TextField
            label="Support email address"
            name="support_email"
            type="email"
            value={props.supportEmail}
            errors={props.errors}
            hint="New tickets and customer replies on unassigned tickets are emailed here. Empty: to your owners and admins. Assigned tickets go to the assignee."
          />
          {props.canEdit ? (
            <button type="submit" class="btn btn-primary">
              Save
            </button>
          ) : (
            <p class="muted small">Only owners and admins can change this.</p>
          )}
        </form>
      </Card>
    </AdminLayout>
  );
}

export { TICKET_STATUSES };
