import { SignJWT } from 'jose';
import { and, eq } from 'drizzle-orm';
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { STAFF_COOKIE } from '../../src/auth/staff-session';
import { hosts, hostUsers, twoFactor } from '../../src/db/schema';
import { createStaffInvite } from '../../src/team/invites';
import { PORTAL_COOKIE } from '../../src/portal/session';
import { PENDING_COOKIE, signPendingSignIn } from '../../src/security/two-factor';
import { createHost, createTestCustomer, db, getPage, lastInviteToken, postForm, sessionCookieFrom, uniqueId } from '../helpers/fixtures';
import { acceptInvite, latestEmail, portalCookieFrom, setHostSlug, staffInvite, tokenOf } from '../helpers/portal';
import { cookieFrom, enrolThroughPages } from '../helpers/two-factor';

const ip = () => ({ 'CF-Connecting-IP': `192.0.2.${Math.floor(Math.random() * 250)}-${uniqueId()}` });
const valueOf = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);

async function staffWithTwoFactor(name: string) {
  const host = await createHost(name);
  const enrolled = await enrolThroughPages('/admin/account/two-factor', host.owner.cookie);
  const first = await postForm('/login', { email: host.owner.email, password: host.owner.password }, { headers: ip() });
  return { host, ...enrolled, pending: cookieFrom(first, PENDING_COOKIE)! };
}

async function portalWithTwoFactor(name: string) {
  const host = await createHost(name);
  const slug = await setHostSlug(host);
  const customer = await createTestCustomer(host);
  const email = `member-${uniqueId()}@customer.example`;
  const { token } = await staffInvite(host, customer.id, email, 'owner');
  const base = `/host/${slug}`;
  const { password, cookie } = await acceptInvite(base, token, email);
  const enrolled = await enrolThroughPages(`${base}/profile/two-factor`, cookie, portalCookieFrom);
  const first = await postForm(`${base}/auth`, { email, password }, { headers: ip() });
  return { host, customer, base, email, password, ...enrolled, pending: cookieFrom(first, PENDING_COOKIE)! };
}

describe('two-factor: the pending cookie is not a session', () => {
  it('a staff pending token in the session cookie opens nothing', async () => {
    const { pending } = await staffWithTwoFactor('Pending Staff Host');
    expect(pending).toBeTruthy();
    for (const cookie of [pending, `${STAFF_COOKIE}=${valueOf(pending)}`]) {
      const res = await getPage('/admin/customers', { cookie });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toMatch(/^\/login/);
    }
  });

  it('a portal pending token in the portal cookie opens nothing', async () => {
    const { base, pending } = await portalWithTwoFactor('Pending Portal Host');
    for (const cookie of [pending, `${PORTAL_COOKIE}=${valueOf(pending)}`]) {
      const res = await getPage(base, { cookie });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toMatch(/\/auth/);
    }
  });

  it('a forged or expired pending cookie is refused, and so is the wrong kind', async () => {
    const { host, app } = await staffWithTwoFactor('Forged Pending Host');
    const claims = { kind: 'staff' as const, accountId: host.owner.userId, hostId: host.hostId, sessionVersion: 2 };
    const forged = await signPendingSignIn('not the platform secret', claims);
    const expired = await new SignJWT({ p: claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(host.owner.userId)
      .setAudience('hashyard:2fa-pending')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(env.SESSION_SECRET));
    const wrongKind = await signPendingSignIn(env.SESSION_SECRET, { ...claims, kind: 'customer' });
    // A right code: the cookie alone is what gets refused (and the code is never spent).
    const code = await app.code();
    for (const token of [forged, expired, wrongKind]) {
      const res = await postForm('/login/two-factor', { code }, { cookie: `${PENDING_COOKIE}=${token}` });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe('/login?expired=1');
      expect(sessionCookieFrom(res)).toBeNull();
    }
  });
});

describe('two-factor: missing session', () => {
  it('the staff set-up pages and the second step need their cookie', async () => {
    for (const path of ['/admin/account/two-factor', '/admin/settings/security']) {
      const res = await getPage(path);
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toMatch(/^\/login\?next=/);
    }
    for (const path of ['/admin/account/two-factor/start', '/admin/account/two-factor/confirm', '/admin/account/two-factor/disable', '/admin/settings/security']) {
      expect((await postForm(path, { code: '123456', password: 'x' })).status).toBe(303);
    }
    expect((await getPage('/login/two-factor')).headers.get('Location')).toBe('/login?expired=1');
    const step = await postForm('/login/two-factor', { code: '123456' });
    expect(step.headers.get('Location')).toBe('/login?expired=1');
    expect(sessionCookieFrom(step)).toBeNull();
  });

  it('the portal set-up pages need a member session', async () => {
    const host = await createHost('Portal Missing Session Host');
    const slug = await setHostSlug(host);
    const res = await getPage(`/host/${slug}/profile/two-factor`);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/host/${slug}/auth`);
    expect((await postForm(`/host/${slug}/profile/two-factor/start`, {})).status).toBe(303);
    expect((await postForm(`/host/${slug}/auth/two-factor`, { code: '123456' })).headers.get('Location')).toBe(`/host/${slug}/auth?expired=1`);
  });
});

describe('two-factor: cross-host', () => {
  it("a portal pending cookie of host A does not sign in on host B's portal", async () => {
    const a = await portalWithTwoFactor('Cross Pending A');
    const bHost = await createHost('Cross Pending B');
    const bSlug = await setHostSlug(bHost);
    const res = await postForm(`/host/${bSlug}/auth/two-factor`, { code: await a.app.code() }, { cookie: a.pending });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/host/${bSlug}/auth?expired=1`);
    expect(portalCookieFrom(res)).toBeNull();
  });

  it("one host's requirement does not touch another host's staff or portal", async () => {
    const a = await createHost('Requirement A');
    const b = await createHost('Requirement B');
    const { cookie } = await enrolThroughPages('/admin/account/two-factor', a.owner.cookie);
    expect((await postForm('/admin/settings/security', { require_staff: 'on', require_portal: 'on' }, { cookie })).status).toBe(303);
    const bRow = await db().select({ staff: hosts.requireStaffTwoFactor, portal: hosts.requirePortalTwoFactor }).from(hosts).where(eq(hosts.id, b.hostId)).get();
    expect(bRow).toEqual({ staff: false, portal: false });
    expect((await getPage('/admin/customers', { cookie: b.owner.cookie })).status).toBe(200);
  });

  it('staff in View Portal cannot enrol or disable two-factor for a customer', async () => {
    const m = await portalWithTwoFactor('View Portal 2FA Host');
    const viewBase = `/admin/customers/${m.customer.id}/portal`;
    expect((await getPage(`${viewBase}/profile/two-factor`, { cookie: m.host.owner.cookie })).status).toBe(303);
    for (const path of ['/start', '/disable', '/recovery-codes']) {
      const res = await postForm(`${viewBase}/profile/two-factor${path}`, { password: 'x', code: '123456' }, { cookie: m.host.owner.cookie });
      expect(res.status).toBe(403);
    }
    const row = await db().select().from(twoFactor).where(and(eq(twoFactor.accountKind, 'customer'), eq(twoFactor.hostId, m.host.hostId))).get();
    expect(row?.enabledAt).toBeTruthy();
  });
});

describe('two-factor: CSRF', () => {
  it('cross-site posts to the two-factor forms and the requirement are refused and change nothing', async () => {
    const { host, cookie, app } = await staffWithTwoFactor('CSRF 2FA Host');
    const evil = { origin: 'https://evil.example', cookie };
    const disable = await postForm('/admin/account/two-factor/disable', { password: host.owner.password, code: await app.code() }, evil);
    expect(disable.status).toBe(403);
    expect(await db().select().from(twoFactor).where(and(eq(twoFactor.accountKind, 'staff'), eq(twoFactor.accountId, host.owner.userId))).get()).toBeTruthy();
    expect((await postForm('/admin/settings/security', { require_staff: 'on' }, evil)).status).toBe(403);
    const row = await db().select({ staff: hosts.requireStaffTwoFactor }).from(hosts).where(eq(hosts.id, host.hostId)).get();
    expect(row?.staff).toBe(false);
    expect((await postForm('/admin/account/two-factor/start', {}, evil)).status).toBe(403);
  });

  it('a cross-site post of the second step does not sign in', async () => {
    const { pending, app } = await staffWithTwoFactor('CSRF Step Host');
    const res = await postForm('/login/two-factor', { code: await app.code() }, { cookie: pending, origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(sessionCookieFrom(res)).toBeNull();
  });
});

describe('two-factor: HTML injection', () => {
  it("the host's and person's names are escaped on the set-up page (the QR carries them as data only)", async () => {
    const host = await createHost('<img src=x onerror=alert(1)>');
    await postForm('/admin/account', { name: '<script>alert(2)</script>' }, { cookie: host.owner.cookie });
    expect((await postForm('/admin/account/two-factor/start', {}, { cookie: host.owner.cookie })).status).toBe(303);
    const html = await (await getPage('/admin/account/two-factor', { cookie: host.owner.cookie })).text();
    expect(html).toContain('<svg');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert(2)');
  });
});

describe('two-factor: no way in with the password alone', () => {
  it('an existing account with two-factor accepts a staff invitation only with its code', async () => {
    const { host, app } = await staffWithTwoFactor('Invite 2FA Home');
    const other = await createHost('Invite 2FA Other');
    await createStaffInvite(db(), env, other.owner.session, { email: host.owner.email, role: 'admin', site_access: 'all' }, 'https://hashyard.test');
    const token = await lastInviteToken(host.owner.email);
    const noCode = await postForm(`/team/invite/${token}`, { password: host.owner.password }, { headers: ip() });
    expect(noCode.status).toBe(422);
    expect(await noCode.text()).toContain('enter the code from your app');
    expect(sessionCookieFrom(noCode)).toBeNull();
    const joined = await db().select().from(hostUsers).where(and(eq(hostUsers.hostId, other.hostId), eq(hostUsers.userId, host.owner.userId))).get();
    expect(joined).toBeUndefined();
    const withCode = await postForm(`/team/invite/${token}`, { password: host.owner.password, code: await app.code() }, { headers: ip() });
    expect(withCode.status).toBe(303);
    expect(sessionCookieFrom(withCode)).toBeTruthy();
  });

  it('a portal password reset leads to the second step, not into the portal', async () => {
    const m = await portalWithTwoFactor('Reset 2FA Host');
    expect((await postForm(`${m.base}/auth/forgot`, { email: m.email }, { headers: ip() })).status).toBe(303);
    const mail = await latestEmail(m.email, 'password_reset');
    const token = tokenOf(mail.data.resetUrl ?? '');
    const reset = await postForm(`${m.base}/auth/reset/${token}`, { password: 'a brand new password' }, { headers: ip() });
    expect(reset.status).toBe(303);
    expect(reset.headers.get('Location')).toBe(`${m.base}/auth/two-factor`);
    expect(portalCookieFrom(reset)).toBeNull();
    const done = await postForm(`${m.base}/auth/two-factor`, { code: await m.app.code() }, { cookie: cookieFrom(reset, PENDING_COOKIE)! });
    expect(done.status).toBe(303);
    expect(portalCookieFrom(done)).toBeTruthy();
  });
});
