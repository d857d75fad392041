import { Hono } from '../../lib/hono';
import { eq } from 'drizzle-orm';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { getDb } from '../../db/client';
import { hosts } from '../../db/schema';
import type { AppEnv } from '../../env';
import { notFound, ValidationError } from '../../lib/errors';
import { readJsonObject } from '../../lib/http';
import { checkAnnouncement, createAnnouncement, deliveryFigures, getAnnouncement, listAnnouncements, type Announcement, type DeliveryFigures } from '../../notify/service';
import { parseTarget } from '../../notify/service';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The API shape of an announcement with its delivery figures. */
export function toApiAnnouncement(a: Announcement, figures: DeliveryFigures | undefined, endedFigures?: DeliveryFigures) {
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    subject: a.subject,
    body: a.body,
    format: a.format,
    target: parseTarget(a.target),
    send_at: iso(a.sendAt),
    started_at: iso(a.startedAt),
    created_at: iso(a.createdAt),
    maintenance:
      a.kind === 'maintenance'
        ? { site_id: a.siteId, starts_at: iso(a.startsAt), ends_at: iso(a.endsAt), notice_minutes: a.noticeMinutes, ended_notice_at: iso(a.endedNoticeAt) }
        : null,
    delivery: figures ? { recipients: figures.recipients, queued: figures.queued, sent: figures.sent, failed: figures.failed, percent: figures.percent } : null,
    ...(endedFigures ? { ended_delivery: { recipients: endedFigures.recipients, queued: endedFigures.queued, sent: endedFigures.sent, failed: endedFigures.failed, percent: endedFigures.percent } } : {}),
  };
}

/** /api/v1/announcements — list, create, and one announcement with its delivery figures. */
export const apiAnnouncementRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const key = c.get('apiKey');
    const q = c.req.query();
    const errors: Record<string, string> = {};
    if (q.status && !['scheduled', 'sending', 'sent', 'cancelled'].includes(q.status)) errors.status = 'Use one of: scheduled, sending, sent, cancelled.';
    if (q.kind && !['announcement', 'maintenance'].includes(q.kind)) errors.kind = 'Use one of: announcement, maintenance.';
    const page = q.page === undefined ? 1 : Number(q.page);
    if (!Number.isInteger(page) || page < 1 || page > 1000) errors.page = 'page must be a whole number from 1 to 1000.';
    if (Object.keys(errors).length) throw new ValidationError(errors);
    const list = await listAnnouncements(getDb(c.env.DB), key.hostId, { status: q.status, kind: q.kind, q: q.q?.slice(0, 100), page });
    return c.json({ data: list.items.map((a) => toApiAnnouncement(a, list.figures.get(a.id))), total: list.total, page: list.page, page_size: list.pageSize });
  })
  .post('/', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const body = await readJsonObject(c);
    const host = await db.select({ timezone: hosts.timezone }).from(hosts).where(eq(hosts.id, key.hostId)).get();
    const checked = await checkAnnouncement(db, key.hostId, host?.timezone ?? 'UTC', body);
    const created = await createAnnouncement(db, c.env, key.hostId, apiActor(key), checked, new URL(c.req.url).origin);
    const figures = await deliveryFigures(db, key.hostId, [created.id]);
    return c.json({ data: toApiAnnouncement(created, figures.get(created.id)) }, 201);
  })
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const a = await getAnnouncement(db, key.hostId, c.req.param('id'));
    if (!a) throw notFound('Announcement');
    const [figures, ended] = await Promise.all([
      deliveryFigures(db, key.hostId, [a.id]),
      a.endedNoticeAt !== null ? deliveryFigures(db, key.hostId, [a.id], 'ended') : Promise.resolve(null),
    ]);
    return c.json({ data: toApiAnnouncement(a, figures.get(a.id), ended?.get(a.id)) });
  });
