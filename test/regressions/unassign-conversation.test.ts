// Choosing "Unassigned" in the console's assignee menu failed with "No such agent in this account":
// the body's `agentId: null` was coerced to "" by the schema's String | Null union before it
// reached the service.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestClient, createTenant, loginAgent, post, startServer, visitorSession, type TestServer } from '../helpers.ts';

const ORIGIN = 'http://shop.test';
let server: TestServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.close(); });

it('unassigns a conversation when the assignee is set to null', async () => {
  const tenant = await createTenant(server.database, [ORIGIN]);
  const token = await loginAgent(server, tenant.owner.email);
  const agent = await TestClient.connect(server, { token });
  await agent.ready('agent');
  const session = await visitorSession(server, tenant.site);
  const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
  await visitor.ready('visitor');
  visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'hello' });
  const { conversationId } = await visitor.next('ack');
  // Routing gave it to the only online agent.
  await agent.next('conversation', (f) => f.conversation.id === conversationId && f.conversation.assigneeId === tenant.owner.id);

  const response = await post<{ conversation: { assigneeId: string | null } }>(
    `${server.url}/api/v1/conversations/${conversationId}/assign`, { agentId: null }, { authorization: `Bearer ${token}` });
  expect(response.status).toBe(200);
  expect(response.body.conversation.assigneeId).toBeNull();
  await agent.next('conversation', (f) => f.conversation.id === conversationId && f.conversation.assigneeId === null);
  agent.close();
  visitor.close();
});
