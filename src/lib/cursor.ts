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

/**
 * One page of a keyset list from the `limit + 1` rows read in walking order (the extra row says
 * there is more): the page in display order and the cursors to its neighbours. Walking back
 * (`before`) reads the newer neighbours reversed, so the page is flipped and there is always a
 * next page; there is a previous page when a cursor brought us here, or walking back found more.
 */
export function keysetPage<T>(
  rows: readonly T[],
  limit: number,
  walk: { goingBack: boolean; fromCursor: boolean },
  cursorOf: (row: T) => string,
): { page: T[]; nextCursor: string | null; prevCursor: string | null } {
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  if (walk.goingBack) page.reverse();
  const first = page[0];
  const last = page[page.length - 1];
  return {
    page,
    nextCursor: last !== undefined && (walk.goingBack || hasMore) ? cursorOf(last) : null,
    prevCursor: first !== undefined && (walk.goingBack ? hasMore : walk.fromCursor) ? cursorOf(first) : null,
  };
}
