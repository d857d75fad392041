import { env } from 'cloudflare:test';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadStaffSession, signStaffToken } from '../../src/auth/staff-session';
import { authenticateApiKey } from '../../src/auth/api-keys';
import { createApiKeyFor, createHost, db } from '../helpers/fixtures';

describe('staff session tokens', () => {
  it('load the session for a current member', async () => {
    const host = await createHost('Token Host');
    const token = await signStaffToken(env.SESSION_SECRET, host.owner.userId, host.hostId, 1);
    const session = await loadStaffSession(db(), env.SESSION_SECRET, token);
    expect(session?.host.id).toBe(host.hostId);
    expect(session?.role).toBe('owner');
  });

  it('are refused when signed with another secret, tampered with, expired, or for the wrong audience', async () => {
    const host = await createHost('Token Host 2');
    const other = await signStaffToken('another-secret-another-secret-1234', host.owner.userId, host.hostId, 1);
    expect(await loadStaffSession(db(), env.SESSION_SECRET, other)).toBeNull();

    const good = await signStaffToken(env.SESSION_SECRET, host.owner.userId, host.hostId, 1);
    const [header, payload, signature] = good.split('.');
    const forged = JSON.parse(atob(payload!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    forged.hid = 'some-other-host';
    const forgedPayload = btoa(JSON.stringify(forged)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(await loadStaffSession(db(), env.SESSION_SECRET, `${header}.${forgedPayload}.${signature}`)).toBeNull();

    const key = new TextEncoder().encode(env.SESSION_SECRET);
    const expired = await new SignJWT({ hid: host.hostId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(host.owner.userId)
      .setAudience('hashyard:staff')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    expect(await loadStaffSession(db(), env.SESSION_SECRET, expired)).toBeNull();

    const wrongAudience = await new SignJWT({ hid: host.hostId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(host.owner.userId)
      .setAudience('hashyard:customer')
      .setExpirationTime('1h')
      .sign(key);
    expect(await loadStaffSession(db(), env.SESSION_SECRET, wrongAudience)).toBeNull();
  });

  it('stop working when the membership is gone, even though the signature is still valid', async () => {
    const host = await createHost('Token Host 3');
    const token = await signStaffToken(env.SESSION_SECRET, host.owner.userId, 'not-a-member-host', 1);
    expect(await loadStaffSession(db(), env.SESSION_SECRET, token)).toBeNull();
  });
});

describe('API keys', () => {
  it('authenticate by bearer key and resolve the host', async () => {
    const host = await createHost('Key Host');
    const secret = await createApiKeyFor(host);
    expect(secret).toMatch(/^hy_live_[A-Za-z0-9_-]{32}$/);
    expect((await authenticateApiKey(db(), `Bearer ${secret}`))?.hostId).toBe(host.hostId);
    expect(await authenticateApiKey(db(), `Bearer ${secret}x`)).toBeNull();
    expect(await authenticateApiKey(db(), secret)).toBeNull();
    expect(await authenticateApiKey(db(), undefined)).toBeNull();
  });
});
