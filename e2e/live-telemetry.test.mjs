// Live miner telemetry end to end (issue 4's proof): a host signs up, creates a site with a
// network segment and adds an agent; the real facility agent (agent/cli.mjs) registers with the
// one-time code and reports six miners served by the miner simulator on loopback addresses; the
// miners appear in Equipment as staged, the host assigns them to a customer, the customer joins
// through the development mailbox and sees them live on the portal Equipment page (the htmx-polled
// fragment refreshes in place); then the simulator overheats one miner and an over-temperature
// alert appears in the customer's portal.
//
// Processes: wrangler dev (harness), the simulator and the agent (each in its own process group,
// stopped in `after` whatever happened), and Chromium with two cookie jars: host staff, customer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, ROOT, screenshot, startProcess, startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, openInviteEmail, pathIs, reloadUntil, setHostSlug, signUpHost, waitForSentEmail, watchPage } from './helpers.mjs';
import { browserTest } from './session.mjs';

const TEST_TIMEOUT_MS = 90_000;
const MINERS = 6;
/** The agent's poll interval, seconds (its minimum). */
const AGENT_INTERVAL_S = 10;
/** The portal's live fragments poll every 15 s (views/pages/portal/equipment.tsx). */
const PORTAL_POLL_MS = 15_000;
/**
 * The miner is overheated right after it is assigned: an alert takes its customer from D1's
 * current assignment when it is recorded (src/live/site-state.ts), so there is nothing to wait for.
 */
const OVERHEAT_TEST_TIMEOUT_MS = TEST_TIMEOUT_MS;

let server;
/** name → { context, page, close } */
const session = browserTest('live');
const browsers = session.people;
session.showOutput('agent', () => agent, 3000);
session.showOutput('simulator', () => simulator, 1500);
let simulator;
let agent;
let scratch;

const run = uniqueId();
const host = {
  organisation: `Live Mining ${run}`,
  mainSlug: `lm-${run}`,
  hostSlug: `lmh-${run}`,
  owner: 'Lina Live',
  email: `live-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};
const siteName = `Loopback Hall ${run}`;
const customer = { name: `Hot Hashers ${run}`, contact: `hot-${run}@example.com` };
const owner = { name: 'Omar Owner', email: `omar-${run}@example.com`, password: 'omar-owner-password-1' };
const portalBase = `/host/${host.hostSlug}`;

/** Filled in as the flow goes. */
const state = {
  /** 127.a.b.0/29: this run's loopback range, derived from the Worker's port. */
  segment: '',
  /** The simulated miners: ip and the MAC the simulator derives from it (02:48:59:a:b:c). */
  miners: [],
  controlPort: 0,
  siteId: '',
  customerPath: '',
  overTempLimitC: 0,
  /** Date.now() when the agent's first batch had been acknowledged. */
};

const macOf = (ip) => ['02', '48', '59', ...ip.split('.').slice(1).map((n) => Number(n).toString(16).padStart(2, '0'))].join(':');

before(async () => {
  server = await startServer();
  // A /29 of its own per run, away from the agent tests (127.40–45) and the demo (127.20–21).
  const a = 128 + (server.port % 120);
  const b = Math.floor(server.port / 120) % 256;
  state.segment = `127.${a}.${b}.0/29`;
  state.miners = Array.from({ length: MINERS }, (_, i) => {
    const ip = `127.${a}.${b}.${i + 1}`;
    return { ip, mac: macOf(ip) };
  });
  state.controlPort = await freePort();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'hashyard-e2e-live-'));
  await session.open(server, ['host', 'owner']);
});

after(async () => {
  // Process groups first, whatever happened above.
  await session.close(agent, simulator);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** On failure, keep a screenshot of every browser and the tails of wrangler, agent and simulator. */
const withEvidence = (step, fn) => session.evidence(step, () => fn({ hostPage: browsers.host.page, ownerPage: browsers.owner.page }));

/** Parses "95.5 °C" to a number; NaN for "—". */
const celsius = (text) => Number.parseFloat(text.replace(/[^\d.]/g, ''));

describe('live miner telemetry in the browser: agent, simulator, equipment, portal and alerts', () => {
  test('a host signs up, sets its host slug, and makes over-temperature alerts open at once', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('host', async ({ hostPage: page }) => {
      await signUpHost(page, host);
      await setHostSlug(page, host.hostSlug);

      await page.goto('/admin/settings/alerts');
      await htmxReady(page);
      const form = page.locator('#alert-rules-form');
      state.overTempLimitC = Number(await form.locator('#f-over_temp_c').inputValue());
      assert.ok(state.overTempLimitC > 0 && state.overTempLimitC < 94, `the simulator's overheat (94–108 °C) is above the limit, ${state.overTempLimitC} °C`);
      await form.locator('#f-over_temp_minutes').fill('0');
      await form.getByRole('button', { name: 'Save alert rules' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/settings/alerts' && url.search === '?saved=1');
      await page.getByText('Alert rules saved.').waitFor();
      assert.equal(await page.locator('#f-over_temp_minutes').inputValue(), '0');
    }),
  );

  test('Sites: a site with a network segment and an agent; the real agent registers with the code and reports the simulated miners', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('site-agent', async ({ hostPage: page }) => {
      await page.goto('/admin/sites');
      await page.getByRole('link', { name: 'Add Site' }).first().click();
      await page.waitForURL(pathIs('/admin/sites/new'));
      await htmxReady(page);
      await field(page, 'Site name').fill(siteName);
      await page.getByRole('button', { name: 'Add Site' }).click();
      await page.waitForURL((url) => /^\/admin\/sites\/[0-9a-f-]{36}$/.test(url.pathname));
      state.siteId = new URL(page.url()).pathname.split('/').pop();
      await page.getByRole('heading', { level: 1, name: siteName }).waitFor();
      await page.locator('#agents').getByText('No agent', { exact: true }).waitFor();

      const segments = page.locator('#segments');
      await field(segments, 'CIDR').fill(state.segment);
      await field(segments, 'Label').fill('Simulated miners (loopback)');
      await segments.getByRole('button', { name: 'Add segment' }).click();
      await page.waitForURL((url) => url.search === '?done=segment-added');
      await page.getByTestId('segments').getByRole('cell', { name: state.segment, exact: true }).waitFor();

      const agents = page.locator('#agents');
      await field(agents, 'Agent name').fill('Rack box');
      await agents.getByRole('button', { name: 'Add agent' }).click();
      const code = (await page.getByTestId('agent-code').innerText()).trim();
      assert.match(code, /^[A-HJ-NP-Z2-9]{12}$/, "a 12-symbol one-time code");

      // The simulated facility: miners listen before the agent's first scan.
      const arpFile = path.join(scratch, 'arp');
      simulator = startProcess(
        process.execPath,
        [path.join(ROOT, 'agent', 'simulator.mjs'), '--count', String(MINERS), '--base', state.miners[0].ip, '--control', String(state.controlPort), '--arp-file', arpFile],
        { label: 'simulator' },
      );
      await simulator.waitForOutput(/^ready/, 15_000);
      agent = startProcess(
        process.execPath,
        [path.join(ROOT, 'agent', 'cli.mjs'), '--api', server.baseURL, '--code', code, '--state', path.join(scratch, 'agent'), '--arp-file', arpFile, '--interval', String(AGENT_INTERVAL_S)],
        { label: 'agent' },
      );
      await agent.waitForOutput(/registered as agent [0-9a-f-]+ for site (\S+)/, 20_000).then(({ match }) => assert.equal(match[1], state.siteId));
      // The segment came from Hashyard's config (no --segments): the scan finds every miner.
      const { match } = await agent.waitForOutput(/cycle: (\d+) miners polled.*delivered [1-9]\d* batch/, 30_000);
      assert.equal(Number(match[1]), MINERS, 'the agent polled every simulated miner');

      await page.goto(`/admin/sites/${state.siteId}`);
      const row = page.getByTestId('agents').getByRole('row').filter({ hasText: 'Rack box' });
      await row.getByText('Registered').waitFor();
      await page.getByTestId('site-live').getByText('Miners reporting').waitFor();
      assert.match(await page.getByTestId('site-live').innerText(), new RegExp(`Miners reporting\\s+${MINERS}\\b`));
    }),
  );

  test('Equipment lists the discovered miners as staged with live values; the host assigns them to a customer and invites its owner', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('assign', async ({ hostPage: page }) => {
      const rows = page.getByTestId('miners').locator('tbody tr');
      await reloadUntil(page, `/admin/equipment?site=${state.siteId}&sort=serial&view=table`, async () => (await rows.count()) === MINERS, {
        deadlineMs: 20_000,
        what: `${MINERS} staged miners`,
      });
      for (const { ip, mac } of state.miners) {
        const row = rows.filter({ hasText: mac });
        assert.equal(await row.count(), 1, `${mac} is listed once`);
        const cells = (await row.getByRole('cell').allInnerTexts()).map((t) => t.trim());
        assert.ok(cells.includes(ip), `${mac} shows its IP ${ip}: ${cells.join(' | ')}`);
        assert.ok(cells.includes('Staged'), `${mac} is staged: ${cells.join(' | ')}`);
        assert.ok(cells.some((t) => /^\d[\d.,]* TH\/s/.test(t)), `${mac} shows a live hashrate: ${cells.join(' | ')}`);
      }

      await page.goto('/admin/customers/new');
      await htmxReady(page);
      const form = page.locator('form#customer-form');
      await field(form, 'Customer name').fill(customer.name);
      await field(form, 'Contact email').fill(customer.contact);
      await page.getByRole('button', { name: 'Add Customer' }).click();
      await page.waitForURL((url) => /^\/admin\/customers\/[^/]+$/.test(url.pathname) && url.pathname !== '/admin/customers/new');
      state.customerPath = new URL(page.url()).pathname;

      await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Equipment' }).click();
      await page.waitForURL(pathIs(`${state.customerPath}/equipment`));
      await page.getByRole('link', { name: 'Assign equipment' }).click();
      await page.waitForURL(pathIs(`${state.customerPath}/equipment/assign`));
      await page.getByText(`${MINERS} units available`).waitFor();
      for (const { mac } of state.miners) await page.getByRole('checkbox', { name: `Select ${mac}` }).check();
      await page.getByRole('button', { name: `Assign selected to ${customer.name}` }).click();
      const report = page.getByTestId('assignment-report');
      await report.waitFor();
      assert.match(await report.innerText(), new RegExp(`^${MINERS} units assigned`));
      assert.match(await page.locator('.result-count').innerText(), new RegExp(`^${MINERS} units assigned`));
      assert.equal(await page.getByTestId('miners').locator('tbody tr').count(), MINERS);

      await page.getByRole('navigation', { name: 'Customer sections' }).getByRole('link', { name: 'Team' }).click();
      await page.waitForURL(pathIs(`${state.customerPath}/team`));
      const invite = page.locator(`form[action="${state.customerPath}/team/invites"]`);
      await field(invite, 'Email').fill(owner.email);
      await invite.getByRole('button', { name: 'Send invitation' }).click();
      await page.waitForURL((url) => url.pathname === `${state.customerPath}/team` && url.search === '?done=invited');
    }),
  );

  test('the customer joins through the mailbox and sees the miners live on the portal Equipment page, refreshed in place', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('portal-live', async ({ ownerPage: page }) => {
      const row = await waitForSentEmail(page, owner.email);
      const { link } = await openInviteEmail(page, row);
      await link.click();
      await page.waitForURL((url) => url.pathname.startsWith(`${portalBase}/auth/invite/`));
      await htmxReady(page);
      const form = page.locator('#accept-invite form').first();
      await field(form, 'Your name').fill(owner.name);
      await field(form, 'Password').fill(owner.password);
      await form.getByRole('button', { name: 'Create account and join' }).click();
      await page.waitForURL(pathIs(portalBase));
      await page.getByRole('heading', { level: 1, name: `Welcome, ${owner.name}` }).waitFor();
      await page.getByTestId('dashboard-hashrate').waitFor();
      assert.match(await page.locator('.panel-figure').innerText(), new RegExp(`TH/s( of [\\d.,]+ [TPE]H/s nominal)? · ${MINERS} miners$`), 'the dashboard counts the assigned miners (their nominal hashrate from the model catalogue)');

      await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Equipment' }).click();
      await page.waitForURL(pathIs(`${portalBase}/equipment`));
      const live = page.locator('#fleet-live');
      const rows = live.locator('tbody tr');
      assert.equal(await rows.count(), MINERS, 'every assigned miner is listed');
      for (const { mac } of state.miners) {
        const cells = (await rows.filter({ hasText: mac }).getByRole('cell').allInnerTexts()).map((t) => t.trim());
        assert.match(cells[2], /^(Active|Degraded)$/, `${mac} is mining: ${cells.join(' | ')}`);
        assert.match(cells[3], /^\d[\d.,]* TH\/s/, `${mac} shows its live hashrate: ${cells.join(' | ')}`);
        assert.ok(celsius(cells[4]) > 0 && celsius(cells[4]) < state.overTempLimitC, `${mac} has a normal temperature: ${cells.join(' | ')}`);
      }
      assert.match(await page.getByTestId('fleet-hashrate').innerText(), /^\d[\d.,]* (TH|PH)\/s$/);
      const shot = await screenshot(page, 'live-portal-equipment');
      console.log(`# screenshot: ${shot}`);

      // htmx swaps the fragment (outerHTML) on its 15 s poll: a new element with a newer time, same page.
      await page.evaluate(() => {
        window.__e2eSamePage = true;
        document.getElementById('fleet-live').dataset.e2eStale = 'yes';
      });
      const before = await live.locator('.live-updated time').getAttribute('datetime');
      const polled = page.waitForResponse((r) => r.url().endsWith(`${portalBase}/equipment/live`) && r.request().method() === 'GET', { timeout: PORTAL_POLL_MS + 10_000 });
      assert.equal((await polled).status(), 200);
      await page.waitForFunction(
        (previous) => {
          const el = document.getElementById('fleet-live');
          return el && !el.dataset.e2eStale && el.querySelector('.live-updated time')?.getAttribute('datetime') > previous;
        },
        before,
        { timeout: 5_000 },
      );
      assert.equal(await page.evaluate(() => window.__e2eSamePage), true, 'the page was not reloaded');
      assert.equal(await rows.count(), MINERS, 'the refreshed fragment lists every miner');
      assert.equal(await page.evaluate(() => window.htmx.config.allowEval), false, 'polling works with allowEval: false');

      // Searching narrows the list in place (htmx) and keeps the search in the address bar.
      const wanted = state.miners[0].mac;
      await page.getByRole('searchbox', { name: 'Search miners' }).fill(wanted);
      await page.waitForURL((url) => url.pathname === `${portalBase}/equipment` && url.searchParams.get('q') === wanted);
      await page.waitForFunction((mac) => {
        const found = [...document.querySelectorAll('#fleet-live tbody tr')];
        return found.length === 1 && found[0].textContent.includes(mac);
      }, wanted);
      assert.equal(await page.evaluate(() => window.__e2eSamePage), true, 'the search did not reload the page');
      assert.match(await live.innerText(), /Showing 1–1 of 1 matching miner\b/, 'the count says what matched');
      await page.getByRole('searchbox', { name: 'Search miners' }).fill('');
      await page.waitForFunction((count) => document.querySelectorAll('#fleet-live tbody tr').length === count, MINERS);
    }),
  );

  test('the simulator overheats one miner: the polled table shows it hot and an over-temperature alert appears in the portal', { timeout: OVERHEAT_TEST_TIMEOUT_MS }, () =>
    withEvidence('overheat', async ({ ownerPage: page, hostPage }) => {
      const hot = state.miners[0];
      // A second tab for the dashboard; the first stays on Equipment, polling.
      const tab = await browsers.owner.context.newPage();
      watchPage('owner-tab', tab, session.report);

      const res = await fetch(`http://127.0.0.1:${state.controlPort}/miners/${hot.ip}/scenario`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ scenario: 'overheat' }),
      });
      assert.equal(res.status, 200, `the simulator's control API switched ${hot.ip} to overheat: ${await res.text()}`);
      const overheatedAt = Date.now();

      // 1. The Equipment page, still open from the previous step, shows the hot miner on a later
      //    poll (the next agent cycle, then the next 15 s poll).
      const inPlace = page.waitForFunction(
        ({ mac, limit }) => {
          const row = [...document.querySelectorAll('#fleet-live tbody tr')].find((tr) => tr.textContent.includes(mac));
          const temp = row ? Number.parseFloat(row.cells[4].textContent.replace(/[^\d.]/g, '')) : NaN;
          return window.__e2eSamePage === true && temp > limit;
        },
        { mac: hot.mac, limit: state.overTempLimitC },
        { timeout: AGENT_INTERVAL_S * 1000 + PORTAL_POLL_MS + 15_000, polling: 500 },
      );

      // 2. The alert: the dashboard's alert panel is not polled, so the tab reloads it.
      const alertsCard = tab.locator('section.card').filter({ has: tab.getByRole('heading', { name: 'Alerts', exact: true }) });
      const seen = reloadUntil(tab, portalBase, async () => (await alertsCard.getByText('Over temperature').count()) > 0, {
        deadlineMs: AGENT_INTERVAL_S * 1000 + 20_000,
        what: 'an over-temperature alert on the portal dashboard',
      }).catch(async (error) => {
        // Say whether the alert exists at all, and for whom (a customer-less alert was raised before
        // the site object learned the assignment).
        await hostPage.goto('/admin/alerts');
        error.message += `\n  /admin/alerts shows:\n${await hostPage.locator('main').innerText()}`;
        throw error;
      });
      const since = (promise) => promise.then(() => Date.now() - overheatedAt);
      const [inPlaceMs, alertMs] = await Promise.all([since(inPlace), since(seen)]);
      console.log(`# after the overheat: alert on the dashboard in ${alertMs} ms, hot row in the polled table in ${inPlaceMs} ms`);

      assert.match(await alertsCard.innerText(), /1 open alert\b/);
      assert.match(await alertsCard.getByRole('listitem').filter({ hasText: 'Over temperature' }).innerText(), new RegExp(hot.mac));
      const hotRow = page.locator('#fleet-live tbody tr').filter({ hasText: hot.mac });
      assert.ok(celsius(await hotRow.getByRole('cell').nth(4).innerText()) >= 94, 'the overheating miner reads 94 °C or more');
      for (const { mac } of state.miners.slice(1)) {
        const temp = celsius(await page.locator('#fleet-live tbody tr').filter({ hasText: mac }).getByRole('cell').nth(4).innerText());
        assert.ok(temp < state.overTempLimitC, `${mac} stays below the limit (${temp} °C)`);
      }

      // The Alerts page: the open alert, its miner and a sentence saying what crossed the rule.
      await tab.getByRole('link', { name: 'All alerts' }).click();
      await tab.waitForURL(pathIs(`${portalBase}/alerts`));
      const open = tab.locator('section.card').filter({ has: tab.getByRole('heading', { name: 'Open (1)' }) });
      const alertRow = open.getByRole('row').filter({ hasText: 'Over temperature' });
      const cells = (await alertRow.getByRole('cell').allInnerTexts()).map((t) => t.trim());
      assert.match(cells[1], new RegExp(hot.mac), `the alert names the miner: ${cells.join(' | ')}`);
      assert.match(cells[2], new RegExp(`^Temperature \\d[\\d.]* °C, above the ${state.overTempLimitC} °C limit\\.$`), cells.join(' | '));
      assert.equal(cells[4], 'Open');
      const shot = await screenshot(tab, 'live-portal-alert');
      console.log(`# screenshot: ${shot}`);
      await tab.close();
    }),
  );
});
