import { ValidationError } from './errors';
import { base64Url } from './ids';

/**
 * The one codec for list cursors (customers, equipment, alerts; pages and API): opaque base64url
 * JSON. A keyset cursor is `[sort value, id]`; an offset cursor (lists sorted in memory by a
 * live value, which have no stable key) is `{ "o": offset }`. A cursor that does not decode is
 * the taxonomy's validation error, naming the query parameter it came in; the message says it
 * too, since the admin lists have no form to show field errors in.
 */
export type CursorValue = [sortValue: string | number, id: string];

/** Either kind, for a list that pages both ways (equipment: D1 sorts by key, live sorts by offset). */
export type ListCursor = { kind: 'keyset'; value: string | number; id: string } | { kind: 'offset'; offset: number };

export function encodeCursor(value: CursorValue): string {
  return encodeJson(value);
}

export function encodeOffsetCursor(offset: number): string {
  return encodeJson({ o: offset });
}

/** A keyset cursor; anything else (an offset cursor included) is refused. */
export function decodeCursor(text: string, field: string): CursorValue {
  const cursor = decodeListCursor(text, field);
  if (cursor.kind === 'keyset') return [cursor.value, cursor.id];
  throw invalidCursor(field);
}

export function decodeListCursor(text: string, field: string): ListCursor {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const value = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)))) as unknown;
    if (Array.isArray(value) && value.length === 2 && (typeof value[0] === 'string' || typeof value[0] === 'number') && typeof value[1] === 'string') {
      return { kind: 'keyset', value: value[0], id: value[1] };
    }
    if (value && typeof value === 'object' && 'o' in value && Number.isSafeInteger(value.o) && (value.o as number) >= 0) {
      return { kind: 'offset', offset: value.o as number };
    }
  } catch {
    // fall through to the validation error
  }
  throw invalidCursor(field);
}

const encodeJson = (value: unknown) => base64Url(new TextEncoder().encode(JSON.stringify(value)));

function invalidCursor(field: string): ValidationError {
  const message = 'This page link is no longer valid; start again from the first page.';
  return new ValidationError({ [field]: message }, message);
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
