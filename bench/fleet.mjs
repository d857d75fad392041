// The fleet views at 1,000 miners against a trivial page, through local workerd (wrangler dev)
// with real D1 and the site's SiteState Durable Object: median latencies and ratios measured in
// this one run (DESIGN.md §10 budget: within 3× a trivial page). Printed, not asserted.
//
// Seeded in SQL: one host (with a host slug), its owner, one site and its agent (a pre-registered
// token, as bench/ingest.mjs does), one customer owning every miner, and a portal member of that
// customer. A day of telemetry batches for all the miners (one per 5 minutes, then one now) goes
// through POST /api/agent/v1/telemetry, so every page below reads real live state and the charts
// sum a full day of history from the object.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { hashPassword } from '../scripts/demo-data.mjs';
import { devProxyPids, interleavedMedians, loadAverage, median, row, startWorker, workerdCpuMs, workerdPids } from './lib.mjs';

const MINERS = Number(process.env.BENCH_FLEET_MINERS ?? 1000);
const SAMPLES = Number(process.env.BENCH_FLEET_SAMPLES ?? process.env.BENCH_SAMPLES ?? 60);
const HISTORY_HOURS = Number(process.env.BENCH_FLEET_HISTORY_HOURS ?? 24);
const TOKEN = `hya_${'f'.repeat(43)}`;
const HOST_SLUG = 'bench-fleet';
const STAFF = { email: 'fleet-owner@example.com', password: 'bench-password' };
const MEMBER = { email: 'fleet-member@example.com', password: 'bench-member-password' };

const MODELS = [
  { vendor: 'Bitmain', model: 'Antminer S19 Pro', ths: 110, watts: 3250 },
  { vendor: 'MicroBT', model: 'Whatsminer M30S', ths: 86, watts: 3230 },
  { vendor: 'Canaan', model: 'AvalonMiner 1246', ths: 90, watts: 3420 },
];

const pad = (n, width) => String(n).padStart(width, '0');
const minerOf = (m) => {
  const spec = MODELS[m % MODELS.length];
  return {
    id: `bench-m-${pad(m, 6)}`,
    mac: `02:b4:00:00:${pad((m >> 8).toString(16), 2)}:${pad((m & 255).toString(16), 2)}`,
    serial: `FLEET${pad(m, 6)}`,
    ip: `10.30.${m >> 8}.${m & 255}`,
    ...spec,
  };
};

function seedSql() {
  const now = Date.now();
  const tokenHash = createHash('sha256').update(TOKEN).digest('hex');
  const lines = [
    `INSERT INTO hosts (id, name, main_slug, host_slug, default_currency, timezone, created_at, updated_at) VALUES ('bench-host', 'Bench Fleet Host', 'bench-fleet-main', '${HOST_SLUG}', 'USD', 'UTC', ${now}, ${now});`,
    `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ('bench-user', '${STAFF.email}', 'Bench Owner', '${hashPassword(STAFF.password)}', ${now}, ${now});`,
    `INSERT INTO host_users (host_id, user_id, role, created_at) VALUES ('bench-host', 'bench-user', 'owner', ${now});`,
    `INSERT INTO sites (id, host_id, name, timezone, created_at, updated_at) VALUES ('bench-site', 'bench-host', 'Bench Site', 'UTC', ${now}, ${now});`,
    `INSERT INTO agents (id, host_id, site_id, name, token_hash, registered_at, created_at) VALUES ('bench-agent', 'bench-host', 'bench-site', 'Bench agent', '${tokenHash}', ${now}, ${now});`,
    `INSERT INTO customers (id, host_id, name, sort_name, contact_email, active, portal_access, created_at, updated_at) VALUES ('bench-customer', 'bench-host', 'Fleet Customer', 'fleet customer', 'fleet@example.com', 1, 1, ${now}, ${now});`,
    `INSERT INTO customer_users (id, host_id, customer_id, email, name, password_hash, role, session_version, created_at, updated_at) VALUES ('bench-member', 'bench-host', 'bench-customer', '${MEMBER.email}', 'Fleet Member', '${hashPassword(MEMBER.password)}', 'owner', 1, ${now}, ${now});`,
  ];
  for (let m = 0; m < MINERS; m++) {
    const u = minerOf(m);
    lines.push(
      `INSERT INTO miners (id, host_id, site_id, customer_id, mac, serial, ip, vendor, model, nominal_hashrate_mths, nominal_power_w, rack_location, status, created_at, updated_at) VALUES ('${u.id}', 'bench-host', 'bench-site', 'bench-customer', '${u.mac}', '${u.serial}', '${u.ip}', '${u.vendor}', '${u.model}', ${u.ths * 1000}, ${u.watts}, 'Row ${1 + (m >> 6)}, slot ${1 + (m & 63)}', 'assigned', ${now - m}, ${now - m});`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One telemetry batch for every miner, sampled at `at` (ms): hashrates and temperatures vary by
 * miner (so live sorts do work) and a little over the day (so the chart has a shape).
 */
function batch(at = Date.now()) {
  const sampled = new Date(at).toISOString();
  const wave = 0.04 * Math.sin((at / 3_600_000) * (Math.PI / 6));
  const miners = Array.from({ length: MINERS }, (_, m) => {
    const u = minerOf(m);
    const share = Math.min(1, 0.7 + ((m * 37) % 31) / 100 + wave);
    return {
      mac: u.mac,
      serial: u.serial,
      ip: u.ip,
      vendor: u.vendor,
      model: u.model,
      firmware: 'bench-1.0',
      sampled_at: sampled,
      state: 'mining',
      hashrate_ths: Math.round(u.ths * share * 1000) / 1000,
      hashrate_avg_ths: u.ths,
      expected_hashrate_ths: u.ths,
      board_temps_c: [60 + (m % 9), 61 + (m % 7), 62 + (m % 5)],
      chip_temps_c: [70 + (m % 11), 71 + (m % 9), 72 + (m % 7)],
      fans_rpm: [5400, 5460],
      power_w: Math.round(u.watts * share),
      power_source: 'miner',
      pool_url: 'stratum+tcp://pool.example:3333',
      pool_user: `acct.w${m}`,
      uptime_s: 3600 + m * 17,
      errors: [],
    };
  });
  return { batch_id: crypto.randomUUID(), sent_at: sampled, miners };
}

/** Signs in with a form POST; returns the named session cookie ("name=value"). */
export async function signIn(url, origin, credentials, cookieName) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
    body: new URLSearchParams(credentials).toString(),
    redirect: 'manual',
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith(`${cookieName}=`));
  if (!cookie) throw new Error(`sign-in at ${url} failed: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return cookie;
}

/**
 * A running worker seeded with the fleet and its history, signed in as staff and as the member
 * (exported so a profiling script can keep one up while the code changes under wrangler dev).
 */
export async function seededFleet() {
  console.log(`\nSeeding ${MINERS.toLocaleString('en-US')} assigned miners (one site, one customer, one portal member) into a fresh local D1…`);
  const worker = await startWorker(seedSql());
  const { origin } = worker;
  try {
    const post = async (at) => {
      const ingest = await fetch(`${origin}/api/agent/v1/telemetry`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Authorization: `Bearer ${TOKEN}` },
        body: gzipSync(JSON.stringify(batch(at))),
      });
      const ingested = await ingest.json();
      if (!ingest.ok || ingested.miners_accepted !== MINERS) {
        throw new Error(`telemetry for ${MINERS} miners: ${ingest.status} ${JSON.stringify(ingested).slice(0, 300)}`);
      }
    };
    // A day of history first (one batch per 5-minute bucket, oldest first, as an agent replaying
    // its spool would send them), so the 24-hour charts sum real rows: 288 per miner.
    // The first batch starts one bucket inside the day: a sample older than 24 hours is refused
    // (the spool's horizon), and the batches take a while to post.
    const now = Date.now();
    const started = performance.now();
    for (let at = now - HISTORY_HOURS * 3_600_000 + 5 * 60_000; at < now - 60_000; at += 5 * 60_000) await post(at);
    await post(now);
    console.log(`Posted ${HISTORY_HOURS} h of telemetry (a batch per 5 minutes) in ${((performance.now() - started) / 1000).toFixed(1)} s.`);

    const staff = await signIn(`${origin}/login`, origin, STAFF, '__Host-hy_staff');
    const portalBase = `${origin}/host/${HOST_SLUG}`;
    const member = await signIn(`${portalBase}/auth`, origin, MEMBER, '__Host-hy_portal');
    return { worker, origin, portalBase, staff, member };
  } catch (error) {
    worker.stop();
    throw error;
  }
}

export async function benchFleet() {
  const { worker, origin, portalBase, staff, member } = await seededFleet();
  try {

    /** A GET that must answer 200 with the expected text (so a sign-in page cannot pass for a fleet page). */
    const get = (url, cookie, expect) => async () => {
      const res = await fetch(url, { headers: cookie ? { Cookie: cookie } : {}, redirect: 'manual' });
      const html = await res.text();
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      if (expect && !html.includes(expect)) throw new Error(`${url} does not show ${JSON.stringify(expect)}`);
    };
    // The first hashrate-sorted page: the fastest miner (share 1.0 of the S19 Pro's 110 TH/s) leads.
    const cases = [
      ['admin fleet, first page (serial)', `${origin}/admin/equipment?sort=serial&view=table`, staff, 'FLEET000000'],
      ['admin fleet, sorted by hashrate (live)', `${origin}/admin/equipment?sort=-hashrate&view=table`, staff, 'TH/s'],
      ['admin fleet, sorted by temp (live)', `${origin}/admin/equipment?sort=-temperature&view=table`, staff, 'TH/s'],
      ['portal dashboard', `${portalBase}`, member, `${MINERS} miners`],
      ['portal Equipment (page of 50 + chart)', `${portalBase}/equipment`, member, 'fleet-chart'],
      ['portal Equipment, sorted by hashrate', `${portalBase}/equipment?sort=-hashrate`, member, 'fleet-chart'],
      ['portal Equipment, polled fragment', `${portalBase}/equipment/live`, member, 'fleet-live'],
    ];
    // The first request of each page also checks it; the portal Equipment page's first view is
    // the one that sums the whole day of history in SiteState (later views read it from memory).
    const firstViews = [];
    for (const [label, url, cookie, expect] of cases) {
      const start = performance.now();
      await get(url, cookie, expect)().catch((error) => {
        throw new Error(`${label}: ${error.message}`);
      });
      firstViews.push([label, performance.now() - start]);
    }

    // For reading the figures: what a signed-in page costs before any fleet work (session check,
    // layout, one small D1 read): /admin/customers (one customer) and the portal's /profile.
    // No budget of their own.
    // The staff dashboard: the whole host's fleet summary and 24-hour chart beside its billing
    // figures (seven more small reads). Its first view sums the day's history in the objects.
    const dashboard = ['ref: staff dashboard (fleet + billing)', `${origin}/admin/dashboard`, staff, 'dashboard-chart'];
    const dashboardStart = performance.now();
    await get(dashboard[1], dashboard[2], dashboard[3])();
    const dashboardCold = performance.now() - dashboardStart;
    const references = [
      dashboard,
      ['ref: staff page without fleet', `${origin}/admin/customers`, staff, 'Fleet Customer'],
      ['ref: portal page without fleet', `${portalBase}/profile`, member, MEMBER.email],
    ];

    // Each row also prints the Worker's CPU per request (workerd's processes, from /proc) against
    // /login's: what the page costs whatever else the machine is doing; and how much of it was
    // wrangler dev's proxy (bench/README.md, "Where a fleet page's time goes").
    const pids = workerdPids(worker.pid);
    const proxyPids = devProxyPids(pids, origin);
    const cpuNow = () => (pids.length === 0 ? null : { all: workerdCpuMs(pids), proxy: workerdCpuMs(proxyPids) });
    let cpuFloor = null;
    const measure = async (fn) => {
      const before = cpuNow();
      const ms = await median(fn, { samples: SAMPLES });
      const after = cpuNow();
      const perRequest = (key) => (after[key] - before[key]) / (SAMPLES + 5);
      return { ms, cpu: before === null || after === null ? null : { all: perRequest('all'), proxy: perRequest('proxy') } };
    };
    const cpuText = (cpu) =>
      cpu === null || !cpuFloor?.all
        ? ''
        : `   CPU ${cpu.all.toFixed(1).padStart(5)} ms/request ${(cpu.all / cpuFloor.all).toFixed(2)}×${proxyPids.length === 1 ? `, dev proxy ${cpu.proxy.toFixed(1).padStart(4)}` : ''}`;
    const floorRun = await measure(get(`${origin}/login`));
    const floor = floorRun.ms;
    cpuFloor = floorRun.cpu;
    console.log(`\nfleet views: median of ${SAMPLES} sequential requests each, ${MINERS.toLocaleString('en-US')} miners with live state (load average ${loadAverage()}; DevTools network events ${worker.devtoolsNetwork})`);
    console.log(row('trivial page (/login, no D1)', floor, floor) + cpuText(floorRun.cpu));
    for (const [label, url, cookie, expect] of cases) {
      const { ms, cpu } = await measure(get(url, cookie, expect));
      console.log(row(label, ms, floor, 3) + cpuText(cpu));
    }
    for (const [label, url, cookie, expect] of references) {
      const { ms, cpu } = await measure(get(url, cookie, expect));
      console.log(row(label, ms, floor) + cpuText(cpu));
    }
    const [, chartCold] = firstViews.find(([label]) => label.startsWith('portal Equipment (')) ?? [];
    if (chartCold !== undefined) console.log(row('first view of portal Equipment (cold chart)', chartCold, floor));
    console.log(row('first view of the staff dashboard (cold chart)', dashboardCold, floor));
    // The same pages again, each request after a /login one: each ratio from one window, so a
    // floor measured once before every row (and the machine's speed since) no longer decides it.
    console.log(`\nthe same, each page interleaved with /login (${SAMPLES} pairs a row; /login alone above: ${floor.toFixed(2)} ms)`);
    for (const [label, url, cookie, expect] of cases) {
      const pair = await interleavedMedians(get(url, cookie, expect), get(`${origin}/login`), { samples: SAMPLES });
      console.log(`${row(label, pair.ms, pair.floorMs, 3)}   /login beside it ${pair.floorMs.toFixed(2)} ms`);
    }
  } finally {
    worker.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFleet();
