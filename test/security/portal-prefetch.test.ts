import { env } from 'cloudflare:test';
import { decodeJwt, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { PORTAL_COOKIE } from '../../src/portal/session';
import { createHost, getPage } from '../helpers/fixtures';
import { insertAlert, insertSite, portalCustomer } from '../helpers/alerts';
import { reportFleet, seedFleet } from '../helpers/fleet';

/**
 * The dashboard's and Equipment's first reads travel with the session check, scoped by the host
 * and customer the token claims (src/portal/prefetch.ts, request.ts). They may only be shown when
 * the account row confirms both.
 */
async function tokenWith(cookie: string, claims: Record<string, unknown>, drop: string[] = []) {
  const payload = decodeJwt(cookie.slice(`${PORTAL_COOKIE}=`.length)) as Record<string, unknown>;
  for (const key of ['iat', 'exp', 'aud', 'sub', ...drop]) delete payload[key];
  const token = await new SignJWT({ ...payload, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(decodeJwt(cookie.slice(`${PORTAL_COOKIE}=`.length)).sub!)
    .setAudience('hashyard:portal')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(env.SESSION_SECRET));
  return `${PORTAL_COOKIE}=${token}`;
}

describe('portal pages read with the session check (dashboard, Equipment)', () => {
  async function twoCustomers() {
    const host = await createHost('Prefetch Host');
    const site = await insertSite(host, 'Hall A');
    const alice = await portalCustomer(host, 'Alice Mining');
    const bob = await portalCustomer(host, 'Bob Mining');
    const aliceUnits = await seedFleet(host, { siteId: site, customerId: alice.customer.id, count: 3 });
    await reportFleet(host, site, aliceUnits);
    const bobUnits = await seedFleet(host, { siteId: site, customerId: bob.customer.id, count: 7 });
    await reportFleet(host, site, bobUnits);
    await insertAlert(host, { siteId: site, minerId: bobUnits[0]!.id, customerId: bob.customer.id });
    return { host, alice, bob, aliceUnits, bobUnits };
  }

  it('shows the account’s own customer even when a token claims another one', async () => {
    const fleets = await twoCustomers();
    const { alice, bob } = fleets;
    // Signed with the real secret, so only the claim is wrong: the account still belongs to Alice.
    const claimsBob = await tokenWith(alice.cookie, { cid: bob.customer.id });
    const html = await (await getPage(alice.base, { cookie: claimsBob })).text();
    expect(html).toContain('Alice Mining');
    expect(html).toContain('3 miners');
    expect(html).not.toContain('7 miners');
    expect(html).not.toContain('Bob Mining');
    // The Equipment page and its fragments (read with the session check too) list Alice's units only.
    const { aliceUnits, bobUnits } = fleets;
    for (const path of ['/equipment', '/equipment/live', '/equipment?sort=-hashrate', '/equipment/live?status=active']) {
      const page = await (await getPage(`${alice.base}${path}`, { cookie: claimsBob })).text();
      for (const unit of aliceUnits) expect(page, path).toContain(unit.serial);
      for (const unit of bobUnits) expect(page, path).not.toContain(unit.serial);
    }
    // And the honest tokens show each their own.
    expect(await (await getPage(alice.base, { cookie: alice.cookie })).text()).toContain('3 miners');
    expect(await (await getPage(bob.base, { cookie: bob.cookie })).text()).toContain('7 miners');
  });

  it('a token from before the customer claim still signs in and shows the same dashboard', async () => {
    const { alice } = await twoCustomers();
    const legacy = await tokenWith(alice.cookie, {}, ['cid']);
    expect(decodeJwt(legacy.slice(`${PORTAL_COOKIE}=`.length)).cid).toBeUndefined();
    const res = await getPage(alice.base, { cookie: legacy });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('3 miners');
  });

  it('a token of another host reads nothing there: sign in', async () => {
    const { alice } = await twoCustomers();
    const other = await createHost('Other Prefetch Host');
    const otherCustomer = await portalCustomer(other, 'Other Customer');
    const res = await getPage(otherCustomer.base, { cookie: alice.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`${otherCustomer.base}/auth`);
  });
});
