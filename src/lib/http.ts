import { AppError } from './errors';
import type { Context } from 'hono';

export const isHtmx = (c: Context) => c.req.header('HX-Request') === 'true';
export const isApiPath = (path: string) => path.startsWith('/api/');

/**
 * After a successful form post: htmx follows HX-Redirect with a full navigation; a plain form post
 * (no JavaScript) gets 303 See Other so a reload never re-submits.
 */
export function redirectAfterPost(c: Context, location: string): Response {
  if (isHtmx(c)) {
    c.header('HX-Redirect', location);
    return c.body(null, 200);
  }
  return c.redirect(location, 303);
}

/** Form fields as strings; repeated fields keep the last value; files are ignored here. */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/**
 * A multipart (or urlencoded) form: text fields and files. Returns null, without reading the body,
 * when Content-Length says it is over `maxBytes`, so an oversized upload is refused cheaply.
 */
export async function readMultipartForm(c: Context, maxBytes: number): Promise<{ fields: Record<string, string>; files: Record<string, File> } | null> {
  const length = Number(c.req.header('Content-Length') ?? '0');
  if (Number.isFinite(length) && length > maxBytes) return null;
  const body = await c.req.parseBody();
  const fields: Record<string, string> = {};
  const files: Record<string, File> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') fields[key] = value;
    else if (value instanceof File) files[key] = value;
  }
  return { fields, files };
}

/** Reads a JSON object body, or throws the taxonomy's bad_request (400) with what was wrong. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('Content-Type') ?? '';
  if (!type.toLowerCase().includes('application/json')) {
    throw new AppError('bad_request', 'Send a JSON body with Content-Type: application/json.');
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new AppError('bad_request', 'The request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('bad_request', 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}
