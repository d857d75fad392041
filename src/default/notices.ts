/**
 * Notice emails of a default (docs/DEFAULT.md): opened, redirect started, credit posted (at most
 * weekly), restored. Written to the outbox in the same batch as the change that causes them, and
 * only when that change landed (`statementsIf`), then queued. Settings → "Notice emails" off = none.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/client';
import { emailOutbox } from '../db/schema';
import { prepareOutboxRow, queueEmail } from '../email/outbox';
import type { DefaultNoticePayload } from '../email/templates';
import type { Bindings } from '../env';
import { platformOrigin, portalBaseUrl } from '../portal/links';
import { resolveHostById } from '../portal/tenant';
import type { DefaultSettings } from './settings';

export type Notice =
  | { kind: 'opened'; reason: string }
  | { kind: 'redirect_started'; units: number }
  | { kind: 'credit_posted'; creditText: string; overdueText: string }
  | { kind: 'restored' };

const SUBJECTS: Record<Notice['kind'], string> = {
  opened: 'Your account is in default',
  redirect_started: 'Your miners are redirected to our holding pool',
  credit_posted: 'Hashrate credit posted to your overdue balance',
  restored: 'Your miners are going back to your pool',
};

export interface NoticePlan {
  statementsIf(condition: SQL): BatchItem<'sqlite'>[];
  queue(env: Pick<Bindings, 'EMAIL_QUEUE'>): Promise<void>;
}

const NONE: NoticePlan = { statementsIf: () => [], queue: async () => {} };

export async function noticeStatements(
  db: Db,
  env: Pick<Bindings, 'APP_HOST' | 'ENVIRONMENT'>,
  hostId: string,
  customer: { name: string; contactEmail: string; billingEmail: string | null },
  settings: DefaultSettings,
  notice: Notice,
  now: number,
): Promise<NoticePlan> {
  if (!settings.noticeEmails) return NONE;
  const host = await resolveHostById(db, hostId);
  if (!host) return NONE;
  const base = portalBaseUrl(host, platformOrigin(env));
  const payload: DefaultNoticePayload = {
    customerName: customer.name.slice(0, 200),
    kind: notice.kind,
    reason: notice.kind === 'opened' ? notice.reason.slice(0, 500) : undefined,
    units: notice.kind === 'redirect_started' ? notice.units : undefined,
    creditText: notice.kind === 'credit_posted' ? notice.creditText : undefined,
    overdueText: notice.kind === 'credit_posted' ? notice.overdueText : undefined,
    portalUrl: base,
    logoUrl: host.logoKey ? `${base}/brand/logo?v=${host.brandVersion}` : undefined,
  };
  let row: ReturnType<typeof prepareOutboxRow>;
  try {
    row = prepareOutboxRow({ hostId, to: customer.billingEmail ?? customer.contactEmail, subject: SUBJECTS[notice.kind], template: 'default_notice', payload });
  } catch (error) {
    console.error('[default] notice not written', error);
    return NONE;
  }
  let written = false;
  return {
    statementsIf(condition) {
      written = true;
      return [
        db.insert(emailOutbox).select(
          sql`SELECT ${row.id}, ${row.hostId}, ${row.toEmail}, ${row.template}, ${row.payload}, ${row.subject}, 'queued', 0, NULL, NULL, NULL, NULL, NULL, ${now} WHERE ${condition}`,
        ),
      ];
    },
    async queue(queueEnv) {
      if (!written) return;
      const exists = await db.select({ id: emailOutbox.id }).from(emailOutbox).where(eq(emailOutbox.id, row.id)).get();
      if (exists) await queueEmail(queueEnv, [row.id]);
    },
  };
}
