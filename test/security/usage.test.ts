import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { usageHourly } from '../../src/db/schema';
import { api, createApiKeyFor, createHost, createTestCustomer, db, getPage } from '../helpers/fixtures';
import { insertMiner, insertSite, portalCustomer } from '../helpers/alerts';
import { hoursFrom, insertPerKwhContract, insertUsage } from '../helpers/usage';

const NOV = Date.UTC(2026, 10, 1);
const MONTH = '?month=2026-11';

/** Host B with a customer and a unit that used energy in November; host A with its own customer, key and portal member. */
async function twoHosts() {
  const a = await createHost('Usage Host A');
  const b = await createHost('Usage Host B');
  const aKey = await createApiKeyFor(a);
  const aSite = await insertSite(a, 'A Hall');
  const aPortal = await portalCustomer(a, 'A Portal Customer');
  const aNeighbour = await createTestCustomer(a, { name: 'A Neighbour Secret' });
  const aOwn = await insertMiner(a, { siteId: aSite, customerId: aPortal.customer.id, serial: 'A-OWN-UNIT' });
  const aOther = await insertMiner(a, { siteId: aSite, customerId: aNeighbour.id, serial: 'A-NEIGHBOUR-UNIT' });
  // A unit that was the portal customer's for 5 hours, then the neighbour's: the neighbour's hours stay theirs.
  const aMoved = await insertMiner(a, { siteId: aSite, customerId: aNeighbour.id, serial: 'A-MOVED-UNIT' });
  const bSite = await insertSite(b, 'B Secret Hall');
  const bCustomer = await createTestCustomer(b, { name: 'B Secret Customer' });
  const bUnit = await insertMiner(b, { siteId: bSite, customerId: bCustomer.id, serial: 'B-SECRET-UNIT' });
  await insertUsage(a, [
    ...hoursFrom(NOV, 10, () => ({ minerId: aOwn.id, siteId: aSite, customerId: aPortal.customer.id, energyWh: 1000 })),
    ...hoursFrom(NOV, 10, () => ({ minerId: aOther.id, siteId: aSite, customerId: aNeighbour.id, energyWh: 55_555 })),
    ...hoursFrom(NOV, 5, () => ({ minerId: aMoved.id, siteId: aSite, customerId: aPortal.customer.id, energyWh: 2000 })),
    ...hoursFrom(NOV + 5 * 3_600_000, 5, () => ({ minerId: aMoved.id, siteId: aSite, customerId: aNeighbour.id, energyWh: 77_777 })),
  ]);
  await insertUsage(b, hoursFrom(NOV, 10, () => ({ minerId: bUnit.id, siteId: bSite, customerId: bCustomer.id, energyWh: 99_999 })));
  await insertPerKwhContract(b, bCustomer.id, [bUnit.id], { kwhSource: 'metered' });
  const bRows = async () => db().select().from(usageHourly).where(eq(usageHourly.hostId, b.hostId)).all();
  return { a, b, aKey, aPortal, aNeighbour, aOwn, aOther, aMoved, bCustomer, bUnit, bRowsBefore: await bRows(), bRows };
}

const B_SECRETS = ['B Secret Hall', 'B Secret Customer', 'B-SECRET-UNIT', '999.990', '99999'];

describe('usage never crosses hosts or customers', () => {
  it('answers 404 to another host’s customer on the Usage tab, its CSV and the API, and changes nothing', async () => {
    const t = await twoHosts();
    for (const path of [`/admin/customers/${t.bCustomer.id}/usage${MONTH}`, `/admin/customers/${t.bCustomer.id}/usage.csv${MONTH}`]) {
      const res = await getPage(path, { cookie: t.a.owner.cookie });
      expect(res.status, path).toBe(404);
      const body = await res.text();
      for (const secret of B_SECRETS) expect(body, `${path} leaks ${secret}`).not.toContain(secret);
    }
    const res = await api(`/api/v1/customers/${t.bCustomer.id}/usage?month=2026-11`, { key: t.aKey });
    expect(res.status).toBe(404);
    const body = await res.text();
    for (const secret of B_SECRETS) expect(body).not.toContain(secret);
    expect(await t.bRows()).toEqual(t.bRowsBefore);
  });

  it('shows staff only the customer’s own hours: another customer’s unit, and a moved unit’s later hours, are not theirs', async () => {
    const t = await twoHosts();
    const html = await (await getPage(`/admin/customers/${t.aPortal.customer.id}/usage${MONTH}`, { cookie: t.a.owner.cookie })).text();
    expect(html).toContain('A-OWN-UNIT');
    expect(html).toContain('A-MOVED-UNIT');
    expect(html).not.toContain('A-NEIGHBOUR-UNIT');
    // 10 x 1 kWh + 5 x 2 kWh; never the neighbour's 55.555 or 77.777 kWh hours.
    expect(html).toMatch(/data-testid="usage-metered">\s*20\.000 kWh/);
    expect(html).not.toContain('77.777');
    expect(html).not.toContain('55.555');
  });

  it('shows the portal member only their own customer’s units, whatever the query string says', async () => {
    const t = await twoHosts();
    for (const path of [`${t.aPortal.base}/usage${MONTH}`, `${t.aPortal.base}/usage${MONTH}&customer=${t.aNeighbour.id}&customer_id=${t.aNeighbour.id}`]) {
      const res = await getPage(path, { cookie: t.aPortal.cookie });
      expect(res.status, path).toBe(200);
      const html = await res.text();
      expect(html).toContain('A-OWN-UNIT');
      for (const secret of ['A-NEIGHBOUR-UNIT', 'A Neighbour Secret', '55.555', '77.777', ...B_SECRETS]) expect(html, `${path} leaks ${secret}`).not.toContain(secret);
    }
    const csv = await (await getPage(`${t.aPortal.base}/usage.csv${MONTH}&customer=${t.aNeighbour.id}`, { cookie: t.aPortal.cookie })).text();
    expect(csv).toContain(t.aOwn.id);
    expect(csv).not.toContain(t.aOther.id);
    expect(csv).not.toContain('77777');
    // Host A's portal cookie means nothing on host B's portal.
    const bPortal = await portalCustomer(t.b, 'B Portal Customer');
    const cross = await getPage(`${bPortal.base}/usage${MONTH}`, { cookie: t.aPortal.cookie });
    expect(cross.status).toBe(303);
  });

  it('asks for a session: staff pages redirect to /login, the portal to its sign-in, the API answers 401', async () => {
    const t = await twoHosts();
    for (const path of [`/admin/customers/${t.aPortal.customer.id}/usage`, `/admin/customers/${t.aPortal.customer.id}/usage.csv${MONTH}`]) {
      const res = await getPage(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('Location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    for (const path of [`${t.aPortal.base}/usage`, `${t.aPortal.base}/usage.csv${MONTH}`]) {
      const res = await getPage(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('Location')).toBe(`${t.aPortal.base}/auth`);
    }
    const res = await api(`/api/v1/customers/${t.aPortal.customer.id}/usage`);
    expect(res.status).toBe(401);
  });
});

const PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>"];
const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
/** The only <svg> the page renders itself: the charts. */
const APP_SVG = /^<svg class="chart-svg" viewBox="[\d .]+" width="\d+" height="\d+" role="img" aria-labelledby="[\w -]+" preserveAspectRatio="xMidYMid meet">$/;

function expectEscaped(html: string, value: string, where: string) {
  expect(html, `${where}: raw`).not.toContain(value);
  expect(html, `${where}: escaped`).toContain(escapeHtml(value));
  for (const tag of html.match(/<(img|svg|iframe)\b[^>]*>/gi) ?? []) expect(tag, `${where}: injected tag`).toMatch(APP_SVG);
  for (const tag of [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0])) expect(tag, `${where}: inline script`).toMatch(/^<script src="\/vendor\//);
}

describe.each(PAYLOADS)('the payload %j in a unit’s serial, model and site name', (payload) => {
  it('is shown escaped on the Usage tab and the portal Usage page, and defused in the CSV', async () => {
    const host = await createHost('Usage XSS Host');
    const c = await portalCustomer(host, 'Usage XSS Customer');
    const siteName = `site:${payload}`;
    const siteId = await insertSite(host, siteName);
    const serial = `SN:${payload}`;
    const model = `model:${payload}`;
    const unit = await insertMiner(host, { siteId, customerId: c.customer.id, serial, model });
    const formula = await insertMiner(host, { siteId, customerId: c.customer.id, serial: '=HYPERLINK("http://evil.example")', model: '+cmd' });
    await insertUsage(host, [
      ...hoursFrom(NOV, 3, () => ({ minerId: unit.id, siteId, customerId: c.customer.id })),
      ...hoursFrom(NOV, 3, () => ({ minerId: formula.id, siteId, customerId: c.customer.id })),
    ]);
    for (const [path, cookie] of [
      [`/admin/customers/${c.customer.id}/usage${MONTH}`, host.owner.cookie],
      [`${c.base}/usage${MONTH}`, c.cookie],
    ] as const) {
      const res = await getPage(path, { cookie });
      expect(res.status, path).toBe(200);
      const html = await res.text();
      expect(html).toContain(`data-miner-id="${unit.id}"`);
      for (const value of [serial, model, siteName]) expectEscaped(html, value, `${path}: ${value}`);
    }
    const csv = await (await getPage(`/admin/customers/${c.customer.id}/usage.csv${MONTH}`, { cookie: host.owner.cookie })).text();
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    expect(csv).toContain(`,'+cmd,`);
    // The API returns the text as data (JSON-escaped, never markup).
    const key = await createApiKeyFor(host);
    const json = (await (await api(`/api/v1/customers/${c.customer.id}/usage?month=2026-11`, { key })).json()) as { data: { units: { serial: string }[] } };
    expect(json.data.units.map((u) => u.serial)).toContain(serial);
  });
});
