// Visitors through the REST API: reading, correcting, custom attributes, and the right to erasure,
// which must leave nothing of the visitor behind and nothing broken for a socket still open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import type { DomainEventMap } from '../../server/services/events.ts';
import { MAX_ATTRIBUTES, mergeAttributes } from '../../server/services/visitors.ts';
import {
  TestClient, addAgent, createTenant, driver, get, loginAgent, startServer, visitorSession, type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

async function call<T>(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() as T };
}

interface VisitorBody { visitor: { id: string; siteId: string; name: string | null; email: string | null; attributes: Record<string, unknown> } }

describe(`visitors (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let other: Tenant;
  let agentToken: string;
  let adminToken: string;
  let otherToken: string;

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, [ORIGIN], 'visitors');
    other = await createTenant(server.database, [ORIGIN], 'visitors-other');
    const agent = await addAgent(server.database, tenant.accountId, 'agent-visitors@example.com', 'agent');
    const admin = await addAgent(server.database, tenant.accountId, 'admin-visitors@example.com', 'admin');
    agentToken = await loginAgent(server, agent.email);
    adminToken = await loginAgent(server, admin.email);
    otherToken = await loginAgent(server, other.owner.email);
  });
  afterAll(async () => { await server.close(); });

  const url = (id: string) => `${server.url}/api/v1/visitors/${id}`;

  /** A visitor who wrote once, with their socket still open. */
  async function chattingVisitor(body = 'Hello, is anyone there?') {
    const session = await visitorSession(server, tenant.site);
    const socket = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await socket.ready('visitor');
    socket.send({ type: 'message.send', clientId: randomUUID(), body });
    const ack = await socket.next('ack');
    return { visitorId: session.visitorId, conversationId: ack.conversationId, socket, token: session.token };
  }

  it('shows a visitor of the account to any agent', async () => {
    const { visitorId, socket } = await chattingVisitor();
    socket.close();
    const answer = await get<VisitorBody>(url(visitorId), agentToken);
    expect(answer.status).toBe(200);
    expect(answer.body.visitor).toMatchObject({ id: visitorId, siteId: tenant.site.id, name: null, email: null, attributes: {} });
  });

  it('corrects name and e-mail and merges attributes, a null removing a key, announcing visitor.updated', async () => {
    const { visitorId, socket } = await chattingVisitor();
    socket.close();
    const heard: DomainEventMap['visitor.updated'][] = [];
    const off = server.app.services.events.on('visitor.updated', (event) => { heard.push(event); });
    try {
      const first = await call<VisitorBody>('PATCH', url(visitorId), agentToken,
        { name: 'Ada Lovelace', email: 'ada@example.com', attributes: { plan: 'pro', seats: 12, trial: true } });
      expect(first.status).toBe(200);
      expect(first.body.visitor).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', attributes: { plan: 'pro', seats: 12, trial: true } });
      const second = await call<VisitorBody>('PATCH', url(visitorId), agentToken, { email: null, attributes: { trial: null, seats: 15 } });
      expect(second.body.visitor).toMatchObject({ name: 'Ada Lovelace', email: null, attributes: { plan: 'pro', seats: 15 } });
      expect(second.body.visitor.attributes).not.toHaveProperty('trial');
      expect((await get<VisitorBody>(url(visitorId), agentToken)).body).toEqual(second.body);
      expect(heard.map((event) => [event.accountId, event.visitor.attributes])).toEqual([
        [tenant.accountId, { plan: 'pro', seats: 12, trial: true }],
        [tenant.accountId, { plan: 'pro', seats: 15 }],
      ]);
    } finally {
      off();
    }
  });

  it('refuses attribute values that are not strings, numbers or booleans, bad keys, and too many keys', async () => {
    const { visitorId, socket } = await chattingVisitor();
    socket.close();
    const tooMany = Object.fromEntries(Array.from({ length: MAX_ATTRIBUTES - 1 }, (_, i) => [`key${i}`, i]));
    expect((await call('PATCH', url(visitorId), agentToken, { attributes: tooMany })).status).toBe(200);
    for (const body of [
      { attributes: { nested: { a: 1 } } },
      { attributes: { list: [1, 2] } },
      { attributes: { 'bad key!': 'x' } },
      { attributes: { long: 'x'.repeat(501) } },
      { name: 'x'.repeat(201) },
      { email: 'not an address' },
      { surprise: true },
      // 49 stored + 2 new = 51: each PATCH is within the limit, their sum is not.
      { attributes: { extra1: 1, extra2: 2 } },
    ]) {
      const answer = await call<{ code: string }>('PATCH', url(visitorId), agentToken, body);
      expect({ body, status: answer.status, code: answer.body.code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
    }
    const stored = await get<VisitorBody>(url(visitorId), agentToken);
    expect(Object.keys(stored.body.visitor.attributes)).toHaveLength(MAX_ATTRIBUTES - 1);
  });

  it('answers another account\'s visitor like a missing one, and changes nothing', async () => {
    const { visitorId, socket } = await chattingVisitor();
    socket.close();
    for (const [method, body] of [['GET', undefined], ['PATCH', { name: 'Mallory' }], ['DELETE', undefined]] as const) {
      const foreign = await call<{ code: string; message: string }>(method, url(visitorId), otherToken, body);
      const missing = await call<{ code: string; message: string }>(method, url(randomUUID()), otherToken, body);
      expect(foreign.status, method).toBe(404);
      expect(foreign.body, method).toEqual(missing.body);
    }
    expect((await get<VisitorBody>(url(visitorId), agentToken)).body.visitor.name).toBeNull();
  });

  it('erases a visitor with their conversations, messages and notes, for admins only, announcing visitor.erased', async () => {
    const { visitorId, conversationId, socket } = await chattingVisitor();
    socket.send({ type: 'message.send', clientId: randomUUID(), body: 'My address is 1 Main Street' });
    await socket.next('ack');
    socket.close();
    const { db } = server.database;
    await db.insert(schema.notes).values({ conversationId, authorName: 'admin', body: 'VIP customer' });
    const bystander = await chattingVisitor('I stay');
    bystander.socket.close();

    expect((await call<{ code: string }>('DELETE', url(visitorId), agentToken)).body.code).toBe('FORBIDDEN');
    const heard: DomainEventMap['visitor.erased'][] = [];
    const off = server.app.services.events.on('visitor.erased', (event) => { heard.push(event); });
    try {
      const answer = await call('DELETE', url(visitorId), adminToken);
      expect(answer).toEqual({ status: 200, body: { erased: { visitorId, conversations: 1, messages: 2, notes: 1 } } });
    } finally {
      off();
    }
    expect(heard).toEqual([{ accountId: tenant.accountId, siteId: tenant.site.id, visitorId, conversationIds: [conversationId], messages: 2 }]);
    expect(await db.select().from(schema.visitors).where(eq(schema.visitors.id, visitorId))).toEqual([]);
    expect(await db.select().from(schema.conversations).where(eq(schema.conversations.visitorId, visitorId))).toEqual([]);
    expect(await db.select().from(schema.messages).where(eq(schema.messages.conversationId, conversationId))).toEqual([]);
    expect(await db.select().from(schema.notes).where(eq(schema.notes.conversationId, conversationId))).toEqual([]);
    // Nobody else's data went with it.
    expect(await db.select().from(schema.messages).where(eq(schema.messages.conversationId, bystander.conversationId))).toHaveLength(1);
    expect((await get<{ code: string }>(url(visitorId), adminToken)).body.code).toBe('NOT_FOUND');
    expect((await call<{ code: string }>('DELETE', url(visitorId), adminToken)).status).toBe(404);
  });

  it('closes an erased visitor\'s open sockets, refuses what they still send, stores nothing, and keeps serving others', async () => {
    const erased = await chattingVisitor('Please forget me');
    const bystander = await chattingVisitor('Still here');
    expect((await call('DELETE', url(erased.visitorId), adminToken)).status).toBe(200);

    // Their open tab is closed at once, on whichever node holds it: its token names nobody now.
    const { code } = await erased.socket.closed;
    expect(code).toBe(4001);
    // A write that was already on its way (here: straight to the service, as the socket's queue
    // would) is refused as NOT_FOUND, not a crash, and stores nothing.
    const clientId = randomUUID();
    const principal = { visitorId: erased.visitorId, siteId: tenant.site.id, accountId: tenant.accountId };
    await expect(server.app.services.messages.sendAsVisitor(principal, clientId, 'Are you still there?'))
      .rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { db } = server.database;
    expect(await db.select().from(schema.visitors).where(eq(schema.visitors.id, erased.visitorId))).toEqual([]);
    expect(await db.select().from(schema.conversations).where(eq(schema.conversations.visitorId, erased.visitorId))).toEqual([]);
    expect(await db.select().from(schema.messages).where(inArray(schema.messages.clientId, [clientId]))).toEqual([]);

    // A new connection with the erased visitor's token is not let back in.
    const again = await TestClient.connect(server, { token: erased.token, origin: ORIGIN });
    const closed = await Promise.race([again.closed, again.next('ready').then(() => null)]);
    expect(closed, 'an erased visitor reconnected').not.toBeNull();

    // The server is fine: another visitor still writes.
    bystander.socket.send({ type: 'message.send', clientId: randomUUID(), body: 'Hello again' });
    expect((await bystander.socket.next('ack')).seq).toBe(2);
    erased.socket.close();
    bystander.socket.close();
  });
});

describe('merging visitor attributes (no database)', () => {
  it('sets, overwrites and removes keys without touching the stored object', () => {
    const stored = { plan: 'free', seats: 1, beta: true };
    expect(mergeAttributes(stored, { plan: 'pro', beta: null, company: 'Acme' })).toEqual({ plan: 'pro', seats: 1, company: 'Acme' });
    expect(stored).toEqual({ plan: 'free', seats: 1, beta: true });
  });

  it('counts the result against the limit, so removals make room', () => {
    const full = Object.fromEntries(Array.from({ length: MAX_ATTRIBUTES }, (_, i) => [`k${i}`, i]));
    expect(() => mergeAttributes(full, { one: 'more' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(Object.keys(mergeAttributes(full, { k0: null, one: 'more' }))).toHaveLength(MAX_ATTRIBUTES);
  });
});
