import { Fragment, h } from '#jsx';
import type { HistoryPoint } from '../../../src/telemetry/types';
import { HashrateChart } from '../../components/chart';
import type { Child } from 'hono/jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { unitIdent } from '../../../src/equipment/naming';
import type { MinerActivityEntry, MinerWithLive } from '../../../src/equipment/service';
import { formatHashrate, formatPower } from '../../../src/lib/format';
import { EfficiencyCell, HashrateCell, LiveBadge, MinerStatusBadge, NominalHashrate, PowerCell, TempCell, UptimeCell } from '../../components/equipment';
import { Card } from '../../components/form';
import { Ago, Time } from '../../components/time';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { LiveUnavailableNotice } from '../../components/live-unavailable';
import type { UnavailableSite } from '../../../src/live/outage';
import { TableWrap } from '../../components/table';

function Detail(props: { label: string; children: Child }) {
  return (
    <div class="detail-row">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

const orDash = (value: string | number | null) => (value === null || value === '' ? <span class="muted">—</span> : String(value));

export const MINER_ACTION_LABELS: Record<string, string> = {
  'miner.created': 'added the unit',
  'miner.imported': 'imported the unit from a CSV file',
  'miner.updated': 'changed the unit',
  'equipment.assigned': 'assigned the unit to a customer',
  'equipment.unassigned': 'unassigned the unit from a customer',
};

export const CHANGE_LABELS: Record<string, string> = {
  unit: 'Unit',
  serial: 'Serial',
  mac: 'MAC',
  ip: 'IP',
  vendor: 'Vendor',
  model: 'Model',
  firmware: 'Firmware',
  nominal_hashrate_ths: 'Nominal hashrate',
  nominal_power_w: 'Nominal power (W)',
  site: 'Site',
  rack_location: 'Rack location',
  status: 'Status',
};

const show = (value: unknown) => (value === null || value === undefined || value === '' ? <span class="muted">(empty)</span> : String(value));

export function MinerActivityList(props: { entries: MinerActivityEntry[]; timezone: string }) {
  if (props.entries.length === 0) return <p class="muted">No recorded changes yet.</p>;
  return (
    <ol class="activity" data-testid="activity">
      {props.entries.map((entry) => {
        // Keys starting with "_" tie an entry to its unit; they are not changes to show.
        const changes = Object.entries(entry.changes ?? {}).filter(([field]) => !field.startsWith('_'));
        return (
          <li class="activity-entry">
            <div class="activity-head">
              <strong>{entry.actorLabel}</strong> {MINER_ACTION_LABELS[entry.action] ?? entry.action}
              {entry.actorKind === 'api_key' && <span class="muted"> (API)</span>}
              <span class="activity-time">
                <Time ms={entry.createdAt} timezone={props.timezone} />
              </span>
            </div>
            {changes.length > 0 && (
              <TableWrap label="Changes">
                <table class="table table-compact changes">
                  <thead>
                    <tr>
                      <th scope="col">Field</th>
                      <th scope="col">Before</th>
                      <th scope="col">After</th>
                    </tr>
                  </thead>
                  <tbody>
                    {changes.map(([field, [before, after]]) => (
                      <tr>
                        <td>{CHANGE_LABELS[field] ?? field}</td>
                        <td>{show(before)}</td>
                        <td>{show(after)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </li>
        );
      })}
    </ol>
  );
}

export function MinerDetailPage(props: {
  session: StaffSession;
  miner: MinerWithLive;
  activity: MinerActivityEntry[];
  notice?: string;
  history: HistoryPoint[];
  now: number;
  /** Hours of this unit whose energy is unknown: all, and those on days not yet sealed. */
  unknownHours?: { total: number; unsealed: number };
  liveUnavailable?: readonly UnavailableSite[];
}) {
  const { miner, session } = props;
  const tz = session.host.timezone;
  const label = unitIdent(miner);
  const live = miner.live;
  return (
    <AdminLayout session={session} title={label} area="equipment">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/equipment">Equipment</a> / <span>{label}</span>
      </nav>
      <PageHeader
        title={label}
        subtitle={miner.model ?? undefined}
        actions={
          <a class="btn btn-primary" href={`/admin/equipment/${miner.id}/edit`}>
            Edit
          </a>
        }
      />
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <LiveUnavailableNotice sites={props.liveUnavailable} />
      <UnknownEnergyNotice minerId={miner.id} nominalPowerW={miner.nominalPowerW} hours={props.unknownHours} />
      <div class="panel-grid">
        <Card title="Unit">
          <dl class="details">
            <Detail label="Status">
              <MinerStatusBadge status={miner.status} />
            </Detail>
            <Detail label="Customer">
              {miner.customerId ? <a href={`/admin/customers/${miner.customerId}/equipment`}>{miner.customerName}</a> : <span class="muted">—</span>}
            </Detail>
            <Detail label="Serial">{orDash(miner.serial)}</Detail>
            <Detail label="MAC">{miner.mac ? <code>{miner.mac}</code> : <span class="muted">—</span>}</Detail>
            <Detail label="IP">{orDash(miner.ip)}</Detail>
            <Detail label="Vendor">{orDash(miner.vendor)}</Detail>
            <Detail label="Model">{orDash(miner.model)}</Detail>
            <Detail label="Firmware">{orDash(miner.firmware)}</Detail>
            <Detail label="Nominal hashrate">
              <NominalHashrate mths={miner.nominalHashrateMths} />
            </Detail>
            <Detail label="Nominal power">{miner.nominalPowerW === null ? <span class="muted">—</span> : formatPower(miner.nominalPowerW)}</Detail>
            <Detail label="Site">{miner.siteId ? <a href={`/admin/sites/${miner.siteId}`}>{miner.siteName}</a> : <span class="muted">—</span>}</Detail>
            <Detail label="Rack location">{orDash(miner.rackLocation)}</Detail>
            <Detail label="Added">
              <Time ms={miner.createdAt} timezone={tz} />
            </Detail>
          </dl>
        </Card>
        <Card title="Live">
          <dl class="details" data-testid="live-panel">
            <Detail label="Status">
              <LiveBadge live={live} />
            </Detail>
            {live ? (
              <>
                <Detail label="Hashrate">
                  <HashrateCell live={live} nominalMths={miner.nominalHashrateMths} />
                </Detail>
                <Detail label="Average hashrate">{live.hashrateAvgThs === null ? <span class="muted">—</span> : formatHashrate(live.hashrateAvgThs)}</Detail>
                <Detail label="Temperature">
                  <TempCell live={live} />
                </Detail>
                <Detail label="Power">
                  <PowerCell live={live} />
                  {live.powerSource && <span class="muted small"> ({live.powerSource})</span>}
                </Detail>
                <Detail label="Efficiency">
                  <EfficiencyCell live={live} />
                </Detail>
                <Detail label="Uptime">
                  <UptimeCell live={live} />
                </Detail>
                <Detail label="Pool">{live.poolUrl ? `${live.poolUrl} (${live.poolUser ?? '—'})` : <span class="muted">—</span>}</Detail>
                <Detail label="Last report">
                  {live.lastSeenAt ? (
                    <>
                      <Ago ms={live.lastSeenAt} now={props.now} timezone={tz} /> <span class="muted small">(<Time ms={live.lastSeenAt} timezone={tz} />)</span>
                    </>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </Detail>
              </>
            ) : (
              <Detail label="Reports">
                <span class="muted">{miner.siteId ? 'The site’s agent has not reported this unit yet.' : 'Assign the unit to a site so its agent can report it.'}</span>
              </Detail>
            )}
          </dl>
        </Card>
      </div>
      <section class="card">
        <HashrateChart
          id="miner-chart"
          points={props.history}
          endMs={props.now}
          timezone={tz}
          nominalThs={miner.nominalHashrateMths === null ? null : miner.nominalHashrateMths / 1000}
        />
      </section>
      <Card title="Activity">
        <MinerActivityList entries={props.activity} timezone={tz} />
      </Card>
    </AdminLayout>
  );
}

/**
 * A unit with unknown-energy hours: set a nominal power (Edit), then re-compute the hours not yet
 * sealed; sealed hours stay unknown (bill them as a fixed fee).
 */
function UnknownEnergyNotice(props: { minerId: string; nominalPowerW: number | null; hours?: { total: number; unsealed: number } }) {
  const hours = props.hours;
  if (props.nominalPowerW !== null && (!hours || hours.total === 0)) return null;
  if (props.nominalPowerW === null && (!hours || hours.total === 0)) {
    return (
      <div class="alert alert-warning" role="status">
        This unit has no nominal power. Unless it reports its own power, its energy is recorded as unknown. <a href={`/admin/equipment/${props.minerId}/edit`}>Set its nominal power</a>.
      </div>
    );
  }
  const { total, unsealed } = hours!;
  return (
    <div class="alert alert-warning" role="status">
      <p>
        {total} hour{total === 1 ? '' : 's'} of this unit have unknown energy ({unsealed} on days not yet sealed). They block energy invoice lines.
      </p>
      {props.nominalPowerW === null ? (
        <p>
          <a href={`/admin/equipment/${props.minerId}/edit`}>Set its nominal power</a>, then re-compute those hours.
        </p>
      ) : unsealed > 0 ? (
        <form method="post" action={`/admin/equipment/${props.minerId}/recompute-energy`}>
          <button type="submit" class="btn btn-primary">
            Re-compute {unsealed} unsealed hour{unsealed === 1 ? '' : 's'} from {props.nominalPowerW} W
          </button>
        </form>
      ) : (
        <p>Those days are sealed and cannot change: bill these hours as a fixed fee on the invoice.</p>
      )}
    </div>
  );
}
