// A REST call to /api/v1 as one caller, answering the status and the parsed body: the shape the
// resource tests (sites, canned responses) assert on.
import type { TestServer } from './helpers.ts';

export type ApiCall = <T = unknown>(method: string, path: string, body?: unknown, token?: string) => Promise<{ status: number; body: T }>;

/** @param defaultToken used when a call names no token of its own */
export function apiCaller(server: () => TestServer, defaultToken: () => string): ApiCall {
  return async <T>(method: string, path: string, body?: unknown, token = defaultToken()) => {
    const response = await fetch(`${server().url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: await response.json() as T };
  };
}
