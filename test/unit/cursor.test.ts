import { describe, expect, it } from 'vitest';
import { decodeCursor, decodeListCursor, encodeCursor, encodeOffsetCursor } from '../../src/lib/cursor';
import { ValidationError } from '../../src/lib/errors';

describe('list cursors (one codec)', () => {
  it('round-trips keyset and offset cursors, opaque and URL-safe', () => {
    const keyset = encodeCursor(['zoë & co/+', 'id-1']);
    expect(keyset).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(keyset, 'cursor')).toEqual(['zoë & co/+', 'id-1']);
    expect(decodeListCursor(keyset, 'cursor')).toEqual({ kind: 'keyset', value: 'zoë & co/+', id: 'id-1' });
    expect(decodeListCursor(encodeCursor([1_764_000_000_000, 'id-2']), 'cursor')).toEqual({ kind: 'keyset', value: 1_764_000_000_000, id: 'id-2' });
    expect(decodeListCursor(encodeOffsetCursor(150), 'before')).toEqual({ kind: 'offset', offset: 150 });
  });

  it('refuses junk, and an offset cursor where only a keyset one makes sense, naming the parameter', () => {
    for (const [text, decode] of [
      ['not base64!', decodeListCursor],
      [btoa('{"o":-1}'), decodeListCursor],
      [btoa('[1]'), decodeListCursor],
      [encodeOffsetCursor(50), decodeCursor],
    ] as const) {
      let error: unknown;
      try {
        decode(text, 'before');
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fields).toHaveProperty('before');
    }
  });
});
