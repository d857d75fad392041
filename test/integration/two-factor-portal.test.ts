import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog } from '../../src/db/schema';
import { PENDING_COOKIE, REMEMBER_COOKIE } from '../../src/security/two-factor';
import { addMember, createHost, createTestCustomer, db, getPage, postForm, sessionCookieFrom, uniqueId } from '../helpers/fixtures';
import { acceptInvite, portalCookieFrom, setHostSlug, staffInvite } from '../helpers/portal';
import { cookieFrom, enrolThroughPages } from '../helpers/two-factor';

const ip = () => ({ 'CF-Connecting-IP': `203.0.113.${Math.floor(Math.random() * 250)}-${uniqueId()}` });

async function portalMember(name: string) {
  const host = await createHost(name);
  const slug = await setHostSlug(host);
  const customer = await createTestCustomer(host);
  const email = `member-${uniqueId()}@customer.example`;
  const { token } = await staffInvite(host, customer.id, email, 'owner');
  const { password, cookie } = await acceptInvite(`/host/${slug}`, token, email);
  return { host, customer, base: `/host/${slug}`, email, password, cookie };
}

const signInPassword = (base: string, email: string, password: string, cookie?: string) => postForm(`${base}/auth`, { email, password }, { headers: ip(), cookie });

describe('portal two-factor sign-in', () => {
  it('enrols from the profile, then signs in with a code; a recovery code works once; remember and disable', async () => {
    const m = await portalMember('Portal 2FA Host');
    const profile = await (await getPage(`${m.base}/profile`, { cookie: m.cookie })).text();
    expect(profile).toContain('Set up two-factor sign-in');
    const { app, recoveryCodes, cookie } = await enrolThroughPages(`${m.base}/profile/two-factor`, m.cookie, portalCookieFrom);
    expect((await getPage(m.base, { cookie: m.cookie })).status).toBe(303); // other sessions ended
    expect((await getPage(m.base, { cookie })).status).toBe(200);
    const logged = await db().select().from(activityLog).where(and(eq(activityLog.hostId, m.host.hostId), eq(activityLog.action, 'two_factor.enabled'))).all();
    expect(logged).toHaveLength(1);

    const first = await signInPassword(m.base, m.email, m.password);
    expect(first.status).toBe(303);
    expect(first.headers.get('Location')).toBe(`${m.base}/auth/two-factor`);
    expect(portalCookieFrom(first)).toBeNull();
    const pending = cookieFrom(first, PENDING_COOKIE)!;
    expect((await getPage(`${m.base}/auth/two-factor`, { cookie: pending })).status).toBe(200);
    const signedIn = await postForm(`${m.base}/auth/two-factor`, { code: await app.code(), remember: 'on' }, { cookie: pending });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('Location')).toBe(m.base);
    const session = portalCookieFrom(signedIn)!;
    expect((await getPage(m.base, { cookie: session })).status).toBe(200);

    // Remembered: the next password sign-in from this browser goes straight in.
    const remembered = cookieFrom(signedIn, REMEMBER_COOKIE)!;
    const direct = await signInPassword(m.base, m.email, m.password, remembered);
    expect(direct.headers.get('Location')).toBe(m.base);
    expect(portalCookieFrom(direct)).toBeTruthy();

    // A recovery code, once.
    const p2 = cookieFrom(await signInPassword(m.base, m.email, m.password), PENDING_COOKIE)!;
    expect((await postForm(`${m.base}/auth/two-factor`, { code: recoveryCodes[0]! }, { cookie: p2 })).status).toBe(303);
    const p3 = cookieFrom(await signInPassword(m.base, m.email, m.password), PENDING_COOKIE)!;
    expect((await postForm(`${m.base}/auth/two-factor`, { code: recoveryCodes[0]! }, { cookie: p3 })).status).toBe(422);

    // Turning it off needs the password and a code.
    const wrong = await postForm(`${m.base}/profile/two-factor/disable`, { password: 'wrong password!', code: recoveryCodes[1]! }, { cookie: session });
    expect(wrong.status).toBe(422);
    const off = await postForm(`${m.base}/profile/two-factor/disable`, { password: m.password, code: await app.code() }, { cookie: session });
    expect(off.status).toBe(303);
    const plain = await signInPassword(m.base, m.email, m.password);
    expect(plain.headers.get('Location')).toBe(m.base);
  });

  it('a host requirement sends portal accounts without two-factor to set-up after sign-in', async () => {
    const m = await portalMember('Portal Required Host');
    // The owner must have two-factor before requiring it of staff, not of the portal.
    const saved = await postForm('/admin/settings/security', { require_portal: 'on' }, { cookie: m.host.owner.cookie });
    expect(saved.status).toBe(303);

    const signIn = await signInPassword(m.base, m.email, m.password);
    const session = portalCookieFrom(signIn)!;
    for (const path of ['', '/equipment', '/invoices', '/agreements']) {
      const res = await getPage(`${m.base}${path}`, { cookie: session });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe(`${m.base}/profile/two-factor?required=1`);
    }
    const setup = await getPage(`${m.base}/profile/two-factor?required=1`, { cookie: session });
    expect(setup.status).toBe(200);
    expect(await setup.text()).toContain('Your organisation requires two-factor sign-in');
    const { cookie } = await enrolThroughPages(`${m.base}/profile/two-factor`, session, portalCookieFrom);
    expect((await getPage(m.base, { cookie })).status).toBe(200);
  });
});

describe('staff two-factor requirement', () => {
  it('only the owner sets it, and only with two-factor on themselves', async () => {
    const host = await createHost('Staff Requirement Host');
    const admin = await addMember(host, 'admin');
    expect((await postForm('/admin/settings/security', { require_staff: 'on' }, { cookie: admin.cookie })).status).toBe(403);
    const refused = await postForm('/admin/settings/security', { require_staff: 'on' }, { cookie: host.owner.cookie });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('Turn on two-factor sign-in for your own account first');

    const { cookie: ownerCookie } = await enrolThroughPages('/admin/account/two-factor', host.owner.cookie);
    expect((await postForm('/admin/settings/security', { require_staff: 'on' }, { cookie: ownerCookie })).status).toBe(303);
    expect(await (await getPage('/admin/settings/security', { cookie: ownerCookie })).text()).toMatch(/name="require_staff" checked/);

    // The admin without two-factor can open only its set-up (and the host picker).
    for (const path of ['/admin/customers', '/admin/settings', '/admin/account']) {
      const res = await getPage(path, { cookie: admin.cookie });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe('/admin/account/two-factor?required=1');
    }
    const htmx = await getPage('/admin/customers', { cookie: admin.cookie, htmx: true });
    expect(htmx.headers.get('HX-Redirect')).toBe('/admin/account/two-factor?required=1');
    expect((await getPage('/admin/account/two-factor', { cookie: admin.cookie })).status).toBe(200);
    const { cookie: adminCookie } = await enrolThroughPages('/admin/account/two-factor', admin.cookie, sessionCookieFrom);
    expect((await getPage('/admin/customers', { cookie: adminCookie })).status).toBe(200);
  });
});
