import { Fragment, h } from '#jsx';
import { MINER_STATUS_LABELS, mthsToThs, type MinerStatus } from '../../src/equipment/schema';
import { formatEfficiency, formatHashrate, formatPower, formatTemperature, formatUptime } from '../../src/lib/format';
import { LIVE_STATUS_LABELS, type LiveMiner } from '../../src/telemetry/types';

/** Inventory status: staged / unassigned / assigned / retired. */
export function MinerStatusBadge(props: { status: MinerStatus }) {
  return <span class={`badge badge-miner-${props.status}`}>{MINER_STATUS_LABELS[props.status]}</span>;
}

/** Live status from SiteState; "No data" when the unit has never been reported. */
export function LiveBadge(props: { live: LiveMiner | null }) {
  if (!props.live) return <span class="badge badge-live-none">No data</span>;
  return <span class={`badge badge-live-${props.live.status}`}>{LIVE_STATUS_LABELS[props.live.status]}</span>;
}

const Dash = () => <span class="muted">—</span>;

export function NominalHashrate(props: { mths: number | null }) {
  return props.mths === null ? <Dash /> : <>{mthsToThs(props.mths)} TH/s</>;
}

/** Live hashrate against nominal ("98.2 / 104 TH/s"). */
export function HashrateCell(props: { live: LiveMiner | null; nominalMths: number | null }) {
  const ths = props.live?.hashrateThs ?? null;
  if (ths === null) return props.nominalMths === null ? <Dash /> : <span class="muted">— / {mthsToThs(props.nominalMths)} TH/s</span>;
  return (
    <span>
      {formatHashrate(ths)}
      {props.nominalMths !== null && <span class="muted"> / {mthsToThs(props.nominalMths)}</span>}
    </span>
  );
}

export const TempCell = (props: { live: LiveMiner | null }) => (props.live?.tempMaxC == null ? <Dash /> : <>{formatTemperature(props.live.tempMaxC)}</>);

export const PowerCell = (props: { live: LiveMiner | null }) => (props.live?.powerW == null ? <Dash /> : <>{formatPower(props.live.powerW)}</>);

export const EfficiencyCell = (props: { live: LiveMiner | null }) =>
  props.live?.efficiencyJth == null ? <Dash /> : <>{formatEfficiency(props.live.efficiencyJth)}</>;

export const UptimeCell = (props: { live: LiveMiner | null }) => (props.live?.uptimeS == null ? <Dash /> : <>{formatUptime(props.live.uptimeS)}</>);
