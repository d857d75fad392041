/**
 * One error taxonomy. Services throw AppError; the app's single onError renders it as a full page,
 * an htmx fragment or JSON `{ error: { code, message, fields } }` (src/lib/respond-error.tsx).
 */
export type FieldErrors = Record<string, string>;

export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'csrf_failed'
  | 'internal';

const STATUS: Record<ErrorCode, ErrorStatus> = {
  bad_request: 400,
  validation_failed: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  csrf_failed: 403,
  internal: 500,
};

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500;

export class AppError extends Error {
  readonly status: ErrorStatus;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldErrors,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = STATUS[code];
  }
}

export class ValidationError extends AppError {
  constructor(fields: FieldErrors, message = 'Some fields need attention.') {
    super('validation_failed', message, fields);
  }
}

export const notFound = (what = 'Page') => new AppError('not_found', `${what} not found.`);
export const forbidden = (message = 'You do not have permission to do that.') => new AppError('forbidden', message);
export const unauthorized = (message = 'Sign in to continue.') => new AppError('unauthorized', message);
