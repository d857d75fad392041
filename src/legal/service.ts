import { and, asc, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { BatchItem } from 'drizzle-orm/batch';
import * as z from '../lib/schema';
import { activityInsert, type Actor } from '../activity/service';
import { csvCell } from '../customers/csv';
import type { Db } from '../db/client';
import { customers, legalAcceptances, legalDocuments, legalDocumentVersions, LEGAL_AUDIENCES } from '../db/schema';
import type { Bindings } from '../env';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';
import { optionalText, parseInput, requiredText } from '../lib/validation';

export type LegalAudience = (typeof LEGAL_AUDIENCES)[number];
export type LegalDocumentRow = typeof legalDocuments.$inferSelect;
export type LegalVersionRow = typeof legalDocumentVersions.$inferSelect;
export type LegalAcceptanceRow = typeof legalAcceptances.$inferSelect;

/** Who a document can be required of, in the order the form offers them. */
export const AUDIENCES = LEGAL_AUDIENCES;

export const AUDIENCE_LABELS: Record<LegalAudience, string> = {
  all: 'Every customer',
  none: 'Not required (reference only)',
  hosted: 'Customers with a Hosted contract',
  lease: 'Customers with a Lease contract',
  infinity: 'Customers with an Infinity contract',
  om: 'Customers with an O&M contract',
};

/** A PDF over this is refused before its body is read. */
export const LEGAL_PDF_MAX_BYTES = 10 * 1024 * 1024;
export const LEGAL_TEXT_MAX_CHARS = 200_000;

const documentFields = {
  title: requiredText('Title', 200),
  required_for: z.enum(LEGAL_AUDIENCES, { error: 'Choose who must accept this document.' }),
};
const versionFields = {
  format: z.enum(['markdown', 'pdf'], { error: 'Choose written text or a PDF upload.' }),
  body: z.optional(z.string({ error: 'Must be text.' }).check(z.maxLength(LEGAL_TEXT_MAX_CHARS, `Use at most ${LEGAL_TEXT_MAX_CHARS.toLocaleString('en-US')} characters.`))),
  change_note: optionalText(1000),
};
export const createDocumentSchema = z.strictObject({ ...documentFields, ...versionFields });
export const updateDocumentSchema = z.strictObject(documentFields);
export const publishVersionSchema = z.strictObject(versionFields);

/** The uploaded file of a form, as bytes (the route reads it; the service checks it). */
export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

export async function sha256OfBytes(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A PDF is recognised by its bytes (`%PDF-`), never by the name or the browser's Content-Type. */
export const isPdf = (bytes: Uint8Array) => bytes.length >= 5 && String.fromCharCode(...bytes.subarray(0, 5)) === '%PDF-';

const safeFileName = (name: string) => (name.replace(/[^A-Za-z0-9._ -]/g, '_').slice(0, 120) || 'document') + (/\.pdf$/i.test(name) ? '' : '.pdf');

/** The version content, checked: Markdown text that is not blank, or real PDF bytes. */
async function versionContent(input: { format: 'markdown' | 'pdf'; body?: string }, file: UploadedFile | null) {
  if (input.format === 'markdown') {
    const body = input.body ?? '';
    if (body.trim() === '') throw new ValidationError({ body: 'Write the agreement’s text.' });
    const bytes = new TextEncoder().encode(body);
    return { format: 'markdown' as const, body, bytes, fileName: null, sha256: await sha256OfBytes(bytes) };
  }
  if (!file || file.bytes.length === 0) throw new ValidationError({ file: 'Choose a PDF file to upload.' });
  if (file.bytes.length > LEGAL_PDF_MAX_BYTES) throw new ValidationError({ file: 'The PDF is over 10 MB.' });
  if (!isPdf(file.bytes)) throw new ValidationError({ file: 'This file is not a PDF (its content does not start with %PDF-).' });
  return { format: 'pdf' as const, body: null, bytes: file.bytes, fileName: safeFileName(file.name), sha256: await sha256OfBytes(file.bytes) };
}

// ---------------------------------------------------------------------------------------------
// Who must accept what

/**
 * Whether a document binds a customer: everyone, or customers with a draft or active contract of
 * the document's kind (a draft counts: a quote's customer signs before the contract starts).
 */
function documentAppliesTo(customerId: SQL | string): SQL {
  return sql`(${legalDocuments.requiredFor} = 'all' OR EXISTS (SELECT 1 FROM contracts ct
    WHERE ct.customer_id = ${customerId} AND ct.host_id = ${legalDocuments.hostId}
      AND ct.kind = ${legalDocuments.requiredFor} AND ct.status IN ('draft', 'active')))`;
}

/**
 * The number of required documents whose current version the customer has not accepted: a scalar
 * subquery, so the portal's session check reads it in its own round trip (src/portal/session.ts).
 */
export function pendingAgreementsCount(customerIdColumn: SQL, hostIdColumn: SQL) {
  return sql<number>`(SELECT count(*) FROM legal_documents ld
    WHERE ld.host_id = ${hostIdColumn} AND ld.archived_at IS NULL AND ld.current_version_id IS NOT NULL
      AND (ld.required_for = 'all' OR EXISTS (SELECT 1 FROM contracts ct WHERE ct.customer_id = ${customerIdColumn}
        AND ct.host_id = ld.host_id AND ct.kind = ld.required_for AND ct.status IN ('draft', 'active')))
      AND NOT EXISTS (SELECT 1 FROM legal_acceptances la WHERE la.customer_id = ${customerIdColumn} AND la.version_id = ld.current_version_id))`;
}

export interface RequiredDocument {
  document: LegalDocumentRow;
  version: LegalVersionRow;
}

/** The required documents a customer has still to accept (current versions), by title. */
export async function pendingDocuments(db: Db, hostId: string, customerId: string): Promise<RequiredDocument[]> {
  const rows = await db
    .select({ document: legalDocuments, version: legalDocumentVersions })
    .from(legalDocuments)
    .innerJoin(legalDocumentVersions, eq(legalDocumentVersions.id, legalDocuments.currentVersionId))
    .where(
      and(
        eq(legalDocuments.hostId, hostId),
        isNull(legalDocuments.archivedAt),
        documentAppliesTo(customerId),
        sql`NOT EXISTS (SELECT 1 FROM legal_acceptances la WHERE la.customer_id = ${customerId} AND la.version_id = ${legalDocuments.currentVersionId})`,
      ),
    )
    .orderBy(asc(legalDocuments.title))
    .all();
  return rows;
}

/** The current versions of the documents every new customer must accept (the quote page's checkbox). */
export async function documentsRequiredForKind(db: Db, hostId: string, kind: string): Promise<RequiredDocument[]> {
  return db
    .select({ document: legalDocuments, version: legalDocumentVersions })
    .from(legalDocuments)
    .innerJoin(legalDocumentVersions, eq(legalDocumentVersions.id, legalDocuments.currentVersionId))
    .where(and(eq(legalDocuments.hostId, hostId), isNull(legalDocuments.archivedAt), sql`${legalDocuments.requiredFor} IN ('all', ${kind})`))
    .orderBy(asc(legalDocuments.title))
    .all();
}

// ---------------------------------------------------------------------------------------------
// Host OS: documents and versions

export interface DocumentListItem extends LegalDocumentRow {
  currentVersion: number | null;
  publishedAt: number | null;
  format: 'markdown' | 'pdf' | null;
  acceptances: number;
}

export async function listDocuments(db: Db, hostId: string, options: { includeArchived?: boolean } = {}): Promise<DocumentListItem[]> {
  const rows = await db
    .select({
      document: legalDocuments,
      currentVersion: legalDocumentVersions.version,
      publishedAt: legalDocumentVersions.publishedAt,
      format: legalDocumentVersions.format,
      acceptances: sql<number>`(SELECT count(*) FROM legal_acceptances la WHERE la.document_id = ${legalDocuments.id})`,
    })
    .from(legalDocuments)
    .leftJoin(legalDocumentVersions, eq(legalDocumentVersions.id, legalDocuments.currentVersionId))
    .where(and(eq(legalDocuments.hostId, hostId), options.includeArchived ? undefined : isNull(legalDocuments.archivedAt)))
    .orderBy(asc(legalDocuments.title))
    .all();
  return rows.map((row) => ({ ...row.document, currentVersion: row.currentVersion, publishedAt: row.publishedAt, format: row.format, acceptances: row.acceptances }));
}

export async function getDocument(db: Db, hostId: string, documentId: string) {
  const [documents, versions] = await db.batch([
    db.select().from(legalDocuments).where(and(eq(legalDocuments.hostId, hostId), eq(legalDocuments.id, documentId))),
    db
      .select()
      .from(legalDocumentVersions)
      .where(and(eq(legalDocumentVersions.hostId, hostId), eq(legalDocumentVersions.documentId, documentId)))
      .orderBy(desc(legalDocumentVersions.version)),
  ]);
  const document = documents[0];
  if (!document) throw notFound('Document');
  return { document, versions };
}

export async function getVersion(db: Db, hostId: string, versionId: string): Promise<LegalVersionRow> {
  const row = await db
    .select()
    .from(legalDocumentVersions)
    .where(and(eq(legalDocumentVersions.hostId, hostId), eq(legalDocumentVersions.id, versionId)))
    .get();
  if (!row) throw notFound('Document version');
  return row;
}

/** Stores a version's file (PDF) before its row: a failed batch deletes it again. */
async function storeVersion(
  db: Db,
  env: Pick<Bindings, 'FILES'>,
  hostId: string,
  actor: Actor,
  documentId: string,
  version: number,
  content: Awaited<ReturnType<typeof versionContent>>,
  changeNote: string | null,
  statementsBefore: (versionId: string, now: number) => BatchItem<'sqlite'>[],
  action: string,
  extraChanges: Record<string, [unknown, unknown]> = {},
) {
  const versionId = newId();
  const now = Date.now();
  const fileKey = content.format === 'pdf' ? `legal/${hostId}/${documentId}/${versionId}.pdf` : null;
  if (fileKey) await env.FILES.put(fileKey, content.bytes, { httpMetadata: { contentType: 'application/pdf' }, sha256: content.sha256 });
  try {
    const statements: BatchItem<'sqlite'>[] = [
      ...statementsBefore(versionId, now),
      db.insert(legalDocumentVersions).values({
        id: versionId,
        hostId,
        documentId,
        version,
        format: content.format,
        body: content.body,
        fileKey,
        fileName: content.fileName,
        sizeBytes: content.bytes.length,
        sha256: content.sha256,
        changeNote,
        publishedByLabel: actor.label,
        publishedAt: now,
      }),
      db
        .update(legalDocuments)
        .set({ currentVersionId: versionId, updatedAt: now })
        .where(and(eq(legalDocuments.id, documentId), eq(legalDocuments.hostId, hostId))),
      activityInsert(db, hostId, actor, action, null, { ...extraChanges, version: [version - 1 || null, version], sha256: [null, content.sha256], ...(changeNote ? { change_note: [null, changeNote] } : {}) }, now),
    ];
    await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  } catch (error) {
    if (fileKey) await env.FILES.delete(fileKey).catch(() => undefined);
    if (error instanceof Error && /UNIQUE/i.test(error.message)) throw new AppError('conflict', 'Another version was published at the same moment. Reload and try again.');
    throw error;
  }
  return versionId;
}

/** A new document and its version 1, in one batch (its PDF, if any, is stored first). */
export async function createDocument(db: Db, env: Pick<Bindings, 'FILES'>, hostId: string, actor: Actor, raw: Record<string, unknown>, file: UploadedFile | null): Promise<string> {
  // Every field's problem at once: the document's and the content's.
  let input: z.output<typeof createDocumentSchema> | null = null;
  let errors: Record<string, string> = {};
  try {
    input = parseInput(createDocumentSchema, raw);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors = { ...error.fields };
  }
  const content = await versionContent({ format: input?.format ?? (raw.format === 'pdf' ? 'pdf' : 'markdown'), body: typeof raw.body === 'string' ? raw.body : undefined }, file).catch((error: unknown) => {
    if (!(error instanceof ValidationError)) throw error;
    errors = { ...error.fields, ...errors };
    return null;
  });
  if (!input || !content) throw new ValidationError(errors);
  const documentId = newId();
  await storeVersion(
    db,
    env,
    hostId,
    actor,
    documentId,
    1,
    content,
    input.change_note ?? null,
    (_versionId, now) => [
      db.insert(legalDocuments).values({ id: documentId, hostId, title: input.title, requiredFor: input.required_for, createdAt: now, updatedAt: now }),
    ],
    'legal.document_published',
    { title: [null, input.title], required_for: [null, input.required_for] },
  );
  return documentId;
}

/** Publishes the next version: every customer it binds must accept it again. */
export async function publishVersion(db: Db, env: Pick<Bindings, 'FILES'>, hostId: string, actor: Actor, documentId: string, raw: Record<string, unknown>, file: UploadedFile | null): Promise<string> {
  const { document, versions } = await getDocument(db, hostId, documentId);
  if (document.archivedAt) throw new AppError('conflict', 'This document is archived: restore it before publishing a new version.');
  const input = parseInput(publishVersionSchema, raw);
  if (!input.change_note) throw new ValidationError({ change_note: 'Say what changed in this version: customers see it when they accept again.' });
  const content = await versionContent(input, file);
  const next = (versions[0]?.version ?? 0) + 1;
  if (versions[0]?.sha256 === content.sha256) throw new ValidationError({ [content.format === 'pdf' ? 'file' : 'body']: 'This is exactly the current version: change something before publishing.' });
  return storeVersion(db, env, hostId, actor, documentId, next, content, input.change_note, () => [], 'legal.version_published', { title: [document.title, document.title] });
}

export async function updateDocument(db: Db, hostId: string, actor: Actor, documentId: string, raw: Record<string, unknown>) {
  const { document } = await getDocument(db, hostId, documentId);
  const input = parseInput(updateDocumentSchema, raw);
  const changes: Record<string, [unknown, unknown]> = {};
  if (input.title !== document.title) changes.title = [document.title, input.title];
  if (input.required_for !== document.requiredFor) changes.required_for = [document.requiredFor, input.required_for];
  if (Object.keys(changes).length === 0) return;
  const now = Date.now();
  await db.batch([
    db
      .update(legalDocuments)
      .set({ title: input.title, requiredFor: input.required_for, updatedAt: now })
      .where(and(eq(legalDocuments.id, documentId), eq(legalDocuments.hostId, hostId))),
    activityInsert(db, hostId, actor, 'legal.document_updated', null, changes, now),
  ]);
}

/** Archived documents stop gating the portal; their versions and acceptances stay as records. */
export async function setArchived(db: Db, hostId: string, actor: Actor, documentId: string, archived: boolean) {
  const { document } = await getDocument(db, hostId, documentId);
  const now = Date.now();
  await db.batch([
    db
      .update(legalDocuments)
      .set({ archivedAt: archived ? now : null, updatedAt: now })
      .where(and(eq(legalDocuments.id, documentId), eq(legalDocuments.hostId, hostId))),
    activityInsert(db, hostId, actor, archived ? 'legal.document_archived' : 'legal.document_restored', null, { title: [document.title, document.title] }, now),
  ]);
}

/** Exactly the bytes a version's hash was computed over, with how to serve them. */
export async function versionFile(env: Pick<Bindings, 'FILES'>, version: LegalVersionRow, title: string) {
  const base = title.replace(/[^A-Za-z0-9 _-]/g, '').trim().replace(/\s+/g, '-').slice(0, 80) || 'agreement';
  if (version.format === 'markdown') {
    return { body: new TextEncoder().encode(version.body ?? ''), contentType: 'text/markdown; charset=utf-8', fileName: `${base}-v${version.version}.md` };
  }
  const object = version.fileKey ? await env.FILES.get(version.fileKey) : null;
  if (!object) throw notFound('Document file');
  return { body: new Uint8Array(await object.arrayBuffer()), contentType: 'application/pdf', fileName: `${base}-v${version.version}.pdf` };
}

// ---------------------------------------------------------------------------------------------
// Acceptance

export interface Accepter {
  memberId: string;
  name: string;
  email: string;
  ip: string | null;
}

/**
 * A portal member accepts the current version of a document binding their customer. Only the
 * current version, of a document that applies, can be accepted; accepting twice is a no-op.
 * The hash recorded is the version's: the one computed over exactly what the member was shown.
 */
export async function acceptDocument(db: Db, hostId: string, customerId: string, accepter: Accepter, versionId: string): Promise<void> {
  const row = await db
    .select({ document: legalDocuments, version: legalDocumentVersions })
    .from(legalDocumentVersions)
    .innerJoin(legalDocuments, eq(legalDocuments.id, legalDocumentVersions.documentId))
    .where(and(eq(legalDocumentVersions.id, versionId), eq(legalDocumentVersions.hostId, hostId), eq(legalDocuments.hostId, hostId)))
    .get();
  if (!row || row.document.archivedAt) throw notFound('Document');
  if (row.document.currentVersionId !== versionId) throw new AppError('conflict', 'A newer version of this document was published: read and accept that one.');
  const now = Date.now();
  const actor: Actor = { kind: 'customer', id: accepter.memberId, label: accepter.name };
  await db.batch([
    db
      .insert(legalAcceptances)
      .values({
        id: newId(),
        hostId,
        customerId,
        documentId: row.document.id,
        versionId,
        version: row.version.version,
        sha256: row.version.sha256,
        customerUserId: accepter.memberId,
        acceptedByName: accepter.name,
        acceptedByEmail: accepter.email,
        ip: accepter.ip,
        acceptedAt: now,
      })
      .onConflictDoNothing(),
    activityInsert(db, hostId, actor, 'legal.accepted', customerId, { [row.document.title]: [null, `v${row.version.version} ${row.version.sha256}`] }, now),
  ]);
}

// ---------------------------------------------------------------------------------------------
// The customer's Legal tab, the API and the CSV

export interface CustomerLegalRow {
  document: LegalDocumentRow;
  currentVersion: LegalVersionRow | null;
  /** Whether the document binds this customer now. */
  required: boolean;
  /** Newest first. */
  acceptances: LegalAcceptanceRow[];
}

export async function customerLegal(db: Db, hostId: string, customerId: string): Promise<CustomerLegalRow[]> {
  // Two reads side by side, not one batch: a batch keys rows by column name, and the joined
  // document and version share theirs (id, host_id).
  const [documents, acceptances] = await Promise.all([
    db
      .select({
        document: legalDocuments,
        currentVersion: legalDocumentVersions,
        required: sql<number>`${legalDocuments.requiredFor} <> 'none' AND ${documentAppliesTo(customerId)}`,
      })
      .from(legalDocuments)
      .leftJoin(legalDocumentVersions, eq(legalDocumentVersions.id, legalDocuments.currentVersionId))
      .where(eq(legalDocuments.hostId, hostId))
      .orderBy(asc(legalDocuments.title))
      .all(),
    listCustomerAcceptances(db, hostId, customerId),
  ]);
  return documents
    .map((row) => ({
      document: row.document,
      currentVersion: row.currentVersion,
      required: Boolean(row.required) && !row.document.archivedAt,
      acceptances: acceptances.filter((a) => a.documentId === row.document.id),
    }))
    .filter((row) => row.required || row.acceptances.length > 0);
}

/** One acceptance of a customer, with the version it cites (for downloading what was accepted). */
export async function getAcceptance(db: Db, hostId: string, customerId: string, acceptanceId: string) {
  const row = await db
    .select({ acceptance: legalAcceptances, version: legalDocumentVersions, title: legalDocuments.title })
    .from(legalAcceptances)
    .innerJoin(legalDocumentVersions, eq(legalDocumentVersions.id, legalAcceptances.versionId))
    .innerJoin(legalDocuments, eq(legalDocuments.id, legalAcceptances.documentId))
    .where(and(eq(legalAcceptances.id, acceptanceId), eq(legalAcceptances.hostId, hostId), eq(legalAcceptances.customerId, customerId)))
    .get();
  if (!row) throw notFound('Acceptance');
  return row;
}

export function listCustomerAcceptances(db: Db, hostId: string, customerId: string) {
  return db
    .select()
    .from(legalAcceptances)
    .where(and(eq(legalAcceptances.hostId, hostId), eq(legalAcceptances.customerId, customerId)))
    .orderBy(desc(legalAcceptances.acceptedAt))
    .all();
}

/** Every acceptance of a document, oldest first, as CSV (Excel-safe cells). */
export async function acceptancesCsv(db: Db, hostId: string, documentId: string): Promise<{ title: string; csv: string }> {
  const { document } = await getDocument(db, hostId, documentId);
  const rows = await db
    .select({ acceptance: legalAcceptances, customerName: customers.name })
    .from(legalAcceptances)
    .innerJoin(customers, eq(customers.id, legalAcceptances.customerId))
    .where(and(eq(legalAcceptances.hostId, hostId), eq(legalAcceptances.documentId, documentId)))
    .orderBy(asc(legalAcceptances.acceptedAt))
    .all();
  const header = ['customer_id', 'customer', 'version', 'sha256', 'accepted_by', 'accepted_by_email', 'ip', 'accepted_at'];
  const lines = rows.map(({ acceptance: a, customerName }) =>
    [a.customerId, customerName, a.version, a.sha256, a.acceptedByName, a.acceptedByEmail, a.ip, new Date(a.acceptedAt).toISOString()].map(csvCell).join(','),
  );
  return { title: document.title, csv: [header.join(','), ...lines].join('\r\n') + '\r\n' };
}

// ---------------------------------------------------------------------------------------------
// JSON shapes (API)

export const serializeDocument = (d: DocumentListItem | LegalDocumentRow) => ({
  id: d.id,
  title: d.title,
  required_for: d.requiredFor,
  current_version_id: d.currentVersionId,
  current_version: 'currentVersion' in d ? d.currentVersion : undefined,
  archived_at: d.archivedAt ? new Date(d.archivedAt).toISOString() : null,
  created_at: new Date(d.createdAt).toISOString(),
  updated_at: new Date(d.updatedAt).toISOString(),
});

export const serializeVersion = (v: LegalVersionRow) => ({
  id: v.id,
  document_id: v.documentId,
  version: v.version,
  format: v.format,
  body: v.body,
  file_name: v.fileName,
  size_bytes: v.sizeBytes,
  sha256: v.sha256,
  change_note: v.changeNote,
  published_by: v.publishedByLabel,
  published_at: new Date(v.publishedAt).toISOString(),
});

export const serializeAcceptance = (a: LegalAcceptanceRow) => ({
  id: a.id,
  customer_id: a.customerId,
  document_id: a.documentId,
  version_id: a.versionId,
  version: a.version,
  sha256: a.sha256,
  accepted_by: { id: a.customerUserId, name: a.acceptedByName, email: a.acceptedByEmail },
  ip: a.ip,
  accepted_at: new Date(a.acceptedAt).toISOString(),
});

/** What a contract or invoice cites: the agreements of its kind in force, and whether the customer accepted their current version. */
export interface AgreementInForce {
  title: string;
  version: number;
  sha256: string;
  acceptedAt: number | null;
}

export async function agreementsInForce(db: Db, hostId: string, customerId: string, kind: string): Promise<AgreementInForce[]> {
  const rows = await customerLegal(db, hostId, customerId);
  return rows
    .filter((row) => row.currentVersion && !row.document.archivedAt && (row.document.requiredFor === 'all' || row.document.requiredFor === kind))
    .map((row) => ({
      title: row.document.title,
      version: row.currentVersion!.version,
      sha256: row.currentVersion!.sha256,
      acceptedAt: row.acceptances.find((a) => a.versionId === row.currentVersion!.id)?.acceptedAt ?? null,
    }));
}

/**
 * What an invoice cites (issue 13): each agreement that bound the customer for this invoice's
 * contract kinds when it was issued (a draft: now), the version in force then, and the version
 * the customer had accepted by then. Versions are immutable and keep their publish time, so the
 * citation of an issued invoice never changes when a new version is published later. Batchable.
 */
export function invoiceAgreementsRead(db: Db, hostId: string, invoice: { id: string; customerId: string; issuedAt: number | null }, now = Date.now()) {
  const at = invoice.issuedAt ?? now;
  const accepted = alias(legalAcceptances, 'accepted');
  return db
    .select({
      documentId: legalDocuments.id,
      title: legalDocuments.title,
      version: legalDocumentVersions.version,
      sha256: legalDocumentVersions.sha256,
      // Aliased: rows of a D1 batch are keyed by column name, and both tables have these.
      acceptedVersion: sql<number | null>`${accepted.version}`.as('accepted_version'),
      acceptedAt: sql<number | null>`${accepted.acceptedAt}`.as('accepted_accepted_at'),
    })
    .from(legalDocuments)
    .innerJoin(legalDocumentVersions, and(eq(legalDocumentVersions.documentId, legalDocuments.id), eq(legalDocumentVersions.hostId, hostId)))
    .leftJoin(
      accepted,
      sql`${accepted.id} = (SELECT a.id FROM legal_acceptances a WHERE a.host_id = ${hostId} AND a.customer_id = ${invoice.customerId}
        AND a.document_id = ${legalDocuments.id} AND a.accepted_at <= ${at} ORDER BY a.version DESC, a.accepted_at DESC LIMIT 1)`,
    )
    .where(
      and(
        eq(legalDocuments.hostId, hostId),
        sql`(${legalDocuments.archivedAt} IS NULL OR ${legalDocuments.archivedAt} > ${at})`,
        sql`${legalDocumentVersions.version} = (SELECT max(v.version) FROM legal_document_versions v WHERE v.document_id = ${legalDocuments.id} AND v.published_at <= ${at})`,
        sql`(${legalDocuments.requiredFor} = 'all' OR ${legalDocuments.requiredFor} IN (
          SELECT c.kind FROM invoice_lines l JOIN contracts c ON c.id = l.contract_id AND c.host_id = ${hostId}
          WHERE l.invoice_id = ${invoice.id}))`,
      ),
    )
    .orderBy(asc(legalDocuments.title), asc(legalDocuments.id));
}

export type InvoiceAgreement = Awaited<ReturnType<typeof invoiceAgreementsRead>>[number];
