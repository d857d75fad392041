import { inArray, sql, type AnyColumn, type SQL } from 'drizzle-orm';

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
