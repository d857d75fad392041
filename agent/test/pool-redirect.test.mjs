// A default pool redirect and its restore, done by the real agent against the
// simulator over real TCP (127.46.0.x:4028), with the fake edge serving the
// config: the holding pool replaces each unit's pool, firmware that refuses
// or has no free pool slot answers as real firmware does, the outcome of each
// attempt reaches the edge as `pool_apply`, and ending the redirect puts back
// exactly the pools each unit had.

import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Simulator } from '../lib/simulator/server.mjs';
import { startFakeEdge } from '../testkit/fake-edge.mjs';
import { makeAgent } from '../testkit/agent.mjs';
import { createClient } from '../lib/cgminer-client.mjs';

const HOLDING = 'stratum+tcp://holding.host.example:3333';
const OWNER = 'stratum+tcp://btc.pool.example:3333';
const OWNER_BACKUP = 'stratum+tcp://btc-backup.pool.example:3333';
const WRITES = new Set(['addpool', 'switchpool', 'enablepool', 'disablepool', 'removepool']);


describe('a pool redirect and its restore, through the agent', () => {
  /** @type {Simulator} */
  let sim;
  /** @type {import('../testkit/fake-edge.mjs').FakeEdge} */
  let edge;
  /** @type {string} */
  let dir;
  // .1 bmminer, .2 btminer, .3 cgminer, .4 bmminer with three full pool slots,
  // .5 btminer and .6 cgminer whose API refuses privileged commands
  const IPS = ['127.46.0.1', '127.46.0.2', '127.46.0.3', '127.46.0.4', '127.46.0.5', '127.46.0.6'];
  /** @type {Map<string, { url: string, user: string }[]>} */
  const recorded = new Map();
  const workerOf = (/** @type {string} */ ip) => `hostacct.unit${ip.split('.')[3]}`;

  const redirectConfig = () => ({
    scan_segments: ['127.46.0.0/29'],
    poll_interval_s: 30,
    miners: IPS.map((ip) => ({ ip, pools: [{ url: HOLDING, user: workerOf(ip), password: 'x' }], remove_other_pools: ip === '127.46.0.2' })),
  });
  const restoreConfig = () => ({
    scan_segments: ['127.46.0.0/29'],
    poll_interval_s: 30,
    miners: IPS.map((ip) => ({ ip, pools: (recorded.get(ip) ?? []).map((p) => ({ ...p, password: 'x' })), remove_other_pools: true })),
  });

  beforeEach(async () => {
    sim = await new Simulator({ count: 6, base: '127.46.0.1', scenarios: { '127.46.0.4': 'poolslots', '127.46.0.5': 'readonly', '127.46.0.6': 'readonly' } }).start();
    recorded.clear();
    for (const m of sim.describe()) recorded.set(m.ip, m.pools.map((p) => ({ url: p.url, user: p.user })));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-redirect-'));
    edge = await startFakeEdge({ config: redirectConfig() });
  });
  afterEach(async () => {
    await sim.stop();
    await edge.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** the last accepted batch's report of a miner */
  const reported = (/** @type {string} */ ip) => /** @type {any} */ (edge.accepted.at(-1)?.miners.find((m) => m.ip === ip));
  const poolsOf = (/** @type {string} */ ip) => sim.get(ip).orderedPools().map((p) => [p.url, p.user]);

  test('redirect: holding pool in use, refusals and a full pool table answered as firmware does; restore: the exact pools back', async () => {
    const agent = makeAgent(edge, dir);
    await agent.start();

    // --- the redirect
    await agent.cycle();
    for (const ip of ['127.46.0.1', '127.46.0.2', '127.46.0.3', '127.46.0.4']) {
      assert.deepEqual(sim.get(ip).activePool() && [sim.get(ip).activePool()?.url, sim.get(ip).activePool()?.user], [HOLDING, workerOf(ip)], ip);
      const r = reported(ip);
      assert.equal(r.pool_apply.status, 'applied', ip);
      assert.equal(r.pool_apply.message, `now on ${HOLDING}`);
      assert.ok(Date.parse(r.pool_apply.at) > 0);
      assert.equal(r.pool_url, OWNER, 'the sample was read before the change: the next one confirms it');
    }
    // btminer with remove_other_pools keeps only the holding pool
    assert.deepEqual(poolsOf('127.46.0.2'), [[HOLDING, workerOf('127.46.0.2')]]);
    // three slots, all used: the least preferred pool was removed to make room, nothing else
    assert.deepEqual(poolsOf('127.46.0.4'), [[HOLDING, workerOf('127.46.0.4')], [OWNER, 'hosted.m0004'], [OWNER_BACKUP, 'hosted.m0004']]);
    const slotWrites = sim.commandLog.filter((c) => c.ip === '127.46.0.4' && WRITES.has(c.command)).map((c) => `${c.command}|${c.command === 'addpool' ? '…' : c.parameter}`);
    assert.deepEqual(slotWrites, ['addpool|…', 'removepool|2', 'addpool|…', 'switchpool|2']);

    // refusals: the miner is left as it was, the firmware's answer goes to the edge
    assert.deepEqual(reported('127.46.0.6').pool_apply.status, 'refused');
    assert.equal(reported('127.46.0.6').pool_apply.message, "addpool: Access denied to 'addpool' command");
    assert.equal(reported('127.46.0.5').pool_apply.status, 'refused');
    assert.equal(reported('127.46.0.5').pool_apply.message, 'addpool: invalid cmd');
    assert.deepEqual(poolsOf('127.46.0.5'), recorded.get('127.46.0.5')?.map((p) => [p.url, p.user]));
    assert.deepEqual(edge.invalid, []);

    // --- the next cycle confirms through the reported pool and writes nothing to the switched units
    sim.commandLog.length = 0;
    await agent.cycle();
    for (const ip of ['127.46.0.1', '127.46.0.2', '127.46.0.3', '127.46.0.4']) {
      assert.equal(reported(ip).pool_url, HOLDING, ip);
      assert.equal(reported(ip).pool_user, workerOf(ip));
      assert.equal(reported(ip).pool_apply, undefined, 'no attempt, no report');
    }
    assert.deepEqual(sim.commandLog.filter((c) => WRITES.has(c.command) && !['127.46.0.5', '127.46.0.6'].includes(c.ip)), []);
    assert.equal(reported('127.46.0.6').pool_apply.status, 'refused', 'a refusal is retried, and reported, every cycle');

    // --- the restore: every unit's recorded pools, in their order
    edge.config = restoreConfig();
    await agent.cycle();
    await agent.cycle();
    for (const ip of IPS) {
      const want = recorded.get(ip)?.map((p) => [p.url, p.user]);
      assert.deepEqual(poolsOf(ip), want, ip);
      assert.equal(reported(ip).pool_url, OWNER, ip);
      assert.equal(reported(ip).pool_user, `hosted.m000${ip.split('.')[3]}`);
    }
    assert.deepEqual(edge.invalid, []);
    agent.stop();
  });

  test('a unit that drops off the network while being switched is reported unreachable, then switched on the next cycle', async () => {
    const real = createClient();
    let dropped = false;
    const client = {
      /** @type {typeof real.query} */
      query: async (host, command, opts) => {
        if (host === '127.46.0.3' && WRITES.has(command) && !dropped) {
          dropped = true;
          await sim.setScenario(host, 'offline'); // the connection is now really refused
        }
        return real.query(host, command, opts);
      },
    };
    const agent = makeAgent(edge, dir, { client });
    await agent.start();
    await agent.cycle();
    const r = reported('127.46.0.3');
    assert.equal(r.pool_apply.status, 'unreachable');
    assert.match(r.pool_apply.message, /^addpool: .*(refused|ECONNREFUSED)/i);
    assert.ok(r.errors.some((/** @type {string} */ e) => e.startsWith('pool change failed: addpool')));

    await sim.setScenario('127.46.0.3', 'normal');
    await agent.cycle();
    assert.equal(reported('127.46.0.3').pool_apply.status, 'applied');
    assert.equal(sim.get('127.46.0.3').activePool()?.url, HOLDING);
    agent.stop();
  });
});

describe('the simulator answers pool writes with cgminer API codes', () => {
  test('success, information and error replies, over TCP', async () => {
    const sim = await new Simulator({ count: 3, base: '127.46.1.1', scenarios: { '127.46.1.3': 'poolslots' } }).start();
    const { query } = createClient();
    const ask = async (/** @type {string} */ ip, /** @type {string} */ command, /** @type {string} */ parameter) => {
      const r = JSON.parse((await query(ip, command, { parameter })).replace(/\0+$/, ''));
      const st = Array.isArray(r.STATUS) ? r.STATUS[0] : r;
      return [st.STATUS, st.Code, st.Msg];
    };
    try {
      const ip = '127.46.1.1';
      assert.deepEqual(await ask(ip, 'addpool', ''), ['E', 52, 'Missing addpool details']);
      assert.deepEqual(await ask(ip, 'addpool', 'stratum+tcp://x.example:3333'), ['E', 53, "Invalid addpool details 'stratum+tcp://x.example:3333'"]);
      assert.deepEqual(await ask(ip, 'enablepool', '1'), ['I', 49, `Pool 1:'${OWNER_BACKUP}' already enabled`]);
      assert.deepEqual(await ask(ip, 'switchpool', '7'), ['E', 26, 'Invalid pool id 7 - range is 0 - 1']);
      assert.deepEqual(await ask(ip, 'removepool', '0'), ['E', 67, `Cannot remove active pool 0:'${OWNER}'`]);
      assert.deepEqual(await ask(ip, 'disablepool', '1'), ['S', 48, `Disabling pool 1:'${OWNER_BACKUP}'`]);
      assert.deepEqual(await ask(ip, 'disablepool', '1'), ['I', 50, `Pool 1:'${OWNER_BACKUP}' already disabled`]);
      assert.deepEqual(await ask(ip, 'disablepool', '0'), ['E', 51, `Cannot disable last active pool 0:'${OWNER}'`]);
      assert.deepEqual(await ask(ip, 'removepool', '1'), ['S', 68, `Removed pool 1:'${OWNER_BACKUP}'`]);
      assert.deepEqual(await ask(ip, 'removepool', '0'), ['E', 66, `Cannot remove last pool 0:'${OWNER}'`]);
      assert.deepEqual(await ask(ip, 'addpool', `${HOLDING},w\\,1,x`), ['S', 55, `Added pool 1: '${HOLDING}'`]);
      assert.equal(sim.get(ip).pool(1)?.user, 'w,1', 'escaped commas are part of the value');
      assert.deepEqual(await ask(ip, 'switchpool', '1'), ['S', 27, `Switching to pool 1:'${HOLDING}'`]);
      assert.equal(sim.get(ip).activePool()?.url, HOLDING);

      const full = '127.46.1.3';
      assert.equal(sim.get(full).pools.length, 3);
      assert.deepEqual(await ask(full, 'addpool', `${HOLDING},w,x`), ['E', 54, 'Reached maximum number of pools (3)']);
      assert.deepEqual(await ask(full, 'removepool', '2'), ['S', 68, "Removed pool 2:'stratum+tcp://btc-spare2.pool.example:3333'"]);
      assert.deepEqual(await ask(full, 'addpool', `${HOLDING},w,x`), ['S', 55, `Added pool 2: '${HOLDING}'`]);

      await sim.setScenario('127.46.1.2', 'readonly');
      assert.deepEqual(await ask('127.46.1.2', 'switchpool', '1'), ['E', 14, 'invalid cmd'], 'Whatsminer');
      await sim.setScenario(ip, 'readonly');
      assert.deepEqual(await ask(ip, 'switchpool', '0'), ['E', 45, "Access denied to 'switchpool' command"], 'cgminer family');
    } finally {
      await sim.stop();
    }
  });
});
