// Every REST route declares what it takes and what it answers, so requests are validated,
// responses serialised by their schemas and the API document generated from the same source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TSchema } from 'typebox';
import { ErrorBody } from '../../server/routes/schemas.ts';
import { startServer, type TestServer } from '../helpers.ts';

let server: TestServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.close(); });

/** The bearer token says everything these need. */
const TAKES_NO_BODY = new Set(['POST /api/v1/auth/refresh']);

interface RouteSchema { params?: TSchema; querystring?: TSchema; body?: TSchema; response?: Record<string, TSchema> }

function restRoutes() {
  return server.app.routeTable
    .filter((route) => route.url.startsWith('/api/'))
    .flatMap((route) => [route.method].flat().filter((method) => method !== 'HEAD')
      .map((method) => ({ method, url: route.url, schema: (route.schema ?? {}) as RouteSchema })));
}

describe('the REST route table', () => {
  it('has the routes the console and the widget use', () => {
    const names = restRoutes().map((route) => `${route.method} ${route.url}`);
    expect(names).toEqual(expect.arrayContaining([
      'POST /api/v1/auth/login', 'POST /api/v1/auth/refresh', 'GET /api/v1/me', 'GET /api/v1/agents', 'POST /api/widget/session',
      'GET /api/v1/conversations', 'GET /api/v1/conversations/:id', 'GET /api/v1/conversations/:id/messages',
      'POST /api/v1/conversations/:id/assign', 'POST /api/v1/conversations/:id/status',
    ]));
  });

  it('declares params, body, a success response and error bodies for every route', () => {
    for (const { method, url, schema } of restRoutes()) {
      const where = `${method} ${url}`;
      for (const param of url.match(/:\w+/g) ?? []) {
        expect(Object.keys((schema.params as { properties?: object } | undefined)?.properties ?? {}), where).toContain(param.slice(1));
      }
      if (method === 'POST' && !TAKES_NO_BODY.has(where)) expect(schema.body, `${where} body`).toBeDefined();
      const responses = schema.response ?? {};
      // A CORS preflight answers 204 with headers only; a POST that creates something, 201.
      const success = method === 'OPTIONS' ? '204' : responses['201'] ? '201' : '200';
      expect(responses[success], `${where} ${success}`).toBeDefined();
      const errors = Object.keys(responses).filter((status) => status !== success);
      expect(errors.length, `${where} error statuses`).toBeGreaterThan(0);
      for (const status of errors) expect(responses[status], `${where} ${status}`).toBe(ErrorBody);
    }
  });

  it('answers an error with exactly the error body\'s fields', async () => {
    const response = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'x' }),
    });
    expect(response.status).toBe(401);
    expect(Object.keys(await response.json() as object).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
  });
});
