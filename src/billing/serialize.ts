/** Invoices as the JSON API shows them: money as { amount_minor, currency }, energy as integer Wh. */
import { minerIdent } from '../equipment/naming';
import type { InvoiceDetail, InvoiceListItem, InvoiceLineRow, InvoicePreview, InvoiceRow } from './invoices';
import { money } from './money';

export function toApiInvoice(invoice: InvoiceRow | (InvoiceListItem & Partial<InvoiceRow>), customerName?: string) {
  return {
    id: invoice.id,
    number: invoice.number,
    customer_id: invoice.customerId,
    ...(customerName !== undefined ? { customer_name: customerName } : 'customerName' in invoice ? { customer_name: invoice.customerName } : {}),
    period: invoice.periodKey,
    period_start: 'periodStart' in invoice ? invoice.periodStart : undefined,
    period_end: 'periodEnd' in invoice ? invoice.periodEnd : undefined,
    status: invoice.status,
    held: invoice.held,
    issued_on: invoice.issuedOn,
    due_on: invoice.dueOn,
    total: money(invoice.totalMinor, invoice.currency),
    paid: money(invoice.paidMinor, invoice.currency),
    balance: money(invoice.status === 'void' ? 0 : invoice.totalMinor - invoice.paidMinor, invoice.currency),
    ...('subtotalMinor' in invoice && invoice.subtotalMinor !== undefined
      ? { subtotal: money(invoice.subtotalMinor, invoice.currency), tax: money(invoice.taxMinor!, invoice.currency) }
      : {}),
    ...('voidReason' in invoice ? { void_reason: invoice.voidReason ?? null, replaces_invoice_id: invoice.replacesInvoiceId ?? null } : {}),
  };
}

export function toApiLine(line: InvoiceLineRow, currency: string) {
  return {
    id: line.id,
    position: line.position,
    kind: line.kind,
    contract_id: line.contractId,
    description: line.description,
    quantity: line.quantityText,
    energy_wh: line.energyWh,
    kwh_source: line.kwhSource,
    rate_micros_per_kwh: line.kind === 'energy' || line.kind === 'adjustment' ? line.rateMicros : null,
    unit_count: line.unitCount,
    amount: money(line.amountMinor, currency),
    taxable: line.taxable,
  };
}

export const toApiInvoiceDetail = (detail: InvoiceDetail) => ({
  ...toApiInvoice(detail.invoice, detail.customer.name),
  lines: detail.lines.map((l) => toApiLine(l, detail.invoice.currency)),
  allocations: detail.allocations.map((a) => ({
    id: a.id,
    amount: money(a.amountMinor, detail.invoice.currency),
    payment_id: a.paymentId,
    credit_id: a.creditId,
    created_at: new Date(a.createdAt).toISOString(),
  })),
});

/**
 * A period's units without power data and their fixed fees (docs/API.md, "Fixed fees for units
 * without power data"): what the preview's fee section shows, and the period's draft, which a fee
 * change regenerates under its own id (`draftWriteStatements`).
 */
export const toApiUnitFees = (preview: InvoicePreview) => ({
  customer_id: preview.customer.id,
  period: preview.period.key,
  currency: preview.currency,
  draft_invoice_id: preview.existing?.status === 'draft' ? preview.existing.id : null,
  blocked_units: preview.blockedUnits.map((u) => ({ miner_id: u.minerId, unit: minerIdent(u), model: u.model, hours_without_power_data: u.hours, contracts: u.contractNames })),
  unit_fees: preview.unitFees.map((f) => ({ miner_id: f.minerId, unit: minerIdent(f), model: f.model, fee: money(f.amountMinor, f.currency), note: f.note, set_by: f.setBy, updated_at: new Date(f.updatedAt).toISOString() })),
  blockers: preview.blockers,
});
