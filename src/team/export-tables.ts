/**
 * What the host's data export holds: one CSV per table, every column of the host's rows except
 * secrets (password, token and code hashes) and derived search columns. The list of columns is
 * read from the drizzle schema, so a column added later is exported without touching this file;
 * the README (exportReadme) is generated from the same list.
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import { CasingCache } from 'drizzle-orm/casing';
import { DB_CASING } from '../db/client';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import {
  activityLog,
  agents,
  alerts,
  contractMiners,
  contractSites,
  contracts,
  credits,
  customers,
  customerUsers,
  invoiceLines,
  invoices,
  invoiceUnitFees,
  miners,
  networkSegments,
  paymentAllocations,
  payments,
  quoteLines,
  quotes,
  sites,
  supportMessages,
  supportTickets,
  usageAdjustments,
  usageHourly,
} from '../db/schema';

export interface ExportFile {
  /** The CSV's name in the ZIP. */
  file: string;
  about: string;
  /** Column names, as in the database and the CSV header. */
  columns: string[];
  /** `FROM …` with the alias `t` for the table whose host_id and rowid page the read. */
  from: string;
  /** Select expressions, one per column, in the same order. */
  select: string[];
}

/** Never exported: credentials (stored as hashes, still secrets), and columns derived from others. */
const isSecretOrDerived = (name: string) => /_hash$|_selector$/.test(name) || ['session_version', 'search_text', 'code_failures'].includes(name);

function tableFile(file: string, table: SQLiteTable, about: string): ExportFile {
  const casing = new CasingCache(DB_CASING);
  const columns = Object.values(getTableColumns(table))
    .map((column) => casing.getColumnCasing(column))
    .filter((name) => !isSecretOrDerived(name));
  return { file, about, columns, from: `"${getTableName(table)}" AS t`, select: columns.map((name) => `t."${name}"`) };
}

export const EXPORT_FILES: readonly ExportFile[] = [
  tableFile('customers.csv', customers, 'Your customers, one row each (internal notes included).'),
  tableFile('portal_users.csv', customerUsers, "Contacts with a portal account: each customer's team (removed members keep removed_at)."),
  {
    file: 'staff.csv',
    about: 'Your staff: members of the host, their role and site access (JSON list; empty = every site).',
    columns: ['user_id', 'name', 'email', 'role', 'site_ids', 'created_at'],
    from: 'host_users AS t JOIN users AS u ON u.id = t.user_id',
    select: ['t.user_id', 'u.name', 'u.email', 't.role', 't.site_ids', 't.created_at'],
  },
  tableFile('sites.csv', sites, 'Your facilities.'),
  tableFile('network_segments.csv', networkSegments, 'The address ranges each site’s agent scans.'),
  tableFile('agents.csv', agents, 'Facility agents (no codes or tokens: those stay secret).'),
  tableFile('units.csv', miners, 'Every unit (miner): identity, placement, nominal figures, owner and status.'),
  tableFile('contracts.csv', contracts, 'Contracts with your customers and their terms.'),
  tableFile('contract_units.csv', contractMiners, 'Which units each contract covers.'),
  tableFile('contract_sites.csv', contractSites, 'Which sites each O&M contract covers.'),
  tableFile('invoices.csv', invoices, 'Invoices, with totals and status.'),
  tableFile('invoice_lines.csv', invoiceLines, 'The lines of every invoice (detail: the exact inputs, JSON).'),
  tableFile('invoice_unit_fees.csv', invoiceUnitFees, 'Fixed fees billed for units without power data, per customer and period, instead of energy.'),
  tableFile('payments.csv', payments, 'Payments received.'),
  tableFile('credits.csv', credits, 'Credit held by customers.'),
  tableFile('payment_allocations.csv', paymentAllocations, 'How payments and credits were applied to invoices.'),
  tableFile('usage_hourly.csv', usageHourly, 'Energy and hashrate per unit per hour.'),
  tableFile('usage_adjustments.csv', usageAdjustments, 'Corrections to sealed usage.'),
  tableFile('alerts.csv', alerts, 'Alerts raised on units (open while closed_at is empty).'),
  tableFile('quotes.csv', quotes, 'Quotes sent to customers and prospects.'),
  tableFile('quote_lines.csv', quoteLines, 'The lines of every quote.'),
  tableFile('support_tickets.csv', supportTickets, 'Support tickets.'),
  tableFile('support_messages.csv', supportMessages, 'The messages of every ticket (attachments are not included).'),
  tableFile('activity.csv', activityLog, 'The activity log: who changed what and when (changes: JSON of [old, new]).'),
];

/** What a column's name says about its unit, for the README. */
function columnNote(name: string): string {
  if (name === 'id') return 'identifier (UUID)';
  if (name.endsWith('_id')) return 'identifier of the related row';
  if (name.endsWith('_ids')) return 'JSON list of identifiers';
  if (/_at$|_ms$|^hour_start$/.test(name)) return 'time, milliseconds since 1970-01-01 UTC';
  if (/_on$|^period_(start|end)$/.test(name)) return 'date, YYYY-MM-DD';
  if (name.endsWith('_minor')) return "money, integer minor units (cents) of the row's currency";
  if (/_micros/.test(name)) return 'millionths of a currency unit';
  if (name.endsWith('_bps')) return 'basis points (1/100 of a percent)';
  if (name.endsWith('_wh')) return 'energy, watt-hours';
  if (name.endsWith('_kw')) return 'power, kilowatts';
  if (name.endsWith('_w')) return 'power, watts';
  if (name.endsWith('_mths')) return 'hashrate, thousandths of a TH/s';
  if (name.endsWith('_seconds')) return 'seconds';
  return '';
}

/** README.txt: the conventions, then each file and its columns. */
export function exportReadme(hostName: string, createdAt: number, rowCounts: Record<string, number>): string {
  const lines = [
    `Data export of ${hostName} from Hashyard`,
    `Created ${new Date(createdAt).toISOString()}`,
    '',
    'Every file is CSV (RFC 4180, UTF-8, comma-separated, CRLF line ends) with a header row.',
    'Only rows of this host are included. Empty cell = no value. Text that a spreadsheet would read',
    "as a formula (starting with = + - @) is written with a leading apostrophe.",
    'Times are milliseconds since 1970-01-01 UTC; money is integer minor units (cents) of the',
    "row's currency; energy is watt-hours; hashrate is thousandths of a TH/s; booleans are 1 or 0.",
    'Passwords, tokens and agent codes are never exported.',
    '',
  ];
  for (const file of EXPORT_FILES) {
    lines.push(`${file.file} (${rowCounts[file.file] ?? 0} rows): ${file.about}`);
    for (const column of file.columns) {
      const note = columnNote(column);
      lines.push(`  ${column}${note ? ` - ${note}` : ''}`);
    }
    lines.push('');
  }
  return lines.join('\r\n');
}
