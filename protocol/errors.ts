// The error catalog: one entry per code, shared by the server and every client. REST error bodies,
// `error` frames, WebSocket close codes and the clients' decision to retry all derive from it, so a
// new code is one new line here (fastify's lib/errors.js; centrifuge's Error{Code, Message, Temporary}).

export interface ErrorEntry {
  /** HTTP status of a REST answer with this code. */
  status: number;
  /** WebSocket close code, for the codes that end a connection. */
  close?: number;
  /** Trying again later can succeed: a client waits (retryAfterMs when given) and repeats the same request. */
  temporary: boolean;
  /** The token is the problem: a client gets a fresh one before it connects again. */
  renewToken?: true;
  /**
   * A close that every client of a node hears at the same moment: each waits a random time,
   * uniform between 0 and this, before it reconnects (instead of its first backoff), so the
   * other nodes see them arrive spread out rather than as one herd.
   */
  reconnectSpreadMs?: number;
  /** Default message; a service may say more precisely what went wrong. */
  message: string;
}

export const errorCatalog = {
  // ---- input ----
  BAD_FRAME: { status: 400, temporary: false, message: 'Invalid frame' },
  UNKNOWN_TYPE: { status: 400, temporary: false, message: 'Unknown frame type' },
  VALIDATION_FAILED: { status: 400, temporary: false, message: 'Invalid request' },
  MESSAGE_INVALID: { status: 400, temporary: false, message: 'Invalid message' },
  /** A state-changing REST call whose body is not JSON: how a cross-site form would arrive. */
  UNSUPPORTED_MEDIA_TYPE: { status: 415, temporary: false, message: 'Send the body as application/json' },
  /** Too many invalid frames: the client is broken, reconnecting will not help. */
  PROTOCOL_VIOLATION: { status: 400, close: 4009, temporary: false, message: 'Too many invalid frames' },
  // ---- who is asking ----
  AUTH_REQUIRED: { status: 401, temporary: false, message: 'Authenticate first' },
  /** Forged, wrong audience, unknown subject. */
  AUTH_INVALID: { status: 401, close: 4001, temporary: false, renewToken: true, message: 'Invalid token' },
  TOKEN_EXPIRED: { status: 401, close: 4002, temporary: false, renewToken: true, message: 'Token expired' },
  /** No `auth` frame in time after connecting. */
  AUTH_TIMEOUT: { status: 401, close: 4008, temporary: true, message: 'No authentication in time' },
  INVALID_CREDENTIALS: { status: 401, temporary: false, message: 'Wrong email or password' },
  FORBIDDEN: { status: 403, temporary: false, message: 'Not allowed' },
  /** The site accepts only visitors identified by its own backend (data-user-id + data-user-hash). */
  IDENTITY_REQUIRED: { status: 403, temporary: false, message: 'This site requires a verified identity' },
  ORIGIN_NOT_ALLOWED: { status: 403, close: 4003, temporary: false, message: 'This page\'s origin is not allowed for this site' },
  // ---- what is asked for ----
  SITE_NOT_FOUND: { status: 404, close: 4004, temporary: false, message: 'No site has this key' },
  /** Also for another account's ids: the two are indistinguishable on purpose. */
  NOT_FOUND: { status: 404, temporary: false, message: 'Not found' },
  CONFLICT: { status: 409, temporary: false, message: 'Conflicts with what exists' },
  INVITATION_EXPIRED: { status: 410, temporary: false, message: 'This invitation has expired or was used' },
  URL_NOT_ALLOWED: { status: 400, temporary: false, message: 'This URL points at a private or loopback address' },
  // ---- the server's state ----
  RATE_LIMITED: { status: 429, temporary: true, message: 'Too many requests, slow down' },
  /** The database could not be reached; nothing was stored. */
  UNAVAILABLE: { status: 503, close: 1013, temporary: true, message: 'Storage is unavailable, try again' },
  /** The client did not read its frames fast enough: reconnect, then resume with `sync`. */
  SLOW_CONSUMER: { status: 503, close: 4010, temporary: true, message: 'Too far behind' },
  /**
   * Server shutting down or restarting; other nodes may take the connection at once. 5 s: a node
   * holding 10,000 sockets sends the others about 2,000 reconnects a second, not 10,000 within the
   * first backoff's quarter second, while a visitor waits 2.5 s on average (the outbox holds what
   * they write meanwhile).
   */
  GOING_AWAY: { status: 503, close: 1001, temporary: true, reconnectSpreadMs: 5_000, message: 'Server shutting down' },
  INTERNAL: { status: 500, temporary: false, message: 'Internal error' },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof errorCatalog;

/** The codes by name, for `code === ErrorCodes.NOT_FOUND` comparisons. */
export const ErrorCodes = Object.fromEntries(Object.keys(errorCatalog).map((code) => [code, code])) as
  { readonly [C in ErrorCode]: C };

export function errorEntry(code: string): ErrorEntry | undefined {
  return Object.prototype.hasOwnProperty.call(errorCatalog, code) ? (errorCatalog as Record<string, ErrorEntry>)[code] : undefined;
}

/** Whether repeating the same request later can succeed. Unknown codes: no. */
export function isTemporary(code: string): boolean {
  return errorEntry(code)?.temporary ?? false;
}

/** The code a WebSocket close code stands for, if it is one of ours. */
export function codeOfClose(closeCode: number): ErrorCode | undefined {
  return (Object.keys(errorCatalog) as ErrorCode[]).find((code) => (errorCatalog[code] as ErrorEntry).close === closeCode);
}

export type CloseDecision = 'reconnect' | 'renew-token' | 'stop';

/**
 * What a client does after its connection closed with `closeCode`. Codes that are not ours (1006
 * when the network dropped, 1009 for an oversize frame, 1011) are worth a reconnect.
 */
export function afterClose(closeCode: number): CloseDecision {
  const code = codeOfClose(closeCode);
  if (!code) return 'reconnect';
  const entry: ErrorEntry = errorCatalog[code];
  if (entry.renewToken) return 'renew-token';
  return entry.temporary ? 'reconnect' : 'stop';
}
