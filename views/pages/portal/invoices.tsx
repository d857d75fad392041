import type { CustomerFinancials } from '../../../src/billing/financials';
import { PAYMENT_METHOD_LABELS } from '../../../src/billing/payment-schema';
import type { PortalContext } from '../../../src/portal/context';
import { InvoiceStatusBadge, Money, TableScroll } from '../../components/billing';
import { Card, EmptyState } from '../../components/form';
import { PortalLayout, portalHref } from '../../layouts/portal';

/**
 * The portal's Invoices page: the customer's own invoices (never drafts), what they owe, their
 * credit and their payment history. Each invoice links to its printable page.
 */
export function PortalInvoicesPage(props: { portal: PortalContext; financials: CustomerFinancials }) {
  const { portal, financials: f } = props;
  const invoiceHref = (id: string) => portalHref(portal, `/invoices/${id}`);
  return (
    <PortalLayout portal={portal} title="Invoices" section="invoices">
      <h1>Invoices</h1>
      {f.positions.length > 0 && (
        <div class="summary-cards">
          {f.positions.map((p) => (
            <>
              <div class="summary-card">
                <span class="summary-label">Balance due{f.positions.length > 1 ? ` (${p.currency})` : ''}</span>
                <span class="summary-value" data-testid={`balance-${p.currency}`}>
                  <Money minor={p.outstandingMinor} currency={p.currency} />
                </span>
              </div>
              <div class="summary-card">
                <span class="summary-label">Overdue{f.positions.length > 1 ? ` (${p.currency})` : ''}</span>
                <span class="summary-value" data-testid={`overdue-${p.currency}`}>
                  <Money minor={p.overdueMinor} currency={p.currency} />
                </span>
              </div>
              <div class="summary-card">
                <span class="summary-label">Available credit{f.positions.length > 1 ? ` (${p.currency})` : ''}</span>
                <span class="summary-value" data-testid={`credit-${p.currency}`}>
                  <Money minor={p.creditMinor} currency={p.currency} />
                </span>
                <span class="summary-unit">applied to your next invoice</span>
              </div>
            </>
          ))}
        </div>
      )}
      <Card title="Your invoices">
        {f.invoices.length === 0 ? (
          <EmptyState title="No invoices yet">
            <p>Your invoices will be listed here, with their lines and payment status.</p>
          </EmptyState>
        ) : (
          <TableScroll label="Your invoices">
            <table class="table table-compact" data-testid="portal-invoices">
              <thead>
                <tr>
                  <th scope="col">Invoice</th>
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
                {f.invoices.map((invoice) => (
                  <tr data-invoice={invoice.id}>
                    <td>
                      <a href={invoiceHref(invoice.id)}>{invoice.number ?? invoice.periodKey}</a>
                    </td>
                    <td>
                      {invoice.periodStart} – {invoice.periodEnd}
                    </td>
                    <td>
                      <InvoiceStatusBadge status={invoice.status} />
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
                    <td>{invoice.dueOn ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Card>
      <Card title="Payment history">
        {f.payments.length === 0 ? (
          <p class="muted">No payments recorded yet.</p>
        ) : (
          <TableScroll label="Payment history">
            <table class="table table-compact" data-testid="portal-payments">
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Method</th>
                  <th scope="col">Reference</th>
                  <th scope="col" class="num">
                    Amount
                  </th>
                  <th scope="col">Applied to</th>
                </tr>
              </thead>
              <tbody>
                {f.payments.map((payment) => (
                  <tr>
                    <td>{payment.receivedOn}</td>
                    <td>{PAYMENT_METHOD_LABELS[payment.method]}</td>
                    <td>{payment.reference ?? <span class="muted">—</span>}</td>
                    <td class="num">
                      <Money minor={payment.amountMinor} currency={payment.currency} />
                    </td>
                    <td>
                      <ul class="plain-list">
                        {payment.allocations.map((a) => (
                          <li>
                            <a href={invoiceHref(a.invoiceId)}>{a.invoiceNumber ?? 'Invoice'}</a>: <Money minor={a.amountMinor} currency={payment.currency} />
                          </li>
                        ))}
                        {payment.credit && (
                          <li>
                            Credit: <Money minor={payment.credit.amountMinor} currency={payment.currency} />
                          </li>
                        )}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Card>
    </PortalLayout>
  );
}
