// Page helpers shared by the browser tests (harness.mjs starts and stops things; this drives pages).
import assert from 'node:assert/strict';

/** A form field by the start of its label (labels carry "(required)" / "(optional)" after the name). */
export const field = (scope, label) => scope.getByLabel(new RegExp(`^${label}\\b`, 'i'));

/** Waits for htmx, so a submit is an hx-post rather than a plain form post. */
export const htmxReady = (page) => page.waitForFunction(() => typeof window.htmx === 'object' && window.htmx !== null);

/** A waitForURL predicate: exactly this path. */
export const pathIs = (pathname) => (url) => url.pathname === pathname;

/** page → (request → when it started), kept by watchPage for `requestsInFlight`. */
const inFlightByPage = new WeakMap();

/** The watched page's requests that have not finished, oldest first: "GET /css/app.css (19.8 s)". */
export function requestsInFlight(page) {
  const now = Date.now();
  return [...(inFlightByPage.get(page) ?? new Map())]
    .sort(([, a], [, b]) => a - b)
    .map(([request, since]) => `${request.method()} ${new URL(request.url()).pathname} (${((now - since) / 1000).toFixed(1)} s)`);
}

/**
 * Reports failed requests, 5xx answers, script errors and CSP refusals on `page` to `report`
 * (each test asserts none happened).
 */
export function watchPage(name, page, report) {
  const inFlight = new Map();
  inFlightByPage.set(page, inFlight);
  page.on('request', (request) => inFlight.set(request, Date.now()));
  page.on('requestfinished', (request) => inFlight.delete(request));
  page.on('requestfailed', (request) => inFlight.delete(request));
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

/** Signs a staff member in at /login; lands somewhere under /admin/. */
export async function signInStaff(page, email, password) {
  await page.goto('/login');
  await htmxReady(page);
  await field(page, 'Email').fill(email);
  await field(page, 'Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/admin/'));
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
 * Loads `url` in `page` until `check(page)` resolves truthy, within `deadlineMs`; every polling
 * loop of the browser tests goes through here. A load that stalls past the navigation timeout is
 * logged with the requests still in flight and loaded again while the deadline allows: the loop
 * reloads anyway, as a person would. (Once in many CI runs, wrangler dev held a GET of the
 * mailbox past 20 s; the log line says which request, where a failure could not.)
 */
export async function reloadUntil(page, url, check, { deadlineMs, pollMs = 1_000, what }) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      await page.goto(url);
    } catch (error) {
      if (error?.name !== 'TimeoutError' || Date.now() > deadline) throw error;
      const pending = requestsInFlight(page).join(', ') || 'none';
      console.log(`# ${what}: loading ${url} stalled (${error.message.split('\n')[0]}); requests in flight: ${pending}; loading it again`);
      continue;
    }
    const result = await check(page);
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`${what}: not seen at ${url} within ${deadlineMs} ms; the page shows:\n${await page.locator('main').innerText()}`);
    await page.waitForTimeout(pollMs);
  }
}

/**
 * Reloads the development mailbox in `page` until a *sent* email to `to` is listed (wrangler
 * dev's real queue consumer delivers it), within `deadlineMs`; with `text`, only a row that also
 * mentions it (a subject). Returns the row's locator.
 */
export function waitForSentEmail(page, to, { text, deadlineMs = 30_000, pollMs = 500 } = {}) {
  return reloadUntil(
    page,
    '/dev/mailbox',
    async () => {
      let row = page.getByRole('row').filter({ hasText: to });
      if (text) row = row.filter({ hasText: text });
      return (await row.count()) === 1 && (await row.locator('.mailbox-status-sent').count()) === 1 ? row : null;
    },
    { deadlineMs, pollMs, what: `a sent email to ${to}${text ? ` mentioning "${text}"` : ''}` },
  );
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
