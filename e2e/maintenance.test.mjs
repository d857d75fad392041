// A maintenance window in real browsers (issue 12's proof): a host's real facility agent reports
// two simulated miners, both assigned to a customer whose owner has joined the portal. The host
// schedules a maintenance window covering ONE of them (by its MAC), starting now: the notice
// reaches the customer's portal banner and its announcement page. Then the simulator overheats
// both miners: the one inside the window gets its over-temperature alert recorded as suppressed
// by the window and never emailed; the one outside it alerts (and emails) as usual.
//
// Processes: wrangler dev (harness), the simulator and the agent (each in its own process group,
// stopped in `after` whatever happened), and Chromium with two cookie jars: host staff, customer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, ROOT, screenshot, startProcess, startServer, uniqueId } from './harness.mjs';
import { field, htmxReady, openInviteEmail, pathIs, reloadUntil, setHostSlug, signUpHost, waitForSentEmail } from './helpers.mjs';
import { browserTest } from './session.mjs';

const TEST_TIMEOUT_MS = 90_000;
const MINERS = 2;
/** The agent's poll interval, seconds (its minimum). */
const AGENT_INTERVAL_S = 10;
const DELIVERY_DEADLINE_MS = 40_000;

let server;
const session = browserTest('maintenance');
const browsers = session.people;
session.showOutput('agent', () => agent, 2000);
session.showOutput('simulator', () => simulator, 1000);
let simulator;
let agent;
let scratch;

const run = uniqueId();
const host = {
  organisation: `Window Mining ${run}`,
  mainSlug: `wm-${run}`,
  hostSlug: `wmh-${run}`,
  owner: 'Wanda Window',
  email: `window-${run}@example.com`,
  password: 'correct-horse-battery-staple',
};
const siteName = `Quiet Hall ${run}`;
const customer = { name: `Planned Hashers ${run}`, contact: `planned-${run}@example.com` };
const owner = { name: 'Pia Planned', email: `pia-${run}@example.com`, password: 'pia-planned-password-1' };
const subject = `PDU swap in Quiet Hall ${run}`;
const portalBase = `/host/${host.hostSlug}`;

const state = { segment: '', miners: [], controlPort: 0, siteId: '', customerPath: '', windowPath: '' };

const macOf = (ip) => ['02', '48', '59', ...ip.split('.').slice(1).map((n) => Number(n).toString(16).padStart(2, '0'))].join(':');

/** `YYYY-MM-DDTHH:mm` of `ms` in `timeZone`: what a datetime-local field takes. */
function localInput(ms, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

before(async () => {
  server = await startServer();
  // A /29 of its own per run, away from live-telemetry's (128–247) and the demo's (127.20–21).
  const a = 8 + (server.port % 12);
  const b = Math.floor(server.port / 12) % 256;
  state.segment = `127.${a}.${b}.0/29`;
  state.miners = Array.from({ length: MINERS }, (_, i) => {
    const ip = `127.${a}.${b}.${i + 1}`;
    return { ip, mac: macOf(ip), id: '' };
  });
  state.controlPort = await freePort();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'hashyard-e2e-window-'));
  await session.open(server, ['host', 'owner']);
});

after(async () => {
  // Process groups first, whatever happened above.
  await session.close(agent, simulator);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const withEvidence = (step, fn) => session.evidence(step, () => fn({ hostPage: browsers.host.page, ownerPage: browsers.owner.page }));

describe('a maintenance window in the browser: agent, simulator, notice, suppressed alert', { concurrency: false }, () => {
  test('a host with alerts at once, a site whose real agent reports two simulated miners', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('setup', async ({ hostPage: page }) => {
      await signUpHost(page, host);
      await setHostSlug(page, host.hostSlug);

      await page.goto('/admin/settings/alerts');
      await htmxReady(page);
      const rules = page.locator('#alert-rules-form');
      assert.ok(Number(await rules.locator('#f-over_temp_c').inputValue()) < 94, "the simulator's overheat (94–108 °C) is above the limit");
      await rules.locator('#f-over_temp_minutes').fill('0');
      // A switch (the styled track covers the box): toggled from the keyboard, as a person would.
      const emailCustomer = rules.getByRole('switch', { name: /Email the customer when an alert opens/ });
      if (!(await emailCustomer.isChecked())) {
        await emailCustomer.focus();
        await page.keyboard.press('Space');
      }
      assert.equal(await emailCustomer.isChecked(), true);
      await rules.getByRole('button', { name: 'Save alert rules' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/settings/alerts' && url.search === '?saved=1');

      await page.goto('/admin/sites/new');
      await htmxReady(page);
      await field(page, 'Site name').fill(siteName);
      await page.getByRole('button', { name: 'Add Site' }).click();
      await page.waitForURL((url) => /^\/admin\/sites\/[0-9a-f-]{36}$/.test(url.pathname));
      state.siteId = new URL(page.url()).pathname.split('/').pop();
      const segments = page.locator('#segments');
      await field(segments, 'CIDR').fill(state.segment);
      await field(segments, 'Label').fill('Simulated miners (loopback)');
      await segments.getByRole('button', { name: 'Add segment' }).click();
      await page.waitForURL((url) => url.search === '?done=segment-added');
      const agents = page.locator('#agents');
      await field(agents, 'Agent name').fill('Rack box');
      await agents.getByRole('button', { name: 'Add agent' }).click();
      const code = (await page.getByTestId('agent-code').innerText()).trim();

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
      const { match } = await agent.waitForOutput(/cycle: (\d+) miners polled.*delivered [1-9]\d* batch/, 40_000);
      assert.equal(Number(match[1]), MINERS, 'the agent polled every simulated miner');
    }),
  );

  test('both miners are assigned to a customer whose owner joins the portal', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('assign', async ({ hostPage: page, ownerPage }) => {
      const rows = page.getByTestId('miners').locator('tbody tr');
      await reloadUntil(page, `/admin/equipment?site=${state.siteId}&sort=serial&view=table`, async () => (await rows.count()) === MINERS, {
        deadlineMs: 20_000,
        what: `${MINERS} staged miners`,
      });
      for (const miner of state.miners) {
        const href = await rows.filter({ hasText: miner.mac }).locator('a[href^="/admin/equipment/"]').first().getAttribute('href');
        miner.id = href.split('/').pop();
      }

      await page.goto('/admin/customers/new');
      await htmxReady(page);
      const form = page.locator('form#customer-form');
      await field(form, 'Customer name').fill(customer.name);
      await field(form, 'Contact email').fill(customer.contact);
      await page.getByRole('button', { name: 'Add Customer' }).click();
      await page.waitForURL((url) => /^\/admin\/customers\/[^/]+$/.test(url.pathname) && url.pathname !== '/admin/customers/new');
      state.customerPath = new URL(page.url()).pathname;

      await page.goto(`${state.customerPath}/equipment/assign`);
      await htmxReady(page);
      for (const { mac } of state.miners) await page.getByRole('checkbox', { name: `Select ${mac}` }).check();
      await page.getByRole('button', { name: `Assign selected to ${customer.name}` }).click();
      await page.getByTestId('assignment-report').waitFor();

      await page.goto(`${state.customerPath}/team`);
      const invite = page.locator(`form[action="${state.customerPath}/team/invites"]`);
      await field(invite, 'Email').fill(owner.email);
      await invite.getByRole('button', { name: 'Send invitation' }).click();
      await page.waitForURL((url) => url.pathname === `${state.customerPath}/team` && url.search === '?done=invited');

      const row = await waitForSentEmail(ownerPage, owner.email);
      const { link } = await openInviteEmail(ownerPage, row);
      await link.click();
      await htmxReady(ownerPage);
      const accept = ownerPage.locator('#accept-invite form').first();
      await field(accept, 'Your name').fill(owner.name);
      await field(accept, 'Password').fill(owner.password);
      await accept.getByRole('button', { name: 'Create account and join' }).click();
      await ownerPage.waitForURL(pathIs(portalBase));
    }),
  );

  test('the host schedules a window over one miner, starting now; the notice reaches the portal', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('window', async ({ hostPage: page, ownerPage }) => {
      const [inside, outside] = state.miners;
      await page.goto('/admin/notify');
      await page.getByRole('link', { name: 'New maintenance window' }).click();
      await page.waitForURL((url) => url.pathname === '/admin/notify/new' && url.searchParams.get('kind') === 'maintenance');
      await htmxReady(page);
      const timeZone = (await page.locator('#starts_at-hint').innerText()).replace(/^In\s+|\.$/g, '');
      await field(page, 'Subject').fill(subject);
      await field(page, 'Message').fill('We swap a **PDU**. <img src=x onerror=alert(1)> stays text.');
      await page.locator('#f-format').selectOption('markdown');
      await page.locator('#f-site_id').selectOption({ label: siteName });
      await field(page, 'Units').fill(inside.mac);
      await page.locator('#f-starts_at').fill(localInput(Date.now() - 5 * 60_000, timeZone));
      await page.locator('#f-ends_at').fill(localInput(Date.now() + 2 * 3600_000, timeZone));
      await field(page, 'Notify customers ahead').fill('0');
      await page.getByRole('button', { name: 'Schedule window' }).click();
      await page.waitForURL((url) => /^\/admin\/notify\/[0-9a-f-]{36}$/.test(url.pathname));
      state.windowPath = new URL(page.url()).pathname;
      await page.getByRole('heading', { level: 1, name: subject }).waitFor();

      // Exactly the named unit is in the window, not its neighbour.
      const units = page.locator('section[aria-labelledby="units-title"]');
      await units.locator(`a[href="/admin/equipment/${inside.id}"]`).waitFor();
      assert.equal(await units.locator(`a[href="/admin/equipment/${outside.id}"]`).count(), 0, 'the other miner is not in the window');
      // The notice goes out at once (the start is past): the queues deliver it to the owner.
      await page.locator('[data-testid="delivery-progress"][data-percent="100"]').waitFor({ timeout: DELIVERY_DEADLINE_MS });

      await ownerPage.goto(portalBase);
      const banner = ownerPage.getByTestId('announcement-banner').filter({ hasText: subject });
      await banner.waitFor();
      await screenshot(ownerPage, 'maintenance-portal-banner');
      await banner.getByRole('link', { name: subject }).click();
      await ownerPage.getByRole('heading', { level: 1, name: subject }).waitFor();
      await ownerPage.locator('#main').getByText(/Planned maintenance from/).waitFor();
      await ownerPage.locator('#main').getByText('<img src=x onerror=alert(1)> stays text.', { exact: false }).waitFor();
      assert.equal(await ownerPage.locator('main img[src="x"]').count(), 0, 'the body is shown as text');
    }),
  );

  test('the simulator overheats both miners: the one in the window is suppressed and not emailed, the other alerts', { timeout: TEST_TIMEOUT_MS }, () =>
    withEvidence('overheat', async ({ hostPage: page }) => {
      const [inside, outside] = state.miners;
      for (const miner of state.miners) {
        const res = await fetch(`http://127.0.0.1:${state.controlPort}/miners/${miner.ip}/scenario`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ scenario: 'overheat' }),
        });
        assert.equal(res.status, 200, `the simulator switched ${miner.ip} to overheat: ${await res.text()}`);
      }
      const rowOf = (minerId) => page.locator('tr[data-alert-id]').filter({ has: page.locator(`a[href="/admin/equipment/${minerId}"]`) }).filter({ hasText: 'Over temperature' });
      await reloadUntil(page, '/admin/alerts', async () => (await rowOf(inside.id).count()) === 1 && (await rowOf(outside.id).count()) === 1, {
        deadlineMs: AGENT_INTERVAL_S * 1000 + 30_000,
        what: 'an over-temperature alert for each miner',
      });
      const insideText = await rowOf(inside.id).innerText();
      const outsideText = await rowOf(outside.id).innerText();
      assert.match(insideText, /Suppressed: maintenance window \(not emailed\)/, `the alert inside the window is suppressed: ${insideText}`);
      assert.equal(await rowOf(inside.id).locator(`a[href="${state.windowPath}"]`).count(), 1, 'it links to the window');
      assert.doesNotMatch(insideText, /Customer emailed/);
      assert.doesNotMatch(outsideText, /Suppressed/, `the alert outside the window is not: ${outsideText}`);
      await screenshot(page, 'maintenance-suppressed-alert');

      // The customer's contact gets the outside miner's alert email, never the suppressed one's.
      const labelOf = async (minerId) => (await rowOf(minerId).locator(`a[href="/admin/equipment/${minerId}"]`).innerText()).trim();
      const [insideLabel, outsideLabel] = [await labelOf(inside.id), await labelOf(outside.id)];
      const alertMail = page.getByRole('row').filter({ hasText: customer.contact }).filter({ hasText: 'Alert: Over temperature' });
      await reloadUntil(page, '/dev/mailbox', async () => (await alertMail.filter({ hasText: outsideLabel }).locator('.mailbox-status-sent').count()) === 1, {
        deadlineMs: DELIVERY_DEADLINE_MS,
        what: `the alert email about ${outsideLabel} to ${customer.contact}`,
      });
      assert.equal(await alertMail.count(), 1, 'one alert email: the outside miner’s');
      assert.equal(await alertMail.filter({ hasText: insideLabel }).count(), 0, `no email about ${insideLabel}, inside the window`);
    }),
  );
});
