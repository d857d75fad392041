import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/env';
import { AppError } from '../../src/lib/errors';
import { csrfProtection } from '../../src/middleware/security';

/**
 * src/middleware/security.ts writes hono/csrf's rule out (its refusal as csrf_failed, its option
 * parsing out of the bundle). Every combination of method, content type, Sec-Fetch-Site and
 * Origin gets the same verdict from both, with hono/csrf configured as the app used it (an origin
 * equal to the request's).
 */
const ORIGIN = 'https://hashyard.test';

function verdicts() {
  const ours = new Hono<AppEnv>()
    .onError((error) => new Response(error instanceof AppError ? error.code : 'other', { status: 403 }))
    .use(csrfProtection)
    .all('*', (c) => c.text('through'));
  const hono = new Hono().use(csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin })).all('*', (c) => c.text('through'));
  return { ours, hono };
}

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'];
const CONTENT_TYPES = [undefined, 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain;charset=UTF-8', 'TEXT/PING', 'application/json', 'application/x-www-form-urlencodedx'];
const FETCH_SITES = [undefined, 'same-origin', 'same-site', 'cross-site', 'none', 'bogus'];
const ORIGINS = [undefined, ORIGIN, 'https://evil.example', 'null', `${ORIGIN}:443`, 'http://hashyard.test'];

describe('the CSRF check', () => {
  it('gives hono/csrf’s verdict for every method, content type, Sec-Fetch-Site and Origin', async () => {
    const { ours, hono } = verdicts();
    let refused = 0;
    for (const method of METHODS) {
      for (const type of CONTENT_TYPES) {
        for (const site of FETCH_SITES) {
          for (const origin of ORIGINS) {
            const headers: Record<string, string> = {};
            if (type) headers['content-type'] = type;
            if (site) headers['sec-fetch-site'] = site;
            if (origin) headers.origin = origin;
            const init = { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : 'a=1' };
            const [mine, theirs] = await Promise.all([ours.request(`${ORIGIN}/admin/customers`, init), hono.request(`${ORIGIN}/admin/customers`, init)]);
            const label = `${method} ${type} ${site} ${origin}`;
            expect(mine.status, label).toBe(theirs.status);
            if (mine.status === 403) {
              refused += 1;
              if (method !== 'HEAD') expect(await mine.text(), label).toBe('csrf_failed');
            }
          }
        }
      }
    }
    // The matrix holds both verdicts in numbers, so it cannot pass by letting everything through.
    expect(refused).toBeGreaterThan(100);
  });

  it('leaves the JSON API to its bearer keys', async () => {
    const { ours } = verdicts();
    const res = await ours.request(`${ORIGIN}/api/v1/customers`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, body: 'a=1' });
    expect(res.status).toBe(200);
  });
});
