import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { insertSite, portalCustomer } from '../helpers/alerts';
import { planOf, recordingD1 } from '../helpers/counting-d1';
import { createHost, ORIGIN } from '../helpers/fixtures';
import { reportFleet, seedFleet } from '../helpers/fleet';

const app = createApp();

/** A page fetched as `cookie` sees it (must answer 200), with every statement it sent to D1. */
async function pageWithStatements(path: string, cookie: string) {
  const { db, statements } = recordingD1(env.DB);
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ORIGIN}${path}`, { headers: { Cookie: cookie } }), { ...env, DB: db }, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status, path).toBe(200);
  return { html: await res.text(), statements };
}

describe('the Equipment list’s filter choices read indexes, not the inventory (migration 0023)', () => {
  it('the model choices from an index alone, the count of units without power data over those with no nominal power', async () => {
    const host = await createHost('Plan Host');
    const site = await insertSite(host, 'Hall A');
    const customer = await portalCustomer(host, 'Plan Customer');
    await seedFleet(host, { siteId: site, customerId: customer.customer.id, count: 30, model: 'Antminer S21' });
    await seedFleet(host, { siteId: site, customerId: customer.customer.id, count: 30, model: 'Whatsminer M60' });

    const { html, statements } = await pageWithStatements('/admin/equipment', host.owner.cookie);
    // The page shows what those statements answer: both models as choices.
    expect(html).toContain('<option value="Antminer S21">');
    expect(html).toContain('<option value="Whatsminer M60">');

    // One statement answers every choice (the sites, models and customers, the count without power data).
    const choices = statements.filter((statement) => /select distinct "model" from "miners"|"nominal_power_w" IS NULL|from "customers"/.test(statement.sql));
    expect(choices).toHaveLength(1);
    const plan = (await planOf(choices[0]!)).join('\n');
    expect(plan).toMatch(/SEARCH miners USING COVERING INDEX miners_host_model_idx \(host_id=\?/);
    expect(plan).toMatch(/SEARCH miners USING INDEX miners_host_no_power_idx \(host_id=\?\)/);
  });
});

describe('a customer’s fleet in the portal is counted from an index (migration 0024)', () => {
  it('the per-site count and nominal sum read no unit row, and the page needs no other count', async () => {
    const host = await createHost('Portal Plan Host');
    const siteA = await insertSite(host, 'Hall A');
    const siteB = await insertSite(host, 'Hall B');
    const customer = await portalCustomer(host, 'Portal Plan Customer');
    const other = await portalCustomer(host, 'Someone Else');
    await seedFleet(host, { siteId: siteA, customerId: customer.customer.id, count: 40 });
    await seedFleet(host, { siteId: siteB, customerId: customer.customer.id, count: 25 });
    await seedFleet(host, { siteId: siteA, customerId: other.customer.id, count: 30 });

    const { html, statements } = await pageWithStatements(`${customer.base}/equipment`, customer.cookie);
    // The total comes from the per-site counts: the customer's 65, not the host's 95.
    expect(html).toContain('Showing 1–50 of 65 miners');
    expect(statements.some((statement) => /^select count\(\*\) from "miners"/.test(statement.sql))).toBe(false);

    const perSite = statements.filter((statement) => /total\("nominal_hashrate_mths"\)/.test(statement.sql) && /group by "miners"."site_id"/.test(statement.sql));
    expect(perSite).toHaveLength(1);
    const plan = (await planOf(perSite[0]!)).join('\n');
    expect(plan).toMatch(/SEARCH miners USING COVERING INDEX miners_customer_fleet_idx \(host_id=\? AND customer_id=\? AND status=\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE FOR GROUP BY/);
  });
});

describe('a customer’s Equipment page in its default order is walked from indexes, not sorted (migration 0025)', () => {
  it('the sites in name order, each site’s units in rack and serial order: no sort of the customer’s units', async () => {
    const host = await createHost('Walk Plan Host');
    const customer = await portalCustomer(host, 'Walk Plan Customer');
    for (const name of ['Hall B', 'Hall A']) await seedFleet(host, { siteId: await insertSite(host, name), customerId: customer.customer.id, count: 30 });

    for (const path of [`${customer.base}/equipment`, `${customer.base}/equipment/live?page=2`]) {
      const { statements } = await pageWithStatements(path, customer.cookie);
      const pages = statements.filter((statement) => / union all /.test(statement.sql));
      expect(pages, path).toHaveLength(1);
      const plan = (await planOf(pages[0]!)).join('\n');
      // The units without a site (the left arm) are sorted among themselves; the sites' units are
      // not. Each site's row is read (its name and shard count), one per site.
      const sited = plan.slice(plan.indexOf('RIGHT'));
      expect(plan, path).toMatch(/MERGE \(UNION ALL\)/);
      expect(sited, path).toMatch(/SEARCH sites USING INDEX sites_host_idx \(host_id=\?\)\n.*SEARCH miners USING INDEX miners_customer_fleet_idx \(host_id=\? AND customer_id=\? AND status=\? AND site_id=\?\)/);
      expect(sited, path).not.toMatch(/TEMP B-TREE/);
    }
  });
});

describe('a live-sorted page’s rows are looked up by id, not found by walking the scope', () => {
  /** Every statement the request sends, with its plan. */
  async function plansOf(path: string, cookie: string) {
    const { statements } = await pageWithStatements(path, cookie);
    return Promise.all(statements.map(async (statement) => ({ sql: statement.sql, plan: (await planOf(statement)).join('\n') })));
  }
  const byIds = (plans: { sql: string; plan: string }[]) => plans.filter((p) => /"miners"\."id" IN \(SELECT value FROM json_each\(/.test(p.sql));

  it('staff Equipment and portal Equipment sorted by hashrate', async () => {
    const host = await createHost('By Id Host');
    const site = await insertSite(host, 'Hall A');
    const customer = await portalCustomer(host, 'By Id Customer');
    const units = await seedFleet(host, { siteId: site, customerId: customer.customer.id, count: 60 });
    await reportFleet(host, site, units, (i) => ({ hashrate_ths: 90 + (i % 10) }));

    for (const [path, cookie] of [
      ['/admin/equipment?sort=-hashrate', host.owner.cookie],
      [`${customer.base}/equipment?sort=-hashrate`, customer.cookie],
    ] as const) {
      // The first view reads the rows after the objects answer; the next one in the session's batch.
      for (const view of ['first', 'next']) {
        const rows = byIds(await plansOf(path, cookie));
        expect(rows, `${path} (${view})`).toHaveLength(1);
        expect(rows[0]!.plan, `${path} (${view})`).toMatch(/SEARCH miners USING INDEX sqlite_autoindex_miners_1 \(id=\?\)/);
      }
    }
  });
});
