import { expect } from 'vitest';
import { base32Decode, hotp, totpStep } from '../../src/security/totp';
import { getPage, postForm, sessionCookieFrom } from './fixtures';

/**
 * An authenticator app for tests: hands out codes of successive time steps (previous, current,
 * next), as a person would over a minute, since the server refuses any step not newer than the last.
 */
export class Authenticator {
  private lastStep = Number.NEGATIVE_INFINITY;
  private readonly secret: Uint8Array;
  constructor(readonly key: string) {
    this.secret = base32Decode(key)!;
  }
  async code(): Promise<string> {
    const current = totpStep(Date.now());
    const step = Math.max(this.lastStep + 1, current - 1);
    if (step > current + 1) throw new Error('this test used more than three codes within one 30-second step');
    this.lastStep = step;
    return hotp(this.secret, step);
  }
}

/** The manual key a set-up page shows (grouped in fours). */
export function manualKeyFrom(html: string): string {
  const match = /id="manual-key"[^>]*>([^<]+)</.exec(html);
  if (!match) throw new Error('no manual key on the page');
  return match[1]!.replace(/\s/g, '');
}

export function recoveryCodesFrom(html: string): string[] {
  const list = /<ol class="recovery-codes">([\s\S]*?)<\/ol>/.exec(html);
  return list ? [...list[1]!.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]!) : [];
}

/** A named cookie a response set, as a Cookie header value. */
export function cookieFrom(res: Response, name: string): string | null {
  const match = (res.headers.get('Set-Cookie') ?? '').match(new RegExp(`${name}=([^;]*)`));
  return match && match[1] ? `${name}=${match[1]}` : null;
}

/**
 * Turns two-factor on through the pages at `base` (…/two-factor) with the session `cookie`; returns
 * the app, the recovery codes, and the re-issued session cookie (other sessions end).
 */
export async function enrolThroughPages(base: string, cookie: string, sessionCookie: (res: Response) => string | null = sessionCookieFrom) {
  expect((await postForm(`${base}/start`, {}, { cookie })).status).toBe(303);
  const setup = await getPage(base, { cookie });
  expect(setup.status).toBe(200);
  const html = await setup.text();
  expect(html).toContain('<svg');
  const app = new Authenticator(manualKeyFrom(html));
  const confirmed = await postForm(`${base}/confirm`, { code: await app.code() }, { cookie });
  expect(confirmed.status).toBe(200);
  const page = await confirmed.text();
  const recoveryCodes = recoveryCodesFrom(page);
  expect(recoveryCodes).toHaveLength(10);
  const renewed = sessionCookie(confirmed);
  expect(renewed).toBeTruthy();
  return { app, recoveryCodes, cookie: renewed!, page };
}
