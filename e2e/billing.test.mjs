// Billing end to end (issue 9's proof), on `npm start`'s demo data: Texas Mine's owner makes a
// hosted per-kWh contract for Bob Hashworth's three racked units through the wizard; the demo
// facility's agent reports those units over the last closed hour, through the real telemetry API
// into the site's Durable Object, which rolls the hour up into usage; the owner previews,
// generates and issues Bob's invoice from that usage, downloads an energy line's evidence and
// re-verifies it offline with `npm run verify-evidence`; records Bob's payment; and Bob sees the
// invoice paid in his portal.
//
// Usage only exists for closed hours, so the agent reports the previous hour (samples a minute
// apart, as a spool replay after an outage would): that is the one shortcut, and it goes through
// the same door and the same fold as the live agent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildSeedSql, DEMO_HOSTS, DEMO_PASSWORD, demoAgentToken, demoCustomerId, fleetAddresses } from '../scripts/demo-data.mjs';
import { ROOT, startServer } from './harness.mjs';
import { field, htmxReady, reloadUntil, signInStaff } from './helpers.mjs';
import { browserTest } from './session.mjs';

const TEST_TIMEOUT_MS = 120_000;
const HOUR_MS = 3_600_000;
const host = DEMO_HOSTS[0];
const bob = { id: demoCustomerId(0, 1), email: 'bob@hashworth.example' };
const units = host.awaitingContract.units.map((i) => ({
  id: `m0000000-0000-4000-8000-0000000000${String(i + 1).padStart(2, '0')}`,
  ...fleetAddresses(host.fleet)[i],
}));
/** Every unit draws this much for the whole reported hour: 3,100 Wh each, 9.3 kWh in all. */
const POWER_W = 3100;
const RATE = '0.08';

/** The last closed hour, and the host's calendar day and billing period (calendar month) it falls in. */
const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
const hostDay = new Intl.DateTimeFormat('en-CA', { timeZone: host.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(hourStart));
const period = hostDay.slice(0, 7);

let server;
const session = browserTest('billing');
const browsers = session.people;
let scratch;
const state = { contractName: `Row D hosting ${hourStart}`, invoiceId: '', invoiceNumber: '', totalText: '' };

before(async () => {
  server = await startServer({ seedSql: buildSeedSql() });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'hashyard-e2e-billing-'));
  await session.open(server, ['staff', 'bob']);
});

after(async () => {
  await session.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const withEvidence = (step, fn) => session.evidence(step, () => fn({ staff: browsers.staff.page, customer: browsers.bob.page }));

/** The demo agent's report of the three units over the hour, one batch per minute's samples. */
async function reportTheHour() {
  const token = demoAgentToken(host);
  for (let minute = 0; minute <= 60; minute++) {
    const sampledAt = new Date(hourStart + minute * 60_000).toISOString();
    const batch = {
      batch_id: crypto.randomUUID(),
      sent_at: new Date().toISOString(),
      miners: units.map((u) => ({
        mac: u.mac,
        ip: u.ip,
        vendor: 'MicroBT',
        model: 'Whatsminer M30S',
        sampled_at: sampledAt,
        state: 'mining',
        hashrate_ths: 86,
        expected_hashrate_ths: 86,
        board_temps_c: [61, 62, 63],
        chip_temps_c: [70, 71, 72],
        fans_rpm: [5200, 5210],
        power_w: POWER_W,
        power_source: 'miner',
        uptime_s: 86_400 + minute * 60,
        errors: [],
      })),
    };
    const res = await fetch(`${server.baseURL}/api/agent/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.miners_accepted, units.length, `every unit matched its row: ${JSON.stringify(body)}`);
  }
}

describe('billing in the browser: contract, usage, invoice, evidence, payment, portal', () => {
  test('the owner makes a hosted per-kWh contract for Bob’s racked units through the wizard', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('wizard', async ({ staff: page }) => {
      await signInStaff(page, host.staff[0].email, DEMO_PASSWORD);
      await page.goto(`/admin/customers/${bob.id}/contracts/new`);
      await htmxReady(page);
      await field(page, 'Type').selectOption('hosted');
      await field(page, 'Contract name').fill(state.contractName);
      await field(page, 'Start date').fill(hostDay);
      await field(page, 'Term').fill('12');
      await field(page, 'Pricing').selectOption('per_kwh');
      await field(page, 'kWh source').selectOption('metered');
      await field(page, 'Energy rate').fill(RATE);
      await page.getByRole('button', { name: 'Next: Assign Equipment' }).click();
      await page.waitForURL((url) => /\/contracts\/[0-9a-f-]{36}\/equipment$/.test(url.pathname));
      for (const unit of units) await page.locator(`tr[data-miner-id="${unit.id}"] input[type=checkbox]`).check();
      await page.getByRole('button', { name: 'Complete Setup' }).click();
      await page.waitForURL((url) => url.search === '?done=activated');
      await page.getByRole('heading', { name: state.contractName }).first().waitFor();
      const summary = await page.locator('main').innerText();
      assert.match(summary, /Active/);
      assert.match(summary, /3 units/);
    }),
  );

  test('the agent reports the units over the last closed hour; the site rolls it up into Bob’s usage', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('usage', async ({ staff: page }) => {
      await reportTheHour();
      // The site's alarm (every minute) closes the hour and writes it to usage_hourly.
      const energy = page.getByTestId('preview-lines').getByRole('row').filter({ hasText: 'kWh' });
      await reloadUntil(
        page,
        `/admin/invoices/new?customer_id=${bob.id}&period=${period}`,
        async () => (await energy.count()) > 0 && /9\.3\d*\s*kWh/.test(await energy.first().innerText()),
        { deadlineMs: 90_000, pollMs: 3_000, what: 'a 9.3 kWh energy line in the preview' },
      );
    }),
  );

  test('the owner generates and issues the invoice, and its evidence re-verifies offline', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('invoice', async ({ staff: page }) => {
      await page.goto(`/admin/invoices/new?customer_id=${bob.id}&period=${period}`);
      await page.getByRole('button', { name: 'Generate draft' }).click();
      await page.waitForURL((url) => /^\/admin\/invoices\/[0-9a-f-]{36}$/.test(url.pathname));
      state.invoiceId = new URL(page.url()).pathname.split('/').pop();
      await page.getByRole('button', { name: /^Issue/ }).click();
      await page.getByText('Invoice issued.').waitFor();
      state.invoiceNumber = (await page.getByRole('heading', { level: 1 }).innerText()).match(/INV-\d{4}-\d{4}/)?.[0] ?? '';
      assert.match(state.invoiceNumber, /^INV-\d{4}-\d{4}$/);

      const evidence = page.getByRole('link', { name: 'Evidence (CSV)' }).first();
      const href = await evidence.getAttribute('href');
      const res = await page.request.get(href);
      assert.equal(res.status(), 200);
      const file = path.join(scratch, 'evidence.csv');
      writeFileSync(file, await res.body());
      const verify = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'verify-evidence.mjs'), file], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `verify-evidence failed:\n${verify.stdout}\n${verify.stderr}`);
      assert.match(verify.stdout, /All \d+ checks match/);
      assert.match(await res.text(), new RegExp(units[0].id));
    }),
  );

  test('the owner records Bob’s payment and the invoice is paid', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('payment', async ({ staff: page }) => {
      await page.goto(`/admin/invoices/${state.invoiceId}`);
      state.totalText = (await page.getByTestId('invoice-total').innerText()).replace(/[^\d.]/g, '');
      assert.ok(Number(state.totalText) > 0, `a total to pay: ${state.totalText}`);
      await page.goto(`/admin/customers/${bob.id}/financials`);
      await htmxReady(page);
      const form = page.locator('#record-payment');
      await field(form, 'Method').selectOption('wire');
      await field(form, 'Amount').fill(state.totalText);
      // Today in the host's zone: the form refuses a date after it (UTC is a day ahead of Chicago after midnight UTC).
      await field(form, 'Received on').fill(new Intl.DateTimeFormat('en-CA', { timeZone: host.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date()));
      await field(form, 'Reference').fill('WIRE-E2E-1');
      const option = field(form, 'Apply to').locator('option').filter({ hasText: state.invoiceNumber });
      await field(form, 'Apply to').selectOption(await option.getAttribute('value'));
      await form.getByText('Record payment…').click();
      await form.getByRole('button', { name: 'Confirm: record payment' }).click();
      await page.waitForURL((url) => url.pathname === `/admin/customers/${bob.id}/financials` && url.search.includes('done='));
      await page.goto(`/admin/invoices/${state.invoiceId}`);
      assert.match(await page.locator('main').innerText(), /\bPaid\b/);
    }),
  );

  test('Bob signs in to his portal and sees the invoice paid', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('portal', async ({ customer: page }) => {
      await page.goto(`/host/${host.slug}/auth`);
      await htmxReady(page);
      await field(page, 'Email').fill(bob.email);
      await field(page, 'Password').fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => (url.pathname === `/host/${host.slug}` || url.pathname.startsWith(`/host/${host.slug}/`)) && !url.pathname.includes('/auth'));
      await page.goto(`/host/${host.slug}/invoices`);
      const row = page.getByTestId('portal-invoices').getByRole('row').filter({ hasText: state.invoiceNumber });
      await row.waitFor();
      assert.match(await row.innerText(), /Paid/);
      await row.getByRole('link', { name: state.invoiceNumber }).click();
      await page.getByRole('link', { name: 'Evidence (CSV)' }).first().waitFor();
    }),
  );
});
