/**
 * The Worker's cookies (sessions, two-factor, device, list preferences): hono/cookie's
 * `getCookie`/`setCookie`/`deleteCookie` for what we use, fixed `__Host-` names with Path, Secure,
 * HttpOnly, SameSite and Max-Age, without its signed cookies, prefixes and option checks (about
 * 0.6 KiB gzip of the bundle, bench/README.md "The Worker bundle"). The rules are hono's
 * (hono/dist/utils/cookie.js): the first well-formed occurrence of a name wins, one pair of
 * surrounding quotes is dropped, a value outside RFC 6265's cookie-octets is ignored, and
 * percent-decoding keeps a malformed escape as it came. `test/unit/cookie.test.ts` holds both
 * functions to hono's output.
 */
import type { Context } from 'hono';

export interface CookieOptions {
  path: '/';
  secure: true;
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax';
  /** Seconds; 0 expires the cookie now. */
  maxAge?: number;
}

/** RFC 6265 cookie-octets, and the space hono also lets through. */
const COOKIE_VALUE = /^[ !#-:<-[\]-~]*$/;
const COOKIE_NAME = /^[\w!#$%&'*.^`|~+-]+$/;
/** Spaces and tabs only, as hono trims (String#trim would also take other whitespace). */
const trimBlanks = (text: string) => text.replace(/^[ \t]+|[ \t]+$/g, '');

/** decodeURIComponent, keeping each run of escapes that does not decode as it came. */
function decodeValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

export function getCookie(c: Context, name: string): string | undefined {
  const header = c.req.raw.headers.get('Cookie');
  if (!header || !header.includes(name)) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || trimBlanks(pair.slice(0, equals)) !== name) continue;
    let value = trimBlanks(pair.slice(equals + 1));
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (COOKIE_VALUE.test(value)) return decodeValue(value);
  }
  return undefined;
}

/** Appends a Set-Cookie header; the value is percent-encoded. */
export function setCookie(c: Context, name: string, value: string, options: CookieOptions): void {
  // What hono's serializer refused: a `__Host-` cookie must be Secure, Path=/ and without Domain
  // (the types already say so; this holds it for a caller that casts).
  if (!COOKIE_NAME.test(name) || (name.startsWith('__Host-') && (options.secure !== true || options.path !== '/'))) {
    throw new Error(`Cookie ${name}: an invalid name, or a __Host- cookie without Secure and Path=/`);
  }
  let cookie = `${name}=${encodeURIComponent(value)}`;
  if (options.maxAge !== undefined && options.maxAge >= 0) cookie += `; Max-Age=${options.maxAge | 0}`;
  cookie += `; Path=${options.path}`;
  if (options.httpOnly) cookie += '; HttpOnly';
  cookie += '; Secure';
  if (options.sameSite) cookie += `; SameSite=${options.sameSite}`;
  c.header('Set-Cookie', cookie, { append: true });
}

/** Expires the cookie (Max-Age=0 with the same Path and Secure) and returns what it held. */
export function deleteCookie(c: Context, name: string, options: Omit<CookieOptions, 'maxAge'>): string | undefined {
  const held = getCookie(c, name);
  setCookie(c, name, '', { ...options, maxAge: 0 });
  return held;
}
