import { csrf } from 'hono/csrf';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
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

const honoCsrf = csrf({
  // A form may only be posted from a page of the same origin it is posted to.
  origin: (origin, c) => origin === new URL(c.req.url).origin,
});

/**
 * hono/csrf refuses cross-origin form posts (Origin / Sec-Fetch-Site). Its own refusal is a bare
 * 403; this turns it into the taxonomy's csrf_failed so it renders like every other error.
 * JSON APIs are exempt: they authenticate with a bearer key, which a browser never sends on its own.
 */
export const csrfProtection = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.path.startsWith('/api/')) return next();
  let allowed = false;
  try {
    // Ask hono/csrf only for its verdict, so errors thrown further down are not mistaken for it.
    await honoCsrf(c, async () => {
      allowed = true;
    });
  } catch (error) {
    if (!(error instanceof HTTPException)) throw error;
  }
  if (!allowed) {
    throw new AppError('csrf_failed', 'This form was sent from another site and was refused. Reload the page and try again.');
  }
  await next();
});
