import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { eq, asc } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import {
  TestClient, addAgent, createTenant, driver, get, loginAgent, post, startServer, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

describe(`conversation loop (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  const clients: TestClient[] = [];
  const track = (client: TestClient) => (clients.push(client), client);

  beforeAll(async () => {
    // Generous limits: some tests below write hundreds of messages as fast as acks come back.
    server = await startServer({ config: {
      rateLimitPerSecond: 10_000, rateLimitBurst: 10_000, visitorMessageRateLimitPerSecond: 10_000, visitorMessageRateLimitBurst: 10_000,
    } });
    tenant = await createTenant(server.database, [ORIGIN]);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  it('relays a visitor message to the agent and the reply back, with both in the database', async () => {
    const agent = track(await TestClient.connect(server, { token: await loginAgent(server, tenant.owner.email) }));
    const agentReady = await agent.ready('agent');
    expect(agentReady.agent.id).toBe(tenant.owner.id);

    const session = await visitorSession(server, tenant.site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    const ready = await visitor.ready('visitor');
    expect(ready).toMatchObject({ role: 'visitor', visitorId: session.visitorId, conversation: null, messages: [] });
    expect(ready.team.online).toBe(true);

    const clientId = randomUUID();
    visitor.send({ type: 'message.send', clientId, body: 'Hello, is my order shipped?' });
    const ack = await visitor.next('ack');
    expect(ack).toMatchObject({ clientId, seq: 1 });

    const conversation = await agent.next('conversation', (f) => f.conversation.id === ack.conversationId);
    expect(conversation.conversation.assigneeId).toBe(tenant.owner.id);
    const incoming = await agent.next('message');
    expect(incoming.message).toMatchObject({ body: 'Hello, is my order shipped?', authorKind: 'visitor', seq: 1 });

    agent.send({ type: 'message.send', conversationId: ack.conversationId, clientId: randomUUID(), body: 'Yes, it left today.' });
    const agentAck = await agent.next('ack');
    expect(agentAck.seq).toBe(2);
    const reply = await visitor.next('message', (f) => f.message.authorKind === 'agent');
    expect(reply.message).toMatchObject({ body: 'Yes, it left today.', seq: 2, authorName: tenant.owner.name });

    const stored = await server.database.db.select().from(schema.messages)
      .where(eq(schema.messages.conversationId, ack.conversationId)).orderBy(asc(schema.messages.seq));
    expect(stored.map((m) => [m.seq, m.authorKind, m.body])).toEqual([
      [1, 'visitor', 'Hello, is my order shipped?'],
      [2, 'agent', 'Yes, it left today.'],
    ]);

    // A reload: the widget presents its stored token and gets the same visitor and the history.
    const again = await visitorSession(server, tenant.site, ORIGIN, session.token);
    expect(again.visitorId).toBe(session.visitorId);
    const reloaded = track(await TestClient.connect(server, { token: again.token, origin: ORIGIN }));
    const history = await reloaded.ready('visitor');
    expect(history.conversation?.id).toBe(ack.conversationId);
    expect(history.messages.map((m) => m.body)).toEqual(['Hello, is my order shipped?', 'Yes, it left today.']);
  });

  it('answers a resend of the same clientId with the original ack and stores it once', async () => {
    const session = await visitorSession(server, tenant.site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN, tokenIn: 'frame' }));
    await visitor.next('ready');
    const clientId = randomUUID();
    visitor.send({ type: 'message.send', clientId, body: 'once' });
    const first = await visitor.next('ack');
    visitor.send({ type: 'message.send', clientId, body: 'once' });
    const second = await visitor.next('ack');
    expect(second).toEqual(first);
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'twice' });
    expect((await visitor.next('ack')).seq).toBe(2);
    const rows = await server.database.db.select().from(schema.messages)
      .where(eq(schema.messages.conversationId, first.conversationId));
    expect(rows.map((r) => r.seq).sort()).toEqual([1, 2]);
  });

  it('replays what a visitor missed while offline, in pages, oldest first', async () => {
    const session = await visitorSession(server, tenant.site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    await visitor.ready('visitor');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'start' });
    const { conversationId } = await visitor.next('ack');
    visitor.close();
    await visitor.closed;

    const agent = track(await TestClient.connect(server, { token: await loginAgent(server, tenant.owner.email) }));
    await agent.ready('agent');
    for (let i = 1; i <= 230; i++) {
      agent.send({ type: 'message.send', conversationId, clientId: `missed-${i}`, body: `missed ${i}` });
      await agent.next('ack');
    }

    const back = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    await back.ready('visitor');
    const seqs: number[] = [];
    let afterSeq = 1;
    for (;;) {
      back.send({ type: 'sync', conversationId, afterSeq });
      const page = await back.next('messages');
      seqs.push(...page.messages.map((m) => m.seq));
      if (!page.hasMore) break;
      afterSeq = page.messages.at(-1)!.seq;
    }
    expect(seqs).toEqual(Array.from({ length: 230 }, (_, i) => i + 2));
  });

  it('keeps one conversation for a visitor with several tabs, live in every tab', async () => {
    const session = await visitorSession(server, tenant.site);
    const tabs = [
      track(await TestClient.connect(server, { token: session.token, origin: ORIGIN })),
      track(await TestClient.connect(server, { token: session.token, origin: ORIGIN })),
    ];
    await Promise.all(tabs.map((tab) => tab.ready('visitor')));
    // Both tabs write their first message at the same moment: still one conversation.
    tabs[0]!.send({ type: 'message.send', clientId: 'tab-a', body: 'from tab A' });
    tabs[1]!.send({ type: 'message.send', clientId: 'tab-b', body: 'from tab B' });
    const acks = await Promise.all(tabs.map((tab) => tab.next('ack')));
    expect(acks[0]!.conversationId).toBe(acks[1]!.conversationId);
    expect(acks.map((a) => a.seq).sort()).toEqual([1, 2]);
    for (const tab of tabs) {
      const seen = [await tab.next('message'), await tab.next('message')].map((f) => f.message.body).sort();
      expect(seen).toEqual(['from tab A', 'from tab B']);
    }
    const rows = await server.database.db.select().from(schema.conversations)
      .where(eq(schema.conversations.visitorId, session.visitorId));
    expect(rows).toHaveLength(1);
  });

  it('stores a clientId once when two connections send it at the same moment', async () => {
    const session = await visitorSession(server, tenant.site);
    const tabs = [
      track(await TestClient.connect(server, { token: session.token, origin: ORIGIN })),
      track(await TestClient.connect(server, { token: session.token, origin: ORIGIN })),
    ];
    await Promise.all(tabs.map((tab) => tab.ready('visitor')));
    tabs[0]!.send({ type: 'message.send', clientId: randomUUID(), body: 'open the conversation' });
    const { conversationId } = await tabs[0]!.next('ack');
    // A resend racing its original (a reconnect while the first copy is still being written).
    for (let i = 0; i < 20; i++) {
      const clientId = `race-${i}`;
      for (const tab of tabs) tab.send({ type: 'message.send', clientId, body: `race ${i}` });
      const [a, b] = await Promise.all(tabs.map((tab) => tab.next('ack', (f) => f.clientId === clientId)));
      expect(a).toEqual(b);
    }
    const rows = await server.database.db.select().from(schema.messages)
      .where(eq(schema.messages.conversationId, conversationId));
    expect(rows).toHaveLength(21);
    expect(rows.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('leaves a conversation unassigned while nobody is online and assigns it when an agent comes online', async () => {
    const other = await createTenant(server.database, [ORIGIN]);
    const session = await visitorSession(server, other.site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    expect((await visitor.ready('visitor')).team.online).toBe(false);
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'anyone there?' });
    const ack = await visitor.next('ack');
    const [waiting] = await server.database.db.select().from(schema.conversations)
      .where(eq(schema.conversations.id, ack.conversationId));
    expect(waiting!.assigneeId).toBeNull();

    const token = await loginAgent(server, other.owner.email);
    const unassigned = await get<{ conversations: { id: string }[] }>(`${server.url}/api/v1/conversations?view=unassigned`, token);
    expect(unassigned.body.conversations.map((c) => c.id)).toEqual([ack.conversationId]);

    const agent = track(await TestClient.connect(server, { token }));
    await agent.next('ready');
    const assigned = await agent.next('conversation', (f) => f.conversation.id === ack.conversationId);
    expect(assigned.conversation.assigneeId).toBe(other.owner.id);
    expect((await visitor.next('team')).online).toBe(true);
  });

  it('routes a new conversation to the online agent with the fewest open conversations', async () => {
    const team = await createTenant(server.database, [ORIGIN]);
    const second = await addAgent(server.database, team.accountId, `second-${randomUUID()}@example.com`);
    const agents = [
      track(await TestClient.connect(server, { token: await loginAgent(server, team.owner.email) })),
      track(await TestClient.connect(server, { token: await loginAgent(server, second.email) })),
    ];
    await Promise.all(agents.map((a) => a.next('ready')));
    const assignees: string[] = [];
    for (let i = 0; i < 4; i++) {
      const session = await visitorSession(server, team.site);
      const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
      await visitor.next('ready');
      visitor.send({ type: 'message.send', clientId: randomUUID(), body: `question ${i}` });
      const ack = await visitor.next('ack');
      const frame = await agents[0]!.next('conversation', (f) => f.conversation.id === ack.conversationId && f.conversation.assigneeId !== null);
      assignees.push(frame.conversation.assigneeId!);
    }
    // Least-loaded routing alternates: each agent ends with two.
    expect(assignees.filter((id) => id === team.owner.id)).toHaveLength(2);
    expect(assignees.filter((id) => id === second.id)).toHaveLength(2);
  });

  it('relays typing both ways and tells visitors when the team goes away', async () => {
    const team = await createTenant(server.database, [ORIGIN]);
    const agent = track(await TestClient.connect(server, { token: await loginAgent(server, team.owner.email) }));
    await agent.next('ready');
    const session = await visitorSession(server, team.site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    await visitor.next('ready');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'hi' });
    const { conversationId } = await visitor.next('ack');

    visitor.send({ type: 'typing', conversationId, typing: true });
    expect(await agent.next('typing')).toMatchObject({ conversationId, authorKind: 'visitor', typing: true });
    agent.send({ type: 'typing', conversationId, typing: true });
    expect(await visitor.next('typing')).toMatchObject({ conversationId, authorKind: 'agent', authorId: team.owner.id, authorName: team.owner.name });

    agent.send({ type: 'presence.set', availability: 'away' });
    expect(await agent.next('presence', (f) => f.availability === 'away')).toMatchObject({ agentId: team.owner.id });
    expect((await visitor.next('team')).online).toBe(false);
    agent.close();
    await agent.closed;
  });

  it('keeps every account apart: another account\'s conversation is not found', async () => {
    const victim = await createTenant(server.database, [ORIGIN]);
    const session = await visitorSession(server, victim.site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    await visitor.next('ready');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'private matter' });
    const { conversationId } = await visitor.next('ack');

    const attacker = await createTenant(server.database, [ORIGIN]);
    const token = await loginAgent(server, attacker.owner.email);
    const agent = track(await TestClient.connect(server, { token }));
    await agent.next('ready');
    agent.send({ type: 'message.send', conversationId, clientId: 'x1', body: 'hello?' });
    expect(await agent.next('error')).toMatchObject({ code: 'NOT_FOUND', clientId: 'x1' });
    agent.send({ type: 'sync', conversationId, afterSeq: 0 });
    expect((await agent.next('error')).code).toBe('NOT_FOUND');
    expect((await get(`${server.url}/api/v1/conversations/${conversationId}/messages`, token)).status).toBe(404);
    expect(await get(`${server.url}/api/v1/conversations/${conversationId}`, token)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const owner = await get<{ conversation: { id: string } }>(`${server.url}/api/v1/conversations/${conversationId}`, await loginAgent(server, victim.owner.email));
    expect(owner.body.conversation.id).toBe(conversationId);
    const assign = await post(`${server.url}/api/v1/conversations/${conversationId}/assign`, { agentId: null }, { authorization: `Bearer ${token}` });
    expect(assign).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const list = await get<{ conversations: unknown[] }>(`${server.url}/api/v1/conversations?view=all`, token);
    expect(list.body.conversations).toEqual([]);

    // A visitor cannot reach another visitor's conversation either.
    const stranger = await visitorSession(server, victim.site);
    const other = track(await TestClient.connect(server, { token: stranger.token, origin: ORIGIN }));
    await other.next('ready');
    other.send({ type: 'sync', conversationId, afterSeq: 0 });
    expect((await other.next('error')).code).toBe('NOT_FOUND');
    other.send({ type: 'message.send', conversationId, clientId: 'y1', body: 'hijack' });
    expect((await other.next('error')).code).toBe('NOT_FOUND');
    const rows = await server.database.db.select().from(schema.messages).where(eq(schema.messages.conversationId, conversationId));
    expect(rows.map((r) => r.body)).toEqual(['private matter']);
  });

  it('lets an agent resolve and reassign through REST, announced live', async () => {
    const team = await createTenant(server.database, [ORIGIN]);
    const second = await addAgent(server.database, team.accountId, `colleague-${randomUUID()}@example.com`);
    const token = await loginAgent(server, team.owner.email);
    const agent = track(await TestClient.connect(server, { token }));
    await agent.next('ready');
    const session = await visitorSession(server, team.site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    await visitor.next('ready');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'help' });
    const { conversationId } = await visitor.next('ack');
    const auth = { authorization: `Bearer ${token}` };

    const reassigned = await post<{ conversation: { assigneeId: string } }>(`${server.url}/api/v1/conversations/${conversationId}/assign`, { agentId: second.id }, auth);
    expect(reassigned.body.conversation.assigneeId).toBe(second.id);
    await agent.next('conversation', (f) => f.conversation.assigneeId === second.id);

    const resolved = await post<{ conversation: { status: string } }>(`${server.url}/api/v1/conversations/${conversationId}/status`, { status: 'resolved' }, auth);
    expect(resolved.body.conversation.status).toBe('resolved');
    await agent.next('conversation', (f) => f.conversation.status === 'resolved');

    // The visitor writing again reopens the same conversation.
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'one more thing' });
    expect((await visitor.next('ack')).conversationId).toBe(conversationId);
    await agent.next('conversation', (f) => f.conversation.id === conversationId && f.conversation.status === 'open');

    const stranger = await createTenant(server.database, [ORIGIN]);
    const bad = await post(`${server.url}/api/v1/conversations/${conversationId}/assign`, { agentId: stranger.owner.id }, auth);
    expect(bad).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });
});
