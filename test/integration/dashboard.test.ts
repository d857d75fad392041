import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { addMonths, periodHolding } from '../../src/billing/periods';
import { contractMiners, contracts, customers, miners } from '../../src/db/schema';
import { readHistory, readLiveTotals } from '../../src/live/client';
import { HISTORY_SPAN_MS, hostFleetOverview, hostFleetSitesQuery } from '../../src/telemetry/fleet';
import { insertAlert, insertSite } from '../helpers/alerts';
import { daysAgo, insertInvoice, today } from '../helpers/billing';
import { countingD1, planOf, recordingD1 } from '../helpers/counting-d1';
import { createContract, createHost, createMiner, createTestCustomer, db, getPage, openDefaultCase, ORIGIN, type TestHost } from '../helpers/fixtures';
import { reportFleet, seedFleet } from '../helpers/fleet';
import { expectSameChart } from '../helpers/telemetry';

const current = () => periodHolding(today(), 1, 'UTC');
const lastKey = () => addMonths(current().start, -1).slice(0, 7);
const olderKey = () => addMonths(current().start, -2).slice(0, 7);

async function contractWith(host: TestHost, customerId: string, fields: Partial<typeof contracts.$inferInsert>, units = 0) {
  const id = await createContract(host, customerId, { kind: fields.kind });
  await db().update(contracts).set(fields).where(eq(contracts.id, id));
  for (let i = 0; i < units; i++) {
    const minerId = await createMiner(host, { customerId });
    await db().insert(contractMiners).values({ contractId: id, minerId, hostId: host.hostId, active: true, addedAt: Date.now() });
  }
  return id;
}

async function seedBusiness(host: TestHost) {
  const a = await createTestCustomer(host, { name: 'Alpha Mining' });
  const inactive = await createTestCustomer(host, { name: 'Idle Co' });
  await db().update(customers).set({ active: false }).where(eq(customers.id, inactive.id));
  const defaulted = await createTestCustomer(host, { name: 'Late Payer' });
  await openDefaultCase(host, defaulted.id);

  const perKwh = await contractWith(host, a.id, { kind: 'hosted', pricing: 'per_kwh' }, 1);
  await contractWith(host, a.id, { kind: 'hosted', pricing: 'per_kwh' }, 1); // no energy billed last period
  await contractWith(host, a.id, { kind: 'lease', pricing: null, kwhSource: null, monthlyFeeMinor: 5_000 }, 2);
  await contractWith(host, a.id, { kind: 'hosted', pricing: 'fixed_per_unit', kwhSource: null, monthlyFeeMinor: 3_000 }, 1);
  await contractWith(host, defaulted.id, { kind: 'om', pricing: null, kwhSource: null, monthlyFeeMinor: 20_000 });
  await contractWith(host, defaulted.id, { kind: 'infinity', pricing: null, kwhSource: null, infinityMths: 100_000, priceMicrosPerThDay: 50_000 });
  await contractWith(host, a.id, { kind: 'lease', status: 'draft', pricing: null, kwhSource: null, monthlyFeeMinor: 99_000 }, 0);

  // Last period: A's issued invoice (current) with an energy line, and Late Payer's draft (not billed).
  await insertInvoice(host, a.id, { periodKey: lastKey(), totalMinor: 10_000, dueOn: daysAgo(-5), energyLine: { contractId: perKwh, amountMinor: 7_777 } });
  await insertInvoice(host, defaulted.id, { periodKey: lastKey(), status: 'draft', totalMinor: 99_999 });
  await insertInvoice(host, defaulted.id, { periodKey: lastKey(), status: 'void', totalMinor: 88_888 });
  // Older: overdue 45 days with $10 paid, and a paid one (neither billed this month).
  await insertInvoice(host, defaulted.id, { periodKey: olderKey(), status: 'overdue', totalMinor: 5_000, paidMinor: 1_000, dueOn: daysAgo(45) });
  await insertInvoice(host, a.id, { periodKey: olderKey(), status: 'paid', totalMinor: 4_000, paidMinor: 4_000, dueOn: daysAgo(45) });

  const siteId = await insertSite(host, 'Dash Site');
  const fleet = await seedFleet(host, { siteId, customerId: a.id, count: 3 });
  await reportFleet(host, siteId, fleet.slice(0, 2), (i) => ({ hashrate_ths: i === 0 ? 100 : 50, power_w: 3000 }));
  await insertAlert(host, { siteId, minerId: fleet[0]!.id, kind: 'over_temp' });
  await insertAlert(host, { siteId, minerId: fleet[1]!.id, kind: 'offline', closedAt: Date.now() });
  return { a, defaulted };
}

const figure = (html: string, testId: string) => {
  const start = html.indexOf(`data-testid="${testId}"`);
  const match = /<span class="summary-value">([^<]*)<\/span>/.exec(html.slice(start));
  return match?.[1];
};

describe('Host OS dashboard', () => {
  it('/admin opens the dashboard, first in the sidebar', async () => {
    const host = await createHost('Home Host');
    const res = await getPage('/admin', { cookie: host.owner.cookie });
    expect(res.status).toBe(302);
    expect(res.headers.get('Location')).toBe('/admin/dashboard');
    const html = await (await getPage('/admin/dashboard', { cookie: host.owner.cookie })).text();
    const nav = html.slice(html.indexOf('aria-label="Host OS"'));
    expect(nav.indexOf('href="/admin/dashboard"')).toBeLessThan(nav.indexOf('href="/admin/customers"'));
    expect(html).toContain('href="/admin/dashboard" aria-current="page"');
  });

  it('shows receivables, billed and expected revenue, fleet, alerts and customers, each linking to its list', async () => {
    const host = await createHost('Dash Host');
    const { a, defaulted } = await seedBusiness(host);
    const res = await getPage('/admin/dashboard', { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();

    expect(figure(html, 'outstanding')).toBe('140.00 USD'); // 100 (A) + 40 (overdue balance)
    expect(figure(html, 'overdue')).toBe('40.00 USD');
    expect(figure(html, 'billed')).toBe('100.00 USD');
    const days = current().days;
    const expected = 10_000 + 3_000 + 20_000 + 500 * days + 7_777;
    expect(figure(html, 'expected')).toBe(`${(expected / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} USD`);
    expect(html).toContain('1 of them had no energy invoiced then');
    expect(html).toMatch(/data-bucket="d31_60"><a href="\/admin\/invoices\?status=overdue"><span class="money">40\.00 USD/);
    expect(html).toMatch(/data-bucket="current"><a href="\/admin\/invoices\?status=open"><span class="money">100\.00 USD/);

    expect(figure(html, 'hashrate')).toBe('150 TH/s');
    expect(figure(html, 'power')).toBe('6,000 W');
    // 3 at the site (2 reporting) + 5 contract units without a site: 6 without live data.
    expect(figure(html, 'units')).toBe('8');
    // The 50 TH/s unit is under its nominal: degraded, still mining (counted in hashrate and power).
    expect(html).toMatch(/data-status="active">1</);
    expect(html).toMatch(/data-status="degraded">1</);
    expect(html).toMatch(/data-status="unknown">6</);
    expect(figure(html, 'open-alerts')).toBe('1');
    expect(html).toContain('id="dashboard-chart');

    expect(figure(html, 'customers-all')).toBe('3');
    expect(figure(html, 'customers-active')).toBe('1');
    expect(figure(html, 'customers-inactive')).toBe('1');
    expect(figure(html, 'customers-in_default')).toBe('1');

    for (const href of [
      '/admin/invoices?status=open',
      '/admin/invoices?status=overdue',
      `/admin/invoices?period=${lastKey()}`,
      '/admin/contracts?status=active',
      '/admin/alerts?state=open',
      '/admin/equipment',
      '/admin/customers?status=in_default',
      `/admin/customers/${a.id}/financials`,
      `/admin/customers/${defaulted.id}/financials`,
    ]) {
      expect(html).toContain(`href="${href.replace(/&/g, '&amp;')}"`);
    }
  });

  it('reads D1 in a fixed number of round trips, whatever the size of the business', async () => {
    const app = createApp();
    const count = async (host: TestHost) => {
      const { db: counted, counts } = countingD1(env.DB);
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`${ORIGIN}/admin/dashboard`, { headers: { Cookie: host.owner.cookie } }), { ...env, DB: counted }, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(200);
      await res.text();
      return { ...counts };
    };
    const empty = await createHost('Empty Dash');
    const busy = await createHost('Busy Dash');
    await seedBusiness(busy);
    const emptyCounts = await count(empty);
    const busyCounts = await count(busy);
    expect(busyCounts).toEqual(emptyCounts);
    expect(busyCounts.roundTrips).toBeLessThanOrEqual(2); // the session check, then one batch
  });

  it('never counts another host’s money, units or customers', async () => {
    const other = await createHost('Other Dash');
    await seedBusiness(other);
    const host = await createHost('Quiet Dash');
    const html = await (await getPage('/admin/dashboard', { cookie: host.owner.cookie })).text();
    expect(figure(html, 'outstanding')).toBe('0.00 USD');
    expect(figure(html, 'billed')).toBe('0.00 USD');
    expect(figure(html, 'expected')).toBe('0.00 USD');
    expect(figure(html, 'units')).toBe('0');
    expect(figure(html, 'open-alerts')).toBe('0');
    expect(figure(html, 'customers-all')).toBe('0');
    expect(html).not.toContain('Alpha Mining');
  });
});

describe('the dashboard’s fleet comes from its sites’ objects, not from every unit', () => {
  it('sends no unit id and reads no unit row; its summary and chart equal the per-unit computation, retired units left out of the counts', async () => {
    const host = await createHost('Whole Fleet Dash');
    const siteA = await insertSite(host, 'Hall A');
    const siteB = await insertSite(host, 'Hall B');
    const customer = await createTestCustomer(host, { name: 'Whole Fleet Customer' });
    const inA = await seedFleet(host, { siteId: siteA, customerId: customer.id, count: 30 });
    const inB = await seedFleet(host, { siteId: siteB, customerId: customer.id, count: 12 });
    // A closed bucket 20 minutes ago for every unit, then an open one for all but two a site.
    const past = new Date(Date.now() - 20 * 60_000).toISOString();
    for (const [siteId, units] of [[siteA, inA], [siteB, inB]] as const) {
      await reportFleet(host, siteId, units, (i) => ({ sampled_at: past, hashrate_ths: 80 + i, power_w: 3000 + i }));
      await reportFleet(host, siteId, units.slice(0, -2), (i) => ({ hashrate_ths: 90 + i, power_w: 3100 + i }));
    }
    // Retired after it reported: out of the counts and the live totals; its past buckets stay in the site's chart.
    await db().update(miners).set({ status: 'retired', customerId: null, updatedAt: Date.now() }).where(eq(miners.id, inA[0]!.id));

    const { db: recorded, statements } = recordingD1(env.DB);
    const ctx = createExecutionContext();
    const res = await createApp().fetch(new Request(`${ORIGIN}/admin/dashboard`, { headers: { Cookie: host.owner.cookie } }), { ...env, DB: recorded }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(figure(await res.text(), 'units')).toBe('41');
    expect(statements.some((statement) => /json_group_array\("miners"\."id"\)/.test(statement.sql))).toBe(false);
    const perSite = statements.filter((statement) => /<> 'retired'/.test(statement.sql) && /group by "miners"\."site_id"/.test(statement.sql));
    expect(perSite).toHaveLength(1);
    expect((await planOf(perSite[0]!)).join('\n')).toMatch(/SEARCH miners USING COVERING INDEX \w+ \(host_id=\?\)/);

    const now = Date.now();
    const { summary, history } = await hostFleetOverview(env, await hostFleetSitesQuery(db(), host.hostId).all(), now);
    const unitsOf = (siteId: string, units: readonly { id: string }[]) => units.map((unit) => ({ id: unit.id, siteId, liveShards: 1 }));
    const kept = [...unitsOf(siteA, inA.slice(1)), ...unitsOf(siteB, inB)];
    const totals = await readLiveTotals(env, kept);
    expect(totals.miners).toBe(41);
    expect(summary.miners).toBe(41);
    expect(summary.byStatus).toEqual({ ...totals.byStatus, unknown: 0 });
    expect(summary.hashrateThs).toBeCloseTo(totals.hashrateThs, 6);
    expect(summary.powerW).toBeCloseTo(totals.powerW, 6);
    const every = [...unitsOf(siteA, inA), ...unitsOf(siteB, inB)];
    expect(history.length).toBeGreaterThan(0);
    expectSameChart(history, await readHistory(env, every, now - HISTORY_SPAN_MS));
  });
});
