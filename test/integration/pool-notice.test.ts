import { env } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, customers, customerUsers } from '../../src/db/schema';
import { PORTAL_COOKIE, signPortalToken } from '../../src/portal/session';
import { insertAlert, insertMiner, insertSite, portalCustomer } from '../helpers/alerts';
import { createHost, db, getPage, postForm, type TestHost } from '../helpers/fixtures';

const noticeOf = async (customerId: string) => (await db().select({ on: customers.poolChangeNotice }).from(customers).where(eq(customers.id, customerId)).get())!.on;

/** A signed-in member (not owner) of the customer. */
async function memberCookie(host: TestHost, customerId: string) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await db()
    .insert(customerUsers)
    .values({ id, hostId: host.hostId, customerId, email: `member-${id.slice(0, 8)}@customer.example`, name: 'Member', passwordHash: 'unused', role: 'member', sessionVersion: 1, createdAt: now, updatedAt: now });
  return `${PORTAL_COOKIE}=${await signPortalToken(env.SESSION_SECRET, { id, hostId: host.hostId, customerId, sessionVersion: 1 })}`;
}

describe('portal: tell me when my miners’ pool changes', () => {
  it('the customer owner turns it on and off; each change is in the activity log', async () => {
    const host = await createHost('Notice Portal Host');
    const { customer, cookie, base } = await portalCustomer(host, 'Notice Owner Co');
    const page = await (await getPage(`${base}/alerts`, { cookie })).text();
    expect(page).toContain('Pool change notices');
    expect(page).toMatch(/<input id="f-pool_change_notice" type="checkbox" role="switch" name="pool_change_notice"\s*\/?>/);

    const on = await postForm(`${base}/alerts/pool-notice`, { pool_change_notice: 'on' }, { cookie });
    expect(on.status).toBe(303);
    expect(on.headers.get('Location')).toBe(`${base}/alerts?pool_notice=on`);
    expect(await noticeOf(customer.id)).toBe(true);
    const after = await (await getPage(`${base}/alerts?pool_notice=on`, { cookie })).text();
    expect(after).toContain('Pool change notices are on.');
    expect(after).toMatch(/name="pool_change_notice" checked/);

    // saving the same value again records nothing new; turning it off does
    await postForm(`${base}/alerts/pool-notice`, { pool_change_notice: 'on' }, { cookie });
    await postForm(`${base}/alerts/pool-notice`, {}, { cookie });
    expect(await noticeOf(customer.id)).toBe(false);
    const log = await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.customerId, customer.id))).all();
    const actions = log.map((entry) => entry.action).filter((action) => action.startsWith('customer.pool_change_notice'));
    expect(actions.sort()).toEqual(['customer.pool_change_notice_off', 'customer.pool_change_notice_on']);
    expect(log.find((entry) => entry.action === 'customer.pool_change_notice_on')).toMatchObject({ actorKind: 'customer', actorLabel: 'Notice Owner Co Owner' });
  });

  it('a value other than on/off is refused with a field error and changes nothing', async () => {
    const host = await createHost('Notice Bad Input Host');
    const { customer, cookie, base } = await portalCustomer(host, 'Notice Bad Co');
    const res = await postForm(`${base}/alerts/pool-notice`, { pool_change_notice: 'maybe' }, { cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Turn the notice on or off.');
    expect(await noticeOf(customer.id)).toBe(false);
  });

  it('a member sees the setting but cannot change it; no session, a foreign Origin, or another host’s session change nothing', async () => {
    const host = await createHost('Notice Guard Host');
    const { customer, cookie, base } = await portalCustomer(host, 'Notice Guard Co');
    const member = await memberCookie(host, customer.id);
    const page = await (await getPage(`${base}/alerts`, { cookie: member })).text();
    expect(page).toContain('Only a team owner can change this.');
    expect(page).not.toContain('name="pool_change_notice"');
    expect((await postForm(`${base}/alerts/pool-notice`, { pool_change_notice: 'on' }, { cookie: member })).status).toBe(403);

    const anonymous = await postForm(`${base}/alerts/pool-notice`, { pool_change_notice: 'on' });
    expect([302, 303, 401]).toContain(anonymous.status);
    const forged = await postForm(`${base}/alerts/pool-notice`, { pool_change_notice: 'on' }, { cookie, origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    const otherHost = await createHost('Notice Other Host');
    const other = await portalCustomer(otherHost, 'Notice Other Co');
    const crossHost = await postForm(`${base}/alerts/pool-notice`, { pool_change_notice: 'on' }, { cookie: other.cookie });
    // another host's session is no session here: sent to sign in, nothing saved
    expect(crossHost.headers.get('Location') ?? '').not.toContain('pool_notice=');
    expect(await noticeOf(customer.id)).toBe(false);
    expect(await noticeOf(other.customer.id)).toBe(false);
  });

  it('an owner changes their own customer only', async () => {
    const host = await createHost('Notice Two Customers Host');
    const a = await portalCustomer(host, 'Notice A Co');
    const b = await portalCustomer(host, 'Notice B Co');
    await postForm(`${a.base}/alerts/pool-notice`, { pool_change_notice: 'on' }, { cookie: a.cookie });
    expect(await noticeOf(a.customer.id)).toBe(true);
    expect(await noticeOf(b.customer.id)).toBe(false);
  });
});

describe('pool guard alerts in the portal and in staff Alerts', () => {
  it('a customer sees its own units’ pool alerts, escaped; another customer never does; staff of another host never do', async () => {
    const host = await createHost('Pool Alerts Host');
    const siteId = await insertSite(host);
    const a = await portalCustomer(host, 'Pool Alerts A');
    const b = await portalCustomer(host, 'Pool Alerts B');
    const unit = await insertMiner(host, { siteId, customerId: a.customer.id });
    const evil = '<script>alert(1)</script>';
    await insertAlert(host, {
      siteId,
      minerId: unit.id,
      customerId: a.customer.id,
      kind: 'pool_mismatch',
      detail: { pool_url: `stratum+tcp://x${evil}:3333`, pool_user: evil, desired_url: 'stratum+tcp://own:3333', desired_user: 'w' },
    });
    await insertAlert(host, { siteId, minerId: unit.id, customerId: a.customer.id, kind: 'pool_change', detail: { pool_url: 'stratum+tcp://hold:3333', pool_user: 'h', record_url: 'stratum+tcp://own:3333', record_user: 'w' } });

    const mine = await (await getPage(`${a.base}/alerts`, { cookie: a.cookie })).text();
    expect(mine).toContain('Pool mismatch');
    expect(mine).toContain('Pool changed');
    expect(mine).toContain('Now mining on stratum+tcp://hold:3333 as h; the pool on record is stratum+tcp://own:3333 as w.');
    expect(mine).not.toContain(evil);
    expect(mine).toContain('&lt;script&gt;');

    const theirs = await (await getPage(`${b.base}/alerts`, { cookie: b.cookie })).text();
    expect(theirs).not.toContain('Pool mismatch');
    expect(theirs).not.toContain('Pool changed');

    const staff = await (await getPage('/admin/alerts?kind=pool_mismatch', { cookie: host.owner.cookie })).text();
    expect(staff).toContain('Pool mismatch');
    expect(staff).not.toContain(evil);
    const otherHost = await createHost('Pool Alerts Other Host');
    const foreign = await (await getPage('/admin/alerts?kind=pool_mismatch', { cookie: otherHost.owner.cookie })).text();
    expect(foreign).not.toContain(unit.id);
    expect(foreign).not.toContain('own:3333');
  });
});
