import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import { creditKindLabel, type CustomerFinancials, type FinancialInvoice } from '../../../src/billing/financials';
import { formatMoney, minorToDecimalText } from '../../../src/billing/money';
import { MANUAL_CREDIT_KINDS, CREDIT_KIND_LABELS, PAYMENT_METHOD_LABELS } from '../../../src/billing/payment-schema';
import { PAYMENT_METHODS } from '../../../src/billing/payment-schema';
import type { FieldErrors } from '../../../src/lib/errors';
import { AgingTable, InvoiceHistoryTable, Money, PaymentHistoryTable, PrefixedField } from '../../components/billing';
import { Card, EmptyState, FormErrorSummary } from '../../components/form';
import { TableWrap } from '../../components/table';
import { Time } from '../../components/time';

export interface PaymentFormValues {
  method: string;
  amount: string;
  received_on: string;
  reference: string;
  invoice_id: string;
  notes: string;
}
export interface CreditFormValues {
  kind: string;
  amount: string;
  reason: string;
}
export interface ApplyCreditFormValues {
  invoice_id: string;
  amount: string;
}

export type FinancialsForms = {
  payment?: { values: PaymentFormValues; errors: FieldErrors };
  credit?: { values: CreditFormValues; errors: FieldErrors };
  apply?: { values: ApplyCreditFormValues; errors: FieldErrors };
};

export const NOTICES: Record<string, string> = {
  payment: 'Payment recorded.',
  credit: 'Credit added.',
  applied: 'Credit applied to the invoice.',
};

const invoiceLabel = (invoice: FinancialInvoice) =>
  `${invoice.number ?? `Draft ${invoice.periodKey}`} · due ${invoice.dueOn ?? '—'} · balance ${formatMoney(invoice.balanceMinor, invoice.currency)}`;

export const InvoiceLink = (props: { id: string; number: string | null; periodKey: string; href: string }) => (
  <a href={props.href}>{props.number ?? `Draft (${props.periodKey})`}</a>
);

/** A form's final button behind a confirmation that says what will happen (no JavaScript). */
function ConfirmSubmit(props: { label: string; consequence: Child; confirmLabel: string }) {
  return (
    <details class="confirm">
      <summary class="btn btn-primary">{props.label}</summary>
      <div class="confirm-body">
        <p>{props.consequence}</p>
        <button type="submit" class="btn btn-primary">
          {props.confirmLabel}
        </button>
      </div>
    </details>
  );
}

export function FinancialsPanel(props: {
  customerId: string;
  customerCurrency: string;
  financials: CustomerFinancials;
  timezone: string;
  forms?: FinancialsForms;
  notice?: string;
}) {
  const { financials: f, customerId } = props;
  const base = `/admin/customers/${customerId}/financials`;
  const positions = f.positions.length > 0 ? f.positions : [{ currency: props.customerCurrency, outstandingMinor: 0, overdueMinor: 0, creditMinor: 0, aging: { current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90_plus: 0 } }];
  const hasCredit = f.positions.some((p) => p.creditMinor > 0);
  const paymentForm = props.forms?.payment ?? {
    values: { method: 'wire', amount: '', received_on: f.today, reference: '', invoice_id: '', notes: '' },
    errors: {},
  };
  const creditForm = props.forms?.credit ?? { values: { kind: 'manual', amount: '', reason: '' }, errors: {} };
  const applyForm = props.forms?.apply ?? { values: { invoice_id: f.openInvoices[0]?.id ?? '', amount: '' }, errors: {} };
  const invoiceOptions = f.openInvoices.map((i) => [i.id, invoiceLabel(i)] as const);
  return (
    <div data-testid="financials">
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <div class="summary-cards">
        {positions.map((p) => (
          <>
            <div class="summary-card">
              <span class="summary-label">Balance{positions.length > 1 ? ` (${p.currency})` : ''}</span>
              <span class="summary-value" data-testid={`balance-${p.currency}`}>
                <Money minor={p.outstandingMinor} currency={p.currency} />
              </span>
              <span class="summary-unit">owed on open invoices</span>
            </div>
            <div class="summary-card">
              <span class="summary-label">Overdue{positions.length > 1 ? ` (${p.currency})` : ''}</span>
              <span class="summary-value" data-testid={`overdue-${p.currency}`}>
                <Money minor={p.overdueMinor} currency={p.currency} />
              </span>
              <span class="summary-unit">past the due date</span>
            </div>
            <div class="summary-card">
              <span class="summary-label">Available credit{positions.length > 1 ? ` (${p.currency})` : ''}</span>
              <span class="summary-value" data-testid={`credit-${p.currency}`}>
                <Money minor={p.creditMinor} currency={p.currency} />
              </span>
              <span class="summary-unit">applied to the next invoice</span>
            </div>
          </>
        ))}
      </div>

      <Card title="Aging">
        <p class="muted small">Open balances by whole days past the due date, in your time zone (today is {f.today}).</p>
        <AgingTable positions={positions} />
      </Card>

      <Card title="Invoices">
        <p>
          <a class="btn btn-small" href={`${base}/invoices.csv`} download>
            Export invoices (CSV)
          </a>
        </p>
        {f.invoices.length === 0 ? (
          <EmptyState title="No invoices yet">
            <p>Invoices appear here once they are generated for this customer.</p>
          </EmptyState>
        ) : (
          <InvoiceHistoryTable invoices={f.invoices} label="Invoices" testId="invoices" invoiceHref={(id) => `/admin/invoices/${id}`} staff />
        )}
      </Card>

      <Card title="Payments">
        <p>
          <a class="btn btn-small" href={`${base}/payments.csv`} download>
            Export payments (CSV)
          </a>
        </p>
        {f.payments.length === 0 ? (
          <EmptyState title="No payments recorded">
            <p>Payments you record below are listed here with the invoices they paid.</p>
          </EmptyState>
        ) : (
          <PaymentHistoryTable payments={f.payments} label="Payments" testId="payments" invoiceHref={(id) => `/admin/invoices/${id}`} staff />
        )}
      </Card>

      <Card title="Credit">
        {f.credits.length === 0 ? (
          <p class="muted">No credit. An over-payment, a manual credit or an adjustment adds credit here.</p>
        ) : (
          <TableWrap label="Credit" wide>
            <table class="table table-compact" data-testid="credits">
              <thead>
                <tr>
                  <th scope="col">Added</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Reason</th>
                  <th scope="col" class="num">
                    Amount
                  </th>
                  <th scope="col" class="num">
                    Remaining
                  </th>
                  <th scope="col">Applied to</th>
                </tr>
              </thead>
              <tbody>
                {f.credits.map((credit) => (
                  <tr>
                    <td>
                      <Time ms={credit.createdAt} timezone={props.timezone} dateOnly />
                    </td>
                    <td>{creditKindLabel(credit.kind)}</td>
                    <td class="notes">{credit.reason}</td>
                    <td class="num">
                      <Money minor={credit.amountMinor} currency={credit.currency} />
                    </td>
                    <td class="num">
                      <Money minor={credit.remainingMinor} currency={credit.currency} />
                    </td>
                    <td>
                      {credit.allocations.map((a) => (
                        <div>
                          <InvoiceLink id={a.invoiceId} number={a.invoiceNumber} periodKey="" href={`/admin/invoices/${a.invoiceId}`} />:{' '}
                          <Money minor={a.amountMinor} currency={credit.currency} />
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Card>

      <div class="panel-grid">
        <Card title="Record a payment">
          <form method="post" action={`${base}/payments`} id="record-payment" novalidate>
            <FormErrorSummary errors={paymentForm.errors} />
            <PrefixedField
              prefix="pay"
              label="Method"
              name="method"
              required
              value={paymentForm.values.method}
              errors={paymentForm.errors}
              options={PAYMENT_METHODS.map((m) => [m, PAYMENT_METHOD_LABELS[m]] as const)}
            />
            <PrefixedField
              prefix="pay"
              label={`Amount (${props.customerCurrency})`}
              name="amount"
              required
              inputmode="decimal"
              value={paymentForm.values.amount}
              errors={paymentForm.errors}
              hint={`In the invoice's currency, like ${minorToDecimalText(125000, props.customerCurrency)}.`}
            />
            <PrefixedField prefix="pay" label="Received on" name="received_on" type="date" required value={paymentForm.values.received_on} errors={paymentForm.errors} />
            <PrefixedField
              prefix="pay"
              label="Reference"
              name="reference"
              maxlength={200}
              value={paymentForm.values.reference}
              errors={paymentForm.errors}
              hint="Bank reference, card receipt, or the transaction id (required for crypto)."
            />
            <PrefixedField
              prefix="pay"
              label="Apply to"
              name="invoice_id"
              value={paymentForm.values.invoice_id}
              errors={paymentForm.errors}
              options={[['', 'Oldest open invoice first'] as const, ...invoiceOptions]}
              hint="Anything beyond the balance becomes credit."
            />
            <PrefixedField prefix="pay" label="Notes" name="notes" textarea maxlength={2000} value={paymentForm.values.notes} errors={paymentForm.errors} />
            <ConfirmSubmit
              label="Record payment…"
              consequence="This records the payment and applies it to the invoice chosen (or the oldest open ones); any excess becomes credit. It is logged in Activity."
              confirmLabel="Confirm: record payment"
            />
          </form>
        </Card>

        <Card title="Add credit or adjustment">
          <form method="post" action={`${base}/credits`} id="add-credit" novalidate>
            <FormErrorSummary errors={creditForm.errors} />
            <PrefixedField
              prefix="credit"
              label="Kind"
              name="kind"
              required
              value={creditForm.values.kind}
              errors={creditForm.errors}
              options={MANUAL_CREDIT_KINDS.map((k) => [k, CREDIT_KIND_LABELS[k]] as const)}
            />
            <PrefixedField prefix="credit" label={`Amount (${props.customerCurrency})`} name="amount" required inputmode="decimal" value={creditForm.values.amount} errors={creditForm.errors} />
            <PrefixedField prefix="credit" label="Reason" name="reason" required textarea maxlength={500} value={creditForm.values.reason} errors={creditForm.errors} />
            <ConfirmSubmit
              label="Add credit…"
              consequence="The customer gets this much credit, applied to an open invoice below or taken by their next invoice. It is logged in Activity."
              confirmLabel="Confirm: add credit"
            />
          </form>
        </Card>

        {f.openInvoices.length > 0 && (hasCredit || props.forms?.apply) && (
          <Card title="Apply credit to an invoice">
            <form method="post" action={`${base}/apply-credit`} id="apply-credit" novalidate>
              <FormErrorSummary errors={applyForm.errors} />
              <PrefixedField prefix="apply" label="Invoice" name="invoice_id" required value={applyForm.values.invoice_id} errors={applyForm.errors} options={invoiceOptions} />
              <PrefixedField
                prefix="apply"
                label="Amount"
                name="amount"
                inputmode="decimal"
                value={applyForm.values.amount}
                errors={applyForm.errors}
                hint="Blank applies as much as the balance and the available credit allow."
              />
              <ConfirmSubmit
                label="Apply credit…"
                consequence="Available credit (oldest first) is put against this invoice and its balance goes down. It is logged in Activity."
                confirmLabel="Confirm: apply credit"
              />
            </form>
          </Card>
        )}
      </div>
    </div>
  );
}
