// Issue 11, weakness 9: an accidental `wrangler deploy` (no --env production) must not be able to
// replace the production Worker with development settings, and `npm run deploy` checks it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { checkDeployConfig } = await import(path.join(root, 'scripts/deploy.mjs'));

test('the repository’s wrangler.toml is safe to deploy: the top level is not production', async () => {
  assert.deepEqual(await checkDeployConfig(path.join(root, 'wrangler.toml')), []);
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  assert.match(pkg.scripts.deploy, /scripts\/deploy\.mjs/);
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'scripts/deploy.mjs'), '--check'], { cwd: root });
  assert.match(stdout, /apart/);
});

test('a top level named like production, or sharing its database, is refused', async () => {
  const original = await readFile(path.join(root, 'wrangler.toml'), 'utf8');
  const dir = await mkdtemp(path.join(tmpdir(), 'deploy-check-'));
  const sameName = path.join(dir, 'same-name.toml');
  await writeFile(sameName, original.replace(/^name = "[^"]+"/m, 'name = "hashyard"').replaceAll('main = "src/index.ts"', `main = "${path.join(root, 'src/index.ts')}"`));
  const problems = await checkDeployConfig(sameName);
  assert.ok(problems.some((p) => /share the Worker name/.test(p)), problems.join('\n'));

  const sameDb = path.join(dir, 'same-db.toml');
  await writeFile(sameDb, original.replace('database_id = "local-development-only"', 'database_id = "00000000-0000-0000-0000-000000000000"').replaceAll('main = "src/index.ts"', `main = "${path.join(root, 'src/index.ts')}"`));
  assert.ok((await checkDeployConfig(sameDb)).some((p) => /production's database id/.test(p)));
});
