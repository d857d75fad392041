// Issue 16 in a real browser: the owner invites a technician limited to one site; the technician
// accepts from the development mailbox, signs in and sees only that site.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, screenshot, startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, pathIs, signUpHost, waitForSentEmail } from './helpers.mjs';

const run = uniqueId();
const host = { organisation: `Team Mining ${run}`, mainSlug: `team-${run}`, owner: 'Olive Owner', email: `olive-${run}@example.com`, password: 'correct-horse-battery-staple' };
const tech = { name: 'Theo Technician', email: `theo-${run}@example.com`, password: 'theo-own-password-1' };

let server;
let owner;
let technician;

before(async () => {
  server = await startServer();
  owner = await launchBrowser({ baseURL: server.baseURL });
  technician = await launchBrowser({ baseURL: server.baseURL });
});

after(async () => {
  await Promise.all([owner?.close(), technician?.close()]);
  await server?.stop();
});

async function addSite(page, name) {
  await page.goto('/admin/sites/new');
  await htmxReady(page);
  await field(page, 'Site name').fill(name);
  await page.getByRole('button', { name: 'Add Site' }).click();
  await page.waitForURL((url) => /^\/admin\/sites\/[^/]+$/.test(url.pathname) && url.pathname !== '/admin/sites/new');
}

test('an owner invites a technician limited to one site, who accepts and sees only that site', { timeout: 120_000 }, async () => {
  const page = owner.page;
  try {
    await signUpHost(page, host);
    await addSite(page, 'North Yard');
    await addSite(page, 'South Yard');

    await page.goto('/admin/settings/staff');
    const invite = page.locator('form[action="/admin/settings/staff/invites"]');
    await invite.getByLabel(/^Email/).fill(tech.email);
    await invite.getByLabel('Role').selectOption('staff');
    await invite.getByLabel('Only these sites').check();
    await invite.getByLabel('North Yard').check();
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await page.waitForURL((url) => url.search === '?invited=1');
    assert.match(await page.locator('main').innerText(), new RegExp(tech.email));

    // The development mailbox shows the sent invitation; its link opens the acceptance page.
    const row = await waitForSentEmail(page, tech.email);
    await row.getByRole('link').click();
    const link = page.locator('.mailbox-links a').filter({ hasText: '/team/invite/' });
    assert.equal(await link.count(), 1, 'one invitation link in the email');
    const href = await link.getAttribute('href');

    const t = technician.page;
    await t.goto(new URL(href).pathname);
    await field(t, 'Your name').fill(tech.name);
    await field(t, 'Choose a password').fill(tech.password);
    await t.getByRole('button', { name: /^Join/ }).click();
    await t.waitForURL(pathIs('/admin/dashboard'));

    // Signs out and in again with the new password.
    await t.getByRole('button', { name: 'Sign out' }).click();
    await t.waitForURL(pathIs('/login'));
    await field(t, 'Email').fill(tech.email);
    await field(t, 'Password').fill(tech.password);
    await t.getByRole('button', { name: 'Sign in' }).click();
    await t.waitForURL(pathIs('/admin/customers'));

    await t.goto('/admin/sites');
    const sites = await t.locator('main').innerText();
    assert.match(sites, /North Yard/);
    assert.doesNotMatch(sites, /South Yard/);
  } catch (error) {
    const shot = await screenshot(page, 'FAILED-team').catch(() => null);
    const techShot = await screenshot(technician.page, 'FAILED-team-technician').catch(() => null);
    error.message += `\n  screenshots: ${shot} ${techShot}\n  wrangler output (tail):\n${server.logs().slice(-3000)}`;
    throw error;
  }
});
