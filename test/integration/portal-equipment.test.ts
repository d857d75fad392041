import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { miners } from '../../src/db/schema';
import { createHost, db, getPage, type TestHost } from '../helpers/fixtures';
import { insertAlert, insertMiner, insertSite, portalCustomer } from '../helpers/alerts';
import { addActiveDomain } from '../helpers/portal';
import { batchOf, report, stateOf } from '../helpers/telemetry';

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
    expect(html).not.toContain('187.25');
    expect(html).not.toContain('77.7');
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
