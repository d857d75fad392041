// The demo seed is loaded by `wrangler d1 execute --file`, which refuses a file past about 128 KB
// (SQLITE_TOOBIG) and must never see a statement cut in two: the seed is one statement a line and
// is loaded in parts under the limit (scripts/demo-data.mjs, splitSeedSql).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSeedSql, SEED_PART_BYTES, splitSeedSql } from '../../scripts/demo-data.mjs';

test('the demo seed is one statement a line, in parts under the size wrangler accepts, nothing lost', () => {
  const seed = buildSeedSql(Date.UTC(2026, 11, 2, 12));
  const lines = seed.split('\n').filter(Boolean);
  for (const line of lines) assert.match(line, /^(INSERT|UPDATE|DELETE) .*;$/, `one whole statement a line: ${line.slice(0, 120)}`);
  const parts = splitSeedSql(seed);
  assert.ok(parts.length >= 2, 'the demo is already larger than one part');
  for (const part of parts) assert.ok(Buffer.byteLength(part, 'utf8') <= SEED_PART_BYTES, `a part of ${Buffer.byteLength(part, 'utf8')} bytes`);
  assert.deepEqual(parts.join('').split('\n').filter(Boolean), lines);
});

test('splitting never cuts a line, even at a tiny limit', () => {
  assert.deepEqual(splitSeedSql('a;\nbb;\nccc;\n', 7), ['a;\nbb;\n', 'ccc;\n']);
  assert.deepEqual(splitSeedSql('a;\nbb;\nccc;\n', 6), ['a;\n', 'bb;\n', 'ccc;\n']);
  assert.deepEqual(splitSeedSql('a-very-long-statement;\n', 5), ['a-very-long-statement;\n']);
});
