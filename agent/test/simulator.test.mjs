// The simulator: shape parity with the real replies, the cgminer protocol,
// pool write commands, runtime scenarios, the control API and the CLI.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulator, loopbackAddresses, parseScenarioSpec, splitParam } from '../lib/simulator/server.mjs';
import { query } from '../lib/cgminer-client.mjs';
import { decodeReply } from '../lib/parse/reply.mjs';
import { tokenizeAvalon } from '../lib/parse/avalon-tokens.mjs';
import { detectDialect } from '../lib/parse/index.mjs';
import { fixture } from '../testkit/fixtures.mjs';

const AGENT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {Record<string, any>} o */
const keys = (o) => Object.keys(o).sort();

describe('replies have the shape of the real firmware', () => {
  /** @type {Simulator} */
  let sim;
  before(async () => {
    sim = await new Simulator({ count: 3, base: '127.43.0.1' }).start();
  });
  after(() => sim.stop());

  /** @param {string} ip @param {string} cmd */
  const ask = async (ip, cmd) => decodeReply(await query(ip, cmd));

  test('bmminer (Antminer S19 Pro, stock 49.0.1.3)', async () => {
    const ip = '127.43.0.1';
    const summary = await ask(ip, 'summary');
    assert.deepEqual(keys(summary.SUMMARY[0]), keys(decodeReply(fixture('antminer-s19pro-bmminer-49.0.1.3-summary.json')).SUMMARY[0]));
    const stats = await ask(ip, 'stats');
    const fx = decodeReply(fixture('antminer-s19pro-bmminer-49.0.1.3-stats.json'));
    assert.deepEqual(keys(stats.STATS[0]), keys(fx.STATS[0]));
    assert.deepEqual(keys(stats.STATS[1]), keys(fx.STATS[1]));
    assert.equal(stats.STATS[1].chain_rate4, '');
    assert.equal(stats.STATS[1].temp_pcb4, '0-0-0-0');
    const pools = await ask(ip, 'pools');
    assert.deepEqual(keys(pools.POOLS[0]), keys(decodeReply(fixture('antminer-s19pro-bmminer-49.0.1.3-pools.json')).POOLS[0]));
    const devs = await ask(ip, 'devs');
    assert.deepEqual(keys(devs.DEVS[0]), keys(decodeReply(fixture('antminer-s19pro-bmminer-49.0.1.3-devs.json')).DEVS[0]));
    const version = await ask(ip, 'version');
    assert.deepEqual(keys(version.VERSION[0]), keys(decodeReply(fixture('antminer-s19pro-bmminer-49.0.1.3-version.json')).VERSION[0]));
    assert.equal(version.STATUS[0].Description, 'cgminer 1.0.0');
    assert.equal(detectDialect({ version, summary }), 'bmminer');
  });

  test('btminer (Whatsminer M30S 20200512)', async () => {
    const ip = '127.43.0.2';
    const summary = await ask(ip, 'summary');
    const fxs = decodeReply(fixture('whatsminer-m30s-btminer-20200512.13.REL-summary.json')).SUMMARY[0];
    // the fixture's error-code keys are per-fault; a healthy simulated miner has none
    const withoutFaults = (/** @type {string[]} */ ks) => ks.filter((k) => !/Error Code \d/.test(k));
    assert.deepEqual(withoutFaults(keys(summary.SUMMARY[0])), withoutFaults(keys(fxs)));
    const edevs = await ask(ip, 'edevs');
    assert.deepEqual(keys(edevs.DEVS[0]), keys(decodeReply(fixture('whatsminer-m30s-btminer-20200512.13.REL-edevs.json')).DEVS[0]));
    const pools = await ask(ip, 'pools');
    assert.deepEqual(keys(pools.POOLS[0]), keys(decodeReply(fixture('whatsminer-m30s-btminer-20200512.13.REL-pools.json')).POOLS[0]));
    const gv = await ask(ip, 'get_version');
    assert.deepEqual(keys(gv), keys(decodeReply(fixture('whatsminer-m20sv10-btminer-20210322.22.REL-get_version.json'))));
    assert.equal(gv.STATUS, 'S');
    const multi = await ask(ip, 'summary+pools');
    assert.equal(multi.STATUS[0].STATUS, 'E', "older btminer refuses multi-command: Missing JSON 'command'");
  });

  test('cgminer (AvalonMiner 1246)', async () => {
    const ip = '127.43.0.3';
    const stats = await ask(ip, 'stats');
    const fx = decodeReply(fixture('avalon-1246-cgminer4.11.1-21072802-stats.json'));
    assert.deepEqual(keys(stats.STATS[0]), keys(fx.STATS[0]));
    const simTokens = Object.keys(tokenizeAvalon(stats.STATS[0]['MM ID0']));
    const fxTokens = new Set(Object.keys(tokenizeAvalon(fx.STATS[0]['MM ID0'])));
    assert.deepEqual(simTokens.filter((k) => !fxTokens.has(k)), [], 'every simulated token exists in the real blob');
    const devs = await ask(ip, 'devs');
    assert.equal(devs.DEVS[0].Temperature, -273);
    assert.deepEqual(keys(devs.DEVS[0]), keys(decodeReply(fixture('avalon-1566-cgminer4.11.1-24102401-devs.json')).DEVS[0]));
    const version = await ask(ip, 'version');
    assert.deepEqual(keys(version.VERSION[0]), keys(decodeReply(fixture('avalon-1566-cgminer4.11.1-24102401-version.json')).VERSION[0]));
    assert.ok(version.STATUS[0].When < 100000, 'When is uptime on Avalon');
    // multi-command, in the shape of the Avalon 1047 fixture
    const multi = await ask(ip, 'pools+summary+stats');
    assert.deepEqual(keys(multi), keys(decodeReply(fixture('avalon-1047-cgminer4.11.1-20051101-pools+summary+stats.json'))));
    assert.equal(detectDialect({ 'pools+summary+stats': multi }), 'cgminer');
  });

  test('replies end with a NUL; unknown commands get STATUS E', async () => {
    const raw = await new Promise((resolve) => {
      import('node:net').then(({ default: net }) => {
        const s = net.connect(4028, '127.43.0.1', () => s.write('{"command":"summary"}'));
        /** @type {Buffer[]} */
        const chunks = [];
        s.on('data', (c) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks)));
      });
    });
    assert.equal(/** @type {Buffer} */ (raw).at(-1), 0);
    const bad = await ask('127.43.0.1', 'frobnicate');
    assert.equal(bad.STATUS[0].STATUS, 'E');
    assert.equal(bad.STATUS[0].Msg, 'Invalid command');
  });
});

describe('pool commands change what `pools` reports', () => {
  test('addpool, switchpool, removepool (active pool protected), renumbering', async () => {
    const sim = await new Simulator({ count: 1, base: '127.43.1.1' }).start();
    try {
      const ip = '127.43.1.1';
      const pools = async () => decodeReply(await query(ip, 'pools')).POOLS.map((/** @type {any} */ p) => [p.POOL, p.URL, p.User, p.Priority, p['Stratum Active']]);
      const cmd = async (/** @type {string} */ c, /** @type {string} */ p) => decodeReply(await query(ip, c, { parameter: p })).STATUS[0];
      assert.equal((await cmd('addpool', 'stratum+tcp://new.example:3333,acct\\,x.w1,x')).Msg, "Added pool 2: 'stratum+tcp://new.example:3333'");
      assert.deepEqual((await pools())[2], [2, 'stratum+tcp://new.example:3333', 'acct,x.w1', 2, false]);
      assert.equal((await cmd('switchpool', '2')).STATUS, 'S');
      assert.deepEqual(await pools(), [
        [0, 'stratum+tcp://btc.pool.example:3333', 'hosted.m0001', 1, false],
        [1, 'stratum+tcp://btc-backup.pool.example:3333', 'hosted.m0001', 2, false],
        [2, 'stratum+tcp://new.example:3333', 'acct,x.w1', 0, true],
      ]);
      assert.equal((await cmd('removepool', '2')).Code, 67, 'the active pool cannot be removed');
      assert.equal((await cmd('removepool', '0')).STATUS, 'S');
      assert.deepEqual(await pools(), [
        [0, 'stratum+tcp://btc-backup.pool.example:3333', 'hosted.m0001', 1, false],
        [1, 'stratum+tcp://new.example:3333', 'acct,x.w1', 0, true],
      ]);
      assert.equal((await cmd('switchpool', '9')).Code, 26);
    } finally {
      await sim.stop();
    }
  });
});

describe('runtime control', () => {
  test('programmatic: offline refuses connections, back online answers again', async () => {
    const sim = await new Simulator({ count: 2, base: '127.43.2.1' }).start();
    try {
      await sim.setScenario('127.43.2.2', 'offline');
      await assert.rejects(query('127.43.2.2', 'summary'), /ECONNREFUSED/);
      await sim.setScenario('127.43.2.2', 'lowhash');
      const s = decodeReply(await query('127.43.2.2', 'summary')).SUMMARY[0];
      assert.equal(s['MHS 5s'], Math.round(86 * 0.45 * 1e6 * 100) / 100);
      assert.throws(() => sim.get('127.43.2.9'), /no simulated miner/);
      await assert.rejects(sim.setScenario('127.43.2.1', /** @type {any} */ ('explode')), /unknown scenario/);
    } finally {
      await sim.stop();
    }
  });

  test('HTTP control API on loopback', async () => {
    const sim = await new Simulator({ count: 2, base: '127.43.3.1' }).start();
    try {
      const port = await sim.startControl(0);
      const base = `http://127.0.0.1:${port}`;
      const list = /** @type {any[]} */ (await (await fetch(`${base}/miners`)).json());
      assert.equal(list.length, 2);
      const r = await fetch(`${base}/miners/127.43.3.1/scenario`, { method: 'POST', body: JSON.stringify({ scenario: 'overheat' }) });
      assert.equal(/** @type {any} */ (await r.json()).scenario, 'overheat');
      const stats = decodeReply(await query('127.43.3.1', 'stats'));
      assert.equal(stats.STATS[1].temp1, 94);
      const p = await fetch(`${base}/miners/127.43.3.2/pools`, { method: 'POST', body: JSON.stringify({ pools: [{ url: 'stratum+tcp://x.example:1', user: 'u' }] }) });
      assert.deepEqual(/** @type {any} */ (await p.json()).pools.map((/** @type {any} */ x) => x.url), ['stratum+tcp://x.example:1']);
      assert.equal((await fetch(`${base}/miners/127.43.3.1/scenario`, { method: 'POST', body: '{"scenario":"nope"}' })).status, 400);
      await assert.rejects(sim.startControl(0, '0.0.0.0'), /only listens on loopback/);
    } finally {
      await sim.stop();
    }
  });
});

describe('helpers', () => {
  test('loopback addresses only, .0 and .255 skipped', () => {
    assert.deepEqual(loopbackAddresses('127.20.0.253', 4), ['127.20.0.253', '127.20.0.254', '127.20.1.1', '127.20.1.2']);
    assert.throws(() => loopbackAddresses('10.0.0.1', 1), /only binds loopback/);
    assert.throws(() => loopbackAddresses('127.255.255.250', 10), /run past/);
  });
  test('scenario specs and cgminer parameter splitting', () => {
    assert.deepEqual(parseScenarioSpec('overheat:5,offline:3,lowhash'), [['overheat', 5], ['offline', 3], ['lowhash', 1]]);
    assert.throws(() => parseScenarioSpec('melt:1'), /unknown scenario/);
    assert.deepEqual(splitParam('a\\,b,c\\\\,d'), ['a,b', 'c\\', 'd']);
  });
});

test('npm run simulator: 200 miners with scenarios on 127.43.10.x, then a clean stop', async () => {
  const child = spawn(process.execPath, [path.join(AGENT_DIR, 'simulator.mjs'), '--count', '200', '--base', '127.43.10.1', '--scenario', 'overheat:5,offline:3,lowhash:4', '--jitter', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  try {
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`simulator did not start: ${err}`)), 10000);
      child.stderr.on('data', () => {
        if (err.includes('ready (Ctrl-C to stop)')) {
          clearTimeout(t);
          resolve(undefined);
        }
      });
      child.on('exit', (code) => reject(new Error(`simulator exited ${code}: ${err}`)));
    });
    assert.match(err, /on 127\.43\.10\.1 … 127\.43\.10\.200 port 4028/);
    const offline = err.split('\n').filter((l) => / offline$/.test(l)).map((l) => l.trim().split(' ')[0]);
    assert.deepEqual(offline, ['127.43.10.193', '127.43.10.194', '127.43.10.195']);
    const s = decodeReply(await query('127.43.10.1', 'summary'));
    assert.equal(s.SUMMARY[0]['GHS 5s'], 110000);
    await assert.rejects(query('127.43.10.195', 'summary'), /ECONNREFUSED/);
    const hot = decodeReply(await query('127.43.10.200', 'summary')); // btminer, overheating
    assert.equal(hot.SUMMARY[0].Temperature, 96);
  } finally {
    const exited = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});
