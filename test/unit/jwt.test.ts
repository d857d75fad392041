import { decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from '../../src/lib/jwt';

// src/lib/jwt.ts replaced jose in the Worker; jose stays a dev dependency so these tests hold the
// two to the same tokens: cookies issued before the change keep working, and ours verify in jose.
const SECRET = 'jwt-test-secret-0123456789abcdef';
const OTHER_SECRET = 'jwt-other-secret-0123456789abcdef';
const key = (secret: string) => new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);
const joseToken = (claims: Record<string, unknown>, build: (jwt: SignJWT) => SignJWT, secret = SECRET) =>
  build(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' })).sign(key(secret));

describe('HS256 tokens (src/lib/jwt.ts)', () => {
  it('verify in jose with the same claims jose would have set (header, sub, aud, iat, exp)', async () => {
    const token = await signJwt(SECRET, { hid: 'host-1', sv: 3, list: ['a', 'é'] }, { subject: 'user-1', audience: 'hashyard:staff', ttlSeconds: 600 });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256' });
    const { payload } = await jwtVerify(token, key(SECRET), { audience: 'hashyard:staff', algorithms: ['HS256'] });
    expect(payload).toMatchObject({ hid: 'host-1', sv: 3, list: ['a', 'é'], sub: 'user-1', aud: 'hashyard:staff' });
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(Math.abs(payload.iat! - now())).toBeLessThanOrEqual(1);
    expect(await verifyJwt(SECRET, token, 'hashyard:staff')).toEqual(payload);
  });

  it('accept tokens jose signed, as the cookies issued before the change were', async () => {
    const token = await joseToken({ acc: ['k1'] }, (jwt) => jwt.setAudience('hashyard:device').setIssuedAt().setExpirationTime('1h'));
    expect(await verifyJwt(SECRET, token, 'hashyard:device')).toMatchObject({ acc: ['k1'], aud: 'hashyard:device' });
    const listed = await joseToken({}, (jwt) => jwt.setSubject('u').setAudience(['other', 'hashyard:portal']).setExpirationTime('1h'));
    expect((await verifyJwt(SECRET, listed, 'hashyard:portal'))?.sub).toBe('u');
  });

  it('refuse another secret, a tampered payload or signature, the wrong audience, an expired or not-yet-valid token', async () => {
    const good = await signJwt(SECRET, { hid: 'h' }, { audience: 'a', ttlSeconds: 60 });
    expect(await verifyJwt(OTHER_SECRET, good, 'a')).toBeNull();
    expect(await verifyJwt(SECRET, good, 'b')).toBeNull();
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const forged = btoa(JSON.stringify({ hid: 'other', aud: 'a', exp: now() + 60 })).replace(/=+$/, '');
    expect(await verifyJwt(SECRET, `${header}.${forged}.${signature}`, 'a')).toBeNull();
    expect(await verifyJwt(SECRET, `${header}.${payload}.${signature.slice(0, -2)}AA`, 'a')).toBeNull();
    const expired = await joseToken({}, (jwt) => jwt.setAudience('a').setIssuedAt(now() - 3600).setExpirationTime(now() - 60));
    expect(await verifyJwt(SECRET, expired, 'a')).toBeNull();
    const endsNow = await joseToken({}, (jwt) => jwt.setAudience('a').setExpirationTime(now()));
    expect(await verifyJwt(SECRET, endsNow, 'a')).toBeNull();
    const notYet = await joseToken({}, (jwt) => jwt.setAudience('a').setNotBefore(now() + 600).setExpirationTime('1h'));
    expect(await verifyJwt(SECRET, notYet, 'a')).toBeNull();
    const noExpiry = await joseToken({}, (jwt) => jwt.setAudience('a'));
    expect(await verifyJwt(SECRET, noExpiry, 'a')).toBeNull();
  });

  it('refuse other algorithms, unsigned tokens, critical headers and garbage', async () => {
    const unsigned = new UnsecuredJWT({}).setAudience('a').setExpirationTime('1h').encode();
    expect(await verifyJwt(SECRET, unsigned, 'a')).toBeNull();
    const hs512 = await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setAudience('a').setExpirationTime('1h').sign(key(`${SECRET}${SECRET}`));
    expect(await verifyJwt(`${SECRET}${SECRET}`, hs512, 'a')).toBeNull();
    // A correctly signed token whose header demands an extension we do not implement.
    const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const input = `${b64url(key(JSON.stringify({ alg: 'HS256', crit: ['x-ext'], 'x-ext': 1 })))}.${b64url(key(JSON.stringify({ aud: 'a', exp: now() + 600 })))}`;
    const hmac = await crypto.subtle.importKey('raw', key(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const critical = `${input}.${b64url(new Uint8Array(await crypto.subtle.sign('HMAC', hmac, key(input))))}`;
    expect(await verifyJwt(SECRET, critical, 'a')).toBeNull();
    expect(await verifyJwt(SECRET, critical.replace(/^[^.]+/, b64url(key(JSON.stringify({ alg: 'HS256' })))), 'a')).toBeNull(); // header swapped: signature no longer matches
    for (const garbage of ['', 'a.b', 'a.b.c', '...', 'x.y.z.w', '<script>.a.b']) expect(await verifyJwt(SECRET, garbage, 'a')).toBeNull();
  });
});
