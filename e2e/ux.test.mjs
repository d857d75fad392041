// Issue 15: every main page, staff and portal, on a phone (390×844) and a laptop (1280×800), in
// one wrangler dev and one Chromium. Each visit fails on: the document wider than the viewport,
// a table header or identifier cell (MAC, serial, IP) that wraps, a console error, a CSP refusal
// or failed request, and any serious or critical axe-core violation (WCAG 2.2 A/AA rules). A
// full-page screenshot of every visit is written to e2e/screenshots/<width>/ (gitignored).
//
// The data is made through the product: the host signs up and creates an API key; customers,
// a site and units come from the JSON API; the site's agent reports live values through the
// agent API (so live columns hold real numbers); the customer's owner joins through the invite
// email. The owner is named like their account, the case that printed the name twice.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, screenshot, startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, openInviteEmail, pathIs, setHostSlug, signUpHost, waitForSentEmail } from './helpers.mjs';
import { browserTest } from './session.mjs';

const require = createRequire(import.meta.url);
const HOUR_MS = 3_600_000;
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const SCREENSHOT_DIR = path.join(ROOT, 'e2e', 'screenshots');

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'laptop', width: 1280, height: 800 },
];
/** axe rule tags: WCAG 2.0/2.1/2.2, levels A and AA. */
/** E2E_UX_ONLY=<regex> visits only the pages whose names match (while iterating on one page). */
const ONLY = process.env.E2E_UX_ONLY ? new RegExp(process.env.E2E_UX_ONLY) : null;
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let server;
let staff; // the host's browser
let member; // the customer's owner, in a second browser (own cookie jar)
const session = browserTest('ux');

const run = uniqueId();
const host = {
  organisation: `Northern Lights Hashing Cooperative ${run}`,
  mainSlug: `ux-${run}`,
  hostSlug: `uxh-${run}`,
  owner: 'Hana Host',
  email: `host-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};
const alice = {
  name: 'Alice Nakamoto',
  company: 'Nakamoto Distributed Compute and Hashing Holdings International',
  contact: `alice.nakamoto.long-address-${run}@satoshi-mining-enterprises.example.com`,
  password: 'alice-owner-password-1',
};
const SLOGAN = 'Clean hydro-powered hashing for serious miners, from the far north of everywhere';

/** Filled in by the setup test. */
const ids = { alice: '', site: '', miners: [], quote: '' };
let apiKey = '';

before(async () => {
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  server = await startServer();
  ({ staff, member } = await session.open(server, ['staff', 'member']));
  for (const [name, b] of [['staff', staff], ['member', member]]) {
    // The machine running CI is shared: allow a slow page more than the harness's 20 s default.
    b.context.setDefaultNavigationTimeout(60_000);
    b.context.setDefaultTimeout(30_000);
    b.page.on('console', (message) => {
      // Chromium asks for /favicon.ico on its own; the platform has none (a host favicon would be
      // branding, not in this issue), so that one 404 is not a page error.
      if (message.location()?.url?.endsWith('/favicon.ico')) return;
      if (message.type() === 'error' && !/Content Security Policy|Refused to/i.test(message.text())) {
        session.report(`[${name}] console error: ${message.text()} (${message.location()?.url ?? b.page.url()})`);
      }
    });
  }
});

after(async () => {
  await session.close();
});

async function api(method, pathname, body) {
  const res = await fetch(`${server.baseURL}${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  assert.ok(res.ok, `${method} ${pathname} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

async function agentPost(pathname, body, token) {
  const res = await fetch(`${server.baseURL}/api/agent/v1${pathname}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  assert.ok(res.ok, `POST ${pathname} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const withEvidence = (step, fn) => session.evidence(step, fn);

/**
 * What the layout rules forbid, measured in the page: the document wider than the viewport; a
 * table header or an identifier (.ident) laid out on more than one line.
 */
function layoutFaults() {
  const faults = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    // Name the outermost elements that stick out, so the failure says what to fix.
    const culprits = [...document.body.querySelectorAll('*')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
      .slice(0, 3)
      .map((el) => `<${el.tagName.toLowerCase()} class="${el.className}">`);
    faults.push(`the document is ${doc.scrollWidth}px wide in a ${window.innerWidth}px viewport (sticking out: ${culprits.join(', ') || 'nothing visible'})`);
  }
  const lines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = [];
    for (const rect of range.getClientRects()) {
      if (rect.width < 1 || rect.height < 4) continue; // visually hidden text
      if (!tops.some((top) => Math.abs(top - rect.top) < rect.height / 2)) tops.push(rect.top);
    }
    return tops.length;
  };
  for (const el of document.querySelectorAll('th, .ident')) {
    if (el.closest('[hidden], details:not([open])')) continue;
    const n = lines(el);
    if (n > 1) faults.push(`${el.tagName.toLowerCase()}${el.className ? `.${el.className}` : ''} "${el.textContent.trim().slice(0, 40)}" wraps over ${n} lines`);
  }
  return faults;
}

async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), AXE_TAGS);
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n      ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`).join('\n      ')}`);
}

/** Visits one page in one viewport: layout, axe, screenshot. Returns the faults found. */
async function checkPage(page, viewport, name, url) {
  const response = await page.goto(url);
  assert.ok(response && response.status() < 400, `${url} answered ${response?.status()}`);
  await page.waitForLoadState('load');
  const faults = [...(await page.evaluate(layoutFaults)), ...(await axeViolations(page))];
  const dir = path.join(SCREENSHOT_DIR, `${viewport.name}-${viewport.width}`);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  return faults.map((fault) => `[${viewport.width}px] ${name} (${url}): ${fault}`);
}

describe('every main page on a phone and a laptop (issue 15)', () => {
  test('setup: a host, an API key, customers, a site with reporting units, and a portal member', { timeout: 240_000 }, () =>
    withEvidence('setup', async () => {
      const page = staff.page;
      await signUpHost(page, host);
      await setHostSlug(page, host.hostSlug);

      await page.goto('/admin/settings/branding');
      await htmxReady(page);
      await field(page, 'Slogan').fill(SLOGAN);
      await page.getByRole('button', { name: 'Save branding' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/settings/branding' && url.search === '?saved=1');

      await page.goto('/admin/settings/api-keys');
      await htmxReady(page);
      await field(page, 'Key name').fill('UX fixtures');
      await page.getByRole('button', { name: 'Create API key' }).click();
      await page.locator('.secret').waitFor();
      apiKey = (await page.locator('.secret').innerText()).trim();
      assert.match(apiKey, /^hy_live_/);

      ids.alice = (await api('POST', '/api/v1/customers', { name: alice.name, company_name: alice.company, contact_email: alice.contact, phone: '+1 512 555 0100' })).data.id;
      const others = [
        ['Bob Okafor', 'Okafor Mining Ltd'],
        ['Carmen Delgado-Rivera de la Fuente y Montenegro', null],
        ['Dmitri Volkov', 'Volkov Compute'],
      ];
      for (const [name, company] of others) {
        await api('POST', '/api/v1/customers', { name, company_name: company, contact_email: `${name.split(' ')[0].toLowerCase()}-${run}@example.com` });
      }

      ids.site = (
        await api('POST', '/api/v1/sites', {
          name: 'Fort Nelson Hydro Hall B',
          city: 'Fort Nelson',
          country: 'CA',
          capacity_kw: 12000,
          energy_cost_per_kwh: '0.0425',
          network_segments: [{ cidr: '10.20.0.0/24', label: 'Hall B rows 1–12' }],
        })
      ).data.id;
      const units = Array.from({ length: 6 }, (_, i) => ({
        serial: `YNAHD2BBDJH${run.toUpperCase().slice(0, 5)}${String(i).padStart(3, '0')}`,
        mac: `02:1a:2b:3c:4d:${(0x10 + i).toString(16)}`,
        ip: `10.20.0.${101 + i}`,
        vendor: 'Bitmain',
        model: i % 2 ? 'Antminer S21 XP Hydro' : 'Antminer S19j Pro+',
        nominal_hashrate_ths: i % 2 ? 473 : 122,
        nominal_power_w: i % 2 ? 5676 : 3355,
        site_id: ids.site,
        rack_location: `B-${String(i + 1).padStart(2, '0')}-U${12 + i}`,
      }));
      for (const unit of units) ids.miners.push({ ...(await api('POST', '/api/v1/miners', unit)).data });
      await api('POST', `/api/v1/customers/${ids.alice}/equipment`, { miner_ids: ids.miners.slice(0, 4).map((m) => m.id) });
      ids.quote = (
        await api('POST', '/api/v1/quotes', {
          prospect_name: 'Dana Whitfield-Oyelaran',
          prospect_company: 'Whitfield-Oyelaran Digital Infrastructure Holdings',
          prospect_email: `dana-${run}@example.com`,
          kind: 'hosted',
          pricing: 'per_kwh',
          currency: 'USD',
          rate: '0.065',
          term_months: 12,
          setup_fee: '500',
          deposit: '2000',
          valid_until: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
          lines: [{ description: 'Antminer S21 XP Hydro', units: '40', ths: '473', power_w: '5676' }],
          notify_email: host.email,
        })
      ).data.id;

      // The site's agent registers with its one-time code and reports five of the six units: twice
      // in the last closed hour, then now. The closed hour becomes Alice's usage (below), so the
      // usage pages show their table in both viewports, not only after the alarm happens to run.
      const code = (await api('POST', `/api/v1/sites/${ids.site}/agents`, { name: 'Gateway 1' })).data.registration_code;
      const { token } = await agentPost('/register', { code, hostname: 'hall-b-gw', version: '0.1.0' });
      const lastHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
      const UPTIMES_NOW = [30, 93_600, 7_500, 45, 2_000_000];
      // A unit up less than that long now had been up a day, and counting, before its reboot.
      const uptimeAt = (uptimeNow, sampledAtMs) => {
        const secondsBeforeNow = Math.round((Date.now() - sampledAtMs) / 1000);
        return uptimeNow > secondsBeforeNow ? uptimeNow - secondsBeforeNow : 86_400 + Math.round((sampledAtMs - lastHour) / 1000);
      };
      for (const sampledAtMs of [lastHour + 60_000, lastHour + 30 * 60_000, Date.now()]) {
        const sampledAt = new Date(sampledAtMs).toISOString();
        await agentPost(
          '/telemetry',
          {
            batch_id: crypto.randomUUID(),
            sent_at: new Date().toISOString(),
            miners: units.slice(0, 5).map((unit, i) => ({
              mac: unit.mac,
              ip: unit.ip,
              vendor: unit.vendor,
              model: unit.model,
              sampled_at: sampledAt,
              state: 'mining',
              hashrate_ths: [98.24, 471.5, 120.1, 0, 1234.5][i],
              expected_hashrate_ths: unit.nominal_hashrate_ths,
              board_temps_c: [62, 64, 63],
              chip_temps_c: [71, 85.5, 72],
              fans_rpm: [5400, 5460],
              power_w: [3050, 5676, 3300, 120, 12500][i],
              power_source: 'miner',
              uptime_s: uptimeAt(UPTIMES_NOW[i], sampledAtMs),
              errors: [],
            })),
          },
          token,
        );
      }
      // The site's alarm (every minute) closes the hour and writes Alice's usage. In the first hour
      // of a billing period that hour belongs to the previous one: the usage pages then show this
      // period's empty state in both viewports, which is as deterministic.
      const usage = async () => (await api('GET', `/api/v1/customers/${ids.alice}/usage`)).data;
      let current = await usage();
      if (Date.parse(current.period.from) <= lastHour) {
        const deadline = Date.now() + 120_000;
        while (!current.units.some((u) => u.metered_wh > 0)) {
          assert.ok(Date.now() < deadline, 'the last closed hour reached Alice’s usage within 120 s');
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          current = await usage();
        }
      }

      // Alice is invited from the Team tab and joins from her own browser.
      await page.goto(`/admin/customers/${ids.alice}/team`);
      await htmxReady(page);
      const invite = page.locator(`form[action="/admin/customers/${ids.alice}/team/invites"]`);
      await field(invite, 'Email').fill(alice.contact);
      await invite.getByRole('button', { name: 'Send invitation' }).click();
      await page.waitForURL((url) => url.search === '?done=invited');
      const row = await waitForSentEmail(member.page, alice.contact, { deadlineMs: 30_000 });
      const { link } = await openInviteEmail(member.page, row);
      await link.click();
      await member.page.waitForURL((u) => u.pathname.includes('/auth/invite/'));
      await htmxReady(member.page);
      const form = member.page.locator('#accept-invite form').first();
      await field(form, 'Your name').fill(alice.name);
      await field(form, 'Password').fill(alice.password);
      await form.getByRole('button', { name: 'Create account and join' }).click();
      await member.page.waitForURL(pathIs(`/host/${host.hostSlug}`));
    }),
  );

  test('the portal header names the member once, with the account', { timeout: 30_000 }, () =>
    withEvidence('header', async () => {
      const page = member.page;
      await page.goto(`/host/${host.hostSlug}`);
      const header = await page.locator('header.portal-header').innerText();
      assert.equal(header.split(alice.name).length - 1, 1, `"${alice.name}" appears once in the header: ${JSON.stringify(header)}`);
    }),
  );

  /** The main pages: [name, path] for the staff browser and for the member's. */
  function mainPages() {
    const portal = `/host/${host.hostSlug}`;
    const unit = ids.miners[0].id;
    const staffPages = [
      ['staff-dashboard', '/admin/dashboard'],
      ['staff-customers', '/admin/customers'],
      ['staff-customer-new', '/admin/customers/new'],
      ['staff-customer-overview', `/admin/customers/${ids.alice}`],
      ['staff-customer-contracts', `/admin/customers/${ids.alice}/contracts`],
      ['staff-customer-contract-new', `/admin/customers/${ids.alice}/contracts/new`],
      ['staff-customer-equipment', `/admin/customers/${ids.alice}/equipment`],
      ['staff-customer-usage', `/admin/customers/${ids.alice}/usage`],
      ['staff-customer-financials', `/admin/customers/${ids.alice}/financials`],
      ['staff-customer-default', `/admin/customers/${ids.alice}/default-status`],
      ['staff-customer-legal', `/admin/customers/${ids.alice}/legal`],
      ['staff-customer-support', `/admin/customers/${ids.alice}/support`],
      ['staff-customer-team', `/admin/customers/${ids.alice}/team`],
      ['staff-customer-activity', `/admin/customers/${ids.alice}/activity`],
      ['staff-customer-edit', `/admin/customers/${ids.alice}/edit`],
      ['staff-equipment', '/admin/equipment'],
      ['staff-equipment-unit', `/admin/equipment/${unit}`],
      ['staff-equipment-new', '/admin/equipment/new'],
      ['staff-equipment-import', '/admin/equipment/import'],
      ['staff-sites', '/admin/sites'],
      ['staff-site', `/admin/sites/${ids.site}`],
      ['staff-contracts', '/admin/contracts'],
      ['staff-invoices', '/admin/invoices'],
      ['staff-invoice-new', '/admin/invoices/new'],
      ['staff-quotes', '/admin/quotes'],
      ['staff-quote-new', '/admin/quotes/new'],
      ['staff-quote', `/admin/quotes/${ids.quote}`],
      ['staff-alerts', '/admin/alerts'],
      ['staff-support', '/admin/support'],
      ['staff-support-settings', '/admin/support/settings'],
      ['staff-notify', '/admin/notify'],
      ['staff-notify-new', '/admin/notify/new'],
      ['staff-notify-maintenance', '/admin/notify/new?kind=maintenance'],
      ['staff-settings', '/admin/settings'],
      ['staff-settings-branding', '/admin/settings/branding'],
      ['staff-settings-api-keys', '/admin/settings/api-keys'],
      ['staff-settings-staff', '/admin/settings/staff'],
      ['staff-settings-domains', '/admin/settings/domains'],
      ['staff-settings-alerts', '/admin/settings/alerts'],
      ['staff-settings-billing', '/admin/settings/billing'],
      ['staff-settings-default', '/admin/settings/default'],
      ['staff-settings-legal', '/admin/settings/legal'],
      ['staff-settings-models', '/admin/settings/models'],
      ['staff-account', '/admin/account'],
      ['portal-sign-in', `${portal}/auth`], // the staff browser has no portal session
    ];
    const portalPages = [
      ['portal-dashboard', portal],
      ['portal-equipment', `${portal}/equipment`],
      ['portal-equipment-unit', `${portal}/equipment/${unit}`],
      ['portal-alerts', `${portal}/alerts`],
      ['portal-announcements', `${portal}/announcements`],
      ['portal-team', `${portal}/team`],
      ['portal-profile', `${portal}/profile`],
      ['portal-usage', `${portal}/usage`],
      ['portal-invoices', `${portal}/invoices`],
      ['portal-support', `${portal}/support`],
    ];
    return [
      [staff, staffPages],
      [member, portalPages],
    ];
  }

  // One test per width, so each has its own time budget (a shared CI machine can be slow).
  for (const viewport of VIEWPORTS) {
    test(`every main staff and portal page at ${viewport.width}×${viewport.height}: no sideways scroll, no wrapped headers or identifiers, no serious axe violation`, { timeout: 480_000 }, () =>
      withEvidence(`pages-${viewport.name}`, async () => {
        const faults = [];
        for (const [b, pages] of mainPages()) {
          await b.page.setViewportSize({ width: viewport.width, height: viewport.height });
          for (const [name, url] of pages.filter(([n]) => !ONLY || ONLY.test(n))) faults.push(...(await checkPage(b.page, viewport, name, url)));
        }
        console.log(`# screenshots: ${path.join(SCREENSHOT_DIR, `${viewport.name}-${viewport.width}`)}`);
        assert.deepEqual(faults, [], `layout or accessibility faults:\n  ${faults.join('\n  ')}`);
      }),
    );
  }

  test('the unit page and a quote print without navigation, forms or buttons', { timeout: 60_000 }, () =>
    withEvidence('print', async () => {
      const page = staff.page;
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.emulateMedia({ media: 'print' });
      try {
        for (const [name, url, content] of [
          ['unit', `/admin/equipment/${ids.miners[0].id}`, ids.miners[0].serial],
          ['quote', `/admin/quotes/${ids.quote}`, 'Whitfield-Oyelaran Digital Infrastructure Holdings'],
        ]) {
          await page.goto(url);
          await htmxReady(page);
          const shown = await page.evaluate(() =>
            [...document.querySelectorAll('aside.sidebar, header.topbar, details.nav-menu, nav, form, button, .btn, .skip-link')]
              .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
              .map((el) => `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ').join('.') : ''}`),
          );
          assert.deepEqual(shown, [], `${name}: printed chrome`);
          assert.ok((await page.locator('main').innerText()).includes(content), `${name}: the printout keeps its content`);
          assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `${name}: no sideways overflow in print`);
        }
      } finally {
        await page.emulateMedia({ media: 'screen' });
      }
    }),
  );

  test('the phone menu is a <details> that opens without JavaScript; Tab reaches the skip link first', { timeout: 30_000 }, () =>
    withEvidence('menu', async () => {
      const page = staff.page;
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto('/admin/equipment');
      const menu = page.locator('details.nav-menu');
      assert.equal(await page.locator('aside.sidebar').isVisible(), false, 'the sidebar gives way to the menu on a phone');
      await menu.locator('summary').click();
      await menu.getByRole('link', { name: 'Sites' }).click();
      await page.waitForURL(pathIs('/admin/sites'));
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to content');
      await page.setViewportSize({ width: 1280, height: 800 });
      assert.equal(await menu.isVisible(), false, 'on a laptop the sidebar shows the links');
      assert.equal(await page.locator('aside.sidebar').getByRole('link', { name: 'Sites' }).isVisible(), true);
    }),
  );
});
