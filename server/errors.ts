// AppError: what services throw. Its code's catalog entry (protocol/errors.ts) gives the HTTP status,
// the close code and whether a client may retry; REST turns it into
// { statusCode, code, error, message } and the WebSocket gateway into an `error` frame.
import { errorCatalog, type ErrorCode } from '../protocol/index.ts';
import { pgErrorKind } from '../db/errors.ts';

export class AppError extends Error {
  readonly statusCode: number;
  constructor(readonly code: ErrorCode, message: string = errorCatalog[code].message, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'AppError';
    this.statusCode = errorCatalog[code].status;
  }
}

export const notFound = (what = 'Not found') => new AppError('NOT_FOUND', what);

/** Any thrown value → AppError; unknown errors become INTERNAL without leaking their message. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // Nothing was stored: the client may send the same request again shortly.
  if (pgErrorKind(error) === 'unavailable') return new AppError('UNAVAILABLE', undefined, 1000);
  return new AppError('INTERNAL');
}

/** The REST error body for a code. */
export function errorBody(error: AppError): { statusCode: number; code: ErrorCode; error: string; message: string } {
  return { statusCode: error.statusCode, code: error.code, error: statusName(error.statusCode), message: error.message };
}

export function statusName(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
    413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 503: 'Service Unavailable' } as Record<number, string>)[status]
    ?? (status < 500 ? 'Bad Request' : 'Internal Server Error');
}
