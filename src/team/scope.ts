import { and, eq, inArray, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { customers } from '../db/schema';

/**
 * Site-scoped access (issue 16): a staff member limited to some sites sees only those sites, their
 * units, agents and alerts, and only the customers with units or O&M sites there. The services
 * take the scope (the session's siteIds: null = every site) and add these conditions to their
 * queries, so a page, an htmx fragment and an export read through the same filter.
 */
export type SiteScope = readonly string[] | null | undefined;

/** `column IN (sites)`, or nothing for an unscoped member; no sites at all matches nothing. */
export function inSiteScope(column: AnyColumn | SQL, siteIds: SiteScope): SQL | undefined {
  if (siteIds === null || siteIds === undefined) return undefined;
  if (siteIds.length === 0) return sql`0`;
  return inArray(column as AnyColumn, [...siteIds]);
}

/** A customer with a unit at one of the sites, or a contract naming one of them (O&M). */
export function customerInSiteScope(customerId: AnyColumn | SQL, siteIds: SiteScope): SQL | undefined {
  if (siteIds === null || siteIds === undefined) return undefined;
  if (siteIds.length === 0) return sql`0`;
  const list = sql.join(
    siteIds.map((id) => sql`${id}`),
    sql`, `,
  );
  return sql`(EXISTS (SELECT 1 FROM miners AS scoped_miner WHERE scoped_miner.customer_id = ${customerId} AND scoped_miner.site_id IN (${list}))
    OR EXISTS (SELECT 1 FROM contract_sites AS scoped_cs JOIN contracts AS scoped_contract ON scoped_contract.id = scoped_cs.contract_id
      WHERE scoped_contract.customer_id = ${customerId} AND scoped_cs.site_id IN (${list})))`;
}

/**
 * Whether a site-scoped member may change a customer: only when everything the customer has —
 * units placed at a site, O&M contract sites — is within their sites. A customer shared with a
 * site they cannot see is read-only for them (issue 16): they still see it, and work on their
 * own site's units from Equipment. 'absent' = no such customer of the host (the route decides).
 */
export async function customerWriteAccess(db: Db, hostId: string, customerId: string, siteIds: SiteScope): Promise<'absent' | 'hidden' | 'shared' | 'writable'> {
  // Qualified by hand: in a select list drizzle writes a one-table column unqualified, which the
  // subqueries below would read as their own table's id.
  const customerColumn = sql`"customers"."id"`;
  const row = await db
    .select({
      id: customers.id,
      visible: customerInSiteScope(customerColumn, siteIds) ?? sql`1`,
      elsewhere: siteIds
        ? sql<number>`(EXISTS (SELECT 1 FROM miners AS other_unit WHERE other_unit.customer_id = ${customerColumn} AND other_unit.site_id IS NOT NULL AND ${notInList(sql`other_unit.site_id`, siteIds)})
          OR EXISTS (SELECT 1 FROM contract_sites AS other_cs JOIN contracts AS other_contract ON other_contract.id = other_cs.contract_id
            WHERE other_contract.customer_id = ${customerColumn} AND ${notInList(sql`other_cs.site_id`, siteIds)}))`
        : sql<number>`0`,
    })
    .from(customers)
    .where(and(eq(customers.hostId, hostId), eq(customers.id, customerId)))
    .get();
  if (!row) return 'absent';
  if (!Number(row.visible)) return 'hidden';
  return Number(row.elsewhere) ? 'shared' : 'writable';
}

function notInList(column: SQL, siteIds: readonly string[]): SQL {
  if (siteIds.length === 0) return sql`1`;
  return sql`${column} NOT IN (${sql.join(
    siteIds.map((id) => sql`${id}`),
    sql`, `,
  )})`;
}
