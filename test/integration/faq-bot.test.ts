// examples/faq-bot against a real server: a bot-first site's new conversation goes to the bot by
// webhook, the bot answers what it knows as author kind `bot`, and hands anything else to the
// online agent, after which it stays quiet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { ConversationView, MessageView } from '../../protocol/index.ts';
import { BOT_NAME, HANDOFF_REPLY, createFaqBot } from '../../examples/faq-bot/bot.mjs';
import { apiCaller } from '../api-call.ts';
import {
  TestClient, createTenant, driver, loginAgent, startServer, visitorSession, type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

describe(`the FAQ bot example (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let ownerToken: string;
  let botServer: Server;
  let webhookId: string;
  const botErrors: unknown[] = [];
  const call = apiCaller(() => server, () => ownerToken);

  beforeAll(async () => {
    server = await startServer({ config: { webhooksAllowPrivate: true, webhookPollMs: 20 } });
    tenant = await createTenant(server.database, [ORIGIN], 'faq');
    ownerToken = await loginAgent(server, tenant.owner.email);
    expect((await call('PATCH', `/sites/${tenant.site.id}`, { botFirst: true })).status).toBe(200);
    const token = await call<{ token: string }>('POST', '/tokens', { name: 'FAQ bot', role: 'agent' });
    expect(token.status).toBe(201);

    // The bot listens first, so the webhook can point at it; it learns the secret once created.
    let handler: ReturnType<typeof createFaqBot> | null = null;
    botServer = createServer((request, response) => {
      if (handler) handler(request, response);
      else response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => botServer.listen(0, '127.0.0.1', resolve));
    const botUrl = `http://127.0.0.1:${(botServer.address() as AddressInfo).port}/`;
    const webhook = await call<{ secret: string; webhook: { id: string } }>('POST', '/webhooks', { url: botUrl, events: ['message.created'] });
    expect(webhook.status).toBe(201);
    webhookId = webhook.body.webhook.id;
    handler = createFaqBot({ apiUrl: server.url, apiToken: token.body.token, secret: webhook.body.secret, onError: (error) => botErrors.push(error) });
  });
  afterAll(async () => {
    botServer.closeAllConnections();
    await new Promise((resolve) => botServer.close(resolve));
    await server.close();
  });

  async function deliveredCount(): Promise<number> {
    const { body } = await call<{ deliveries: { status: string }[] }>('GET', `/webhooks/${webhookId}/deliveries?limit=200`);
    return body.deliveries.filter((delivery) => delivery.status === 'succeeded').length;
  }

  it('answers what it knows as a bot, hands the rest to the online agent, then stays quiet', async () => {
    const agent = await TestClient.connect(server, { token: ownerToken, tokenIn: 'frame' });
    await agent.ready('agent');
    const session = await visitorSession(server, tenant.site);
    const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await visitor.ready('visitor');
    const isBot = (message: MessageView) => message.authorKind === 'bot';

    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'What are your opening hours?' });
    const { conversationId } = await visitor.next('ack');
    const answer = await visitor.next('message', (f) => isBot(f.message));
    expect(answer.message).toMatchObject({ authorKind: 'bot', authorName: BOT_NAME, authorId: null });
    expect(answer.message.body).toMatch(/Monday to Friday/);
    // The bot has it: nobody was assigned, though an agent is online.
    const withBot = await call<{ conversation: ConversationView }>('GET', `/conversations/${conversationId}`);
    expect(withBot.body.conversation).toMatchObject({ assigneeId: null, withBot: true });

    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'I would like a refund for order 1042' });
    const handoff = await visitor.next('message', (f) => isBot(f.message) && f.message.id !== answer.message.id);
    expect(handoff.message.body).toBe(HANDOFF_REPLY);
    const assigned = await agent.next('conversation', (f) => f.conversation.id === conversationId && f.conversation.assigneeId !== null);
    expect(assigned.conversation).toMatchObject({ assigneeId: tenant.owner.id, withBot: false });

    // After the hand-off the bot reads on but says nothing, even to a question it knows: once all six
    // events (three visitor's messages, two bot's, the hand-off's private note) have been delivered
    // to it, there is no third answer.
    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'And how long does shipping take?' });
    await visitor.next('ack');
    const deadline = Date.now() + 10_000;
    while (await deliveredCount() < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await deliveredCount()).toBe(6);
    const { body } = await call<{ messages: MessageView[] }>('GET', `/conversations/${conversationId}/messages`);
    expect(body.messages.filter(isBot).map((m) => m.body)).toEqual([answer.message.body, HANDOFF_REPLY]);
    expect(botErrors).toEqual([]);
    visitor.close();
    agent.close();
  });
});
