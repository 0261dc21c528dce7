// PostgreSQL errors, classified in one place for both drivers (postgres.js puts the SQLSTATE in
// `code`; drizzle wraps driver errors and keeps the original as `cause`).

export type PgErrorKind =
  /** The database could not be reached or is shutting down: nothing was done, try again. */
  | 'unavailable'
  /** A unique index refused the row (SQLSTATE 23505). */
  | 'unique_violation'
  /** A row points at one that is gone (SQLSTATE 23503), e.g. a visitor erased meanwhile. */
  | 'foreign_key_violation'
  | 'other';

// Connection refused/reset, and the drivers' own names for a lost connection.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED',
  'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);

export function pgErrorKind(error: unknown): PgErrorKind {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    const code = e.code;
    if (typeof code === 'string') {
      if (code === '23505') return 'unique_violation';
      if (code === '23503') return 'foreign_key_violation';
      // Class 08 (connection exception) and 57P (operator intervention: shutdown, crash).
      if (CONNECTION_CODES.has(code) || code.startsWith('08') || code.startsWith('57P')) return 'unavailable';
    }
    if (e.cause === e) break;
  }
  return 'other';
}
