// PDU metering over real UDP: the agent's SNMP reader against the simulated PDU of every family,
// 32-bit energy counters that wrap, a PDU that stops answering, phase-only metering, SNMP v3
// (authPriv, SHA/AES; net-snmp's agent does the PDU's side of the security), and the PDU readings
// riding on the units' samples through a full agent cycle.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Simulator } from '../lib/simulator/server.mjs';
import { readPdu } from '../lib/pdu/snmp.mjs';
import { EnergyCounters, COUNTER32 } from '../lib/pdu/counters.mjs';
import { FAMILIES, PDU_FAMILIES } from '../lib/pdu/families.mjs';
import { checkPdu, normaliseConfig } from '../lib/config.mjs';
import { startFakeEdge } from '../testkit/fake-edge.mjs';
import { makeAgent } from '../testkit/agent.mjs';

const HOUR = 3_600_000;
const v2c = { version: /** @type {'2c'} */ ('2c'), community: 'public' };

describe('energy counters', () => {
  test('a counter that passes 2^32 keeps counting; a counter that goes back is a reset', () => {
    const c = new EnergyCounters();
    assert.deepEqual(c.update('p:1', COUNTER32 - 10), { total: COUNTER32 - 10, event: 'first' });
    assert.deepEqual(c.update('p:1', COUNTER32 - 2), { total: COUNTER32 - 2, event: 'same' });
    assert.deepEqual(c.update('p:1', 25), { total: COUNTER32 + 25, event: 'wrap' });
    assert.deepEqual(c.update('p:1', 40), { total: COUNTER32 + 40, event: 'same' });
    // staff reset the meter: the total goes down, which the Worker ignores for that interval
    assert.deepEqual(c.update('p:1', 3), { total: 3, event: 'reset' });
    assert.deepEqual(c.update('p:2', 7), { total: 7, event: 'first' });
  });
});

describe('reading the simulated PDU of each family over UDP', () => {
  let t = Date.parse('2026-11-20T10:00:00Z');
  /** @type {Simulator} */
  let sim;
  before(async () => {
    sim = new Simulator({ count: 8, base: '127.44.0.1', jitter: 0, now: () => t });
  });
  after(() => sim.stop());

  for (const [i, family] of PDU_FAMILIES.entries()) {
    test(`${family}: outlet power follows the miners, energy counts up in the MIB's units`, async () => {
      const pdu = await sim.addPdu({ family, address: `127.44.1.${i + 1}`, port: 0, first: 0, outlets: 4 });
      const target = { address: pdu.address, port: pdu.port, family, snmp: v2c };
      const first = await readPdu(target, ['1', '2', '3'], { timeoutMs: 1000 });
      assert.ok(first.ok);
      assert.equal(first.metering, 'outlet');
      // miners 0..2: S19 Pro 3,250 W, M30S 3,230 W, Avalon 1246 3,420 W (jitter 0)
      assert.deepEqual(first.outlets.map((o) => o.power_w), [3250, 3230, 3420]);
      const before = first.outlets.map((o) => /** @type {number} */ (o.energy_raw));
      t += HOUR;
      const second = await readPdu(target, ['1', '2', '3'], { timeoutMs: 1000 });
      assert.ok(second.ok);
      const unit = FAMILIES[family].whPerUnit;
      const gained = second.outlets.map((o, k) => (/** @type {number} */ (o.energy_raw) - /** @type {number} */ (before[k])) * unit);
      // one hour at 3,250 W is 3,250 Wh, give or take one counter step
      for (const [k, watts] of [3250, 3230, 3420].entries()) assert.ok(Math.abs(/** @type {number} */ (gained[k]) - watts) <= unit, `${family} outlet ${k + 1}: ${gained[k]} Wh`);
    });
  }

  test('an outlet the PDU does not have reads as unknown, not 0', async () => {
    const pdu = await sim.addPdu({ family: 'raritan', address: '127.44.2.1', port: 0, outlets: 2 });
    const r = await readPdu({ address: pdu.address, port: pdu.port, family: 'raritan', snmp: v2c }, ['2', '9'], { timeoutMs: 1000 });
    assert.ok(r.ok);
    assert.deepEqual(r.outlets[1], { outlet: '9', power_w: null, energy_raw: null });
  });

  test('a PDU without outlet metering is read by phase', async () => {
    const pdu = await sim.addPdu({ family: 'apc', address: '127.44.2.2', port: 0, outlets: 6, metering: 'phase' });
    const r = await readPdu({ address: pdu.address, port: pdu.port, family: 'apc', snmp: v2c }, ['1', '2'], { timeoutMs: 1000 });
    assert.ok(r.ok);
    assert.equal(r.metering, 'phase');
    // outlets 1 and 4 on L1 (3,250 + 3,250 W in APC's 10 W steps)
    assert.deepEqual(r.phases.map((p) => p.phase), [1, 2, 3]);
    assert.equal(r.phases[0]?.power_w, 6500);
  });

  test('a PDU that does not answer times out within its budget, with a clear error', async () => {
    const pdu = await sim.addPdu({ family: 'eaton', address: '127.44.2.3', port: 0, outlets: 2 });
    pdu.silent = true;
    const started = Date.now();
    const r = await readPdu({ address: pdu.address, port: pdu.port, family: 'eaton', snmp: v2c }, ['1'], { timeoutMs: 300, retries: 1 });
    assert.equal(r.ok, false);
    assert.match(/** @type {{ error: string }} */ (r).error, /timed out/);
    assert.ok(Date.now() - started < 2000);
    assert.ok(pdu.requests >= 2, 'asked again once before giving up');
  });

  test('a wrong community gets no answer (the PDU drops it), reported as a timeout', async () => {
    const pdu = await sim.addPdu({ family: 'servertech', address: '127.44.2.4', port: 0, outlets: 1 });
    const r = await readPdu({ address: pdu.address, port: pdu.port, family: 'servertech', snmp: { version: '2c', community: 'wrong' } }, ['1'], { timeoutMs: 200, retries: 0 });
    assert.equal(r.ok, false);
  });
});

describe('SNMP v3 (authPriv, SHA/AES) against the simulated PDU over UDP', () => {
  let t = Date.parse('2026-11-21T10:00:00Z');
  /** @type {Simulator} */
  let sim;
  const user = { user: 'hashyard-ro', level: /** @type {'authPriv'} */ ('authPriv'), auth_protocol: /** @type {'sha'} */ ('sha'), auth_key: 'auth-pass-2026', priv_protocol: /** @type {'aes'} */ ('aes'), priv_key: 'priv-pass-2026' };
  const v3 = { version: /** @type {'3'} */ ('3'), ...user };
  before(async () => {
    sim = new Simulator({ count: 4, base: '127.47.0.1', jitter: 0, now: () => t });
  });
  after(() => sim.stop());

  test('outlet power and energy are read over v3 with the right user and passphrases', async () => {
    const pdu = await sim.addPdu({ family: 'raritan', address: '127.47.1.1', port: 0, first: 0, outlets: 3, v3: user });
    const target = { address: pdu.address, port: pdu.port, family: /** @type {'raritan'} */ ('raritan'), snmp: v3 };
    const first = await readPdu(target, ['1', '2', '3'], { timeoutMs: 1000 });
    assert.ok(first.ok, JSON.stringify(first));
    assert.equal(first.metering, 'outlet');
    assert.deepEqual(first.outlets.map((o) => o.power_w), [3250, 3230, 3420]);
    const before = first.outlets.map((o) => /** @type {number} */ (o.energy_raw));
    t += HOUR;
    const second = await readPdu(target, ['1', '2', '3'], { timeoutMs: 1000 });
    assert.ok(second.ok);
    const gained = second.outlets.map((o, k) => /** @type {number} */ (o.energy_raw) - /** @type {number} */ (before[k]));
    for (const [k, watts] of [3250, 3230, 3420].entries()) assert.ok(Math.abs(/** @type {number} */ (gained[k]) - watts) <= 1, `outlet ${k + 1}: ${gained[k]} Wh`);
  });

  test('a wrong auth or priv passphrase is a clear error for that PDU, with no readings', async () => {
    const pdu = await sim.addPdu({ family: 'apc', address: '127.47.1.2', port: 0, first: 0, outlets: 2, v3: user });
    for (const wrong of [{ auth_key: 'not-the-auth-pass' }, { priv_key: 'not-the-priv-pass' }]) {
      const r = await readPdu({ address: pdu.address, port: pdu.port, family: 'apc', snmp: { ...v3, ...wrong } }, ['1', '2'], { timeoutMs: 300, retries: 0 });
      assert.equal(r.ok, false, JSON.stringify(wrong));
      assert.deepEqual(Object.keys(r).sort(), ['error', 'ok'], 'no readings at all');
      assert.match(/** @type {{ error: string }} */ (r).error, /SNMP v3 authentication failed: .*passphrases/);
    }
    // the right credentials still work on the same PDU afterwards
    const ok = await readPdu({ address: pdu.address, port: pdu.port, family: 'apc', snmp: v3 }, ['1'], { timeoutMs: 1000 });
    assert.ok(ok.ok);
  });

  test('an unknown v3 user is refused by the PDU with a report, named as such', async () => {
    const pdu = await sim.addPdu({ family: 'eaton', address: '127.47.1.3', port: 0, outlets: 1, v3: user });
    const r = await readPdu({ address: pdu.address, port: pdu.port, family: 'eaton', snmp: { ...v3, user: 'someone-else' } }, ['1'], { timeoutMs: 300, retries: 0 });
    assert.equal(r.ok, false);
    assert.match(/** @type {{ error: string }} */ (r).error, /does not know this v3 user/);
  });

  test('a v3 PDU that does not answer at all is a timeout, not an authentication failure', async () => {
    const pdu = await sim.addPdu({ family: 'servertech', address: '127.47.1.4', port: 0, outlets: 1, v3: user });
    pdu.silent = true;
    const r = await readPdu({ address: pdu.address, port: pdu.port, family: 'servertech', snmp: v3 }, ['1'], { timeoutMs: 200, retries: 0 });
    assert.equal(r.ok, false);
    assert.match(/** @type {{ error: string }} */ (r).error, /timed out/);
  });

  test('in an agent cycle, a v3 PDU with a wrong passphrase is logged per PDU and its units keep their own power', async () => {
    const good = await sim.addPdu({ family: 'raritan', address: '127.47.2.1', port: 0, first: 0, outlets: 1, v3: user });
    const bad = await sim.addPdu({ family: 'raritan', address: '127.47.2.2', port: 0, first: 1, outlets: 1, v3: user });
    await sim.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-pdu3-'));
    const edge = await startFakeEdge({
      config: {
        scan_segments: ['127.47.0.0/30'],
        poll_interval_s: 30,
        miners: [],
        pdus: [
          { id: 'pdu-good', address: good.address, port: good.port, family: 'raritan', snmp: v3, outlets: [{ outlet: '1', ip: '127.47.0.1' }] },
          { id: 'pdu-bad', address: bad.address, port: bad.port, family: 'raritan', snmp: { ...v3, priv_key: 'stale-priv-pass' }, outlets: [{ outlet: '1', ip: '127.47.0.2' }] },
        ],
      },
    });
    /** @type {string[]} */
    const logged = [];
    const agent = makeAgent(edge, dir, { now: () => new Date(t), log: (/** @type {string} */ line) => logged.push(line), pduTimeoutMs: 300, pduRetries: 0, connectTimeoutMs: 3000, readTimeoutMs: 3000, scanTimeoutMs: 3000 });
    try {
      await agent.start();
      const cycle = await agent.cycle();
      const byIp = (/** @type {string} */ ip) => /** @type {any} */ (cycle.miners.find((m) => m.ip === ip));
      assert.equal(byIp('127.47.0.1').power_source, 'pdu');
      assert.equal(byIp('127.47.0.1').pdu.pdu_id, 'pdu-good');
      assert.equal(byIp('127.47.0.2').pdu, undefined, 'no reading from the PDU that refused us');
      assert.equal(byIp('127.47.0.2').power_source, 'miner');
      const lines = logged.filter((l) => l.startsWith(`pdu ${bad.address} `));
      assert.equal(lines.length, 1, logged.join('\n'));
      assert.match(/** @type {string} */ (lines[0]), /SNMP v3 authentication failed/);
      assert.ok(!logged.some((l) => l.startsWith(`pdu ${good.address} `)), 'the good PDU logs nothing');
      assert.deepEqual(edge.invalid, []);
    } finally {
      agent.stop();
      await edge.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the agent puts PDU readings on the units it polls', () => {
  let t = Date.now();
  /** @type {Simulator} */
  let sim;
  /** @type {import('../testkit/fake-edge.mjs').FakeEdge} */
  let edge;
  /** @type {string} */
  let dir;
  /** @type {import('../lib/agent.mjs').Agent} */
  let agent;
  /** @type {import('../lib/simulator/pdu.mjs').SimPdu} */
  let pdu;
  /** @type {import('../lib/simulator/pdu.mjs').SimPdu} */
  let dead;

  before(async () => {
    sim = await new Simulator({ count: 4, base: '127.45.0.1', jitter: 0, now: () => t }).start();
    pdu = await sim.addPdu({ family: 'raritan', address: '127.45.1.1', port: 0, first: 0, outlets: 2 });
    dead = await sim.addPdu({ family: 'apc', address: '127.45.1.2', port: 0, first: 2, outlets: 2 });
    dead.silent = true;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-pdu-'));
    edge = await startFakeEdge({
      config: {
        scan_segments: ['127.45.0.0/29'],
        poll_interval_s: 30,
        miners: [],
        pdus: [
          { id: 'pdu-a', address: pdu.address, port: pdu.port, family: 'raritan', snmp: v2c, outlets: [{ outlet: '1', ip: '127.45.0.1' }, { outlet: '2', ip: '127.45.0.2' }] },
          { id: 'pdu-b', address: dead.address, port: dead.port, family: 'apc', snmp: v2c, outlets: [{ outlet: '1', ip: '127.45.0.3' }] },
        ],
      },
    });
    agent = makeAgent(edge, dir, { now: () => new Date(t), pduTimeoutMs: 300, pduRetries: 0, connectTimeoutMs: 3000, readTimeoutMs: 3000, scanTimeoutMs: 3000 });
    await agent.start();
  });
  after(async () => {
    agent.stop();
    await edge.close();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('mapped outlets: power_source pdu and an energy total that survives a counter wrap; a silent PDU leaves its units as they were', async () => {
    pdu.setCounter(1, COUNTER32 - 1000);
    const first = await agent.cycle();
    const byIp = (/** @type {any[]} */ miners, /** @type {string} */ ip) => miners.find((m) => m.ip === ip);
    const a1 = byIp(first.miners, '127.45.0.1');
    assert.equal(a1.power_source, 'pdu');
    assert.equal(a1.power_w, 3250);
    assert.deepEqual(Object.keys(a1.pdu).sort(), ['energy_wh', 'outlet', 'pdu_id', 'power_w', 'sampled_at']);
    assert.equal(a1.pdu.pdu_id, 'pdu-a');
    assert.equal(a1.pdu.energy_wh, COUNTER32 - 1000);
    const a3 = byIp(first.miners, '127.45.0.3');
    assert.equal(a3.pdu, undefined, 'the PDU that timed out adds nothing');
    assert.equal(a3.power_source, 'miner');
    assert.equal(byIp(first.miners, '127.45.0.4').pdu, undefined, 'an unmapped unit gets no PDU reading');

    t += HOUR; // 3,250 Wh more: the raw counter passes 2^32 and starts again near 0
    const second = await agent.cycle();
    const b1 = byIp(second.miners, '127.45.0.1');
    assert.ok(pdu.counter(1) < 5000, 'the simulated counter wrapped');
    assert.ok(Math.abs(b1.pdu.energy_wh - a1.pdu.energy_wh - 3250) <= 1, `gained ${b1.pdu.energy_wh - a1.pdu.energy_wh} Wh`);
    assert.deepEqual(edge.invalid, [], 'every batch passed the strict v1 check');
    assert.equal(edge.accepted.length, 2);
  });
});

describe('PDU config entries', () => {
  test('valid v2c and v3 entries are kept; bad ones are dropped with a reason', () => {
    const c = normaliseConfig({
      pdus: [
        { id: 'a', address: '10.0.0.5', family: 'apc', snmp: { version: '2c', community: 'pub' }, outlets: [{ outlet: '3', mac: 'A0:B1:C2:D3:E4:F5' }, { outlet: 'x', ip: '10.0.0.9' }] },
        { id: 'b', address: '10.0.0.6', port: 1161, family: 'eaton', snmp: { version: '3', user: 'u', level: 'authPriv', auth_key: 'authkey12', priv_key: 'privkey12' }, outlets: [] },
        { id: 'c', address: 'pdu.local', family: 'apc', snmp: { version: '2c', community: 'p' } },
        { id: 'd', address: '10.0.0.7', family: 'cyberpower', snmp: { version: '2c', community: 'p' } },
        { id: 'e', address: '10.0.0.8', family: 'raritan', snmp: { version: '3', user: 'u', level: 'authPriv', auth_key: 'k' } },
      ],
    });
    assert.deepEqual(c.pdus.map((p) => p.id), ['a', 'b']);
    assert.deepEqual(c.pdus[0]?.outlets, [{ outlet: '3', mac: 'a0:b1:c2:d3:e4:f5' }]);
    assert.equal(c.pdus[1]?.port, 1161);
    assert.equal(c.problems.length, 3);
    assert.match(String(checkPdu({ id: 'x', address: '1.2.3.4', family: 'apc', snmp: { version: '1', community: 'p' } })), /version/);
  });
});
