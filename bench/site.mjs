// One site of 50,000 units reporting every 60 s, through local workerd (wrangler dev) with real D1
// and the site's SiteState Durable Object (DESIGN.md §10: ingest and the minute alarm use a small
// share of the minute; memory well under the 128 MB isolate limit, else shard the site).
// Printed, not asserted.
//
// Time is compressed: simulated minute k carries samples taken at start + k·60 s (the last minute
// ends about now), posted as ten 5,000-unit batches through POST /api/agent/v1/telemetry (gzip,
// as the agent sends them), then the object's alarm is run at the end of that simulated minute
// through the dev-only /dev/bench/site-alarm, which times each alarm step inside the object. Each
// bench alarm re-arms the real one a wall-clock minute ahead, so the real alarm does not fire in
// between. Minute 1 is first contact (every unit looked up in D1); after it, odd minutes measure
// ingest alone (workerd's CPU from /proc) and even minutes also request the fleet and portal pages
// over and over while the batches and the alarm run.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { hashPassword } from '../scripts/demo-data.mjs';
import { signIn } from './fleet.mjs';
import { loadAverage, median, startWorker, workerdCpuMs, workerdPids, workerdRssBytes } from './lib.mjs';

const UNITS = Number(process.env.BENCH_SITE_UNITS ?? 50_000);
const MINUTES = Math.max(3, Number(process.env.BENCH_SITE_MINUTES ?? 10));
const BATCH = Number(process.env.BENCH_SITE_BATCH ?? 5_000);
const CUSTOMERS = Number(process.env.BENCH_SITE_CUSTOMERS ?? 50);
/**
 * SiteState objects serving the site (sites.live_shards): what equipment writes would have grown it
 * to, ceil(units / 12,500) (UNITS_PER_SHARD in src/live/shard.ts); BENCH_SITE_SHARDS=1 measures
 * one object holding every unit, as before sharding.
 */
const SHARDS = Math.max(1, Number(process.env.BENCH_SITE_SHARDS ?? Math.ceil(UNITS / 12_500)));
const TOKEN = `hya_${'s'.repeat(43)}`;
const HOST_SLUG = 'bench-site';
const STAFF = { email: 'site-owner@example.com', password: 'bench-password' };
const MEMBER = { email: 'site-member@example.com', password: 'bench-member-password' };
const SITE_ID = 'bench-site';
const MINUTE_MS = 60_000;
/** A page request still unanswered after this is given up (and reported), so one stuck page cannot stop the run. */
const PAGE_TIMEOUT_MS = 120_000;

/** Inventory in SQL: one host, its owner, one site and agent, CUSTOMERS customers sharing the units round-robin, a portal member of the first. */
function seedSql() {
  const now = Date.now();
  const tokenHash = createHash('sha256').update(TOKEN).digest('hex');
  return `${[
    `INSERT INTO hosts (id, name, main_slug, host_slug, default_currency, timezone, created_at, updated_at) VALUES ('bench-host', 'Bench Site Host', 'bench-site-main', '${HOST_SLUG}', 'USD', 'UTC', ${now}, ${now});`,
    `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ('bench-user', '${STAFF.email}', 'Bench Owner', '${hashPassword(STAFF.password)}', ${now}, ${now});`,
    `INSERT INTO host_users (host_id, user_id, role, created_at) VALUES ('bench-host', 'bench-user', 'owner', ${now});`,
    `INSERT INTO sites (id, host_id, name, timezone, live_shards, created_at, updated_at) VALUES ('${SITE_ID}', 'bench-host', 'Bench Site', 'UTC', ${SHARDS}, ${now}, ${now});`,
    `INSERT INTO agents (id, host_id, site_id, name, token_hash, registered_at, created_at) VALUES ('bench-agent', 'bench-host', '${SITE_ID}', 'Bench agent', '${tokenHash}', ${now}, ${now});`,
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${CUSTOMERS})
     INSERT INTO customers (id, host_id, name, sort_name, contact_email, active, portal_access, created_at, updated_at)
     SELECT printf('site-customer-%04d', i), 'bench-host', printf('Site Customer %04d', i), printf('site customer %04d', i), printf('c%d@example.com', i), 1, 1, ${now}, ${now} FROM n;`,
    `INSERT INTO customer_users (id, host_id, customer_id, email, name, password_hash, role, session_version, created_at, updated_at) VALUES ('bench-member', 'bench-host', 'site-customer-0000', '${MEMBER.email}', 'Site Member', '${hashPassword(MEMBER.password)}', 'owner', 1, ${now}, ${now});`,
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${UNITS})
     INSERT INTO miners (id, host_id, site_id, customer_id, mac, serial, ip, vendor, model, nominal_hashrate_mths, nominal_power_w, rack_location, status, created_at, updated_at)
     SELECT printf('site-m-%06d', i), 'bench-host', '${SITE_ID}', printf('site-customer-%04d', i % ${CUSTOMERS}),
       printf('02:b5:00:%02x:%02x:%02x', i >> 16, (i >> 8) & 255, i & 255), printf('SITE%06d', i), printf('10.%d.%d.%d', 40 + (i >> 16), (i >> 8) & 255, i & 255),
       'Bitmain', 'Antminer S19 Pro', 110000, 3250, printf('Row %d, slot %d', 1 + (i >> 6), 1 + (i & 63)), 'assigned', ${now} - i, ${now} - i FROM n;`,
  ].join('\n')}\n`;
}

const hex = (n) => n.toString(16).padStart(2, '0');

/** Units [from, to) as sampled at `at`: values vary by unit and minute, as a live fleet's do. */
function batch(from, to, at, minute) {
  const sampled = new Date(at).toISOString();
  const miners = [];
  for (let m = from; m < to; m++) {
    const share = Math.min(1, 0.7 + ((m * 37 + minute) % 31) / 100);
    miners.push({
      mac: `02:b5:00:${hex(m >> 16)}:${hex((m >> 8) & 255)}:${hex(m & 255)}`,
      serial: `SITE${String(m).padStart(6, '0')}`,
      ip: `10.${40 + (m >> 16)}.${(m >> 8) & 255}.${m & 255}`,
      vendor: 'Bitmain',
      model: 'Antminer S19 Pro',
      firmware: '49.0.1.3',
      sampled_at: sampled,
      state: 'mining',
      hashrate_ths: Math.round(110 * share * 1000) / 1000,
      hashrate_avg_ths: 104.5,
      expected_hashrate_ths: 110,
      board_temps_c: [60 + (m % 9), 61 + (m % 7), 62 + (m % 5)],
      chip_temps_c: [70 + (m % 11), 71 + (m % 9), 72 + (m % 7)],
      fans_rpm: [5400, 5460],
      power_w: Math.round(3250 * share),
      power_source: 'miner',
      pool_url: 'stratum+tcp://pool.example:3333',
      pool_user: `acct.w${m}`,
      uptime_s: 86_400 + minute * 60,
      errors: [],
    });
  }
  return { batch_id: crypto.randomUUID(), sent_at: sampled, miners };
}

/**
 * The Worker isolate's V8 heap (the object lives in it under wrangler dev), through the DevTools
 * protocol on wrangler's inspector port; null when it cannot be read.
 */
async function isolateHeap(inspectorPort) {
  let socket;
  try {
    const { default: WebSocket } = await import('ws');
    const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(5_000) })).json();
    const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
    if (!url) throw new Error('no inspector target');
    socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error('inspector: no connection')), 10_000).unref();
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    let next = 0;
    const ask = (method) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        setTimeout(() => reject(new Error(`${method}: no answer`)), 30_000).unref();
        const onMessage = (data) => {
          const message = JSON.parse(String(data));
          if (message.id !== id) return;
          socket.off('message', onMessage);
          resolve(message.result);
        };
        socket.on('message', onMessage);
        socket.send(JSON.stringify({ id, method }));
      });
    // A full GC first when the inspector manages it in time (under load it may not): the used
    // size is then live data, not garbage awaiting collection.
    await ask('HeapProfiler.collectGarbage').catch(() => undefined);
    const usage = await ask('Runtime.getHeapUsage');
    return usage ? { usedBytes: usage.usedSize, totalBytes: usage.totalSize } : null;
  } catch (error) {
    console.log(`  (isolate heap not read: ${error.message})`);
    return null;
  } finally {
    socket?.terminate();
  }
}

// ---------------------------------------------------------------------------------------------

const mb = (bytes) => (bytes === null || bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
const ms = (n) => `${n.toFixed(0)} ms`;
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0, count: sorted.length };
};
const line = (label, text) => console.log(`${label.padEnd(52)} ${text}`);

export async function benchSite() {
  const batches = Math.ceil(UNITS / BATCH);
  console.log(`\nsite: seeding ${UNITS.toLocaleString('en-US')} units (${CUSTOMERS} customers, ${SHARDS} live shard${SHARDS === 1 ? '' : 's'}) into a fresh local D1… (load average ${loadAverage()})`);
  const worker = await startWorker(seedSql());
  const { origin } = worker;
  try {
    const pids = workerdPids(worker.pid);
    console.log(`  wrangler dev up (workerd pids ${pids.join(', ')}); building ${MINUTES * batches} gzip bodies…`);
    // The simulated minutes straddle an hour boundary (within the last 24 hours an agent may
    // report), so the run includes the hourly usage roll-up of every unit.
    const HOUR_MS = 3_600_000;
    let boundary = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    if (boundary + Math.ceil(MINUTES / 2) * MINUTE_MS > Date.now()) boundary -= HOUR_MS;
    const start = boundary - Math.floor(MINUTES / 2) * MINUTE_MS;
    const minuteAt = (k) => start + k * MINUTE_MS;
    // Bodies are built and compressed before anything is timed: the figures are the Worker's.
    const bodies = [];
    for (let k = 0; k < MINUTES; k++) {
      bodies.push(Array.from({ length: batches }, (_, b) => gzipSync(JSON.stringify(batch(b * BATCH, Math.min(UNITS, (b + 1) * BATCH), minuteAt(k) + b * 1_000, k)))));
    }
    const post = async (body) => {
      const res = await fetch(`${origin}/api/agent/v1/telemetry`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Authorization: `Bearer ${TOKEN}` },
        body,
      });
      const result = await res.json();
      if (!res.ok || result.miners_accepted !== Math.min(BATCH, UNITS)) throw new Error(`telemetry: ${res.status} ${JSON.stringify(result).slice(0, 300)}`);
    };
    const dev = async (path, body) => {
      const res = await fetch(`${origin}/dev/bench/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`/dev/bench/${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
      return res.json();
    };

    const staff = await signIn(`${origin}/login`, origin, STAFF, '__Host-hy_staff');
    const portalBase = `${origin}/host/${HOST_SLUG}`;
    const member = await signIn(`${portalBase}/auth`, origin, MEMBER, '__Host-hy_portal');
    const get = async (url, cookie, expect) => {
      const res = await fetch(url, { headers: { Cookie: cookie }, redirect: 'manual', signal: AbortSignal.timeout(PAGE_TIMEOUT_MS) });
      const html = await res.text();
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      if (!html.includes(expect)) throw new Error(`${url} does not show ${JSON.stringify(expect)}`);
    };
    const perCustomer = Math.ceil(UNITS / CUSTOMERS);
    const pages = [
      ['fleet page (/admin/equipment, first page)', () => get(`${origin}/admin/equipment?sort=serial&view=table`, staff, 'SITE000000')],
      ['portal dashboard', () => get(portalBase, member, 'miners')],
      ['portal Equipment (page + chart)', () => get(`${portalBase}/equipment`, member, 'fleet-chart')],
    ];
    const pageTimes = new Map(pages.map(([label]) => [label, []]));
    const pageTimeouts = [];
    const timePage = async ([label, run], minute) => {
      const t = performance.now();
      try {
        await run();
      } catch (error) {
        if (error.name !== 'TimeoutError') throw error;
        pageTimeouts.push(`${label} (minute ${minute + 1})`);
      }
      pageTimes.get(label).push(performance.now() - t);
    };

    const heapBefore = (await isolateHeap(worker.inspector)) ?? (await isolateHeap(worker.inspector));
    const rssBefore = workerdRssBytes(pids);
    const firstMinute = { wallMs: 0, cpuMs: 0, slowestMs: 0 };
    const ingestMinutes = []; // { wallMs, cpuMs } of minutes without page traffic
    const ingestRequests = [];
    const alarms = []; // { totalMs (the slowest shard's), steps, cpuMs, wallMs, shards: [{ totalMs, steps }] }
    let pagesRunning = false;

    const wallStart = performance.now();
    for (let k = 0; k < MINUTES; k++) {
      const withPages = k % 2 === 1;
      let prober = Promise.resolve();
      if (withPages) {
        pagesRunning = true;
        prober = (async () => {
          for (let i = 0; pagesRunning; i++) await timePage(pages[i % pages.length], k);
        })();
      }
      const cpu0 = workerdCpuMs(pids);
      const t0 = performance.now();
      for (const body of bodies[k]) {
        const t = performance.now();
        await post(body);
        const took = performance.now() - t;
        if (k === 0) firstMinute.slowestMs = Math.max(firstMinute.slowestMs, took);
        else ingestRequests.push(took);
      }
      const wallMs = performance.now() - t0;
      const cpuMs = workerdCpuMs(pids) - cpu0;
      if (k === 0) Object.assign(firstMinute, { wallMs, cpuMs });
      else if (!withPages) ingestMinutes.push({ wallMs, cpuMs });
      const a0 = performance.now();
      // Every shard's alarm at the end of the minute, one after another: wrangler dev runs every
      // object in one isolate, so four alarms at once (the hourly roll-up above all) measure that
      // shared isolate, not a shard (a first run restarted the Worker at the hourly minute).
      const shardAlarms = [];
      for (let shard = 0; shard < SHARDS; shard++) shardAlarms.push(await dev('site-alarm', { siteId: SITE_ID, shard, now: minuteAt(k) + MINUTE_MS - 1 }));
      const alarm = shardAlarms.reduce((slowest, a) => (a.totalMs > slowest.totalMs ? a : slowest));
      alarms.push({ ...alarm, shards: shardAlarms, wallMs: performance.now() - a0, cpuMs: workerdCpuMs(pids) - cpu0 - cpuMs, withPages });
      pagesRunning = false;
      await prober;
      process.stdout.write(`  minute ${k + 1}/${MINUTES}: ten batches ${ms(wallMs)}, alarm ${ms(alarm.totalMs)}${withPages ? ' (pages running)' : ''}\n`);
    }
    const runSeconds = (performance.now() - wallStart) / 1000;

    const rssAfter = workerdRssBytes(pids);
    const heapAfter = await isolateHeap(worker.inspector);
    const perShard = [];
    for (let shard = 0; shard < SHARDS; shard++) perShard.push(await dev('site-figures', { siteId: SITE_ID, shard }));
    const figures = {
      miners: perShard.reduce((sum, f) => sum + f.miners, 0),
      checkpointMs: Math.max(...perShard.map((f) => f.checkpointMs)),
      reloadMs: Math.max(...perShard.map((f) => f.reloadMs)),
      stateJsonBytes: perShard.reduce((sum, f) => sum + f.stateJsonBytes, 0),
      databaseBytes: perShard.reduce((sum, f) => sum + f.databaseBytes, 0),
    };
    const heapReloaded = await isolateHeap(worker.inspector);
    const idle = new Map();
    for (const page of pages) idle.set(page[0], await median(page[1], { samples: 10, warmup: 1 }));
    const trivial = await median(() => fetch(`${origin}/login`).then((r) => r.text()), { samples: 10, warmup: 1 });

    const steadyCpu = stats(ingestMinutes.map((m) => m.cpuMs));
    const steadyWall = stats(ingestMinutes.map((m) => m.wallMs));
    const steadyAlarms = alarms.slice(1);
    const alarmTotal = stats(steadyAlarms.map((a) => a.totalMs));
    const alarmTx = stats(steadyAlarms.map((a) => a.steps.transaction));
    const alarmCpu = stats(steadyAlarms.map((a) => a.cpuMs));
    const requests = stats(ingestRequests);
    const pct = (part) => `${((100 * part) / MINUTE_MS).toFixed(1)}% of the minute`;

    console.log(
      `\nsite: ${UNITS.toLocaleString('en-US')} units, ${batches} batches of ${BATCH.toLocaleString('en-US')} per simulated minute, ${MINUTES} simulated minutes in ${runSeconds.toFixed(0)} s (compressed time; load average ${loadAverage()})`,
    );
    line('ingest CPU per minute (workerd, steady minutes)', `${ms(steadyCpu.median)} median, ${ms(steadyCpu.max)} max = ${pct(steadyCpu.median)} (max ${pct(steadyCpu.max)}), n=${steadyCpu.count}`);
    line('ingest wall time per minute (ten POSTs in turn)', `${ms(steadyWall.median)} median, ${ms(steadyWall.max)} max = ${pct(steadyWall.median)}`);
    line('first minute (every unit looked up in D1)', `${ms(firstMinute.wallMs)} wall, ${ms(firstMinute.cpuMs)} CPU, slowest POST ${ms(firstMinute.slowestMs)}`);
    line('slowest single ingest POST (steady minutes)', `${ms(requests.max)} (median ${ms(requests.median)}, n=${requests.count})`);
    line('alarm, inside the object (minutes 2+)', `${ms(alarmTotal.median)} median, ${ms(alarmTotal.max)} max; first alarm ${ms(alarms[0].totalMs)}`);
    line('  of which the transaction (checkpoint included)', `${ms(alarmTx.median)} median, ${ms(alarmTx.max)} max`);
    line('  steps, median: refresh / d1 / prune', ['refresh', 'd1', 'prune'].map((s) => ms(stats(steadyAlarms.map((a) => a.steps[s])).median)).join(' / '));
    line('alarm CPU (workerd) / wall time through /dev', `${ms(alarmCpu.median)} median, ${ms(alarmCpu.max)} max / ${ms(stats(steadyAlarms.map((a) => a.wallMs)).median)} median`);
    if (SHARDS > 1) {
      // Each shard's own figures: the alarm's median and max over minutes 2+, the hourly one among them.
      for (let shard = 0; shard < SHARDS; shard++) {
        const own = stats(steadyAlarms.map((a) => a.shards[shard].totalMs));
        const tx = stats(steadyAlarms.map((a) => a.shards[shard].steps.transaction));
        const f = perShard[shard];
        line(
          `  shard ${shard}: ${f.miners.toLocaleString('en-US')} units`,
          `alarm ${ms(own.median)} median, ${ms(own.max)} max (tx ${ms(tx.median)} / ${ms(tx.max)}); first ${ms(alarms[0].shards[shard].totalMs)}; checkpoint ${ms(f.checkpointMs)}; reload ${ms(f.reloadMs)}; state ${mb(f.stateJsonBytes)}; storage ${mb(f.databaseBytes)}`,
        );
      }
      line('  (alarm rows above: the slowest shard each minute; checkpoint, reload: the slowest shard; sizes: all shards)', '');
    }
    line('checkpoint of every unit, alone', ms(figures.checkpointMs));
    line('reload after eviction (snapshot + journal)', ms(figures.reloadMs));
    line('state as JSON (lower bound of its memory)', `${mb(figures.stateJsonBytes)} (${figures.miners.toLocaleString('en-US')} units, ${(figures.stateJsonBytes / Math.max(1, figures.miners)).toFixed(0)} B each)`);
    line('isolate V8 heap used: before / after / reloaded', `${mb(heapBefore?.usedBytes)} / ${mb(heapAfter?.usedBytes)} / ${mb(heapReloaded?.usedBytes)} (after GC)`);
    if (SHARDS > 1 && heapBefore && heapAfter) {
      // wrangler dev runs every object of the class in one isolate: a shard's share is the growth over the shards.
      line('  per shard (growth / shards)', mb((heapAfter.usedBytes - heapBefore.usedBytes) / SHARDS));
    }
    line('workerd RSS: before / after', `${mb(rssBefore)} / ${mb(rssAfter)}`);
    line('object storage (ctx.storage.sql.databaseSize)', mb(figures.databaseBytes));
    for (const [label] of pages) {
      const during = stats(pageTimes.get(label));
      line(`${label}`, `during ingest ${ms(during.median)} median, ${ms(during.max)} max (n=${during.count}); idle ${ms(idle.get(label))}`);
    }
    line('trivial page (/login), idle', ms(trivial));
    if (pageTimeouts.length > 0) line(`pages given up after ${PAGE_TIMEOUT_MS / 1000} s (counted at that)`, pageTimeouts.join(', '));
    const slowestPage = Math.max(...[...pageTimes.values()].flat());
    line('slowest single request (ingest or page, steady minutes)', ms(Math.max(requests.max, slowestPage)));
    console.log(`(${perCustomer.toLocaleString('en-US')} units per customer; the portal member's customer has ${perCustomer.toLocaleString('en-US')})`);
  } finally {
    worker.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSite();
