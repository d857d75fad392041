/**
 * The indexes and composite primary keys of the D1 tables, as the migrations (migrations/*.sql,
 * the only source of the database's DDL) leave them: the unique indexes that settle races (D1 has
 * no interactive transactions), the partial ones that hold a rule ("one owner per host"), and
 * the ones each list and join walks.
 *
 * Not imported by the Worker: they used to be written in src/db/schema.ts as drizzle
 * `index()`/`uniqueIndex()`/`primaryKey()` definitions, which the running Worker never reads
 * (queries name their conflict targets; the relational query builder is patched out) and which
 * cost 1.7 KiB gzip of the bundle (bench/README.md, "The Worker bundle").
 * `test/integration/schema-indexes.test.ts` holds this list to the migrated database both ways,
 * so a migration that adds, drops or changes an index updates it here. Foreign keys: src/db/foreign-keys.ts.
 */

/** Each table's indexes, as `sqlite_master` holds them (whitespace collapsed). */
export const TABLE_INDEXES: Readonly<Record<string, readonly string[]>> = {
  activity_log: [
    'CREATE INDEX `activity_customer_idx` ON `activity_log` (`host_id`,`customer_id`,`created_at`)',
    'CREATE INDEX `activity_host_idx` ON `activity_log` (`host_id`,`created_at`)',
  ],
  agents: [
    'CREATE UNIQUE INDEX `agents_code_selector_unique` ON `agents` (`code_selector`)',
    'CREATE UNIQUE INDEX `agents_code_unique` ON `agents` (`code_hash`)',
    'CREATE INDEX `agents_site_idx` ON `agents` (`host_id`,`site_id`)',
    'CREATE UNIQUE INDEX `agents_token_unique` ON `agents` (`token_hash`)',
  ],
  alerts: [
    'CREATE INDEX `alerts_customer_idx` ON `alerts` (`customer_id`,`closed_at`)',
    'CREATE INDEX `alerts_host_idx` ON `alerts` (`host_id`,`closed_at`,`opened_at`)',
    'CREATE INDEX `alerts_miner_idx` ON `alerts` (`miner_id`,`kind`,`closed_at`)',
  ],
  announcement_recipients: [
    'CREATE INDEX `announcement_recipients_customer_idx` ON `announcement_recipients` (`host_id`,`customer_id`)',
    'CREATE UNIQUE INDEX `announcement_recipients_email_unique` ON `announcement_recipients` (`announcement_id`,`email`)',
  ],
  announcements: [
    'CREATE INDEX `announcements_due_idx` ON `announcements` (`status`,`send_at`)',
    'CREATE INDEX `announcements_host_idx` ON `announcements` (`host_id`,`created_at`)',
    'CREATE INDEX `announcements_maintenance_end_idx` ON `announcements` (`kind`,`ended_notice_at`,`ends_at`)',
  ],
  api_keys: [
    'CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`key_hash`)',
    'CREATE INDEX `api_keys_host_idx` ON `api_keys` (`host_id`)',
  ],
  contract_miners: [
    'CREATE INDEX `contract_miners_host_idx` ON `contract_miners` (`host_id`,`miner_id`)',
    'CREATE UNIQUE INDEX `contract_miners_one_active` ON `contract_miners` (`miner_id`) WHERE "contract_miners"."active" = 1',
  ],
  contracts: [
    'CREATE INDEX `contracts_customer_idx` ON `contracts` (`customer_id`,`status`)',
    'CREATE INDEX `contracts_host_idx` ON `contracts` (`host_id`,`status`)',
  ],
  credits: [
    'CREATE INDEX `credits_customer_idx` ON `credits` (`host_id`,`customer_id`,`remaining_minor`)',
  ],
  custom_domains: [
    'CREATE INDEX `custom_domains_host_idx` ON `custom_domains` (`host_id`)',
    'CREATE UNIQUE INDEX `custom_domains_hostname_unique` ON `custom_domains` (`hostname`)',
  ],
  customer_users: [
    'CREATE INDEX `customer_users_customer_idx` ON `customer_users` (`customer_id`)',
    'CREATE UNIQUE INDEX `customer_users_host_email_unique` ON `customer_users` (`host_id`,`email`)',
  ],
  customers: [
    'CREATE INDEX `customers_host_created_idx` ON `customers` (`host_id`,`created_at`,`id`)',
    'CREATE INDEX `customers_host_email_idx` ON `customers` (`host_id`,`contact_email`)',
    'CREATE INDEX `customers_host_search_idx` ON `customers` (`host_id`,`search_text`)',
    'CREATE INDEX `customers_host_sort_idx` ON `customers` (`host_id`,`sort_name`,`id`)',
  ],
  default_cases: [
    'CREATE INDEX `default_cases_customer_idx` ON `default_cases` (`customer_id`,`closed_at`)',
    'CREATE INDEX `default_cases_host_idx` ON `default_cases` (`host_id`)',
    'CREATE UNIQUE INDEX `default_cases_one_open` ON `default_cases` (`customer_id`) WHERE `closed_at` IS NULL',
  ],
  email_outbox: [
    'CREATE INDEX `email_outbox_host_idx` ON `email_outbox` (`host_id`,`created_at`)',
    'CREATE INDEX `email_outbox_status_idx` ON `email_outbox` (`status`)',
  ],
  host_exports: [
    'CREATE INDEX `host_exports_expiry_idx` ON `host_exports` (`status`,`expires_at`)',
    'CREATE INDEX `host_exports_host_idx` ON `host_exports` (`host_id`,`created_at`)',
  ],
  host_models: [
    'CREATE UNIQUE INDEX `host_models_key_unique` ON `host_models` (`host_id`,`match_key`)',
  ],
  host_users: [
    // Exactly one owner per host: the database refuses a second one whatever the code path.
    'CREATE UNIQUE INDEX `host_users_one_owner` ON `host_users` (`host_id`) WHERE `role` = \'owner\'',
    'CREATE INDEX `host_users_user_idx` ON `host_users` (`user_id`)',
  ],
  hosts: [
    'CREATE INDEX `hosts_delete_after_idx` ON `hosts` (`delete_after`) WHERE `delete_after` IS NOT NULL',
    'CREATE UNIQUE INDEX `hosts_host_slug_unique` ON `hosts` (`host_slug`)',
    'CREATE UNIQUE INDEX `hosts_main_slug_unique` ON `hosts` (`main_slug`)',
  ],
  invites: [
    'CREATE INDEX `invites_customer_idx` ON `invites` (`host_id`,`customer_id`)',
    'CREATE UNIQUE INDEX `invites_token_unique` ON `invites` (`token_hash`)',
  ],
  invoice_lines: [
    'CREATE INDEX `invoice_lines_invoice_idx` ON `invoice_lines` (`invoice_id`,`position`)',
  ],
  invoice_unit_fees: [
    'CREATE UNIQUE INDEX `invoice_unit_fees_unique` ON `invoice_unit_fees` (`host_id`,`customer_id`,`period_key`,`miner_id`)',
  ],
  invoices: [
    'CREATE INDEX `invoices_customer_idx` ON `invoices` (`host_id`,`customer_id`,`period_key`)',
    'CREATE INDEX `invoices_host_status_idx` ON `invoices` (`host_id`,`status`,`due_on`)',
    'CREATE UNIQUE INDEX `invoices_number_unique` ON `invoices` (`host_id`,`number_year`,`number_seq`)',
    'CREATE UNIQUE INDEX `invoices_one_per_period` ON `invoices` (`host_id`,`customer_id`,`period_key`) WHERE "invoices"."status" <> \'void\'',
  ],
  legal_acceptances: [
    'CREATE UNIQUE INDEX `legal_acceptances_customer_version_unique` ON `legal_acceptances` (`customer_id`,`version_id`)',
    'CREATE INDEX `legal_acceptances_document_idx` ON `legal_acceptances` (`host_id`,`document_id`,`accepted_at`)',
  ],
  legal_document_versions: [
    'CREATE UNIQUE INDEX `legal_document_versions_unique` ON `legal_document_versions` (`document_id`,`version`)',
  ],
  legal_documents: [
    'CREATE INDEX `legal_documents_host_idx` ON `legal_documents` (`host_id`,`archived_at`)',
  ],
  maintenance_units: [
    'CREATE INDEX `maintenance_units_host_idx` ON `maintenance_units` (`host_id`,`ends_at`)',
    'CREATE INDEX `maintenance_units_miner_idx` ON `maintenance_units` (`miner_id`,`starts_at`)',
  ],
  miners: [
    // A customer's units counted and summed per site for the portal, from the index alone (migration
    // 0024), and each site's units in the Equipment list's order (rack, serial, id: migration 0025).
    'CREATE INDEX `miners_customer_fleet_idx` ON `miners` (`host_id`,`customer_id`,`status`,`site_id`,`rack_location`,`serial`,`id`,`nominal_hashrate_mths`)',
    'CREATE INDEX `miners_customer_idx` ON `miners` (`customer_id`)',
    'CREATE INDEX `miners_host_created_idx` ON `miners` (`host_id`,`created_at`,`id`)',
    'CREATE INDEX `miners_host_idx` ON `miners` (`host_id`,`status`)',
    'CREATE UNIQUE INDEX `miners_host_mac_unique` ON `miners` (`host_id`,`mac`)',
    // The Equipment filter choices: the models from the index alone, and the count of units
    // without power data over only those with no nominal power (migration 0023).
    'CREATE INDEX `miners_host_model_idx` ON `miners` (`host_id`,`model`)',
    'CREATE INDEX `miners_host_no_power_idx` ON `miners` (`host_id`) WHERE "miners"."status" <> \'retired\' AND "miners"."nominal_power_w" IS NULL',
    // The Equipment list's D1 sorts, on the very expressions it orders by (d1SortKey in
    // src/equipment/service.ts), so a page walks the index instead of sorting the inventory.
    'CREATE INDEX `miners_host_model_sort_idx` ON `miners` (`host_id`, lower(coalesce("model", \'\')), `id`)',
    'CREATE INDEX `miners_host_serial_sort_idx` ON `miners` (`host_id`, lower(coalesce("serial", "mac", \'\')), `id`)',
    'CREATE UNIQUE INDEX `miners_host_serial_unique` ON `miners` (`host_id`,`serial`)',
    // D1's newest change to a host's units, for the live registry's freshness (rankedPage).
    'CREATE INDEX `miners_host_updated_idx` ON `miners` (`host_id`,`updated_at`)',
    'CREATE INDEX `miners_site_idx` ON `miners` (`site_id`)',
    // A unit known only by its address (no MAC, no serial) is unique by address within its site.
    'CREATE UNIQUE INDEX `miners_site_ip_anonymous_unique` ON `miners` (`host_id`,`site_id`,`ip`) WHERE "miners"."mac" IS NULL AND "miners"."serial" IS NULL',
  ],
  network_segments: [
    'CREATE INDEX `network_segments_host_idx` ON `network_segments` (`host_id`)',
    'CREATE UNIQUE INDEX `network_segments_site_cidr_unique` ON `network_segments` (`site_id`,`cidr`)',
  ],
  ownership_transfers: [
    'CREATE INDEX `ownership_transfers_host_idx` ON `ownership_transfers` (`host_id`)',
    'CREATE UNIQUE INDEX `ownership_transfers_token_unique` ON `ownership_transfers` (`token_hash`)',
  ],
  password_resets: [
    'CREATE UNIQUE INDEX `password_resets_token_unique` ON `password_resets` (`token_hash`)',
  ],
  payment_allocations: [
    'CREATE INDEX `payment_allocations_invoice_idx` ON `payment_allocations` (`invoice_id`)',
    'CREATE INDEX `payment_allocations_payment_idx` ON `payment_allocations` (`payment_id`)',
  ],
  payments: [
    'CREATE INDEX `payments_customer_idx` ON `payments` (`host_id`,`customer_id`,`received_on`)',
  ],
  pdu_outlets: [
    'CREATE UNIQUE INDEX `pdu_outlets_miner_unique` ON `pdu_outlets` (`host_id`,`miner_id`)',
  ],
  pdus: [
    'CREATE UNIQUE INDEX `pdus_site_address_unique` ON `pdus` (`host_id`,`site_id`,`address`,`port`)',
  ],
  pool_redirect_units: [
    'CREATE INDEX `pool_redirect_units_miner_idx` ON `pool_redirect_units` (`host_id`,`miner_id`,`phase`,`status`)',
    'CREATE INDEX `pool_redirect_units_open_idx` ON `pool_redirect_units` (`host_id`,`status`)',
    'CREATE UNIQUE INDEX `pool_redirect_units_unit` ON `pool_redirect_units` (`redirect_id`,`miner_id`)',
  ],
  pool_redirects: [
    'CREATE INDEX `pool_redirects_customer_idx` ON `pool_redirects` (`customer_id`,`ended_at`)',
    'CREATE INDEX `pool_redirects_host_idx` ON `pool_redirects` (`host_id`)',
    'CREATE UNIQUE INDEX `pool_redirects_one_active` ON `pool_redirects` (`customer_id`) WHERE `ended_at` IS NULL',
  ],
  quote_lines: [
    'CREATE INDEX `quote_lines_quote_idx` ON `quote_lines` (`quote_id`,`position`)',
  ],
  quotes: [
    'CREATE UNIQUE INDEX `quotes_host_number_unique` ON `quotes` (`host_id`,`number`)',
    'CREATE INDEX `quotes_host_status_idx` ON `quotes` (`host_id`,`status`,`created_at`)',
    'CREATE UNIQUE INDEX `quotes_token_unique` ON `quotes` (`token_hash`)',
  ],
  sign_ins: [
    'CREATE INDEX `sign_ins_account_idx` ON `sign_ins` (`account_kind`, `account_id`, `created_at`)',
  ],
  sites: [
    // A host's sites in name order, unique by their id: the portal Equipment list walks it (migration 0025).
    'CREATE UNIQUE INDEX `sites_host_idx` ON `sites` (`host_id`,`name`,`id`)',
  ],
  staff_invites: [
    'CREATE INDEX `staff_invites_host_idx` ON `staff_invites` (`host_id`,`created_at`)',
    'CREATE UNIQUE INDEX `staff_invites_token_unique` ON `staff_invites` (`token_hash`)',
  ],
  support_attachments: [
    'CREATE INDEX `support_attachments_message_idx` ON `support_attachments` (`message_id`)',
  ],
  support_messages: [
    'CREATE INDEX `support_messages_ticket_idx` ON `support_messages` (`ticket_id`,`created_at`)',
  ],
  support_tickets: [
    'CREATE INDEX `support_tickets_customer_idx` ON `support_tickets` (`host_id`,`customer_id`,`last_message_at`)',
    'CREATE INDEX `support_tickets_host_idx` ON `support_tickets` (`host_id`,`status`,`last_message_at`)',
    'CREATE INDEX `support_tickets_line_idx` ON `support_tickets` (`host_id`,`invoice_id`,`invoice_line_id`)',
    'CREATE UNIQUE INDEX `support_tickets_number_unique` ON `support_tickets` (`host_id`,`number`)',
  ],
  two_factor: [
    'CREATE UNIQUE INDEX `two_factor_account_unique` ON `two_factor` (`account_kind`, `account_id`)',
  ],
  two_factor_recovery_codes: [
    'CREATE INDEX `two_factor_recovery_codes_idx` ON `two_factor_recovery_codes` (`two_factor_id`, `code_hash`)',
  ],
  usage_adjustments: [
    'CREATE INDEX `usage_adjustments_customer_idx` ON `usage_adjustments` (`host_id`,`customer_id`,`invoice_id`)',
  ],
  usage_hourly: [
    'CREATE INDEX `usage_customer_idx` ON `usage_hourly` (`host_id`,`customer_id`,`hour_start`)',
    'CREATE INDEX `usage_site_idx` ON `usage_hourly` (`host_id`,`site_id`,`hour_start`)',
  ],
  usage_seal_days: [
    'CREATE INDEX `usage_seal_days_host_idx` ON `usage_seal_days` (`host_id`,`day`)',
  ],
  usage_seals: [
    'CREATE INDEX `usage_seals_host_idx` ON `usage_seals` (`host_id`,`customer_key`,`day`)',
  ],
  users: [
    'CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`)',
  ],
};

/** Tables whose primary key is several columns, in key order (the others have one `id`-like key column). */
export const COMPOSITE_PRIMARY_KEYS: Readonly<Record<string, readonly string[]>> = {
  announcement_dismissals: ['announcement_id', 'customer_user_id'],
  announcement_recipients: ['announcement_id', 'seq'],
  contract_miners: ['contract_id', 'miner_id'],
  contract_sites: ['contract_id', 'site_id'],
  hashprice_days: ['host_id', 'day'],
  hashrate_credit_days: ['default_case_id', 'day'],
  host_users: ['host_id', 'user_id'],
  maintenance_units: ['announcement_id', 'miner_id'],
  pdu_outlets: ['pdu_id', 'outlet'],
  support_ticket_units: ['ticket_id', 'miner_id'],
  usage_hourly: ['miner_id', 'hour_start'],
  usage_seal_days: ['site_id', 'day'],
  usage_seals: ['site_id', 'customer_key', 'day'],
};
