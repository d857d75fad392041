import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, rateLimits } from '../../src/db/schema';
import worker from '../../src/index';
import { PORTAL_VIEW_SESSION_MS } from '../../src/portal/preview';
import { createHost, createTestCustomer, db, getPage, postForm } from '../helpers/fixtures';

/** Issue 11's weaknesses 7 and 10 (the parts outside telemetry): each test failed before the fix. */

const portalViews = (customerId: string) =>
  db().select().from(activityLog).where(and(eq(activityLog.customerId, customerId), eq(activityLog.action, 'portal.viewed'))).all();

describe('weakness 7: every View Portal session is logged', () => {
  it('logs a preview opened by typing its URL, once per session, and the button adds no second entry', async () => {
    const host = await createHost('Typed Preview Host');
    const customer = await createTestCustomer(host);
    const page = await getPage(`/admin/customers/${customer.id}/portal`, { cookie: host.owner.cookie });
    expect(page.status).toBe(200);
    expect(await portalViews(customer.id)).toHaveLength(1);
    // More pages of the same session, and the button, add nothing.
    await getPage(`/admin/customers/${customer.id}/portal/equipment`, { cookie: host.owner.cookie });
    await postForm(`/admin/customers/${customer.id}/view-portal`, {}, { cookie: host.owner.cookie });
    const [entry] = await portalViews(customer.id);
    expect(await portalViews(customer.id)).toHaveLength(1);
    expect(entry).toMatchObject({ actorKind: 'staff', actorId: host.owner.userId, hostId: host.hostId });
    // After the session window, a new view is a new entry.
    await db()
      .update(activityLog)
      .set({ createdAt: sql`${activityLog.createdAt} - ${PORTAL_VIEW_SESSION_MS + 1}` })
      .where(eq(activityLog.id, entry!.id));
    await getPage(`/admin/customers/${customer.id}/portal`, { cookie: host.owner.cookie });
    expect(await portalViews(customer.id)).toHaveLength(2);
  });
});

describe('weakness 10: housekeeping', () => {
  it('redirects /host/<slug>/ to /host/<slug>, keeping the query', async () => {
    const host = await createHost('Slash Host');
    const res = await getPage(`/host/${host.slug}/?from=email`);
    expect(res.status).toBe(301);
    expect(res.headers.get('Location')).toBe(`/host/${host.slug}?from=email`);
  });

  it('the cron prunes rate-limit rows whose window ended a day ago', async () => {
    const now = Date.now();
    await db().insert(rateLimits).values([
      { key: 'signin:ip:stale-row', windowStart: now - 25 * 3600_000, count: 3 },
      { key: 'signin:ip:live-row', windowStart: now - 60_000, count: 3 },
    ]);
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: now, cron: '*/15 * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    const keys = (await db().select({ key: rateLimits.key }).from(rateLimits).all()).map((r) => r.key);
    expect(keys).toContain('signin:ip:live-row');
    expect(keys).not.toContain('signin:ip:stale-row');
  });
});
