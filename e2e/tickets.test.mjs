// Support tickets in real browsers (issue 12): a customer opens a ticket from the portal with a
// screenshot attached; the host's staff find it in Support, see the file, add an internal note and
// reply; the customer sees the reply (and not the note) in the portal, and the reply's email is
// delivered to the development mailbox by wrangler dev's real queue consumer.
//
// Two browsers with separate cookie jars: the host's staff and the customer's owner.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { screenshot, startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, openInviteEmail, pathIs, setHostSlug, signUpHost, waitForSentEmail } from './helpers.mjs';
import { browserTest } from './session.mjs';
import { logoPng } from './png.mjs';

const TEST_TIMEOUT_MS = 90_000;
const MAILBOX_DEADLINE_MS = 30_000;

let server;
const session = browserTest('tickets');
const browsers = session.people;

const run = uniqueId();
const host = {
  organisation: `Ticket Mining ${run}`,
  mainSlug: `tm-${run}`,
  hostSlug: `tmh-${run}`,
  owner: 'Stella Staff',
  email: `staff-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};
const customer = { name: `Hashers ${run}`, contact: `contact-${run}@example.com` };
const owner = { name: 'Carla Customer', email: `carla-${run}@example.com`, password: 'carla-customer-password-1' };
const portalBase = `/host/${host.hostSlug}`;
const subject = `Fan noise on rack 4 (${run})`;
const note = `INTERNAL ${run}: customer on the old firmware`;
const reply = `We replaced the fan on rack 4 (${run}). Please check.`;
let ticketPath = '';

before(async () => {
  server = await startServer();
  await session.open(server, ['host', 'owner']);
});

after(async () => {
  await session.close();
});

const withEvidence = (step, fn) => session.evidence(step, () => fn({ hostPage: browsers.host.page, ownerPage: browsers.owner.page }));

describe('support tickets in the browser', () => {
  test('a host signs up, adds a customer and invites its owner, who joins from the mailbox', { timeout: TEST_TIMEOUT_MS }, () =>
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

      const row = await waitForSentEmail(ownerPage, owner.email, { deadlineMs: MAILBOX_DEADLINE_MS });
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

  test('the customer opens a ticket with a screenshot attached', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('open', async ({ ownerPage: page }) => {
      await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Support' }).click();
      await page.waitForURL(pathIs(`${portalBase}/support`));
      await page.getByText('No support tickets').waitFor();
      await page.getByRole('link', { name: 'Open a ticket' }).click();
      await page.waitForURL(pathIs(`${portalBase}/support/new`));
      await field(page, 'Subject').fill(subject);
      await field(page, 'Category').selectOption('hardware');
      await field(page, 'Message').fill('The fans are loud since this morning.');
      await page.locator('input[name="attachments"]').setInputFiles({ name: 'rack4.png', mimeType: 'image/png', buffer: logoPng(64, 64) });
      await page.getByRole('button', { name: 'Open ticket' }).click();
      await page.waitForURL((url) => /\/support\/[0-9a-f-]{36}$/.test(url.pathname));
      ticketPath = new URL(page.url()).pathname.slice(portalBase.length);
      await page.getByText('Your ticket was opened.').waitFor();
      await page.getByRole('heading', { level: 1, name: new RegExp(subject.replace(/[()]/g, '\\$&')) }).waitFor();
      const image = page.getByRole('link', { name: 'rack4.png' });
      const response = await page.request.get(await image.getAttribute('href'));
      assert.equal(response.status(), 200);
      assert.equal(response.headers()['content-type'], 'image/png', 'the attachment is served with its verified type');
    }),
  );

  test('staff find it in Support, add an internal note and reply', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('staff-reply', async ({ hostPage: page }) => {
      await page.goto('/admin/support');
      await htmxReady(page);
      const row = page.getByRole('row').filter({ hasText: subject });
      await row.waitFor();
      assert.match(await row.innerText(), new RegExp(customer.name));
      await row.getByRole('link', { name: new RegExp(`#1 ${subject.replace(/[()]/g, '\\$&')}`) }).click();
      await page.waitForURL(pathIs(`/admin${ticketPath}`));
      await page.getByRole('link', { name: 'rack4.png' }).waitFor();

      await field(page, 'Message').fill(note);
      await page.getByLabel(/Internal note/).check();
      await page.getByRole('button', { name: 'Send' }).click();
      await page.waitForURL((url) => url.search === '?done=noted');
      await page.getByText(note).waitFor();

      await field(page, 'Message').fill(reply);
      await page.getByRole('button', { name: 'Send' }).click();
      await page.waitForURL((url) => url.search === '?done=replied');
      await page.getByText(reply).waitFor();
      assert.match(await page.locator('.page-header').innerText(), /Waiting on customer/);
      await screenshot(page, 'tickets-staff');
    }),
  );

  test('the customer sees the staff reply in the portal and the mailbox, never the note', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('customer-sees-reply', async ({ ownerPage: page }) => {
      await page.goto(`${portalBase}${ticketPath}`);
      await page.getByText(reply).waitFor();
      const body = await page.locator('main').innerText();
      assert.doesNotMatch(body, new RegExp(`INTERNAL ${run}`), 'the internal note is not in the portal');
      assert.match(body, /Waiting on customer/);
      await screenshot(page, 'tickets-portal');

      const row = await waitForSentEmail(page, `Re: [#1] ${subject}`, { deadlineMs: MAILBOX_DEADLINE_MS });
      assert.match(await row.innerText(), new RegExp(owner.email));
      await row.getByRole('link').click();
      await page.waitForURL((url) => /^\/dev\/mailbox\/[^/]+$/.test(url.pathname));
      const text = await page.locator('.mailbox-text').innerText();
      assert.match(text, new RegExp(reply.replace(/[().]/g, '\\$&')));
      assert.doesNotMatch(text, new RegExp(`INTERNAL ${run}`), 'the internal note is not in the email');
      assert.match(text, new RegExp(`${portalBase}${ticketPath}`), 'the email links back to the ticket in the portal');
    }),
  );
});
