import { csrf } from 'hono/csrf';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';

/**
 * Only our own scripts and styles; htmx is vendored under /vendor. Images may also be `blob:`
 * object URLs, which the branding preview uses to show a chosen logo before it is uploaded.
 */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  referrerPolicy: 'same-origin',
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
