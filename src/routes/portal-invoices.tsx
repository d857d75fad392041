import { Hono } from 'hono';
import { getInvoiceDocument } from '../billing/invoices';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { notFound } from '../lib/errors';
import { PortalLayout, portalHref } from '../../views/layouts/portal';
import { InvoiceDocumentView } from '../../views/pages/invoices/document';

/**
 * The portal's invoice page (mounted under `/invoices` behind sign-in): the signed-in customer's
 * own issued invoices only. Drafts do not exist for the customer, so they answer 404 like another
 * customer's invoice would.
 */
export const portalInvoiceDetailRoutes = new Hono<AppEnv>().get('/:id', async (c) => {
  const portal = c.get('portal');
  const doc = await getInvoiceDocument(getDb(c.env.DB), portal.host.id, c.req.param('id'), { customerId: portal.customer!.id });
  if (doc.invoice.status === 'draft') throw notFound('Invoice');
  const logoSrc = portal.host.logoKey ? `${portalHref(portal, '/brand/logo')}?v=${portal.host.brandVersion}` : null;
  return c.html(
    <PortalLayout portal={portal} title={doc.invoice.number ?? 'Invoice'} section="invoices">
      <p class="no-print">
        <a href={portalHref(portal, '/invoices')}>← All invoices</a> · Use your browser's Print (Ctrl+P / ⌘P) to save this invoice as a PDF.
      </p>
      <InvoiceDocumentView doc={doc} logoSrc={logoSrc} audience="customer" evidenceHref={(lineId) => portalHref(portal, `/invoices/${doc.invoice.id}/lines/${lineId}/evidence.csv`)} />
    </PortalLayout>,
  );
});
