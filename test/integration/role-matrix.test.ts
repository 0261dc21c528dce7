// Who may call what. The table below is the rule, route by route; the test calls every authenticated
// route with an agent's, an admin's and an owner's sign-in and with API tokens of each role, and
// checks that exactly the roles below the route's are refused with 403 FORBIDDEN. A route missing
// from the table, or listed but not served, fails the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { AgentRole } from '../../protocol/index.ts';
import { addAgent, createTenant, driver, loginAgent, post, startServer, type Tenant, type TestServer } from '../helpers.ts';

const RULES: Record<string, AgentRole> = {
  'POST /api/v1/auth/refresh': 'agent',
  'GET /api/v1/me': 'agent',
  'PATCH /api/v1/me': 'agent',
  'POST /api/v1/me/password': 'agent',

  'GET /api/v1/agents': 'agent',
  'POST /api/v1/agents': 'admin',
  'PATCH /api/v1/agents/:id': 'admin',
  'DELETE /api/v1/agents/:id': 'admin',
  'POST /api/v1/agents/:id/password': 'owner',
  'GET /api/v1/invitations': 'admin',
  'DELETE /api/v1/invitations/:id': 'admin',

  'GET /api/v1/tokens': 'admin',
  'POST /api/v1/tokens': 'admin',
  'DELETE /api/v1/tokens/:id': 'admin',

  'GET /api/v1/sites': 'agent',
  'POST /api/v1/sites': 'admin',
  'GET /api/v1/sites/:id': 'agent',
  'PATCH /api/v1/sites/:id': 'admin',
  'DELETE /api/v1/sites/:id': 'owner',
  'POST /api/v1/sites/:id/identity-secret': 'admin',

  'GET /api/v1/canned-responses': 'agent',
  'POST /api/v1/canned-responses': 'admin',
  'PATCH /api/v1/canned-responses/:id': 'admin',
  'DELETE /api/v1/canned-responses/:id': 'admin',

  'GET /api/v1/conversations': 'agent',
  'GET /api/v1/conversations/:id': 'agent',
  'GET /api/v1/conversations/:id/messages': 'agent',
  'POST /api/v1/conversations/:id/messages': 'agent',
  'GET /api/v1/conversations/:id/notes': 'agent',
  'POST /api/v1/conversations/:id/assign': 'agent',
  'POST /api/v1/conversations/:id/status': 'agent',
  'POST /api/v1/conversations/:id/handoff': 'agent',
  'GET /api/v1/conversations/:id/transcript': 'agent',
  'GET /api/v1/exports/messages': 'admin',

  'GET /api/v1/visitors/:id': 'agent',
  'PATCH /api/v1/visitors/:id': 'agent',
  'DELETE /api/v1/visitors/:id': 'admin',

  'GET /api/v1/reports/summary': 'admin',

  'GET /api/v1/webhooks': 'admin',
  'POST /api/v1/webhooks': 'admin',
  'PATCH /api/v1/webhooks/:id': 'admin',
  'DELETE /api/v1/webhooks/:id': 'admin',
  'GET /api/v1/webhooks/:id/deliveries': 'admin',
  'POST /api/v1/webhooks/:id/test': 'admin',
  'POST /api/v1/webhooks/:id/deliveries/:deliveryId/retry': 'admin',
};

const ROLES: AgentRole[] = ['agent', 'admin', 'owner'];
const RANK: Record<AgentRole, number> = { agent: 1, admin: 2, owner: 3 };

describe(`roles on the REST API (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  /** A sign-in and an API token for each role: `agent`, `admin`, `owner`, `token:agent`, … */
  const callers: Record<string, { role: AgentRole; token: string }> = {};

  function authenticatedRoutes() {
    return server.app.routeTable
      .filter((route) => route.url.startsWith('/api/') && (route.schema as { security?: unknown } | undefined)?.security)
      .flatMap((route) => [route.method].flat().filter((method) => method !== 'HEAD' && method !== 'OPTIONS')
        .map((method) => ({ name: `${method} ${route.url}`, method, url: route.url, body: (route.schema as { body?: { examples?: unknown[] } }).body })));
  }

  beforeAll(async () => {
    server = await startServer({ config: { webhooksAllowPrivate: true } });
    tenant = await createTenant(server.database, ['http://shop.test'], 'roles');
    const admin = await addAgent(server.database, tenant.accountId, 'admin-roles@example.com', 'admin');
    const agent = await addAgent(server.database, tenant.accountId, 'agent-roles@example.com', 'agent');
    callers.owner = { role: 'owner', token: await loginAgent(server, tenant.owner.email) };
    callers.admin = { role: 'admin', token: await loginAgent(server, admin.email) };
    callers.agent = { role: 'agent', token: await loginAgent(server, agent.email) };
    for (const role of ROLES) {
      const created = await post<{ token: string }>(`${server.url}/api/v1/tokens`, { name: `matrix ${role}`, role },
        { authorization: `Bearer ${callers.owner.token}` });
      expect(created.status).toBe(201);
      callers[`token:${role}`] = { role, token: created.body.token };
    }
  });
  afterAll(async () => { await server.close(); });

  it('has a rule for every authenticated route, and a route for every rule', () => {
    const served = authenticatedRoutes().map((route) => route.name).sort();
    expect(served).toEqual(Object.keys(RULES).sort());
  });

  it('refuses exactly the roles below each route\'s with 403 FORBIDDEN, for sign-ins and API tokens alike', async () => {
    const outcomes: string[] = [];
    for (const route of authenticatedRoutes()) {
      const least = RULES[route.name]!;
      // Ids nobody has: an allowed caller gets past the role check and is answered 404 or 400.
      const path = route.url.replace(/:\w+/g, () => randomUUID());
      const body = route.body ? route.body.examples?.[0] ?? {} : undefined;
      for (const [who, { role, token }] of Object.entries(callers)) {
        const response = await fetch(`${server.url}${path}`, {
          method: route.method,
          headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const answer = await response.json().catch(() => ({})) as { code?: string };
        const refused = response.status === 403 && answer.code === 'FORBIDDEN';
        // What only a person can do (their own profile, password, token renewal) refuses every API token.
        const personal = route.url.startsWith('/api/v1/me') || route.url === '/api/v1/auth/refresh';
        const shouldRefuse = RANK[role] < RANK[least] || (personal && who.startsWith('token:'));
        outcomes.push(`${route.name} as ${who}: ${refused ? 'refused' : 'allowed'}`);
        expect(refused, `${route.name} as ${who} (${response.status} ${answer.code})`).toBe(shouldRefuse);
      }
    }
    expect(outcomes.length).toBe(Object.keys(RULES).length * Object.keys(callers).length);
    console.log(`role matrix: ${Object.keys(RULES).length} routes × ${Object.keys(callers).length} callers = ${outcomes.length} checks`);
  });
});
