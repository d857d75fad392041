import { sql, type SQL } from 'drizzle-orm';

/**
 * Customer status, in precedence order (DESIGN.md §3):
 * Inactive when the account is disabled; otherwise Pool Redirected while a redirect is active;
 * otherwise In Default while a default case is open; otherwise Active.
 */
export const CUSTOMER_STATUSES = ['active', 'inactive', 'in_default', 'pool_redirected'] as const;
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

export const STATUS_LABELS: Record<CustomerStatus, string> = {
  active: 'Active',
  inactive: 'Inactive',
  in_default: 'In Default',
  pool_redirected: 'Pool Redirected',
};

export interface StatusFacts {
  active: boolean;
  hasActivePoolRedirect: boolean;
  hasOpenDefaultCase: boolean;
}

export function deriveCustomerStatus(facts: StatusFacts): CustomerStatus {
  if (!facts.active) return 'inactive';
  if (facts.hasActivePoolRedirect) return 'pool_redirected';
  if (facts.hasOpenDefaultCase) return 'in_default';
  return 'active';
}

/**
 * Table-qualified references for correlated subqueries. drizzle prints a column in a one-table
 * select list unqualified ("id"), which inside a subquery would bind to the subquery's own table.
 */
export const CUSTOMER_COLUMN = {
  id: sql.raw('"customers"."id"'),
  hostId: sql.raw('"customers"."host_id"'),
  active: sql.raw('"customers"."active"'),
};

/**
 * The same rule in SQL, so lists can filter and page by status in one query.
 * test/unit/customer-status.test.ts checks both agree on every combination.
 */
export const customerStatusSql: SQL<CustomerStatus> = sql<CustomerStatus>`(CASE
  WHEN ${CUSTOMER_COLUMN.active} = 0 THEN 'inactive'
  WHEN EXISTS (SELECT 1 FROM pool_redirects pr WHERE pr.customer_id = ${CUSTOMER_COLUMN.id} AND pr.ended_at IS NULL) THEN 'pool_redirected'
  WHEN EXISTS (SELECT 1 FROM default_cases dc WHERE dc.customer_id = ${CUSTOMER_COLUMN.id} AND dc.closed_at IS NULL) THEN 'in_default'
  ELSE 'active' END)`;

/**
 * "Customers of this host whose status is X", for list filters: the host scope included, written
 * so SQLite can drive from the host's few open cases or active redirects (`id IN (…)` uses the
 * primary key; the unary `+` keeps host_id from choosing the host index over that) instead of
 * evaluating the CASE above for every customer: In Default over 10,000 customers reads ~400
 * rows instead of 10,000. Same rule as deriveCustomerStatus (test/unit/customer-status.test.ts
 * checks every combination, and that another host's cases never count).
 */
export function customersWithStatus(status: CustomerStatus, hostId: string): SQL {
  const redirected = sql`${CUSTOMER_COLUMN.id} IN (SELECT pr.customer_id FROM pool_redirects pr WHERE pr.host_id = ${hostId} AND pr.ended_at IS NULL)`;
  const inDefault = sql`${CUSTOMER_COLUMN.id} IN (SELECT dc.customer_id FROM default_cases dc WHERE dc.host_id = ${hostId} AND dc.closed_at IS NULL)`;
  const ofHost = sql`${CUSTOMER_COLUMN.hostId} = ${hostId}`;
  const ofHostNotIndexed = sql`+${CUSTOMER_COLUMN.hostId} = ${hostId}`;
  const active = sql`${CUSTOMER_COLUMN.active} = 1`;
  switch (status) {
    case 'inactive':
      return sql`(${ofHost} AND ${CUSTOMER_COLUMN.active} = 0)`;
    case 'pool_redirected':
      return sql`(${redirected} AND ${ofHostNotIndexed} AND ${active})`;
    case 'in_default':
      return sql`(${inDefault} AND ${ofHostNotIndexed} AND ${active} AND NOT ${redirected})`;
    case 'active':
      return sql`(${ofHost} AND ${active} AND NOT ${redirected} AND NOT ${inDefault})`;
  }
}
