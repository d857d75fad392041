import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import { alertMinerName, alertText, type AlertView } from '../../../src/alerts/service';
import { unitIdent, unitName } from '../../../src/equipment/naming';
import type { PortalContext } from '../../../src/portal/context';
import {
  DEFAULT_FLEET_QUERY,
  FLEET_SORTS,
  FLEET_STATUSES,
  isFilteredFleet,
  type FleetMiner,
  type FleetPage,
  type FleetQuery,
  type FleetSort,
  type FleetSummary,
} from '../../../src/telemetry/fleet';
import { formatAgo, formatCount, formatDuration, formatEfficiency, formatHashrate, formatPercent, formatPower, formatTemperature, formatUptime } from '../../../src/lib/format';
import type { HistoryPoint } from '../../../src/telemetry/types';
import { HashrateChart } from '../../components/chart';
import { FilterSearch, FilterSelect } from '../../components/filter-select';
import { Card, EmptyState, FormErrorSummary, Toggle } from '../../components/form';
import type { FieldErrors } from '../../../src/lib/errors';
import { AlertKindBadge, FLEET_STATUS_LABELS, HashrateVsNominal, LiveStatusBadge } from '../../components/live';
import { KeysetPagination } from '../../components/pagination';
import { Time } from '../../components/time';
import { PortalLayout, portalHref } from '../../layouts/portal';
import { SORT_LABELS } from '../equipment/list';
import { LiveUnavailableNotice } from '../../components/live-unavailable';
import type { UnavailableSite } from '../../../src/live/outage';
import { TableWrap } from '../../components/table';

/** Live parts of the portal refresh by polling (htmx); the CSP's allowEval: false rules out trigger filters. */
export const POLL_TRIGGER = 'every 15s';

const minerName = (miner: FleetMiner) => unitName({ id: miner.id, model: miner.model, rackLocation: miner.rackLocation, serial: miner.serial, mac: miner.mac });

const location = (miner: FleetMiner) => [miner.siteName, miner.rackLocation].filter(Boolean).join(' · ');

function UpdatedAt(props: { now: number; timezone: string }) {
  return (
    <p class="live-updated muted small">
      Live · updated <Time ms={props.now} timezone={props.timezone} /> · refreshes every 15 seconds
    </p>
  );
}

/** Counts by status, only those present ("3 Active · 1 Offline"). */
export function StatusCounts(props: { summary: FleetSummary }) {
  const present = FLEET_STATUSES.filter((status) => props.summary.byStatus[status] > 0);
  if (present.length === 0) return <span class="muted">No miners</span>;
  return (
    <ul class="status-counts">
      {present.map((status) => (
        <li>
          <LiveStatusBadge status={status} /> <span class="status-count">{props.summary.byStatus[status]}</span>
          <span class="visually-hidden"> {FLEET_STATUS_LABELS[status]}</span>
        </li>
      ))}
    </ul>
  );
}

/**
 * The whole fleet's totals. On the page it sits above the list's filters; the polled fragment
 * carries it again out of band (hx-swap-oob), so it refreshes with the table without the search
 * box being inside the region that polling replaces.
 */
export function FleetSummaryCards(props: { summary: FleetSummary; oob?: boolean }) {
  const { summary } = props;
  return (
    <div id="fleet-summary" class="summary-cards" hx-swap-oob={props.oob ? 'true' : undefined}>
      <div class="summary-card">
        <span class="summary-label">Miners</span>
        <span class="summary-value">{summary.miners}</span>
        <StatusCounts summary={summary} />
      </div>
      <div class="summary-card">
        <span class="summary-label">Hashrate</span>
        <span class="summary-value" data-testid="fleet-hashrate">
          {formatHashrate(summary.hashrateThs)}
        </span>
        {summary.nominalThs > 0 && (
          <span class="summary-unit">
            of {formatHashrate(summary.nominalThs)} nominal ({formatPercent(summary.hashrateThs / summary.nominalThs)})
          </span>
        )}
      </div>
      <div class="summary-card">
        <span class="summary-label">Power</span>
        <span class="summary-value">{formatPower(summary.powerW)}</span>
        {summary.hashrateThs > 0 && summary.powerW > 0 && <span class="summary-unit">{formatEfficiency(summary.powerW / summary.hashrateThs)}</span>}
      </div>
    </div>
  );
}

export const FLEET_SORT_LABELS: Record<FleetSort, string> = {
  location: 'Site, rack and serial',
  '-hashrate': SORT_LABELS['-hashrate'],
  hashrate: SORT_LABELS.hashrate,
  '-temperature': SORT_LABELS['-temperature'],
  temperature: SORT_LABELS.temperature,
  efficiency: SORT_LABELS.efficiency,
  '-efficiency': SORT_LABELS['-efficiency'],
  status: 'Status: problems first',
};

/** The list state as a query string: only what differs from the default, so the default list's URLs stay bare. */
export function fleetQueryString(query: FleetQuery): string {
  const params = new URLSearchParams();
  if (query.q) params.set('q', query.q);
  if (query.status) params.set('status', query.status);
  if (query.sort !== DEFAULT_FLEET_QUERY.sort) params.set('sort', query.sort);
  if (query.page > 1) params.set('page', String(query.page));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Search, status and sort: a plain GET form (works without JavaScript: the noscript button), and
 * with htmx each change swaps #fleet-live in place and updates the address bar. hx-sync replaces
 * a poll in flight, so a late poll cannot bring back the previous filters.
 */
export function FleetFilters(props: { portal: PortalContext; query: FleetQuery }) {
  const { query } = props;
  const action = portalHref(props.portal, '/equipment');
  return (
    <form
      class="filters"
      role="search"
      method="get"
      action={action}
      hx-get={action}
      hx-trigger="input delay:300ms, change, submit"
      hx-target="#fleet-live"
      hx-swap="outerHTML"
      hx-push-url="true"
      hx-sync="#fleet-live:replace"
    >
      <FilterSearch id="fleet-search" label="Search miners" value={query.q} placeholder="Search serial, MAC, model, rack or site" />
      <FilterSelect
        id="fleet-status"
        name="status"
        label="Status"
        value={query.status}
        options={[['', 'All statuses'], ...FLEET_STATUSES.map((status) => [status, FLEET_STATUS_LABELS[status]] as const)]}
      />
      <FilterSelect id="fleet-sort" name="sort" label="Sort" value={query.sort} options={FLEET_SORTS.map((sort) => [sort, FLEET_SORT_LABELS[sort]] as const)} />
      <noscript>
        <button type="submit" class="btn">
          Apply
        </button>
      </noscript>
    </form>
  );
}

/** "Showing 51–100 of 1,000 miners". */
function ShowingCount(props: { page: FleetPage; filtered: boolean }) {
  const { page } = props;
  const n = (value: number) => formatCount(value);
  const noun = page.total === 1 ? 'miner' : 'miners';
  return (
    <p class="result-count">
      Showing {n(page.offset + 1)}–{n(page.offset + page.items.length)} of {n(page.total)} {props.filtered ? `matching ${noun}` : noun}
    </p>
  );
}

/**
 * The polled region: one page of the list. It carries its own hx-* so polling continues after
 * each swap, with the same search, filter, sort and page (they are its URL's query string).
 */
export function FleetLive(props: { portal: PortalContext; page: FleetPage; now: number; liveUnavailable?: readonly UnavailableSite[] }) {
  const { portal, page } = props;
  const { query } = page;
  const tz = portal.host.timezone;
  const filtered = isFilteredFleet(query);
  const listHref = (target: FleetQuery) => `${portalHref(portal, '/equipment')}${fleetQueryString(target)}`;
  return (
    <div id="fleet-live" class="live-region" hx-get={`${portalHref(portal, '/equipment/live')}${fleetQueryString(query)}`} hx-trigger={POLL_TRIGGER} hx-swap="outerHTML">
      <LiveUnavailableNotice sites={props.liveUnavailable} />
      {page.total === 0 ? (
        filtered ? (
          <EmptyState title="No miners match">
            <p>
              Try another search or status, or <a href={portalHref(portal, '/equipment')}>show all miners</a>.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No equipment yet">
            <p>Miners {portal.host.name} assigns to your account will be listed here with their live status.</p>
          </EmptyState>
        )
      ) : (
        <>
          <ShowingCount page={page} filtered={filtered} />
          <TableWrap label="Equipment">
            <table class="table live-table">
              <thead>
                <tr>
                  <th scope="col">Miner</th>
                  <th scope="col">Location</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Hashrate
                  </th>
                  <th scope="col" class="num">
                    Temperature
                  </th>
                  <th scope="col" class="num">
                    Power
                  </th>
                  <th scope="col" class="num">
                    Efficiency
                  </th>
                  <th scope="col" class="num">
                    Uptime
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((miner) => (
                  <tr data-miner-id={miner.id}>
                    <td>
                      <a href={portalHref(portal, `/equipment/${miner.id}`)}>{miner.model ?? 'Miner'}</a>
                      <div class="muted small ident">{unitIdent(miner)}</div>
                    </td>
                    <td>{location(miner) || <span class="muted">—</span>}</td>
                    <td>
                      <LiveStatusBadge status={miner.live?.status ?? 'unknown'} />
                    </td>
                    <td class="num">
                      <HashrateVsNominal ths={miner.live?.hashrateThs ?? null} nominalThs={miner.nominalThs} />
                    </td>
                    <td class="num">{formatTemperature(miner.live?.tempMaxC)}</td>
                    <td class="num">{formatPower(miner.live?.powerW)}</td>
                    <td class="num">{formatEfficiency(miner.live?.efficiencyJth)}</td>
                    <td class="num">{formatUptime(miner.live?.uptimeS)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {page.pageCount > 1 && (
            // Page links replace a poll in flight, like the filters.
            <div hx-sync="#fleet-live:replace">
              <KeysetPagination
                target="fleet-live"
                prevHref={query.page > 1 ? listHref({ ...query, page: query.page - 1 }) : null}
                nextHref={query.page < page.pageCount ? listHref({ ...query, page: query.page + 1 }) : null}
              />
            </div>
          )}
        </>
      )}
      <UpdatedAt now={props.now} timezone={tz} />
    </div>
  );
}

/** What a poll, a filter change or a page link swaps in: the list, and the summary out of band. */
export function FleetLiveFragment(props: { portal: PortalContext; summary: FleetSummary; page: FleetPage; now: number; liveUnavailable?: readonly UnavailableSite[] }) {
  return (
    <>
      <FleetLive portal={props.portal} page={props.page} now={props.now} liveUnavailable={props.liveUnavailable} />
      <FleetSummaryCards summary={props.summary} oob />
    </>
  );
}

export function PortalEquipmentPage(props: { portal: PortalContext; summary: FleetSummary; page: FleetPage; history: HistoryPoint[]; now: number; liveUnavailable?: readonly UnavailableSite[] }) {
  const { portal } = props;
  return (
    <PortalLayout portal={portal} title="Equipment" section="equipment">
      <h1>Equipment</h1>
      {props.summary.miners === 0 ? (
        <EmptyState title="No equipment yet">
          <p>Miners {portal.host.name} assigns to your account will be listed here with their live status.</p>
        </EmptyState>
      ) : (
        <>
          <FleetSummaryCards summary={props.summary} />
          <FleetFilters portal={portal} query={props.page.query} />
          <FleetLive portal={portal} page={props.page} now={props.now} liveUnavailable={props.liveUnavailable} />
          <Card title="Fleet hashrate, last 24 hours">
            <HashrateChart
              id="fleet-chart"
              points={props.history}
              endMs={props.now}
              timezone={portal.host.timezone}
              nominalThs={props.summary.nominalThs || null}
              title="Fleet hashrate, last 24 hours"
            />
          </Card>
        </>
      )}
    </PortalLayout>
  );
}

// ---------------------------------------------------------------------------------------------
// One miner.

function Detail(props: { label: string; children?: Child }) {
  return (
    <div class="detail-row">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

export function MinerLive(props: { portal: PortalContext; miner: FleetMiner; now: number; liveUnavailable?: readonly UnavailableSite[] }) {
  const { portal, miner } = props;
  const live = miner.live;
  const tz = portal.host.timezone;
  return (
    <div id="miner-live" class="live-region" hx-get={portalHref(portal, `/equipment/${miner.id}/live`)} hx-trigger={POLL_TRIGGER} hx-swap="outerHTML">
      <LiveUnavailableNotice sites={props.liveUnavailable} />
      <Card title="Live">
        <dl class="details">
          <Detail label="Status">
            <LiveStatusBadge status={live?.status ?? 'unknown'} />
          </Detail>
          <Detail label="Hashrate">
            <HashrateVsNominal ths={live?.hashrateThs ?? null} nominalThs={miner.nominalThs} />
          </Detail>
          <Detail label="Average hashrate">{formatHashrate(live?.hashrateAvgThs)}</Detail>
          <Detail label="Temperature (hottest)">{formatTemperature(live?.tempMaxC)}</Detail>
          <Detail label="Board temperatures">
            {live && live.boardTempsC.length > 0 ? live.boardTempsC.map((t) => formatTemperature(t)).join(', ') : '—'}
          </Detail>
          <Detail label="Fans">{live && live.fansRpm.length > 0 ? live.fansRpm.map((rpm) => `${rpm} rpm`).join(', ') : '—'}</Detail>
          <Detail label="Power">
            {formatPower(live?.powerW)}
            {live?.powerSource && <span class="muted small"> ({live.powerSource === 'pdu' ? 'PDU' : live.powerSource === 'spec' ? 'nominal spec' : 'miner-reported'})</span>}
          </Detail>
          <Detail label="Efficiency">{formatEfficiency(live?.efficiencyJth)}</Detail>
          <Detail label="Uptime">{formatUptime(live?.uptimeS)}</Detail>
          <Detail label="Pool">{live?.poolUrl ? <code>{live.poolUrl}</code> : '—'}</Detail>
          <Detail label="Last report">
            {live?.lastSeenAt ? (
              <>
                <Time ms={live.lastSeenAt} timezone={tz} /> <span class="muted small">({formatAgo(live.lastSeenAt, props.now)})</span>
              </>
            ) : (
              <span class="muted">Never reported</span>
            )}
          </Detail>
        </dl>
      </Card>
      <UpdatedAt now={props.now} timezone={tz} />
    </div>
  );
}

export function PortalMinerPage(props: { portal: PortalContext; miner: FleetMiner; history: HistoryPoint[]; alerts: AlertView[]; now: number; liveUnavailable?: readonly UnavailableSite[] }) {
  const { portal, miner } = props;
  const tz = portal.host.timezone;
  return (
    <PortalLayout portal={portal} title={minerName(miner)} section="equipment">
      <p class="breadcrumbs">
        <a href={portalHref(portal, '/equipment')}>Equipment</a> ›
      </p>
      <h1>{minerName(miner)}</h1>
      <div class="panel-grid">
        <MinerLive portal={portal} miner={miner} now={props.now} liveUnavailable={props.liveUnavailable} />
        <Card title="Unit">
          <dl class="details">
            <Detail label="Model">{[miner.vendor, miner.model].filter(Boolean).join(' ') || '—'}</Detail>
            <Detail label="Serial">{miner.serial ?? '—'}</Detail>
            <Detail label="MAC">{miner.mac ?? '—'}</Detail>
            <Detail label="Firmware">{miner.live?.firmware ?? miner.firmware ?? '—'}</Detail>
            <Detail label="Site">{miner.siteName ?? '—'}</Detail>
            <Detail label="Rack location">{miner.rackLocation ?? '—'}</Detail>
            <Detail label="Nominal">
              {formatHashrate(miner.nominalThs)}
              {miner.nominalPowerW !== null && ` · ${formatPower(miner.nominalPowerW)}`}
            </Detail>
          </dl>
        </Card>
      </div>
      <Card title="Hashrate, last 24 hours">
        <HashrateChart id="miner-chart" points={props.history} endMs={props.now} timezone={tz} nominalThs={miner.nominalThs} />
      </Card>
      <Card title="Recent alerts">
        {props.alerts.length === 0 ? (
          <p class="muted">No alerts for this miner.</p>
        ) : (
          <PortalAlertTable portal={portal} alerts={props.alerts} now={props.now} showMiner={false} />
        )}
      </Card>
    </PortalLayout>
  );
}

// ---------------------------------------------------------------------------------------------
// Alerts (the customer's own).

export function PortalAlertTable(props: { portal: PortalContext; alerts: AlertView[]; now: number; showMiner?: boolean }) {
  const { portal } = props;
  const tz = portal.host.timezone;
  const showMiner = props.showMiner ?? true;
  return (
    <TableWrap label="Alerts">
      <table class="table alert-table">
        <thead>
          <tr>
            <th scope="col">Alert</th>
            {showMiner && <th scope="col">Miner</th>}
            <th scope="col">Detail</th>
            <th scope="col">Opened</th>
            <th scope="col">Closed</th>
            <th scope="col" class="num">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {props.alerts.map((alert) => (
            <tr class={alert.closedAt === null ? 'alert-open' : 'alert-closed'} data-alert-id={alert.id}>
              <td>
                <AlertKindBadge kind={alert.kind} />
              </td>
              {showMiner && (
                <td>
                  <a href={portalHref(portal, `/equipment/${alert.minerId}`)}>{alertMinerName(alert)}</a>
                </td>
              )}
              <td>{alertText(alert)}</td>
              <td>
                <Time ms={alert.openedAt} timezone={tz} />
              </td>
              <td>{alert.closedAt === null ? <span class="badge badge-alert-open">Open</span> : <Time ms={alert.closedAt} timezone={tz} />}</td>
              <td class="num">
                {formatDuration((alert.closedAt ?? props.now) - alert.openedAt)}
                {alert.closedAt === null && <span class="muted small"> so far</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function PortalAlertsPage(props: {
  portal: PortalContext;
  open: AlertView[];
  closed: AlertView[];
  closedTotal: number;
  nextCursor: string | null;
  prevCursor: string | null;
  now: number;
  poolNotice: { enabled: boolean; canChange: boolean };
  notice?: string;
  errors?: FieldErrors;
}) {
  const { portal } = props;
  const href = (param: 'cursor' | 'before', value: string) => `${portalHref(portal, '/alerts')}?${param}=${encodeURIComponent(value)}`;
  return (
    <PortalLayout portal={portal} title="Alerts" section="alerts">
      <h1>Alerts</h1>
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <PoolNoticeCard portal={portal} {...props.poolNotice} errors={props.errors} />
      {props.open.length === 0 && props.closedTotal === 0 ? (
        <EmptyState title="No alerts">
          <p>Alerts about your miners (offline, low hashrate, overheating, a pool change) will appear here.</p>
        </EmptyState>
      ) : (
        <>
          <Card title={`Open (${props.open.length})`}>
            {props.open.length === 0 ? <p class="muted">No open alerts: all your miners are within their limits.</p> : <PortalAlertTable portal={portal} alerts={props.open} now={props.now} />}
          </Card>
          <Card title={`Closed (${props.closedTotal})`}>
            {props.closed.length === 0 ? (
              <p class="muted">No closed alerts.</p>
            ) : (
              <PortalAlertTable portal={portal} alerts={props.closed} now={props.now} />
            )}
            {(props.prevCursor || props.nextCursor) && (
              <nav class="pagination" aria-label="Closed alert pages">
                {props.prevCursor ? (
                  <a class="btn" href={href('before', props.prevCursor)}>
                    ← Newer
                  </a>
                ) : (
                  <span class="btn disabled" aria-disabled="true">
                    ← Newer
                  </span>
                )}
                {props.nextCursor ? (
                  <a class="btn" href={href('cursor', props.nextCursor)}>
                    Older →
                  </a>
                ) : (
                  <span class="btn disabled" aria-disabled="true">
                    Older →
                  </span>
                )}
              </nav>
            )}
          </Card>
        </>
      )}
    </PortalLayout>
  );
}

/**
 * "Tell me when my miners' pool changes": the customer owner's switch (src/alerts/pool-notice.ts).
 * Members and View Portal see the setting, not the switch.
 */
function PoolNoticeCard(props: { portal: PortalContext; enabled: boolean; canChange: boolean; errors?: FieldErrors }) {
  const { portal } = props;
  const explain = `An email and an alert here the moment any of your miners reports a pool or worker other than the one on record, including a change made by ${portal.host.name}.`;
  if (!props.canChange || portal.preview) {
    return (
      <Card title="Pool change notices">
        <p>
          {props.enabled ? 'On.' : 'Off.'} {explain}
        </p>
        <p class="muted">Only a team owner can change this.</p>
      </Card>
    );
  }
  return (
    <form class="card" method="post" action={portalHref(portal, '/alerts/pool-notice')} novalidate>
      <h2 class="card-title">Pool change notices</h2>
      <FormErrorSummary errors={props.errors} />
      <Toggle label="Tell me when my miners' pool changes" name="pool_change_notice" checked={props.enabled} hint={explain} errors={props.errors} />
      <button type="submit" class="btn btn-primary">
        Save
      </button>
    </form>
  );
}

/** The dashboard's two live panels. */
export function DashboardEquipmentPanel(props: { portal: PortalContext; summary: FleetSummary }) {
  const { portal, summary } = props;
  return (
    <Card title="Equipment">
      {summary.miners === 0 ? (
        <p class="muted">Your miners will appear here with live hashrate, temperature and status once {portal.host.name} assigns them to your account.</p>
      ) : (
        <>
          <p class="panel-figure">
            <strong data-testid="dashboard-hashrate">{formatHashrate(summary.hashrateThs)}</strong>
            {summary.nominalThs > 0 && <span class="muted"> of {formatHashrate(summary.nominalThs)} nominal</span>}
            <span class="muted"> · {summary.miners === 1 ? '1 miner' : `${summary.miners} miners`}</span>
          </p>
          <StatusCounts summary={summary} />
          <p>
            <a href={portalHref(portal, '/equipment')}>View equipment</a>
          </p>
        </>
      )}
    </Card>
  );
}

export function DashboardAlertsPanel(props: { portal: PortalContext; open: AlertView[]; openTotal: number }) {
  const { portal } = props;
  const tz = portal.host.timezone;
  return (
    <Card title="Alerts">
      {props.openTotal === 0 ? (
        <p class="muted">No open alerts.</p>
      ) : (
        <>
          <p>
            <strong>{props.openTotal === 1 ? '1 open alert' : `${props.openTotal} open alerts`}</strong>
          </p>
          <ul class="alert-list">
            {props.open.map((alert) => (
              <li>
                <AlertKindBadge kind={alert.kind} /> <a href={portalHref(portal, `/equipment/${alert.minerId}`)}>{alertMinerName(alert)}</a>{' '}
                <span class="muted small">
                  since <Time ms={alert.openedAt} timezone={tz} />
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      <p>
        <a href={portalHref(portal, '/alerts')}>All alerts</a>
      </p>
    </Card>
  );
}
