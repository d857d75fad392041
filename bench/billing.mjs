// Invoice generation for a host of 1,000 customers x 5 units (DESIGN.md §10): one billing cron's
// jobs, each run exactly as the billing queue's consumer runs it, through local workerd with real
// D1. Prints the time per invoice and the D1 round trips and statements per invoice (counted by
// the dev-only /dev/bench/billing-run route), against the customer-list page in the same run.
import { hashPassword } from '../scripts/demo-data.mjs';
import { median, row, startWorker } from './lib.mjs';

const CUSTOMERS = Number(process.env.BENCH_BILLING_CUSTOMERS ?? 1_000);
const UNITS = 5;
const HOURS = Number(process.env.BENCH_BILLING_HOURS ?? 72);
const PERIOD_START = Date.UTC(2026, 9, 1); // 2026-10-01: the October period, due on 2026-11-03
const NOW = Date.UTC(2026, 10, 3, 1, 0);

function seedSql() {
  const now = Date.now();
  const hostId = 'bench-host';
  const lines = [
    `INSERT INTO hosts (id, name, main_slug, default_currency, timezone, created_at, updated_at) VALUES ('${hostId}', 'Bench Host', 'bench-host', 'USD', 'UTC', ${now}, ${now});`,
    `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ('bench-user', 'bench@example.com', 'Bench Owner', '${hashPassword('bench-password')}', ${now}, ${now});`,
    `INSERT INTO host_users (host_id, user_id, role, created_at) VALUES ('${hostId}', 'bench-user', 'owner', ${now});`,
    `INSERT INTO sites (id, host_id, name, timezone, energy_cost_micros_per_kwh, created_at, updated_at) VALUES ('bench-site', '${hostId}', 'Bench Site', 'UTC', 65000, ${now}, ${now});`,
  ];
  for (let i = 0; i < CUSTOMERS; i++) {
    const c = `bench-c-${String(i).padStart(5, '0')}`;
    lines.push(
      `INSERT INTO customers (id, host_id, name, sort_name, contact_email, active, portal_access, created_at, updated_at) VALUES ('${c}', '${hostId}', 'Customer ${i}', 'customer ${i}', 'c${i}@example.com', 1, 1, ${now}, ${now});`,
      `INSERT INTO contracts (id, host_id, customer_id, kind, status, name, currency, start_date, term_months, end_date, pricing, kwh_source, created_at, updated_at) VALUES ('${c}-k', '${hostId}', '${c}', 'hosted', 'active', 'Hosting', 'USD', '2026-01-01', 12, '2026-12-31', 'per_kwh', 'metered', ${now}, ${now});`,
    );
    for (let u = 0; u < UNITS; u++) {
      const m = `${c}-m${u}`;
      lines.push(
        `INSERT INTO miners (id, host_id, site_id, customer_id, serial, status, nominal_power_w, created_at, updated_at) VALUES ('${m}', '${hostId}', 'bench-site', '${c}', 'SN-${i}-${u}', 'assigned', 3250, ${now}, ${now});`,
        `INSERT INTO contract_miners (contract_id, miner_id, host_id, active, added_at) VALUES ('${c}-k', '${m}', '${hostId}', 1, ${now});`,
      );
    }
  }
  // Usage: HOURS hours per unit, generated in SQL rather than spelled out row by row.
  lines.push(
    `WITH RECURSIVE h(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM h WHERE n + 1 < ${HOURS})
     INSERT INTO usage_hourly (miner_id, hour_start, host_id, site_id, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples)
     SELECT m.id, ${PERIOD_START} + h.n * 3600000, m.host_id, m.site_id, m.customer_id, 3000 + (h.n * 7) % 400, 'miner', 100000, 3600, 60 FROM miners m, h WHERE m.host_id = '${hostId}';`,
  );
  return `${lines.join('\n')}\n`;
}

export async function benchBilling() {
  console.log(`Seeding ${CUSTOMERS.toLocaleString('en-US')} customers x ${UNITS} units with ${HOURS} hours of usage each…`);
  const worker = await startWorker(seedSql());
  const origin = worker.origin;
  try {
    const login = await fetch(`${origin}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
      body: 'email=bench%40example.com&password=bench-password',
      redirect: 'manual',
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const get = (url, withCookie) => async () => {
      const res = await fetch(url, { headers: withCookie ? { Cookie: cookie } : {}, redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    };
    const floor = await median(get(`${origin}/login`, false), { samples: 30 });
    const list = await median(get(`${origin}/admin/customers`, true), { samples: 30 });

    const res = await fetch(`${origin}/dev/bench/billing-run`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ now: NOW }) });
    if (!res.ok) throw new Error(`billing run answered ${res.status}: ${await res.text()}`);
    const run = await res.json();
    const perInvoice = (run.totalMs - run.findMs) / Math.max(1, run.jobs);
    const jobs = Math.max(1, run.jobs);
    console.log(`\ninvoice generation: one cron's ${run.jobs.toLocaleString('en-US')} jobs (${JSON.stringify(run.outcomes)}), ${UNITS} units and ${HOURS} h of usage each`);
    console.log(row('trivial page (/login, no D1)', floor, floor));
    console.log(row('customer list, first page', list, floor, 3));
    console.log(row('one invoice: generate + issue + email', perInvoice, floor));
    console.log(`finding the due jobs: ${run.findMs} ms, ${run.findCounts.roundTrips} D1 round trips for the whole host`);
    console.log(
      `D1 per invoice: ${((run.counts.roundTrips - run.findCounts.roundTrips) / jobs).toFixed(2)} round trips, ${((run.counts.statements - run.findCounts.statements) / jobs).toFixed(2)} statements; whole run ${(run.totalMs / 1000).toFixed(1)} s`,
    );
  } finally {
    worker.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchBilling();
