#!/usr/bin/env node
// `npm run bench`: the admin customer list at 10,000 customers against a trivial page, through
// local workerd (wrangler dev) with real D1. Prints median latencies and the ratios, all measured
// in this one run (DESIGN.md §10 budget: within 3× a trivial page). Nothing here asserts timing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../scripts/demo-data.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 10_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 60);
const state = mkdtempSync(join(tmpdir(), 'hashyard-bench-'));

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

function wranglerSync(args) {
  const result = spawnSync(wrangler, args, { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  if (result.status !== 0) throw new Error(`wrangler ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

function seedSql() {
  const now = Date.now();
  const hostId = 'bench-host';
  const lines = [
    `INSERT INTO hosts (id, name, main_slug, default_currency, timezone, created_at, updated_at) VALUES ('${hostId}', 'Bench Host', 'bench-host', 'USD', 'UTC', ${now}, ${now});`,
    `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ('bench-user', 'bench@example.com', 'Bench Owner', '${hashPassword('bench-password')}', ${now}, ${now});`,
    `INSERT INTO host_users (host_id, user_id, role, created_at) VALUES ('${hostId}', 'bench-user', 'owner', ${now});`,
  ];
  const first = ['Alice', 'Bob', 'Carla', 'Dmitri', 'Erin', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas'];
  const last = ['Nakamoto', 'Hashworth', 'Merkle', 'Nonce', 'Halving', 'Mempool', 'Stratum', 'Block'];
  for (let i = 0; i < CUSTOMERS; i++) {
    const name = `${first[i % first.length]} ${last[(i * 7) % last.length]} ${i}`;
    const id = `bench-c-${String(i).padStart(6, '0')}`;
    lines.push(
      `INSERT INTO customers (id, host_id, name, sort_name, company_name, contact_email, active, portal_access, created_at, updated_at) VALUES ('${id}', '${hostId}', '${name}', '${name.toLowerCase()}', 'Company ${i % 500}', 'c${i}@example.com', ${i % 17 === 0 ? 0 : 1}, 1, ${now - i * 1000}, ${now - i * 1000});`,
    );
    if (i % 23 === 0) {
      lines.push(`INSERT INTO default_cases (id, host_id, customer_id, reason, opened_at) VALUES ('bench-d-${i}', '${hostId}', '${id}', 'Overdue', ${now});`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function waitFor(url, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer in time`);
}

async function medianMs(url, cookie) {
  const times = [];
  for (let i = 0; i < SAMPLES + 5; i++) {
    const start = performance.now();
    const res = await fetch(url, { headers: cookie ? { Cookie: cookie } : {}, redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    if (i >= 5) times.push(performance.now() - start); // the first five warm up
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

let dev;
try {
  console.log(`Seeding ${CUSTOMERS.toLocaleString('en-US')} customers into a fresh local D1…`);
  wranglerSync(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state]);
  const seedFile = join(state, 'seed.sql');
  writeFileSync(seedFile, seedSql());
  wranglerSync(['d1', 'execute', 'DB', '--local', '--persist-to', state, '--file', seedFile]);

  const port = await freePort();
  const origin = `http://localhost:${port}`;
  dev = spawn(wrangler, ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', state], {
    cwd: root,
    stdio: 'ignore',
    detached: true,
  });
  await waitFor(`${origin}/login`, 60_000);

  const login = await fetch(`${origin}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
    body: 'email=bench%40example.com&password=bench-password',
    redirect: 'manual',
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  if (!cookie.startsWith('__Host-hy_staff=')) throw new Error(`sign-in failed: ${login.status}`);

  // A deep page: follow next-page links 40 pages in (2,000 customers deep).
  let deepUrl = `${origin}/admin/customers`;
  for (let page = 0; page < 40; page++) {
    const html = await (await fetch(deepUrl, { headers: { Cookie: cookie } })).text();
    const next = html.match(/href="(\/admin\/customers\?cursor=[^"]+)"/);
    if (!next) break;
    deepUrl = `${origin}${next[1].replace(/&amp;/g, '&')}`;
  }

  const floor = await medianMs(`${origin}/login`);
  const cases = [
    ['settings page (auth + 1 query)', `${origin}/admin/settings`],
    ['customer list, first page', `${origin}/admin/customers`],
    ['customer list, 40 pages deep', deepUrl],
    ['customer list, search "merkle"', `${origin}/admin/customers?q=merkle`],
    ['customer list, status In Default', `${origin}/admin/customers?status=in_default`],
    ['customer list, newest first', `${origin}/admin/customers?sort=-created`],
  ];
  console.log(`\nmedian of ${SAMPLES} sequential requests each, ${CUSTOMERS.toLocaleString('en-US')} customers`);
  console.log(`${'trivial page (/login, no D1)'.padEnd(36)} ${floor.toFixed(2).padStart(8)} ms   1.00×`);
  for (const [label, url] of cases) {
    const ms = await medianMs(url, cookie);
    console.log(`${label.padEnd(36)} ${ms.toFixed(2).padStart(8)} ms   ${(ms / floor).toFixed(2)}×   (budget 3×)`);
  }
} finally {
  if (dev) {
    try {
      process.kill(-dev.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  rmSync(state, { recursive: true, force: true });
}
