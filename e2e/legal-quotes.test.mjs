// Quote to customer, in real browsers (issue 13): the host publishes its hosting agreement and
// sends a quote; the prospect opens the emailed link (from the development mailbox, delivered by
// wrangler dev's real queue consumer), accepts it, receives the portal invitation, signs up, is
// gated by the agreement, accepts it and lands on the dashboard; staff see the acceptance on the
// customer's Legal tab.
//
// Two browsers with separate cookie jars: the host's staff and the prospect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, pathIs, setHostSlug, signUpHost, waitForSentEmail } from './helpers.mjs';
import { browserTest } from './session.mjs';

const TEST_TIMEOUT_MS = 90_000;
const MAILBOX_DEADLINE_MS = 30_000;

let server;
const session = browserTest('legal-quotes');
const browsers = session.people;

const run = uniqueId();
const host = {
  organisation: `Quote Mining ${run}`,
  mainSlug: `qm-${run}`,
  hostSlug: `qmh-${run}`,
  owner: 'Quinn Host',
  email: `host-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};
const prospect = { name: 'Pia Prospect', company: `Pia Hashing ${run}`, email: `pia-${run}@example.com`, password: 'pia-prospect-password-1' };
const agreementTitle = `Hosting Agreement ${run}`;
const portalBase = `/host/${host.hostSlug}`;
let quoteUrl = '';

before(async () => {
  server = await startServer();
  await session.open(server, ['host', 'prospect']);
});

after(async () => {
  await session.close();
});

const withEvidence = (step, fn) => session.evidence(step, () => fn({ hostPage: browsers.host.page, prospectPage: browsers.prospect.page }));

/** Waits for a sent email to `to` whose row mentions `subject`; opens it; returns its links. */
async function openSentEmail(page, to, subject) {
  const row = await waitForSentEmail(page, to, { text: subject, deadlineMs: MAILBOX_DEADLINE_MS });
  await row.getByRole('link').click();
  await page.waitForURL((url) => /^\/dev\/mailbox\/[^/]+$/.test(url.pathname));
  return page.locator('.mailbox-links a');
}

describe('quote to customer, gated by the agreement', { concurrency: false }, () => {
  test('the host publishes an agreement and sends a quote', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('host', async ({ hostPage: page }) => {
      await signUpHost(page, host);
      await setHostSlug(page, host.hostSlug);

      await page.goto('/admin/settings/legal');
      await field(page, 'Title').fill(agreementTitle);
      await field(page, 'Text').fill('# Hosting terms\n\nYou agree to **pay on time**.\n\n- Power is billed per kWh');
      await page.getByRole('button', { name: 'Publish version 1' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/admin/settings/legal/') && url.search === '?published=1');
      await page.locator('.legal-text strong', { hasText: 'pay on time' }).waitFor();

      await page.goto('/admin/quotes/new');
      await page.locator('#f-prospect_name').fill(prospect.name);
      await page.locator('#f-prospect_company').fill(prospect.company);
      await page.locator('#f-prospect_email').fill(prospect.email);
      await page.locator('#f-rate').fill('0.065');
      await page.locator('#f-valid_until').fill(new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10));
      await page.locator('#f-line1_description').fill('Antminer S21');
      await page.locator('#f-line1_units').fill('10');
      await page.locator('#f-line1_ths').fill('200');
      await page.locator('#f-line1_power_w').fill('3500');
      await page.getByRole('button', { name: 'Save draft' }).click();
      await page.waitForURL((url) => /^\/admin\/quotes\/[0-9a-f-]{36}$/.test(url.pathname));
      assert.match(await page.getByTestId('quote-monthly').innerText(), /1,660\.75/);
      await page.getByRole('button', { name: 'Send to prospect' }).click();
      await page.waitForURL((url) => url.search === '?sent=1');
    }),
  );

  test('the prospect opens the link and accepts the quote', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('accept', async ({ prospectPage: page }) => {
      const links = await openSentEmail(page, prospect.email, 'Your quote');
      const link = links.filter({ hasText: '/quote/' });
      assert.equal(await link.count(), 1, 'one quote link in the email');
      quoteUrl = (await link.getAttribute('href')) ?? '';
      assert.match(new URL(quoteUrl).pathname, new RegExp(`^${portalBase}/quote/[^/]+$`));
      await link.click();
      await page.waitForURL((url) => url.pathname.startsWith(`${portalBase}/quote/`));
      await page.getByRole('heading', { level: 1, name: `Your quote from ${host.organisation}` }).waitFor();
      await field(page, 'Your name').fill(prospect.name);
      await field(page, 'Your title').fill('CEO');
      await page.getByLabel(/I have read and accept/).check();
      await page.getByRole('button', { name: 'Accept quote' }).click();
      await page.waitForURL((url) => url.search === '?done=accepted');
      await page.getByText('Accepted — thank you').waitFor();
    }),
  );

  test('the invitation arrives; the new customer signs up, is gated by the agreement, accepts it and lands on the dashboard', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('gate', async ({ prospectPage: page }) => {
      const links = await openSentEmail(page, prospect.email, 'invited you');
      const link = links.filter({ hasText: '/auth/invite/' });
      assert.equal(await link.count(), 1, 'one invitation link in the email');
      await link.click();
      await page.waitForURL((url) => url.pathname.includes('/auth/invite/'));
      await htmxReady(page);
      const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Create account and join' }) });
      assert.equal(await field(form, 'Email').inputValue(), prospect.email);
      await field(form, 'Your name').fill(prospect.name);
      await field(form, 'Password').fill(prospect.password);
      await form.getByRole('button', { name: 'Create account and join' }).click();

      await page.waitForURL(pathIs(`${portalBase}/agreements`));
      await page.getByRole('heading', { level: 1, name: 'Before you continue' }).waitFor();
      await page.locator('.legal-text strong', { hasText: 'pay on time' }).waitFor();
      // Every portal page sends them back here until they accept.
      await page.goto(`${portalBase}/invoices`);
      await page.waitForURL(pathIs(`${portalBase}/agreements`));
      await page.getByRole('button', { name: `I accept ${agreementTitle}` }).click();
      await page.waitForURL(pathIs(portalBase));
      await page.getByRole('heading', { level: 1, name: `Welcome, ${prospect.name}` }).waitFor();
    }),
  );

  test('staff see the acceptance on the customer’s Legal tab', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('legal-tab', async ({ hostPage: page }) => {
      await page.goto('/admin/quotes?status=accepted');
      await page.getByRole('link', { name: 'Q-0001' }).click();
      await page.getByRole('link', { name: 'Open the customer' }).click();
      await page.waitForURL((url) => /^\/admin\/customers\/[0-9a-f-]{36}$/.test(url.pathname));
      await page.getByRole('link', { name: 'Legal', exact: true }).click();
      const table = page.getByTestId('customer-legal');
      await table.waitFor();
      const text = await table.innerText();
      assert.match(text, new RegExp(agreementTitle));
      assert.match(text, /v1/);
      assert.match(text, new RegExp(prospect.name));
      assert.match(text, /[0-9a-f]{64}/, 'the SHA-256 of what was accepted');
    }),
  );
});
