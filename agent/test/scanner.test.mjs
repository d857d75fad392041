import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, expandSegments, scan, ipToInt, intToIp } from '../lib/scanner.mjs';
import { Simulator } from '../lib/simulator/server.mjs';

test('CIDRs are validated and normalised', () => {
  assert.deepEqual(
    { ...parseCidr('10.20.1.77/24') },
    { cidr: '10.20.1.0/24', network: ipToInt('10.20.1.0'), prefix: 24, first: ipToInt('10.20.1.1'), last: ipToInt('10.20.1.254'), size: 254 },
  );
  assert.equal(parseCidr('10.0.0.9').cidr, '10.0.0.9/32');
  assert.equal(parseCidr('10.0.0.8/31').size, 2);
  for (const bad of ['10.0.0.256/24', '10.0.0/24', '10.0.0.1/33', '010.0.0.1/24', 'fe80::1/64', '', '10.0.0.1/24/2', '224.0.0.0/24', '0.0.0.0/0', '255.255.255.255']) {
    assert.throws(() => parseCidr(bad), Error, bad);
  }
  assert.equal(intToIp(ipToInt('127.20.0.1')), '127.20.0.1');
});

test('expansion skips network/broadcast, dedupes and is capped', () => {
  assert.deepEqual(expandSegments(['10.0.0.0/30', '10.0.0.1', '10.0.0.2/32']), ['10.0.0.1', '10.0.0.2']);
  assert.equal(expandSegments(['10.0.0.0/16']).length, 65534);
  assert.throws(() => expandSegments(['10.0.0.0/8']), /more than the limit of 65536/);
  assert.throws(() => expandSegments(['10.0.0.0/24'], { maxHosts: 100 }), /254 addresses/);
});

test('scan finds the simulated miners on 127.41.0.x and nothing else', async () => {
  const sim = await new Simulator({ count: 20, base: '127.41.0.1', scenarios: [['offline', 2]] }).start();
  try {
    const t = Date.now();
    const found = await scan(['127.41.0.0/24'], { concurrency: 64, timeoutMs: 500 });
    assert.equal(found.length, 18);
    assert.deepEqual(found, sim.miners.slice(0, 18).map((m) => m.ip));
    assert.ok(Date.now() - t < 5000, 'a /24 of loopback scans fast');
  } finally {
    await sim.stop();
  }
});

test('bounded concurrency is respected', async () => {
  let inFlight = 0;
  let peak = 0;
  const found = await scan(['10.9.0.0/26'], {
    concurrency: 5,
    probeFn: async (host) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return host.endsWith('.7');
    },
  });
  assert.deepEqual(found, ['10.9.0.7']);
  assert.equal(peak, 5);
});
