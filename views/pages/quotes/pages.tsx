import { Fragment, h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { KIND_LABELS } from '../../../src/contracts/schema';
import type { FieldErrors } from '../../../src/lib/errors';
import { formatMoney } from '../../../src/lib/format';
import type { RequiredDocument } from '../../../src/legal/service';
import type { PortalContext } from '../../../src/portal/context';
import { HOURS_PER_MONTH, isEditableQuote, MAX_QUOTE_LINES, quoteNumber, type QuoteDetail, type QuoteRow, type QuoteStatus } from '../../../src/quotes/service';
import { microsToDecimal } from '../../../src/sites/schema';
import { FilterSearch, FilterSelect } from '../../components/filter-select';
import { Card, EmptyState, FormErrorSummary, SelectField, TextArea, TextField } from '../../components/form';
import { TableWrap } from '../../components/table';
import { Time } from '../../components/time';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { PortalDocumentLayout, portalHref } from '../../layouts/portal';

const STATUS_LABELS: Record<QuoteStatus, string> = { draft: 'Draft', sent: 'Sent', viewed: 'Viewed', accepted: 'Accepted', declined: 'Declined', expired: 'Expired' };
const STATUS_BADGE: Record<QuoteStatus, string> = { draft: 'badge-inactive', sent: 'badge-in_default', viewed: 'badge-in_default', accepted: 'badge-active', declined: 'badge-pool_redirected', expired: 'badge-inactive' };

export const QuoteStatusBadge = (props: { status: QuoteStatus }) => <span class={`badge ${STATUS_BADGE[props.status]}`}>{STATUS_LABELS[props.status]}</span>;

export interface QuoteFigure {
  currency: string;
  sent: number;
  accepted: number;
  acceptedMonthly: number;
  openMonthly: number;
}

export function QuotesListPage(props: { session: StaffSession; quotes: (QuoteRow & { effectiveStatus: QuoteStatus })[]; figures: QuoteFigure[]; filters: { status: string; q: string } }) {
  const { session, quotes } = props;
  const filtered = Boolean(props.filters.status || props.filters.q);
  const csvHref = `/admin/quotes.csv?${new URLSearchParams(props.filters).toString()}`;
  return (
    <AdminLayout session={session} title="Quotes" area="quotes">
      <PageHeader
        title="Quotes"
        actions={
          <a class="btn btn-primary" href="/admin/quotes/new">
            New quote
          </a>
        }
      />
      {props.figures.length > 0 && (
        <div class="summary-cards" data-testid="quote-figures">
          {props.figures.map((f) => (
            <div class="summary-card">
              <span class="summary-label">Conversion ({f.currency})</span>
              <span class="summary-value">{f.sent ? `${Math.round((f.accepted / f.sent) * 100)}%` : '—'}</span>
              <span class="summary-unit">
                {f.accepted} of {f.sent} sent accepted · won {formatMoney(f.acceptedMonthly, f.currency)}/mo · open {formatMoney(f.openMonthly, f.currency)}/mo
              </span>
            </div>
          ))}
        </div>
      )}
      <form method="get" action="/admin/quotes" class="filters">
        <FilterSearch id="quote-q" label="Search prospects" value={props.filters.q} placeholder="Name, company or email" />
        <FilterSelect
          id="quote-status"
          name="status"
          label="Status"
          value={props.filters.status}
          options={[['', 'All statuses'], ...(Object.entries(STATUS_LABELS) as [string, string][])]}
        />
        <button type="submit" class="btn">
          Filter
        </button>
        <a href={csvHref}>Export CSV</a>
      </form>
      {quotes.length === 0 ? (
        <EmptyState title={filtered ? 'No quotes match' : 'No quotes yet'}>
          <p>{filtered ? 'Try another status or search.' : 'Write a quote for a prospect: accepting it creates the customer, a draft contract and their portal invitation.'}</p>
        </EmptyState>
      ) : (
        <TableWrap label="Quotes">
          <table class="table" data-testid="quotes">
            <thead>
              <tr>
                <th scope="col">Quote</th>
                <th scope="col">Prospect</th>
                <th scope="col">Type</th>
                <th scope="col" class="num">
                  Monthly estimate
                </th>
                <th scope="col">Valid until</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {quotes.map((q) => (
                <tr>
                  <td>
                    <a href={`/admin/quotes/${q.id}`}>{quoteNumber(q.number)}</a>
                  </td>
                  <td>
                    {q.prospectName}
                    {q.prospectCompany && <span class="hint"> · {q.prospectCompany}</span>}
                  </td>
                  <td>{KIND_LABELS[q.kind]}</td>
                  <td class="num">{formatMoney(q.monthlyEstimateMinor, q.currency)}</td>
                  <td>{q.validUntil}</td>
                  <td>
                    <QuoteStatusBadge status={q.effectiveStatus} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </AdminLayout>
  );
}

/** New quote, or (with `editing`) the edit of one the prospect has not answered yet. */
export function QuoteFormPage(props: { session: StaffSession; values: Record<string, string>; errors?: FieldErrors; editing?: { id: string; number: number; status: QuoteStatus; prospectEmail: string } }) {
  const { values: v, errors, editing } = props;
  const title = editing ? `Edit quote ${quoteNumber(editing.number)}` : 'New quote';
  // Five line slots, more when the quote already has more (the API takes up to MAX_QUOTE_LINES).
  const lastLine = Math.max(5, ...Array.from({ length: MAX_QUOTE_LINES }, (_, i) => i + 1).filter((n) => v[`line${n}_description`] || v[`line${n}_units`] || v[`line${n}_ths`] || v[`line${n}_power_w`]));
  const kindOptions = (Object.entries(KIND_LABELS) as [string, string][]).map(([k, l]) => [k, l] as const);
  return (
    <AdminLayout session={props.session} title={title} area="quotes">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/quotes">Quotes</a> /{' '}
        {editing ? (
          <>
            <a href={`/admin/quotes/${editing.id}`}>{quoteNumber(editing.number)}</a> / <span>Edit</span>
          </>
        ) : (
          <span>New quote</span>
        )}
      </nav>
      <PageHeader title={title} />
      <form method="post" action={editing ? `/admin/quotes/${editing.id}` : '/admin/quotes'} novalidate id="quote-form">
        <FormErrorSummary errors={errors} />
        {editing && editing.status !== 'draft' && (
          <div class="alert alert-info" role="status" data-testid="quote-edit-warning">
            This quote was sent to {editing.prospectEmail}. Saving puts it back to draft and the link they have stops working: send it again when it is ready.
          </div>
        )}
        <Card title="Prospect">
          <TextField label="Name" name="prospect_name" value={v.prospect_name} errors={errors} required maxlength={200} />
          <TextField label="Company" name="prospect_company" value={v.prospect_company} errors={errors} maxlength={200} />
          <TextField label="Email" name="prospect_email" type="email" value={v.prospect_email} errors={errors} required />
          <TextField label="Phone" name="prospect_phone" type="tel" value={v.prospect_phone} errors={errors} maxlength={40} />
        </Card>
        <Card title="Terms">
          <SelectField label="Contract type" name="kind" value={v.kind ?? 'hosted'} options={kindOptions} errors={errors} />
          <SelectField
            label="Hosted pricing"
            name="pricing"
            value={v.pricing ?? 'per_kwh'}
            options={[
              ['per_kwh', 'Per kWh'],
              ['fixed_per_unit', 'Fixed fee per unit'],
            ]}
            errors={errors}
            hint="Hosted only."
          />
          <TextField label="Currency" name="currency" value={v.currency} errors={errors} required maxlength={3} hint="ISO code, like USD." />
          <TextField
            label="Rate"
            name="rate"
            value={v.rate}
            errors={errors}
            required
            hint="Per kWh (hosted per kWh), per unit a month (fixed, lease), per site a month (O&M), or per TH/s per day (Infinity)."
          />
          <TextField label="Term (months)" name="term_months" value={v.term_months ?? '12'} errors={errors} required />
          <TextField label="Setup fee" name="setup_fee" value={v.setup_fee} errors={errors} />
          <TextField label="Deposit" name="deposit" value={v.deposit} errors={errors} />
          <TextField label="Valid until" name="valid_until" value={v.valid_until} errors={errors} required placeholder="YYYY-MM-DD" />
          <TextArea label="Notes (shown to the prospect)" name="notes" value={v.notes} errors={errors} maxlength={2000} />
        </Card>
        <Card title="Lines">
          <p class="hint">
            Units × model with nominal TH/s and power (W) per unit; for Infinity one line per TH/s block (TH/s only); for O&M the number of sites. The estimate uses{' '}
            {HOURS_PER_MONTH} hours a month.
          </p>
          {Array.from({ length: lastLine }, (_, i) => i + 1).map((n) => (
            <fieldset class="quote-line">
              <legend>Line {n}</legend>
              <TextField label="Model or description" name={`line${n}_description`} value={v[`line${n}_description`]} errors={errors} maxlength={200} />
              <TextField label="Units (or sites)" name={`line${n}_units`} value={v[`line${n}_units`]} errors={errors} />
              <TextField label="Nominal TH/s" name={`line${n}_ths`} value={v[`line${n}_ths`]} errors={errors} />
              <TextField label="Power (W per unit)" name={`line${n}_power_w`} value={v[`line${n}_power_w`]} errors={errors} />
            </fieldset>
          ))}
        </Card>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">
            {editing ? 'Save changes' : 'Save draft'}
          </button>
          {editing && (
            <a class="btn" href={`/admin/quotes/${editing.id}`}>
              Cancel
            </a>
          )}
        </div>
      </form>
    </AdminLayout>
  );
}

/** The quote itself: the admin detail, the printable page and the prospect's page share it. */
export function QuoteDocument(props: { quote: QuoteDetail; hostName: string }) {
  const { quote: q } = props;
  const m = (minor: number) => formatMoney(minor, q.currency);
  const rate =
    q.kind === 'infinity'
      ? `${microsToDecimal(q.priceMicrosPerThDay ?? 0)} ${q.currency} per TH/s per day`
      : q.pricing === 'per_kwh'
        ? `${microsToDecimal(q.energyRateMicrosPerKwh ?? 0)} ${q.currency} per kWh`
        : `${m(q.monthlyFeeMinor ?? 0)} per ${q.kind === 'om' ? 'site' : 'unit'} a month`;
  return (
    <section class="quote-document" data-testid="quote-document">
      <h2>
        Quote {quoteNumber(q.number)} · {KIND_LABELS[q.kind]}
      </h2>
      <p>
        From {props.hostName} to {q.prospectName}
        {q.prospectCompany ? `, ${q.prospectCompany}` : ''} · valid until {q.validUntil}
      </p>
      <TableWrap label="Quote lines">
        <table class="table table-compact">
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col" class="num">
                {q.kind === 'om' ? 'Sites' : 'Units'}
              </th>
              <th scope="col" class="num">
                TH/s
              </th>
              <th scope="col" class="num">
                Power (W)
              </th>
              <th scope="col" class="num">
                Monthly
              </th>
            </tr>
          </thead>
          <tbody>
            {q.lines.map((l) => (
              <tr>
                <td>{l.description}</td>
                <td class="num">{l.units}</td>
                <td class="num">{l.nominalMths === null ? '—' : (l.nominalMths / 1000).toLocaleString('en-US')}</td>
                <td class="num">{l.powerW ?? '—'}</td>
                <td class="num">{m(l.monthlyMinor)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <dl class="quote-totals">
        <dt>Rate</dt>
        <dd>{rate}</dd>
        <dt>Estimated monthly</dt>
        <dd data-testid="quote-monthly">{m(q.monthlyEstimateMinor)}</dd>
        <dt>Term</dt>
        <dd>{q.termMonths} months</dd>
        <dt>Setup fee</dt>
        <dd>{m(q.setupFeeMinor)}</dd>
        <dt>Deposit</dt>
        <dd>{m(q.depositMinor)}</dd>
        <dt>Term total (monthly × term + setup)</dt>
        <dd>{m(q.termTotalMinor)}</dd>
      </dl>
      {q.notes && <p class="quote-notes">{q.notes}</p>}
      <p class="hint">Estimates use each unit’s nominal power running {HOURS_PER_MONTH} hours a month; invoices bill what is metered.</p>
    </section>
  );
}

export function QuoteDetailPage(props: { session: StaffSession; quote: QuoteDetail; notice?: string; error?: string }) {
  const { quote: q, session } = props;
  const tz = session.host.timezone;
  const canSend = q.effectiveStatus === 'draft' || q.effectiveStatus === 'sent' || q.effectiveStatus === 'viewed';
  return (
    <AdminLayout session={session} title={`Quote ${quoteNumber(q.number)}`} area="quotes">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/quotes">Quotes</a> / <span>{quoteNumber(q.number)}</span>
      </nav>
      <PageHeader
        title={`Quote ${quoteNumber(q.number)}`}
        actions={
          <>
            <a class="btn" href={`/admin/quotes/${q.id}/print`}>
              Printable
            </a>
            {isEditableQuote(q) && (
              <a class="btn" href={`/admin/quotes/${q.id}/edit`}>
                Edit
              </a>
            )}
            {canSend && (
              <form method="post" action={`/admin/quotes/${q.id}/send`}>
                <button type="submit" class="btn btn-primary">
                  {q.sentAt ? 'Send again (new link)' : 'Send to prospect'}
                </button>
              </form>
            )}
          </>
        }
      />
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      {props.error && (
        <div class="alert alert-error" role="alert">
          {props.error}
        </div>
      )}
      <p>
        <QuoteStatusBadge status={q.effectiveStatus} /> · {q.prospectEmail}
        {q.sentAt && (
          <>
            {' '}
            · sent <Time ms={q.sentAt} timezone={tz} />
          </>
        )}
        {q.viewedAt && (
          <>
            {' '}
            · viewed <Time ms={q.viewedAt} timezone={tz} />
          </>
        )}
      </p>
      {q.acceptedAt && (
        <div class="alert alert-success" role="status">
          Accepted <Time ms={q.acceptedAt} timezone={tz} /> by {q.acceptedByName}
          {q.acceptedByTitle ? `, ${q.acceptedByTitle}` : ''}
          {q.customerId && (
            <>
              {' '}
              · <a href={`/admin/customers/${q.customerId}`}>Open the customer</a>
            </>
          )}
          {q.customerId && q.contractId && (
            <>
              {' '}
              · <a href={`/admin/customers/${q.customerId}/contracts/${q.contractId}`}>the draft contract</a>
            </>
          )}
        </div>
      )}
      {q.declinedAt && (
        <div class="alert alert-info" role="status">
          Declined <Time ms={q.declinedAt} timezone={tz} />
          {q.declineReason ? `: ${q.declineReason}` : ''}
        </div>
      )}
      <QuoteDocument quote={q} hostName={session.host.name} />
    </AdminLayout>
  );
}

/** The prospect's page on the host's portal: read, then accept (name, title, agreements) or decline. */
export function PublicQuotePage(props: {
  portal: PortalContext;
  quote: QuoteDetail;
  token: string;
  agreements: RequiredDocument[];
  errors?: FieldErrors;
  message?: string;
  values?: Record<string, string>;
  done?: 'accepted' | 'declined';
}) {
  const { portal, quote: q, token } = props;
  const open = q.effectiveStatus === 'sent' || q.effectiveStatus === 'viewed';
  const action = (path: string) => portalHref(portal, `/quote/${token}${path}`);
  return (
    <PortalDocumentLayout portal={portal} title={`Quote ${quoteNumber(q.number)}`}>
      <h1>Your quote from {portal.host.name}</h1>
      {props.message && (
        <div class="alert alert-error" role="alert">
          {props.message}
        </div>
      )}
      {props.done === 'accepted' || q.effectiveStatus === 'accepted' ? (
        <div class="alert alert-success" role="status">
          Accepted — thank you. We emailed {q.prospectEmail} an invitation to the {portal.host.name} portal.
        </div>
      ) : props.done === 'declined' || q.effectiveStatus === 'declined' ? (
        <div class="alert alert-info" role="status">
          This quote was declined.
        </div>
      ) : q.effectiveStatus === 'expired' ? (
        <div class="alert alert-info" role="status">
          This quote expired on {q.validUntil}. Ask {portal.host.name} for a new one.
        </div>
      ) : null}
      <QuoteDocument quote={q} hostName={portal.host.name} />
      {open && (
        <>
          <Card title="Accept this quote">
            <form method="post" action={action('/accept')} novalidate>
              <FormErrorSummary errors={props.errors} />
              <TextField label="Your name" name="name" value={props.values?.name} errors={props.errors} required maxlength={200} autocomplete="name" />
              <TextField label="Your title" name="title" value={props.values?.title} errors={props.errors} maxlength={200} autocomplete="organization-title" />
              {props.agreements.length > 0 && (
                <div class={props.errors?.agree ? 'field has-error' : 'field'}>
                  <label for="f-agree">
                    <input id="f-agree" type="checkbox" name="agree" value="on" /> I have read and accept{' '}
                    {props.agreements.map(({ document, version }, i) => (
                      <>
                        {i > 0 ? ', ' : ''}
                        {document.title} (version {version.version})
                      </>
                    ))}
                  </label>
                  {props.errors?.agree && (
                    <p class="field-error" id="agree-error">
                      {props.errors.agree}
                    </p>
                  )}
                  <p class="hint">You will be asked to accept them again when you first sign in to the portal, as the person signing in.</p>
                </div>
              )}
              <button type="submit" class="btn btn-primary">
                Accept quote
              </button>
            </form>
          </Card>
          <Card title="Decline">
            <form method="post" action={action('/decline')} novalidate>
              <TextArea label="Reason" name="reason" maxlength={1000} rows={3} />
              <button type="submit" class="btn">
                Decline quote
              </button>
            </form>
          </Card>
        </>
      )}
    </PortalDocumentLayout>
  );
}

export function PrintableQuotePage(props: { session: StaffSession; quote: QuoteDetail }) {
  return (
    <AdminLayout session={props.session} title={`Quote ${quoteNumber(props.quote.number)}`} area="quotes">
      <div class="printable">
        <QuoteDocument quote={props.quote} hostName={props.session.host.name} />
      </div>
    </AdminLayout>
  );
}
