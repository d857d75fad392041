import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { signStaffToken, STAFF_COOKIE } from '../../src/auth/staff-session';
import { hostUsers, users } from '../../src/db/schema';
import { env } from 'cloudflare:test';
import { makeMiner } from '../helpers/equipment';
import { addMember, createHost, createTestCustomer, db, getPage } from '../helpers/fixtures';

/**
 * The customer list's reads travel with the staff session check, scoped by the host the token
 * claims (src/middleware/staff-auth.ts). They may only reach a page when membership confirms it.
 */
describe('admin lists read with the session check', () => {
  it('shows the list to a member, and nothing once the membership or the session version is gone', async () => {
    const host = await createHost('Prefetch Staff Host');
    await createTestCustomer(host, { name: 'Listed Customer Ltd' });
    const member = await addMember(host, 'staff');
    expect(await (await getPage('/admin/customers', { cookie: member.cookie })).text()).toContain('Listed Customer Ltd');

    // A newer session version (signed out elsewhere, or a password change): the old token is dead.
    await db().update(users).set({ sessionVersion: 2 }).where(eq(users.id, member.userId));
    let res = await getPage('/admin/customers', { cookie: member.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/login?next=%2Fadmin%2Fcustomers');
    expect(await res.text()).not.toContain('Listed Customer Ltd');

    // Removed from the host: a token with the current version reads nothing either.
    const current = `${STAFF_COOKIE}=${await signStaffToken(env.SESSION_SECRET, member.userId, host.hostId, 2)}`;
    expect(await (await getPage('/admin/customers', { cookie: current })).text()).toContain('Listed Customer Ltd');
    await db().delete(hostUsers).where(and(eq(hostUsers.hostId, host.hostId), eq(hostUsers.userId, member.userId)));
    res = await getPage('/admin/customers', { cookie: current });
    expect(res.status).toBe(303);
    expect(await res.text()).not.toContain('Listed Customer Ltd');
  });

  it('a token naming a host the user does not belong to reads nothing of that host', async () => {
    const mine = await createHost('Prefetch Mine');
    const theirs = await createHost('Prefetch Theirs');
    await createTestCustomer(theirs, { name: 'Their Secret Customer' });
    // Validly signed, but the membership row for (user, their host) does not exist.
    const forged = `${STAFF_COOKIE}=${await signStaffToken(env.SESSION_SECRET, mine.owner.userId, theirs.hostId, 1)}`;
    const res = await getPage('/admin/customers', { cookie: forged });
    expect(res.status).toBe(303);
    expect(await res.text()).not.toContain('Their Secret Customer');
    // The Equipment list's first batch is read the same way.
    await makeMiner(theirs, { serial: 'THEIR-SECRET-UNIT' });
    for (const path of ['/admin/equipment?sort=serial', '/admin/equipment?sort=-hashrate']) {
      const list = await getPage(path, { cookie: forged });
      expect(list.status, path).toBe(303);
      expect(await list.text(), path).not.toContain('THEIR-SECRET-UNIT');
      expect(await (await getPage(path, { cookie: theirs.owner.cookie })).text(), path).toContain('THEIR-SECRET-UNIT');
    }
  });

  it('a query the list cannot read is reported as before, not swallowed by the prefetch', async () => {
    const host = await createHost('Prefetch Bad Query');
    const res = await getPage('/admin/customers?cursor=not-a-cursor', { cookie: host.owner.cookie });
    expect(res.status).toBe(422);
  });
});
