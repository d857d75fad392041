import { ValidationError } from './errors';
import { base64Url } from './ids';

/**
 * Opaque keyset-pagination cursors: `[sort value, id]` as base64url JSON (the same shape the
 * customer list uses). A cursor that does not decode is the taxonomy's validation error, naming
 * the query parameter it came in.
 */
export type CursorValue = [sortValue: string | number, id: string];

export function encodeCursor(value: CursorValue): string {
  return base64Url(new TextEncoder().encode(JSON.stringify(value)));
}

export function decodeCursor(text: string, field: string): CursorValue {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const value = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)))) as unknown;
    if (Array.isArray(value) && value.length === 2 && (typeof value[0] === 'string' || typeof value[0] === 'number') && typeof value[1] === 'string') {
      return value as CursorValue;
    }
  } catch {
    // fall through to the validation error
  }
  const message = 'This page link is no longer valid; start again from the first page.';
  throw new ValidationError({ [field]: message }, message);
}
