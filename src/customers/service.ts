import { customerInSiteScope, type SiteScope } from '../team/scope';
import { and, asc, count, desc, eq, gt, lt, or, sql, type SQL } from 'drizzle-orm';
import { activityInsert, diffFields, type Actor, type Changes } from '../activity/service';
import type { BatchReads } from '../db/batch-reads';
import type { Db } from '../db/client';
import { keysetPage } from '../lib/cursor';
import { contracts, contractSites, customers, miners, sites } from '../db/schema';
import { AppError, notFound } from '../lib/errors';
import { decodeCursor, encodeCursor } from '../lib/cursor';
import { newId } from '../lib/ids';
import { parseInput } from '../lib/validation';
import {
  createCustomerSchema,
  listCustomersQuerySchema,
  updateCustomerSchema,
  type CreateCustomerInput,
  type CustomerSort,
  type UpdateCustomerInput,
} from './schema';
import { CUSTOMER_COLUMN, customersWithStatus, customerStatusSql, type CustomerStatus } from './status';

/** A customer as the app sees it: search_text is the search index's column, not data. */
type CustomerRow = Omit<typeof customers.$inferSelect, 'searchText'>;

export interface Customer extends CustomerRow {
  status: CustomerStatus;
  /** Where invoices go: the billing email, or the contact email when none is set. */
  effectiveBillingEmail: string;
}

export interface CustomerDetail extends Customer {
  /** The open default case's reason while status is in_default or pool_redirected. */
  defaultReason: string | null;
}

/** API/form field name → column, in the order changes are shown. */
const FIELD_COLUMNS = {
  name: 'name',
  company_name: 'companyName',
  contact_email: 'contactEmail',
  billing_email: 'billingEmail',
  phone: 'phone',
  billing_currency: 'billingCurrency',
  notes: 'notes',
  active: 'active',
  portal_access: 'portalAccess',
} as const satisfies Record<keyof CreateCustomerInput, keyof CustomerRow>;
type FieldName = keyof typeof FIELD_COLUMNS;
const FIELD_NAMES = Object.keys(FIELD_COLUMNS) as FieldName[];

const withDerived = <T extends CustomerRow & { status: CustomerStatus }>(row: T) => ({
  ...row,
  effectiveBillingEmail: row.billingEmail ?? row.contactEmail,
});

export function customerColumns() {
  return {
    id: customers.id,
    hostId: customers.hostId,
    name: customers.name,
    sortName: customers.sortName,
    companyName: customers.companyName,
    contactEmail: customers.contactEmail,
    billingEmail: customers.billingEmail,
    phone: customers.phone,
    billingCurrency: customers.billingCurrency,
    notes: customers.notes,
    active: customers.active,
    portalAccess: customers.portalAccess,
    teamName: customers.teamName,
    taxExempt: customers.taxExempt,
    poolChangeNotice: customers.poolChangeNotice,
    createdAt: customers.createdAt,
    updatedAt: customers.updatedAt,
    status: customerStatusSql,
  };
}

/** A customer outside the member's site scope (src/team/scope.ts) is not found, like another host's. */
export async function getCustomer(db: Db, hostId: string, customerId: string, siteScope?: SiteScope): Promise<CustomerDetail> {
  const row = await db
    .select({
      ...customerColumns(),
      defaultReason: sql<string | null>`(SELECT dc.reason FROM default_cases dc
        WHERE dc.customer_id = ${CUSTOMER_COLUMN.id} AND dc.closed_at IS NULL ORDER BY dc.opened_at DESC LIMIT 1)`,
    })
    .from(customers)
    .where(and(eq(customers.hostId, hostId), eq(customers.id, customerId), customerInSiteScope(customers.id, siteScope)))
    .get();
  if (!row) throw notFound('Customer');
  return withDerived(row);
}

// ---------------------------------------------------------------------------------------------
// List: search, status filter, sort and keyset pagination (fast at any depth, unlike OFFSET).

export const DEFAULT_PAGE_SIZE = 50;

export interface CustomerPage {
  items: Customer[];
  total: number;
  nextCursor: string | null;
  prevCursor: string | null;
}

/** The WHERE of a customer list: host scope, free-text search and status. */
export function customerFilters(hostId: string, query: { q?: string; status?: CustomerStatus }, siteScope?: SiteScope): (SQL | undefined)[] {
  // The host scope, or (with a status) the status filter, which carries the host scope itself.
  const filters: (SQL | undefined)[] = [query.status ? customersWithStatus(query.status, hostId) : eq(customers.hostId, hostId), customerInSiteScope(customers.id, siteScope)];
  // Name, company, contact and billing email, in the indexed search_text column (see schema):
  // instr(), not LIKE, so there is nothing to escape and no 50-byte pattern cap (D1).
  const needle = query.q?.toLowerCase().replaceAll('\x1f', '');
  if (needle) filters.push(sql`instr(${customers.searchText}, ${needle}) > 0`);
  return filters;
}

/** Sort column and direction for a list sort key. */
export function customerOrder(sort: CustomerSort) {
  const column = sort.endsWith('name') ? customers.sortName : customers.createdAt;
  return { column, descending: sort.startsWith('-') };
}

export async function listCustomers(db: Db, hostId: string, rawQuery: unknown, siteScope?: SiteScope): Promise<CustomerPage> {
  const reads = customerListReads(db, hostId, rawQuery, siteScope);
  return reads.read(await db.batch(reads.queries));
}

/** listCustomers' two statements (the page, the filtered total), unexecuted, and how to read them. */
export function customerListReads(db: Db, hostId: string, rawQuery: unknown, siteScope?: SiteScope): BatchReads<CustomerPage> {
  const query = parseInput(listCustomersQuerySchema, rawQuery);
  const sort: CustomerSort = query.sort ?? 'name';
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const { column, descending } = customerOrder(sort);

  const filters = customerFilters(hostId, query, siteScope);

  const goingBack = query.before !== undefined;
  const cursorText = query.before ?? query.cursor;
  const keyset = cursorText ? decodeCursor(cursorText, goingBack ? 'before' : 'cursor') : null;
  // Walking backwards reads the previous page in reverse order, then flips it.
  const readDescending = descending !== goingBack;
  const pageFilters = [...filters];
  if (keyset) {
    const [value, id] = keyset;
    pageFilters.push(
      readDescending
        ? or(lt(column, value as never), and(eq(column, value as never), lt(customers.id, id)))
        : or(gt(column, value as never), and(eq(column, value as never), gt(customers.id, id))),
    );
  }
  const order = readDescending ? [desc(column), desc(customers.id)] : [asc(column), asc(customers.id)];

  // Two statements in one round trip: the page and the filtered total.
  const pageQuery = db
    .select(customerColumns())
    .from(customers)
    .where(and(...pageFilters))
    .orderBy(...order)
    .limit(limit + 1);
  const totalQuery = db
    .select({ total: count() })
    .from(customers)
    .where(and(...filters));
  const read = (results: readonly unknown[]): CustomerPage => {
    const [rows, totals] = results as [Awaited<typeof pageQuery>, Awaited<typeof totalQuery>];
    const { page, nextCursor, prevCursor } = keysetPage(rows, limit, { goingBack, fromCursor: keyset !== null }, (row) =>
      encodeCursor([sort.endsWith('name') ? row.sortName : row.createdAt, row.id]),
    );
    return { items: page.map(withDerived), total: totals[0]?.total ?? 0, nextCursor, prevCursor };
  };
  return { queries: [pageQuery, totalQuery], read };
}

// ---------------------------------------------------------------------------------------------
// Create and update. Each write and its activity entry go in one db.batch(): D1 runs a batch as
// a single transaction, so a change is never stored without its record (or the reverse).
// @see https://developers.cloudflare.com/d1/worker-api/d1-database/#batch

function toColumns(input: Partial<CreateCustomerInput>): Partial<CustomerRow> {
  const values: Partial<Record<keyof CustomerRow, unknown>> = {};
  for (const field of FIELD_NAMES) {
    if (input[field] !== undefined) values[FIELD_COLUMNS[field]] = input[field];
  }
  if (typeof input.name === 'string') values.sortName = input.name.toLowerCase();
  return values as Partial<CustomerRow>;
}

/** Changes keyed by the public field names (what the Activity tab and API show). */
function changesByField(before: Partial<CustomerRow>, after: Partial<CustomerRow>): Changes {
  const byColumn = diffFields(before as Record<string, unknown>, after as Record<string, unknown>, Object.values(FIELD_COLUMNS));
  const changes: Changes = {};
  for (const field of FIELD_NAMES) {
    const change = byColumn[FIELD_COLUMNS[field]];
    if (change) changes[field] = change;
  }
  return changes;
}

export async function createCustomer(db: Db, hostId: string, actor: Actor, raw: unknown): Promise<CustomerDetail> {
  const { id, statements } = customerInsertStatements(db, hostId, actor, raw);
  await db.batch(statements);
  return getCustomer(db, hostId, id);
}

/**
 * Add Customer's rules as unexecuted statements (the row and its activity entry), for a caller
 * that batches them with more (an accepted quote). `hostIdValue` may be a guard subquery that is
 * NULL when the caller's precondition fails: the NOT NULL column then aborts the whole batch.
 */
export function customerInsertStatements(db: Db, hostId: string, actor: Actor, raw: unknown, hostIdValue: string | SQL = hostId, now = Date.now()) {
  const input = parseInput(createCustomerSchema, raw);
  const id = newId();
  const values = toColumns(input);
  const created: Changes = {};
  for (const [field, change] of Object.entries(changesByField({}, values))) {
    if (change[1] !== null) created[field] = change;
  }
  const statements = [
    db.insert(customers).values({
      ...(values as typeof customers.$inferInsert),
      id,
      hostId: hostIdValue as string,
      createdAt: now,
      updatedAt: now,
    }),
    activityInsert(db, hostId, actor, 'customer.created', id, created, now),
  ] as const;
  return { id, statements };
}

/**
 * Applies the given fields (PATCH semantics; the edit form sends them all). Records old → new for
 * each field that really changed; a no-op update writes nothing.
 */
export async function updateCustomer(
  db: Db,
  hostId: string,
  actor: Actor,
  customerId: string,
  raw: unknown,
): Promise<CustomerDetail> {
  const input: UpdateCustomerInput = parseInput(updateCustomerSchema, raw);
  const existing = await getCustomer(db, hostId, customerId);
  const values = toColumns(input);
  const changes = changesByField(existing, values);
  if (Object.keys(changes).length === 0) return existing;
  const now = Date.now();
  const [updated] = await db.batch([
    db
      .update(customers)
      .set({ ...values, updatedAt: now })
      .where(and(eq(customers.hostId, hostId), eq(customers.id, customerId)))
      .returning({ id: customers.id }),
    activityInsert(db, hostId, actor, 'customer.updated', customerId, changes, now),
  ]);
  if (updated.length === 0) throw new AppError('not_found', 'Customer not found.');
  return getCustomer(db, hostId, customerId);
}

// ---------------------------------------------------------------------------------------------
// Overview cards.

export interface CustomerOverview {
  activeContracts: number;
  assignedUnits: number;
  /** Sites under an active O&M contract; null when the customer has no O&M contract. */
  omSites: { id: string; name: string }[] | null;
}

export async function getCustomerOverview(db: Db, hostId: string, customerId: string): Promise<CustomerOverview> {
  const [contractRows, unitRows, omRows, siteRows] = await db.batch([
    db
      .select({ n: count() })
      .from(contracts)
      .where(and(eq(contracts.hostId, hostId), eq(contracts.customerId, customerId), eq(contracts.status, 'active'))),
    db
      .select({ n: count() })
      .from(miners)
      .where(and(eq(miners.hostId, hostId), eq(miners.customerId, customerId), eq(miners.status, 'assigned'))),
    db
      .select({ n: count() })
      .from(contracts)
      .where(
        and(
          eq(contracts.hostId, hostId),
          eq(contracts.customerId, customerId),
          eq(contracts.kind, 'om'),
          eq(contracts.status, 'active'),
        ),
      ),
    db
      .selectDistinct({ id: sites.id, name: sites.name })
      .from(contractSites)
      .innerJoin(contracts, eq(contracts.id, contractSites.contractId))
      .innerJoin(sites, eq(sites.id, contractSites.siteId))
      .where(
        and(
          eq(contractSites.hostId, hostId),
          eq(contracts.customerId, customerId),
          eq(contracts.kind, 'om'),
          eq(contracts.status, 'active'),
        ),
      )
      .orderBy(asc(sites.name)),
  ]);
  return {
    activeContracts: contractRows[0]?.n ?? 0,
    assignedUnits: unitRows[0]?.n ?? 0,
    omSites: (omRows[0]?.n ?? 0) > 0 ? siteRows : null,
  };
}
