import { Fragment, h } from '#jsx';
import { Hono } from '../lib/hono';
import { loadCustomerFinancials } from '../billing/financials';
import { getInvoiceDocument } from '../billing/invoices';
import { zonedDate } from '../billing/periods';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { notFound } from '../lib/errors';
import { PortalLayout, portalHref } from '../../views/layouts/portal';
import { InvoiceDocumentView } from '../../views/pages/invoices/document';
import { PortalInvoicesPage } from '../../views/pages/portal/invoices';
import { LineDisputeLinks } from '../../views/pages/support/shared';
import { disputesForInvoice } from '../support/service';

/**
 * Portal → Invoices (mounted by portalRoutes behind sign-in): only the signed-in member's own
 * customer, from the portal context, never from the request. Drafts do not exist for the
 * customer: a draft's page answers 404 like another customer's invoice would.
 */
export const portalInvoiceRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const portal = c.get('portal');
    const today = zonedDate(Date.now(), portal.host.timezone);
    const financials = await loadCustomerFinancials(getDb(c.env.DB), portal.host.id, portal.customer!.id, today, { customerView: true });
    return c.html(<PortalInvoicesPage portal={portal} financials={financials} />);
  })
  .get('/:id', async (c) => {
    const portal = c.get('portal');
    const db = getDb(c.env.DB);
    const [doc, disputes] = await Promise.all([
      getInvoiceDocument(db, portal.host.id, c.req.param('id'), { customerId: portal.customer!.id }),
      disputesForInvoice(db, portal.host.id, c.req.param('id'), { customerId: portal.customer!.id }),
    ]);
    if (doc.invoice.status === 'draft') throw notFound('Invoice');
    const questionable = doc.invoice.status !== 'void' && portal.preview === null;
    const logoSrc = portal.host.logoKey ? `${portalHref(portal, '/brand/logo')}?v=${portal.host.brandVersion}` : null;
    return c.html(
      <PortalLayout portal={portal} title={doc.invoice.number ?? 'Invoice'} section="invoices">
        <p class="no-print">
          <a href={portalHref(portal, '/invoices')}>← All invoices</a> · Use your browser's Print (Ctrl+P / ⌘P) to save this invoice as a PDF.
        </p>
        <InvoiceDocumentView
          doc={doc}
          logoSrc={logoSrc}
          audience="customer"
          evidenceHref={(lineId) => portalHref(portal, `/invoices/${doc.invoice.id}/lines/${lineId}/evidence.csv`)}
          lineExtra={(line) => (
            <>
              <LineDisputeLinks tickets={disputes.get(line.id) ?? []} href={(id) => portalHref(portal, `/support/${id}`)} label="Questioned" />
              {questionable && (
                <a class="question-line-link" href={portalHref(portal, `/support/new?invoice_line=${encodeURIComponent(line.id)}`)}>
                  Question this line
                </a>
              )}
            </>
          )}
        />
      </PortalLayout>,
    );
  });
