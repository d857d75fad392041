// The CLI as a real process (npm run agent -- …) and in-process for the
// argument handling.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulator } from '../lib/simulator/server.mjs';
import { startFakeEdge } from '../testkit/fake-edge.mjs';
import { main, EXIT } from '../cli.mjs';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli.mjs');

/** @param {string[]} args @returns {Promise<{ code: number | null, stderr: string }>} */
function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** captured stdio for in-process runs */
function io() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: { stdout: { write: (/** @type {string} */ s) => ((out.stdout += s), true) }, stderr: { write: (/** @type {string} */ s) => ((out.stderr += s), true) } },
  };
}

test('register, one cycle, exit 0; then a revoked token exits 3 and says so', async () => {
  const sim = await new Simulator({ count: 5, base: '127.45.0.1' }).start();
  const edge = await startFakeEdge({ config: { scan_segments: ['127.45.0.0/29'], poll_interval_s: 30, miners: [] } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-cli-'));
  try {
    const first = await run(['--api', edge.url, '--code', edge.code, '--state', dir, '--once']);
    assert.equal(first.code, EXIT.OK, first.stderr);
    assert.match(first.stderr, /registered as agent agent-1 for site site-1/);
    assert.match(first.stderr, /5 miners polled; delivered 1 batch/);
    assert.equal(fs.statSync(path.join(dir, 'agent.json')).mode & 0o777, 0o600);
    assert.equal(edge.accepted[0]?.miners.length, 5);

    await edge.goDown();
    const down = await run(['--api', edge.url, '--state', dir, '--once', '--retry-attempts', '3', '--retry-base-ms', '10']);
    assert.equal(down.code, EXIT.UNDELIVERED, down.stderr);
    assert.match(down.stderr, /1 batch\(es\) stay in the spool/);

    await edge.comeUp();
    edge.setMode('revoked');
    const revoked = await run(['--api', edge.url, '--state', dir, '--once']);
    assert.equal(revoked.code, EXIT.REVOKED);
    assert.match(revoked.stderr, /STOPPED — Hashyard rejected this agent's token \(HTTP 401\): it was revoked/);
    assert.match(revoked.stderr, /--code NEWCODE/);
    assert.equal(fs.readdirSync(path.join(dir, 'spool')).length, 1, 'the undelivered batch is kept');
  } finally {
    await sim.stop();
    await edge.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--config file, with flags taking precedence', async () => {
  const sim = await new Simulator({ count: 3, base: '127.45.1.1' }).start();
  const edge = await startFakeEdge({ config: { scan_segments: ['127.45.99.0/30'], poll_interval_s: 30, miners: [] } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-cli-'));
  try {
    const cfg = path.join(dir, 'agent.config.json');
    fs.writeFileSync(cfg, JSON.stringify({ api: edge.url, code: edge.code, state: path.join(dir, 'state'), once: true, segments: ['127.45.1.0/30'] }));
    const { out, io: stdio } = io();
    const code = await main(['--config', cfg, '--segments', '127.45.1.0/29'], stdio);
    assert.equal(code, EXIT.OK, out.stderr);
    assert.equal(edge.accepted[0]?.miners.length, 3, 'the --segments flag (a /29) beat the file (a /30) and the edge (nothing there)');
  } finally {
    await sim.stop();
    await edge.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2 before touching anything', async () => {
  for (const [args, msg] of /** @type {[string[], RegExp][]} */ ([
    [[], /--api is required/],
    [['--api', 'http://hashyard.example', '--code', 'X'], /refusing to send the agent token over plain http/],
    [['--api', 'https://h.example', '--segments', '10.0.0.0/33'], /bad prefix length/],
    [['--api', 'https://h.example', '--interval', 'soon'], /--interval/],
    [['--api', 'https://h.example', '--retry-attempts', '0'], /--retry-attempts must be an integer ≥ 1/],
    [['--api', 'https://h.example', '--whatsminer-v3-port', '70000'], /--whatsminer-v3-port must be a TCP port/],
    [['--bogus'], /Unknown option/],
    [['--config', '/nonexistent/agent.json'], /cannot read --config/],
  ])) {
    const { out, io: stdio } = io();
    assert.equal(await main(args, stdio), EXIT.USAGE, args.join(' '));
    assert.match(out.stderr, msg);
  }
  const { out, io: stdio } = io();
  assert.equal(await main(['--help'], stdio), EXIT.OK);
  assert.match(out.stdout, /usage: npm run agent/);
});

test('scan and --dry-run list what answers without registering or sending anything', async () => {
  // one miner per simulated dialect and one that hangs
  const sim = await new Simulator({ count: 4, base: '127.45.2.1', scenarios: { '127.45.2.4': 'hang' } }).start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-cli-scan-'));
  const arp = path.join(dir, 'arp');
  await sim.writeArpFile(arp);
  try {
    const a = io();
    const code = await main(['scan', '--segments', '127.45.2.0/29', '--arp-file', arp, '--read-timeout-ms', '300', '--json', '--state', dir], a.io);
    assert.equal(code, EXIT.OK, a.out.stderr);
    const rows = JSON.parse(a.out.stdout);
    assert.deepEqual(rows.map((/** @type {any} */ r) => [r.ip, r.make, r.recognised, r.dialect]), [
      ['127.45.2.1', 'Bitmain', 'yes', 'bmminer'],
      ['127.45.2.2', 'MicroBT', 'yes', 'btminer'],
      ['127.45.2.3', 'Canaan', 'yes', 'cgminer'],
      ['127.45.2.4', '', 'unreadable', ''], // hung: accepts the connection, never replies
    ]);
    assert.equal(rows[0].mac, sim.miners[0]?.mac, 'MAC from the ARP table');
    assert.equal(rows[0].model, 'Antminer S19 Pro');
    assert.match(rows[3].note, /no complete reply within 300 ms/);
    assert.match(a.out.stderr, /health: 4\/4 miners answered .*dry run: nothing sent/);
    // nothing was written to the state directory: no registration, no spool
    assert.deepEqual(fs.readdirSync(dir), ['arp']);

    const b = io();
    assert.equal(await main(['--dry-run', '--segments', '127.45.2.0/30', '--state', dir], b.io), EXIT.OK, b.out.stderr);
    const batch = JSON.parse(b.out.stdout);
    assert.equal(batch.dry_run, true);
    assert.deepEqual(batch.miners.map((/** @type {any} */ m) => m.state), ['mining', 'mining']);

    const c = io();
    assert.equal(await main(['scan', '--state', dir], c.io), EXIT.USAGE);
    assert.match(c.out.stderr, /scan needs --segments/);
  } finally {
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped example config is accepted as it is', async () => {
  const example = path.resolve(path.dirname(CLI), 'packaging', 'agent.example.json');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-cli-example-'));
  try {
    const a = io();
    // a dry run over an empty range: the file parses and validates (not a usage error); no miner answers → 1
    const code = await main(['--config', example, '--dry-run', '--segments', '127.45.3.0/30', '--state', dir], a.io);
    assert.equal(code, EXIT.ERROR, a.out.stderr);
    assert.match(a.out.stderr, /health: 0\/0 miners answered/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
