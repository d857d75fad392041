// The real firmware replies the agent's tests read: agent/test/fixtures/cgminer-api/
// inside this repository (sources and licences in its README.md), so a clone with
// nothing beside it passes `npm test`. $HASHYARD_FIXTURES points elsewhere on purpose.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const agentRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = process.env.HASHYARD_FIXTURES ?? path.join(agentRoot, 'test', 'fixtures', 'cgminer-api');

if (!fs.existsSync(FIXTURES)) {
  throw new Error(`CGMiner API fixtures not found at ${FIXTURES}`);
}

/** @param {string} name */
export function fixture(name) {
  return fs.readFileSync(path.join(FIXTURES, name));
}

export function fixtureNames() {
  return fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
}
