import { h } from '#jsx';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../env';
import { AdminLayout } from '../../views/layouts/admin';
import { ErrorFragment, ErrorPage } from '../../views/pages/error';
import { PortalNoticePage } from '../../views/pages/portal/auth';
import { AppError } from './errors';
import { isApiPath, isHtmx } from './http';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Sign in required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  422: 'Check the form',
  429: 'Too many attempts',
  500: 'Something went wrong',
};

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException && error.status < 500) {
    const code = error.status === 404 ? 'not_found' : error.status === 401 ? 'unauthorized' : error.status === 403 ? 'forbidden' : 'bad_request';
    return new AppError(code, error.message || TITLES[error.status] || 'Bad request.');
  }
  return new AppError('internal', 'Something went wrong on our side. Try again; if it keeps happening, contact support with the reference below.');
}

/**
 * The one place errors become responses: JSON for the APIs, a fragment for htmx (retargeted to
 * the page's #flash region), a full page otherwise (inside the admin shell when signed in).
 */
export function renderError(error: unknown, c: Context<AppEnv>): Response | Promise<Response> {
  const appError = toAppError(error);
  const requestId = c.get('requestId');
  if (appError.code === 'internal') console.error(`[${requestId}]`, error);
  if (appError.retryAfterSeconds) c.header('Retry-After', String(appError.retryAfterSeconds));

  if (isApiPath(c.req.path)) {
    return c.json({ error: { code: appError.code, message: appError.message, fields: appError.fields ?? {} } }, appError.status);
  }
  if (isHtmx(c)) {
    c.header('HX-Retarget', '#flash');
    c.header('HX-Reswap', 'innerHTML');
    return c.html(<ErrorFragment message={appError.message} />, appError.status);
  }
  const title = TITLES[appError.status] ?? 'Error';
  // Portal pages keep the host's white label even when they fail.
  const portal = c.get('portal');
  if (portal && !portal.preview) {
    const reference = appError.code === 'internal' ? requestId : undefined;
    return c.html(<PortalNoticePage portal={portal} title={title} message={appError.message} reference={reference} />, appError.status);
  }
  const session = c.get('staff');
  if (session) {
    return c.html(
      <AdminLayout session={session} title={title}>
        <div class="error-panel">
          <p class="error-status">{appError.status}</p>
          <h1>{title}</h1>
          <p>{appError.message}</p>
          <p class="muted small">Reference: {requestId}</p>
        </div>
      </AdminLayout>,
      appError.status,
    );
  }
  return c.html(<ErrorPage status={appError.status} title={title} message={appError.message} requestId={requestId} />, appError.status);
}
