import { Fragment, h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { MINER_STATUSES, MINER_STATUS_LABELS, NONE, type MinerSort, type MinerStatus } from '../../../src/equipment/schema';
import { unitIdent } from '../../../src/equipment/naming';
import type { MinerPage, MinerWithLive } from '../../../src/equipment/service';
import { EfficiencyCell, HashrateCell, LiveBadge, MinerStatusBadge, PowerCell, TempCell, UptimeCell } from '../../components/equipment';
import { EmptyState } from '../../components/form';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { KeysetPagination } from '../../components/pagination';
import { FilterSearch, FilterSelect } from '../../components/filter-select';
import { ResultCount } from '../../components/result-count';
import { LiveUnavailableNotice } from '../../components/live-unavailable';
import type { UnavailableSite } from '../../../src/live/outage';
import { TableWrap, Truncate } from '../../components/table';
import { formatCount } from '../../../src/lib/format';

export const EQUIPMENT_VIEWS = ['table', 'grid'] as const;
export type EquipmentView = (typeof EQUIPMENT_VIEWS)[number];

export interface EquipmentFilters {
  q: string;
  site: string;
  status: MinerStatus | '';
  model: string;
  customer: string;
  /** `missing`: only units without power data. */
  power: '' | 'missing';
  sort: MinerSort;
  view: EquipmentView;
}

export const DEFAULT_EQUIPMENT_FILTERS: EquipmentFilters = { q: '', site: '', status: '', model: '', customer: '', power: '', sort: 'serial', view: 'table' };

export const SORT_LABELS: Record<MinerSort, string> = {
  serial: 'Serial A–Z',
  '-serial': 'Serial Z–A',
  model: 'Model A–Z',
  '-model': 'Model Z–A',
  '-created': 'Newest first',
  created: 'Oldest first',
  '-hashrate': 'Hashrate: highest first',
  hashrate: 'Hashrate: lowest first',
  '-power': 'Power: highest first',
  power: 'Power: lowest first',
  '-temperature': 'Temperature: hottest first',
  temperature: 'Temperature: coolest first',
  efficiency: 'Efficiency: best first (J/TH)',
  '-efficiency': 'Efficiency: worst first (J/TH)',
  '-uptime': 'Uptime: longest first',
  uptime: 'Uptime: shortest first',
};

export interface FilterOptions {
  sites: { id: string; name: string }[];
  models: string[];
  customers: { id: string; name: string }[];
  /** Units without power data (the Equipment list's warning); absent where not shown. */
  withoutPowerData?: number;
}

/** Query string for a list state; `base` is the page it belongs to. */
export function equipmentHref(filters: EquipmentFilters, page?: { cursor?: string; before?: string }, base = '/admin/equipment'): string {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.site) params.set('site', filters.site);
  if (filters.status) params.set('status', filters.status);
  if (filters.model) params.set('model', filters.model);
  if (filters.customer) params.set('customer', filters.customer);
  if (filters.power) params.set('power', filters.power);
  // Always explicit, so the link never falls back to the remembered view.
  params.set('sort', filters.sort);
  params.set('view', filters.view);
  if (page?.cursor) params.set('cursor', page.cursor);
  if (page?.before) params.set('before', page.before);
  return `${base}?${params.toString()}`;
}

function UnitCell(props: { miner: MinerWithLive }) {
  const { miner } = props;
  return (
    <>
      <a class="ident" href={`/admin/equipment/${miner.id}`}>
        {unitIdent(miner)}
      </a>
      {miner.serial && miner.mac && (
        <div class="muted small">
          <code class="ident">{miner.mac}</code>
        </div>
      )}
    </>
  );
}

function SiteCell(props: { miner: MinerWithLive }) {
  const { miner } = props;
  return (
    <>
      {miner.siteName ? <Truncate text={miner.siteName} /> : <span class="muted">—</span>}
      {miner.rackLocation && <div class="muted small ident">{miner.rackLocation}</div>}
    </>
  );
}

/** The live columns, shared by the fleet list and the customer's Equipment tab. */
export function MinerTable(props: { miners: MinerWithLive[]; showCustomer?: boolean; select?: { name: string } }) {
  return (
    <TableWrap label="Equipment">
      <table class="table equipment-table" data-testid="miners">
        <thead>
          <tr>
            {props.select && (
              <th scope="col">
                <span class="visually-hidden">Select</span>
              </th>
            )}
            <th scope="col">Unit</th>
            <th scope="col">Model</th>
            <th scope="col">Site</th>
            <th scope="col">IP</th>
            <th scope="col">Status</th>
            {props.showCustomer && <th scope="col">Customer</th>}
            <th scope="col">Live</th>
            <th scope="col" class="num">Hashrate</th>
            <th scope="col" class="num">Temp</th>
            <th scope="col" class="num">Power</th>
            <th scope="col" class="num">Efficiency</th>
            <th scope="col" class="num">Uptime</th>
          </tr>
        </thead>
        <tbody>
          {props.miners.map((miner) => (
            <tr data-miner-id={miner.id}>
              {props.select && (
                <td>
                  <input type="checkbox" name={props.select.name} value={miner.id} aria-label={`Select ${unitIdent(miner)}`} />
                </td>
              )}
              <td>
                <UnitCell miner={miner} />
              </td>
              <td>{miner.model ? <Truncate text={miner.model} /> : <span class="muted">—</span>}</td>
              <td>
                <SiteCell miner={miner} />
              </td>
              <td class="ident">{miner.ip ?? <span class="muted">—</span>}</td>
              <td>
                <MinerStatusBadge status={miner.status} />
              </td>
              {props.showCustomer && (
                <td>{miner.customerId ? <a href={`/admin/customers/${miner.customerId}`} class="truncate" title={miner.customerName ?? undefined}>
                    {miner.customerName}
                  </a> : <span class="muted">—</span>}</td>
              )}
              <td>
                <LiveBadge live={miner.live} />
              </td>
              <td class="num">
                <HashrateCell live={miner.live} nominalMths={miner.nominalHashrateMths} />
              </td>
              <td class="num">
                <TempCell live={miner.live} />
              </td>
              <td class="num">
                <PowerCell live={miner.live} />
              </td>
              <td class="num">
                <EfficiencyCell live={miner.live} />
              </td>
              <td class="num">
                <UptimeCell live={miner.live} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function MinerGrid(props: { miners: MinerWithLive[] }) {
  return (
    <ul class="miner-grid" data-testid="miners-grid">
      {props.miners.map((miner) => (
        <li class="miner-card" data-miner-id={miner.id}>
          <div class="miner-card-head">
            <UnitCell miner={miner} />
            <LiveBadge live={miner.live} />
          </div>
          <div class="muted small">{miner.model ?? 'Unknown model'}</div>
          <dl class="miner-card-stats">
            <dt>Hashrate</dt>
            <dd>
              <HashrateCell live={miner.live} nominalMths={miner.nominalHashrateMths} />
            </dd>
            <dt>Temp</dt>
            <dd>
              <TempCell live={miner.live} />
            </dd>
            <dt>Power</dt>
            <dd>
              <PowerCell live={miner.live} />
            </dd>
            <dt>Efficiency</dt>
            <dd>
              <EfficiencyCell live={miner.live} />
            </dd>
            <dt>Uptime</dt>
            <dd>
              <UptimeCell live={miner.live} />
            </dd>
          </dl>
          <div class="miner-card-foot">
            <MinerStatusBadge status={miner.status} />
            <span class="small">
              <SiteCell miner={miner} />
            </span>
            {miner.customerName && <span class="small">{miner.customerName}</span>}
          </div>
        </li>
      ))}
    </ul>
  );
}


/** The part htmx swaps as the search box, filters, view or page change. */
export function EquipmentResults(props: { page: MinerPage; filters: EquipmentFilters; pageCursor?: { cursor?: string; before?: string }; liveUnavailable?: readonly UnavailableSite[] }) {
  const { page, filters } = props;
  const filtered = !!(filters.q || filters.site || filters.status || filters.model || filters.customer);
  const exportHref = equipmentHref(filters, undefined, '/admin/equipment/export.csv');
  // Live columns refresh every 15 seconds: the fragment route answers this same element, polling
  // attributes included. Filters and the page in view are part of the URL, so a poll keeps them.
  const selfHref = equipmentHref(filters, props.pageCursor);
  return (
    <div id="equipment-results" hx-get={selfHref} hx-trigger="every 15s" hx-target="this" hx-swap="outerHTML">
      <LiveUnavailableNotice sites={props.liveUnavailable} />
      <ResultCount total={page.total} noun={['unit', 'units']} filtered={filtered} exportHref={exportHref} />
      {page.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No units match">
            <p>
              Try another search, or <a href="/admin/equipment?reset=1">clear the filters</a>.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No equipment yet">
            <p>Add units one by one or import a CSV. Units an agent discovers on a site’s network appear here as staged.</p>
            <a class="btn btn-primary" href="/admin/equipment/new">
              Add unit
            </a>{' '}
            <a class="btn" href="/admin/equipment/import">
              Import CSV
            </a>
          </EmptyState>
        )
      ) : filters.view === 'grid' ? (
        <MinerGrid miners={page.items} />
      ) : (
        <MinerTable miners={page.items} showCustomer />
      )}
      <KeysetPagination
        target="equipment-results"
        prevHref={page.prevCursor ? equipmentHref(filters, { before: page.prevCursor }) : null}
        nextHref={page.nextCursor ? equipmentHref(filters, { cursor: page.nextCursor }) : null}
      />
    </div>
  );
}

export function EquipmentFilterFields(props: { filters: EquipmentFilters; options: FilterOptions; statuses?: readonly MinerStatus[]; idPrefix: string }) {
  const { filters, options } = props;
  const id = (name: string) => `${props.idPrefix}-${name}`;
  return (
    <>
      <label class="visually-hidden" for={id('site')}>
        Site
      </label>
      <select id={id('site')} name="site">
        <option value="" selected={filters.site === ''}>
          All sites
        </option>
        {options.sites.map((site) => (
          <option value={site.id} selected={filters.site === site.id}>
            {site.name}
          </option>
        ))}
        <option value={NONE} selected={filters.site === NONE}>
          No site
        </option>
      </select>
      <label class="visually-hidden" for={id('status')}>
        Status
      </label>
      <select id={id('status')} name="status">
        <option value="" selected={filters.status === ''}>
          All statuses
        </option>
        {(props.statuses ?? MINER_STATUSES).map((status) => (
          <option value={status} selected={filters.status === status}>
            {MINER_STATUS_LABELS[status]}
          </option>
        ))}
      </select>
      <label class="visually-hidden" for={id('model')}>
        Model
      </label>
      <select id={id('model')} name="model">
        <option value="" selected={filters.model === ''}>
          All models
        </option>
        {options.models.map((model) => (
          <option value={model} selected={filters.model === model}>
            {model}
          </option>
        ))}
      </select>
    </>
  );
}

export function EquipmentListPage(props: {
  session: StaffSession;
  page: MinerPage;
  filters: EquipmentFilters;
  options: FilterOptions;
  pageCursor?: { cursor?: string; before?: string };
  liveUnavailable?: readonly UnavailableSite[];
}) {
  const { filters, options } = props;
  return (
    <AdminLayout session={props.session} title="Equipment" area="equipment">
      <PageHeader
        title="Equipment"
        actions={
          <>
            <a class="btn" href="/admin/equipment/import">
              Import CSV
            </a>
            <a class="btn btn-primary" href="/admin/equipment/new">
              Add unit
            </a>
          </>
        }
      />
      <PowerDataWarning count={options.withoutPowerData ?? 0} href="/admin/equipment?power=missing" active={filters.power === 'missing'} />
      <form
        class="filters"
        role="search"
        method="get"
        action="/admin/equipment"
        hx-get="/admin/equipment"
        hx-trigger="input delay:300ms, change, submit"
        hx-target="#equipment-results"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <FilterSearch id="equipment-search" label="Search equipment" value={filters.q} placeholder="Search serial, IP, MAC, model or rack location" />
        <EquipmentFilterFields filters={filters} options={options} idPrefix="equipment" />
        <FilterSelect
          id="equipment-customer"
          name="customer"
          label="Customer"
          value={filters.customer}
          options={[['', 'All customers'], [NONE, 'No customer'], ...options.customers.map((customer) => [customer.id, customer.name] as const)]}
        />
 <FilterSelect
          id="equipment-power"
          name="power"
          label="Power data"
          value={filters.power}
          options={[
            ['', 'Any power data'],
            ['missing', 'Without power data'],
          ]}
        />
        <FilterSelect id="equipment-sort" name="sort" label="Sort" value={filters.sort} options={(Object.keys(SORT_LABELS) as MinerSort[]).map((sort) => [sort, SORT_LABELS[sort]] as const)} />
        <FilterSelect
          id="equipment-view"
          name="view"
          label="View"
          value={filters.view}
          options={[
            ['table', 'Table view'],
            ['grid', 'Grid view'],
          ]}
        />
        <noscript>
          <button type="submit" class="btn">
            Apply
          </button>
        </noscript>
      </form>
      <EquipmentResults page={props.page} filters={filters} pageCursor={props.pageCursor} liveUnavailable={props.liveUnavailable} />
    </AdminLayout>
  );
}

/**
 * "N units without power data": units whose energy cannot be known (no measured power, no nominal
 * power), so their hours are recorded as unknown rather than 0 Wh. Links to the list of them.
 */
export function PowerDataWarning(props: { count: number; href: string; active?: boolean }) {
  if (props.count === 0) return null;
  return (
    <div class="alert alert-warning power-data-warning" role="status">
      <strong>
        {formatCount(props.count)} unit{props.count === 1 ? '' : 's'} without power data.
      </strong>{' '}
      Their energy is recorded as unknown (never 0 Wh) and blocks energy invoice lines until they have a nominal power.{' '}
      {props.active ? 'Edit each unit below to set its nominal power, or add its model in ' : <a href={props.href}>Fix them</a>}
      {props.active ? <a href="/admin/settings/models">Settings → Models</a> : null}
      {props.active ? '.' : null}
    </div>
  );
}
