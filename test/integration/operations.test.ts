// /readyz and /metrics against real databases, a real broker and real sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { testConfig } from '../../server/config.ts';
import type { Database } from '../../db/index.ts';
import { RedisBroker } from '../../server/realtime/redis.ts';
import {
  TestClient, createTenant, createTestDatabase, driver, loginAgent, startServer, useRedis, visitorSession,
  type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One sample of the exposition text; a labelled series that was never set reads as absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(server: TestServer, token?: string): Promise<string> {
  const response = await fetch(`${server.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(response.status).toBe(200);
  return response.text();
}

async function readyz(url: string): Promise<{ status: number; body: { ok: boolean; checks: Record<string, string> } }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: await response.json() as { ok: boolean; checks: Record<string, string> } };
}

describe(`/readyz (${driver})`, () => {
  let database: Database;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => { database = await createTestDatabase(); });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => { await database.close(); });

  it('answers 200 with each check when the database (and Redis, if used) answer', async () => {
    const server = await startServer({ database });
    cleanups.push(() => server.close());
    // The Redis broker's connections open in the background; ready means they are up.
    await expect.poll(async () => (await readyz(server.url)).status, { timeout: 5_000 }).toBe(200);
    expect((await readyz(server.url)).body).toEqual({ ok: true, checks: { database: 'ok', redis: useRedis ? 'ok' : 'not used' } });
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true });
  });

  it('answers 503 naming redis when the Redis it was given is unreachable, and nothing more', async () => {
    const port = await closedPort();
    const app = await buildApp(testConfig(), { db: database.db, broker: new RedisBroker(`redis://127.0.0.1:${port}`) });
    cleanups.push(() => app.close());
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ ok: false, checks: { database: 'ok', redis: 'failed' } });
    expect(response.body).not.toContain(String(port));
  });

  it('turns 503 when its own Redis server stops, and names it', async () => {
    const port = await closedPort();
    const redis: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const stopped = new Promise((resolve) => redis.once('exit', resolve));
    cleanups.push(async () => { redis.kill(); await stopped; });
    const app = await buildApp(testConfig(), { db: database.db, broker: new RedisBroker(`redis://127.0.0.1:${port}`) });
    cleanups.push(() => app.close());

    const check = async () => {
      const response = await app.inject('/readyz');
      return { status: response.statusCode, checks: response.json().checks as unknown };
    };
    await expect.poll(check, { timeout: 5_000 }).toEqual({ status: 200, checks: { database: 'ok', redis: 'ok' } });
    redis.kill();
    await stopped;
    await expect.poll(check, { timeout: 5_000 }).toEqual({ status: 503, checks: { database: 'ok', redis: 'failed' } });
  });

  it('answers 503 naming the database when it cannot run a query', async () => {
    // A database of its own: this test closes it.
    const doomed = await createTestDatabase();
    const app = await buildApp(testConfig(), { db: doomed.db });
    cleanups.push(() => app.close());
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    await doomed.close();
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ ok: false, checks: { database: 'failed', redis: 'not used' } });
  });
});

describe(`/metrics (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  /** Every socket a test opened, closed before the next test counts sockets. */
  const opened: TestClient[] = [];
  const connect = async (...args: Parameters<typeof TestClient.connect>) => {
    const client = await TestClient.connect(...args);
    opened.push(client);
    return client;
  };

  beforeAll(async () => {
    // Room for a burst of messages sent without waiting for acks.
    server = await startServer({ config: { rateLimitBurst: 1_000, visitorMessageRateLimitBurst: 1_000 } });
    tenant = await createTenant(server.database, [ORIGIN]);
  });
  afterEach(() => {
    for (const client of opened.splice(0)) client.close();
  });
  afterAll(async () => { await server.close(); });

  it('counts the messages a visitor sends over a WebSocket, and the batches that stored them', async () => {
    const N = 25;
    const before = await scrape(server);
    const session = await visitorSession(server, tenant.site);
    const visitor = await connect(server, { token: session.token, origin: ORIGIN });
    await visitor.ready('visitor');
    // All at once, so the store may gather several into one statement.
    for (let i = 0; i < N; i++) visitor.send({ type: 'message.send', clientId: randomUUID(), body: `message ${i}` });
    for (let i = 0; i < N; i++) await visitor.next('ack');
    // A resend is answered from the store but is not a new message.
    const resent = randomUUID();
    visitor.send({ type: 'message.send', clientId: resent, body: 'once' });
    await visitor.next('ack');
    visitor.send({ type: 'message.send', clientId: resent, body: 'once' });
    await visitor.next('ack');

    const after = await scrape(server);
    const grew = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
    expect(grew('parley_messages_stored_total{author="visitor"}')).toBe(N + 1);
    expect(grew('parley_messages_stored_total{author="agent"}')).toBe(0);
    // Every message written passed through one batch, the resend included.
    expect(grew('parley_message_batch_size_sum')).toBe(N + 2);
    const batches = grew('parley_message_batch_size_count');
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(batches).toBeLessThanOrEqual(N + 2);
    expect(grew('parley_message_commit_seconds_count')).toBe(batches);
    expect(grew('parley_message_commit_seconds_sum')).toBeGreaterThan(0);
  });

  it('shows the open WebSockets by role, and forgets them when they close', async () => {
    const connections = async () => {
      const text = await scrape(server);
      return Object.fromEntries(['unauthenticated', 'visitor', 'agent'].map((role) =>
        [role, sample(text, `parley_websocket_connections{role="${role}"}`)]));
    };
    await expect.poll(connections).toEqual({ unauthenticated: 0, visitor: 0, agent: 0 });

    for (let i = 0; i < 2; i++) {
      const session = await visitorSession(server, tenant.site);
      await (await connect(server, { token: session.token, origin: ORIGIN })).ready('visitor');
    }
    await (await connect(server, { token: await loginAgent(server, tenant.owner.email) })).ready('agent');
    // Connected, token not sent yet.
    await connect(server);
    await expect.poll(connections).toEqual({ unauthenticated: 1, visitor: 2, agent: 1 });

    for (const client of opened) client.close();
    await expect.poll(connections).toEqual({ unauthenticated: 0, visitor: 0, agent: 0 });
  });

  it('includes the process metrics and the event-loop delay', async () => {
    const text = await scrape(server);
    for (const name of ['nodejs_eventloop_lag_p99_seconds', 'process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes']) {
      expect(sample(text, name), name).toBeGreaterThanOrEqual(0);
    }
    // Once each, though every test server in this process has its own registry.
    expect(text.split('\n').filter((line) => line === '# TYPE process_cpu_user_seconds_total counter')).toHaveLength(1);
  });
});

describe(`/metrics with METRICS_TOKEN (${driver})`, () => {
  const token = 'scrape-token-for-tests';
  let server: TestServer;
  beforeAll(async () => { server = await startServer({ config: { metricsToken: token } }); });
  afterAll(async () => { await server.close(); });

  it('asks for the bearer token, refuses a wrong one and answers the right one', async () => {
    const none = await fetch(`${server.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await none.json()).toMatchObject({ code: 'AUTH_REQUIRED' });

    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'AUTH_INVALID' });

    const text = await scrape(server, token);
    expect(text).toContain('# TYPE parley_messages_stored_total counter');
  });

  it('leaves /readyz and /healthz open', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).not.toBe(401);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
