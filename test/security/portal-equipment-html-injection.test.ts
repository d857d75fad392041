import { describe, expect, it } from 'vitest';
import { createHost, getPage } from '../helpers/fixtures';
import { insertMiner, insertSite, portalCustomer } from '../helpers/alerts';
import { reportFleet, seedFleet } from '../helpers/fleet';
import { batchOf, report, stateOf } from '../helpers/telemetry';

/**
 * The portal's Equipment list shows inventory text the host typed (serial, model, rack location,
 * site name) and echoes the customer's own search: all of it must reach the page as text.
 */
const PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>", '</title><script>alert(1)</script>'];

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The only embedded-content tags pages render themselves: the 24-hour chart's <svg>. */
const APP_EMBEDS = /^<svg class="chart-svg" viewBox="[\d .]+" width="\d+" height="\d+" role="img" aria-labelledby="[\w -]+" preserveAspectRatio="xMidYMid meet">$/;

function expectNoInjectedMarkup(html: string, where: string) {
  for (const tag of html.match(/<(img|svg|iframe)\b[^>]*>/gi) ?? []) expect(tag, `${where}: injected tag`).toMatch(APP_EMBEDS);
  for (const tag of [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0])) expect(tag, `${where}: inline script`).toMatch(/^<script src="\/vendor\//);
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
    expect(tag.replace(/"[^"]*"/g, '""'), `${where}: inline handler`).not.toMatch(/\son[a-z]+\s*=/i);
  }
}

function expectEscaped(html: string, value: string, where: string) {
  expect(html, `${where}: raw markup`).not.toContain(value);
  expect(html, `${where}: escaped text`).toContain(escapeHtml(value));
  expectNoInjectedMarkup(html, where);
}

async function page(path: string, cookie: string, htmx = false) {
  const res = await getPage(path, { cookie, htmx });
  expect(res.status, path).toBe(200);
  return res.text();
}

describe.each(PAYLOADS)('the payload %j on the portal Equipment list', (payload) => {
  it('is escaped in the table, the polled fragment and the echoed search, found or not', async () => {
    const host = await createHost('Portal XSS Host');
    const siteName = `site:${payload}`;
    const siteId = await insertSite(host, siteName);
    const c = await portalCustomer(host, 'Portal XSS Customer');
    const serial = `SN:${payload}`;
    const rack = `rack:${payload}`;
    const model = `model:${payload}`;
    const unit = await insertMiner(host, { siteId, customerId: c.customer.id, serial, rackLocation: rack, model });
    // Enough units elsewhere for page links, which carry the search too.
    const plainSite = await insertSite(host, 'Plain Hall');
    const rest = await seedFleet(host, { siteId: plainSite, customerId: c.customer.id, count: 60 });
    await stateOf(siteId).ingest({ hostId: host.hostId, siteId }, batchOf([report(unit.mac)]));
    await reportFleet(host, plainSite, rest.slice(0, 5));

    const base = `${c.base}/equipment`;
    // The unit's row in the default list (its site name sorts it among the others).
    const list = await page(`${base}?q=${encodeURIComponent('SN:')}`, c.cookie);
    expect(list).toContain(`data-miner-id="${unit.id}"`);
    for (const value of [serial, rack, model, siteName]) expectEscaped(list, value, `list: ${value}`);

    // Found by a search for the payload itself, on the page, the fragment, in both sort paths.
    for (const path of [`${base}?q=${encodeURIComponent(payload)}`, `${base}/live?q=${encodeURIComponent(payload)}&sort=status`]) {
      const html = await page(path, c.cookie, path.includes('/live'));
      expect(html, path).toContain(`data-miner-id="${unit.id}"`);
      expectEscaped(html, serial, path);
      expectNoInjectedMarkup(html, path);
    }
    // Echoed back into the search box, the polling URL and the page links; nothing matches.
    const search = `${payload} row`;
    const missing = await page(`${base}?q=${encodeURIComponent(search)}`, c.cookie);
    expect(missing).toContain('No miners match');
    expectEscaped(missing, search, 'echoed search');
    // A search matching many units: page links carry it, encoded.
    const many = await page(`${base}?q=${encodeURIComponent('row')}&status=unknown`, c.cookie);
    expect(many).toContain('page=2');
    expectNoInjectedMarkup(many, 'paged search');
  });
});
