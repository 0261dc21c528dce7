import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { errorCatalog, PROTOCOL } from '../../protocol/index.ts';
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
      const body = 'x'.repeat(3900);
      // Enough to overflow the loopback socket buffers and then the 16 KB limit.
      for (let i = 0; i < 1000; i++) {
        agent.send({ type: 'message.send', conversationId, clientId: randomUUID(), body });
        await agent.next('ack');
      }
      // The close frame reaches the client once it reads again.
      tcp.resume();
      expect((await slow.closed).code).toBe(errorCatalog.SLOW_CONSUMER.close);
      agent.close();
    } finally {
      await roomy.close();
    }
  });
});
