// Edge client, spool and delivery against the fake edge on 127.0.0.1.

import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { startFakeEdge } from '../testkit/fake-edge.mjs';
import { EdgeClient, checkApiUrl, flushSpool, withRetry } from '../lib/edge-client.mjs';
import { Spool } from '../lib/spool.mjs';
import { Agent } from '../lib/agent.mjs';
import { EdgeHttpError, RevokedError } from '../lib/errors.mjs';
import { backoffDelay } from '../lib/util.mjs';

/** @type {import('../testkit/fake-edge.mjs').FakeEdge} */
let edge;
/** @type {string} */
let dir;
/** @type {number[]} */
let slept;
const sleep = async (/** @type {number} */ ms) => {
  slept.push(ms);
};
const RETRY = { attempts: 3, baseMs: 100, maxMs: 1000 };

beforeEach(async () => {
  edge = await startFakeEdge();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hy-edge-'));
  slept = [];
});
afterEach(async () => {
  await edge.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** @param {number} n */
function miners(n) {
  const sampled_at = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => ({ ip: `10.0.0.${i + 1}`, sampled_at, state: 'mining', hashrate_ths: 100 + i, errors: [] }));
}

/** @param {Spool} spool @param {number} count */
async function putBatches(spool, count, siteId = 'site-1') {
  const ids = [];
  for (let i = 0; i < count; i++) {
    const batch_id = crypto.randomUUID();
    await spool.put({ batch_id, site_id: siteId, created_at: new Date().toISOString(), miners: miners(2) });
    ids.push(batch_id);
  }
  return ids;
}

describe('registration', () => {
  test('a one-time code becomes a token kept in a 0600 state file', async () => {
    const agent = new Agent({ api: edge.url, stateDir: dir, code: 'K7Q2ZP', hostname: 'box-1', log: () => {} });
    await agent.start();
    agent.stop();
    assert.deepEqual(edge.registrations, [{ code: 'K7Q2ZP', hostname: 'box-1', version: '0.1.0' }]);
    const file = path.join(dir, 'agent.json');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(saved.token, edge.token);
    assert.equal(saved.site_id, 'site-1');
    assert.equal(saved.agent_id, 'agent-1');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);

    // the next start reuses the token; the (now used) code is not sent again
    const again = new Agent({ api: edge.url, stateDir: dir, code: 'K7Q2ZP', log: () => {} });
    await again.start();
    again.stop();
    assert.equal(edge.registrations.length, 1);
    assert.equal(again.reg?.token, edge.token);
  });

  test('an invalid code is a clear error; no state is written', async () => {
    const agent = new Agent({ api: edge.url, stateDir: dir, code: 'WRONG1', log: () => {}, retry: RETRY, sleep });
    await assert.rejects(agent.start(), /register: HTTP 400 .*invalid or used registration code/);
    agent.stop();
    assert.equal(fs.existsSync(path.join(dir, 'agent.json')), false);
    assert.deepEqual(slept, [], 'a 400 is not retried');
  });

  test('without a code and without state the agent says what to do', async () => {
    const agent = new Agent({ api: edge.url, stateDir: dir, log: () => {} });
    await assert.rejects(agent.start(), /not registered yet: pass --code/);
    agent.stop();
  });

  test('register retries while the edge answers 503', async () => {
    edge.setMode('error503');
    let calls = 0;
    const agent = new Agent({
      api: edge.url, stateDir: dir, code: 'K7Q2ZP', log: () => {}, retry: RETRY, random: () => 0,
      sleep: async (ms) => {
        slept.push(ms);
        if (++calls === 2) edge.setMode('ok');
      },
    });
    await agent.start();
    agent.stop();
    assert.equal(agent.reg?.token, edge.token);
    assert.deepEqual(slept, [50, 100]);
  });

  test('one agent per state directory', async () => {
    const a = new Agent({ api: edge.url, stateDir: dir, code: 'K7Q2ZP', log: () => {} });
    await a.start();
    fs.writeFileSync(path.join(dir, 'agent.lock'), '1'); // pid 1 is alive: someone else holds it
    const b = new Agent({ api: edge.url, stateDir: dir, log: () => {} });
    await assert.rejects(b.start(), /another agent \(pid 1\)/);
    fs.writeFileSync(path.join(dir, 'agent.lock'), '999999999'); // a dead pid: taken over
    const c = new Agent({ api: edge.url, stateDir: dir, log: () => {} });
    await c.start();
    c.stop();
    assert.equal(fs.existsSync(path.join(dir, 'agent.lock')), false);
  });
});

describe('telemetry POST', () => {
  test('gzip JSON with a bearer token, batch_id and sent_at', async () => {
    const client = new EdgeClient({ api: edge.url, token: edge.token });
    const batch_id = crypto.randomUUID();
    await client.postTelemetry({ batch_id, sent_at: '2026-11-26T22:00:00.000Z', miners: miners(3) });
    const post = edge.posts[0];
    assert.ok(post);
    assert.equal(post.headers['content-encoding'], 'gzip');
    assert.equal(post.headers['content-type'], 'application/json');
    assert.equal(post.headers.authorization, `Bearer ${edge.token}`);
    assert.match(String(post.headers['user-agent']), /^hashyard-agent/);
    assert.equal(post.batch_id, batch_id);
    assert.equal(post.miners.length, 3);
    assert.deepEqual(edge.invalid, []);
  });

  test('answers are classified: 401 revoked, 5xx/429/408 retryable, other 4xx final', async () => {
    const client = new EdgeClient({ api: edge.url, token: 'not-the-token' });
    await assert.rejects(client.getConfig(), RevokedError);
    const ok = new EdgeClient({ api: edge.url, token: edge.token });
    edge.setMode('error503');
    await assert.rejects(ok.getConfig(), (e) => e instanceof EdgeHttpError && e.retryable && e.status === 503);
    edge.setMode('ratelimit');
    await assert.rejects(ok.getConfig(), (e) => e instanceof EdgeHttpError && e.retryable && e.retryAfterMs === 0);
    edge.setMode('reject400');
    await assert.rejects(ok.postTelemetry({ batch_id: crypto.randomUUID(), sent_at: new Date().toISOString(), miners: [] }), (e) => e instanceof EdgeHttpError && !e.retryable && e.status === 400);
    await edge.goDown();
    await assert.rejects(ok.getConfig(), (e) => e instanceof EdgeHttpError && e.retryable && /ECONNREFUSED|ECONNRESET|socket hang up/.test(e.message));
  });

  test('plain http is refused except to loopback (or when allowed)', () => {
    assert.throws(() => checkApiUrl('http://hashyard.example'), /refusing to send the agent token over plain http/);
    assert.doesNotThrow(() => checkApiUrl('http://hashyard.example', true));
    assert.doesNotThrow(() => checkApiUrl('https://hashyard.example'));
    assert.doesNotThrow(() => checkApiUrl('http://127.0.0.1:8787'));
    assert.doesNotThrow(() => checkApiUrl('http://localhost:8787'));
    assert.throws(() => checkApiUrl('ftp://x'), /https URL/);
  });
});

describe('retry with exponential backoff and jitter', () => {
  test('delays double, are jittered within [d/2, d], and are capped', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, { ...p, random: () => 0 })), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, { ...p, random: () => 1 })), [100, 200, 400, 800, 1000, 1000]);
  });

  test('withRetry stops at the attempt limit and on final errors', async () => {
    let n = 0;
    await assert.rejects(
      withRetry(async () => {
        n++;
        throw new EdgeHttpError('down', { retryable: true });
      }, { retry: { attempts: 4, baseMs: 100, maxMs: 1000 }, sleep, random: () => 0.5 }),
      /down/,
    );
    assert.equal(n, 4);
    assert.deepEqual(slept, [75, 150, 300]);
    n = 0;
    await assert.rejects(withRetry(async () => {
      n++;
      throw new EdgeHttpError('bad', { retryable: false });
    }, { sleep }), /bad/);
    assert.equal(n, 1);
  });
});

describe('spool', () => {
  test('one 0600 gzip file per batch, oldest first, numbering survives a restart', async () => {
    const spool = new Spool(dir);
    await spool.init();
    const ids = await putBatches(spool, 3);
    fs.writeFileSync(path.join(dir, 'spool', '.tmp-half-written'), 'x');
    const again = new Spool(dir);
    await again.init();
    assert.equal(fs.existsSync(path.join(dir, 'spool', '.tmp-half-written')), false);
    const more = await putBatches(again, 2);
    const names = await again.list();
    assert.deepEqual(names.map((n) => Spool.batchIdOf(n)), [...ids, ...more]);
    const first = /** @type {string} */ (names[0]);
    assert.equal(fs.statSync(path.join(dir, 'spool', first)).mode & 0o777, 0o600);
    const parsed = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, 'spool', first))).toString());
    assert.equal(parsed.batch_id, ids[0]);
    assert.equal(parsed.miners.length, 2);
  });

  test('over its byte cap the spool drops the oldest batches and says so', async () => {
    /** @type {string[]} */
    const logs = [];
    const spool = new Spool(dir, { maxBytes: 1, log: (m) => logs.push(m) });
    await spool.init();
    const ids = await putBatches(spool, 3);
    assert.deepEqual((await spool.list()).map((n) => Spool.batchIdOf(n)), [ids[2]]);
    assert.equal(logs.length, 2);
    assert.match(/** @type {string} */ (logs[0]), new RegExp(`dropped the oldest batch ${ids[0]}`));
  });
});

describe('delivery of the spool', () => {
  test('oldest first; stops at the first failure so nothing overtakes it; resumes in order', async () => {
    const spool = new Spool(dir);
    await spool.init();
    const edgeClient = new EdgeClient({ api: edge.url, token: edge.token });
    const ids = await putBatches(spool, 3);
    await edge.goDown();
    const r1 = await flushSpool({ spool, edge: edgeClient, siteId: 'site-1', retry: RETRY, sleep, random: () => 0 });
    assert.equal(r1.stalled, true);
    assert.equal(r1.remaining, 3);
    assert.deepEqual(slept, [50, 100]); // attempts-1 waits on the head batch only
    assert.equal((await spool.list()).length, 3);
    const more = await putBatches(spool, 1);
    await edge.comeUp();
    const r2 = await flushSpool({ spool, edge: edgeClient, siteId: 'site-1', retry: RETRY, sleep });
    assert.deepEqual(r2.sent, [...ids, ...more]);
    assert.deepEqual(edge.accepted.map((b) => b.batch_id), [...ids, ...more]);
    assert.equal(edge.duplicates, 0);
    assert.deepEqual(await spool.list(), []);
  });

  test('a lost answer means a resend with the same batch_id, which the edge ignores', async () => {
    const spool = new Spool(dir);
    await spool.init();
    const edgeClient = new EdgeClient({ api: edge.url, token: edge.token });
    const [id] = await putBatches(spool, 1);
    edge.setMode('drop');
    const r1 = await flushSpool({ spool, edge: edgeClient, retry: { ...RETRY, attempts: 1 }, sleep });
    assert.equal(r1.stalled, true);
    edge.setMode('ok');
    const r2 = await flushSpool({ spool, edge: edgeClient, retry: RETRY, sleep });
    assert.deepEqual(r2.sent, [id]);
    assert.deepEqual(edge.posts.map((p) => p.batch_id), [id, id]);
    assert.equal(edge.accepted.length, 1);
    assert.equal(edge.duplicates, 1);
  });

  test('a 4xx other than 401/408/429 sends the batch to dead/ with the reason; the rest flows', async () => {
    const spool = new Spool(dir);
    await spool.init();
    const ids = await putBatches(spool, 2);
    let n = 0;
    const request = /** @type {import('../lib/edge-client.mjs').RequestFn} */ (async (url, init) => {
      if (n++ === 0) return { status: 413, headers: {}, body: '{"error":"batch too large"}' };
      const { httpRequest } = await import('../lib/edge-client.mjs');
      return httpRequest(url, init);
    });
    const r = await flushSpool({ spool, edge: new EdgeClient({ api: edge.url, token: edge.token, request }), retry: RETRY, sleep });
    assert.deepEqual(r.dead, [ids[0]]);
    assert.deepEqual(r.sent, [ids[1]]);
    assert.deepEqual(slept, [], 'a final refusal is not retried');
    const deadFiles = fs.readdirSync(path.join(dir, 'dead')).sort();
    assert.equal(deadFiles.length, 2);
    const reason = JSON.parse(fs.readFileSync(path.join(dir, 'dead', /** @type {string} */ (deadFiles.find((f) => f.endsWith('.reason.json')))), 'utf8'));
    assert.equal(reason.status, 413);
    assert.equal(reason.batch_id, ids[0]);
    assert.match(reason.reason, /HTTP 413/);
    assert.match(reason.body, /batch too large/);
  });

  test('401 stops delivery and keeps the spool', async () => {
    const spool = new Spool(dir);
    await spool.init();
    await putBatches(spool, 2);
    edge.setMode('revoked');
    await assert.rejects(flushSpool({ spool, edge: new EdgeClient({ api: edge.url, token: edge.token }), retry: RETRY, sleep }), RevokedError);
    assert.equal((await spool.list()).length, 2);
    assert.deepEqual(slept, []);
  });

  test('429 honours Retry-After', async () => {
    const spool = new Spool(dir);
    await spool.init();
    await putBatches(spool, 1);
    edge.setMode('ratelimit');
    const r = await flushSpool({ spool, edge: new EdgeClient({ api: edge.url, token: edge.token }), retry: RETRY, sleep, random: () => 1 });
    assert.equal(r.stalled, true);
    assert.deepEqual(slept, [0, 0]);
  });

  test('batches recorded for another site are not sent to this one', async () => {
    const spool = new Spool(dir);
    await spool.init();
    await putBatches(spool, 1, 'site-OLD');
    const ids = await putBatches(spool, 1, 'site-1');
    const r = await flushSpool({ spool, edge: new EdgeClient({ api: edge.url, token: edge.token }), siteId: 'site-1', retry: RETRY, sleep });
    assert.equal(r.dead.length, 1);
    assert.deepEqual(r.sent, ids);
    assert.deepEqual(edge.accepted.map((b) => b.batch_id), ids);
  });
});

describe('the fake edge judges batches with the Worker validator', () => {
  test('a batch the Worker refuses is refused by the fake edge, naming the Worker field; the agent promises are checked too', async () => {
    const client = new EdgeClient({ api: edge.url, token: edge.token });
    const bad = miners(2);
    bad[0].hashrate_ths = -1;
    Object.assign(bad[1], { pdu: { pdu_id: 'pdu-1', outlet: '7', sampled_at: new Date().toISOString(), power_w: 10, volts: 230 } });
    await assert.rejects(client.postTelemetry({ batch_id: crypto.randomUUID(), sent_at: new Date().toISOString(), miners: bad }), (e) => e instanceof EdgeHttpError && e.status === 422);
    assert.deepEqual(edge.invalid, ['miners.0.hashrate_ths: Must be between 0 and 100000.', 'miners.1.pdu: Unknown field volts: use pdu_id, outlet, sampled_at, power_w and energy_wh.']);

    edge.invalid.length = 0;
    const unkept = miners(1).map((m) => ({ ...m, model: '' }));
    await assert.rejects(client.postTelemetry({ batch_id: 'not-a-uuid-but-long', sent_at: new Date().toISOString(), miners: unkept }), (e) => e instanceof EdgeHttpError && e.status === 422);
    assert.deepEqual(edge.invalid, ['batch_id is not a UUID', 'miners[0] (10.0.0.1): model is empty (unknown must be absent)']);
  });

  test('with a clock, the sample-time bounds are the Worker rules too', async () => {
    const clocked = await startFakeEdge({ clock: () => Date.parse('2026-12-01T12:00:00Z') });
    try {
      const client = new EdgeClient({ api: clocked.url, token: clocked.token });
      const late = miners(1).map((m) => ({ ...m, sampled_at: '2026-11-29T12:00:00Z' }));
      await assert.rejects(client.postTelemetry({ batch_id: crypto.randomUUID(), sent_at: '2026-12-01T12:00:00Z', miners: late }), (e) => e instanceof EdgeHttpError && e.status === 422);
      assert.match(clocked.invalid[0] ?? '', /^miners\.0\.sampled_at: Is older than 24 hours/);
    } finally {
      await clocked.close();
    }
  });
});
