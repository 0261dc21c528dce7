// POST /api/widget/session?site=KEY: trades the site key (and the visitor's earlier token, if any) for a token,
// the widget settings and the team's status.
import { errorEntry } from '../protocol/index.ts';
import type { WidgetSessionResponse } from '../protocol/index.ts';

/** A signed-in user of the host site, vouched for by its backend (examples/identity.ts). */
export interface VisitorIdentity { userId: string; userHash: string; name?: string; email?: string }

export type SessionResult =
  | { kind: 'ok'; session: WidgetSessionResponse }
  /** Asking again cannot help: the site is gone, this page may not embed it, or the request is wrong. */
  | { kind: 'refused'; code: string; message: string }
  /** Network trouble, a server error or a rate limit: ask again later. */
  | { kind: 'retry' };

export async function requestSession(base: string, siteKey: string, token: string | null, identity: VisitorIdentity | null = null): Promise<SessionResult> {
  let response: Response;
  let body: unknown;
  try {
    // The site goes in the URL: the CORS preflight carries no body, and the server answers it only
    // for the named site's allowed origins.
    response = await fetch(`${base}/api/widget/session?site=${encodeURIComponent(siteKey)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...(token ? { token } : {}), ...(identity ? { identity } : {}) }),
      credentials: 'omit',
    });
  } catch {
    return (await serverReachable(base)) ? refusedUnseen(siteKey) : { kind: 'retry' };
  }
  try {
    body = await response.json();
  } catch {
    // Not our server's JSON: a proxy's error page, or a script src pointing at the wrong host.
    body = null;
  }
  if (response.ok && isSession(body)) return { kind: 'ok', session: body };

  const status = response.status;
  const error = (body ?? {}) as { code?: unknown; message?: unknown };
  const entry = typeof error.code === 'string' ? errorEntry(error.code) : undefined;
  // A 4xx with one of our codes says whether asking again can help. Any 5xx is retried quietly,
  // INTERNAL too: without a session the widget cannot show at all, and a failing server recovers.
  if (status >= 500 || status === 408 || (entry ? entry.temporary : status === 429)) return { kind: 'retry' };
  if (response.ok) return { kind: 'refused', code: 'BAD_RESPONSE', message: 'unexpected session response' };
  // A server that refuses the stored token (instead of issuing a new visitor, as documented) is asked
  // again without it, so one stale token can never lock the visitor out.
  if (token && (entry?.renewToken || status === 401)) return requestSession(base, siteKey, null, identity);
  const code = typeof error.code === 'string' ? error.code : `HTTP_${status}`;
  return { kind: 'refused', code, message: typeof error.message === 'string' ? error.message : '' };
}

function isSession(body: unknown): body is WidgetSessionResponse {
  const candidate = body as Partial<WidgetSessionResponse> | null;
  return typeof candidate?.token === 'string' && typeof candidate.visitorId === 'string' &&
    typeof candidate.settings === 'object' && candidate.settings !== null;
}

/**
 * The server answers CORS only to the named site's allowed origins, so a page it refuses sees a
 * network error, not the code. /widget.js needs no CORS: if it answers, the server is up and has
 * refused this page, and asking again every few seconds would only load it for nothing.
 */
async function serverReachable(base: string): Promise<boolean> {
  try {
    await fetch(`${base}/widget.js`, { mode: 'no-cors', cache: 'no-store', credentials: 'omit' });
    return true;
  } catch {
    return false; // the network or the server is down: worth another try later
  }
}

function refusedUnseen(siteKey: string): SessionResult {
  const origin = globalThis.location?.origin ?? 'this page';
  return {
    kind: 'refused',
    code: 'SITE_NOT_FOUND or ORIGIN_NOT_ALLOWED',
    message: `the server refused this page (check data-site="${siteKey}" and that ${origin} is one of the site's allowed origins)`,
  };
}
