import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { CONTRACT_KINDS, CONTRACT_STATUSES, KIND_LABELS } from '../../../src/contracts/schema';
import type { ContractListQuery, ContractSummary } from '../../../src/contracts/service';
import { FilterSelect } from '../../components/filter-select';
import { EmptyState } from '../../components/form';
import { KeysetPagination } from '../../components/pagination';
import { TableWrap } from '../../components/table';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { contractHref, ContractStatusBadge, equipmentText, monthlyValueText, pricingText, STATUS_LABELS } from './shared';

export type ContractFilters = Pick<ContractListQuery, 'status' | 'kind' | 'customer' | 'cursor'>;

/** The list's address with these filters (and a page cursor): links and the CSV keep the filters. */
export function contractListHref(filters: ContractFilters, path = '/admin/contracts'): string {
  const params = new URLSearchParams();
  if (filters.status) params.set('status', filters.status);
  if (filters.kind) params.set('kind', filters.kind);
  if (filters.customer) params.set('customer', filters.customer);
  if (filters.cursor) params.set('cursor', filters.cursor);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

export function ContractResults(props: { items: ContractSummary[]; nextCursor: string | null; filters: ContractFilters }) {
  const filtered = Boolean(props.filters.status || props.filters.kind || props.filters.customer);
  const firstPage = props.filters.cursor ? contractListHref({ ...props.filters, cursor: undefined }) : null;
  return (
    <div id="contract-results">
      <p class="result-count">
        {props.items.length === 0 ? 'No contracts' : `${props.items.length} contract${props.items.length === 1 ? '' : 's'} on this page`}
        {' · '}
        <a href={contractListHref({ ...props.filters, cursor: undefined }, '/admin/contracts/export.csv')}>Export CSV</a>
      </p>
      {props.items.length === 0 ? (
        <EmptyState title={filtered ? 'No contracts match these filters' : 'No contracts yet'}>
          <p>{filtered ? 'Clear a filter to see more.' : 'Contracts are made from a customer’s Contracts tab (New Contract).'}</p>
        </EmptyState>
      ) : (
        <TableWrap label="Contracts">
          <table class="table" data-testid="host-contracts">
            <thead>
              <tr>
                <th scope="col">Contract</th>
                <th scope="col">Customer</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Equipment
                </th>
                <th scope="col">Start</th>
                <th scope="col">End</th>
                <th scope="col" class="num">
                  Monthly value
                </th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((contract) => (
                <tr data-contract-id={contract.id}>
                  <td>
                    <a href={contractHref(contract.customerId, contract.id)}>{contract.name}</a>
                  </td>
                  <td>
                    <a href={`/admin/customers/${contract.customerId}/contracts`}>{contract.customerName}</a>
                  </td>
                  <td>{pricingText(contract)}</td>
                  <td>
                    <ContractStatusBadge status={contract.status} />
                  </td>
                  <td class="num">{equipmentText(contract)}</td>
                  <td>{contract.startDate}</td>
                  <td>{contract.endDate}</td>
                  <td class="num">{monthlyValueText(contract)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <KeysetPagination
        prevHref={firstPage}
        prevLabel="← First page"
        nextHref={props.nextCursor ? contractListHref({ ...props.filters, cursor: props.nextCursor }) : null}
        target="contract-results"
      />
    </div>
  );
}

/** Host OS → Contracts: every contract of the host, filtered by status, type and customer. */
export function ContractListPage(props: {
  session: StaffSession;
  list: { items: ContractSummary[]; nextCursor: string | null };
  filters: ContractFilters;
  customers: { id: string; name: string }[];
}) {
  const { filters } = props;
  return (
    <AdminLayout session={props.session} title="Contracts" area="contracts">
      <PageHeader title="Contracts" subtitle="Every customer's contracts, newest first. New contracts start from the customer's Contracts tab." />
      <form class="filters" role="search" method="get" action="/admin/contracts" hx-get="/admin/contracts" hx-trigger="change, submit" hx-target="#contract-results" hx-swap="outerHTML" hx-push-url="true">
        <FilterSelect id="contract-status" name="status" label="Status" value={filters.status ?? ''} options={[['', 'All statuses'], ...CONTRACT_STATUSES.map((s) => [s, STATUS_LABELS[s]] as const)]} />
        <FilterSelect id="contract-kind" name="kind" label="Type" value={filters.kind ?? ''} options={[['', 'All types'], ...CONTRACT_KINDS.map((k) => [k, KIND_LABELS[k]] as const)]} />
        <FilterSelect id="contract-customer" name="customer" label="Customer" value={filters.customer ?? ''} options={[['', 'All customers'], ...props.customers.map((c) => [c.id, c.name] as const)]} />
        <button type="submit" class="btn">
          Apply
        </button>
      </form>
      <ContractResults {...props.list} filters={filters} />
    </AdminLayout>
  );
}
