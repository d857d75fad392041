import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getCustomer, listCustomers } from '../../src/customers/service';
import { CUSTOMER_STATUSES, deriveCustomerStatus, type StatusFacts } from '../../src/customers/status';
import { customers, defaultCases, poolRedirects } from '../../src/db/schema';
import { createHost, createTestCustomer, db } from '../helpers/fixtures';

const ALL_FACTS: StatusFacts[] = [false, true].flatMap((active) =>
  [false, true].flatMap((hasActivePoolRedirect) =>
    [false, true].map((hasOpenDefaultCase) => ({ active, hasActivePoolRedirect, hasOpenDefaultCase })),
  ),
);

describe('deriveCustomerStatus (DESIGN.md §3 precedence)', () => {
  it('is inactive whenever the account is disabled, whatever else is true', () => {
    for (const facts of ALL_FACTS.filter((f) => !f.active)) expect(deriveCustomerStatus(facts)).toBe('inactive');
  });
  it('is pool redirected over in default while a redirect is active', () => {
    expect(deriveCustomerStatus({ active: true, hasActivePoolRedirect: true, hasOpenDefaultCase: true })).toBe('pool_redirected');
    expect(deriveCustomerStatus({ active: true, hasActivePoolRedirect: true, hasOpenDefaultCase: false })).toBe('pool_redirected');
  });
  it('is in default while a case is open and no redirect is active', () => {
    expect(deriveCustomerStatus({ active: true, hasActivePoolRedirect: false, hasOpenDefaultCase: true })).toBe('in_default');
  });
  it('is active otherwise', () => {
    expect(deriveCustomerStatus({ active: true, hasActivePoolRedirect: false, hasOpenDefaultCase: false })).toBe('active');
  });
});

describe('the SQL status expression agrees with deriveCustomerStatus', () => {
  it('on every combination of facts, including closed cases and ended redirects that must not count', async () => {
    const host = await createHost('Status Host');
    for (const facts of ALL_FACTS) {
      const customer = await createTestCustomer(host, { name: JSON.stringify(facts), active: facts.active });
      const now = Date.now();
      // A closed case and an ended redirect are history: they never change the status.
      const closedCase = crypto.randomUUID();
      await db().insert(defaultCases).values({ id: closedCase, hostId: host.hostId, customerId: customer.id, reason: 'old', openedAt: now - 10, closedAt: now - 5 });
      await db().insert(poolRedirects).values({ id: crypto.randomUUID(), hostId: host.hostId, customerId: customer.id, defaultCaseId: closedCase, poolUrl: 'stratum+tcp://hold:3333', poolUser: 'h', startedAt: now - 9, endedAt: now - 6 });
      if (facts.hasOpenDefaultCase) {
        await db().insert(defaultCases).values({ id: crypto.randomUUID(), hostId: host.hostId, customerId: customer.id, reason: 'Invoice overdue', openedAt: now });
      }
      if (facts.hasActivePoolRedirect) {
        await db().insert(poolRedirects).values({ id: crypto.randomUUID(), hostId: host.hostId, customerId: customer.id, poolUrl: 'stratum+tcp://hold:3333', poolUser: 'h', startedAt: now });
      }
      const stored = await getCustomer(db(), host.hostId, customer.id);
      expect(stored.status, JSON.stringify(facts)).toBe(deriveCustomerStatus(facts));
      expect(stored.defaultReason).toBe(facts.hasOpenDefaultCase ? 'Invoice overdue' : null);
    }
    const rows = await db().select({ id: customers.id }).from(customers).where(eq(customers.hostId, host.hostId)).all();
    expect(rows).toHaveLength(ALL_FACTS.length);
    expect(env.DB).toBeDefined();

    // The list filter (customersWithStatus) picks exactly the customers whose status it names.
    for (const status of CUSTOMER_STATUSES) {
      const page = await listCustomers(db(), host.hostId, { status, limit: 100 });
      const expected = ALL_FACTS.filter((facts) => deriveCustomerStatus(facts) === status).map((facts) => JSON.stringify(facts));
      expect(page.items.map((c) => c.name).sort(), status).toEqual(expected.sort());
      expect(page.total, status).toBe(expected.length);
    }
    // Another host's open case or redirect never changes this host's filters.
    const other = await createHost('Other Status Host');
    const stranger = await createTestCustomer(other, { name: 'stranger' });
    await db().insert(defaultCases).values({ id: crypto.randomUUID(), hostId: other.hostId, customerId: stranger.id, reason: 'x', openedAt: Date.now() });
    expect((await listCustomers(db(), other.hostId, { status: 'in_default' })).total).toBe(1);
    expect((await listCustomers(db(), host.hostId, { status: 'in_default' })).total).toBe(ALL_FACTS.filter((f) => deriveCustomerStatus(f) === 'in_default').length);
  });
});
