// Redis goes away while a visitor on node A and an agent on node B keep writing (the test cuts its own
// proxy between the nodes and the machine's Redis). Both nodes keep serving and committing; when
// Redis returns, the nodes tell their clients to catch up, and every message reaches the other side.
// The test's clients do what the widget and the console do on `resync`: sync from the highest seq
// they hold without a gap. It prints the longest delay a message saw, from its ack to its arrival.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/index.ts';
import type { MessageView, ServerFrame } from '../../protocol/index.ts';
import {
  TestClient, createTenant, createTestDatabase, loginAgent, startServer, useRedis, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';
import { TcpProxy, hostPortOf } from '../tcp-proxy.ts';

const ORIGIN = 'http://shop.test';
const PROBE_MS = 250;
const OUTAGE_MS = 2_000;

/** A client that keeps every message of one conversation by seq, and catches up on `resync`. */
class Follower {
  readonly arrivedAt = new Map<number, number>();
  private conversationId: string | null = null;

  constructor(readonly client: TestClient) {
    client.socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ServerFrame;
      if (frame.type === 'message') this.hold([frame.message]);
      if (frame.type === 'messages') {
        this.hold(frame.messages);
        if (frame.hasMore) this.sync(frame.messages.at(-1)!.seq);
      }
      if (frame.type === 'resync') this.sync(this.contiguous());
    });
  }

  follow(conversationId: string): void {
    this.conversationId = conversationId;
  }

  contiguous(): number {
    let seq = 0;
    while (this.arrivedAt.has(seq + 1)) seq += 1;
    return seq;
  }

  private sync(afterSeq: number): void {
    if (this.conversationId) this.client.send({ type: 'sync', conversationId: this.conversationId, afterSeq });
  }

  private hold(messages: MessageView[]): void {
    for (const message of messages) {
      if (message.conversationId === this.conversationId && !this.arrivedAt.has(message.seq)) this.arrivedAt.set(message.seq, Date.now());
    }
  }
}

if (!useRedis) console.log('bus-outage: skipped here, it needs Redis (REDIS_URL): the postgres+redis project runs it');

describe.runIf(useRedis)('a Redis outage between two nodes', () => {
  let database: Database;
  let proxy: TcpProxy;
  let nodes: TestServer[] = [];
  let tenant: Tenant;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await TcpProxy.start(hostPortOf(process.env.REDIS_URL!));
    const shared = {
      database,
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      redisPrefix: `parley-test-${randomBytes(4).toString('hex')}:`,
      config: { busProbeMs: PROBE_MS, rateLimitPerSecond: 1000, rateLimitBurst: 1000, visitorMessageRateLimitPerSecond: 1000, visitorMessageRateLimitBurst: 1000 },
    };
    nodes = [await startServer(shared), await startServer(shared)];
    tenant = await createTenant(database, [ORIGIN]);
  });
  afterAll(async () => {
    for (const node of nodes) await node.close();
    await proxy?.close();
    await database?.close();
  });

  it('keeps both nodes committing while Redis is away, and every message reaches every client after it returns', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const session = await visitorSession(a, tenant.site, ORIGIN);
    const visitorSocket = await TestClient.connect(a, { token: session.token, origin: ORIGIN });
    const visitor = new Follower(visitorSocket);
    await visitorSocket.ready('visitor');
    const agentSocket = await TestClient.connect(b, { token: await loginAgent(b, tenant.owner.email) });
    const agent = new Follower(agentSocket);
    await agentSocket.ready('agent');

    // Before the outage: the conversation exists and crosses nodes live.
    visitorSocket.send({ type: 'message.send', clientId: randomUUID(), body: 'hello' });
    const { conversationId } = await visitorSocket.next('ack');
    visitor.follow(conversationId);
    agent.follow(conversationId);
    visitor.arrivedAt.set(1, Date.now());
    const ackedAt = new Map<number, number>([[1, Date.now()]]);
    await waitFor(() => agent.arrivedAt.has(1));

    // Both write during the outage; each write is acknowledged (committed) by its own node.
    let writing = true;
    const write = async (socket: TestClient, follower: Follower, who: string) => {
      for (let i = 0; writing; i++) {
        const clientId = randomUUID();
        socket.send({ type: 'message.send', conversationId, clientId, body: `${who} ${i}` });
        const ack = await socket.next('ack', (frame) => frame.clientId === clientId);
        ackedAt.set(ack.seq, Date.now());
        follower.arrivedAt.set(ack.seq, Date.now()); // a writer holds its own message from the ack on
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const writers = Promise.all([write(visitorSocket, visitor, 'visitor'), write(agentSocket, agent, 'agent')]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.cut();
    const cutAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const ackedDuringOutage = [...ackedAt.values()].filter((at) => at > cutAt).length;
    proxy.restore();
    await new Promise((resolve) => setTimeout(resolve, 500));
    writing = false;
    await writers;

    const total = Math.max(...ackedAt.keys());
    const everything = () => visitor.contiguous() === total && agent.contiguous() === total;
    await waitFor(everything, 15_000);
    expect(ackedDuringOutage).toBeGreaterThan(10);
    expect(visitor.contiguous()).toBe(total);
    expect(agent.contiguous()).toBe(total);

    const delays = [...ackedAt.entries()].map(([seq, at]) =>
      Math.max((visitor.arrivedAt.get(seq) ?? Infinity) - at, (agent.arrivedAt.get(seq) ?? Infinity) - at));
    const longest = Math.max(...delays);
    console.log(`bus-outage: ${total} messages, ${ackedDuringOutage} acknowledged during a ${OUTAGE_MS} ms Redis cut; ` +
      `longest delay from ack to the other side: ${longest} ms (probe every ${PROBE_MS} ms)`);
    // The bound: the outage, plus noticing the recovery (a probe interval or two), plus a sync.
    expect(longest).toBeLessThan(OUTAGE_MS + 500 + 4 * PROBE_MS + 1_500);
    visitorSocket.close();
    agentSocket.close();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
