// Three holding pools in priority order (issue 10, "Holding pool(s)"), applied by the real agent
// to the simulator over real TCP (127.46.3.x:4028): the first is mined on, the two backups come
// right after it — ahead of the customer's own pools, which stay on the miner for the restore —
// so a miner whose first holding pool is down fails over to the next holding pool. Firmware
// with three pool slots ends up with exactly the three holding pools; firmware without
// `poolpriority` gets the same order through `switchpool`; the restore puts the recorded pool
// back on top.

import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Simulator } from '../lib/simulator/server.mjs';
import { startFakeEdge } from '../testkit/fake-edge.mjs';
import { makeAgent } from '../testkit/agent.mjs';
import { createClient } from '../lib/cgminer-client.mjs';

const HOLDING = ['stratum+tcp://holding.host.example:3333', 'stratum+tcp://holding-b.host.example:3333', 'stratum+ssl://holding-c.other.example:443'];
const OWNER = 'stratum+tcp://btc.pool.example:3333';
const WRITES = new Set(['addpool', 'switchpool', 'enablepool', 'disablepool', 'removepool', 'poolpriority']);

describe('three holding pools, through the agent', () => {
  /** @type {Simulator} */
  let sim;
  /** @type {import('../testkit/fake-edge.mjs').FakeEdge} */
  let edge;
  /** @type {string} */
  let dir;
  // .1 bmminer, .2 btminer (old firmware with plain writes), .3 cgminer, .4 bmminer with three full pool slots
  const IPS = ['127.46.3.1', '127.46.3.2', '127.46.3.3', '127.46.3.4'];
  const workerOf = (/** @type {string} */ ip, /** @type {number} */ i) => `${i === 2 ? 'otheracct' : 'hostacct'}.unit${ip.split('.')[3]}`;
  const holdingOf = (/** @type {string} */ ip) => HOLDING.map((url, i) => ({ url, user: workerOf(ip, i), password: 'x' }));
  /** @type {Map<string, { url: string, user: string }>} */
  const recorded = new Map();

  beforeEach(async () => {
    sim = await new Simulator({ count: 4, base: '127.46.3.1', scenarios: { '127.46.3.4': 'poolslots' } }).start();
    recorded.clear();
    for (const m of sim.describe()) recorded.set(m.ip, { url: m.pools[0]?.url ?? '', user: m.pools[0]?.user ?? '' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-holding-'));
    edge = await startFakeEdge({
      config: { scan_segments: ['127.46.3.0/29'], poll_interval_s: 30, miners: IPS.map((ip) => ({ ip, pools: holdingOf(ip), remove_other_pools: false })) },
    });
  });
  afterEach(async () => {
    await sim.stop();
    await edge.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const reported = (/** @type {string} */ ip) => /** @type {any} */ (edge.accepted.at(-1)?.miners.find((m) => m.ip === ip));
  const poolsOf = (/** @type {string} */ ip) => sim.get(ip).orderedPools().map((p) => [p.url, p.user]);
  const holdingRows = (/** @type {string} */ ip) => holdingOf(ip).map((p) => [p.url, p.user]);

  test('the three holding pools on top in order, the customer’s pools after them; idempotent; restore puts the recorded pool back', async () => {
    const agent = makeAgent(edge, dir);
    await agent.start();
    await agent.cycle();
    for (const ip of ['127.46.3.1', '127.46.3.2', '127.46.3.3']) {
      const pools = poolsOf(ip);
      assert.deepEqual(pools.slice(0, 3), holdingRows(ip), `${ip}: the holding pools first, in order`);
      assert.deepEqual(pools.slice(3).map(([url]) => url), [OWNER, 'stratum+tcp://btc-backup.pool.example:3333'], `${ip}: the customer's pools kept, after them`);
      assert.equal(sim.get(ip).activePool()?.url, HOLDING[0]);
      assert.equal(reported(ip).pool_apply.status, 'applied', ip);
      assert.ok(sim.commandLog.some((c) => c.ip === ip && c.command === 'poolpriority'), `${ip}: ordered with poolpriority`);
    }
    // three slots: the customer's pools made room, the miner holds exactly the holding pools
    assert.deepEqual(poolsOf('127.46.3.4'), holdingRows('127.46.3.4'));
    assert.deepEqual(edge.invalid, []);

    // the next cycle confirms on the first holding pool and writes nothing
    sim.commandLog.length = 0;
    await agent.cycle();
    for (const ip of IPS) {
      assert.equal(reported(ip).pool_url, HOLDING[0], ip);
      assert.equal(reported(ip).pool_user, workerOf(ip, 0));
      assert.equal(reported(ip).pool_apply, undefined);
    }
    assert.deepEqual(sim.commandLog.filter((c) => WRITES.has(c.command)), []);

    // the first holding pool is switched off at the miner: it mines on the 2nd (the failover the
    // backups are for), and the agent puts the 1st back on top on its next cycle
    const first = sim.get('127.46.3.1').orderedPools()[0];
    assert.ok(first);
    first.disabled = true;
    assert.equal(sim.get('127.46.3.1').activePool()?.url, HOLDING[1], 'failover goes to the 2nd holding pool, not to the customer’s');
    await agent.cycle();
    assert.equal(sim.get('127.46.3.1').activePool()?.url, HOLDING[0]);

    // the restore: the recorded pool back on top
    edge.config = { scan_segments: ['127.46.3.0/29'], poll_interval_s: 30, miners: IPS.map((ip) => ({ ip, pools: [{ ...recorded.get(ip), password: 'x' }], remove_other_pools: false })) };
    await agent.cycle();
    await agent.cycle();
    for (const ip of IPS) {
      assert.equal(reported(ip).pool_url, OWNER, ip);
      assert.equal(reported(ip).pool_user, recorded.get(ip)?.user, ip);
    }
    agent.stop();
  });

  test('firmware without poolpriority: the same order through switchpool, last backup first', async () => {
    const real = createClient();
    const client = {
      /** @type {typeof real.query} */
      query: async (host, command, opts) => {
        // what a cgminer build without the command answers (MSG_INVCMD 14)
        if (command === 'poolpriority') return `{"STATUS":[{"STATUS":"E","When":0,"Code":14,"Msg":"Invalid command","Description":"cgminer 4.9.0"}],"id":1}\0`;
        return real.query(host, command, opts);
      },
    };
    const agent = makeAgent(edge, dir, { client });
    await agent.start();
    await agent.cycle();
    for (const ip of ['127.46.3.1', '127.46.3.3']) {
      assert.deepEqual(poolsOf(ip).slice(0, 3), holdingRows(ip), ip);
      assert.equal(sim.get(ip).activePool()?.url, HOLDING[0]);
      assert.equal(reported(ip).pool_apply.status, 'applied');
    }
    sim.commandLog.length = 0;
    await agent.cycle();
    assert.deepEqual(sim.commandLog.filter((c) => WRITES.has(c.command)), [], 'ordered once, then left alone');
    agent.stop();
  });
});

describe('the simulator answers poolpriority as cgminer does', () => {
  test('the listed pools first in that order, the others after; a duplicate or unknown id is refused and changes nothing', async () => {
    const sim = await new Simulator({ count: 1, base: '127.46.4.1' }).start();
    const { query } = createClient();
    const ask = async (/** @type {string} */ command, /** @type {string} */ parameter) => {
      const r = JSON.parse((await query('127.46.4.1', command, { parameter })).replace(/\0+$/, ''));
      const st = Array.isArray(r.STATUS) ? r.STATUS[0] : r;
      return [st.STATUS, st.Code, st.Msg];
    };
    try {
      const m = sim.get('127.46.4.1');
      assert.deepEqual(await ask('addpool', `${HOLDING[0]},w,x`), ['S', 55, `Added pool 2: '${HOLDING[0]}'`]);
      const before = m.orderedPools().map((p) => p.id);
      assert.deepEqual(await ask('poolpriority', '2,2'), ['E', 74, 'Duplicate pool specified 2']);
      assert.deepEqual(await ask('poolpriority', '2,9'), ['E', 26, 'Invalid pool id 9 - range is 0 - 2']);
      assert.deepEqual(m.orderedPools().map((p) => p.id), before, 'a refused request changes nothing');
      assert.deepEqual(await ask('poolpriority', '2,1'), ['S', 73, 'Changed pool priorities']);
      assert.deepEqual(m.orderedPools().map((p) => p.id), [2, 1, 0]);
      assert.equal(m.activePool()?.url, HOLDING[0]);
    } finally {
      await sim.stop();
    }
  });
});

// The restore (redirect ended): the recorded pool back on top AND the holding pools gone from the
// miner (`remove_pools`), so a customer whose own pool goes down later fails over to its own
// backup, never to the host's holding pool. Firmware without removepool ends with them disabled.
describe('the restore leaves no holding pool usable on the miner', () => {
  /** @type {Simulator} */
  let sim;
  /** @type {import('../testkit/fake-edge.mjs').FakeEdge} */
  let edge;
  /** @type {string} */
  let dir;
  // .1 bmminer, .2 btminer, .3 cgminer, .4 bmminer without removepool, .5 bmminer with three pool slots
  const IPS = ['127.46.5.1', '127.46.5.2', '127.46.5.3', '127.46.5.4', '127.46.5.5'];
  const workerOf = (/** @type {string} */ ip, /** @type {number} */ i) => `${i === 2 ? 'otheracct' : 'hostacct'}.unit${ip.split('.')[3]}`;
  const holdingOf = (/** @type {string} */ ip) => HOLDING.map((url, i) => ({ url, user: workerOf(ip, i), password: 'x' }));
  /** @type {Map<string, { url: string, user: string }>} */
  const recorded = new Map();
  const config = (/** @type {'redirect' | 'restore'} */ phase) => ({
    scan_segments: ['127.46.5.0/29'],
    poll_interval_s: 30,
    miners: IPS.map((ip) =>
      phase === 'redirect'
        ? { ip, pools: holdingOf(ip), remove_other_pools: false }
        : { ip, pools: [{ ...recorded.get(ip), password: 'x' }], remove_other_pools: false, remove_pools: holdingOf(ip).map(({ url, user }) => ({ url, user })) },
    ),
  });

  beforeEach(async () => {
    sim = await new Simulator({ count: 5, base: '127.46.5.1', scenarios: { '127.46.5.4': 'noremove', '127.46.5.5': 'poolslots' } }).start();
    recorded.clear();
    for (const m of sim.describe()) recorded.set(m.ip, { url: m.pools[0]?.url ?? '', user: m.pools[0]?.user ?? '' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-restore-'));
    edge = await startFakeEdge({ config: config('redirect') });
  });
  afterEach(async () => {
    await sim.stop();
    await edge.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const reported = (/** @type {string} */ ip) => /** @type {any} */ (edge.accepted.at(-1)?.miners.find((m) => m.ip === ip));
  const isHolding = (/** @type {{ url: string }} */ p) => HOLDING.includes(p.url);

  test('removed (or disabled where removepool is refused); the customer’s pool active, its backup kept and enabled; idempotent; failover stays the customer’s', async () => {
    const agent = makeAgent(edge, dir);
    await agent.start();
    await agent.cycle();
    for (const ip of IPS) assert.equal(sim.get(ip).activePool()?.url, HOLDING[0], `${ip}: redirected first`);

    edge.config = config('restore');
    sim.commandLog.length = 0;
    await agent.cycle();
    for (const ip of IPS) {
      const m = sim.get(ip);
      assert.deepEqual([m.activePool()?.url, m.activePool()?.user], [OWNER, recorded.get(ip)?.user], `${ip}: the customer's pool active`);
      assert.deepEqual(m.pools.filter((p) => isHolding(p) && !p.disabled), [], `${ip}: no holding pool enabled`);
      assert.equal(reported(ip).pool_apply.status, 'applied', ip);
    }
    for (const ip of ['127.46.5.1', '127.46.5.2', '127.46.5.3']) {
      assert.deepEqual(sim.get(ip).orderedPools().map((p) => [p.url, p.disabled]), [[OWNER, false], ['stratum+tcp://btc-backup.pool.example:3333', false]], `${ip}: exactly the customer's pools, as before the redirect`);
    }
    // no removepool on this firmware: the three holding pools stay listed, disabled, behind the customer's
    const noRemove = sim.get('127.46.5.4').orderedPools();
    assert.deepEqual(noRemove.filter(isHolding).map((p) => p.disabled), [true, true, true]);
    assert.ok(sim.commandLog.some((c) => c.ip === '127.46.5.4' && c.command === 'disablepool'));
    assert.deepEqual(noRemove.filter((p) => !isHolding(p)).map((p) => [p.url, p.disabled]), [[OWNER, false], ['stratum+tcp://btc-backup.pool.example:3333', false]]);
    // three slots: the recorded pool took one slot back, the holding pools are gone
    assert.deepEqual(sim.get('127.46.5.5').orderedPools().filter(isHolding), []);

    // the next cycle confirms the customer's pool and writes nothing
    sim.commandLog.length = 0;
    await agent.cycle();
    for (const ip of IPS) {
      assert.equal(reported(ip).pool_url, OWNER, ip);
      assert.equal(reported(ip).pool_apply, undefined, ip);
    }
    assert.deepEqual(sim.commandLog.filter((c) => WRITES.has(c.command)), []);

    // the customer's own pool goes down: the miner fails over to the customer's backup, not the host's
    for (const ip of ['127.46.5.1', '127.46.5.4']) {
      const own = sim.get(ip).orderedPools().find((p) => p.url === OWNER);
      assert.ok(own);
      own.disabled = true;
      assert.equal(sim.get(ip).activePool()?.url, 'stratum+tcp://btc-backup.pool.example:3333', ip);
    }
    agent.stop();
  });

  test('firmware that takes neither removepool nor disablepool: the attempt is reported refused, every cycle', async () => {
    const real = createClient();
    const client = {
      /** @type {typeof real.query} */
      query: async (host, command, opts) => {
        if (host === '127.46.5.1' && (command === 'removepool' || command === 'disablepool'))
          return `{"STATUS":[{"STATUS":"E","When":0,"Code":45,"Msg":"Access denied to '${command}' command","Description":"cgminer 4.11.1"}],"id":1}\0`;
        return real.query(host, command, opts);
      },
    };
    const agent = makeAgent(edge, dir, { client });
    await agent.start();
    await agent.cycle();
    edge.config = config('restore');
    await agent.cycle();
    assert.equal(sim.get('127.46.5.1').activePool()?.url, OWNER, 'the switch itself went through');
    for (let i = 0; i < 2; i++) {
      const r = reported('127.46.5.1');
      assert.equal(r.pool_apply.status, 'refused');
      assert.match(r.pool_apply.message, /3 pool\(s\) to remove stay enabled/);
      assert.ok(r.errors.some((/** @type {string} */ e) => e.includes("disablepool: Access denied to 'disablepool' command")), r.errors.join('\n'));
      assert.equal(reported('127.46.5.2').pool_apply?.status ?? 'none', i === 0 ? 'applied' : 'none');
      await agent.cycle();
    }
    agent.stop();
  });
});
