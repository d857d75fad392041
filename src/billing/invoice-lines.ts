/**
 * From a customer's contracts and usage in one period to invoice lines (docs/BILLING.md,
 * "Invoice lines"). Pure: the facts are read by src/billing/invoices.ts; this file only does the
 * arithmetic, so every rule here is unit- and property-tested without a database.
 *
 * Rounding: each line's amount is rounded once, half up, from exact integers (money.ts); the
 * invoice total is the plain sum of the lines' amounts; tax is one line, rounded once from the
 * sum of the taxable lines. A customer's credit is not a line: it is allocated to the invoice
 * when it is issued, like a payment (src/billing/invoices.ts), so lines are always charges.
 */
import type { CONTRACT_KINDS, HOSTED_PRICING, INVOICE_LINE_KINDS } from '../db/schema';
import { minerIdent, unitLineName } from '../equipment/naming';
import type { AdjustmentLineDetail, EnergyLineDetail, KwhSource, UnitFeeLineDetail } from './energy';
import { energyAmountMinor, formatMoney, microsTimesMilliAmountMinor, microsToRateText, prorateMinor, taxMinor } from './money';
import { addDays, daysBetween, type BillingPeriod } from './periods';

export type LineKind = (typeof INVOICE_LINE_KINDS)[number];

export interface DraftLine {
  kind: LineKind;
  contractId: string | null;
  description: string;
  energyWh: number | null;
  kwhSource: KwhSource | null;
  rateMicros: number | null;
  unitCount: number | null;
  quantityText: string | null;
  amountMinor: number;
  taxable: boolean;
  detail: EnergyLineDetail | AdjustmentLineDetail | UnitFeeLineDetail | Record<string, unknown> | null;
}

/** A unit under a contract, with what its kWh and rate depend on. */
export interface ContractUnit {
  minerId: string;
  serial: string | null;
  mac: string | null;
  model?: string | null;
  siteId: string | null;
  nominalPowerW: number | null;
  /** The site's rate (host currency), null when the site has none. */
  siteRateMicrosPerKwh: number | null;
}

/** A unit's usage within the contract's window of the period: billed Wh (per-row rounded sum). */
export interface UnitUsage {
  minerId: string;
  /** Null when the source needs a value the unit lacks (spec without nominal power). */
  billedWh: number | null;
  rows: number;
  /** Hours of the window whose recorded energy is unknown (metered source only; they block the line). */
  unknownHours?: number;
  /** The recorded Wh of the hours whose energy is known (shown on a fixed-fee line: not billed). */
  knownWh?: number;
}

/** A fixed fee staff set for one unit in this period, instead of its energy (invoice_unit_fees). */
export interface UnitFee {
  minerId: string;
  amountMinor: number;
  currency: string;
  note: string | null;
  setBy: string;
  /** For messages: the unit's serial and MAC when known (`minerIdent`). */
  serial?: string | null;
  mac?: string | null;
}

/** A unit whose energy cannot be billed for lack of power data: what the fixed-fee choice lists. */
export interface BlockedUnit {
  minerId: string;
  serial: string | null;
  mac: string | null;
  model: string | null;
  /** Hours of the period without power data (unknown energy, or no nominal power under spec). */
  hours: number;
  contractNames: string[];
}

export interface ContractFacts {
  id: string;
  name: string;
  kind: (typeof CONTRACT_KINDS)[number];
  currency: string;
  startDate: string;
  endDate: string;
  pricing: (typeof HOSTED_PRICING)[number] | null;
  kwhSource: KwhSource | null;
  energyRateMicrosPerKwh: number | null;
  efficiencyMjPerTh: number | null;
  monthlyFeeMinor: number | null;
  infinityMths: number | null;
  priceMicrosPerThDay: number | null;
  setupFeeMinor: number;
  depositMinor: number;
  units: ContractUnit[];
  siteCount: number;
  /** Usage per unit in the contract's window (per-kWh contracts only). */
  usage: UnitUsage[];
  /** The window as UTC instants (what the energy evidence covers). */
  windowFromMs: number;
  windowToMs: number;
}

export interface AdjustmentFacts {
  contractId: string;
  rateMicrosPerKwh: number | null;
  ids: string[];
  deltaWh: number;
}

export interface InvoiceInput {
  customerId: string;
  period: BillingPeriod;
  currency: string;
  hostCurrency: string;
  hostDefaultRateMicrosPerKwh: number | null;
  tax: { label: string; rateBps: number } | null;
  contracts: ContractFacts[];
  adjustments: AdjustmentFacts[];
  /** Seals covering each site's UTC days of the period, and the days not sealed yet. */
  seals: { siteId: string; day: string; hash: string }[];
  unsealedDays: { siteId: string; day: string }[];
  /** Fixed fees for this customer and period (any currency: one not in the invoice's is a blocker). */
  unitFees?: UnitFee[];
}

export interface ComputedInvoice {
  lines: DraftLine[];
  subtotalMinor: number;
  taxMinor: number;
  totalMinor: number;
  /** Why parts of the period cannot be billed as they stand (shown in the preview; block issuing). */
  blockers: string[];
  /** The units among the blockers that have no power data: staff may bill them a fixed fee. */
  blockedUnits: BlockedUnit[];
}

/** Days of the period a contract covers: [max(start), min(end + 1 day)). */
export function coveredDays(period: BillingPeriod, startDate: string, endDate: string): number {
  const from = startDate > period.start ? startDate : period.start;
  const dayAfterEnd = addDays(endDate, 1);
  const to = dayAfterEnd < period.end ? dayAfterEnd : period.end;
  return Math.max(0, daysBetween(from, to));
}

const SOURCE_LABELS: Record<KwhSource, string> = { metered: 'metered', spec: 'nominal power x hours online', hashrate: 'J/TH x TH delivered' };

const kwhText = (wh: number) => {
  const whole = Math.trunc(wh / 1000);
  const rest = Math.abs(wh % 1000);
  return `${wh < 0 && whole === 0 ? '-' : ''}${whole.toLocaleString('en-US')}.${String(rest).padStart(3, '0')} kWh`;
};

const daysText = (days: number, periodDays: number) => (days === periodDays ? '1 month' : `${days}/${periodDays} days`);

/** The effective rate of a unit under a per-kWh contract, or null with the reason. */
function unitRate(contract: ContractFacts, unit: ContractUnit, input: InvoiceInput): number | null {
  if (contract.energyRateMicrosPerKwh !== null) return contract.energyRateMicrosPerKwh;
  // Site and host rates are in the host's currency: they only apply to contracts in it.
  if (contract.currency !== input.hostCurrency) return null;
  return unit.siteRateMicrosPerKwh ?? input.hostDefaultRateMicrosPerKwh;
}

export function computeInvoiceLines(input: InvoiceInput): ComputedInvoice {
  const { period, currency } = input;
  const lines: DraftLine[] = [];
  const blockers: string[] = [];
  const fees = new FeeTally(input, blockers);

  for (const contract of input.contracts) {
    const days = coveredDays(period, contract.startDate, contract.endDate);
    if (contract.currency !== currency) {
      blockers.push(`Contract "${contract.name}" is in ${contract.currency}, the invoice in ${currency}.`);
      continue;
    }
    if (days > 0) {
      if (contract.kind === 'hosted' && contract.pricing === 'per_kwh') {
        lines.push(...energyLines(contract, input, blockers, fees));
      } else if ((contract.kind === 'hosted' || contract.kind === 'lease') && contract.monthlyFeeMinor !== null) {
        const units = contract.units.length;
        if (units > 0) {
          const fee = contract.monthlyFeeMinor;
          lines.push({
            kind: contract.kind === 'lease' ? 'lease_fee' : 'fixed_fee',
            contractId: contract.id,
            description: `${contract.kind === 'lease' ? 'Lease' : 'Hosting'} — ${contract.name}`,
            energyWh: null,
            kwhSource: null,
            rateMicros: null,
            unitCount: units,
            quantityText: `${units} unit${units === 1 ? '' : 's'} x ${formatMoney(fee, currency)} x ${daysText(days, period.days)}`,
            amountMinor: prorateMinor(fee * units, days, period.days),
            taxable: true,
            detail: { units, monthlyFeeMinor: fee, days, periodDays: period.days },
          });
        }
      } else if (contract.kind === 'om' && contract.monthlyFeeMinor !== null) {
        lines.push({
          kind: 'om_fee',
          contractId: contract.id,
          description: `Operations and maintenance — ${contract.name}`,
          energyWh: null,
          kwhSource: null,
          rateMicros: null,
          unitCount: null,
          quantityText: `${contract.siteCount} site${contract.siteCount === 1 ? '' : 's'}, ${daysText(days, period.days)}`,
          amountMinor: prorateMinor(contract.monthlyFeeMinor, days, period.days),
          taxable: true,
          detail: { monthlyFeeMinor: contract.monthlyFeeMinor, days, periodDays: period.days, sites: contract.siteCount },
        });
      } else if (contract.kind === 'infinity' && contract.infinityMths !== null && contract.priceMicrosPerThDay !== null) {
        lines.push({
          kind: 'infinity',
          contractId: contract.id,
          description: `Hashrate — ${contract.name}`,
          energyWh: null,
          kwhSource: null,
          rateMicros: contract.priceMicrosPerThDay,
          unitCount: null,
          quantityText: `${contract.infinityMths / 1000} TH/s x ${days} days x ${microsToRateText(contract.priceMicrosPerThDay)} ${currency}/TH/day`,
          amountMinor: microsTimesMilliAmountMinor(contract.priceMicrosPerThDay, BigInt(contract.infinityMths) * BigInt(days), currency),
          taxable: true,
          detail: { infinityMths: contract.infinityMths, days, priceMicrosPerThDay: contract.priceMicrosPerThDay },
        });
      }
    }
    // One-off charges fall in the period that holds the contract's first day.
    if (contract.startDate >= period.start && contract.startDate < period.end) {
      if (contract.setupFeeMinor > 0) lines.push(oneOff(contract, 'Setup fee', contract.setupFeeMinor, true));
      if (contract.depositMinor > 0) lines.push(oneOff(contract, 'Deposit (refundable)', contract.depositMinor, false));
    }
  }

  lines.push(...fees.lines());

  for (const adjustment of input.adjustments) {
    if (adjustment.rateMicrosPerKwh === null) {
      blockers.push(`Late usage of ${kwhText(adjustment.deltaWh)} has no rate to bill it at.`);
      continue;
    }
    lines.push({
      kind: 'adjustment',
      contractId: adjustment.contractId,
      description: 'Adjustment — usage reported after its day was sealed',
      energyWh: adjustment.deltaWh,
      kwhSource: 'metered',
      rateMicros: adjustment.rateMicrosPerKwh,
      unitCount: null,
      quantityText: `${kwhText(adjustment.deltaWh)} x ${microsToRateText(adjustment.rateMicrosPerKwh)} ${currency}/kWh`,
      amountMinor: energyAmountMinor(adjustment.deltaWh, adjustment.rateMicrosPerKwh, currency),
      taxable: true,
      detail: { v: 1, customerId: input.customerId, contractId: adjustment.contractId, rateMicrosPerKwh: adjustment.rateMicrosPerKwh, currency, adjustmentIds: adjustment.ids } satisfies AdjustmentLineDetail,
    });
  }

  const chargesMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0);
  const taxableMinor = lines.filter((line) => line.taxable).reduce((sum, line) => sum + line.amountMinor, 0);
  let tax = 0;
  if (input.tax && taxableMinor > 0) {
    tax = taxMinor(taxableMinor, input.tax.rateBps);
    lines.push({
      kind: 'tax',
      contractId: null,
      description: `${input.tax.label} (${input.tax.rateBps / 100}%)`,
      energyWh: null,
      kwhSource: null,
      rateMicros: null,
      unitCount: null,
      quantityText: `${input.tax.rateBps / 100}% of ${formatMoney(taxableMinor, currency)}`,
      amountMinor: tax,
      taxable: false,
      detail: { taxableMinor, rateBps: input.tax.rateBps },
    });
  }

  const totalMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0);
  return { lines, subtotalMinor: chargesMinor, taxMinor: tax, totalMinor, blockers, blockedUnits: fees.blocked() };
}

const hoursText = (hours: number) => `${hours.toLocaleString('en-US')} h`;

/**
 * Units billed a fixed fee instead of energy, and units blocked for lack of power data. A fee
 * replaces the unit's energy for the whole period (docs/BILLING.md): its known hours are not
 * billed as energy either, so a unit is never billed twice, and its line says how many hours had
 * no power data. One line per unit, however many of the customer's contracts it ran under.
 */
class FeeTally {
  private readonly fees = new Map<string, UnitFee>();
  private readonly billed = new Map<string, { unit: ContractUnit; contracts: ContractFacts[]; hours: number; knownHours: number; knownWh: number; windows: [number, number][] }>();
  private readonly blockedUnits = new Map<string, BlockedUnit>();

  constructor(
    private readonly input: InvoiceInput,
    blockers: string[],
  ) {
    for (const fee of input.unitFees ?? []) {
      if (fee.currency !== input.currency) {
        blockers.push(`The fixed fee for unit ${minerIdent({ minerId: fee.minerId, serial: fee.serial ?? null, mac: fee.mac ?? null })} is in ${fee.currency}, the invoice in ${input.currency}: set it again in ${input.currency}.`);
        continue;
      }
      this.fees.set(fee.minerId, fee);
    }
  }

  /** True when the unit is billed a fee (its usage is then not billed as energy). */
  take(contract: ContractFacts, unit: ContractUnit, used: UnitUsage, hoursWithoutData: number): boolean {
    if (!this.fees.has(unit.minerId)) return false;
    const entry = this.billed.get(unit.minerId) ?? { unit, contracts: [], hours: 0, knownHours: 0, knownWh: 0, windows: [] };
    entry.contracts.push(contract);
    entry.hours += hoursWithoutData;
    entry.knownHours += used.rows - hoursWithoutData;
    entry.knownWh += used.knownWh ?? used.billedWh ?? 0;
    entry.windows.push([contract.windowFromMs, contract.windowToMs]);
    this.billed.set(unit.minerId, entry);
    return true;
  }

  block(contract: ContractFacts, unit: ContractUnit, hours: number) {
    const entry = this.blockedUnits.get(unit.minerId) ?? { minerId: unit.minerId, serial: unit.serial, mac: unit.mac, model: unit.model ?? null, hours: 0, contractNames: [] };
    entry.hours += hours;
    if (!entry.contractNames.includes(contract.name)) entry.contractNames.push(contract.name);
    this.blockedUnits.set(unit.minerId, entry);
  }

  blocked(): BlockedUnit[] {
    return [...this.blockedUnits.values()].sort((a, b) => (a.serial ?? '').localeCompare(b.serial ?? '') || a.minerId.localeCompare(b.minerId));
  }

  lines(): DraftLine[] {
    const { currency, customerId, period } = this.input;
    const bySerial = [...this.billed.values()].sort((a, b) => (a.unit.serial ?? '').localeCompare(b.unit.serial ?? '') || a.unit.minerId.localeCompare(b.unit.minerId));
    return bySerial.map(({ unit, contracts, hours, knownHours, knownWh, windows }) => {
      const fee = this.fees.get(unit.minerId)!;
      const name = unitLineName({ ...unit, model: unit.model ?? null });
      const why = hours > 0 ? `no power data for ${hoursText(hours)}` : 'set for the period';
      const detail: UnitFeeLineDetail = {
        v: 1,
        customerId,
        periodKey: period.key,
        contractIds: contracts.map((c) => c.id),
        minerId: unit.minerId,
        serial: unit.serial,
        model: unit.model ?? null,
        siteId: unit.siteId,
        currency,
        amountMinor: fee.amountMinor,
        hoursWithoutPowerData: hours,
        hoursWithPowerData: knownHours,
        knownWhNotBilled: knownWh,
        windows,
        note: fee.note,
        setBy: fee.setBy,
      };
      return {
        kind: 'unit_fee' as const,
        contractId: contracts[0]!.id,
        description: `${name} — fixed fee, ${why}`,
        energyWh: null,
        kwhSource: null,
        rateMicros: null,
        unitCount: 1,
        quantityText: `1 unit x ${formatMoney(fee.amountMinor, currency)} for the period, instead of energy (${hoursText(hours)} without power data${knownHours > 0 ? `, ${hoursText(knownHours)} with ${kwhText(knownWh)} not billed` : ''})`,
        amountMinor: fee.amountMinor,
        taxable: true,
        detail,
      };
    });
  }
}

function oneOff(contract: ContractFacts, label: string, amountMinor: number, taxable: boolean): DraftLine {
  return {
    kind: 'setup_fee',
    contractId: contract.id,
    description: `${label} — ${contract.name}`,
    energyWh: null,
    kwhSource: null,
    rateMicros: null,
    unitCount: null,
    quantityText: null,
    amountMinor,
    taxable,
    detail: null,
  };
}

/** One energy line per distinct rate among the contract's units (a contract across sites with different rates). */
function energyLines(contract: ContractFacts, input: InvoiceInput, blockers: string[], fees: FeeTally): DraftLine[] {
  const source = contract.kwhSource ?? 'metered';
  const usage = new Map(contract.usage.map((u) => [u.minerId, u]));
  const byRate = new Map<number, { units: ContractUnit[]; wh: number }>();
  for (const unit of contract.units) {
    const used = usage.get(unit.minerId);
    if (!used || used.rows === 0) continue;
    // Hours without power data: unknown energy (metered), or every hour when spec kWh lack a nominal power.
    const withoutData = used.billedWh === null ? ((used.unknownHours ?? 0) > 0 ? used.unknownHours! : source === 'spec' ? used.rows : 0) : (used.unknownHours ?? 0);
    if (fees.take(contract, unit, used, withoutData)) continue;
    if (used.billedWh === null && (used.unknownHours ?? 0) > 0) {
      const hours = used.unknownHours!;
      fees.block(contract, unit, hours);
      blockers.push(
        `Unit ${minerIdent(unit)} has ${hours} hour${hours === 1 ? '' : 's'} with unknown energy (no power reading and no nominal power) (contract "${contract.name}"): set its spec and recompute, or bill it a fixed fee.`,
      );
      continue;
    }
    if (used.billedWh === null) {
      if (source === 'spec') fees.block(contract, unit, used.rows);
      blockers.push(`Unit ${minerIdent(unit)} has no nominal power, so its ${SOURCE_LABELS[source]} kWh are unknown (contract "${contract.name}").`);
      continue;
    }
    const rate = unitRate(contract, unit, input);
    if (rate === null) {
      blockers.push(`Unit ${minerIdent(unit)} has no energy rate in ${contract.currency} (contract "${contract.name}"): set one on the contract.`);
      continue;
    }
    const group = byRate.get(rate) ?? { units: [], wh: 0 };
    group.units.push(unit);
    group.wh += used.billedWh;
    byRate.set(rate, group);
  }
  const sealsFor = (siteIds: Set<string | null>) => ({
    seals: input.seals.filter((s) => siteIds.has(s.siteId)),
    unsealedDays: input.unsealedDays.filter((s) => siteIds.has(s.siteId)),
  });
  return [...byRate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([rate, group]) => {
      const siteIds = new Set(group.units.map((u) => u.siteId));
      const detail: EnergyLineDetail = {
        v: 1,
        customerId: input.customerId,
        contractId: contract.id,
        kwhSource: source,
        rateMicrosPerKwh: rate,
        currency: contract.currency,
        efficiencyMjPerTh: contract.efficiencyMjPerTh,
        fromMs: contract.windowFromMs,
        toMs: contract.windowToMs,
        units: group.units.map((u) => ({ minerId: u.minerId, serial: u.serial, siteId: u.siteId, nominalPowerW: u.nominalPowerW })),
        ...sealsFor(siteIds),
      };
      return {
        kind: 'energy' as const,
        contractId: contract.id,
        description: `Energy — ${contract.name} (${SOURCE_LABELS[source]})`,
        energyWh: group.wh,
        kwhSource: source,
        rateMicros: rate,
        unitCount: group.units.length,
        quantityText: `${kwhText(group.wh)} x ${microsToRateText(rate)} ${contract.currency}/kWh, ${group.units.length} unit${group.units.length === 1 ? '' : 's'}`,
        amountMinor: energyAmountMinor(group.wh, rate, contract.currency),
        taxable: true,
        detail,
      };
    });
}
