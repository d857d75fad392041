import { Fragment, h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { can } from '../../../src/auth/permissions';
import { INVOICE_LIST_STATUSES, type InvoiceDocument, type InvoiceListFilters, type InvoiceListItem, type InvoicePreview } from '../../../src/billing/invoices';
import { formatMoney } from '../../../src/billing/money';
import { addDays } from '../../../src/billing/periods';
import type { FieldErrors } from '../../../src/lib/errors';
import { ConfirmAction } from '../../components/confirm';
import { FilterSearch, FilterSelect } from '../../components/filter-select';
import { EmptyState, FormErrorSummary, SelectField, TextField } from '../../components/form';
import { ResultCount } from '../../components/result-count';
import { TableWrap } from '../../components/table';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { INVOICE_STATUS_LABELS, InvoiceDocumentView, InvoiceStatusBadge } from './document';
import { LineDisputeLinks, type LineDisputes } from '../support/shared';
import { UnitFeeSection, type UnitFeeValues } from './unit-fees';

/** The preview's blockers: what stops the period from being billed as it stands. */
function Blockers(props: { blockers: string[] }) {
  if (props.blockers.length === 0) return null;
  return (
    <div class="alert alert-warning blockers" role="alert">
      <p>Parts of this period cannot be billed as they stand; an invoice with these open cannot be issued:</p>
      <ul>
        {props.blockers.map((b) => (
          <li>{b}</li>
        ))}
      </ul>
    </div>
  );
}

export function invoiceListHref(filters: InvoiceListFilters, path = '/admin/invoices'): string {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.status) params.set('status', filters.status);
  if (filters.customerId) params.set('customer_id', filters.customerId);
  if (filters.period) params.set('period', filters.period);
  if (filters.page && filters.page > 1) params.set('page', String(filters.page));
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

export function InvoiceResults(props: { items: InvoiceListItem[]; total: number; page: number; pages: number; filters: InvoiceListFilters }) {
  const { filters } = props;
  const filtered = Boolean(filters.q || filters.status || filters.customerId || filters.period);
  const pageHref = (page: number) => invoiceListHref({ ...filters, page });
  return (
    <div id="invoice-results">
      <ResultCount total={props.total} noun={['invoice', 'invoices']} filtered={filtered} exportHref={invoiceListHref({ ...filters, page: undefined }, '/admin/invoices/export.csv')} />
      {props.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No invoices match">
            <p>
              Try other filters, or <a href="/admin/invoices">clear them</a>.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No invoices yet">
            <p>
              Invoices are generated for each customer with a contract once a billing period ends and its usage is sealed. You can also{' '}
              <a href="/admin/invoices/new">preview and generate one now</a>.
            </p>
          </EmptyState>
        )
      ) : (
        <TableWrap label="Invoices" wide>
          <table class="table invoice-table">
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Customer</th>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col">Due</th>
                <th scope="col" class="num">
                  Total
                </th>
                <th scope="col" class="num">
                  Balance
                </th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((inv) => (
                <tr data-invoice-id={inv.id}>
                  <td>
                    <a href={`/admin/invoices/${inv.id}`}>{inv.number ?? 'Draft'}</a>
                  </td>
                  <td>
                    <a href={`/admin/customers/${inv.customerId}`}>{inv.customerName}</a>
                  </td>
                  <td>{inv.periodKey}</td>
                  <td>
                    <InvoiceStatusBadge status={inv.status} held={inv.held} />
                  </td>
                  <td>{inv.dueOn ?? '—'}</td>
                  <td class="num">{formatMoney(inv.totalMinor, inv.currency)}</td>
                  <td class="num">{inv.status === 'void' || inv.status === 'draft' ? '—' : formatMoney(inv.totalMinor - inv.paidMinor, inv.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {props.pages > 1 && (
        <nav class="pagination" aria-label="Pages">
          {props.page > 1 ? (
            <a class="btn" href={pageHref(props.page - 1)}>
              ← Previous
            </a>
          ) : (
            <span class="btn disabled" aria-disabled="true">
              ← Previous
            </span>
          )}
          <span>
            Page {props.page} of {props.pages}
          </span>
          {props.page < props.pages ? (
            <a class="btn" href={pageHref(props.page + 1)}>
              Next →
            </a>
          ) : (
            <span class="btn disabled" aria-disabled="true">
              Next →
            </span>
          )}
        </nav>
      )}
    </div>
  );
}

export function InvoiceListPage(props: {
  session: StaffSession;
  list: { items: InvoiceListItem[]; total: number; page: number; pages: number };
  filters: InvoiceListFilters;
  customers: { id: string; name: string }[];
}) {
  const { filters } = props;
  return (
    <AdminLayout session={props.session} title="Invoices" area="invoices">
      <PageHeader
        title="Invoices"
        subtitle="Every customer's invoices, newest period first. Energy lines link to the hourly readings they were computed from."
        actions={
          <a class="btn btn-primary" href="/admin/invoices/new">
            Preview or generate an invoice
          </a>
        }
      />
      <form class="filters" role="search" method="get" action="/admin/invoices" hx-get="/admin/invoices" hx-trigger="change, submit" hx-target="#invoice-results" hx-swap="outerHTML" hx-push-url="true">
        <FilterSearch id="invoice-q" label="Search invoices" value={filters.q ?? ''} placeholder="Number or customer" />
        <FilterSelect id="invoice-status" name="status" label="Status" value={filters.status ?? ''} options={[['', 'All statuses'], ['open', 'Open (unpaid)'], ...INVOICE_LIST_STATUSES.map((s) => [s, INVOICE_STATUS_LABELS[s]] as const)]} />
        <FilterSelect id="invoice-customer" name="customer_id" label="Customer" value={filters.customerId ?? ''} options={[['', 'All customers'], ...props.customers.map((c) => [c.id, c.name] as const)]} />
        <label class="visually-hidden" for="invoice-period">
          Period (YYYY-MM)
        </label>
        <input id="invoice-period" name="period" type="month" value={filters.period ?? ''} />
        <button type="submit" class="btn">
          Apply
        </button>
      </form>
      <InvoiceResults {...props.list} filters={filters} />
    </AdminLayout>
  );
}

export interface NewInvoiceValues {
  customer_id: string;
  period: string;
}

/** "Preview invoice": exactly what would be issued, before anything is stored. */
export function NewInvoicePage(props: {
  session: StaffSession;
  customers: { id: string; name: string }[];
  values: NewInvoiceValues;
  errors?: FieldErrors;
  preview: InvoicePreview | null;
  notice?: string;
  /** The fixed-fee form as posted, when it was refused. */
  fee?: { values: UnitFeeValues; errors: FieldErrors };
}) {
  const { preview, values } = props;
  const money = (minor: number) => formatMoney(minor, preview!.currency);
  return (
    <AdminLayout session={props.session} title="Preview invoice" area="invoices">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/invoices">Invoices</a> / <span>Preview</span>
      </nav>
      <PageHeader title="Preview an invoice" subtitle="Choose a customer and a billing period: the preview shows exactly what generating would produce now." />
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <FormErrorSummary errors={props.fee?.errors} />
      <form method="get" action="/admin/invoices/new" class="card form-narrow" novalidate>
        <FormErrorSummary errors={props.errors} />
        <SelectField label="Customer" name="customer_id" value={values.customer_id} errors={props.errors} options={[['', 'Choose a customer'], ...props.customers.map((c) => [c.id, c.name] as const)]} required />
        <TextField label="Period (YYYY-MM)" name="period" value={values.period} errors={props.errors} required hint="Named by the month it starts in, from the billing day (Settings → Billing)." />
        <div class="form-actions">
          <button type="submit" class="btn">
            Preview
          </button>
        </div>
      </form>
      {preview && (
        <section class="card" aria-labelledby="preview-title">
          <h2 id="preview-title" class="card-title">
            {preview.customer.name}, {preview.period.start} to {addDays(preview.period.end, -1)}
          </h2>
          {preview.held && (
            <p class="alert alert-info" role="status">
              This customer is not Active: the invoice will be held (issued, but not emailed).
            </p>
          )}
          {preview.existing && (
            <p class="alert alert-info" role="status">
              An invoice for this period already exists:{' '}
              <a href={`/admin/invoices/${preview.existing.id}`}>{preview.existing.number ?? 'the draft'}</a> ({INVOICE_STATUS_LABELS[preview.existing.status]}).
              {preview.existing.status === 'draft' ? ' Generating replaces its lines.' : ' Generating leaves it as it is.'}
            </p>
          )}
          <Blockers blockers={preview.blockers} />
          <UnitFeeSection preview={preview} canManage={can.manageInvoices(props.session.role)} from="preview" values={props.fee?.values} errors={props.fee?.errors} />
          <TableWrap label="Preview lines">
            <table class="table" data-testid="preview-lines">
              <thead>
                <tr>
                  <th scope="col">Description</th>
                  <th scope="col">Quantity</th>
                  <th scope="col" class="num">
                    Amount
                  </th>
                </tr>
              </thead>
              <tbody>
                {preview.lines.length === 0 && (
                  <tr>
                    <td colspan={3}>No charges: the customer has no contract covering this period.</td>
                  </tr>
                )}
                {preview.lines.map((line) => (
                  <tr>
                    <td>{line.description}</td>
                    <td>{line.quantityText ?? ''}</td>
                    <td class="num">{money(line.amountMinor)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr class="invoice-total">
                  <th scope="row" colspan={2}>
                    Total
                  </th>
                  <td class="num" data-testid="preview-total">
                    {money(preview.totalMinor)}
                  </td>
                </tr>
              </tfoot>
            </table>
          </TableWrap>
          {(!preview.existing || preview.existing.status === 'draft') && (
            <form method="post" action="/admin/invoices" class="form-actions">
              <input type="hidden" name="customer_id" value={preview.customer.id} />
              <input type="hidden" name="period" value={preview.period.key} />
              <button type="submit" class="btn btn-primary">
                {preview.existing ? 'Regenerate the draft' : 'Generate draft'}
              </button>
            </form>
          )}
        </section>
      )}
    </AdminLayout>
  );
}

export function InvoiceDetailPage(props: {
  session: StaffSession;
  doc: InvoiceDocument;
  logoSrc: string | null;
  notice?: string;
  errors?: FieldErrors;
  disputes?: LineDisputes;
  /** A draft's preview: its blockers and fixed fees are shown above the document. */
  draftPreview?: InvoicePreview;
  fee?: { values: UnitFeeValues; errors: FieldErrors };
}) {
  const { doc } = props;
  const { invoice } = doc;
  const manage = can.manageInvoices(props.session.role);
  const title = invoice.number ? `Invoice ${invoice.number}` : `Draft invoice, ${invoice.periodKey}`;
  return (
    <AdminLayout session={props.session} title={title} area="invoices">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/invoices">Invoices</a> / <a href={`/admin/customers/${doc.customer.id}`}>{doc.customer.name}</a> / <span>{invoice.number ?? 'Draft'}</span>
      </nav>
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <FormErrorSummary errors={props.errors ?? props.fee?.errors} />
      {props.draftPreview && (
        <>
          <Blockers blockers={props.draftPreview.blockers} />
          <UnitFeeSection preview={props.draftPreview} canManage={manage} from="draft" values={props.fee?.values} errors={props.fee?.errors} />
        </>
      )}
      <div class="invoice-actions">
        <a class="btn" href={`/admin/invoices/${invoice.id}/print`}>
          Printable copy
        </a>
        {manage && invoice.status === 'draft' && (
          <>
            <form method="post" action={`/admin/invoices/${invoice.id}/issue`}>
              <button type="submit" class="btn btn-primary">
                Issue {invoice.held ? '(held: not emailed)' : 'and email'}
              </button>
            </form>
            <form method="post" action="/admin/invoices">
              <input type="hidden" name="customer_id" value={doc.customer.id} />
              <input type="hidden" name="period" value={invoice.periodKey} />
              <button type="submit" class="btn">
                Regenerate
              </button>
            </form>
            <ConfirmAction action={`/admin/invoices/${invoice.id}/discard`} label="Discard draft" consequence="The draft and its lines are deleted. Nothing was issued, so no number is lost." confirmLabel="Discard the draft" />
          </>
        )}
        {manage && invoice.status !== 'draft' && invoice.status !== 'void' && (
          <form method="post" action={`/admin/invoices/${invoice.id}/void`} class="inline-form">
            <details class="confirm">
              <summary class="btn btn-danger-outline">Void…</summary>
              <div class="confirm-body">
                <p>The invoice stays on record with its number, marked void. Money already paid against it becomes the customer's credit.</p>
                <TextField label="Reason" name="reason" required errors={props.errors} maxlength={500} />
                <button type="submit" class="btn btn-danger">
                  Void the invoice
                </button>
              </div>
            </details>
          </form>
        )}
        {manage && invoice.status === 'void' && (
          <form method="post" action={`/admin/invoices/${invoice.id}/correct`}>
            <button type="submit" class="btn btn-primary">
              Create corrected invoice
            </button>
          </form>
        )}
      </div>
      {invoice.replacesInvoiceId && (
        <p class="muted">
          Corrects <a href={`/admin/invoices/${invoice.replacesInvoiceId}`}>a voided invoice</a>.
        </p>
      )}
      <InvoiceDocumentView
        doc={doc}
        logoSrc={props.logoSrc}
        audience="staff"
        evidenceHref={(lineId) => `/admin/invoices/${invoice.id}/lines/${lineId}/evidence.csv`}
        lineExtra={(line) => <LineDisputeLinks tickets={props.disputes?.get(line.id) ?? []} href={(id) => `/admin/support/${id}`} label="Disputed" />}
      />
    </AdminLayout>
  );
}
