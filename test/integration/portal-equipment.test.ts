import { env, SELF } from 'cloudflare:test';
import { and, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { miners } from '../../src/db/schema';
import { createHost, db, getPage, pageHtml, type TestHost } from '../helpers/fixtures';
import { insertAlert, insertMiner, insertSite, portalCustomer } from '../helpers/alerts';
import { minerIdsIn } from '../helpers/equipment';
import { reportFleet, seedFleet, type SeededMiner } from '../helpers/fleet';
import { addActiveDomain } from '../helpers/portal';
import { batchOf, report, stateOf } from '../helpers/telemetry';
import { fleetIndexOf, fleetSitesQuery, fleetSummary } from '../../src/telemetry/fleet';
import { readLive } from '../../src/live/client';

const XSS_MODEL = '<img src=x onerror=alert(1)>';
const XSS_RACK = '<script>alert("rack")</script>';

/**
 * One host, one site, two portal customers:
 * - A has three miners (one with markup in its model and rack location), two reported live;
 * - B has one miner, reported live at a distinctive hashrate;
 * - one unit is unassigned.
 */
async function fleetFixture(name: string) {
  const host = await createHost(name);
  const siteId = await insertSite(host, `${name} Site`);
  const a = await portalCustomer(host, `${name} Customer A`);
  const b = await portalCustomer(host, `${name} Customer B`);
  const a1 = await insertMiner(host, { siteId, customerId: a.customer.id, model: XSS_MODEL, rackLocation: XSS_RACK, nominalThs: 104, serial: `A1-${crypto.randomUUID().slice(0, 6)}` });
  const a2 = await insertMiner(host, { siteId, customerId: a.customer.id, model: 'Whatsminer M50S', rackLocation: 'Row B · Rack 7', nominalThs: 126, serial: `A2-${crypto.randomUUID().slice(0, 6)}` });
  const a3 = await insertMiner(host, { siteId, customerId: a.customer.id, model: 'Avalon A1366', rackLocation: 'Row C', nominalThs: 130, serial: `A3-${crypto.randomUUID().slice(0, 6)}` });
  const b1 = await insertMiner(host, { siteId, customerId: b.customer.id, model: 'Antminer S21', rackLocation: 'Row Z', nominalThs: 200, serial: `B1-${crypto.randomUUID().slice(0, 6)}` });
  const loose = await insertMiner(host, { siteId, customerId: null, status: 'unassigned', serial: `U1-${crypto.randomUUID().slice(0, 6)}` });
  await stateOf(siteId).ingest(
    { hostId: host.hostId, siteId },
    batchOf([
      report(a1.mac, { hashrate_ths: 98.5, board_temps_c: [61, 63], chip_temps_c: [70, 73.5], power_w: 3050, uptime_s: 93_600 }),
      report(a2.mac, { hashrate_ths: 60, expected_hashrate_ths: 126, power_w: 3300 }),
      report(b1.mac, { hashrate_ths: 187.25, power_w: 3500 }),
      report(loose.mac, { hashrate_ths: 77.7 }),
    ]),
  );
  return { host, siteId, a, b, a1, a2, a3, b1, loose };
}

describe('portal Equipment page', () => {
  it('lists only the customer’s assigned miners with live values, escaped', async () => {
    const f = await fleetFixture('Equip Host');
    const res = await getPage(`${f.a.base}/equipment`, { cookie: f.a.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const miner of [f.a1, f.a2, f.a3]) expect(html).toContain(`data-miner-id="${miner.id}"`);
    expect(html).not.toContain(f.b1.id);
    expect(html).not.toContain(f.loose.id);
    // Another customer's and an unassigned unit's hashrates, as the page would print them (not
    // bare numbers: chart coordinates can contain any digits), and not in the fleet total either.
    expect(html).not.toContain('187 TH/s');
    expect(html).not.toContain('77.7 TH/s');
    expect(html).toContain('data-testid="fleet-hashrate">159 TH/s<'); // 98.5 + 60
    // Live values from the batch ingested into the site's object.
    expect(html).toContain('98.5 TH/s');
    expect(html).toContain('73.5 °C');
    expect(html).toContain('3,050 W');
    expect(html).toContain('31.0 J/TH'); // 3050 W ÷ 98.5 TH/s
    expect(html).toContain('1d 2h'); // 93,600 s uptime
    expect(html).toContain('badge-live-active');
    expect(html).toContain('badge-live-degraded'); // 60 of 126 TH/s
    expect(html).toContain('badge-live-unknown'); // a3 never reported
    expect(html).toMatch(/98\.5 TH\/s <span class="muted small">of 104 TH\/s \(95%\)<\/span>/);
    // Totals: hashrate of mining units, 98.5 + 60 = 158.5, shown to three significant figures.
    expect(html).toContain('data-testid="fleet-hashrate">159 TH/s');
    // Markup in model and rack location is text.
    expect(html).not.toContain(XSS_MODEL);
    expect(html).not.toContain(XSS_RACK);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;');
    // The fleet chart, with the summed nominal.
    expect(html).toContain('id="fleet-chart"');
    expect(html).toContain('Nominal 360 TH/s');
    expect(html).toMatch(/class="chart-line"|class="chart-dot"/);
  });

  it('polls a table fragment every 15 s (no trigger filter: htmx runs with allowEval off)', async () => {
    const f = await fleetFixture('Poll Host');
    const page = await (await getPage(`${f.a.base}/equipment`, { cookie: f.a.cookie })).text();
    expect(page).toContain(`hx-get="${f.a.base}/equipment/live" hx-trigger="every 15s" hx-swap="outerHTML"`);
    const res = await getPage(`${f.a.base}/equipment/live`, { cookie: f.a.cookie, htmx: true });
    expect(res.status).toBe(200);
    const fragment = await res.text();
    expect(fragment.startsWith('<div id="fleet-live"')).toBe(true);
    expect(fragment).not.toContain('<html');
    expect(fragment).toContain('hx-trigger="every 15s"');
    expect(fragment).toContain('98.5 TH/s');
    expect(fragment).not.toContain(f.b1.id);

    // A new batch shows on the next poll.
    await stateOf(f.siteId).ingest({ hostId: f.host.hostId, siteId: f.siteId }, batchOf([report(f.a1.mac, { hashrate_ths: 101.25 })]));
    const next = await (await getPage(`${f.a.base}/equipment/live`, { cookie: f.a.cookie, htmx: true })).text();
    expect(next).toContain('101 TH/s');
  });

  it('needs a session: the fragment redirects htmx to sign-in', async () => {
    const f = await fleetFixture('Anon Host');
    const res = await getPage(`${f.a.base}/equipment/live`, { htmx: true });
    expect(res.status).toBe(401);
    expect(res.headers.get('HX-Redirect')).toBe(`${f.a.base}/auth`);
    expect((await getPage(`${f.a.base}/equipment`)).status).toBe(303);
  });

  it('shows an empty state to a customer with no equipment', async () => {
    const host = await createHost('Empty Equip Host');
    const c = await portalCustomer(host, 'Nobody Yet');
    const html = await (await getPage(`${c.base}/equipment`, { cookie: c.cookie })).text();
    expect(html).toContain('No equipment yet');
    expect(html).not.toContain('fleet-live');
  });
});

describe('portal miner detail', () => {
  it('shows one of the customer’s miners with its live values and 24-hour chart', async () => {
    const f = await fleetFixture('Detail Host');
    const res = await getPage(`${f.a.base}/equipment/${f.a1.id}`, { cookie: f.a.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="miner-chart"');
    expect(html).toContain('Nominal 104 TH/s');
    expect(html).toContain('98.5 TH/s');
    expect(html).toContain(`hx-get="${f.a.base}/equipment/${f.a1.id}/live" hx-trigger="every 15s"`);
    expect(html).not.toContain(XSS_MODEL);
    expect(html).not.toContain(XSS_RACK);
    const fragment = await (await getPage(`${f.a.base}/equipment/${f.a1.id}/live`, { cookie: f.a.cookie, htmx: true })).text();
    expect(fragment.startsWith('<div id="miner-live"')).toBe(true);
    expect(fragment).toContain('98.5 TH/s');
  });

  it('answers 404 for another customer’s miner, an unassigned one, another host’s, or junk', async () => {
    const f = await fleetFixture('Detail404 Host');
    const other = await fleetFixture('Detail404 Other');
    for (const id of [f.b1.id, f.loose.id, other.a1.id, 'not-a-miner']) {
      expect((await getPage(`${f.a.base}/equipment/${id}`, { cookie: f.a.cookie })).status).toBe(404);
      expect((await getPage(`${f.a.base}/equipment/${id}/live`, { cookie: f.a.cookie, htmx: true })).status).toBe(404);
    }
    // Once unassigned, a miner leaves the customer's portal.
    await db().update(miners).set({ customerId: null, status: 'unassigned' }).where(eq(miners.id, f.a2.id));
    expect((await getPage(`${f.a.base}/equipment/${f.a2.id}`, { cookie: f.a.cookie })).status).toBe(404);
    const list = await (await getPage(`${f.a.base}/equipment`, { cookie: f.a.cookie })).text();
    expect(list).not.toContain(f.a2.id);
  });
});

describe('View Portal (staff, read-only)', () => {
  it('shows the same equipment, miner page and fragments, and the same 404s', async () => {
    const f = await fleetFixture('Preview Equip Host');
    const base = `/admin/customers/${f.a.customer.id}/portal`;
    const res = await getPage(`${base}/equipment`, { cookie: f.host.owner.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('View Portal');
    for (const miner of [f.a1, f.a2, f.a3]) expect(html).toContain(`data-miner-id="${miner.id}"`);
    expect(html).not.toContain(f.b1.id);
    expect(html).toContain(`hx-get="${base}/equipment/live"`);
    expect(html).toContain('98.5 TH/s');
    expect((await getPage(`${base}/equipment/live`, { cookie: f.host.owner.cookie, htmx: true })).status).toBe(200);
    expect((await getPage(`${base}/equipment/${f.a1.id}`, { cookie: f.host.owner.cookie })).status).toBe(200);
    expect((await getPage(`${base}/equipment/${f.b1.id}`, { cookie: f.host.owner.cookie })).status).toBe(404);
    // Another host's staff cannot preview this customer at all.
    const stranger: TestHost = await createHost('Preview Stranger');
    expect((await getPage(`${base}/equipment`, { cookie: stranger.owner.cookie })).status).toBe(404);
  });

  it('works on a verified custom domain too, with links at its root', async () => {
    const f = await fleetFixture('Domain Equip Host');
    const hostname = `portal-${f.host.slug}.localhost`;
    await addActiveDomain(f.host, hostname);
    const res = await SELF.fetch(`https://${hostname}/equipment`, { headers: { Cookie: f.a.cookie }, redirect: 'manual' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('hx-get="/equipment/live"');
    expect(html).toContain(`href="/equipment/${f.a1.id}"`);
    expect(html).not.toContain(f.b1.id);
  });
});

describe('portal Dashboard and Alerts', () => {
  it('the dashboard shows counts by status, total hashrate and the customer’s open alerts only', async () => {
    const f = await fleetFixture('Dash Host');
    await insertAlert(f.host, { siteId: f.siteId, minerId: f.a1.id, customerId: f.a.customer.id, kind: 'over_temp' });
    await insertAlert(f.host, { siteId: f.siteId, minerId: f.a2.id, customerId: f.a.customer.id, kind: 'low_hashrate', closedAt: Date.now() });
    await insertAlert(f.host, { siteId: f.siteId, minerId: f.b1.id, customerId: f.b.customer.id, kind: 'offline' });
    const html = await (await getPage(f.a.base, { cookie: f.a.cookie })).text();
    expect(html).toContain('data-testid="dashboard-hashrate">159 TH/s');
    expect(html).toContain('3 miners');
    expect(html).toMatch(/badge-live-active">Active<\/span> <span class="status-count">1</);
    expect(html).toMatch(/badge-live-degraded">Degraded<\/span> <span class="status-count">1</);
    expect(html).toMatch(/badge-live-unknown">No data<\/span> <span class="status-count">1</);
    expect(html).toContain('1 open alert');
    expect(html).toContain('Over temperature');
    expect(html).not.toContain('badge-alert-offline');
    expect(html).not.toContain(XSS_MODEL);
  });

  it('the Alerts page lists the customer’s alerts, open first, never another customer’s', async () => {
    const f = await fleetFixture('Alerts Page Host');
    const t = Date.now();
    const closedNewest = await insertAlert(f.host, { siteId: f.siteId, minerId: f.a2.id, customerId: f.a.customer.id, kind: 'low_hashrate', openedAt: t - 1000, closedAt: t });
    const openOlder = await insertAlert(f.host, { siteId: f.siteId, minerId: f.a1.id, customerId: f.a.customer.id, kind: 'over_temp', openedAt: t - 3_600_000 });
    const theirs = await insertAlert(f.host, { siteId: f.siteId, minerId: f.b1.id, customerId: f.b.customer.id, kind: 'offline', openedAt: t });
    // Raised for A while A owned the unit; the unit now belongs to B: A no longer sees it, nor does B.
    const moved = await insertMiner(f.host, { siteId: f.siteId, customerId: f.b.customer.id });
    const movedAlert = await insertAlert(f.host, { siteId: f.siteId, minerId: moved.id, customerId: f.a.customer.id, kind: 'offline', openedAt: t - 5 });
    const html = await (await getPage(`${f.a.base}/alerts`, { cookie: f.a.cookie })).text();
    expect(html).toContain('Open (1)');
    expect(html).toContain('Closed (1)');
    expect(html.indexOf('Over temperature')).toBeLessThan(html.indexOf('Low hashrate'));
    expect(html).toContain('Temperature 92 °C, above the 85 °C limit.');
    expect(html).not.toContain(theirs);
    expect(html).not.toContain(moved.id);
    expect(html).not.toContain(XSS_MODEL);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const forB = await (await getPage(`${f.b.base}/alerts`, { cookie: f.b.cookie })).text();
    expect(forB).toContain('Open (1)');
    expect(forB).not.toContain(moved.id);
    expect([closedNewest, openOlder, movedAlert]).toHaveLength(3);
    // The miner page lists that miner's alerts.
    const detail = await (await getPage(`${f.a.base}/equipment/${f.a1.id}`, { cookie: f.a.cookie })).text();
    expect(detail).toContain('Temperature 92 °C');
  });

  it('shows an empty state when there are no alerts', async () => {
    const host = await createHost('No Alerts Host');
    const c = await portalCustomer(host, 'Calm Customer');
    const html = await (await getPage(`${c.base}/alerts`, { cookie: c.cookie })).text();
    expect(html).toContain('No alerts');
  });
});

/**
 * A fleet of 120 for customer A over two sites, and 5 units of customer B at the first:
 * - "Alpha Hall": 50 units ALPHA-0000…0049 (racks Row 0000…0049), reporting 50…99 TH/s of an
 *   expected 104, so the first 34 (below 80 %) are Degraded and the other 16 Active;
 *   temperatures 40 °C + i × 0.5;
 * - "Beta Hall": 70 units BETA-0000…0069, model Whatsminer M60; the first 30 report 100 TH/s
 *   (Active, 60 °C), the other 40 never report (No data);
 * - customer B: 5 units OTHER-… at Alpha Hall, reporting.
 * In site, rack, serial order: alpha 0…49, then beta 0…69.
 */
async function bigFleet(name: string) {
  const host = await createHost(name);
  const alphaSite = await insertSite(host, 'Alpha Hall');
  const betaSite = await insertSite(host, 'Beta Hall');
  const a = await portalCustomer(host, `${name} A`);
  const b = await portalCustomer(host, `${name} B`);
  const tag = crypto.randomUUID().slice(0, 4);
  // Beta first: insertion order must not decide the list's order.
  const beta = await seedFleet(host, { siteId: betaSite, customerId: a.customer.id, count: 70, prefix: `BETA${tag}`, model: 'Whatsminer M60' });
  const alpha = await seedFleet(host, { siteId: alphaSite, customerId: a.customer.id, count: 50, prefix: `ALPHA${tag}` });
  const other = await seedFleet(host, { siteId: alphaSite, customerId: b.customer.id, count: 5, prefix: `OTHER${tag}` });
  await reportFleet(host, alphaSite, [...alpha, ...other], (i) => ({ hashrate_ths: 50 + (i % 50), board_temps_c: [40 + (i % 50) * 0.5], chip_temps_c: [] }));
  await reportFleet(host, betaSite, beta.slice(0, 30), () => ({ hashrate_ths: 100, board_temps_c: [60], chip_temps_c: [] }));
  return { host, a, b, alpha, beta, other, tag, alphaSite };
}

let big: ReturnType<typeof bigFleet> | null = null;
const bigFixture = () => (big ??= bigFleet('Big Fleet Host'));

const ids = (units: readonly SeededMiner[]) => units.map((unit) => unit.id);
const tableIds = (html: string) => minerIdsIn(html.slice(html.indexOf('id="fleet-live"'), html.indexOf('id="fleet-chart"') >= 0 ? html.indexOf('id="fleet-chart"') : undefined));

describe('portal Equipment list: pages, search, status filter and sort', () => {
  it('pages the list 50 at a time in site, rack, serial order; the summary covers the whole fleet', async () => {
    const f = await bigFixture();
    const base = `${f.a.base}/equipment`;
    const first = await pageHtml(base, f.a.cookie);
    expect(tableIds(first)).toEqual(ids(f.alpha));
    expect(first).toContain('Showing 1–50 of 120 miners');
    expect(first).toContain(`href="${base}?page=2"`);
    expect(first).toContain('<span class="btn disabled" aria-disabled="true">← Previous</span>');
    // Whole fleet: 120 miners, 16 + 30 active, 34 degraded, 40 never reported.
    const summary = (html: string) => html.slice(html.indexOf('id="fleet-summary"'), html.indexOf('id="fleet-live"'));
    expect(summary(first)).toContain('<span class="summary-value">120</span>');
    expect(summary(first)).toMatch(/badge-live-active">Active<\/span> <span class="status-count">46</);
    expect(summary(first)).toMatch(/badge-live-degraded">Degraded<\/span> <span class="status-count">34</);
    expect(summary(first)).toMatch(/badge-live-unknown">No data<\/span> <span class="status-count">40</);

    const second = await pageHtml(`${base}?page=2`, f.a.cookie);
    expect(tableIds(second)).toEqual(ids(f.beta.slice(0, 50)));
    expect(second).toContain('Showing 51–100 of 120 miners');
    expect(second).toContain(`href="${base}"`); // back to page 1: no query string at all
    expect(second).toContain(`href="${base}?page=3"`);
    expect(summary(second)).toBe(summary(first));

    const last = await pageHtml(`${base}?page=3`, f.a.cookie);
    expect(tableIds(last)).toEqual(ids(f.beta.slice(50)));
    expect(last).toContain('Showing 101–120 of 120 miners');
    expect(last).toContain('<span class="btn disabled" aria-disabled="true">Next →</span>');
    expect(last).toContain('id="fleet-chart"');

    // Past the end: the last page. Junk: the first.
    expect(tableIds(await pageHtml(`${base}?page=99`, f.a.cookie))).toEqual(ids(f.beta.slice(50)));
    for (const junk of ['0', '-2', 'abc', '1.5']) expect(tableIds(await pageHtml(`${base}?page=${junk}`, f.a.cookie))).toEqual(ids(f.alpha));
    // Never another customer's units.
    for (const html of [first, second, last]) for (const unit of f.other) expect(html).not.toContain(unit.id);
  });

  it('searches serial, MAC, model, rack location and site name, case-insensitively, within the customer’s fleet only', async () => {
    const f = await bigFixture();
    const base = `${f.a.base}/equipment`;
    const search = async (q: string) => {
      const html = await pageHtml(`${base}?q=${encodeURIComponent(q)}`, f.a.cookie);
      return { html, ids: tableIds(html) };
    };
    const bySerial = await search(f.alpha[7]!.serial.toLowerCase());
    expect(bySerial.ids).toEqual([f.alpha[7]!.id]);
    expect(bySerial.html).toContain('Showing 1–1 of 1 matching miner<');
    expect((await search(f.beta[3]!.mac.toUpperCase().replace(/:/g, '-'))).ids).toEqual([f.beta[3]!.id]);
    expect((await search('row 0012')).ids).toEqual([f.alpha[12]!.id, f.beta[12]!.id]);
    const byModel = await search('m60');
    expect(byModel.html).toContain('Showing 1–50 of 70 matching miners');
    expect(byModel.ids).toEqual(ids(f.beta.slice(0, 50)));
    const bySite = await search('BETA HALL');
    expect(bySite.ids).toEqual(ids(f.beta.slice(0, 50)));
    expect(bySite.html).toContain(`href="${base}?q=BETA+HALL&amp;page=2"`);
    expect(tableIds(await pageHtml(`${base}?q=BETA+HALL&page=2`, f.a.cookie))).toEqual(ids(f.beta.slice(50)));
    // Customer B's units share Alpha Hall: a search never reaches them, by site, serial or MAC.
    const byOtherSite = await search('alpha hall');
    expect(byOtherSite.html).toContain('of 50 matching miners');
    for (const q of [`OTHER${f.tag}`, f.other[0]!.serial, f.other[0]!.mac]) {
      const theirs = await search(q);
      expect(theirs.ids, q).toEqual([]);
      expect(theirs.html).toContain('No miners match');
    }
    // The summary stays the whole fleet's whatever the search.
    expect(bySerial.html).toContain('<span class="summary-value">120</span>');
  });

  it('filters by live status, including units never reported ("No data")', async () => {
    const f = await bigFixture();
    const base = `${f.a.base}/equipment`;
    const degraded = await pageHtml(`${base}?status=degraded`, f.a.cookie);
    expect(tableIds(degraded)).toEqual(ids(f.alpha.slice(0, 34)));
    expect(degraded).toContain('Showing 1–34 of 34 matching miners');
    const rows = degraded.slice(degraded.indexOf('<tbody>'), degraded.indexOf('</tbody>'));
    expect(rows).not.toContain('badge-live-active');
    expect(degraded).toContain('<option value="degraded" selected="">Degraded</option>');

    const noData = await pageHtml(`${base}?status=unknown`, f.a.cookie);
    expect(tableIds(noData)).toEqual(ids(f.beta.slice(30)));
    expect(noData).toContain('of 40 matching miners');

    // With a search; and in pages (46 active: 16 at Alpha, 30 at Beta).
    expect(tableIds(await pageHtml(`${base}?status=active&q=alpha`, f.a.cookie))).toEqual(ids(f.alpha.slice(34)));
    expect(tableIds(await pageHtml(`${base}?status=active`, f.a.cookie))).toEqual([...ids(f.alpha.slice(34)), ...ids(f.beta.slice(0, 30))]);
    expect(await pageHtml(`${base}?status=offline`, f.a.cookie)).toContain('No miners match');
    // An unknown status is no filter.
    expect(await pageHtml(`${base}?status=bogus`, f.a.cookie)).toContain('Showing 1–50 of 120 miners');
  });

  it('sorts by hashrate, temperature, efficiency and status; units without data last', async () => {
    const f = await bigFixture();
    const base = `${f.a.base}/equipment`;
    const pages = async (query: string) => [
      ...tableIds(await pageHtml(`${base}?${query}`, f.a.cookie)),
      ...tableIds(await pageHtml(`${base}?${query}&page=2`, f.a.cookie)),
      ...tableIds(await pageHtml(`${base}?${query}&page=3`, f.a.cookie)),
    ];
    const alphaUp = ids(f.alpha);
    const alphaDown = [...alphaUp].reverse();
    const reported = ids(f.beta.slice(0, 30));
    const silent = ids(f.beta.slice(30));
    // Beta's 100 TH/s ties keep location order; Alpha runs 50…99.
    expect(await pages('sort=-hashrate')).toEqual([...reported, ...alphaDown, ...silent]);
    expect(await pages('sort=hashrate')).toEqual([...alphaUp, ...reported, ...silent]);
    // Alpha 40…64.5 °C, Beta 60 °C: 60 sits between Alpha's 59.5 (i = 39) and 60 (i = 40, earlier in location order).
    const coolest = await pages('sort=temperature');
    expect(coolest).toEqual([...alphaUp.slice(0, 40), alphaUp[40], ...reported, ...alphaUp.slice(41), ...silent]);
    expect((await pages('sort=-temperature')).slice(0, 3)).toEqual(alphaDown.slice(0, 3));
    // J/TH = 3,050 W ÷ hashrate: best is the fastest.
    expect(await pages('sort=efficiency')).toEqual([...reported, ...alphaDown, ...silent]);
    expect((await pages('sort=-efficiency')).slice(0, 2)).toEqual(alphaUp.slice(0, 2));
    // Problems first: Degraded, then Active, then no data.
    expect(await pages('sort=status')).toEqual([...alphaUp.slice(0, 34), ...alphaUp.slice(34), ...reported, ...silent]);
    const sorted = await pageHtml(`${base}?sort=-hashrate`, f.a.cookie);
    expect(sorted).toContain('<option value="-hashrate" selected="">Hashrate: highest first</option>');
    expect(sorted).toContain(`href="${base}?sort=-hashrate&amp;page=2"`);
    // An unknown sort is the default order.
    expect(tableIds(await pageHtml(`${base}?sort=serial`, f.a.cookie))).toEqual(alphaUp);
  });

  it('the polled fragment, the filters and the page links keep the search, filter, sort and page', async () => {
    const f = await bigFixture();
    const base = `${f.a.base}/equipment`;
    const page = await pageHtml(`${base}?q=hall&sort=-hashrate&page=2`, f.a.cookie);
    expect(page).toContain(`hx-get="${base}/live?q=hall&amp;sort=-hashrate&amp;page=2" hx-trigger="every 15s" hx-swap="outerHTML"`);
    const res = await getPage(`${base}/live?q=hall&sort=-hashrate&page=2`, { cookie: f.a.cookie, htmx: true });
    expect(res.status).toBe(200);
    const fragment = await res.text();
    expect(fragment.startsWith('<div id="fleet-live"')).toBe(true);
    expect(fragment).not.toContain('<html');
    expect(tableIds(fragment)).toEqual(tableIds(page));
    expect(fragment).toContain(`hx-get="${base}/live?q=hall&amp;sort=-hashrate&amp;page=2"`);
    expect(fragment).toContain(`href="${base}?q=hall&amp;sort=-hashrate"`);
    expect(fragment).toContain(`href="${base}?q=hall&amp;sort=-hashrate&amp;page=3"`);
    // The whole fleet's summary comes along, out of band.
    expect(fragment).toContain('<div id="fleet-summary" class="summary-cards" hx-swap-oob="true">');
    expect(fragment).toContain('<span class="summary-value">120</span>');
    // A new batch shows on the next poll, on the same page (60 → 60.5 TH/s keeps its place).
    await reportFleet(f.host, f.alphaSite, [f.alpha[10]!], () => ({ hashrate_ths: 60.5, board_temps_c: [45], chip_temps_c: [] }));
    const next = await (await getPage(`${base}/live?q=hall&sort=-hashrate&page=2`, { cookie: f.a.cookie, htmx: true })).text();
    expect(next).toContain('Showing 51–100 of 120 matching miners');
    expect(tableIds(next)).toEqual(tableIds(page));
    expect(next).toContain('60.5 TH/s');

    // The filters and page links ask /equipment itself for the fragment (htmx targets #fleet-live).
    expect(page).toMatch(new RegExp(`<form class="filters" role="search" method="get" action="${base}" hx-get="${base}"[^>]* hx-target="#fleet-live"`));
    expect(page).toContain(`hx-get="${base}?q=hall&amp;sort=-hashrate&amp;page=3" hx-target="#fleet-live"`);
    const swapped = await getPage(`${base}?q=hall&sort=-hashrate&page=3`, { cookie: f.a.cookie, htmx: true, headers: { 'HX-Target': 'fleet-live' } });
    const swappedHtml = await swapped.text();
    expect(swappedHtml.startsWith('<div id="fleet-live"')).toBe(true);
    expect(swappedHtml).toContain(`hx-get="${base}/live?q=hall&amp;sort=-hashrate&amp;page=3"`);
    // Without JavaScript the same form submits as a GET: the search box and selects show the state.
    expect(page).toContain('<input id="fleet-search" type="search" name="q" value="hall"');
    expect(page).toContain('<noscript><button type="submit" class="btn">Apply</button></noscript>');
  });

  it('shows an empty state when nothing matches, with the whole fleet’s summary and a way back', async () => {
    const f = await bigFixture();
    const base = `${f.a.base}/equipment`;
    for (const path of [`${base}?q=no-such-miner`, `${base}/live?q=no-such-miner&status=active`]) {
      const html = await pageHtml(path, f.a.cookie);
      expect(html).toContain('No miners match');
      expect(html).toContain(`<a href="${base}">show all miners</a>`);
      expect(tableIds(html)).toEqual([]);
      expect(html).not.toContain('live-table');
      expect(html).toContain('<span class="summary-value">120</span>');
      expect(html).toContain('hx-trigger="every 15s"');
    }
  });

  it('View Portal pages and searches the same way', async () => {
    const f = await bigFixture();
    const base = `/admin/customers/${f.a.customer.id}/portal/equipment`;
    const html = await pageHtml(`${base}?q=beta&page=2`, f.host.owner.cookie);
    expect(tableIds(html)).toEqual(ids(f.beta.slice(50)));
    expect(html).toContain(`hx-get="${base}/live?q=beta&amp;page=2"`);
    expect(html).toContain(`action="${base}"`);
  });
});

describe('the default order’s edges (the page walked from indexes, migration 0025)', () => {
  it('units without a site first, then sites by name and id (two of one name never interleave), racks, serials; the same order searched and in a live sort’s ties', async () => {
    const host = await createHost('Order Edges Host');
    const hallX = await insertSite(host, 'Hall');
    const hallY = await insertSite(host, 'Hall');
    const annex = await insertSite(host, 'Annex');
    const a = await portalCustomer(host, 'Order Edges A');
    const b = await portalCustomer(host, 'Order Edges B');
    const tag = crypto.randomUUID().slice(0, 4);
    // The two halls' units share rack locations (Row 0000…): sorted by site name alone they interleave.
    const inX = await seedFleet(host, { siteId: hallX, customerId: a.customer.id, count: 25, prefix: `P${tag}X` });
    const inY = await seedFleet(host, { siteId: hallY, customerId: a.customer.id, count: 25, prefix: `P${tag}Y` });
    const inAnnex = await seedFleet(host, { siteId: annex, customerId: a.customer.id, count: 10, prefix: `P${tag}N` });
    const loose = await seedFleet(host, { siteId: annex, customerId: a.customer.id, count: 4, prefix: `P${tag}Z` });
    await seedFleet(host, { siteId: hallX, customerId: b.customer.id, count: 5, prefix: `P${tag}B` });
    await db().update(miners).set({ siteId: null }).where(inArray(miners.id, ids(loose)));
    // A rack left blank sorts first within its site.
    await db().update(miners).set({ rackLocation: null }).where(inArray(miners.id, [inX[20]!.id, loose[3]!.id]));

    // Site name, then site id (UUIDs: ASCII, so JavaScript's order is SQLite's), rack, serial, id.
    const inXOrdered = [inX[20]!.id, ...ids(inX.slice(0, 20)), ...ids(inX.slice(21))];
    const halls = hallX < hallY ? [...inXOrdered, ...ids(inY)] : [...ids(inY), ...inXOrdered];
    const expected = [loose[3]!.id, ...ids(loose.slice(0, 3)), ...ids(inAnnex), ...halls];

    const base = `${a.base}/equipment`;
    const listed = async (query: string) => [
      ...tableIds(await pageHtml(`${base}?${query}`, a.cookie)),
      ...tableIds(await pageHtml(`${base}?${query}${query ? '&' : ''}page=2`, a.cookie)),
    ];
    expect(await listed('')).toEqual(expected);
    // A search matching every unit pages the same list through the sorted query.
    expect(await listed(`q=p${tag}`)).toEqual(expected);
    // Equal live values keep the location order, merged across the sites' objects.
    await reportFleet(host, hallX, inX, () => ({ hashrate_ths: 100 }));
    await reportFleet(host, hallY, inY, () => ({ hashrate_ths: 100 }));
    expect((await listed('sort=-hashrate')).slice(0, 50)).toEqual(halls);
  });
});

describe('the fleet summary', () => {
  it('equals the per-unit sum it replaced (live state of every unit, summed in the Worker)', async () => {
    const f = await bigFixture();
    // Edge cases: a unit without a site, one without a nominal hashrate, one offline.
    const extraSite = await insertSite(f.host, 'Gamma Hall');
    const noSite = await insertMiner(f.host, { siteId: extraSite, customerId: f.a.customer.id });
    await db().update(miners).set({ siteId: null }).where(eq(miners.id, noSite.id));
    const noNominal = await insertMiner(f.host, { siteId: extraSite, customerId: f.a.customer.id, nominalThs: null });
    const offline = await insertMiner(f.host, { siteId: extraSite, customerId: f.a.customer.id });
    await stateOf(extraSite).ingest(
      { hostId: f.host.hostId, siteId: extraSite },
      batchOf([report(noNominal.mac, { hashrate_ths: 12.5, power_w: 1234 }), report(offline.mac, { state: 'error' })]),
    );

    // Every unit assigned to the customer, read here directly: the oracle owes nothing to the service.
    const rows = await db()
      .select()
      .from(miners)
      .where(and(eq(miners.hostId, f.host.hostId), eq(miners.customerId, f.a.customer.id), eq(miners.status, 'assigned')))
      .all();
    const live = await readLive(env, rows.map((row) => ({ ...row, liveShards: 1 })));
    const byStatus: Record<string, number> = { active: 0, degraded: 0, offline: 0, sleeping: 0, stale: 0, lost: 0, unknown: 0 };
    let hashrateThs = 0;
    let powerW = 0;
    let nominalThs = 0;
    for (const row of rows) {
      const state = live.get(row.id);
      const status = state?.status ?? 'unknown';
      byStatus[status]! += 1;
      nominalThs += (row.nominalHashrateMths ?? 0) / 1000;
      if (status === 'active' || status === 'degraded') {
        hashrateThs += state?.hashrateThs ?? 0;
        powerW += state?.powerW ?? 0;
      }
    }
    const summary = await fleetSummary(env, fleetIndexOf(await fleetSitesQuery(db(), f.host.hostId, f.a.customer.id).all()));
    expect(summary.miners).toBe(123);
    expect(summary.byStatus).toEqual(byStatus);
    expect(byStatus.offline).toBe(1);
    expect(summary.hashrateThs).toBeCloseTo(hashrateThs, 9);
    expect(summary.powerW).toBeCloseTo(powerW, 9);
    expect(summary.nominalThs).toBeCloseTo(nominalThs, 9);
    // Leave the shared fixture as it was.
    await db().delete(miners).where(eq(miners.id, noSite.id));
    await db().delete(miners).where(eq(miners.id, noNominal.id));
    await db().delete(miners).where(eq(miners.id, offline.id));
  });
});
