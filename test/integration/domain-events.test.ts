// Services announce what happened as domain events, each carrying what a listener needs (account,
// site, visitor, the view clients were sent), through a real conversation on a real server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { DomainEventMap, DomainEventType } from '../../server/services/events.ts';
import {
  TestClient, createTenant, driver, loginAgent, post, startServer, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';
const TYPES: DomainEventType[] = ['conversation.created', 'conversation.assigned', 'conversation.status', 'message.created',
  'typing', 'agent.availability', 'team.online'];

type Seen = { [K in DomainEventType]: { type: K; event: DomainEventMap[K] } }[DomainEventType];

describe(`domain events (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let seen: Seen[] = [];
  const unsubscribe: (() => void)[] = [];
  const clients: TestClient[] = [];
  const track = (client: TestClient) => (clients.push(client), client);

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, [ORIGIN]);
    for (const type of TYPES) {
      unsubscribe.push(server.app.services.events.on(type, (event) => { seen.push({ type, event } as Seen); }));
    }
  });
  afterEach(() => { seen = []; });
  afterAll(async () => {
    for (const off of unsubscribe) off();
    for (const client of clients) client.close();
    await server.close();
  });

  /** A visitor of `site` who has written once: their open conversation. */
  async function visitorWithConversation(site: Tenant['site']) {
    const session = await visitorSession(server, site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    await visitor.ready('visitor');
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'hello' });
    const { conversationId } = await visitor.next('ack');
    return { session, visitor, conversationId };
  }

  /** The events of this tenant's account, in order. */
  const ofAccount = () => seen.filter(({ event }) => event.accountId === tenant.accountId);

  it('announces a new conversation once, already routed, then its first message with the ids a listener needs', async () => {
    const agent = track(await TestClient.connect(server, { token: await loginAgent(server, tenant.owner.email) }));
    await agent.ready('agent');
    const session = await visitorSession(server, tenant.site);
    const visitor = track(await TestClient.connect(server, { token: session.token, origin: ORIGIN }));
    await visitor.ready('visitor');
    seen = [];

    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'hello' });
    const ack = await visitor.next('ack');
    const delivered = await agent.next('message');
    const frame = await agent.next('conversation');
    expect(ofAccount().map((e) => e.type)).toEqual(['conversation.created', 'message.created']);
    const [created, message] = ofAccount();
    expect(created!.event).toEqual({ accountId: tenant.accountId, conversation: frame.conversation });
    expect(frame.conversation).toMatchObject({ id: ack.conversationId, assigneeId: tenant.owner.id, siteId: tenant.site.id, visitorId: session.visitorId });
    expect(message!.event).toEqual({ accountId: tenant.accountId, siteId: tenant.site.id, visitorId: session.visitorId, message: delivered.message });

    // A resend stores nothing new: no event.
    seen = [];
    visitor.send({ type: 'message.send', clientId: delivered.message.clientId, body: 'hello' });
    await visitor.next('ack');
    expect(ofAccount()).toEqual([]);
  });

  it('says who the assignee was before, when an agent unassigns and when a first reply claims', async () => {
    const token = await loginAgent(server, tenant.owner.email);
    const agent = track(await TestClient.connect(server, { token }));
    await agent.ready('agent');
    const { session, visitor, conversationId } = await visitorWithConversation(tenant.site);
    seen = [];

    // Through the service: POST …/assign { agentId: null } is coerced to "" by the route's validation.
    await server.app.services.conversations.assign({ agentId: tenant.owner.id, accountId: tenant.accountId }, conversationId, null);
    agent.send({ type: 'message.send', conversationId, clientId: randomUUID(), body: 'on it' });
    const reply = await agent.next('ack');
    await visitor.next('message', (f) => f.message.seq === reply.seq);

    expect(ofAccount().map((e) => e.type)).toEqual(['conversation.assigned', 'message.created', 'conversation.assigned']);
    const [unassign, message, claim] = ofAccount();
    expect(unassign!.event).toMatchObject({ previousAssigneeId: tenant.owner.id, conversation: { id: conversationId, assigneeId: null } });
    expect(message!.event).toMatchObject({ siteId: tenant.site.id, visitorId: session.visitorId, message: { seq: reply.seq, authorKind: 'agent', authorName: tenant.owner.name } });
    expect(claim!.event).toMatchObject({ previousAssigneeId: null, conversation: { id: conversationId, assigneeId: tenant.owner.id } });
  });

  it('says what the status was before, when an agent resolves and when the visitor\'s message reopens', async () => {
    const token = await loginAgent(server, tenant.owner.email);
    const { visitor, conversationId } = await visitorWithConversation(tenant.site);
    seen = [];

    const resolved = await post(`${server.url}/api/v1/conversations/${conversationId}/status`, { status: 'resolved' }, { authorization: `Bearer ${token}` });
    expect(resolved.status).toBe(200);
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'one more thing' });
    await visitor.next('ack');

    expect(ofAccount().map((e) => e.type)).toEqual(['conversation.status', 'message.created', 'conversation.status']);
    const [resolve, , reopen] = ofAccount();
    expect(resolve!.event).toMatchObject({ previousStatus: 'open', conversation: { id: conversationId, status: 'resolved' } });
    expect(reopen!.event).toMatchObject({ previousStatus: 'resolved', conversation: { id: conversationId, status: 'open' } });
  });

  it('announces typing with the conversation\'s ids, and availability changes with the team\'s', async () => {
    const team = await createTenant(server.database, [ORIGIN]);
    const agent = track(await TestClient.connect(server, { token: await loginAgent(server, team.owner.email) }));
    await agent.ready('agent');
    const { session, visitor, conversationId } = await visitorWithConversation(team.site);
    const mine = () => seen.filter(({ event }) => event.accountId === team.accountId).map(({ type, event }) => ({ type, event }));
    seen = [];

    visitor.send({ type: 'typing', conversationId, typing: true });
    await agent.next('typing');
    agent.send({ type: 'presence.set', availability: 'away' });
    await visitor.next('team');
    agent.close();
    await agent.closed;
    await expect.poll(() => mine().length).toBe(4);
    expect(mine()).toEqual([
      { type: 'typing', event: { accountId: team.accountId, siteId: team.site.id, visitorId: session.visitorId, conversationId,
        author: { kind: 'visitor', id: session.visitorId, name: null }, typing: true } },
      { type: 'agent.availability', event: { accountId: team.accountId, agentId: team.owner.id, availability: 'away' } },
      { type: 'team.online', event: { accountId: team.accountId, online: false } },
      { type: 'agent.availability', event: { accountId: team.accountId, agentId: team.owner.id, availability: 'offline' } },
    ]);
  });
});
