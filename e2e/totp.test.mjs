// Issue 11, two-factor sign-in in a real browser: a new owner turns it on from Your account,
// reading the manual key off the page (the "authenticator app" is node:crypto here), signs out,
// and signs in again with password and code.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { launchBrowser, screenshot, startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, pathIs, signUpHost } from './helpers.mjs';

const run = uniqueId();
const host = { organisation: `TOTP Mining ${run}`, mainSlug: `totp-${run}`, owner: 'Tara Owner', email: `tara-${run}@example.com`, password: 'correct-horse-battery-staple' };

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const char of text.replace(/\s/g, '').toUpperCase()) {
    value = ((value << 5) | alphabet.indexOf(char)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 with SHA-1, 6 digits, 30 s; successive steps, since the server refuses a step twice. */
function authenticator(key) {
  const secret = base32Decode(key);
  let lastStep = -Infinity;
  return () => {
    const step = Math.max(lastStep + 1, Math.floor(Date.now() / 30_000) - 1);
    lastStep = step;
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(step));
    const mac = createHmac('sha1', secret).update(counter).digest();
    const offset = mac[mac.length - 1] & 0x0f;
    return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
  };
}

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser({ baseURL: server.baseURL });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('an owner turns on two-factor sign-in, signs out, and signs in with a code', { timeout: 120_000 }, async () => {
  const page = browser.page;
  try {
    await signUpHost(page, host);

    await page.goto('/admin/account');
    await page.getByRole('link', { name: 'Set up two-factor sign-in' }).click();
    await page.waitForURL(pathIs('/admin/account/two-factor'));
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await page.waitForURL(pathIs('/admin/account/two-factor'));
    assert.equal(await page.getByRole('img', { name: 'QR code with your two-factor key' }).count(), 1, 'the QR code is drawn on the page');
    const key = (await page.locator('#manual-key').innerText()).replace(/\s/g, '');
    assert.match(key, /^[A-Z2-7]{32}$/);
    const nextCode = authenticator(key);

    await field(page, 'Code from the app').fill(nextCode());
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    assert.equal(await page.locator('.recovery-codes li').count(), 10);
    await page.getByRole('link', { name: 'I have saved them' }).click();
    await page.waitForURL(pathIs('/admin/account'));
    assert.match(await page.locator('main').innerText(), /On: signing in asks for a code/);

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(pathIs('/login'));
    await htmxReady(page);
    await field(page, 'Email').fill(host.email);
    await field(page, 'Password').fill(host.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(pathIs('/login/two-factor'));

    await field(page, 'Code').fill(nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(pathIs('/admin/customers'));
    assert.match(await page.locator('main').innerText(), /Customers/);
  } catch (error) {
    await screenshot(page, 'totp-failure');
    throw error;
  }
});
