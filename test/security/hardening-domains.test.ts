import { describe, expect, it } from 'vitest';
import { addDomain, checkDomain, findActiveDomain } from '../../src/domains/service';
import type { Bindings } from '../../src/env';
import { createHost, db, getPage, uniqueId } from '../helpers/fixtures';

/**
 * Issue 11, weakness 6: a CNAME pointing at the platform is not proof of ownership. Before the fix
 * Cloudflare's "active" activated the name for whichever host added it first.
 */

const cfEnv = { ENVIRONMENT: 'production', APP_HOST: 'app.hashyard.example', CF_API_TOKEN: 'cf-test-token', CF_ZONE_ID: 'zone123' } as Pick<
  Bindings,
  'APP_HOST' | 'ENVIRONMENT' | 'CF_API_TOKEN' | 'CF_ZONE_ID'
>;

/** Cloudflare for SaaS answering every call with an active custom hostname. */
const activeCloudflare = (hostname: string) =>
  (async () =>
    new Response(JSON.stringify({ success: true, errors: [], messages: [], result: { id: 'cf-9', hostname, status: 'active', ssl: { status: 'active' }, verification_errors: [] } }), {
      headers: { 'Content-Type': 'application/json' },
    })) as typeof fetch;

describe('weakness 6: custom domains need a TXT ownership proof', () => {
  it('stays pending, naming the record, until _hashyard.<name> holds the token; a removed record takes it down on the next check', async () => {
    const host = await createHost('Domain Proof Host');
    const hostname = `portal.${uniqueId()}.example.com`;
    const fetch = activeCloudflare(hostname);
    let txt: string[] = [];
    const resolveTxt = async (name: string) => (name === `_hashyard.${hostname}` ? txt : []);

    const added = await addDomain(db(), cfEnv, host.owner.session, { hostname }, { fetch, resolveTxt });
    expect(added.ownershipToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(added.status).toBe('pending');
    expect(added.detail).toContain(`_hashyard.${hostname}`);
    expect(added.detail).toContain(`hashyard-verify=${added.ownershipToken}`);
    expect(await findActiveDomain(db(), hostname)).toBeNull();

    txt = ['hashyard-verify=someone-elses-token'];
    expect((await checkDomain(db(), cfEnv, host.owner.session, added.id, { fetch, resolveTxt })).status).toBe('pending');

    txt = [`hashyard-verify=${added.ownershipToken}`];
    expect((await checkDomain(db(), cfEnv, host.owner.session, added.id, { fetch, resolveTxt })).status).toBe('active');
    expect(await findActiveDomain(db(), hostname)).toEqual({ hostId: host.hostId, hostname });

    txt = [];
    expect((await checkDomain(db(), cfEnv, host.owner.session, added.id, { fetch, resolveTxt })).status).toBe('pending');
    expect(await findActiveDomain(db(), hostname)).toBeNull();
  });

  it('the Domains settings page shows the TXT record to add', async () => {
    const host = await createHost('Domain Page Host');
    const hostname = `portal.${uniqueId()}.example.com`;
    const added = await addDomain(db(), cfEnv, host.owner.session, { hostname }, { fetch: activeCloudflare(hostname), resolveTxt: async () => [] });
    const html = await (await getPage('/admin/settings/domains', { cookie: host.owner.cookie })).text();
    expect(html).toContain(`_hashyard.${hostname} TXT hashyard-verify=${added.ownershipToken}`);
  });
});
