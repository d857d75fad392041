import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';

/**
 * Only our own scripts and styles; htmx is vendored under /vendor. Images may also be `blob:`
 * object URLs, which the branding preview uses to show a chosen logo before it is uploaded.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/**
 * What hono/secure-headers set with its defaults and our CSP, written out: the same headers and
 * values, without its option parser (2.2 KiB of the bundle, bench/README.md "The Worker bundle").
 */
const SECURITY_HEADERS: [string, string][] = [
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'same-origin'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
  ['Content-Security-Policy', CONTENT_SECURITY_POLICY],
];

export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  for (const [name, value] of SECURITY_HEADERS) c.res.headers.set(name, value);
  c.res.headers.delete('X-Powered-By');
});

/** Methods that change nothing, and the content types a page on another site can post without asking first. */
const SAFE_METHOD = /^(GET|HEAD|OPTIONS)$/;
const FORM_CONTENT_TYPE = /^\b(application\/x-www-form-urlencoded|multipart\/form-data|text\/(?:plain|ping))\b/i;

/**
 * Refuses cross-origin form posts: a form post must say it comes from this origin, by
 * `Sec-Fetch-Site: same-origin` or an `Origin` equal to the request's. hono/csrf's rule, written
 * out so its refusal is the taxonomy's csrf_failed (renders like every other error) and its
 * option parsing stays out of the bundle; `test/unit/csrf.test.ts` holds the verdict to
 * hono/csrf's for every combination. JSON APIs are exempt: they authenticate with a bearer key,
 * which a browser never sends on its own.
 * @see https://hono.dev/docs/middleware/builtin/csrf
 */
export const csrfProtection = createMiddleware<AppEnv>(async (c, next) => {
  if (
    !c.req.path.startsWith('/api/') &&
    !SAFE_METHOD.test(c.req.method) &&
    FORM_CONTENT_TYPE.test(c.req.header('content-type') || 'text/plain') &&
    c.req.header('sec-fetch-site') !== 'same-origin' &&
    c.req.header('origin') !== new URL(c.req.url).origin
  ) {
    throw new AppError('csrf_failed', 'This form was sent from another site and was refused. Reload the page and try again.');
  }
  await next();
});
