import type { Context } from 'hono';
import { getCookie } from '../lib/cookie';
import { createMiddleware } from 'hono/factory';
import { getCustomer } from '../customers/service';
import { defaultBannerFor } from '../default/banner';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { notFound } from '../lib/errors';
import { resolvePortalRequest, type PortalAddress, type PortalScope } from '../portal/request';
import { PORTAL_COOKIE } from '../portal/session';
import { resolveHostById } from '../portal/tenant';
import { recordPortalView } from '../portal/preview';
import { staffActor } from '../hosts/service';
import { keepPrefetched, pendingPageReads } from './page-prefetch';
import { requestHostname } from './tenant';

/** `/host/<slug>/…` on the platform host: the host slug, or the main slug as a fallback. */
export const portalBySlug = createMiddleware<AppEnv>(async (c, next) => {
  const slug = (c.req.param('slug') ?? '').toLowerCase();
  await resolvePortal(c, { slug }, `/host/${slug}`);
  await next();
});

/** Any other hostname: a verified custom domain serves its host's portal at `/`; else 404. */
export const portalByDomain = createMiddleware<AppEnv>(async (c, next) => {
  await resolvePortal(c, { hostname: requestHostname(c.req.url) }, '');
  await next();
});

/**
 * The host (404 when none) and, in the same D1 round trip, the portal session for requireMember
 * and, on the pages that declare them (`pagePrefetch`, src/routes/portal.tsx), the page's own first
 * reads, kept only if the session confirms the host and customer they were read for.
 */
async function resolvePortal(c: Context<AppEnv>, address: PortalAddress, base: string) {
  const pageReads = pendingPageReads<PortalScope>(c);
  const resolved = await resolvePortalRequest(getDb(c.env.DB), c.get('vars').SESSION_SECRET, address, getCookie(c, PORTAL_COOKIE), pageReads);
  if (!resolved) throw notFound();
  c.set('portal', { host: resolved.host, base, preview: null, member: null, customer: null });
  c.set('portalSession', resolved.session);
  if (pageReads) keepPrefetched(c, resolved.prefetched);
}

/**
 * View Portal: host staff (already signed in: /admin/* requires it) see one of their customers'
 * portal, read-only. The customer is looked up within the staff member's host only.
 */
export const portalPreview = createMiddleware<AppEnv>(async (c, next) => {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const customer = await getCustomer(db, session.host.id, c.req.param('customerId') ?? '');
  const host = await resolveHostById(db, session.host.id);
  if (!host) throw notFound();
  // Every way into the preview is logged, not only the View Portal button (issue 11, weakness 7).
  await recordPortalView(db, session.host.id, customer.id, staffActor(session));
  c.set('portal', {
    host,
    base: `/admin/customers/${customer.id}/portal`,
    preview: { staffName: session.user.name },
    member: null,
    customer: {
      id: customer.id,
      name: customer.name,
      companyName: customer.companyName,
      teamName: customer.teamName,
      contactEmail: customer.contactEmail,
      billingEmail: customer.billingEmail,
      active: customer.active,
      portalAccess: customer.portalAccess,
      status: customer.status,
    },
    defaultBanner: await defaultBannerFor(db, session.host.id, customer.id, customer.status),
  });
  await next();
});
