// Redis goes away while a visitor on node A and an agent on node B keep writing (the test cuts its own
// proxy between the nodes and the machine's Redis). Both nodes keep serving and committing; when
// Redis returns, the nodes tell their clients to catch up, and every message reaches the other side.
// The test's clients do what the widget and the console do on `resync`: sync from the highest seq
// they hold without a gap. It prints the longest delay a message saw, from its ack to its arrival.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/index.ts';
import {
  TestClient, createTenant, createTestDatabase, loginAgent, startServer, useRedis, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';
import { TcpProxy, hostPortOf } from '../tcp-proxy.ts';
import { Follower, exchangeThroughOutage } from '../cluster/follower.ts';

const ORIGIN = 'http://shop.test';
const PROBE_MS = 250;
const OUTAGE_MS = 2_000;

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

    expect(await gauge(a, 'parley_bus_up')).toBe(1);
    // Scraped late in the outage, after several missed probes.
    let duringOutage: Promise<number> | undefined;
    const cut = () => {
      proxy.cut();
      duringOutage = new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - 500)).then(() => gauge(a, 'parley_bus_up'));
    };
    const { total, ackedDuringOutage, longest, caughtUp } = await exchangeThroughOutage(
      { visitorSocket, visitor, agentSocket, agent }, { cut, restore: () => proxy.restore() }, OUTAGE_MS);
    // What an operator sees on /metrics: the bus down while cut, up again, and the fault counted.
    expect(await duringOutage).toBe(0);
    expect(await gauge(a, 'parley_bus_up')).toBe(1);
    expect(await gauge(a, 'parley_bus_faults_total')).toBeGreaterThanOrEqual(1);
    expect(await gauge(a, 'parley_presence_redis_up')).toBe(1);
    expect(ackedDuringOutage).toBeGreaterThan(10);
    expect(caughtUp).toEqual({ visitor: total, agent: total });
    console.log(`bus-outage: ${total} messages, ${ackedDuringOutage} acknowledged during a ${OUTAGE_MS} ms Redis cut; ` +
      `longest delay from ack to the other side: ${longest} ms (probe every ${PROBE_MS} ms)`);
    // The bound: the outage, plus reconnecting (≤ 0.5 s), plus noticing the recovery (a probe or two), plus a sync.
    expect(longest).toBeLessThan(OUTAGE_MS + 500 + 4 * PROBE_MS + 1_500);
    visitorSocket.close();
    agentSocket.close();
  });
});

/** One unlabelled sample of a node's /metrics. */
async function gauge(node: TestServer, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} is not on /metrics`);
  return Number(line.slice(name.length + 1));
}
