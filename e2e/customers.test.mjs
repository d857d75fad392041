// Customers in a real browser: sign up a host, add a customer, edit it, read its activity;
// and a field error re-rendered in place by htmx.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { screenshot, startServer, uniqueId } from './harness.mjs';
import { field, htmxReady } from './helpers.mjs';
import { browserTest } from './session.mjs';

const TEST_TIMEOUT_MS = 90_000;

let server;
const session = browserTest('customers');
/** Requests that failed at the network level or answered 5xx, and script errors: each test asserts none. */

const run = uniqueId();
const host = {
  organisation: `E2E Mining ${run}`,
  slug: `e2e-${run}`,
  owner: 'Erin Example',
  email: `owner-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};

before(async () => {
  server = await startServer();
  await session.open(server, ['host']);
});

after(async () => {
  await session.close();
});

/** On failure, keep a screenshot and wrangler's output: the test runner only prints the assertion. */
const withEvidence = (step, fn) => session.evidence(step, () => fn(session.page('host')));

describe('customers in the browser', () => {
  test('a new host signs up and gets a secure session cookie', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('signup', async (page) => {
      await page.goto('/signup');
      await htmxReady(page);
      await field(page, 'Organisation name').fill(host.organisation);
      await field(page, 'Main slug').fill(host.slug);
      await field(page, 'Your name').fill(host.owner);
      await field(page, 'Email').fill(host.email);
      await field(page, 'Password').fill(host.password);
      await page.getByRole('button', { name: 'Create host' }).click();

      await page.waitForURL((url) => url.pathname === '/admin/customers');
      await assertHeading(page, 'Customers');
      await page.getByText(host.organisation).first().waitFor();

      // Chromium treats http://localhost as a secure context, so it keeps a Secure __Host- cookie.
      const cookies = await session.people.host.context.cookies();
      const staffCookie = cookies.find((c) => c.name === '__Host-hy_staff');
      assert.ok(staffCookie, `the __Host-hy_staff cookie was not kept; cookies: ${JSON.stringify(cookies.map((c) => c.name))}`);
      assert.equal(staffCookie.secure, true);
      assert.equal(staffCookie.httpOnly, true);
      assert.equal(staffCookie.path, '/');
      assert.equal(staffCookie.sameSite, 'Lax');
      assert.equal(staffCookie.domain, 'localhost');
    }),
  );

  test('Add Customer with a bad contact email shows the field error in place (422, no navigation)', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('add-customer-error', async (page) => {
      await page.goto('/admin/customers/new');
      await htmxReady(page);
      const form = page.locator('form#customer-form');
      await field(form, 'Customer name').fill('Broken Email Ltd');
      await field(form, 'Contact email').fill('not-an-email');

      // A marker on window survives an htmx swap but not a navigation.
      await page.evaluate(() => (window.__e2eMarker = 'still-here'));
      const urlBefore = page.url();
      const responsePromise = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/admin/customers');
      await page.getByRole('button', { name: 'Add Customer' }).click();
      const response = await responsePromise;
      assert.equal(response.status(), 422);
      assert.equal(response.request().headers()['hx-request'], 'true', 'the form was posted by htmx');

      const contactEmail = field(page.locator('form#customer-form'), 'Contact email');
      await page.locator('#contact_email-error').waitFor();
      assert.match(await page.locator('#contact_email-error').innerText(), /\S/);
      assert.equal(await contactEmail.getAttribute('aria-invalid'), 'true');
      assert.match(await contactEmail.getAttribute('aria-describedby'), /contact_email-error/);
      assert.equal(await contactEmail.inputValue(), 'not-an-email', 'what was typed is echoed back');
      assert.equal(await field(page, 'Customer name').inputValue(), 'Broken Email Ltd');
      await page.getByRole('alert').filter({ hasText: /needs? attention/ }).waitFor();

      assert.equal(page.url(), urlBefore);
      assert.equal(await page.evaluate(() => window.__e2eMarker), 'still-here', 'the page navigated instead of swapping the form');
      assert.equal(await page.locator('form#customer-form').count(), 1, 'exactly one form after the swap');
    }),
  );

  test('add a customer, billing email falls back to contact email; edit it; see the change in Activity', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('customer-flow', async (page) => {
      const customer = {
        name: `Satoshi Hosting ${run}`,
        company: 'Nakamoto Holdings',
        contact: `contact-${run}@example.com`,
        phone: '+1 512 555 0100',
        newPhone: '+1 512 555 0199',
        billing: `billing-${run}@example.com`,
      };

      // Add, from the list page's button.
      await page.goto('/admin/customers');
      await page.getByRole('link', { name: 'Add Customer' }).first().click();
      await page.waitForURL((url) => url.pathname === '/admin/customers/new');
      await htmxReady(page);
      const form = page.locator('form#customer-form');
      await field(form, 'Customer name').fill(customer.name);
      await field(form, 'Company name').fill(customer.company);
      await field(form, 'Contact email').fill(customer.contact);
      await field(form, 'Phone').fill(customer.phone);
      assert.equal(await field(form, 'Billing email').inputValue(), '');
      await page.getByRole('button', { name: 'Add Customer' }).click();

      await page.waitForURL((url) => /^\/admin\/customers\/[^/]+$/.test(url.pathname) && url.pathname !== '/admin/customers/new');
      const detailPath = new URL(page.url()).pathname;
      await assertHeading(page, customer.name);
      assert.equal((await page.getByTestId('effective-billing-email').innerText()).trim(), customer.contact);
      await page.getByText('(contact email; no separate billing email)').waitFor();

      // Edit: a new phone and a billing email of its own.
      await page.getByRole('link', { name: 'Edit', exact: true }).click();
      await page.waitForURL((url) => url.pathname === `${detailPath}/edit`);
      await htmxReady(page);
      const editForm = page.locator('form#customer-form');
      assert.equal(await field(editForm, 'Phone').inputValue(), customer.phone);
      await field(editForm, 'Phone').fill(customer.newPhone);
      await field(editForm, 'Billing email').fill(customer.billing);
      await page.getByRole('button', { name: 'Save changes' }).click();

      await page.waitForURL((url) => url.pathname === detailPath);
      await assertHeading(page, customer.name);
      assert.equal((await page.getByTestId('effective-billing-email').innerText()).trim(), customer.billing);
      await page.getByText(customer.newPhone).waitFor();
      const shot = await screenshot(page, 'customer-detail');
      console.log(`# screenshot: ${shot}`);

      // Activity: the update lists old → new for each changed field.
      await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Activity' }).click();
      await page.waitForURL((url) => url.pathname === `${detailPath}/activity`);
      const activity = page.getByTestId('activity');
      await activity.waitFor();
      const update = activity.getByRole('listitem').filter({ hasText: 'changed the customer' });
      assert.equal(await update.count(), 1, 'one update entry');
      assert.match(await update.innerText(), new RegExp(host.owner));
      assert.deepEqual(await changeRow(update, 'Phone'), ['Phone', customer.phone, customer.newPhone]);
      assert.deepEqual(await changeRow(update, 'Billing email'), ['Billing email', '(empty)', customer.billing]);
      const created = activity.getByRole('listitem').filter({ hasText: 'created the customer' });
      assert.equal(await created.count(), 1, 'one create entry');
      await screenshot(page, 'customer-activity');
    }),
  );
});

async function assertHeading(page, name) {
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** The [field, before, after] cells of one row in an activity entry's changes table. */
async function changeRow(entry, label) {
  const row = entry.getByRole('row').filter({ has: entry.page().getByRole('cell', { name: label, exact: true }) });
  assert.equal(await row.count(), 1, `one "${label}" row in the changes table`);
  return (await row.getByRole('cell').allInnerTexts()).map((text) => text.trim());
}
