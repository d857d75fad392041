import { Fragment, h } from '#jsx';
import { dateFormatter, formatHashrate, hashrateScale } from '../../src/lib/format';
import type { HistoryPoint } from '../../src/telemetry/types';
import { TableWrap } from './table';

/**
 * A server-rendered SVG hashrate chart: 24 hours of 5-minute HistoryPoints (SiteState.history),
 * drawn as a line over a light area, with a dashed nominal reference line when one is given.
 *
 * - Hour ticks are in the viewer's time zone (every whole local hour is found by stepping in
 *   15 minutes, so zones at :30 and :45 offsets work); every third hour is labelled, midnight
 *   with the date.
 * - A missing 5-minute bucket, or one with no hashrate (null), breaks the line: gaps show as gaps.
 *   A lone point between gaps is drawn as a dot.
 * - Accessible: role="img" with <title> and <desc> (a numeric summary), plus an hourly data table
 *   in a <details> below the figure.
 * - CSP-safe: SVG presentation attributes and classes only (public/css/app.css), no style attributes.
 * - Deterministic: the same points, end time and zone give byte-identical markup (coordinates are
 *   rounded to 0.1 px; ids come from the caller).
 */

export const CHART_BUCKET_MS = 5 * 60 * 1000;
export const CHART_SPAN_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const QUARTER_MS = 15 * 60 * 1000;

const WIDTH = 720;
const HEIGHT = 240;
const MARGIN = { top: 16, right: 16, bottom: 36, left: 64 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

export interface HashrateChartProps {
  /** The chart's id prefix (title, desc and table ids derive from it): unique on the page. */
  id: string;
  points: readonly HistoryPoint[];
  /** The right edge of the chart (now); the chart spans the 24 hours before it. */
  endMs: number;
  /** IANA zone for hour ticks and the table (host's for staff; the host's or UTC in the portal). */
  timezone: string;
  /** TH/s: a dashed reference line (a miner's nominal, or a fleet's summed nominal). */
  nominalThs?: number | null;
  title?: string;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** A "nice" axis top and step (1, 2, 2.5 or 5 × 10^n): the finest step giving at most five intervals. */
export function niceScale(maxValue: number): { max: number; step: number; decimals: number } {
  if (!(maxValue > 0) || !Number.isFinite(maxValue)) return { max: 1, step: 0.25, decimals: 2 };
  let exponent = Math.floor(Math.log10(maxValue / 5));
  for (;;) {
    const magnitude = 10 ** exponent;
    for (const multiple of [1, 2, 2.5, 5]) {
      const step = multiple * magnitude;
      const intervals = Math.ceil(maxValue / step - 1e-9);
      if (intervals <= 5) {
        const decimals = Math.max(0, -exponent + (multiple === 2.5 ? 1 : 0));
        return { max: intervals * step, step, decimals };
      }
    }
    exponent += 1;
  }
}

const zoneFormatter = (timezone: string) => dateFormatter(timezone, 'chart');

interface LocalParts {
  day: string;
  month: string;
  hour: string;
  minute: string;
}

/**
 * Remembered per zone format: a chart asks for whole quarters and hours, the same instants on
 * every request for 24 hours, and formatToParts is most of a chart's rendering.
 */
const partsByFormat = new WeakMap<Intl.DateTimeFormat, Map<number, LocalParts>>();

function localParts(format: Intl.DateTimeFormat, ms: number): LocalParts {
  let known = partsByFormat.get(format);
  if (!known || known.size > 4096) partsByFormat.set(format, (known = new Map()));
  let local = known.get(ms);
  if (!local) {
    const parts: Record<string, string> = {};
    for (const part of format.formatToParts(new Date(ms))) parts[part.type] = part.value;
    known.set(ms, (local = { day: parts.day ?? '', month: parts.month ?? '', hour: parts.hour ?? '00', minute: parts.minute ?? '00' }));
  }
  return local;
}

export interface HourTick {
  t: number;
  /** Labelled ticks: every third local hour; midnight shows the date. */
  label: string | null;
}

/**
 * Every whole local hour in [start, end]. Steps in quarters until a whole hour, then by the hour,
 * and back to quarters only where an hour later is not a whole local hour (the zone's offset
 * moved by 30 or 45 minutes in between, so the next whole hour is at another quarter; a shift by
 * whole hours leaves every quarter in between off the hour): about 28 zone conversions for a day
 * instead of 96.
 */
export function hourTicks(startMs: number, endMs: number, timezone: string): HourTick[] {
  const { format } = zoneFormatter(timezone);
  const ticks: HourTick[] = [];
  let t = Math.ceil(startMs / QUARTER_MS) * QUARTER_MS;
  let local = localParts(format, t);
  while (t <= endMs) {
    if (local.minute === '00') {
      const hour = Number(local.hour);
      ticks.push({ t, label: hour % 3 !== 0 ? null : hour === 0 ? `${local.day} ${local.month}` : `${local.hour}:00` });
      const nextHour = localParts(format, t + HOUR_MS);
      if (nextHour.minute === '00') {
        t += HOUR_MS;
        local = nextHour;
        continue;
      }
    }
    t += QUARTER_MS;
    local = localParts(format, t);
  }
  return ticks;
}

/** Runs of consecutive buckets (5 minutes apart) that have a hashrate. */
export function chartSegments(points: readonly HistoryPoint[], startMs: number, endMs: number): { t: number; v: number }[][] {
  const sorted = points.filter((p) => p.t >= startMs - CHART_BUCKET_MS && p.t <= endMs).sort((a, b) => a.t - b.t);
  const segments: { t: number; v: number }[][] = [];
  let current: { t: number; v: number }[] = [];
  let previousT: number | null = null;
  for (const point of sorted) {
    const value = point.hashrateThs;
    const contiguous = previousT !== null && point.t - previousT <= CHART_BUCKET_MS;
    if (value === null || !Number.isFinite(value)) {
      if (current.length > 0) segments.push(current);
      current = [];
      previousT = point.t;
      continue;
    }
    if (!contiguous && current.length > 0) {
      segments.push(current);
      current = [];
    }
    current.push({ t: point.t, v: value });
    previousT = point.t;
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

function summaryText(values: { t: number; v: number }[], nominalThs: number | null | undefined, zone: string, format: Intl.DateTimeFormat): string {
  if (values.length === 0) return `No hashrate reported in the last 24 hours.${nominalThs ? ` Nominal ${formatHashrate(nominalThs)}.` : ''}`;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const { v } of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const latest = values[values.length - 1]!;
  const at = localParts(format, latest.t);
  return [
    `Average ${formatHashrate(sum / values.length)}, lowest ${formatHashrate(min)}, highest ${formatHashrate(max)};`,
    `latest ${formatHashrate(latest.v)} at ${at.hour}:${at.minute}.`,
    nominalThs ? `Nominal ${formatHashrate(nominalThs)}.` : null,
    `Data in ${values.length} of ${CHART_SPAN_MS / CHART_BUCKET_MS} five-minute intervals. Times in ${zone}.`,
  ]
    .filter(Boolean)
    .join(' ');
}

interface HourRow {
  t: number;
  avg: number;
  min: number;
  max: number;
}

function hourlyRows(values: { t: number; v: number }[]): HourRow[] {
  const hours = new Map<number, { sum: number; n: number; min: number; max: number }>();
  for (const { t, v } of values) {
    const hour = Math.floor(t / HOUR_MS) * HOUR_MS;
    const acc = hours.get(hour) ?? { sum: 0, n: 0, min: Infinity, max: -Infinity };
    acc.sum += v;
    acc.n += 1;
    acc.min = Math.min(acc.min, v);
    acc.max = Math.max(acc.max, v);
    hours.set(hour, acc);
  }
  return [...hours].sort((a, b) => a[0] - b[0]).map(([t, acc]) => ({ t, avg: acc.sum / acc.n, min: acc.min, max: acc.max }));
}

export function HashrateChart(props: HashrateChartProps) {
  const endMs = props.endMs;
  const startMs = endMs - CHART_SPAN_MS;
  const { zone, format } = zoneFormatter(props.timezone);
  const segments = chartSegments(props.points, startMs, endMs);
  const values = segments.flat();
  const nominal = props.nominalThs && props.nominalThs > 0 ? props.nominalThs : null;
  const peak = Math.max(0, nominal ?? 0, ...values.map((p) => p.v));
  const { unit, divisor } = hashrateScale(peak);
  const scale = niceScale((peak / divisor) * 1.05);

  const x = (t: number) => round1(MARGIN.left + ((Math.min(Math.max(t, startMs), endMs) - startMs) / CHART_SPAN_MS) * PLOT_W);
  const y = (ths: number) => round1(MARGIN.top + PLOT_H - (Math.max(0, ths / divisor) / scale.max) * PLOT_H);
  const baseline = MARGIN.top + PLOT_H;

  const yTicks: number[] = [];
  for (let i = 0; i * scale.step <= scale.max + 1e-9; i += 1) yTicks.push(i * scale.step);
  const ticks = hourTicks(startMs, endMs, zone);

  const title = props.title ?? 'Hashrate, last 24 hours';
  const titleId = `${props.id}-title`;
  const descId = `${props.id}-desc`;
  const summary = summaryText(values, nominal, zone, format);
  const rows = hourlyRows(values);

  return (
    <figure class="chart" id={props.id}>
      <svg
        class="chart-svg"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={titleId}>{title}</title>
        <desc id={descId}>{summary}</desc>
        <g class="chart-grid" aria-hidden="true">
          {yTicks.map((value) => {
            const py = round1(MARGIN.top + PLOT_H - (value / scale.max) * PLOT_H);
            return (
              <>
                <line class="chart-gridline" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={py} y2={py} stroke="#e5e7eb" stroke-width="1" />
                <text class="chart-label" x={MARGIN.left - 8} y={round1(py + 4)} text-anchor="end" font-size="11" fill="#6b7280">
                  {value.toFixed(scale.decimals)}
                </text>
              </>
            );
          })}
          {ticks.map((tick) => (
            <>
              {tick.label !== null && (
                <line class="chart-gridline" x1={x(tick.t)} x2={x(tick.t)} y1={MARGIN.top} y2={baseline} stroke="#f0f1f3" stroke-width="1" />
              )}
              <line class="chart-tick" x1={x(tick.t)} x2={x(tick.t)} y1={baseline} y2={baseline + (tick.label !== null ? 6 : 3)} stroke="#9ca3af" stroke-width="1" />
              {tick.label !== null && (
                <text class="chart-label" x={x(tick.t)} y={baseline + 20} text-anchor="middle" font-size="11" fill="#6b7280">
                  {tick.label}
                </text>
              )}
            </>
          ))}
          <line class="chart-axis" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={baseline} y2={baseline} stroke="#9ca3af" stroke-width="1" />
          <line class="chart-axis" x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={baseline} stroke="#9ca3af" stroke-width="1" />
          <text class="chart-label chart-unit" x={12} y={round1(MARGIN.top + PLOT_H / 2)} text-anchor="middle" font-size="11" fill="#6b7280" transform={`rotate(-90 12 ${round1(MARGIN.top + PLOT_H / 2)})`}>
            {unit}
          </text>
        </g>
        <g class="chart-series" aria-hidden="true">
          {segments.map((segment) => {
            // The line's points, once: the area under it runs through the same ones.
            const line = segment.map((p) => `${x(p.t)},${y(p.v)}`).join(' L');
            return segment.length === 1 ? (
              <circle class="chart-dot" cx={x(segment[0]!.t)} cy={y(segment[0]!.v)} r="2.5" fill="#2563eb" />
            ) : (
              <>
                <path
                  class="chart-area"
                  d={`M${x(segment[0]!.t)},${baseline} L${line} L${x(segment[segment.length - 1]!.t)},${baseline} Z`}
                  fill="#2563eb"
                  fill-opacity="0.12"
                  stroke="none"
                />
                <path
                  class="chart-line"
                  d={`M${line}`}
                  fill="none"
                  stroke="#2563eb"
                  stroke-width="1.75"
                  stroke-linejoin="round"
                  stroke-linecap="round"
                />
              </>
            );
          })}
          {nominal !== null && (
            <>
              <line class="chart-nominal" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(nominal)} y2={y(nominal)} stroke="#6b7280" stroke-width="1" stroke-dasharray="6 4" />
              <text class="chart-label chart-nominal-label" x={WIDTH - MARGIN.right - 4} y={round1(y(nominal) - 5)} text-anchor="end" font-size="11" fill="#4b5563">
                Nominal {formatHashrate(nominal)}
              </text>
            </>
          )}
          {values.length === 0 && (
            <text class="chart-empty" x={round1(MARGIN.left + PLOT_W / 2)} y={round1(MARGIN.top + PLOT_H / 2)} text-anchor="middle" font-size="14" fill="#6b7280">
              No data in the last 24 hours
            </text>
          )}
        </g>
      </svg>
      <figcaption class="chart-caption">
        {title}. <span class="muted">{summary}</span>
      </figcaption>
      {rows.length > 0 && (
        <details class="chart-data">
          <summary>Hourly data table</summary>
          <TableWrap label="Hourly hashrate">
            <table class="table table-compact" aria-describedby={descId}>
              <caption class="visually-hidden">
                {title}: hourly hashrate ({zone})
              </caption>
              <thead>
                <tr>
                  <th scope="col">Hour starting ({zone})</th>
                  <th scope="col">Average</th>
                  <th scope="col">Lowest</th>
                  <th scope="col">Highest</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => {
                  const local = localParts(format, row.t);
                  return (
                    <tr>
                      <td>
                        <time datetime={new Date(row.t).toISOString()}>
                          {local.day} {local.month} {local.hour}:{local.minute}
                        </time>
                      </td>
                      <td>{formatHashrate(row.avg)}</td>
                      <td>{formatHashrate(row.min)}</td>
                      <td>{formatHashrate(row.max)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
        </details>
      )}
    </figure>
  );
}

// ---------------------------------------------------------------------------------------------
// Daily bars (the Usage tab): one bar per host-local day, same conventions as the hashrate chart
// (role="img" with a title and a numeric summary, a data table in <details>, attributes only).

export interface DailyBar {
  /** ISO date (host-local day). */
  date: string;
  /** null: no data that day (drawn as no bar, listed as "—"). */
  value: number | null;
}

export interface DailyBarChartProps {
  id: string;
  title: string;
  bars: readonly DailyBar[];
  /** Axis unit, like "kWh" or "TH/s". */
  unit: string;
  /** The column heading of the data table ("Energy (kWh)"). */
  valueLabel: string;
  format: (value: number) => string;
  /** Extra columns for the data table (same order as bars), e.g. billed kWh beside metered. */
  extraColumns?: { label: string; values: readonly string[] }[];
}

const dayLabel = (date: string) => String(Number(date.slice(8, 10)));

export function DailyBarChart(props: DailyBarChartProps) {
  const bars = props.bars;
  const values = bars.filter((b) => b.value !== null).map((b) => b.value!);
  const peak = Math.max(0, ...values);
  const scale = niceScale(peak * 1.05);
  const slot = bars.length > 0 ? PLOT_W / bars.length : PLOT_W;
  const barWidth = round1(Math.max(1, slot * 0.7));
  const baseline = MARGIN.top + PLOT_H;
  const y = (value: number) => round1(MARGIN.top + PLOT_H - (Math.max(0, value) / scale.max) * PLOT_H);
  const yTicks: number[] = [];
  for (let i = 0; i * scale.step <= scale.max + 1e-9; i += 1) yTicks.push(i * scale.step);
  // Every day labelled when they fit, else every few days (and always the first).
  const labelEvery = Math.max(1, Math.ceil(bars.length / 16));
  const titleId = `${props.id}-title`;
  const descId = `${props.id}-desc`;

  let summary: string;
  if (values.length === 0) {
    summary = 'No data in this period.';
  } else {
    const total = values.reduce((sum, v) => sum + v, 0);
    let high = bars[0]!;
    let low = bars[0]!;
    for (const bar of bars) {
      if (bar.value === null) continue;
      if (high.value === null || bar.value > high.value) high = bar;
      if (low.value === null || bar.value < low.value) low = bar;
    }
    summary =
      `Daily average ${props.format(total / values.length)}, highest ${props.format(high.value!)} on ${high.date}, ` +
      `lowest ${props.format(low.value!)} on ${low.date}; data on ${values.length} of ${bars.length} days.`;
  }

  return (
    <figure class="chart" id={props.id}>
      <svg class="chart-svg" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-labelledby={`${titleId} ${descId}`} preserveAspectRatio="xMidYMid meet">
        <title id={titleId}>{props.title}</title>
        <desc id={descId}>{summary}</desc>
        <g class="chart-grid" aria-hidden="true">
          {yTicks.map((value) => {
            const py = y(value);
            return (
              <>
                <line class="chart-gridline" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={py} y2={py} stroke="#e5e7eb" stroke-width="1" />
                <text class="chart-label" x={MARGIN.left - 8} y={round1(py + 4)} text-anchor="end" font-size="11" fill="#6b7280">
                  {value.toFixed(scale.decimals)}
                </text>
              </>
            );
          })}
          {bars.map((bar, i) =>
            i % labelEvery === 0 ? (
              <text class="chart-label" x={round1(MARGIN.left + slot * (i + 0.5))} y={baseline + 20} text-anchor="middle" font-size="11" fill="#6b7280">
                {dayLabel(bar.date)}
              </text>
            ) : null,
          )}
          <line class="chart-axis" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={baseline} y2={baseline} stroke="#9ca3af" stroke-width="1" />
          <line class="chart-axis" x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={baseline} stroke="#9ca3af" stroke-width="1" />
          <text class="chart-label chart-unit" x={12} y={round1(MARGIN.top + PLOT_H / 2)} text-anchor="middle" font-size="11" fill="#6b7280" transform={`rotate(-90 12 ${round1(MARGIN.top + PLOT_H / 2)})`}>
            {props.unit}
          </text>
        </g>
        <g class="chart-series" aria-hidden="true">
          {bars.map((bar, i) =>
            bar.value === null || bar.value <= 0 ? null : (
              <rect class="chart-bar" x={round1(MARGIN.left + slot * i + (slot - barWidth) / 2)} y={y(bar.value)} width={barWidth} height={round1(baseline - y(bar.value))} fill="#2563eb" fill-opacity="0.75" />
            ),
          )}
          {values.length === 0 && (
            <text class="chart-empty" x={round1(MARGIN.left + PLOT_W / 2)} y={round1(MARGIN.top + PLOT_H / 2)} text-anchor="middle" font-size="14" fill="#6b7280">
              No data in this period
            </text>
          )}
        </g>
      </svg>
      <figcaption class="chart-caption">
        {props.title}. <span class="muted">{summary}</span>
      </figcaption>
      {bars.length > 0 && (
        <details class="chart-data">
          <summary>Daily data table</summary>
          <TableWrap label={`${props.valueLabel} by day`}>
            <table class="table table-compact" aria-describedby={descId}>
              <caption class="visually-hidden">{props.title}: by day</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col" class="num">
                    {props.valueLabel}
                  </th>
                  {(props.extraColumns ?? []).map((column) => (
                    <th scope="col" class="num">
                      {column.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {bars.map((bar, i) => (
                  <tr>
                    <td>
                      <time datetime={bar.date}>{bar.date}</time>
                    </td>
                    <td class="num">{bar.value === null ? '—' : props.format(bar.value)}</td>
                    {(props.extraColumns ?? []).map((column) => (
                      <td class="num">{column.values[i] ?? '—'}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </details>
      )}
    </figure>
  );
}
