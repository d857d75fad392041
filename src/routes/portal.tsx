import { h } from '#jsx';
import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from '../lib/hono';
import { deleteCookie, getCookie, setCookie } from '../lib/cookie';
import { createMiddleware } from 'hono/factory';
import { getDb } from '../db/client';
import { defaultBannerFor } from '../default/banner';
import type { AppEnv } from '../env';
import { AppError, forbidden, notFound, ValidationError } from '../lib/errors';
import { isHtmx, readForm, redirectAfterPost } from '../lib/http';
import {
  acceptInviteAsExistingMember,
  acceptInviteAsNewMember,
  changePassword,
  findPasswordReset,
  inviteProblem,
  listTeam,
  memberActor,
  removeMember,
  requestPasswordReset,
  resetPassword,
  signInMember,
  signOutMember,
  updateProfile,
  type PortalSignedIn,
} from '../portal/accounts';
import { brandStylesheet } from '../hosts/palette';
import { createInvite, findInviteByToken, listInvites } from '../portal/invites';
import {
  LOCKOUT_MESSAGES,
  loadPortalSession,
  PORTAL_COOKIE,
  PORTAL_SESSION_TTL_SECONDS,
  signPortalToken,
  type PortalSessionResult,
} from '../portal/session';
import { portalHref } from '../../views/layouts/portal';
import {
  AcceptInviteForms,
  AcceptInvitePage,
  ForgotPasswordPage,
  PortalNoticePage,
  PortalSignInForm,
  PortalSignInPage,
  PortalTwoFactorStepPage,
  ResetPasswordPage,
  type InviteView,
} from '../../views/pages/portal/auth';
import { PortalDashboard, PortalProfileInPreview, PortalProfilePage, PortalTeamPage } from '../../views/pages/portal/pages';
import { FleetLiveFragment, MinerLive, PortalAlertsPage, PortalEquipmentPage, PortalMinerPage } from '../../views/pages/portal/equipment';
import { listAlerts, listCustomerAlerts } from '../alerts/service';
import { poolChangeNoticeOf, setPoolChangeNotice } from '../alerts/pool-notice';
import { customerFleetPage, customerMiner, fleetHistory, fleetPageReadsRankedAhead, HISTORY_SPAN_MS, parseFleetQuery } from '../telemetry/fleet';
import { completeDashboard, dashboardReads, loadPortalDashboard } from '../portal/dashboard';
import { pagePrefetch } from '../middleware/page-prefetch';
import type { PortalScope } from '../portal/request';
import { handleForm } from './forms';
import { portalInvoiceRoutes } from './portal-invoices';
import { portalAnnouncementRoutes } from './portal-announcements';
import { portalSupportRoutes } from './portal-support';
import { portalEvidenceRoutes } from './portal-evidence';
import { customerUsage, parseUsageMonth, usageSettings } from '../billing/usage';
import { usageCsv } from '../billing/usage-csv';
import { PortalUsagePage } from '../../views/pages/portal/usage';
import { acceptDocument, getDocument, getVersion, pendingDocuments, versionFile } from '../legal/service';
import { sendLegalFile } from './admin-legal';
import { AgreementGatePage } from '../../views/pages/legal/portal';
import { publicQuoteRoutes } from './public-quotes';
import { recentSignIns, recordSignIn } from '../security/sign-ins';
import { DEVICE_COOKIE, deviceAccounts } from '../security/sign-in-delay';
import { tolerantLive } from '../live/client';
import { unavailableSites } from '../live/outage';
import { rememberDevice } from '../middleware/device-cookie';
import { rememberTwoFactorDevice, secondStepNeeded, startPendingSignIn } from '../middleware/two-factor-cookies';
import { enabledTwoFactor, PENDING_COOKIE, readPendingSignIn, verifySecondFactor } from '../security/two-factor';
import { portalTwoFactorRoutes } from './portal-two-factor';

type PortalCtx = Context<AppEnv>;

async function startPortalSession(c: PortalCtx, signedIn: PortalSignedIn) {
  const token = await signPortalToken(c.get('vars').SESSION_SECRET, signedIn);
  setCookie(c, PORTAL_COOKIE, token, { path: '/', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: PORTAL_SESSION_TTL_SECONDS });
}

/** Password (and code, when two-factor is on) right: record it, remember the device, start the session. */
async function completePortalSignIn(c: PortalCtx, signedIn: PortalSignedIn): Promise<Response> {
  const portal = c.get('portal');
  const db = getDb(c.env.DB);
  const secret = c.get('vars').SESSION_SECRET;
  await recordSignIn(db, { kind: 'customer', id: signedIn.id, hostId: portal.host.id }, c.req.raw.headers);
  if (signedIn.deviceKey) await rememberDevice(c, secret, await deviceAccounts(secret, getCookie(c, DEVICE_COOKIE)), signedIn.deviceKey);
  await startPortalSession(c, signedIn);
  return redirectAfterPost(c, portalHref(portal, '/'));
}

/** Right password, code still to come: the pending cookie (bound to this host), and the second step. */
async function askForPortalCode(c: PortalCtx, signedIn: PortalSignedIn): Promise<Response> {
  const portal = c.get('portal');
  await startPendingSignIn(c, {
    kind: 'customer',
    accountId: signedIn.id,
    hostId: portal.host.id,
    customerId: signedIn.customerId,
    sessionVersion: signedIn.sessionVersion,
    deviceKey: signedIn.deviceKey,
  });
  return redirectAfterPost(c, portalHref(portal, '/auth/two-factor'));
}

/** View Portal is read-only: anything but a read is refused, whatever the form says. */
const previewIsReadOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('portal').preview && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    throw forbidden('View Portal is read-only: nothing can be changed from this view.');
  }
  await next();
});

/** The session the tenant middleware read with the host, else read now (same rules either way). */
function portalSessionOf(c: PortalCtx): Promise<PortalSessionResult> | PortalSessionResult {
  return c.get('portalSession') ?? loadPortalSession(getDb(c.env.DB), c.get('vars').SESSION_SECRET, c.get('portal').host.id, getCookie(c, PORTAL_COOKIE));
}

/**
 * Pages behind sign-in. The session is re-checked on every request against the account and its
 * customer, so removal, Portal Access off and Inactive all take effect on the next click.
 */
const memberOnly = (options: { gated: boolean; twoFactorSetup?: boolean }) => createMiddleware<AppEnv>(async (c, next) => {
  const portal = c.get('portal');
  if (portal.preview) return next();
  const result = await portalSessionOf(c);
  if (!result.ok) {
    if (result.reason !== 'none') deleteCookie(c, PORTAL_COOKIE, { path: '/', secure: true });
    const target = portalHref(portal, result.reason === 'none' ? '/auth' : `/auth?reason=${result.reason}`);
    if (isHtmx(c)) {
      c.header('HX-Redirect', target);
      return c.body(null, 401);
    }
    return c.redirect(target, 303);
  }
  // The host requires two-factor sign-in and this account has none: its set-up is the only page.
  if (portal.host.requireTwoFactor && !result.twoFactorEnabled && !options.twoFactorSetup) {
    const target = portalHref(portal, '/profile/two-factor?required=1');
    if (isHtmx(c)) {
      c.header('HX-Redirect', target);
      return c.body(null, 403);
    }
    return c.redirect(target, 303);
  }
  // The agreement gate: nothing behind sign-in opens until every required agreement is accepted.
  if (options.gated && result.pendingAgreements > 0) {
    c.set('portal', { ...portal, member: result.member, customer: result.customer });
    const target = portalHref(portal, '/agreements');
    if (isHtmx(c)) {
      c.header('HX-Redirect', target);
      return c.body(null, 403);
    }
    return c.redirect(target, 303);
  }
  // Only a customer in default pays for the banner's reads (one round trip more).
  const defaultBanner = await defaultBannerFor(getDb(c.env.DB), portal.host.id, result.customer.id, result.customer.status);
  c.set('portal', { ...portal, member: result.member, customer: result.customer, defaultBanner });
  await next();
});
const requireMember = memberOnly({ gated: true });

const ownerOnly = (c: PortalCtx) => {
  const portal = c.get('portal');
  if (!portal.preview && portal.member?.role !== 'owner') throw forbidden('Only a team owner can do that.');
};

function inviteView(token: string, invite: { email: string; customerName: string }): InviteView {
  return { token, email: invite.email, customerName: invite.customerName };
}

/**
 * The read-only pages whose first D1 batch travels with the session check (pagePrefetch): the
 * dashboard, and Equipment with its polled fragment. Registered on their routes below, ahead of
 * the tenant middleware that runs that check.
 */
const dashboardPrefetch = pagePrefetch((_c, db, scope: PortalScope) => dashboardReads(db, scope));
// The polled fragment draws no chart (the list fragment /equipment answers htmx is asked one it does not draw).
const fleetPrefetch = pagePrefetch((c, db, scope: PortalScope) =>
  fleetPageReadsRankedAhead(db, tolerantLive(c.env), scope, parseFleetQuery(c.req.query()), c.req.path.endsWith('/live') ? {} : { historySince: Date.now() - HISTORY_SPAN_MS }),
);

/**
 * The portal, mounted at /host/<slug>, at / of a custom domain, and in View Portal; `tenant` is
 * the mount's middleware that sets `portal` (src/middleware/portal-tenant.ts).
 */
export function portalRoutes(tenant: MiddlewareHandler<AppEnv>) {
  const app = new Hono<AppEnv>();
  app.get('/', dashboardPrefetch.middleware);
  app.get('/equipment', fleetPrefetch.middleware);
  app.get('/equipment/live', fleetPrefetch.middleware);
  app.use('*', tenant);
  app.use('*', previewIsReadOnly);

  // --- Branding (public: the sign-in page needs it) --------------------------------------
  app.get('/brand.css', (c) => {
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(brandStylesheet(c.get('portal').host));
  });
  app.get('/brand/logo', async (c) => {
    const { host } = c.get('portal');
    const object = host.logoKey ? await c.env.FILES.get(host.logoKey) : null;
    if (!object) throw notFound('Logo');
    c.header('Content-Type', object.httpMetadata?.contentType ?? 'application/octet-stream');
    c.header('Cache-Control', 'public, max-age=86400');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(object.body);
  });

  // --- Sign-in, invitations, password reset ------------------------------------------------
  const auth = new Hono<AppEnv>();
  auth.use('*', async (c, next) => {
    // Staff in View Portal have no business on the customer's sign-in pages.
    const portal = c.get('portal');
    if (portal.preview) return c.redirect(portalHref(portal, '/'), 303);
    await next();
  });
  auth.get('/', async (c) => {
    const portal = c.get('portal');
    const result = await portalSessionOf(c);
    if (result.ok) return c.redirect(portalHref(portal, '/'), 303);
    const reason = c.req.query('reason') as keyof typeof LOCKOUT_MESSAGES | undefined;
    const notice = c.req.query('signed_out')
      ? 'You have signed out.'
      : c.req.query('reset')
        ? 'Your password was changed.'
        : c.req.query('expired')
          ? 'The sign-in took too long. Enter your password again.'
          : undefined;
    const message = reason && reason in LOCKOUT_MESSAGES ? (LOCKOUT_MESSAGES[reason] ?? undefined) : undefined;
    return c.html(<PortalSignInPage portal={portal} notice={notice} message={message} />);
  });
  auth.post('/', async (c) => {
    const portal = c.get('portal');
    const form = await readForm(c);
    const rerender = (status: 403 | 422 | 429, error: AppError) => {
      const props = { portal, email: form.email, errors: error.fields, message: error.message };
      return c.html(isHtmx(c) ? <PortalSignInForm {...props} /> : <PortalSignInPage {...props} />, status);
    };
    try {
      const db = getDb(c.env.DB);
      const secret = c.get('vars').SESSION_SECRET;
      const known = await deviceAccounts(secret, getCookie(c, DEVICE_COOKIE));
      const signedIn = await signInMember(db, portal.host, c.req.raw.headers, form, known);
      // Two-factor on and this browser not remembered for it: no session yet, only the pending step.
      if (await secondStepNeeded(c, 'customer', signedIn.id)) return askForPortalCode(c, signedIn);
      return completePortalSignIn(c, signedIn);
    } catch (error) {
      if (error instanceof ValidationError) return rerender(422, error);
      if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'rate_limited')) {
        if (error.retryAfterSeconds) c.header('Retry-After', String(error.retryAfterSeconds));
        return rerender(error.code === 'forbidden' ? 403 : 429, error);
      }
      throw error;
    }
  });
  // The second step (two-factor on): the pending cookie must name an account of this host.
  auth.get('/two-factor', async (c) => {
    const portal = c.get('portal');
    const pending = await readPendingSignIn(c.get('vars').SESSION_SECRET, getCookie(c, PENDING_COOKIE), 'customer', portal.host.id);
    if (!pending) return c.redirect(portalHref(portal, '/auth?expired=1'), 303);
    return c.html(<PortalTwoFactorStepPage portal={portal} />);
  });
  auth.post('/two-factor', async (c) => {
    const portal = c.get('portal');
    const pending = await readPendingSignIn(c.get('vars').SESSION_SECRET, getCookie(c, PENDING_COOKIE), 'customer', portal.host.id);
    if (!pending || !pending.customerId) return redirectAfterPost(c, portalHref(portal, '/auth?expired=1'));
    const form = await readForm(c);
    try {
      const db = getDb(c.env.DB);
      await verifySecondFactor(db, 'customer', pending.accountId, form.code);
      if (form.remember) {
        const enrolment = await enabledTwoFactor(db, 'customer', pending.accountId);
        if (enrolment) await rememberTwoFactorDevice(c, enrolment.id);
      }
      deleteCookie(c, PENDING_COOKIE, { path: '/', secure: true });
      return await completePortalSignIn(c, {
        id: pending.accountId,
        hostId: portal.host.id,
        customerId: pending.customerId,
        sessionVersion: pending.sessionVersion,
        deviceKey: pending.deviceKey,
      });
    } catch (error) {
      if (!(error instanceof AppError) || !['validation_failed', 'rate_limited'].includes(error.code)) throw error;
      if (error.retryAfterSeconds) c.header('Retry-After', String(error.retryAfterSeconds));
      return c.html(<PortalTwoFactorStepPage portal={portal} errors={error.fields} message={error.message} />, error.code === 'rate_limited' ? 429 : 422);
    }
  });
  // Ends every session of the account: a copied cookie stops working too (issue 11, weakness 5).
  auth.post('/logout', async (c) => {
    const portal = c.get('portal');
    const session = await portalSessionOf(c);
    if (session.ok) await signOutMember(getDb(c.env.DB), portal.host.id, session.member.id);
    deleteCookie(c, PORTAL_COOKIE, { path: '/', secure: true });
    return redirectAfterPost(c, portalHref(portal, '/auth?signed_out=1'));
  });

  auth.get('/invite/:token', async (c) => {
    const portal = c.get('portal');
    const token = c.req.param('token');
    const invite = await findInviteByToken(getDb(c.env.DB), portal.host.id, token);
    const problem = inviteProblem(invite);
    if (problem || !invite) return c.html(<PortalNoticePage portal={portal} title="Invitation" message={problem ?? ''} />, invite ? 410 : 404);
    return c.html(<AcceptInvitePage portal={portal} invite={inviteView(token, invite)} />);
  });
  const acceptWith = (kind: 'new' | 'existing') => async (c: PortalCtx) => {
    const portal = c.get('portal');
    const db = getDb(c.env.DB);
    const token = c.req.param('token') ?? '';
    const form = await readForm(c);
    const invite = await findInviteByToken(db, portal.host.id, token);
    const problem = inviteProblem(invite);
    if (problem || !invite) return c.html(<PortalNoticePage portal={portal} title="Invitation" message={problem ?? ''} />, invite ? 410 : 404);
    return handleForm(
      c,
      async () => {
        const accept = kind === 'new' ? acceptInviteAsNewMember : acceptInviteAsExistingMember;
        const signedIn = await accept(db, portal.host, c.req.raw.headers, token, form);
        // An existing account proved its password: with two-factor on, the code comes first.
        if (await secondStepNeeded(c, 'customer', signedIn.id)) return askForPortalCode(c, signedIn);
        await startPortalSession(c, signedIn);
        return redirectAfterPost(c, portalHref(portal, '/'));
      },
      (errors) => {
        const props = {
          portal,
          invite: inviteView(token, invite),
          values: { name: form.name },
          ...(kind === 'new' ? { errors } : { signInErrors: errors }),
        };
        return { fragment: <AcceptInviteForms {...props} />, page: <AcceptInvitePage {...props} /> };
      },
    );
  };
  auth.post('/invite/:token', acceptWith('new'));
  auth.post('/invite/:token/sign-in', acceptWith('existing'));

  auth.get('/forgot', (c) => c.html(<ForgotPasswordPage portal={c.get('portal')} sent={c.req.query('sent') === '1'} />));
  auth.post('/forgot', async (c) => {
    const portal = c.get('portal');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await requestPasswordReset(getDb(c.env.DB), c.env, portal.host, c.req.raw.headers, form, c.req.url);
        return redirectAfterPost(c, portalHref(portal, '/auth/forgot?sent=1'));
      },
      (errors) => {
        const page = <ForgotPasswordPage portal={portal} email={form.email} errors={errors} />;
        return { fragment: page, page };
      },
    );
  });
  auth.get('/reset/:token', async (c) => {
    const portal = c.get('portal');
    const token = c.req.param('token');
    if (!(await findPasswordReset(getDb(c.env.DB), portal.host.id, token))) {
      return c.html(<PortalNoticePage portal={portal} title="Reset link" message="This reset link has expired or was already used. Ask for a new one." />, 410);
    }
    return c.html(<ResetPasswordPage portal={portal} token={token} />);
  });
  auth.post('/reset/:token', async (c) => {
    const portal = c.get('portal');
    const token = c.req.param('token');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const signedIn = await resetPassword(getDb(c.env.DB), portal.host, token, form);
        // The reset link proves the mailbox, not the second factor: with two-factor on, the code comes first.
        if (await secondStepNeeded(c, 'customer', signedIn.id)) return askForPortalCode(c, signedIn);
        await startPortalSession(c, signedIn);
        return redirectAfterPost(c, portalHref(portal, '/'));
      },
      (errors) => {
        const page = <ResetPasswordPage portal={portal} token={token} errors={errors} />;
        return { fragment: page, page };
      },
    );
  });
  app.route('/auth', auth);

  // --- A prospect's quote (public: the link's token is the key; this host's quotes only) -------
  app.route('/quote', publicQuoteRoutes);

  // --- The agreement gate (signed in, not yet gated) ------------------------------------------
  const agreements = new Hono<AppEnv>();
  agreements.use('*', memberOnly({ gated: false }));
  agreements.get('/', async (c) => {
    const portal = c.get('portal');
    const pending = await pendingDocuments(getDb(c.env.DB), portal.host.id, portal.customer!.id);
    if (pending.length === 0 && !portal.preview) return c.redirect(portalHref(portal, '/'), 303);
    return c.html(<AgreementGatePage portal={portal} pending={pending} />);
  });
  agreements.get('/:versionId/document', async (c) => {
    const portal = c.get('portal');
    const db = getDb(c.env.DB);
    const version = await getVersion(db, portal.host.id, c.req.param('versionId'));
    const { document } = await getDocument(db, portal.host.id, version.documentId);
    return sendLegalFile(c, await versionFile(c.env, version, document.title), version.sha256);
  });
  agreements.post('/:versionId/accept', async (c) => {
    // View Portal never gets here (previewIsReadOnly): staff cannot accept for a customer.
    const portal = c.get('portal');
    const member = portal.member!;
    const db = getDb(c.env.DB);
    try {
      await acceptDocument(db, portal.host.id, portal.customer!.id, { memberId: member.id, name: member.name, email: member.email, ip: c.req.header('CF-Connecting-IP') ?? null }, c.req.param('versionId'));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'conflict') throw error;
      const pending = await pendingDocuments(db, portal.host.id, portal.customer!.id);
      return c.html(<AgreementGatePage portal={portal} pending={pending} error={error.message} />, 409);
    }
    const pending = await pendingDocuments(db, portal.host.id, portal.customer!.id);
    return redirectAfterPost(c, portalHref(portal, pending.length ? '/agreements' : '/'));
  });
  app.route('/agreements', agreements);

  // --- Two-factor set-up (signed in; open even while the host's requirement is unmet) ---------
  app.route('/profile/two-factor', portalTwoFactorRoutes(memberOnly({ gated: false, twoFactorSetup: true }), startPortalSession));

  // --- Pages behind sign-in ------------------------------------------------------------------
  const pages = new Hono<AppEnv>();
  pages.use('*', requireMember);
  pages.get('/', async (c) => {
    const portal = c.get('portal');
    const prefetched = dashboardPrefetch.take(c);
    const live = tolerantLive(c.env);
    const data = prefetched
      ? await completeDashboard(live, prefetched)
      : await loadPortalDashboard(getDb(c.env.DB), live, portal.host.id, portal.customer!.id);
    const liveUnavailable = await unavailableSites(getDb(c.env.DB), portal.host.id, live.outage);
    return c.html(
      <PortalDashboard portal={portal} teamSize={data.teamSize} fleet={data.fleet} openAlerts={data.openAlerts} openAlertTotal={data.openAlertTotal} liveUnavailable={liveUnavailable} />,
    );
  });
  pages.route('/invoices', portalInvoiceRoutes);
  pages.route('/announcements', portalAnnouncementRoutes);
  pages.route('/support', portalSupportRoutes);
  // The evidence behind a line of one of the customer's invoices (CSV).
  pages.route('/invoices', portalEvidenceRoutes);

  // Equipment: the customer's assigned miners, live, 50 to a page; search, status filter and sort
  // are the query string. The `/live` fragments are what htmx polls; the filters and page links
  // ask /equipment itself for the list fragment (HX-Target), so the address bar keeps the state.
  /** The page's fleet: finished from the reads that came with the session, else read now. */
  const fleetPage = async (c: PortalCtx, options: { historySince?: number } = {}) => {
    const portal = c.get('portal');
    const live = tolerantLive(c.env);
    const finish = fleetPrefetch.take(c);
    const fleet = finish
      ? await finish(live, options)
      : await customerFleetPage(getDb(c.env.DB), live, portal.host.id, portal.customer!.id, parseFleetQuery(c.req.query()), options);
    return { ...fleet, liveUnavailable: await unavailableSites(getDb(c.env.DB), portal.host.id, live.outage) };
  };
  const fleetFragment = async (c: PortalCtx) => {
    const portal = c.get('portal');
    const fleet = await fleetPage(c);
    return c.html(<FleetLiveFragment portal={portal} summary={fleet.summary} page={fleet.page} now={Date.now()} liveUnavailable={fleet.liveUnavailable} />);
  };
  pages.get('/equipment', async (c) => {
    // One URL, two answers (page or list fragment): caches must tell them apart.
    c.header('Vary', 'HX-Request, HX-Target');
    if (isHtmx(c) && c.req.header('HX-Target') === 'fleet-live') return fleetFragment(c);
    const portal = c.get('portal');
    const now = Date.now();
    const fleet = await fleetPage(c, { historySince: now - HISTORY_SPAN_MS });
    return c.html(<PortalEquipmentPage portal={portal} summary={fleet.summary} page={fleet.page} history={fleet.history ?? []} now={now} liveUnavailable={fleet.liveUnavailable} />);
  });
  pages.get('/equipment/live', fleetFragment);
  pages.get('/equipment/:minerId', async (c) => {
    const portal = c.get('portal');
    const db = getDb(c.env.DB);
    const now = Date.now();
    const customerId = portal.customer!.id;
    const live = tolerantLive(c.env);
    const miner = await customerMiner(db, live, portal.host.id, customerId, c.req.param('minerId'));
    const [history, alerts] = await Promise.all([
      fleetHistory(live, [miner], now),
      listAlerts(db, portal.host.id, { miner_id: miner.id, limit: 20 }, { customerId }),
    ]);
    const liveUnavailable = await unavailableSites(db, portal.host.id, live.outage);
    return c.html(<PortalMinerPage portal={portal} miner={miner} history={history} alerts={alerts.items} now={now} liveUnavailable={liveUnavailable} />);
  });
  pages.get('/equipment/:minerId/live', async (c) => {
    const portal = c.get('portal');
    const db = getDb(c.env.DB);
    const live = tolerantLive(c.env);
    const miner = await customerMiner(db, live, portal.host.id, portal.customer!.id, c.req.param('minerId'));
    const liveUnavailable = await unavailableSites(db, portal.host.id, live.outage);
    return c.html(<MinerLive portal={portal} miner={miner} now={Date.now()} liveUnavailable={liveUnavailable} />);
  });

  // Usage: the signed-in customer's own units, for a billing period (?month=YYYY-MM).
  const portalUsage = async (c: PortalCtx) => {
    const portal = c.get('portal');
    const db = getDb(c.env.DB);
    const settings = await usageSettings(db, portal.host.id);
    const key = parseUsageMonth(c.req.query('month'), settings.billingDay, settings.timezone);
    return customerUsage(db, portal.host.id, portal.customer!.id, key, settings);
  };
  pages.get('/usage', async (c) => c.html(<PortalUsagePage portal={c.get('portal')} usage={await portalUsage(c)} />));
  pages.get('/usage.csv', async (c) => {
    const usage = await portalUsage(c);
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="usage-${usage.period.key}.csv"`);
    return c.body(usageCsv(usage));
  });

  // Alerts: the customer's own (their miners only), open first; and the owner's pool-change notice.
  const alertsPage = async (c: PortalCtx, extra: { errors?: Record<string, string>; notice?: string } = {}) => {
    const portal = c.get('portal');
    const db = getDb(c.env.DB);
    const [{ open, closed }, poolNotice] = await Promise.all([
      listCustomerAlerts(db, portal.host.id, portal.customer!.id, { cursor: c.req.query('cursor'), before: c.req.query('before') }),
      poolChangeNoticeOf(db, portal.host.id, portal.customer!.id),
    ]);
    return (
      <PortalAlertsPage
        portal={portal}
        open={open.items}
        closed={closed.items}
        closedTotal={closed.total}
        nextCursor={closed.nextCursor}
        prevCursor={closed.prevCursor}
        now={Date.now()}
        poolNotice={{ enabled: poolNotice, canChange: portal.member?.role === 'owner' }}
        {...extra}
      />
    );
  };
  pages.get('/alerts', async (c) =>
    c.html(await alertsPage(c, { notice: c.req.query('pool_notice') === 'on' ? 'Pool change notices are on.' : c.req.query('pool_notice') === 'off' ? 'Pool change notices are off.' : undefined })),
  );
  pages.post('/alerts/pool-notice', async (c) => {
    ownerOnly(c);
    const portal = c.get('portal');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const on = await setPoolChangeNotice(getDb(c.env.DB), c.env, portal.host.id, portal.customer!.id, memberActor(portal.member!), form);
        return redirectAfterPost(c, portalHref(portal, `/alerts?pool_notice=${on ? 'on' : 'off'}`));
      },
      async (errors) => {
        const page = await alertsPage(c, { errors });
        return { fragment: page, page };
      },
    );
  });

  const teamPage = async (c: PortalCtx, extra: { errors?: Record<string, string>; values?: { email: string; role: string }; notice?: string } = {}) => {
    const portal = c.get('portal');
    const db = getDb(c.env.DB);
    const [members, invites] = await Promise.all([listTeam(db, portal.host.id, portal.customer!.id), listInvites(db, portal.host.id, portal.customer!.id)]);
    return <PortalTeamPage portal={portal} members={members} invites={invites} {...extra} />;
  };
  pages.get('/team', async (c) => c.html(await teamPage(c, { notice: c.req.query('invited') ? 'Invitation sent.' : c.req.query('removed') ? 'Team member removed.' : undefined })));
  pages.post('/team/invites', async (c) => {
    ownerOnly(c);
    const portal = c.get('portal');
    const form = await readForm(c);
    const member = portal.member!;
    return handleForm(
      c,
      async () => {
        await createInvite(getDb(c.env.DB), c.env, portal.host, portal.customer!.id, { kind: 'customer', id: member.id, label: member.name }, form, c.req.url);
        return redirectAfterPost(c, portalHref(portal, '/team?invited=1'));
      },
      async (errors) => {
        const page = await teamPage(c, { errors, values: { email: form.email ?? '', role: form.role ?? 'member' } });
        return { fragment: page, page };
      },
    );
  });
  pages.post('/team/members/:memberId/remove', async (c) => {
    ownerOnly(c);
    const portal = c.get('portal');
    await removeMember(getDb(c.env.DB), portal.host.id, portal.customer!.id, c.req.param('memberId'), memberActor(portal.member!));
    return redirectAfterPost(c, portalHref(portal, '/team?removed=1'));
  });

  pages.get('/profile', async (c) => {
    const portal = c.get('portal');
    if (portal.preview) return c.html(<PortalProfileInPreview portal={portal} />);
    const saved = c.req.query('saved') ? 'Saved.' : c.req.query('password') ? 'Password changed. Other devices were signed out.' : undefined;
    // Whether two-factor is on came with the session (requireMember read it): no second read.
    const [signIns, session] = await Promise.all([recentSignIns(getDb(c.env.DB), { kind: 'customer', id: portal.member!.id }), portalSessionOf(c)]);
    const twoFactorEnabled = session.ok && session.twoFactorEnabled;
    return c.html(<PortalProfilePage portal={portal} name={portal.member!.name} email={portal.member!.email} notice={saved} signIns={signIns} twoFactorEnabled={twoFactorEnabled} />);
  });
  pages.post('/profile', async (c) => {
    const portal = c.get('portal');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updateProfile(getDb(c.env.DB), portal.host.id, portal.member!, form);
        return redirectAfterPost(c, portalHref(portal, '/profile?saved=1'));
      },
      (errors) => {
        const page = <PortalProfilePage portal={portal} name={form.name ?? ''} email={portal.member!.email} errors={errors} />;
        return { fragment: page, page };
      },
    );
  });
  pages.post('/profile/password', async (c) => {
    const portal = c.get('portal');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await startPortalSession(c, await changePassword(getDb(c.env.DB), portal.host.id, portal.member!.id, form));
        return redirectAfterPost(c, portalHref(portal, '/profile?password=1'));
      },
      (errors) => {
        const page = <PortalProfilePage portal={portal} name={portal.member!.name} email={portal.member!.email} passwordErrors={errors} />;
        return { fragment: page, page };
      },
    );
  });
  app.route('/', pages);
  return app;
}
