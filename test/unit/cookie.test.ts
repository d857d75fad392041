import { Hono } from 'hono';
import * as hono from 'hono/cookie';
import { describe, expect, it } from 'vitest';
import * as ours from '../../src/lib/cookie';

// src/lib/cookie.ts replaced hono/cookie in the Worker (bundle size); both read and write the same
// headers for what the Worker does, so sessions issued before and after stay readable.
const NAME = '__Host-hy_staff';
/** workerd has Headers#getSetCookie; the pinned workers types do not declare it. */
const setCookies = (headers: Headers) => (headers as Headers & { getSetCookie(): string[] }).getSetCookie();

const COOKIE_HEADERS = [
  '',
  `${NAME}=abc`,
  `other=1; ${NAME}=abc.def-ghi_jkl; last=2`,
  `${NAME}="quoted"`,
  `${NAME}="`,
  `  ${NAME}\t=\t spaced \t;x=y`,
  `${NAME}=bad,comma; ${NAME}=second`,
  `${NAME}=first; ${NAME}=second`,
  `${NAME}=a%20b%2Fc`,
  `${NAME}=%E0%A4%A; x=1`,
  `${NAME}=ok%20then%ZZ%41`,
  `x${NAME}=prefixed; ${NAME}=real`,
  `${NAME}`,
  `${NAME}=; x=1`,
  'unrelated=1; another=2',
  `${NAME}=a=b=c`,
];

async function readWith(get: (c: never, name: string) => string | undefined, header: string) {
  const app = new Hono().get('/', (c) => c.json({ value: get(c as never, NAME) ?? null }));
  const response = await app.request('/', { headers: header ? { Cookie: header } : {} });
  return ((await response.json()) as { value: string | null }).value;
}

async function writeWith(write: (c: never) => void) {
  const app = new Hono().get('/', (c) => {
    write(c as never);
    return c.body(null, 204);
  });
  return setCookies((await app.request('/')).headers);
}

describe('src/lib/cookie.ts reads and writes as hono/cookie does', () => {
  it.each(COOKIE_HEADERS)('getCookie of %j', async (header) => {
    expect(await readWith(ours.getCookie as never, header)).toEqual(await readWith(hono.getCookie as never, header));
  });

  it.each([
    ['token.value', { path: '/', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: 3600 }],
    ['a b;c=d/é', { path: '/', secure: true, httpOnly: true, sameSite: 'Strict', maxAge: 60 * 60 * 24 * 365 }],
    ['', { path: '/', secure: true }],
    ['1.5', { path: '/', secure: true, sameSite: 'Lax', maxAge: 90.7 }],
  ] as const)('setCookie of %j with %j', async (value, options) => {
    const mine = await writeWith((c) => ours.setCookie(c, NAME, value, options));
    const theirs = await writeWith((c) => hono.setCookie(c, NAME, value, options));
    expect(mine).toEqual(theirs);
    expect(mine).toHaveLength(1);
  });

  it('deleteCookie expires it with the same attributes and returns what it held', async () => {
    const app = new Hono().get('/', (c) => c.json({ ours: ours.deleteCookie(c, NAME, { path: '/', secure: true }) ?? null }));
    const response = await app.request('/', { headers: { Cookie: `${NAME}=held` } });
    expect(await response.json()).toEqual({ ours: 'held' });
    const theirs = await writeWith((c) => hono.deleteCookie(c, NAME, { path: '/', secure: true }));
    expect(setCookies(response.headers)).toEqual(theirs);
  });

  it('refuses a __Host- cookie without Secure and Path=/, as hono did', async () => {
    const attempt = async (options: object) => {
      const app = new Hono().get('/', (c) => {
        try {
          ours.setCookie(c, NAME, 'x', options as never);
          return c.json({ set: setCookies(c.res.headers) });
        } catch (error) {
          return c.json({ refused: String(error) });
        }
      });
      return (await app.request('/')).json();
    };
    expect(await attempt({ path: '/admin', secure: true })).toEqual({ refused: expect.stringMatching(/__Host-/) });
    expect(await attempt({ path: '/', secure: false })).toEqual({ refused: expect.stringMatching(/__Host-/) });
    expect(await attempt({ path: '/', secure: true })).toEqual({ set: [`${NAME}=x; Path=/; Secure`] });
  });
});
