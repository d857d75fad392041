/**
 * The D1 schema. drizzle-kit turns this file into the SQL under migrations/.
 *
 * Conventions (docs/ARCHITECTURE.md): ids are random UUIDs; every table a host owns carries
 * host_id; time is epoch milliseconds (integer); money is integer minor units; energy Wh; power W.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const createdAt = () => integer('created_at').notNull();
const updatedAt = () => integer('updated_at').notNull();

export const hosts = sqliteTable(
  'hosts',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    mainSlug: text('main_slug').notNull(),
    defaultCurrency: text('default_currency').notNull().default('USD'),
    timezone: text('timezone').notNull().default('UTC'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('hosts_main_slug_unique').on(t.mainSlug)],
);

/** A person who signs in to the admin app. Membership in hosts is in host_users. */
export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_unique').on(t.email)],
);

export const STAFF_ROLES = ['owner', 'admin', 'staff'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const hostUsers = sqliteTable(
  'host_users',
  {
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.userId] }), index('host_users_user_idx').on(t.userId)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The first characters of the key, shown in lists so people can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key, hex. The key itself is shown once and never stored. */
    keyHash: text('key_hash').notNull(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_hash_unique').on(t.keyHash), index('api_keys_host_idx').on(t.hostId)],
);

export const customers = sqliteTable(
  'customers',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** lower(name): the sort and keyset-pagination key, so "apple" sorts before "Zeta". */
    sortName: text('sort_name').notNull(),
    companyName: text('company_name'),
    contactEmail: text('contact_email').notNull(),
    /** Null means invoices go to contact_email. */
    billingEmail: text('billing_email'),
    phone: text('phone'),
    /** ISO 4217; null means the host's default currency. */
    billingCurrency: text('billing_currency'),
    /** Internal: never shown to the customer. */
    notes: text('notes'),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    portalAccess: integer('portal_access', { mode: 'boolean' }).notNull().default(true),
    teamName: text('team_name'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('customers_host_sort_idx').on(t.hostId, t.sortName, t.id),
    index('customers_host_created_idx').on(t.hostId, t.createdAt, t.id),
    index('customers_host_email_idx').on(t.hostId, t.contactEmail),
  ],
);

/**
 * Open while a customer is in default (closed_at null). Opened by the billing/default issue;
 * it lives here because the customer status derivation reads it.
 */
export const defaultCases = sqliteTable(
  'default_cases',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    reason: text('reason').notNull(),
    openedAt: integer('opened_at').notNull(),
    closedAt: integer('closed_at'),
  },
  (t) => [index('default_cases_customer_idx').on(t.customerId, t.closedAt), index('default_cases_host_idx').on(t.hostId)],
);

/** Active while ended_at is null: the customer's miners point at the host's holding pool. */
export const poolRedirects = sqliteTable(
  'pool_redirects',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    defaultCaseId: text('default_case_id').references(() => defaultCases.id),
    poolUrl: text('pool_url').notNull(),
    poolUser: text('pool_user').notNull(),
    startedAt: integer('started_at').notNull(),
    endedAt: integer('ended_at'),
  },
  (t) => [index('pool_redirects_customer_idx').on(t.customerId, t.endedAt), index('pool_redirects_host_idx').on(t.hostId)],
);

export const sites = sqliteTable(
  'sites',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    city: text('city'),
    region: text('region'),
    country: text('country'),
    timezone: text('timezone').notNull().default('UTC'),
    capacityKw: integer('capacity_kw'),
    /** Micro-units of the host currency per kWh; null = host default. */
    energyCostMicrosPerKwh: integer('energy_cost_micros_per_kwh'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('sites_host_idx').on(t.hostId)],
);

export const MINER_STATUSES = ['staged', 'unassigned', 'assigned', 'retired'] as const;

export const miners = sqliteTable(
  'miners',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id),
    customerId: text('customer_id').references(() => customers.id),
    serial: text('serial'),
    mac: text('mac'),
    ip: text('ip'),
    vendor: text('vendor'),
    model: text('model'),
    firmware: text('firmware'),
    /** Nominal hashrate in milli-TH/s (integer), nominal power in W. */
    nominalHashrateMths: integer('nominal_hashrate_mths'),
    nominalPowerW: integer('nominal_power_w'),
    rackLocation: text('rack_location'),
    status: text('status', { enum: MINER_STATUSES }).notNull().default('staged'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('miners_host_idx').on(t.hostId, t.status),
    index('miners_customer_idx').on(t.customerId),
    index('miners_site_idx').on(t.siteId),
  ],
);

export const CONTRACT_KINDS = ['hosting', 'fixed_monthly', 'lease', 'hashrate', 'om'] as const;
export const CONTRACT_STATUSES = ['draft', 'active', 'ended'] as const;

export const contracts = sqliteTable(
  'contracts',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: CONTRACT_KINDS }).notNull(),
    status: text('status', { enum: CONTRACT_STATUSES }).notNull().default('draft'),
    name: text('name').notNull(),
    startsAt: integer('starts_at'),
    endsAt: integer('ends_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('contracts_customer_idx').on(t.customerId, t.status), index('contracts_host_idx').on(t.hostId)],
);

/** Sites covered by an O&M contract (operations and maintenance of the customer's own site). */
export const contractSites = sqliteTable(
  'contract_sites',
  {
    contractId: text('contract_id')
      .notNull()
      .references(() => contracts.id, { onDelete: 'cascade' }),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.contractId, t.siteId] })],
);

export const ACTOR_KINDS = ['staff', 'api_key', 'customer', 'system'] as const;

export const activityLog = sqliteTable(
  'activity_log',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id'),
    actorKind: text('actor_kind', { enum: ACTOR_KINDS }).notNull(),
    actorId: text('actor_id'),
    /** Who, as shown then (a later rename does not rewrite history). */
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    /** JSON: { field: [old, new] } for changes, or a small detail object. */
    changes: text('changes'),
    createdAt: createdAt(),
  },
  (t) => [
    index('activity_customer_idx').on(t.hostId, t.customerId, t.createdAt),
    index('activity_host_idx').on(t.hostId, t.createdAt),
  ],
);

/** Fixed-window counters for rate limits (sign-in, sign-up). */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  count: integer('count').notNull(),
});
