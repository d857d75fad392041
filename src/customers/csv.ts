import { csvCell } from '../billing/seal-format.js';
import type { SiteScope } from '../team/scope';
import { and, asc, desc } from 'drizzle-orm';
import type { Db } from '../db/client';
import { customers } from '../db/schema';
import type { CustomerSort } from './schema';
import { customerColumns, customerFilters, customerOrder } from './service';
import type { CustomerStatus } from './status';

const HEADER = [
  'id',
  'name',
  'company_name',
  'contact_email',
  'billing_email',
  'effective_billing_email',
  'phone',
  'billing_currency',
  'status',
  'active',
  'portal_access',
  'created_at',
] as const;

/**
 * One CSV cell: RFC 4180 quoting, and text a spreadsheet would read as a formula (= + - @ first)
 * defused with a leading apostrophe; a number stays a number (a negative amount is no formula).
 * The evidence files' own (src/billing/seal-format.js), so every export writes cells alike.
 */
export { csvCell };

/** Every customer matching the list's filters, in the list's order (billing currency resolved). */
export async function customersCsv(
  db: Db,
  hostId: string,
  query: { q?: string; status?: CustomerStatus; sort: CustomerSort },
  siteScope?: SiteScope,
): Promise<string> {
  const { column, descending } = customerOrder(query.sort);
  const rows = await db
    .select(customerColumns())
    .from(customers)
    .where(and(...customerFilters(hostId, query, siteScope)))
    .orderBy(...(descending ? [desc(column), desc(customers.id)] : [asc(column), asc(customers.id)]))
    .all();
  const lines = [HEADER.join(',')];
  for (const row of rows) {
    lines.push(
      [
        row.id,
        row.name,
        row.companyName,
        row.contactEmail,
        row.billingEmail,
        row.billingEmail ?? row.contactEmail,
        row.phone,
        row.billingCurrency,
        row.status,
        row.active,
        row.portalAccess,
        new Date(row.createdAt).toISOString(),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
