// Several nodes on one database: starting together on a fresh one, and examples/cluster/ end to end
// (its start script's two nodes behind its nginx, reached only through nginx).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, schema, type Database } from '../../db/index.ts';
import { bootstrap } from '../../server/services/bootstrap.ts';
import { PROTOCOL, WS_PATH } from '../../protocol/index.ts';
import { findNginx } from '../../examples/cluster/nginx.ts';
import { TestClient, createTestDatabase, driver, useRedis } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MIGRATIONS = (JSON.parse(readFileSync(`${ROOT}db/migrations/meta/_journal.json`, 'utf8')) as { entries: unknown[] }).entries.length;
const ADMIN_PASSWORD = 'cluster example password';

/** A new PostgreSQL database with nothing in it, not even the migrations (createTestDatabase runs them). */
async function emptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const baseUrl = process.env.DATABASE_URL!;
  const name = `parley_cluster_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

const firstStart = { adminPassword: ADMIN_PASSWORD, exampleOrigins: ['http://localhost:3101'] };

async function expectOneFirstStart(database: Database, results: { created: boolean; siteKey: string }[]): Promise<void> {
  expect(results.filter((result) => result.created)).toHaveLength(1);
  expect(new Set(results.map((result) => result.siteKey)).size).toBe(1);
  expect(await database.db.select().from(schema.agents)).toHaveLength(1);
  expect(await database.db.select().from(schema.sites)).toHaveLength(1);
}

describe(`nodes starting at once (${driver})`, () => {
  it.runIf(driver === 'postgres')('migrate a fresh database once and create one owner', async () => {
    const fresh = await emptyDatabase();
    const nodes: Database[] = [];
    try {
      // Three nodes' worth of connection pools, as three processes would have.
      nodes.push(...await Promise.all([1, 2, 3].map(() => openDb({ url: fresh.url, maxConnections: 2 }))));
      const results = await Promise.all(nodes.map((node) => bootstrap(node.db, firstStart)));
      await expectOneFirstStart(nodes[0]!, results);
      const client = (nodes[0]!.db as unknown as { $client: postgres.Sql }).$client;
      expect(await client`select count(*)::int as n from drizzle.__drizzle_migrations`).toEqual([{ n: MIGRATIONS }]);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await fresh.drop();
    }
  });

  it('create the first-start data once when they bootstrap together', async () => {
    const database = await createTestDatabase();
    try {
      const results = await Promise.all([1, 2, 3].map(() => bootstrap(database.db, firstStart)));
      await expectOneFirstStart(database, results);
    } finally {
      await database.close();
    }
  });
});

const nginx = findNginx();
const skipCluster = driver !== 'postgres' || !useRedis ? 'it needs PostgreSQL and Redis (the postgres+redis project)'
  : nginx === null ? 'nginx is not installed (apt-get install -y nginx)' : null;
if (skipCluster) console.log(`examples/cluster end to end: skipped, ${skipCluster}`);

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A JSON POST from a chosen loopback address (127.0.0.2, …): a different client as nginx sees it. */
function postFrom(localAddress: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe.skipIf(skipCluster !== null)('examples/cluster: two nodes behind nginx', () => {
  let fresh: Awaited<ReturnType<typeof emptyDatabase>>;
  let script: ChildProcess;
  let exited: Promise<number | null>;
  let output = '';
  const ports = { cluster: 0, a: 0, b: 0, example: 0 };
  const pids: Record<string, number> = {};
  let siteKey = '';
  const clients: TestClient[] = [];
  const base = () => `http://127.0.0.1:${ports.cluster}`;
  const shopOrigin = () => `http://localhost:${ports.example}`;

  beforeAll(async () => {
    fresh = await emptyDatabase();
    for (const name of ['cluster', 'a', 'b', 'example'] as const) ports[name] = await freePort();
    script = spawn(process.execPath, ['--import', 'tsx', 'examples/cluster/start.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: fresh.url,
        CLUSTER_PORT: String(ports.cluster), NODE_A_PORT: String(ports.a), NODE_B_PORT: String(ports.b),
        EXAMPLE_PORT: String(ports.example),
        ADMIN_PASSWORD,
        SESSION_RATE_LIMIT_PER_ADDRESS: '3',
        LOG_LEVEL: 'warn',
      },
    });
    exited = new Promise((resolve) => script.once('exit', (code) => resolve(code)));
    script.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: script.stdout! }).on('line', (line) => {
        output += `${line}\n`;
        const match = /^\[cluster\] pids: a=(\d+) b=(\d+) nginx=(\d+)/.exec(line);
        if (match) {
          Object.assign(pids, { a: Number(match[1]), b: Number(match[2]), nginx: Number(match[3]) });
          resolve();
        }
        siteKey ||= /data-site="([^"]+)"/.exec(line)?.[1] ?? '';
      });
      void exited.then((code) => reject(new Error(`the start script exited (${code}):\n${output}`)));
    });
    await ready;
  }, 180_000);

  afterAll(async () => {
    for (const client of clients) client.socket.close();
    if (script && isRunning(script.pid!)) {
      script.kill('SIGKILL');
      for (const pid of Object.values(pids)) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    }
    await fresh?.drop();
  });

  /** parley_websocket_connections of one role, read on one node directly (not through nginx). */
  async function connections(node: 'a' | 'b', role: 'visitor' | 'agent'): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${ports[node]}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`parley_websocket_connections{role="${role}"} `));
    return Number(line?.split(' ')[1] ?? 0);
  }

  async function connect(token: string, origin?: string): Promise<TestClient> {
    const socket = new WebSocket(`ws://127.0.0.1:${ports.cluster}${WS_PATH}`, [PROTOCOL, token], origin ? { origin } : {});
    const client = new TestClient(socket);
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  it('answers /readyz through nginx, with the database and Redis both up', async () => {
    const response = await fetch(`${base()}/readyz`);
    expect(response.headers.get('server')).toMatch(/^nginx/);
    expect(await response.json()).toEqual({ ok: true, checks: { database: 'ok', redis: 'ok' } });
  });

  it('carries a visitor and an agent on different nodes through the upgrade, messages both ways', async () => {
    expect(siteKey).toMatch(/^site_/);
    const session = await postFrom('127.0.0.1', `${base()}/api/widget/session?site=${siteKey}`, {}, { origin: shopOrigin() });
    expect(session.status).toBe(200);
    const visitor = await connect(String(session.body.token), shopOrigin());
    await visitor.ready('visitor');
    const visitorNode = (await connections('a', 'visitor')) === 1 ? 'a' : 'b';
    expect(await connections(visitorNode, 'visitor')).toBe(1);
    const otherNode = visitorNode === 'a' ? 'b' : 'a';

    const login = await postFrom('127.0.0.1', `${base()}/api/v1/auth/login`, { email: 'admin@example.com', password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    // Round robin over every request: an agent socket lands on the other node within two tries.
    let agent: TestClient | undefined;
    for (let attempt = 0; attempt < 2 && !agent; attempt++) {
      const candidate = await connect(String(login.body.token));
      await candidate.ready('agent');
      if (await connections(otherNode, 'agent') === 1) agent = candidate;
      else candidate.socket.close();
    }
    expect(agent, 'no agent socket reached the node without the visitor: is nginx balancing?').toBeDefined();

    visitor.send({ type: 'message.send', clientId: randomUUID(), body: 'Hello from node ' + visitorNode });
    const ack = await visitor.next('ack');
    const incoming = await agent!.next('message', (frame) => frame.message.conversationId === ack.conversationId);
    expect(incoming.message).toMatchObject({ body: `Hello from node ${visitorNode}`, authorKind: 'visitor' });
    agent!.send({ type: 'message.send', conversationId: ack.conversationId, clientId: randomUUID(), body: `Hello from node ${otherNode}` });
    const reply = await visitor.next('message', (frame) => frame.message.authorKind === 'agent');
    expect(reply.message.body).toBe(`Hello from node ${otherNode}`);
  });

  it('believes the client address nginx forwards, not one the client makes up', async () => {
    // SESSION_RATE_LIMIT_PER_ADDRESS=3, counted on Redis by both nodes: round robin spreads the
    // three over both, and the fourth from the same address is refused.
    const session = (from: string, headers: Record<string, string> = {}) =>
      postFrom(from, `${base()}/api/widget/session?site=${siteKey}`, {}, { origin: shopOrigin(), ...headers });
    for (let i = 0; i < 3; i++) expect((await session('127.0.0.2')).status).toBe(200);
    expect((await session('127.0.0.2')).status).toBe(429);
    // Were the nodes to count nginx's own address, this client would be refused too.
    expect((await session('127.0.0.3')).status).toBe(200);
    // nginx appends the real address; the forged one before it is not from a trusted proxy.
    expect((await session('127.0.0.2', { 'x-forwarded-for': '198.51.100.7' })).status).toBe(429);
  });

  it('stops nginx and both nodes on SIGTERM, leaving no process behind', async () => {
    const workers = execFileSync('pgrep', ['-P', String(pids.nginx)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(workers.length).toBeGreaterThan(0);
    const everyPid = [...Object.values(pids), ...workers];
    expect(everyPid.every(isRunning)).toBe(true);
    for (const client of clients) client.socket.close();
    script.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(everyPid.filter(isRunning)).toEqual([]);
    const refused = await fetch(`${base()}/readyz`).then(() => false, () => true);
    expect(refused).toBe(true);
  });
});
