/**
 * A customer's usage for one billing period (docs/billing/usage.md): per unit the kWh billed with
 * its source, the metered kWh, hours online, average hashrate, uptime and, where billed kWh are
 * not the meter's (spec and hashrate sources), the variance between the two; and a daily series
 * for the chart.
 *
 * Everything is summed in SQL, grouped by unit and by hour, so the page makes the same few D1
 * queries whatever the number of units. Billed Wh are computed per usage row in SQL with the very
 * rule of `billedWh` (src/billing/energy.ts): integer arithmetic, half up, one rounding per row,
 * then a plain sum, so the page agrees with the invoice line to the Wh (test/integration/usage.test.ts
 * proves it against `billedWh` row by row).
 */
import { sql, type SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client';
import { ValidationError } from '../lib/errors';
import type { KwhSource } from './energy';
import { addDays, addMonths, billingPeriod, isPeriodKey, periodHolding, zonedDate, zonedMidnightMs, type BillingPeriod } from './periods';

const HOUR_MS = 3_600_000;
const HOUR_S = 3_600;

export type VarianceBand = 'green' | 'yellow' | 'red' | 'n/a';

/** Why a unit's billed kWh cannot be shown as a number. */
export type BilledNote = 'no_per_kwh_contract' | 'missing_nominal_power' | 'missing_efficiency' | 'unknown_energy';

export interface UsageVariance {
  /**
   * What billed kWh are compared with: the unit's PDU outlet where it has one (its hours metered by
   * a PDU, DESIGN.md §7), else the rows' own energy (the miner's power, or nominal).
   */
  against: 'pdu' | 'metered';
  /** The rows compared: those billed from spec or hashrate (metered-source rows are billed as metered); against a PDU, only the PDU-metered ones. */
  billedWh: number;
  meteredWh: number;
  /** |billed − metered| / metered in basis points, rounded half up (display only); null when metered is 0. */
  bps: number | null;
  /** Decided on the exact ratio, not the rounded bps: green < 5 %, yellow < 20 %, red ≥ 20 %. */
  band: VarianceBand;
}

export interface UnitUsage {
  minerId: string;
  serial: string | null;
  mac: string | null;
  model: string | null;
  siteId: string | null;
  siteName: string | null;
  /** kWh sources of the per-kWh contracts that covered the unit's hours, in order of first use. */
  sources: KwhSource[];
  /** Hours of usage rows under a per-kWh contract, and under none. */
  coveredHours: number;
  uncoveredHours: number;
  /** Sum of the per-row billed Wh over covered hours; null when none, or when a row cannot be billed. */
  billedWh: number | null;
  billedNote: BilledNote | null;
  /** The rows' own energy_wh, every hour of the unit in the period (hours of unknown energy add nothing). */
  meteredWh: number;
  /** Hours whose energy is unknown (online with neither measured nor nominal power): shown, never counted as 0. */
  unknownHours: number;
  onlineSeconds: number;
  /** Seconds of the period the unit was the customer's (the uptime denominator, before planned downtime). */
  ownedSeconds: number;
  /** Always 0 until planned downtime exists: see `plannedDowntimeSeconds`. */
  plannedDowntimeSeconds: number;
  /** Online-weighted average hashrate, milli-TH/s (half up); null when never online. */
  avgHashrateMths: number | null;
  /** online / (owned − planned) in basis points, half up; null when the denominator is 0. */
  uptimeBps: number | null;
  /** Only for units with hours billed from spec or hashrate. */
  variance: UsageVariance | null;
}

export interface UsageDay {
  /** Host-local calendar date. */
  date: string;
  meteredWh: number;
  /** Billed Wh of the day's covered hours (null when none of them could be billed). */
  billedWh: number | null;
  /** The fleet's average over the day's elapsed hours: TH delivered ÷ time (offline counts as 0). */
  avgHashrateMths: number | null;
}

export interface CustomerUsage {
  period: BillingPeriod;
  /** The neighbouring period keys, for previous / next. */
  previousKey: string;
  nextKey: string;
  timezone: string;
  billingDay: number;
  units: UnitUsage[];
  days: UsageDay[];
  totals: {
    billedWh: number;
    meteredWh: number;
    onlineSeconds: number;
    ownedSeconds: number;
    uptimeBps: number | null;
    /** Units with a billed note (their billed kWh are not in billedWh). */
    unbilledUnits: number;
  };
}

/** Integer a / b in basis points, half up (non-negative inputs). */
const bpsOf = (numerator: number, denominator: number): number | null =>
  denominator > 0 ? Number((BigInt(numerator) * 20_000n + BigInt(denominator)) / (2n * BigInt(denominator))) : null;

/** a / b half up, non-negative integers. */
const divHalfUp = (numerator: number, denominator: number): number | null =>
  denominator > 0 ? Number((2n * BigInt(numerator) + BigInt(denominator)) / (2n * BigInt(denominator))) : null;

/**
 * The band of |billed − metered| / metered, compared exactly in integers: < 5 % is
 * 20·|d| < metered, < 20 % is 5·|d| < metered. Metered 0 has no ratio: "n/a".
 */
export function varianceBand(billedWh: number, meteredWh: number): VarianceBand {
  if (meteredWh <= 0) return 'n/a';
  const difference = BigInt(Math.abs(billedWh - meteredWh));
  const metered = BigInt(meteredWh);
  if (difference * 20n < metered) return 'green';
  if (difference * 5n < metered) return 'yellow';
  return 'red';
}

export function usageVariance(billedWh: number, meteredWh: number, against: UsageVariance['against'] = 'metered'): UsageVariance {
  return { against, billedWh, meteredWh, bps: bpsOf(Math.abs(billedWh - meteredWh), meteredWh), band: varianceBand(billedWh, meteredWh) };
}

/**
 * The period key asked for, checked: `YYYY-MM` with a plausible year. Absent → the period that
 * holds today in the host's zone.
 */
export function parseUsageMonth(text: string | undefined, billingDay: number, timezone: string, nowMs = Date.now()): string {
  if (text === undefined || text === '') return periodHolding(zonedDate(nowMs, timezone), billingDay, timezone).key;
  const year = Number(text.slice(0, 4));
  if (!isPeriodKey(text) || year < 2000 || year > 2999) throw new ValidationError({ month: 'Choose a month as YYYY-MM, like 2026-11.' }, 'Choose a month as YYYY-MM, like 2026-11.');
  return text;
}

/**
 * Planned downtime (maintenance windows, src/notify/): per unit, for every hour a window of the
 * unit covers (clipped to the period and to `until`), the smaller of the covered seconds and the
 * hour's offline seconds (3600 − online; an hour without a row is all offline). Hours whose usage
 * row names another customer are not this customer's, so they count nothing.
 */
export function plannedDowntimeSeconds(
  windows: readonly { miner_id: string; starts_at: number; ends_at: number }[],
  hours: readonly { miner_id: string; hour_start: number; online_seconds: number; customer_id: string | null }[],
  customerId: string,
  fromMs: number,
  untilMs: number,
): Map<string, number> {
  const byUnit = new Map<string, [number, number][]>();
  for (const w of windows) {
    const start = Math.max(w.starts_at, fromMs);
    const end = Math.min(w.ends_at, untilMs);
    if (end > start) byUnit.set(w.miner_id, [...(byUnit.get(w.miner_id) ?? []), [start, end]]);
  }
  const rowOf = new Map(hours.map((h) => [`${h.miner_id}|${h.hour_start}`, h]));
  const planned = new Map<string, number>();
  for (const [minerId, spans] of byUnit) {
    // Merge overlapping windows so an hour is never counted twice.
    spans.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const span of spans) {
      const last = merged[merged.length - 1];
      if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
      else merged.push([...span]);
    }
    let total = 0;
    for (const [start, end] of merged) {
      for (let hour = Math.floor(start / HOUR_MS) * HOUR_MS; hour < end; hour += HOUR_MS) {
        const covered = (Math.min(end, hour + HOUR_MS) - Math.max(start, hour)) / 1000;
        const row = rowOf.get(`${minerId}|${hour}`);
        if (row && row.customer_id !== customerId) continue;
        total += Math.min(covered, Math.max(0, HOUR_S - (row?.online_seconds ?? 0)));
      }
    }
    if (total > 0) planned.set(minerId, total);
  }
  return planned;
}

/** The host's zone and billing day (1 when Settings → Billing was never saved). */
export async function usageSettings(db: Db, hostId: string): Promise<{ timezone: string; billingDay: number }> {
  const row = await db.get<{ timezone: string; billing_day: number } | undefined>(sql`
    SELECT h.timezone AS timezone, coalesce(bs.billing_day, 1) AS billing_day
    FROM hosts h LEFT JOIN billing_settings bs ON bs.host_id = h.id
    WHERE h.id = ${hostId}`);
  return { timezone: row?.timezone ?? 'UTC', billingDay: row?.billing_day ?? 1 };
}

interface UnitGroupRow {
  miner_id: string;
  contract_id: string | null;
  source: KwhSource | null;
  hours: number;
  metered_wh: number;
  billed_wh: number | null;
  unbillable_rows: number;
  unknown_hours: number;
  online_seconds: number;
  hashrate_seconds: number;
  first_hour: number;
  not_exact: number;
  pdu_hours: number;
  pdu_wh: number;
  pdu_billed_wh: number;
}

interface UnitInfoRow {
  miner_id: string;
  first_hour: number | null;
  last_hour: number | null;
  serial: string | null;
  mac: string | null;
  model: string | null;
  site_id: string | null;
  site_name: string | null;
  nominal_power_w: number | null;
  still_owned: number;
  owned_before: number | null;
  other_before_first: number;
  other_between: number;
  next_other: number | null;
  rows_in_period: number;
}

interface HourRow {
  hour_start: number;
  metered_wh: number;
  billed_wh: number | null;
  covered_rows: number;
  hashrate_seconds: number;
  not_exact: number;
}

/**
 * The usage rows of the customer in the period, each with the per-kWh contract that covers it
 * and its billed Wh. A row is covered by a hosted per-kWh contract of the same customer, not a
 * draft, that lists the unit, when the row's hour starts within the contract's dates
 * ([start_date, end_date + 1 day) at host midnight, cut to the period). Should two cover the same
 * hour, the one that started last wins, so no hour is counted twice.
 *
 * `billed_wh` is billedWh (src/billing/energy.ts) in SQL: integer division of non-negative
 * integers after adding half the divisor is exactly divideRoundHalfUp. `not_exact` guards that
 * rule: an integer overflow would turn into a float, and the half-up trick holds for non-negative
 * operands only. (Comments live here, not in the SQL: its text ships in the bundle and to D1.)
 */
function billedRowsSql(hostId: string, customerId: string, period: BillingPeriod, dayStarts: string) {
  return sql`
    WITH days AS MATERIALIZED (
      SELECT j.value ->> '$[0]' AS day, j.value ->> '$[1]' AS ms FROM json_each(${dayStarts}) j
    ),
    covering AS MATERIALIZED (
      SELECT c.id, c.kwh_source AS source, c.efficiency_mj_per_th AS eff, c.start_date, cm.miner_id,
        (SELECT ms FROM days WHERE day = max(c.start_date, ${period.start})) AS w_from,
        (SELECT ms FROM days WHERE day = min(date(c.end_date, '+1 day'), ${period.end})) AS w_to
      FROM contracts c
      JOIN contract_miners cm ON cm.contract_id = c.id AND cm.host_id = ${hostId}
      WHERE c.host_id = ${hostId} AND c.customer_id = ${customerId} AND c.kind = 'hosted' AND c.pricing = 'per_kwh'
        AND c.status <> 'draft' AND c.kwh_source IS NOT NULL
        AND c.start_date < ${period.end} AND c.end_date >= ${period.start}
    ),
    ranked AS (
      SELECT u.miner_id, u.hour_start, u.energy_wh, u.energy_source, u.avg_hashrate_mths, u.online_seconds,
        cw.id AS contract_id, cw.source, cw.eff,
        row_number() OVER (PARTITION BY u.miner_id, u.hour_start ORDER BY cw.start_date DESC, cw.id) AS rank
      FROM usage_hourly u
      LEFT JOIN covering cw ON cw.miner_id = u.miner_id AND u.hour_start >= cw.w_from AND u.hour_start < cw.w_to
      WHERE u.host_id = ${hostId} AND u.customer_id = ${customerId} AND u.hour_start >= ${period.fromMs} AND u.hour_start < ${period.toMs}
    ),
    billed AS (
      SELECT r.miner_id, r.hour_start, r.energy_wh, r.energy_source, r.avg_hashrate_mths, r.online_seconds, r.contract_id, r.source,
        CASE r.source
          WHEN 'metered' THEN r.energy_wh
          WHEN 'spec' THEN CASE WHEN m.nominal_power_w IS NULL THEN NULL ELSE (m.nominal_power_w * r.online_seconds + 1800) / 3600 END
          WHEN 'hashrate' THEN CASE WHEN r.eff IS NULL THEN NULL ELSE (r.eff * r.avg_hashrate_mths * r.online_seconds + 1800000000) / 3600000000 END
        END AS billed_wh,
        (r.source = 'spec' AND (m.nominal_power_w < 0 OR r.online_seconds < 0 OR typeof(m.nominal_power_w * r.online_seconds + 1800) = 'real'))
          OR (r.source = 'hashrate' AND (r.eff < 0 OR r.avg_hashrate_mths < 0 OR r.online_seconds < 0
            OR typeof(r.eff * r.avg_hashrate_mths * r.online_seconds + 1800000000) = 'real')) AS not_exact
      FROM ranked r
      LEFT JOIN miners m ON m.id = r.miner_id AND m.host_id = ${hostId}
      WHERE r.rank = 1
    )`;
}

const dialect = new SQLiteSyncDialect();

/** Raw SQL statements in one D1 batch (one round trip); drizzle's batch takes query builders only. */
async function rawBatch(db: Db, queries: SQL[]): Promise<unknown[][]> {
  // getDb() is drizzle(d1): the client it wraps (a counting proxy in the query-budget tests).
  const d1 = (db as Db & { $client: D1Database }).$client;
  const statements = queries.map((query) => {
    const { sql: text, params } = dialect.sqlToQuery(query);
    return d1.prepare(text).bind(...params);
  });
  const results = await d1.batch(statements);
  return results.map((result: D1Result) => result.results);
}

/** The period's local days and their first instants, and the instant after the last. */
function dayStartsOf(period: BillingPeriod, timezone: string): [string, number][] {
  const days: [string, number][] = [];
  for (let i = 0; i <= period.days; i += 1) {
    const day = addDays(period.start, i);
    days.push([day, i === 0 ? period.fromMs : i === period.days ? period.toMs : zonedMidnightMs(day, timezone)]);
  }
  return days;
}

/** A customer's usage for the period named `key`. The caller has checked the customer is the host's. */
export async function customerUsage(
  db: Db,
  hostId: string,
  customerId: string,
  key: string,
  settings: { timezone: string; billingDay: number },
  nowMs = Date.now(),
): Promise<CustomerUsage> {
  const { timezone, billingDay } = settings;
  const period = billingPeriod(key, billingDay, timezone);
  const dayStarts = dayStartsOf(period, timezone);
  const billedRows = billedRowsSql(hostId, customerId, period, JSON.stringify(dayStarts));

  const [groupsResult, infosResult, hoursResult, windowsResult, windowHoursResult] = await rawBatch(db, [
    // Per unit and contract. pdu_*: the hours a PDU outlet metered; the variance compares billed kWh with these (DESIGN.md §7).
    sql`${billedRows}
      SELECT miner_id, contract_id, source, count(*) AS hours, coalesce(sum(energy_wh), 0) AS metered_wh, sum(billed_wh) AS billed_wh,
        sum(energy_wh IS NULL) AS unknown_hours,
        sum(contract_id IS NOT NULL AND billed_wh IS NULL) AS unbillable_rows, sum(online_seconds) AS online_seconds,
        sum(avg_hashrate_mths * online_seconds) AS hashrate_seconds, min(hour_start) AS first_hour, max(not_exact) AS not_exact,
        sum(energy_source = 'pdu') AS pdu_hours, coalesce(sum(CASE WHEN energy_source = 'pdu' THEN energy_wh END), 0) AS pdu_wh,
        coalesce(sum(CASE WHEN energy_source = 'pdu' THEN billed_wh END), 0) AS pdu_billed_wh
      FROM billed GROUP BY miner_id, contract_id`,
    // Per unit: who it is, and what the neighbouring rows say about whose it was (uptime's denominator).
    // `units` adds the units assigned now that reported nothing in the period: shown only when their
    // last earlier row was the customer's too (then they were the customer's, and down).
    sql`
      WITH own AS (
        SELECT miner_id, min(hour_start) AS first_hour, max(hour_start) AS last_hour FROM usage_hourly
        WHERE host_id = ${hostId} AND customer_id = ${customerId} AND hour_start >= ${period.fromMs} AND hour_start < ${period.toMs}
        GROUP BY miner_id
      ),
      units AS (
        SELECT miner_id, first_hour, last_hour FROM own
        UNION ALL
        SELECT m.id, NULL, NULL FROM miners m
        WHERE m.host_id = ${hostId} AND m.customer_id = ${customerId} AND m.id NOT IN (SELECT miner_id FROM own)
      )
      SELECT g.miner_id, g.first_hour, g.last_hour, m.serial, m.mac, m.model, m.site_id, s.name AS site_name, m.nominal_power_w,
        coalesce(m.customer_id = ${customerId}, 0) AS still_owned,
        (SELECT p.customer_id IS ${customerId} FROM usage_hourly p
          WHERE p.miner_id = g.miner_id AND p.host_id = ${hostId} AND p.hour_start < ${period.fromMs} ORDER BY p.hour_start DESC LIMIT 1) AS owned_before,
        (SELECT count(*) FROM usage_hourly o WHERE o.miner_id = g.miner_id AND o.host_id = ${hostId}
          AND o.hour_start >= ${period.fromMs} AND o.hour_start < g.first_hour AND o.customer_id IS NOT ${customerId}) AS other_before_first,
        (SELECT count(*) FROM usage_hourly o WHERE o.miner_id = g.miner_id AND o.host_id = ${hostId}
          AND o.hour_start > g.first_hour AND o.hour_start < g.last_hour AND o.customer_id IS NOT ${customerId}) AS other_between,
        (SELECT min(o.hour_start) FROM usage_hourly o WHERE o.miner_id = g.miner_id AND o.host_id = ${hostId}
          AND o.hour_start > g.last_hour AND o.hour_start < ${period.toMs} AND o.customer_id IS NOT ${customerId}) AS next_other,
        (SELECT count(*) FROM usage_hourly o WHERE o.miner_id = g.miner_id AND o.host_id = ${hostId}
          AND o.hour_start >= ${period.fromMs} AND o.hour_start < ${period.toMs}) AS rows_in_period
      FROM units g
      LEFT JOIN miners m ON m.id = g.miner_id AND m.host_id = ${hostId}
      LEFT JOIN sites s ON s.id = m.site_id AND s.host_id = ${hostId}`,
    sql`${billedRows}
      SELECT hour_start, coalesce(sum(energy_wh), 0) AS metered_wh, sum(billed_wh) AS billed_wh, sum(contract_id IS NOT NULL) AS covered_rows,
        sum(avg_hashrate_mths * online_seconds) AS hashrate_seconds, max(not_exact) AS not_exact
      FROM billed GROUP BY hour_start ORDER BY hour_start`,
    // Maintenance windows over the customer's units in the period, and the usage hours they cover.
    sql`SELECT mu.miner_id, mu.starts_at, mu.ends_at FROM maintenance_units mu
      WHERE mu.host_id = ${hostId} AND mu.starts_at < ${period.toMs} AND mu.ends_at > ${period.fromMs}
        AND (mu.customer_id = ${customerId} OR mu.miner_id IN (SELECT m.id FROM miners m WHERE m.host_id = ${hostId} AND m.customer_id = ${customerId}))`,
    sql`SELECT DISTINCT u.miner_id, u.hour_start, u.online_seconds, u.customer_id FROM usage_hourly u
      JOIN maintenance_units mu ON mu.miner_id = u.miner_id AND mu.host_id = u.host_id
      WHERE u.host_id = ${hostId} AND mu.starts_at < ${period.toMs} AND mu.ends_at > ${period.fromMs}
        AND (mu.customer_id = ${customerId} OR mu.miner_id IN (SELECT m.id FROM miners m WHERE m.host_id = ${hostId} AND m.customer_id = ${customerId}))
        AND u.hour_start >= mu.starts_at - ${HOUR_MS} AND u.hour_start < mu.ends_at AND u.hour_start >= ${period.fromMs} AND u.hour_start < ${period.toMs}`,
  ]);
  const groups = groupsResult as UnitGroupRow[];
  const infos = infosResult as UnitInfoRow[];
  const hours = hoursResult as HourRow[];

  if (groups.some((g) => g.not_exact) || hours.some((h) => h.not_exact)) {
    // Never show a number that is not the invoice's: refuse rather than round a float.
    throw new Error('Usage values out of the exact integer range');
  }

  const lastCompleteHour = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const ownedUntil = Math.max(period.fromMs, Math.min(period.toMs, lastCompleteHour));
  const groupsByUnit = new Map<string, UnitGroupRow[]>();
  for (const group of groups) {
    const list = groupsByUnit.get(group.miner_id) ?? [];
    list.push(group);
    groupsByUnit.set(group.miner_id, list);
  }
  const planned = plannedDowntimeSeconds(
    windowsResult as { miner_id: string; starts_at: number; ends_at: number }[],
    windowHoursResult as { miner_id: string; hour_start: number; online_seconds: number; customer_id: string | null }[],
    customerId,
    period.fromMs,
    ownedUntil,
  );

  const units: UnitUsage[] = [];
  for (const info of infos) {
    const unitGroups = (groupsByUnit.get(info.miner_id) ?? []).sort((a, b) => a.first_hour - b.first_hour);
    const ownedSeconds = ownedSecondsOf(info, period, ownedUntil);
    if (unitGroups.length === 0 && ownedSeconds === 0) continue;
    units.push(unitUsageOf(info, unitGroups, ownedSeconds, planned.get(info.miner_id) ?? 0));
  }
  units.sort((a, b) => (a.siteName ?? '').localeCompare(b.siteName ?? '') || (a.serial ?? '').localeCompare(b.serial ?? '') || a.minerId.localeCompare(b.minerId));

  const onlineSeconds = units.reduce((sum, u) => sum + u.onlineSeconds, 0);
  const ownedTotal = units.reduce((sum, u) => sum + u.ownedSeconds - u.plannedDowntimeSeconds, 0);
  return {
    period,
    previousKey: addMonths(`${key}-01`, -1).slice(0, 7),
    nextKey: addMonths(`${key}-01`, 1).slice(0, 7),
    timezone,
    billingDay,
    units,
    days: daysOf(hours, dayStarts, ownedUntil),
    totals: {
      billedWh: units.reduce((sum, u) => sum + (u.billedWh ?? 0), 0),
      meteredWh: units.reduce((sum, u) => sum + u.meteredWh, 0),
      onlineSeconds,
      ownedSeconds: ownedTotal,
      uptimeBps: bpsOf(onlineSeconds, ownedTotal),
      unbilledUnits: units.filter((u) => u.billedNote !== null && u.billedNote !== 'no_per_kwh_contract').length,
    },
  };
}

/**
 * Seconds of the period the unit was the customer's. An hour whose usage row names the customer
 * is theirs; an hour with no row (the unit reported nothing) is theirs, and down, when it lies
 * between two of theirs, before the first when the unit's last earlier row was theirs, or after
 * the last while the unit is still assigned to them (up to the last complete hour). Hours whose
 * row names someone else, or nobody, are never theirs.
 */
function ownedSecondsOf(info: UnitInfoRow, period: BillingPeriod, ownedUntil: number): number {
  if (info.first_hour === null || info.last_hour === null) {
    // No row of theirs in the period: theirs throughout only if nothing says otherwise.
    const theirs = info.owned_before === 1 && info.still_owned === 1 && info.rows_in_period === 0;
    return theirs ? (ownedUntil - period.fromMs) / 1000 : 0;
  }
  const start = info.owned_before === 1 && info.other_before_first === 0 ? period.fromMs : info.first_hour;
  const end = info.next_other === null && info.still_owned === 1 ? Math.max(ownedUntil, info.last_hour + HOUR_MS) : info.last_hour + HOUR_MS;
  return (end - start) / 1000 - info.other_between * HOUR_S;
}

function unitUsageOf(info: UnitInfoRow, groups: UnitGroupRow[], ownedSeconds: number, plannedSeconds: number): UnitUsage {
  const sources: KwhSource[] = [];
  let coveredHours = 0;
  let uncoveredHours = 0;
  let billedWh = 0;
  let meteredWh = 0;
  let unknownHours = 0;
  let onlineSeconds = 0;
  let hashrateSeconds = 0;
  let billedNote: BilledNote | null = null;
  let comparedBilled = 0;
  let comparedMetered = 0;
  let compared = false;
  let pduHours = 0;
  let pduBilled = 0;
  let pduMetered = 0;
  for (const group of groups) {
    meteredWh += group.metered_wh;
    unknownHours += group.unknown_hours;
    onlineSeconds += group.online_seconds;
    hashrateSeconds += group.hashrate_seconds;
    if (group.contract_id === null || group.source === null) {
      uncoveredHours += group.hours;
      continue;
    }
    coveredHours += group.hours;
    if (!sources.includes(group.source)) sources.push(group.source);
    if (group.unbillable_rows > 0) {
      billedNote = group.source === 'spec' ? 'missing_nominal_power' : group.source === 'metered' ? 'unknown_energy' : 'missing_efficiency';
      continue;
    }
    billedWh += group.billed_wh ?? 0;
    if (group.source !== 'metered') {
      compared = true;
      comparedBilled += group.billed_wh ?? 0;
      comparedMetered += group.metered_wh;
      pduHours += group.pdu_hours;
      pduBilled += group.pdu_billed_wh;
      pduMetered += group.pdu_wh;
    }
  }
  const hasCoverage = coveredHours > 0;
  const note: BilledNote | null = billedNote ?? (hasCoverage ? null : 'no_per_kwh_contract');
  const uptimeDenominator = Math.max(0, ownedSeconds - plannedSeconds);
  return {
    minerId: info.miner_id,
    serial: info.serial,
    mac: info.mac,
    model: info.model,
    siteId: info.site_id,
    siteName: info.site_name,
    sources,
    coveredHours,
    uncoveredHours,
    billedWh: note === null ? billedWh : null,
    billedNote: note,
    meteredWh,
    unknownHours,
    onlineSeconds,
    ownedSeconds,
    plannedDowntimeSeconds: plannedSeconds,
    avgHashrateMths: divHalfUp(hashrateSeconds, onlineSeconds),
    // Rows can report a little more online time than the span (clock skew at hour edges): cap at 100 %.
    uptimeBps: uptimeDenominator > 0 ? Math.min(10_000, bpsOf(onlineSeconds, uptimeDenominator)!) : null,
    variance:
      compared && billedNote === null ? (pduHours > 0 ? usageVariance(pduBilled, pduMetered, 'pdu') : usageVariance(comparedBilled, comparedMetered, 'metered')) : null,
  };
}

/** Hours into host-local days (every day of the period, empty ones included). */
function daysOf(hours: HourRow[], dayStarts: [string, number][], ownedUntil: number): UsageDay[] {
  const days: UsageDay[] = [];
  let index = 0;
  for (let d = 0; d < dayStarts.length - 1; d += 1) {
    const [date, from] = dayStarts[d]!;
    const to = dayStarts[d + 1]![1];
    let meteredWh = 0;
    let billedWh: number | null = null;
    let hashrateSeconds = 0;
    while (index < hours.length && hours[index]!.hour_start < to) {
      const hour = hours[index]!;
      meteredWh += hour.metered_wh;
      if (hour.covered_rows > 0 && hour.billed_wh !== null) billedWh = (billedWh ?? 0) + hour.billed_wh;
      hashrateSeconds += hour.hashrate_seconds;
      index += 1;
    }
    const elapsedSeconds = Math.max(0, Math.min(to, Math.max(ownedUntil, from)) - from) / 1000;
    days.push({ date, meteredWh, billedWh, avgHashrateMths: elapsedSeconds > 0 ? divHalfUp(hashrateSeconds, elapsedSeconds) : null });
  }
  return days;
}

/** Wh → kWh text with exactly three decimals (exact: Wh are integers). */
export const whToKwhText = (wh: number): string => {
  const negative = wh < 0;
  const abs = Math.abs(wh);
  return `${negative ? '-' : ''}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}`;
};

/** Basis points → "97.25" (percent with two decimals, exact). */
export const bpsToPercentText = (bps: number): string => `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')}`;

/** milli-TH/s → TH/s text with three decimals (exact). */
export const mthsToThsText = (mths: number): string => `${Math.floor(mths / 1000)}.${String(mths % 1000).padStart(3, '0')}`;
