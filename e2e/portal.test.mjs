// The white-label customer portal in real browsers (issue 3): a host sets its host slug and
// branding, invites a customer from the Team tab; the customer follows the link from the
// development mailbox (delivered by wrangler dev's real queue consumer), signs up on the branded
// page, sees the host's logo and colours, and invites a teammate who joins from a second browser;
// the host removes the teammate, whose next page load is locked out; View Portal shows the same
// dashboard read-only; and a development custom domain serves the same portal at its root.
//
// Three browsers with separate cookie jars: the host's staff, the customer's owner, the teammate.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { screenshot, startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, openInviteEmail, pathIs, setHostSlug, signUpHost, waitForSentEmail } from './helpers.mjs';
import { browserTest } from './session.mjs';
import { logoPng } from './png.mjs';

const TEST_TIMEOUT_MS = 90_000;
/** The queue consumer delivers within a few seconds; give it a bounded margin. */
const MAILBOX_DEADLINE_MS = 30_000;

let server;
const session = browserTest('portal');
/** name → { context, page, close } */
const browsers = session.people;

const run = uniqueId();
const host = {
  organisation: `Portal Mining ${run}`,
  mainSlug: `pm-${run}`,
  hostSlug: `pmh-${run}`,
  owner: 'Hana Host',
  email: `host-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};
const brand = {
  slogan: `Hashing in the hills since 2017 (${run})`,
  primary: '#0b6e4f',
  primaryRgb: 'rgb(11, 110, 79)',
  accent: '#c2410c',
  accentRgb: 'rgb(194, 65, 12)',
  logoSize: 256,
};
const customer = { name: `Acme Hashers ${run}`, contact: `contact-${run}@example.com` };
const owner = { name: 'Olga Owner', email: `olga-${run}@example.com`, password: 'olga-owner-password-1' };
const teammate = { name: 'Tomas Teammate', email: `tomas-${run}@example.com`, password: 'tomas-teammate-password-1' };
const customDomain = `portal-${host.hostSlug}.localhost`;

/** Filled in as the flow goes. */
let customerPath = '';
let ownerDashboardSummary = '';

before(async () => {
  server = await startServer();
  await session.open(server, ['host', 'owner', 'teammate']);
});

after(async () => {
  await session.close();
});

/** On failure, keep a screenshot of every browser and wrangler's output. */
const withEvidence = (step, fn) => session.evidence(step, () => fn({ hostPage: browsers.host.page, ownerPage: browsers.owner.page, teammatePage: browsers.teammate.page }));

const portalBase = `/host/${host.hostSlug}`;

/** Waits until the image has loaded (or failed); returns its natural width: 0 means it did not load. */
async function loadedWidth(img) {
  await img.waitFor();
  return img.evaluate(async (el) => {
    if (!el.complete) {
      await new Promise((resolve) => {
        el.addEventListener('load', resolve, { once: true });
        el.addEventListener('error', resolve, { once: true });
      });
    }
    return el.naturalWidth;
  });
}

const backgroundOf = (locator) => locator.evaluate((el) => getComputedStyle(el).backgroundColor);

/** The portal's white label, as the customer sees it on a page with the portal header. */
async function assertBrandedPortal(page) {
  assert.equal(await loadedWidth(page.locator('header.portal-header img.portal-logo')), brand.logoSize, 'the host logo loads in the portal header');
  assert.equal(await page.locator('header.portal-header img.portal-logo').getAttribute('alt'), `${host.organisation} logo`);
  assert.equal(await backgroundOf(page.locator('header.portal-header')), brand.primaryRgb, 'the header background is the primary colour');
  assert.equal(await page.locator('header.portal-header .portal-host-name').innerText(), host.organisation);
  assert.equal(await page.locator('header.portal-header .portal-slogan').innerText(), brand.slogan);
  await assertNoHashyard(page);
}

/** Customers never see Hashyard's own branding. */
async function assertNoHashyard(page) {
  assert.doesNotMatch(await page.title(), /hashyard/i);
  assert.doesNotMatch(await page.locator('body').innerText(), /hashyard/i);
}

/**
 * Opens the development mailbox in `page` and reloads it until a sent email to `to` is listed
 * (the real queue consumer delivers it), then opens it and follows its invitation link.
 */
async function followInviteFromMailbox(page, to) {
  const row = await waitForSentEmail(page, to, { deadlineMs: MAILBOX_DEADLINE_MS });
  assert.match(await row.getByRole('cell').nth(2).innerText(), new RegExp(host.organisation), 'the email is from the host');
  const { text, link, href } = await openInviteEmail(page, row);
  assert.match(text, new RegExp(host.organisation), 'the email carries the host name');
  assert.doesNotMatch(text, /hashyard/i, 'the email does not carry Hashyard branding');

  const url = new URL(href);
  assert.equal(url.origin, server.baseURL, 'the link points at the platform (no custom domain yet)');
  assert.match(url.pathname, new RegExp(`^${portalBase}/auth/invite/[^/]+$`), 'the link is the host-slug branded invitation page');
  await link.click();
  await page.waitForURL((u) => u.pathname === url.pathname);
}

/** On the invitation page: Email prefilled with the invited address, then Your name and Password. */
async function acceptInvite(page, person) {
  await page.getByRole('heading', { level: 1, name: `Join ${customer.name}` }).waitFor();
  assert.equal(await loadedWidth(page.locator('.auth-card img.portal-logo')), brand.logoSize, 'the sign-up page shows the host logo');
  await assertNoHashyard(page);
  await htmxReady(page);
  const form = page.locator('#accept-invite form').first();
  assert.equal(await field(form, 'Email').inputValue(), person.email, 'Email is prefilled with the invited address');
  await field(form, 'Your name').fill(person.name);
  await field(form, 'Password').fill(person.password);
  assert.equal(await backgroundOf(form.getByRole('button', { name: 'Create account and join' })), brand.primaryRgb, 'buttons take the primary colour');
  await form.getByRole('button', { name: 'Create account and join' }).click();
  await page.waitForURL(pathIs(portalBase));
  await page.getByRole('heading', { level: 1, name: `Welcome, ${person.name}` }).waitFor();
}

describe('the white-label customer portal in the browser', () => {
  test('a host signs up and sets its host slug in Settings → General', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('host-slug', async ({ hostPage: page }) => {
      await signUpHost(page, host);
      await setHostSlug(page, host.hostSlug);
      const signIn = page.locator('#host_slug-url a');
      assert.equal(await signIn.getAttribute('href'), `${server.baseURL}${portalBase}/auth`);
    }),
  );

  test('Settings → Branding: the live preview follows logo, slogan and colours before saving; then it is saved', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('branding', async ({ hostPage: page }) => {
      await page.goto('/admin/settings/branding');
      await page.waitForFunction(() => document.getElementById('brand-preview')?.classList.contains('is-live'));
      const preview = page.locator('#brand-preview');
      const previewVar = (name) => preview.evaluate((el, n) => el.style.getPropertyValue(n), name);

      await page.locator('input[name="logo"]').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: logoPng(brand.logoSize, brand.logoSize) });
      assert.match((await page.locator('#brand-preview-logo').getAttribute('src')) ?? '', /^blob:/, 'the chosen file is previewed before upload');
      assert.equal(await loadedWidth(page.locator('#brand-preview-logo')), brand.logoSize);
      assert.equal(await page.locator('#brand-preview-initial').isVisible(), false);
      assert.equal(await page.locator('#brand-preview-warning').isVisible(), false, 'a square 256×256 logo draws no warning');

      await field(page, 'Slogan').fill(brand.slogan);
      assert.equal(await page.locator('#brand-preview-slogan').textContent(), brand.slogan);

      await page.locator('input[type="color"][name="primary_color"]').fill(brand.primary);
      await page.locator('input[type="color"][name="accent_color"]').fill(brand.accent);
      assert.equal(await previewVar('--brand-primary'), brand.primary);
      assert.equal(await previewVar('--brand-accent'), brand.accent);
      assert.equal(await backgroundOf(page.locator('.brand-preview-button')), brand.primaryRgb, 'the preview button takes the primary colour');
      assert.equal(await page.locator('[data-color-value="primary_color"]').textContent(), brand.primary);
      assert.equal(await page.locator('[data-color-value="accent_color"]').textContent(), brand.accent);
      await screenshot(page, 'portal-branding-preview');

      await page.getByRole('button', { name: 'Save branding' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/settings/branding' && url.search === '?saved=1');
      await page.getByText('Branding saved.').waitFor();
      assert.match((await page.locator('#brand-preview-logo').getAttribute('src')) ?? '', /^\/admin\/settings\/branding\/logo\?v=/, 'the saved logo is shown');
      assert.equal(await loadedWidth(page.locator('#brand-preview-logo')), brand.logoSize);
      assert.equal(await page.locator('input[name="primary_color"]').inputValue(), brand.primary);
      assert.equal(await page.locator('input[name="accent_color"]').inputValue(), brand.accent);
      assert.equal(await field(page, 'Slogan').inputValue(), brand.slogan);
    }),
  );

  test('the host adds a customer and invites them from the Team tab', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('invite-customer', async ({ hostPage: page }) => {
      await page.goto('/admin/customers/new');
      await htmxReady(page);
      const form = page.locator('form#customer-form');
      await field(form, 'Customer name').fill(customer.name);
      await field(form, 'Contact email').fill(customer.contact);
      await page.getByRole('button', { name: 'Add Customer' }).click();
      await page.waitForURL((url) => /^\/admin\/customers\/[^/]+$/.test(url.pathname) && url.pathname !== '/admin/customers/new');
      customerPath = new URL(page.url()).pathname;

      await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Team' }).click();
      await page.waitForURL(pathIs(`${customerPath}/team`));
      await page.getByText('No team members yet').waitFor();
      const invite = page.locator(`form[action="${customerPath}/team/invites"]`);
      await field(invite, 'Email').fill(owner.email);
      assert.equal(await field(invite, 'Role').inputValue(), 'owner', 'the first invitee defaults to owner');
      await invite.getByRole('button', { name: 'Send invitation' }).click();
      await page.waitForURL((url) => url.pathname === `${customerPath}/team` && url.search === '?done=invited');
      await page.getByText('Invitation sent.').waitFor();
      const row = page.getByTestId('team-invites').getByRole('row').filter({ hasText: owner.email });
      assert.deepEqual((await row.getByRole('cell').allInnerTexts()).slice(0, 3).map((t) => t.trim()), [owner.email, 'owner', 'pending']);
    }),
  );

  test('the customer follows the link from the mailbox, signs up and lands in the branded portal', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('customer-signup', async ({ ownerPage: page }) => {
      await followInviteFromMailbox(page, owner.email);
      await acceptInvite(page, owner);
      await assertBrandedPortal(page);
      await page.getByText(customer.name).first().waitFor();

      const cookies = await browsers.owner.context.cookies();
      const portalCookie = cookies.find((c) => c.name === '__Host-hy_portal');
      assert.ok(portalCookie, `the portal session cookie was kept; cookies: ${JSON.stringify(cookies.map((c) => c.name))}`);
      assert.ok(!cookies.some((c) => c.name === '__Host-hy_staff'), 'the customer is not host staff');
      const shot = await screenshot(page, 'portal-dashboard');
      console.log(`# screenshot: ${shot}`);
    }),
  );

  test('the customer invites a teammate, who joins through the mailbox in a second browser', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('teammate', async ({ ownerPage, teammatePage }) => {
      await ownerPage.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Team' }).click();
      await ownerPage.waitForURL(pathIs(`${portalBase}/team`));
      const invite = ownerPage.locator(`form[action="${portalBase}/team/invites"]`);
      await field(invite, 'Email').fill(teammate.email);
      await field(invite, 'Role').selectOption('member');
      await invite.getByRole('button', { name: 'Send invitation' }).click();
      await ownerPage.waitForURL((url) => url.pathname === `${portalBase}/team` && url.search === '?invited=1');
      await ownerPage.getByText('Invitation sent.').waitFor();
      await ownerPage.getByText(teammate.email).waitFor();
      await assertBrandedPortal(ownerPage);

      await followInviteFromMailbox(teammatePage, teammate.email);
      await acceptInvite(teammatePage, teammate);
      await assertBrandedPortal(teammatePage);

      // The owner now sees both on the portal Team page.
      await ownerPage.goto(`${portalBase}/team`);
      for (const person of [owner, teammate]) await ownerPage.getByRole('row').filter({ hasText: person.email }).waitFor();
    }),
  );

  test('the host removes the teammate from the Team tab; their next page load is locked out', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('remove-teammate', async ({ hostPage: page, teammatePage }) => {
      await page.goto(`${customerPath}/team`);
      const members = page.getByTestId('team-members');
      await members.getByRole('row').filter({ hasText: owner.email }).waitFor();
      const row = members.getByRole('row').filter({ hasText: teammate.email });
      await row.locator('summary', { hasText: 'Remove access' }).click();
      await row.getByRole('button', { name: `Remove ${teammate.name}` }).click();
      await page.waitForURL((url) => url.pathname === `${customerPath}/team` && url.search === '?done=removed');
      await page.getByText('Team member removed; their session has ended.').waitFor();
      assert.equal(await members.getByRole('row').filter({ hasText: teammate.email }).count(), 0, 'the teammate is no longer listed');
      await members.getByRole('row').filter({ hasText: owner.email }).waitFor();

      // The teammate's very next request.
      await teammatePage.reload();
      await teammatePage.waitForURL((url) => url.pathname === `${portalBase}/auth`);
      await teammatePage.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      await teammatePage.getByText(/access to this portal has ended/).waitFor();
      assert.equal(await teammatePage.locator('header.portal-header').count(), 0, 'no portal page is shown');
      const cookies = await browsers.teammate.context.cookies();
      assert.ok(!cookies.some((c) => c.name === '__Host-hy_portal'), 'the dead session cookie is cleared');
      await screenshot(teammatePage, 'portal-teammate-locked-out');

      // The owner is unaffected.
      await browsers.owner.page.goto(portalBase);
      await browsers.owner.page.getByRole('heading', { level: 1, name: `Welcome, ${owner.name}` }).waitFor();
      ownerDashboardSummary = await browsers.owner.page.locator('.summary-cards').innerText();
    }),
  );

  test('View Portal shows the host the same dashboard, read-only, and the team invite form is disabled', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('view-portal', async ({ hostPage: page }) => {
      await page.goto(customerPath);
      await page.getByRole('button', { name: 'View Portal' }).click();
      await page.waitForURL(pathIs(`${customerPath}/portal`));
      const banner = page.locator('.preview-banner');
      await banner.waitFor();
      assert.match(await banner.innerText(), /View Portal/);
      assert.match(await banner.innerText(), /read-only/);
      await page.getByRole('heading', { level: 1, name: 'Welcome', exact: true }).waitFor();
      await assertBrandedPortal(page);
      assert.equal(await page.locator('.summary-cards').innerText(), ownerDashboardSummary, 'the same account summary as the customer sees');
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'no sign-out in View Portal');
      await screenshot(page, 'portal-view-portal');

      await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Team' }).click();
      await page.waitForURL(pathIs(`${customerPath}/portal/team`));
      await page.locator('.preview-banner').waitFor();
      const invite = page.locator(`form[action="${customerPath}/portal/team/invites"]`);
      // (Playwright's isDisabled() reports form controls, which inherit a disabled <fieldset>.)
      assert.equal(await invite.locator('fieldset').evaluate((el) => el.disabled), true, 'the invite fieldset is disabled');
      assert.equal(await field(invite, 'Email').isDisabled(), true, 'the Email field is disabled');
      assert.equal(await field(invite, 'Role').isDisabled(), true, 'the Role field is disabled');
      assert.equal(await invite.getByRole('button', { name: 'Send invitation' }).isDisabled(), true, 'Send invitation is disabled');
      await page.getByRole('row').filter({ hasText: owner.email }).waitFor();
      // And if the form were sent anyway, the server refuses it.
      const status = await invite.evaluate(async (form) => {
        const body = new URLSearchParams({ email: 'sneaky@example.com', role: 'member' });
        return (await fetch(form.action, { method: 'POST', body })).status;
      });
      assert.equal(status, 403, 'View Portal refuses writes');

      // The view is recorded in the customer's Activity.
      await page.goto(`${customerPath}/activity`);
      await page.getByTestId('activity').getByRole('listitem').filter({ hasText: 'viewed the portal' }).first().waitFor();
    }),
  );

  test('a custom domain verified for development serves the same portal at its root', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('custom-domain', async ({ hostPage: page, ownerPage }) => {
      const origin = `http://${customDomain}:${server.port}`;
      // Unknown until added and verified.
      const unverified = await ownerPage.goto(`${origin}/auth`);
      assert.equal(unverified.status(), 404, 'an unverified hostname is not a portal');

      await page.goto('/admin/settings/domains');
      await field(page, 'Hostname').fill(customDomain);
      await page.getByRole('button', { name: 'Add domain' }).click();
      await page.getByText('Domain added.').waitFor();
      const row = page.getByTestId('domains-table').getByRole('row').filter({ hasText: customDomain });
      await row.getByRole('button', { name: 'Verify (development)' }).click();
      await page.getByText('Domain verified for development.').waitFor();
      assert.equal(await row.getByRole('link', { name: customDomain }).getAttribute('href'), `${origin}/`);

      // The customer, at the custom domain: branded sign-in, then the same portal at `/`.
      const response = await ownerPage.goto(`${origin}/auth`);
      assert.equal(response.status(), 200);
      await ownerPage.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      assert.equal(await loadedWidth(ownerPage.locator('.auth-card img.portal-logo')), brand.logoSize);
      assert.match((await ownerPage.locator('.auth-card img.portal-logo').getAttribute('src')) ?? '', /^\/brand\/logo\?v=/, 'served from the domain root');
      assert.equal(await ownerPage.locator('.auth-card .portal-host-name').innerText(), host.organisation);
      await assertNoHashyard(ownerPage);
      const form = ownerPage.locator('#portal-signin-form');
      assert.equal(await backgroundOf(form.getByRole('button', { name: 'Sign in' })), brand.primaryRgb);
      await htmxReady(ownerPage);
      await field(form, 'Email').fill(owner.email);
      await field(form, 'Password').fill(owner.password);
      await form.getByRole('button', { name: 'Sign in' }).click();
      await ownerPage.waitForURL((url) => url.origin === origin && url.pathname === '/');
      await ownerPage.getByRole('heading', { level: 1, name: `Welcome, ${owner.name}` }).waitFor();
      await assertBrandedPortal(ownerPage);
      const shot = await screenshot(ownerPage, 'portal-custom-domain');
      console.log(`# screenshot: ${shot}`);
    }),
  );
});
