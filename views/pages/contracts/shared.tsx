import { h } from '#jsx';
import { formatMoney, microsToRateText } from '../../../src/billing/money';
import { KIND_LABELS, type ContractKind } from '../../../src/contracts/schema';
import type { ContractStatus, ContractSummary } from '../../../src/contracts/service';

export const STATUS_LABELS: Record<ContractStatus, string> = {
  draft: 'Draft',
  active: 'Active',
  expired: 'Expired',
  terminated: 'Terminated',
};

export function ContractStatusBadge(props: { status: ContractStatus }) {
  return <span class={`badge badge-contract-${props.status}`}>{STATUS_LABELS[props.status]}</span>;
}

export const kindLabel = (kind: ContractKind) => KIND_LABELS[kind];

/** "Hosted · per kWh (metered)" — the type as staff read it. */
export function pricingText(contract: Pick<ContractSummary, 'kind' | 'pricing' | 'kwhSource'>): string {
  if (contract.kind !== 'hosted') return KIND_LABELS[contract.kind];
  if (contract.pricing === 'fixed_per_unit') return 'Hosted · fixed fee per unit';
  return `Hosted · per kWh (${contract.kwhSource ?? 'metered'})`;
}

export function equipmentText(contract: Pick<ContractSummary, 'kind' | 'unitCount' | 'siteCount'>): string {
  if (contract.kind === 'infinity') return '—';
  if (contract.kind === 'om') return contract.siteCount === 1 ? '1 site' : `${contract.siteCount} sites`;
  return contract.unitCount === 1 ? '1 unit' : `${contract.unitCount.toLocaleString('en-US')} units`;
}

export function monthlyValueText(contract: ContractSummary): string {
  if (contract.monthlyValueMinor === null) {
    if (contract.kind === 'hosted' && contract.pricing === 'per_kwh') {
      return contract.energyRateMicrosPerKwh === null ? 'Usage × site rate' : `Usage × ${microsToRateText(contract.energyRateMicrosPerKwh)}/kWh`;
    }
    return '—';
  }
  return formatMoney(contract.monthlyValueMinor, contract.currency);
}

export const contractHref = (customerId: string, contractId: string, rest = '') => `/admin/customers/${customerId}/contracts/${contractId}${rest}`;
