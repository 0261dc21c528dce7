// The OpenAPI 3.1 document of the REST API, generated from the routes' own TypeBox schemas
// (GET /openapi.json), and an interactive page that reads it (GET /docs). Registered before the
// routes: @fastify/swagger collects them as they are added.
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { readFileSync } from 'node:fs';
import { BEARER_SCHEME } from '../routes/schemas.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as
  { name: string; version: string; description: string };

const OPENAPI_PATH = '/openapi.json';
const DOCS_PREFIX = '/docs';

/** /api/v1/me is about agents too; every other group is named by the segment after the version. */
const tagOf = (url: string) => {
  const segments = url.split('/');
  const group = (segments[2] === 'v1' ? segments[3] : segments[2]) ?? 'api';
  return group === 'me' ? 'agents' : group;
};

export const apiDocsPlugin = fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: pkg.name, version: pkg.version, description: pkg.description },
      components: {
        securitySchemes: {
          [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: 'An API token (parley_pat_…, from POST /api/v1/tokens) or an agent token from POST /api/v1/auth/login' },
        },
      },
    },
    // Only the REST API is documented: the socket, pages, assets and operations endpoints are
    // not part of it, and a route added outside /api/ stays out without anyone remembering to
    // hide it. The CORS preflight is the browser's business, not a client's.
    transform({ schema, url, route }) {
      const methods = [route.method].flat();
      if (!url.startsWith('/api/') || methods.every((method) => method === 'OPTIONS')) {
        return { schema: { ...schema, hide: true }, url };
      }
      return { schema: { ...schema, tags: schema?.tags ?? [tagOf(url)] }, url };
    },
  });

  // At the root, where clients and tools look for it; swagger-ui serves the same under /docs/json.
  app.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger());

  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // Its swagger-initializer.js forces `url` to /docs/json; a `urls` list wins over `url` in
    // swagger-ui, so the page reads the root document.
    uiConfig: { urls: [{ url: OPENAPI_PATH, name: `${pkg.name} ${pkg.version}` }] },
  });
}, { name: 'parley-api-docs' });
