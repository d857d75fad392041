import { h } from '#jsx';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { isHtmx, redirectAfterPost } from '../lib/http';
import { bannerAnnouncements, dismissAnnouncement, portalAnnouncement, portalAnnouncements } from '../notify/service';
import { portalHref } from '../../views/layouts/portal';
import { AnnouncementBanner, PortalAnnouncementPage, PortalAnnouncementsPage } from '../../views/pages/portal/announcements';

/**
 * Portal → Announcements (mounted by portalRoutes behind sign-in): only what was sent to the
 * signed-in member's own customer, from the portal context, never from the request.
 */
export const portalAnnouncementRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const portal = c.get('portal');
    const page = Math.max(1, Math.min(1000, Number(c.req.query('page')) || 1));
    const list = await portalAnnouncements(getDb(c.env.DB), portal.host.id, portal.customer!.id, page);
    return c.html(<PortalAnnouncementsPage portal={portal} {...list} />);
  })
  .get('/banner', async (c) => {
    const portal = c.get('portal');
    const items = await bannerAnnouncements(getDb(c.env.DB), portal.host.id, portal.customer!.id, portal.member?.id ?? null);
    c.header('Cache-Control', 'no-store');
    return c.html(<AnnouncementBanner portal={portal} items={items} />);
  })
  .get('/:id', async (c) => {
    const portal = c.get('portal');
    const a = await portalAnnouncement(getDb(c.env.DB), portal.host.id, portal.customer!.id, c.req.param('id'));
    return c.html(<PortalAnnouncementPage portal={portal} announcement={a} />);
  })
  .post('/:id/dismiss', async (c) => {
    const portal = c.get('portal');
    await dismissAnnouncement(getDb(c.env.DB), portal.host.id, portal.customer!.id, portal.member!.id, c.req.param('id'));
    // htmx swaps the banner out; without JavaScript, back to the list.
    if (isHtmx(c)) return c.body(null, 200);
    return redirectAfterPost(c, portalHref(portal, '/announcements'));
  });
