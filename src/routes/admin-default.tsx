import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { can, requireThat } from '../auth/permissions';
import { getCustomer, type CustomerDetail } from '../customers/service';
import { getDb } from '../db/client';
import {
  autoCloseSettled,
  caseSummary,
  caseTimeline,
  caseUnits,
  closeCase,
  endRedirect,
  getCase,
  listCases,
  openCase,
  parseScope,
  planRedirect,
  redirectsOfCase,
  retryFailed,
  startRedirect,
  syncRedirects,
  unitsOfRedirects,
} from '../default/service';
import type { AppEnv } from '../env';
import { staffActor } from '../hosts/service';
import { AppError, notFound, ValidationError, type FieldErrors } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { CustomerShell } from '../../views/pages/customers/detail';
import { DefaultStatusPanel, REDIRECT_CONFIRMATION, RedirectPreviewPanel } from '../../views/pages/customers/default-status';

async function resolveCustomer(c: Context<AppEnv>) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const customer = await getCustomer(db, session.host.id, c.req.param('id')!);
  return { db, session, hostId: session.host.id, customer };
}

/** The case, of this customer of this host (404 otherwise). */
async function resolveCase(c: Context<AppEnv>) {
  const r = await resolveCustomer(c);
  const caseRow = await getCase(r.db, r.hostId, c.req.param('caseId')!);
  if (caseRow.customerId !== r.customer.id) throw notFound('Default case');
  return { ...r, caseRow };
}

type Resolved = Awaited<ReturnType<typeof resolveCustomer>>;

const base = (customerId: string) => `/admin/customers/${customerId}/default-status`;

async function panel(c: Context<AppEnv>, r: Resolved, extra: { errors?: FieldErrors; message?: string; values?: Record<string, string> } = {}) {
  // Viewing the case brings its units' progress up to date (the cron does it too; both are idempotent).
  await autoCloseSettled(r.db, c.env, r.hostId, { customerId: r.customer.id });
  await syncRedirects(r.db, c.env, r.hostId, { customerId: r.customer.id });
  const [summary, cases] = await Promise.all([caseSummary(r.db, r.hostId, r.customer.id), listCases(r.db, r.hostId, r.customer.id)]);
  const redirects = summary.openCase ? await redirectsOfCase(r.db, r.hostId, summary.openCase.id) : [];
  const lastClosed = cases.find((x) => x.closedAt !== null);
  const closedRedirects = !summary.openCase && lastClosed ? await redirectsOfCase(r.db, r.hostId, lastClosed.id) : [];
  const timelineCase = summary.openCase ?? lastClosed ?? null;
  const timeline = timelineCase ? await caseTimeline(r.db, r.hostId, timelineCase) : [];
  const units = await unitsOfRedirects(r.db, r.hostId, [...redirects, ...closedRedirects, ...(summary.activeRedirect && !redirects.some((x) => x.id === summary.activeRedirect!.id) ? [summary.activeRedirect] : [])].map((x) => x.id));
  return (
    <DefaultStatusPanel
      customerId={r.customer.id}
      timezone={r.session.host.timezone}
      canAct={can.manageInvoices(r.session.role)}
      openCase={summary.openCase}
      overdue={summary.overdue}
      earned={summary.earned}
      activeRedirect={summary.activeRedirect}
      units={units}
      history={cases.filter((x) => x.closedAt !== null)}
      timeline={timeline}
      timelineOpen={summary.openCase !== null}
      notice={c.req.method === 'GET' ? c.req.query('done') : undefined}
      {...extra}
    />
  );
}

async function refreshed(c: Context<AppEnv>, r: Resolved): Promise<CustomerDetail> {
  return getCustomer(r.db, r.hostId, r.customer.id);
}

async function shell(c: Context<AppEnv>, r: Resolved, body: unknown, status: 200 | 404 | 409 | 422 = 200) {
  const customer = await refreshed(c, r);
  return c.html(
    <CustomerShell session={r.session} customer={customer} tab="default-status">
      {body as never}
    </CustomerShell>,
    status,
  );
}

/** A refusal shown in place: bad input 422, a lost race or a rule 409. */
async function refusal(c: Context<AppEnv>, r: Resolved, error: unknown, values: Record<string, string>) {
  if (error instanceof ValidationError) return shell(c, r, await panel(c, r, { errors: error.fields, values }), 422);
  if (error instanceof AppError && error.code === 'conflict') return shell(c, r, await panel(c, r, { message: error.message, values }), 409);
  throw error;
}

const requireActor = (c: Context<AppEnv>) => requireThat(can.manageInvoices(c.get('staff').role), 'Only an owner or admin can act on a default.');

/**
 * Customer → Default status, mounted on /admin/customers before the generic tab dispatcher. Every
 * handler resolves the customer within the session's host (and the case within the customer).
 */
export const adminDefaultRoutes = new Hono<AppEnv>()
  .get('/:id/default-status', async (c) => {
    const r = await resolveCustomer(c);
    return shell(c, r, await panel(c, r));
  })
  .post('/:id/default-status/open', async (c) => {
    requireActor(c);
    const r = await resolveCustomer(c);
    const form = await readForm(c);
    try {
      await openCase(r.db, c.env, r.hostId, staffActor(r.session), r.customer.id, { reason: form.reason });
      return redirectAfterPost(c, `${base(r.customer.id)}?done=opened`);
    } catch (error) {
      return refusal(c, r, error, { reason: form.reason ?? '' });
    }
  })
  .get('/:id/default-status/preview', async (c) => {
    requireActor(c);
    const r = await resolveCustomer(c);
    const values = { scope: c.req.query('scope') ?? 'all', count: c.req.query('count') ?? '', percent: c.req.query('percent') ?? '' };
    try {
      const summary = await caseSummary(r.db, r.hostId, r.customer.id);
      if (!summary.openCase) throw new AppError('conflict', 'Open a default before redirecting.');
      if (summary.activeRedirect) throw new AppError('conflict', 'A redirect is already running for this customer.');
      const plan = await planRedirect(r.db, c.env, r.hostId, summary.openCase, parseScope(values));
      return shell(c, r, <RedirectPreviewPanel customerId={r.customer.id} caseId={summary.openCase.id} plan={plan} />);
    } catch (error) {
      return refusal(c, r, error, values);
    }
  })
  .post('/:id/default-status/cases/:caseId/redirect', async (c) => {
    requireActor(c);
    const r = await resolveCase(c);
    const form = await readForm(c);
    try {
      if ((form.confirmation ?? '').trim().toUpperCase() !== REDIRECT_CONFIRMATION) {
        // Refused in place: the same preview again, with the field error (nothing has changed).
        const plan = await planRedirect(r.db, c.env, r.hostId, r.caseRow, parseScope(form));
        const errors = { confirmation: `Type ${REDIRECT_CONFIRMATION} to start the redirect.` };
        return shell(c, r, <RedirectPreviewPanel customerId={r.customer.id} caseId={r.caseRow.id} plan={plan} errors={errors} />, 422);
      }
      await startRedirect(r.db, c.env, r.hostId, staffActor(r.session), r.caseRow.id, form);
      return redirectAfterPost(c, `${base(r.customer.id)}?done=redirect`);
    } catch (error) {
      return refusal(c, r, error, form);
    }
  })
  .post('/:id/default-status/cases/:caseId/redirect/end', async (c) => {
    requireActor(c);
    const r = await resolveCase(c);
    try {
      await endRedirect(r.db, c.env, r.hostId, staffActor(r.session), r.caseRow.id);
      return redirectAfterPost(c, `${base(r.customer.id)}?done=ended`);
    } catch (error) {
      return refusal(c, r, error, {});
    }
  })
  .post('/:id/default-status/cases/:caseId/retry', async (c) => {
    requireActor(c);
    const r = await resolveCase(c);
    try {
      await retryFailed(r.db, r.hostId, staffActor(r.session), r.caseRow.id);
      return redirectAfterPost(c, `${base(r.customer.id)}?done=retried`);
    } catch (error) {
      return refusal(c, r, error, {});
    }
  })
  .post('/:id/default-status/cases/:caseId/close', async (c) => {
    requireActor(c);
    const r = await resolveCase(c);
    const form = await readForm(c);
    try {
      await closeCase(r.db, c.env, r.hostId, staffActor(r.session), r.caseRow.id, { reason: form.reason });
      return redirectAfterPost(c, `${base(r.customer.id)}?done=closed`);
    } catch (error) {
      return refusal(c, r, error, { close_reason: form.reason ?? '' });
    }
  });

export { caseUnits };
