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
 * One CSV cell. Quotes when needed (RFC 4180), and defuses spreadsheet formulas: a cell starting
 * with = + - @ gets a leading apostrophe so Excel or Sheets shows it as text.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

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
