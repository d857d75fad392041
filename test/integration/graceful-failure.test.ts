import { abortAllDurableObjects, createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { Bindings } from '../../src/env';
import { LIVE_READ_TIMEOUT_MS, readLive } from '../../src/live/client';
import { createApiKeyFor, createHost, getPage, ORIGIN, type TestHost } from '../helpers/fixtures';
import { insertMiner, insertSite, portalCustomer } from '../helpers/alerts';
import { batchOf, report, stateOf } from '../helpers/telemetry';

/**
 * Graceful failure (issue 11): a site whose SiteState object fails or times out must not turn a
 * page into a 500. The inventory still lists every unit, a notice (role=status) names the site,
 * and the JSON API answers `live: null` with a `live_error`. The other sites keep their values.
 */

const BROKEN_NAME = 'South <b>Yard</b>';
const ESCAPED_BROKEN = 'South &lt;b&gt;Yard&lt;/b&gt;';

async function twoSiteFixture(name: string) {
  const host = await createHost(name);
  const healthySite = await insertSite(host, `${name} North`);
  const brokenSite = await insertSite(host, BROKEN_NAME);
  const customer = await portalCustomer(host, `${name} Customer`);
  const healthy = await insertMiner(host, { siteId: healthySite, customerId: customer.customer.id, serial: `N-${crypto.randomUUID().slice(0, 6)}` });
  const broken = await insertMiner(host, { siteId: brokenSite, customerId: customer.customer.id, serial: `S-${crypto.randomUUID().slice(0, 6)}` });
  await stateOf(healthySite).ingest({ hostId: host.hostId, siteId: healthySite }, batchOf([report(healthy.mac, { hashrate_ths: 111.5, power_w: 3100 })]));
  await stateOf(brokenSite).ingest({ hostId: host.hostId, siteId: brokenSite }, batchOf([report(broken.mac, { hashrate_ths: 222.5, power_w: 3200 })]));
  return { host, healthySite, brokenSite, customer, healthy, broken };
}

/**
 * The real SITE_STATE namespace, except that the objects of `brokenSites` fail every call
 * (`reject`, as an object reset or overloaded one does) or never answer (`hang`).
 */
function failingSiteState(brokenSites: ReadonlySet<string>, mode: 'reject' | 'hang'): Bindings['SITE_STATE'] {
  const real = env.SITE_STATE;
  const brokenStub = new Proxy(
    {},
    {
      get: () => () => (mode === 'reject' ? Promise.reject(new Error('Durable Object reset because its code was updated.')) : new Promise(() => {})),
    },
  );
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'getByName') return (name: string) => (brokenSites.has(name) ? brokenStub : target.getByName(name));
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A D1 binding whose statements touching `table` fail, as a D1 outage or a dropped table would. */
function failingD1(table: string): D1Database {
  const fails = (query: string) => query.toLowerCase().includes(`"${table}"`);
  const error = () => Promise.reject(new Error(`D1_ERROR: no such table: ${table}: SQLITE_ERROR`));
  const real = env.DB;
  const failing = new WeakSet<object>();
  const wrap = (statement: D1PreparedStatement, bad: boolean): D1PreparedStatement => {
    if (!bad) return statement;
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args), true);
        if (prop === 'all' || prop === 'first' || prop === 'run' || prop === 'raw') return error;
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    failing.add(proxy);
    return proxy;
  };
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => wrap(target.prepare(query), fails(query));
      if (prop === 'batch') return (statements: D1PreparedStatement[]) => (statements.some((s) => failing.has(s)) ? error() : target.batch(statements));
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function fetchWith(bindings: Partial<Bindings>, path: string, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(new Request(`${ORIGIN}${path}`, { headers, redirect: 'manual' }), { ...env, ...bindings } as Bindings, ctx);
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return { res, body };
}

const notice = (html: string) => html.match(/<div class="live-unavailable" role="status">([\s\S]*?)<\/div>/)?.[1] ?? null;

describe('a failing SiteState degrades pages instead of failing them', () => {
  it('staff Equipment lists every unit, keeps the healthy site live and names the failing site in a status notice', async () => {
    const f = await twoSiteFixture('Degraded Equip');
    const SITE_STATE = failingSiteState(new Set([f.brokenSite]), 'reject');
    const { res, body } = await fetchWith({ SITE_STATE }, '/admin/equipment', { Cookie: f.host.owner.cookie });
    expect(res.status).toBe(200);
    expect(body).toContain(`data-miner-id="${f.healthy.id}"`);
    expect(body).toContain(`data-miner-id="${f.broken.id}"`);
    expect(body).toContain('112 TH/s'); // 111.5, the healthy site's live value
    expect(body).not.toContain('222'); // the failing site's value is not invented
    expect(notice(body)).toContain(`Live data unavailable for ${ESCAPED_BROKEN}.`);
    expect(body).not.toContain('<b>Yard</b>');

    // The htmx poll of the results (every 15 s) carries the notice too, and drops it once the site answers.
    const poll = await fetchWith({ SITE_STATE }, '/admin/equipment', { Cookie: f.host.owner.cookie, 'HX-Request': 'true', 'HX-Target': 'equipment-results' });
    expect(poll.res.status).toBe(200);
    expect(notice(poll.body)).toContain(ESCAPED_BROKEN);
    const healed = await fetchWith({}, '/admin/equipment', { Cookie: f.host.owner.cookie, 'HX-Request': 'true', 'HX-Target': 'equipment-results' });
    expect(notice(healed.body)).toBeNull();
    expect(healed.body).toContain('223 TH/s');
  });

  it('the staff dashboard, site page, unit page and customer equipment tab render with the notice', async () => {
    const f = await twoSiteFixture('Degraded Pages');
    const SITE_STATE = failingSiteState(new Set([f.brokenSite]), 'reject');
    const cookie = f.host.owner.cookie;
    for (const path of ['/admin/dashboard', `/admin/sites/${f.brokenSite}`, `/admin/sites/${f.brokenSite}/live`, `/admin/equipment/${f.broken.id}`, `/admin/customers/${f.customer.customer.id}/equipment`]) {
      const { res, body } = await fetchWith({ SITE_STATE }, path, { Cookie: cookie });
      expect(res.status, path).toBe(200);
      expect(notice(body), path).toContain(`Live data unavailable for ${ESCAPED_BROKEN}.`);
    }
    // The healthy site's page has nothing to report.
    const north = await fetchWith({ SITE_STATE }, `/admin/sites/${f.healthySite}`, { Cookie: cookie });
    expect(north.res.status).toBe(200);
    expect(notice(north.body)).toBeNull();
  });

  it('the customer portal dashboard, Equipment list and unit page render with the notice', async () => {
    const f = await twoSiteFixture('Degraded Portal');
    const SITE_STATE = failingSiteState(new Set([f.brokenSite]), 'reject');
    const { base, cookie } = f.customer;
    for (const path of [base, `${base}/equipment`, `${base}/equipment/live`, `${base}/equipment/${f.broken.id}`, `${base}/equipment/${f.broken.id}/live`]) {
      const { res, body } = await fetchWith({ SITE_STATE }, path, { Cookie: cookie });
      expect(res.status, path).toBe(200);
      expect(notice(body), path).toContain(`Live data unavailable for ${ESCAPED_BROKEN}.`);
    }
    const list = await fetchWith({ SITE_STATE }, `${base}/equipment`, { Cookie: cookie });
    expect(list.body).toContain(`data-miner-id="${f.broken.id}"`);
    expect(list.body).toContain('112 TH/s');
  });

  it('a site that never answers times out: the page waits at most the timeout, then degrades', async () => {
    const f = await twoSiteFixture('Hanging Site');
    const started = Date.now();
    const { res, body } = await fetchWith({ SITE_STATE: failingSiteState(new Set([f.brokenSite]), 'hang') }, '/admin/equipment', { Cookie: f.host.owner.cookie });
    const waited = Date.now() - started;
    expect(res.status).toBe(200);
    expect(waited).toBeGreaterThanOrEqual(LIVE_READ_TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(LIVE_READ_TIMEOUT_MS + 5_000);
    expect(notice(body)).toContain(ESCAPED_BROKEN);
    expect(body).toContain('112 TH/s');
  }, 20_000);

  it('the JSON API answers live: null with a live_error for units of the failing site, and names the site', async () => {
    const f = await twoSiteFixture('Degraded API');
    const key = await createApiKeyFor(f.host);
    const SITE_STATE = failingSiteState(new Set([f.brokenSite]), 'reject');
    const auth = { Authorization: `Bearer ${key}` };
    const list = await fetchWith({ SITE_STATE }, '/api/v1/miners', auth);
    expect(list.res.status).toBe(200);
    const json = JSON.parse(list.body) as { data: { id: string; live: unknown; live_error: string | null }[]; live_errors: { site_id: string; site_name: string; error: string }[] };
    const byId = new Map(json.data.map((m) => [m.id, m]));
    expect(byId.get(f.broken.id)).toMatchObject({ live: null, live_error: expect.stringContaining('Live data unavailable') });
    expect(byId.get(f.healthy.id)).toMatchObject({ live: expect.objectContaining({ hashrate_ths: 111.5 }), live_error: null });
    expect(json.live_errors).toEqual([{ site_id: f.brokenSite, site_name: BROKEN_NAME, error: expect.stringContaining(`Live data unavailable for ${BROKEN_NAME}`) }]);

    const one = await fetchWith({ SITE_STATE }, `/api/v1/miners/${f.broken.id}`, auth);
    expect(one.res.status).toBe(200);
    expect(JSON.parse(one.body).data).toMatchObject({ id: f.broken.id, live: null, live_error: expect.stringContaining('failed') });

    const healthy = await fetchWith({}, '/api/v1/miners', auth);
    expect(JSON.parse(healthy.body).live_errors).toEqual([]);
  });

  it('callers that act on live state (no outage record) still see the failure instead of "no data"', async () => {
    const f = await twoSiteFixture('Strict Reader');
    const strict = { SITE_STATE: failingSiteState(new Set([f.brokenSite]), 'reject') };
    await expect(readLive(strict, [{ id: f.broken.id, siteId: f.brokenSite, liveShards: 1 }])).rejects.toThrow(/reset/);
  });

  it('after abortAllDurableObjects the objects restart from storage and pages show live values again', async () => {
    const f = await twoSiteFixture('Aborted Objects');
    await abortAllDurableObjects();
    const res = await getPage('/admin/equipment', { cookie: f.host.owner.cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(notice(html)).toBeNull();
    expect(html).toContain('112 TH/s');
    expect(html).toContain('223 TH/s');
  });

  it('objects aborted while a page reads them never make it a 500', async () => {
    const f = await twoSiteFixture('Aborted Mid-Read');
    const [res] = await Promise.all([getPage('/admin/equipment', { cookie: f.host.owner.cookie }), abortAllDurableObjects()]);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`data-miner-id="${f.broken.id}"`);
    // Either the read finished (values) or it was cut (the notice): never an error page.
    expect(html.includes('223 TH/s') || notice(html) !== null).toBe(true);
  });
});

describe('a D1 failure renders the branded error page with the request id', () => {
  async function brokenPage(host: TestHost, path: string, cookie: string) {
    const { res, body } = await fetchWith({ DB: failingD1('miners') }, path, { Cookie: cookie });
    expect(res.status).toBe(500);
    const requestId = res.headers.get('X-Request-Id');
    expect(requestId).toBeTruthy();
    expect(body).toContain(`Reference: ${requestId}`);
    expect(body).toContain('Something went wrong on our side');
    expect(body).not.toContain('SQLITE_ERROR'); // the cause is logged, never shown
    expect(body).not.toContain('no such table');
    return body;
  }

  it('on a staff page (inside the Host OS shell)', async () => {
    const host = await createHost('D1 Down Staff');
    const body = await brokenPage(host, '/admin/dashboard', host.owner.cookie);
    expect(body).toContain('class="error-panel"');
    expect(body).toContain('D1 Down Staff'); // the host's shell
  });

  it('on a portal page (in the host’s white label)', async () => {
    const host = await createHost('D1 Down Portal');
    const customer = await portalCustomer(host, 'D1 Down Customer');
    // A unit page: its miner read runs after the session check, so the portal's context is known.
    const body = await brokenPage(host, `${customer.base}/equipment/${crypto.randomUUID()}`, customer.cookie);
    expect(body).toContain('role="alert"');
    expect(body).toContain('D1 Down Portal'); // the host's white label, not the platform's
  });

  it('on the JSON API as { error: { code: internal } } with the request id header', async () => {
    const host = await createHost('D1 Down API');
    const key = await createApiKeyFor(host);
    const { res, body } = await fetchWith({ DB: failingD1('miners') }, '/api/v1/miners', { Authorization: `Bearer ${key}` });
    expect(res.status).toBe(500);
    expect(res.headers.get('X-Request-Id')).toBeTruthy();
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'internal' } });
    expect(body).not.toContain('SQLITE_ERROR');
  });
});
