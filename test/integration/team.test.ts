import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, emailOutbox, hosts, hostUsers, ownershipTransfers, staffInvites, users } from '../../src/db/schema';
import { acceptStaffInvite } from '../../src/team/invites';
import { addMember, createHost, db, getPage, lastInviteToken, postForm, sessionCookieFrom, uniqueId, type TestHost } from '../helpers/fixtures';

const membership = (host: TestHost, userId: string) =>
  db()
    .select()
    .from(hostUsers)
    .where(and(eq(hostUsers.hostId, host.hostId), eq(hostUsers.userId, userId)))
    .get();
const owners = async (host: TestHost) => (await db().select().from(hostUsers).where(and(eq(hostUsers.hostId, host.hostId), eq(hostUsers.role, 'owner'))).all()).map((row) => row.userId);
const invite = (host: TestHost, email: string, fields: Record<string, string> = {}, cookie = host.owner.cookie) =>
  postForm('/admin/settings/staff/invites', { email, role: 'staff', site_access: 'all', ...fields }, { cookie });
const accept = (token: string, fields: Record<string, string>) => postForm(`/team/invite/${token}`, fields, { headers: { 'CF-Connecting-IP': `accept-${uniqueId()}` } });
const freshEmail = () => `person-${uniqueId()}@example.com`;
const NEW_PERSON = { name: 'New Person', password: 'my own password 1' };

describe('staff invitations', () => {
  it('invites by email; the person chooses their password, joins once, and the link is then spent', async () => {
    const host = await createHost();
    const email = freshEmail();
    const sent = await invite(host, email, { role: 'admin' });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('Location')).toBe('/admin/settings/staff?invited=1');
    const row = await db().select().from(staffInvites).where(eq(staffInvites.email, email)).get();
    expect(row).toMatchObject({ hostId: host.hostId, role: 'admin', acceptedAt: null, revokedAt: null });
    expect(row!.expiresAt - row!.createdAt).toBe(7 * 24 * 60 * 60 * 1000);

    // The email goes through the outbox under the platform's name; only the hash is stored.
    const mail = await db().select().from(emailOutbox).where(eq(emailOutbox.toEmail, email)).get();
    expect(mail).toMatchObject({ template: 'platform_notice', hostId: host.hostId });
    const token = await lastInviteToken(email);
    expect(token.length).toBeGreaterThanOrEqual(43);
    expect(row!.tokenHash).not.toContain(token);

    const list = await (await getPage('/admin/settings/staff?invited=1', { cookie: host.owner.cookie })).text();
    expect(list).toContain('Invitation sent.');
    expect(list).toContain(email);
    expect(list).not.toContain('Initial password');

    const form = await getPage(`/team/invite/${token}`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('Choose a password');

    const bad = await accept(token, { name: '', password: 'short' });
    expect(bad.status).toBe(422);
    expect(await db().select().from(users).where(eq(users.email, email)).get()).toBeUndefined();

    const joined = await accept(token, NEW_PERSON);
    expect(joined.status).toBe(303);
    const cookie = sessionCookieFrom(joined)!;
    expect(cookie).toBeTruthy();
    const user = await db().select().from(users).where(eq(users.email, email)).get();
    expect(await membership(host, user!.id)).toMatchObject({ role: 'admin', siteIds: null });
    expect((await getPage('/admin/customers', { cookie })).status).toBe(200);

    // Single use.
    expect((await accept(token, { name: 'Again', password: 'another password 2' })).status).toBe(409);
    const spent = await getPage(`/team/invite/${token}`);
    expect(spent.status).toBe(409);
    expect(await spent.text()).toContain('already used');
    const joinedEntry = await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'staff.joined'))).get();
    expect(joinedEntry).toBeDefined();
  });

  it('answers the same for an email with an account elsewhere and a new one; the existing account confirms with its password', async () => {
    const host = await createHost();
    const elsewhere = await createHost();
    const newcomer = freshEmail();
    const a = await invite(host, elsewhere.owner.email);
    const b = await invite(host, newcomer);
    expect([a.status, a.headers.get('Location')]).toEqual([b.status, b.headers.get('Location')]);
    const [mailA, mailB] = await Promise.all(
      [elsewhere.owner.email, newcomer].map((to) => db().select({ subject: emailOutbox.subject, template: emailOutbox.template }).from(emailOutbox).where(eq(emailOutbox.toEmail, to)).get()),
    );
    expect(mailA).toEqual(mailB);

    const token = await lastInviteToken(elsewhere.owner.email);
    const page = await (await getPage(`/team/invite/${token}`)).text();
    expect(page).toContain('You already have a Hashyard account');
    const wrong = await accept(token, { password: 'not the password' });
    expect(wrong.status).toBe(422);
    expect(await membership(host, elsewhere.owner.userId)).toBeUndefined();
    const ok = await accept(token, { password: elsewhere.owner.password });
    expect(ok.status).toBe(303);
    expect(await membership(host, elsewhere.owner.userId)).toMatchObject({ role: 'staff' });
    // Their own host is untouched and still theirs.
    expect(await owners(elsewhere)).toEqual([elsewhere.owner.userId]);
  });

  it('expires after 7 days, and a resend gives a fresh link (the old one stops working)', async () => {
    const host = await createHost();
    const email = freshEmail();
    await invite(host, email);
    const oldToken = await lastInviteToken(email);
    await db().update(staffInvites).set({ expiresAt: Date.now() - 1 }).where(eq(staffInvites.email, email));
    const expired = await getPage(`/team/invite/${oldToken}`);
    expect(expired.status).toBe(409);
    expect(await expired.text()).toContain('expired');
    expect((await accept(oldToken, NEW_PERSON)).status).toBe(409);
    expect(await db().select().from(users).where(eq(users.email, email)).get()).toBeUndefined();

    const row = await db().select().from(staffInvites).where(eq(staffInvites.email, email)).get();
    const resent = await postForm(`/admin/settings/staff/invites/${row!.id}/resend`, {}, { cookie: host.owner.cookie });
    expect(resent.status).toBe(303);
    const newToken = await lastInviteToken(email);
    expect(newToken).not.toBe(oldToken);
    expect((await getPage(`/team/invite/${oldToken}`)).status).toBe(404);
    expect((await accept(newToken, NEW_PERSON)).status).toBe(303);
    expect((await db().select().from(staffInvites).where(eq(staffInvites.id, row!.id)).get())!.sendCount).toBe(2);
  });

  it('revokes: the link stops working and nobody joins', async () => {
    const host = await createHost();
    const email = freshEmail();
    await invite(host, email);
    const token = await lastInviteToken(email);
    const row = await db().select().from(staffInvites).where(eq(staffInvites.email, email)).get();
    expect((await postForm(`/admin/settings/staff/invites/${row!.id}/revoke`, {}, { cookie: host.owner.cookie })).status).toBe(303);
    expect((await accept(token, NEW_PERSON)).status).toBe(409);
    expect(await db().select().from(users).where(eq(users.email, email)).get()).toBeUndefined();
    // Revoking again, or resending a revoked invitation, is a conflict.
    expect((await postForm(`/admin/settings/staff/invites/${row!.id}/revoke`, {}, { cookie: host.owner.cookie })).status).toBe(409);
    expect((await postForm(`/admin/settings/staff/invites/${row!.id}/resend`, {}, { cookie: host.owner.cookie })).status).toBe(409);
  });

  it('lets exactly one of two racing accepts join (new account and existing account)', async () => {
    const host = await createHost();
    const email = freshEmail();
    await invite(host, email);
    const token = await lastInviteToken(email);
    const results = await Promise.allSettled([
      acceptStaffInvite(db(), new Headers({ 'CF-Connecting-IP': `r1-${uniqueId()}` }), token, { name: 'One', password: 'first password 1' }),
      acceptStaffInvite(db(), new Headers({ 'CF-Connecting-IP': `r2-${uniqueId()}` }), token, { name: 'Two', password: 'second password 2' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await db().select().from(users).where(eq(users.email, email)).all()).toHaveLength(1);

    const other = await createHost();
    await invite(host, other.owner.email);
    const token2 = await lastInviteToken(other.owner.email);
    const twice = await Promise.allSettled([0, 1].map((i) => acceptStaffInvite(db(), new Headers({ 'CF-Connecting-IP': `r${i}-${uniqueId()}` }), token2, { password: other.owner.password })));
    expect(twice.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await membership(host, other.owner.userId)).toBeDefined();
  });

  it('refuses a bad form, an existing member and a second pending invitation, with field errors', async () => {
    const host = await createHost();
    const admin = await addMember(host, 'admin');
    const bad = await invite(host, 'not-an-email', { role: 'owner' });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('Choose admin or staff.');
    expect(html).toContain('Enter a valid email address');
    const noSite = await invite(host, freshEmail(), { site_access: 'some' });
    expect(noSite.status).toBe(422);
    expect(await noSite.text()).toContain('Choose at least one site.');
    expect(await db().select().from(staffInvites).where(eq(staffInvites.hostId, host.hostId)).all()).toHaveLength(1);
    expect((await invite(host, admin.email)).status).toBe(422);
    const email = freshEmail();
    expect((await invite(host, email)).status).toBe(303);
    const again = await invite(host, email);
    expect(again.status).toBe(422);
    expect(await again.text()).toContain('already pending');
    // The old way, a typed password, is gone.
    expect((await postForm('/admin/settings/staff', { name: 'X', email: freshEmail(), role: 'staff', password: 'typed password 1' }, { cookie: host.owner.cookie })).status).toBe(404);
  });

  it('is rate-limited per inviter', async () => {
    const host = await createHost();
    let last: Response | undefined;
    for (let i = 0; i < 31; i++) last = await invite(host, freshEmail());
    expect(last!.status).toBe(429);
  });

  it('lets staff invite nobody, and never another host’s invitation be touched', async () => {
    const host = await createHost();
    const staff = await addMember(host, 'staff');
    const email = freshEmail();
    expect((await invite(host, email, {}, staff.cookie)).status).toBe(403);
    expect(await db().select().from(staffInvites).where(eq(staffInvites.email, email)).get()).toBeUndefined();

    const other = await createHost();
    const theirs = freshEmail();
    await invite(other, theirs);
    const row = await db().select().from(staffInvites).where(eq(staffInvites.email, theirs)).get();
    expect((await postForm(`/admin/settings/staff/invites/${row!.id}/revoke`, {}, { cookie: host.owner.cookie })).status).toBe(404);
    expect((await db().select().from(staffInvites).where(eq(staffInvites.id, row!.id)).get())!.revokedAt).toBeNull();
    const page = await (await getPage('/admin/settings/staff', { cookie: host.owner.cookie })).text();
    expect(page).not.toContain(theirs);
  });
});

describe('roles and the one owner', () => {
  it('keeps exactly one owner in the database itself', async () => {
    const host = await createHost();
    const admin = await addMember(host, 'admin');
    await expect(db().update(hostUsers).set({ role: 'owner' }).where(and(eq(hostUsers.hostId, host.hostId), eq(hostUsers.userId, admin.userId)))).rejects.toThrow();
    expect(await owners(host)).toEqual([host.owner.userId]);
  });

  it('lets owner and admins manage roles up to admin, never the owner, and logs every change', async () => {
    const host = await createHost();
    const admin = await addMember(host, 'admin');
    const staff = await addMember(host, 'staff');
    const toOwner = await postForm(`/admin/settings/staff/${staff.userId}/role`, { role: 'owner' }, { cookie: host.owner.cookie });
    expect(toOwner.status).toBe(422);
    expect(await owners(host)).toEqual([host.owner.userId]);

    expect((await postForm(`/admin/settings/staff/${staff.userId}/role`, { role: 'admin' }, { cookie: admin.cookie })).status).toBe(303);
    expect(await membership(host, staff.userId)).toMatchObject({ role: 'admin' });
    // The new role applies to the member's very next request.
    expect((await postForm('/admin/settings/api-keys', { name: 'Promoted key' }, { cookie: staff.cookie })).status).toBe(201);

    expect((await postForm(`/admin/settings/staff/${host.owner.userId}/role`, { role: 'staff' }, { cookie: admin.cookie })).status).toBe(403);
    expect((await postForm(`/admin/settings/staff/${host.owner.userId}/remove`, {}, { cookie: admin.cookie })).status).toBe(403);
    // The owner's own role moves only by a transfer.
    expect((await postForm(`/admin/settings/staff/${host.owner.userId}/role`, { role: 'admin' }, { cookie: host.owner.cookie })).status).toBe(403);
    expect((await postForm(`/admin/settings/staff/${host.owner.userId}/remove`, {}, { cookie: host.owner.cookie })).status).toBe(409);
    expect(await owners(host)).toEqual([host.owner.userId]);

    // An admin removes another admin (up to admin); staff remove nobody.
    const colleague = await addMember(host, 'staff');
    expect((await postForm(`/admin/settings/staff/${staff.userId}/remove`, {}, { cookie: colleague.cookie })).status).toBe(403);
    expect((await postForm(`/admin/settings/staff/${staff.userId}/remove`, {}, { cookie: admin.cookie })).status).toBe(303);
    expect(await membership(host, staff.userId)).toBeUndefined();
    // Their session stops on the next request.
    expect((await getPage('/admin/customers', { cookie: staff.cookie })).status).toBe(303);

    const entries = await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all();
    const actions = entries.map((entry) => entry.action);
    expect(actions).toContain('staff.role_changed');
    expect(actions).toContain('staff.removed');
  });

  it('keeps admins away from the owner’s settings: name, slugs, domains, billing, export', async () => {
    const host = await createHost();
    const admin = await addMember(host, 'admin');
    expect((await postForm('/admin/settings', { name: 'Taken over', main_slug: host.slug, default_currency: 'USD', timezone: 'UTC' }, { cookie: admin.cookie })).status).toBe(403);
    expect((await postForm('/admin/settings/billing', { default_currency: 'EUR', timezone: 'UTC', net_days: '15', billing_day: '1', invoice_prefix: 'X' }, { cookie: admin.cookie })).status).toBe(403);
    expect((await postForm('/admin/settings/domains', { hostname: `a-${uniqueId()}.example.com` }, { cookie: admin.cookie })).status).toBe(403);
    expect((await db().select().from(hosts).where(eq(hosts.id, host.hostId)).get())!.name).toBe('Test Host');
  });

  it('transfers ownership: owner confirms with password, the admin by email; one owner throughout', async () => {
    const host = await createHost();
    const admin = await addMember(host, 'admin');
    const staff = await addMember(host, 'staff');
    expect((await postForm('/admin/settings/staff/transfer', { to_user_id: admin.userId, password: 'wrong password' }, { cookie: host.owner.cookie })).status).toBe(422);
    expect((await postForm('/admin/settings/staff/transfer', { to_user_id: staff.userId, password: host.owner.password }, { cookie: host.owner.cookie })).status).toBe(422);
    expect((await postForm('/admin/settings/staff/transfer', { to_user_id: admin.userId, password: admin.password }, { cookie: admin.cookie })).status).toBe(403);
    expect((await postForm('/admin/settings/staff/transfer', { to_user_id: admin.userId, password: host.owner.password }, { cookie: host.owner.cookie })).status).toBe(303);
    expect(await owners(host)).toEqual([host.owner.userId]);

    const token = await lastInviteToken(admin.email, '/team/transfer/');
    expect((await getPage(`/team/transfer/${token}`)).status).toBe(200);
    const wrong = await postForm(`/team/transfer/${token}`, { password: 'not it' }, { headers: { 'CF-Connecting-IP': `t-${uniqueId()}` } });
    expect(wrong.status).toBe(422);
    const done = await postForm(`/team/transfer/${token}`, { password: admin.password }, { headers: { 'CF-Connecting-IP': `t-${uniqueId()}` } });
    expect(done.status).toBe(303);
    expect(await owners(host)).toEqual([admin.userId]);
    expect(await membership(host, host.owner.userId)).toMatchObject({ role: 'admin' });
    expect((await postForm(`/team/transfer/${token}`, { password: admin.password }, { headers: { 'CF-Connecting-IP': `t-${uniqueId()}` } })).status).toBe(409);
    const logged = await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'ownership.transferred'))).get();
    expect(logged).toBeDefined();
    // The former owner is now an admin: core settings are closed to them.
    expect((await postForm('/admin/settings', { name: 'X', main_slug: host.slug, default_currency: 'USD', timezone: 'UTC' }, { cookie: host.owner.cookie })).status).toBe(403);
  });

  it('completes no transfer to someone demoted meanwhile', async () => {
    const host = await createHost();
    const admin = await addMember(host, 'admin');
    await postForm('/admin/settings/staff/transfer', { to_user_id: admin.userId, password: host.owner.password }, { cookie: host.owner.cookie });
    const token = await lastInviteToken(admin.email, '/team/transfer/');
    await postForm(`/admin/settings/staff/${admin.userId}/role`, { role: 'staff' }, { cookie: host.owner.cookie });
    const res = await postForm(`/team/transfer/${token}`, { password: admin.password }, { headers: { 'CF-Connecting-IP': `t-${uniqueId()}` } });
    expect(res.status).toBe(409);
    expect(await owners(host)).toEqual([host.owner.userId]);
    expect(await membership(host, admin.userId)).toMatchObject({ role: 'staff' });
    const row = await db().select().from(ownershipTransfers).where(eq(ownershipTransfers.hostId, host.hostId)).get();
    expect(row!.acceptedAt).toBeNull();
  });
});

describe('several hosts per person', () => {
  async function personInTwoHosts() {
    const a = await createHost('Alpha Host');
    const b = await createHost('Beta Host');
    const member = await addMember(a, 'staff');
    await invite(b, member.email);
    expect((await accept(await lastInviteToken(member.email), { password: member.password })).status).toBe(303);
    return { a, b, member };
  }

  it('asks which host at sign-in, switches from the header, and never carries data across', async () => {
    const { a, b, member } = await personInTwoHosts();
    await postForm('/admin/customers', { name: 'Alpha Only Customer', contact_email: 'a@alpha.example' }, { cookie: a.owner.cookie });
    await postForm('/admin/customers', { name: 'Beta Only Customer', contact_email: 'b@beta.example' }, { cookie: b.owner.cookie });

    const signIn = await postForm('/login', { email: member.email, password: member.password }, { headers: { 'CF-Connecting-IP': `mh-${uniqueId()}` } });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('Location')).toBe('/admin/hosts?next=%2Fadmin%2Fcustomers');
    let cookie = sessionCookieFrom(signIn)!;
    const choose = await (await getPage('/admin/hosts', { cookie })).text();
    expect(choose).toContain('Alpha Host');
    expect(choose).toContain('Beta Host');
    const inA = await (await getPage('/admin/customers', { cookie })).text();
    expect(inA).toContain('Switch host');
    expect(inA).toContain('Alpha Only Customer');
    expect(inA).not.toContain('Beta Only Customer');

    const switched = await postForm('/admin/hosts/switch', { host_id: b.hostId, next: '/admin/customers' }, { cookie });
    expect(switched.status).toBe(303);
    cookie = sessionCookieFrom(switched)!;
    const inB = await (await getPage('/admin/customers', { cookie })).text();
    expect(inB).toContain('Beta Only Customer');
    expect(inB).not.toContain('Alpha Only Customer');

    // Switching into a host they do not belong to is refused and changes nothing.
    const stranger = await createHost('Gamma Host');
    const refused = await postForm('/admin/hosts/switch', { host_id: stranger.hostId }, { cookie });
    expect(refused.status).toBe(404);
    expect(sessionCookieFrom(refused)).toBeNull();

    // Removed from B: the B session ends and switching back to B is refused.
    await postForm(`/admin/settings/staff/${member.userId}/remove`, {}, { cookie: b.owner.cookie });
    expect((await getPage('/admin/customers', { cookie })).status).toBe(303);
    const again = await postForm('/admin/hosts/switch', { host_id: b.hostId }, { cookie: member.cookie });
    expect(again.status).toBe(404);
  });

  it('lists memberships on the account page and lets a member leave, never the owner', async () => {
    const { a, b, member } = await personInTwoHosts();
    const account = await (await getPage('/admin/account', { cookie: member.cookie })).text();
    expect(account).toContain('Alpha Host');
    expect(account).toContain('Beta Host');
    const left = await postForm(`/admin/hosts/${b.hostId}/leave`, {}, { cookie: member.cookie });
    expect(left.status).toBe(303);
    expect(await membership(b, member.userId)).toBeUndefined();
    expect(await membership(a, member.userId)).toBeDefined();

    const ownerLeaves = await postForm(`/admin/hosts/${a.hostId}/leave`, {}, { cookie: a.owner.cookie });
    expect(ownerLeaves.status).toBe(422);
    expect(await owners(a)).toEqual([a.owner.userId]);
  });
});
