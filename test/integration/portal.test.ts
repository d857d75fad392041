import { SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, customers, customerUsers, emailOutbox, hosts, invites } from '../../src/db/schema';
import { createHost, createTestCustomer, db, getPage, postForm } from '../helpers/fixtures';
import { acceptInvite, addActiveDomain, inviteRow, latestEmail, portalCookieFrom, setHostSlug, staffInvite, tokenOf } from '../helpers/portal';

async function hostWithMember(name: string, customerFields: Record<string, unknown> = {}) {
  const host = await createHost(name);
  const slug = await setHostSlug(host);
  const customer = await createTestCustomer(host, { name: `${name} Customer`, notes: 'INTERNAL-NOTE-DO-NOT-SHOW', ...customerFields });
  const email = `owner-${crypto.randomUUID().slice(0, 8)}@customer.example`;
  const { token } = await staffInvite(host, customer.id, email, 'owner');
  const { cookie, password } = await acceptInvite(`/host/${slug}`, token, email);
  return { host, slug, customer, email, cookie, password, base: `/host/${slug}` };
}

describe('invitations from the Team tab', () => {
  it('are refused with a clear message while the host has no host slug', async () => {
    const host = await createHost('No Slug Host');
    const customer = await createTestCustomer(host);
    const res = await postForm(`/admin/customers/${customer.id}/team/invites`, { email: 'a@b.example', role: 'owner' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('Set a host slug');
    expect(await db().select().from(invites).where(eq(invites.hostId, host.hostId)).all()).toHaveLength(0);
  });

  it('write the invite and its email together, linking to the branded auth page, and log it', async () => {
    const host = await createHost('Invite Host');
    const slug = await setHostSlug(host);
    const customer = await createTestCustomer(host);
    const { token, mail } = await staffInvite(host, customer.id, 'New.Person@Example.com', 'owner');
    expect(mail.toEmail).toBe('new.person@example.com');
    expect(mail.status).toBe('queued');
    expect(mail.data.acceptUrl).toBe(`https://hashyard.test/host/${slug}/auth/invite/${token}`);
    expect(mail.subject).toContain('Invite Host');
    const invite = await inviteRow(token);
    expect(invite?.email).toBe('new.person@example.com');
    expect(invite!.expiresAt - invite!.createdAt).toBe(7 * 24 * 60 * 60 * 1000);
    expect(invite?.tokenHash).not.toBe(token);
    const log = await db().select().from(activityLog).where(and(eq(activityLog.customerId, customer.id), eq(activityLog.action, 'invite.sent'))).all();
    expect(log).toHaveLength(1);
  });

  it('use the verified custom domain in the link when there is one', async () => {
    const host = await createHost('Domain Invite Host');
    await setHostSlug(host);
    await addActiveDomain(host, `portal-${host.slug}.localhost`);
    const customer = await createTestCustomer(host);
    const { token, mail } = await staffInvite(host, customer.id, 'dom@example.com');
    expect(mail.data.acceptUrl).toBe(`https://portal-${host.slug}.localhost/auth/invite/${token}`);
  });

  it('refuse a second pending invite to the same email, and a current member', async () => {
    const { host, customer, email } = await hostWithMember('Dup Host');
    const again = await postForm(`/admin/customers/${customer.id}/team/invites`, { email, role: 'member' }, { cookie: host.owner.cookie });
    expect(again.status).toBe(422);
    expect(await again.text()).toContain('already on the team');
    await postForm(`/admin/customers/${customer.id}/team/invites`, { email: 'p@example.com', role: 'member' }, { cookie: host.owner.cookie });
    const dup = await postForm(`/admin/customers/${customer.id}/team/invites`, { email: 'p@example.com', role: 'member' }, { cookie: host.owner.cookie });
    expect(dup.status).toBe(422);
    expect(await dup.text()).toContain('already pending');
  });

  it('can be resent (new link, old one dead) and revoked', async () => {
    const host = await createHost('Resend Host');
    const slug = await setHostSlug(host);
    const customer = await createTestCustomer(host);
    const first = await staffInvite(host, customer.id, 'resend@example.com');
    const invite = await inviteRow(first.token);
    const resend = await postForm(`/admin/customers/${customer.id}/team/invites/${invite!.id}/resend`, {}, { cookie: host.owner.cookie });
    expect(resend.status).toBe(303);
    const second = tokenOf((await latestEmail('resend@example.com', 'invite')).data.acceptUrl ?? '');
    expect(second).not.toBe(first.token);
    expect((await getPage(`/host/${slug}/auth/invite/${first.token}`)).status).toBe(404);
    expect((await getPage(`/host/${slug}/auth/invite/${second}`)).status).toBe(200);
    const revoke = await postForm(`/admin/customers/${customer.id}/team/invites/${invite!.id}/revoke`, {}, { cookie: host.owner.cookie });
    expect(revoke.status).toBe(303);
    const page = await getPage(`/host/${slug}/auth/invite/${second}`);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('withdrawn');
    const accept = await postForm(`/host/${slug}/auth/invite/${second}`, { email: 'resend@example.com', name: 'X', password: 'long enough pw' });
    expect(accept.status).toBe(410);
    expect(await db().select().from(customerUsers).where(eq(customerUsers.email, 'resend@example.com')).all()).toHaveLength(0);
  });
});

describe('accepting an invitation', () => {
  it('creates a member of that customer (never host staff), signs them in, and cannot be reused', async () => {
    const host = await createHost('Accept Host');
    const slug = await setHostSlug(host);
    const customer = await createTestCustomer(host, { name: 'Accepting Customer' });
    const { token } = await staffInvite(host, customer.id, 'joiner@example.com', 'owner');

    const page = await getPage(`/host/${slug}/auth/invite/${token}`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Accepting Customer');
    expect(html).toContain('Accept Host');
    expect(html).not.toContain('Hashyard');

    const mismatch = await postForm(`/host/${slug}/auth/invite/${token}`, { email: 'someone-else@example.com', name: 'J', password: 'long enough pw' });
    expect(mismatch.status).toBe(422);
    expect(await mismatch.text()).toContain('Use the email address this invitation was sent to.');

    const ok = await postForm(`/host/${slug}/auth/invite/${token}`, { email: 'joiner@example.com', name: 'Joiner', password: 'long enough pw' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toBe(`/host/${slug}`);
    const cookie = portalCookieFrom(ok);
    expect(ok.headers.get('Set-Cookie')).toMatch(/HttpOnly; Secure; SameSite=Lax/);
    const member = await db().select().from(customerUsers).where(eq(customerUsers.email, 'joiner@example.com')).get();
    expect(member).toMatchObject({ customerId: customer.id, hostId: host.hostId, role: 'owner' });

    const dashboard = await getPage(`/host/${slug}`, { cookie: cookie! });
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain('Accepting Customer');

    // Portal accounts are not staff: the admin app does not know them.
    expect((await getPage('/admin/customers', { cookie: cookie! })).status).toBe(303);
    const reuse = await postForm(`/host/${slug}/auth/invite/${token}`, { email: 'joiner@example.com', name: 'Joiner', password: 'long enough pw' });
    expect(reuse.status).toBe(410);
    expect(await reuse.text()).toContain('already been used');
  });

  it('refuses an expired invitation', async () => {
    const host = await createHost('Expiry Host');
    const slug = await setHostSlug(host);
    const customer = await createTestCustomer(host);
    const { token } = await staffInvite(host, customer.id, 'late@example.com');
    await db().update(invites).set({ expiresAt: Date.now() - 1 }).where(eq(invites.email, 'late@example.com'));
    const res = await postForm(`/host/${slug}/auth/invite/${token}`, { email: 'late@example.com', name: 'L', password: 'long enough pw' });
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('expired');
    expect(await db().select().from(customerUsers).where(eq(customerUsers.email, 'late@example.com')).all()).toHaveLength(0);
  });

  it('an invite token of one host means nothing on another host', async () => {
    const a = await createHost('Token Host A');
    await setHostSlug(a);
    const b = await createHost('Token Host B');
    const slugB = await setHostSlug(b);
    const customer = await createTestCustomer(a);
    const { token } = await staffInvite(a, customer.id, 'cross@example.com');
    expect((await getPage(`/host/${slugB}/auth/invite/${token}`)).status).toBe(404);
  });
});

describe('portal sessions', () => {
  it('sign in and out on the branded page; the main slug works as a fallback', async () => {
    const { host, slug, email, password } = await hostWithMember('Signin Host');
    const bad = await postForm(`/host/${slug}/auth`, { email, password: 'wrong password!' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Email or password is incorrect.');
    const good = await postForm(`/host/${host.slug}/auth`, { email, password });
    expect(good.status).toBe(303);
    expect(good.headers.get('Location')).toBe(`/host/${host.slug}`);
    const cookie = portalCookieFrom(good)!;
    expect((await getPage(`/host/${host.slug}/team`, { cookie })).status).toBe(200);
    const out = await postForm(`/host/${slug}/auth/logout`, {}, { cookie });
    expect(out.headers.get('Set-Cookie')).toMatch(/__Host-hy_portal=;/);
  });

  it("a portal session of host A is useless on host B's slug and domain", async () => {
    const a = await hostWithMember('Session Host A');
    const b = await hostWithMember('Session Host B');
    await addActiveDomain(b.host, `portal-${b.slug}.localhost`);
    const onB = await getPage(`${b.base}/team`, { cookie: a.cookie });
    expect(onB.status).toBe(303);
    expect(onB.headers.get('Location')).toBe(`${b.base}/auth`);
    const onDomain = await SELF.fetch(`https://portal-${b.slug}.localhost/team`, { headers: { Cookie: a.cookie }, redirect: 'manual' });
    expect(onDomain.status).toBe(303);
    expect(onDomain.headers.get('Location')).toBe('/auth');
  });

  it('never shows internal notes or another customer', async () => {
    const { host, base, cookie, customer } = await hostWithMember('Privacy Host');
    await createTestCustomer(host, { name: 'Other Customer Of Same Host' });
    for (const path of ['', '/equipment', '/invoices', '/alerts', '/support', '/team', '/profile']) {
      const html = await (await getPage(`${base}${path}`, { cookie })).text();
      expect(html, path).toContain(customer.name);
      expect(html, path).not.toContain('INTERNAL-NOTE-DO-NOT-SHOW');
      expect(html, path).not.toContain('Other Customer Of Same Host');
      expect(html, path).not.toContain('Hashyard');
    }
  });

  it('a removed member, Portal Access off and an inactive account are locked out on the next request', async () => {
    const { host, base, cookie, customer, email, password } = await hostWithMember('Lockout Host');
    const member = await db().select().from(customerUsers).where(eq(customerUsers.email, email)).get();

    await db().update(customers).set({ portalAccess: false }).where(eq(customers.id, customer.id));
    let res = await getPage(base, { cookie });
    expect(res.headers.get('Location')).toBe(`${base}/auth?reason=portal_access_off`);
    const blocked = await postForm(`${base}/auth`, { email, password });
    expect(blocked.status).toBe(403);
    expect(await blocked.text()).toContain('Portal access is turned off');

    await db().update(customers).set({ portalAccess: true, active: false }).where(eq(customers.id, customer.id));
    res = await getPage(base, { cookie });
    expect(res.headers.get('Location')).toBe(`${base}/auth?reason=inactive`);
    expect(await (await getPage(`${base}/auth?reason=inactive`)).text()).toContain('Your account is inactive');

    await db().update(customers).set({ active: true }).where(eq(customers.id, customer.id));
    expect((await getPage(base, { cookie })).status).toBe(200);
    const removal = await postForm(`/admin/customers/${customer.id}/team/members/${member!.id}/remove`, {}, { cookie: host.owner.cookie });
    expect(removal.status).toBe(303);
    res = await getPage(base, { cookie });
    expect(res.headers.get('Location')).toBe(`${base}/auth?reason=locked_out`);
    expect((await postForm(`${base}/auth`, { email, password })).status).toBe(422);
  });
});

describe('customer team management', () => {
  it('the customer owner invites a teammate and removes them; a member can do neither', async () => {
    const { host, base, cookie, customer } = await hostWithMember('Team Host');
    const invite = await postForm(`${base}/team/invites`, { email: 'mate@example.com', role: 'member' }, { cookie });
    expect(invite.status).toBe(303);
    const mail = await latestEmail('mate@example.com', 'invite');
    expect(mail.data.acceptUrl).toContain(`${base}/auth/invite/`);
    const mate = await acceptInvite(base, tokenOf(mail.data.acceptUrl ?? ''), 'mate@example.com', 'Mate');
    const mateRow = await db().select().from(customerUsers).where(eq(customerUsers.email, 'mate@example.com')).get();
    expect(mateRow).toMatchObject({ customerId: customer.id, role: 'member' });

    const denied = await postForm(`${base}/team/invites`, { email: 'third@example.com', role: 'member' }, { cookie: mate.cookie });
    expect(denied.status).toBe(403);
    expect(await db().select().from(invites).where(eq(invites.email, 'third@example.com')).all()).toHaveLength(0);

    const hostTeam = await (await getPage(`/admin/customers/${customer.id}/team`, { cookie: host.owner.cookie })).text();
    expect(hostTeam).toContain('mate@example.com');

    const removed = await postForm(`${base}/team/members/${mateRow!.id}/remove`, {}, { cookie });
    expect(removed.status).toBe(303);
    expect((await getPage(base, { cookie: mate.cookie })).status).toBe(303);
  });

  it('the host sets the team name shown in the portal', async () => {
    const { host, base, cookie, customer } = await hostWithMember('Team Name Host');
    const res = await postForm(`/admin/customers/${customer.id}/team/name`, { team_name: 'Rig Crew' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(await (await getPage(`${base}/team`, { cookie })).text()).toContain('Rig Crew');
  });

  it("staff of another host cannot touch this customer's team", async () => {
    const { customer } = await hostWithMember('Team Owner Host');
    const other = await createHost('Team Intruder Host');
    expect((await postForm(`/admin/customers/${customer.id}/team/name`, { team_name: 'x' }, { cookie: other.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/customers/${customer.id}/team/invites`, { email: 'x@example.com' }, { cookie: other.owner.cookie })).status).toBe(404);
    expect((await postForm(`/admin/customers/${customer.id}/view-portal`, {}, { cookie: other.owner.cookie })).status).toBe(404);
    expect((await getPage(`/admin/customers/${customer.id}/portal`, { cookie: other.owner.cookie })).status).toBe(404);
  });
});

describe('View Portal', () => {
  it('shows staff exactly the customer portal, read-only with a banner, and records it', async () => {
    const { host, customer, base, cookie } = await hostWithMember('Preview Host');
    const enter = await postForm(`/admin/customers/${customer.id}/view-portal`, {}, { cookie: host.owner.cookie });
    expect(enter.status).toBe(303);
    expect(enter.headers.get('Location')).toBe(`/admin/customers/${customer.id}/portal`);
    const viewed = await db().select().from(activityLog).where(and(eq(activityLog.customerId, customer.id), eq(activityLog.action, 'portal.viewed'))).all();
    expect(viewed).toHaveLength(1);

    const preview = await (await getPage(`/admin/customers/${customer.id}/portal`, { cookie: host.owner.cookie })).text();
    const real = await (await getPage(base, { cookie })).text();
    expect(preview).toContain('read-only');
    expect(preview).toContain(customer.name);
    expect(preview).not.toContain('INTERNAL-NOTE-DO-NOT-SHOW');
    const main = (html: string) => html.slice(html.indexOf('<main'), html.indexOf('</main>')).replace(/Welcome[^<]*/, '');
    expect(main(preview)).toBe(main(real).replace(new RegExp(base, 'g'), `/admin/customers/${customer.id}/portal`));

    const team = await (await getPage(`/admin/customers/${customer.id}/portal/team`, { cookie: host.owner.cookie })).text();
    expect(team).toMatch(/<fieldset[^>]*disabled/);
    const write = await postForm(`/admin/customers/${customer.id}/portal/team/invites`, { email: 'sneaky@example.com', role: 'member' }, { cookie: host.owner.cookie });
    expect(write.status).toBe(403);
    expect(await db().select().from(invites).where(eq(invites.email, 'sneaky@example.com')).all()).toHaveLength(0);
  });
});

describe('custom domains and slugs', () => {
  it('a verified domain serves the portal at /; pending and unknown hostnames are 404', async () => {
    const host = await createHost('Custom Domain Host');
    await setHostSlug(host);
    await addActiveDomain(host, `portal-${host.slug}.localhost`);
    await addActiveDomain(host, `pending-${host.slug}.localhost`, 'pending');
    const auth = await SELF.fetch(`https://portal-${host.slug}.localhost/auth`);
    expect(auth.status).toBe(200);
    expect(await auth.text()).toContain('Custom Domain Host');
    expect((await SELF.fetch(`https://pending-${host.slug}.localhost/auth`)).status).toBe(404);
    expect((await SELF.fetch('https://nobody.example/auth')).status).toBe(404);
    // The admin app is never served on a customer's domain: signed out, any other path asks
    // for the portal's own sign-in.
    const admin = await SELF.fetch(`https://portal-${host.slug}.localhost/admin/customers`, { redirect: 'manual' });
    expect(admin.status).toBe(303);
    expect(admin.headers.get('Location')).toBe('/auth');
  });

  it('an unknown slug is 404, never a default tenant', async () => {
    expect((await getPage('/host/no-such-host/auth')).status).toBe(404);
  });

  it('serves the host colours as a stylesheet and never injects a bad stored value', async () => {
    const host = await createHost('Brand CSS Host');
    const slug = await setHostSlug(host);
    await db().update(hosts).set({ brandPrimaryColor: '#ff6600', brandAccentColor: 'red;}body{display:none' }).where(eq(hosts.id, host.hostId));
    const css = await (await getPage(`/host/${slug}/brand.css`)).text();
    expect(css).toContain('--brand-primary:#ff6600');
    expect(css).not.toContain('display:none');
  });
});

describe('password reset by email', () => {
  it('sends a branded reset link, answers the same for unknown emails, and the link works once', async () => {
    const { base, email } = await hostWithMember('Reset Host');
    const unknown = await postForm(`${base}/auth/forgot`, { email: 'nobody@example.com' });
    const known = await postForm(`${base}/auth/forgot`, { email });
    expect(unknown.status).toBe(303);
    expect(known.headers.get('Location')).toBe(unknown.headers.get('Location'));
    expect(await db().select().from(emailOutbox).where(eq(emailOutbox.toEmail, 'nobody@example.com')).all()).toHaveLength(0);
    const mail = await latestEmail(email, 'password_reset');
    const token = tokenOf(mail.data.resetUrl ?? '');
    const reset = await postForm(`${base}/auth/reset/${token}`, { password: 'a brand new password' });
    expect(reset.status).toBe(303);
    expect(portalCookieFrom(reset)).not.toBeNull();
    expect((await postForm(`${base}/auth`, { email, password: 'a brand new password' })).status).toBe(303);
    expect((await getPage(`${base}/auth/reset/${token}`)).status).toBe(410);
  });
});

describe('portal security', () => {
  it('refuses cross-origin form posts', async () => {
    const { base, email, password } = await hostWithMember('Csrf Portal Host');
    const res = await postForm(`${base}/auth`, { email, password }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('Set-Cookie')).toBeNull();
  });

  it('shows names with markup as text', async () => {
    const { host, base, cookie, customer } = await hostWithMember('Xss Portal Host', { name: '<script>alert(1)</script>' });
    await postForm(`/admin/customers/${customer.id}/team/name`, { team_name: '"><img src=x onerror=alert(1)>' }, { cookie: host.owner.cookie });
    for (const path of ['', '/team']) {
      const html = await (await getPage(`${base}${path}`, { cookie })).text();
      expect(html, path).not.toContain('<script>alert(1)</script>');
      expect(html, path).not.toContain('<img src=x onerror');
      // The header shows the team name; the dashboard also shows the customer's name.
      expect(html, path).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
      if (path === '') expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });
});
