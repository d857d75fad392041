// Telemetry ingest of one 5,000-miner batch, end to end through local workerd (agent token check,
// gzip, zod validation of the whole batch, the site's SiteState writing latest state, 5-minute
// history, energy and alert tracking), against the floor: the same POST to a handler that only
// reads and parses the JSON (DESIGN.md §10 budget: at most 2×).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { loadAverage, median, row, startWorker, workerdCpuMs, workerdPids } from './lib.mjs';

const MINERS = Number(process.env.BENCH_MINERS ?? 5000);
const SAMPLES = Number(process.env.BENCH_INGEST_SAMPLES ?? 20);
// The wire format's token shape: `hya_` + 43 base64url characters (32 bytes).
const TOKEN = `hya_${'b'.repeat(43)}`;

function seedSql() {
  const now = Date.now();
  const hash = createHash('sha256').update(TOKEN).digest('hex');
  return [
    `INSERT INTO hosts (id, name, main_slug, created_at, updated_at) VALUES ('bench-host', 'Bench Host', 'bench-host', ${now}, ${now});`,
    `INSERT INTO sites (id, host_id, name, timezone, created_at, updated_at) VALUES ('bench-site', 'bench-host', 'Bench Site', 'UTC', ${now}, ${now});`,
    `INSERT INTO agents (id, host_id, site_id, name, token_hash, registered_at, created_at) VALUES ('bench-agent', 'bench-host', 'bench-site', 'Bench agent', '${hash}', ${now}, ${now});`,
  ].join('\n');
}

function batch(i) {
  const sampled = new Date().toISOString();
  const miners = [];
  for (let m = 0; m < MINERS; m++) {
    const b = [m >> 8, m & 255].map((x) => x.toString(16).padStart(2, '0'));
    miners.push({
      mac: `02:b3:00:00:${b[0]}:${b[1]}`,
      serial: `BENCH${String(m).padStart(6, '0')}`,
      ip: `10.${20 + (m >> 16)}.${(m >> 8) & 255}.${m & 255}`,
      vendor: 'Bitmain',
      model: 'Antminer S19j Pro',
      firmware: '49.0.1.3',
      sampled_at: sampled,
      state: 'mining',
      hashrate_ths: 95 + ((m + i) % 10),
      hashrate_avg_ths: 98.1,
      expected_hashrate_ths: 104,
      board_temps_c: [62, 64, 63],
      chip_temps_c: [71, 74, 72],
      fans_rpm: [5400, 5460],
      power_w: 3050,
      power_source: 'miner',
      pool_url: 'stratum+tcp://pool.example:3333',
      pool_user: 'acct.worker1',
      uptime_s: 86400 + i,
      errors: [],
    });
  }
  return { batch_id: crypto.randomUUID(), sent_at: sampled, miners };
}

export async function benchIngest() {
  const worker = await startWorker(seedSql());
  try {
    const post = (path, body) =>
      fetch(`${worker.origin}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Authorization: `Bearer ${TOKEN}` },
        body,
      }).then(async (res) => {
        const text = await res.text();
        if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`);
        return JSON.parse(text);
      });
    // Bodies are built and compressed before timing starts: the figures are the Worker's.
    const bodies = Array.from({ length: SAMPLES + 5 }, (_, i) => gzipSync(JSON.stringify(batch(i))));
    const first = performance.now();
    const firstResult = await post('/api/agent/v1/telemetry', gzipSync(JSON.stringify(batch(999))));
    const firstMs = performance.now() - first;
    if (firstResult.miners_staged !== MINERS) throw new Error(`expected ${MINERS} staged, got ${JSON.stringify(firstResult)}`);
    // Beside the wall medians, workerd's CPU per request (D1 and the object included: they run in
    // workerd too): steadier on a busy machine, since waiting for a core is not counted.
    const pids = workerdPids(worker.pid);
    const measure = async (path) => {
      const before = pids.length === 0 ? null : workerdCpuMs(pids);
      const ms = await median((i) => post(path, bodies[i]), { samples: SAMPLES });
      const after = pids.length === 0 ? null : workerdCpuMs(pids);
      return { ms, cpu: before === null ? null : (after - before) / (SAMPLES + 5) };
    };
    const floor = await measure('/dev/bench/parse-only');
    const ingest = await measure('/api/agent/v1/telemetry');
    const cpuText = ({ cpu }) => (cpu === null || !floor.cpu ? '' : `   CPU ${cpu.toFixed(1).padStart(5)} ms/request ${(cpu / floor.cpu).toFixed(2)}×`);
    console.log(`\ningest: one ${MINERS.toLocaleString('en-US')}-miner batch (${(bodies[0].length / 1024).toFixed(0)} KiB gzip), median of ${SAMPLES}; load average ${loadAverage()}`);
    console.log(row('parse-only floor', floor.ms, floor.ms) + cpuText(floor));
    console.log(row('telemetry ingest (steady state)', ingest.ms, floor.ms, 2) + cpuText(ingest));
    console.log(row('first batch (stages every miner in D1)', firstMs, floor.ms));
  } finally {
    worker.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchIngest();
