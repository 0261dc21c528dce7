// Every REST route that takes an id, generated from the route table: account A's token with account
// B's ids is answered 404 NOT_FOUND, exactly like an id that does not exist, reveals nothing of B
// and changes nothing of B. A new route with an id param fails here until it has a fixture.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  TestClient, createTenant, driver, get, loginAgent, startServer, visitorSession, type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

interface Account {
  tenant: Tenant;
  token: string;
  conversationId: string;
  visitorId: string;
  /** Strings that only this account's answers may contain. */
  secrets: string[];
}

/** What each param name stands for, in an account. A route with a param not listed here fails the test. */
const PARAM_FIXTURES: Record<string, (account: Account) => string> = {
  id: (account) => account.conversationId,
};

/** A valid body for each route that takes one, so that validation passes and the access check is what answers. */
const BODY_FIXTURES: Record<string, (caller: Account) => unknown> = {
  'POST /api/conversations/:id/assign': (caller) => ({ agentId: caller.tenant.owner.id }),
  'POST /api/conversations/:id/status': () => ({ status: 'resolved' }),
};

interface RouteWithIds { method: string; url: string; params: string[]; takesBody: boolean }

describe(`tenant isolation of the REST API (${driver})`, () => {
  let server: TestServer;
  let a: Account;
  let b: Account;

  async function account(label: string): Promise<Account> {
    const tenant = await createTenant(server.database, [ORIGIN], label);
    const session = await visitorSession(server, tenant.site);
    const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await visitor.ready('visitor');
    const body = `order question of ${label} ${randomUUID()}`;
    visitor.send({ type: 'message.send', clientId: randomUUID(), body });
    const ack = await visitor.next('ack');
    visitor.close();
    return {
      tenant,
      token: await loginAgent(server, tenant.owner.email),
      conversationId: ack.conversationId,
      visitorId: session.visitorId,
      secrets: [body, session.visitorId, tenant.site.id, tenant.site.publicKey, tenant.accountId, tenant.owner.id, tenant.owner.email, tenant.site.name],
    };
  }

  function routesWithIds(): RouteWithIds[] {
    return server.app.routeTable
      .filter((route) => route.url.startsWith('/api/') && route.url.includes(':'))
      .flatMap((route) => [route.method].flat().filter((method) => method !== 'HEAD' && method !== 'OPTIONS').map((method) => ({
        method,
        url: route.url,
        params: (route.url.match(/:\w+/g) ?? []).map((param) => param.slice(1)),
        takesBody: Boolean((route.schema as { body?: unknown } | undefined)?.body),
      })));
  }

  function request(route: RouteWithIds, caller: Account, owner: Account) {
    const where = `${route.method} ${route.url}`;
    let path = route.url;
    for (const param of route.params) {
      const fixture = PARAM_FIXTURES[param];
      if (!fixture) throw new Error(`${where}: no fixture for :${param} in PARAM_FIXTURES; add one so that tenant isolation covers this route`);
      path = path.replace(`:${param}`, encodeURIComponent(fixture(owner)));
    }
    const body = BODY_FIXTURES[where];
    if (route.takesBody && !body) throw new Error(`${where}: no body in BODY_FIXTURES; add a valid one`);
    return fetch(`${server.url}${path}`, {
      method: route.method,
      headers: { authorization: `Bearer ${caller.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body(caller)) } : {}),
    });
  }

  beforeAll(async () => {
    server = await startServer();
    a = await account('alpha');
    b = await account('bravo');
  });
  afterAll(async () => { await server.close(); });

  it('covers at least the conversation routes', () => {
    const names = routesWithIds().map((route) => `${route.method} ${route.url}`);
    expect(names).toEqual(expect.arrayContaining([
      'GET /api/conversations/:id', 'GET /api/conversations/:id/messages',
      'POST /api/conversations/:id/assign', 'POST /api/conversations/:id/status',
    ]));
  });

  it('answers another account\'s ids exactly like missing ones: 404 NOT_FOUND, nothing of the owner, nothing changed', async () => {
    const before = await get<{ conversation: unknown }>(`${server.url}/api/conversations/${b.conversationId}`, b.token);
    expect(before.status).toBe(200);
    for (const route of routesWithIds()) {
      const where = `${route.method} ${route.url}`;
      const response = await request(route, a, b);
      const text = await response.text();
      expect(response.status, where).toBe(404);
      expect(JSON.parse(text), where).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
      for (const secret of b.secrets) expect(text, `${where} reveals ${secret}`).not.toContain(secret);
      // The same answer as for an id nobody has, so that probing tells nothing.
      const missing = await request(route, a, { ...b, conversationId: randomUUID() });
      const missingBody = await missing.json() as { code: string; message: string };
      expect({ status: missing.status, code: missingBody.code }, where).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect((JSON.parse(text) as { message: string }).message, where).toBe(missingBody.message);
    }
    const after = await get<{ conversation: unknown }>(`${server.url}/api/conversations/${b.conversationId}`, b.token);
    expect(after.body).toEqual(before.body);
  });

  it('answers the same routes for the account\'s own ids (the fixtures are valid)', async () => {
    for (const route of routesWithIds()) {
      const response = await request(route, a, a);
      expect(response.status, `${route.method} ${route.url}`).toBe(200);
    }
  });

  it('fails for a route whose id param has no fixture', () => {
    const route: RouteWithIds = { method: 'GET', url: '/api/sites/:siteId', params: ['siteId'], takesBody: false };
    expect(() => request(route, a, b)).toThrow(/no fixture for :siteId/);
  });
});
