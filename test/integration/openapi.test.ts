// The OpenAPI document is generated from the route table: every REST route is in it with what it
// takes and answers, agent routes ask for a bearer token, and nothing internal leaks in.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalog } from '../../protocol/index.ts';
import { startServer, type TestServer } from '../helpers.ts';

interface Properties { properties?: Record<string, unknown> }
interface RouteSchema { params?: Properties; querystring?: Properties; body?: Properties; response?: Record<string, unknown> }
interface Parameter { name: string; in: string; required?: boolean }
interface JsonContent { content?: { 'application/json'?: { schema?: Properties & Record<string, unknown> } } }
interface Operation {
  parameters?: Parameter[];
  requestBody?: JsonContent;
  responses: Record<string, JsonContent>;
  security?: Record<string, string[]>[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, unknown> };
}

let server: TestServer;
let document: Document;
beforeAll(async () => {
  server = await startServer();
  const response = await fetch(`${server.url}/openapi.json`);
  expect(response.status).toBe(200);
  document = await response.json() as Document;
});
afterAll(async () => { await server.close(); });

/** Each method of each route of the table, as the document spells it. */
function operations() {
  return server.app.routeTable
    .flatMap((route) => [route.method].flat().map((method) => ({
      method,
      url: route.url,
      path: route.url.replace(/:(\w+)/g, '{$1}'),
      schema: (route.schema ?? {}) as RouteSchema,
    })))
    // HEAD routes are Fastify's copies of the GET ones.
    .filter(({ method }) => method !== 'HEAD');
}
/** What a client calls: the REST API without the browser's CORS preflights. */
const restOperations = () => operations().filter(({ url, method }) => url.startsWith('/api/') && method !== 'OPTIONS');

const jsonSchema = (content: JsonContent | undefined) => content?.content?.['application/json']?.schema;
const ERROR_BODY = {
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { enum: Object.keys(errorCatalog) },
    error: { type: 'string' },
    message: { type: 'string' },
  },
};

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document named after the package', async () => {
    const pkg = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: pkg.name, version: pkg.version });
    expect(document.components.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('has every REST route with its parameters, body and responses', () => {
    expect(restOperations().length).toBeGreaterThanOrEqual(10);
    for (const { method, url, path, schema } of restOperations()) {
      const where = `${method} ${url}`;
      const operation = document.paths[path]?.[method.toLowerCase()];
      expect(operation, where).toBeDefined();
      if (!operation) continue;
      const parameters = (place: string) => (operation.parameters ?? []).filter((parameter) => parameter.in === place)
        .map((parameter) => parameter.name).sort();

      // Path parameters from the URL itself, so a route without a params schema fails here.
      const pathNames = (url.match(/:\w+/g) ?? []).map((name) => name.slice(1)).sort();
      expect(parameters('path'), `${where} path parameters`).toEqual(pathNames);
      expect(parameters('query'), `${where} query parameters`).toEqual(Object.keys(schema.querystring?.properties ?? {}).sort());

      if (schema.body) {
        const body = jsonSchema(operation.requestBody);
        expect(Object.keys(body?.properties ?? {}).sort(), `${where} body`).toEqual(Object.keys(schema.body.properties ?? {}).sort());
      } else {
        expect(operation.requestBody, `${where} body`).toBeUndefined();
      }

      const success = Object.keys(operation.responses).filter((status) => ['200', '201', '204'].includes(status));
      expect(success, `${where} success`).toHaveLength(1);
      if (success[0] !== '204') expect(jsonSchema(operation.responses[success[0]!]), `${where} ${success[0]}`).toBeDefined();

      const declaredErrors = Object.keys(schema.response ?? {}).filter((status) => Number(status) >= 400).sort();
      expect(declaredErrors.length, `${where} error statuses`).toBeGreaterThan(0);
      expect(Object.keys(operation.responses).filter((status) => Number(status) >= 400).sort(), where).toEqual(declaredErrors);
      for (const status of declaredErrors) {
        expect(jsonSchema(operation.responses[status]), `${where} ${status}`).toEqual(ERROR_BODY);
      }
    }
  });

  it('asks for a bearer token on exactly the routes that refuse a call without one', async () => {
    let agentRoutes = 0;
    for (const { method, url, path } of restOperations()) {
      const response = await fetch(`${server.url}${url.replace(/:\w+/g, randomUUID())}`, {
        method,
        ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
      const { code } = await response.json() as { code?: string };
      const needsAgent = response.status === 401 && code === 'AUTH_REQUIRED';
      if (needsAgent) agentRoutes += 1;
      expect(document.paths[path]?.[method.toLowerCase()]?.security, `${method} ${url}`)
        .toEqual(needsAgent ? [{ bearerAuth: [] }] : undefined);
    }
    // /api/v1/me, /api/v1/agents, /api/v1/auth/refresh and the five conversation routes.
    expect(agentRoutes).toBeGreaterThanOrEqual(8);
  });

  it('holds nothing but the REST API', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)).sort();
    const expected = restOperations().map(({ method, path }) => `${method} ${path}`).sort();
    expect(documented).toEqual(expected);
    // The socket, the pages and assets, the probes, the metrics and the docs themselves.
    const internal = operations().filter(({ url }) => !url.startsWith('/api/')).map(({ path }) => path);
    expect(internal).toEqual(expect.arrayContaining([
      '/ws', '/widget.js', '/console/*', '/healthz', '/readyz', '/metrics', '/docs/', '/docs/json', '/openapi.json',
    ]));
    for (const path of internal) expect(document.paths[path], path).toBeUndefined();
  });
});

describe('GET /docs', () => {
  it('answers the interactive page under its own CSP, still unframeable', async () => {
    const response = await fetch(`${server.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('swagger-ui-bundle.js');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });
});
