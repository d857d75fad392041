import { h } from '#jsx';
import type { StaffSession } from '../../src/auth/staff-session';
import { ALERT_KIND_LABELS, ALERT_KINDS, type AlertKind } from '../../src/alerts/describe';
import type { AlertState } from '../../src/alerts/schema';
import { alertMinerName, alertText, type AlertPage } from '../../src/alerts/service';
import { formatDuration } from '../../src/lib/format';
import { EmptyState } from '../components/form';
import { AlertKindBadge, AlertStateBadge } from '../components/live';
import { KeysetPagination } from '../components/pagination';
import { Time } from '../components/time';
import { AdminLayout, PageHeader } from '../layouts/admin';
import { FilterSelect } from '../components/filter-select';
import { ResultCount } from '../components/result-count';
import { TableWrap } from '../components/table';

export interface AlertListFilters {
  site_id: string;
  customer_id: string;
  kind: AlertKind | '';
  state: AlertState | '';
}

export interface AlertFilterOptions {
  sites: { id: string; name: string }[];
  customers: { id: string; name: string }[];
}

export function alertListHref(filters: AlertListFilters, page?: { cursor?: string; before?: string }, path = '/admin/alerts'): string {
  const params = new URLSearchParams();
  if (filters.site_id) params.set('site_id', filters.site_id);
  if (filters.customer_id) params.set('customer_id', filters.customer_id);
  if (filters.kind) params.set('kind', filters.kind);
  if (filters.state) params.set('state', filters.state);
  if (page?.cursor) params.set('cursor', page.cursor);
  if (page?.before) params.set('before', page.before);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/** The part htmx swaps as filters or page links change. */
export function AlertResults(props: { page: AlertPage; filters: AlertListFilters; timezone: string; now: number }) {
  const { page, filters } = props;
  const filtered = Boolean(filters.site_id || filters.customer_id || filters.kind || filters.state);
  const tz = props.timezone;
  return (
    <div id="alert-results">
      <ResultCount total={page.total} noun={['alert', 'alerts']} filtered={filtered} exportHref={alertListHref(filters, undefined, '/admin/alerts/export.csv')} />
      {page.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No alerts match">
            <p>
              Try other filters, or <a href="/admin/alerts">clear them</a>.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No alerts yet">
            <p>Alerts open here when a miner goes offline, runs below its hashrate or overheats, as set in Settings → Alerts.</p>
          </EmptyState>
        )
      ) : (
        <TableWrap label="Alerts">
          <table class="table alert-table">
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Miner</th>
                <th scope="col">Customer</th>
                <th scope="col">Site</th>
                <th scope="col">Detail</th>
                <th scope="col">Opened</th>
                <th scope="col">Closed</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((alert) => (
                <tr class={alert.closedAt === null ? 'alert-open' : 'alert-closed'} data-alert-id={alert.id}>
                  <td>
                    <AlertKindBadge kind={alert.kind} />
                  </td>
                  <td>
                    <a href={`/admin/equipment/${alert.minerId}`}>{alertMinerName(alert)}</a>
                  </td>
                  <td>{alert.customerId && alert.customerName ? <a href={`/admin/customers/${alert.customerId}`}>{alert.customerName}</a> : <span class="muted">Unassigned</span>}</td>
                  <td>{alert.siteName ?? <span class="muted">—</span>}</td>
                  <td>
                    {alertText(alert)}
                    {alert.emailedAt !== null && <div class="muted small">Customer emailed</div>}
                    {alert.suppressedBy !== null && (
                      <div class="muted small">
                        Suppressed: <a href={`/admin/notify/${alert.suppressedBy}`}>maintenance window</a> (not emailed)
                      </div>
                    )}
                  </td>
                  <td>
                    <Time ms={alert.openedAt} timezone={tz} />
                  </td>
                  <td>{alert.closedAt === null ? <AlertStateBadge closedAt={null} /> : <Time ms={alert.closedAt} timezone={tz} />}</td>
                  <td>
                    {formatDuration((alert.closedAt ?? props.now) - alert.openedAt)}
                    {alert.closedAt === null && <span class="muted small"> so far</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <KeysetPagination
        target="alert-results"
        prevHref={page.prevCursor ? alertListHref(filters, { before: page.prevCursor }) : null}
        nextHref={page.nextCursor ? alertListHref(filters, { cursor: page.nextCursor }) : null}
        prevLabel="← Newer"
        nextLabel="Older →"
      />
    </div>
  );
}

export function AlertListPage(props: { session: StaffSession; page: AlertPage; filters: AlertListFilters; options: AlertFilterOptions; now: number }) {
  const { filters, options } = props;
  // A customer chosen by link (e.g. from their page) may have no alerts yet: keep it selectable.
  const customerOptions =
    filters.customer_id && !options.customers.some((c) => c.id === filters.customer_id)
      ? [...options.customers, { id: filters.customer_id, name: 'Selected customer' }]
      : options.customers;
  return (
    <AdminLayout session={props.session} title="Alerts" area="alerts">
      <PageHeader
        title="Alerts"
        subtitle="Offline, low-hashrate and over-temperature alerts across your sites, newest first."
        actions={
          <a class="btn" href="/admin/settings/alerts">
            Alert rules
          </a>
        }
      />
      <form
        class="filters"
        role="search"
        method="get"
        action="/admin/alerts"
        hx-get="/admin/alerts"
        hx-trigger="change, submit"
        hx-target="#alert-results"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <FilterSelect id="alert-site" name="site_id" label="Site" value={filters.site_id} options={[['', 'All sites'], ...options.sites.map((site) => [site.id, site.name] as const)]} />
        <FilterSelect
          id="alert-customer"
          name="customer_id"
          label="Customer"
          value={filters.customer_id}
          options={[['', 'All customers'], ...customerOptions.map((customer) => [customer.id, customer.name] as const)]}
        />
        <FilterSelect id="alert-kind" name="kind" label="Kind" value={filters.kind} options={[['', 'All kinds'], ...ALERT_KINDS.map((kind) => [kind, ALERT_KIND_LABELS[kind]] as const)]} />
        <FilterSelect
          id="alert-state"
          name="state"
          label="Open or closed"
          value={filters.state}
          options={[
            ['', 'Open and closed'],
            ['open', 'Open'],
            ['closed', 'Closed'],
          ]}
        />
        <noscript>
          <button type="submit" class="btn">
            Apply
          </button>
        </noscript>
      </form>
      <AlertResults page={props.page} filters={filters} timezone={props.session.host.timezone} now={props.now} />
    </AdminLayout>
  );
}
