import type { Context } from 'hono';
import { setCookie } from '../lib/cookie';
import { DEVICE_COOKIE, DEVICE_COOKIE_TTL_SECONDS, signDeviceCookie } from '../security/sign-in-delay';

/** After a successful sign-in: this browser is a known device for the account from now on. */
export async function rememberDevice(c: Context, secret: string, known: string[], key: string): Promise<void> {
  setCookie(c, DEVICE_COOKIE, await signDeviceCookie(secret, known, key), {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: DEVICE_COOKIE_TTL_SECONDS,
  });
}
