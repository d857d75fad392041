// Default and pool redirect end to end (issue 10's proof), on `npm start`'s demo data plus one
// customer of Texas Mine, Dana Default, whose issued invoice is 20 days past its due date and whose
// three units are served by the miner simulator on this run's own loopback addresses:
//   the owner sets Settings → Default and holding pool (defaults by hand only); the cron fires
//   (wrangler's --test-scheduled) and the invoice goes overdue; the owner opens a default on Dana's Default status
//   tab; previews the redirect and starts it with the typed confirmation; the real facility agent
//   (agent/cli.mjs, as the demo agent) pulls the holding pool from its config and applies it on
//   the simulated miners over TCP (addpool/switchpool); the tab shows each unit confirmed from
//   telemetry; Dana's portal shows the Pool Redirected banner; the owner records Dana's payment,
//   which clears the overdue balance: the case closes itself, and the agent puts every miner back
//   on the pool it had, confirmed the same way.
//
// Processes: wrangler dev (harness), the simulator and the agent (each in its own process group,
// stopped in `after` whatever happened), and Chromium with two cookie jars: the owner, Dana.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildSeedSql, DEMO_HOSTS, DEMO_PASSWORD, demoAgentToken, hashPassword, sqlLiteral as q } from '../scripts/demo-data.mjs';
import { freePort, ROOT, screenshot, startProcess, startServer } from './harness.mjs';
import { field, htmxReady, pathIs, reloadUntil, signInStaff } from './helpers.mjs';
import { browserTest } from './session.mjs';

const TEST_TIMEOUT_MS = 90_000;
/** The agent's poll interval, seconds (its minimum): a pool change takes one cycle to apply and one to be seen. */
const AGENT_INTERVAL_S = 10;
const UNITS = 3;
const HOLDING_POOL = 'stratum+tcp://holding.e2e.example:3333';
/** The backup holding pool (2nd in priority): the miners fail over to it, not to their old pools. */
const HOLDING_POOL_B = 'stratum+tcp://holding-b.e2e.example:3333';
/** The simulator's own pool (agent/lib/simulator/model.mjs): where every miner starts, and goes back to. */
const SIM_POOL = 'stratum+tcp://btc.pool.example:3333';
const host = DEMO_HOSTS[0];
const dana = {
  id: 'c0000000-0000-4000-8e2e-000000000001',
  name: 'Dana Default',
  email: 'dana@defaulted.example',
  reason: 'Invoice INV-2026-9001 unpaid 20 days past its due date',
};
const INVOICE = { id: 'i0000000-0000-4000-8e2e-000000000001', number: 'INV-2026-9001', totalMinor: 58_500 };
const DAY_MS = 86_400_000;

let server;
const session = browserTest('default');
const browsers = session.people;
session.showOutput('agent', () => agent, 3000);
session.showOutput('simulator', () => simulator, 1500);
let simulator;
let agent;
let scratch;
/** This run's simulated miners (a /29 of its own, away from the demo's 127.20–21 and other tests). */
const state = { miners: [], controlPort: 0 };

const macOf = (ip) => ['02', '48', '59', ...ip.split('.').slice(1).map((n) => Number(n).toString(16).padStart(2, '0'))].join(':');
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** Dana, her portal sign-in, her three racked units (on the simulator's pool) and her overdue invoice. */
function danaSeed(now) {
  const lines = [
    `INSERT INTO customers (id, host_id, name, sort_name, company_name, contact_email, active, portal_access, created_at, updated_at) VALUES (${q(dana.id)}, ${q(host.id)}, ${q(dana.name)}, 'dana default', 'Defaulted Hash LLC', ${q(dana.email)}, 1, 1, ${now}, ${now});`,
    `INSERT INTO customer_users (id, host_id, customer_id, email, name, password_hash, role, session_version, created_at, updated_at) VALUES ('p0000000-0000-4000-8e2e-000000000001', ${q(host.id)}, ${q(dana.id)}, ${q(dana.email)}, ${q(dana.name)}, ${q(hashPassword(DEMO_PASSWORD))}, 'owner', 1, ${now}, ${now});`,
  ];
  state.miners.forEach(({ ip, mac }, i) => {
    lines.push(
      `INSERT INTO miners (id, host_id, site_id, customer_id, mac, ip, serial, vendor, model, nominal_hashrate_mths, nominal_power_w, rack_location, status, owner_pool_url, owner_pool_user, created_at, updated_at) VALUES (${q(`m0000000-0000-4000-8e2e-00000000000${i + 1}`)}, ${q(host.id)}, ${q(host.site.id)}, ${q(dana.id)}, ${q(mac)}, ${q(ip)}, ${q(`DANA-${i + 1}`)}, 'Bitmain', 'Antminer S19 Pro', 110000, 3250, ${q(`Row E, rack 1, slot ${i + 1}`)}, 'assigned', ${q(SIM_POOL)}, ${q(`hosted.m${String(i + 1).padStart(4, '0')}`)}, ${now}, ${now});`,
    );
  });
  const periodFrom = Date.UTC(2026, 9, 1);
  const periodTo = Date.UTC(2026, 10, 1);
  lines.push(
    `INSERT INTO invoices (id, host_id, customer_id, period_key, period_start, period_end, period_from_ms, period_to_ms, status, number, number_year, number_seq, currency, subtotal_minor, tax_minor, total_minor, paid_minor, issued_on, due_on, issued_at, generated_at, created_at, updated_at) VALUES (${q(INVOICE.id)}, ${q(host.id)}, ${q(dana.id)}, '2026-10', '2026-10-01', '2026-11-01', ${periodFrom}, ${periodTo}, 'issued', ${q(INVOICE.number)}, 2026, 9001, 'USD', ${INVOICE.totalMinor}, 0, ${INVOICE.totalMinor}, 0, ${q(isoDay(now - 35 * DAY_MS))}, ${q(isoDay(now - 20 * DAY_MS))}, ${now - 35 * DAY_MS}, ${now - 35 * DAY_MS}, ${now - 35 * DAY_MS}, ${now});`,
    `INSERT INTO invoice_lines (id, invoice_id, host_id, position, kind, description, unit_count, quantity_text, amount_minor, taxable) VALUES ('l0000000-0000-4000-8e2e-000000000001', ${q(INVOICE.id)}, ${q(host.id)}, 1, 'fixed_fee', 'Hosting, Row E (3 units, October)', 3, '3 units x 1 month', ${INVOICE.totalMinor}, 0);`,
  );
  return lines.join('\n');
}

before(async () => {
  // The run's /29 derives from a free port, as e2e/live-telemetry.test.mjs does.
  const seedPort = await freePort();
  const a = 128 + ((seedPort + 60) % 120);
  const b = Math.floor(seedPort / 120) % 256;
  state.miners = Array.from({ length: UNITS }, (_, i) => {
    const ip = `127.${a}.${b}.${i + 1}`;
    return { ip, mac: macOf(ip) };
  });
  state.segment = `127.${a}.${b}.0/29`;
  state.controlPort = await freePort();
  server = await startServer({ seedSql: `${buildSeedSql()}${danaSeed(Date.now())}\n`, testScheduled: true });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'hashyard-e2e-default-'));
  await session.open(server, ['owner', 'dana']);
});

after(async () => {
  // Process groups first, whatever happened above.
  await session.close(agent, simulator);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const withEvidence = (step, fn) => session.evidence(step, () => fn({ owner: browsers.owner.page, portal: browsers.dana.page }));

/** Each simulated miner's pool in use (the top-priority enabled one), from the simulator's control API. */
/** Each simulated miner's enabled pool at `rank` in priority order (0: the one mined on, 1: its first backup). */
async function simulatedPools(rank = 0) {
  const res = await fetch(`http://127.0.0.1:${state.controlPort}/miners`);
  assert.equal(res.status, 200);
  const miners = await res.json();
  return new Map(miners.map((m) => [m.ip, m.pools.filter((p) => !p.disabled).sort((x, y) => x.priority - y.priority)[rank] ?? null]));
}

/** Reloads the Default status tab until every unit row is in `wanted` state, within `deadlineMs`. */
function waitForUnits(page, wanted, deadlineMs) {
  const rows = page.locator(`[data-testid="redirect-units"] tr[data-state="${wanted}"]`);
  return reloadUntil(page, `/admin/customers/${dana.id}/default-status`, async () => ((await rows.count()) === UNITS ? rows : null), {
    deadlineMs,
    pollMs: 2_000,
    what: `every unit ${wanted}`,
  });
}

describe('default and pool redirect in the browser: settings, case, redirect through the real agent, banner, payment, restore', () => {
  test('the demo agent reports Dana’s simulated miners on the simulator’s pool', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('fleet', async () => {
      const arpFile = path.join(scratch, 'arp');
      simulator = startProcess(
        process.execPath,
        [path.join(ROOT, 'agent', 'simulator.mjs'), '--count', String(UNITS), '--base', state.miners[0].ip, '--control', String(state.controlPort), '--arp-file', arpFile],
        { label: 'simulator' },
      );
      await simulator.waitForOutput(/^ready|\bready\b/, 15_000);
      // The demo agent, registered as `npm start` registers it (scripts/start.mjs), scanning this run's range only.
      const stateDir = path.join(scratch, 'agent');
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      const registration = { api: server.baseURL, agent_id: 'g0000000-0000-4000-8000-000000000001', site_id: host.site.id, token: demoAgentToken(host), registered_at: new Date().toISOString() };
      writeFileSync(path.join(stateDir, 'agent.json'), `${JSON.stringify(registration, null, 2)}\n`, { mode: 0o600 });
      chmodSync(path.join(stateDir, 'agent.json'), 0o600);
      agent = startProcess(
        process.execPath,
        [path.join(ROOT, 'agent', 'cli.mjs'), '--api', server.baseURL, '--state', stateDir, '--arp-file', arpFile, '--segments', state.segment, '--interval', String(AGENT_INTERVAL_S)],
        { label: 'agent' },
      );
      const { match } = await agent.waitForOutput(/cycle: (\d+) miners polled.*delivered [1-9]\d* batch/, 30_000);
      assert.equal(Number(match[1]), UNITS, 'the agent polled every simulated miner');
      for (const [ip, pool] of await simulatedPools()) assert.equal(pool?.url, SIM_POOL, `${ip} starts on the simulator's pool`);
    }),
  );

  test('the owner sets the holding pool, opens a default on Dana and starts the redirect after the preview, with the typed confirmation', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('redirect', async ({ owner: page }) => {
      await signInStaff(page, host.staff[0].email, DEMO_PASSWORD);

      await page.goto('/admin/settings/default');
      await htmxReady(page);
      const settings = page.locator('#default-settings-form');
      await field(settings, '1st holding pool stratum URL').fill(HOLDING_POOL);
      await field(settings, '1st pool account').fill('texasmine-e2e');
      await field(settings, '2nd holding pool stratum URL').fill(HOLDING_POOL_B);
      await field(settings, 'Worker name rule').fill('{account}.{serial}');
      // Blank grace days: the cron never opens a default by itself; staff do, by hand.
      await field(settings, 'Grace days after the due date').fill('');
      await settings.locator('#f-auto_redirect_days').fill('');
      await settings.getByRole('button', { name: 'Save default settings' }).click();
      await page.getByText('Default settings saved.').waitFor();
      assert.equal(await field(page.locator('#default-settings-form'), '1st holding pool stratum URL').inputValue(), HOLDING_POOL);
      assert.equal(await field(page.locator('#default-settings-form'), '2nd holding pool stratum URL').inputValue(), HOLDING_POOL_B);

      // The cron fires: Dana's issued invoice, 20 days past its due date, goes overdue.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const fired = await fetch(`${server.baseURL}/__scheduled?cron=${encodeURIComponent('*/15 * * * *')}`);
        assert.equal(fired.status, 200, `the cron ran: ${await fired.text()}`);
        await page.goto(`/admin/customers/${dana.id}/financials`);
        const row = page.getByRole('row').filter({ hasText: INVOICE.number });
        if (/Overdue/.test(await row.innerText())) break;
        if (Date.now() > deadline) assert.fail(`${INVOICE.number} did not go overdue: ${await row.innerText()}`);
        await page.waitForTimeout(1_000);
      }

      await page.goto(`/admin/customers/${dana.id}`);
      await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Default status' }).click();
      await page.waitForURL(pathIs(`/admin/customers/${dana.id}/default-status`));
      await page.getByText('Open a default', { exact: true }).click();
      await field(page, 'Reason').fill(dana.reason);
      await page.getByRole('button', { name: 'Open the default' }).click();
      await page.waitForURL((url) => url.pathname === `/admin/customers/${dana.id}/default-status` && url.search === '?done=opened');
      assert.equal(await page.getByTestId('default-reason').innerText(), dana.reason);
      assert.match(await page.getByTestId('overdue-now').innerText(), /585\.00 USD/);

      await page.getByRole('button', { name: 'Preview the redirect' }).click();
      const preview = page.getByTestId('redirect-preview');
      await preview.waitFor();
      assert.equal(await preview.locator('tbody tr').filter({ hasText: /DANA-\d/ }).count(), UNITS, 'every unit is previewed');
      const previewText = await preview.innerText();
      assert.match(previewText, new RegExp(`${SIM_POOL.replace(/[+.]/g, '\\$&')} \\(hosted\\.m0001\\)`), 'from the pool the unit reports now');
      assert.match(previewText, /texasmine-e2e\.DANA-1/, 'to the holding pool with the rendered worker');
      const holdingPools = await page.getByTestId('holding-pools').locator('li').allInnerTexts();
      assert.deepEqual(holdingPools.map((t) => t.split(' ')[0]), [HOLDING_POOL, HOLDING_POOL_B], 'the holding pools the units get, in order');

      // Without the typed confirmation nothing starts.
      await page.getByRole('button', { name: 'Start the redirect' }).click();
      await page.getByText('Type REDIRECT to start the redirect.').first().waitFor();
      await field(page, 'Type REDIRECT to confirm').fill('REDIRECT');
      await page.getByRole('button', { name: 'Start the redirect' }).click();
      await page.waitForURL((url) => url.search === '?done=redirect');
      assert.match(await page.locator('main').innerText(), /Pool redirected since/);
    }),
  );

  test('the agent applies the holding pool on the simulated miners; the Default tab shows each unit confirmed from telemetry', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('applied', async ({ owner: page }) => {
      for (const { ip } of state.miners) await agent.waitForOutput(new RegExp(`pools ${ip.replace(/\./g, '\\.')}: switchpool`), 3 * AGENT_INTERVAL_S * 1000);
      const pools = await simulatedPools();
      state.miners.forEach(({ ip }, i) => assert.deepEqual([pools.get(ip)?.url, pools.get(ip)?.user], [HOLDING_POOL, `texasmine-e2e.DANA-${i + 1}`], `${ip} mines on the holding pool`));
      const backups = await simulatedPools(1);
      state.miners.forEach(({ ip }, i) => assert.deepEqual([backups.get(ip)?.url, backups.get(ip)?.user], [HOLDING_POOL_B, `texasmine-e2e.DANA-${i + 1}`], `${ip} fails over to the backup holding pool`));

      const rows = await waitForUnits(page, 'redirect-confirmed', 4 * AGENT_INTERVAL_S * 1000);
      for (const text of await rows.allInnerTexts()) assert.match(text, /On the holding pool/);
      const shot = await screenshot(page, 'default-redirect-confirmed');
      console.log(`# screenshot: ${shot}`);
    }),
  );

  test('Dana signs in to her portal and sees the Pool Redirected banner with the reason and the amount due', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('banner', async ({ portal: page }) => {
      await page.goto(`/host/${host.slug}/auth`);
      await htmxReady(page);
      await field(page, 'Email').fill(dana.email);
      await field(page, 'Password').fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname.startsWith(`/host/${host.slug}`) && !url.pathname.includes('/auth'));
      // The demo host asks its customers to accept its current agreements first (issue 13).
      for (let i = 0; i < 5 && new URL(page.url()).pathname.endsWith('/agreements'); i++) {
        await page.getByRole('button', { name: /^I accept / }).first().click();
        await page.waitForLoadState();
      }
      const banner = page.getByTestId('default-banner');
      await banner.waitFor();
      const text = await banner.innerText();
      assert.match(text, /Pool Redirected/);
      assert.match(text, new RegExp(`Reason: ${dana.reason}`));
      assert.match(text, /Overdue now: 585\.00 USD/);
      assert.match(text, /Once the overdue balance is paid, each miner goes back to the pool it was on/);
    }),
  );

  test('a payment clears the overdue balance: the case closes itself and the agent restores every miner’s pool, confirmed', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('restore', async ({ owner: page, portal }) => {
      await page.goto(`/admin/customers/${dana.id}/financials`);
      await htmxReady(page);
      const form = page.locator('#record-payment');
      await field(form, 'Method').selectOption('wire');
      await field(form, 'Amount').fill('585.00');
      await field(form, 'Received on').fill(new Intl.DateTimeFormat('en-CA', { timeZone: host.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date()));
      await field(form, 'Reference').fill('WIRE-DANA-1');
      const option = field(form, 'Apply to').locator('option').filter({ hasText: INVOICE.number });
      await field(form, 'Apply to').selectOption(await option.getAttribute('value'));
      await form.getByText('Record payment…').click();
      await form.getByRole('button', { name: 'Confirm: record payment' }).click();
      await page.waitForURL((url) => url.pathname === `/admin/customers/${dana.id}/financials` && url.search.includes('done='));

      await page.goto(`/admin/customers/${dana.id}/default-status`);
      await page.getByText('The customer has no open default case.').waitFor();
      const history = await page.locator('main').innerText();
      assert.match(history, /Overdue balance cleared/, 'closed by itself, saying why');

      const rows = await waitForUnits(page, 'restore-confirmed', 5 * AGENT_INTERVAL_S * 1000);
      for (const text of await rows.allInnerTexts()) assert.match(text, /Restored/);
      const pools = await simulatedPools();
      state.miners.forEach(({ ip }, i) => assert.deepEqual([pools.get(ip)?.url, pools.get(ip)?.user], [SIM_POOL, `hosted.m${String(i + 1).padStart(4, '0')}`], `${ip} is back on its pool`));
      // and no holding pool is left enabled behind it: the miner's own backup is what it fails over to
      const tables = await (await fetch(`http://127.0.0.1:${state.controlPort}/miners`)).json();
      for (const m of tables) assert.deepEqual(m.pools.filter((p) => !p.disabled && [HOLDING_POOL, HOLDING_POOL_B].includes(p.url)), [], `${m.ip}: no holding pool left enabled`);

      await portal.reload();
      assert.equal(await portal.getByTestId('default-banner').count(), 0, 'the banner is gone');
    }),
  );
});
