import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { CustomerSort } from '../../../src/customers/schema';
import type { CustomerPage } from '../../../src/customers/service';
import { CUSTOMER_STATUSES, STATUS_LABELS, type CustomerStatus } from '../../../src/customers/status';
import { EmptyState } from '../../components/form';
import { StatusBadge } from '../../components/status';
import { KeysetPagination } from '../../components/pagination';
import { Time } from '../../components/time';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { FilterSearch, FilterSelect } from '../../components/filter-select';
import { ResultCount } from '../../components/result-count';
import { TableWrap, Truncate } from '../../components/table';

export interface CustomerListFilters {
  q: string;
  status: CustomerStatus | '';
  sort: CustomerSort;
}

const SORT_LABELS: Record<CustomerSort, string> = {
  name: 'Name A–Z',
  '-name': 'Name Z–A',
  '-created': 'Newest first',
  created: 'Oldest first',
};

export function customerListHref(filters: CustomerListFilters, page?: { cursor?: string; before?: string }, base = '/admin/customers'): string {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.status) params.set('status', filters.status);
  if (filters.sort !== 'name') params.set('sort', filters.sort);
  if (page?.cursor) params.set('cursor', page.cursor);
  if (page?.before) params.set('before', page.before);
  const query = params.toString();
  return query ? `${base}?${query}` : base;
}

/** The part htmx swaps as the search box, filters or page links change. */
export function CustomerResults(props: { page: CustomerPage; filters: CustomerListFilters; timezone: string }) {
  const { page, filters } = props;
  const filtered = filters.q !== '' || filters.status !== '';
  return (
    <div id="customer-results">
      <ResultCount total={page.total} noun={['customer', 'customers']} filtered={filtered} exportHref={customerListHref(filters, undefined, '/admin/customers/export.csv')} />
      {page.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No customers match">
            <p>
              Try another search, or <a href="/admin/customers">clear the filters</a>.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No customers yet">
            <p>Add your first customer to start tracking contracts, equipment and billing.</p>
            <a class="btn btn-primary" href="/admin/customers/new">
              Add Customer
            </a>
          </EmptyState>
        )
      ) : (
        <TableWrap label="Customers">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Company</th>
                <th scope="col">Contact email</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((customer) => (
                <tr>
                  <td>
                    <a href={`/admin/customers/${customer.id}`} class="truncate" title={customer.name}>
                    {customer.name}
                  </a>
                  </td>
                  <td>{customer.companyName ? <Truncate text={customer.companyName} /> : <span class="muted">—</span>}</td>
                  <td>{customer.contactEmail}</td>
                  <td>
                    <StatusBadge status={customer.status} />
                  </td>
                  <td>
                    <Time ms={customer.createdAt} timezone={props.timezone} dateOnly />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <KeysetPagination
        target="customer-results"
        prevHref={page.prevCursor ? customerListHref(filters, { before: page.prevCursor }) : null}
        nextHref={page.nextCursor ? customerListHref(filters, { cursor: page.nextCursor }) : null}
      />
    </div>
  );
}

export function CustomerListPage(props: { session: StaffSession; page: CustomerPage; filters: CustomerListFilters }) {
  const { filters } = props;
  return (
    <AdminLayout session={props.session} title="Customers" area="customers">
      <PageHeader
        title="Customers"
        actions={
          <a class="btn btn-primary" href="/admin/customers/new">
            Add Customer
          </a>
        }
      />
      <form
        class="filters"
        role="search"
        method="get"
        action="/admin/customers"
        hx-get="/admin/customers"
        hx-trigger="input delay:300ms, change, submit"
        hx-target="#customer-results"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <FilterSearch id="customer-search" label="Search customers" value={filters.q} placeholder="Search name, company or email" />
        <FilterSelect
          id="customer-status"
          name="status"
          label="Status"
          value={filters.status}
          options={[['', 'All statuses'], ...CUSTOMER_STATUSES.map((status) => [status, STATUS_LABELS[status]] as const)]}
        />
        <FilterSelect id="customer-sort" name="sort" label="Sort" value={filters.sort} options={(Object.keys(SORT_LABELS) as CustomerSort[]).map((sort) => [sort, SORT_LABELS[sort]] as const)} />
        <noscript>
          <button type="submit" class="btn">
            Apply
          </button>
        </noscript>
      </form>
      <CustomerResults page={props.page} filters={filters} timezone={props.session.host.timezone} />
    </AdminLayout>
  );
}
