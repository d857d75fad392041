// Page helpers shared by the browser tests (harness.mjs starts and stops things; this drives pages).
import assert from 'node:assert/strict';

/** A form field by the start of its label (labels carry "(required)" / "(optional)" after the name). */
export const field = (scope, label) => scope.getByLabel(new RegExp(`^${label}\\b`, 'i'));

/** Waits for htmx, so a submit is an hx-post rather than a plain form post. */
export const htmxReady = (page) => page.waitForFunction(() => typeof window.htmx === 'object' && window.htmx !== null);

/** A waitForURL predicate: exactly this path. */
export const pathIs = (pathname) => (url) => url.pathname === pathname;

/**
 * Reports failed requests, 5xx answers, script errors and CSP refusals on `page` to `report`
 * (each test asserts none happened).
 */
export function watchPage(name, page, report) {
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    // ERR_ABORTED: a navigation cancelled what was in flight (e.g. htmx following HX-Redirect).
    if (reason !== 'net::ERR_ABORTED') report(`[${name}] ${request.method()} ${request.url()} failed: ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 500) report(`[${name}] ${response.request().method()} ${response.url()} answered ${response.status()}`);
  });
  page.on('pageerror', (error) => report(`[${name}] page error: ${error.message}`));
  page.on('console', (message) => {
    if (!/Content Security Policy|Refused to/i.test(message.text())) return;
    // The mailbox shows the HTML email in a sandboxed srcdoc iframe that inherits the page's CSP,
    // so the email's inline styles are refused there by design (views/pages/dev-mailbox.tsx).
    if (new URL(page.url()).pathname.startsWith('/dev/mailbox')) return;
    report(`[${name}] console: ${message.text()}`);
  });
}

/** Signs a new host up at /signup; lands on the customer list. */
export async function signUpHost(page, host) {
  await page.goto('/signup');
  await htmxReady(page);
  await field(page, 'Organisation name').fill(host.organisation);
  await field(page, 'Main slug').fill(host.mainSlug);
  await field(page, 'Your name').fill(host.owner);
  await field(page, 'Email').fill(host.email);
  await field(page, 'Password').fill(host.password);
  await page.getByRole('button', { name: 'Create host' }).click();
  await page.waitForURL(pathIs('/admin/customers'));
}

/** Settings → General: sets the host slug (the branded portal address /host/<slug>). */
export async function setHostSlug(page, hostSlug) {
  await page.goto('/admin/settings');
  await htmxReady(page);
  await field(page, 'Host slug').fill(hostSlug);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.waitForURL((url) => url.pathname === '/admin/settings' && url.search === '?saved=1');
  assert.equal(await field(page, 'Host slug').inputValue(), hostSlug);
}

/**
 * Reloads the development mailbox in `page` until a *sent* email to `to` is listed (wrangler
 * dev's real queue consumer delivers it), within `deadlineMs`. Returns the row's locator.
 */
export async function waitForSentEmail(page, to, { deadlineMs = 30_000, pollMs = 500 } = {}) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    await page.goto('/dev/mailbox');
    const row = page.getByRole('row').filter({ hasText: to });
    if ((await row.count()) === 1 && (await row.locator('.mailbox-status-sent').count()) === 1) return row;
    if (Date.now() > deadline) {
      const listed = await page.locator('main').innerText();
      throw new Error(`no sent email to ${to} in the mailbox within ${deadlineMs} ms; the mailbox shows:\n${listed}`);
    }
    await page.waitForTimeout(pollMs);
  }
}

/** Opens a mailbox row; returns the email's text and its one invitation link (a locator). */
export async function openInviteEmail(page, row) {
  await row.getByRole('link').click();
  await page.waitForURL((url) => /^\/dev\/mailbox\/[^/]+$/.test(url.pathname));
  const text = await page.locator('.mailbox-text').innerText();
  const link = page.locator('.mailbox-links a').filter({ hasText: '/auth/invite/' });
  assert.equal(await link.count(), 1, 'one invitation link in the email');
  return { text, link, href: await link.getAttribute('href') };
}
