import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { customers, defaultCases } from '../../src/db/schema';
import { countingD1 } from '../helpers/counting-d1';
import { createApiKeyFor, createHost, db, ORIGIN, type TestHost } from '../helpers/fixtures';
import { insertAlert, insertSite, portalCustomer } from '../helpers/alerts';
import { reportFleet, seedFleet } from '../helpers/fleet';

const app = createApp();

async function seedCustomers(host: TestHost, count: number) {
  const now = Date.now();
  const rows = Array.from({ length: count }, (_, i) => ({
    id: crypto.randomUUID(),
    hostId: host.hostId,
    name: `Customer ${String(i).padStart(4, '0')}`,
    sortName: `customer ${String(i).padStart(4, '0')}`,
    contactEmail: `c${i}@example.com`,
    createdAt: now - i,
    updatedAt: now - i,
  }));
  // D1 allows at most 100 bound parameters per statement; drizzle binds 10 per row here (tax_exempt
  // joined with migration 0006), so 9 rows.
  // @see https://developers.cloudflare.com/d1/platform/limits/
  for (let i = 0; i < rows.length; i += 9) await db().insert(customers).values(rows.slice(i, i + 9));
  for (const row of rows.filter((_, i) => i % 5 === 0)) {
    await db().insert(defaultCases).values({ id: crypto.randomUUID(), hostId: host.hostId, customerId: row.id, reason: 'late', openedAt: now });
  }
}

async function countFor(path: string, headers: Record<string, string>) {
  const { db: counted, counts } = countingD1(env.DB);
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ORIGIN}${path}`, { headers }), { ...env, DB: counted }, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status, path).toBe(200);
  await res.text();
  return { ...counts };
}

describe('the customer list makes the same number of D1 queries whatever the number of customers (no N+1)', () => {
  it('pages, search, status filter and the API', async () => {
    const small = await createHost('Few Customers');
    const large = await createHost('Many Customers');
    await seedCustomers(small, 3);
    await seedCustomers(large, 260);
    const smallKey = await createApiKeyFor(small);
    const largeKey = await createApiKeyFor(large);

    for (const path of ['/admin/customers', '/admin/customers?q=customer', '/admin/customers?status=in_default', '/admin/customers?sort=-created']) {
      const few = await countFor(path, { Cookie: small.owner.cookie });
      const many = await countFor(path, { Cookie: large.owner.cookie });
      expect(many, path).toEqual(few);
      // One batch: the session check, the page and the total.
      expect(many.roundTrips, path).toBe(1);
    }
    const fewApi = await countFor('/api/v1/customers?limit=200', { Authorization: `Bearer ${smallKey}` });
    const manyApi = await countFor('/api/v1/customers?limit=200', { Authorization: `Bearer ${largeKey}` });
    expect(manyApi).toEqual(fewApi);
  });
});

describe('the portal’s fleet pages make the same number of D1 round trips whatever the fleet size (no N+1)', () => {
  /** A customer with `count` miners over two sites, most of them reporting, and two open alerts. */
  async function portalFleet(name: string, count: number) {
    const host = await createHost(name);
    const siteA = await insertSite(host, 'Hall A');
    const siteB = await insertSite(host, 'Hall B');
    const customer = await portalCustomer(host, `${name} Customer`);
    const half = Math.ceil(count / 2);
    const atA = await seedFleet(host, { siteId: siteA, customerId: customer.customer.id, count: half });
    const atB = await seedFleet(host, { siteId: siteB, customerId: customer.customer.id, count: count - half });
    await reportFleet(host, siteA, atA, (i) => ({ hashrate_ths: 90 + (i % 10) }));
    await reportFleet(host, siteB, atB.slice(1));
    for (const unit of [atA[0]!, atB[0]!]) await insertAlert(host, { siteId: siteA, minerId: unit.id, customerId: customer.customer.id });
    return customer;
  }

  it('dashboard, Equipment (search, status filter, sorts, pages) and the polled fragment', async () => {
    const few = await portalFleet('Few Miners', 3);
    const many = await portalFleet('Many Miners', 64);
    // One round trip before the page (host and session together), then:
    const budget: [path: string, roundTrips: number][] = [
      // nothing more: the dashboard's reads (team size, the fleet's units counted per site, open alerts
      // and their count) travel in that same batch;
      ['', 1],
      // the Equipment page and its polled fragment too: the fleet's units counted per site and
      // the page's rows (with a search, the matching count as well) travel in that batch;
      ['/equipment', 1],
      ['/equipment/live', 1],
      ['/equipment?q=hall+a', 1],
      ['/equipment/live?q=0001', 1],
      // a status filter or a searched live sort: that batch with the matching ids, then the page's rows.
      ['/equipment?status=active', 2],
      ['/equipment/live?status=unknown&q=hall', 2],
      ['/equipment/live?sort=-hashrate&q=hall', 2],
      // a live sort of the whole fleet reaching past the units with a value (every page of the
      // small fleet, whose last unit never reported; page 2 of the large one): the objects answer
      // from their registries, then the matching ids, then the page's rows.
      ['/equipment/live?sort=status&page=2', 3],
    ];
    for (const [path, roundTrips] of budget) {
      const small = await countFor(`${few.base}${path}`, { Cookie: few.cookie });
      const large = await countFor(`${many.base}${path}`, { Cookie: many.cookie });
      expect(large, path || '/').toEqual(small);
      expect(large.roundTrips, path || '/').toBe(roundTrips);
    }
    // A live sort of the whole fleet within the units with a value (page 1 of a large fleet), the
    // first this isolate serves for the customer: the objects answer the page from their own
    // registries, no ids read: then the page's rows.
    const cold = await portalFleet('Cold Miners', 64);
    expect(await countFor(`${cold.base}/equipment?sort=-hashrate`, { Cookie: cold.cookie })).toEqual({ statements: 4, roundTrips: 2 });
    // Once the isolate has read the fleet's sites (any Equipment view does), the objects are asked
    // before the session's batch (src/live/rank-ahead.ts) and the page's rows travel in it.
    expect(await countFor(`${cold.base}/equipment?sort=-hashrate`, { Cookie: cold.cookie })).toEqual({ statements: 4, roundTrips: 1 });
    expect(await countFor(`${many.base}/equipment?sort=-hashrate`, { Cookie: many.cookie })).toEqual({ statements: 4, roundTrips: 1 });
    // Reaching past the units with a value (the small fleet's last unit never reported), the early
    // answer is not enough: the objects again, the matching ids, then the page's rows (the same
    // prepared statement as the early rows').
    expect(await countFor(`${few.base}/equipment?sort=-hashrate`, { Cookie: few.cookie })).toEqual({ statements: 5, roundTrips: 3 });
  });
});

describe('the staff Equipment list makes the same number of D1 round trips whatever the inventory size (no N+1)', () => {
  async function inventory(name: string, count: number) {
    const host = await createHost(name);
    const site = await insertSite(host, 'Hall A');
    const customer = await portalCustomer(host, `${name} Customer`);
    const units = await seedFleet(host, { siteId: site, customerId: customer.customer.id, count });
    await reportFleet(host, site, units, (i) => ({ hashrate_ths: 90 + (i % 10) }));
    return host;
  }

  it('D1 sorts, live sorts, filters and the htmx results fragment', async () => {
    const few = await inventory('Few Units', 3);
    const many = await inventory('Many Units', 64);
    const budget: [path: string, headers: Record<string, string>, roundTrips: number][] = [
      // one batch: the session check, the page, the filtered total and the filter choices;
      ['/admin/equipment?sort=serial', {}, 1],
      ['/admin/equipment?sort=-power&q=hall&status=assigned', {}, 1],
      ['/admin/equipment?sort=serial', { 'HX-Request': 'true', 'HX-Target': 'equipment-results' }, 1],
      // a live sort of the whole host, the first this isolate serves for it: that batch with the
      // count and the sites instead of the page (the sites' objects answer the page from their
      // registries), then the page's rows;
      ['/admin/equipment?sort=-hashrate', {}, 2],
      // the next ones: the objects are asked before that batch (src/live/rank-ahead.ts), so the
      // page's rows travel in it;
      ['/admin/equipment?sort=-hashrate', {}, 1],
      ['/admin/equipment?sort=temperature&view=grid', {}, 1],
      // a filtered live sort: that batch with the filtered ids instead of the page, then the page's rows.
      ['/admin/equipment?sort=-hashrate&status=assigned', {}, 2],
    ];
    for (const [path, headers, roundTrips] of budget) {
      const small = await countFor(path, { Cookie: few.owner.cookie, ...headers });
      const large = await countFor(path, { Cookie: many.owner.cookie, ...headers });
      expect(large, path).toEqual(small);
      expect(large.roundTrips, path).toBe(roundTrips);
    }
  });
});
