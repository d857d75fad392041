import { Fragment, h } from '#jsx';
import {
  AGING_BUCKETS,
  AGING_LABELS,
  INVOICE_STATUS_LABELS,
  type CurrencyPosition,
  type FinancialInvoice,
  type FinancialPayment,
  type InvoiceStatus,
} from '../../src/billing/financials';
import { PAYMENT_METHOD_LABELS } from '../../src/billing/payment-schema';
import { formatMoney } from '../../src/billing/money';
import type { FieldErrors } from '../../src/lib/errors';
import { FieldMessages } from './form';
import { TableWrap } from './table';

/** Money in a table cell or a figure: formatted from minor units, never through a float. */
export const Money = (props: { minor: number; currency: string }) => <span class="money">{formatMoney(props.minor, props.currency)}</span>;

/** An invoice's status as a word (the colour only repeats it). */
export function InvoiceStatusBadge(props: { status: InvoiceStatus; held?: boolean }) {
  return (
    <>
      <span class={`badge badge-invoice-${props.status}`}>{INVOICE_STATUS_LABELS[props.status]}</span>
      {props.held && <span class="badge badge-invoice-held">Held</span>}
    </>
  );
}

/** Aging per currency: one row per currency, one column per bucket. */
export function AgingTable(props: { positions: CurrencyPosition[]; hrefFor?: (currency: string) => string; testId?: string }) {
  return (
    <TableWrap label="Aging" wide>
      <table class="table table-compact" data-testid={props.testId ?? 'aging'}>
        <caption class="visually-hidden">Open balances by days past due</caption>
        <thead>
          <tr>
            <th scope="col">Currency</th>
            {AGING_BUCKETS.map((bucket) => (
              <th scope="col" class="num">
                {AGING_LABELS[bucket]}
              </th>
            ))}
            <th scope="col" class="num">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {props.positions.map((p) => (
            <tr>
              <th scope="row">{p.currency}</th>
              {AGING_BUCKETS.map((bucket) => (
                <td class="num" data-bucket={bucket}>
                  <Money minor={p.aging[bucket]} currency={p.currency} />
                </td>
              ))}
              <td class="num">
                <Money minor={p.outstandingMinor} currency={p.currency} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/**
 * A form field with an id prefix: several billing forms share one page and the same field names
 * (amount, invoice_id), so ids cannot be derived from the name alone.
 */
export function PrefixedField(props: {
  prefix: string;
  label: string;
  name: string;
  value?: string | null;
  errors?: FieldErrors;
  required?: boolean;
  hint?: string;
  type?: 'text' | 'date';
  inputmode?: 'decimal' | 'text';
  maxlength?: number;
  options?: ReadonlyArray<readonly [value: string, label: string]>;
  textarea?: boolean;
}) {
  const id = `${props.prefix}-${props.name}`;
  const error = props.errors?.[props.name];
  const described = [error ? `${id}-error` : null, props.hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
  const common = { id, name: props.name, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': described };
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={id}>
        {props.label}
        {props.required ? <span class="required"> (required)</span> : <span class="optional"> (optional)</span>}
      </label>
      {props.options ? (
        <select {...common} required={props.required}>
          {props.options.map(([value, label]) => (
            <option value={value} selected={value === (props.value ?? '')}>
              {label}
            </option>
          ))}
        </select>
      ) : props.textarea ? (
        <textarea {...common} rows={3} maxlength={props.maxlength}>
          {props.value ?? ''}
        </textarea>
      ) : (
        <input {...common} type={props.type ?? 'text'} value={props.value ?? ''} required={props.required} inputmode={props.inputmode} maxlength={props.maxlength} />
      )}
      <FieldMessages name={id} error={error} hint={props.hint} />
    </div>
  );
}

/** Which side a customer's billing history is shown to: staff also see held invoices, days past due and payment notes. */
interface HistoryTableProps {
  label: string;
  testId: string;
  /** An invoice's page for this audience (admin or portal). */
  invoiceHref: (invoiceId: string) => string;
  staff?: boolean;
}

/** A customer's invoices, as staff (Customer → Financials) and the customer (portal Invoices) see them. */
export function InvoiceHistoryTable(props: HistoryTableProps & { invoices: FinancialInvoice[] }) {
  return (
    <TableWrap label={props.label} wide>
      <table class="table table-compact" data-testid={props.testId}>
        <thead>
          <tr>
            <th scope="col">{props.staff ? 'Number' : 'Invoice'}</th>
            <th scope="col">Period</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Total
            </th>
            <th scope="col" class="num">
              Paid
            </th>
            <th scope="col" class="num">
              Balance
            </th>
            <th scope="col">Due</th>
          </tr>
        </thead>
        <tbody>
          {props.invoices.map((invoice) => (
            <tr data-invoice={invoice.id}>
              <td>
                <a href={props.invoiceHref(invoice.id)}>{invoice.number ?? (props.staff ? `Draft (${invoice.periodKey})` : invoice.periodKey)}</a>
              </td>
              <td>
                {invoice.periodStart} – {invoice.periodEnd}
              </td>
              <td>
                <InvoiceStatusBadge status={invoice.status} held={props.staff && invoice.held} />
              </td>
              <td class="num">
                <Money minor={invoice.totalMinor} currency={invoice.currency} />
              </td>
              <td class="num">
                <Money minor={invoice.paidMinor} currency={invoice.currency} />
              </td>
              <td class="num">
                <Money minor={invoice.balanceMinor} currency={invoice.currency} />
              </td>
              <td>
                {invoice.dueOn ?? '—'}
                {props.staff && invoice.daysPastDue !== null && invoice.daysPastDue > 0 && <span class="muted small"> ({invoice.daysPastDue} days past due)</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** A customer's payments and the invoices (or credit) each went to; staff also see the notes. */
export function PaymentHistoryTable(props: HistoryTableProps & { payments: FinancialPayment[] }) {
  return (
    <TableWrap label={props.label} wide>
      <table class="table table-compact" data-testid={props.testId}>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Method</th>
            <th scope="col">Reference</th>
            <th scope="col" class="num">
              Amount
            </th>
            <th scope="col">Applied to</th>
            {props.staff && <th scope="col">Notes</th>}
          </tr>
        </thead>
        <tbody>
          {props.payments.map((payment) => (
            <tr>
              <td>{payment.receivedOn}</td>
              <td>{PAYMENT_METHOD_LABELS[payment.method]}</td>
              <td class="wrap-anywhere">{payment.reference ?? <span class="muted">—</span>}</td>
              <td class="num">
                <Money minor={payment.amountMinor} currency={payment.currency} />
              </td>
              <td>
                <ul class="plain-list">
                  {payment.allocations.map((a) => (
                    <li>
                      <a href={props.invoiceHref(a.invoiceId)}>{a.invoiceNumber ?? 'Invoice'}</a>: <Money minor={a.amountMinor} currency={payment.currency} />
                    </li>
                  ))}
                  {payment.credit && (
                    <li>
                      Credit: <Money minor={payment.credit.amountMinor} currency={payment.currency} />
                    </li>
                  )}
                </ul>
              </td>
              {props.staff && <td class="notes">{payment.notes ?? ''}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
