import { Hono } from 'hono';
import { loadCustomerFinancials } from '../billing/financials';
import { zonedDate } from '../billing/periods';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { PortalInvoicesPage } from '../../views/pages/portal/invoices';

/**
 * Portal → Invoices (mounted by portalRoutes behind sign-in): only the signed-in member's own
 * customer, from the portal context, never from the request. Drafts are never shown.
 */
export const portalInvoiceRoutes = new Hono<AppEnv>().get('/', async (c) => {
  const portal = c.get('portal');
  const today = zonedDate(Date.now(), portal.host.timezone);
  const financials = await loadCustomerFinancials(getDb(c.env.DB), portal.host.id, portal.customer!.id, today, { customerView: true });
  return c.html(<PortalInvoicesPage portal={portal} financials={financials} />);
});
