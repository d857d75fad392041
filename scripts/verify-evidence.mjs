#!/usr/bin/env node
// Offline verification of a Hashyard evidence file (docs/billing/evidence.md):
//   npm run verify-evidence -- evidence.csv
// Re-derives every seal from the file's rows (the canonical form in src/billing/seal-format.js,
// the same module the Worker seals with), recomputes each billed row's Wh from its recorded
// columns, and each line's Wh and amount. No network. Exit 0 only when everything matches.
import { readFile } from 'node:fs/promises';
import { verifyEvidence } from '../src/billing/seal-format.js';

const path = process.argv[2];
if (!path || process.argv.length > 3) {
  console.error('Usage: npm run verify-evidence -- <evidence.csv>');
  process.exit(2);
}

let text;
try {
  text = await readFile(path, 'utf8');
} catch (error) {
  console.error(`Cannot read ${path}: ${error.message}`);
  process.exit(2);
}

const report = await verifyEvidence(text);
for (const check of report.checks) console.log(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
const failed = report.checks.filter((check) => !check.ok);
if (report.ok) {
  console.log(`\nAll ${report.checks.length} checks match: ${path} reproduces its lines and seals.`);
} else {
  console.log(`\n${failed.length} of ${report.checks.length} checks failed. First mismatch: ${failed[0].name}: ${failed[0].detail}`);
  process.exit(1);
}
