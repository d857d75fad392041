import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { customerUsage, parseUsageMonth } from '../../src/billing/usage';
import { alerts, announcements, emailOutbox, maintenanceUnits } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { checkAnnouncement, createAnnouncement, deliverChunk, runNotifyCron } from '../../src/notify/service';
import { recordingEnv } from '../helpers/notify';
import { createHost, createTestCustomer, db, getPage, postForm } from '../helpers/fixtures';
import { insertMiner, insertSite, setAlertRules } from '../helpers/alerts';
import { batchOf, report, stateOf } from '../helpers/telemetry';
import { HOUR_MS, insertUsage } from '../helpers/usage';


/** A site with units on two racks of two customers, and a unit of the first customer at another site. */
async function fixture() {
  const host = await createHost('Maintenance Host');
  const hall = await insertSite(host, 'Hall');
  const annex = await insertSite(host, 'Annex');
  const inWindow = await createTestCustomer(host, { name: 'Rack One Co', contact_email: 'one@one.example' });
  const outside = await createTestCustomer(host, { name: 'Rack Two Co', contact_email: 'two@two.example' });
  const a = await insertMiner(host, { siteId: hall, customerId: inWindow.id, rackLocation: 'R1-01' });
  const b = await insertMiner(host, { siteId: hall, customerId: outside.id, rackLocation: 'R2-01' });
  const c = await insertMiner(host, { siteId: annex, customerId: inWindow.id, rackLocation: 'R1-01' });
  return { host, hall, annex, inWindow, outside, a, b, c };
}

describe('Maintenance windows', () => {
  it('cover exactly the chosen racks, notify only their customers, and suppress only their alerts', async () => {
    const f = await fixture();
    const rec = recordingEnv();
    const now = Date.now();
    const start = Math.floor(now / HOUR_MS) * HOUR_MS - 3 * HOUR_MS;
    const checked = await checkAnnouncement(db(), f.host.hostId, 'UTC', {
      kind: 'maintenance',
      subject: 'Rack 1 power work',
      body: 'We replace a PDU.',
      site_id: f.hall,
      racks: 'r1',
      starts_at: new Date(start).toISOString(),
      ends_at: new Date(now + HOUR_MS).toISOString(),
      notice_hours: 0,
    }, now);
    const w = await createAnnouncement(db(), rec.env, f.host.hostId, staffActor(f.host.owner.session), checked, null, now);
    const covered = await db().select({ minerId: maintenanceUnits.minerId }).from(maintenanceUnits).where(eq(maintenanceUnits.announcementId, w.id)).all();
    expect(covered.map((u) => u.minerId)).toEqual([f.a.id]);
    expect(w.status).toBe('sending');
    await deliverChunk(db(), rec.env, rec.notify[0]!);
    const notices = await db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, f.host.hostId), eq(emailOutbox.template, 'announcement'))).all();
    expect(notices.map((n) => n.toEmail)).toEqual(['one@one.example']);
    expect(JSON.parse(notices[0]!.payload)).toMatchObject({ phase: 'maintenance_notice', maintenance: { siteName: 'Hall', units: 1 } });

    // Every unit overheats: the covered one's alert is recorded but suppressed and never emailed.
    await setAlertRules(f.host, { overTempC: 80, overTempMinutes: 0, emailCustomer: true });
    const hot = { board_temps_c: [95], chip_temps_c: [97] };
    await stateOf(f.hall).ingest({ hostId: f.host.hostId, siteId: f.hall }, batchOf([report(f.a.mac, hot), report(f.b.mac, hot)]));
    await stateOf(f.annex).ingest({ hostId: f.host.hostId, siteId: f.annex }, batchOf([report(f.c.mac, hot)]));
    const rows = await db().select().from(alerts).where(eq(alerts.hostId, f.host.hostId)).all();
    const byMiner = new Map(rows.map((r) => [r.minerId, r]));
    expect(byMiner.get(f.a.id)).toMatchObject({ kind: 'over_temp', suppressedBy: w.id, emailedAt: null });
    expect(byMiner.get(f.b.id)).toMatchObject({ suppressedBy: null });
    expect(byMiner.get(f.b.id)!.emailedAt).not.toBeNull();
    expect(byMiner.get(f.c.id)).toMatchObject({ suppressedBy: null });
    expect(byMiner.get(f.c.id)!.emailedAt).not.toBeNull();
    const page = await (await getPage('/admin/alerts', { cookie: f.host.owner.cookie })).text();
    expect(page).toContain(`Suppressed: <a href="/admin/notify/${w.id}">maintenance window</a>`);
  });

  it('tag the covered units’ downtime planned in usage, leaving it out of uptime, and nothing else', async () => {
    const f = await fixture();
    const rec = recordingEnv();
    const now = Date.now();
    const start = Math.floor(now / HOUR_MS) * HOUR_MS - 3 * HOUR_MS;
    const checked = await checkAnnouncement(db(), f.host.hostId, 'UTC', {
      kind: 'maintenance',
      subject: 'Hall rack 1',
      body: 'Work',
      site_id: f.hall,
      units: `${f.a.mac.toUpperCase()}`,
      starts_at: new Date(start).toISOString(),
      ends_at: new Date(now + HOUR_MS).toISOString(),
    });
    await createAnnouncement(db(), rec.env, f.host.hostId, staffActor(f.host.owner.session), checked, null, now);
    // Three complete hours in the window, each 10 minutes online, for every unit.
    const rows = [f.a, f.b, f.c].flatMap((unit, i) =>
      [0, 1, 2].map((h) => ({ minerId: unit.id, hourStart: start + h * HOUR_MS, siteId: i === 2 ? f.annex : f.hall, customerId: i === 1 ? f.outside.id : f.inWindow.id, onlineSeconds: 600 })),
    );
    await insertUsage(f.host, rows);
    const settings = { timezone: 'UTC', billingDay: 1 };
    const key = parseUsageMonth(undefined, 1, 'UTC', now);
    const mine = await customerUsage(db(), f.host.hostId, f.inWindow.id, key, settings, now);
    const unit = (id: string) => mine.units.find((u) => u.minerId === id)!;
    expect(unit(f.a.id).plannedDowntimeSeconds).toBe(3 * 3000);
    expect(unit(f.c.id).plannedDowntimeSeconds).toBe(0);
    // Uptime of the covered unit excludes the planned time: 1,800 s online over 10,800 − 9,000 s.
    expect(unit(f.a.id).uptimeBps).toBe(10_000);
    expect(unit(f.c.id).uptimeBps).toBeLessThan(10_000);
    const theirs = await customerUsage(db(), f.host.hostId, f.outside.id, key, settings, now);
    expect(theirs.units.every((u) => u.plannedDowntimeSeconds === 0)).toBe(true);

    const page = await (await getPage(`/admin/customers/${f.inWindow.id}/usage`, { cookie: f.host.owner.cookie })).text();
    expect(page).toContain('Planned downtime');
    expect(page).toContain('2.5 h');
  });

  it('send the "finished" email by the cron when the window ends, once', async () => {
    const f = await fixture();
    const rec = recordingEnv();
    const now = Date.now();
    const checked = await checkAnnouncement(db(), f.host.hostId, 'UTC', {
      kind: 'maintenance',
      subject: 'Short window',
      body: 'Work',
      site_id: f.hall,
      starts_at: new Date(now + 2 * HOUR_MS).toISOString(),
      ends_at: new Date(now + 3 * HOUR_MS).toISOString(),
      notice_hours: 1,
    }, now);
    const w = await createAnnouncement(db(), rec.env, f.host.hostId, staffActor(f.host.owner.session), checked, null, now);
    // The notice waits for its lead time (an hour before the start).
    expect(w.status).toBe('scheduled');
    expect(w.sendAt).toBe(now + HOUR_MS);
    await runNotifyCron(rec.env, now + HOUR_MS - 1);
    expect(rec.notify.filter((m) => m.announcementId === w.id)).toHaveLength(0);
    await runNotifyCron(rec.env, now + HOUR_MS);
    expect(rec.notify.filter((m) => m.announcementId === w.id && m.phase === 'notice')).toHaveLength(1);
    await runNotifyCron(rec.env, now + 3 * HOUR_MS);
    await runNotifyCron(rec.env, now + 3 * HOUR_MS + 1000);
    const ended = rec.notify.filter((m) => m.announcementId === w.id && m.phase === 'ended');
    expect(ended).toHaveLength(1);
    await deliverChunk(db(), rec.env, ended[0]!);
    const finished = await db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, f.host.hostId), eq(emailOutbox.subject, 'Completed: Short window'))).all();
    expect(finished.map((e) => e.toEmail).sort()).toEqual(['one@one.example', 'two@two.example']);
    expect(JSON.parse(finished[0]!.payload).phase).toBe('maintenance_ended');
    expect((await db().select().from(announcements).where(eq(announcements.id, w.id)).get())!.endedNoticeAt).toBe(now + 3 * HOUR_MS);
  });

  it('refuse a window that ends before it starts, or matches no unit (422, nothing written)', async () => {
    const f = await fixture();
    const now = Date.now();
    const base = { kind: 'maintenance', subject: 'x', body: 'y', format: 'plain', site_id: f.hall, notice_hours: '0', action: 'create' };
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    const backwards = await postForm('/admin/notify/new', { ...base, starts_at: iso(now + 2 * HOUR_MS), ends_at: iso(now + HOUR_MS) }, { cookie: f.host.owner.cookie });
    expect(backwards.status).toBe(422);
    expect(await backwards.text()).toContain('The end must be after the start.');
    const none = await postForm('/admin/notify/new', { ...base, racks: 'Z9', starts_at: iso(now + HOUR_MS), ends_at: iso(now + 2 * HOUR_MS) }, { cookie: f.host.owner.cookie });
    expect(none.status).toBe(422);
    expect(await none.text()).toContain('No unit at this site matches');
    expect(await db().select().from(announcements).where(eq(announcements.hostId, f.host.hostId)).all()).toHaveLength(0);
  });
});
