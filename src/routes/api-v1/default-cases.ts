import { Hono } from '../../lib/hono';
import type { Actor } from '../../activity/service';
import type { AuthedApiKey } from '../../auth/api-keys';
import { money } from '../../billing/money';
import { getDb } from '../../db/client';
import {
  caseUnits,
  closeCase,
  creditEarned,
  endRedirect,
  getCase,
  listCases,
  openCase,
  overdueAmounts,
  redirectPools,
  redirectsOfCase,
  startRedirect,
  type CaseRow,
  type RedirectRow,
  type UnitProgress,
} from '../../default/service';
import type { AppEnv } from '../../env';
import { readJsonObject } from '../../lib/http';

const apiActor = (key: AuthedApiKey): Actor => ({ kind: 'api_key', id: key.id, label: `API key “${key.name}”` });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const toApiRedirect = (r: RedirectRow) => ({
  id: r.id,
  pool_url: r.poolUrl,
  worker_rule: r.poolUser,
  /** Every holding pool in priority order (the first is pool_url/worker_rule). */
  pools: redirectPools(r).map((p, priority) => ({ priority, url: p.url, worker_rule: p.template })),
  scope: r.scope,
  scope_value: r.scopeValue,
  started_at: iso(r.startedAt),
  started_by: r.startedBy,
  ended_at: iso(r.endedAt),
  ended_by: r.endedBy,
});

export const toApiCase = (c: CaseRow, redirects: RedirectRow[] = []) => ({
  id: c.id,
  customer_id: c.customerId,
  reason: c.reason,
  invoice_id: c.invoiceId,
  opened_at: iso(c.openedAt),
  opened_by: c.openedBy,
  closed_at: iso(c.closedAt),
  closed_by: c.closedBy,
  close_reason: c.closeReason,
  redirects: redirects.map(toApiRedirect),
});

export const toApiUnit = (u: UnitProgress) => ({
  miner_id: u.minerId,
  serial: u.serial,
  mac: u.mac,
  site_id: u.siteId,
  redirect_id: u.redirectId,
  previous_pool: u.previousPoolUrl ? { url: u.previousPoolUrl, user: u.previousPoolUser } : null,
  target_pool: { url: u.targetPoolUrl, user: u.targetPoolUser },
  target_backup_pools: (u.targetBackupPools ?? []).map((p) => ({ url: p.url, user: p.user })),
  phase: u.phase,
  status: u.status,
  failure: u.failure,
  failure_message: u.failureMessage,
  attempts: u.attempts,
  requested_at: iso(u.requestedAt),
  confirmed_at: iso(u.confirmedAt),
  joined_at: iso(u.joinedAt),
});

async function caseBody(db: ReturnType<typeof getDb>, hostId: string, c: CaseRow) {
  const [redirects, overdue, earned] = await Promise.all([redirectsOfCase(db, hostId, c.id), overdueAmounts(db, hostId, c.customerId), creditEarned(db, hostId, c.id)]);
  return {
    ...toApiCase(c, redirects),
    overdue: overdue.map((m) => money(m.amountMinor, m.currency)),
    hashrate_credit: earned.map((m) => money(m.amountMinor, m.currency)),
  };
}

/** /api/v1/customers/:id/default-cases */
export const apiCustomerDefaultRoutes = new Hono<AppEnv>()
  .get('/:id/default-cases', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const cases = await listCases(db, key.hostId, c.req.param('id'));
    return c.json({ data: await Promise.all(cases.map((x) => caseBody(db, key.hostId, x))) });
  })
  .post('/:id/default-cases', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const body = await readJsonObject(c);
    const row = await openCase(db, c.env, key.hostId, apiActor(key), c.req.param('id'), body);
    c.header('Location', `/api/v1/default-cases/${row.id}`);
    return c.json({ data: await caseBody(db, key.hostId, row) }, 201);
  });

/** /api/v1/default-cases/:id … */
export const apiDefaultCaseRoutes = new Hono<AppEnv>()
  .get('/:id', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    return c.json({ data: await caseBody(db, key.hostId, await getCase(db, key.hostId, c.req.param('id'))) });
  })
  .post('/:id/redirect', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const body = await readJsonObject(c);
    const redirect = await startRedirect(db, c.env, key.hostId, apiActor(key), c.req.param('id'), body);
    const { units } = await caseUnits(db, c.env, key.hostId, c.req.param('id'), { sync: false });
    return c.json({ data: { ...toApiRedirect(redirect), units: units.filter((u) => u.redirectId === redirect.id).map(toApiUnit) } }, 201);
  })
  .delete('/:id/redirect', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const redirect = await endRedirect(db, c.env, key.hostId, apiActor(key), c.req.param('id'));
    return c.json({ data: toApiRedirect(redirect) });
  })
  .post('/:id/close', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const body = await readJsonObject(c).catch(() => ({}));
    const row = await closeCase(db, c.env, key.hostId, apiActor(key), c.req.param('id'), body);
    return c.json({ data: await caseBody(db, key.hostId, row) });
  })
  .get('/:id/units', async (c) => {
    const key = c.get('apiKey');
    const db = getDb(c.env.DB);
    const { units } = await caseUnits(db, c.env, key.hostId, c.req.param('id'));
    return c.json({ data: units.map(toApiUnit) });
  });
