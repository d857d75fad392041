/**
 * The D1 tables and columns, as the queries see them. The database itself is made by the SQL in
 * migrations/, written by hand; src/db/indexes.ts lists its indexes and composite primary keys
 * and src/db/foreign-keys.ts its foreign keys (both checked against the migrated database by
 * test/integration/schema-indexes.test.ts), which the Worker never reads, so they are not written
 * here (1.9 KiB gzip of the bundle).
 *
 * Conventions (docs/ARCHITECTURE.md): ids are random UUIDs; every table a host owns carries
 * host_id; time is epoch milliseconds (integer); money is integer minor units; energy Wh; power W.
 */
import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { STAFF_ROLES, type StaffRole } from '../auth/roles';

const createdAt = () => integer().notNull();
const updatedAt = () => integer().notNull();

export const hosts = sqliteTable(
  'hosts',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    mainSlug: text().notNull(),
    defaultCurrency: text().notNull().default('USD'),
    timezone: text().notNull().default('UTC'),
    /** The slug in the branded portal URL (/host/<host_slug>); the main slug still resolves. */
    hostSlug: text(),
    /** R2 key of the square portal logo; null = no logo (the name is shown instead). */
    brandLogoKey: text(),
    brandSlogan: text(),
    /** #rrggbb */
    brandPrimaryColor: text(),
    brandAccentColor: text(),
    /** Closed by its owner (src/team/close.ts): every door shuts at once; data goes at deleteAfter. */
    closedAt: integer(),
    deleteAfter: integer(),
    /** Two-factor sign-in required of every staff member / every portal account (src/security/two-factor.ts). */
    requireStaffTwoFactor: integer({ mode: 'boolean' }).notNull().default(false),
    requirePortalTwoFactor: integer({ mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

export const DOMAIN_STATUSES = ['pending', 'active', 'failed'] as const;

/** A hostname that serves one host's portal at `/` once verified (status active). */
export const customDomains = sqliteTable(
  'custom_domains',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    hostname: text().notNull(),
    status: text({ enum: DOMAIN_STATUSES }).notNull().default('pending'),
    /** The Cloudflare for SaaS custom hostname id, when verified through that API. */
    cloudflareId: text(),
    /** What the host must do (DNS records), or why verification failed. */
    detail: text(),
    verifiedAt: integer(),
    /** The value `_hashyard.<hostname>` must hold as TXT before activation (migration 0014). */
    ownershipToken: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

/** A person who signs in to the admin app. Membership in hosts is in host_users. */
export const users = sqliteTable(
  'users',
  {
    id: text().primaryKey(),
    email: text().notNull(),
    name: text().notNull(),
    passwordHash: text().notNull(),
    /** Bumped by signing out or changing the password: every token with an older one stops working. */
    sessionVersion: integer().notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

export { STAFF_ROLES, type StaffRole };

export const hostUsers = sqliteTable(
  'host_users',
  {
    hostId: text()
      .notNull(),
    userId: text()
      .notNull(),
    role: text({ enum: STAFF_ROLES }).notNull(),
    /** JSON array of the site ids this member may see; null = every site (src/team/scope.ts). */
    siteIds: text(),
    createdAt: createdAt(),
  },
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    name: text().notNull(),
    /** The first characters of the key, shown in lists so people can tell keys apart. */
    prefix: text().notNull(),
    /** SHA-256 of the whole key, hex. The key itself is shown once and never stored. */
    keyHash: text().notNull(),
    createdBy: text(),
    createdAt: createdAt(),
    lastUsedAt: integer(),
    revokedAt: integer(),
    /** JSON array of API_KEY_SCOPES the key holds beyond the ordinary API (src/auth/api-keys.ts). */
    scopes: text().notNull().default('[]'),
  },
);

export const customers = sqliteTable(
  'customers',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    name: text().notNull(),
    /** lower(name): the sort and keyset-pagination key, so "apple" sorts before "Zeta". */
    sortName: text().notNull(),
    companyName: text(),
    contactEmail: text().notNull(),
    /** Null means invoices go to contact_email. */
    billingEmail: text(),
    phone: text(),
    /** ISO 4217; null means the host's default currency. */
    billingCurrency: text(),
    /** Internal: never shown to the customer. */
    notes: text(),
    active: integer({ mode: 'boolean' }).notNull().default(true),
    portalAccess: integer({ mode: 'boolean' }).notNull().default(true),
    teamName: text(),
    /** Billing: tax (Settings → Billing) is not charged to this customer. */
    taxExempt: integer({ mode: 'boolean' }).notNull().default(false),
    /** Pool guard: email and a portal alert when any of the customer's units changes pool (their opt-in). */
    poolChangeNotice: integer({ mode: 'boolean' }).notNull().default(false),
    /**
     * What the list's search looks in, lowercased and joined by a unit separator (so a match
     * cannot span two fields). Virtual, and indexed with host_id: a search reads the index alone
     * instead of every row of the host (src/customers/service.ts, customerFilters).
     */
    searchText: text().generatedAlwaysAs(
      sql`sort_name || char(31) || lower(coalesce(company_name, '')) || char(31) || lower(contact_email) || char(31) || lower(coalesce(billing_email, ''))`,
      { mode: 'virtual' },
    ),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

export const CUSTOMER_USER_ROLES = ['owner', 'member'] as const;

/**
 * A person who signs in to one host's portal as a member of one customer. Separate from staff
 * `users`: a portal account can never reach the admin app.
 */
export const customerUsers = sqliteTable(
  'customer_users',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    email: text().notNull(),
    name: text().notNull(),
    passwordHash: text().notNull(),
    role: text({ enum: CUSTOMER_USER_ROLES }).notNull(),
    /** Bumped on removal or password reset: sessions carrying an older version stop working. */
    sessionVersion: integer().notNull().default(1),
    removedAt: integer(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

/** An invitation to a customer's portal team: bound to one email, single-use, expiring. */
export const invites = sqliteTable(
  'invites',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    email: text().notNull(),
    role: text({ enum: CUSTOMER_USER_ROLES }).notNull(),
    /** SHA-256 of the token in the emailed link. */
    tokenHash: text().notNull(),
    invitedByKind: text({ enum: ['staff', 'customer'] }).notNull(),
    invitedById: text().notNull(),
    invitedByLabel: text().notNull(),
    expiresAt: integer().notNull(),
    acceptedAt: integer(),
    revokedAt: integer(),
    lastSentAt: integer().notNull(),
    sendCount: integer().notNull().default(1),
    createdAt: createdAt(),
  },
);

/** Single-use, expiring password-reset links for portal accounts. */
export const passwordResets = sqliteTable(
  'password_resets',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerUserId: text()
      .notNull(),
    tokenHash: text().notNull(),
    expiresAt: integer().notNull(),
    usedAt: integer(),
    createdAt: createdAt(),
  },
);

export const EMAIL_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const;

/**
 * Every email is written here first (nothing is lost), then its id is queued. The consumer
 * renders and sends it, and marks the row; a row already `sent` is never sent again.
 */
export const emailOutbox = sqliteTable(
  'email_outbox',
  {
    id: text().primaryKey(),
    hostId: text(),
    toEmail: text().notNull(),
    /** Which template renders it (src/email/templates). */
    template: text().notNull(),
    /** JSON data for the template. */
    payload: text().notNull(),
    subject: text().notNull(),
    status: text({ enum: EMAIL_STATUSES }).notNull().default('queued'),
    attempts: integer().notNull().default(0),
    lastError: text(),
    /** Which transport delivered it: `mailchannels` or `local`. */
    transport: text(),
    /** The rendered message as delivered (kept for the development mailbox and support). */
    renderedHtml: text(),
    renderedText: text(),
    sentAt: integer(),
    createdAt: createdAt(),
  },
);

/**
 * Open while a customer is in default (closed_at null). Opened by the billing/default issue;
 * it lives here because the customer status derivation reads it.
 */
export const defaultCases = sqliteTable(
  'default_cases',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    reason: text().notNull(),
    openedAt: integer().notNull(),
    closedAt: integer(),
    /** The overdue invoice that opened it automatically (null when opened by hand). */
    invoiceId: text(),
    openedBy: text(),
    closedBy: text(),
    closeReason: text(),
    /** When the last weekly "credit posted" email went out. */
    creditNoticeAt: integer(),
  },
);

/** Active while ended_at is null: the customer's miners point at the host's holding pool. */
export const poolRedirects = sqliteTable(
  'pool_redirects',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    defaultCaseId: text(),
    poolUrl: text().notNull(),
    /** The worker name rule with {account} filled in; {serial}, {mac}, {unit} are per unit. */
    poolUser: text().notNull(),
    startedAt: integer().notNull(),
    endedAt: integer(),
    poolPassword: text().notNull().default('x'),
    /** The holding pools after pool_url, in priority order, as at the start (migrations/0019). */
    backupPools: text({ mode: 'json' }).$type<{ url: string; user: string }[]>().notNull().default([]),
    /** all: every unit of the customer (later ones join); count/percent: a fixed share. */
    scope: text({ enum: ['all', 'count', 'percent'] }).notNull().default('all'),
    scopeValue: integer(),
    startedBy: text(),
    endedBy: text(),
  },
);

export const sites = sqliteTable(
  'sites',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    name: text().notNull(),
    city: text(),
    region: text(),
    country: text(),
    timezone: text().notNull().default('UTC'),
    capacityKw: integer(),
    /** Micro-units of the host currency per kWh; null = host default. */
    energyCostMicrosPerKwh: integer(),
    /** Most staged units the site may hold; null = twice its units, at least 5,000 (migration 0014). */
    stagedCap: integer(),
    /** When telemetry last had units refused for the staging cap, and how many (the site page warns). */
    stagingRefusedAt: integer(),
    stagingRefusedCount: integer(),
    /** SiteState objects serving the site's live state (migration 0021, src/live/shard.ts); only grows. */
    liveShards: integer().notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

export const MINER_STATUSES = ['staged', 'unassigned', 'assigned', 'retired'] as const;

/** A CIDR the site's agent scans for miners (TCP 4028). */
export const networkSegments = sqliteTable(
  'network_segments',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    siteId: text()
      .notNull(),
    cidr: text().notNull(),
    label: text(),
    createdAt: createdAt(),
  },
);

/**
 * A facility agent. Created with a one-time registration code (hashed, expiring); registering
 * exchanges the code for a bearer token (hashed) bound to this agent's site.
 */
export const agents = sqliteTable(
  'agents',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    siteId: text()
      .notNull(),
    name: text().notNull(),
    /** SHA-256 of the 12-character code; null once used. */
    codeHash: text(),
    codeExpiresAt: integer(),
    /** The code's first 4 symbols, kept plain to find the code being tried (migration 0014). */
    codeSelector: text(),
    /** Wrong secrets tried against this code; it expires at AGENT_CODE_MAX_FAILURES. */
    codeFailures: integer().notNull().default(0),
    /** SHA-256 of the bearer token; null until registered. */
    tokenHash: text(),
    registeredAt: integer(),
    revokedAt: integer(),
    lastSeenAt: integer(),
    version: text(),
    hostname: text(),
    createdBy: text(),
    createdAt: createdAt(),
  },
);

export const miners = sqliteTable(
  'miners',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    siteId: text(),
    /** One customer at most: a single column, so the database itself enforces it. */
    customerId: text(),
    serial: text(),
    /** Lowercase, colon-separated. The agent identifies miners by MAC, serial as a fallback. */
    mac: text(),
    ip: text(),
    vendor: text(),
    model: text(),
    firmware: text(),
    /** Nominal hashrate in milli-TH/s (integer), nominal power in W. */
    nominalHashrateMths: integer(),
    nominalPowerW: integer(),
    rackLocation: text(),
    status: text({ enum: MINER_STATUSES }).notNull().default('staged'),
    /** The customer's own pool, restored when a default pool redirect ends. */
    ownerPoolUrl: text(),
    ownerPoolUser: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
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
    minerId: text().notNull(),
    hourStart: integer().notNull(),
    hostId: text()
      .notNull(),
    siteId: text().notNull(),
    /** Who the miner belonged to during that hour (for billing). */
    customerId: text(),
    /** Null when unknown (online with neither measured nor nominal power): never a silent 0. */
    energyWh: integer(),
    energySource: text({ enum: ENERGY_SOURCES }).notNull(),
    /** Average hashrate while online, milli-TH/s. */
    avgHashrateMths: integer().notNull(),
    onlineSeconds: integer().notNull(),
    samples: integer().notNull(),
  },
);

/** Host-level alert rules; a host without a row uses the defaults in src/telemetry/alerts.ts. */
export const alertRules = sqliteTable('alert_rules', {
  hostId: text()
    .primaryKey(),
  offlineMinutes: integer().notNull(),
  lowHashratePct: integer().notNull(),
  lowHashrateMinutes: integer().notNull(),
  overTempC: integer().notNull(),
  overTempMinutes: integer().notNull(),
  cooldownMinutes: integer().notNull(),
  emailCustomer: integer({ mode: 'boolean' }).notNull(),
  updatedAt: updatedAt(),
});

/** pool_mismatch: the pool guard (a unit mines elsewhere than its desired pool, outside a
 * redirect); pool_change: the customer's opt-in notice of a unit leaving its pool on record. */
export const ALERT_KINDS = ['offline', 'low_hashrate', 'over_temp', 'pool_mismatch', 'pool_change'] as const;

/** An alert is open while closed_at is null. Written by SiteState; read by pages and the API. */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    siteId: text().notNull(),
    minerId: text().notNull(),
    customerId: text(),
    kind: text({ enum: ALERT_KINDS }).notNull(),
    /** What crossed the rule, e.g. {"temp_c": 92, "limit_c": 85}. */
    detail: text(),
    openedAt: integer().notNull(),
    closedAt: integer(),
    emailedAt: integer(),
    /** The maintenance window (announcement id) that covered the unit when it opened: recorded, never emailed. */
    suppressedBy: text(),
  },
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
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    kind: text({ enum: CONTRACT_KINDS }).notNull(),
    status: text({ enum: CONTRACT_STATUSES }).notNull().default('draft'),
    name: text().notNull(),
    /** ISO 4217: the customer's billing currency when the contract was made. */
    currency: text().notNull(),
    /** Calendar dates in the host's time zone, ISO `YYYY-MM-DD`; end_date is the last day covered. */
    startDate: text().notNull(),
    termMonths: integer().notNull(),
    endDate: text().notNull(),
    autoRenew: integer({ mode: 'boolean' }).notNull().default(false),
    renewalNoticeDays: integer().notNull().default(30),
    /** Hosted only. */
    pricing: text({ enum: HOSTED_PRICING }),
    /** Hosted per kWh only. */
    kwhSource: text({ enum: KWH_SOURCES }),
    /** Micro-units of the contract currency per kWh; null = the unit's site rate, else the host default. */
    energyRateMicrosPerKwh: integer(),
    /** Hashrate-derived kWh: milli-J/TH (21.5 J/TH = 21500). */
    efficiencyMjPerTh: integer(),
    /** Minor units per unit per month (hosted fixed, lease), or per month in all (O&M). */
    monthlyFeeMinor: integer(),
    /** Infinity: milli-TH/s bought, and micro-units per TH/s per day. */
    infinityMths: integer(),
    priceMicrosPerThDay: integer(),
    setupFeeMinor: integer().notNull().default(0),
    depositMinor: integer().notNull().default(0),
    /** Lease: manual extensions so far (at most 3). */
    extensions: integer().notNull().default(0),
    notes: text(),
    activatedAt: integer(),
    /** Terminated or expired: when, and why (a termination's reason is typed by staff). */
    endedAt: integer(),
    endReason: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

/**
 * Units under a contract. `active` is 1 exactly while the contract is active, so the partial
 * unique index keeps a unit in at most one active contract, in the database itself.
 */
export const contractMiners = sqliteTable(
  'contract_miners',
  {
    contractId: text()
      .notNull(),
    minerId: text()
      .notNull(),
    hostId: text()
      .notNull(),
    active: integer({ mode: 'boolean' }).notNull().default(false),
    addedAt: integer().notNull(),
  },
);

/** Sites covered by an O&M contract (operations and maintenance of the customer's own site). */
export const contractSites = sqliteTable(
  'contract_sites',
  {
    contractId: text()
      .notNull(),
    siteId: text()
      .notNull(),
    hostId: text()
      .notNull(),
  },
);

export const ACTOR_KINDS = ['staff', 'api_key', 'customer', 'system'] as const;

export const activityLog = sqliteTable(
  'activity_log',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text(),
    actorKind: text({ enum: ACTOR_KINDS }).notNull(),
    actorId: text(),
    /** Who, as shown then (a later rename does not rewrite history). */
    actorLabel: text().notNull(),
    action: text().notNull(),
    /** JSON: { field: [old, new] } for changes, or a small detail object. */
    changes: text(),
    createdAt: createdAt(),
  },
);

/** Fixed-window counters for rate limits (sign-in, sign-up). */
export const rateLimits = sqliteTable('rate_limits', {
  key: text().primaryKey(),
  windowStart: integer().notNull(),
  count: integer().notNull(),
});

// ---------------------------------------------------------------------------------------------
// Billing (docs/BILLING.md). Money is integer minor units of the row's currency; energy integer
// Wh; rates integer micro-units per kWh; calendar dates ISO `YYYY-MM-DD` in the host's zone.

/** Settings → Billing. A host without a row uses the defaults in src/billing/settings.ts. */
export const billingSettings = sqliteTable('billing_settings', {
  hostId: text()
    .primaryKey(),
  /** Micro-units of the host currency per kWh for sites with a blank rate; null = none set. */
  defaultEnergyRateMicrosPerKwh: integer(),
  netDays: integer().notNull().default(15),
  /** 1–28: a period runs from this day of a month to the day before it in the next month. */
  billingDay: integer().notNull().default(1),
  invoicePrefix: text().notNull().default('INV'),
  taxEnabled: integer({ mode: 'boolean' }).notNull().default(false),
  taxLabel: text(),
  /** Basis points: 825 = 8.25 %. */
  taxRateBps: integer().notNull().default(0),
  /** The host's postal address printed on invoices. */
  businessAddress: text(),
  remitTo: text(),
  invoiceFooter: text(),
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
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    /** `YYYY-MM`: the month in which the period starts. */
    periodKey: text().notNull(),
    /** The period's first day and the day after its last, ISO dates in the host's zone. */
    periodStart: text().notNull(),
    periodEnd: text().notNull(),
    /** The period as UTC instants (epoch ms): usage hours starting in [from, to) belong to it. */
    periodFromMs: integer().notNull(),
    periodToMs: integer().notNull(),
    status: text({ enum: INVOICE_STATUSES }).notNull().default('draft'),
    /** Generated for a customer that was not Active or was in default: issued, never emailed. */
    held: integer({ mode: 'boolean' }).notNull().default(false),
    number: text(),
    numberYear: integer(),
    numberSeq: integer(),
    currency: text().notNull(),
    subtotalMinor: integer().notNull().default(0),
    taxMinor: integer().notNull().default(0),
    /** = the sum of the lines' amounts, exactly. */
    totalMinor: integer().notNull().default(0),
    /** Payments and credits allocated to it. */
    paidMinor: integer().notNull().default(0),
    issuedOn: text(),
    dueOn: text(),
    issuedAt: integer(),
    paidAt: integer(),
    emailedAt: integer(),
    voidedAt: integer(),
    voidReason: text(),
    /** A corrected invoice names the void one it replaces. */
    replacesInvoiceId: text(),
    generatedAt: integer().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

export const INVOICE_LINE_KINDS = ['energy', 'fixed_fee', 'lease_fee', 'om_fee', 'infinity', 'setup_fee', 'adjustment', 'credit', 'tax', 'unit_fee'] as const;

/** An invoice's lines; the invoice total is the sum of their amount_minor. */
export const invoiceLines = sqliteTable(
  'invoice_lines',
  {
    id: text().primaryKey(),
    invoiceId: text()
      .notNull(),
    hostId: text()
      .notNull(),
    contractId: text(),
    position: integer().notNull(),
    kind: text({ enum: INVOICE_LINE_KINDS }).notNull(),
    description: text().notNull(),
    /** Energy lines: Wh billed, the kWh source, and the rate. */
    energyWh: integer(),
    kwhSource: text({ enum: KWH_SOURCES }),
    rateMicros: integer(),
    unitCount: integer(),
    /** What was multiplied, as shown ("12 units x 30/31 months"); exact inputs are in `detail`. */
    quantityText: text(),
    amountMinor: integer().notNull(),
    /** Whether tax applies to this line. */
    taxable: integer({ mode: 'boolean' }).notNull().default(true),
    /** JSON: exact inputs (unit parameters, seal ids) so the line can be reproduced. */
    detail: text(),
  },
);

export const PAYMENT_METHODS = ['ach', 'wire', 'card', 'crypto', 'check', 'other'] as const;

export const payments = sqliteTable(
  'payments',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    method: text({ enum: PAYMENT_METHODS }).notNull(),
    /** Bank reference, card receipt, or the crypto transaction id. */
    reference: text(),
    receivedOn: text().notNull(),
    amountMinor: integer().notNull(),
    currency: text().notNull(),
    notes: text(),
    createdBy: text(),
    createdAt: createdAt(),
  },
);

export const CREDIT_KINDS = ['overpayment', 'manual', 'adjustment', 'hashrate'] as const;

/** Credit a customer holds: applied to invoices (allocations) until remaining_minor is 0. */
export const credits = sqliteTable(
  'credits',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    kind: text({ enum: CREDIT_KINDS }).notNull(),
    amountMinor: integer().notNull(),
    remainingMinor: integer().notNull(),
    currency: text().notNull(),
    reason: text().notNull(),
    paymentId: text(),
    /** JSON evidence (hashrate credits: unit, hours, TH/s, hashprice). */
    detail: text(),
    createdBy: text(),
    createdAt: createdAt(),
  },
);

/** Money put against an invoice: from a payment or from a credit (exactly one of them). */
export const paymentAllocations = sqliteTable(
  'payment_allocations',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    invoiceId: text()
      .notNull(),
    paymentId: text(),
    creditId: text(),
    amountMinor: integer().notNull(),
    createdAt: createdAt(),
  },
);

/**
 * A site's UTC day whose usage rows are sealed: from then on a trigger (migrations/0006) turns
 * any change to those rows into a usage_adjustments row instead of rewriting them.
 */
export const usageSealDays = sqliteTable(
  'usage_seal_days',
  {
    siteId: text().notNull(),
    /** UTC day, `YYYY-MM-DD`. */
    day: text().notNull(),
    hostId: text()
      .notNull(),
    sealedAt: integer().notNull(),
  },
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
    siteId: text().notNull(),
    customerKey: text().notNull(),
    day: text().notNull(),
    hostId: text()
      .notNull(),
    rowCount: integer().notNull(),
    energyWh: integer().notNull(),
    hash: text().notNull(),
    prevHash: text().notNull(),
    sealedAt: integer().notNull(),
  },
);

/**
 * A change that reached a sealed usage row (a late spool replay): recorded here by the trigger,
 * never written over the sealed row, and billed as an adjustment line in the next invoice.
 */
export const usageAdjustments = sqliteTable(
  'usage_adjustments',
  {
    id: text().primaryKey(),
    hostId: text().notNull(),
    siteId: text().notNull(),
    minerId: text().notNull(),
    hourStart: integer().notNull(),
    customerId: text(),
    oldEnergyWh: integer().notNull(),
    newEnergyWh: integer().notNull(),
    deltaWh: integer().notNull(),
    energySource: text().notNull(),
    detectedAt: integer().notNull(),
    /** The invoice that billed it; null until then. */
    invoiceId: text(),
  },
);

// ---------------------------------------------------------------------------------------------
// Default and pool redirect (issue 10, docs/DEFAULT.md; migrations/0007_default_redirect.sql).

export const HASHPRICE_SOURCES = ['manual', 'csv', 'url'] as const;

/** Settings → Default and holding pool. A host without a row never opens a default by itself. */
export const defaultSettings = sqliteTable('default_settings', {
  hostId: text()
    .primaryKey(),
  holdingPoolUrl: text(),
  holdingAccount: text(),
  /** Backup holding pools (2nd, 3rd in priority); an account left blank is the first pool's. */
  holdingPool2Url: text(),
  holdingAccount2: text(),
  holdingPool3Url: text(),
  holdingAccount3: text(),
  workerRule: text().notNull().default('{account}.{serial}'),
  poolPassword: text().notNull().default('x'),
  /** Days past the due date before an overdue invoice opens a default; null = by hand only. */
  graceDays: integer(),
  /** Days after opening before the redirect starts by itself; null = by hand only. */
  autoRedirectDays: integer(),
  confirmMinutes: integer().notNull().default(30),
  payDown: integer({ mode: 'boolean' }).notNull().default(false),
  hashpriceSource: text({ enum: HASHPRICE_SOURCES }).notNull().default('manual'),
  hashpriceUrl: text(),
  noticeEmails: integer({ mode: 'boolean' }).notNull().default(true),
  updatedAt: updatedAt(),
});

/** Hashprice per UTC day, integer micro-USD per TH/s per day. */
export const hashpriceDays = sqliteTable(
  'hashprice_days',
  {
    hostId: text()
      .notNull(),
    day: text().notNull(),
    priceMicros: integer().notNull(),
    source: text({ enum: HASHPRICE_SOURCES }).notNull(),
    createdAt: createdAt(),
  },
);

export const REDIRECT_UNIT_PHASES = ['redirect', 'restore'] as const;
export const REDIRECT_UNIT_STATUSES = ['pending', 'confirmed', 'failed'] as const;

/** One unit of a redirect: the pool it reported at the start, and its progress there and back. */
export const poolRedirectUnits = sqliteTable(
  'pool_redirect_units',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    redirectId: text()
      .notNull(),
    customerId: text().notNull(),
    minerId: text().notNull(),
    siteId: text().notNull(),
    previousPoolUrl: text(),
    previousPoolUser: text(),
    targetPoolUrl: text().notNull(),
    targetPoolUser: text().notNull(),
    /** The backup holding pools with this unit's worker name, in priority order (migrations/0019). */
    targetBackupPools: text({ mode: 'json' }).$type<{ url: string; user: string }[]>().notNull().default([]),
    phase: text({ enum: REDIRECT_UNIT_PHASES }).notNull().default('redirect'),
    status: text({ enum: REDIRECT_UNIT_STATUSES }).notNull().default('pending'),
    /** unreachable | refused | timeout | no_previous_pool */
    failure: text(),
    failureMessage: text(),
    attempts: integer().notNull().default(1),
    /** When the current phase was asked for (the confirmation clock starts here). */
    requestedAt: integer().notNull(),
    confirmedAt: integer(),
    /** When the unit was confirmed on the holding pool (kept through the restore: credit evidence). */
    redirectedAt: integer(),
    joinedAt: integer().notNull(),
  },
);

/** One hashrate credit per (case, UTC day). */
export const hashrateCreditDays = sqliteTable(
  'hashrate_credit_days',
  {
    defaultCaseId: text().notNull(),
    day: text().notNull(),
    hostId: text()
      .notNull(),
    creditId: text(),
    amountMinor: integer().notNull(),
    createdAt: createdAt(),
  },
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
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    kind: text({ enum: ANNOUNCEMENT_KINDS }).notNull().default('announcement'),
    subject: text().notNull(),
    body: text().notNull(),
    format: text({ enum: ANNOUNCEMENT_FORMATS }).notNull().default('plain'),
    /** JSON: the target as chosen (src/notify/schema.ts, AnnouncementTarget). */
    target: text().notNull(),
    status: text({ enum: ANNOUNCEMENT_STATUSES }).notNull().default('scheduled'),
    /** When the (first) email goes out: now, the chosen time, or a maintenance window's notice time. */
    sendAt: integer().notNull(),
    /** The sender that fixed the recipients (a guarded UPDATE in one batch with their insert). */
    claimId: text(),
    startedAt: integer(),
    recipientCount: integer().notNull().default(0),
    /** The platform origin the announcement was created on: portal links in its emails. */
    origin: text(),
    /** Maintenance windows only. */
    siteId: text(),
    startsAt: integer(),
    endsAt: integer(),
    noticeMinutes: integer(),
    endedNoticeAt: integer(),
    createdByLabel: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

/** Fixed when sending starts; `seq` numbers them so the fan-out can hand out ranges. */
export const announcementRecipients = sqliteTable(
  'announcement_recipients',
  {
    announcementId: text()
      .notNull(),
    seq: integer().notNull(),
    hostId: text().notNull(),
    customerId: text().notNull(),
    email: text().notNull(),
    name: text().notNull().default(''),
    /** The id its email_outbox row gets (chosen up front, so a redelivered chunk inserts nothing twice). */
    outboxId: text().notNull(),
    /** Maintenance windows: the "maintenance finished" email's outbox id. */
    endedOutboxId: text().notNull(),
  },
);

export const announcementDismissals = sqliteTable(
  'announcement_dismissals',
  {
    announcementId: text()
      .notNull(),
    customerUserId: text().notNull(),
    dismissedAt: integer().notNull(),
  },
);

/** The units a maintenance window covers, with its times copied so alert and usage reads join one table. */
export const maintenanceUnits = sqliteTable(
  'maintenance_units',
  {
    announcementId: text()
      .notNull(),
    minerId: text().notNull(),
    hostId: text().notNull(),
    customerId: text(),
    startsAt: integer().notNull(),
    endsAt: integer().notNull(),
  },
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
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    number: integer().notNull(),
    subject: text().notNull(),
    category: text({ enum: TICKET_CATEGORIES }).notNull(),
    status: text({ enum: TICKET_STATUSES }).notNull().default('open'),
    assigneeUserId: text(),
    openedByKind: text({ enum: TICKET_AUTHOR_KINDS }).notNull(),
    openedByLabel: text().notNull(),
    /** "Question this line": the invoice line disputed, and the credit that settled it. */
    invoiceId: text(),
    invoiceLineId: text(),
    creditId: text(),
    lastMessageAt: integer().notNull(),
    /** Since when the customer has waited for staff (their newest unanswered message); null = not waiting. */
    waitingSince: integer(),
    resolvedAt: integer(),
    closedAt: integer(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

export const supportTicketUnits = sqliteTable(
  'support_ticket_units',
  {
    ticketId: text()
      .notNull(),
    minerId: text()
      .notNull(),
    hostId: text()
      .notNull(),
  },
);

/** The thread. `internal` rows are staff notes: never in the portal, its JSON or any email. */
export const supportMessages = sqliteTable(
  'support_messages',
  {
    id: text().primaryKey(),
    ticketId: text()
      .notNull(),
    hostId: text()
      .notNull(),
    authorKind: text({ enum: TICKET_AUTHOR_KINDS }).notNull(),
    authorId: text(),
    authorLabel: text().notNull(),
    internal: integer({ mode: 'boolean' }).notNull().default(false),
    body: text().notNull(),
    createdAt: createdAt(),
  },
);

/** A file on a message, in R2 (FILES) under `tickets/<host>/<ticket>/<id>`; its type was checked from its bytes. */
export const supportAttachments = sqliteTable(
  'support_attachments',
  {
    id: text().primaryKey(),
    ticketId: text()
      .notNull(),
    messageId: text()
      .notNull(),
    hostId: text()
      .notNull(),
    r2Key: text().notNull(),
    filename: text().notNull(),
    contentType: text().notNull(),
    sizeBytes: integer().notNull(),
    createdAt: createdAt(),
  },
);

/** Where new tickets and customer replies are emailed when a ticket has no assignee. */
export const supportSettings = sqliteTable('support_settings', {
  hostId: text()
    .primaryKey(),
  supportEmail: text(),
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
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    title: text().notNull(),
    /** 'all' customers, 'none' (published, not required), or customers with a contract of that kind. */
    requiredFor: text({ enum: LEGAL_AUDIENCES }).notNull().default('all'),
    currentVersionId: text(),
    archivedAt: integer(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

/** One published version: immutable; Markdown in `body`, or a PDF in R2 at `file_key`. */
export const legalDocumentVersions = sqliteTable(
  'legal_document_versions',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    documentId: text()
      .notNull(),
    version: integer().notNull(),
    format: text({ enum: LEGAL_FORMATS }).notNull(),
    body: text(),
    fileKey: text(),
    fileName: text(),
    sizeBytes: integer().notNull(),
    /** SHA-256 (hex) of the exact UTF-8 text or PDF bytes. */
    sha256: text().notNull(),
    changeNote: text(),
    publishedByLabel: text().notNull(),
    publishedAt: integer().notNull(),
  },
);

/** A customer's acceptance of one version, by one of its portal members. */
export const legalAcceptances = sqliteTable(
  'legal_acceptances',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    documentId: text()
      .notNull(),
    versionId: text()
      .notNull(),
    version: integer().notNull(),
    sha256: text().notNull(),
    customerUserId: text().notNull(),
    acceptedByName: text().notNull(),
    acceptedByEmail: text().notNull(),
    ip: text(),
    acceptedAt: integer().notNull(),
  },
);

export const QUOTE_STATUSES = ['draft', 'sent', 'viewed', 'accepted', 'declined', 'expired'] as const;

/** A sales quote to a prospect; accepting it makes the customer, a draft contract and an invite. */
export const quotes = sqliteTable(
  'quotes',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    number: integer().notNull(),
    status: text({ enum: QUOTE_STATUSES }).notNull().default('draft'),
    prospectName: text().notNull(),
    prospectCompany: text(),
    prospectEmail: text().notNull(),
    prospectPhone: text(),
    kind: text({ enum: CONTRACT_KINDS }).notNull(),
    currency: text().notNull(),
    pricing: text({ enum: HOSTED_PRICING }),
    energyRateMicrosPerKwh: integer(),
    monthlyFeeMinor: integer(),
    priceMicrosPerThDay: integer(),
    termMonths: integer().notNull(),
    setupFeeMinor: integer().notNull().default(0),
    depositMinor: integer().notNull().default(0),
    /** YYYY-MM-DD, the last day it can be accepted (host timezone). */
    validUntil: text().notNull(),
    notes: text(),
    monthlyEstimateMinor: integer().notNull(),
    /** SHA-256 of the emailed link's token; null until sent. */
    tokenHash: text(),
    sentAt: integer(),
    viewedAt: integer(),
    acceptedAt: integer(),
    acceptedByName: text(),
    acceptedByTitle: text(),
    acceptedIp: text(),
    /** JSON: the agreement versions (id, version, sha256) the signer ticked. */
    acceptedAgreements: text(),
    declinedAt: integer(),
    declineReason: text(),
    customerId: text(),
    contractId: text(),
    createdByLabel: text().notNull(),
    createdByEmail: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

export const quoteLines = sqliteTable(
  'quote_lines',
  {
    id: text().primaryKey(),
    quoteId: text()
      .notNull(),
    hostId: text()
      .notNull(),
    position: integer().notNull(),
    /** Model (hosted/lease), a label (infinity) or the sites (O&M). */
    description: text().notNull(),
    /** Units, or sites for O&M; 1 for an Infinity line. */
    units: integer().notNull(),
    /** Nominal hashrate per unit in milli-TH/s (for Infinity: the line's TH/s). */
    nominalMths: integer(),
    powerW: integer(),
    monthlyMinor: integer().notNull(),
  },
);

// ---------------------------------------------------------------------------------------------
// The host's team (issue 16): staff invitations, ownership transfer, the data export.

/** An emailed invitation to join a host's staff: single use, 7 days, the token stored hashed. */
export const staffInvites = sqliteTable(
  'staff_invites',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    email: text().notNull(),
    role: text({ enum: STAFF_ROLES }).notNull(),
    /** JSON array of site ids the member will be limited to; null = every site. */
    siteIds: text(),
    tokenHash: text().notNull(),
    invitedById: text().notNull(),
    invitedByLabel: text().notNull(),
    expiresAt: integer().notNull(),
    acceptedAt: integer(),
    acceptedBy: text(),
    revokedAt: integer(),
    lastSentAt: integer().notNull(),
    sendCount: integer().notNull().default(1),
    createdAt: createdAt(),
  },
);

/** The owner hands the host to an admin; the admin confirms from an emailed link. */
export const ownershipTransfers = sqliteTable(
  'ownership_transfers',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    fromUserId: text().notNull(),
    toUserId: text().notNull(),
    tokenHash: text().notNull(),
    expiresAt: integer().notNull(),
    acceptedAt: integer(),
    cancelledAt: integer(),
    createdAt: createdAt(),
  },
);

export const HOST_EXPORT_STATUSES = ['queued', 'running', 'ready', 'failed', 'expired'] as const;

/** Settings → Export: a ZIP of CSVs built by the export queue and kept in R2 for 7 days. */
export const hostExports = sqliteTable(
  'host_exports',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    requestedById: text().notNull(),
    requestedByEmail: text().notNull(),
    status: text({ enum: HOST_EXPORT_STATUSES }).notNull().default('queued'),
    /** 0–100, the share of tables written. */
    progress: integer().notNull().default(0),
    objectKey: text(),
    sizeBytes: integer(),
    rowCount: integer(),
    error: text(),
    /** JSON: the build's resumable state (src/team/export.ts, migration 0016); null when done. */
    state: text(),
    expiresAt: integer().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

// ---------------------------------------------------------------------------------------------
// Energy (issue 17): a host's own miner models, matched before the built-in catalogue.

export const hostModels = sqliteTable(
  'host_models',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    name: text().notNull(),
    /** normaliseModel(name): what a reported model string is compared with. */
    matchKey: text().notNull(),
    nominalHashrateMths: integer().notNull(),
    nominalPowerW: integer().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

// ---------------------------------------------------------------------------------------------
// Trust and hardening (issue 11, migration 0014).

/** One successful sign-in, for the account's "Recent sign-ins" list (staff: a user; customer: a portal account). */
export const signIns = sqliteTable(
  'sign_ins',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    accountKind: text({ enum: ['staff', 'customer'] }).notNull(),
    accountId: text().notNull(),
    ip: text(),
    country: text(),
    userAgent: text(),
    createdAt: createdAt(),
  },
);

/** Failed sign-ins per account key (see src/security/sign-in-delay.ts); deleted on success. */
export const signInFailures = sqliteTable('sign_in_failures', {
  key: text().primaryKey(),
  failures: integer().notNull(),
  lastFailureAt: integer().notNull(),
});

// ---------------------------------------------------------------------------------------------
// Two-factor sign-in (issue 11, migration 0015).

/** An account's TOTP enrolment (pending until enabledAt); see src/security/two-factor.ts. */
export const twoFactor = sqliteTable(
  'two_factor',
  {
    id: text().primaryKey(),
    accountKind: text({ enum: ['staff', 'customer'] }).notNull(),
    accountId: text().notNull(),
    /** The portal account's host; null for staff (one person across hosts). */
    hostId: text(),
    /** Base32 TOTP key. */
    secret: text().notNull(),
    enabledAt: integer(),
    /** The time step of the last accepted code: that code and any older one are refused. */
    lastUsedStep: integer(),
    createdAt: createdAt(),
  },
);

export const twoFactorRecoveryCodes = sqliteTable(
  'two_factor_recovery_codes',
  {
    id: text().primaryKey(),
    twoFactorId: text()
      .notNull(),
    codeHash: text().notNull(),
    usedAt: integer(),
  },
);

// PDU metering (issue 17, migration 0018).

export const PDU_FAMILIES = ['apc', 'raritan', 'servertech', 'eaton'] as const;
export type PduFamily = (typeof PDU_FAMILIES)[number];
export const SNMP_VERSIONS = ['2c', '3'] as const;

/** A metered PDU at a site; `credentials` is AES-GCM ciphertext of its SNMP secrets (src/pdu/crypto.ts). */
export const pdus = sqliteTable(
  'pdus',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    siteId: text()
      .notNull(),
    name: text().notNull(),
    address: text().notNull(),
    port: integer().notNull().default(161),
    family: text({ enum: PDU_FAMILIES }).notNull(),
    snmpVersion: text({ enum: SNMP_VERSIONS }).notNull(),
    credentials: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

/** Which unit a PDU outlet feeds: one outlet per unit. */
export const pduOutlets = sqliteTable(
  'pdu_outlets',
  {
    pduId: text()
      .notNull(),
    outlet: text().notNull(),
    hostId: text()
      .notNull(),
    minerId: text()
      .notNull(),
    createdAt: createdAt(),
  },
);

// ---------------------------------------------------------------------------------------------
// Energy a host can bill: fixed fees for units without power data (issue 17, 0020_energy_fee.sql)

/** A fixed fee billed for one unit in one customer's period instead of its energy. */
export const invoiceUnitFees = sqliteTable(
  'invoice_unit_fees',
  {
    id: text().primaryKey(),
    hostId: text()
      .notNull(),
    customerId: text()
      .notNull(),
    periodKey: text().notNull(),
    minerId: text()
      .notNull(),
    currency: text().notNull(),
    amountMinor: integer().notNull(),
    note: text(),
    /** Who set it, as the activity log names them. */
    setBy: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);
