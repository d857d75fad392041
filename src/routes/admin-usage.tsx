import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { usageCsv, usageCsvFilename } from '../billing/usage-csv';
import { customerUsage, parseUsageMonth, usageSettings } from '../billing/usage';
import { getCustomer } from '../customers/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { CustomerShell } from '../../views/pages/customers/detail';
import { UsageContent } from '../../views/pages/usage';

/** The customer (checked to be the session host's: 404 otherwise) and the month's usage. */
async function loadUsage(c: Context<AppEnv>) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const [customer, settings] = await Promise.all([getCustomer(db, session.host.id, c.req.param('id') ?? '', session.siteIds), usageSettings(db, session.host.id)]);
  const key = parseUsageMonth(c.req.query('month'), settings.billingDay, settings.timezone);
  return { session, customer, usage: await customerUsage(db, session.host.id, customer.id, key, settings) };
}

/**
 * Customer → Usage tab and its CSV. Mounted on /admin/customers before adminCustomerRoutes, so
 * the generic tab dispatcher there never sees /:id/usage.
 */
export const adminUsageRoutes = new Hono<AppEnv>()
  .get('/:id/usage', async (c) => {
    const { session, customer, usage } = await loadUsage(c);
    const base = `/admin/customers/${customer.id}/usage`;
    return c.html(
      <CustomerShell session={session} customer={customer} tab="usage">
        <UsageContent
          usage={usage}
          audience="staff"
          formAction={base}
          monthHref={(key) => `${base}?month=${key}`}
          csvHref={`/admin/customers/${customer.id}/usage.csv?month=${usage.period.key}`}
          unitHref={(minerId) => `/admin/equipment/${minerId}`}
        />
      </CustomerShell>,
    );
  })
  .get('/:id/usage.csv', async (c) => {
    const { customer, usage } = await loadUsage(c);
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="${usageCsvFilename(customer.name, usage.period.key)}"`);
    return c.body(usageCsv(usage));
  });
