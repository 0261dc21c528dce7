// Routing with two nodes on one database and shared presence (Redis, or one presence object when
// the suite runs without it): simultaneous conversations on both nodes are each assigned once and
// never past an agent's capacity; the backlog goes out as soon as someone frees capacity or comes
// online; a reopened conversation returns to its assignee only while they are online.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray } from 'drizzle-orm';
import { schema, type Database } from '../../db/index.ts';
import { MemoryPresence } from '../../server/services/presence-memory.ts';
import {
  TestClient, addAgent, createTenant, createTestDatabase, driver, loginAgent, post, startServer, useRedis, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';
const generous = { rateLimitPerSecond: 1000, rateLimitBurst: 1000 };

async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe(`routing across two nodes (${driver}${useRedis ? ', presence in Redis' : ''})`, () => {
  let database: Database;
  let nodes: [TestServer, TestServer];
  let tenant: Tenant;
  const clients: TestClient[] = [];
  const presence = new MemoryPresence();
  const announcedAssignees = new Map<string, string[]>();

  beforeAll(async () => {
    database = await createTestDatabase();
    const shared = useRedis ? { redisPrefix: `parley-test-${randomBytes(4).toString('hex')}:` } : { presence };
    nodes = [
      await startServer({ database, config: generous, ...shared }),
      await startServer({ database, config: generous, ...shared }),
    ];
    tenant = await createTenant(database, [ORIGIN]);
    // Every assignment either node announces, per conversation.
    for (const node of nodes) {
      const { events } = node.app.services;
      const heard = ({ conversation }: { conversation: { id: string; assigneeId: string | null } }) => {
        if (conversation.assigneeId === null) return;
        announcedAssignees.set(conversation.id, [...announcedAssignees.get(conversation.id) ?? [], conversation.assigneeId]);
      };
      events.on('conversation.created', heard);
      events.on('conversation.assigned', heard);
    }
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    for (const node of nodes ?? []) await node.close();
    await database?.close();
  });

  async function agentOnline(node: TestServer, email: string): Promise<TestClient> {
    const console = await TestClient.connect(node, { token: await loginAgent(node, email) });
    await console.ready('agent');
    clients.push(console);
    return console;
  }

  async function newAgent(name: string, capacity: number | null): Promise<schema.Agent> {
    const agent = await addAgent(database, tenant.accountId, `${name}-${randomBytes(3).toString('hex')}@example.com`);
    await database.db.update(schema.agents).set({ capacity }).where(eq(schema.agents.id, agent.id));
    return agent;
  }

  /** A new visitor's first message, on `node`; resolves with their conversation once acknowledged. */
  async function visitorWrites(node: TestServer, body: string): Promise<{ conversationId: string; visitor: TestClient; token: string }> {
    const session = await visitorSession(node, tenant.site, ORIGIN);
    const visitor = await TestClient.connect(node, { token: session.token, origin: ORIGIN });
    await visitor.ready('visitor');
    clients.push(visitor);
    visitor.send({ type: 'message.send', clientId: randomUUID(), body });
    const { conversationId } = await visitor.next('ack');
    return { conversationId, visitor, token: session.token };
  }

  const assignees = async (ids: string[]) => new Map((await database.db
    .select({ id: schema.conversations.id, assigneeId: schema.conversations.assigneeId })
    .from(schema.conversations).where(inArray(schema.conversations.id, ids))).map((row) => [row.id, row.assigneeId]));

  const countOf = (map: Map<string, string | null>, agentId: string | null) => [...map.values()].filter((a) => a === agentId).length;

  let conversationIds: string[] = [];
  let x: schema.Agent;
  let y: schema.Agent;
  let xConsole: TestClient;

  it('assigns each of ten simultaneous conversations on two nodes once, never past an agent\'s capacity', async () => {
    x = await newAgent('x', 3);
    y = await newAgent('y', 3);
    xConsole = await agentOnline(nodes[0], x.email);
    await agentOnline(nodes[1], y.email);

    const started = await Promise.all(Array.from({ length: 10 }, (_, i) => visitorWrites(nodes[i % 2]!, `hello ${i}`)));
    conversationIds = started.map((s) => s.conversationId);
    const assigned = await assignees(conversationIds);
    expect(countOf(assigned, x.id)).toBe(3);
    expect(countOf(assigned, y.id)).toBe(3);
    expect(countOf(assigned, null)).toBe(4);

    // Each was announced assigned once, on one node or the other: never assigned, then reassigned.
    expect([...announcedAssignees.values()].filter((seen) => seen.length > 0).length).toBe(6);
    for (const id of conversationIds) {
      expect(announcedAssignees.get(id) ?? []).toEqual(assigned.get(id) === null ? [] : [assigned.get(id)]);
    }
  });

  it('hands the backlog out, oldest first, as soon as an agent frees capacity, another comes online or gets more capacity', async () => {
    const before = await assignees(conversationIds);
    const waiting = await database.db.select({ id: schema.conversations.id }).from(schema.conversations)
      .where(inArray(schema.conversations.id, conversationIds.filter((id) => before.get(id) === null)))
      .orderBy(schema.conversations.createdAt);
    const oldestWaiting = waiting[0]!.id;

    // x resolves one of theirs through node B's REST API: x has room for one again.
    const token = await loginAgent(nodes[1], x.email);
    const xs = conversationIds.find((id) => before.get(id) === x.id)!;
    const resolved = await post(`${nodes[1].url}/api/v1/conversations/${xs}/status`, { status: 'resolved' }, { authorization: `Bearer ${token}` });
    expect(resolved.status).toBe(200);
    const afterResolve = await until(() => assignees(conversationIds), (map) => map.get(oldestWaiting) !== null);
    expect(afterResolve.get(oldestWaiting)).toBe(x.id);
    expect(countOf(afterResolve, null)).toBe(3);

    // A third agent with room for two comes online on node B: two of the three waiting become theirs.
    const z = await newAgent('z', 2);
    await agentOnline(nodes[1], z.email);
    const afterOnline = await until(() => assignees(conversationIds), (map) => countOf(map, z.id) === 2);
    expect(countOf(afterOnline, z.id)).toBe(2);
    expect(countOf(afterOnline, null)).toBe(1);
    expect(countOf(afterOnline, x.id)).toBe(4); // 3 open, and the resolved one, which no longer counts
    expect(countOf(afterOnline, y.id)).toBe(3);

    // An owner gives y room for one more: the last waiting conversation is y's at once.
    const ownerToken = await loginAgent(nodes[0], tenant.owner.email);
    const raised = await fetch(`${nodes[0].url}/api/v1/agents/${y.id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${ownerToken}` }, body: JSON.stringify({ capacity: 4 }),
    });
    expect(raised.status).toBe(200);
    const afterRaise = await until(() => assignees(conversationIds), (map) => countOf(map, null) === 0);
    expect(countOf(afterRaise, y.id)).toBe(4);
  });

  it('gives a reopened conversation back to its assignee only while they are online', async () => {
    // Room for the reopened conversation: everyone else is full, so it can only go to x or a new agent.
    const spare = await newAgent('spare', null);
    await agentOnline(nodes[0], spare.email);

    const { conversationId, visitor } = await visitorWrites(nodes[0], 'one more question');
    const token = await loginAgent(nodes[0], x.email);
    const auth = { authorization: `Bearer ${token}` };
    // Make it x's, then resolve it: the visitor writing again reopens it, and x is online: still x's.
    expect((await post(`${nodes[0].url}/api/v1/conversations/${conversationId}/assign`, { agentId: x.id }, auth)).status).toBe(200);
    expect((await post(`${nodes[0].url}/api/v1/conversations/${conversationId}/status`, { status: 'resolved' }, auth)).status).toBe(200);
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'it is back' });
    await visitor.next('ack');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await assignees([conversationId])).get(conversationId)).toBe(x.id);

    // Resolved again, and x closes the console: the next reopening routes it to someone online.
    expect((await post(`${nodes[0].url}/api/v1/conversations/${conversationId}/status`, { status: 'resolved' }, auth)).status).toBe(200);
    xConsole.close();
    const offline = await until(async () => (await nodes[1].app.services.presence.availability(x.id)), (a) => a === 'offline');
    expect(offline).toBe('offline');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'and again' });
    await visitor.next('ack');
    // Released by x, then routed: wait for the end state, not the moment between.
    const rerouted = await until(() => assignees([conversationId]), (map) => ![x.id, null].includes(map.get(conversationId) ?? null));
    expect(rerouted.get(conversationId)).toBe(spare.id);
    const views = await database.db.select().from(schema.conversations).where(eq(schema.conversations.id, conversationId));
    expect(views[0]!.status).toBe('open');
  });
});
