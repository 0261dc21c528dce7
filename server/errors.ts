// One catalog of errors. Services throw AppError with a stable code; REST turns it into
// { statusCode, code, error, message } and the WebSocket gateway into an `error` frame.
import { ErrorCodes, type ErrorCode } from './protocol.ts';

const httpStatus: Record<ErrorCode, number> = {
  BAD_FRAME: 400,
  UNKNOWN_TYPE: 400,
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  TOKEN_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  SITE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
  MESSAGE_INVALID: 400,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class AppError extends Error {
  readonly statusCode: number;
  constructor(readonly code: ErrorCode, message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'AppError';
    this.statusCode = httpStatus[code];
  }
}

export const notFound = (what = 'Not found') => new AppError(ErrorCodes.NOT_FOUND, what);

/**
 * True when an error means the database could not be reached (as opposed to a bug or a constraint):
 * the client may retry, and nothing was stored.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') {
    // Connection refused/reset, and PostgreSQL's class 08 (connection) and 57P (shutdown) errors.
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED',
      'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT'].includes(code)) return true;
    if (code.startsWith('08') || code.startsWith('57P')) return true;
  }
  const cause = (error as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== error && isDatabaseUnavailable(cause);
}

/** Any thrown value → AppError; unknown errors become INTERNAL without leaking their message. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) return new AppError(ErrorCodes.UNAVAILABLE, 'Storage is unavailable, try again', 1000);
  return new AppError(ErrorCodes.INTERNAL, 'Internal error');
}
