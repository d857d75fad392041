// The admin customer list at 10,000 customers against a trivial page, through local workerd
// (wrangler dev) with real D1: median latencies and ratios measured in this one run
// (DESIGN.md §10 budget: within 3× a trivial page). The bounded query count is proved by
// test/integration/query-budget.test.ts, not here.
import { hashPassword } from '../scripts/demo-data.mjs';
import { median, row, startWorker } from './lib.mjs';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 10_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 60);

function seedSql() {
  const now = Date.now();
  const hostId = 'bench-host';
  const lines = [
    `INSERT INTO hosts (id, name, main_slug, default_currency, timezone, created_at, updated_at) VALUES ('${hostId}', 'Bench Host', 'bench-host', 'USD', 'UTC', ${now}, ${now});`,
    `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ('bench-user', 'bench@example.com', 'Bench Owner', '${hashPassword('bench-password')}', ${now}, ${now});`,
    `INSERT INTO host_users (host_id, user_id, role, created_at) VALUES ('${hostId}', 'bench-user', 'owner', ${now});`,
  ];
  const first = ['Alice', 'Bob', 'Carla', 'Dmitri', 'Erin', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas'];
  const last = ['Nakamoto', 'Hashworth', 'Merkle', 'Nonce', 'Halving', 'Mempool', 'Stratum', 'Block'];
  for (let i = 0; i < CUSTOMERS; i++) {
    const name = `${first[i % first.length]} ${last[(i * 7) % last.length]} ${i}`;
    const id = `bench-c-${String(i).padStart(6, '0')}`;
    lines.push(
      `INSERT INTO customers (id, host_id, name, sort_name, company_name, contact_email, active, portal_access, created_at, updated_at) VALUES ('${id}', '${hostId}', '${name}', '${name.toLowerCase()}', 'Company ${i % 500}', 'c${i}@example.com', ${i % 17 === 0 ? 0 : 1}, 1, ${now - i * 1000}, ${now - i * 1000});`,
    );
    if (i % 23 === 0) {
      lines.push(`INSERT INTO default_cases (id, host_id, customer_id, reason, opened_at) VALUES ('bench-d-${i}', '${hostId}', '${id}', 'Overdue', ${now});`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function benchCustomers() {
  console.log(`Seeding ${CUSTOMERS.toLocaleString('en-US')} customers into a fresh local D1…`);
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
    if (!cookie.startsWith('__Host-hy_staff=')) throw new Error(`sign-in failed: ${login.status}`);

    // A deep page: follow next-page links 40 pages in (2,000 customers deep).
    let deepUrl = `${origin}/admin/customers`;
    for (let page = 0; page < 40; page++) {
      const html = await (await fetch(deepUrl, { headers: { Cookie: cookie } })).text();
      const next = html.match(/href="(\/admin\/customers\?cursor=[^"]+)"/);
      if (!next) break;
      deepUrl = `${origin}${next[1].replace(/&amp;/g, '&')}`;
    }
    const get = (url, withCookie) => async () => {
      const res = await fetch(url, { headers: withCookie ? { Cookie: cookie } : {}, redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    };
    const floor = await median(get(`${origin}/login`, false), { samples: SAMPLES });
    const cases = [
      ['customer list, first page', `${origin}/admin/customers`],
      ['customer list, 40 pages deep', deepUrl],
      ['customer list, search "merkle"', `${origin}/admin/customers?q=merkle`],
      ['customer list, status In Default', `${origin}/admin/customers?status=in_default`],
      ['customer list, newest first', `${origin}/admin/customers?sort=-created`],
    ];
    console.log(`\ncustomer list: median of ${SAMPLES} sequential requests each, ${CUSTOMERS.toLocaleString('en-US')} customers`);
    console.log(row('trivial page (/login, no D1)', floor, floor));
    for (const [label, url] of cases) console.log(row(label, await median(get(url, true), { samples: SAMPLES }), floor, 3));
  } finally {
    worker.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchCustomers();
