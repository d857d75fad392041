/**
 * Notify (issue 12): announcements to a host's customers, delivered one outbox row per recipient
 * through the email queue, and maintenance windows (src/notify/maintenance.ts).
 *
 * Life of an announcement:
 * 1. `createAnnouncement` checks the input, writes the row (`scheduled`, with `send_at`) and, for
 *    a maintenance window, the units it covers — one batch with the activity entry.
 * 2. `startSending` (at once for "send now", else the cron when `send_at` is due) fixes the
 *    recipients: one guarded UPDATE (`scheduled` → `sending`, a claim id) and one INSERT … SELECT
 *    of every recipient, numbered (`seq`) and each given its outbox id up front, in one batch —
 *    so two senders racing fix the list once. Then it queues one `hashyard-notify` message per
 *    chunk of CHUNK_SIZE recipients (src/notify/queue.ts).
 * 3. Each chunk message inserts its recipients' outbox rows (INSERT OR IGNORE on the pre-chosen
 *    ids: a redelivered chunk writes nothing twice) and queues the ones still `queued` on the
 *    email queue, whose consumer claims each row before sending (never twice).
 * So no request or invocation touches more than one chunk: 5,000 recipients are 10 messages.
 * @see https://developers.cloudflare.com/workers/platform/limits/#subrequests
 */
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { activityInsert, type Actor } from '../activity/service';
import { getDb, type Db } from '../db/client';
import { announcementDismissals, announcements, customers, maintenanceUnits, miners, sites } from '../db/schema';
import { CUSTOMER_COLUMN } from '../customers/status';
import { prepareOutboxRow } from '../email/outbox';
import type { Bindings } from '../env';
import { hostIdIsOpen } from '../hosts/open';
import { AppError, notFound, ValidationError, type FieldErrors } from '../lib/errors';
import { newId } from '../lib/ids';
import { parseInput } from '../lib/validation';
import { portalBaseUrl, platformOrigin } from '../portal/links';
import { resolveHostById } from '../portal/tenant';
import {
  announcementInputSchema,
  DEFAULT_NOTICE_HOURS,
  DEFAULT_STATUSES,
  instantOf,
  listOf,
  MAX_WINDOW_MS,
  type AnnouncementInput,
  type AnnouncementTarget,
} from './schema';

export type Announcement = typeof announcements.$inferSelect;

/** Recipients per fan-out message: one INSERT … SELECT and five 100-message sendBatch calls. */
export const CHUNK_SIZE = 500;
/** Preview lists this many recipients (the count is always exact). */
export const PREVIEW_LIST = 100;
/** A portal banner shows an announcement this long after it was sent (maintenance: until the window ends). */
export const BANNER_DAYS = 14;

export type NotifyPhase = 'notice' | 'ended';
export interface NotifyChunkMessage {
  kind: 'notify_chunk';
  hostId: string;
  announcementId: string;
  phase: NotifyPhase;
  fromSeq: number;
  toSeq: number;
}

export type NotifyEnv = Pick<Bindings, 'DB' | 'EMAIL_QUEUE' | 'NOTIFY_QUEUE' | 'APP_HOST' | 'ENVIRONMENT'>;

const dialect = new SQLiteSyncDialect();
/** A drizzle SQL as a D1 statement, for `d1.batch` (drizzle's `db.run` is not batchable). */
const prepared = (db: Db, query: SQL) => {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return db.$client.prepare(text).bind(...params);
};

// ---------------------------------------------------------------------------------------------
// Targeting

export const parseTarget = (json: string): AnnouncementTarget => {
  const raw = JSON.parse(json) as Partial<AnnouncementTarget>;
  return { site_ids: raw.site_ids ?? [], contract_kinds: raw.contract_kinds ?? [], statuses: raw.statuses ?? [], customer_ids: raw.customer_ids ?? [] };
};

/** The customer status CASE, over the unaliased `customers` table (src/customers/status.ts's rule). */
const statusCase = sql`(CASE
  WHEN ${CUSTOMER_COLUMN.active} = 0 THEN 'inactive'
  WHEN EXISTS (SELECT 1 FROM pool_redirects pr WHERE pr.customer_id = ${CUSTOMER_COLUMN.id} AND pr.ended_at IS NULL) THEN 'pool_redirected'
  WHEN EXISTS (SELECT 1 FROM default_cases dc WHERE dc.customer_id = ${CUSTOMER_COLUMN.id} AND dc.closed_at IS NULL) THEN 'in_default'
  ELSE 'active' END)`;

/**
 * Every recipient of a target, one row per email address (lowercased): each member of a targeted
 * customer's portal team (Portal Access on, not removed), else the customer's contact email. An
 * address on two customers goes once, attributed to the first customer by id. `maintenanceOf`
 * narrows to the customers owning units in that window. Every list is one JSON parameter.
 */
function recipientsSql(hostId: string, target: AnnouncementTarget, maintenanceOf: string | null): SQL {
  const statuses = target.statuses.length > 0 ? target.statuses : DEFAULT_STATUSES;
  const sitesJson = JSON.stringify(target.site_ids);
  const kindsJson = JSON.stringify(target.contract_kinds);
  const customersJson = JSON.stringify(target.customer_ids);
  return sql`WITH targeted AS (
      SELECT customers.id AS customer_id, customers.contact_email, customers.name, customers.portal_access FROM customers
      WHERE customers.host_id = ${hostId}
        AND ${statusCase} IN (SELECT value FROM json_each(${JSON.stringify(statuses)}))
        AND (${target.customer_ids.length} = 0 OR customers.id IN (SELECT value FROM json_each(${customersJson})))
        AND (${target.site_ids.length} = 0 OR EXISTS (SELECT 1 FROM miners m WHERE m.host_id = ${hostId} AND m.customer_id = customers.id
          AND m.status = 'assigned' AND m.site_id IN (SELECT value FROM json_each(${sitesJson}))))
        AND (${target.contract_kinds.length} = 0 OR EXISTS (SELECT 1 FROM contracts k WHERE k.host_id = ${hostId} AND k.customer_id = customers.id
          AND k.status = 'active' AND k.kind IN (SELECT value FROM json_each(${kindsJson}))))
        AND (${maintenanceOf} IS NULL OR customers.id IN (SELECT mu.customer_id FROM maintenance_units mu WHERE mu.announcement_id = ${maintenanceOf} AND mu.host_id = ${hostId}))
    ),
    people AS (
      SELECT t.customer_id, lower(u.email) AS email, u.name AS name FROM targeted t
        JOIN customer_users u ON u.customer_id = t.customer_id AND u.host_id = ${hostId} AND u.removed_at IS NULL
        WHERE t.portal_access = 1
      UNION ALL
      SELECT t.customer_id, lower(trim(t.contact_email)), t.name FROM targeted t
        WHERE NOT (t.portal_access = 1 AND EXISTS (SELECT 1 FROM customer_users u WHERE u.customer_id = t.customer_id AND u.host_id = ${hostId} AND u.removed_at IS NULL))
    )
    SELECT email, min(customer_id) AS customer_id, min(name) AS name FROM people GROUP BY email`;
}

export interface RecipientPreview {
  count: number;
  customers: number;
  list: { email: string; name: string; customerId: string; customerName: string }[];
}

/** The exact count and the first PREVIEW_LIST recipients (by email). */
export async function previewRecipients(db: Db, hostId: string, target: AnnouncementTarget, maintenanceOf: string | null = null): Promise<RecipientPreview> {
  const base = recipientsSql(hostId, target, maintenanceOf);
  const [countRows, listRows] = await db.$client.batch([
    prepared(db, sql`SELECT count(*) AS n, count(DISTINCT customer_id) AS c FROM (${base})`),
    prepared(
      db,
      sql`SELECT r.email, r.name, r.customer_id, cu.name AS customer_name FROM (${base}) r
        JOIN customers cu ON cu.id = r.customer_id ORDER BY r.email LIMIT ${PREVIEW_LIST}`,
    ),
  ]);
  const counts = (countRows!.results[0] ?? { n: 0, c: 0 }) as { n: number; c: number };
  return {
    count: counts.n,
    customers: counts.c,
    list: (listRows!.results as { email: string; name: string; customer_id: string; customer_name: string }[]).map((r) => ({
      email: r.email,
      name: r.name,
      customerId: r.customer_id,
      customerName: r.customer_name,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Creating

export interface CheckedAnnouncement {
  kind: Announcement['kind'];
  subject: string;
  body: string;
  format: Announcement['format'];
  target: AnnouncementTarget;
  sendAt: number;
  maintenance: { siteId: string; siteName: string; startsAt: number; endsAt: number; noticeMinutes: number; minerIds: { id: string; customerId: string | null }[] } | null;
}

/** Validates the input against the host's data: every site and customer must be the host's. */
export async function checkAnnouncement(db: Db, hostId: string, timezone: string, raw: unknown, now = Date.now()): Promise<CheckedAnnouncement> {
  const input: AnnouncementInput = parseInput(announcementInputSchema, raw);
  const errors: FieldErrors = {};
  const target: AnnouncementTarget = { site_ids: input.site_ids, contract_kinds: input.contract_kinds, statuses: input.statuses, customer_ids: input.customer_ids };

  const [siteRows, customerRows] = await Promise.all([
    target.site_ids.length > 0 || input.site_id
      ? db.select({ id: sites.id, name: sites.name }).from(sites).where(and(eq(sites.hostId, hostId), inArrayJson(sites.id, [...target.site_ids, ...(input.site_id ? [input.site_id] : [])]))).all()
      : Promise.resolve([]),
    target.customer_ids.length > 0
      ? db.select({ id: customers.id }).from(customers).where(and(eq(customers.hostId, hostId), inArrayJson(customers.id, target.customer_ids))).all()
      : Promise.resolve([]),
  ]);
  const knownSites = new Map(siteRows.map((s) => [s.id, s.name]));
  if (target.site_ids.some((id) => !knownSites.has(id))) errors.site_ids = 'Choose sites from the list.';
  const knownCustomers = new Set(customerRows.map((c) => c.id));
  if (target.customer_ids.some((id) => !knownCustomers.has(id))) errors.customer_ids = 'Choose customers from the list.';

  let sendAt = now;
  if (input.send_at) {
    sendAt = instantOf(input.send_at, timezone);
    if (!Number.isFinite(sendAt)) errors.send_at = 'Enter a valid date and time.';
    else if (sendAt < now - 60_000) errors.send_at = 'Choose a time in the future, or leave it empty to send now.';
  }

  let maintenance: CheckedAnnouncement['maintenance'] = null;
  if (input.kind === 'maintenance') {
    const siteName = input.site_id ? knownSites.get(input.site_id) : undefined;
    if (!input.site_id) errors.site_id = 'Choose the site.';
    else if (!siteName) errors.site_id = 'Choose a site from the list.';
    const startsAt = input.starts_at ? instantOf(input.starts_at, timezone) : NaN;
    const endsAt = input.ends_at ? instantOf(input.ends_at, timezone) : NaN;
    if (!Number.isFinite(startsAt)) errors.starts_at = 'Enter when the window starts.';
    if (!Number.isFinite(endsAt)) errors.ends_at = 'Enter when the window ends.';
    else if (endsAt <= now) errors.ends_at = 'The window must end in the future.';
    if (Number.isFinite(startsAt) && Number.isFinite(endsAt)) {
      if (endsAt <= startsAt) errors.ends_at = 'The end must be after the start.';
      else if (endsAt - startsAt > MAX_WINDOW_MS) errors.ends_at = 'A window lasts at most 14 days.';
    }
    const noticeMinutes = (input.notice_hours ?? DEFAULT_NOTICE_HOURS) * 60;
    if (siteName && Object.keys(errors).length === 0) {
      const minerIds = await unitsInScope(db, hostId, input.site_id!, listOf(input.racks), listOf(input.units));
      if (minerIds.length === 0) errors.units = 'No unit at this site matches these racks or units.';
      maintenance = { siteId: input.site_id!, siteName, startsAt, endsAt, noticeMinutes, minerIds };
      // The notice goes out `notice_hours` ahead of the start, or now if that is already past.
      sendAt = Math.max(now, startsAt - noticeMinutes * 60_000);
    }
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return { kind: input.kind, subject: input.subject, body: input.body, format: input.format, target, sendAt, maintenance };
}

const inArrayJson = (column: Parameters<typeof inArray>[0], ids: string[]) => sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;

/**
 * A window's units at a site: all of them, or those whose rack location starts with one of
 * `racks` (case-insensitive) or whose serial or MAC is one of `units`. Retired units are left out.
 */
async function unitsInScope(db: Db, hostId: string, siteId: string, racks: string[], units: string[]) {
  const racksJson = JSON.stringify(racks.map((r) => r.toLowerCase()));
  const unitsJson = JSON.stringify(units.map((u) => u.toLowerCase()));
  return db
    .select({ id: miners.id, customerId: sql<string | null>`CASE WHEN ${miners.status} = 'assigned' THEN ${miners.customerId} END` })
    .from(miners)
    .where(
      and(
        eq(miners.hostId, hostId),
        eq(miners.siteId, siteId),
        sql`${miners.status} <> 'retired'`,
        racks.length + units.length === 0
          ? sql`1`
          : sql`(EXISTS (SELECT 1 FROM json_each(${racksJson}) r WHERE substr(lower(coalesce(${miners.rackLocation}, '')), 1, length(r.value)) = r.value)
              OR lower(coalesce(${miners.serial}, '')) IN (SELECT value FROM json_each(${unitsJson}))
              OR lower(coalesce(${miners.mac}, '')) IN (SELECT value FROM json_each(${unitsJson})))`,
      ),
    )
    .all();
}

/** Rows per multi-row INSERT of maintenance units: 6 columns, under D1's 100 bound parameters. */
const UNIT_ROWS_PER_INSERT = 15;

/**
 * Writes the announcement (and a window's units) with its activity entry, then starts sending if
 * it is due now. `origin` is the platform origin of the request (portal links in the emails).
 */
export async function createAnnouncement(
  db: Db,
  env: NotifyEnv,
  hostId: string,
  actor: Actor,
  checked: CheckedAnnouncement,
  origin: string | null,
  now = Date.now(),
): Promise<Announcement> {
  const id = newId();
  const m = checked.maintenance;
  const row: typeof announcements.$inferInsert = {
    id,
    hostId,
    kind: checked.kind,
    subject: checked.subject,
    body: checked.body,
    format: checked.format,
    target: JSON.stringify(checked.target),
    status: 'scheduled',
    sendAt: checked.sendAt,
    origin,
    siteId: m?.siteId ?? null,
    startsAt: m?.startsAt ?? null,
    endsAt: m?.endsAt ?? null,
    noticeMinutes: m?.noticeMinutes ?? null,
    createdByLabel: actor.label,
    createdAt: now,
    updatedAt: now,
  };
  const unitInserts = [];
  for (let start = 0; m && start < m.minerIds.length; start += UNIT_ROWS_PER_INSERT) {
    unitInserts.push(
      db.insert(maintenanceUnits).values(
        m.minerIds.slice(start, start + UNIT_ROWS_PER_INSERT).map((unit) => ({
          announcementId: id,
          minerId: unit.id,
          hostId,
          customerId: unit.customerId,
          startsAt: m.startsAt,
          endsAt: m.endsAt,
        })),
      ),
    );
  }
  await db.batch([
    db.insert(announcements).values(row),
    ...unitInserts,
    activityInsert(db, hostId, actor, checked.kind === 'maintenance' ? 'maintenance.scheduled' : 'announcement.created', null, {
      subject: [null, checked.subject],
      ...(m ? { units: [null, m.minerIds.length] } : {}),
    }),
  ] as never);
  if (checked.sendAt <= now) await startSending(db, env, hostId, id, now);
  return (await getAnnouncement(db, hostId, id))!;
}

// ---------------------------------------------------------------------------------------------
// Sending

/**
 * Fixes the recipients (once, whoever calls first) and queues the chunk messages. Returns the
 * recipient count, or null when the announcement was not `scheduled` (already started, cancelled).
 */
export async function startSending(db: Db, env: Pick<NotifyEnv, 'NOTIFY_QUEUE'>, hostId: string, id: string, now = Date.now()): Promise<number | null> {
  const row = await getAnnouncement(db, hostId, id);
  if (!row || row.status !== 'scheduled') return null;
  const claim = newId();
  const recipients = recipientsSql(hostId, parseTarget(row.target), row.kind === 'maintenance' ? id : null);
  await db.$client.batch([
    prepared(db, sql`UPDATE announcements SET status = 'sending', claim_id = ${claim}, started_at = ${now}, updated_at = ${now}
      WHERE id = ${id} AND host_id = ${hostId} AND status = 'scheduled'`),
    prepared(
      db,
      sql`INSERT OR IGNORE INTO announcement_recipients (announcement_id, seq, host_id, customer_id, email, name, outbox_id, ended_outbox_id)
        SELECT ${id}, row_number() OVER (ORDER BY r.email), ${hostId}, r.customer_id, r.email, coalesce(r.name, ''),
          lower(hex(randomblob(16))), lower(hex(randomblob(16)))
        FROM (${recipients}) r
        WHERE EXISTS (SELECT 1 FROM announcements a WHERE a.id = ${id} AND a.claim_id = ${claim})`,
    ),
    prepared(db, sql`UPDATE announcements SET recipient_count = (SELECT count(*) FROM announcement_recipients WHERE announcement_id = ${id})
      WHERE id = ${id} AND claim_id = ${claim}`),
  ]);
  const after = await getAnnouncement(db, hostId, id);
  if (!after || after.claimId !== claim) return null;
  await queueChunks(env, after, 'notice');
  if (after.recipientCount === 0) await settleSent(db, hostId, id);
  return after.recipientCount;
}

/** One message per CHUNK_SIZE recipients; sendBatch takes 100 messages at a time. */
export async function queueChunks(env: Pick<NotifyEnv, 'NOTIFY_QUEUE'>, row: Pick<Announcement, 'id' | 'hostId' | 'recipientCount'>, phase: NotifyPhase) {
  const messages: { body: NotifyChunkMessage }[] = [];
  for (let from = 1; from <= row.recipientCount; from += CHUNK_SIZE) {
    messages.push({ body: { kind: 'notify_chunk', hostId: row.hostId, announcementId: row.id, phase, fromSeq: from, toSeq: Math.min(row.recipientCount, from + CHUNK_SIZE - 1) } });
  }
  for (let i = 0; i < messages.length; i += 100) await env.NOTIFY_QUEUE.sendBatch(messages.slice(i, i + 100));
  return messages.length;
}

/** The email payload of an announcement (the same for every recipient). */
async function payloadFor(db: Db, env: NotifyEnv, row: Announcement, phase: NotifyPhase) {
  const host = await resolveHostById(db, row.hostId);
  if (!host) return null;
  const base = portalBaseUrl(host, row.origin ?? platformOrigin(env));
  const logoUrl = host.logoKey ? `${base}/brand/logo?v=${host.brandVersion}` : undefined;
  let maintenance;
  if (row.kind === 'maintenance' && row.siteId && row.startsAt !== null && row.endsAt !== null) {
    const site = await db.select({ name: sites.name }).from(sites).where(and(eq(sites.id, row.siteId), eq(sites.hostId, row.hostId))).get();
    maintenance = { siteName: site?.name ?? 'Site', startsAt: new Date(row.startsAt).toISOString(), endsAt: new Date(row.endsAt).toISOString(), units: 0 };
  }
  const phaseName = row.kind === 'announcement' ? 'announcement' : phase === 'ended' ? 'maintenance_ended' : 'maintenance_notice';
  const subject = phase === 'ended' ? `Completed: ${row.subject}` : row.subject;
  // Validated once here like any outbox row (prepareOutboxRow), then reused for the whole chunk.
  const checked = prepareOutboxRow({
    hostId: row.hostId,
    to: 'check@example.com',
    subject,
    template: 'announcement',
    payload: { phase: phaseName, body: row.body, format: row.format, portalUrl: `${base}/announcements/${row.id}`, maintenance, logoUrl },
  });
  return { subject: checked.subject, payload: checked.payload, maintenance: !!maintenance };
}

/**
 * One chunk: insert its outbox rows (pre-chosen ids, INSERT OR IGNORE: a redelivery adds
 * nothing) and queue those still `queued`. Maintenance emails carry each customer's unit count.
 */
export async function deliverChunk(db: Db, env: NotifyEnv, message: NotifyChunkMessage, now = Date.now()): Promise<number> {
  const row = await getAnnouncement(db, message.hostId, message.announcementId);
  if (!row || row.status === 'cancelled' || row.status === 'scheduled') return 0;
  const content = await payloadFor(db, env, row, message.phase);
  if (!content) return 0;
  const idColumn = message.phase === 'ended' ? sql.raw('r.ended_outbox_id') : sql.raw('r.outbox_id');
  // A window's email says how many of the customer's units it covers: patched into the payload in SQL.
  const payloadSql = content.maintenance
    ? sql`json_set(${content.payload}, '$.maintenance.units',
        (SELECT count(*) FROM maintenance_units mu WHERE mu.announcement_id = r.announcement_id AND mu.customer_id = r.customer_id))`
    : sql`${content.payload}`;
  const range = sql`r.announcement_id = ${row.id} AND r.host_id = ${row.hostId} AND r.seq BETWEEN ${message.fromSeq} AND ${message.toSeq}`;
  await db.$client.batch([
    prepared(
      db,
      sql`INSERT OR IGNORE INTO email_outbox (id, host_id, to_email, template, payload, subject, status, attempts, created_at)
        SELECT ${idColumn}, r.host_id, r.email, 'announcement', ${payloadSql}, ${content.subject}, 'queued', 0, ${now}
        FROM announcement_recipients r WHERE ${range}`,
    ),
  ]);
  const queued = await db.all<{ id: string }>(
    sql`SELECT o.id FROM announcement_recipients r JOIN email_outbox o ON o.id = ${idColumn} WHERE ${range} AND o.status = 'queued'`,
  );
  const ids = queued.map((q) => q.id);
  for (let i = 0; i < ids.length; i += 100) {
    await env.EMAIL_QUEUE.sendBatch(ids.slice(i, i + 100).map((outboxId) => ({ body: { outboxId } })));
  }
  if (message.phase === 'notice') await settleSent(db, row.hostId, row.id);
  return ids.length;
}

/** `sending` → `sent` once every recipient has its outbox row. */
async function settleSent(db: Db, hostId: string, id: string) {
  await db.run(sql`UPDATE announcements SET status = 'sent', updated_at = ${Date.now()}
    WHERE id = ${id} AND host_id = ${hostId} AND status = 'sending'
      AND (SELECT count(*) FROM announcement_recipients r JOIN email_outbox o ON o.id = r.outbox_id WHERE r.announcement_id = ${id}) >= recipient_count`);
}

/** Failed emails back to `queued` and their chunks queued again. Returns how many. */
export async function resendFailures(db: Db, env: NotifyEnv, hostId: string, actor: Actor, id: string, now = Date.now()): Promise<number> {
  const row = await getAnnouncement(db, hostId, id);
  if (!row) throw notFound('Announcement');
  const reset = sql`UPDATE email_outbox SET status = 'queued', attempts = 0, last_error = NULL, sent_at = NULL
    WHERE host_id = ${hostId} AND status = 'failed'
      AND id IN (SELECT outbox_id FROM announcement_recipients WHERE announcement_id = ${id} AND host_id = ${hostId}
        UNION ALL SELECT ended_outbox_id FROM announcement_recipients WHERE announcement_id = ${id} AND host_id = ${hostId})`;
  const [result] = await db.$client.batch([
    prepared(db, reset),
    prepared(db, sql`INSERT INTO activity_log (id, host_id, customer_id, actor_kind, actor_id, actor_label, action, changes, created_at)
      SELECT ${newId()}, ${hostId}, NULL, ${actor.kind}, ${actor.id}, ${actor.label}, 'announcement.resent', json_object('failed', json_array(changes(), 0)), ${now}
      WHERE changes() > 0`),
  ]);
  const count = result!.meta.changes ?? 0;
  if (count > 0) {
    await queueChunks(env, row, 'notice');
    if (row.endedNoticeAt !== null) await queueChunks(env, row, 'ended');
  }
  return count;
}

/** Cancels a scheduled announcement (nothing was sent yet); a window's units stop being covered. */
export async function cancelAnnouncement(db: Db, hostId: string, actor: Actor, id: string, now = Date.now()): Promise<void> {
  const [result] = await db.$client.batch([
    prepared(db, sql`UPDATE announcements SET status = 'cancelled', updated_at = ${now} WHERE id = ${id} AND host_id = ${hostId} AND status = 'scheduled'`),
    prepared(db, sql`DELETE FROM maintenance_units WHERE announcement_id = ${id} AND host_id = ${hostId}
      AND EXISTS (SELECT 1 FROM announcements WHERE id = ${id} AND status = 'cancelled')`),
  ]);
  if ((result!.meta.changes ?? 0) === 0) {
    if (!(await getAnnouncement(db, hostId, id))) throw notFound('Announcement');
    throw new AppError('conflict', 'Only a scheduled announcement can be cancelled: this one is already sending or sent.');
  }
  await activityInsert(db, hostId, actor, 'announcement.cancelled', null, { id: [null, id] }, now);
}

// ---------------------------------------------------------------------------------------------
// The cron

/**
 * Every cron run: start announcements whose time came (a bounded number), send "maintenance
 * finished" emails for windows that ended, and re-queue the chunks of announcements stuck
 * `sending` for over 30 minutes (their messages were lost or their queue send failed).
 */
export async function runNotifyCron(env: NotifyEnv, now = Date.now()): Promise<{ started: number; ended: number; requeued: number }> {
  const db = getDb(env.DB);
  const due = await db
    .select({ id: announcements.id, hostId: announcements.hostId })
    .from(announcements)
    // A closed host's scheduled announcements stay scheduled, unsent (so do its end notices and fan-outs below).
    .where(and(eq(announcements.status, 'scheduled'), sql`${announcements.sendAt} <= ${now}`, hostIdIsOpen(announcements.hostId)))
    .orderBy(asc(announcements.sendAt))
    .limit(50)
    .all();
  let started = 0;
  for (const row of due) if ((await startSending(db, env, row.hostId, row.id, now)) !== null) started += 1;

  // Windows that ended: claim the end notice once (guarded UPDATE), then fan it out.
  const ended = await db.all<{ id: string; host_id: string; recipient_count: number }>(sql`UPDATE announcements SET ended_notice_at = ${now}
    WHERE kind = 'maintenance' AND ended_notice_at IS NULL AND ends_at <= ${now} AND status IN ('sending', 'sent') AND ${hostIdIsOpen(announcements.hostId)}
    RETURNING id, host_id, recipient_count`);
  for (const row of ended) await queueChunks(env, { id: row.id, hostId: row.host_id, recipientCount: row.recipient_count }, 'ended');

  const stuck = await db
    .select()
    .from(announcements)
    .where(and(eq(announcements.status, 'sending'), sql`${announcements.startedAt} <= ${now - 30 * 60_000}`, hostIdIsOpen(announcements.hostId)))
    .limit(20)
    .all();
  for (const row of stuck) await queueChunks(env, row, 'notice');
  return { started, ended: ended.length, requeued: stuck.length };
}

// ---------------------------------------------------------------------------------------------
// Reads

export async function getAnnouncement(db: Db, hostId: string, id: string): Promise<Announcement | null> {
  return (await db.select().from(announcements).where(and(eq(announcements.id, id), eq(announcements.hostId, hostId))).get()) ?? null;
}

export interface DeliveryFigures {
  recipients: number;
  queued: number;
  sent: number;
  failed: number;
  /** (sent + failed) / recipients in whole percent; 100 when there is nobody to send to. */
  percent: number;
}

/** Per-announcement figures from the outbox rows (a recipient without its row yet counts as queued). */
export async function deliveryFigures(db: Db, hostId: string, ids: string[], phase: NotifyPhase = 'notice'): Promise<Map<string, DeliveryFigures>> {
  const out = new Map<string, DeliveryFigures>();
  if (ids.length === 0) return out;
  const column = phase === 'ended' ? sql.raw('r.ended_outbox_id') : sql.raw('r.outbox_id');
  const rows = await db.all<{ announcement_id: string; total: number; sent: number; failed: number }>(sql`
    SELECT r.announcement_id, count(*) AS total, sum(o.status = 'sent') AS sent, sum(o.status = 'failed') AS failed
    FROM announcement_recipients r LEFT JOIN email_outbox o ON o.id = ${column}
    WHERE r.host_id = ${hostId} AND r.announcement_id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))
    GROUP BY r.announcement_id`);
  for (const id of ids) out.set(id, figuresOf(0, 0, 0));
  for (const r of rows) out.set(r.announcement_id, figuresOf(r.total, r.sent ?? 0, r.failed ?? 0));
  return out;
}

const figuresOf = (recipients: number, sent: number, failed: number): DeliveryFigures => ({
  recipients,
  sent,
  failed,
  queued: recipients - sent - failed,
  percent: recipients === 0 ? 100 : Math.floor(((sent + failed) * 100) / recipients),
});

export const ANNOUNCEMENT_PAGE_SIZE = 50;

export interface AnnouncementListQuery {
  status?: string;
  kind?: string;
  q?: string;
  page?: number;
}

export async function listAnnouncements(db: Db, hostId: string, query: AnnouncementListQuery) {
  const page = Math.max(1, Math.min(1000, Math.floor(query.page ?? 1)));
  const conditions = [eq(announcements.hostId, hostId)];
  if (query.status) conditions.push(sql`${announcements.status} = ${query.status}`);
  if (query.kind) conditions.push(sql`${announcements.kind} = ${query.kind}`);
  if (query.q) conditions.push(sql`instr(lower(${announcements.subject}), ${query.q.toLowerCase()}) > 0`);
  const where = and(...conditions);
  const [items, total] = await db.batch([
    db
      .select()
      .from(announcements)
      .where(where)
      .orderBy(desc(announcements.createdAt), desc(announcements.id))
      .limit(ANNOUNCEMENT_PAGE_SIZE)
      .offset((page - 1) * ANNOUNCEMENT_PAGE_SIZE),
    db.select({ n: sql<number>`count(*)` }).from(announcements).where(where),
  ]);
  const figures = await deliveryFigures(db, hostId, items.map((i) => i.id));
  return { items, total: total[0]?.n ?? 0, page, pageSize: ANNOUNCEMENT_PAGE_SIZE, figures };
}

export const RECIPIENT_PAGE_SIZE = 100;

/** Who received what: recipients with their email's state, filterable by state and email. */
export async function listRecipients(db: Db, hostId: string, id: string, query: { status?: string; q?: string; page?: number }) {
  const page = Math.max(1, Math.min(1000, Math.floor(query.page ?? 1)));
  const state = sql`coalesce(o.status, 'queued')`;
  const filters = [sql`r.announcement_id = ${id}`, sql`r.host_id = ${hostId}`];
  if (query.status === 'queued') filters.push(sql`${state} IN ('queued', 'sending')`);
  else if (query.status === 'sent' || query.status === 'failed') filters.push(sql`${state} = ${query.status}`);
  if (query.q) filters.push(sql`instr(r.email, ${query.q.toLowerCase()}) > 0`);
  const where = sql.join(filters, sql` AND `);
  const [rows, count] = await db.$client.batch([
    prepared(
      db,
      sql`SELECT r.seq, r.email, r.name, r.customer_id, cu.name AS customer_name, ${state} AS status, o.sent_at, o.last_error
        FROM announcement_recipients r LEFT JOIN email_outbox o ON o.id = r.outbox_id
        LEFT JOIN customers cu ON cu.id = r.customer_id AND cu.host_id = r.host_id
        WHERE ${where} ORDER BY r.seq LIMIT ${RECIPIENT_PAGE_SIZE} OFFSET ${(page - 1) * RECIPIENT_PAGE_SIZE}`,
    ),
    prepared(db, sql`SELECT count(*) AS n FROM announcement_recipients r LEFT JOIN email_outbox o ON o.id = r.outbox_id WHERE ${where}`),
  ]);
  return {
    items: rows!.results as { seq: number; email: string; name: string; customer_id: string; customer_name: string | null; status: string; sent_at: number | null; last_error: string | null }[],
    total: (count!.results[0] as { n: number }).n,
    page,
    pageSize: RECIPIENT_PAGE_SIZE,
  };
}

/** A window's units, for its page. */
export async function maintenanceUnitList(db: Db, hostId: string, id: string) {
  return db
    .select({ id: miners.id, serial: miners.serial, mac: miners.mac, model: miners.model, rackLocation: miners.rackLocation, customerName: sql<string | null>`(SELECT name FROM customers c WHERE c.id = ${maintenanceUnits.customerId})` })
    .from(maintenanceUnits)
    .innerJoin(miners, and(eq(miners.id, maintenanceUnits.minerId), eq(miners.hostId, maintenanceUnits.hostId)))
    .where(and(eq(maintenanceUnits.announcementId, id), eq(maintenanceUnits.hostId, hostId)))
    .orderBy(asc(miners.rackLocation), asc(miners.serial))
    .limit(500)
    .all();
}

// ---------------------------------------------------------------------------------------------
// The portal

/** What a customer can see: announcements sent to it (it was among the recipients). */
const visibleTo = (hostId: string, customerId: string) =>
  and(
    eq(announcements.hostId, hostId),
    inArray(announcements.status, ['sending', 'sent']),
    sql`EXISTS (SELECT 1 FROM announcement_recipients r WHERE r.announcement_id = ${announcements.id} AND r.host_id = ${hostId} AND r.customer_id = ${customerId})`,
  );

export async function portalAnnouncements(db: Db, hostId: string, customerId: string, page = 1) {
  const where = visibleTo(hostId, customerId);
  const [items, total] = await db.batch([
    db.select().from(announcements).where(where).orderBy(desc(announcements.startedAt), desc(announcements.id)).limit(ANNOUNCEMENT_PAGE_SIZE).offset((page - 1) * ANNOUNCEMENT_PAGE_SIZE),
    db.select({ n: sql<number>`count(*)` }).from(announcements).where(where),
  ]);
  return { items, total: total[0]?.n ?? 0, page, pageSize: ANNOUNCEMENT_PAGE_SIZE };
}

export async function portalAnnouncement(db: Db, hostId: string, customerId: string, id: string) {
  const row = await db.select().from(announcements).where(and(eq(announcements.id, id), visibleTo(hostId, customerId))).get();
  if (!row) throw notFound('Announcement');
  return row;
}

/** The banner: current (sent in the last BANNER_DAYS, or a window not yet over) and not dismissed by this member. */
export async function bannerAnnouncements(db: Db, hostId: string, customerId: string, customerUserId: string | null, now = Date.now()) {
  return db
    .select()
    .from(announcements)
    .where(
      and(
        visibleTo(hostId, customerId),
        sql`(${announcements.startedAt} >= ${now - BANNER_DAYS * 86_400_000} OR ${announcements.endsAt} > ${now})`,
        sql`(${announcements.endsAt} IS NULL OR ${announcements.endsAt} > ${now - 86_400_000})`,
        customerUserId
          ? sql`NOT EXISTS (SELECT 1 FROM announcement_dismissals d WHERE d.announcement_id = ${announcements.id} AND d.customer_user_id = ${customerUserId})`
          : sql`1`,
      ),
    )
    .orderBy(desc(announcements.startedAt))
    .limit(3)
    .all();
}

/** Hides an announcement from this member's banner (it stays in the list). */
export async function dismissAnnouncement(db: Db, hostId: string, customerId: string, customerUserId: string, id: string, now = Date.now()) {
  await portalAnnouncement(db, hostId, customerId, id);
  await db.insert(announcementDismissals).values({ announcementId: id, customerUserId, dismissedAt: now }).onConflictDoNothing();
}
