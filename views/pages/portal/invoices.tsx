import { Fragment, h } from '#jsx';
import type { CustomerFinancials } from '../../../src/billing/financials';
import type { PortalContext } from '../../../src/portal/context';
import { InvoiceHistoryTable, Money, PaymentHistoryTable } from '../../components/billing';
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
          <InvoiceHistoryTable invoices={f.invoices} label="Your invoices" testId="portal-invoices" invoiceHref={invoiceHref} />
        )}
      </Card>
      <Card title="Payment history">
        {f.payments.length === 0 ? (
          <p class="muted">No payments recorded yet.</p>
        ) : (
          <PaymentHistoryTable payments={f.payments} label="Payment history" testId="portal-payments" invoiceHref={invoiceHref} />
        )}
      </Card>
    </PortalLayout>
  );
}
