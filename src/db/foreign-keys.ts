/**
 * The foreign keys of the D1 tables, as the migrations (migrations/*.sql, the only source of the
 * database's DDL) leave them: `column → table.column`, with the ON DELETE action where there is one.
 * D1 enforces them; the Worker never reads them.
 *
 * Not imported by the Worker: they used to be written in src/db/schema.ts as drizzle
 * `.references()`, which only drizzle-kit and the relational query builder read (neither runs
 * here: migrations are written by hand, and `db.query` is patched out), and which cost 0.2 KiB gzip
 * of the bundle (bench/README.md, "The Worker bundle"), the margin issue 14's 300 KiB budget
 * needed for the whole-fleet live sorts asked ahead (src/live/rank-ahead.ts).
 * `test/integration/schema-indexes.test.ts` holds this list to the migrated database both ways.
 */
export const TABLE_FOREIGN_KEYS: Readonly<Record<string, readonly string[]>> = {
  activity_log: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  agents: [
    'host_id → hosts.id ON DELETE CASCADE',
    'site_id → sites.id ON DELETE CASCADE',
  ],
  alert_rules: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  alerts: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  announcement_dismissals: [
    'announcement_id → announcements.id ON DELETE CASCADE',
  ],
  announcement_recipients: [
    'announcement_id → announcements.id ON DELETE CASCADE',
  ],
  announcements: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  api_keys: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  billing_settings: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  contract_miners: [
    'contract_id → contracts.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
    'miner_id → miners.id ON DELETE CASCADE',
  ],
  contract_sites: [
    'contract_id → contracts.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
    'site_id → sites.id ON DELETE CASCADE',
  ],
  contracts: [
    'customer_id → customers.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  credits: [
    'customer_id → customers.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  custom_domains: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  customer_users: [
    'customer_id → customers.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  customers: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  default_cases: [
    'customer_id → customers.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  default_settings: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  email_outbox: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  hashprice_days: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  hashrate_credit_days: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  host_exports: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  host_models: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  host_users: [
    'host_id → hosts.id ON DELETE CASCADE',
    'user_id → users.id ON DELETE CASCADE',
  ],
  invites: [
    'customer_id → customers.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  invoice_lines: [
    'host_id → hosts.id ON DELETE CASCADE',
    'invoice_id → invoices.id ON DELETE CASCADE',
  ],
  invoice_unit_fees: [
    'customer_id → customers.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
    'miner_id → miners.id ON DELETE CASCADE',
  ],
  invoices: [
    'customer_id → customers.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  legal_acceptances: [
    'customer_id → customers.id ON DELETE CASCADE',
    'document_id → legal_documents.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
    'version_id → legal_document_versions.id ON DELETE CASCADE',
  ],
  legal_document_versions: [
    'document_id → legal_documents.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  legal_documents: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  maintenance_units: [
    'announcement_id → announcements.id ON DELETE CASCADE',
  ],
  miners: [
    'customer_id → customers.id',
    'host_id → hosts.id ON DELETE CASCADE',
    'site_id → sites.id',
  ],
  network_segments: [
    'host_id → hosts.id ON DELETE CASCADE',
    'site_id → sites.id ON DELETE CASCADE',
  ],
  ownership_transfers: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  password_resets: [
    'customer_user_id → customer_users.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  payment_allocations: [
    'credit_id → credits.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
    'invoice_id → invoices.id ON DELETE CASCADE',
    'payment_id → payments.id ON DELETE CASCADE',
  ],
  payments: [
    'customer_id → customers.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  pdu_outlets: [
    'host_id → hosts.id ON DELETE CASCADE',
    'miner_id → miners.id ON DELETE CASCADE',
    'pdu_id → pdus.id ON DELETE CASCADE',
  ],
  pdus: [
    'host_id → hosts.id ON DELETE CASCADE',
    'site_id → sites.id ON DELETE CASCADE',
  ],
  pool_redirect_units: [
    'host_id → hosts.id ON DELETE CASCADE',
    'redirect_id → pool_redirects.id ON DELETE CASCADE',
  ],
  pool_redirects: [
    'customer_id → customers.id ON DELETE CASCADE',
    'default_case_id → default_cases.id',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  quote_lines: [
    'host_id → hosts.id ON DELETE CASCADE',
    'quote_id → quotes.id ON DELETE CASCADE',
  ],
  quotes: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  sign_ins: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  sites: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  staff_invites: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  support_attachments: [
    'host_id → hosts.id ON DELETE CASCADE',
    'message_id → support_messages.id ON DELETE CASCADE',
    'ticket_id → support_tickets.id ON DELETE CASCADE',
  ],
  support_messages: [
    'host_id → hosts.id ON DELETE CASCADE',
    'ticket_id → support_tickets.id ON DELETE CASCADE',
  ],
  support_settings: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  support_ticket_units: [
    'host_id → hosts.id ON DELETE CASCADE',
    'miner_id → miners.id ON DELETE CASCADE',
    'ticket_id → support_tickets.id ON DELETE CASCADE',
  ],
  support_tickets: [
    'assignee_user_id → users.id ON DELETE SET NULL',
    'customer_id → customers.id ON DELETE CASCADE',
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  two_factor: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  two_factor_recovery_codes: [
    'two_factor_id → two_factor.id ON DELETE CASCADE',
  ],
  usage_hourly: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  usage_seal_days: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
  usage_seals: [
    'host_id → hosts.id ON DELETE CASCADE',
  ],
};
