// Secrets never reach the logs: every line the server writes while agents sign in, call the API,
// connect WebSockets and fail is read back, at the most talkative level.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { PROTOCOL } from '../../protocol/index.ts';
import {
  PASSWORD, TestClient, createTenant, driver, post, startServer, visitorSession, type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

describe(`log redaction (${driver})`, () => {
  const lines: string[] = [];
  const secret = `server-secret-${randomBytes(16).toString('hex')}`;
  const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
  let server: TestServer;
  let tenant: Tenant;

  beforeAll(async () => {
    server = await startServer({
      config: { logLevel: 'trace', secret },
      logStream: { write: (line) => { lines.push(line); } },
      // A failure the way a careless dependency reports one: the error carries the request it failed on.
      setup: (app) => app.post('/api/test/explode', { schema: { body: {} } }, (request) => {
        request.log.info({ req: { headers: request.headers }, body: request.body }, 'about to fail');
        throw Object.assign(new Error('exploded'), { headers: request.headers, body: request.body });
      }),
    });
    tenant = await createTenant(server.database, [ORIGIN]);
  });
  afterAll(async () => { await server.close(); });

  it('keeps passwords, tokens and secrets out of every line', async () => {
    const failed = await post(`${server.url}/api/v1/auth/login`, { email: tenant.owner.email, password: wrongPassword });
    expect(failed.status).toBe(401);
    const login = await post<{ token: string }>(`${server.url}/api/v1/auth/login`, { email: tenant.owner.email, password: PASSWORD });
    expect(login.status).toBe(200);
    const agentToken = login.body.token;

    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${agentToken}` } });
    expect(me.status).toBe(200);

    // The owner-facing API's secrets: an API token (created, used, used after revocation), a
    // webhook's signing secret, an invitation's link and the password that accepts it.
    const owner = { authorization: `Bearer ${agentToken}` };
    const created = await post<{ token: string; apiToken: { id: string } }>(`${server.url}/api/v1/tokens`, { name: 'logs', role: 'admin' }, owner);
    expect(created.status).toBe(201);
    const apiToken = created.body.token;
    expect((await fetch(`${server.url}/api/v1/sites`, { headers: { authorization: `Bearer ${apiToken}` } })).status).toBe(200);
    const webhook = await post<{ secret: string }>(`${server.url}/api/v1/webhooks`, { url: 'https://hooks.example.com/parley', events: ['message.created'] }, owner);
    expect(webhook.status).toBe(201);
    const invited = await post<{ inviteUrl: string }>(`${server.url}/api/v1/agents`, { email: 'new-colleague@example.com', name: 'New', role: 'agent' }, owner);
    expect(invited.status).toBe(201);
    const invitationToken = new URL(invited.body.inviteUrl.replace('#/', '')).searchParams.get('token')!;
    const newPassword = `accepted-${randomBytes(8).toString('hex')}`;
    expect((await post(`${server.url}/api/v1/invitations/accept`, { token: invitationToken, password: newPassword })).status).toBe(200);
    await fetch(`${server.url}/api/v1/tokens/${created.body.apiToken.id}`, { method: 'DELETE', headers: owner });
    expect((await fetch(`${server.url}/api/v1/sites`, { headers: { authorization: `Bearer ${apiToken}` } })).status).toBe(401);

    const session = await visitorSession(server, tenant.site);
    const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await visitor.ready('visitor');
    const agent = await TestClient.connect(server, { token: agentToken, tokenIn: 'frame' });
    await agent.ready('agent');
    // A token the server refuses, in the subprotocol header.
    const forged = `${agentToken.slice(0, -4)}AAAA`;
    const refused = new WebSocket(server.wsUrl, [PROTOCOL, forged]);
    await new Promise((resolve) => refused.once('close', resolve));

    const exploded = await fetch(`${server.url}/api/test/explode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken}`, 'sec-websocket-protocol': `${PROTOCOL}, ${session.token}` },
      body: JSON.stringify({ password: PASSWORD, token: session.token, secret }),
    });
    expect(exploded.status).toBe(500);
    const explodedAgain = await fetch(`${server.url}/api/test/explode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
      body: JSON.stringify({ currentPassword: newPassword, newPassword: wrongPassword, identitySecret: webhook.body.secret, userHash: invitationToken }),
    });
    expect(explodedAgain.status).toBe(500);
    visitor.close();
    agent.close();

    const log = lines.join('');
    // The failure was logged, with what it carried, censored.
    expect(log).toContain('exploded');
    expect(log).toContain('about to fail');
    expect(log).toContain('[redacted]');
    for (const value of [PASSWORD, wrongPassword, agentToken, session.token, forged, secret, apiToken, webhook.body.secret, invitationToken, newPassword]) {
      expect(log.includes(value), `the log contains ${value.slice(0, 12)}…`).toBe(false);
    }
    // Not even the tokens' signatures, in case one is logged cut.
    for (const token of [agentToken, session.token]) expect(log).not.toContain(token.split('.')[2]!);
  });
});
