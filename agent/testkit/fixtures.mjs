// Locate the shared CGMiner API fixtures: ../shared/fixtures/cgminer-api from
// the repository root (CI puts a copy of shared/ beside the clone), or
// $HASHYARD_FIXTURES.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = process.env.HASHYARD_FIXTURES ?? path.resolve(repoRoot, '..', 'shared', 'fixtures', 'cgminer-api');

if (!fs.existsSync(FIXTURES)) {
  throw new Error(`CGMiner API fixtures not found at ${FIXTURES} (expected ../shared/fixtures/cgminer-api beside the repository)`);
}

/** @param {string} name */
export function fixture(name) {
  return fs.readFileSync(path.join(FIXTURES, name));
}

export function fixtureNames() {
  return fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
}
