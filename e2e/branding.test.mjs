// Branding and custom domains in a real browser: the live preview (driven by
// /js/brand-preview.js under the strict CSP), a logo upload, and a development custom domain.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { launchBrowser, screenshot, startServer, uniqueId } from './harness.mjs';

const TEST_TIMEOUT_MS = 90_000;

let server;
let browser;
let problems = [];

const run = uniqueId();
const host = {
  organisation: `Brand Mining ${run}`,
  slug: `brand-${run}`,
  owner: 'Bea Brand',
  email: `brand-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};

/** A real, decodable PNG: one orange RGBA colour, rows deflated with node:zlib. */
function png(width, height) {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + width * 4);
  for (let x = 0; x < width; x++) row.set([0xf5, 0x9e, 0x0b, 0xff], 1 + x * 4);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser({ baseURL: server.baseURL });
  const { page } = browser;
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    if (reason !== 'net::ERR_ABORTED') problems.push(`${request.method()} ${request.url()} failed: ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${response.request().method()} ${response.url()} answered ${response.status()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // A CSP refusal is reported on the console: none may happen.
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function withEvidence(name, fn) {
  problems = [];
  try {
    await fn(browser.page);
    assert.deepEqual(problems, [], 'the page had failed requests, script errors or CSP refusals');
  } catch (error) {
    const shot = await screenshot(browser.page, `FAILED-${name}`).catch(() => null);
    error.message += `\n  page: ${browser.page.url()}${shot ? `\n  screenshot: ${shot}` : ''}\n  wrangler output (tail):\n${server.logs().slice(-4000)}`;
    throw error;
  }
}

const field = (scope, label) => scope.getByLabel(new RegExp(`^${label}\\b`, 'i'));
const previewVar = (page, name) => page.locator('#brand-preview').evaluate((el, n) => el.style.getPropertyValue(n), name);
const buttonColour = (page) => page.locator('.brand-preview-button').evaluate((el) => getComputedStyle(el).backgroundColor);

describe('branding in the browser', () => {
  test('a host signs up', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('signup', async (page) => {
      await page.goto('/signup');
      await field(page, 'Organisation name').fill(host.organisation);
      await field(page, 'Main slug').fill(host.slug);
      await field(page, 'Your name').fill(host.owner);
      await field(page, 'Email').fill(host.email);
      await field(page, 'Password').fill(host.password);
      await page.getByRole('button', { name: 'Create host' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/customers');
    }),
  );

  test('the preview follows colours, slogan and the chosen logo before saving, then the logo is saved', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('preview', async (page) => {
      await page.goto('/admin/settings/branding');
      await page.waitForFunction(() => document.getElementById('brand-preview')?.classList.contains('is-live'));
      assert.equal(await previewVar(page, '--brand-primary'), '#1f2937');

      await page.locator('input[name="primary_color"]').fill('#aa3300');
      assert.equal(await previewVar(page, '--brand-primary'), '#aa3300');
      assert.equal(await buttonColour(page), 'rgb(170, 51, 0)');
      assert.equal(await page.locator('[data-color-value="primary_color"]').textContent(), '#aa3300');
      await page.locator('input[name="accent_color"]').fill('#00ff88');
      assert.equal(await previewVar(page, '--brand-accent'), '#00ff88');

      await field(page, 'Slogan').fill('<b>Hashing</b> since 2017');
      assert.equal(await page.locator('#brand-preview-slogan').textContent(), '<b>Hashing</b> since 2017');
      assert.equal(await page.locator('#brand-preview-slogan b').count(), 0);

      await page.locator('input[name="logo"]').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(256, 256) });
      const src = await page.locator('#brand-preview-logo').getAttribute('src');
      assert.match(src ?? '', /^blob:/);
      await page.waitForFunction(() => (document.getElementById('brand-preview-logo')?.naturalWidth ?? 0) === 256);
      assert.equal(await page.locator('#brand-preview-logo').isVisible(), true);
      assert.equal(await page.locator('#brand-preview-initial').isVisible(), false);
      assert.equal(await page.locator('#brand-preview-warning').isVisible(), false);

      await page.getByRole('button', { name: 'Save branding' }).click();
      await page.waitForURL((url) => url.search === '?saved=1');
      await page.getByText('Branding saved.').waitFor();
      assert.match((await page.locator('#brand-preview-logo').getAttribute('src')) ?? '', /^\/admin\/settings\/branding\/logo\?v=/);
      assert.equal(await previewVar(page, '--brand-primary'), '#aa3300');
      const logo = await page.request.get((await page.locator('#brand-preview-logo').getAttribute('src')) ?? '');
      assert.equal(logo.status(), 200);
      assert.equal(logo.headers()['content-type'], 'image/png');
    }),
  );

  test('a refused logo re-renders the form with its message', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('refused', async (page) => {
      await page.goto('/admin/settings/branding');
      await page.locator('input[name="logo"]').setInputFiles({ name: 'wide.png', mimeType: 'image/png', buffer: png(300, 200) });
      // The preview warns at once, before anything is sent.
      await page.locator('#brand-preview-warning').getByText('This image is 300×200 pixels; the logo must be square.').waitFor();
      await page.getByRole('button', { name: 'Save branding' }).click();
      await page.getByText('The logo must be square; this one is 300×200 pixels.').first().waitFor();
    }),
  );

  test('a .localhost custom domain can be verified in development', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('domains', async (page) => {
      const hostname = `portal.${host.slug}.localhost`;
      await page.goto('/admin/settings/domains');
      await field(page, 'Hostname').fill(hostname);
      await page.getByRole('button', { name: 'Add domain' }).click();
      await page.getByText('Domain added.').waitFor();
      await page.getByRole('button', { name: 'Verify (development)' }).click();
      await page.getByText('Domain verified for development.').waitFor();
      await page.getByRole('link', { name: hostname }).waitFor();
    }),
  );
});
