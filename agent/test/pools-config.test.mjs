// Pool application logic against a scripted miner, and config validation.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyPools, poolsSatisfied, samePool } from '../lib/pools.mjs';
import { normaliseConfig, configFor, checkPool } from '../lib/config.mjs';
import { parsePools } from '../lib/parse/index.mjs';
import { fixture } from '../testkit/fixtures.mjs';

/**
 * A scripted miner: pools as plain objects, answering cgminer write commands.
 * @param {{ id: number, url: string, user: string, priority: number, alive?: boolean, disabled?: boolean }[]} pools
 * @param {{ base?: number, deny?: boolean }} [o]
 */
function fakeMiner(pools, o = {}) {
  const base = o.base ?? 0;
  /** @type {string[]} */
  const log = [];
  const ok = (/** @type {string} */ msg) => JSON.stringify({ STATUS: [{ STATUS: 'S', Code: 1, Msg: msg }], id: 1 });
  const err = (/** @type {string} */ msg) => JSON.stringify({ STATUS: [{ STATUS: 'E', Code: 2, Msg: msg }], id: 1 });
  const active = () => [...pools].filter((p) => !p.disabled && p.alive !== false).sort((a, b) => a.priority - b.priority)[0];
  return {
    log,
    pools,
    /** @param {string} cmd @param {string} [param] */
    async query(cmd, param) {
      if (cmd !== 'pools') log.push(`${cmd}|${param}`);
      if (cmd === 'pools') {
        return JSON.stringify({
          STATUS: [{ STATUS: 'S' }],
          POOLS: pools.map((p) => ({ POOL: p.id, URL: p.url, User: p.user, Priority: p.priority, Status: p.disabled ? 'Disabled' : p.alive === false ? 'Dead' : 'Alive', 'Stratum Active': p === active() })),
          id: 1,
        });
      }
      if (o.deny) return err(`Access denied to '${cmd}' command`);
      const id = Number(param);
      const p = pools.find((x) => x.id === id);
      if (cmd === 'addpool') {
        const [url, user] = /** @type {string} */ (param).split(/(?<!\\),/);
        pools.push({ id: pools.length + base, url: /** @type {string} */ (url), user: /** @type {string} */ (user).replace(/\\,/g, ','), priority: pools.length });
        return ok('added');
      }
      if (!p) return err('Invalid pool id');
      if (cmd === 'switchpool') {
        const rest = [...pools].filter((x) => x !== p).sort((a, b) => a.priority - b.priority);
        p.priority = 0;
        rest.forEach((x, i) => (x.priority = i + 1));
        return ok('switched');
      }
      if (cmd === 'enablepool') {
        p.disabled = false;
        return ok('enabled');
      }
      if (cmd === 'removepool') {
        if (p === active()) return err('Cannot remove active pool');
        pools.splice(pools.indexOf(p), 1);
        pools.forEach((x, i) => (x.id = i + base));
        return ok('removed');
      }
      return err('Invalid command');
    },
  };
}

const HOST = { url: 'stratum+tcp://host.example:3333', user: 'host.w1', password: 'x' };
const OLD = { url: 'stratum+tcp://customer.example:3333', user: 'cust.w1' };

describe('applyPools', () => {
  test('adds, switches, and a second run does nothing', async () => {
    const m = fakeMiner([{ id: 0, ...OLD, priority: 0 }]);
    const r = await applyPools({ query: m.query, desired: [HOST] });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(m.log, ['addpool|stratum+tcp://host.example:3333,host.w1,x', 'switchpool|1']);
    assert.deepEqual(r.actions, ['addpool|stratum+tcp://host.example:3333,host.w1,***', 'switchpool|1'], 'the password is not logged');
    m.log.length = 0;
    const again = await applyPools({ query: m.query, desired: [HOST] });
    assert.deepEqual(m.log, []);
    assert.equal(again.changed, false);
  });

  test('1-based pool ids (Whatsminer 2020-12) are used as the miner numbers them', async () => {
    const m = fakeMiner([{ id: 1, ...OLD, priority: 0 }, { id: 2, ...HOST, priority: 1 }], { base: 1 });
    await applyPools({ query: m.query, desired: [HOST] });
    assert.deepEqual(m.log, ['switchpool|2']);
  });

  test('removepool waits until the desired pool is alive and in use, and never removes the active pool', async () => {
    const m = fakeMiner([{ id: 0, ...OLD, priority: 0 }, { id: 1, ...HOST, priority: 1, alive: false }]);
    const r = await applyPools({ query: m.query, desired: [HOST], removeOthers: true });
    assert.deepEqual(m.log, ['switchpool|1']);
    assert.deepEqual(r.actions.at(-1), 'removepool deferred: stratum+tcp://host.example:3333 is not alive and in use yet');
    assert.equal(m.pools.length, 2);
    /** @type {any} */ (m.pools[1]).alive = true;
    m.log.length = 0;
    await applyPools({ query: m.query, desired: [HOST], removeOthers: true });
    assert.deepEqual(m.log, ['removepool|0']);
    assert.deepEqual(m.pools.map((p) => [p.id, p.url]), [[0, HOST.url]]);
  });

  test('a disabled desired pool is enabled first', async () => {
    const m = fakeMiner([{ id: 0, ...OLD, priority: 0 }, { id: 1, ...HOST, priority: 1, disabled: true }]);
    await applyPools({ query: m.query, desired: [HOST] });
    assert.deepEqual(m.log, ['enablepool|1', 'switchpool|1']);
  });

  test('commas in users are escaped for addpool', async () => {
    const m = fakeMiner([{ id: 0, ...OLD, priority: 0 }]);
    await applyPools({ query: m.query, desired: [{ url: HOST.url, user: 'a,b', password: 'p\\q' }] });
    assert.equal(m.log[0], 'addpool|stratum+tcp://host.example:3333,a\\,b,p\\\\q');
    assert.equal(m.pools[1]?.user, 'a,b');
  });

  test('refusals are returned as errors, not thrown', async () => {
    const m = fakeMiner([{ id: 0, ...OLD, priority: 0 }], { deny: true });
    const r = await applyPools({ query: m.query, desired: [HOST] });
    assert.deepEqual(r.errors, ["pool change failed: addpool: Access denied to 'addpool' command"]);
    assert.equal(r.changed, false);
  });

  test('pool matching ignores scheme/host case and a trailing slash, not the user', () => {
    const [p] = parsePools(fixture('antminer-s19pro-bmminer-49.0.1.3-pools.json'));
    assert.ok(p);
    assert.ok(samePool(p, { url: 'STRATUM+TCP://BTC.global.luxor.tech:700/', user: 'satokierepair.H04YK', password: 'x' }));
    assert.ok(!samePool(p, { url: p.url, user: 'someone.else', password: 'x' }));
    assert.ok(poolsSatisfied(parsePools(fixture('antminer-s19pro-bmminer-49.0.1.3-pools.json')), [{ url: p.url, user: 'satokierepair.H04YK', password: 'x' }]));
  });
});

describe('config', () => {
  test('a valid config', () => {
    const c = normaliseConfig({
      scan_segments: ['10.20.1.7/24', '10.20.2.0/25'],
      poll_interval_s: 5,
      miners: [
        { mac: 'A0:B1:C2:D3:E4:F5', pools: [{ url: 'stratum+tcp://p.example:3333', user: 'a.w1' }], remove_other_pools: true },
        { ip: '10.20.1.9', pools: [{ url: 'stratum+tcp://p.example:3333', user: 'a.w2' }], remove_pools: [{ url: ' stratum+tcp://holding.example:3333 ', user: 'host.w2' }] },
        // a bad remove_pools entry drops the whole entry, as a bad pool does
        { ip: '10.20.1.10', pools: [{ url: 'stratum+tcp://p.example:3333', user: 'a.w3' }], remove_pools: [{ url: 'http://holding.example', user: 'host.w3' }] },
      ],
      future_field: 1,
    });
    assert.deepEqual(c, {
      segments: ['10.20.1.0/24', '10.20.2.0/25'],
      pollIntervalS: 10, // clamped
      miners: [
        { mac: 'a0:b1:c2:d3:e4:f5', serial: undefined, ip: undefined, pools: [{ url: 'stratum+tcp://p.example:3333', user: 'a.w1', password: 'x' }], removeOthers: true, removePools: [] },
        { mac: undefined, serial: undefined, ip: '10.20.1.9', pools: [{ url: 'stratum+tcp://p.example:3333', user: 'a.w2', password: 'x' }], removeOthers: false, removePools: [{ url: 'stratum+tcp://holding.example:3333', user: 'host.w2' }] },
      ],
      pdus: [],
      problems: ['miner 10.20.1.10: remove_pools: pool url "http://holding.example" is not a stratum URL'],
    });
  });

  test('bad entries are dropped with a reason; a miner with any bad pool gets no pool change at all', () => {
    const c = normaliseConfig({
      scan_segments: ['10.0.0.0/33', '224.0.0.0/24', '10.1.0.0/24'],
      miners: [
        { ip: '10.1.0.5', pools: [{ url: 'stratum+tcp://ok.example:1', user: 'u' }, { url: 'http://evil.example', user: 'u' }] },
        { pools: [] },
        { ip: '10.1.0.6', pools: [{ url: 'stratum+tcp://ok.example:1', user: 'u\nx' }] },
      ],
    });
    assert.deepEqual(c.segments, ['10.1.0.0/24']);
    assert.deepEqual(c.miners, []);
    assert.equal(c.problems.length, 5);
    assert.throws(() => normaliseConfig([]), /not a JSON object/);
    assert.equal(typeof checkPool({ url: 'stratum+ssl://a.example:443', user: 'u', password: null }), 'object');
  });

  test('a polled miner finds its entry by MAC, then serial, then IP', () => {
    const c = normaliseConfig({
      miners: [
        { mac: 'aa:aa:aa:aa:aa:aa', ip: '10.0.0.1', pools: [] },
        { serial: 'SN1', pools: [] },
        { ip: '10.0.0.3', pools: [] },
      ],
    });
    assert.equal(configFor(c, { mac: 'aa:aa:aa:aa:aa:aa', ip: '10.9.9.9' })?.mac, 'aa:aa:aa:aa:aa:aa');
    assert.equal(configFor(c, { serial: 'SN1', ip: '10.9.9.9' })?.serial, 'SN1');
    assert.equal(configFor(c, { ip: '10.0.0.3', mac: 'bb:bb:bb:bb:bb:bb' })?.ip, '10.0.0.3');
    assert.equal(configFor(c, { ip: '10.0.0.1', mac: 'cc:cc:cc:cc:cc:cc' }), undefined, 'another miner now has that IP');
    assert.equal(configFor(c, { ip: '10.0.0.1' })?.mac, 'aa:aa:aa:aa:aa:aa', 'no MAC known: by IP');
  });
});
