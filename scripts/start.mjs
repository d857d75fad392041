#!/usr/bin/env node
// `npm start`: apply local D1 migrations, load the demo data (idempotent), run `wrangler dev`,
// and print the URL and the demo sign-ins once the Worker answers.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSeedSql, DEMO_HOSTS, DEMO_PASSWORD } from './demo-data.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 8787);
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');

function run(args, label) {
  console.log(`\n› ${label}`);
  const result = spawnSync(wrangler, args, { cwd: root, stdio: 'inherit', env: { ...process.env, CI: 'true' } });
  if (result.status !== 0) {
    console.error(`✗ ${label} failed (exit ${result.status}).`);
    process.exit(result.status ?? 1);
  }
}

run(['d1', 'migrations', 'apply', 'DB', '--local'], 'Applying local D1 migrations');

const seedFile = join(root, '.wrangler', 'demo-seed.sql');
mkdirSync(dirname(seedFile), { recursive: true });
writeFileSync(seedFile, buildSeedSql());
run(['d1', 'execute', 'DB', '--local', '--file', seedFile], 'Loading demo data (existing rows are kept)');

console.log(`\n› Starting wrangler dev on http://localhost:${port}`);
const dev = spawn(wrangler, ['dev', '--port', String(port), '--ip', '127.0.0.1'], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code) => process.exit(code ?? 0));

async function waitForWorker() {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://localhost:${port}/login`);
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

if (await waitForWorker()) {
  const lines = [
    '',
    '──────────────────────────────────────────────────────────────',
    ` Hashyard is running: http://localhost:${port}/login`,
    '',
    ` Demo sign-ins (password for all: ${DEMO_PASSWORD})`,
    ...DEMO_HOSTS.flatMap((host) => [
      `   ${host.name} (/${host.slug})`,
      ...host.staff.map((member) => `     ${member.role.padEnd(6)} ${member.email}`),
      `     API key: ${host.apiKey}`,
      `     portal  http://localhost:${port}/host/${host.slug}/auth${host.domain ? `  or  http://${host.domain}:${port}/auth` : ''}`,
      ...host.portalUsers.map((user) => `     customer ${user.email}`),
    ]),
    '',
    ` Emails (invites, password resets) land in the development mailbox: http://localhost:${port}/dev/mailbox`,
    ` Try the API:  curl -H "Authorization: Bearer hy_dev_texasmine" http://localhost:${port}/api/v1/customers`,
    '──────────────────────────────────────────────────────────────',
    '',
  ];
  console.log(lines.join('\n'));
}
