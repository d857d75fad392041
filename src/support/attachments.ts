/**
 * Ticket attachments: images, PDFs and logs, at most 10 MB each, stored in R2 (FILES).
 *
 * The type is checked from the bytes, never taken from the browser: the file's claimed type (its
 * extension, else the Content-Type the browser sent) must be one we accept, and its first bytes
 * must be that type's magic number (a log must be valid UTF-8 text without NUL bytes). A file
 * whose bytes are not what it claims is refused, so an HTML page renamed `.png` never lands. It
 * is served back with the type we verified, `nosniff` and, except images, as a download.
 */
import { ValidationError } from '../lib/errors';
import { newId } from '../lib/ids';

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const MAX_ATTACHMENTS_PER_MESSAGE = 5;
/** What a request may carry in all: the files plus a little form (Workers accept 100 MB bodies). */
export const MAX_UPLOAD_REQUEST_BYTES = MAX_ATTACHMENTS_PER_MESSAGE * MAX_ATTACHMENT_BYTES + 256 * 1024;

export type AttachmentKind = 'png' | 'jpeg' | 'gif' | 'webp' | 'pdf' | 'text';

const CONTENT_TYPES: Record<AttachmentKind, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  text: 'text/plain; charset=utf-8',
};

const KIND_BY_EXTENSION: Record<string, AttachmentKind> = {
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  gif: 'gif',
  webp: 'webp',
  pdf: 'pdf',
  log: 'text',
  txt: 'text',
  csv: 'text',
  json: 'text',
};

const KIND_BY_MIME: Record<string, AttachmentKind> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'text/plain': 'text',
  'text/csv': 'text',
  'application/json': 'text',
};

export const ACCEPTED_ATTACHMENTS = 'PNG, JPEG, GIF or WebP images, PDF, or text logs (.log, .txt, .csv, .json)';
/** The <input accept> list. */
export const ATTACHMENT_ACCEPT = '.png,.jpg,.jpeg,.gif,.webp,.pdf,.log,.txt,.csv,.json,image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain';

/** The type a file claims: its extension first (what the person chose), else its MIME type. */
export function claimedKind(filename: string, mimeType: string): AttachmentKind | null {
  const extension = /\.([A-Za-z0-9]{1,8})$/.exec(filename)?.[1]?.toLowerCase();
  if (extension) return KIND_BY_EXTENSION[extension] ?? null;
  return KIND_BY_MIME[mimeType.split(';')[0]!.trim().toLowerCase()] ?? null;
}

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);
const ascii = (text: string) => [...text].map((ch) => ch.charCodeAt(0));

/** Whether the bytes are what `kind` says, from the magic number (text: strict UTF-8, no NUL). */
export function bytesMatchKind(bytes: Uint8Array, kind: AttachmentKind): boolean {
  switch (kind) {
    case 'png':
      return startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    case 'jpeg':
      return startsWith(bytes, [0xff, 0xd8, 0xff]);
    case 'gif':
      return startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'));
    case 'webp':
      return startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8);
    case 'pdf':
      return startsWith(bytes, ascii('%PDF-'));
    case 'text': {
      if (bytes.includes(0)) return false;
      try {
        new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
        return true;
      } catch {
        return false;
      }
    }
  }
}

/** A file name safe to show and to put in Content-Disposition: no paths, no control characters, bounded. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(-120);
  return cleaned || 'attachment';
}

export interface CheckedAttachment {
  id: string;
  filename: string;
  contentType: string;
  kind: AttachmentKind;
  bytes: Uint8Array;
}

/**
 * Reads and checks every file of a form field; throws a ValidationError on `fieldName` naming the
 * first file that is too big, of a type we do not take, or whose bytes are not its claimed type.
 * Empty file inputs (a form posted with no file chosen) are skipped.
 */
export async function checkAttachments(files: File[], fieldName = 'attachments'): Promise<CheckedAttachment[]> {
  const chosen = files.filter((file) => file.size > 0 || file.name !== '');
  if (chosen.length > MAX_ATTACHMENTS_PER_MESSAGE) throw new ValidationError({ [fieldName]: `Attach at most ${MAX_ATTACHMENTS_PER_MESSAGE} files to one message.` });
  const checked: CheckedAttachment[] = [];
  for (const file of chosen) {
    const filename = cleanFilename(file.name);
    if (file.size === 0) throw new ValidationError({ [fieldName]: `${filename} is empty.` });
    if (file.size > MAX_ATTACHMENT_BYTES) throw new ValidationError({ [fieldName]: `${filename} is larger than 10 MB.` });
    const kind = claimedKind(filename, file.type);
    if (!kind) throw new ValidationError({ [fieldName]: `${filename} is not a type we accept: attach ${ACCEPTED_ATTACHMENTS}.` });
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (!bytesMatchKind(bytes, kind)) {
      throw new ValidationError({ [fieldName]: `${filename} does not contain what its name says (${kind === 'text' ? 'UTF-8 text' : kind.toUpperCase()}); it was not attached.` });
    }
    checked.push({ id: newId(), filename, contentType: CONTENT_TYPES[kind], kind, bytes });
  }
  return checked;
}

export const attachmentKey = (hostId: string, ticketId: string, attachmentId: string) => `tickets/${hostId}/${ticketId}/${attachmentId}`;

/** Writes the files to R2 before their rows; the caller deletes them again if its batch fails. */
export async function storeAttachments(bucket: R2Bucket, hostId: string, ticketId: string, files: CheckedAttachment[]): Promise<string[]> {
  const keys: string[] = [];
  for (const file of files) {
    const key = attachmentKey(hostId, ticketId, file.id);
    await bucket.put(key, file.bytes, { httpMetadata: { contentType: file.contentType } });
    keys.push(key);
  }
  return keys;
}

export async function removeStored(bucket: R2Bucket, keys: string[]): Promise<void> {
  if (keys.length > 0) await bucket.delete(keys).catch(() => undefined);
}

/** Response headers for a download: the verified type, never sniffed; only images shown inline. */
export function attachmentHeaders(row: { filename: string; contentType: string; sizeBytes: number }): Record<string, string> {
  const inline = row.contentType.startsWith('image/');
  const ascii = row.filename.replace(/[^\x20-\x7e]/g, '_');
  return {
    'Content-Type': row.contentType,
    'Content-Length': String(row.sizeBytes),
    'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(row.filename)}`,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, no-store',
  };
}
