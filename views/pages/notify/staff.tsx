import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { unitIdent } from '../../../src/equipment/naming';
import type { FieldErrors } from '../../../src/lib/errors';
import { formatCount } from '../../../src/lib/format';
import { CONTRACT_KIND_OPTIONS, STATUS_OPTIONS, type Announcement, type DeliveryFigures, type RecipientPreview, type RecipientRow, type TargetOptions } from './shared';
import { parseBody, RichText } from '../../../src/lib/markdown';
import { ConfirmAction } from '../../components/confirm';
import { FilterSearch, FilterSelect } from '../../components/filter-select';
import { EmptyState, FormErrorSummary, SelectField, TextArea, TextField } from '../../components/form';
import { TableWrap, Truncate } from '../../components/table';
import { Time } from '../../components/time';
import { AdminLayout, PageHeader } from '../../layouts/admin';

export type { Announcement, DeliveryFigures };

export const KIND_LABELS = { announcement: 'Announcement', maintenance: 'Maintenance window' } as const;
export const STATE_LABELS = { scheduled: 'Scheduled', sending: 'Sending', sent: 'Sent', cancelled: 'Cancelled' } as const;

export function AnnouncementStateBadge(props: { status: Announcement['status'] }) {
  return <span class={`badge badge-announcement-${props.status}`}>{STATE_LABELS[props.status]}</span>;
}

/** The live progress: a <progress> element (no inline style) and the figures; htmx polls it while sending. */
export function DeliveryProgress(props: { id: string; href: string; figures: DeliveryFigures; status: Announcement['status'] }) {
  const { figures } = props;
  const live = props.status === 'sending' || (props.status === 'sent' && figures.queued > 0);
  return (
    <div
      id={`progress-${props.id}`}
      class="delivery-progress"
      data-testid="delivery-progress"
      data-percent={String(figures.percent)}
      hx-get={live ? props.href : undefined}
      hx-trigger={live ? 'every 2s' : undefined}
      hx-swap={live ? 'outerHTML' : undefined}
    >
      <progress max="100" value={String(figures.percent)} aria-label="Delivery progress">
        {figures.percent} %
      </progress>
      <span class="delivery-percent">{figures.percent} %</span>
      <dl class="delivery-figures">
        {(
          [
            ['Recipients', 'recipients'],
            ['Queued', 'queued'],
            ['Sent', 'sent'],
            ['Failed', 'failed'],
          ] as const
        ).map(([label, key]) => (
          <div>
            <dt>{label}</dt>
            <dd data-testid={`figure-${key}`}>{formatCount(figures[key])}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

export interface NotifyListFilters {
  status: string;
  kind: string;
  q: string;
}

export function NotifyListPage(props: {
  session: StaffSession;
  items: Announcement[];
  figures: Map<string, DeliveryFigures>;
  total: number;
  page: number;
  pageSize: number;
  filters: NotifyListFilters;
}) {
  const tz = props.session.host.timezone;
  const filtered = !!(props.filters.status || props.filters.kind || props.filters.q);
  const pageHref = (page: number) => {
    const params = new URLSearchParams({ ...Object.fromEntries(Object.entries(props.filters).filter(([, v]) => v)), page: String(page) });
    return `/admin/notify?${params}`;
  };
  return (
    <AdminLayout session={props.session} title="Notify" area="notify">
      <PageHeader
        title="Notify"
        subtitle="Announcements and maintenance windows to your customers: by email, and in their portal."
        actions={
          <>
            <a class="btn btn-primary" href="/admin/notify/new">
              New announcement
            </a>
            <a class="btn" href="/admin/notify/new?kind=maintenance">
              New maintenance window
            </a>
          </>
        }
      />
      <form class="filters" method="get" action="/admin/notify" role="search">
        <FilterSearch id="notify-q" label="Search subjects" value={props.filters.q} placeholder="Search subjects" />
        <FilterSelect id="notify-status" name="status" label="Status" value={props.filters.status} options={[['', 'All statuses'], ...Object.entries(STATE_LABELS)] as [string, string][]} />
        <FilterSelect id="notify-kind" name="kind" label="Kind" value={props.filters.kind} options={[['', 'All kinds'], ...Object.entries(KIND_LABELS)] as [string, string][]} />
        <button type="submit" class="btn">
          Filter
        </button>
      </form>
      {props.items.length === 0 ? (
        <EmptyState title={filtered ? 'No announcement matches these filters' : 'No announcements yet'}>
          {!filtered && <p>Write one to all your customers, or to a site, contract type, status or hand-picked customers.</p>}
        </EmptyState>
      ) : (
        <TableWrap label="Announcements">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Sends</th>
                <th scope="col" class="num">
                  Recipients
                </th>
                <th scope="col" class="num">
                  Sent
                </th>
                <th scope="col" class="num">
                  Failed
                </th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((a) => {
                const f = props.figures.get(a.id);
                return (
                  <tr data-announcement-id={a.id}>
                    <td>
                      <a href={`/admin/notify/${a.id}`}>
                        <Truncate text={a.subject} />
                      </a>
                    </td>
                    <td>{KIND_LABELS[a.kind]}</td>
                    <td>
                      <AnnouncementStateBadge status={a.status} />
                    </td>
                    <td>
                      <Time ms={a.sendAt} timezone={tz} />
                    </td>
                    <td class="num">{a.status === 'scheduled' || a.status === 'cancelled' ? '—' : formatCount(f?.recipients ?? 0)}</td>
                    <td class="num">{formatCount(f?.sent ?? 0)}</td>
                    <td class="num">{formatCount(f?.failed ?? 0)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
      <OffsetPager total={props.total} page={props.page} pageSize={props.pageSize} href={pageHref} noun="announcements" />
    </AdminLayout>
  );
}

export function OffsetPager(props: { total: number; page: number; pageSize: number; href: (page: number) => string; noun: string }) {
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize));
  if (pages <= 1) return <p class="muted small">{formatCount(props.total)} {props.noun}</p>;
  return (
    <nav class="pagination" aria-label="Pages">
      <span class="muted small">
        {formatCount(props.total)} {props.noun} · page {props.page} of {pages}
      </span>
      {props.page > 1 && (
        <a class="btn btn-small" href={props.href(props.page - 1)} rel="prev">
          Previous
        </a>
      )}
      {props.page < pages && (
        <a class="btn btn-small" href={props.href(props.page + 1)} rel="next">
          Next
        </a>
      )}
    </nav>
  );
}

export interface NotifyFormValues {
  kind: 'announcement' | 'maintenance';
  subject: string;
  body: string;
  format: string;
  site_ids: string[];
  contract_kinds: string[];
  statuses: string[];
  customer_ids: string[];
  send_at: string;
  site_id: string;
  racks: string;
  units: string;
  starts_at: string;
  ends_at: string;
  notice_hours: string;
}

export const emptyNotifyForm = (kind: NotifyFormValues['kind']): NotifyFormValues => ({
  kind,
  subject: '',
  body: '',
  format: 'plain',
  site_ids: [],
  contract_kinds: [],
  statuses: [],
  customer_ids: [],
  send_at: '',
  site_id: '',
  racks: '',
  units: '',
  starts_at: '',
  ends_at: '',
  notice_hours: '24',
});

function CheckboxGroup(props: { legend: string; name: string; options: readonly (readonly [string, string])[]; checked: string[]; errors?: FieldErrors; hint?: string }) {
  const error = props.errors?.[props.name];
  return (
    <fieldset class={error ? 'checkbox-group has-error' : 'checkbox-group'} aria-describedby={error ? `${props.name}-error` : undefined}>
      <legend>{props.legend}</legend>
      {props.hint && <p class="hint">{props.hint}</p>}
      {props.options.map(([value, label]) => (
        <label class="checkbox">
          <input type="checkbox" name={props.name} value={value} checked={props.checked.includes(value)} /> {label}
        </label>
      ))}
      {error && (
        <p class="field-error" id={`${props.name}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}

function DateTimeField(props: { label: string; name: string; value: string; errors?: FieldErrors; hint?: string }) {
  const error = props.errors?.[props.name];
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={`f-${props.name}`}>{props.label}</label>
      <input
        id={`f-${props.name}`}
        type="datetime-local"
        name={props.name}
        value={props.value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={[error ? `${props.name}-error` : null, props.hint ? `${props.name}-hint` : null].filter(Boolean).join(' ') || undefined}
      />
      {props.hint && (
        <p class="hint" id={`${props.name}-hint`}>
          {props.hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${props.name}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function NotifyForm(props: { values: NotifyFormValues; errors?: FieldErrors; options: TargetOptions; preview?: { recipients: RecipientPreview; subject: string; body: string; format: string } | null; timezone: string }) {
  const { values, errors, options } = props;
  const maintenance = values.kind === 'maintenance';
  return (
    <form id="notify-form" class="form-grid" method="post" action="/admin/notify/new" hx-post="/admin/notify/new" hx-target="this" hx-swap="outerHTML" novalidate>
      <FormErrorSummary errors={errors} />
      <input type="hidden" name="kind" value={values.kind} />
      <fieldset>
        <legend>Message</legend>
        <TextField label="Subject" name="subject" value={values.subject} errors={errors} required maxlength={200} />
        <TextArea
          label="Message"
          name="body"
          value={values.body}
          errors={errors}
          required
          rows={10}
          hint="Markdown: # heading, **bold**, *italic*, - lists, 1. lists, [link](https://…). Anything else, HTML included, is shown as typed."
        />
        <SelectField label="Format" name="format" value={values.format} errors={errors} options={[['plain', 'Plain text'], ['markdown', 'Markdown (safe subset)']]} />
      </fieldset>
      {maintenance ? (
        <fieldset>
          <legend>Maintenance window</legend>
          <SelectField label="Site" name="site_id" value={values.site_id} errors={errors} options={[['', 'Choose a site'], ...options.sites.map((s) => [s.id, s.name] as const)]} />
          <TextArea label="Racks (optional)" name="racks" value={values.racks} errors={errors} rows={2} hint="Rack location prefixes, one per line or comma-separated (A-01 covers A-01-03). Empty with no units: the whole site." />
          <TextArea label="Units (optional)" name="units" value={values.units} errors={errors} rows={2} hint="Serials or MAC addresses, one per line or comma-separated." />
          <DateTimeField label="Starts" name="starts_at" value={values.starts_at} errors={errors} hint={`In ${props.timezone}.`} />
          <DateTimeField label="Ends" name="ends_at" value={values.ends_at} errors={errors} hint={`In ${props.timezone}.`} />
          <TextField label="Notify customers ahead (hours)" name="notice_hours" value={values.notice_hours} errors={errors} pattern="[0-9]*" hint="The notice goes out this many hours before the start (at once if that is past); a second email when it ends." />
        </fieldset>
      ) : (
        <>
          <fieldset>
            <legend>Recipients</legend>
            <p class="hint">Nothing chosen: every customer that is not inactive. Choices combine: a site AND a contract type AND a status.</p>
            <CheckboxGroup legend="Sites (customers with units there)" name="site_ids" options={options.sites.map((s) => [s.id, s.name] as const)} checked={values.site_ids} errors={errors} />
            <CheckboxGroup legend="Contract type (an active contract of)" name="contract_kinds" options={CONTRACT_KIND_OPTIONS} checked={values.contract_kinds} errors={errors} />
            <CheckboxGroup legend="Customer status" name="statuses" options={STATUS_OPTIONS} checked={values.statuses} errors={errors} />
            <div class={errors?.customer_ids ? 'field has-error' : 'field'}>
              <label for="f-customer_ids">Hand-picked customers</label>
              <select id="f-customer_ids" name="customer_ids" multiple size={6} aria-describedby="customer_ids-hint">
                {options.customers.map((c) => (
                  <option value={c.id} selected={values.customer_ids.includes(c.id)}>
                    {c.name}
                  </option>
                ))}
              </select>
              <p class="hint" id="customer_ids-hint">
                Optional: only these customers (Ctrl/⌘-click to choose several).
              </p>
              {errors?.customer_ids && (
                <p class="field-error" id="customer_ids-error">
                  {errors.customer_ids}
                </p>
              )}
            </div>
          </fieldset>
          <fieldset>
            <legend>When</legend>
            <DateTimeField label="Send at (optional)" name="send_at" value={values.send_at} errors={errors} hint={`Empty: send now. Otherwise in ${props.timezone}; the scheduler runs every 15 minutes.`} />
          </fieldset>
        </>
      )}
      {props.preview && <PreviewPanel {...props.preview} />}
      <div class="form-actions">
        <button type="submit" class="btn" name="action" value="preview">
          Preview recipients
        </button>
        <button type="submit" class="btn btn-primary" name="action" value="create">
          {maintenance ? 'Schedule window' : values.send_at ? 'Schedule' : 'Send now'}
        </button>
        <a class="btn" href="/admin/notify">
          Cancel
        </a>
      </div>
    </form>
  );
}

function PreviewPanel(props: { recipients: RecipientPreview; subject: string; body: string; format: string }) {
  const { recipients } = props;
  return (
    <section class="card notify-preview" aria-labelledby="preview-title" data-testid="recipient-preview">
      <h2 id="preview-title" class="card-title">
        Preview: <span data-testid="recipient-count">{formatCount(recipients.count)}</span> recipient{recipients.count === 1 ? '' : 's'} at {formatCount(recipients.customers)} customer
        {recipients.customers === 1 ? '' : 's'}
      </h2>
      <h3>{props.subject}</h3>
      <RichText blocks={parseBody(props.body, props.format === 'markdown' ? 'markdown' : 'plain')} headingBase={4} />
      {recipients.list.length > 0 && (
        <TableWrap label="Recipients">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Customer</th>
              </tr>
            </thead>
            <tbody>
              {recipients.list.map((r) => (
                <tr>
                  <td class="ident">{r.email}</td>
                  <td>{r.name}</td>
                  <td>
                    <Truncate text={r.customerName} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {recipients.count > recipients.list.length && <p class="muted small">The first {recipients.list.length} by email are listed; all {formatCount(recipients.count)} will receive it.</p>}
    </section>
  );
}

export function NotifyFormPage(props: { session: StaffSession; form: Child; kind: NotifyFormValues['kind'] }) {
  const title = props.kind === 'maintenance' ? 'New maintenance window' : 'New announcement';
  return (
    <AdminLayout session={props.session} title={title} area="notify">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/notify">Notify</a> / <span>{title}</span>
      </nav>
      <PageHeader title={title} />
      {props.form}
    </AdminLayout>
  );
}

export function NotifyDetailPage(props: {
  session: StaffSession;
  announcement: Announcement;
  figures: DeliveryFigures;
  endedFigures: DeliveryFigures | null;
  recipients: { items: RecipientRow[]; total: number; page: number; pageSize: number };
  recipientFilters: { status: string; q: string };
  siteName: string | null;
  units: { id: string; serial: string | null; mac: string | null; model: string | null; rackLocation: string | null; customerName: string | null }[];
  targetSummary: string;
  flash?: string | null;
}) {
  const a = props.announcement;
  const tz = props.session.host.timezone;
  const base = `/admin/notify/${a.id}`;
  const recipientHref = (page: number) =>
    `${base}?${new URLSearchParams({ ...Object.fromEntries(Object.entries(props.recipientFilters).filter(([, v]) => v)), page: String(page) })}`;
  return (
    <AdminLayout session={props.session} title={a.subject} area="notify">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/notify">Notify</a> / <span>{KIND_LABELS[a.kind]}</span>
      </nav>
      <PageHeader
        title={a.subject}
        subtitle={
          <>
            {KIND_LABELS[a.kind]} · <AnnouncementStateBadge status={a.status} /> · by {a.createdByLabel}
          </>
        }
        actions={
          <>
            {props.figures.failed > 0 || (props.endedFigures?.failed ?? 0) > 0 ? (
              <form method="post" action={`${base}/resend`}>
                <button type="submit" class="btn">
                  Resend failures
                </button>
              </form>
            ) : null}
            {a.status === 'scheduled' && (
              <ConfirmAction action={`${base}/cancel`} label="Cancel" consequence="Nothing has been sent yet; nobody will receive it, and a maintenance window stops silencing alerts." confirmLabel="Cancel it" />
            )}
          </>
        }
      />
      {props.flash && (
        <div class="alert alert-success" role="status">
          {props.flash}
        </div>
      )}
      <dl class="details">
        <div>
          <dt>Recipients</dt>
          <dd>{props.targetSummary}</dd>
        </div>
        <div>
          <dt>{a.status === 'scheduled' ? 'Sends' : 'Sent'}</dt>
          <dd>
            <Time ms={a.startedAt ?? a.sendAt} timezone={tz} />
          </dd>
        </div>
        {a.kind === 'maintenance' && a.startsAt !== null && a.endsAt !== null && (
          <>
            <div>
              <dt>Window</dt>
              <dd>
                {props.siteName ?? 'Site'}: <Time ms={a.startsAt} timezone={tz} /> to <Time ms={a.endsAt} timezone={tz} />
              </dd>
            </div>
            <div>
              <dt>Units covered</dt>
              <dd>{formatCount(props.units.length)}</dd>
            </div>
          </>
        )}
      </dl>
      <section class="card" aria-labelledby="delivery-title">
        <h2 id="delivery-title" class="card-title">
          Delivery
        </h2>
        {a.status === 'scheduled' || a.status === 'cancelled' ? (
          <p class="muted">{a.status === 'scheduled' ? 'Recipients are fixed when it is sent.' : 'Cancelled before sending.'}</p>
        ) : (
          <DeliveryProgress id={a.id} href={`${base}/progress`} figures={props.figures} status={a.status} />
        )}
        {props.endedFigures && (
          <>
            <h3>"Maintenance finished" email</h3>
            <DeliveryProgress id={`${a.id}-ended`} href={`${base}/progress?phase=ended`} figures={props.endedFigures} status="sent" />
          </>
        )}
      </section>
      <section class="card" aria-labelledby="message-title">
        <h2 id="message-title" class="card-title">
          Message
        </h2>
        <RichText blocks={parseBody(a.body, a.format)} headingBase={3} />
      </section>
      {a.status !== 'scheduled' && a.status !== 'cancelled' && (
        <section aria-labelledby="recipients-title">
          <h2 id="recipients-title">Who received it</h2>
          <form class="filters" method="get" action={base} role="search">
            <FilterSearch id="recipient-q" label="Search emails" value={props.recipientFilters.q} placeholder="Search emails" />
            <FilterSelect id="recipient-status" name="status" label="Delivery" value={props.recipientFilters.status} options={[['', 'All deliveries'], ['queued', 'Queued'], ['sent', 'Sent'], ['failed', 'Failed']]} />
            <button type="submit" class="btn">
              Filter
            </button>
          </form>
          {props.recipients.items.length === 0 ? (
            <EmptyState title="No recipient matches" />
          ) : (
            <TableWrap label="Recipients">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Customer</th>
                    <th scope="col">Delivery</th>
                    <th scope="col">Sent</th>
                  </tr>
                </thead>
                <tbody>
                  {props.recipients.items.map((r) => (
                    <tr data-recipient={r.email}>
                      <td class="ident">{r.email}</td>
                      <td>
                        <a href={`/admin/customers/${r.customer_id}`}>
                          <Truncate text={r.customer_name ?? 'Customer'} />
                        </a>
                      </td>
                      <td>
                        <span class={`badge badge-delivery-${r.status}`} title={r.last_error ?? undefined}>
                          {r.status === 'sending' ? 'Sending' : r.status === 'sent' ? 'Sent' : r.status === 'failed' ? 'Failed' : 'Queued'}
                        </span>
                      </td>
                      <td>{r.status === 'sent' && r.sent_at ? <Time ms={r.sent_at} timezone={tz} /> : <span class="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
          <OffsetPager total={props.recipients.total} page={props.recipients.page} pageSize={props.recipients.pageSize} href={recipientHref} noun="recipients" />
        </section>
      )}
      {props.units.length > 0 && (
        <section aria-labelledby="units-title">
          <h2 id="units-title">Units in the window</h2>
          <TableWrap label="Units in the window">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Unit</th>
                  <th scope="col">Rack</th>
                  <th scope="col">Model</th>
                  <th scope="col">Customer</th>
                </tr>
              </thead>
              <tbody>
                {props.units.map((u) => (
                  <tr>
                    <td class="ident">
                      <a href={`/admin/equipment/${u.id}`}>{unitIdent(u)}</a>
                    </td>
                    <td class="ident">{u.rackLocation ?? '—'}</td>
                    <td>{u.model ?? '—'}</td>
                    <td>{u.customerName ?? <span class="muted">Unassigned</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </section>
      )}
    </AdminLayout>
  );
}
