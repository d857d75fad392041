import { Fragment, h } from '#jsx';
import type { AssignmentResult, MinerPage } from '../../../src/equipment/service';
import type { FieldErrors } from '../../../src/lib/errors';
import { EmptyState } from '../../components/form';
import { FilterSearch } from '../../components/filter-select';
import { equipmentHref, EquipmentFilterFields, MinerTable, type EquipmentFilters, type FilterOptions } from '../equipment/list';
import { KeysetPagination } from '../../components/pagination';
import { formatCount } from '../../../src/lib/format';

/** What an assign or unassign just did: how many changed, and each unit that could not. */
export function AssignmentReport(props: { result: AssignmentResult; verb: 'assigned' | 'unassigned' }) {
  const { result, verb } = props;
  const n = result.changed.length;
  return (
    <div data-testid="assignment-report">
      {n > 0 && (
        <div class="alert alert-success" role="status">
          {n === 1 ? `1 unit ${verb}` : `${n} units ${verb}`}: {result.changed.map((unit) => unit.label).join(', ')}.
        </div>
      )}
      {result.failed.length > 0 && (
        <div class="alert alert-error" role="alert" data-testid="assignment-failures">
          <p>
            {result.failed.length === 1 ? '1 unit' : `${result.failed.length} units`} could not be {verb}:
          </p>
          <ul class="plain-list">
            {result.failed.map((failure) => (
              <li data-miner-id={failure.id}>
                {failure.label ?? 'Unknown unit'}: {failure.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** Customer → Equipment: the customer's units with live columns; select some to unassign. */
export function CustomerEquipmentPanel(props: {
  customerId: string;
  page: MinerPage;
  pageHref: (cursor: { cursor?: string; before?: string }) => string;
  report?: { result: AssignmentResult; verb: 'assigned' | 'unassigned' };
  errors?: FieldErrors;
}) {
  const { page, customerId } = props;
  return (
    <div class="equipment-panel">
      {props.report && <AssignmentReport result={props.report.result} verb={props.report.verb} />}
      {props.errors?.miner_ids && (
        <div class="alert alert-error" role="alert">
          {props.errors.miner_ids}
        </div>
      )}
      <div class="panel-actions">
        <p class="result-count" role="status">
          {page.total === 1 ? '1 unit assigned' : `${formatCount(page.total)} units assigned`}
          {page.total > 0 && (
            <>
              {' · '}
              <a href={`/admin/equipment?customer=${customerId}&sort=serial&view=table`}>Open in Equipment</a>
            </>
          )}
        </p>
        <a class="btn btn-primary" href={`/admin/customers/${customerId}/equipment/assign`}>
          Assign equipment
        </a>
      </div>
      {page.items.length === 0 ? (
        <EmptyState title="No equipment assigned">
          <p>Assign staged or unassigned units to this customer; they appear here with their live status and in the customer’s portal.</p>
        </EmptyState>
      ) : (
        <form method="post" action={`/admin/customers/${customerId}/equipment/unassign`}>
          <MinerTable miners={page.items} select={{ name: 'miner_ids' }} />
          <div class="form-actions">
            <button type="submit" class="btn btn-danger-outline">
              Unassign selected
            </button>
          </div>
        </form>
      )}
      <KeysetPagination
        prevHref={page.prevCursor ? props.pageHref({ before: page.prevCursor }) : null}
        nextHref={page.nextCursor ? props.pageHref({ cursor: page.nextCursor }) : null}
      />
    </div>
  );
}

/** Customer → Equipment → Assign: units free to assign (staged/unassigned, no customer), with filters. */
export function AssignEquipmentPanel(props: {
  customerId: string;
  customerName: string;
  page: MinerPage;
  filters: EquipmentFilters;
  options: FilterOptions;
  report?: AssignmentResult;
  errors?: FieldErrors;
}) {
  const { page, customerId, filters } = props;
  const base = `/admin/customers/${customerId}/equipment/assign`;
  return (
    <div class="equipment-panel">
      <nav class="breadcrumbs" aria-label="Back">
        <a href={`/admin/customers/${customerId}/equipment`}>← Back to {props.customerName}’s equipment</a>
      </nav>
      <h2>Assign equipment</h2>
      {props.report && <AssignmentReport result={props.report} verb="assigned" />}
      {props.errors?.miner_ids && (
        <div class="alert alert-error" role="alert">
          {props.errors.miner_ids}
        </div>
      )}
      <form class="filters" role="search" method="get" action={base}>
        <FilterSearch id="assign-search" label="Search units" value={filters.q} placeholder="Search serial, IP, MAC, model or rack location" />
        <EquipmentFilterFields filters={filters} options={props.options} statuses={['staged', 'unassigned']} idPrefix="assign" />
        <button type="submit" class="btn">
          Filter
        </button>
      </form>
      <p class="result-count" role="status">
        {page.total === 1 ? '1 unit available' : `${formatCount(page.total)} units available`}
      </p>
      {page.items.length === 0 ? (
        <EmptyState title="No units available">
          <p>
            Only staged or unassigned units without a customer can be assigned. Add units under <a href="/admin/equipment">Equipment</a>.
          </p>
        </EmptyState>
      ) : (
        <form method="post" action={base}>
          <MinerTable miners={page.items} select={{ name: 'miner_ids' }} />
          <div class="form-actions">
            <button type="submit" class="btn btn-primary">
              Assign selected to {props.customerName}
            </button>
          </div>
        </form>
      )}
      <KeysetPagination
        prevHref={page.prevCursor ? equipmentHref(filters, { before: page.prevCursor }, base) : null}
        nextHref={page.nextCursor ? equipmentHref(filters, { cursor: page.nextCursor }, base) : null}
      />
    </div>
  );
}
