// Branding and custom domains in a real browser: the live preview (driven by
// /js/brand-preview.js under the strict CSP), a logo upload, and a development custom domain.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, uniqueId } from './harness.mjs';
import { field } from './helpers.mjs';
import { browserTest } from './session.mjs';
import { logoPng } from './png.mjs';

const TEST_TIMEOUT_MS = 90_000;

let server;
const session = browserTest('branding');

const run = uniqueId();
const host = {
  organisation: `Brand Mining ${run}`,
  slug: `brand-${run}`,
  owner: 'Bea Brand',
  email: `brand-${run}@example.com`,
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
      // #00ff88 is 1.4:1 on white: the preview shows the darker shade the portal will use for
      // links (src/lib/color.ts readableAccent) and says why, in words (issue 15).
      assert.equal(await previewVar(page, '--brand-accent'), '#008044');
      assert.match(await page.getByTestId('contrast-warnings').innerText(), /accent colour #00ff88 has a contrast of 1\.\d:1 on white.*#008044/s);

      await field(page, 'Slogan').fill('<b>Hashing</b> since 2017');
      assert.equal(await page.locator('#brand-preview-slogan').textContent(), '<b>Hashing</b> since 2017');
      assert.equal(await page.locator('#brand-preview-slogan b').count(), 0);

      await page.locator('input[name="logo"]').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: logoPng(256, 256) });
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
      await page.locator('input[name="logo"]').setInputFiles({ name: 'wide.png', mimeType: 'image/png', buffer: logoPng(300, 200) });
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
