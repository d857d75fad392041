import { adminTwoFactorRoutes } from './routes/admin-two-factor';
import { adminSecuritySettingsRoutes } from './routes/admin-security-settings';
import { Hono } from './lib/hono';
import type { AppEnv, Bindings } from './env';
import { parseVars } from './env';
import { notFound } from './lib/errors';
import { renderError } from './lib/render-error';
import { CachedRouter } from './lib/router';
import { requireApiKey } from './middleware/api-auth';
import { portalByDomain, portalBySlug, portalPreview } from './middleware/portal-tenant';
import { requestId } from './middleware/request-id';
import { csrfProtection, securityHeaders } from './middleware/security';
import { requireStaff } from './middleware/staff-auth';
import { customerWriteScope } from './middleware/customer-scope';
import { requestHostname } from './middleware/tenant';
import { adminAccountRoutes } from './routes/admin-account';
import { adminAlertRoutes } from './routes/admin-alerts';
import { adminNotifyRoutes } from './routes/admin-notify';
import { apiAnnouncementRoutes } from './routes/api-v1/announcements';
import { adminDashboardRoutes } from './routes/admin-dashboard';
import { adminUsageRoutes } from './routes/admin-usage';
import { adminContractRoutes } from './routes/admin-contracts';
import { adminCustomerRoutes, customerListPrefetch } from './routes/admin-customers';
import { adminFinancialsRoutes } from './routes/admin-financials';
import { adminEvidenceRoutes } from './routes/admin-evidence';
import { adminSettingsRoutes } from './routes/admin-settings';
import { adminDefaultRoutes } from './routes/admin-default';
import { adminDefaultSettingsRoutes } from './routes/admin-default-settings';
import { apiDefaultCaseRoutes, apiCustomerDefaultRoutes } from './routes/api-v1/default-cases';
import { adminTeamRoutes } from './routes/admin-team';
import { adminExportRoutes } from './routes/admin-export';
import { adminHostRoutes } from './routes/admin-hosts';
import { teamRoutes } from './routes/team';
import { agentApiRoutes } from './routes/agent-api';
import { apiAlertRoutes } from './routes/api-v1/alerts';
import { apiPaymentRoutes } from './routes/api-v1/payments';
import { apiContractRoutes } from './routes/api-v1/contracts';
import { adminEquipmentRoutes, equipmentListPrefetch } from './routes/admin-equipment';
import { adminSiteRoutes } from './routes/admin-sites';
import { adminPduRoutes } from './routes/admin-pdus';
import { adminCustomerSupportRoutes, adminSupportRoutes } from './routes/admin-support';
import { apiTicketRoutes } from './routes/api-v1/tickets';
import { adminInvoiceRoutes } from './routes/admin-invoices';
import { adminContractListRoutes } from './routes/admin-contract-list';
import { apiInvoiceRoutes } from './routes/api-v1/invoices';
import { apiCustomerRoutes } from './routes/api-v1/customers';
import { apiCustomerEquipmentRoutes, apiMinerRoutes } from './routes/api-v1/equipment';
import { apiEvidenceRoutes } from './routes/api-v1/evidence';
import { apiSiteRoutes } from './routes/api-v1/sites';
import { apiUsageRoutes } from './routes/api-v1/usage';
import { authRoutes } from './routes/auth';
import { devBenchRoutes } from './routes/dev-bench';
import { devDemoRoutes } from './routes/dev-demo';
import { devMailboxRoutes } from './routes/dev-mailbox';
import { portalRoutes } from './routes/portal';
import { adminCustomerLegalRoutes, adminLegalSettingsRoutes } from './routes/admin-legal';
import { adminQuoteCsvRoute, adminQuoteRoutes } from './routes/admin-quotes';
import { apiQuoteRoutes } from './routes/api-v1/quotes';
import { apiLegalRoutes, apiCustomerAcceptanceRoutes } from './routes/api-v1/legal';

/**
 * `false` only in the production build: `[env.production.define]` in wrangler.toml replaces the
 * name, esbuild folds the test in createPlatformApp (written out there: a const holding it would
 * not be inlined) and drops the /dev modules (about 3 KiB gzip, bench/README.md).
 * Elsewhere (`wrangler dev`, the vitest pool, which does not apply `define`) it is undefined.
 * @see https://developers.cloudflare.com/workers/wrangler/configuration/#non-inheritable-keys
 */
declare const HASHYARD_DEV_ROUTES: boolean | undefined;

/** What every app shares, in order: request id (errors cite it), headers, config, CSRF. */
function baseApp() {
  // Remembers each path's match: walking ~400 routes was a signed-in request's largest CPU cost (src/lib/router.ts).
  const app = new Hono<AppEnv>({ router: new CachedRouter() });
  app.use('*', requestId);
  app.use('*', securityHeaders);
  app.use('*', async (c, next) => {
    c.set('vars', parseVars(c.env));
    await next();
  });
  app.use('*', csrfProtection);
  app.notFound((c) => renderError(notFound(), c));
  app.onError(renderError);
  return app;
}

/** The platform host (APP_HOST): admin app, `/host/<slug>` portals, the APIs. */
export function createPlatformApp() {
  const app = baseApp();
  app.route('/', authRoutes);
  app.route('/team', teamRoutes);

  // Read-only lists whose first D1 batch travels with the session check (pagePrefetch, one round trip less).
  app.get('/admin/customers', customerListPrefetch.middleware);
  app.get('/admin/equipment', equipmentListPrefetch.middleware);
  app.use('/admin/*', requireStaff);
  app.get('/admin', (c) => c.redirect('/admin/dashboard', 302));
  app.route('/admin/dashboard', adminDashboardRoutes);
  // Site-scoped staff: a customer shared with sites they cannot see is read-only for them.
  app.use('/admin/customers/:customerId/*', customerWriteScope);
  app.use('/admin/customers/:customerId', customerWriteScope);
  app.route('/admin/customers/:customerId/portal', portalRoutes(portalPreview));
  // Before the customer routes: /:id/financials… is Financials' own, not the generic tab dispatcher.
  app.route('/admin/customers', adminFinancialsRoutes);
  // Before adminCustomerRoutes: its /:id/:tab? would otherwise answer /:id/usage.
  app.route('/admin/customers', adminUsageRoutes);
  // Before the customer routes: it owns /:id/contracts, which their generic tab dispatcher would take.
  app.route('/admin/customers', adminContractRoutes);
  // Before the customer routes: Customer → Default status (docs/DEFAULT.md).
  app.route('/admin/customers', adminDefaultRoutes);
  // Before the customer routes: the Support tab is its own, not the generic tab dispatcher's.
  app.route('/admin/customers', adminCustomerSupportRoutes);
  // Before the customer routes: /:id/legal is the Legal tab's own.
  app.route('/admin/customers', adminCustomerLegalRoutes);
  app.route('/admin/customers', adminCustomerRoutes);
  app.route('/admin/settings/default', adminDefaultSettingsRoutes);
  app.route('/admin/settings/legal', adminLegalSettingsRoutes);
  app.route('/admin/quotes.csv', adminQuoteCsvRoute);
  app.route('/admin/quotes', adminQuoteRoutes);
  app.route('/admin/settings/security', adminSecuritySettingsRoutes);
  app.route('/admin/settings/staff', adminTeamRoutes);
  app.route('/admin/settings/export', adminExportRoutes);
  app.route('/admin/settings', adminSettingsRoutes);
  app.route('/admin/account/two-factor', adminTwoFactorRoutes);
  app.route('/admin/account', adminAccountRoutes);
  app.route('/admin/hosts', adminHostRoutes);
  app.route('/admin/equipment', adminEquipmentRoutes);
  app.route('/admin/sites', adminPduRoutes);
  app.route('/admin/sites', adminSiteRoutes);
  app.route('/admin/alerts', adminAlertRoutes);
  app.route('/admin/contracts', adminContractListRoutes);
  app.route('/admin/notify', adminNotifyRoutes);
  app.route('/admin/support', adminSupportRoutes);
  // Before the other /admin/invoices routes: the evidence behind each invoice line.
  app.route('/admin/invoices', adminEvidenceRoutes);
  app.route('/admin/invoices', adminInvoiceRoutes);

  // `/host/<slug>/` is the portal's home with a trailing slash: redirect rather than 404.
  app.get('/host/:slug/', (c) => c.redirect(`/host/${encodeURIComponent(c.req.param('slug'))}${new URL(c.req.url).search}`, 301));
  app.route('/host/:slug', portalRoutes(portalBySlug));

  app.route('/api/agent/v1', agentApiRoutes);

  app.use('/api/v1/*', requireApiKey);
  app.route('/api/v1/customers', apiCustomerRoutes);
  app.route('/api/v1/customers', apiCustomerEquipmentRoutes);
  app.route('/api/v1/customers', apiUsageRoutes);
  app.route('/api/v1/sites', apiSiteRoutes);
  app.route('/api/v1/miners', apiMinerRoutes);
  app.route('/api/v1/alerts', apiAlertRoutes);
  app.route('/api/v1/invoices', apiEvidenceRoutes);
  app.route('/api/v1/invoices', apiInvoiceRoutes);
  app.route('/api/v1/payments', apiPaymentRoutes);
  app.route('/api/v1/contracts', apiContractRoutes);
  app.route('/api/v1/customers', apiCustomerDefaultRoutes);
  app.route('/api/v1/default-cases', apiDefaultCaseRoutes);
  app.route('/api/v1/announcements', apiAnnouncementRoutes);
  app.route('/api/v1/tickets', apiTicketRoutes);
  app.route('/api/v1/legal', apiLegalRoutes);
  app.route('/api/v1/quotes', apiQuoteRoutes);
  app.route('/api/v1/customers', apiCustomerAcceptanceRoutes);

  // Development and test only: the local outbox's mail, the bench's RPCs, the demo's history.
  // The production build leaves them out (HASHYARD_DEV_ROUTES, below); where they are built they
  // still answer 404 when ENVIRONMENT is production.
  if (typeof HASHYARD_DEV_ROUTES === 'undefined' || HASHYARD_DEV_ROUTES) {
    app.route('/dev/mailbox', devMailboxRoutes());
    app.route('/dev/bench', devBenchRoutes());
    app.route('/dev/demo', devDemoRoutes());
  }
  return app;
}

/** Every other hostname: a verified custom domain's portal at `/`, or 404 (never a default tenant). */
export function createDomainApp() {
  const app = baseApp();
  app.route('/', portalRoutes(portalByDomain));
  return app;
}

/** Routing by Host (DESIGN.md §2). */
export function createApp() {
  const platform = createPlatformApp();
  const domains = createDomainApp();
  return {
    fetch(request: Request, env: Bindings, ctx: ExecutionContext): Response | Promise<Response> {
      const isPlatform = requestHostname(request.url) === env.APP_HOST.toLowerCase();
      return (isPlatform ? platform : domains).fetch(request, env, ctx);
    },
  };
}
