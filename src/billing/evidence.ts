/**
 * The evidence behind an invoice line (docs/billing/evidence.md): a CSV of the hourly usage rows
 * an energy line was computed from, or the adjustments an adjustment line bills, with everything
 * needed to recompute the line and re-derive the seals it cites, offline
 * (`npm run verify-evidence`). The columns and the seal's canonical form live in seal-format.js,
 * shared with the verifier.
 */
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { hosts, invoiceLines, invoices, miners } from '../db/schema';
import { inIds } from '../db/sql';
import { notFound } from '../lib/errors';
import { billedWh, type AdjustmentLineDetail, type EnergyLineDetail, type UnitFeeLineDetail } from './energy';
import { currencyExponent, formatMoney } from './money';
import { adjustmentsByIds, customerSeals, sealedSiteDays } from './seal';
import {
  evidenceCsvHeader,
  evidenceCsvRecord,
  exactAmountText,
  SEAL_FORMAT,
  utcDayOf,
  utcDayStartMs,
  type EvidenceRecord,
} from './seal-format.js';

const DAY_MS = 86_400_000;

/** Who is asking: staff and API keys see the host's invoices; a portal member only its customer's, never drafts. */
export interface EvidenceScope {
  hostId: string;
  customerId?: string;
}

type InvoiceRow = typeof invoices.$inferSelect;
type LineRow = typeof invoiceLines.$inferSelect;

const EVIDENCE_KINDS = ['energy', 'adjustment', 'unit_fee'] as const;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** An instant as ISO 8601 in a zone, with its offset ("2026-11-01T01:00:00-04:00"). */
export function isoInZone(ms: number, timeZone: string): string {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    offsetFormatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
  const local = `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
  const offsetMinutes = Math.round((Date.parse(`${local}Z`) - Math.floor(ms / 1000) * 1000) / 60_000);
  if (offsetMinutes === 0) return `${local}Z`;
  const abs = Math.abs(offsetMinutes);
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The invoice, if the scope may see it (else 404: another host's, another customer's, or a draft for a customer). */
async function scopedInvoice(db: Db, scope: EvidenceScope, invoiceId: string): Promise<{ invoice: InvoiceRow; timezone: string }> {
  const row = await db
    .select({ invoice: invoices, timezone: hosts.timezone })
    .from(invoices)
    .innerJoin(hosts, eq(hosts.id, invoices.hostId))
    .where(
      and(
        eq(invoices.id, invoiceId),
        eq(invoices.hostId, scope.hostId),
        scope.customerId === undefined ? undefined : and(eq(invoices.customerId, scope.customerId), ne(invoices.status, 'draft')),
      ),
    )
    .get();
  if (!row) throw notFound('Invoice');
  return row;
}

const fileName = (invoice: InvoiceRow, suffix: string) => `evidence-${invoice.number ?? `draft-${invoice.id.slice(0, 8)}`}${suffix}.csv`;

/**
 * The evidence CSV of one energy or adjustment line. Times are shown in `hostTimezone` (the
 * host's zone; read from the host when not given).
 */
export async function energyLineEvidenceCsv(
  db: Db,
  hostId: string,
  invoiceId: string,
  lineId: string,
  hostTimezone: string | null,
  options: { customerId?: string } = {},
): Promise<{ filename: string; csv: string }> {
  const { invoice, timezone } = await scopedInvoice(db, { hostId, customerId: options.customerId }, invoiceId);
  const line = await db
    .select()
    .from(invoiceLines)
    .where(and(eq(invoiceLines.id, lineId), eq(invoiceLines.invoiceId, invoice.id), eq(invoiceLines.hostId, hostId), inArray(invoiceLines.kind, EVIDENCE_KINDS)))
    .get();
  if (!line) throw notFound('Invoice line');
  const records = await lineRecords(db, invoice, line, hostTimezone ?? timezone);
  return { filename: fileName(invoice, `-line-${line.position}`), csv: evidenceCsvHeader() + records.map(evidenceCsvRecord).join('') };
}

/** Every energy and adjustment line of an invoice in one file (the API's evidence.csv). */
export async function invoiceEvidenceCsv(
  db: Db,
  hostId: string,
  invoiceId: string,
  hostTimezone: string | null,
  options: { customerId?: string } = {},
): Promise<{ filename: string; csv: string }> {
  const { invoice, timezone } = await scopedInvoice(db, { hostId, customerId: options.customerId }, invoiceId);
  const lines = await db
    .select()
    .from(invoiceLines)
    .where(and(eq(invoiceLines.invoiceId, invoice.id), eq(invoiceLines.hostId, hostId), inArray(invoiceLines.kind, EVIDENCE_KINDS)))
    .orderBy(invoiceLines.position)
    .all();
  let csv = evidenceCsvHeader();
  for (const line of lines) csv += (await lineRecords(db, invoice, line, hostTimezone ?? timezone)).map(evidenceCsvRecord).join('');
  return { filename: fileName(invoice, ''), csv };
}

function parseDetail<T extends { v: number }>(line: LineRow): T {
  const detail = line.detail ? (JSON.parse(line.detail) as T) : null;
  // A line without the detail it needs cannot be evidenced: say so rather than print a wrong file.
  if (!detail || detail.v !== 1) throw new Error(`Invoice line ${line.id} has no evidence detail`);
  return detail;
}

function lineRecords(db: Db, invoice: InvoiceRow, line: LineRow, timezone: string): Promise<EvidenceRecord[]> {
  if (line.kind === 'adjustment') return adjustmentRecords(db, invoice, line, timezone);
  if (line.kind === 'unit_fee') return unitFeeRecords(db, invoice, line, timezone);
  return energyRecords(db, invoice, line, timezone);
}

/** Why a fixed-fee line is what it is, in words (the `note` of its total record). */
export function unitFeeWhy(detail: UnitFeeLineDetail): string {
  const kwh = (wh: number) => `${(wh / 1000).toLocaleString('en-US', { minimumFractionDigits: 3, maximumFractionDigits: 3 })} kWh`;
  const parts = [
    `Fixed fee of ${formatMoney(detail.amountMinor, detail.currency)} for the period instead of energy, set by ${detail.setBy}`,
    `${detail.hoursWithoutPowerData} h without power data (no power reading and no nominal power: energy unknown)`,
    detail.hoursWithPowerData > 0 ? `${detail.hoursWithPowerData} h with power data (${kwh(detail.knownWhNotBilled)}) not billed as energy` : null,
    detail.note ? `note: ${detail.note}` : null,
  ];
  return parts.filter(Boolean).join('; ');
}

/**
 * A fixed-fee line's records: the unit's hours in the contracts' windows (in_line 0: listed to
 * show which had no power data, not billed per kWh), then the total with the fee and why.
 */
async function unitFeeRecords(db: Db, invoice: InvoiceRow, line: LineRow, timezone: string): Promise<EvidenceRecord[]> {
  const detail = parseDetail<UnitFeeLineDetail>(line);
  const from = Math.min(...detail.windows.map((w) => w[0]));
  const to = Math.max(...detail.windows.map((w) => w[1]));
  const rows = (
    await db.all<UsageSqlRow>(sql`
      SELECT ${usageColumns} FROM usage_hourly u
      WHERE u.host_id = ${invoice.hostId} AND u.customer_id = ${invoice.customerId} AND u.miner_id = ${detail.minerId}
        AND u.hour_start >= ${from} AND u.hour_start < ${to}
      ORDER BY u.hour_start`)
  ).filter((r) => detail.windows.some(([f, t]) => r.hour_start >= f && r.hour_start < t));
  const common = { invoice_number: invoice.number, line_id: line.id, line_kind: line.kind };
  return [
    ...rows.map((r) => usageRecord(r, common, detail.serial, timezone, false)),
    {
      record_type: 'total',
      ...common,
      unit_id: detail.minerId,
      unit_serial: detail.serial,
      currency: detail.currency,
      currency_exponent: currencyExponent(detail.currency),
      amount_minor: line.amountMinor,
      note: unitFeeWhy(detail),
    },
  ];
}

interface UsageSqlRow {
  miner_id: string;
  hour_start: number;
  site_id: string;
  customer_id: string | null;
  energy_wh: number;
  energy_source: string;
  avg_hashrate_mths: number;
  online_seconds: number;
  samples: number;
}

const usageColumns = sql.raw('u.miner_id, u.hour_start, u.site_id, u.customer_id, u.energy_wh, u.energy_source, u.avg_hashrate_mths, u.online_seconds, u.samples');

type LineCommon = Pick<EvidenceRecord, 'invoice_number' | 'line_id' | 'line_kind'>;

/** A usage row as an evidence record, before any billing or seal columns. */
function usageRecord(r: UsageSqlRow, common: LineCommon, serial: string | null, timezone: string, inLine: boolean): EvidenceRecord {
  return {
    record_type: 'usage',
    ...common,
    unit_id: r.miner_id,
    unit_serial: serial,
    site_id: r.site_id,
    customer_key: r.customer_id ?? '',
    hour_start_utc: new Date(r.hour_start).toISOString(),
    hour_start_host: isoInZone(r.hour_start, timezone),
    hour_start_ms: r.hour_start,
    energy_wh: r.energy_wh,
    energy_source: r.energy_source,
    avg_hashrate_mths: r.avg_hashrate_mths,
    online_seconds: r.online_seconds,
    samples: r.samples,
    in_line: inLine ? 1 : 0,
  };
}

/**
 * An energy line's records: the rows it bills (in_line 1: a unit of the line, an hour in
 * [fromMs, toMs), owned by the invoice's customer during that hour — the rule the generator bills
 * by), then the customer's other rows of every sealed (site, day) those rows or the line's cited
 * seals touch (in_line 0), so each seal can be re-derived; then the line's total.
 */
async function energyRecords(db: Db, invoice: InvoiceRow, line: LineRow, timezone: string): Promise<EvidenceRecord[]> {
  const detail = parseDetail<EnergyLineDetail>(line);
  const customerId = invoice.customerId;
  const units = new Map(detail.units.map((u) => [u.minerId, u]));
  const billed = await db.all<UsageSqlRow>(sql`
    SELECT ${usageColumns} FROM usage_hourly u
    WHERE u.host_id = ${invoice.hostId} AND u.customer_id = ${customerId}
      AND u.miner_id IN (SELECT value FROM json_each(${JSON.stringify([...units.keys()])}))
      AND u.hour_start >= ${detail.fromMs} AND u.hour_start < ${detail.toMs}`);

  const touched = new Map<string, { siteId: string; day: string }>();
  for (const r of billed) touched.set(`${r.site_id}\n${utcDayOf(r.hour_start)}`, { siteId: r.site_id, day: utcDayOf(r.hour_start) });
  for (const s of detail.seals) touched.set(`${s.siteId}\n${s.day}`, { siteId: s.siteId, day: s.day });
  const [sealed, seals] = await Promise.all([sealedSiteDays(db, invoice.hostId, [...touched.values()]), customerSeals(db, invoice.hostId, customerId, [...touched.values()])]);
  const sealedDays = [...touched.values()].filter((d) => sealed.has(`${d.siteId}\n${d.day}`));

  const others =
    sealedDays.length === 0
      ? []
      : await db.all<UsageSqlRow>(sql`
          SELECT ${usageColumns} FROM usage_hourly u
          JOIN json_each(${JSON.stringify(sealedDays.map((d) => [d.siteId, utcDayStartMs(d.day)]))}) j
            ON u.site_id = j.value ->> '$[0]' AND u.hour_start >= j.value ->> '$[1]' AND u.hour_start < (j.value ->> '$[1]') + ${DAY_MS}
          WHERE u.host_id = ${invoice.hostId} AND u.customer_id = ${customerId}`);
  const billedKeys = new Set(billed.map((r) => `${r.miner_id}\n${r.hour_start}`));
  const context = others.filter((r) => !billedKeys.has(`${r.miner_id}\n${r.hour_start}`));

  const serials = new Map<string, string | null>();
  const unknownSerial = [...new Set(context.map((r) => r.miner_id))].filter((id) => !units.has(id));
  if (unknownSerial.length > 0) {
    const rows = await db.select({ id: miners.id, serial: miners.serial }).from(miners).where(and(eq(miners.hostId, invoice.hostId), inIds(miners.id, unknownSerial))).all();
    for (const r of rows) serials.set(r.id, r.serial);
  }

  const exponent = currencyExponent(detail.currency);
  const common = { invoice_number: invoice.number, line_id: line.id, line_kind: line.kind };
  const record = (r: UsageSqlRow, inLine: boolean): EvidenceRecord => {
    const day = utcDayOf(r.hour_start);
    const seal = sealed.has(`${r.site_id}\n${day}`) ? seals.get(`${r.site_id}\n${day}`) : undefined;
    const unit = units.get(r.miner_id);
    const base: EvidenceRecord = {
      ...usageRecord(r, common, unit ? unit.serial : (serials.get(r.miner_id) ?? null), timezone, inLine),
      seal_format: seal ? SEAL_FORMAT : null,
      seal_day: seal ? day : null,
      seal_prev_hash: seal?.prevHash ?? null,
      seal_hash: seal?.hash ?? null,
    };
    if (!inLine || !unit) return base;
    const wh = billedWh(
      {
        minerId: r.miner_id,
        hourStart: r.hour_start,
        siteId: r.site_id,
        customerId: r.customer_id,
        energyWh: r.energy_wh,
        energySource: r.energy_source,
        avgHashrateMths: r.avg_hashrate_mths,
        onlineSeconds: r.online_seconds,
        samples: r.samples,
      },
      detail.kwhSource,
      unit,
      detail.efficiencyMjPerTh,
    );
    return {
      ...base,
      nominal_power_w: unit.nominalPowerW,
      efficiency_mj_per_th: detail.efficiencyMjPerTh,
      kwh_source: detail.kwhSource,
      billed_wh: wh,
      rate_micros_per_kwh: detail.rateMicrosPerKwh,
      amount_exact: wh === null ? null : exactAmountText(wh, detail.rateMicrosPerKwh),
      currency: detail.currency,
      currency_exponent: exponent,
    };
  };
  const order = (a: UsageSqlRow, b: UsageSqlRow) => a.hour_start - b.hour_start || (a.site_id < b.site_id ? -1 : a.site_id > b.site_id ? 1 : 0) || (a.miner_id < b.miner_id ? -1 : a.miner_id > b.miner_id ? 1 : 0);
  return [
    ...billed.sort(order).map((r) => record(r, true)),
    ...context.sort(order).map((r) => record(r, false)),
    {
      record_type: 'total',
      ...common,
      kwh_source: detail.kwhSource,
      billed_wh: line.energyWh,
      rate_micros_per_kwh: detail.rateMicrosPerKwh,
      currency: detail.currency,
      currency_exponent: exponent,
      amount_minor: line.amountMinor,
    },
  ];
}

/** An adjustment line's records: each adjustment it bills with the Wh it adds, then the total. */
async function adjustmentRecords(db: Db, invoice: InvoiceRow, line: LineRow, timezone: string): Promise<EvidenceRecord[]> {
  const detail = parseDetail<AdjustmentLineDetail>(line);
  const adjustments = (await adjustmentsByIds(db, invoice.hostId, detail.adjustmentIds)).filter((a) => a.customerId === invoice.customerId);
  const serialRows =
    adjustments.length === 0
      ? []
      : await db
          .select({ id: miners.id, serial: miners.serial })
          .from(miners)
          .where(and(eq(miners.hostId, invoice.hostId), inIds(miners.id, [...new Set(adjustments.map((a) => a.minerId))])))
          .all();
  const serials = new Map(serialRows.map((r) => [r.id, r.serial]));
  const exponent = currencyExponent(detail.currency);
  const common = { invoice_number: invoice.number, line_id: line.id, line_kind: line.kind };
  return [
    ...adjustments.map(
      (a): EvidenceRecord => ({
        record_type: 'adjustment',
        ...common,
        unit_id: a.minerId,
        unit_serial: serials.get(a.minerId) ?? null,
        site_id: a.siteId,
        customer_key: a.customerId ?? '',
        hour_start_utc: new Date(a.hourStart).toISOString(),
        hour_start_host: isoInZone(a.hourStart, timezone),
        hour_start_ms: a.hourStart,
        energy_source: a.energySource,
        kwh_source: 'metered',
        billed_wh: a.deltaWh,
        rate_micros_per_kwh: detail.rateMicrosPerKwh,
        amount_exact: exactAmountText(a.deltaWh, detail.rateMicrosPerKwh),
        currency: detail.currency,
        currency_exponent: exponent,
        in_line: 1,
        seal_day: utcDayOf(a.hourStart),
        adjustment_id: a.id,
        old_energy_wh: a.previousWh,
        new_energy_wh: a.newWh,
      }),
    ),
    {
      record_type: 'total',
      ...common,
      billed_wh: line.energyWh,
      rate_micros_per_kwh: detail.rateMicrosPerKwh,
      currency: detail.currency,
      currency_exponent: exponent,
      amount_minor: line.amountMinor,
    },
  ];
}
