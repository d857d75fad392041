/**
 * Billed Wh of one usage_hourly row under a contract's kWh source (docs/BILLING.md, "kWh
 * sources"). Shared by invoice generation, the Usage tab and the evidence CSV, so a line, its
 * evidence and the usage page can never disagree. Each row's Wh is an integer, rounded half up
 * once here; a line's Wh is the plain sum of its rows.
 */
import type { KWH_SOURCES } from '../db/schema';
import { divideRoundHalfUp } from './money';

export type KwhSource = (typeof KWH_SOURCES)[number];

/** The usage_hourly columns billing reads. */
export interface UsageRow {
  minerId: string;
  hourStart: number;
  siteId: string;
  customerId: string | null;
  /** Null when the hour's energy is unknown (source `unknown`). */
  energyWh: number | null;
  energySource: string;
  avgHashrateMths: number;
  onlineSeconds: number;
  samples: number;
}

/** What a unit contributes to its kWh beyond the row: its nominal power (spec source). */
export interface UnitEnergyParams {
  nominalPowerW: number | null;
}

/**
 * metered: the row's recorded Wh (PDU, miner-reported, spec or interpolated, as the row says),
 * null when the row's energy is unknown;
 * spec: nominal W x seconds online / 3600;
 * hashrate: J/TH x TH/s delivered x seconds online / 3600, with J/TH in milli-J/TH and TH/s in
 * milli-TH/s, so Wh = mJ/TH x mTH/s x s / 3.6e9.
 * Null when the source needs a value the unit does not have (spec without nominal power, or
 * hashrate without the contract's efficiency): never a silent 0.
 */
export function billedWh(row: UsageRow, source: KwhSource, unit: UnitEnergyParams, efficiencyMjPerTh: number | null): number | null {
  switch (source) {
    case 'metered':
      return row.energyWh;
    case 'spec':
      if (unit.nominalPowerW === null) return null;
      return Number(divideRoundHalfUp(BigInt(unit.nominalPowerW) * BigInt(row.onlineSeconds), 3_600n));
    case 'hashrate':
      if (efficiencyMjPerTh === null) return null;
      return Number(divideRoundHalfUp(BigInt(efficiencyMjPerTh) * BigInt(row.avgHashrateMths) * BigInt(row.onlineSeconds), 3_600_000_000n));
  }
}

/**
 * What an energy invoice line stores in invoice_lines.detail (JSON), enough to rebuild its
 * evidence and recompute it: the units, the window, the source and the rate.
 */
export interface EnergyLineDetail {
  v: 1;
  customerId: string;
  contractId: string;
  kwhSource: KwhSource;
  rateMicrosPerKwh: number;
  currency: string;
  efficiencyMjPerTh: number | null;
  /** Usage hours starting in [fromMs, toMs) are billed (the period within the contract's dates). */
  fromMs: number;
  toMs: number;
  units: { minerId: string; serial: string | null; siteId: string | null; nominalPowerW: number | null }[];
  /** Seals covering the window: (site, UTC day) → hash; days not yet sealed are listed in `unsealedDays`. */
  seals: { siteId: string; day: string; hash: string }[];
  unsealedDays: { siteId: string; day: string }[];
}

/** An adjustment line's detail: the usage_adjustments rows it bills, at the contract's rate. */
export interface AdjustmentLineDetail {
  v: 1;
  customerId: string;
  contractId: string;
  rateMicrosPerKwh: number;
  currency: string;
  adjustmentIds: string[];
}

/**
 * A fixed-fee line's detail (kind `unit_fee`): the unit billed a fee for the period instead of its
 * energy, why (hours without power data), and the known energy the fee replaces, not billed.
 */
export interface UnitFeeLineDetail {
  v: 1;
  customerId: string;
  periodKey: string;
  /** The per-kWh contracts the unit ran under in the period (the line names the first). */
  contractIds: string[];
  minerId: string;
  serial: string | null;
  model: string | null;
  siteId: string | null;
  currency: string;
  amountMinor: number;
  hoursWithoutPowerData: number;
  hoursWithPowerData: number;
  knownWhNotBilled: number;
  /** The contracts' windows [fromMs, toMs): the hours the fee covers. */
  windows: [number, number][];
  note: string | null;
  setBy: string;
}
