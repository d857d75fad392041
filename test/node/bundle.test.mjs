// Issue 14 part 4: the production build leaves the /dev routes out (HASHYARD_DEV_ROUTES in
// src/app.tsx, [env.production.define] in wrangler.toml); development keeps them. Builds both
// with `wrangler deploy --dry-run` (no network, nothing deployed) and prints their sizes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wrangler = path.join(root, 'node_modules/wrangler/bin/wrangler.js');

async function build(envArgs) {
  const outdir = await mkdtemp(path.join(tmpdir(), 'bundle-'));
  try {
    await promisify(execFile)(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', outdir, ...envArgs], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    return await readFile(path.join(outdir, 'index.js'), 'utf8');
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

// Strings only the dev route modules hold: the mailbox page, the bench's RPC paths, the demo's route.
// And SiteState's bench bodies, which return first in production (src/live/site-state.ts).
const DEV_ONLY = ['mailbox-main', '/site-alarm', '/billing-history', '/parse-only', 'stateJsonBytes'];

test('production leaves the /dev modules out; development keeps them', { timeout: 120_000 }, async () => {
  const [dev, production] = [await build([]), await build(['--env', 'production'])];
  for (const marker of DEV_ONLY) {
    assert.ok(dev.includes(marker), `development build lacks ${marker}`);
    assert.ok(!production.includes(marker), `production build contains ${marker}`);
  }
  assert.match(dev, /\/dev\/mailbox/);
  // scripts/patch-drizzle.mjs (postinstall) keeps drizzle's relational queries, its migrator,
  // pg-core, db.transaction(), db.$count(), db.$with()'s query builder and the OpenTelemetry
  // tracer out of both builds: their entity names (the tracer's call) would be in the output otherwise.
  for (const marker of ['SQLiteAsyncRelationalQuery', 'PgColumn', '__drizzle_migrations', 'SQLiteBlobJson', 'SQLiteTransaction', 'D1Transaction', 'SQLiteCountBuilder', 'SQLiteQueryBuilder', 'getTracer']) {
    assert.ok(!dev.includes(marker) && !production.includes(marker), `a build contains drizzle's ${marker}`);
  }
  // scripts/patch-hono.mjs (postinstall) keeps hono's deprecated app.mount() helper out.
  for (const marker of ['mount(): Optional regular expression', 'mount(): Wildcard must follow']) {
    assert.ok(!dev.includes(marker) && !production.includes(marker), `a build contains hono's mount helper (${marker})`);
  }
  // The views compile to the classic factory `h(tag, props, ...children)` (tsconfig.json); the
  // automatic runtime's `jsx(tag, { …, children: … })` wrote `children:` about 3,500 times.
  for (const [name, code] of [['development', dev], ['production', production]]) {
    const childrenProps = code.split('children:').length - 1;
    assert.ok(childrenProps < 50, `the ${name} build has ${childrenProps} "children:": the views compile to the automatic JSX runtime again`);
  }
  const kib = (code) => `${(code.length / 1024).toFixed(1)} KiB, ${(gzipSync(code).length / 1024).toFixed(1)} KiB gzip`;
  console.log(`bundle: development ${kib(dev)}; production ${kib(production)}`);
  assert.ok(production.length < dev.length);
  // Issue 14's budget, as `wrangler deploy --dry-run --env production` reports it (its gzip is
  // zlib's default level, as here): a change that crosses it decides what to give up for it.
  const productionGzipKiB = gzipSync(production).length / 1024;
  assert.ok(productionGzipKiB <= 300, `the production bundle is ${productionGzipKiB.toFixed(2)} KiB gzip, over the 300 KiB budget (bench/README.md, "The Worker bundle")`);
});
