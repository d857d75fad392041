import { createMiddleware } from 'hono/factory';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { forbidden, notFound } from '../lib/errors';
import { customerWriteAccess } from '../team/scope';

/** Posts under a customer that only read (opening the portal preview logs the view, nothing more). */
const READ_ONLY_POSTS = /\/view-portal$/;

/**
 * Site-scoped staff (issue 16): every change under `/admin/customers/<id>` — the customer's
 * details, team, contracts, financials, default status, legal, support — is refused with 403 when
 * the customer also has units or O&M sites outside the member's sites ("read-only for the rest of
 * a shared customer"), and 404 when the customer is not theirs to see at all. One check in front
 * of every customer route, so a route added later is covered too. Unscoped members pass.
 */
export const customerWriteScope = createMiddleware<AppEnv>(async (c, next) => {
  const session = c.get('staff');
  const method = c.req.method;
  if (session.siteIds === null || method === 'GET' || method === 'HEAD' || READ_ONLY_POSTS.test(c.req.path)) return next();
  const access = await customerWriteAccess(getDb(c.env.DB), session.host.id, c.req.param('customerId') ?? '', session.siteIds);
  if (access === 'hidden') throw notFound('Customer');
  if (access === 'shared') throw forbidden('This customer also has units or sites you cannot see, so its details are read-only for you.');
  return next();
});
