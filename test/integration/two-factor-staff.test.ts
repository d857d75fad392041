import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { twoFactor, twoFactorRecoveryCodes } from '../../src/db/schema';
import { PENDING_COOKIE, REMEMBER_COOKIE } from '../../src/security/two-factor';
import { addMember, createHost, db, getPage, postForm, sessionCookieFrom, uniqueId } from '../helpers/fixtures';
import { cookieFrom, enrolThroughPages } from '../helpers/two-factor';

const BASE = '/admin/account/two-factor';
const ip = () => ({ 'CF-Connecting-IP': `198.51.100.${Math.floor(Math.random() * 250)}-${uniqueId()}` });

async function passwordStep(email: string, password: string, extraCookie?: string) {
  const res = await postForm('/login', { email, password }, { headers: ip(), cookie: extraCookie });
  expect(res.status).toBe(303);
  return res;
}

describe('staff two-factor sign-in', () => {
  it('enrols with a QR code and key, stores recovery codes hashed, then asks for a code at sign-in', async () => {
    const host = await createHost('Staff 2FA Host');
    const { app, recoveryCodes, page } = await enrolThroughPages(BASE, host.owner.cookie);
    expect(page).toContain('Save your recovery codes');

    const row = await db().select().from(twoFactor).where(and(eq(twoFactor.accountKind, 'staff'), eq(twoFactor.accountId, host.owner.userId))).get();
    expect(row?.enabledAt).toBeTruthy();
    const stored = await db().select().from(twoFactorRecoveryCodes).where(eq(twoFactorRecoveryCodes.twoFactorId, row!.id)).all();
    expect(stored).toHaveLength(10);
    for (const code of recoveryCodes) expect(stored.map((s) => s.codeHash).join()).not.toContain(code.replace('-', ''));

    // Enabling ended the other sessions: the fixture's cookie is dead.
    expect((await getPage('/admin/account', { cookie: host.owner.cookie })).status).toBe(303);

    // Password right: no session yet, only the pending cookie and the second step.
    const first = await passwordStep(host.owner.email, host.owner.password);
    expect(first.headers.get('Location')).toBe('/login/two-factor');
    expect(sessionCookieFrom(first)).toBeNull();
    const pending = cookieFrom(first, PENDING_COOKIE)!;
    expect(pending).toBeTruthy();
    const step = await getPage('/login/two-factor', { cookie: pending });
    expect(step.status).toBe(200);
    expect(await step.text()).toContain('Enter your code');

    const wrong = await postForm('/login/two-factor', { code: '000000' }, { cookie: pending });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('That code is not right');

    const right = await postForm('/login/two-factor', { code: await app.code() }, { cookie: pending });
    expect(right.status).toBe(303);
    expect(right.headers.get('Location')).toBe('/admin/customers');
    const session = sessionCookieFrom(right)!;
    expect((await getPage('/admin/account', { cookie: session })).status).toBe(200);
    expect(await (await getPage('/admin/account', { cookie: session })).text()).toContain('Manage two-factor sign-in');
  });

  it('refuses a code used twice', async () => {
    const host = await createHost('Replay Host');
    const { app } = await enrolThroughPages(BASE, host.owner.cookie);
    const code = await app.code();
    const pendingA = cookieFrom(await passwordStep(host.owner.email, host.owner.password), PENDING_COOKIE)!;
    expect((await postForm('/login/two-factor', { code }, { cookie: pendingA })).status).toBe(303);
    const pendingB = cookieFrom(await passwordStep(host.owner.email, host.owner.password), PENDING_COOKIE)!;
    const replay = await postForm('/login/two-factor', { code }, { cookie: pendingB });
    expect(replay.status).toBe(422);
    expect(await replay.text()).toContain('already used');
  });

  it('a recovery code signs in once only', async () => {
    const host = await createHost('Recovery Host');
    const { recoveryCodes } = await enrolThroughPages(BASE, host.owner.cookie);
    const pending = cookieFrom(await passwordStep(host.owner.email, host.owner.password), PENDING_COOKIE)!;
    const used = await postForm('/login/two-factor', { code: recoveryCodes[3]!.toUpperCase() }, { cookie: pending });
    expect(used.status).toBe(303);
    const again = cookieFrom(await passwordStep(host.owner.email, host.owner.password), PENDING_COOKIE)!;
    expect((await postForm('/login/two-factor', { code: recoveryCodes[3]! }, { cookie: again })).status).toBe(422);
    // Another one still works, and the page counts what is left.
    const other = await postForm('/login/two-factor', { code: recoveryCodes[4]! }, { cookie: again });
    expect(other.status).toBe(303);
    const manage = await (await getPage(BASE, { cookie: sessionCookieFrom(other)! })).text();
    expect(manage).toContain('Recovery codes left: <strong>8</strong>');
  });

  it('a remembered device skips the code for its enrolment', async () => {
    const host = await createHost('Remember Host');
    const { app } = await enrolThroughPages(BASE, host.owner.cookie);
    const pending = cookieFrom(await passwordStep(host.owner.email, host.owner.password), PENDING_COOKIE)!;
    const signedIn = await postForm('/login/two-factor', { code: await app.code(), remember: 'on' }, { cookie: pending });
    expect(signedIn.status).toBe(303);
    const remembered = cookieFrom(signedIn, REMEMBER_COOKIE)!;
    expect(remembered).toBeTruthy();

    const direct = await passwordStep(host.owner.email, host.owner.password, remembered);
    expect(direct.headers.get('Location')).toBe('/admin/customers');
    expect(sessionCookieFrom(direct)).toBeTruthy();

    // Another account on the same browser is not remembered by it.
    const member = await addMember(host, 'admin');
    const memberSession = (await enrolThroughPages(BASE, member.cookie)).cookie;
    expect(memberSession).toBeTruthy();
    const memberLogin = await passwordStep(member.email, member.password, remembered);
    expect(memberLogin.headers.get('Location')).toBe('/login/two-factor');
  });

  it('turning it off needs the password and a code; a re-enrolment forgets remembered devices', async () => {
    const host = await createHost('Disable Host');
    const { app } = await enrolThroughPages(BASE, host.owner.cookie);
    const pending = cookieFrom(await passwordStep(host.owner.email, host.owner.password), PENDING_COOKIE)!;
    const signedIn = await postForm('/login/two-factor', { code: await app.code(), remember: 'on' }, { cookie: pending });
    const remembered = cookieFrom(signedIn, REMEMBER_COOKIE)!;
    const session = sessionCookieFrom(signedIn)!;

    const badPassword = await postForm(`${BASE}/disable`, { password: 'not it at all', code: '123456' }, { cookie: session });
    expect(badPassword.status).toBe(422);
    expect(await badPassword.text()).toContain('That is not your password.');
    const noCode = await postForm(`${BASE}/disable`, { password: host.owner.password, code: '' }, { cookie: session });
    expect(noCode.status).toBe(422);
    expect(await db().select().from(twoFactor).where(eq(twoFactor.accountId, host.owner.userId)).get()).toBeTruthy();

    const off = await postForm(`${BASE}/disable`, { password: host.owner.password, code: await app.code() }, { cookie: session });
    expect(off.status).toBe(303);
    expect(await db().select().from(twoFactor).where(eq(twoFactor.accountId, host.owner.userId)).get()).toBeUndefined();
    const plain = await passwordStep(host.owner.email, host.owner.password);
    expect(plain.headers.get('Location')).toBe('/admin/customers');

    // Enrolled again: the device remembered for the old enrolment asks for a code again.
    await enrolThroughPages(BASE, sessionCookieFrom(plain)!);
    const again = await passwordStep(host.owner.email, host.owner.password, remembered);
    expect(again.headers.get('Location')).toBe('/login/two-factor');
  });

  it('rate-limits codes per account', async () => {
    const host = await createHost('Limit Host');
    await enrolThroughPages(BASE, host.owner.cookie);
    const pending = cookieFrom(await passwordStep(host.owner.email, host.owner.password), PENDING_COOKIE)!;
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await postForm('/login/two-factor', { code: '000000' }, { cookie: pending })).status);
    // One attempt went to the enrolment's confirmation, so the tenth wrong code is the first refused.
    expect(statuses.slice(0, 9).every((s) => s === 422)).toBe(true);
    expect(statuses[9]).toBe(429);
  });
});
