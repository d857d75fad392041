import type { Context } from 'hono';
import { ValidationError } from '../lib/errors';
import { MAX_UPLOAD_REQUEST_BYTES } from '../support/attachments';

/**
 * A ticket form (multipart, or urlencoded without files): text fields (the last value wins, but
 * `unit_ids` keeps every value), and the files of `attachments`. A body that says it is larger
 * than the attachments allow is refused before it is read.
 */
export async function readTicketForm(c: Context): Promise<{ fields: Record<string, string>; unitIds: string[]; files: File[] }> {
  const length = Number(c.req.header('Content-Length') ?? '0');
  if (Number.isFinite(length) && length > MAX_UPLOAD_REQUEST_BYTES) {
    throw new ValidationError({ attachments: 'The attachments are too large: at most 5 files of 10 MB each.' });
  }
  const body = await c.req.parseBody({ all: true });
  const fields: Record<string, string> = {};
  const unitIds: string[] = [];
  const files: File[] = [];
  for (const [key, raw] of Object.entries(body)) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const value of values) {
      if (value instanceof File) {
        if (key === 'attachments') files.push(value);
      } else if (typeof value === 'string') {
        if (key === 'unit_ids') unitIds.push(value);
        else fields[key] = value;
      }
    }
  }
  return { fields, unitIds, files };
}
