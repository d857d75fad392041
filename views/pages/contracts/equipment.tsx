import { Fragment, h } from '#jsx';
import type { ContractDetail, UnitCandidate, UnitCandidateFilters } from '../../../src/contracts/service';
import type { FieldErrors } from '../../../src/lib/errors';
import { FilterSearch, FilterSelect } from '../../components/filter-select';
import { EmptyState } from '../../components/form';
import { MinerStatusBadge, NominalHashrate } from '../../components/equipment';
import type { MinerStatus } from '../../../src/equipment/schema';
import { contractHref, pricingText } from './shared';
import { TableWrap } from '../../components/table';

function StepHeader(props: { contract: ContractDetail; customerId: string }) {
  return (
    <>
      <nav class="breadcrumbs" aria-label="Back">
        <a href={contractHref(props.customerId, props.contract.id, '/edit')}>← Back to terms</a>
      </nav>
      <ol class="steps" aria-label="New contract steps">
        <li>1. Type and terms</li>
        <li aria-current="step">2. Assign equipment</li>
      </ol>
      <h2>
        {props.contract.name} <span class="muted small">({pricingText(props.contract)}, draft)</span>
      </h2>
    </>
  );
}

function Errors(props: { errors?: FieldErrors; message?: string }) {
  const text = props.message ?? props.errors?.miner_ids ?? props.errors?.site_ids ?? props.errors?._;
  if (!text) return null;
  return (
    <div class="alert alert-error" role="alert">
      {text}
    </div>
  );
}

function StepActions() {
  return (
    <div class="form-actions">
      <button type="submit" class="btn" name="intent" value="save">
        Save selection
      </button>
      <button type="submit" class="btn btn-primary" name="intent" value="complete">
        Complete Setup
      </button>
    </div>
  );
}

/**
 * Step 2 for hosted and lease contracts: filter the units the contract may take, tick them (or
 * every unit the filter matches), then save the selection or complete setup. Units outside the
 * current filter stay selected; `visible_ids` tells the server which ticks this page showed.
 */
export function ContractUnitsStep(props: {
  customerId: string;
  contract: ContractDetail;
  candidates: { items: UnitCandidate[]; total: number; matchingIds: string[] };
  filters: UnitCandidateFilters;
  options: { sites: { id: string; name: string }[]; models: string[] };
  errors?: FieldErrors;
  message?: string;
}) {
  const { contract, candidates, filters } = props;
  const base = contractHref(props.customerId, contract.id, '/equipment');
  const pool = contract.kind === 'lease' ? 'your unassigned units (leasing assigns them to the customer when the lease starts)' : 'the customer’s assigned units';
  const shown = candidates.items;
  return (
    <div class="contract-step">
      <StepHeader contract={contract} customerId={props.customerId} />
      <Errors errors={props.errors} message={props.message} />
      <p>
        Choose from {pool}. <strong data-testid="selected-count">{contract.units.length.toLocaleString('en-US')}</strong>{' '}
        {contract.units.length === 1 ? 'unit' : 'units'} selected.
      </p>
      <form class="filters" role="search" method="get" action={base}>
        <FilterSearch id="contract-units-search" label="Search units" value={filters.q ?? ''} placeholder="Search serial, IP, MAC, model or rack" />
        <FilterSelect id="contract-units-site" name="site" label="Site" value={filters.site ?? ''} options={[['', 'All sites'], ...props.options.sites.map((s) => [s.id, s.name] as const)]} />
        <FilterSelect id="contract-units-model" name="model" label="Model" value={filters.model ?? ''} options={[['', 'All models'], ...props.options.models.map((m) => [m, m] as const)]} />
        <FilterSelect
          id="contract-units-availability"
          name="availability"
          label="Status"
          value={filters.availability ?? ''}
          options={[
            ['', 'Any status'],
            ['available', 'Available'],
            ['in_contract', 'Under another contract'],
          ]}
        />
        <button type="submit" class="btn">
          Filter
        </button>
      </form>
      <form method="post" action={base}>
        <input type="hidden" name="q" value={filters.q ?? ''} />
        <input type="hidden" name="site" value={filters.site ?? ''} />
        <input type="hidden" name="model" value={filters.model ?? ''} />
        <input type="hidden" name="availability" value={filters.availability ?? ''} />
        {shown.map((unit) => (
          <input type="hidden" name="visible_ids" value={unit.id} />
        ))}
        <p class="result-count" role="status">
          {candidates.total === 1 ? '1 unit matches' : `${candidates.total.toLocaleString('en-US')} units match`}
          {candidates.total > shown.length && ` (the first ${shown.length.toLocaleString('en-US')} are listed)`}
        </p>
        {candidates.matchingIds.length > 0 && (
          <div class="field toggle">
            <label for="f-all_filtered">
              <input id="f-all_filtered" type="checkbox" name="all_filtered" value="on" />
              Select all {candidates.matchingIds.length.toLocaleString('en-US')} available units this filter matches
            </label>
          </div>
        )}
        {shown.length === 0 ? (
          <EmptyState title="No units match">
            <p>
              {contract.kind === 'lease'
                ? 'Leases cover your own units with no customer (staged or unassigned). Add units under Equipment, or change the filter.'
                : 'Hosted contracts cover units assigned to this customer. Assign units on the Equipment tab, or change the filter.'}
            </p>
          </EmptyState>
        ) : (
          <TableWrap label="Units to add" wide>
            <table class="table table-compact" data-testid="contract-candidates">
              <thead>
                <tr>
                  <th scope="col">
                    <span class="visually-hidden">Select</span>
                  </th>
                  <th scope="col">Unit</th>
                  <th scope="col">Model</th>
                  <th scope="col">Site</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Nominal
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((unit) => (
                  <tr data-miner-id={unit.id}>
                    <td>
                      <input
                        type="checkbox"
                        name="miner_ids"
                        value={unit.id}
                        id={`unit-${unit.id}`}
                        checked={unit.active}
                        disabled={unit.otherContract !== null}
                        aria-label={`Select ${unit.label}`}
                      />
                    </td>
                    <td>
                      <label for={`unit-${unit.id}`}>{unit.label}</label>
                    </td>
                    <td>{unit.model ?? <span class="muted">—</span>}</td>
                    <td>{unit.siteName ?? <span class="muted">—</span>}</td>
                    <td>
                      {unit.otherContract ? (
                        <span class="muted">Under “{unit.otherContract.name}”</span>
                      ) : (
                        <MinerStatusBadge status={unit.status as MinerStatus} />
                      )}
                    </td>
                    <td class="num">
                      <NominalHashrate mths={unit.nominalHashrateMths} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <StepActions />
      </form>
    </div>
  );
}

/** Step 2 for O&M contracts: the sites it covers. */
export function ContractSitesStep(props: {
  customerId: string;
  contract: ContractDetail;
  sites: { id: string; name: string }[];
  errors?: FieldErrors;
  message?: string;
}) {
  const selected = new Set(props.contract.sites.map((s) => s.id));
  return (
    <div class="contract-step">
      <StepHeader contract={props.contract} customerId={props.customerId} />
      <Errors errors={props.errors} message={props.message} />
      {props.sites.length === 0 ? (
        <EmptyState title="No sites yet">
          <p>
            Add the sites this contract covers under <a href="/admin/sites">Sites</a> first.
          </p>
        </EmptyState>
      ) : (
        <form method="post" action={contractHref(props.customerId, props.contract.id, '/equipment')}>
          <fieldset>
            <legend>Sites covered by this O&amp;M contract</legend>
            {props.sites.map((site) => (
              <div class="field toggle">
                <label for={`site-${site.id}`}>
                  <input type="checkbox" id={`site-${site.id}`} name="site_ids" value={site.id} checked={selected.has(site.id)} />
                  {site.name}
                </label>
              </div>
            ))}
          </fieldset>
          <StepActions />
        </form>
      )}
    </div>
  );
}
