// Energy in a real browser (issue 17): a newcomer adds a unit whose model the catalogue does not
// know, sees "1 unit without power data" on the site page, follows the link, sets the unit's
// nominal power, and the warning clears.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, pathIs, signUpHost } from './helpers.mjs';
import { browserTest } from './session.mjs';

const TEST_TIMEOUT_MS = 90_000;

let server;
const session = browserTest('energy');

const run = uniqueId();
const host = {
  organisation: `E2E Energy ${run}`,
  mainSlug: `e2e-energy-${run}`,
  owner: 'Nora Newcomer',
  email: `energy-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};

before(async () => {
  server = await startServer();
  await session.open(server, ['host']);
});

after(async () => {
  await session.close();
});

const withEvidence = (step, fn) => session.evidence(step, () => fn(session.page('host')));

describe('energy in the browser', () => {
  test('a newcomer sees "units without power data", sets a spec, and the warning clears', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('power-data', async (page) => {
      await signUpHost(page, host);

      // A site, and a unit at it whose model no catalogue knows.
      await page.goto('/admin/sites/new');
      await htmxReady(page);
      await field(page, 'Site name').fill('Hall A');
      await page.getByRole('button', { name: 'Add Site' }).click();
      await page.waitForURL((url) => /^\/admin\/sites\/[0-9a-f-]{36}$/.test(url.pathname));
      const sitePath = new URL(page.url()).pathname;

      await page.goto('/admin/equipment/new');
      await htmxReady(page);
      await field(page, 'Serial number').fill(`NOPOWER-${run}`);
      await field(page, 'Model').fill('Mystery Miner 9000');
      await page.getByLabel('Site', { exact: true }).selectOption({ label: 'Hall A' });
      await page.getByRole('button', { name: 'Add unit' }).click();
      await page.waitForURL((url) => /^\/admin\/equipment\/[0-9a-f-]{36}$/.test(url.pathname));

      // The site page flags it, with a link to the units to fix.
      await page.goto(sitePath);
      const warning = page.locator('.power-data-warning');
      await warning.waitFor();
      assert.match(await warning.innerText(), /1 unit without power data/);
      await warning.getByRole('link', { name: 'Fix them' }).click();
      await page.waitForURL(pathIs('/admin/equipment'));
      assert.equal(new URL(page.url()).searchParams.get('power'), 'missing');
      await page.getByRole('link', { name: new RegExp(`NOPOWER-${run}`) }).first().click();
      await page.waitForURL((url) => /^\/admin\/equipment\/[0-9a-f-]{36}$/.test(url.pathname));

      // Set the unit's nominal power.
      await page.getByRole('link', { name: 'Edit', exact: true }).click();
      await page.waitForURL((url) => url.pathname.endsWith('/edit'));
      await htmxReady(page);
      await field(page, 'Nominal power').fill('3100');
      await field(page, 'Nominal hashrate').fill('100');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.waitForURL((url) => /^\/admin\/equipment\/[0-9a-f-]{36}$/.test(url.pathname));

      // The warning is gone from the site page and the Equipment list.
      await page.goto(sitePath);
      await page.getByRole('heading', { name: 'Hall A' }).first().waitFor();
      assert.equal(await page.locator('.power-data-warning').count(), 0);
      await page.goto('/admin/equipment');
      await page.getByRole('heading', { name: 'Equipment' }).first().waitFor();
      assert.equal(await page.locator('.power-data-warning').count(), 0);
    }),
  );
});
