// Every authenticated REST route that takes an id, generated from the route table: account A's token
// with account B's ids is answered 404 NOT_FOUND, exactly like an id that does not exist, reveals
// nothing of B and changes nothing of B. A new route with an id param fails here until its param
// has a fixture, and a route that takes a body until it has a valid one (BODY_FIXTURES, or the
// first of its schema's `examples`, which the API document shows too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { schema } from '../../db/index.ts';
import {
  TestClient, addAgent, createTenant, driver, get, loginAgent, startServer, visitorSession, type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

interface Account {
  tenant: Tenant;
  token: string;
  ids: Record<string, string>;
  /** Strings that only this account's answers may contain. */
  secrets: string[];
}

/**
 * Which of an account's ids a param stands for, by the path segment before it
 * (`/sites/:id` → a site). A route whose param is not covered here fails the test.
 */
const FIXTURE_OF_SEGMENT: Record<string, string> = {
  conversations: 'conversation',
  sites: 'site',
  agents: 'member',
  tokens: 'token',
  'canned-responses': 'canned',
  visitors: 'visitor',
  webhooks: 'webhook',
  deliveries: 'delivery',
  invitations: 'invitation',
};

/** A valid body for routes whose schema has no usable example, so that the access check is what answers. */
const BODY_FIXTURES: Record<string, (caller: Account) => unknown> = {
  'POST /api/v1/conversations/:id/assign': (caller) => ({ agentId: caller.tenant.owner.id }),
};

/** Own-id calls run in this order, so that nothing is deleted before the routes that need it. */
const DELETE_LAST = ['tokens', 'canned-responses', 'invitations', 'webhooks', 'agents', 'visitors', 'conversations', 'sites'];

interface RouteWithIds { method: string; url: string; params: { name: string; segment: string }[]; body: unknown }

async function seedAccount(server: TestServer, label: string): Promise<Account> {
  const { db } = server.database;
  const tenant = await createTenant(server.database, [ORIGIN], label);
  const session = await visitorSession(server, tenant.site);
  const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
  await visitor.ready('visitor');
  const body = `order question of ${label} ${randomUUID()}`;
  visitor.send({ type: 'message.send', clientId: randomUUID(), body });
  const ack = await visitor.next('ack');
  visitor.close();
  const member = await addAgent(server.database, tenant.accountId, `member-${label}@example.com`);
  const [token] = await db.insert(schema.apiTokens).values({
    accountId: tenant.accountId, name: `token ${label}`, role: 'agent', prefix: 'parley_pat_xxxxxx', tokenHash: randomUUID(),
  }).returning();
  const [canned] = await db.insert(schema.cannedResponses).values({
    accountId: tenant.accountId, shortcut: `hours-${label}`, body: `We open at nine, ${label}`,
  }).returning();
  const [webhook] = await db.insert(schema.webhooks).values({
    accountId: tenant.accountId, url: `http://127.0.0.1:9/${label}`, events: ['message.created'], secret: `whsec_${label}_${randomUUID()}`,
  }).returning();
  const [delivery] = await db.insert(schema.webhookDeliveries).values({
    webhookId: webhook!.id, eventId: randomUUID(), eventType: 'message.created', payload: JSON.stringify({ label }),
    status: 'failed',
  }).returning();
  const [invitation] = await db.insert(schema.invitations).values({
    accountId: tenant.accountId, email: `invitee-${label}@example.com`, name: `Invitee ${label}`, tokenHash: randomUUID(),
    expiresAt: new Date(Date.now() + 3_600_000),
  }).returning();
  return {
    tenant,
    token: await loginAgent(server, tenant.owner.email),
    ids: {
      conversation: ack.conversationId, site: tenant.site.id, member: member.id, token: token!.id, canned: canned!.id,
      visitor: session.visitorId, webhook: webhook!.id, delivery: delivery!.id, invitation: invitation!.id,
    },
    secrets: [body, session.visitorId, tenant.site.id, tenant.site.publicKey, tenant.accountId, tenant.owner.id,
      tenant.owner.email, tenant.site.name, member.email, webhook!.secret, canned!.body, invitation!.email],
  };
}

describe(`tenant isolation of the REST API (${driver})`, () => {
  let server: TestServer;
  let a: Account;
  let b: Account;

  function routesWithIds(): RouteWithIds[] {
    return server.app.routeTable
      .filter((route) => route.url.startsWith('/api/') && route.url.includes(':') && (route.schema as { security?: unknown } | undefined)?.security)
      .flatMap((route) => [route.method].flat().filter((method) => method !== 'HEAD' && method !== 'OPTIONS').map((method) => {
        const segments = route.url.split('/');
        const body = (route.schema as { body?: { examples?: unknown[] } } | undefined)?.body;
        return {
          method,
          url: route.url,
          params: segments.flatMap((segment, i) => (segment.startsWith(':') ? [{ name: segment.slice(1), segment: segments[i - 1] ?? '' }] : [])),
          body: body ? body.examples?.[0] ?? 'missing' : undefined,
        };
      }))
      .sort((x, y) => order(x) - order(y));
  }

  /** GET first, then other changes, then deletions in DELETE_LAST's order. */
  function order(route: RouteWithIds): number {
    if (route.method === 'GET') return 0;
    if (route.method !== 'DELETE') return 1;
    return 2 + DELETE_LAST.indexOf(route.url.split('/')[3] ?? '');
  }

  function request(route: RouteWithIds, caller: Account, owner: Account) {
    const where = `${route.method} ${route.url}`;
    let path = route.url;
    for (const param of route.params) {
      const fixture = FIXTURE_OF_SEGMENT[param.segment];
      const id = fixture && owner.ids[fixture];
      if (!id) throw new Error(`${where}: no fixture for :${param.name} after /${param.segment}/ in FIXTURE_OF_SEGMENT; add one so that tenant isolation covers this route`);
      path = path.replace(`:${param.name}`, encodeURIComponent(id));
    }
    const fixture = BODY_FIXTURES[where];
    const body = fixture ? fixture(caller) : route.body;
    if (body === 'missing') throw new Error(`${where}: no body in BODY_FIXTURES and no examples in its body schema; add a valid one`);
    return fetch(`${server.url}${path}`, {
      method: route.method,
      headers: { authorization: `Bearer ${caller.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  beforeAll(async () => {
    server = await startServer({ config: { webhooksAllowPrivate: true } });
    a = await seedAccount(server, 'alpha');
    b = await seedAccount(server, 'bravo');
  });
  afterAll(async () => { await server.close(); });

  it('covers the routes of every resource', () => {
    const names = routesWithIds().map((route) => `${route.method} ${route.url}`);
    expect(names).toEqual(expect.arrayContaining([
      'GET /api/v1/conversations/:id', 'GET /api/v1/conversations/:id/messages',
      'POST /api/v1/conversations/:id/assign', 'POST /api/v1/conversations/:id/status', 'DELETE /api/v1/tokens/:id',
    ]));
  });

  it('answers another account\'s ids exactly like missing ones: 404 NOT_FOUND, nothing of the owner, nothing changed', async () => {
    const before = await get<{ conversation: unknown }>(`${server.url}/api/v1/conversations/${b.ids.conversation}`, b.token);
    expect(before.status).toBe(200);
    const missingIds = Object.fromEntries(Object.keys(b.ids).map((key) => [key, randomUUID()]));
    for (const route of routesWithIds()) {
      const where = `${route.method} ${route.url}`;
      const response = await request(route, a, b);
      const text = await response.text();
      expect(response.status, `${where}: ${text}`).toBe(404);
      expect(JSON.parse(text), where).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
      for (const secret of b.secrets) expect(text, `${where} reveals ${secret}`).not.toContain(secret);
      // The same answer as for an id nobody has, so that probing tells nothing.
      const missing = await request(route, a, { ...b, ids: missingIds });
      const missingBody = await missing.json() as { code: string; message: string };
      expect({ status: missing.status, code: missingBody.code }, where).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect((JSON.parse(text) as { message: string }).message, where).toBe(missingBody.message);
    }
    const after = await get<{ conversation: unknown }>(`${server.url}/api/v1/conversations/${b.ids.conversation}`, b.token);
    expect(after.body).toEqual(before.body);
    console.log(`tenant isolation: ${routesWithIds().length} routes with ids, each called with another account's ids and with missing ones`);
  });

  it('answers the same routes for the account\'s own ids (the fixtures are valid)', async () => {
    for (const route of routesWithIds()) {
      const response = await request(route, a, a);
      expect(response.status, `${route.method} ${route.url}: ${await response.clone().text()}`).toBeGreaterThanOrEqual(200);
      expect(response.status, `${route.method} ${route.url}: ${await response.text()}`).toBeLessThan(300);
    }
  });

  it('fails for a route whose id param has no fixture', () => {
    const route: RouteWithIds = { method: 'GET', url: '/api/v1/gadgets/:id', params: [{ name: 'id', segment: 'gadgets' }], body: undefined };
    expect(() => request(route, a, b)).toThrow(/no fixture for :id after \/gadgets\//);
  });
});
