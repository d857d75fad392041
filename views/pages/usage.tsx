import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { KwhSource } from '../../src/billing/energy';
import { bpsToPercentText, type CustomerUsage, type UnitUsage, type UsageVariance } from '../../src/billing/usage';
import { minerIdent } from '../../src/equipment/naming';
import { formatHashrate } from '../../src/lib/format';
import { DailyBarChart } from '../components/chart';
import { EmptyState } from '../components/form';
import { TableWrap } from '../components/table';

/**
 * The Usage content shared by the staff Usage tab and the portal's Usage page: month picker,
 * summary cards, daily charts, the per-unit table. The portal passes no `unitHref` (staff links
 * go to the admin equipment page) and nothing else differs.
 */
export interface UsageViewProps {
  usage: CustomerUsage;
  /** The page's own URL for a month key (previous / next links, the picker's action). */
  monthHref: (key: string) => string;
  /** The month picker's form action (the page's path, without a query). */
  formAction: string;
  csvHref: string;
  unitHref?: (minerId: string) => string;
  /** Staff read "this customer's units"; the customer reads "your units". */
  audience: 'staff' | 'customer';
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Integer Wh → "1,234.567 kWh" (exact: three decimals from the integer). */
export function formatKwh(wh: number): string {
  const abs = Math.abs(wh);
  return `${wh < 0 ? '-' : ''}${grouped.format(Math.floor(abs / 1000))}.${String(abs % 1000).padStart(3, '0')} kWh`;
}

const formatHours = (seconds: number) => `${(seconds / 3600).toFixed(1)} h`;
const formatUptime = (bps: number | null) => (bps === null ? '—' : `${bpsToPercentText(bps)} %`);

export const SOURCE_LABELS: Record<KwhSource, string> = { metered: 'Metered', spec: 'Spec (nominal W × hours online)', hashrate: 'Hashrate (J/TH × TH delivered)' };
const SHORT_SOURCE: Record<KwhSource, string> = { metered: 'Metered', spec: 'Spec', hashrate: 'Hashrate' };

const BAND_TEXT: Record<UsageVariance['band'], string> = {
  green: 'OK: under 5 %',
  yellow: 'Check: 5 % to 20 %',
  red: 'High: 20 % or more',
  'n/a': 'n/a: nothing metered',
};

export function VarianceCell(props: { variance: UsageVariance | null }) {
  const { variance } = props;
  if (!variance) return <span class="muted">Billed as metered</span>;
  return (
    <span class={`badge badge-variance-${variance.band === 'n/a' ? 'na' : variance.band}`}>
      {BAND_TEXT[variance.band]}
      {variance.bps !== null && <> ({bpsToPercentText(variance.bps)} %)</>}
      {variance.against === 'pdu' && <> vs PDU</>}
    </span>
  );
}

function SourceCell(props: { unit: UnitUsage }) {
  const { unit } = props;
  const parts: Child[] = [];
  if (unit.sources.length > 0) parts.push(<span>{unit.sources.map((s) => SHORT_SOURCE[s]).join(' then ')}</span>);
  if (unit.billedNote === 'no_per_kwh_contract') parts.push(<span class="muted">No per-kWh contract: metered kWh shown</span>);
  if (unit.billedNote === 'missing_nominal_power') parts.push(<span class="muted">Cannot bill: the unit has no nominal power</span>);
  if (unit.billedNote === 'missing_efficiency') parts.push(<span class="muted">Cannot bill: the contract has no J/TH</span>);
  if (unit.billedNote === 'unknown_energy') parts.push(<span class="muted">Cannot bill: some hours have unknown energy</span>);
  if (unit.unknownHours > 0) {
    parts.push(
      <span class="badge badge-variance-yellow unknown-energy">
        {unit.unknownHours} h unknown energy (no power data)
      </span>,
    );
  }
  if (unit.sources.length > 0 && unit.uncoveredHours > 0) parts.push(<span class="muted small">{unit.uncoveredHours} h under no per-kWh contract</span>);
  return (
    <>
      {parts.map((part, i) => (
        <>
          {i > 0 && <br />}
          {part}
        </>
      ))}
    </>
  );
}

function MonthPicker(props: UsageViewProps) {
  const { usage } = props;
  return (
    <nav class="usage-month" aria-label="Month">
      <a class="btn" href={props.monthHref(usage.previousKey)} rel="prev">
        ← {usage.previousKey}
      </a>
      <form method="get" action={props.formAction} class="inline-form">
        <label for="usage-month-input">Month</label>{' '}
        <input id="usage-month-input" type="month" name="month" value={usage.period.key} required pattern="\d{4}-\d{2}" />{' '}
        <button type="submit" class="btn">
          Show
        </button>
      </form>
      <a class="btn" href={props.monthHref(usage.nextKey)} rel="next">
        {usage.nextKey} →
      </a>
    </nav>
  );
}

export function UsageContent(props: UsageViewProps) {
  const { usage } = props;
  const { period, totals } = usage;
  const hasUnits = usage.units.length > 0;
  const billedDays = usage.days.map((d) => (d.billedWh === null ? '—' : formatKwh(d.billedWh)));
  return (
    <section class="usage" aria-labelledby="usage-heading">
      <h2 id="usage-heading">
        Usage, {period.start} to {period.end} <span class="muted small">(period {period.key}, days start at midnight {usage.timezone}; the end date is not included)</span>
      </h2>
      <MonthPicker {...props} />
      {!hasUnits ? (
        <EmptyState title="No usage in this period">
          <p>No unit of {props.audience === 'customer' ? 'yours' : 'this customer’s'} reported usage between {period.start} and {period.end}. Try another month.</p>
        </EmptyState>
      ) : (
        <>
          <div class="summary-cards">
            <div class="summary-card">
              <span class="summary-label">kWh billed</span>
              <span class="summary-value" data-testid="usage-billed">
                {formatKwh(totals.billedWh)}
              </span>
              <span class="summary-unit">
                {totals.unbilledUnits > 0 ? `${totals.unbilledUnits} unit(s) cannot be billed: see the table` : 'per each unit’s contract source'}
              </span>
            </div>
            <div class="summary-card">
              <span class="summary-label">kWh metered</span>
              <span class="summary-value" data-testid="usage-metered">
                {formatKwh(totals.meteredWh)}
              </span>
            </div>
            <div class="summary-card">
              <span class="summary-label">Units</span>
              <span class="summary-value">{usage.units.length}</span>
            </div>
            <div class="summary-card">
              <span class="summary-label">Uptime</span>
              <span class="summary-value" data-testid="usage-uptime">
                {formatUptime(totals.uptimeBps)}
              </span>
              <span class="summary-unit">{formatHours(totals.onlineSeconds)} online</span>
            </div>
          </div>
          <section class="card">
            <DailyBarChart
              id="usage-energy-chart"
              title={`Metered energy per day, ${period.start} to ${period.end}`}
              bars={usage.days.map((d) => ({ date: d.date, value: d.meteredWh / 1000 }))}
              unit="kWh"
              valueLabel="Metered"
              format={(kwh) => `${kwh.toFixed(1)} kWh`}
              extraColumns={[{ label: 'Billed', values: billedDays }]}
            />
            <DailyBarChart
              id="usage-hashrate-chart"
              title={`Average hashrate per day, ${period.start} to ${period.end}`}
              bars={usage.days.map((d) => ({ date: d.date, value: d.avgHashrateMths === null ? null : d.avgHashrateMths / 1000 }))}
              unit="TH/s"
              valueLabel="Average TH/s"
              format={(ths) => formatHashrate(ths)}
            />
          </section>
          <p class="usage-actions">
            <a class="btn" href={props.csvHref} download>
              Export CSV
            </a>
          </p>
          <TableWrap label="Usage per unit" wide>
            <table class="table usage-table">
              <caption class="visually-hidden">Usage per unit, {period.start} to {period.end}</caption>
              <thead>
                <tr>
                  <th scope="col">Unit</th>
                  <th scope="col">Site</th>
                  <th scope="col">kWh source</th>
                  <th scope="col" class="num">
                    kWh billed
                  </th>
                  <th scope="col" class="num">
                    kWh metered
                  </th>
                  <th scope="col">Billed vs metered</th>
                  <th scope="col" class="num">
                    Hours online
                  </th>
                  <th scope="col" class="num">
                    Avg hashrate
                  </th>
                  <th scope="col" class="num">
                    Planned downtime
                  </th>
                  <th scope="col" class="num">
                    Uptime
                  </th>
                </tr>
              </thead>
              <tbody>
                {usage.units.map((unit) => (
                  <tr data-miner-id={unit.minerId}>
                    <td>
                      {props.unitHref ? <a href={props.unitHref(unit.minerId)}>{minerIdent(unit)}</a> : <span>{minerIdent(unit)}</span>}
                      {unit.model && <div class="muted small">{unit.model}</div>}
                    </td>
                    <td>{unit.siteName ?? <span class="muted">—</span>}</td>
                    <td>
                      <SourceCell unit={unit} />
                    </td>
                    <td class="num">{unit.billedWh === null ? <span class="muted">—</span> : formatKwh(unit.billedWh)}</td>
                    <td class="num">{formatKwh(unit.meteredWh)}</td>
                    <td>
                      <VarianceCell variance={unit.variance} />
                    </td>
                    <td class="num">{formatHours(unit.onlineSeconds)}</td>
                    <td class="num">{unit.avgHashrateMths === null ? '—' : formatHashrate(unit.avgHashrateMths / 1000)}</td>
                    <td class="num" data-testid="planned-downtime">{unit.plannedDowntimeSeconds > 0 ? formatHours(unit.plannedDowntimeSeconds) : <span class="muted">—</span>}</td>
                    <td class="num">{formatUptime(unit.uptimeBps)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      )}
      <p class="muted small usage-notes">
        Variance is |billed − metered| ÷ metered over the hours billed from spec or hashrate: OK under 5 %, check from 5 % to 20 %, high from 20 %.
        Uptime is time online ÷ the hours the unit was {props.audience === 'customer' ? 'yours' : 'this customer’s'} in the period. Planned downtime (announced maintenance
        windows: the offline time they covered) is shown apart and left out of uptime.
      </p>
    </section>
  );
}
