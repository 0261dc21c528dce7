import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { errorCatalog, PROTOCOL, type ServerFrame } from '../../protocol/index.ts';
import {
  TestClient, createTenant, driver, loginAgent, startServer, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

describe(`limits: rate, liveness, slow readers (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;

  beforeAll(async () => {
    server = await startServer({ config: { rateLimitPerSecond: 5, rateLimitBurst: 5, heartbeatMs: 200, sendBufferLimit: 16 * 1024 } });
    tenant = await createTenant(server.database, [ORIGIN]);
  });
  afterAll(() => server.close());

  async function visitor(): Promise<TestClient> {
    const session = await visitorSession(server, tenant.site);
    const client = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
    await client.ready('visitor');
    return client;
  }

  it('answers a flood with RATE_LIMITED and a retry-after, without slowing other visitors', async () => {
    const noisy = await visitor();
    for (let i = 0; i < 12; i++) noisy.send({ type: 'message.send', clientId: `flood-${i}`, body: `flood ${i}` });
    const limited = await noisy.next('error', (f) => f.code === 'RATE_LIMITED');
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.clientId).toMatch(/^flood-/);

    const calm = await visitor();
    calm.send({ type: 'message.send', clientId: randomUUID(), body: 'hello' });
    expect((await calm.next('ack')).seq).toBe(1);

    // After waiting as told, the noisy client is served again.
    await new Promise((resolve) => setTimeout(resolve, limited.retryAfterMs! + 250));
    noisy.send({ type: 'ping' });
    await noisy.next('pong');
    noisy.close();
    calm.close();
  });

  it('counts a visitor\'s messages over all of their sockets: ten tabs do not buy ten budgets', async () => {
    const shared = await startServer({
      database: server.database,
      config: { rateLimitPerSecond: 1000, rateLimitBurst: 1000, visitorMessageRateLimitPerSecond: 1, visitorMessageRateLimitBurst: 6 },
    });
    try {
      const session = await visitorSession(shared, tenant.site);
      const tabs: TestClient[] = [];
      for (let i = 0; i < 10; i++) {
        const tab = await TestClient.connect(shared, { token: session.token, origin: ORIGIN });
        await tab.ready('visitor');
        tabs.push(tab);
      }
      // Two messages from each of ten tabs: twenty in all against a budget of six.
      tabs.forEach((tab, i) => {
        tab.send({ type: 'message.send', clientId: `tab-${i}-a`, body: `from tab ${i}` });
        tab.send({ type: 'message.send', clientId: `tab-${i}-b`, body: `again from tab ${i}` });
      });
      const answerOf = (f: ServerFrame) => f.type === 'ack' || (f.type === 'error' && f.code === 'RATE_LIMITED');
      const deadline = Date.now() + 10_000;
      while (tabs.some((tab) => tab.frames.filter(answerOf).length < 2) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const answers = tabs.flatMap((tab) => tab.frames.filter(answerOf));
      expect(answers.length).toBe(20);
      const acked = answers.filter((f) => f.type === 'ack').length;
      const limited = answers.filter((f) => f.type === 'error');
      // The budget, plus at most what refilled (1 per second) while the frames were handled.
      expect(acked).toBeGreaterThanOrEqual(6);
      expect(acked).toBeLessThanOrEqual(8);
      expect(limited.length).toBe(20 - acked);
      expect(limited.every((f) => f.type === 'error' && f.retryAfterMs! > 0)).toBe(true);

      // Another visitor is not slowed by this one.
      const other = await visitorSession(shared, tenant.site);
      const calm = await TestClient.connect(shared, { token: other.token, origin: ORIGIN });
      await calm.ready('visitor');
      calm.send({ type: 'message.send', clientId: randomUUID(), body: 'hello' });
      expect((await calm.next('ack')).seq).toBe(1);
      calm.close();
      for (const tab of tabs) tab.close();
    } finally {
      await shared.close();
    }
  });

  it('drops a peer that stops answering pings', async () => {
    const session = await visitorSession(server, tenant.site);
    const socket = new WebSocket(server.wsUrl, [PROTOCOL, session.token], { origin: ORIGIN, autoPong: false });
    const dead = new TestClient(socket);
    await dead.ready('visitor');
    const { code } = await dead.closed;
    expect(code).toBe(1006); // terminated without a close frame, as a dead TCP peer would be
  });

  it('closes a reader that falls too far behind with SLOW_CONSUMER', async () => {
    const roomy = await startServer({ database: server.database, config: { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000, sendBufferLimit: 16 * 1024 } });
    try {
      const session = await visitorSession(roomy, tenant.site);
      const slow = await TestClient.connect(roomy, { token: session.token, origin: ORIGIN });
      await slow.ready('visitor');
      slow.send({ type: 'message.send', clientId: randomUUID(), body: 'start' });
      const { conversationId } = await slow.next('ack');
      // Stop reading: the kernel's buffers fill, then the server's own send buffer grows.
      const tcp = (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      tcp.pause();
      const agent = await TestClient.connect(roomy, { token: await loginAgent(roomy, tenant.owner.email) });
      await agent.ready('agent');
      // Three bytes a character in UTF-8: each message puts 11.7 KB on the wire, not 3.9.
      const body = '€'.repeat(3900);
      const visitorsOnNode = async () => {
        const text = (await roomy.app.inject({ method: 'GET', url: '/metrics' })).body;
        return Number(/parley_websocket_connections\{role="visitor"\} (\d+)/.exec(text)?.[1]);
      };
      expect(await visitorsOnNode()).toBe(1);
      // Write in windows of 50 (one group commit each, not 50 round trips) until the node has
      // dropped the reader: the loopback buffers fill first, then the 16 KB limit. The bound is
      // far beyond what loopback holds (a few MB), so a node that never drops the reader fails.
      let sent = 0;
      while (sent < 3000 && await visitorsOnNode() > 0) {
        for (let i = 0; i < 50; i++) agent.send({ type: 'message.send', conversationId, clientId: randomUUID(), body });
        // A CI machine running other suites beside this one has taken over 10 s for a window.
        for (let i = 0; i < 50; i++) await agent.next('ack', undefined, 30_000);
        sent += 50;
      }
      expect(await visitorsOnNode()).toBe(0);
      // The close frame reaches the client once it reads again.
      tcp.resume();
      expect((await slow.closed).code).toBe(errorCatalog.SLOW_CONSUMER.close);
      agent.close();
    } finally {
      await roomy.close();
    }
  }, 120_000); // a loaded CI machine commits a few hundred large messages slowly
});
