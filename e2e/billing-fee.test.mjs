// A fixed fee for a unit without power data, in a real browser (issue 17's choice, which had
// integration and security tests only): on `npm start`'s demo data plus one unit of Bob
// Hashworth's that ran five hours of a past month with neither a power reading nor a nominal
// power, under a per-kWh contract. The owner opens that period's invoice preview, sees the unit
// blocking its energy line (named by its MAC, as Equipment names it), bills it a fixed fee
// through the form, generates the draft with the fee line, and removes the fee again.
//
// The unknown hours are seeded as usage rows (what SiteState's roll-up writes for such hours):
// a past month has no live telemetry to replay, and the roll-up has its own tests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildSeedSql, DEMO_HOSTS, DEMO_PASSWORD, demoCustomerId, fleetAddresses, sqlLiteral as q } from '../scripts/demo-data.mjs';
import { startServer } from './harness.mjs';
import { field, signInStaff } from './helpers.mjs';
import { browserTest } from './session.mjs';

const TEST_TIMEOUT_MS = 90_000;
const HOUR_MS = 3_600_000;
const host = DEMO_HOSTS[0];
const bob = demoCustomerId(0, 1);
const UNIT_INDEX = 20; // one of Bob's racked units awaiting a contract in the demo
const unit = { id: `m0000000-0000-4000-8000-0000000000${UNIT_INDEX + 1}`, mac: fleetAddresses(host.fleet)[UNIT_INDEX].mac };
const MODEL = 'Prototype X1';
const lineName = `${MODEL} #${unit.mac}`;

// A year back: before the demo's own contracts and billing history (four months), so the period
// holds this contract alone.
const now = new Date();
const periodStart = Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth(), 1);
const period = new Date(periodStart).toISOString().slice(0, 7);
const contractStart = new Date(periodStart).toISOString().slice(0, 10);
const contractEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0)).toISOString().slice(0, 10);

/** The unit without power data, its per-kWh contract over the period, and five unknown hours on the 10th. */
function feeSeedSql() {
  const stamp = Date.now();
  const contractId = 't0000000-0000-4000-8000-00000000fee1';
  const lines = [
    `UPDATE miners SET model = ${q(MODEL)}, nominal_power_w = NULL, serial = NULL WHERE id = ${q(unit.id)};`,
    `INSERT INTO contracts (id, host_id, customer_id, kind, status, name, currency, start_date, term_months, end_date, auto_renew, renewal_notice_days, pricing, kwh_source, energy_rate_micros_per_kwh, setup_fee_minor, deposit_minor, activated_at, created_at, updated_at) VALUES (${[
      contractId, host.id, bob, 'hosted', 'active', 'Row D trial', host.currency, contractStart, 12, contractEnd, 0, 30, 'per_kwh', 'metered', 80_000, 0, 0, stamp, stamp, stamp,
    ].map(q).join(', ')});`,
    `INSERT INTO contract_miners (contract_id, miner_id, host_id, active, added_at) VALUES (${q(contractId)}, ${q(unit.id)}, ${q(host.id)}, 1, ${stamp});`,
  ];
  for (let i = 0; i < 5; i++) {
    const hourStart = periodStart + 9 * 24 * HOUR_MS + (12 + i) * HOUR_MS;
    lines.push(
      `INSERT INTO usage_hourly (miner_id, hour_start, host_id, site_id, customer_id, energy_wh, energy_source, avg_hashrate_mths, online_seconds, samples) VALUES (${[
        unit.id, hourStart, host.id, host.site.id, bob, null, 'unknown', 90_000, 3600, 60,
      ].map(q).join(', ')});`,
    );
  }
  return `${lines.join('\n')}\n`;
}

let server;
const session = browserTest('billing-fee');
const previewUrl = `/admin/invoices/new?customer_id=${bob}&period=${period}`;

before(async () => {
  server = await startServer({ seedSql: buildSeedSql() + feeSeedSql() });
  await session.open(server, ['staff']);
});

after(async () => {
  await session.close();
});

const withEvidence = (step, fn) => session.evidence(step, () => fn(session.people.staff.page));

describe('a fixed fee for a unit without power data, in the browser', () => {
  test('the preview names the blocked unit; the owner bills it a fee and the fee line replaces the blocker', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('fee', async (page) => {
      await signInStaff(page, host.staff[0].email, DEMO_PASSWORD);

      await page.goto(previewUrl);
      await page.getByRole('heading', { name: 'Units without power data' }).waitFor();
      const main = page.locator('main');
      assert.match(await main.innerText(), new RegExp(`${lineName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 5 h without power data \\(Row D trial\\)`));
      assert.match(await main.innerText(), /has 5 hours with unknown energy/);

      const form = page.locator('form.unit-fee-form');
      // Submitting without a unit or a fee comes back with both errors, and nothing is billed.
      await form.getByRole('button', { name: /^Bill the fixed fee/ }).click();
      await form.getByText('Choose at least one blocked unit.').waitFor();
      assert.equal(await page.getByTestId('unit-fees').count(), 0);

      await page.locator('form.unit-fee-form').getByRole('checkbox', { name: lineName }).check();
      await field(page.locator('form.unit-fee-form'), 'Fixed fee per unit').fill('150.00');
      await field(page.locator('form.unit-fee-form'), 'Note').fill('PDU not installed yet');
      await page.locator('form.unit-fee-form').getByRole('button', { name: /^Bill the fixed fee/ }).click();
      await page.waitForURL((url) => url.searchParams.get('done') === 'fees');

      const fees = page.getByTestId('unit-fees');
      await fees.waitFor();
      assert.match(await fees.innerText(), /PDU not installed yet/);
      const lines = await page.getByTestId('preview-lines').innerText();
      assert.match(lines, new RegExp(`${lineName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} — fixed fee, no power data for 5 h`));
      assert.doesNotMatch(await main.innerText(), /has 5 hours with unknown energy/);
    }),
  );

  test('the draft carries the fee line; removing the fee brings the blocker back', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('draft', async (page) => {
      await page.goto(previewUrl);
      await page.getByRole('button', { name: 'Generate draft' }).click();
      await page.waitForURL((url) => /^\/admin\/invoices\/[0-9a-f-]{36}$/.test(url.pathname));
      const draftUrl = new URL(page.url()).pathname;
      assert.match(await page.locator('main').innerText(), /fixed fee, no power data for 5 h/);
      const total = (await page.getByTestId('invoice-total').innerText()).replace(/[^\d.]/g, '');
      assert.equal(Number(total), 150);

      await page.getByRole('button', { name: `Remove fee for ${lineName}` }).click();
      await page.waitForURL((url) => url.pathname === draftUrl || url.pathname === '/admin/invoices/new');
      await page.getByRole('heading', { name: 'Units without power data' }).waitFor();
      assert.match(await page.locator('main').innerText(), /has 5 hours with unknown energy/);
      assert.equal(await page.getByTestId('unit-fees').count(), 0);
    }),
  );
});
