import { Fragment, h } from '#jsx';
import { ALERT_KIND_LABELS, type AlertKind } from '../../src/alerts/describe';
import type { FleetStatus } from '../../src/telemetry/fleet';
import { formatHashrate, formatPercent } from '../../src/lib/format';
import { LIVE_STATUS_LABELS } from '../../src/telemetry/types';

export const FLEET_STATUS_LABELS: Record<FleetStatus, string> = { ...LIVE_STATUS_LABELS, unknown: 'No data' };

/** A miner's live status (Active / Degraded / Offline / Sleeping / Stale / Lost, or No data). */
export function LiveStatusBadge(props: { status: FleetStatus }) {
  return <span class={`badge badge-live badge-live-${props.status}`}>{FLEET_STATUS_LABELS[props.status]}</span>;
}

export function AlertKindBadge(props: { kind: AlertKind }) {
  return <span class={`badge badge-alert badge-alert-${props.kind}`}>{ALERT_KIND_LABELS[props.kind]}</span>;
}

export function AlertStateBadge(props: { closedAt: number | null }) {
  return props.closedAt === null ? <span class="badge badge-alert-open">Open</span> : <span class="badge badge-alert-closed">Closed</span>;
}

/** "98.2 TH/s of 104 TH/s (94%)", or just the live value when there is no nominal. */
export function HashrateVsNominal(props: { ths: number | null; nominalThs: number | null }) {
  if (props.ths === null) return <span class="muted">—</span>;
  if (!props.nominalThs) return <>{formatHashrate(props.ths)}</>;
  return (
    <>
      {formatHashrate(props.ths)} <span class="muted small">of {formatHashrate(props.nominalThs)} ({formatPercent(props.ths / props.nominalThs)})</span>
    </>
  );
}
