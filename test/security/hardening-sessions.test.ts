import { describe, expect, it } from 'vitest';
import { createHost, createTestCustomer, getPage, postForm, sessionCookieFrom } from '../helpers/fixtures';
import { acceptInvite, portalCookieFrom, setHostSlug, staffInvite } from '../helpers/portal';

/** Issue 11, weakness 5: portal sign-out ends the session; recent sign-ins and sign out everywhere. */

async function portalMember(name: string) {
  const host = await createHost(name);
  const slug = await setHostSlug(host);
  const customer = await createTestCustomer(host);
  const email = `member-${crypto.randomUUID().slice(0, 8)}@customer.example`;
  const { token } = await staffInvite(host, customer.id, email, 'owner');
  const { password } = await acceptInvite(`/host/${slug}`, token, email);
  return { host, base: `/host/${slug}`, email, password };
}

describe('weakness 5: sign-out ends the session', () => {
  it('a copied portal cookie stops working once its owner signs out', async () => {
    const { base, email, password } = await portalMember('Copied Cookie Host');
    const signIn = await postForm(`${base}/auth`, { email, password }, { headers: { 'CF-Connecting-IP': '203.0.113.7', 'User-Agent': 'Test Browser/1.0' } });
    expect(signIn.status).toBe(303);
    const cookie = portalCookieFrom(signIn)!;
    const copy = cookie;
    expect((await getPage(base, { cookie: copy })).status).toBe(200);

    // The profile lists the sign-in, with where it came from.
    const profile = await (await getPage(`${base}/profile`, { cookie })).text();
    expect(profile).toContain('data-testid="sign-ins"');
    expect(profile).toContain('203.0.113.7');
    expect(profile).toContain('Sign out everywhere');

    expect((await postForm(`${base}/auth/logout`, {}, { cookie })).status).toBe(303);
    const after = await getPage(base, { cookie: copy });
    expect(after.status).not.toBe(200);
  });

  it('staff see their recent sign-ins and can sign out everywhere', async () => {
    const host = await createHost('Staff Sign-ins Host');
    const signIn = await postForm('/login', { email: host.owner.email, password: host.owner.password }, { headers: { 'CF-Connecting-IP': '198.51.100.9' } });
    expect(signIn.status).toBe(303);
    const cookie = sessionCookieFrom(signIn)!;
    const page = await (await getPage('/admin/account', { cookie })).text();
    expect(page).toContain('198.51.100.9');
    expect(page).toContain('action="/logout"');
    await postForm('/logout', {}, { cookie });
    expect((await getPage('/admin/account', { cookie })).status).not.toBe(200);
  });
});
