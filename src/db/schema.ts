/**
 * The D1 schema. drizzle-kit turns this file into the SQL under migrations/.
 *
 * Conventions (docs/ARCHITECTURE.md): ids are random UUIDs; every table a host owns carries
 * host_id; time is epoch milliseconds (integer); money is integer minor units; energy Wh; power W.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { STAFF_ROLES, type StaffRole } from '../auth/roles';

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
    /** The slug in the branded portal URL (/host/<host_slug>); the main slug still resolves. */
    hostSlug: text('host_slug'),
    /** R2 key of the square portal logo; null = no logo (the name is shown instead). */
    brandLogoKey: text('brand_logo_key'),
    brandSlogan: text('brand_slogan'),
    /** #rrggbb */
    brandPrimaryColor: text('brand_primary_color'),
    brandAccentColor: text('brand_accent_color'),
    /** Closed by its owner (src/team/close.ts): every door shuts at once; data goes at deleteAfter. */
    closedAt: integer('closed_at'),
    deleteAfter: integer('delete_after'),
    /** Two-factor sign-in required of every staff member / every portal account (src/security/two-factor.ts). */
    requireStaffTwoFactor: integer('require_staff_two_factor', { mode: 'boolean' }).notNull().default(false),
    requirePortalTwoFactor: integer('require_portal_two_factor', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('hosts_main_slug_unique').on(t.mainSlug),
    uniqueIndex('hosts_host_slug_unique').on(t.hostSlug),
    index('hosts_delete_after_idx').on(t.deleteAfter).where(sql`delete_after IS NOT NULL`),
  ],
);

export const DOMAIN_STATUSES = ['pending', 'active', 'failed'] as const;

/** A hostname that serves one host's portal at `/` once verified (status active). */
export const customDomains = sqliteTable(
  'custom_domains',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    hostname: text('hostname').notNull(),
    status: text('status', { enum: DOMAIN_STATUSES }).notNull().default('pending'),
    /** The Cloudflare for SaaS custom hostname id, when verified through that API. */
    cloudflareId: text('cloudflare_id'),
    /** What the host must do (DNS records), or why verification failed. */
    detail: text('detail'),
    verifiedAt: integer('verified_at'),
    /** The value `_hashyard.<hostname>` must hold as TXT before activation (migration 0014). */
    ownershipToken: text('ownership_token'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('custom_domains_hostname_unique').on(t.hostname), index('custom_domains_host_idx').on(t.hostId)],
);

/** A person who signs in to the admin app. Membership in hosts is in host_users. */
export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    /** Bumped by signing out or changing the password: every token with an older one stops working. */
    sessionVersion: integer('session_version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_unique').on(t.email)],
);

export { STAFF_ROLES, type StaffRole };

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
    /** JSON array of the site ids this member may see; null = every site (src/team/scope.ts). */
    siteIds: text('site_ids'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.hostId, t.userId] }),
    index('host_users_user_idx').on(t.userId),
    // Exactly one owner per host: the database refuses a second one whatever the code path.
    uniqueIndex('host_users_one_owner').on(t.hostId).where(sql`role = 'owner'`),
  ],
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
    /** JSON array of API_KEY_SCOPES the key holds beyond the ordinary API (src/auth/api-keys.ts). */
    scopes: text('scopes').notNull().default('[]'),
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
    /** Billing: tax (Settings → Billing) is not charged to this customer. */
    taxExempt: integer('tax_exempt', { mode: 'boolean' }).notNull().default(false),
    /** Pool guard: email and a portal alert when any of the customer's units changes pool (their opt-in). */
    poolChangeNotice: integer('pool_change_notice', { mode: 'boolean' }).notNull().default(false),
    /**
     * What the list's search looks in, lowercased and joined by a unit separator (so a match
     * cannot span two fields). Virtual, and indexed with host_id: a search reads the index alone
     * instead of every row of the host (src/customers/service.ts, customerFilters).
     */
    searchText: text('search_text').generatedAlwaysAs(
      sql`sort_name || char(31) || lower(coalesce(company_name, '')) || char(31) || lower(contact_email) || char(31) || lower(coalesce(billing_email, ''))`,
      { mode: 'virtual' },
    ),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('customers_host_search_idx').on(t.hostId, t.searchText),
    index('customers_host_sort_idx').on(t.hostId, t.sortName, t.id),
    index('customers_host_created_idx').on(t.hostId, t.createdAt, t.id),
    index('customers_host_email_idx').on(t.hostId, t.contactEmail),
  ],
);

export const CUSTOMER_USER_ROLES = ['owner', 'member'] as const;

/**
 * A person who signs in to one host's portal as a member of one customer. Separate from staff
 * `users`: a portal account can never reach the admin app.
 */
export const customerUsers = sqliteTable(
  'customer_users',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: CUSTOMER_USER_ROLES }).notNull(),
    /** Bumped on removal or password reset: sessions carrying an older version stop working. */
    sessionVersion: integer('session_version').notNull().default(1),
    removedAt: integer('removed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('customer_users_host_email_unique').on(t.hostId, t.email), index('customer_users_customer_idx').on(t.customerId)],
);

/** An invitation to a customer's portal team: bound to one email, single-use, expiring. */
export const invites = sqliteTable(
  'invites',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    role: text('role', { enum: CUSTOMER_USER_ROLES }).notNull(),
    /** SHA-256 of the token in the emailed link. */
    tokenHash: text('token_hash').notNull(),
    invitedByKind: text('invited_by_kind', { enum: ['staff', 'customer'] }).notNull(),
    invitedById: text('invited_by_id').notNull(),
    invitedByLabel: text('invited_by_label').notNull(),
    expiresAt: integer('expires_at').notNull(),
    acceptedAt: integer('accepted_at'),
    revokedAt: integer('revoked_at'),
    lastSentAt: integer('last_sent_at').notNull(),
    sendCount: integer('send_count').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('invites_token_unique').on(t.tokenHash),
    index('invites_customer_idx').on(t.hostId, t.customerId),
  ],
);

/** Single-use, expiring password-reset links for portal accounts. */
export const passwordResets = sqliteTable(
  'password_resets',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerUserId: text('customer_user_id')
      .notNull()
      .references(() => customerUsers.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('password_resets_token_unique').on(t.tokenHash)],
);

export const EMAIL_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const;

/**
 * Every email is written here first (nothing is lost), then its id is queued. The consumer
 * renders and sends it, and marks the row; a row already `sent` is never sent again.
 */
export const emailOutbox = sqliteTable(
  'email_outbox',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id').references(() => hosts.id, { onDelete: 'cascade' }),
    toEmail: text('to_email').notNull(),
    /** Which template renders it (src/email/templates). */
    template: text('template').notNull(),
    /** JSON data for the template. */
    payload: text('payload').notNull(),
    subject: text('subject').notNull(),
    status: text('status', { enum: EMAIL_STATUSES }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** Which transport delivered it: `mailchannels` or `local`. */
    transport: text('transport'),
    /** The rendered message as delivered (kept for the development mailbox and support). */
    renderedHtml: text('rendered_html'),
    renderedText: text('rendered_text'),
    sentAt: integer('sent_at'),
    createdAt: createdAt(),
  },
  (t) => [index('email_outbox_host_idx').on(t.hostId, t.createdAt), index('email_outbox_status_idx').on(t.status)],
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
    /** The overdue invoice that opened it automatically (null when opened by hand). */
    invoiceId: text('invoice_id'),
    openedBy: text('opened_by'),
    closedBy: text('closed_by'),
    closeReason: text('close_reason'),
    /** When the last weekly "credit posted" email went out. */
    creditNoticeAt: integer('credit_notice_at'),
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
    /** The worker name rule with {account} filled in; {serial}, {mac}, {unit} are per unit. */
    poolUser: text('pool_user').notNull(),
    startedAt: integer('started_at').notNull(),
    endedAt: integer('ended_at'),
    poolPassword: text('pool_password').notNull().default('x'),
    /** The holding pools after pool_url, in priority order, as at the start (migrations/0019). */
    backupPools: text('backup_pools', { mode: 'json' }).$type<{ url: string; user: string }[]>().notNull().default([]),
    /** all: every unit of the customer (later ones join); count/percent: a fixed share. */
    scope: text('scope', { enum: ['all', 'count', 'percent'] }).notNull().default('all'),
    scopeValue: integer('scope_value'),
    startedBy: text('started_by'),
    endedBy: text('ended_by'),
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
    /** Most staged units the site may hold; null = twice its units, at least 5,000 (migration 0014). */
    stagedCap: integer('staged_cap'),
    /** When telemetry last had units refused for the staging cap, and how many (the site page warns). */
    stagingRefusedAt: integer('staging_refused_at'),
    stagingRefusedCount: integer('staging_refused_count'),
    /** SiteState objects serving the site's live state (migration 0021, src/live/shard.ts); only grows. */
    liveShards: integer('live_shards').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('sites_host_idx').on(t.hostId)],
);

export const MINER_STATUSES = ['staged', 'unassigned', 'assigned', 'retired'] as const;

/** A CIDR the site's agent scans for miners (TCP 4028). */
export const networkSegments = sqliteTable(
  'network_segments',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    cidr: text('cidr').notNull(),
    label: text('label'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('network_segments_site_cidr_unique').on(t.siteId, t.cidr), index('network_segments_host_idx').on(t.hostId)],
);

/**
 * A facility agent. Created with a one-time registration code (hashed, expiring); registering
 * exchanges the code for a bearer token (hashed) bound to this agent's site.
 */
export const agents = sqliteTable(
  'agents',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** SHA-256 of the 12-character code; null once used. */
    codeHash: text('code_hash'),
    codeExpiresAt: integer('code_expires_at'),
    /** The code's first 4 symbols, kept plain to find the code being tried (migration 0014). */
    codeSelector: text('code_selector'),
    /** Wrong secrets tried against this code; it expires at AGENT_CODE_MAX_FAILURES. */
    codeFailures: integer('code_failures').notNull().default(0),
    /** SHA-256 of the bearer token; null until registered. */
    tokenHash: text('token_hash'),
    registeredAt: integer('registered_at'),
    revokedAt: integer('revoked_at'),
    lastSeenAt: integer('last_seen_at'),
    version: text('version'),
    hostname: text('hostname'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('agents_code_unique').on(t.codeHash),
    uniqueIndex('agents_code_selector_unique').on(t.codeSelector),
    uniqueIndex('agents_token_unique').on(t.tokenHash),
    index('agents_site_idx').on(t.hostId, t.siteId),
  ],
);

export const miners = sqliteTable(
  'miners',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id),
    /** One customer at most: a single column, so the database itself enforces it. */
    customerId: text('customer_id').references(() => customers.id),
    serial: text('serial'),
    /** Lowercase, colon-separated. The agent identifies miners by MAC, serial as a fallback. */
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
    /** The customer's own pool, restored when a default pool redirect ends. */
    ownerPoolUrl: text('owner_pool_url'),
    ownerPoolUser: text('owner_pool_user'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('miners_host_idx').on(t.hostId, t.status),
    index('miners_customer_idx').on(t.customerId),
    index('miners_site_idx').on(t.siteId),
    // The Equipment list's D1 sorts, on the very expressions it orders by (d1SortKey in
    // src/equipment/service.ts), so a page walks the index instead of sorting the inventory.
    index('miners_host_serial_sort_idx').on(t.hostId, sql`lower(coalesce(${t.serial}, ${t.mac}, ''))`, t.id),
    index('miners_host_model_sort_idx').on(t.hostId, sql`lower(coalesce(${t.model}, ''))`, t.id),
    index('miners_host_created_idx').on(t.hostId, t.createdAt, t.id),
    // D1's newest change to a host's units, for the live registry's freshness (migration 0022).
    index('miners_host_updated_idx').on(t.hostId, t.updatedAt),
    uniqueIndex('miners_host_mac_unique').on(t.hostId, t.mac),
    uniqueIndex('miners_host_serial_unique').on(t.hostId, t.serial),
    // A unit known only by its address (no MAC, no serial) is unique by address within its site.
    uniqueIndex('miners_site_ip_anonymous_unique')
      .on(t.hostId, t.siteId, t.ip)
      .where(sql`${t.mac} IS NULL AND ${t.serial} IS NULL`),
  ],
);

/**
 * Where an hour's energy came from: a PDU, the miner's own reading, the nominal spec, a gap the
 * uptime counter explains (`interpolated`), or nowhere (`unknown`: energy_wh is null).
 */
export const ENERGY_SOURCES = ['miner', 'pdu', 'spec', 'interpolated', 'unknown'] as const;

/**
 * One row per miner per hour, written by the site's SiteState alarm. The primary key makes the
 * roll-up idempotent: a re-run overwrites the same hour instead of adding to it.
 */
export const usageHourly = sqliteTable(
  'usage_hourly',
  {
    minerId: text('miner_id').notNull(),
    hourStart: integer('hour_start').notNull(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    /** Who the miner belonged to during that hour (for billing). */
    customerId: text('customer_id'),
    /** Null when unknown (online with neither measured nor nominal power): never a silent 0. */
    energyWh: integer('energy_wh'),
    energySource: text('energy_source', { enum: ENERGY_SOURCES }).notNull(),
    /** Average hashrate while online, milli-TH/s. */
    avgHashrateMths: integer('avg_hashrate_mths').notNull(),
    onlineSeconds: integer('online_seconds').notNull(),
    samples: integer('samples').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.minerId, t.hourStart] }),
    index('usage_customer_idx').on(t.hostId, t.customerId, t.hourStart),
    index('usage_site_idx').on(t.hostId, t.siteId, t.hourStart),
  ],
);

/** Host-level alert rules; a host without a row uses the defaults in src/telemetry/alerts.ts. */
export const alertRules = sqliteTable('alert_rules', {
  hostId: text('host_id')
    .primaryKey()
    .references(() => hosts.id, { onDelete: 'cascade' }),
  offlineMinutes: integer('offline_minutes').notNull(),
  lowHashratePct: integer('low_hashrate_pct').notNull(),
  lowHashrateMinutes: integer('low_hashrate_minutes').notNull(),
  overTempC: integer('over_temp_c').notNull(),
  overTempMinutes: integer('over_temp_minutes').notNull(),
  cooldownMinutes: integer('cooldown_minutes').notNull(),
  emailCustomer: integer('email_customer', { mode: 'boolean' }).notNull(),
  updatedAt: updatedAt(),
});

/** pool_mismatch: the pool guard (a unit mines elsewhere than its desired pool, outside a
 * redirect); pool_change: the customer's opt-in notice of a unit leaving its pool on record. */
export const ALERT_KINDS = ['offline', 'low_hashrate', 'over_temp', 'pool_mismatch', 'pool_change'] as const;

/** An alert is open while closed_at is null. Written by SiteState; read by pages and the API. */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    minerId: text('miner_id').notNull(),
    customerId: text('customer_id'),
    kind: text('kind', { enum: ALERT_KINDS }).notNull(),
    /** What crossed the rule, e.g. {"temp_c": 92, "limit_c": 85}. */
    detail: text('detail'),
    openedAt: integer('opened_at').notNull(),
    closedAt: integer('closed_at'),
    emailedAt: integer('emailed_at'),
    /** The maintenance window (announcement id) that covered the unit when it opened: recorded, never emailed. */
    suppressedBy: text('suppressed_by'),
  },
  (t) => [
    index('alerts_host_idx').on(t.hostId, t.closedAt, t.openedAt),
    index('alerts_customer_idx').on(t.customerId, t.closedAt),
    index('alerts_miner_idx').on(t.minerId, t.kind, t.closedAt),
  ],
);

/**
 * Contract types (docs/BILLING.md): hosted = the customer's own units, billed per kWh or a fixed
 * monthly fee per unit; lease = the host's units for a monthly fee per unit; infinity = TH/s
 * bought at a price per TH per day (no units); om = operations and maintenance of sites.
 */
export const CONTRACT_KINDS = ['hosted', 'lease', 'infinity', 'om'] as const;
export const CONTRACT_STATUSES = ['draft', 'active', 'expired', 'terminated'] as const;
/** Hosted contracts: per kWh, or a fixed monthly fee per unit. */
export const HOSTED_PRICING = ['per_kwh', 'fixed_per_unit'] as const;
/**
 * Where a per-kWh contract's kWh come from: metered = usage_hourly.energy_wh as recorded (PDU,
 * miner-reported or spec, per row); spec = the unit's nominal W x hours online; hashrate =
 * the contract's J/TH x TH delivered.
 */
export const KWH_SOURCES = ['metered', 'spec', 'hashrate'] as const;

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
    /** ISO 4217: the customer's billing currency when the contract was made. */
    currency: text('currency').notNull(),
    /** Calendar dates in the host's time zone, ISO `YYYY-MM-DD`; end_date is the last day covered. */
    startDate: text('start_date').notNull(),
    termMonths: integer('term_months').notNull(),
    endDate: text('end_date').notNull(),
    autoRenew: integer('auto_renew', { mode: 'boolean' }).notNull().default(false),
    renewalNoticeDays: integer('renewal_notice_days').notNull().default(30),
    /** Hosted only. */
    pricing: text('pricing', { enum: HOSTED_PRICING }),
    /** Hosted per kWh only. */
    kwhSource: text('kwh_source', { enum: KWH_SOURCES }),
    /** Micro-units of the contract currency per kWh; null = the unit's site rate, else the host default. */
    energyRateMicrosPerKwh: integer('energy_rate_micros_per_kwh'),
    /** Hashrate-derived kWh: milli-J/TH (21.5 J/TH = 21500). */
    efficiencyMjPerTh: integer('efficiency_mj_per_th'),
    /** Minor units per unit per month (hosted fixed, lease), or per month in all (O&M). */
    monthlyFeeMinor: integer('monthly_fee_minor'),
    /** Infinity: milli-TH/s bought, and micro-units per TH/s per day. */
    infinityMths: integer('infinity_mths'),
    priceMicrosPerThDay: integer('price_micros_per_th_day'),
    setupFeeMinor: integer('setup_fee_minor').notNull().default(0),
    depositMinor: integer('deposit_minor').notNull().default(0),
    /** Lease: manual extensions so far (at most 3). */
    extensions: integer('extensions').notNull().default(0),
    notes: text('notes'),
    activatedAt: integer('activated_at'),
    /** Terminated or expired: when, and why (a termination's reason is typed by staff). */
    endedAt: integer('ended_at'),
    endReason: text('end_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('contracts_customer_idx').on(t.customerId, t.status), index('contracts_host_idx').on(t.hostId, t.status)],
);

/**
 * Units under a contract. `active` is 1 exactly while the contract is active, so the partial
 * unique index keeps a unit in at most one active contract, in the database itself.
 */
export const contractMiners = sqliteTable(
  'contract_miners',
  {
    contractId: text('contract_id')
      .notNull()
      .references(() => contracts.id, { onDelete: 'cascade' }),
    minerId: text('miner_id')
      .notNull()
      .references(() => miners.id, { onDelete: 'cascade' }),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    active: integer('active', { mode: 'boolean' }).notNull().default(false),
    addedAt: integer('added_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.contractId, t.minerId] }),
    uniqueIndex('contract_miners_one_active').on(t.minerId).where(sql`${t.active} = 1`),
    index('contract_miners_host_idx').on(t.hostId, t.minerId),
  ],
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

// ---------------------------------------------------------------------------------------------
// Billing (docs/BILLING.md). Money is integer minor units of the row's currency; energy integer
// Wh; rates integer micro-units per kWh; calendar dates ISO `YYYY-MM-DD` in the host's zone.

/** Settings → Billing. A host without a row uses the defaults in src/billing/settings.ts. */
export const billingSettings = sqliteTable('billing_settings', {
  hostId: text('host_id')
    .primaryKey()
    .references(() => hosts.id, { onDelete: 'cascade' }),
  /** Micro-units of the host currency per kWh for sites with a blank rate; null = none set. */
  defaultEnergyRateMicrosPerKwh: integer('default_energy_rate_micros_per_kwh'),
  netDays: integer('net_days').notNull().default(15),
  /** 1–28: a period runs from this day of a month to the day before it in the next month. */
  billingDay: integer('billing_day').notNull().default(1),
  invoicePrefix: text('invoice_prefix').notNull().default('INV'),
  taxEnabled: integer('tax_enabled', { mode: 'boolean' }).notNull().default(false),
  taxLabel: text('tax_label'),
  /** Basis points: 825 = 8.25 %. */
  taxRateBps: integer('tax_rate_bps').notNull().default(0),
  /** The host's postal address printed on invoices. */
  businessAddress: text('business_address'),
  remitTo: text('remit_to'),
  invoiceFooter: text('invoice_footer'),
  updatedAt: updatedAt(),
});

export const INVOICE_STATUSES = ['draft', 'issued', 'partially_paid', 'paid', 'overdue', 'void'] as const;

/**
 * One invoice per (customer, period) among those not void, by the partial unique index, so a
 * regeneration or two racing crons cannot make a second one. Numbers are assigned when issued:
 * `<prefix>-<year>-<seq>`, seq per (host, year) from 1 without gaps (void ones keep theirs).
 */
export const invoices = sqliteTable(
  'invoices',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    /** `YYYY-MM`: the month in which the period starts. */
    periodKey: text('period_key').notNull(),
    /** The period's first day and the day after its last, ISO dates in the host's zone. */
    periodStart: text('period_start').notNull(),
    periodEnd: text('period_end').notNull(),
    /** The period as UTC instants (epoch ms): usage hours starting in [from, to) belong to it. */
    periodFromMs: integer('period_from_ms').notNull(),
    periodToMs: integer('period_to_ms').notNull(),
    status: text('status', { enum: INVOICE_STATUSES }).notNull().default('draft'),
    /** Generated for a customer that was not Active or was in default: issued, never emailed. */
    held: integer('held', { mode: 'boolean' }).notNull().default(false),
    number: text('number'),
    numberYear: integer('number_year'),
    numberSeq: integer('number_seq'),
    currency: text('currency').notNull(),
    subtotalMinor: integer('subtotal_minor').notNull().default(0),
    taxMinor: integer('tax_minor').notNull().default(0),
    /** = the sum of the lines' amounts, exactly. */
    totalMinor: integer('total_minor').notNull().default(0),
    /** Payments and credits allocated to it. */
    paidMinor: integer('paid_minor').notNull().default(0),
    issuedOn: text('issued_on'),
    dueOn: text('due_on'),
    issuedAt: integer('issued_at'),
    paidAt: integer('paid_at'),
    emailedAt: integer('emailed_at'),
    voidedAt: integer('voided_at'),
    voidReason: text('void_reason'),
    /** A corrected invoice names the void one it replaces. */
    replacesInvoiceId: text('replaces_invoice_id'),
    generatedAt: integer('generated_at').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('invoices_one_per_period').on(t.hostId, t.customerId, t.periodKey).where(sql`${t.status} <> 'void'`),
    uniqueIndex('invoices_number_unique').on(t.hostId, t.numberYear, t.numberSeq),
    index('invoices_host_status_idx').on(t.hostId, t.status, t.dueOn),
    index('invoices_customer_idx').on(t.hostId, t.customerId, t.periodKey),
  ],
);

export const INVOICE_LINE_KINDS = ['energy', 'fixed_fee', 'lease_fee', 'om_fee', 'infinity', 'setup_fee', 'adjustment', 'credit', 'tax', 'unit_fee'] as const;

/** An invoice's lines; the invoice total is the sum of their amount_minor. */
export const invoiceLines = sqliteTable(
  'invoice_lines',
  {
    id: text('id').primaryKey(),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id, { onDelete: 'cascade' }),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    contractId: text('contract_id'),
    position: integer('position').notNull(),
    kind: text('kind', { enum: INVOICE_LINE_KINDS }).notNull(),
    description: text('description').notNull(),
    /** Energy lines: Wh billed, the kWh source, and the rate. */
    energyWh: integer('energy_wh'),
    kwhSource: text('kwh_source', { enum: KWH_SOURCES }),
    rateMicros: integer('rate_micros'),
    unitCount: integer('unit_count'),
    /** What was multiplied, as shown ("12 units x 30/31 months"); exact inputs are in `detail`. */
    quantityText: text('quantity_text'),
    amountMinor: integer('amount_minor').notNull(),
    /** Whether tax applies to this line. */
    taxable: integer('taxable', { mode: 'boolean' }).notNull().default(true),
    /** JSON: exact inputs (unit parameters, seal ids) so the line can be reproduced. */
    detail: text('detail'),
  },
  (t) => [index('invoice_lines_invoice_idx').on(t.invoiceId, t.position)],
);

export const PAYMENT_METHODS = ['ach', 'wire', 'card', 'crypto', 'check', 'other'] as const;

export const payments = sqliteTable(
  'payments',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    method: text('method', { enum: PAYMENT_METHODS }).notNull(),
    /** Bank reference, card receipt, or the crypto transaction id. */
    reference: text('reference'),
    receivedOn: text('received_on').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: text('currency').notNull(),
    notes: text('notes'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [index('payments_customer_idx').on(t.hostId, t.customerId, t.receivedOn)],
);

export const CREDIT_KINDS = ['overpayment', 'manual', 'adjustment', 'hashrate'] as const;

/** Credit a customer holds: applied to invoices (allocations) until remaining_minor is 0. */
export const credits = sqliteTable(
  'credits',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: CREDIT_KINDS }).notNull(),
    amountMinor: integer('amount_minor').notNull(),
    remainingMinor: integer('remaining_minor').notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    paymentId: text('payment_id'),
    /** JSON evidence (hashrate credits: unit, hours, TH/s, hashprice). */
    detail: text('detail'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [index('credits_customer_idx').on(t.hostId, t.customerId, t.remainingMinor)],
);

/** Money put against an invoice: from a payment or from a credit (exactly one of them). */
export const paymentAllocations = sqliteTable(
  'payment_allocations',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id, { onDelete: 'cascade' }),
    paymentId: text('payment_id').references(() => payments.id, { onDelete: 'cascade' }),
    creditId: text('credit_id').references(() => credits.id, { onDelete: 'cascade' }),
    amountMinor: integer('amount_minor').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('payment_allocations_invoice_idx').on(t.invoiceId), index('payment_allocations_payment_idx').on(t.paymentId)],
);

/**
 * A site's UTC day whose usage rows are sealed: from then on a trigger (migrations/0006) turns
 * any change to those rows into a usage_adjustments row instead of rewriting them.
 */
export const usageSealDays = sqliteTable(
  'usage_seal_days',
  {
    siteId: text('site_id').notNull(),
    /** UTC day, `YYYY-MM-DD`. */
    day: text('day').notNull(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    sealedAt: integer('sealed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.day] }), index('usage_seal_days_host_idx').on(t.hostId, t.day)],
);

/**
 * The seal of one customer's rows of one site and UTC day: SHA-256 over the canonical form of the
 * rows (docs/BILLING.md), chained to the previous seal of the same (site, customer). Sealed per
 * customer so each customer can re-derive its own seals from its evidence without seeing others'.
 * customer_key is the customer id, or '' for rows of unassigned units.
 */
export const usageSeals = sqliteTable(
  'usage_seals',
  {
    siteId: text('site_id').notNull(),
    customerKey: text('customer_key').notNull(),
    day: text('day').notNull(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    rowCount: integer('row_count').notNull(),
    energyWh: integer('energy_wh').notNull(),
    hash: text('hash').notNull(),
    prevHash: text('prev_hash').notNull(),
    sealedAt: integer('sealed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.customerKey, t.day] }), index('usage_seals_host_idx').on(t.hostId, t.customerKey, t.day)],
);

/**
 * A change that reached a sealed usage row (a late spool replay): recorded here by the trigger,
 * never written over the sealed row, and billed as an adjustment line in the next invoice.
 */
export const usageAdjustments = sqliteTable(
  'usage_adjustments',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id').notNull(),
    siteId: text('site_id').notNull(),
    minerId: text('miner_id').notNull(),
    hourStart: integer('hour_start').notNull(),
    customerId: text('customer_id'),
    oldEnergyWh: integer('old_energy_wh').notNull(),
    newEnergyWh: integer('new_energy_wh').notNull(),
    deltaWh: integer('delta_wh').notNull(),
    energySource: text('energy_source').notNull(),
    detectedAt: integer('detected_at').notNull(),
    /** The invoice that billed it; null until then. */
    invoiceId: text('invoice_id'),
  },
  (t) => [index('usage_adjustments_customer_idx').on(t.hostId, t.customerId, t.invoiceId)],
);

// ---------------------------------------------------------------------------------------------
// Default and pool redirect (issue 10, docs/DEFAULT.md; migrations/0007_default_redirect.sql).

export const HASHPRICE_SOURCES = ['manual', 'csv', 'url'] as const;

/** Settings → Default and holding pool. A host without a row never opens a default by itself. */
export const defaultSettings = sqliteTable('default_settings', {
  hostId: text('host_id')
    .primaryKey()
    .references(() => hosts.id, { onDelete: 'cascade' }),
  holdingPoolUrl: text('holding_pool_url'),
  holdingAccount: text('holding_account'),
  /** Backup holding pools (2nd, 3rd in priority); an account left blank is the first pool's. */
  holdingPool2Url: text('holding_pool2_url'),
  holdingAccount2: text('holding_account2'),
  holdingPool3Url: text('holding_pool3_url'),
  holdingAccount3: text('holding_account3'),
  workerRule: text('worker_rule').notNull().default('{account}.{serial}'),
  poolPassword: text('pool_password').notNull().default('x'),
  /** Days past the due date before an overdue invoice opens a default; null = by hand only. */
  graceDays: integer('grace_days'),
  /** Days after opening before the redirect starts by itself; null = by hand only. */
  autoRedirectDays: integer('auto_redirect_days'),
  confirmMinutes: integer('confirm_minutes').notNull().default(30),
  payDown: integer('pay_down', { mode: 'boolean' }).notNull().default(false),
  hashpriceSource: text('hashprice_source', { enum: HASHPRICE_SOURCES }).notNull().default('manual'),
  hashpriceUrl: text('hashprice_url'),
  noticeEmails: integer('notice_emails', { mode: 'boolean' }).notNull().default(true),
  updatedAt: updatedAt(),
});

/** Hashprice per UTC day, integer micro-USD per TH/s per day. */
export const hashpriceDays = sqliteTable(
  'hashprice_days',
  {
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    day: text('day').notNull(),
    priceMicros: integer('price_micros').notNull(),
    source: text('source', { enum: HASHPRICE_SOURCES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.day] })],
);

export const REDIRECT_UNIT_PHASES = ['redirect', 'restore'] as const;
export const REDIRECT_UNIT_STATUSES = ['pending', 'confirmed', 'failed'] as const;

/** One unit of a redirect: the pool it reported at the start, and its progress there and back. */
export const poolRedirectUnits = sqliteTable(
  'pool_redirect_units',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    redirectId: text('redirect_id')
      .notNull()
      .references(() => poolRedirects.id, { onDelete: 'cascade' }),
    customerId: text('customer_id').notNull(),
    minerId: text('miner_id').notNull(),
    siteId: text('site_id').notNull(),
    previousPoolUrl: text('previous_pool_url'),
    previousPoolUser: text('previous_pool_user'),
    targetPoolUrl: text('target_pool_url').notNull(),
    targetPoolUser: text('target_pool_user').notNull(),
    /** The backup holding pools with this unit's worker name, in priority order (migrations/0019). */
    targetBackupPools: text('target_backup_pools', { mode: 'json' }).$type<{ url: string; user: string }[]>().notNull().default([]),
    phase: text('phase', { enum: REDIRECT_UNIT_PHASES }).notNull().default('redirect'),
    status: text('status', { enum: REDIRECT_UNIT_STATUSES }).notNull().default('pending'),
    /** unreachable | refused | timeout | no_previous_pool */
    failure: text('failure'),
    failureMessage: text('failure_message'),
    attempts: integer('attempts').notNull().default(1),
    /** When the current phase was asked for (the confirmation clock starts here). */
    requestedAt: integer('requested_at').notNull(),
    confirmedAt: integer('confirmed_at'),
    /** When the unit was confirmed on the holding pool (kept through the restore: credit evidence). */
    redirectedAt: integer('redirected_at'),
    joinedAt: integer('joined_at').notNull(),
  },
  (t) => [
    uniqueIndex('pool_redirect_units_unit').on(t.redirectId, t.minerId),
    index('pool_redirect_units_miner_idx').on(t.hostId, t.minerId, t.phase, t.status),
    index('pool_redirect_units_open_idx').on(t.hostId, t.status),
  ],
);

/** One hashrate credit per (case, UTC day). */
export const hashrateCreditDays = sqliteTable(
  'hashrate_credit_days',
  {
    defaultCaseId: text('default_case_id').notNull(),
    day: text('day').notNull(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    creditId: text('credit_id'),
    amountMinor: integer('amount_minor').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.defaultCaseId, t.day] })],
);

// ---------------------------------------------------------------------------------------------
// Notify (issue 12, migrations/0009_notify.sql): announcements, their recipients (one outbox row
// each), portal dismissals, and maintenance windows (the units a window covers).

export const ANNOUNCEMENT_KINDS = ['announcement', 'maintenance'] as const;
export const ANNOUNCEMENT_FORMATS = ['plain', 'markdown'] as const;
/** scheduled → sending (recipients fixed, chunks fanning out) → sent (every outbox row written); or cancelled. */
export const ANNOUNCEMENT_STATUSES = ['scheduled', 'sending', 'sent', 'cancelled'] as const;

export const announcements = sqliteTable(
  'announcements',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ANNOUNCEMENT_KINDS }).notNull().default('announcement'),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    format: text('format', { enum: ANNOUNCEMENT_FORMATS }).notNull().default('plain'),
    /** JSON: the target as chosen (src/notify/schema.ts, AnnouncementTarget). */
    target: text('target').notNull(),
    status: text('status', { enum: ANNOUNCEMENT_STATUSES }).notNull().default('scheduled'),
    /** When the (first) email goes out: now, the chosen time, or a maintenance window's notice time. */
    sendAt: integer('send_at').notNull(),
    /** The sender that fixed the recipients (a guarded UPDATE in one batch with their insert). */
    claimId: text('claim_id'),
    startedAt: integer('started_at'),
    recipientCount: integer('recipient_count').notNull().default(0),
    /** The platform origin the announcement was created on: portal links in its emails. */
    origin: text('origin'),
    /** Maintenance windows only. */
    siteId: text('site_id'),
    startsAt: integer('starts_at'),
    endsAt: integer('ends_at'),
    noticeMinutes: integer('notice_minutes'),
    endedNoticeAt: integer('ended_notice_at'),
    createdByLabel: text('created_by_label').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('announcements_host_idx').on(t.hostId, t.createdAt),
    index('announcements_due_idx').on(t.status, t.sendAt),
    index('announcements_maintenance_end_idx').on(t.kind, t.endedNoticeAt, t.endsAt),
  ],
);

/** Fixed when sending starts; `seq` numbers them so the fan-out can hand out ranges. */
export const announcementRecipients = sqliteTable(
  'announcement_recipients',
  {
    announcementId: text('announcement_id')
      .notNull()
      .references(() => announcements.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    hostId: text('host_id').notNull(),
    customerId: text('customer_id').notNull(),
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    /** The id its email_outbox row gets (chosen up front, so a redelivered chunk inserts nothing twice). */
    outboxId: text('outbox_id').notNull(),
    /** Maintenance windows: the "maintenance finished" email's outbox id. */
    endedOutboxId: text('ended_outbox_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.announcementId, t.seq] }),
    uniqueIndex('announcement_recipients_email_unique').on(t.announcementId, t.email),
    index('announcement_recipients_customer_idx').on(t.hostId, t.customerId),
  ],
);

export const announcementDismissals = sqliteTable(
  'announcement_dismissals',
  {
    announcementId: text('announcement_id')
      .notNull()
      .references(() => announcements.id, { onDelete: 'cascade' }),
    customerUserId: text('customer_user_id').notNull(),
    dismissedAt: integer('dismissed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.announcementId, t.customerUserId] })],
);

/** The units a maintenance window covers, with its times copied so alert and usage reads join one table. */
export const maintenanceUnits = sqliteTable(
  'maintenance_units',
  {
    announcementId: text('announcement_id')
      .notNull()
      .references(() => announcements.id, { onDelete: 'cascade' }),
    minerId: text('miner_id').notNull(),
    hostId: text('host_id').notNull(),
    customerId: text('customer_id'),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.announcementId, t.minerId] }),
    index('maintenance_units_miner_idx').on(t.minerId, t.startsAt),
    index('maintenance_units_host_idx').on(t.hostId, t.endsAt),
  ],
);

// ---------------------------------------------------------------------------------------------
// Support tickets (migrations/0010_tickets.sql, src/support/).

export const TICKET_STATUSES = ['open', 'pending', 'resolved', 'closed'] as const;
export const TICKET_CATEGORIES = ['hardware', 'network', 'billing', 'payout', 'other'] as const;
export const TICKET_AUTHOR_KINDS = ['customer', 'staff', 'api_key', 'system'] as const;

/** A customer's support request; `number` counts per host from 1 (#12 in pages and emails). */
export const supportTickets = sqliteTable(
  'support_tickets',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    subject: text('subject').notNull(),
    category: text('category', { enum: TICKET_CATEGORIES }).notNull(),
    status: text('status', { enum: TICKET_STATUSES }).notNull().default('open'),
    assigneeUserId: text('assignee_user_id').references(() => users.id, { onDelete: 'set null' }),
    openedByKind: text('opened_by_kind', { enum: TICKET_AUTHOR_KINDS }).notNull(),
    openedByLabel: text('opened_by_label').notNull(),
    /** "Question this line": the invoice line disputed, and the credit that settled it. */
    invoiceId: text('invoice_id'),
    invoiceLineId: text('invoice_line_id'),
    creditId: text('credit_id'),
    lastMessageAt: integer('last_message_at').notNull(),
    /** Since when the customer has waited for staff (their newest unanswered message); null = not waiting. */
    waitingSince: integer('waiting_since'),
    resolvedAt: integer('resolved_at'),
    closedAt: integer('closed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('support_tickets_number_unique').on(t.hostId, t.number),
    index('support_tickets_host_idx').on(t.hostId, t.status, t.lastMessageAt),
    index('support_tickets_customer_idx').on(t.hostId, t.customerId, t.lastMessageAt),
    index('support_tickets_line_idx').on(t.hostId, t.invoiceId, t.invoiceLineId),
  ],
);

export const supportTicketUnits = sqliteTable(
  'support_ticket_units',
  {
    ticketId: text('ticket_id')
      .notNull()
      .references(() => supportTickets.id, { onDelete: 'cascade' }),
    minerId: text('miner_id')
      .notNull()
      .references(() => miners.id, { onDelete: 'cascade' }),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.ticketId, t.minerId] })],
);

/** The thread. `internal` rows are staff notes: never in the portal, its JSON or any email. */
export const supportMessages = sqliteTable(
  'support_messages',
  {
    id: text('id').primaryKey(),
    ticketId: text('ticket_id')
      .notNull()
      .references(() => supportTickets.id, { onDelete: 'cascade' }),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    authorKind: text('author_kind', { enum: TICKET_AUTHOR_KINDS }).notNull(),
    authorId: text('author_id'),
    authorLabel: text('author_label').notNull(),
    internal: integer('internal', { mode: 'boolean' }).notNull().default(false),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('support_messages_ticket_idx').on(t.ticketId, t.createdAt)],
);

/** A file on a message, in R2 (FILES) under `tickets/<host>/<ticket>/<id>`; its type was checked from its bytes. */
export const supportAttachments = sqliteTable(
  'support_attachments',
  {
    id: text('id').primaryKey(),
    ticketId: text('ticket_id')
      .notNull()
      .references(() => supportTickets.id, { onDelete: 'cascade' }),
    messageId: text('message_id')
      .notNull()
      .references(() => supportMessages.id, { onDelete: 'cascade' }),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    r2Key: text('r2_key').notNull(),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('support_attachments_message_idx').on(t.messageId)],
);

/** Where new tickets and customer replies are emailed when a ticket has no assignee. */
export const supportSettings = sqliteTable('support_settings', {
  hostId: text('host_id')
    .primaryKey()
    .references(() => hosts.id, { onDelete: 'cascade' }),
  supportEmail: text('support_email'),
  updatedAt: updatedAt(),
});

// ---------------------------------------------------------------------------------------------
// Legal agreements and quotes (issue 13; migrations/0011_legal_quotes.sql)

export const LEGAL_AUDIENCES = ['all', 'none', ...CONTRACT_KINDS] as const;
export const LEGAL_FORMATS = ['markdown', 'pdf'] as const;

/** An agreement a host's customers accept; `required_for` says whose portal it gates. */
export const legalDocuments = sqliteTable(
  'legal_documents',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    /** 'all' customers, 'none' (published, not required), or customers with a contract of that kind. */
    requiredFor: text('required_for', { enum: LEGAL_AUDIENCES }).notNull().default('all'),
    currentVersionId: text('current_version_id'),
    archivedAt: integer('archived_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('legal_documents_host_idx').on(t.hostId, t.archivedAt)],
);

/** One published version: immutable; Markdown in `body`, or a PDF in R2 at `file_key`. */
export const legalDocumentVersions = sqliteTable(
  'legal_document_versions',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    documentId: text('document_id')
      .notNull()
      .references(() => legalDocuments.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    format: text('format', { enum: LEGAL_FORMATS }).notNull(),
    body: text('body'),
    fileKey: text('file_key'),
    fileName: text('file_name'),
    sizeBytes: integer('size_bytes').notNull(),
    /** SHA-256 (hex) of the exact UTF-8 text or PDF bytes. */
    sha256: text('sha256').notNull(),
    changeNote: text('change_note'),
    publishedByLabel: text('published_by_label').notNull(),
    publishedAt: integer('published_at').notNull(),
  },
  (t) => [uniqueIndex('legal_document_versions_unique').on(t.documentId, t.version)],
);

/** A customer's acceptance of one version, by one of its portal members. */
export const legalAcceptances = sqliteTable(
  'legal_acceptances',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    documentId: text('document_id')
      .notNull()
      .references(() => legalDocuments.id, { onDelete: 'cascade' }),
    versionId: text('version_id')
      .notNull()
      .references(() => legalDocumentVersions.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    sha256: text('sha256').notNull(),
    customerUserId: text('customer_user_id').notNull(),
    acceptedByName: text('accepted_by_name').notNull(),
    acceptedByEmail: text('accepted_by_email').notNull(),
    ip: text('ip'),
    acceptedAt: integer('accepted_at').notNull(),
  },
  (t) => [
    uniqueIndex('legal_acceptances_customer_version_unique').on(t.customerId, t.versionId),
    index('legal_acceptances_document_idx').on(t.hostId, t.documentId, t.acceptedAt),
  ],
);

export const QUOTE_STATUSES = ['draft', 'sent', 'viewed', 'accepted', 'declined', 'expired'] as const;

/** A sales quote to a prospect; accepting it makes the customer, a draft contract and an invite. */
export const quotes = sqliteTable(
  'quotes',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    status: text('status', { enum: QUOTE_STATUSES }).notNull().default('draft'),
    prospectName: text('prospect_name').notNull(),
    prospectCompany: text('prospect_company'),
    prospectEmail: text('prospect_email').notNull(),
    prospectPhone: text('prospect_phone'),
    kind: text('kind', { enum: CONTRACT_KINDS }).notNull(),
    currency: text('currency').notNull(),
    pricing: text('pricing', { enum: HOSTED_PRICING }),
    energyRateMicrosPerKwh: integer('energy_rate_micros_per_kwh'),
    monthlyFeeMinor: integer('monthly_fee_minor'),
    priceMicrosPerThDay: integer('price_micros_per_th_day'),
    termMonths: integer('term_months').notNull(),
    setupFeeMinor: integer('setup_fee_minor').notNull().default(0),
    depositMinor: integer('deposit_minor').notNull().default(0),
    /** YYYY-MM-DD, the last day it can be accepted (host timezone). */
    validUntil: text('valid_until').notNull(),
    notes: text('notes'),
    monthlyEstimateMinor: integer('monthly_estimate_minor').notNull(),
    /** SHA-256 of the emailed link's token; null until sent. */
    tokenHash: text('token_hash'),
    sentAt: integer('sent_at'),
    viewedAt: integer('viewed_at'),
    acceptedAt: integer('accepted_at'),
    acceptedByName: text('accepted_by_name'),
    acceptedByTitle: text('accepted_by_title'),
    acceptedIp: text('accepted_ip'),
    /** JSON: the agreement versions (id, version, sha256) the signer ticked. */
    acceptedAgreements: text('accepted_agreements'),
    declinedAt: integer('declined_at'),
    declineReason: text('decline_reason'),
    customerId: text('customer_id'),
    contractId: text('contract_id'),
    createdByLabel: text('created_by_label').notNull(),
    createdByEmail: text('created_by_email').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('quotes_host_number_unique').on(t.hostId, t.number),
    uniqueIndex('quotes_token_unique').on(t.tokenHash),
    index('quotes_host_status_idx').on(t.hostId, t.status, t.createdAt),
  ],
);

export const quoteLines = sqliteTable(
  'quote_lines',
  {
    id: text('id').primaryKey(),
    quoteId: text('quote_id')
      .notNull()
      .references(() => quotes.id, { onDelete: 'cascade' }),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    /** Model (hosted/lease), a label (infinity) or the sites (O&M). */
    description: text('description').notNull(),
    /** Units, or sites for O&M; 1 for an Infinity line. */
    units: integer('units').notNull(),
    /** Nominal hashrate per unit in milli-TH/s (for Infinity: the line's TH/s). */
    nominalMths: integer('nominal_mths'),
    powerW: integer('power_w'),
    monthlyMinor: integer('monthly_minor').notNull(),
  },
  (t) => [index('quote_lines_quote_idx').on(t.quoteId, t.position)],
);

// ---------------------------------------------------------------------------------------------
// The host's team (issue 16): staff invitations, ownership transfer, the data export.

/** An emailed invitation to join a host's staff: single use, 7 days, the token stored hashed. */
export const staffInvites = sqliteTable(
  'staff_invites',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    /** JSON array of site ids the member will be limited to; null = every site. */
    siteIds: text('site_ids'),
    tokenHash: text('token_hash').notNull(),
    invitedById: text('invited_by_id').notNull(),
    invitedByLabel: text('invited_by_label').notNull(),
    expiresAt: integer('expires_at').notNull(),
    acceptedAt: integer('accepted_at'),
    acceptedBy: text('accepted_by'),
    revokedAt: integer('revoked_at'),
    lastSentAt: integer('last_sent_at').notNull(),
    sendCount: integer('send_count').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('staff_invites_token_unique').on(t.tokenHash), index('staff_invites_host_idx').on(t.hostId, t.createdAt)],
);

/** The owner hands the host to an admin; the admin confirms from an emailed link. */
export const ownershipTransfers = sqliteTable(
  'ownership_transfers',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    fromUserId: text('from_user_id').notNull(),
    toUserId: text('to_user_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: integer('expires_at').notNull(),
    acceptedAt: integer('accepted_at'),
    cancelledAt: integer('cancelled_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('ownership_transfers_token_unique').on(t.tokenHash), index('ownership_transfers_host_idx').on(t.hostId)],
);

export const HOST_EXPORT_STATUSES = ['queued', 'running', 'ready', 'failed', 'expired'] as const;

/** Settings → Export: a ZIP of CSVs built by the export queue and kept in R2 for 7 days. */
export const hostExports = sqliteTable(
  'host_exports',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    requestedById: text('requested_by_id').notNull(),
    requestedByEmail: text('requested_by_email').notNull(),
    status: text('status', { enum: HOST_EXPORT_STATUSES }).notNull().default('queued'),
    /** 0–100, the share of tables written. */
    progress: integer('progress').notNull().default(0),
    objectKey: text('object_key'),
    sizeBytes: integer('size_bytes'),
    rowCount: integer('row_count'),
    error: text('error'),
    /** JSON: the build's resumable state (src/team/export.ts, migration 0016); null when done. */
    state: text('state'),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('host_exports_host_idx').on(t.hostId, t.createdAt), index('host_exports_expiry_idx').on(t.status, t.expiresAt)],
);

// ---------------------------------------------------------------------------------------------
// Energy (issue 17): a host's own miner models, matched before the built-in catalogue.

export const hostModels = sqliteTable(
  'host_models',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** normaliseModel(name): what a reported model string is compared with. */
    matchKey: text('match_key').notNull(),
    nominalHashrateMths: integer('nominal_hashrate_mths').notNull(),
    nominalPowerW: integer('nominal_power_w').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('host_models_key_unique').on(t.hostId, t.matchKey)],
);

// ---------------------------------------------------------------------------------------------
// Trust and hardening (issue 11, migration 0014).

/** One successful sign-in, for the account's "Recent sign-ins" list (staff: a user; customer: a portal account). */
export const signIns = sqliteTable(
  'sign_ins',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    accountKind: text('account_kind', { enum: ['staff', 'customer'] }).notNull(),
    accountId: text('account_id').notNull(),
    ip: text('ip'),
    country: text('country'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
  },
  (t) => [index('sign_ins_account_idx').on(t.accountKind, t.accountId, t.createdAt)],
);

/** Failed sign-ins per account key (see src/security/sign-in-delay.ts); deleted on success. */
export const signInFailures = sqliteTable('sign_in_failures', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  lastFailureAt: integer('last_failure_at').notNull(),
});

// ---------------------------------------------------------------------------------------------
// Two-factor sign-in (issue 11, migration 0015).

/** An account's TOTP enrolment (pending until enabledAt); see src/security/two-factor.ts. */
export const twoFactor = sqliteTable(
  'two_factor',
  {
    id: text('id').primaryKey(),
    accountKind: text('account_kind', { enum: ['staff', 'customer'] }).notNull(),
    accountId: text('account_id').notNull(),
    /** The portal account's host; null for staff (one person across hosts). */
    hostId: text('host_id').references(() => hosts.id, { onDelete: 'cascade' }),
    /** Base32 TOTP key. */
    secret: text('secret').notNull(),
    enabledAt: integer('enabled_at'),
    /** The time step of the last accepted code: that code and any older one are refused. */
    lastUsedStep: integer('last_used_step'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('two_factor_account_unique').on(t.accountKind, t.accountId)],
);

export const twoFactorRecoveryCodes = sqliteTable(
  'two_factor_recovery_codes',
  {
    id: text('id').primaryKey(),
    twoFactorId: text('two_factor_id')
      .notNull()
      .references(() => twoFactor.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('two_factor_recovery_codes_idx').on(t.twoFactorId, t.codeHash)],
);

// PDU metering (issue 17, migration 0018).

export const PDU_FAMILIES = ['apc', 'raritan', 'servertech', 'eaton'] as const;
export type PduFamily = (typeof PDU_FAMILIES)[number];
export const SNMP_VERSIONS = ['2c', '3'] as const;

/** A metered PDU at a site; `credentials` is AES-GCM ciphertext of its SNMP secrets (src/pdu/crypto.ts). */
export const pdus = sqliteTable(
  'pdus',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    address: text('address').notNull(),
    port: integer('port').notNull().default(161),
    family: text('family', { enum: PDU_FAMILIES }).notNull(),
    snmpVersion: text('snmp_version', { enum: SNMP_VERSIONS }).notNull(),
    credentials: text('credentials').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('pdus_site_address_unique').on(t.hostId, t.siteId, t.address, t.port)],
);

/** Which unit a PDU outlet feeds: one outlet per unit. */
export const pduOutlets = sqliteTable(
  'pdu_outlets',
  {
    pduId: text('pdu_id')
      .notNull()
      .references(() => pdus.id, { onDelete: 'cascade' }),
    outlet: text('outlet').notNull(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    minerId: text('miner_id')
      .notNull()
      .references(() => miners.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.pduId, t.outlet] }), uniqueIndex('pdu_outlets_miner_unique').on(t.hostId, t.minerId)],
);

// ---------------------------------------------------------------------------------------------
// Energy a host can bill: fixed fees for units without power data (issue 17, 0020_energy_fee.sql)

/** A fixed fee billed for one unit in one customer's period instead of its energy. */
export const invoiceUnitFees = sqliteTable(
  'invoice_unit_fees',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id')
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    periodKey: text('period_key').notNull(),
    minerId: text('miner_id')
      .notNull()
      .references(() => miners.id, { onDelete: 'cascade' }),
    currency: text('currency').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    note: text('note'),
    /** Who set it, as the activity log names them. */
    setBy: text('set_by').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('invoice_unit_fees_unique').on(t.hostId, t.customerId, t.periodKey, t.minerId)],
);
