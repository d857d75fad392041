/** Invoices as the JSON API shows them: money as { amount_minor, currency }, energy as integer Wh. */
import type { InvoiceDetail, InvoiceListItem, InvoiceLineRow, InvoiceRow } from './invoices';
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
