import { Hono } from 'hono';
import type { AppEnv } from './env';
import { notFound } from './lib/errors';
import { renderError } from './lib/render-error';
import { requireApiKey } from './middleware/api-auth';
import { requestId } from './middleware/request-id';
import { csrfProtection, securityHeaders } from './middleware/security';
import { requireStaff } from './middleware/staff-auth';
import { platformOnly } from './middleware/tenant';
import { adminCustomerRoutes } from './routes/admin-customers';
import { adminSettingsRoutes } from './routes/admin-settings';
import { apiCustomerRoutes } from './routes/api-v1/customers';
import { authRoutes } from './routes/auth';

/**
 * Middleware order matters: the request id first (errors cite it), security headers on every
 * response, the Host decides which app answers, CSRF before any route can act on a form.
 */
export function createApp() {
  const app = new Hono<AppEnv>();
  app.use('*', requestId);
  app.use('*', securityHeaders);
  app.use('*', platformOnly);
  app.use('*', csrfProtection);

  app.route('/', authRoutes);

  app.use('/admin/*', requireStaff);
  app.get('/admin', (c) => c.redirect('/admin/customers', 302));
  app.route('/admin/customers', adminCustomerRoutes);
  app.route('/admin/settings', adminSettingsRoutes);

  app.use('/api/v1/*', requireApiKey);
  app.route('/api/v1/customers', apiCustomerRoutes);

  app.notFound((c) => renderError(notFound(), c));
  app.onError(renderError);
  return app;
}
