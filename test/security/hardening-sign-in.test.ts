import { describe, expect, it } from 'vitest';
import { delayAfter, FREE_FAILURES, MAX_DELAY_MS } from '../../src/security/sign-in-delay';
import { createHost, createTestCustomer, postForm, uniqueId } from '../helpers/fixtures';
import { acceptInvite, setHostSlug, staffInvite } from '../helpers/portal';

/**
 * Issue 11, weakness 8: eleven wrong passwords used to lock a chosen person out for 15 minutes,
 * even with the right password. Now the account's next try waits longer with each failure, and a
 * device that signed in before is never delayed.
 */

const fromIp = () => ({ 'CF-Connecting-IP': `203.0.113.${uniqueId()}` });
const deviceCookieFrom = (res: Response) => /(__Host-hy_device=[^;]+)/.exec(res.headers.get('Set-Cookie') ?? '')?.[1] ?? null;

describe('weakness 8: a growing delay instead of a lockout', () => {
  it('the delay doubles from the sixth failure and never passes 15 minutes', () => {
    expect(delayAfter(FREE_FAILURES - 1)).toBe(0);
    expect(delayAfter(FREE_FAILURES)).toBe(1000);
    expect(delayAfter(FREE_FAILURES + 3)).toBe(8000);
    expect(delayAfter(1000)).toBe(MAX_DELAY_MS);
  });

  it('staff: a guesser elsewhere delays strangers, never the owner’s known device', async () => {
    const host = await createHost('Delay Host');
    // The owner signs in once from their laptop: it becomes a known device.
    const first = await postForm('/login', { email: host.owner.email, password: host.owner.password }, { headers: fromIp() });
    expect(first.status).toBe(303);
    const device = deviceCookieFrom(first);
    expect(device).not.toBeNull();

    // A guesser from many addresses.
    for (let i = 0; i < 11; i++) {
      const res = await postForm('/login', { email: host.owner.email, password: `guess ${i}` }, { headers: fromIp() });
      expect([422, 429]).toContain(res.status);
    }
    // From an unknown device even the right password waits.
    const stranger = await postForm('/login', { email: host.owner.email, password: host.owner.password }, { headers: fromIp() });
    expect(stranger.status).toBe(429);
    expect(Number(stranger.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(stranger.headers.get('Set-Cookie')).toBeNull();

    // The owner's laptop gets straight in.
    const owner = await postForm('/login', { email: host.owner.email, password: host.owner.password }, { headers: { ...fromIp(), Cookie: device! } });
    expect(owner.status).toBe(303);
  }, 60_000);

  it('an unknown email is delayed exactly like a real one (the delay reveals nothing)', async () => {
    const email = `nobody-${uniqueId()}@example.com`;
    for (let i = 0; i < FREE_FAILURES + 1; i++) await postForm('/login', { email, password: `guess ${i}` }, { headers: fromIp() });
    expect((await postForm('/login', { email, password: 'anything at all' }, { headers: fromIp() })).status).toBe(429);
  }, 60_000);

  it('portal: the same delay, and the member’s known device is never delayed', async () => {
    const host = await createHost('Portal Delay Host');
    const slug = await setHostSlug(host);
    const customer = await createTestCustomer(host);
    const email = `member-${uniqueId()}@customer.example`;
    const { token } = await staffInvite(host, customer.id, email, 'owner');
    const { password } = await acceptInvite(`/host/${slug}`, token, email);
    const first = await postForm(`/host/${slug}/auth`, { email, password }, { headers: fromIp() });
    expect(first.status).toBe(303);
    const device = deviceCookieFrom(first)!;
    for (let i = 0; i < 11; i++) await postForm(`/host/${slug}/auth`, { email, password: `guess ${i}` }, { headers: fromIp() });
    expect((await postForm(`/host/${slug}/auth`, { email, password }, { headers: fromIp() })).status).toBe(429);
    expect((await postForm(`/host/${slug}/auth`, { email, password }, { headers: { ...fromIp(), Cookie: device } })).status).toBe(303);
  }, 60_000);
});
