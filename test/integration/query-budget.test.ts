import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { customers, defaultCases } from '../../src/db/schema';
import { countingD1 } from '../helpers/counting-d1';
import { createApiKeyFor, createHost, db, ORIGIN, type TestHost } from '../helpers/fixtures';

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
  // D1 allows at most 100 bound parameters per statement; drizzle binds 9 per row here, so 11 rows.
  // @see https://developers.cloudflare.com/d1/platform/limits/
  for (let i = 0; i < rows.length; i += 11) await db().insert(customers).values(rows.slice(i, i + 11));
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
      // Session check, then one batch holding the page and the total.
      expect(many.roundTrips, path).toBe(2);
    }
    const fewApi = await countFor('/api/v1/customers?limit=200', { Authorization: `Bearer ${smallKey}` });
    const manyApi = await countFor('/api/v1/customers?limit=200', { Authorization: `Bearer ${largeKey}` });
    expect(manyApi).toEqual(fewApi);
  });
});
