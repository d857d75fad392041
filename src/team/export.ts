/**
 * Settings → Export (issue 16): the whole host's data as a ZIP of CSV files, built in the
 * background by the export queue (`hashyard-export`), kept in R2 for 7 days and announced by
 * email. Owner only.
 *
 * The build streams: each table is read in pages of PAGE_ROWS by rowid (two bound parameters,
 * whatever the table's size), each page becomes CSV bytes that go into the ZIP (src/team/zip.ts),
 * and the archive is uploaded to R2 as a multipart upload in parts of exactly PART_BYTES. A build
 * that runs past BUDGET_MS saves where it is (the upload, the parts, the table and rowid, the
 * bytes not yet uploaded as a small R2 object) in `host_exports.state` and re-queues itself, so
 * no table is too big for one invocation's limits.
 * @see https://developers.cloudflare.com/r2/objects/multipart-objects/
 * @see https://developers.cloudflare.com/queues/platform/limits/
 */
import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import { csvCell } from '../billing/seal-format';
import { activityInsert } from '../activity/service';
import type { StaffSession } from '../auth/staff-session';
import { can, requireThat } from '../auth/permissions';
import type { Db } from '../db/client';
import { getDb } from '../db/client';
import { hostExports, hosts } from '../db/schema';
import { outboxInsert, queueEmail } from '../email/outbox';
import type { Bindings } from '../env';
import { staffActor } from '../hosts/service';
import { AppError, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { consumeRateLimit } from '../lib/rate-limit';
import { EXPORT_FILES, exportReadme } from './export-tables';
import { centralDirectory, crc32, dataDescriptor, localHeader, ZIP_MAX_BYTES, type ZipEntry } from './zip';

export const EXPORT_QUEUE_NAME = 'hashyard-export';
export const EXPORT_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Rows per read: a page is one small D1 query whatever the table's size. */
export const PAGE_ROWS = 1000;
/** R2 multipart parts (all but the last) must be at least 5 MiB and all the same size. */
export const PART_BYTES = 5 * 1024 * 1024;
/** Wall time one queue invocation spends before saving its place and re-queueing. */
export const BUDGET_MS = 20_000;
/** A build not heard from for this long is re-queued by the cron (its message was lost). */
export const STALE_BUILD_MS = 15 * 60 * 1000;
export const EXPORTS_PER_DAY = 5;
const README = 'README.txt';

export interface ExportMessage {
  kind: 'host_export';
  hostId: string;
  exportId: string;
  /** The address the ready email links back to. */
  origin: string;
}

export const isExportMessage = (body: unknown): body is ExportMessage => {
  const b = body as Partial<ExportMessage> | null;
  return !!b && b.kind === 'host_export' && typeof b.hostId === 'string' && typeof b.exportId === 'string' && typeof b.origin === 'string';
};

export type HostExport = typeof hostExports.$inferSelect;

const objectKey = (hostId: string, exportId: string) => `exports/${hostId}/${exportId}.zip`;
const carryKey = (hostId: string, exportId: string) => `exports/${hostId}/${exportId}.carry`;

/** The owner asks for an export; an export already being built is returned instead of a second. */
export async function requestExport(db: Db, env: Pick<Bindings, 'EXPORT_QUEUE'>, session: StaffSession, origin: string, now = Date.now()): Promise<string> {
  requireThat(can.exportHostData(session.role), 'Only the owner can export the host’s data.');
  const building = await db
    .select({ id: hostExports.id })
    .from(hostExports)
    .where(and(eq(hostExports.hostId, session.host.id), inArray(hostExports.status, ['queued', 'running'])))
    .get();
  if (building) return building.id;
  await consumeRateLimit(db, { key: `host-export:${session.host.id}`, limit: EXPORTS_PER_DAY, windowMs: 24 * 60 * 60 * 1000 }, now);
  const id = newId();
  await db.batch([
    db.insert(hostExports).values({
      id,
      hostId: session.host.id,
      requestedById: session.user.id,
      requestedByEmail: session.user.email,
      status: 'queued',
      expiresAt: now + EXPORT_TTL_MS,
      createdAt: now,
      updatedAt: now,
    }),
    activityInsert(db, session.host.id, staffActor(session), 'host.export_requested', null, { export: [null, id] }, now),
  ]);
  await sendExportMessage(env, { kind: 'host_export', hostId: session.host.id, exportId: id, origin });
  return id;
}

/** Never throws: the row is written; the cron re-queues a build whose message never went out. */
async function sendExportMessage(env: Pick<Bindings, 'EXPORT_QUEUE'>, message: ExportMessage): Promise<void> {
  try {
    await env.EXPORT_QUEUE.send(message);
  } catch (error) {
    console.error(`[export] queueing ${message.exportId} failed; the cron re-queues it`, error);
  }
}

export async function listExports(db: Db, hostId: string, limit = 10): Promise<HostExport[]> {
  return db.select().from(hostExports).where(eq(hostExports.hostId, hostId)).orderBy(desc(hostExports.createdAt)).limit(limit).all();
}

export async function getExport(db: Db, hostId: string, exportId: string): Promise<HostExport> {
  const row = await db.select().from(hostExports).where(and(eq(hostExports.hostId, hostId), eq(hostExports.id, exportId))).get();
  if (!row) throw notFound('Export');
  return row;
}

/** Whether a ready export can still be downloaded at `now`. */
export const isDownloadable = (row: HostExport, now = Date.now()) => row.status === 'ready' && row.objectKey !== null && row.expiresAt > now;

/** The ZIP, for the owner, while it has not expired. */
export async function openExportDownload(db: Db, env: Pick<Bindings, 'FILES'>, session: StaffSession, exportId: string, now = Date.now()) {
  requireThat(can.exportHostData(session.role), 'Only the owner can download the host’s data.');
  const row = await getExport(db, session.host.id, exportId);
  if (row.status === 'expired' || (row.status === 'ready' && row.expiresAt <= now)) {
    throw new AppError('not_found', 'This export has expired (exports are kept 7 days). Start a new one.');
  }
  if (!isDownloadable(row, now)) throw new AppError('conflict', 'This export is not ready yet.');
  const object = await env.FILES.get(row.objectKey!);
  if (!object) throw new AppError('not_found', 'This export is no longer stored. Start a new one.');
  return { row, object };
}

// ---------------------------------------------------------------------------------------------
// The build.

interface BuildState {
  uploadId: string;
  parts: R2UploadedPart[];
  /** Archive bytes produced so far (uploaded, plus the carry). */
  offset: number;
  /** Index into EXPORT_FILES; EXPORT_FILES.length is the README. */
  fileIndex: number;
  /** The last rowid written of the current file. */
  cursor: number;
  entryOpen: boolean;
  crc: number;
  size: number;
  entries: ZipEntry[];
  rowCounts: Record<string, number>;
  /** Whether bytes not yet uploaded (less than a part) wait in the carry object. */
  carry: boolean;
}

/** Archive bytes waiting for a full part; parts go to R2 exactly PART_BYTES long. */
class PartWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;
  constructor(
    private readonly upload: R2MultipartUpload,
    private readonly state: BuildState,
  ) {}

  /** New archive bytes. */
  write(bytes: Uint8Array) {
    this.state.offset += bytes.length;
    if (this.state.offset > ZIP_MAX_BYTES) throw new Error('The export would pass 4 GiB, the limit of a ZIP without ZIP64.');
    this.keep(bytes);
  }

  /** Bytes already counted in the archive's offset (a carry, a remainder), not yet uploaded. */
  keep(bytes: Uint8Array) {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** Uploads every full part; true when one went out (a safe point to stop at). */
  async flushFullParts(): Promise<boolean> {
    if (this.length < PART_BYTES) return false;
    const all = this.take();
    let at = 0;
    for (; all.length - at >= PART_BYTES; at += PART_BYTES) {
      const partNumber = this.state.parts.length + 1;
      this.state.parts.push(await this.upload.uploadPart(partNumber, all.subarray(at, at + PART_BYTES)));
    }
    if (at < all.length) this.keep(all.slice(at));
    return true;
  }

  take(): Uint8Array {
    const all = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    this.chunks = [];
    this.length = 0;
    return all;
  }
}

const encoder = new TextEncoder();

function openEntry(writer: PartWriter, state: BuildState, name: string, now: number) {
  state.entries.push({ name, offset: state.offset, crc: 0, size: 0 });
  writer.write(localHeader(name, now));
  state.entryOpen = true;
  state.crc = 0;
  state.size = 0;
}

function writeEntryData(writer: PartWriter, state: BuildState, text: string) {
  const bytes = encoder.encode(text);
  state.crc = crc32(bytes, state.crc);
  state.size += bytes.length;
  writer.write(bytes);
}

function closeEntry(writer: PartWriter, state: BuildState) {
  const entry = state.entries[state.entries.length - 1]!;
  entry.crc = state.crc;
  entry.size = state.size;
  writer.write(dataDescriptor(state.crc, state.size));
  state.entryOpen = false;
  state.fileIndex += 1;
  state.cursor = 0;
}

const csvLine = (cells: unknown[]) => `${cells.map((cell) => csvCell(cell as string | number | null)).join(',')}\r\n`;

/** One page of a file's rows, after `cursor`, as arrays: [rowid, ...columns]. */
async function readPage(d1: D1Database, file: (typeof EXPORT_FILES)[number], hostId: string, cursor: number): Promise<unknown[][]> {
  // NOT INDEXED: walk the table by rowid from the cursor, so each page starts where the last
  // stopped (one pass over the table for the whole export, never a sort of the host's rows).
  const from = file.from.replace(/^(\S+ AS t)/, '$1 NOT INDEXED');
  const query = `SELECT t.rowid, ${file.select.join(', ')} FROM ${from} WHERE t.host_id = ?1 AND t.rowid > ?2 ORDER BY t.rowid LIMIT ${PAGE_ROWS}`;
  return d1.prepare(query).bind(hostId, cursor).raw();
}

export type StepResult = 'ready' | 'continued' | 'skipped';

/**
 * Builds (or goes on building) one export. Returns 'continued' after re-queueing itself when
 * the budget ran out, 'ready' when the ZIP is stored and the owner emailed.
 */
export async function runExportStep(env: Bindings, message: ExportMessage, options: { budgetMs?: number; now?: () => number } = {}): Promise<StepResult> {
  const clock = options.now ?? Date.now;
  const started = clock();
  const budgetMs = options.budgetMs ?? BUDGET_MS;
  const db = getDb(env.DB);
  const [row, host] = await db.batch([
    db.select().from(hostExports).where(and(eq(hostExports.id, message.exportId), eq(hostExports.hostId, message.hostId))),
    db.select({ name: hosts.name }).from(hosts).where(eq(hosts.id, message.hostId)),
  ]);
  const record = row[0];
  if (!record || !host[0] || (record.status !== 'queued' && record.status !== 'running')) return 'skipped';
  const key = objectKey(message.hostId, message.exportId);

  let state: BuildState;
  let upload: R2MultipartUpload;
  if (record.state) {
    state = JSON.parse(record.state) as BuildState;
    upload = env.FILES.resumeMultipartUpload(key, state.uploadId);
  } else {
    upload = await env.FILES.createMultipartUpload(key, { httpMetadata: { contentType: 'application/zip' } });
    state = { uploadId: upload.uploadId, parts: [], offset: 0, fileIndex: 0, cursor: 0, entryOpen: false, crc: 0, size: 0, entries: [], rowCounts: {}, carry: false };
  }
  await db.update(hostExports).set({ status: 'running', updatedAt: clock() }).where(eq(hostExports.id, record.id));

  const writer = new PartWriter(upload, state);
  if (state.carry) {
    const carried = await env.FILES.get(carryKey(message.hostId, message.exportId));
    if (!carried) throw new Error(`Export ${record.id}: the carried bytes are missing.`);
    writer.keep(new Uint8Array(await carried.arrayBuffer()));
  }

  const total = EXPORT_FILES.length;
  while (state.fileIndex < total) {
    const file = EXPORT_FILES[state.fileIndex]!;
    if (!state.entryOpen) {
      openEntry(writer, state, file.file, record.createdAt);
      writeEntryData(writer, state, csvLine(file.columns));
      state.rowCounts[file.file] = 0;
    }
    for (;;) {
      const rows = await readPage(env.DB, file, message.hostId, state.cursor);
      if (rows.length > 0) {
        writeEntryData(writer, state, rows.map((r) => csvLine(r.slice(1))).join(''));
        state.cursor = Number(rows[rows.length - 1]![0]);
        state.rowCounts[file.file] = (state.rowCounts[file.file] ?? 0) + rows.length;
      }
      if (rows.length < PAGE_ROWS) break;
      if ((await writer.flushFullParts()) && clock() - started >= budgetMs) {
        await saveAndRequeue(env, db, message, record.id, state, writer);
        return 'continued';
      }
    }
    closeEntry(writer, state);
    await db
      .update(hostExports)
      .set({ progress: Math.floor((state.fileIndex * 100) / (total + 1)), rowCount: sumCounts(state.rowCounts), updatedAt: clock() })
      .where(eq(hostExports.id, record.id));
  }

  openEntry(writer, state, README, record.createdAt);
  writeEntryData(writer, state, exportReadme(host[0].name, record.createdAt, state.rowCounts));
  closeEntry(writer, state);
  const directory = centralDirectory(state.entries, state.offset, record.createdAt);
  writer.write(directory);
  await writer.flushFullParts();
  const last = writer.take();
  state.parts.push(await upload.uploadPart(state.parts.length + 1, last));
  await upload.complete(state.parts);
  if (state.carry) await env.FILES.delete(carryKey(message.hostId, message.exportId));

  const now = clock();
  const expiresAt = now + EXPORT_TTL_MS;
  const email = outboxInsert(db, {
    hostId: message.hostId,
    to: record.requestedByEmail,
    template: 'platform_notice',
    subject: `Your data export of ${host[0].name} is ready`,
    payload: {
      greeting: 'Hello,',
      paragraphs: [
        `The export of ${host[0].name}'s data you asked for is ready: a ZIP of CSV files (${sumCounts(state.rowCounts)} rows) with a README of the columns.`,
        'Download it from Settings → Export while signed in as the owner. It is kept for 7 days.',
      ],
      actionLabel: 'Open Settings → Export',
      actionUrl: `${message.origin}/admin/settings/export`,
      expiresAt: new Date(expiresAt).toISOString(),
    },
  });
  await db.batch([
    db
      .update(hostExports)
      .set({ status: 'ready', progress: 100, objectKey: key, sizeBytes: state.offset, rowCount: sumCounts(state.rowCounts), state: null, expiresAt, updatedAt: now })
      .where(eq(hostExports.id, record.id)),
    email.statement,
  ]);
  await queueEmail(env, [email.id]);
  return 'ready';
}

const sumCounts = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

/** Saves the build's place (the carry in R2, the state in D1) and queues the next step. */
async function saveAndRequeue(env: Bindings, db: Db, message: ExportMessage, exportId: string, state: BuildState, writer: PartWriter) {
  const rest = writer.take();
  state.carry = rest.length > 0;
  if (state.carry) await env.FILES.put(carryKey(message.hostId, message.exportId), rest);
  await db
    .update(hostExports)
    .set({
      state: JSON.stringify(state),
      progress: Math.floor((state.fileIndex * 100) / (EXPORT_FILES.length + 1)),
      rowCount: sumCounts(state.rowCounts),
      updatedAt: Date.now(),
    })
    .where(eq(hostExports.id, exportId));
  await env.EXPORT_QUEUE.send(message);
}

/** The last attempt failed: the export is marked failed and its partial upload dropped. */
export async function failExport(env: Bindings, message: ExportMessage, error: unknown): Promise<void> {
  const db = getDb(env.DB);
  const row = await db.select({ state: hostExports.state }).from(hostExports).where(eq(hostExports.id, message.exportId)).get();
  await abortBuild(env, message.hostId, message.exportId, row?.state ?? null);
  await db
    .update(hostExports)
    .set({ status: 'failed', state: null, error: String(error instanceof Error ? error.message : error).slice(0, 500), updatedAt: Date.now() })
    .where(and(eq(hostExports.id, message.exportId), eq(hostExports.hostId, message.hostId)));
}

async function abortBuild(env: Pick<Bindings, 'FILES'>, hostId: string, exportId: string, stateJson: string | null) {
  if (!stateJson) return;
  try {
    const state = JSON.parse(stateJson) as BuildState;
    await env.FILES.resumeMultipartUpload(objectKey(hostId, exportId), state.uploadId).abort();
  } catch (error) {
    console.error(`[export] aborting the upload of ${exportId} failed (R2 drops it later)`, error);
  }
  await env.FILES.delete(carryKey(hostId, exportId));
}

/**
 * Cron: exports past their 7 days lose their file (the row stays, as `expired`, for the page's
 * history), and builds whose message was lost are queued again. Idempotent; bounded per run.
 */
export async function runExportCron(env: Bindings, now: number, origin: string): Promise<{ expired: number; requeued: number }> {
  const db = getDb(env.DB);
  const due = await db
    .select({ id: hostExports.id, hostId: hostExports.hostId, objectKey: hostExports.objectKey, state: hostExports.state })
    .from(hostExports)
    .where(and(inArray(hostExports.status, ['ready', 'failed', 'queued', 'running']), lt(hostExports.expiresAt, now)))
    .limit(100)
    .all();
  for (const row of due) {
    if (row.objectKey) await env.FILES.delete(row.objectKey);
    await abortBuild(env, row.hostId, row.id, row.state);
    await db
      .update(hostExports)
      .set({ status: 'expired', objectKey: null, state: null, updatedAt: now })
      .where(eq(hostExports.id, row.id));
  }
  const stale = await db
    .select({ id: hostExports.id, hostId: hostExports.hostId })
    .from(hostExports)
    .where(and(inArray(hostExports.status, ['queued', 'running']), lt(hostExports.updatedAt, now - STALE_BUILD_MS)))
    .limit(20)
    .all();
  for (const row of stale) {
    await db.update(hostExports).set({ updatedAt: now }).where(eq(hostExports.id, row.id));
    await sendExportMessage(env, { kind: 'host_export', hostId: row.hostId, exportId: row.id, origin });
  }
  return { expired: due.length, requeued: stale.length };
}

/** The export queue's consumer: one build step per message; the last failed attempt marks it failed. */
export const EXPORT_MAX_ATTEMPTS = 4;
export async function handleExportQueue(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  for (const message of batch.messages) {
    if (!isExportMessage(message.body)) {
      console.error(`[export] message ${message.id} is not an export job; dropped`);
      message.ack();
      continue;
    }
    try {
      await runExportStep(env, message.body);
      message.ack();
    } catch (error) {
      console.error(`[export] ${message.body.exportId} attempt ${message.attempts} failed`, error);
      if (message.attempts >= EXPORT_MAX_ATTEMPTS) {
        await failExport(env, message.body, error);
        message.ack();
      } else message.retry({ delaySeconds: 30 });
    }
  }
}
