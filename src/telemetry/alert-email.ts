import { and, asc, eq, isNull, ne, or, sql } from 'drizzle-orm';
import { ALERT_KIND_LABELS, describeAlert } from '../alerts/describe';
import { unitName } from '../equipment/naming';
import type { Db } from '../db/client';
import { inIds } from '../db/sql';
import { alerts, customers, miners } from '../db/schema';
import { prepareOutboxRow, queueEmail } from '../email/outbox';
import type { Bindings } from '../env';
import { hostIdIsOpen } from '../hosts/open';
import { platformOrigin, portalBaseUrl } from '../portal/links';
import { resolveHostById } from '../portal/tenant';
import { loadAlertRules } from './alerts';

/**
 * Alert emails to customers (issue 4, optional part). SiteState's alert tracker calls `alertEmails`
 * from `AlertTracker.flush()` (src/live/alert-tracker.ts) once the D1 batch that recorded the
 * alerts has committed, with the ids of the alerts it just opened.
 *
 * A `pool_change` alert is the customer's own opt-in notice (src/live/pool-guard.ts): emailed
 * while the customer has "tell me when my miners' pool changes" on, whatever the host's rule.
 * Any other alert is emailed when the host's rules have "email the customer" on, the alert is still
 * open, its miner is still assigned to the alert's customer, and that customer is active. The
 * email goes to the customer's billing email, else the contact email, through the outbox and the
 * queue like every other email.
 *
 * Never twice: each outbox row is inserted only if its alert's `emailed_at` is still null, and
 * the same D1 batch (one transaction) then sets `emailed_at`. Two flushes racing over the same
 * alerts (an ingest's and the alarm's) are serialised by D1, so the second finds them marked and
 * inserts nothing; a re-run after a failure likewise never emails again.
 *
 * Floods: at most ALERT_EMAILS_PER_CUSTOMER emails per customer per call (a whole rack going
 * offline at once); the last of them says how many more opened, and those are marked too.
 */

export const ALERT_EMAILS_PER_CUSTOMER = 5;
/** Rows per bulk INSERT (one JSON parameter each; a payload is well under 2 KB). */
const INSERT_CHUNK = 50;

export type AlertEmailEnv = Pick<Bindings, 'DB' | 'EMAIL_QUEUE' | 'APP_HOST' | 'ENVIRONMENT'>;

interface Candidate {
  id: string;
  kind: (typeof alerts.$inferSelect)['kind'];
  detail: string | null;
  openedAt: number;
  minerId: string;
  customerId: string;
  serial: string | null;
  mac: string | null;
  model: string | null;
  rackLocation: string | null;
  contactEmail: string;
  billingEmail: string | null;
}

/** Returns the outbox ids written (and queued). */
/**
 * `origin`: where the platform is reached, as the site's object learned it from its agent's
 * requests; without it, `platformOrigin(env)`.
 */
export async function alertEmails(db: Db, env: AlertEmailEnv, hostId: string, openedAlertIds: readonly string[], origin?: string | null): Promise<string[]> {
  if (openedAlertIds.length === 0) return [];
  const rules = await loadAlertRules(db, hostId);
  const poolNotice = and(eq(alerts.kind, 'pool_change'), eq(customers.poolChangeNotice, true));

  const candidates: Candidate[] = await db
    .select({
      id: alerts.id,
      kind: alerts.kind,
      detail: alerts.detail,
      openedAt: alerts.openedAt,
      minerId: alerts.minerId,
      customerId: sql<string>`${alerts.customerId}`.as('alert_customer_id'),
      serial: miners.serial,
      mac: miners.mac,
      model: miners.model,
      rackLocation: miners.rackLocation,
      contactEmail: customers.contactEmail,
      billingEmail: customers.billingEmail,
    })
    .from(alerts)
    .innerJoin(miners, and(eq(miners.id, alerts.minerId), eq(miners.hostId, alerts.hostId)))
    .innerJoin(customers, and(eq(customers.id, alerts.customerId), eq(customers.hostId, alerts.hostId)))
    .where(
      and(
        eq(alerts.hostId, hostId),
        // A closed host's alerts are recorded by a flush still under way, never emailed.
        hostIdIsOpen(alerts.hostId),
        inIds(alerts.id, openedAlertIds),
        isNull(alerts.emailedAt),
        isNull(alerts.closedAt),
        // Suppressed by a maintenance window: recorded, not emailed.
        isNull(alerts.suppressedBy),
        eq(miners.customerId, customers.id),
        eq(miners.status, 'assigned'),
        eq(customers.active, true),
        rules.emailCustomer ? or(ne(alerts.kind, 'pool_change'), poolNotice) : poolNotice,
      ),
    )
    .orderBy(asc(alerts.openedAt), asc(alerts.id))
    .all();
  if (candidates.length === 0) return [];

  const host = await resolveHostById(db, hostId);
  if (!host) return [];
  const base = portalBaseUrl(host, origin ?? platformOrigin(env));
  const logoUrl = host.logoKey ? `${base}/brand/logo?v=${host.brandVersion}` : undefined;

  const byCustomer = new Map<string, Candidate[]>();
  for (const candidate of candidates) byCustomer.set(candidate.customerId, [...(byCustomer.get(candidate.customerId) ?? []), candidate]);

  // [outbox id, to, subject, payload, alert id]
  const rows: [string, string, string, string, string][] = [];
  const covered: string[] = [];
  for (const group of byCustomer.values()) {
    const emailed = group.slice(0, ALERT_EMAILS_PER_CUSTOMER);
    const others = group.length - emailed.length;
    try {
      const prepared = emailed.map((alert, index) => {
        const minerLabel = unitName({ id: alert.minerId, model: alert.model, rackLocation: alert.rackLocation, serial: alert.serial, mac: alert.mac }).slice(0, 200);
        const kind = ALERT_KIND_LABELS[alert.kind];
        const row = prepareOutboxRow({
          hostId,
          to: alert.billingEmail ?? alert.contactEmail,
          subject: `Alert: ${kind} on ${minerLabel}`,
          template: 'alert',
          payload: {
            minerLabel,
            kind: alert.kind,
            detail: describeAlert(alert.kind, alert.detail).slice(0, 500),
            openedAt: new Date(alert.openedAt).toISOString(),
            portalUrl: `${base}/equipment/${alert.minerId}`,
            otherAlerts: index === emailed.length - 1 && others > 0 ? others : undefined,
            logoUrl,
          },
        });
        return [row.id, row.toEmail, row.subject, row.payload, alert.id] as [string, string, string, string, string];
      });
      rows.push(...prepared);
      covered.push(...group.map((alert) => alert.id));
    } catch (error) {
      // A recipient or payload the outbox refuses (cannot happen for a validated customer): skip
      // this customer, leave their alerts unmarked, and keep going for the others.
      console.error(`[alerts] not emailing customer ${group[0]!.customerId}`, error);
    }
  }
  if (rows.length === 0) return [];

  const now = Date.now();
  const statements: D1PreparedStatement[] = [];
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    statements.push(
      env.DB.prepare(
        `INSERT INTO email_outbox (id, host_id, to_email, template, payload, subject, status, attempts, created_at)
         SELECT j.value ->> '$[0]', ?1, j.value ->> '$[1]', 'alert', j.value ->> '$[3]', j.value ->> '$[2]', 'queued', 0, ?2
         FROM json_each(?3) j
         WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.id = j.value ->> '$[4]' AND a.host_id = ?1 AND a.emailed_at IS NULL)
         RETURNING id`,
      ).bind(hostId, now, JSON.stringify(rows.slice(start, start + INSERT_CHUNK))),
    );
  }
  statements.push(
    env.DB.prepare(
      `UPDATE alerts SET emailed_at = ?2 WHERE host_id = ?1 AND emailed_at IS NULL AND id IN (SELECT value FROM json_each(?3))`,
    ).bind(hostId, now, JSON.stringify(covered)),
  );
  const results = await env.DB.batch<{ id: string }>(statements);
  const inserted = results.slice(0, -1).flatMap((result) => result.results.map((row) => row.id));
  await queueEmail(env, inserted);
  return inserted;
}
