// The local demo: two hosts with staff, fixed API keys and a dozen customers each, covering
// every customer status. Development only: `npm start` loads it into the local D1 with
// INSERT OR IGNORE and fixed ids, so running it again changes nothing.
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';

export const DEMO_PASSWORD = 'hashyard-demo';

export const DEMO_HOSTS = [
  {
    id: 'h0000000-0000-4000-8000-000000000001',
    name: 'Texas Mine',
    slug: 'texasmine',
    currency: 'USD',
    timezone: 'America/Chicago',
    apiKey: 'hy_dev_texasmine',
    brand: { slogan: 'Cheap Texas power, hosted right.', primary: '#7c2d12', accent: '#ea580c' },
    domain: 'portal.texasmine.localhost',
    site: { id: 's0000000-0000-4000-8000-000000000001', name: 'Austin North', city: 'Austin', region: 'TX', country: 'US', timezone: 'America/Chicago', capacityKw: 2500 },
    fleet: { base: '127.20.0.1', count: 40, segment: '127.20.0.0/26', assignedTo: 0, assigned: 10, scenario: 'overheat:1,lowhash:1,offline:1' },
    portalUsers: [
      { id: 'p0000000-0000-4000-8000-000000000101', customer: 0, name: 'Alice Nakamoto', email: 'alice@blockhaus.example', role: 'owner' },
      { id: 'p0000000-0000-4000-8000-000000000102', customer: 1, name: 'Bob Hashworth', email: 'bob@hashworth.example', role: 'owner' },
    ],
    /** Units racked for a customer whose contract is still to be made (fleet indices → customer index). */
    awaitingContract: { units: [20, 21, 22], customer: 1, row: 'Row D' },
    staff: [
      { id: 'u0000000-0000-4000-8000-000000000101', name: 'Tess Owner', email: 'owner@texasmine.example', role: 'owner' },
      { id: 'u0000000-0000-4000-8000-000000000102', name: 'Adam Admin', email: 'admin@texasmine.example', role: 'admin' },
      { id: 'u0000000-0000-4000-8000-000000000103', name: 'Sam Staff', email: 'staff@texasmine.example', role: 'staff' },
    ],
  },
  {
    id: 'h0000000-0000-4000-8000-000000000002',
    name: 'Pacific Mining',
    slug: 'pacific-mining',
    currency: 'USD',
    timezone: 'America/Los_Angeles',
    apiKey: 'hy_dev_pacific_mining',
    brand: { slogan: 'Hydro-powered hosting on the Pacific coast.', primary: '#0f3d5e', accent: '#0ea5e9' },
    domain: null,
    site: { id: 's0000000-0000-4000-8000-000000000002', name: 'Columbia Gorge', city: 'The Dalles', region: 'OR', country: 'US', timezone: 'America/Los_Angeles', capacityKw: 1200 },
    fleet: { base: '127.21.0.1', count: 20, segment: '127.21.0.0/27', assignedTo: 1, assigned: 6, scenario: 'lowhash:1' },
    portalUsers: [{ id: 'p0000000-0000-4000-8000-000000000201', customer: 1, name: 'Bob Hashworth', email: 'bob@hashworth-pacific.example', role: 'owner' }],
    staff: [{ id: 'u0000000-0000-4000-8000-000000000201', name: 'Pat Owner', email: 'owner@pacific-mining.example', role: 'owner' }],
  },
];

/** [name, company, contact, billing email or null, phone, currency or null, status]. */
const CUSTOMERS = [
  ['Alice Nakamoto', 'Blockhaus Capital', 'alice@blockhaus.example', 'ap@blockhaus.example', '+1 512 555 0101', null, 'active'],
  ['Bob Hashworth', 'Hashworth Holdings', 'bob@hashworth.example', null, '+1 512 555 0102', null, 'active'],
  ['Carla Difficulty', null, 'carla@difficulty.example', null, null, 'EUR', 'active'],
  ['Dmitri Nonce', 'Nonce Labs', 'dmitri@noncelabs.example', 'billing@noncelabs.example', '+44 20 7946 0103', 'GBP', 'active'],
  ['Erin Satoshi', 'Sat Stack LLC', 'erin@satstack.example', null, null, null, 'active'],
  ['Farid Merkle', 'Merkle Mining Co', 'farid@merkle.example', 'invoices@merkle.example', '+1 737 555 0106', null, 'active'],
  ['Grace Halving', 'Halving Partners', 'grace@halving.example', null, '+1 512 555 0107', 'CAD', 'active'],
  ['Hugo Coinbase', null, 'hugo@coinbase-fam.example', null, null, null, 'active'],
  ['Ines Mempool', 'Mempool Ventures', 'ines@mempool.example', null, '+1 512 555 0109', null, 'inactive'],
  ['Jonas Orphan', 'Orphan Block GmbH', 'jonas@orphanblock.example', 'ar@orphanblock.example', '+49 30 555 0110', 'EUR', 'inactive_no_portal'],
  ['Kim Overdue', 'Late Hash Inc', 'kim@latehash.example', null, '+1 512 555 0111', null, 'in_default'],
  ['Leo Redirect', 'Stratum Redirect Ltd', 'leo@stratumredirect.example', 'pay@stratumredirect.example', '+1 512 555 0112', null, 'pool_redirected'],
];

/** The demo hosts' holding pool (Settings → Default and holding pool). */
const DEMO_HOLDING_POOL = 'stratum+tcp://holding.pool.example:3333';
/** Its backup endpoint (2nd holding pool): the redirected miners fail over to it, not to their own pools. */
const DEMO_HOLDING_POOL_B = 'stratum+tcp://holding-b.pool.example:3333';

/** The simulator's models (agent/lib/simulator/model.mjs), rotated over the fleet in this order. */
const SIM_MODELS = [
  { vendor: 'Bitmain', model: 'Antminer S19 Pro', nominalThs: 110, watts: 3250 },
  { vendor: 'MicroBT', model: 'Whatsminer M30S', nominalThs: 86, watts: 3230 },
  { vendor: 'Canaan', model: 'AvalonMiner 1246', nominalThs: 90, watts: 3420 },
];

/** A demo agent's token: fixed, so `npm start` can hand it to the local agent (`hya_` + 43 chars). */
export const demoAgentToken = (host) => `hya_${`dev_${host.slug.replace(/-/g, '_')}_`.padEnd(43, 'x')}`;

/** The simulated miners' addresses and MACs (the simulator derives 02:48:59:b:c:d from the IP). */
export function fleetAddresses(fleet) {
  const [a, b, c, d] = fleet.base.split('.').map(Number);
  return Array.from({ length: fleet.count }, (_, i) => {
    const n = d + i;
    const ip = `${a}.${b}.${c + Math.floor(n / 256)}.${n % 256}`;
    const [, x, y, z] = ip.split('.').map(Number);
    return { ip, mac: ['02', '48', '59', x, y, z].map((v) => (typeof v === 'number' ? v.toString(16).padStart(2, '0') : v)).join(':') };
  });
}

/** PBKDF2-SHA256, 100,000 iterations: the same versioned format as src/auth/password.ts. */
export function hashPassword(password) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, 100_000, 32, 'sha256');
  return `pbkdf2-sha256$100000$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A value as an SQLite literal in the seed: NULL, a number, or quoted text. Also the browser tests' seeds. */
export const sqlLiteral = (value) => (value === null || value === undefined ? 'NULL' : typeof value === 'number' ? String(value) : `'${String(value).replace(/'/g, "''")}'`);
const q = sqlLiteral;

/**
 * `wrangler d1 execute --local --file` refuses a file past about 128 KB as one statement that is
 * too long (SQLITE_TOOBIG), so the seed is loaded in parts. Every statement of the seed is one
 * line (see `qText`), so a part boundary never cuts one.
 */
export const SEED_PART_BYTES = 90_000;

export function splitSeedSql(seedSql, maxBytes = SEED_PART_BYTES) {
  const parts = [];
  let current = '';
  for (const line of seedSql.split('\n')) {
    if (line === '') continue;
    if (current && Buffer.byteLength(current, 'utf8') + Buffer.byteLength(line, 'utf8') + 1 > maxBytes) {
      parts.push(current);
      current = '';
    }
    current += `${line}\n`;
  }
  if (current) parts.push(current);
  return parts;
}

export function buildSeedSql(now = Date.now()) {
  const lines = [];
  const passwordHash = hashPassword(DEMO_PASSWORD);
  DEMO_HOSTS.forEach((host, hostIndex) => {
    lines.push(
      `INSERT OR IGNORE INTO hosts (id, name, main_slug, host_slug, brand_slogan, brand_primary_color, brand_accent_color, default_currency, timezone, created_at, updated_at) VALUES (${q(host.id)}, ${q(host.name)}, ${q(host.slug)}, ${q(host.slug)}, ${q(host.brand.slogan)}, ${q(host.brand.primary)}, ${q(host.brand.accent)}, ${q(host.currency)}, ${q(host.timezone)}, ${now}, ${now});`,
    );
    if (host.domain) {
      lines.push(
        `INSERT OR IGNORE INTO custom_domains (id, host_id, hostname, status, detail, verified_at, created_at, updated_at) VALUES (${q(`x0000000-0000-4000-8000-00000000000${hostIndex + 1}`)}, ${q(host.id)}, ${q(host.domain)}, 'active', 'Verified through the development path', ${now}, ${now}, ${now});`,
      );
    }
    for (const member of host.staff) {
      lines.push(
        `INSERT OR IGNORE INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (${q(member.id)}, ${q(member.email)}, ${q(member.name)}, ${q(passwordHash)}, ${now}, ${now});`,
        `INSERT OR IGNORE INTO host_users (host_id, user_id, role, created_at) VALUES (${q(host.id)}, ${q(member.id)}, ${q(member.role)}, ${now});`,
      );
    }
    const { site, fleet } = host;
    lines.push(
      `INSERT OR IGNORE INTO sites (id, host_id, name, city, region, country, timezone, capacity_kw, created_at, updated_at) VALUES (${q(site.id)}, ${q(host.id)}, ${q(site.name)}, ${q(site.city)}, ${q(site.region)}, ${q(site.country)}, ${q(site.timezone)}, ${site.capacityKw}, ${now}, ${now});`,
      `INSERT OR IGNORE INTO network_segments (id, host_id, site_id, cidr, label, created_at) VALUES (${q(`n0000000-0000-4000-8000-00000000000${hostIndex + 1}`)}, ${q(host.id)}, ${q(site.id)}, ${q(fleet.segment)}, 'Demo fleet (miner simulator on loopback)', ${now});`,
      `INSERT OR IGNORE INTO agents (id, host_id, site_id, name, token_hash, registered_at, hostname, version, created_at) VALUES (${q(`g0000000-0000-4000-8000-00000000000${hostIndex + 1}`)}, ${q(host.id)}, ${q(site.id)}, 'Demo agent', ${q(createHash('sha256').update(demoAgentToken(host)).digest('hex'))}, ${now}, 'localhost', 'demo', ${now});`,
      // Settings → Default and holding pool (docs/DEFAULT.md), with a week of hashprices.
      `INSERT OR IGNORE INTO default_settings (host_id, holding_pool_url, holding_account, holding_pool2_url, worker_rule, pool_password, grace_days, auto_redirect_days, confirm_minutes, pay_down, hashprice_source, notice_emails, updated_at) VALUES (${q(host.id)}, ${q(DEMO_HOLDING_POOL)}, ${q(host.slug)}, ${q(DEMO_HOLDING_POOL_B)}, '{account}.{mac}', 'x', 15, NULL, 10, 1, 'manual', 1, ${now});`,
      ...Array.from({ length: 7 }, (_, k) => `INSERT OR IGNORE INTO hashprice_days (host_id, day, price_micros, source, created_at) VALUES (${q(host.id)}, ${q(new Date(now - (k + 1) * 86_400_000).toISOString().slice(0, 10))}, ${52_000 + k * 350}, 'manual', ${now});`),
      // Short sustain times so a newcomer sees alerts within a minute or two.
      `INSERT OR IGNORE INTO alert_rules (host_id, offline_minutes, low_hashrate_pct, low_hashrate_minutes, over_temp_c, over_temp_minutes, cooldown_minutes, email_customer, updated_at) VALUES (${q(host.id)}, 2, 80, 1, 85, 1, 10, 0, ${now});`,
    );
    // Assigned miners reference their customer: written after the customers below.
    const fleetLines = [];
    const redirectLines = [];
    fleetAddresses(fleet).forEach(({ ip, mac }, i) => {
      if (i >= fleet.assigned) return;
      const spec = SIM_MODELS[i % SIM_MODELS.length];
      const customerId = `c0000000-0000-4000-8${hostIndex}00-0000000000${String(fleet.assignedTo + 1).padStart(2, '0')}`;
      fleetLines.push(
        `INSERT OR IGNORE INTO miners (id, host_id, site_id, customer_id, mac, ip, vendor, model, nominal_hashrate_mths, nominal_power_w, rack_location, status, created_at, updated_at) VALUES (${q(`m0000000-0000-4000-8${hostIndex}00-0000000000${String(i + 1).padStart(2, '0')}`)}, ${q(host.id)}, ${q(site.id)}, ${q(customerId)}, ${q(mac)}, ${q(ip)}, ${q(spec.vendor)}, ${q(spec.model)}, ${spec.nominalThs * 1000}, ${spec.watts}, ${q(`Row A, rack ${1 + Math.floor(i / 5)}, slot ${1 + (i % 5)}`)}, 'assigned', ${now}, ${now});`,
      );
    });
    const keyHash = createHash('sha256').update(host.apiKey).digest('hex');
    lines.push(
      `INSERT OR IGNORE INTO api_keys (id, host_id, name, prefix, key_hash, created_by, created_at) VALUES (${q(`k0000000-0000-4000-8000-00000000000${hostIndex + 1}`)}, ${q(host.id)}, 'Demo key', ${q(host.apiKey.slice(0, 11))}, ${q(keyHash)}, NULL, ${now});`,
    );
    CUSTOMERS.forEach(([name, company, contact, billing, phone, currency, status], index) => {
      const n = String(index + 1).padStart(2, '0');
      const id = `c0000000-0000-4000-8${hostIndex}00-0000000000${n}`;
      const email = hostIndex === 0 ? contact : contact.replace('.example', '-pacific.example');
      const created = now - (CUSTOMERS.length - index) * 86_400_000;
      const active = status === 'inactive' || status === 'inactive_no_portal' ? 0 : 1;
      const portal = status === 'inactive_no_portal' ? 0 : 1;
      lines.push(
        `INSERT OR IGNORE INTO customers (id, host_id, name, sort_name, company_name, contact_email, billing_email, phone, billing_currency, notes, active, portal_access, created_at, updated_at) VALUES (${q(id)}, ${q(host.id)}, ${q(name)}, ${q(name.toLowerCase())}, ${q(company)}, ${q(email)}, ${q(billing)}, ${q(phone)}, ${q(currency)}, ${q(index === 0 ? 'Prefers calls before 10am Central. Racks A1–A4.' : null)}, ${active}, ${portal}, ${created}, ${created});`,
        `INSERT OR IGNORE INTO activity_log (id, host_id, customer_id, actor_kind, actor_id, actor_label, action, changes, created_at) VALUES (${q(`a0000000-0000-4000-8${hostIndex}00-0000000000${n}`)}, ${q(host.id)}, ${q(id)}, 'system', NULL, 'Demo seed', 'customer.created', ${q(JSON.stringify({ name: [null, name], contact_email: [null, email] }))}, ${created});`,
      );
      for (const user of host.portalUsers.filter((u) => u.customer === index)) {
        lines.push(
          `INSERT OR IGNORE INTO customer_users (id, host_id, customer_id, email, name, password_hash, role, session_version, created_at, updated_at) VALUES (${q(user.id)}, ${q(host.id)}, ${q(id)}, ${q(user.email)}, ${q(user.name)}, ${q(passwordHash)}, ${q(user.role)}, 1, ${now}, ${now});`,
        );
      }
      if (status === 'in_default' || status === 'pool_redirected') {
        const caseId = `d0000000-0000-4000-8${hostIndex}00-0000000000${n}`;
        lines.push(
          `INSERT OR IGNORE INTO default_cases (id, host_id, customer_id, reason, opened_at, closed_at) VALUES (${q(caseId)}, ${q(host.id)}, ${q(id)}, ${q(status === 'in_default' ? 'Invoice INV-1042 is 45 days overdue' : 'Invoices INV-0988 and INV-1017 unpaid past the grace period')}, ${now - 10 * 86_400_000}, NULL);`,
        );
        if (status === 'pool_redirected') {
          // The redirected customer's units: those racked under its hosting contract (Row C), or
          // else the fleet's last three addresses. Their simulated miners start on the
          // simulator's own pool (recorded below as the pool to restore); the agent config serves
          // them the holding pool, so in `npm start` they really move to it. Written after the
          // contracts, which create the Row C miners these rows refer to.
          const redirectId = `r0000000-0000-4000-8${hostIndex}00-0000000000${n}`;
          redirectLines.push(
            `INSERT OR IGNORE INTO pool_redirects (id, host_id, customer_id, default_case_id, pool_url, pool_user, backup_pools, started_at, ended_at, scope, started_by) VALUES (${q(redirectId)}, ${q(host.id)}, ${q(id)}, ${q(caseId)}, ${q(DEMO_HOLDING_POOL)}, ${q(`${host.slug}.{mac}`)}, ${q(JSON.stringify([{ url: DEMO_HOLDING_POOL_B, user: `${host.slug}.{mac}` }]))}, ${now - 3 * 86_400_000}, NULL, 'all', 'Demo seed');`,
          );
          const addresses = fleetAddresses(fleet);
          const contracted = DEMO_CONTRACTS[hostIndex].find(([c, , , extra]) => c === index && extra.ownUnits)?.[4];
          const unitIndices = contracted ?? [fleet.count - 3, fleet.count - 2, fleet.count - 1];
          for (const i of unitIndices) {
            const spec = SIM_MODELS[i % SIM_MODELS.length];
            const { ip, mac } = addresses[i];
            const minerId = contracted ? `m0000000-0000-4000-8${hostIndex}00-0000000000${pad2(i + 1)}` : `m0000000-0000-4000-8${hostIndex}00-0000000d00${pad2(i)}`;
            const simWorker = `hosted.m${String(i + 1).padStart(4, '0')}`;
            if (!contracted) {
              redirectLines.push(
                `INSERT OR IGNORE INTO miners (id, host_id, site_id, customer_id, mac, ip, vendor, model, nominal_hashrate_mths, nominal_power_w, rack_location, status, owner_pool_url, owner_pool_user, created_at, updated_at) VALUES (${q(minerId)}, ${q(host.id)}, ${q(site.id)}, ${q(id)}, ${q(mac)}, ${q(ip)}, ${q(spec.vendor)}, ${q(spec.model)}, ${spec.nominalThs * 1000}, ${spec.watts}, ${q(`Row C, rack 1, slot ${unitIndices.indexOf(i) + 1}`)}, 'assigned', 'stratum+tcp://btc.pool.example:3333', ${q(simWorker)}, ${now}, ${now});`,
              );
            }
            redirectLines.push(
              `INSERT OR IGNORE INTO pool_redirect_units (id, host_id, redirect_id, customer_id, miner_id, site_id, previous_pool_url, previous_pool_user, target_pool_url, target_pool_user, target_backup_pools, phase, status, attempts, requested_at, joined_at) VALUES (${q(`u0000000-0000-4000-8${hostIndex}00-0000000d00${pad2(i)}`)}, ${q(host.id)}, ${q(redirectId)}, ${q(id)}, ${q(minerId)}, ${q(site.id)}, 'stratum+tcp://btc.pool.example:3333', ${q(simWorker)}, ${q(DEMO_HOLDING_POOL)}, ${q(`${host.slug}.${mac.replace(/:/g, '')}`)}, ${q(JSON.stringify([{ url: DEMO_HOLDING_POOL_B, user: `${host.slug}.${mac.replace(/:/g, '')}` }]))}, 'redirect', 'pending', 1, ${now}, ${now});`,
            );
          }
        }
      }
    });
    if (host.awaitingContract) {
      const { units, customer, row } = host.awaitingContract;
      const addresses = fleetAddresses(fleet);
      for (const i of units) {
        const spec = SIM_MODELS[i % SIM_MODELS.length];
        fleetLines.push(
          `INSERT OR IGNORE INTO miners (id, host_id, site_id, customer_id, mac, ip, vendor, model, nominal_hashrate_mths, nominal_power_w, rack_location, status, created_at, updated_at) VALUES (${q(`m0000000-0000-4000-8${hostIndex}00-0000000000${pad2(i + 1)}`)}, ${q(host.id)}, ${q(site.id)}, ${q(demoCustomerId(hostIndex, customer))}, ${q(addresses[i].mac)}, ${q(addresses[i].ip)}, ${q(spec.vendor)}, ${q(spec.model)}, ${spec.nominalThs * 1000}, ${spec.watts}, ${q(`${row}, rack 1, slot ${units.indexOf(i) + 1}`)}, 'assigned', ${now}, ${now});`,
        );
      }
    }
    lines.push(...fleetLines);
    for (let i = 0; i < fleet.assigned; i++) lines.push(usageHistoryLine(host, hostIndex, i, demoCustomerId(hostIndex, fleet.assignedTo), now));
    lines.push(...contractLines(host, hostIndex, now));
    lines.push(...redirectLines);
    lines.push(...ticketLines(host, hostIndex, now));
    lines.push(...notifyLines(host, hostIndex, now));
    lines.push(...legalLines(host, hostIndex, now));
    lines.push(...quoteLines(host, hostIndex, now));
  });
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Contracts: one of each type per host, over the demo fleet's units and the host's site
// (docs/billing/contracts.md). Leased units are the fleet's next addresses after the assigned
// ones, so the simulator's miners match them by MAC; leasing assigns them to the customer.

/** [customer index, kind, name, extra columns, unit fleet indices or 'site']. */
const DEMO_CONTRACTS = [
  [
    [0, 'hosted', 'Hosting, Row A (metered)', { pricing: 'per_kwh', kwh_source: 'metered', energy_rate_micros_per_kwh: 65_000 }, [0, 1, 2, 3, 4]],
    [0, 'hosted', 'Hosting, Row A (spec)', { pricing: 'per_kwh', kwh_source: 'spec', energy_rate_micros_per_kwh: 62_000 }, [5, 6, 7]],
    [0, 'hosted', 'Hosting, Row A (flat)', { pricing: 'fixed_per_unit', monthly_fee_minor: 18_000 }, [8, 9]],
    [4, 'lease', 'Lease, 4 × Antminer', { monthly_fee_minor: 25_000, setup_fee_minor: 50_000, deposit_minor: 100_000 }, [10, 11, 12, 13]],
    [5, 'infinity', 'Infinity 250 TH/s', { infinity_mths: 250_000, price_micros_per_th_day: 55_000 }, []],
    [7, 'om', 'O&M, Austin North', { monthly_fee_minor: 1_200_000 }, 'site'],
    [3, 'lease', 'Lease proposal (draft)', { monthly_fee_minor: 21_000, status: 'draft' }, []],
    // The two customers in default (see CUSTOMERS): their own units, racked in Row C, invoiced and unpaid.
    [10, 'hosted', 'Hosting, Row C', { pricing: 'fixed_per_unit', monthly_fee_minor: 19_500, ownUnits: 'Row C' }, [14, 15]],
    [11, 'hosted', 'Hosting, Row C (west)', { pricing: 'fixed_per_unit', monthly_fee_minor: 19_500, ownUnits: 'Row C' }, [16, 17, 18, 19]],
  ],
  [
    [1, 'hosted', 'Gorge hosting (metered)', { pricing: 'per_kwh', kwh_source: 'metered', energy_rate_micros_per_kwh: 48_000 }, [0, 1, 2]],
    [1, 'hosted', 'Gorge hosting (flat)', { pricing: 'fixed_per_unit', monthly_fee_minor: 16_500 }, [3, 4, 5]],
    [0, 'lease', 'Lease, 3 units', { monthly_fee_minor: 24_000 }, [6, 7, 8]],
    [2, 'infinity', 'Infinity 100 TH/s', { infinity_mths: 100_000, price_micros_per_th_day: 52_000 }, []],
    [6, 'om', 'O&M, Columbia Gorge', { monthly_fee_minor: 900_000 }, 'site'],
  ],
];

const pad2 = (n) => String(n).padStart(2, '0');
/** Contracts began on the first of the month this many months ago (src/demo/billing-history.ts bills each month since). */
const CONTRACT_MONTHS_BACK = 4;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const demoCustomerId = (hostIndex, index) => `c0000000-0000-4000-8${hostIndex}00-0000000000${pad2(index + 1)}`;

/**
 * What `npm start` asks the Worker to bill over the seeded usage (POST /dev/demo/billing-history):
 * the demo hosts, the customers in default (they pay nothing) and one customer per host who paid
 * half of the newest invoice.
 */
export function demoBillingRequest() {
  const statusIndex = (status) => CUSTOMERS.flatMap(([, , , , , , s], index) => (s === status ? [index] : []));
  const defaulters = [...statusIndex('in_default'), ...statusIndex('pool_redirected')];
  return {
    host_ids: DEMO_HOSTS.map((host) => host.id),
    defaulter_ids: DEMO_HOSTS.flatMap((_, hostIndex) => defaulters.map((index) => demoCustomerId(hostIndex, index))),
    partial_payer_ids: [demoCustomerId(0, 4), demoCustomerId(1, 0)],
  };
}

/**
 * A unit's hourly usage from the contracts' start until two days ago, in one statement (a
 * recursive CTE, so the seed stays small): nominal power with a small deterministic wobble, a few
 * offline hours a month, 96–100 % of nominal hashrate. Whatsminers report their power ('miner');
 * the others are billed from their spec ('spec'). Written only while the site has no sealed day:
 * once the history is sealed, a later `npm start` must not add rows to sealed days (they would
 * become late-usage adjustments).
 */
function usageHistoryLine(host, hostIndex, i, customerId, now) {
  const spec = SIM_MODELS[i % SIM_MODELS.length];
  const minerId = `m0000000-0000-4000-8${hostIndex}00-0000000000${pad2(i + 1)}`;
  const d = new Date(now);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - CONTRACT_MONTHS_BACK, 1);
  const to = Math.floor(now / DAY_MS) * DAY_MS - 2 * DAY_MS;
  const offline = `((t / ${HOUR_MS}) + ${i * 53}) % 500 < 3`;
  const source = spec.vendor === 'MicroBT' ? 'miner' : 'spec';
  return (
    `INSERT OR IGNORE INTO usage_hourly (miner_id, hour_start, host_id, site_id, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples) ` +
    `WITH RECURSIVE h(t) AS (SELECT ${from} UNION ALL SELECT t + ${HOUR_MS} FROM h WHERE t + ${HOUR_MS} < ${to}) ` +
    `SELECT ${q(minerId)}, t, ${q(host.id)}, ${q(host.site.id)}, ${q(customerId)}, ` +
    `CASE WHEN ${offline} THEN 0 ELSE ${spec.watts - 20} + ((t / ${HOUR_MS}) * 37 + ${i * 11}) % 41 END, ${q(source)}, ` +
    `CASE WHEN ${offline} THEN 0 ELSE ${spec.nominalThs * 960} + ((t / ${HOUR_MS}) * 13 + ${i * 7}) % ${spec.nominalThs * 40} END, ` +
    `CASE WHEN ${offline} THEN 0 ELSE 3600 END, CASE WHEN ${offline} THEN 0 ELSE 120 END FROM h ` +
    `WHERE EXISTS (SELECT 1 FROM miners WHERE id = ${q(minerId)} AND host_id = ${q(host.id)}) ` +
    `AND NOT EXISTS (SELECT 1 FROM usage_seal_days WHERE site_id = ${q(host.site.id)});`
  );
}
/** The first of the month `back` months before `now`, and the day before `months` later (UTC). */
function demoTerm(now, back, months) {
  const d = new Date(now);
  const start = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1));
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + months, 0));
  const iso = (x) => `${x.getUTCFullYear()}-${pad2(x.getUTCMonth() + 1)}-${pad2(x.getUTCDate())}`;
  return { start: iso(start), end: iso(end) };
}

function contractLines(host, hostIndex, now) {
  const lines = [];
  const customerCurrency = (index) => CUSTOMERS[index][5] ?? host.currency;
  const customerIdOf = (index) => `c0000000-0000-4000-8${hostIndex}00-0000000000${pad2(index + 1)}`;
  const minerIdOf = (i) => `m0000000-0000-4000-8${hostIndex}00-0000000000${pad2(i + 1)}`;
  const addresses = fleetAddresses(host.fleet);
  DEMO_CONTRACTS[hostIndex].forEach(([customerIndex, kind, name, extra, units], n) => {
    const id = `t0000000-0000-4000-8${hostIndex}00-0000000000${pad2(n + 1)}`;
    const customerId = customerIdOf(customerIndex);
    const status = extra.status ?? 'active';
    const term = demoTerm(now, CONTRACT_MONTHS_BACK, 12);
    const columns = {
      id,
      host_id: host.id,
      customer_id: customerId,
      kind,
      status,
      name,
      currency: customerCurrency(customerIndex),
      start_date: term.start,
      term_months: 12,
      end_date: term.end,
      auto_renew: kind === 'om' ? 1 : 0,
      renewal_notice_days: 30,
      pricing: extra.pricing ?? null,
      kwh_source: extra.kwh_source ?? null,
      energy_rate_micros_per_kwh: extra.energy_rate_micros_per_kwh ?? null,
      monthly_fee_minor: extra.monthly_fee_minor ?? null,
      infinity_mths: extra.infinity_mths ?? null,
      price_micros_per_th_day: extra.price_micros_per_th_day ?? null,
      setup_fee_minor: extra.setup_fee_minor ?? 0,
      deposit_minor: extra.deposit_minor ?? 0,
      activated_at: status === 'active' ? now : null,
      created_at: now,
      updated_at: now,
    };
    if ((kind === 'lease' || extra.ownUnits) && Array.isArray(units)) {
      // Units not in the assigned block: the host's own, leased to the customer for the lease's
      // term, or the customer's own, racked in another row.
      for (const i of units) {
        const spec = SIM_MODELS[i % SIM_MODELS.length];
        const { ip, mac } = addresses[i];
        lines.push(
          `INSERT OR IGNORE INTO miners (id, host_id, site_id, customer_id, mac, ip, vendor, model, nominal_hashrate_mths, nominal_power_w, rack_location, status, created_at, updated_at) VALUES (${q(minerIdOf(i))}, ${q(host.id)}, ${q(host.site.id)}, ${status === 'active' ? q(customerId) : 'NULL'}, ${q(mac)}, ${q(ip)}, ${q(spec.vendor)}, ${q(spec.model)}, ${spec.nominalThs * 1000}, ${spec.watts}, ${q(`${extra.ownUnits ?? 'Row B'}, rack ${1 + Math.floor(i / 5)}, slot ${1 + (i % 5)}`)}, ${q(status === 'active' ? 'assigned' : 'unassigned')}, ${now}, ${now});`,
        );
      }
    }
    lines.push(`INSERT OR IGNORE INTO contracts (${Object.keys(columns).join(', ')}) VALUES (${Object.values(columns).map(q).join(', ')});`);
    if (Array.isArray(units)) {
      for (const i of units) {
        lines.push(
          // Only if the unit row is there: a local database whose agent found this MAC first
          // holds it under another id, and a dangling reference would fail the whole seed.
          `INSERT OR IGNORE INTO contract_miners (contract_id, miner_id, host_id, active, added_at) SELECT ${q(id)}, ${q(minerIdOf(i))}, ${q(host.id)}, ${status === 'active' ? 1 : 0}, ${now} WHERE EXISTS (SELECT 1 FROM miners WHERE id = ${q(minerIdOf(i))});`,
        );
      }
    } else if (units === 'site') {
      lines.push(`INSERT OR IGNORE INTO contract_sites (contract_id, site_id, host_id) VALUES (${q(id)}, ${q(host.site.id)}, ${q(host.id)});`);
    }
    if (status === 'active' && Array.isArray(units) && (kind === 'lease' || extra.ownUnits)) {
      // Units outside the assigned block: their history belongs to this contract's customer.
      lines.push(...units.map((i) => usageHistoryLine(host, hostIndex, i, customerId, now)));
    }
    lines.push(
      `INSERT OR IGNORE INTO activity_log (id, host_id, customer_id, actor_kind, actor_id, actor_label, action, changes, created_at) VALUES (${q(`ac000000-0000-4000-8${hostIndex}00-0000000000${pad2(n + 1)}`)}, ${q(host.id)}, ${q(customerId)}, 'system', NULL, 'Demo seed', ${q(status === 'active' ? 'contract.activated' : 'contract.created')}, ${q(JSON.stringify({ name: [null, name], kind: [null, kind], _contract_id: [id, id] }))}, ${now});`,
    );
  });
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Support tickets (src/support/): two per host from the first customer, one waiting on staff
// (with an internal note the portal never shows), one waiting on the customer.

function ticketLines(host, hostIndex, now) {
  const customerId = `c0000000-0000-4000-8${hostIndex}00-000000000001`;
  const staff = host.staff[0];
  const customerLabel = CUSTOMERS[0][0];
  const hour = 3_600_000;
  const tickets = [
    {
      subject: 'Two units on rack 1 keep rebooting',
      category: 'hardware',
      status: 'open',
      opened: now - 26 * hour,
      waiting: now - 26 * hour,
      messages: [
        ['customer', customerLabel, 0, 'Since yesterday two of our units on rack 1 reboot every hour or so. Can someone take a look?', now - 26 * hour],
        ['staff', staff.name, 1, 'Internal: the PDU on rack 1 was swapped on Monday; check its breaker first.', now - 25 * hour],
      ],
    },
    {
      subject: 'Payout address change',
      category: 'payout',
      status: 'pending',
      opened: now - 50 * hour,
      waiting: null,
      messages: [
        ['customer', customerLabel, 0, 'We would like to change our pool payout address from next month.', now - 50 * hour],
        ['staff', staff.name, 0, 'Happy to help. Please confirm the new address from the account owner\'s email and we will schedule it.', now - 48 * hour],
      ],
    },
  ];
  const lines = [];
  tickets.forEach((t, n) => {
    const id = `s1000000-0000-4000-8${hostIndex}00-0000000000${pad2(n + 1)}`;
    const last = t.messages[t.messages.length - 1][4];
    lines.push(
      `INSERT OR IGNORE INTO support_tickets (id, host_id, customer_id, number, subject, category, status, assignee_user_id, opened_by_kind, opened_by_label, last_message_at, waiting_since, created_at, updated_at) VALUES (${q(id)}, ${q(host.id)}, ${q(customerId)}, ${n + 1}, ${q(t.subject)}, ${q(t.category)}, ${q(t.status)}, ${n === 0 ? q(staff.id) : 'NULL'}, 'customer', ${q(customerLabel)}, ${last}, ${t.waiting === null ? 'NULL' : t.waiting}, ${t.opened}, ${last});`,
    );
    t.messages.forEach(([kind, label, internal, body, at], m) => {
      lines.push(
        `INSERT OR IGNORE INTO support_messages (id, ticket_id, host_id, author_kind, author_id, author_label, internal, body, created_at) VALUES (${q(`s2000000-0000-4000-8${hostIndex}00-00000000${pad2(n + 1)}${pad2(m + 1)}`)}, ${q(id)}, ${q(host.id)}, ${q(kind)}, ${kind === 'staff' ? q(staff.id) : 'NULL'}, ${q(label)}, ${internal}, ${q(body)}, ${at});`,
      );
    });
  });
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Notify (src/notify/): a sent Markdown announcement to the customers with portal users (so their
// portal shows the banner; its emails already sent), and a maintenance window on the first
// rack of Row A, three days ahead (its notice goes out 24 h before, by the cron).

/**
 * A multi-line text as one line of SQL, its line breaks put back by `char(10)`: the seed is one
 * statement a line, so `splitSeedSql` can load it in parts without cutting a statement.
 */
const qText = (text) => (text.includes('\n') ? `replace(${q(text.replace(/\n/g, '\\n'))}, '\\n', char(10))` : q(text));

/** The demo's local origin (`npm start`), for the links inside seeded emails. */
const DEMO_ORIGIN = 'http://localhost:8787';

function notifyLines(host, hostIndex, now) {
  const hour = 3_600_000;
  const lines = [];
  const announcementId = `a1000000-0000-4000-8${hostIndex}00-000000000001`;
  const sentAt = now - 20 * hour;
  const body = '## What changes\n\nFrom next month the pool fee on the **holding pool** drops to 1 %.\n\n- No action needed\n- Invoices show it per line\n\nQuestions? Open a ticket in the portal.';
  const recipients = host.portalUsers.map((u) => ({ ...u, customerId: demoCustomerId(hostIndex, u.customer) }));
  const customerIds = [...new Set(recipients.map((r) => r.customerId))];
  lines.push(
    `INSERT OR IGNORE INTO announcements (id, host_id, kind, subject, body, format, target, status, send_at, claim_id, started_at, recipient_count, origin, created_by_label, created_at, updated_at) VALUES (${q(announcementId)}, ${q(host.id)}, 'announcement', 'Lower pool fees from next month', ${qText(body)}, 'markdown', ${q(JSON.stringify({ site_ids: [], contract_kinds: [], statuses: [], customer_ids: customerIds }))}, 'sent', ${sentAt}, ${q(`demo-${hostIndex}`)}, ${sentAt}, ${recipients.length}, ${q(DEMO_ORIGIN)}, ${q(host.staff[0].name)}, ${sentAt - hour}, ${sentAt});`,
  );
  recipients.forEach((r, n) => {
    const outboxId = `a2000000-0000-4000-8${hostIndex}00-0000000001${pad2(n + 1)}`;
    const payload = { phase: 'announcement', body, format: 'markdown', portalUrl: `${DEMO_ORIGIN}/host/${host.slug}/announcements/${announcementId}` };
    lines.push(
      `INSERT OR IGNORE INTO email_outbox (id, host_id, to_email, template, payload, subject, status, attempts, transport, sent_at, created_at) VALUES (${q(outboxId)}, ${q(host.id)}, ${q(r.email)}, 'announcement', ${q(JSON.stringify(payload))}, 'Lower pool fees from next month', 'sent', 1, 'local', ${sentAt}, ${sentAt});`,
      `INSERT OR IGNORE INTO announcement_recipients (announcement_id, seq, host_id, customer_id, email, name, outbox_id, ended_outbox_id) VALUES (${q(announcementId)}, ${n + 1}, ${q(host.id)}, ${q(r.customerId)}, ${q(r.email)}, ${q(r.name)}, ${q(outboxId)}, ${q(`a2000000-0000-4000-8${hostIndex}00-0000000002${pad2(n + 1)}`)});`,
    );
  });

  // The window: Row A, rack 1 (fleet units 0–4, assigned to the fleet's customer).
  const windowId = `a1000000-0000-4000-8${hostIndex}00-000000000002`;
  const day = 24 * hour;
  const startsAt = Math.floor((now + 3 * day) / hour) * hour;
  const endsAt = startsAt + 4 * hour;
  lines.push(
    `INSERT OR IGNORE INTO announcements (id, host_id, kind, subject, body, format, target, status, send_at, recipient_count, origin, site_id, starts_at, ends_at, notice_minutes, created_by_label, created_at, updated_at) VALUES (${q(windowId)}, ${q(host.id)}, 'maintenance', ${q(`PDU replacement, ${host.site.name} Row A rack 1`)}, 'We replace the power distribution unit of rack 1. The units on it are powered down for up to four hours; alerts for them are paused and the downtime is planned (not counted against uptime).', 'plain', ${q(JSON.stringify({ site_ids: [], contract_kinds: [], statuses: [], customer_ids: [] }))}, 'scheduled', ${startsAt - day}, 0, ${q(DEMO_ORIGIN)}, ${q(host.site.id)}, ${startsAt}, ${endsAt}, ${24 * 60}, ${q(host.staff[0].name)}, ${now}, ${now});`,
  );
  for (let i = 0; i < Math.min(5, host.fleet.assigned); i++) {
    lines.push(
      `INSERT OR IGNORE INTO maintenance_units (announcement_id, miner_id, host_id, customer_id, starts_at, ends_at) VALUES (${q(windowId)}, ${q(`m0000000-0000-4000-8${hostIndex}00-0000000000${pad2(i + 1)}`)}, ${q(host.id)}, ${q(demoCustomerId(hostIndex, host.fleet.assignedTo))}, ${startsAt}, ${endsAt});`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Legal (src/legal/): the hosting terms every customer accepts, in two versions. Every customer
// with portal users accepted the current one (so the demo logins are not gated); the first
// customer accepted both, so its Legal tab shows the history.

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

function legalLines(host, hostIndex, now) {
  const day = 86_400_000;
  const documentId = `l1000000-0000-4000-8${hostIndex}00-000000000001`;
  const versionId = (v) => `l2000000-0000-4000-8${hostIndex}00-00000000000${v}`;
  const terms = (deposit) =>
    `# ${host.name} hosting terms\n\n## Power and billing\n\n- Power is billed per kWh as metered, or at the contract's fixed fee.\n- Invoices are due within **15 days**.\n\n## Deposit\n\nThe deposit is ${deposit} and is returned at the end of the term.\n\n## Contact\n\nQuestions: [support](mailto:support@${host.slug}.example).`;
  const versions = [
    { v: 1, body: terms('one month of fees'), note: null, at: now - 120 * day },
    { v: 2, body: terms('two months of fees'), note: 'The deposit is two months of fees.', at: now - 30 * day },
  ];
  const lines = [
    `INSERT OR IGNORE INTO legal_documents (id, host_id, title, required_for, current_version_id, created_at, updated_at) VALUES (${q(documentId)}, ${q(host.id)}, 'Hosting terms', 'all', ${q(versionId(2))}, ${versions[0].at}, ${versions[1].at});`,
  ];
  for (const version of versions) {
    lines.push(
      `INSERT OR IGNORE INTO legal_document_versions (id, host_id, document_id, version, format, body, size_bytes, sha256, change_note, published_by_label, published_at) VALUES (${q(versionId(version.v))}, ${q(host.id)}, ${q(documentId)}, ${version.v}, 'markdown', ${qText(version.body)}, ${Buffer.byteLength(version.body, 'utf8')}, ${q(sha256(version.body))}, ${q(version.note)}, ${q(host.staff[0].name)}, ${version.at});`,
    );
  }
  host.portalUsers.forEach((user, n) => {
    const customerId = demoCustomerId(hostIndex, user.customer);
    const accepted = user.customer === 0 ? versions : [versions[1]];
    for (const version of accepted) {
      lines.push(
        `INSERT OR IGNORE INTO legal_acceptances (id, host_id, customer_id, document_id, version_id, version, sha256, customer_user_id, accepted_by_name, accepted_by_email, ip, accepted_at) VALUES (${q(`l3000000-0000-4000-8${hostIndex}00-000000000${pad2(n + 1)}${version.v}`)}, ${q(host.id)}, ${q(customerId)}, ${q(documentId)}, ${q(versionId(version.v))}, ${version.v}, ${q(sha256(version.body))}, ${q(user.id)}, ${q(user.name)}, ${q(user.email)}, '203.0.113.10', ${version.at + 2 * day});`,
      );
    }
  });
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Quotes (src/quotes/): a draft, one sent whose link is known (open
// /host/<slug>/quote/demo-quote-<slug> to play the prospect), and a declined one.

function quoteLines(host, hostIndex, now) {
  const day = 86_400_000;
  const validUntil = new Date(now + 30 * day).toISOString().slice(0, 10);
  const quotes = [
    // 10 × 3,500 W × 730 h = 25,550 kWh × 0.065 = 1,660.75 a month.
    { status: 'draft', name: 'Dana Prospect', company: 'Prospect Mining LLC', email: 'dana@prospect.example', kind: 'hosted', pricing: 'per_kwh', rate: { energy_rate_micros_per_kwh: 65_000 }, line: ['Antminer S21', 10, 200_000, 3500, 166_075], monthly: 166_075 },
    // 4 units × 250.00 = 1,000.00 a month.
    { status: 'sent', name: 'Eli Hashpower', company: null, email: 'eli@hashpower.example', kind: 'lease', pricing: null, rate: { monthly_fee_minor: 25_000 }, line: ['Antminer S19k Pro (leased)', 4, 120_000, 2760, 100_000], monthly: 100_000, token: `demo-quote-${host.slug}` },
    // 100 TH/s × 0.055 × 30 days = 165.00 a month.
    { status: 'declined', name: 'Fay Difficulty', company: 'Difficulty Bomb Ltd', email: 'fay@difficulty-bomb.example', kind: 'infinity', pricing: null, rate: { price_micros_per_th_day: 55_000 }, line: ['100 TH/s block', 1, 100_000, null, 16_500], monthly: 16_500, reason: 'We went with a longer term elsewhere.' },
  ];
  const lines = [];
  quotes.forEach((quote, n) => {
    const id = `q1000000-0000-4000-8${hostIndex}00-0000000000${pad2(n + 1)}`;
    const created = now - (10 - n) * day;
    const sent = quote.status === 'draft' ? null : created + day;
    const columns = {
      id,
      host_id: host.id,
      number: n + 1,
      status: quote.status,
      prospect_name: quote.name,
      prospect_company: quote.company,
      prospect_email: quote.email,
      kind: quote.kind,
      currency: host.currency,
      pricing: quote.pricing,
      ...quote.rate,
      term_months: 12,
      setup_fee_minor: quote.kind === 'lease' ? 50_000 : 0,
      deposit_minor: quote.kind === 'lease' ? 100_000 : 0,
      valid_until: validUntil,
      notes: 'Includes 24/7 remote hands.',
      monthly_estimate_minor: quote.monthly,
      token_hash: quote.token ? sha256(quote.token) : null,
      sent_at: sent,
      declined_at: quote.status === 'declined' ? sent + day : null,
      decline_reason: quote.reason ?? null,
      created_by_label: host.staff[0].name,
      created_by_email: host.staff[0].email,
      created_at: created,
      updated_at: sent ?? created,
    };
    lines.push(`INSERT OR IGNORE INTO quotes (${Object.keys(columns).join(', ')}) VALUES (${Object.values(columns).map(q).join(', ')});`);
    const [description, units, mths, watts, monthly] = quote.line;
    lines.push(
      `INSERT OR IGNORE INTO quote_lines (id, quote_id, host_id, position, description, units, nominal_mths, power_w, monthly_minor) VALUES (${q(`q2000000-0000-4000-8${hostIndex}00-0000000000${pad2(n + 1)}`)}, ${q(id)}, ${q(host.id)}, 0, ${q(description)}, ${units}, ${mths}, ${q(watts)}, ${monthly});`,
    );
  });
  return lines;
}
