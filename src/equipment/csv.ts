import type { SiteScope } from '../team/scope';
import { fillNominal, hostModelEntries } from './power-data';
import { and, eq, or, sql } from 'drizzle-orm';
import type { Actor } from '../activity/service';
import { csvCell } from '../customers/csv';
import type { Db } from '../db/client';
import { activityLog, miners, sites } from '../db/schema';
import { ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { fieldErrorsFrom } from '../lib/validation';
import { createMinerSchema, mthsToThs, type CreateMinerInput } from './schema';
import { growLiveShards } from './live-shards';
import { unitIdent } from './naming';
import { listAllMiners, type LiveSource } from './service';
import { formatCount, unitField } from '../lib/format';

// ---------------------------------------------------------------------------------------------
// Parsing (RFC 4180: quoted fields, "" escapes, CRLF or LF, newlines inside quotes; BOM ignored).

export class CsvSyntaxError extends Error {}

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = () => {
    row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') endField();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
    } else field += ch;
  }
  if (quoted) throw new CsvSyntaxError(`A quoted value starting on or before line ${line} is never closed.`);
  if (field !== '' || row.length > 0) endRow();
  // Blank lines (a trailing newline, spacing between rows) are not rows.
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

// ---------------------------------------------------------------------------------------------
// Import: preview first, then all rows (only when none has an error) or the good rows.

/** Columns the import reads, in template order. */
export const IMPORT_COLUMNS = [
  'serial',
  'mac',
  'ip',
  'vendor',
  'model',
  'firmware',
  unitField('nominal_hashrate', 'hashrate'),
  unitField('nominal_power', 'power'),
  'site',
  'rack_location',
  'status',
] as const;
type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** Other spellings people use in their own sheets. */
const ALIASES: Record<string, ImportColumn> = {
  serial_number: 'serial',
  sn: 'serial',
  mac_address: 'mac',
  ip_address: 'ip',
  manufacturer: 'vendor',
  nominal_ths: 'nominal_hashrate_ths',
  nominal_th_s: 'nominal_hashrate_ths',
  nominal_hashrate: 'nominal_hashrate_ths',
  hashrate_ths: 'nominal_hashrate_ths',
  th_s: 'nominal_hashrate_ths',
  ths: 'nominal_hashrate_ths',
  nominal_w: 'nominal_power_w',
  nominal_power: 'nominal_power_w',
  power_w: 'nominal_power_w',
  watts: 'nominal_power_w',
  site_id: 'site',
  site_name: 'site',
  rack: 'rack_location',
  location: 'rack_location',
};

/** Columns of our own export that the import skips, so an exported file imports as-is. */
const EXPORT_ONLY = new Set(['id', 'customer', 'customer_id', 'created_at', 'updated_at']);

export const MAX_IMPORT_ROWS = 5000;
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

const headerKey = (text: string) =>
  text
    .trim()
    .toLowerCase()
    .replace(/[\s/-]+/g, '_')
    .replace(/[()]/g, '');

/**
 * Our export defuses formulas with a leading apostrophe ('=…); the import takes it off again so
 * a value survives a round trip. (Pages escape every value; the export defuses it again.)
 */
const undefuse = (value: string) => (/^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value);

export interface ImportRow {
  /** The line in the file (the header is line 1). */
  line: number;
  values: Partial<Record<ImportColumn, string>>;
  /** Column → what is wrong; empty when the row is good. */
  errors: Partial<Record<ImportColumn | '_row', string>>;
  input: CreateMinerInput | null;
}

export interface ImportPreview {
  /** Problems with the file as a whole (nothing can be imported). */
  fileErrors: string[];
  columns: ImportColumn[];
  rows: ImportRow[];
  goodCount: number;
  badCount: number;
}

const FIELD_TO_COLUMN: Record<string, ImportColumn> = { site_id: 'site' };

/** Reads and checks a file against the host's sites and inventory; writes nothing. */
export async function previewImport(db: Db, hostId: string, text: string): Promise<ImportPreview> {
  const empty = (fileErrors: string[]): ImportPreview => ({ fileErrors, columns: [], rows: [], goodCount: 0, badCount: 0 });
  if (new TextEncoder().encode(text).length > MAX_IMPORT_BYTES) return empty([`The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB; split it into smaller files.`]);
  let table: string[][];
  try {
    table = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return empty([error.message]);
    throw error;
  }
  const [header, ...body] = table;
  if (!header) return empty(['The file is empty. The first line names the columns, like: serial,mac,ip,model,site,rack_location.']);
  if (body.length === 0) return empty(['The file has a header line but no units.']);
  if (body.length > MAX_IMPORT_ROWS) return empty([`The file has ${formatCount(body.length)} rows; import at most ${formatCount(MAX_IMPORT_ROWS)} at a time.`]);

  const fileErrors: string[] = [];
  const mapping: (ImportColumn | null)[] = [];
  const seenColumns = new Set<ImportColumn>();
  for (const raw of header) {
    const key = headerKey(raw);
    const column = (IMPORT_COLUMNS as readonly string[]).includes(key) ? (key as ImportColumn) : ALIASES[key];
    if (column) {
      if (seenColumns.has(column)) fileErrors.push(`The column “${raw.trim()}” appears twice.`);
      seenColumns.add(column);
      mapping.push(column);
    } else if (EXPORT_ONLY.has(key) || key.startsWith('live_') || key === '') {
      mapping.push(null);
    } else {
      fileErrors.push(`Unknown column “${raw.trim()}”. Use: ${IMPORT_COLUMNS.join(', ')}.`);
      mapping.push(null);
    }
  }
  if (!seenColumns.has('serial') && !seenColumns.has('mac')) fileErrors.push('The file needs a serial or a mac column: that is how units are told apart.');
  if (fileErrors.length > 0) return empty(fileErrors);

  const hostSites = await db.select({ id: sites.id, name: sites.name }).from(sites).where(eq(sites.hostId, hostId)).all();
  const siteById = new Map(hostSites.map((s) => [s.id, s.id]));
  const sitesByName = new Map<string, string[]>();
  for (const s of hostSites) sitesByName.set(s.name.trim().toLowerCase(), [...(sitesByName.get(s.name.trim().toLowerCase()) ?? []), s.id]);

  const rows: ImportRow[] = body.map((cells, index) => {
    const row: ImportRow = { line: index + 2, values: {}, errors: {}, input: null };
    if (cells.length > header.length && cells.slice(header.length).some((c) => c.trim() !== '')) {
      row.errors._row = `This row has ${cells.length} values but the header names ${header.length} columns.`;
    }
    mapping.forEach((column, i) => {
      if (column) row.values[column] = undefuse((cells[i] ?? '').trim());
    });
    let siteId: string | null = null;
    const site = row.values.site ?? '';
    if (site !== '') {
      const byName = sitesByName.get(site.toLowerCase()) ?? [];
      if (siteById.has(site)) siteId = site;
      else if (byName.length === 1) siteId = byName[0]!;
      else if (byName.length > 1) row.errors.site = `Several sites are named “${site}”; use the site’s id instead.`;
      else row.errors.site = `No site named “${site}”. Add it under Sites first, or fix the name.`;
    }
    const candidate: Record<string, unknown> = {};
    for (const column of IMPORT_COLUMNS) {
      if (column === 'site' || row.values[column] === undefined) continue;
      if (column === 'status' && row.values.status === '') continue;
      candidate[column] = row.values[column];
    }
    candidate.site_id = siteId;
    const parsed = createMinerSchema.safeParse(candidate);
    if (parsed.success) {
      row.input = parsed.data;
    } else {
      for (const [field, message] of Object.entries(fieldErrorsFrom(parsed.error))) {
        const column = (FIELD_TO_COLUMN[field] ?? field) as ImportColumn;
        row.errors[column] ??= message;
      }
    }
    return row;
  });

  // Duplicates inside the file: the later row is the error.
  const firstMac = new Map<string, number>();
  const firstSerial = new Map<string, number>();
  for (const row of rows) {
    if (!row.input) continue;
    const { mac, serial } = row.input;
    if (mac) {
      const first = firstMac.get(mac);
      if (first !== undefined) row.errors.mac ??= `Same MAC address as line ${first}.`;
      else firstMac.set(mac, row.line);
    }
    if (serial) {
      const first = firstSerial.get(serial);
      if (first !== undefined) row.errors.serial ??= `Same serial number as line ${first}.`;
      else firstSerial.set(serial, row.line);
    }
  }

  // Duplicates of units already in the inventory: one statement, the values as one JSON parameter.
  const macs = [...firstMac.keys()];
  const serials = [...firstSerial.keys()];
  if (macs.length + serials.length > 0) {
    const existing = await db
      .select({ id: miners.id, mac: miners.mac, serial: miners.serial })
      .from(miners)
      .where(
        and(
          eq(miners.hostId, hostId),
          or(
            sql`${miners.mac} IN (SELECT value FROM json_each(${JSON.stringify(macs)}))`,
            sql`${miners.serial} IN (SELECT value FROM json_each(${JSON.stringify(serials)}))`,
          ),
        ),
      )
      .all();
    const macOwner = new Map(existing.filter((e) => e.mac).map((e) => [e.mac!, e]));
    const serialTaken = new Set(existing.flatMap((e) => (e.serial ? [e.serial] : [])));
    for (const row of rows) {
      if (!row.input) continue;
      const owner = row.input.mac ? macOwner.get(row.input.mac) : undefined;
      if (owner) row.errors.mac ??= `A unit with this MAC address is already in the inventory (${unitIdent(owner)}).`;
      if (row.input.serial && serialTaken.has(row.input.serial)) row.errors.serial ??= 'A unit with this serial number is already in the inventory.';
    }
  }

  for (const row of rows) if (Object.keys(row.errors).length > 0) row.input = null;
  const goodCount = rows.filter((row) => row.input).length;
  return { fileErrors: [], columns: IMPORT_COLUMNS.filter((c) => seenColumns.has(c)), rows, goodCount, badCount: rows.length - goodCount };
}

export type ImportMode = 'all' | 'good';

export type ImportOutcome = { imported: number; preview: null } | { imported: 0; preview: ImportPreview; notice: string };

/** Rows per multi-row INSERT so that rows × bound parameters stays within D1's 100. */
function rowsPerStatement(paramsPerRow: number): number {
  return Math.max(1, Math.floor(D1_MAX_BOUND_PARAMETERS / paramsPerRow));
}

/**
 * D1 allows at most 100 bound parameters per statement, so inserts are chunked.
 * @see https://developers.cloudflare.com/d1/platform/limits/
 */
export const D1_MAX_BOUND_PARAMETERS = 100;

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Imports a checked file. `all` imports only a file without errors; `good` imports the rows that
 * passed. Everything goes in one db.batch (one transaction): the units and one activity entry per
 * unit, chunked to D1's bound-parameter limit — all of it lands or none of it does. A unit added
 * meanwhile with the same MAC or serial fails the whole batch (unique indexes); the file is then
 * checked again and the preview comes back with the new duplicates marked.
 */
export async function importMiners(db: Db, hostId: string, actor: Actor, text: string, mode: ImportMode, expectedGood?: number): Promise<ImportOutcome> {
  const preview = await previewImport(db, hostId, text);
  if (preview.fileErrors.length > 0) return { imported: 0, preview, notice: 'Nothing was imported: the file itself needs fixing.' };
  if (mode === 'all' && preview.badCount > 0) {
    return { imported: 0, preview, notice: 'Nothing was imported: some rows have errors. Fix the file, or import only the good rows.' };
  }
  if (expectedGood !== undefined && preview.goodCount !== expectedGood) {
    return { imported: 0, preview, notice: 'The inventory changed since the preview, so the check was run again. Review it before importing.' };
  }
  const good = preview.rows.filter((row): row is ImportRow & { input: CreateMinerInput } => row.input !== null);
  if (good.length === 0) return { imported: 0, preview, notice: 'Nothing was imported: no row is ready.' };

  const now = Date.now();
  const entries = await hostModelEntries(db, hostId);
  const unitRows: (typeof miners.$inferInsert)[] = good.map(({ input }) => fillNominal({
    id: newId(),
    hostId,
    siteId: input.site_id ?? null,
    customerId: null,
    serial: input.serial ?? null,
    mac: input.mac ?? null,
    ip: input.ip ?? null,
    vendor: input.vendor ?? null,
    model: input.model ?? null,
    firmware: input.firmware ?? null,
    nominalHashrateMths: input.nominal_hashrate_ths ?? null,
    nominalPowerW: input.nominal_power_w ?? null,
    rackLocation: input.rack_location ?? null,
    status: input.status ?? 'staged',
    ownerPoolUrl: null,
    ownerPoolUser: null,
    createdAt: now,
    updatedAt: now,
  }, entries));
  const activityRows: (typeof activityLog.$inferInsert)[] = unitRows.map((unit) => ({
    id: newId(),
    hostId,
    customerId: null,
    actorKind: actor.kind,
    actorId: actor.id,
    actorLabel: actor.label,
    action: 'miner.imported',
    changes: JSON.stringify({
      unit: [null, unitIdent({ id: unit.id!, serial: unit.serial ?? null, mac: unit.mac ?? null })],
      ...(unit.model ? { model: [null, unit.model] } : {}),
      ...(unit.nominalHashrateMths != null ? { nominal_hashrate_ths: [null, `${mthsToThs(unit.nominalHashrateMths)} TH/s`] } : {}),
      status: [null, unit.status],
      _miner_id: [unit.id, unit.id],
    }),
    createdAt: now,
  }));
  // Measure the parameters one row binds instead of trusting a hand count.
  const unitParams = db.insert(miners).values(unitRows[0]!).toSQL().params.length;
  const activityParams = db.insert(activityLog).values(activityRows[0]!).toSQL().params.length;
  const statements = [
    ...chunk(unitRows, rowsPerStatement(unitParams)).map((rows) => db.insert(miners).values(rows)),
    ...chunk(activityRows, rowsPerStatement(activityParams)).map((rows) => db.insert(activityLog).values(rows)),
    ...growLiveShards(db, hostId, unitRows.map((unit) => unit.siteId)),
  ];
  try {
    await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  } catch (error) {
    if (!String(error).includes('UNIQUE')) throw error;
    const again = await previewImport(db, hostId, text);
    return { imported: 0, preview: again, notice: 'Nothing was imported: units with the same MAC or serial were added meanwhile. They are marked below.' };
  }
  return { imported: good.length, preview: null };
}

/** The CSV an import template starts from. */
export const IMPORT_TEMPLATE = `${IMPORT_COLUMNS.join(',')}\r\nSN-EXAMPLE-001,a0:b1:c2:d3:e4:f5,10.0.1.15,Bitmain,Antminer S19j Pro,,104,3068,Main site,Row A / Rack 3 / Shelf 2,staged\r\n`;

export function assertImportable(text: string | null | undefined): string {
  if (!text || text.trim() === '') throw new ValidationError({ file: 'Choose a CSV file (or paste its contents).' });
  return text;
}

// ---------------------------------------------------------------------------------------------
// Export.

const EXPORT_HEADER = [
  'id',
  'serial',
  'mac',
  'ip',
  'vendor',
  'model',
  'firmware',
  unitField('nominal_hashrate', 'hashrate'),
  unitField('nominal_power', 'power'),
  'site',
  'rack_location',
  'status',
  'customer',
  'created_at',
  'live_status',
  unitField('live_hashrate', 'hashrate'),
  unitField('live_temp_max', 'temperature'),
  unitField('live_power', 'power'),
  unitField('live_efficiency', 'efficiency'),
  unitField('live_uptime', 'duration'),
  'live_last_seen_at',
];

/** Every unit matching the list's filters, in the list's order, formulas defused (csvCell). */
export async function minersCsv(db: Db, live: LiveSource, hostId: string, query: unknown, siteScope?: SiteScope): Promise<string> {
  const rows = await listAllMiners(db, live, hostId, query, siteScope);
  const lines = [EXPORT_HEADER.join(',')];
  for (const row of rows) {
    const l = row.live;
    lines.push(
      [
        row.id,
        row.serial,
        row.mac,
        row.ip,
        row.vendor,
        row.model,
        row.firmware,
        row.nominalHashrateMths === null ? null : mthsToThs(row.nominalHashrateMths),
        row.nominalPowerW,
        row.siteName,
        row.rackLocation,
        row.status,
        row.customerName,
        new Date(row.createdAt).toISOString(),
        l?.status ?? null,
        l?.hashrateThs ?? null,
        l?.tempMaxC ?? null,
        l?.powerW ?? null,
        l?.efficiencyJth === null || l?.efficiencyJth === undefined ? null : Math.round(l.efficiencyJth * 10) / 10,
        l?.uptimeS ?? null,
        l?.lastSeenAt ? new Date(l.lastSeenAt).toISOString() : null,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
