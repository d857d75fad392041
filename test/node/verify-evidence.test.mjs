// `npm run verify-evidence` against an evidence file the Worker produced (the committed golden
// file: an API evidence.csv of an invoice with a spec-source energy line over two sealed days and
// one unsealed day, plus an adjustment line), and against tampered copies of it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canonicalSealText, EVIDENCE_COLUMNS, parseCsv, sealHash } from '../../src/billing/seal-format.js';
import { VECTOR_HASH, VECTOR_INPUT, VECTOR_TEXT } from './seal-vector.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const golden = path.join(here, 'fixtures/evidence-golden.csv');

function verify(file) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'scripts/verify-evidence.mjs'), file], (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

/** A copy of the golden file with one cell of one record changed. */
async function tampered(pick, column, change) {
  const [header, ...records] = parseCsv(await readFile(golden, 'utf8'));
  const at = header.indexOf(column);
  const target = records.findIndex(pick(header));
  assert.ok(target >= 0, 'no record to tamper with');
  records[target][at] = change(records[target][at]);
  const cell = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const dir = await mkdtemp(path.join(tmpdir(), 'evidence-'));
  const file = path.join(dir, 'evidence.csv');
  await writeFile(file, [header, ...records].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n');
  return file;
}

const sealedUsage = (header) => (r) => r[header.indexOf('record_type')] === 'usage' && r[header.indexOf('in_line')] === '1' && r[header.indexOf('seal_hash')] !== '';
const total = (kind) => (header) => (r) => r[header.indexOf('record_type')] === 'total' && r[header.indexOf('line_kind')] === kind;

test('the canonical form and its hash in Node match the published vector', async () => {
  assert.equal(canonicalSealText(VECTOR_INPUT), VECTOR_TEXT);
  assert.equal(await sealHash(VECTOR_INPUT), VECTOR_HASH);
});

test('the golden file has every column and verifies: exit 0 with a per-check report', async () => {
  const [header] = parseCsv(await readFile(golden, 'utf8'));
  // Written before the optional `note` column (fixed-fee lines, issue 17): files without it still verify.
  assert.deepEqual(header, EVIDENCE_COLUMNS.filter((c) => c !== 'note'));
  const { code, stdout } = await verify(golden);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /^ok {4}line .+ seal .+ 2026-11-22: 6 row\(s\), [0-9a-f]{64}$/m);
  assert.match(stdout, /^ok {4}line .+ chain: 1 link\(s\)/m);
  assert.match(stdout, /^ok {4}line .+ energy: 25205 Wh$/m);
  assert.match(stdout, /^ok {4}line .+ amount: 1 minor units of EUR$/m);
  assert.match(stdout, /All 9 checks match/);
  assert.doesNotMatch(stdout, /FAIL/);
});

test('the golden file in today’s format (with the note column) verifies the same', async () => {
  const [header, ...records] = parseCsv(await readFile(golden, 'utf8'));
  assert.deepEqual([...header, 'note'], [...EVIDENCE_COLUMNS]);
  const dir = await mkdtemp(path.join(tmpdir(), 'evidence-'));
  const file = path.join(dir, 'evidence.csv');
  const cell = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  await writeFile(file, [[...header, 'note'], ...records.map((r) => [...r, ''])].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n');
  const { code, stdout } = await verify(file);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /All 9 checks match/);
});

test('a changed sealed reading fails its seal (and its row), exit 1 naming the first mismatch', async () => {
  const file = await tampered(sealedUsage, 'energy_wh', (v) => String(Number(v) + 1));
  const { code, stdout } = await verify(file);
  assert.equal(code, 1);
  assert.match(stdout, /^FAIL {2}line .+ seal .+: re-derived [0-9a-f]{64} from 6 row\(s\), the file says [0-9a-f]{64}$/m);
  assert.match(stdout, /First mismatch: line /);
});

test('a changed billed Wh fails the row recomputation', async () => {
  const file = await tampered(sealedUsage, 'billed_wh', (v) => String(Number(v) - 5));
  const { code, stdout } = await verify(file);
  assert.equal(code, 1);
  assert.match(stdout, /FAIL {2}line .+ rows: unit .+ billed_wh \d+, recomputed \d+/);
});

test('a changed line amount fails the amount check', async () => {
  const file = await tampered(total('energy'), 'amount_minor', (v) => String(Number(v) + 1));
  const { code, stdout } = await verify(file);
  assert.equal(code, 1);
  assert.match(stdout, /FAIL {2}line .+ amount: 25205 Wh at 81250 micro-units\/kWh is 205 minor units, the line says 206/);
});

test('a forged seal hash fails', async () => {
  const file = await tampered(sealedUsage, 'seal_hash', () => 'f'.repeat(64));
  const { code, stdout } = await verify(file);
  assert.equal(code, 1);
  assert.match(stdout, /FAIL {2}line .+ seal .+: rows of one seal name different hashes/);
});

test('an adjustment whose billed Wh is not new − old fails', async () => {
  const file = await tampered((header) => (r) => r[header.indexOf('record_type')] === 'adjustment', 'new_energy_wh', (v) => String(Number(v) + 10));
  const { code, stdout } = await verify(file);
  assert.equal(code, 1);
  assert.match(stdout, /FAIL {2}line .+ rows: adjustment .+ billed_wh 79 is not new_energy_wh - old_energy_wh = 89/);
});

test('a missing file or a file that is not evidence is refused', async () => {
  assert.equal((await verify(path.join(here, 'fixtures/no-such-file.csv'))).code, 2);
  const dir = await mkdtemp(path.join(tmpdir(), 'evidence-'));
  const file = path.join(dir, 'other.csv');
  await writeFile(file, 'name,amount\nx,1\n');
  const { code, stdout } = await verify(file);
  assert.equal(code, 1);
  assert.match(stdout, /FAIL {2}columns: missing column\(s\): record_type/);
});
