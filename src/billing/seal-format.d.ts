/** Types of seal-format.js (plain JavaScript so the offline verifier runs it without a TypeScript loader). */

export type KwhSourceName = 'metered' | 'spec' | 'hashrate';

/** The usage_hourly columns a seal covers. */
export interface SealRow {
  minerId: string;
  hourStart: number;
  /** Null when the hour's energy is unknown (source `unknown`). */
  energyWh: number | null;
  energySource: string;
  avgHashrateMths: number;
  onlineSeconds: number;
  samples: number;
}

export interface SealInput {
  siteId: string;
  /** The rows' customer id, or '' for rows of unassigned units. */
  customerKey: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  prevHash: string;
  rows: readonly SealRow[];
}

export const SEAL_FORMAT: 'hashyard-usage-seal-v1';
export const GENESIS_HASH: string;
export function utcDayOf(ms: number): string;
export function utcDayStartMs(day: string): number;
export function nextUtcDay(day: string): string;
export function canonicalSealText(input: SealInput): string;
export function sealHash(input: SealInput): Promise<string>;
export function recomputeBilledWh(
  source: KwhSourceName,
  row: { energyWh: number; onlineSeconds: number; avgHashrateMths: number },
  nominalPowerW: number | null,
  efficiencyMjPerTh: number | null,
): number | null;
export function exactAmountText(energyWh: number, rateMicrosPerKwh: number): string;
export function recomputeAmountMinor(energyWh: number | bigint, rateMicrosPerKwh: number, exponent: number): number;

export const EVIDENCE_COLUMNS: readonly [
  'record_type',
  'invoice_number',
  'line_id',
  'line_kind',
  'unit_id',
  'unit_serial',
  'site_id',
  'customer_key',
  'hour_start_utc',
  'hour_start_host',
  'hour_start_ms',
  'energy_wh',
  'energy_source',
  'avg_hashrate_mths',
  'online_seconds',
  'samples',
  'nominal_power_w',
  'efficiency_mj_per_th',
  'kwh_source',
  'billed_wh',
  'rate_micros_per_kwh',
  'amount_exact',
  'currency',
  'currency_exponent',
  'in_line',
  'seal_format',
  'seal_day',
  'seal_prev_hash',
  'seal_hash',
  'adjustment_id',
  'old_energy_wh',
  'new_energy_wh',
  'amount_minor',
  'note',
];
export type EvidenceColumn = (typeof EVIDENCE_COLUMNS)[number];
export type EvidenceRecord = Partial<Record<EvidenceColumn, string | number | null>>;

export function csvCell(value: string | number | boolean | null | undefined): string;
export function evidenceCsvRecord(record: EvidenceRecord): string;
export function evidenceCsvHeader(): string;
export function parseCsv(text: string): string[][];

export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}
export interface VerifyReport {
  ok: boolean;
  checks: VerifyCheck[];
}
export function verifyEvidence(csvText: string): Promise<VerifyReport>;
