import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, alertRules } from '../../src/db/schema';
import { DEFAULT_ALERT_RULES } from '../../src/telemetry/alerts';
import { addMember, api, createApiKeyFor, createHost, createTestCustomer, db, getPage, postForm, unescapeAttr } from '../helpers/fixtures';
import { insertAlert, insertMiner, insertSite, setAlertRules } from '../helpers/alerts';
import { batchOf, report, stateOf } from '../helpers/telemetry';

const XSS = '<img src=x onerror=alert(1)>';

/** A host with two sites, two customers and a few alerts of each kind. */
async function alertFixture(name: string) {
  const host = await createHost(name);
  const north = await insertSite(host, 'North Hall');
  const south = await insertSite(host, 'South Hall');
  const acme = await createTestCustomer(host, { name: 'Acme Hashing' });
  const zeta = await createTestCustomer(host, { name: 'Zeta Mining' });
  const m1 = await insertMiner(host, { siteId: north, customerId: acme.id, model: XSS, rackLocation: '<b>R1</b>', serial: `M1-${crypto.randomUUID().slice(0, 6)}` });
  const m2 = await insertMiner(host, { siteId: south, customerId: zeta.id, serial: `M2-${crypto.randomUUID().slice(0, 6)}` });
  const m3 = await insertMiner(host, { siteId: south, customerId: null, status: 'staged', serial: `M3-${crypto.randomUUID().slice(0, 6)}` });
  const t = Date.now();
  const ids = {
    acmeHotOpen: await insertAlert(host, { siteId: north, minerId: m1.id, customerId: acme.id, kind: 'over_temp', openedAt: t - 10_000 }),
    acmeLowClosed: await insertAlert(host, { siteId: north, minerId: m1.id, customerId: acme.id, kind: 'low_hashrate', openedAt: t - 7_200_000, closedAt: t - 3_600_000 }),
    zetaOfflineOpen: await insertAlert(host, { siteId: south, minerId: m2.id, customerId: zeta.id, kind: 'offline', openedAt: t - 5_000 }),
    stagedOfflineClosed: await insertAlert(host, { siteId: south, minerId: m3.id, customerId: null, kind: 'offline', openedAt: t - 20_000, closedAt: t - 1_000 }),
  };
  return { host, north, south, acme, zeta, m1, m2, m3, ids };
}

const alertIdsIn = (html: string, all: Record<string, string>) =>
  Object.entries(all)
    .filter(([, id]) => html.includes(`data-alert-id="${id}"`))
    .map(([key]) => key);

describe('staff Alerts page', () => {
  it('is in the sidebar and lists the host’s alerts newest first, with miner, customer, site, detail and duration', async () => {
    const f = await alertFixture('Alerts List Host');
    const res = await getPage('/admin/alerts', { cookie: f.host.owner.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('href="/admin/alerts" aria-current="page">Alerts</a>');
    expect(alertIdsIn(html, f.ids).sort()).toEqual(['acmeHotOpen', 'acmeLowClosed', 'stagedOfflineClosed', 'zetaOfflineOpen']);
    // Newest first by opened_at.
    const order = ['zetaOfflineOpen', 'acmeHotOpen', 'stagedOfflineClosed', 'acmeLowClosed'].map((key) => html.indexOf(`data-alert-id="${f.ids[key as keyof typeof f.ids]}"`));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain(`href="/admin/equipment/${f.m1.id}"`);
    expect(html).toContain(`href="/admin/customers/${f.acme.id}">Acme Hashing</a>`);
    expect(html).toContain('North Hall');
    expect(html).toContain('Temperature 92 °C, above the 85 °C limit.');
    expect(html).toContain('Hashrate 60.0 TH/s, below 80% of the expected 104 TH/s.');
    expect(html).toContain('<td>1h</td>'); // the closed low-hashrate alert lasted an hour
    expect(html).toContain('Unassigned');
    expect(html).toContain('4 alerts');
    // Markup in the miner's model and rack location is text.
    expect(html).not.toContain(XSS);
    expect(html).not.toContain('<b>R1</b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('filters by site, customer, kind and open/closed, alone and together', async () => {
    const f = await alertFixture('Alerts Filter Host');
    const list = async (query: string) => alertIdsIn(await (await getPage(`/admin/alerts?${query}`, { cookie: f.host.owner.cookie })).text(), f.ids).sort();
    expect(await list(`site_id=${f.north}`)).toEqual(['acmeHotOpen', 'acmeLowClosed']);
    expect(await list(`customer_id=${f.zeta.id}`)).toEqual(['zetaOfflineOpen']);
    expect(await list('kind=offline')).toEqual(['stagedOfflineClosed', 'zetaOfflineOpen']);
    expect(await list('state=open')).toEqual(['acmeHotOpen', 'zetaOfflineOpen']);
    expect(await list('state=closed')).toEqual(['acmeLowClosed', 'stagedOfflineClosed']);
    expect(await list(`site_id=${f.south}&kind=offline&state=closed`)).toEqual(['stagedOfflineClosed']);
    // Junk in a filter means "all", not an error page.
    expect(await list('kind=volcano&state=maybe')).toHaveLength(4);
    // The filter form keeps the choices, and offers the host's sites and the customers with alerts.
    const html = await (await getPage(`/admin/alerts?site_id=${f.north}&kind=over_temp`, { cookie: f.host.owner.cookie })).text();
    expect(html).toContain(`<option value="${f.north}" selected="">North Hall</option>`);
    expect(html).toContain('<option value="over_temp" selected="">Over temperature</option>');
    expect(html).toContain(`<option value="${f.zeta.id}">Zeta Mining</option>`);
  });

  it('answers the results fragment to the htmx filter form', async () => {
    const f = await alertFixture('Alerts Htmx Host');
    const res = await getPage('/admin/alerts?state=open', { cookie: f.host.owner.cookie, htmx: true, headers: { 'HX-Target': 'alert-results' } });
    const html = await res.text();
    expect(html.startsWith('<div id="alert-results">')).toBe(true);
    expect(html).not.toContain('<html');
    expect(alertIdsIn(html, f.ids).sort()).toEqual(['acmeHotOpen', 'zetaOfflineOpen']);
  });

  it('pages through many alerts with older and newer links', async () => {
    const host = await createHost('Alerts Paging Host');
    const site = await insertSite(host);
    const miner = await insertMiner(host, { siteId: site });
    const t = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 55; i += 1) ids.push(await insertAlert(host, { siteId: site, minerId: miner.id, kind: 'offline', openedAt: t - i * 1000 }));
    const first = await (await getPage('/admin/alerts', { cookie: host.owner.cookie })).text();
    expect(first).toContain('55 alerts');
    const idsOn = (html: string) => ids.filter((id) => html.includes(`data-alert-id="${id}"`));
    expect(idsOn(first)).toEqual(ids.slice(0, 50));
    const older = unescapeAttr(first.match(/href="(\/admin\/alerts\?cursor=[^"]+)"/)![1]!);
    const second = await (await getPage(older, { cookie: host.owner.cookie })).text();
    expect(idsOn(second)).toEqual(ids.slice(50));
    const newer = unescapeAttr(second.match(/href="(\/admin\/alerts\?before=[^"]+)"/)![1]!);
    expect(idsOn(await (await getPage(newer, { cookie: host.owner.cookie })).text())).toEqual(ids.slice(0, 50));
    expect((await getPage('/admin/alerts?cursor=not-a-cursor', { cookie: host.owner.cookie })).status).toBe(422);
  });

  it('never shows another host’s alerts, even when filtering by its site or customer', async () => {
    const mine = await alertFixture('Alerts Mine Host');
    const theirs = await alertFixture('Alerts Theirs Host');
    const html = await (await getPage('/admin/alerts', { cookie: mine.host.owner.cookie })).text();
    expect(alertIdsIn(html, theirs.ids)).toEqual([]);
    for (const query of [`site_id=${theirs.north}`, `customer_id=${theirs.acme.id}`]) {
      const filtered = await (await getPage(`/admin/alerts?${query}`, { cookie: mine.host.owner.cookie })).text();
      expect(alertIdsIn(filtered, theirs.ids)).toEqual([]);
      expect(filtered).toContain('No alerts match');
    }
    const csv = await (await getPage('/admin/alerts/export.csv', { cookie: mine.host.owner.cookie })).text();
    for (const id of Object.values(theirs.ids)) expect(csv).not.toContain(id);
    expect((await getPage('/admin/alerts')).status).toBe(303);
  });

  it('exports the filtered list as CSV, formulas defused', async () => {
    const f = await alertFixture('Alerts Csv Host');
    const res = await getPage(`/admin/alerts/export.csv?state=open`, { cookie: f.host.owner.cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/csv');
    expect(res.headers.get('Content-Disposition')).toMatch(/attachment; filename="alerts-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,kind,state,detail,miner_id,miner,customer_id,customer,site_id,site,opened_at,closed_at,duration_seconds,emailed_at');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(f.ids.zetaOfflineOpen);
    expect(lines[2]).toContain(f.ids.acmeHotOpen);
    expect(lines[2]).toContain('Acme Hashing');
    const formula = await createTestCustomer(f.host, { name: '=HYPERLINK("http://evil")' });
    await insertAlert(f.host, { siteId: f.north, minerId: f.m1.id, customerId: formula.id });
    const csv = await (await getPage(`/admin/alerts/export.csv?customer_id=${formula.id}`, { cookie: f.host.owner.cookie })).text();
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });

  it('shows an alert opened by a batch ingested into the site’s object', async () => {
    const host = await createHost('Alerts Ingest Host');
    const site = await insertSite(host, 'Live Hall');
    const customer = await createTestCustomer(host, { name: 'Hot Customer' });
    const miner = await insertMiner(host, { siteId: site, customerId: customer.id });
    await setAlertRules(host, { overTempC: 80, overTempMinutes: 0 });
    await stateOf(site).ingest({ hostId: host.hostId, siteId: site }, batchOf([report(miner.mac, { board_temps_c: [91], chip_temps_c: [93] })]));
    const html = await (await getPage('/admin/alerts?state=open&kind=over_temp', { cookie: host.owner.cookie })).text();
    expect(html).toContain('1 alert');
    expect(html).toContain('Temperature 93 °C, above the 80 °C limit.');
    expect(html).toContain('Hot Customer');
    expect(html).toContain('Live Hall');
  });
});

describe('Settings → Alerts (rules)', () => {
  const valid = {
    offline_minutes: '15',
    low_hashrate_pct: '75',
    low_hashrate_minutes: '20',
    over_temp_c: '90',
    over_temp_minutes: '3',
    cooldown_minutes: '60',
    email_customer: 'on',
  };

  it('shows the defaults in a tab of the settings sub-nav', async () => {
    const host = await createHost('Rules Defaults Host');
    const html = await (await getPage('/admin/settings/alerts', { cookie: host.owner.cookie })).text();
    expect(html).toContain('href="/admin/settings/alerts" aria-current="page">Alerts</a>');
    expect(html).toContain(`name="offline_minutes" type="number" inputmode="numeric" min="1" max="1440" step="1" required="" value="${DEFAULT_ALERT_RULES.offlineMinutes}"`);
    expect(html).toContain(`value="${DEFAULT_ALERT_RULES.overTempC}"`);
    expect(html).not.toMatch(/name="email_customer"[^>]*checked/);
    expect(html).not.toContain('<fieldset disabled');
  });

  it('an owner saves them (upsert), logs the change, and the SiteState rules query reads them', async () => {
    const host = await createHost('Rules Save Host');
    const res = await postForm('/admin/settings/alerts', valid, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/settings/alerts?saved=1');
    const row = await db().select().from(alertRules).where(eq(alertRules.hostId, host.hostId)).get();
    expect(row).toMatchObject({ offlineMinutes: 15, lowHashratePct: 75, lowHashrateMinutes: 20, overTempC: 90, overTempMinutes: 3, cooldownMinutes: 60, emailCustomer: true });
    const log = await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'alert_rules.updated'))).all();
    expect(log).toHaveLength(1);
    expect(JSON.parse(log[0]!.changes!)).toMatchObject({ offline_minutes: [10, 15], email_customer: [false, true] });
    // Second save (upsert): only what changed is logged; an unchanged save logs nothing.
    await postForm('/admin/settings/alerts', { ...valid, over_temp_c: '95', email_customer: '' }, { cookie: host.owner.cookie });
    await postForm('/admin/settings/alerts', { ...valid, over_temp_c: '95', email_customer: '' }, { cookie: host.owner.cookie });
    const logs = await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'alert_rules.updated'))).all();
    expect(logs).toHaveLength(2);
    expect(JSON.parse(logs[1]!.changes!)).toEqual({ over_temp_c: [90, 95], email_customer: [true, false] });
    const page = await (await getPage('/admin/settings/alerts?saved=1', { cookie: host.owner.cookie })).text();
    expect(page).toContain('Alert rules saved.');
    expect(page).toContain('value="95"');
  });

  it('refuses out-of-range and non-numeric values with field errors (422), saving nothing', async () => {
    const host = await createHost('Rules Invalid Host');
    const res = await postForm(
      '/admin/settings/alerts',
      { ...valid, offline_minutes: '0', low_hashrate_pct: '150', over_temp_c: 'hot', over_temp_minutes: '2.5', cooldown_minutes: '' },
      { cookie: host.owner.cookie },
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('5 fields need attention.');
    expect(html).toContain('Use 1–1440 minutes.');
    expect(html).toContain('Use 1–99 %.');
    expect(html).toContain('Enter the temperature limit as a whole number.');
    expect(html).toContain('Enter the over-temperature time as a whole number.');
    expect(html).toContain('Enter the cooldown as a whole number.');
    expect(html).toContain('value="hot"'); // what was typed comes back
    expect(await db().select().from(alertRules).where(eq(alertRules.hostId, host.hostId)).get()).toBeUndefined();
    // htmx: only the form.
    const fragment = await postForm('/admin/settings/alerts', { ...valid, low_hashrate_pct: '0' }, { cookie: host.owner.cookie, htmx: true });
    expect(fragment.status).toBe(422);
    expect((await fragment.text()).startsWith('<form id="alert-rules-form"')).toBe(true);
  });

  it('admins can change them; plain staff see them read-only and are refused', async () => {
    const host = await createHost('Rules Roles Host');
    const admin = await addMember(host, 'admin');
    const staff = await addMember(host, 'staff');
    expect((await postForm('/admin/settings/alerts', valid, { cookie: admin.cookie })).status).toBe(303);
    const page = await (await getPage('/admin/settings/alerts', { cookie: staff.cookie })).text();
    expect(page).toContain('Only an owner or admin can change alert rules.');
    expect(page).toContain('<fieldset disabled');
    const refused = await postForm('/admin/settings/alerts', { ...valid, offline_minutes: '99' }, { cookie: staff.cookie });
    expect(refused.status).toBe(403);
    expect((await db().select().from(alertRules).where(eq(alertRules.hostId, host.hostId)).get())?.offlineMinutes).toBe(15);
  });

  it('needs a same-origin post (CSRF)', async () => {
    const host = await createHost('Rules Csrf Host');
    const res = await postForm('/admin/settings/alerts', valid, { cookie: host.owner.cookie, origin: 'https://evil.example' });
    expect(res.status).toBe(403);
  });
});

describe('GET /api/v1/alerts', () => {
  it('lists the key’s host’s alerts, newest first, in the documented shape', async () => {
    const f = await alertFixture('Alerts Api Host');
    await alertFixture('Alerts Api Other');
    const key = await createApiKeyFor(f.host);
    const res = await api('/api/v1/alerts', { key });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Record<string, unknown>[]; total: number; next_cursor: string | null };
    expect(body.total).toBe(4);
    expect(body.next_cursor).toBeNull();
    expect(body.data.map((a) => a.id)).toEqual([f.ids.zetaOfflineOpen, f.ids.acmeHotOpen, f.ids.stagedOfflineClosed, f.ids.acmeLowClosed]);
    const hot = body.data[1]!;
    expect(hot).toEqual({
      id: f.ids.acmeHotOpen,
      kind: 'over_temp',
      state: 'open',
      message: 'Temperature 92 °C, above the 85 °C limit.',
      detail: { temp_c: 92, limit_c: 85 },
      site_id: f.north,
      miner_id: f.m1.id,
      miner: { serial: expect.any(String), mac: f.m1.mac, model: XSS, rack_location: '<b>R1</b>' },
      customer_id: f.acme.id,
      opened_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      closed_at: null,
      emailed_at: null,
      suppressed_by: null,
    });
    expect(body.data[3]!.closed_at).toEqual(expect.any(String));
  });

  it('filters by site_id, customer_id, kind and state, and pages with limit and cursor', async () => {
    const f = await alertFixture('Alerts Api Filter Host');
    const key = await createApiKeyFor(f.host);
    const ids = async (query: string) => ((await (await api(`/api/v1/alerts?${query}`, { key })).json()) as { data: { id: string }[] }).data.map((a) => a.id);
    expect(await ids(`site_id=${f.north}`)).toEqual([f.ids.acmeHotOpen, f.ids.acmeLowClosed]);
    expect(await ids(`customer_id=${f.zeta.id}`)).toEqual([f.ids.zetaOfflineOpen]);
    expect(await ids('kind=offline&state=closed')).toEqual([f.ids.stagedOfflineClosed]);
    expect(await ids('state=open')).toEqual([f.ids.zetaOfflineOpen, f.ids.acmeHotOpen]);
    const page1 = (await (await api('/api/v1/alerts?limit=3', { key })).json()) as { data: { id: string }[]; next_cursor: string };
    expect(page1.data).toHaveLength(3);
    const page2 = (await (await api(`/api/v1/alerts?limit=3&cursor=${encodeURIComponent(page1.next_cursor)}`, { key })).json()) as {
      data: { id: string }[];
      next_cursor: string | null;
    };
    expect(page2.data.map((a) => a.id)).toEqual([f.ids.acmeLowClosed]);
    expect(page2.next_cursor).toBeNull();
  });

  it('refuses bad filters with 422 and field errors, and needs a key', async () => {
    const f = await alertFixture('Alerts Api Bad Host');
    const key = await createApiKeyFor(f.host);
    const bad = await api('/api/v1/alerts?kind=volcano&state=maybe&limit=500&colour=red', { key });
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { error: { code: string; fields: Record<string, string> } };
    expect(body.error.code).toBe('validation_failed');
    expect(Object.keys(body.error.fields).sort()).toEqual(['colour', 'kind', 'limit', 'state']);
    expect((await api('/api/v1/alerts?cursor=garbage', { key })).status).toBe(422);
    expect((await api('/api/v1/alerts')).status).toBe(401);
  });

  it('cannot read another host’s alerts, whatever the filter', async () => {
    const mine = await alertFixture('Alerts Api Mine');
    const theirs = await alertFixture('Alerts Api Theirs');
    const key = await createApiKeyFor(mine.host);
    for (const query of ['', `site_id=${theirs.north}`, `customer_id=${theirs.acme.id}`]) {
      const body = (await (await api(`/api/v1/alerts?${query}`, { key })).json()) as { data: { id: string }[] };
      for (const alert of body.data) expect(Object.values(theirs.ids)).not.toContain(alert.id);
    }
  });
});
