import { and, asc, count, eq, inArray, or, sql } from 'drizzle-orm';
import * as z from '../lib/schema';
import { activityInsert, type Actor, type Changes } from '../activity/service';
import type { Db } from '../db/client';
import { miners, PDU_FAMILIES, pduOutlets, pdus, type PduFamily } from '../db/schema';
import { csvCell } from '../customers/csv';
import { CsvSyntaxError, parseCsv } from '../equipment/csv';
import { unitIdent } from '../equipment/naming';
import { notFound, ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { parseInput, requiredText } from '../lib/validation';
import { getSite } from '../sites/service';
import type { SiteScope } from '../team/scope';
import { PDU_OUTLET_PATTERN } from '../telemetry/batch';
import { decryptSecret, encryptSecret } from './crypto';

/**
 * A site's metered PDUs (docs/ARCHITECTURE.md, "PDU metering"): their SNMP access, stored
 * encrypted (./crypto.ts), and which unit each outlet feeds. The agent pulls both with its config
 * (src/telemetry/agent-config.ts) and reads the outlets over SNMP.
 */

export const PDU_FAMILY_LABELS: Record<PduFamily, string> = {
  apc: 'APC / Schneider (PowerNet-MIB)',
  raritan: 'Raritan PX (PDU2-MIB)',
  servertech: 'Server Technology / Vertiv Sentry (Sentry4-MIB)',
  eaton: 'Eaton ePDU (EATON-EPDU-MIB)',
};
export const V3_LEVELS = ['authPriv', 'authNoPriv', 'noAuthNoPriv'] as const;
export const V3_AUTH_PROTOCOLS = ['sha', 'sha256', 'sha512', 'md5'] as const;
export const V3_PRIV_PROTOCOLS = ['aes', 'aes256b', 'aes256r', 'des'] as const;

/** The SNMP secrets, as stored (encrypted) and as the agent receives them. */
export type SnmpCredentials =
  | { version: '2c'; community: string }
  | {
      version: '3';
      user: string;
      level: (typeof V3_LEVELS)[number];
      auth_protocol: (typeof V3_AUTH_PROTOCOLS)[number];
      auth_key?: string;
      priv_protocol: (typeof V3_PRIV_PROTOCOLS)[number];
      priv_key?: string;
    };

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
// SNMP secrets travel in the agent's JSON config: printable ASCII only, no control characters.
const SECRET = /^[\x20-\x7e]*$/;
const secretText = (label: string, min: number) =>
  z.string().check(
    z.maxLength(128, `${label}: use at most 128 characters.`),
    z.regex(SECRET, `${label}: use printable characters only.`),
    z.refine((v) => v === '' || v.length >= min, `${label}: use at least ${min} characters.`),
  );

/** The PDU form. Secrets left blank on edit keep the stored ones. */
export const pduFormSchema = z.object({
  name: requiredText('Name', 100),
  address: z.string().check(z.trim(), z.regex(IPV4, 'Use the PDU’s IPv4 address, like 10.20.0.5.')),
  port: z.pipe(z.string().check(z.trim()), z.transform((v) => (v === '' ? 161 : Number(v)))).check(z.refine((v) => Number.isInteger(v) && v >= 1 && v <= 65535, 'Use a port from 1 to 65535 (SNMP is 161).')),
  family: z.enum(PDU_FAMILIES, { error: 'Choose the PDU’s family.' }),
  snmp_version: z.enum(['2c', '3'], { error: 'Choose SNMP v2c or v3.' }),
  community: secretText('Community', 1),
  v3_user: z.string().check(z.trim(), z.maxLength(64, 'Use at most 64 characters.'), z.regex(SECRET, 'Use printable characters only.')),
  v3_level: z.enum(V3_LEVELS, { error: 'Choose a security level.' }),
  v3_auth_protocol: z.enum(V3_AUTH_PROTOCOLS, { error: 'Choose an authentication protocol.' }),
  // RFC 3414 §11.2: passphrases shorter than 8 characters are refused by agents.
  v3_auth_key: secretText('Authentication passphrase', 8),
  v3_priv_protocol: z.enum(V3_PRIV_PROTOCOLS, { error: 'Choose a privacy protocol.' }),
  v3_priv_key: secretText('Privacy passphrase', 8),
});
export type PduFormInput = z.output<typeof pduFormSchema>;

export const PDU_FORM_DEFAULTS = {
  name: '',
  address: '',
  port: '161',
  family: 'apc',
  snmp_version: '2c',
  community: '',
  v3_user: '',
  v3_level: 'authPriv',
  v3_auth_protocol: 'sha',
  v3_auth_key: '',
  v3_priv_protocol: 'aes',
  v3_priv_key: '',
} satisfies Record<keyof PduFormInput, string>;
export type PduFormValues = typeof PDU_FORM_DEFAULTS;

/** Form fields as posted (missing ones at their defaults), for parsing and for re-rendering. */
export const pduFormValues = (form: Record<string, string>): PduFormValues => {
  const values = { ...PDU_FORM_DEFAULTS } as Record<keyof PduFormValues, string>;
  for (const key of Object.keys(PDU_FORM_DEFAULTS) as (keyof PduFormValues)[]) if (typeof form[key] === 'string') values[key] = form[key];
  return values as PduFormValues;
};

/** The credentials the form describes; blank secrets take the previous ones (an edit), else they are required. */
function credentialsOf(input: PduFormInput, previous: SnmpCredentials | null): SnmpCredentials {
  if (input.snmp_version === '2c') {
    const community = input.community || (previous?.version === '2c' ? previous.community : '');
    if (!community) throw new ValidationError({ community: 'Enter the SNMP community (read-only is enough).' });
    return { version: '2c', community };
  }
  const before = previous?.version === '3' ? previous : null;
  const errors: Record<string, string> = {};
  if (!input.v3_user) errors.v3_user = 'Enter the SNMP v3 user name.';
  const authKey = input.v3_auth_key || before?.auth_key || '';
  const privKey = input.v3_priv_key || before?.priv_key || '';
  if (input.v3_level !== 'noAuthNoPriv' && !authKey) errors.v3_auth_key = 'Enter the authentication passphrase (8 characters or more).';
  if (input.v3_level === 'authPriv' && !privKey) errors.v3_priv_key = 'Enter the privacy passphrase (8 characters or more).';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return {
    version: '3',
    user: input.v3_user,
    level: input.v3_level,
    auth_protocol: input.v3_auth_protocol,
    priv_protocol: input.v3_priv_protocol,
    ...(input.v3_level !== 'noAuthNoPriv' ? { auth_key: authKey } : {}),
    ...(input.v3_level === 'authPriv' ? { priv_key: privKey } : {}),
  };
}

const context = (hostId: string, pduId: string) => `${hostId}:${pduId}`;

export interface PduSummary {
  id: string;
  name: string;
  address: string;
  port: number;
  family: PduFamily;
  snmpVersion: '2c' | '3';
  outlets: number;
  updatedAt: number;
}

export interface PduOutletRow {
  outlet: string;
  minerId: string;
  unit: string;
  model: string | null;
  rackLocation: string | null;
}

export interface PduDetail extends PduSummary {
  siteId: string;
  /** What the edit form shows: everything but the secrets. */
  v3User: string | null;
  v3Level: string | null;
  v3AuthProtocol: string | null;
  v3PrivProtocol: string | null;
  mapping: PduOutletRow[];
}

/** The site's PDUs with how many outlets are mapped. The caller checked the site. */
export async function listPdus(db: Db, hostId: string, siteId: string): Promise<PduSummary[]> {
  const rows = await db
    .select({
      id: pdus.id,
      name: pdus.name,
      address: pdus.address,
      port: pdus.port,
      family: pdus.family,
      snmpVersion: pdus.snmpVersion,
      updatedAt: pdus.updatedAt,
      outlets: sql<number>`(SELECT count(*) FROM ${pduOutlets} o WHERE o.pdu_id = ${pdus.id} AND o.host_id = ${hostId})`,
    })
    .from(pdus)
    .where(and(eq(pdus.hostId, hostId), eq(pdus.siteId, siteId)))
    .orderBy(asc(sql`lower(${pdus.name})`), asc(pdus.id));
  return rows;
}

/** One PDU of the site with its outlet mapping; another host's or site's id is a 404. */
export async function getPdu(db: Db, key: CryptoKey, hostId: string, siteId: string, pduId: string, siteScope?: SiteScope): Promise<PduDetail> {
  await getSite(db, hostId, siteId, undefined, siteScope);
  const [rows, mapping] = await db.batch([
    db
      .select()
      .from(pdus)
      .where(and(eq(pdus.hostId, hostId), eq(pdus.siteId, siteId), eq(pdus.id, pduId))),
    db
      .select({ outlet: pduOutlets.outlet, minerId: miners.id, serial: miners.serial, mac: miners.mac, model: miners.model, rackLocation: miners.rackLocation })
      .from(pduOutlets)
      .innerJoin(miners, and(eq(miners.id, pduOutlets.minerId), eq(miners.hostId, hostId)))
      .where(and(eq(pduOutlets.hostId, hostId), eq(pduOutlets.pduId, pduId))),
  ]);
  const row = rows[0];
  if (!row) throw notFound('PDU');
  const credentials = await decryptSecret<SnmpCredentials>(key, context(hostId, row.id), row.credentials);
  const v3 = credentials.version === '3' ? credentials : null;
  return {
    id: row.id,
    siteId: row.siteId,
    name: row.name,
    address: row.address,
    port: row.port,
    family: row.family,
    snmpVersion: row.snmpVersion,
    updatedAt: row.updatedAt,
    outlets: mapping.length,
    v3User: v3?.user ?? null,
    v3Level: v3?.level ?? null,
    v3AuthProtocol: v3?.auth_protocol ?? null,
    v3PrivProtocol: v3?.priv_protocol ?? null,
    mapping: mapping
      .map((m) => ({ outlet: m.outlet, minerId: m.minerId, unit: unitIdent({ id: m.minerId, serial: m.serial, mac: m.mac }), model: m.model, rackLocation: m.rackLocation }))
      .sort(compareOutlets),
  };
}

/** Outlets in numeric order (1, 2, 10; 1.1.2 before 1.2.1). */
export const compareOutlets = (a: { outlet: string }, b: { outlet: string }) => {
  const x = a.outlet.split('.').map(Number);
  const y = b.outlet.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

const uniqueViolation = (error: unknown) => String(error).includes('UNIQUE');
const addressTaken = () => new ValidationError({ address: 'This site already has a PDU at that address and port.' });

export async function createPdu(db: Db, key: CryptoKey, hostId: string, actor: Actor, siteId: string, form: Record<string, string>, siteScope?: SiteScope): Promise<string> {
  const site = await getSite(db, hostId, siteId, undefined, siteScope);
  const input = parseInput(pduFormSchema, pduFormValues(form));
  const credentials = credentialsOf(input, null);
  const id = newId();
  const now = Date.now();
  try {
    await db.batch([
      db.insert(pdus).values({
        id,
        hostId,
        siteId: site.id,
        name: input.name,
        address: input.address,
        port: input.port,
        family: input.family,
        snmpVersion: input.snmp_version,
        credentials: await encryptSecret(key, context(hostId, id), credentials),
        createdAt: now,
        updatedAt: now,
      }),
      activityInsert(db, hostId, actor, 'pdu.added', null, { site: [site.name, site.name], pdu: [null, input.name], address: [null, `${input.address}:${input.port}`] }, now),
    ]);
  } catch (error) {
    if (uniqueViolation(error)) throw addressTaken();
    throw error;
  }
  return id;
}

export async function updatePdu(
  db: Db,
  key: CryptoKey,
  hostId: string,
  actor: Actor,
  siteId: string,
  pduId: string,
  form: Record<string, string>,
  siteScope?: SiteScope,
): Promise<void> {
  const before = await getPdu(db, key, hostId, siteId, pduId, siteScope);
  const input = parseInput(pduFormSchema, pduFormValues(form));
  const [row] = await db.select({ credentials: pdus.credentials }).from(pdus).where(and(eq(pdus.hostId, hostId), eq(pdus.id, pduId)));
  const previous = row ? await decryptSecret<SnmpCredentials>(key, context(hostId, pduId), row.credentials) : null;
  const credentials = credentialsOf(input, previous);
  const now = Date.now();
  try {
    await db.batch([
      db
        .update(pdus)
        .set({
          name: input.name,
          address: input.address,
          port: input.port,
          family: input.family,
          snmpVersion: input.snmp_version,
          credentials: await encryptSecret(key, context(hostId, pduId), credentials),
          updatedAt: now,
        })
        .where(and(eq(pdus.hostId, hostId), eq(pdus.siteId, siteId), eq(pdus.id, pduId))),
      // Secrets are never logged, only that they changed.
      activityInsert(
        db,
        hostId,
        actor,
        'pdu.updated',
        null,
        {
          pdu: [before.name, input.name],
          address: [`${before.address}:${before.port}`, `${input.address}:${input.port}`],
          family: [before.family, input.family],
          snmp: [before.snmpVersion, input.snmp_version],
        },
        now,
      ),
    ]);
  } catch (error) {
    if (uniqueViolation(error)) throw addressTaken();
    throw error;
  }
}

export async function deletePdu(db: Db, key: CryptoKey, hostId: string, actor: Actor, siteId: string, pduId: string, siteScope?: SiteScope): Promise<void> {
  const pdu = await getPdu(db, key, hostId, siteId, pduId, siteScope);
  await db.batch([
    db.delete(pduOutlets).where(and(eq(pduOutlets.hostId, hostId), eq(pduOutlets.pduId, pduId))),
    db.delete(pdus).where(and(eq(pdus.hostId, hostId), eq(pdus.siteId, siteId), eq(pdus.id, pduId))),
    activityInsert(db, hostId, actor, 'pdu.removed', null, { pdu: [pdu.name, null], outlets: [String(pdu.outlets), null] }),
  ]);
}

/** An outlet as the PDU indexes it (agent/lib/pdu/families.mjs): "7", or "1.1.7" (Sentry), "0.7" (Eaton); leading zeros dropped. */
export function normaliseOutlet(text: string): string | null {
  const trimmed = text.trim();
  if (!PDU_OUTLET_PATTERN.test(trimmed)) return null;
  return trimmed
    .split('.')
    .map((part) => String(Number(part)))
    .join('.');
}

interface SiteUnit {
  id: string;
  serial: string | null;
  mac: string | null;
  ip: string | null;
  rackLocation: string | null;
}

/**
 * Units of the site a reference names: its serial, MAC, IP or rack location (case-insensitive).
 * A reference that matches several units (two in one rack position) is ambiguous.
 */
async function resolveUnits(db: Db, hostId: string, siteId: string, references: string[]): Promise<Map<string, SiteUnit[]>> {
  const wanted = [...new Set(references.map((r) => r.trim().toLowerCase()))].filter(Boolean);
  const found = new Map<string, SiteUnit[]>(wanted.map((r) => [r, []]));
  // 4 comparisons per reference: keep each statement under D1's 100 bound parameters.
  for (let i = 0; i < wanted.length; i += 20) {
    const part = wanted.slice(i, i + 20);
    const rows = await db
      .select({ id: miners.id, serial: miners.serial, mac: miners.mac, ip: miners.ip, rackLocation: miners.rackLocation })
      .from(miners)
      .where(
        and(
          eq(miners.hostId, hostId),
          eq(miners.siteId, siteId),
          or(
            inArray(sql`lower(${miners.serial})`, part),
            inArray(sql`lower(${miners.mac})`, part),
            inArray(miners.ip, part),
            inArray(sql`lower(${miners.rackLocation})`, part),
          ),
        ),
      );
    for (const row of rows) {
      for (const value of [row.serial, row.mac, row.ip, row.rackLocation]) {
        const matches = value ? found.get(value.toLowerCase()) : undefined;
        if (matches && !matches.some((m) => m.id === row.id)) matches.push(row);
      }
    }
  }
  return found;
}

/**
 * Put units on outlets (by hand: one pair; from a CSV: many), all or nothing. An outlet already
 * mapped is re-mapped; a unit already on another outlet (of any PDU) moves to the new one.
 */
async function mapOutlets(db: Db, hostId: string, actor: Actor, pdu: PduDetail, pairs: { outlet: string; minerId: string; unit: string }[]): Promise<void> {
  const now = Date.now();
  const outlets = pairs.map((p) => p.outlet);
  const minerIds = pairs.map((p) => p.minerId);
  const statements = [];
  for (let i = 0; i < pairs.length; i += 90) {
    statements.push(
      db.delete(pduOutlets).where(and(eq(pduOutlets.hostId, hostId), or(and(eq(pduOutlets.pduId, pdu.id), inArray(pduOutlets.outlet, outlets.slice(i, i + 90))), inArray(pduOutlets.minerId, minerIds.slice(i, i + 90))))),
    );
  }
  // 5 columns a row: 19 rows a statement stay under 100 bound parameters.
  for (let i = 0; i < pairs.length; i += 19) {
    statements.push(db.insert(pduOutlets).values(pairs.slice(i, i + 19).map((p) => ({ pduId: pdu.id, outlet: p.outlet, hostId, minerId: p.minerId, createdAt: now }))));
  }
  const changes: Changes =
    pairs.length === 1 ? { pdu: [pdu.name, pdu.name], outlet: [null, pairs[0]!.outlet], unit: [null, pairs[0]!.unit] } : { pdu: [pdu.name, pdu.name], outlets: [null, String(pairs.length)] };
  statements.push(activityInsert(db, hostId, actor, 'pdu.outlets_mapped', null, changes, now));
  const [first, ...rest] = statements;
  await db.batch([first!, ...rest]);
}

export async function mapOutlet(db: Db, key: CryptoKey, hostId: string, actor: Actor, siteId: string, pduId: string, form: Record<string, string>, siteScope?: SiteScope) {
  const pdu = await getPdu(db, key, hostId, siteId, pduId, siteScope);
  const outlet = normaliseOutlet(form.outlet ?? '');
  const reference = (form.unit ?? '').trim();
  const errors: Record<string, string> = {};
  if (!outlet) errors.outlet = 'Use the outlet number as the PDU shows it, like 7 (Sentry: 1.1.7).';
  if (!reference) errors.unit = 'Enter the unit’s serial, MAC, IP address or rack location.';
  else if (reference.length > 100) errors.unit = 'Use at most 100 characters.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const units = (await resolveUnits(db, hostId, siteId, [reference])).get(reference.toLowerCase()) ?? [];
  if (units.length === 0) throw new ValidationError({ unit: 'No unit at this site has that serial, MAC, IP address or rack location.' });
  if (units.length > 1) throw new ValidationError({ unit: `${units.length} units at this site match; use the serial or MAC.` });
  const unit = units[0]!;
  await mapOutlets(db, hostId, actor, pdu, [{ outlet: outlet!, minerId: unit.id, unit: unitIdent(unit) }]);
}

export async function unmapOutlet(db: Db, key: CryptoKey, hostId: string, actor: Actor, siteId: string, pduId: string, outlet: string, siteScope?: SiteScope) {
  const pdu = await getPdu(db, key, hostId, siteId, pduId, siteScope);
  const mapped = pdu.mapping.find((m) => m.outlet === outlet);
  if (!mapped) throw notFound('Outlet mapping');
  await db.batch([
    db.delete(pduOutlets).where(and(eq(pduOutlets.hostId, hostId), eq(pduOutlets.pduId, pdu.id), eq(pduOutlets.outlet, outlet))),
    activityInsert(db, hostId, actor, 'pdu.outlet_unmapped', null, { pdu: [pdu.name, pdu.name], outlet: [outlet, null], unit: [mapped.unit, null] }),
  ]);
}

/** A CSV cell naming a unit; our export defuses formulas with a leading apostrophe ('=…), taken off again as the equipment import does. */
const unitReference = (cell: string | undefined) => (cell ?? '').trim().replace(/^'(?=[=+\-@\t\r])/, '');

export const MAX_MAPPING_ROWS = 2000;
export const MAX_MAPPING_BYTES = 256 * 1024;

/**
 * A CSV of `outlet,unit` (a header row naming them, in any order; unit = serial, MAC, IP or rack
 * location): every row checked first, and nothing written unless all are fine. Returns the count.
 */
export async function importOutletsCsv(db: Db, key: CryptoKey, hostId: string, actor: Actor, siteId: string, pduId: string, text: string, siteScope?: SiteScope): Promise<number> {
  const pdu = await getPdu(db, key, hostId, siteId, pduId, siteScope);
  if (text.length > MAX_MAPPING_BYTES) throw new ValidationError({ csv: 'The file is larger than 256 KB.' });
  let rows: string[][];
  try {
    rows = parseCsv(text).filter((r) => r.some((cell) => cell.trim() !== ''));
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new ValidationError({ csv: error.message });
    throw error;
  }
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  const outletAt = header.indexOf('outlet');
  const unitAt = header.indexOf('unit');
  if (outletAt < 0 || unitAt < 0) throw new ValidationError({ csv: 'The first row must name the columns outlet and unit.' });
  if (rows.length === 0) throw new ValidationError({ csv: 'The file has no rows after the header.' });
  if (rows.length > MAX_MAPPING_ROWS) throw new ValidationError({ csv: `At most ${MAX_MAPPING_ROWS} rows per file.` });
  const units = await resolveUnits(
    db,
    hostId,
    siteId,
    rows.map((r) => unitReference(r[unitAt])),
  );
  const problems: string[] = [];
  const pairs: { outlet: string; minerId: string; unit: string }[] = [];
  const seenOutlets = new Set<string>();
  const seenUnits = new Set<string>();
  rows.forEach((row, i) => {
    const line = i + 2;
    const outlet = normaliseOutlet(row[outletAt] ?? '');
    const reference = unitReference(row[unitAt]);
    const matches = units.get(reference.toLowerCase()) ?? [];
    const repeated = outlet !== null && seenOutlets.has(outlet);
    if (outlet) seenOutlets.add(outlet);
    if (!outlet) problems.push(`Row ${line}: the outlet is not an outlet number.`);
    else if (repeated) problems.push(`Row ${line}: outlet ${outlet} is listed twice.`);
    else if (!reference) problems.push(`Row ${line}: the unit is empty.`);
    else if (matches.length === 0) problems.push(`Row ${line}: no unit at this site matches “${reference.slice(0, 60)}”.`);
    else if (matches.length > 1) problems.push(`Row ${line}: ${matches.length} units match “${reference.slice(0, 60)}”; use the serial or MAC.`);
    else if (seenUnits.has(matches[0]!.id)) problems.push(`Row ${line}: that unit is already on another outlet in this file.`);
    else {
      seenUnits.add(matches[0]!.id);
      pairs.push({ outlet, minerId: matches[0]!.id, unit: unitIdent(matches[0]!) });
    }
  });
  if (problems.length) {
    const shown = problems.slice(0, 10).join(' ');
    throw new ValidationError({ csv: problems.length > 10 ? `${shown} … and ${problems.length - 10} more.` : shown }, 'Nothing was imported: fix the rows below.');
  }
  await mapOutlets(db, hostId, actor, pdu, pairs);
  return pairs.length;
}

/** The mapping as CSV (the import's own format), so staff can edit and re-import it. */
export function outletsCsv(pdu: PduDetail): string {
  return ['outlet,unit', ...pdu.mapping.map((m) => `${csvCell(m.outlet)},${csvCell(m.unit)}`)].join('\r\n') + '\r\n';
}

/**
 * The `pdus` of the agent's config (agent/README.md): every PDU of the site with at least one
 * mapped outlet, its SNMP access in clear (the agent needs it; the config travels over HTTPS to
 * the site's own agent only) and, per outlet, the unit's identity as the agent sees it.
 */
export async function agentPdus(db: Db, key: () => Promise<CryptoKey>, hostId: string, siteId: string) {
  const [rows, mapping] = await db.batch([
    db.select().from(pdus).where(and(eq(pdus.hostId, hostId), eq(pdus.siteId, siteId))),
    db
      .select({ pduId: pduOutlets.pduId, outlet: pduOutlets.outlet, mac: miners.mac, serial: miners.serial, ip: miners.ip })
      .from(pduOutlets)
      .innerJoin(pdus, and(eq(pdus.id, pduOutlets.pduId), eq(pdus.hostId, hostId), eq(pdus.siteId, siteId)))
      .innerJoin(miners, and(eq(miners.id, pduOutlets.minerId), eq(miners.hostId, hostId)))
      .where(eq(pduOutlets.hostId, hostId)),
  ]);
  const out = [];
  for (const row of rows) {
    const outlets = mapping
      .filter((m) => m.pduId === row.id && (m.mac || m.serial || m.ip))
      .map((m) => ({ outlet: m.outlet, ...(m.mac ? { mac: m.mac } : {}), ...(m.serial ? { serial: m.serial } : {}), ...(!m.mac && !m.serial && m.ip ? { ip: m.ip } : {}) }));
    if (outlets.length === 0) continue;
    out.push({ id: row.id, address: row.address, port: row.port, family: row.family, snmp: await decryptSecret<SnmpCredentials>(await key(), context(hostId, row.id), row.credentials), outlets });
  }
  return out;
}

/** How many PDUs a site has (the site page's link). */
export async function countPdus(db: Db, hostId: string, siteId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(pdus).where(and(eq(pdus.hostId, hostId), eq(pdus.siteId, siteId)));
  return row?.n ?? 0;
}

