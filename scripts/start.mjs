#!/usr/bin/env node
// `npm start`: apply local D1 migrations, load the demo data (idempotent), run `wrangler dev`,
// and print the URL and the demo sign-ins once the Worker answers.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSeedSql, splitSeedSql, DEMO_HOSTS, DEMO_PASSWORD, demoAgentToken, demoBillingRequest } from './demo-data.mjs';

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

splitSeedSql(buildSeedSql()).forEach((part, i, parts) => {
  const seedFile = join(root, '.wrangler', `demo-seed-${i + 1}.sql`);
  mkdirSync(dirname(seedFile), { recursive: true });
  writeFileSync(seedFile, part);
  run(['d1', 'execute', 'DB', '--local', '--file', seedFile], `Loading demo data, part ${i + 1} of ${parts.length} (existing rows are kept)`);
});

console.log(`\n› Starting wrangler dev on http://localhost:${port}`);
const dev = spawn(wrangler, ['dev', '--port', String(port), '--ip', '127.0.0.1'], { cwd: root, stdio: 'inherit' });
/** The simulated facility: a miner simulator and a facility agent per demo host. */
const fleet = [];
const stopAll = (signal) => {
  for (const child of fleet) child.kill(signal);
  dev.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(signal));
dev.on('exit', (code) => {
  for (const child of fleet) child.kill('SIGTERM');
  process.exit(code ?? 0);
});

/**
 * Starts the miner simulator on loopback addresses and the real facility agent against the local
 * Worker, with the demo agent's token written to its state directory (as registering would).
 * Set HASHYARD_DEMO_FLEET=0 to run without them.
 */
async function startDemoFleet() {
  if (process.env.HASHYARD_DEMO_FLEET === '0') return [];
  return Promise.all(DEMO_HOSTS.map(async (host, index) => {
    const stateDir = join(root, '.wrangler', 'demo-agents', host.slug);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const registration = {
      api: `http://localhost:${port}`,
      agent_id: `g0000000-0000-4000-8000-00000000000${index + 1}`,
      site_id: host.site.id,
      token: demoAgentToken(host),
      registered_at: new Date().toISOString(),
    };
    writeFileSync(join(stateDir, 'agent.json'), `${JSON.stringify(registration, null, 2)}\n`, { mode: 0o600 });
    chmodSync(join(stateDir, 'agent.json'), 0o600);
    const arpFile = join(stateDir, 'simulated-arp');
    const log = (name) => (chunk) => process.stdout.write(String(chunk).replace(/^(?=.)/gm, `[${name}] `));
    const simulator = spawn(process.execPath, [join(root, 'agent', 'simulator.mjs'), '--count', String(host.fleet.count), '--base', host.fleet.base, '--scenario', host.fleet.scenario, '--arp-file', arpFile], { cwd: root });
    simulator.stderr.on('data', log(`simulator ${host.slug}`));
    // The agent scans as it starts: let the simulated miners listen first.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      simulator.stderr.on('data', (chunk) => {
        if (String(chunk).includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const agent = spawn(process.execPath, [join(root, 'agent', 'cli.mjs'), '--api', `http://localhost:${port}`, '--state', stateDir, '--arp-file', arpFile, '--interval', '15'], { cwd: root });
    agent.stderr.on('data', log(`agent ${host.slug}`));
    agent.stdout.on('data', log(`agent ${host.slug}`));
    fleet.push(simulator, agent);
    return `${host.name}: ${host.fleet.count} simulated miners on ${host.fleet.segment}, ${host.fleet.assigned} of them assigned to a demo customer`;
  }));
}

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

/**
 * The demo's invoices and payments, made by the real billing engine over the seeded usage
 * (src/demo/billing-history.ts); the first run takes a few seconds, later runs skip it.
 */
async function buildBillingHistory() {
  try {
    const res = await fetch(`http://localhost:${port}/dev/demo/billing-history`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(demoBillingRequest()),
    });
    const body = await res.json();
    if (!res.ok) return `could not build the billing history (${res.status}): ${JSON.stringify(body)}`;
    if (body.skipped) return 'billing history already there';
    const issued = Object.values(body.invoices).reduce((a, b) => a + b, 0);
    return `${body.sealedDays} usage days sealed, ${issued} invoices, ${body.payments} payments, ${body.overdue} overdue`;
  } catch (error) {
    return `could not build the billing history: ${error.message}`;
  }
}

if (await waitForWorker()) {
  console.log('\n› Billing the demo months (seal usage, issue invoices, record payments)');
  const billingLine = await buildBillingHistory();
  const fleetLines = await startDemoFleet();
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
    ...(fleetLines.length > 0
      ? [' Simulated facility (live miners and alerts within a minute; HASHYARD_DEMO_FLEET=0 to skip):', ...fleetLines.map((line) => `   ${line}`), '']
      : []),
    ` Demo billing: ${billingLine}`,
    ` Emails (invites, password resets) land in the development mailbox: http://localhost:${port}/dev/mailbox`,
    ` Try the API:  curl -H "Authorization: Bearer hy_dev_texasmine" http://localhost:${port}/api/v1/customers`,
    '──────────────────────────────────────────────────────────────',
    '',
  ];
  console.log(lines.join('\n'));
}
