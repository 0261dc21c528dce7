// Running the team over the REST API: invitations e-mailed through a real SMTP server and accepted,
// roles and the last owner, deactivation (tokens, open sockets, conversations) and passwords.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { schema } from '../../db/index.ts';
import type { AgentView, LoginResponse } from '../../protocol/index.ts';
import { buildApp } from '../../server/app.ts';
import { testConfig } from '../../server/config.ts';
import { RedisBroker } from '../../server/realtime/redis.ts';
import { WS_PATH } from '../../protocol/index.ts';
import {
  PASSWORD, TestClient, addAgent, createTenant, createTestDatabase, driver, get, loginAgent, post, startServer, useRedis,
  visitorSession, type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';
const PUBLIC_URL = 'http://parley.test';

interface ReceivedMail { to: string[]; text: string }
interface Invited { invitation: { id: string; email: string; role: string; expiresAt: string }; inviteUrl: string; emailed: boolean }

/** A mail body as written: quoted-printable soft breaks and escapes undone. */
function decodeQuotedPrintable(body: string): string {
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const tokenOf = (inviteUrl: string) => new URL(inviteUrl.replace('#/accept', 'accept')).searchParams.get('token')!;

describe(`the team over the REST API (${driver})`, () => {
  let server: TestServer;
  let smtp: SMTPServer;
  const mails: ReceivedMail[] = [];
  let tenant: Tenant;
  let ownerToken: string;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // A mailbox that refuses mail: the invitation must survive the failure.
      onRcptTo(address, _session, callback) {
        callback(address.address.startsWith('bounce') ? new Error('No such mailbox') : null);
      },
      onData(stream, session, callback) {
        let raw = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => { raw += chunk; });
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), text: decodeQuotedPrintable(raw) });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    server = await startServer({ config: { smtpUrl: `smtp://127.0.0.1:${smtpPort}`, publicUrl: PUBLIC_URL } });
    tenant = await createTenant(server.database, [ORIGIN], 'team');
    ownerToken = await loginAgent(server, tenant.owner.email);
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  const call = async <T = Record<string, unknown>>(method: string, path: string, token: string | null, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: await response.json() as T & { code?: string } };
  };

  const invite = (token: string, email: string, role = 'agent') =>
    call<Invited>('POST', '/agents', token, { email, name: email.split('@')[0], role });

  /** Past the current second: tokens of the same second as a password change stay valid (JWT times are seconds). */
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1100 - (Date.now() % 1000)));

  it('e-mails an invitation whose link signs the new agent in, once', async () => {
    const invited = await invite(ownerToken, 'Ana.Souza@Example.com', 'admin');
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ emailed: true, invitation: { email: 'ana.souza@example.com', role: 'admin' } });
    expect(invited.body.inviteUrl).toMatch(new RegExp(`^${PUBLIC_URL}/console/#/accept\\?token=[\\w-]{43}$`));

    const mail = mails.find((m) => m.to.includes('ana.souza@example.com'));
    expect(mail, 'the SMTP server received the invitation').toBeDefined();
    expect(mail!.text).toContain(invited.body.inviteUrl);
    // Only the hash is stored: the database never holds a usable link.
    const token = tokenOf(invited.body.inviteUrl);
    const [row] = await server.database.db.select().from(schema.invitations).where(eq(schema.invitations.id, invited.body.invitation.id));
    expect(row!.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);

    const pending = await call<{ invitations: { id: string }[] }>('GET', '/invitations', ownerToken);
    expect(pending.body.invitations.map((i) => i.id)).toContain(invited.body.invitation.id);

    const accepted = await call<LoginResponse>('POST', '/invitations/accept', null, { token, password: 'her own passphrase' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.agent).toMatchObject({ email: 'ana.souza@example.com', name: 'Ana.Souza', role: 'admin' });
    const me = await call<{ account: { id: string } }>('GET', '/me', accepted.body.token);
    expect(me.body.account.id).toBe(tenant.accountId);
    const login = await post<LoginResponse>(`${server.url}/api/v1/auth/login`, { email: 'ana.souza@example.com', password: 'her own passphrase' });
    expect(login.status).toBe(200);

    const again = await call('POST', '/invitations/accept', null, { token, password: 'another passphrase' });
    expect(again).toMatchObject({ status: 410, body: { code: 'INVITATION_EXPIRED' } });
    const after = await call<{ invitations: { id: string }[] }>('GET', '/invitations', ownerToken);
    expect(after.body.invitations.map((i) => i.id)).not.toContain(invited.body.invitation.id);
  });

  it('keeps the invitation and returns its link when the e-mail cannot be sent', async () => {
    const invited = await invite(ownerToken, 'bounce@example.com');
    expect(invited.status).toBe(201);
    expect(invited.body.emailed).toBe(false);
    const accepted = await call<LoginResponse>('POST', '/invitations/accept', null,
      { token: tokenOf(invited.body.inviteUrl), password: 'passed on by hand', name: 'Bo Unce' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.agent).toMatchObject({ email: 'bounce@example.com', name: 'Bo Unce', role: 'agent' });
  });

  it('answers 410 for expired, revoked and unknown links', async () => {
    const expiring = await invite(ownerToken, 'late@example.com');
    await server.database.db.update(schema.invitations).set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.invitations.id, expiring.body.invitation.id));
    const expired = await call('POST', '/invitations/accept', null, { token: tokenOf(expiring.body.inviteUrl), password: 'too late now' });
    expect(expired).toMatchObject({ status: 410, body: { code: 'INVITATION_EXPIRED' } });

    const revoking = await invite(ownerToken, 'revoked@example.com');
    expect((await call('DELETE', `/invitations/${revoking.body.invitation.id}`, ownerToken)).status).toBe(200);
    const revoked = await call('POST', '/invitations/accept', null, { token: tokenOf(revoking.body.inviteUrl), password: 'not any more' });
    expect(revoked).toMatchObject({ status: 410, body: { code: 'INVITATION_EXPIRED' } });

    const unknown = await call('POST', '/invitations/accept', null, { token: 'x'.repeat(43), password: 'never invited' });
    expect(unknown).toMatchObject({ status: 410, body: { code: 'INVITATION_EXPIRED' } });
    const short = await call('POST', '/invitations/accept', null, { token: 'x'.repeat(43), password: 'short' });
    expect(short).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('refuses to invite an address that already has a login, in any account, and replaces a pending invitation', async () => {
    expect(await invite(ownerToken, 'not-an-address')).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    const taken = await invite(ownerToken, tenant.owner.email.toUpperCase());
    expect(taken).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    const elsewhere = await createTenant(server.database, [ORIGIN], 'elsewhere');
    expect((await invite(ownerToken, elsewhere.owner.email)).status).toBe(409);

    const first = await invite(ownerToken, 'twice@example.com');
    const second = await invite(ownerToken, 'twice@example.com');
    expect(second.status).toBe(201);
    const stale = await call('POST', '/invitations/accept', null, { token: tokenOf(first.body.inviteUrl), password: 'the first link' });
    expect(stale.status).toBe(410);
    const pending = await call<{ invitations: { email: string }[] }>('GET', '/invitations', ownerToken);
    expect(pending.body.invitations.filter((i) => i.email === 'twice@example.com')).toHaveLength(1);
  });

  it('lets admins run agents and admins, and only owners touch or make owners', async () => {
    const admin = await addAgent(server.database, tenant.accountId, 'admin-team@example.com', 'admin');
    const member = await addAgent(server.database, tenant.accountId, 'member-team@example.com', 'agent');
    const adminToken = await loginAgent(server, admin.email);

    expect(await invite(adminToken, 'owner-by-admin@example.com', 'owner')).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect((await invite(adminToken, 'admin-by-admin@example.com', 'admin')).status).toBe(201);
    expect((await call('PATCH', `/agents/${member.id}`, adminToken, { role: 'owner' })).status).toBe(403);
    expect((await call('PATCH', `/agents/${tenant.owner.id}`, adminToken, { name: 'Renamed' })).status).toBe(403);
    expect((await call('DELETE', `/agents/${tenant.owner.id}`, adminToken)).status).toBe(403);

    expect(await call('PATCH', `/agents/${member.id}`, adminToken, {})).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    const changed = await call<{ agent: AgentView }>('PATCH', `/agents/${member.id}`, adminToken, { name: 'Mia', role: 'admin', capacity: 4 });
    expect(changed.status).toBe(200);
    expect(changed.body.agent).toMatchObject({ id: member.id, name: 'Mia', role: 'admin', capacity: 4, deactivatedAt: null });
    const promoted = await call<{ agent: AgentView }>('PATCH', `/agents/${member.id}`, ownerToken, { role: 'owner', capacity: null });
    expect(promoted.body.agent).toMatchObject({ role: 'owner', capacity: null });
    // Now an owner: out of the admin's reach.
    expect((await call('PATCH', `/agents/${member.id}`, adminToken, { role: 'agent' })).status).toBe(403);
    expect((await call('PATCH', `/agents/${member.id}`, ownerToken, { role: 'agent' })).status).toBe(200);

    const team = await call<{ agents: AgentView[] }>('GET', '/agents', adminToken);
    expect(team.body.agents.find((a) => a.id === member.id)).toMatchObject({ role: 'agent', capacity: null, deactivatedAt: null });
  });

  it('never demotes or deactivates the last owner', async () => {
    const solo = await createTenant(server.database, [ORIGIN], 'solo');
    const soloToken = await loginAgent(server, solo.owner.email);
    expect(await call('PATCH', `/agents/${solo.owner.id}`, soloToken, { role: 'admin' })).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    expect(await call('DELETE', `/agents/${solo.owner.id}`, soloToken)).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    // A second owner makes the first one free to step down; then the second is the last.
    const second = await addAgent(server.database, solo.accountId, 'second-owner@example.com', 'owner');
    expect((await call('PATCH', `/agents/${solo.owner.id}`, soloToken, { role: 'admin' })).status).toBe(200);
    const secondToken = await loginAgent(server, second.email);
    expect((await call('DELETE', `/agents/${second.id}`, secondToken)).status).toBe(409);
    // Another account's agent is not found, not forbidden.
    expect((await call('DELETE', `/agents/${second.id}`, ownerToken)).status).toBe(404);
  });

  it('closes a deactivated agent\'s open socket with 4001 at once, refuses their token and unassigns their conversations', async () => {
    const leaver = await addAgent(server.database, tenant.accountId, 'leaver@example.com', 'agent');
    const leaverToken = await loginAgent(server, leaver.email);
    const socket = await TestClient.connect(server, { token: leaverToken });
    await socket.ready('agent');
    // The only agent online: routing gives them the visitor's new conversation.
    const session = await visitorSession(server, tenant.site);
    const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await visitor.ready('visitor');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'Where is my parcel?' });
    const ack = await visitor.next('ack');
    const routed = await socket.next('conversation', (f) => f.conversation.id === ack.conversationId);
    expect(routed.conversation.assigneeId).toBe(leaver.id);

    const ownerSocket = await TestClient.connect(server, { token: ownerToken });
    await ownerSocket.ready('agent');
    const started = Date.now();
    const deactivated = await call<{ agent: AgentView; unassigned: number }>('DELETE', `/agents/${leaver.id}`, ownerToken);
    expect(deactivated.status).toBe(200);
    expect(deactivated.body).toMatchObject({ unassigned: 1, agent: { id: leaver.id, availability: 'offline' } });
    expect(deactivated.body.agent.deactivatedAt).toEqual(expect.any(String));

    const closed = await Promise.race([socket.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 1000))]);
    expect(closed).toEqual({ code: 4001, reason: 'AUTH_INVALID' });
    expect(Date.now() - started).toBeLessThan(1000 + 500);
    // Colleagues see the conversation back in the queue; the owner is online, so routing hands it on.
    const released = await ownerSocket.next('conversation', (f) => f.conversation.id === ack.conversationId && f.conversation.assigneeId === null);
    expect(released.conversation.assigneeId).toBeNull();
    const handedOn = await ownerSocket.next('conversation', (f) => f.conversation.id === ack.conversationId && f.conversation.assigneeId !== null);
    expect(handedOn.conversation.assigneeId).toBe(tenant.owner.id);

    expect(await get(`${server.url}/api/v1/me`, leaverToken)).toMatchObject({ status: 401, body: { code: 'AUTH_INVALID' } });
    const login = await post(`${server.url}/api/v1/auth/login`, { email: leaver.email, password: PASSWORD });
    expect(login).toMatchObject({ status: 401, body: { code: 'INVALID_CREDENTIALS' } });
    // Gone from the team, still in the history: their row (and authorship) stays.
    const team = await call<{ agents: AgentView[] }>('GET', '/agents', ownerToken);
    expect(team.body.agents.map((a) => a.id)).not.toContain(leaver.id);
    const everyone = await call<{ agents: AgentView[] }>('GET', '/agents?include=deactivated', ownerToken);
    expect(everyone.body.agents.find((a) => a.id === leaver.id)?.deactivatedAt).toEqual(deactivated.body.agent.deactivatedAt);
    expect(await TestClient.connect(server, { token: leaverToken }).then((c) => c.closed)).toMatchObject({ code: 4001 });
    visitor.close();
    ownerSocket.close();
  });

  it('closes a console whose deactivation came between its authentication and its subscription', async () => {
    const late = await addAgent(server.database, tenant.accountId, 'late-leaver@example.com', 'agent');
    const token = await loginAgent(server, late.email);
    const { identity } = server.app.services;
    const authenticate = identity.authenticate.bind(identity);
    // Deactivated right after the token was checked: the disconnect it announces is gone before the socket listens.
    const spy = vi.spyOn(identity, 'authenticate').mockImplementationOnce(async (...args) => {
      const result = await authenticate(...args);
      await server.database.db.update(schema.agents).set({ deactivatedAt: new Date() }).where(eq(schema.agents.id, late.id));
      return result;
    });
    try {
      const socket = await TestClient.connect(server, { token });
      const closed = await Promise.race([socket.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 2000))]);
      expect(closed).toEqual({ code: 4001, reason: 'AUTH_INVALID' });
      expect(socket.frames.map((frame) => frame.type)).not.toContain('ready');
    } finally {
      spy.mockRestore();
    }
  });

  it('changes a password: the old token stops, the answer\'s new one works, and a wrong current password is refused', async () => {
    const agent = await addAgent(server.database, tenant.accountId, 'changer@example.com', 'agent');
    const oldToken = await loginAgent(server, agent.email);
    await nextSecond();
    const wrong = await call('POST', '/me/password', oldToken, { currentPassword: 'not my password', newPassword: 'a brand new passphrase' });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'INVALID_CREDENTIALS' } });
    expect((await get(`${server.url}/api/v1/me`, oldToken)).status).toBe(200);

    const changed = await call<LoginResponse>('POST', '/me/password', oldToken, { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' });
    expect(changed.status).toBe(200);
    expect(changed.body.agent.id).toBe(agent.id);
    expect(await get(`${server.url}/api/v1/me`, oldToken)).toMatchObject({ status: 401, body: { code: 'AUTH_INVALID' } });
    expect((await get(`${server.url}/api/v1/me`, changed.body.token)).status).toBe(200);
    expect((await post(`${server.url}/api/v1/auth/login`, { email: agent.email, password: PASSWORD })).status).toBe(401);
    expect((await post(`${server.url}/api/v1/auth/login`, { email: agent.email, password: 'a brand new passphrase' })).status).toBe(200);

    const renamed = await call<{ agent: AgentView }>('PATCH', '/me', changed.body.token, { name: 'Chang Er' });
    expect(renamed.body.agent).toMatchObject({ id: agent.id, name: 'Chang Er' });
  });

  it('lets an owner reset someone\'s password, which stops the tokens they hold and closes their consoles', async () => {
    const agent = await addAgent(server.database, tenant.accountId, 'forgetful@example.com', 'agent');
    const oldToken = await loginAgent(server, agent.email);
    const console = await TestClient.connect(server, { token: oldToken });
    await console.ready('agent');
    await nextSecond();
    const reset = await call('POST', `/agents/${agent.id}/password`, ownerToken, { password: 'set by the owner' });
    expect(reset).toMatchObject({ status: 200, body: { reset: true } });
    expect((await console.closed).code).toBe(4001);
    expect(await get(`${server.url}/api/v1/me`, oldToken)).toMatchObject({ status: 401, body: { code: 'AUTH_INVALID' } });
    const login = await post<LoginResponse>(`${server.url}/api/v1/auth/login`, { email: agent.email, password: 'set by the owner' });
    expect(login.status).toBe(200);
    expect((await get(`${server.url}/api/v1/me`, login.body.token)).status).toBe(200);
    // The owner's own sign-in was not touched.
    expect((await get(`${server.url}/api/v1/me`, ownerToken)).status).toBe(200);
  });
});

// Two nodes on one database and one Redis: the console's socket is held by one, the deactivation
// is asked of the other.
describe.runIf(useRedis)(`deactivation across nodes (${driver} + Redis)`, () => {
  const nodes: TestServer[] = [];

  beforeAll(async () => {
    const database = await createTestDatabase();
    const prefix = `parley-test-team-${randomUUID().slice(0, 8)}:`;
    for (let i = 0; i < 2; i++) {
      const app = await buildApp(testConfig(), { db: database.db, broker: new RedisBroker(process.env.REDIS_URL!, prefix) });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      nodes.push({
        app, database, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}${WS_PATH}`,
        close: () => app.close(),
      });
    }
  });
  afterAll(async () => {
    for (const node of nodes) await node.close();
    await nodes[0]?.database.close();
  });

  it('closes the agent\'s socket on the node that holds it with 4001', async () => {
    const [first, second] = nodes as [TestServer, TestServer];
    const tenant = await createTenant(first.database, [ORIGIN], 'nodes');
    const leaver = await addAgent(first.database, tenant.accountId, 'leaver-nodes@example.com');
    const socket = await TestClient.connect(second, { token: await loginAgent(second, leaver.email) });
    await socket.ready('agent');
    const started = Date.now();
    const response = await fetch(`${first.url}/api/v1/agents/${leaver.id}`, {
      method: 'DELETE', headers: { authorization: `Bearer ${await loginAgent(first, tenant.owner.email)}` },
    });
    expect(response.status).toBe(200);
    const closed = await Promise.race([socket.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 1000))]);
    expect(closed).toEqual({ code: 4001, reason: 'AUTH_INVALID' });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
if (!useRedis) console.log('team.test.ts: the cross-node deactivation test needs the postgres+redis project (REDIS_URL); not run here');
