import { env } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { jsx } from 'hono/jsx';
import { describe, expect, it } from 'vitest';
import { activityLog, customDomains } from '../../src/db/schema';
import {
  activeDomainFor,
  addDomain,
  checkDomain,
  findActiveDomain,
  listDomains,
  removeDomain,
  verificationMode,
  verifyDomainForDevelopment,
  type DomainEnv,
} from '../../src/domains/service';
import { AppError, ValidationError } from '../../src/lib/errors';
import { DomainsPage } from '../../views/pages/settings/domains';
import { addMember, createHost, db, getPage, postForm, uniqueId, type TestHost } from '../helpers/fixtures';

const domainRow = (id: string) => db().select().from(customDomains).where(eq(customDomains.id, id)).get();
const domainsOf = (host: TestHost) => db().select().from(customDomains).where(eq(customDomains.hostId, host.hostId)).all();
const domainActivity = (host: TestHost) =>
  db()
    .select()
    .from(activityLog)
    .where(and(eq(activityLog.hostId, host.hostId)))
    .all()
    .then((rows) => rows.filter((row) => row.action.startsWith('domain.')));

/** A .localhost name unique to this test (the hostname column is unique platform-wide). */
const devName = (label = 'portal') => `${label}.${uniqueId()}.localhost`;

async function addAs(host: TestHost, hostname: string, cookie = host.owner.cookie): Promise<Response> {
  return postForm('/admin/settings/domains', { hostname }, { cookie });
}

async function added(host: TestHost, hostname: string): Promise<string> {
  const res = await addAs(host, hostname);
  expect(res.status).toBe(303);
  const row = (await domainsOf(host)).find((d) => d.hostname === hostname);
  expect(row).toBeDefined();
  return row!.id;
}

const testEnv = (overrides: Partial<DomainEnv> = {}): DomainEnv => ({
  APP_HOST: env.APP_HOST,
  ENVIRONMENT: env.ENVIRONMENT,
  CF_API_TOKEN: undefined,
  CF_ZONE_ID: undefined,
  ...overrides,
});

async function render(element: ReturnType<typeof jsx>): Promise<string> {
  return String(await element.toString());
}

// ---------------------------------------------------------------------------------------------

describe('custom domains: adding', () => {
  it('adds a pending hostname and shows it with the CNAME instructions and the development verify button', async () => {
    const host = await createHost();
    const hostname = devName();
    const res = await addAs(host, hostname);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/settings/domains?added=1');
    const [row] = await domainsOf(host);
    expect(row).toMatchObject({ hostname, status: 'pending', cloudflareId: null, verifiedAt: null });

    const page = await (await getPage('/admin/settings/domains?added=1', { cookie: host.owner.cookie })).text();
    expect(page).toContain('<a href="/admin/settings/domains" aria-current="page">Domains</a>');
    expect(page).toContain('Domain added.');
    expect(page).toContain(hostname);
    expect(page).toContain(`${hostname} CNAME hashyard.test`);
    expect(page).toContain('Pending');
    expect(page).toContain(`action="/admin/settings/domains/${row!.id}/verify-dev"`);
    expect(page).toContain('Verify (development)');
    expect(page).toContain('data-testid="verification-development"');
    expect(page).not.toContain('Check status');

    expect((await domainActivity(host)).map((e) => [e.action, JSON.parse(e.changes!)])).toEqual([['domain.added', { hostname: [null, hostname] }]]);
  });

  it('folds upper case and a trailing dot', async () => {
    const host = await createHost();
    const id = uniqueId();
    expect((await addAs(host, `  Portal.${id.toUpperCase()}.Example.COM.  `)).status).toBe(303);
    expect((await domainsOf(host))[0]!.hostname).toBe(`portal.${id}.example.com`);
  });

  it.each([
    ['https://portal.example.com', 'Enter the hostname only, without http:// or https://.'],
    ['http://portal.example.com/', 'Enter the hostname only, without http:// or https://.'],
    ['portal.example.com/login', 'Enter the hostname only, without a path.'],
    ['portal.example.com?x=1', 'Enter the hostname only, without a path.'],
    ['portal.example.com:8443', 'Enter the hostname without a port.'],
    ['user@portal.example.com', 'Enter the hostname only, like portal.example.com.'],
    ['portal', 'Enter a full domain name, like portal.example.com.'],
    ['localhost', 'Enter a full domain name, like portal.example.com.'],
    ['portal..example.com', 'Each part between dots must be 1–63 letters, digits or hyphens'],
    ['-portal.example.com', 'Each part between dots must be 1–63 letters, digits or hyphens'],
    ['portal-.example.com', 'Each part between dots must be 1–63 letters, digits or hyphens'],
    [`${'a'.repeat(64)}.example.com`, 'Each part between dots must be 1–63 letters, digits or hyphens'],
    [`${'a.'.repeat(127)}com`, 'Use at most 253 characters.'],
    ['port_al.example.com', 'Use letters, digits, hyphens and dots only'],
    ['portal example.com', 'Use letters, digits, hyphens and dots only'],
    ['192.168.1.10', 'Enter a domain name, not an IP address.'],
    ['', 'Hostname is required.'],
    ['hashyard.test', 'Use your own domain: hashyard.test and names under it belong to the platform.'],
    ['portal.hashyard.test', 'Use your own domain: hashyard.test and names under it belong to the platform.'],
    ['HASHYARD.TEST', 'Use your own domain'],
  ])('refuses %j with 422 and stores nothing', async (hostname, message) => {
    const host = await createHost();
    const res = await addAs(host, hostname);
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain('id="hostname-error"');
    expect(page).toContain(message);
    expect(await domainsOf(host)).toEqual([]);
  });

  it('shows an HTML-looking hostname back escaped when refusing it', async () => {
    const host = await createHost();
    const res = await addAs(host, '<script>alert(1)</script>.example.com');
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;.example.com"');
  });

  it('keeps hostnames unique across the platform', async () => {
    const host = await createHost();
    const other = await createHost();
    const hostname = devName();
    await added(host, hostname);

    const again = await addAs(host, hostname.toUpperCase());
    expect(again.status).toBe(422);
    expect(await again.text()).toContain('You have already added this hostname.');

    const taken = await addAs(other, hostname);
    expect(taken.status).toBe(422);
    expect(await taken.text()).toContain('This hostname is already connected to a Hashyard portal.');
    expect(await domainsOf(other)).toEqual([]);
    expect(await domainsOf(host)).toHaveLength(1);
  });

  it('limits how many domains one host can add', async () => {
    const host = await createHost();
    for (let i = 0; i < 10; i++) await added(host, devName(`p${i}`));
    const res = await addAs(host, devName('eleventh'));
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('A host can have at most 10 custom domains; remove one first.');
    expect(await domainsOf(host)).toHaveLength(10);
  });
});

describe('custom domains: who may change them', () => {
  it.each(['admin', 'staff'] as const)('shows %s a read-only list and refuses adding, verifying and removing (403)', async (role) => {
    const host = await createHost();
    const member = await addMember(host, role);
    const hostname = devName();
    const id = await added(host, hostname);

    const page = await (await getPage('/admin/settings/domains', { cookie: member.cookie })).text();
    expect(page).toContain(hostname);
    expect(page).toContain('Only the owner can add, verify or remove custom domains.');
    expect(page).not.toContain('action="/admin/settings/domains"');
    expect(page).not.toContain('/verify-dev');
    expect(page).not.toContain('/remove');

    expect((await addAs(host, devName('theirs'), member.cookie)).status).toBe(403);
    expect((await postForm(`/admin/settings/domains/${id}/verify-dev`, {}, { cookie: member.cookie })).status).toBe(403);
    expect((await postForm(`/admin/settings/domains/${id}/remove`, {}, { cookie: member.cookie })).status).toBe(403);
    expect((await postForm(`/admin/settings/domains/${id}/check`, {}, { cookie: member.cookie })).status).toBe(403);
    expect(await domainsOf(host)).toMatchObject([{ id, hostname, status: 'pending' }]);
  });

  it("never shows, verifies, checks or removes another host's domain (404)", async () => {
    const host = await createHost();
    const other = await createHost();
    const theirs = devName('theirs');
    const id = await added(other, theirs);

    const page = await (await getPage('/admin/settings/domains', { cookie: host.owner.cookie })).text();
    expect(page).not.toContain(theirs);
    for (const action of ['verify-dev', 'check', 'remove']) {
      const res = await postForm(`/admin/settings/domains/${id}/${action}`, {}, { cookie: host.owner.cookie });
      expect(res.status).toBe(404);
    }
    expect(await domainRow(id)).toMatchObject({ hostId: other.hostId, hostname: theirs, status: 'pending' });
    expect(await listDomains(db(), host.hostId)).toEqual([]);
  });
});

describe('custom domains: development verification', () => {
  it('marks a .localhost name active, which routing and invite links then find', async () => {
    const host = await createHost();
    const hostname = devName();
    const id = await added(host, hostname);
    expect(await findActiveDomain(db(), hostname)).toBeNull();
    expect(await activeDomainFor(db(), host.hostId)).toBeNull();

    const res = await postForm(`/admin/settings/domains/${id}/verify-dev`, {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/settings/domains?verified=1');
    const row = await domainRow(id);
    expect(row).toMatchObject({ status: 'active' });
    expect(row!.verifiedAt).toBeGreaterThan(0);

    expect(await findActiveDomain(db(), hostname)).toEqual({ hostId: host.hostId, hostname });
    expect(await findActiveDomain(db(), `${hostname.toUpperCase()}.`)).toEqual({ hostId: host.hostId, hostname });
    expect(await findActiveDomain(db(), devName('unknown'))).toBeNull();
    expect(await activeDomainFor(db(), host.hostId)).toBe(hostname);

    const page = await (await getPage('/admin/settings/domains?verified=1', { cookie: host.owner.cookie })).text();
    expect(page).toContain('Domain verified for development.');
    expect(page).toContain(`<a href="https://${hostname}/">${hostname}</a>`);
    expect(page).not.toContain('/verify-dev"');
    expect((await domainActivity(host)).map((e) => e.action)).toEqual(['domain.added', 'domain.status_changed']);
  });

  it('offers no development verification for a public name, and refuses it (400)', async () => {
    const host = await createHost();
    const id = await added(host, `portal.${uniqueId()}.example.com`);
    const page = await (await getPage('/admin/settings/domains', { cookie: host.owner.cookie })).text();
    expect(page).not.toContain('/verify-dev"');
    expect(page).toContain('Only names under .localhost can be verified here');
    const res = await postForm(`/admin/settings/domains/${id}/verify-dev`, {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Only names under .localhost can be verified in development.');
    expect(await domainRow(id)).toMatchObject({ status: 'pending' });
  });

  it('refuses Check status when Cloudflare is not configured (400)', async () => {
    const host = await createHost();
    const id = await added(host, devName());
    const res = await postForm(`/admin/settings/domains/${id}/check`, {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Cloudflare for SaaS is not configured here');
  });

  it('is never available in production, nor with Cloudflare configured', async () => {
    const host = await createHost();
    const id = await added(host, devName());
    const production = testEnv({ ENVIRONMENT: 'production' });
    expect(verificationMode(production)).toBe('unconfigured');
    await expect(verifyDomainForDevelopment(db(), production, host.owner.session, id)).rejects.toMatchObject({ code: 'forbidden' });
    const cloudflare = testEnv({ CF_API_TOKEN: 'token', CF_ZONE_ID: 'zone' });
    expect(verificationMode(cloudflare)).toBe('cloudflare');
    await expect(verifyDomainForDevelopment(db(), cloudflare, host.owner.session, id)).rejects.toMatchObject({ code: 'forbidden' });
    expect(await domainRow(id)).toMatchObject({ status: 'pending', verifiedAt: null });
    expect(verificationMode(testEnv())).toBe('development');
  });

  it('refuses .localhost names in production, and says clearly that verification is not configured', async () => {
    const host = await createHost();
    const production = testEnv({ ENVIRONMENT: 'production' });
    await expect(addDomain(db(), production, host.owner.session, { hostname: devName() })).rejects.toBeInstanceOf(ValidationError);
    const added = await addDomain(db(), production, host.owner.session, { hostname: `portal.${uniqueId()}.example.com` });
    expect(added.status).toBe('pending');
    await expect(checkDomain(db(), production, host.owner.session, added.id)).rejects.toMatchObject({
      code: 'bad_request',
      message: 'Custom domain verification is not configured on this deployment: the operator must set CF_API_TOKEN and CF_ZONE_ID.',
    });

    const page = await render(
      jsx(DomainsPage, {
        session: host.owner.session,
        domains: await listDomains(db(), host.hostId),
        mode: verificationMode(production),
        target: 'app.hashyard.example',
        linkBase: { protocol: 'https:', port: '' },
      }),
    );
    expect(page).toContain('data-testid="verification-not-configured"');
    expect(page).toContain('Custom domain verification is not configured on this deployment');
    expect(page).toContain(`${added.hostname} CNAME app.hashyard.example`);
    expect(page).not.toContain('Verify (development)');
    expect(page).not.toContain('Check status');
  });
});

describe('custom domains: removal', () => {
  it('removes a domain, which stops resolving at once', async () => {
    const host = await createHost();
    const hostname = devName();
    const id = await added(host, hostname);
    expect((await postForm(`/admin/settings/domains/${id}/verify-dev`, {}, { cookie: host.owner.cookie })).status).toBe(303);
    expect(await findActiveDomain(db(), hostname)).not.toBeNull();

    const res = await postForm(`/admin/settings/domains/${id}/remove`, {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/settings/domains?removed=1');
    expect(await domainRow(id)).toBeUndefined();
    expect(await findActiveDomain(db(), hostname)).toBeNull();
    expect(await activeDomainFor(db(), host.hostId)).toBeNull();
    const entries = await domainActivity(host);
    expect(entries.map((e) => e.action)).toEqual(['domain.added', 'domain.status_changed', 'domain.removed']);
    expect(JSON.parse(entries[2]!.changes!)).toEqual({ hostname: [hostname, null] });

    // The name is free again, for anyone.
    const other = await createHost();
    await added(other, hostname);
  });
});

// ---------------------------------------------------------------------------------------------
// Cloudflare for SaaS, against a fake API that answers like the real one.

interface FakeCall {
  method: string;
  url: string;
  authorization: string | null;
  body: unknown;
}

function fakeCloudflare(handler: (call: FakeCall) => { status?: number; body: unknown }) {
  const calls: FakeCall[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const text = await request.text();
    const call = { method: request.method, url: request.url, authorization: request.headers.get('Authorization'), body: text ? JSON.parse(text) : null };
    calls.push(call);
    const { status = 200, body } = handler(call);
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const ok = (result: unknown) => ({ body: { success: true, errors: [], messages: [], result } });
const cfEnv = testEnv({ ENVIRONMENT: 'production', APP_HOST: 'app.hashyard.example', CF_API_TOKEN: 'cf-test-token', CF_ZONE_ID: 'zone123' });
const BASE = 'https://api.cloudflare.com/client/v4/zones/zone123/custom_hostnames';

describe('custom domains: Cloudflare for SaaS', () => {
  it('registers the hostname with http DV, polls it on Check status and records when it is active', async () => {
    const host = await createHost();
    const hostname = `portal.${uniqueId()}.example.com`;
    let state = { status: 'pending', ssl: { status: 'initializing', method: 'http', type: 'dv' }, verification_errors: ['custom hostname does not CNAME to this zone.'] };
    const cf = fakeCloudflare((call) => {
      if (call.method === 'POST') return ok({ id: 'cf-1', hostname, ...state });
      return ok({ id: 'cf-1', hostname, ...state });
    });

    const domain = await addDomain(db(), cfEnv, host.owner.session, { hostname }, { fetch: cf.fetch });
    expect(cf.calls).toEqual([{ method: 'POST', url: BASE, authorization: 'Bearer cf-test-token', body: { hostname, ssl: { method: 'http', type: 'dv' } } }]);
    expect(domain).toMatchObject({ hostname, status: 'pending', cloudflareId: 'cf-1', verifiedAt: null });
    expect(domain.detail).toContain('custom hostname does not CNAME to this zone.');

    // Certificate waiting for validation: read it, then ask Cloudflare to validate again (PATCH).
    state = { status: 'pending', ssl: { status: 'pending_validation', method: 'http', type: 'dv' }, verification_errors: [] };
    const waiting = await checkDomain(db(), cfEnv, host.owner.session, domain.id, { fetch: cf.fetch });
    expect(cf.calls.slice(1).map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', `${BASE}/cf-1`, null],
      ['PATCH', `${BASE}/cf-1`, { ssl: { method: 'http', type: 'dv' } }],
    ]);
    expect(waiting.status).toBe('pending');

    state = { status: 'active', ssl: { status: 'active', method: 'http', type: 'dv' }, verification_errors: [] };
    // The ownership TXT record is in place (issue 11: test/security/hardening-domains.test.ts covers it missing).
    const resolveTxt = async (name: string) => (name === `_hashyard.${hostname}` ? [`hashyard-verify=${domain.ownershipToken}`] : []);
    const active = await checkDomain(db(), cfEnv, host.owner.session, domain.id, { fetch: cf.fetch, resolveTxt });
    expect(active).toMatchObject({ status: 'active', detail: null });
    expect(active.verifiedAt).toBeGreaterThan(0);
    expect(await findActiveDomain(db(), hostname)).toEqual({ hostId: host.hostId, hostname });
    expect((await domainActivity(host)).map((e) => [e.action, JSON.parse(e.changes!)])).toEqual([
      ['domain.added', { hostname: [null, hostname] }],
      ['domain.status_changed', { [hostname]: ['pending', 'active'] }],
    ]);
  });

  it('marks a blocked hostname or a timed-out certificate failed, with the reason', async () => {
    const host = await createHost();
    const hostname = `portal.${uniqueId()}.example.com`;
    const cf = fakeCloudflare(() => ok({ id: 'cf-2', hostname, status: 'blocked', ssl: { status: 'validation_timed_out', validation_errors: [{ message: 'caa_error: blocked' }] } }));
    const domain = await addDomain(db(), cfEnv, host.owner.session, { hostname }, { fetch: cf.fetch });
    expect(domain.status).toBe('failed');
    expect(domain.detail).toContain('caa_error: blocked');
    expect(domain.detail).toContain('blocked');
  });

  it('keeps the row as failed with Cloudflare’s message when registration is refused, and registers again on Check status', async () => {
    const host = await createHost();
    const hostname = `portal.${uniqueId()}.example.com`;
    let refuse = true;
    const cf = fakeCloudflare(() =>
      refuse
        ? { status: 409, body: { success: false, errors: [{ code: 1406, message: 'Duplicate custom hostname found.' }], messages: [], result: null } }
        : ok({ id: 'cf-3', hostname, status: 'pending', ssl: { status: 'initializing' } }),
    );
    const domain = await addDomain(db(), cfEnv, host.owner.session, { hostname }, { fetch: cf.fetch });
    expect(domain).toMatchObject({ status: 'failed', cloudflareId: null });
    expect(domain.detail).toBe('Cloudflare refused the request: Duplicate custom hostname found. (1406)');

    refuse = false;
    const retried = await checkDomain(db(), cfEnv, host.owner.session, domain.id, { fetch: cf.fetch });
    expect(cf.calls.map((c) => c.method)).toEqual(['POST', 'POST']);
    expect(retried).toMatchObject({ status: 'pending', cloudflareId: 'cf-3' });
  });

  it('shows Cloudflare’s messages escaped', async () => {
    const host = await createHost();
    const hostname = `portal.${uniqueId()}.example.com`;
    const cf = fakeCloudflare(() => ok({ id: 'cf-4', hostname, status: 'pending', ssl: { status: 'initializing' }, verification_errors: ['<img src=x onerror=alert(1)>'] }));
    await addDomain(db(), cfEnv, host.owner.session, { hostname }, { fetch: cf.fetch });
    const page = await render(
      jsx(DomainsPage, {
        session: host.owner.session,
        domains: await listDomains(db(), host.hostId),
        mode: 'cloudflare',
        target: 'app.hashyard.example',
        linkBase: { protocol: 'https:', port: '' },
      }),
    );
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('Check status');
    expect(page).not.toContain('Verify (development)');
  });

  it('deletes the hostname at Cloudflare before removing it here; a refusal keeps it', async () => {
    const host = await createHost();
    const hostname = `portal.${uniqueId()}.example.com`;
    let deleteStatus = 500;
    const cf = fakeCloudflare((call) => {
      if (call.method === 'DELETE') {
        return deleteStatus === 200
          ? ok({ id: 'cf-5' })
          : { status: deleteStatus, body: { success: false, errors: [{ code: 1000, message: 'Internal error' }], messages: [], result: null } };
      }
      return ok({ id: 'cf-5', hostname, status: 'pending', ssl: { status: 'initializing' } });
    });
    const domain = await addDomain(db(), cfEnv, host.owner.session, { hostname }, { fetch: cf.fetch });

    const refused = removeDomain(db(), cfEnv, host.owner.session, domain.id, { fetch: cf.fetch });
    await expect(refused).rejects.toBeInstanceOf(AppError);
    await expect(refused).rejects.toMatchObject({ code: 'conflict' });
    expect(await domainRow(domain.id)).toBeDefined();

    deleteStatus = 200;
    await removeDomain(db(), cfEnv, host.owner.session, domain.id, { fetch: cf.fetch });
    expect(cf.calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual([`${BASE}/cf-5`, `${BASE}/cf-5`]);
    expect(await domainRow(domain.id)).toBeUndefined();
  });

  it('removes a hostname Cloudflare no longer has (404)', async () => {
    const host = await createHost();
    const hostname = `portal.${uniqueId()}.example.com`;
    const cf = fakeCloudflare((call) =>
      call.method === 'DELETE'
        ? { status: 404, body: { success: false, errors: [{ code: 1436, message: 'Custom hostname not found.' }], messages: [], result: null } }
        : ok({ id: 'cf-6', hostname, status: 'pending', ssl: { status: 'initializing' } }),
    );
    const domain = await addDomain(db(), cfEnv, host.owner.session, { hostname }, { fetch: cf.fetch });
    await removeDomain(db(), cfEnv, host.owner.session, domain.id, { fetch: cf.fetch });
    expect(await domainRow(domain.id)).toBeUndefined();
  });

  it("cannot reach another host's domain through the services either", async () => {
    const host = await createHost();
    const other = await createHost();
    const cf = fakeCloudflare(() => ok({ id: 'cf-7', hostname: 'x', status: 'active', ssl: { status: 'active' } }));
    const theirs = await addDomain(db(), cfEnv, other.owner.session, { hostname: `portal.${uniqueId()}.example.com` }, { fetch: cf.fetch });
    const calls = cf.calls.length;
    await expect(checkDomain(db(), cfEnv, host.owner.session, theirs.id, { fetch: cf.fetch })).rejects.toMatchObject({ code: 'not_found' });
    await expect(removeDomain(db(), cfEnv, host.owner.session, theirs.id, { fetch: cf.fetch })).rejects.toMatchObject({ code: 'not_found' });
    expect(cf.calls.length).toBe(calls);
    expect(await domainRow(theirs.id)).toBeDefined();
  });
});
