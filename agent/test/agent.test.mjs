// The agent against the simulator over real TCP on 127.42.x.y:4028 and the
// fake edge on 127.0.0.1: a fleet of 200, outages with spool and replay, a
// revoked token, pool changes, runtime scenarios, unparseable miners.

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Simulator } from '../lib/simulator/server.mjs';
import { startFakeEdge } from '../testkit/fake-edge.mjs';
import { makeAgent } from '../testkit/agent.mjs';
import { Agent } from '../lib/agent.mjs';
import { RevokedError } from '../lib/errors.mjs';
import net from 'node:net';
import { fixture } from '../testkit/fixtures.mjs';


/** @param {string} [prefix] */
const tmp = (prefix = 'hy-agent-') => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe('a fleet of 200 simulated miners', () => {
  /** @type {Simulator} */
  let sim;
  /** @type {import('../testkit/fake-edge.mjs').FakeEdge} */
  let edge;
  /** @type {string} */
  let dir;
  /** @type {Agent} */
  let agent;

  before(async () => {
    sim = await new Simulator({ count: 200, base: '127.42.0.1', scenarios: [['overheat', 5], ['offline', 3], ['lowhash', 4], ['sleeping', 2]] }).start();
    edge = await startFakeEdge({ config: { scan_segments: ['127.42.0.0/24'], poll_interval_s: 30, miners: [] } });
    dir = tmp();
    sim.writeArpFile(path.join(dir, 'arp'));
    // No miner here hangs, so generous timeouts cost nothing; they keep a loaded machine
    // (other jobs on 2 cores) from turning a slow loopback connect into a "missing" miner.
    agent = makeAgent(edge, dir, { arpFile: path.join(dir, 'arp'), scanTimeoutMs: 5000, connectTimeoutMs: 5000, readTimeoutMs: 5000 });
    await agent.start();
  });
  after(async () => {
    agent.stop();
    await sim.stop();
    await edge.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('one cycle: every answering miner, valid v1, scenarios visible', async () => {
    const t = Date.now();
    const r = await agent.cycle();
    const ms = Date.now() - t;
    assert.ok(ms < 15000, `cycle took ${ms} ms`);
    assert.deepEqual(edge.invalid, []);
    assert.equal(edge.accepted.length, 1);
    const batch = /** @type {{ miners: any[] }} */ (edge.accepted[0]);
    assert.equal(batch.miners.length, 197);
    assert.equal(r.offline, 0, 'offline miners are not found by the scan in the first place');

    const byIp = new Map(batch.miners.map((m) => [m.ip, m]));
    for (const sm of sim.miners) {
      const m = byIp.get(sm.ip);
      if (sm.scenario === 'offline') {
        assert.equal(m, undefined, `${sm.ip} is offline and must be absent`);
        continue;
      }
      assert.ok(m, sm.ip);
      assert.equal(m.mac, sm.mac, 'MAC from the API or, for Antminers, from the ARP table');
      assert.equal(m.model, sm.dialect === 'btminer' ? 'Whatsminer M30S.VG20' : sm.spec.model);
      assert.equal(m.vendor, sm.spec.vendor);
      assert.equal(m.pool_url, 'stratum+tcp://btc.pool.example:3333');
      // the simulated Whatsminer's own get_error_code reports its overheating (MicroBT code 600)
      const ownErrors = sm.scenario === 'overheat' && sm.dialect === 'btminer' ? ['btminer error code 600: environment temperature too high'] : [];
      assert.deepEqual(m.errors.filter((/** @type {string} */ e) => !e.startsWith('chain ')), ownErrors, sm.ip);
      if (sm.scenario === 'overheat') {
        assert.ok(Math.min(...m.board_temps_c) >= 94, `${sm.ip} overheats`);
        assert.ok(Math.min(...m.chip_temps_c) >= 106);
      } else if (sm.scenario === 'sleeping') {
        assert.equal(m.state, 'sleeping');
        assert.equal(m.hashrate_ths, 0);
      } else if (sm.scenario === 'lowhash') {
        assert.equal(m.hashrate_ths, Math.round(sm.spec.nominalThs * 0.45 * 1000) / 1000);
        assert.equal(m.state, 'mining');
      } else {
        assert.equal(m.state, 'mining');
        assert.equal(m.hashrate_ths, sm.spec.nominalThs);
        assert.deepEqual(m.board_temps_c, [63, 64, 65]);
      }
      // power only where the firmware reports it (Antminer stock does not)
      assert.equal('power_w' in m, sm.dialect !== 'bmminer');
    }
  });

  test('scenarios switched at runtime show up in the next cycle', async () => {
    const target = /** @type {import('../lib/simulator/model.mjs').SimMiner} */ (sim.miners.find((m) => m.scenario === 'normal' && m.dialect === 'bmminer'));
    const gone = /** @type {import('../lib/simulator/model.mjs').SimMiner} */ (sim.miners.find((m) => m.scenario === 'normal' && m.dialect === 'cgminer'));
    await sim.setScenario(target.ip, 'overheat');
    await sim.setScenario(gone.ip, 'offline');
    const r = await agent.cycle();
    const byIp = new Map(r.miners.map((m) => [m.ip, m]));
    assert.deepEqual(byIp.get(target.ip)?.board_temps_c, [94, 95, 96]);
    assert.equal(byIp.has(gone.ip), false);
    assert.equal(r.offline, 1);
    await sim.setScenario(gone.ip, 'normal');
    await sim.setScenario(target.ip, 'normal');
    const r2 = await agent.cycle();
    assert.equal(r2.miners.find((m) => m.ip === gone.ip)?.state, 'mining');
    assert.deepEqual(r2.miners.find((m) => m.ip === target.ip)?.board_temps_c, [63, 64, 65]);
  });
});

describe('outage, spool and replay', () => {
  /** @type {Simulator} */
  let sim;
  /** @type {import('../testkit/fake-edge.mjs').FakeEdge} */
  let edge;
  /** @type {string} */
  let dir;
  beforeEach(async () => {
    sim = await new Simulator({ count: 12, base: '127.42.1.1' }).start();
    edge = await startFakeEdge({ config: { scan_segments: ['127.42.1.0/28'], poll_interval_s: 30, miners: [] } });
    dir = tmp();
  });
  afterEach(async () => {
    await sim.stop();
    await edge.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('while the edge is unreachable batches wait on disk; when it returns they arrive in order, none lost, none twice', async () => {
    const agent = makeAgent(edge, dir);
    await agent.start();
    /** @type {string[]} */
    const produced = [];
    const first = await agent.cycle();
    produced.push(...first.batchIds);

    await edge.goDown(); // connection refused
    for (let i = 0; i < 3; i++) {
      const r = await agent.cycle();
      produced.push(...r.batchIds);
      assert.equal(r.flush.stalled, true);
      assert.equal(r.flush.remaining, i + 1);
      assert.equal(r.miners.length, 12, 'polling goes on during the outage');
    }
    edge.setMode('error503'); // back, but failing
    await edge.comeUp();
    const during = await agent.cycle();
    produced.push(...during.batchIds);
    assert.equal(during.flush.remaining, 4);
    assert.equal(fs.readdirSync(path.join(dir, 'spool')).length, 4);

    edge.setMode('ok');
    const back = await agent.cycle();
    produced.push(...back.batchIds);
    assert.equal(back.flush.remaining, 0);
    assert.deepEqual(edge.accepted.map((b) => b.batch_id), produced, 'every batch, in the order produced');
    assert.equal(new Set(produced).size, produced.length);
    assert.equal(edge.duplicates, 0);
    for (const b of edge.accepted) assert.equal(b.miners.length, 12);
    // samples keep their own time: replayed batches are older than their sent_at
    const replayed = edge.accepted.slice(1, 5);
    for (const b of replayed) assert.ok(b.miners.every((m) => m.sampled_at <= b.sent_at));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'spool')), []);
    assert.deepEqual(edge.invalid, []);
    agent.stop();
  });

  test('a restart during the outage loses nothing, and the config saved on disk keeps it scanning', async () => {
    const a1 = makeAgent(edge, dir);
    await a1.start();
    const r1 = await a1.cycle(); // config pulled and saved
    await edge.goDown();
    const r2 = await a1.cycle();
    a1.stop();

    // a new process while the edge is still down: token and config come from disk
    const a2 = makeAgent(edge, dir, { code: undefined });
    await a2.start();
    const r3 = await a2.cycle();
    assert.equal(r3.miners.length, 12, 'scanned with the saved config');
    assert.equal(r3.flush.remaining, 2);
    a2.stop();

    await edge.comeUp();
    const a3 = makeAgent(edge, dir, { code: undefined });
    await a3.start();
    const r4 = await a3.cycle();
    a3.stop();
    assert.deepEqual(edge.accepted.map((b) => b.batch_id), [...r1.batchIds, ...r2.batchIds, ...r3.batchIds, ...r4.batchIds]);
    assert.equal(edge.duplicates, 0);
    assert.ok(edge.accepted.every((b) => b.miners.length === 12));
  });

  test('a revoked token stops the agent, says so, and keeps the spool', async () => {
    const agent = makeAgent(edge, dir);
    await agent.start();
    await agent.cycle();
    agent.stop();
    edge.setMode('revoked');
    const again = makeAgent(edge, dir, { code: undefined });
    await assert.rejects(again.run({ once: true }), RevokedError);
    const reg = JSON.parse(fs.readFileSync(path.join(dir, 'agent.json'), 'utf8'));
    assert.ok(reg.revoked_at);

    // even with the edge answering again, a revoked registration is not reused
    edge.setMode('ok');
    const third = makeAgent(edge, dir, { code: undefined });
    await assert.rejects(third.run({ once: true }), /revoked .*register again with a new one-time code/);

    // a new code registers afresh and the kept spool is delivered
    edge.codeUsed = false;
    edge.code = 'NEW123';
    edge.token = 'tok-second';
    const spooled = fs.readdirSync(path.join(dir, 'spool')).length;
    assert.equal(spooled, 0, 'the revoked run stopped at config, before polling');
    const fresh = makeAgent(edge, dir, { code: 'NEW123' });
    const r = await fresh.run({ once: true });
    assert.equal(r?.flush.remaining, 0);
    assert.equal(edge.accepted.length, 2);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'agent.json'), 'utf8')).token, 'tok-second');
  });

  test('telemetry 401 mid-run: stop with the batch kept for after re-registration', async () => {
    const agent = makeAgent(edge, dir);
    await agent.start();
    agent.stop();
    // config answers, telemetry does not: revoke between the two
    const run = makeAgent(edge, dir, { code: undefined });
    const origGet = run.refreshConfig.bind(run);
    run.refreshConfig = async () => {
      const c = await origGet();
      edge.setMode('revoked');
      return c;
    };
    await assert.rejects(run.run({ once: true }), RevokedError);
    assert.equal(fs.readdirSync(path.join(dir, 'spool')).length, 1);
    assert.equal(edge.accepted.length, 0);
  });
});

describe('desired pools from the config', () => {
  /** @type {Simulator} */
  let sim;
  /** @type {import('../testkit/fake-edge.mjs').FakeEdge} */
  let edge;
  /** @type {string} */
  let dir;
  const HOST_POOL = { url: 'stratum+tcp://redirect.host.example:3333', user: 'host.default01', password: 'x' };
  const BACKUP = { url: 'stratum+ssl://redirect-b.host.example:443', user: 'host.default01', password: 'x' };
  beforeEach(async () => {
    sim = await new Simulator({ count: 6, base: '127.42.2.1', scenarios: { '127.42.2.5': 'readonly', '127.42.2.6': 'poolchange' } }).start();
    dir = tmp();
    const byMac = (/** @type {string} */ ip) => sim.get(ip).mac;
    edge = await startFakeEdge({
      config: {
        scan_segments: ['127.42.2.0/29'],
        poll_interval_s: 30,
        miners: [
          { ip: '127.42.2.1', pools: [HOST_POOL, BACKUP] }, // bmminer: no MAC in the API, matched by IP
          { mac: byMac('127.42.2.2'), pools: [HOST_POOL], remove_other_pools: true }, // btminer
          { mac: byMac('127.42.2.3'), pools: [HOST_POOL, BACKUP], remove_other_pools: true }, // cgminer
          { mac: byMac('127.42.2.5'), pools: [HOST_POOL] }, // readonly API
          { mac: byMac('127.42.2.6'), pools: [{ url: 'stratum+tcp://btc.pool.example:3333', user: 'hosted.m0006' }] }, // put back
        ],
      },
    });
  });
  afterEach(async () => {
    await sim.stop();
    await edge.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('addpool/switchpool applied, removepool only when safe, idempotent, refusals reported', async () => {
    const agent = makeAgent(edge, dir);
    await agent.start();
    await agent.cycle();
    const top = (/** @type {string} */ ip) => sim.get(ip).activePool();

    // the desired backup comes right after the desired pool (poolpriority), ahead of the pools
    // left from before: a miner whose first pool is down fails over to the desired backup
    assert.deepEqual(sim.describe().find((m) => m.ip === '127.42.2.1')?.pools.map((p) => [p.url, p.priority]), [
      ['stratum+tcp://redirect.host.example:3333', 0],
      ['stratum+ssl://redirect-b.host.example:443', 1],
      ['stratum+tcp://btc.pool.example:3333', 2],
      ['stratum+tcp://btc-backup.pool.example:3333', 3],
    ]);
    assert.equal(top('127.42.2.2')?.url, HOST_POOL.url);
    // removal of the old pools happened once the host pool was alive and in use
    assert.deepEqual(sim.get('127.42.2.2').orderedPools().map((p) => p.url), [HOST_POOL.url]);
    assert.deepEqual(sim.get('127.42.2.3').orderedPools().map((p) => p.url), [HOST_POOL.url, BACKUP.url]);
    assert.equal(top('127.42.2.4')?.url, 'stratum+tcp://btc.pool.example:3333', 'a miner without config is left alone');
    assert.equal(top('127.42.2.6')?.url, 'stratum+tcp://btc.pool.example:3333', 'a foreign pool is replaced by the desired one');
    assert.equal(top('127.42.2.6')?.user, 'hosted.m0006');

    const sent1 = /** @type {any[]} */ (edge.accepted[0]?.miners);
    const readonly = sent1.find((m) => m.ip === '127.42.2.5');
    // a Whatsminer takes pool changes only through its token API: the plain verb is an invalid cmd
    assert.deepEqual(readonly.errors, ['pool change failed: addpool: invalid cmd']);
    assert.equal(readonly.pool_apply.status, 'refused');
    assert.equal(readonly.pool_url, 'stratum+tcp://btc.pool.example:3333');

    // the next cycle reports the new pools and writes nothing
    sim.commandLog.length = 0;
    await agent.cycle();
    const writes = sim.commandLog.filter((c) => /pool$/.test(c.command) && c.command !== 'pools' && c.ip !== '127.42.2.5');
    assert.deepEqual(writes, []);
    const sent2 = /** @type {any[]} */ (edge.accepted[1]?.miners);
    for (const ip of ['127.42.2.1', '127.42.2.2', '127.42.2.3']) {
      assert.equal(sent2.find((m) => m.ip === ip).pool_url, HOST_POOL.url);
      assert.equal(sent2.find((m) => m.ip === ip).pool_user, 'host.default01');
    }
    agent.stop();
  });
});

describe('miners that cannot be read', () => {
  test('garbage and silent miners are reported with errors and nothing made up', async () => {
    const sim = await new Simulator({ count: 3, base: '127.42.3.1', scenarios: { '127.42.3.2': 'garbage', '127.42.3.3': 'hang' } }).start();
    const edge = await startFakeEdge({ config: { scan_segments: ['127.42.3.0/29'], poll_interval_s: 30, miners: [] } });
    const dir = tmp();
    try {
      const agent = makeAgent(edge, dir, { readTimeoutMs: 150 });
      await agent.start();
      const r = await agent.cycle();
      agent.stop();
      assert.deepEqual(edge.invalid, []);
      const garbage = r.miners.find((m) => m.ip === '127.42.3.2');
      const hang = r.miners.find((m) => m.ip === '127.42.3.3');
      assert.deepEqual(Object.keys(/** @type {object} */ (garbage)).sort(), ['errors', 'ip', 'sampled_at', 'state']);
      assert.equal(garbage?.state, 'error');
      assert.ok(garbage?.errors.length && garbage.errors.every((e) => /^parse error in \w+: reply is not JSON/.test(e)), String(garbage?.errors));
      assert.equal(hang?.state, 'error');
      assert.ok(hang?.errors.every((e) => /no complete reply within 150 ms/.test(e)));
      // one read timeout and the hung miner gets no further commands this cycle
      assert.equal(hang?.errors.length, 1, String(hang?.errors));
      assert.equal('hashrate_ths' in /** @type {object} */ (hang), false);

      // once it answers properly again it is detected and read normally
      await sim.setScenario('127.42.3.2', 'normal');
      const r2 = await makeAgentCycle(edge, dir);
      assert.equal(r2.miners.find((m) => m.ip === '127.42.3.2')?.state, 'mining');
    } finally {
      await sim.stop();
      await edge.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a miner whose summary turns to garbage drops its cached dialect and is re-detected', async () => {
    const sim = await new Simulator({ count: 1, base: '127.42.4.1', dialects: ['btminer'] }).start();
    const edge = await startFakeEdge({ config: { scan_segments: ['127.42.4.1/32'], poll_interval_s: 30, miners: [] } });
    const dir = tmp();
    try {
      const agent = makeAgent(edge, dir);
      await agent.start();
      await agent.cycle();
      assert.equal(agent.cache.get('127.42.4.1')?.dialect, 'btminer');
      await sim.setScenario('127.42.4.1', 'garbage');
      const r = await agent.cycle();
      assert.equal(agent.cache.has('127.42.4.1'), false);
      assert.equal(r.miners[0]?.state, 'error');
      await sim.setScenario('127.42.4.1', 'normal');
      sim.commandLog.length = 0;
      const r2 = await agent.cycle();
      assert.equal(r2.miners[0]?.model, 'Whatsminer M30S.VG20');
      assert.ok(sim.commandLog.some((c) => c.command === 'version'), 're-detected');
      // static replies are cached afterwards: the next cycle does not ask for them
      sim.commandLog.length = 0;
      await agent.cycle();
      assert.deepEqual(sim.commandLog.map((c) => c.command).sort(), ['edevs', 'get_error_code', 'pools', 'status', 'summary']);
      agent.stop();
    } finally {
      await sim.stop();
      await edge.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** @param {import('../testkit/fake-edge.mjs').FakeEdge} edge @param {string} dir */
async function makeAgentCycle(edge, dir) {
  const a = makeAgent(edge, dir, { code: undefined, readTimeoutMs: 150 });
  await a.start();
  try {
    return await a.cycle();
  } finally {
    a.stop();
  }
}

describe('batches stay within the Worker body limit', () => {
  test('split by miner count and by JSON size; never an empty list, a heartbeat is one empty batch', async () => {
    const { splitBatches } = await import('../lib/agent.mjs');
    const miners = Array.from({ length: 25 }, (_, i) => ({ ip: `10.0.0.${100 + i}`, errors: ['x'.repeat(100)] }));
    const one = Buffer.byteLength(JSON.stringify(miners[0])) + 1;
    assert.deepEqual(splitBatches(miners, 10, 1e9).map((b) => b.length), [10, 10, 5]);
    assert.deepEqual(splitBatches(miners, 100, one * 7).map((b) => b.length), [7, 7, 7, 4]);
    assert.deepEqual(splitBatches([], 10, 100), [[]]);
    // a single miner larger than the budget still goes, alone
    assert.deepEqual(splitBatches(miners.slice(0, 2), 10, 5).map((b) => b.length), [1, 1]);
  });
});

describe('connections per miner on a large site', () => {
  test('firmware with multi-command reads is asked once per cycle; btminer (which refuses it) one command at a time', async () => {
    const sim = await new Simulator({ count: 3, base: '127.42.5.1' }).start();
    const edge = await startFakeEdge({ config: { scan_segments: ['127.42.5.0/29'], poll_interval_s: 30, miners: [] } });
    const dir = tmp();
    try {
      const agent = makeAgent(edge, dir);
      await agent.start();
      await agent.cycle();
      sim.commandLog.length = 0;
      const r = await agent.cycle();
      agent.stop();
      assert.deepEqual(edge.invalid, []);
      assert.deepEqual(r.miners.map((m) => m.state), ['mining', 'mining', 'mining']);
      const by = (/** @type {string} */ ip) => sim.commandLog.filter((c) => c.ip === ip).map((c) => c.command);
      assert.deepEqual(by('127.42.5.1'), ['summary+stats+pools'], 'Antminer: one request');
      assert.deepEqual(by('127.42.5.3'), ['summary+stats+devs+pools'], 'Avalon: one request');
      assert.deepEqual(by('127.42.5.2').sort(), ['edevs', 'get_error_code', 'pools', 'status', 'summary'], 'Whatsminer: one per command');
    } finally {
      await sim.stop();
      await edge.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('firmware that refuses multi-command reads', () => {
  test('is asked one command at a time, and that is remembered for the next cycles', async () => {
    // A stock S19 Pro answering with its real replies (fixtures), but refusing any `a+b` request
    // the way cgminer refuses an unknown command.
    /** @type {Record<string, Buffer>} */
    const replies = {
      version: fixture('antminer-s19pro-bmminer-49.0.1.3-version.json'),
      summary: fixture('antminer-s19pro-bmminer-49.0.1.3-summary.json'),
      stats: fixture('antminer-s19pro-bmminer-49.0.1.3-stats.json'),
      pools: fixture('antminer-s19pro-bmminer-49.0.1.3-pools.json'),
    };
    /** @type {string[]} */
    const log = [];
    const server = net.createServer((socket) => {
      socket.once('data', (d) => {
        const { command } = JSON.parse(d.toString());
        log.push(command);
        const body = replies[command] ?? Buffer.from('{"STATUS":[{"STATUS":"E","When":0,"Code":14,"Msg":"Invalid command","Description":"cgminer 1.0.0"}],"id":1}');
        socket.end(Buffer.concat([body, Buffer.from([0])]));
      });
    });
    await new Promise((resolve) => server.listen(4028, '127.42.8.1', () => resolve(undefined)));
    const edge = await startFakeEdge({ config: { scan_segments: ['127.42.8.1/32'], poll_interval_s: 30, miners: [] } });
    const dir = tmp();
    try {
      const agent = makeAgent(edge, dir);
      await agent.start();
      const r1 = await agent.cycle();
      assert.deepEqual(log, ['version', 'summary', 'stats+pools', 'stats', 'pools']);
      log.length = 0;
      const r2 = await agent.cycle();
      agent.stop();
      assert.deepEqual(log, ['summary', 'stats', 'pools'], 'no second multi attempt');
      for (const r of [r1, r2]) {
        const m = r.miners[0];
        assert.equal(m?.state, 'mining');
        assert.equal(m?.hashrate_ths, 110.567);
        assert.deepEqual(m?.errors, []);
      }
      assert.deepEqual(edge.invalid, []);
    } finally {
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      await edge.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Whatsminer API v3 (firmware from 2024-11): reads on its own port, no token', () => {
  test('a miner whose 4028 API says nothing is found on the v3 port, read in full, and its pools are not written', async () => {
    // The v3 port serves the real replies (fixtures) with v3 framing: a 4-byte little-endian
    // length, then the JSON, both ways. Port 4028 accepts and closes without a byte, as a
    // miner with its old API switched off does.
    /** @type {Record<string, Buffer>} */
    const v3replies = {
      'get.device.info': fixture('whatsminer-m60s-btminer-api3-get.device.info.json'),
      'get.miner.status:summary': fixture('whatsminer-btminer-api3-get.miner.status-summary.json'),
      'get.miner.status:edevs': fixture('whatsminer-m60s-btminer-api3-get.miner.status-edevs.json'),
      'get.miner.status:pools': fixture('whatsminer-m60s-btminer-api3-get.miner.status-pools.json'),
    };
    /** @type {string[]} */
    const log = [];
    const v3 = net.createServer((socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 4 || buf.length < 4 + buf.readUInt32LE(0)) return;
        const { cmd, param } = JSON.parse(buf.subarray(4, 4 + buf.readUInt32LE(0)).toString());
        const key = param === undefined ? cmd : `${cmd}:${param}`;
        log.push(key);
        const body = v3replies[key];
        if (!body) return void socket.destroy();
        const head = Buffer.alloc(4);
        head.writeUInt32LE(body.length, 0);
        socket.end(Buffer.concat([head, body]));
      });
    });
    const old = net.createServer((socket) => {
      socket.once('data', () => socket.end());
    });
    const host = '127.42.9.1';
    const V3PORT = 14433;
    await new Promise((resolve) => v3.listen(V3PORT, host, () => resolve(undefined)));
    await new Promise((resolve) => old.listen(4028, host, () => resolve(undefined)));
    const desired = [{ url: 'stratum+tcp://pool.example:3333', user: 'acct.w1', password: 'x' }];
    const edge = await startFakeEdge({ config: { scan_segments: [`${host}/32`], poll_interval_s: 30, miners: [{ mac: 'ce:02:01:00:8c:36', pools: desired, remove_other_pools: false }] } });
    const dir = tmp();
    try {
      const agent = makeAgent(edge, dir, { whatsminerV3Port: V3PORT, readTimeoutMs: 2000 });
      await agent.start();
      const r1 = await agent.cycle();
      const m = r1.miners[0];
      assert.equal(agent.cache.get(host)?.dialect, 'btminer3');
      assert.equal(m?.model, 'Whatsminer M60S_VK40');
      assert.equal(m?.firmware, '20251209.16.Rel2');
      assert.equal(m?.mac, 'ce:02:01:00:8c:36');
      assert.equal(m?.state, 'mining');
      assert.equal(m?.hashrate_ths, 171.259);
      assert.equal(m?.power_w, 3156);
      assert.equal(m?.pool_url, 'stratum+tcp://btc.example.pool:3333');
      // the old API's silence was only detection, not a fault; the pool change is refused, not attempted
      assert.deepEqual(m?.errors, [
        'pool change failed: pool change not supported on Whatsminer API v3 firmware: its writes need the admin password',
      ]);
      assert.equal(m?.pool_apply?.status, 'refused');
      assert.deepEqual(edge.invalid, []);

      // from the cache: straight to the v3 reads, nothing on 4028
      log.length = 0;
      const r2 = await agent.cycle();
      agent.stop();
      assert.deepEqual(log.sort(), ['get.device.info', 'get.miner.status:edevs', 'get.miner.status:pools', 'get.miner.status:summary']);
      assert.equal(r2.miners[0]?.state, 'mining');
      assert.deepEqual(r2.miners[0]?.errors, ['pool change failed: pool change not supported on Whatsminer API v3 firmware: its writes need the admin password']);
    } finally {
      await new Promise((resolve) => v3.close(() => resolve(undefined)));
      await new Promise((resolve) => old.close(() => resolve(undefined)));
      await edge.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a 2024-11+ Whatsminer whose v3 port is closed', () => {
  test('is read over the old API it answers instead of being reported broken', async () => {
    // Real M30S replies on 4028; get_version is the real 2021 reply with only its date moved
    // past 2024-11 (no such reply was found), which alone would choose API v3.
    const gv = JSON.parse(fixture('whatsminer-m20sv10-btminer-20210322.22.REL-get_version.json').toString());
    gv.Msg.fw_ver = '20250102.11.REL';
    /** @type {Record<string, Buffer>} */
    const replies = {
      get_version: Buffer.from(JSON.stringify(gv)),
      summary: fixture('whatsminer-m30s-btminer-20200512.13.REL-summary.json'),
      edevs: fixture('whatsminer-m30s-btminer-20200512.13.REL-edevs.json'),
      pools: fixture('whatsminer-m30s-btminer-20200512.13.REL-pools.json'),
    };
    const server = net.createServer((socket) => {
      socket.once('data', (d) => {
        const { command } = JSON.parse(d.toString());
        const body = replies[command];
        if (body) socket.end(Buffer.concat([body, Buffer.from([0])]));
        else socket.end(); // an unknown command: closed without a reply
      });
    });
    const host = '127.42.10.1';
    await new Promise((resolve) => server.listen(4028, host, () => resolve(undefined)));
    const edge = await startFakeEdge({ config: { scan_segments: [`${host}/32`], poll_interval_s: 30, miners: [] } });
    const dir = tmp();
    try {
      // nothing listens on the v3 port at this address: the connection is refused
      const agent = makeAgent(edge, dir, { whatsminerV3Port: 14434, readTimeoutMs: 2000 });
      await agent.start();
      const r = await agent.cycle();
      agent.stop();
      assert.equal(agent.cache.get(host)?.dialect, 'btminer');
      assert.equal(r.miners[0]?.state, 'mining');
      assert.equal(r.miners[0]?.firmware, '20250102.11.REL'); // get_version's, read over the old API
      assert.equal(typeof r.miners[0]?.hashrate_ths, 'number');
      // the refused v3 port is not reported (the commands this test server does not answer are)
      assert.equal(r.miners[0]?.errors.some((e) => /get\.device\.info|14434/.test(e)), false, String(r.miners[0]?.errors));
      assert.deepEqual(edge.invalid, []);
    } finally {
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      await edge.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
