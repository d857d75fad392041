import { money } from '../billing/money';
import type { ContractDetail, ContractSummary } from './service';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A contract as the JSON API shows it (docs/API.md, "Contracts"): money as
 * `{ amount_minor, currency }`, rates as integer micro-units, hashrate and efficiency as integer
 * milli-units, dates as ISO calendar dates in the host's time zone.
 */
export function toApiContract(contract: ContractSummary | ContractDetail) {
  const amount = (minor: number | null) => (minor === null ? null : money(minor, contract.currency));
  return {
    id: contract.id,
    customer_id: contract.customerId,
    customer_name: contract.customerName,
    kind: contract.kind,
    status: contract.status,
    name: contract.name,
    currency: contract.currency,
    start_date: contract.startDate,
    term_months: contract.termMonths,
    end_date: contract.endDate,
    auto_renew: contract.autoRenew,
    renewal_notice_days: contract.renewalNoticeDays,
    pricing: contract.pricing,
    kwh_source: contract.kwhSource,
    energy_rate_micros_per_kwh: contract.energyRateMicrosPerKwh,
    efficiency_mj_per_th: contract.efficiencyMjPerTh,
    monthly_fee: amount(contract.monthlyFeeMinor),
    infinity_mths: contract.infinityMths,
    price_micros_per_th_day: contract.priceMicrosPerThDay,
    setup_fee: money(contract.setupFeeMinor, contract.currency),
    deposit: money(contract.depositMinor, contract.currency),
    monthly_value: amount(contract.monthlyValueMinor),
    extensions: contract.extensions,
    unit_count: contract.unitCount,
    site_count: contract.siteCount,
    ...('units' in contract ? { miner_ids: contract.units.map((u) => u.id), site_ids: contract.sites.map((s) => s.id) } : {}),
    notes: contract.notes,
    activated_at: iso(contract.activatedAt),
    ended_at: iso(contract.endedAt),
    end_reason: contract.endReason,
    created_at: iso(contract.createdAt),
    updated_at: iso(contract.updatedAt),
  };
}
