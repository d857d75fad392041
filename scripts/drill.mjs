#!/usr/bin/env node
// `npm run drill`: the fault drill (issue 11). Not a test: a script that runs the real pieces —
// `wrangler dev` on a throwaway local D1, the miner simulator and the real facility agent — puts
// them through the faults a facility meets, then compares what the Worker stored with what the
// agent sent, and prints the figures. Exit code 1 when a guarantee fails (docs/ARCHITECTURE.md,
// "Fault drill").
//
//   npm run drill -- [--units 300] [--outage 120s] [--interval 15] [--keep]
//
// The faults, in order:
//   1. the edge is cut (the agent's connections are reset) for --outage: the agent spools;
//   2. the site's Durable Object is evicted mid-stream: wrangler dev is stopped and started again
//      on the same state while the agent keeps sending (every object in the Worker restarts);
//   3. the agent is killed (SIGKILL) while a batch is in flight — the Worker still receives that
//      batch, the agent never sees the answer — and restarted, so it replays it from its spool;
//   4. already acknowledged batches are delivered again (a redelivery), which must change nothing.
//
// The ground truth is every batch the agent put on the wire (recorded at a proxy between the
// agent and the Worker, deduplicated by batch id): its samples, and the energy they imply under
// the documented rule (src/telemetry/energy.ts: left Riemann sum, gaps over 10 minutes are
// offline, split at hour boundaries, half-up to whole Wh per hour). The agent's clock runs about an
// hour behind (scripts/drill-clock.mjs), so every 5-minute bucket and hour the drill produces has
// already ended when it is compared: the Worker has closed and written them all.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { freePort, ROOT, startProcess } from '../e2e/harness.mjs';
import { buildSeedSql, DEMO_HOSTS, demoAgentToken, splitSeedSql } from './demo-data.mjs';

const HOUR_MS = 3_600_000;
const BUCKET_MS = 300_000;
const MAX_GAP_MS = 600_000;
const roundWh = (wh) => Math.floor(wh + 0.5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

const { values: args } = parseArgs({
  options: {
    units: { type: 'string', default: '300' },
    outage: { type: 'string', default: '120s' },
    interval: { type: 'string', default: '15' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  process.stdout.write('usage: npm run drill -- [--units 300] [--outage 120s|10m] [--interval 15] [--keep]\n');
  process.exit(0);
}
const durationMs = (text) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`--outage: expected e.g. 120s or 10m, got ${text}`);
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'ms' ? 1 : 1000);
};
const UNITS = Number(args.units);
const OUTAGE_MS = durationMs(args.outage);
const INTERVAL_S = Number(args.interval);
if (!Number.isInteger(UNITS) || UNITS < 1 || UNITS > 1000) throw new Error('--units must be 1..1000');

const started = Date.now();
const say = (line) => process.stdout.write(`[drill +${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s] ${line}\n`);

// --- A throwaway state: migrations, the demo data, the drill's segment ---------------------------
const host = DEMO_HOSTS[0];
const wranglerEnv = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' };
mkdirSync(path.join(ROOT, '.drill-state'), { recursive: true });
const persistDir = mkdtempSync(path.join(ROOT, '.drill-state', 'run-'));
const wranglerRun = (argv, label) => {
  const result = spawnSync(process.execPath, [WRANGLER, ...argv, '--persist-to', persistDir], { cwd: ROOT, env: wranglerEnv, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${label} failed:\n${result.stdout}\n${result.stderr}`);
};
say(`state in ${path.relative(ROOT, persistDir)}; ${UNITS} units, outage ${OUTAGE_MS / 1000} s, poll every ${INTERVAL_S} s`);
wranglerRun(['d1', 'migrations', 'apply', 'DB', '--local'], 'migrations');
// The drill's fleet is larger than the demo's: widen the demo site's segment to cover it. The seed
// goes in parts, as `npm start` loads it: one statement must stay under SQLite's length limit.
const seedParts = splitSeedSql(`${buildSeedSql()}\nUPDATE network_segments SET cidr = '127.20.0.0/22' WHERE site_id = '${host.site.id}';\n`);
seedParts.forEach((part, i) => {
  const seedFile = path.join(persistDir, `seed-${i + 1}.sql`);
  writeFileSync(seedFile, part);
  wranglerRun(['d1', 'execute', 'DB', '--local', '--file', seedFile], `demo seed, part ${i + 1} of ${seedParts.length}`);
});

// --- wrangler dev behind a proxy that can cut the edge and records what the agent sent ----------
const workerPort = await freePort();
const inspectorPort = await freePort();
let worker = null;
async function startWorker() {
  worker = startProcess(
    process.execPath,
    [WRANGLER, 'dev', '--port', String(workerPort), '--ip', '127.0.0.1', '--inspector-port', String(inspectorPort), '--persist-to', persistDir, '--show-interactive-dev-session=false'],
    { label: 'wrangler dev', env: wranglerEnv },
  );
  await worker.waitForOutput(/Ready on/, 90_000);
  for (let i = 0; i < 120; i++) {
    const status = await workerRequest('GET', '/login').then((r) => r.status, () => 0);
    if (status === 200) return;
    await sleep(500);
  }
  throw new Error('wrangler dev did not answer /login');
}

/** Every telemetry batch the Worker acknowledged, by batch id (the first body seen). */
const acknowledged = new Map();
let telemetryPosts = 0;
let refusedPosts = 0;
let edgeCut = false;
let edgeResets = 0;
/** Set to a function to run when the next telemetry request arrives (the mid-batch kill). */
let onNextTelemetry = null;
const proxyPort = await freePort();
const proxy = http.createServer((req, res) => {
  if (edgeCut) {
    edgeResets++;
    req.socket.destroy();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const isTelemetry = req.method === 'POST' && req.url === '/api/agent/v1/telemetry';
    if (isTelemetry) {
      telemetryPosts++;
      if (onNextTelemetry) {
        const hook = onNextTelemetry;
        onNextTelemetry = null;
        hook();
      }
    }
    const upstream = http.request({ host: '127.0.0.1', port: workerPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const parts = [];
      answer.on('data', (c) => parts.push(c));
      answer.on('end', () => {
        if (isTelemetry && answer.statusCode >= 200 && answer.statusCode < 300) recordBatch(req.headers, body);
        else if (isTelemetry) refusedPosts++;
        if (!res.destroyed) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(parts));
        }
      });
    });
    upstream.on('error', () => {
      if (isTelemetry) refusedPosts++;
      if (!res.destroyed) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"bad_gateway","message":"The Worker is not answering."}}');
      }
    });
    upstream.end(body);
  });
});
await new Promise((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));

function recordBatch(headers, body) {
  const raw = headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(body) : body;
  const batch = JSON.parse(raw.toString('utf8'));
  if (!acknowledged.has(batch.batch_id)) acknowledged.set(batch.batch_id, { batch, headers, body });
}

// --- The simulator and the real agent -------------------------------------------------------------
const stateDir = path.join(persistDir, 'agent');
mkdirSync(stateDir, { recursive: true, mode: 0o700 });
writeFileSync(
  path.join(stateDir, 'agent.json'),
  `${JSON.stringify({ api: `http://localhost:${proxyPort}`, agent_id: 'g0000000-0000-4000-8000-000000000001', site_id: host.site.id, token: demoAgentToken(host), registered_at: new Date().toISOString() }, null, 2)}\n`,
  { mode: 0o600 },
);
chmodSync(path.join(stateDir, 'agent.json'), 0o600);
const arpFile = path.join(stateDir, 'simulated-arp');
// An hour and a bit behind, rounded so the drill starts four minutes before an hour ends (agent time).
const now0 = Date.now();
const agentStart = Math.floor(now0 / HOUR_MS) * HOUR_MS - HOUR_MS - 4 * 60_000;
const clockOffsetMs = now0 - agentStart;

let agent = null;
const startAgent = () => {
  agent = startProcess(
    process.execPath,
    ['--import', path.join(ROOT, 'scripts', 'drill-clock.mjs'), path.join(ROOT, 'agent', 'cli.mjs'), '--api', `http://localhost:${proxyPort}`, '--state', stateDir, '--arp-file', arpFile, '--interval', String(INTERVAL_S), '--retry-max-ms', '5000'],
    { label: 'agent', env: { ...process.env, DRILL_CLOCK_OFFSET_MS: String(clockOffsetMs) } },
  );
};

let simulator = null;
const stopAll = async () => {
  proxy.close();
  await Promise.all([agent?.stop(), simulator?.stop(), worker?.stop()]);
  if (!args.keep) rmSync(persistDir, { recursive: true, force: true });
};
process.on('SIGINT', () => stopAll().then(() => process.exit(130)));

const failures = [];
try {
  await startWorker();
  say(`wrangler dev on :${workerPort}, the agent reaches it through the drill's proxy on :${proxyPort}`);
  simulator = startProcess(process.execPath, [path.join(ROOT, 'agent', 'simulator.mjs'), '--count', String(UNITS), '--base', host.fleet.base, '--scenario', 'overheat:3,lowhash:3', '--arp-file', arpFile], { label: 'simulator' });
  await simulator.waitForOutput(/ready/, 60_000);
  startAgent();
  await agent.waitForOutput(/health: /, 120_000);
  say(`agent and ${UNITS} simulated miners running; agent clock ${Math.round(clockOffsetMs / 60_000)} min behind`);
  await sleep(2 * INTERVAL_S * 1000);

  // 1. Cut the edge.
  say(`fault 1: the edge is cut for ${OUTAGE_MS / 1000} s (connections reset); the agent spools`);
  edgeCut = true;
  await sleep(OUTAGE_MS);
  edgeCut = false;
  say('edge restored');
  await sleep(INTERVAL_S * 1000);

  // 2. Evict every Durable Object mid-stream: restart the Worker on the same state.
  say('fault 2: the site\'s Durable Object is evicted mid-stream (wrangler dev restarted on the same state)');
  await worker.stop();
  await startWorker();
  say('Worker back');
  await sleep(INTERVAL_S * 1000);

  // 3. Kill the agent while a batch is in flight, then restart it.
  say('fault 3: the agent is killed (SIGKILL) while a batch is in flight');
  const killed = new Promise((resolve) => {
    onNextTelemetry = () => {
      process.kill(-agent.child.pid, 'SIGKILL');
      resolve();
    };
  });
  await killed;
  await sleep(1000);
  startAgent();
  await agent.waitForOutput(/health: /, 120_000);
  say('agent restarted (it replays its spool, the killed batch included)');

  // Settle: the spool drains, then the alarm closes buckets and rolls hours up to D1.
  for (let i = 0; i < 40; i++) {
    const last = agent.logs().split('\n').filter((l) => l.includes('health: ')).pop() ?? '';
    if (/spool 0\b/.test(last)) break;
    await sleep(3000);
  }
  await sleep(INTERVAL_S * 1000);

  // 4. Redeliver already acknowledged batches straight to the Worker.
  const replays = [...acknowledged.values()].slice(0, 3);
  let replayAnswers = 0;
  for (const { headers, body } of replays) {
    const answer = await workerRequest(
      'POST',
      '/api/agent/v1/telemetry',
      { authorization: headers.authorization, 'content-type': headers['content-type'], ...(headers['content-encoding'] ? { 'content-encoding': headers['content-encoding'] } : {}) },
      body,
    );
    if (answer.status === 200 && answer.body.includes('"duplicate":true')) replayAnswers++;
  }
  say(`fault 4: ${replays.length} acknowledged batches delivered again; ${replayAnswers} answered as duplicates`);
  if (replayAnswers !== replays.length) failures.push(`redelivered batches not recognised as duplicates: ${replays.length - replayAnswers}`);

  await agent.stop();
  say('agent stopped; waiting for the site\'s alarm to close every bucket and hour (about 2 minutes)');
  await sleep(130_000);

  // --- Compare ------------------------------------------------------------------------------------
  const d1File = findSqlite(path.join(persistDir, 'v3', 'd1'), (file) => sqlite(file, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'usage_hourly'")[0]?.n === 1);
  const doFiles = findAllSqlite(path.join(persistDir, 'v3', 'do')).filter((file) => sqlite(file, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'history'")[0]?.n === 1);
  if (!d1File) throw new Error('the local D1 file was not found');

  const macOf = new Map(sqlite(d1File, `SELECT id, mac FROM miners WHERE site_id = '${host.site.id}' AND mac IS NOT NULL`).map((r) => [r.id, r.mac]));

  // Ground truth: the samples the agent sent (each batch once), per MAC, in time order.
  const samplesByMac = new Map();
  let sent = 0;
  const seenSample = new Set();
  for (const { batch } of acknowledged.values()) {
    for (const m of batch.miners) {
      if (!m.mac) continue;
      const t = Date.parse(m.sampled_at);
      const key = `${m.mac}|${t}`;
      if (seenSample.has(key)) continue;
      seenSample.add(key);
      sent++;
      if (!samplesByMac.has(m.mac)) samplesByMac.set(m.mac, []);
      samplesByMac.get(m.mac).push({ t, powerW: typeof m.power_w === 'number' ? m.power_w : null, hashrate: typeof m.hashrate_ths === 'number' });
    }
  }
  const expectedWh = new Map(); // mac|hour -> float Wh (only from measured power)
  const expectedBucketSamples = new Map(); // mac|bucket -> samples with a hashrate
  const unmeasured = new Set();
  for (const [mac, samples] of samplesByMac) {
    samples.sort((a, b) => a.t - b.t);
    for (const s of samples) if (s.hashrate) expectedBucketSamples.set(`${mac}|${Math.floor(s.t / BUCKET_MS) * BUCKET_MS}`, (expectedBucketSamples.get(`${mac}|${Math.floor(s.t / BUCKET_MS) * BUCKET_MS}`) ?? 0) + 1);
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1];
      const b = samples[i];
      if (b.t - a.t > MAX_GAP_MS) continue;
      if (a.powerW === null) {
        unmeasured.add(mac);
        continue;
      }
      for (let cursor = a.t; cursor < b.t; ) {
        const hour = Math.floor(cursor / HOUR_MS) * HOUR_MS;
        const until = Math.min(b.t, hour + HOUR_MS);
        expectedWh.set(`${mac}|${hour}`, (expectedWh.get(`${mac}|${hour}`) ?? 0) + (a.powerW * (until - cursor)) / HOUR_MS);
        cursor = until;
      }
    }
  }

  // What the Worker stored: closed 5-minute buckets (the object's SQLite), hours (D1 usage_hourly), live state (D1 + API).
  const storedBucketSamples = new Map();
  for (const file of doFiles) {
    for (const row of sqlite(file, 'SELECT miner_id, bucket, hashrate_n FROM history')) {
      const mac = macOf.get(row.miner_id);
      if (mac) storedBucketSamples.set(`${mac}|${row.bucket}`, (storedBucketSamples.get(`${mac}|${row.bucket}`) ?? 0) + row.hashrate_n);
    }
  }
  let stored = 0;
  let lost = 0;
  let extra = 0;
  for (const [key, n] of expectedBucketSamples) {
    const got = storedBucketSamples.get(key) ?? 0;
    stored += Math.min(got, n);
    if (got < n) lost += n - got;
    if (got > n) extra += got - n;
  }
  for (const [key, got] of storedBucketSamples) if (!expectedBucketSamples.has(key)) extra += got;

  const storedWh = new Map();
  for (const row of sqlite(d1File, `SELECT miner_id, hour_start, energy_wh FROM usage_hourly WHERE site_id = '${host.site.id}'`)) {
    const mac = macOf.get(row.miner_id);
    if (mac) storedWh.set(`${mac}|${row.hour_start}`, row.energy_wh);
  }
  const whDiffs = [];
  let whCompared = 0;
  for (const [key, wh] of expectedWh) {
    const [mac] = key.split('|');
    if (unmeasured.has(mac)) continue;
    whCompared++;
    const got = storedWh.get(key);
    if (got !== roundWh(wh)) whDiffs.push(`${key.replace('|', ' hour ')}: expected ${roundWh(wh)} Wh, stored ${got ?? 'nothing'}`);
  }
  let expectedTotal = 0;
  let storedTotal = 0;
  const worstByUnit = new Map();
  for (const [key, wh] of expectedWh) {
    const [mac] = key.split('|');
    if (unmeasured.has(mac)) continue;
    expectedTotal += roundWh(wh);
    const got = storedWh.get(key) ?? 0;
    storedTotal += got;
    worstByUnit.set(mac, Math.max(worstByUnit.get(mac) ?? 0, Math.abs(got - roundWh(wh))));
  }
  const maxDiff = Math.max(0, ...worstByUnit.values());

  // Live state: each unit's last report is the last sample the agent sent for it.
  let liveMismatch = 0;
  let liveChecked = 0;
  const apiKey = host.apiKey;
  let cursor = null;
  do {
    const res = await workerRequest('GET', `/api/v1/miners?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { Authorization: `Bearer ${apiKey}` });
    const page = JSON.parse(res.body);
    for (const m of page.data ?? []) {
      const samples = m.mac ? samplesByMac.get(m.mac) : null;
      if (!samples?.length) continue;
      liveChecked++;
      const last = samples[samples.length - 1].t;
      if (!m.live || Date.parse(m.live.last_seen_at) !== last) liveMismatch++;
    }
    cursor = page.next_cursor;
  } while (cursor);

  const dupEmails = sqlite(d1File, 'SELECT count(*) - count(DISTINCT to_email || char(31) || template || char(31) || payload) AS d, count(*) AS n FROM email_outbox')[0];

  const lines = [
    '',
    '── Fault drill ─────────────────────────────────────────────────',
    ` units simulated              ${UNITS} (${samplesByMac.size} reported by MAC)`,
    ` faults                       edge cut ${OUTAGE_MS / 1000} s · Durable Object evicted (Worker restart) · agent SIGKILLed mid-batch · ${replays.length} batches redelivered`,
    ` telemetry posts              ${telemetryPosts} reached the Worker (${refusedPosts} not acknowledged), ${edgeResets} requests reset while the edge was cut; ${acknowledged.size} distinct batches acknowledged`,
    ` samples sent                 ${sent}`,
    ` samples stored (5-min hist.) ${stored}${extra ? ` (+${extra} counted twice)` : ''}`,
    ` samples lost                 ${lost}`,
    ` live state                   ${liveChecked - liveMismatch}/${liveChecked} units show their last sent sample`,
    ` hourly Wh (usage_hourly)     ${whCompared} unit-hours of ${worstByUnit.size} units with measured power: expected ${expectedTotal} Wh, stored ${storedTotal} Wh`,
    ` Wh difference per unit       max ${maxDiff} Wh (units with any difference: ${[...worstByUnit.values()].filter((d) => d > 0).length})`,
    ` not compared                 ${unmeasured.size} units reporting no power (their energy is spec or unknown, not a measurement)`,
    ` emails                       ${dupEmails.n} in the outbox, ${dupEmails.d} duplicates`,
    '────────────────────────────────────────────────────────────────',
  ];
  if (lost !== 0) failures.push(`${lost} samples lost`);
  if (extra !== 0) failures.push(`${extra} samples counted twice`);
  if (whDiffs.length) failures.push(`Wh differs for ${whDiffs.length} unit-hours:\n   ${whDiffs.slice(0, 10).join('\n   ')}`);
  if (whCompared === 0) failures.push('no closed hour to compare');
  if (liveMismatch) failures.push(`${liveMismatch} units' live state is not their last sample`);
  if (dupEmails.d !== 0) failures.push(`${dupEmails.d} duplicate emails`);
  if (sent === 0) failures.push('nothing was sent');
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (error) {
  failures.push(`the drill could not run: ${error.stack ?? error}`);
  process.stdout.write(`\nworker log tail:\n${worker?.logs().slice(-3000) ?? ''}\nagent log tail:\n${agent?.logs().slice(-3000) ?? ''}\n`);
} finally {
  await stopAll();
}
if (failures.length) {
  process.stdout.write(`\nGUARANTEES FAILED:\n - ${failures.join('\n - ')}\n`);
  process.exit(1);
}
process.stdout.write('\nAll guarantees held: 0 samples lost, 0 Wh difference, 0 duplicate emails.\n');
process.exit(0);

/** A request to the Worker itself (not through the proxy), as the platform host (APP_HOST=localhost). */
function workerRequest(method, pathname, headers = {}, body = undefined) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: workerPort, method, path: pathname, headers: { ...headers, Host: `localhost:${workerPort}` }, timeout: 30_000 }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

// --- sqlite3 on the local state (read-only) ------------------------------------------------------
function sqlite(file, query) {
  // The Worker may be writing (WAL): a busy database is retried.
  let result;
  for (let attempt = 0; attempt < 5; attempt++) {
    result = spawnSync('sqlite3', ['-readonly', '-json', '-cmd', '.timeout 5000', file, query], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (result.status === 0) return result.stdout.trim() ? JSON.parse(result.stdout) : [];
    spawnSync('sleep', ['1']);
  }
  throw new Error(`sqlite3 ${file} (${query.slice(0, 60)}…): exit ${result.status} ${result.error?.message ?? ''} ${result.stderr}`);
}
function findAllSqlite(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((name) => path.join(dir, String(name)))
    .filter((file) => file.endsWith('.sqlite') && !file.endsWith('metadata.sqlite'));
}
function findSqlite(dir, test) {
  return findAllSqlite(dir).find(test) ?? null;
}
