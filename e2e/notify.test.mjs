// Notify in real browsers (issue 12): a host writes an announcement (Markdown) to a hand-picked
// customer, previews the exact recipient, sends it and watches the live progress bar reach 100 %
// while wrangler dev's real queues (hashyard-notify, then hashyard-email) deliver it; the email
// lands in the development mailbox with the host's branding; the customer's portal shows it as a
// banner, which they dismiss.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { screenshot, startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, openInviteEmail, pathIs, setHostSlug, signUpHost, waitForSentEmail } from './helpers.mjs';
import { browserTest } from './session.mjs';

const TEST_TIMEOUT_MS = 90_000;
const DELIVERY_DEADLINE_MS = 40_000;

let server;
const session = browserTest('notify');
const browsers = session.people;

const run = uniqueId();
const host = {
  organisation: `Notify Mining ${run}`,
  mainSlug: `nm-${run}`,
  hostSlug: `nmh-${run}`,
  owner: 'Nora Notify',
  email: `host-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};
const customer = { name: `Banner Hashers ${run}`, contact: `contact-${run}@example.com` };
const owner = { name: 'Bea Banner', email: `bea-${run}@example.com`, password: 'bea-banner-password-1' };
const subject = `Power upgrade on Saturday ${run}`;
const portalBase = `/host/${host.hostSlug}`;

before(async () => {
  server = await startServer();
  await session.open(server, ['host', 'owner']);
});

after(async () => {
  await session.close();
});

const withEvidence = (step, fn) => session.evidence(step, () => fn({ hostPage: browsers.host.page, ownerPage: browsers.owner.page }));

describe('Notify in the browser', () => {
  test('a host with a customer whose owner has joined the portal', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('setup', async ({ hostPage, ownerPage }) => {
      await signUpHost(hostPage, host);
      await setHostSlug(hostPage, host.hostSlug);
      await hostPage.goto('/admin/customers/new');
      await htmxReady(hostPage);
      const form = hostPage.locator('form#customer-form');
      await field(form, 'Customer name').fill(customer.name);
      await field(form, 'Contact email').fill(customer.contact);
      await hostPage.getByRole('button', { name: 'Add Customer' }).click();
      await hostPage.waitForURL((url) => /^\/admin\/customers\/[^/]+$/.test(url.pathname) && url.pathname !== '/admin/customers/new');
      const customerPath = new URL(hostPage.url()).pathname;
      await hostPage.goto(`${customerPath}/team`);
      const invite = hostPage.locator(`form[action="${customerPath}/team/invites"]`);
      await field(invite, 'Email').fill(owner.email);
      await invite.getByRole('button', { name: 'Send invitation' }).click();
      await hostPage.waitForURL((url) => url.pathname === `${customerPath}/team` && url.search === '?done=invited');

      const row = await waitForSentEmail(ownerPage, owner.email, { text: 'invit', deadlineMs: DELIVERY_DEADLINE_MS });
      const { link } = await openInviteEmail(ownerPage, row);
      await link.click();
      await ownerPage.getByRole('heading', { level: 1, name: `Join ${customer.name}` }).waitFor();
      await htmxReady(ownerPage);
      const accept = ownerPage.locator('#accept-invite form').first();
      await field(accept, 'Your name').fill(owner.name);
      await field(accept, 'Password').fill(owner.password);
      await accept.getByRole('button', { name: 'Create account and join' }).click();
      await ownerPage.waitForURL(pathIs(portalBase));
    }),
  );

  test('the host previews, sends, and the progress bar reaches 100 % as the queues deliver', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('send', async ({ hostPage: page }) => {
      await page.goto('/admin/notify');
      await page.getByRole('link', { name: 'New announcement' }).click();
      await page.waitForURL(pathIs('/admin/notify/new'));
      await htmxReady(page);
      await field(page, 'Subject').fill(subject);
      await field(page, 'Message').fill('## What changes\n\n- New **PDUs**\n- <script>alert(1)</script> stays text\n\nDetails: [status page](https://status.example.com)');
      await page.locator('#f-format').selectOption('markdown');
      await page.locator('#f-customer_ids').selectOption({ label: customer.name });
      await page.getByRole('button', { name: 'Preview recipients' }).click();
      const preview = page.getByTestId('recipient-preview');
      await preview.waitFor();
      assert.equal(await page.getByTestId('recipient-count').innerText(), '1');
      await preview.getByRole('cell', { name: owner.email }).waitFor();
      assert.equal(await preview.locator('script').count(), 0, 'the body is shown as text');
      await preview.getByText('<script>alert(1)</script> stays text').waitFor();

      await page.getByRole('button', { name: 'Send now' }).click();
      await page.waitForURL((url) => /^\/admin\/notify\/[0-9a-f-]{36}$/.test(url.pathname));
      await page.getByRole('heading', { level: 1, name: subject }).waitFor();
      // htmx polls the progress fragment until every email is sent.
      await page.locator('[data-testid="delivery-progress"][data-percent="100"]').waitFor({ timeout: DELIVERY_DEADLINE_MS });
      assert.equal(await page.getByTestId('figure-sent').innerText(), '1');
      assert.equal(await page.getByTestId('figure-failed').innerText(), '0');
      assert.equal(await page.locator('progress').first().getAttribute('value'), '100');
      await page.reload();
      await page.locator(`tr[data-recipient="${owner.email}"]`).getByText('Sent', { exact: true }).waitFor();
      await page.getByText('Sent', { exact: true }).first().waitFor();
      await screenshot(page, 'notify-sent');
    }),
  );

  test('the email is in the development mailbox and the portal shows a dismissible banner', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('receive', async ({ hostPage, ownerPage }) => {
      const row = await waitForSentEmail(hostPage, owner.email, { text: subject, deadlineMs: DELIVERY_DEADLINE_MS });
      await row.getByRole('link').click();
      await hostPage.waitForURL((url) => /^\/dev\/mailbox\/[^/]+$/.test(url.pathname));
      const text = await hostPage.locator('.mailbox-text').innerText();
      assert.match(text, new RegExp(host.organisation), 'the email carries the host name');
      assert.match(text, /- New PDUs/);
      assert.match(text, /status page \(https:\/\/status\.example\.com\/\)/);

      await ownerPage.goto(portalBase);
      const banner = ownerPage.getByTestId('announcement-banner').filter({ hasText: subject });
      await banner.waitFor();
      await screenshot(ownerPage, 'notify-portal-banner');
      await banner.getByRole('link', { name: subject }).click();
      await ownerPage.getByRole('heading', { level: 1, name: subject }).waitFor();
      await ownerPage.getByRole('heading', { name: 'What changes' }).waitFor();
      assert.equal(await ownerPage.locator('main script').count(), 0);

      await ownerPage.goto(portalBase);
      await htmxReady(ownerPage);
      const again = ownerPage.getByTestId('announcement-banner').filter({ hasText: subject });
      await again.waitFor();
      await again.getByRole('button', { name: /Dismiss/ }).click();
      await again.waitFor({ state: 'detached' });
      await ownerPage.reload();
      await ownerPage.locator('#announcement-banner').waitFor({ state: 'attached' });
      await ownerPage.waitForTimeout(500);
      assert.equal(await ownerPage.getByTestId('announcement-banner').count(), 0, 'a dismissed announcement stays dismissed');
      await ownerPage.goto(`${portalBase}/announcements`);
      await ownerPage.getByRole('link', { name: subject }).waitFor();
    }),
  );
});
