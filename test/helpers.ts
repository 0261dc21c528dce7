// Shared test helpers: a real listening server on a real database (PGlite, or a fresh PostgreSQL
// database when the suite runs in the postgres project), tenants, and a WebSocket client that
// waits for frames.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import postgres from 'postgres';
import WebSocket from 'ws';
import { openDb, schema, type Database } from '../db/index.ts';
import { buildApp, type AppDeps } from '../server/app.ts';
import { testConfig, type Config } from '../server/config.ts';
import { hashPassword } from '../server/services/passwords.ts';
import { newSiteKey, DEFAULT_WIDGET_SETTINGS } from '../server/services/bootstrap.ts';
import { PROTOCOL, WS_PATH, type ServerFrame, type ClientFrame } from '../protocol/index.ts';
import type { Presence } from '../server/services/presence.ts';

export const driver = process.env.PARLEY_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
export const useRedis = driver === 'postgres' && Boolean(process.env.REDIS_URL);

/** A database of its own for one test file: PGlite in memory, or a new PostgreSQL database. */
export async function createTestDatabase(): Promise<Database & { url?: string }> {
  if (driver === 'pglite') return openDb();
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) throw new Error('PARLEY_TEST_DB=postgres needs DATABASE_URL');
  const name = `parley_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const database = await openDb({ url: url.toString(), maxConnections: 10 });
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      const cleanup = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

export const PASSWORD = 'correct horse battery staple';

export interface Tenant {
  accountId: string;
  site: schema.Site;
  owner: schema.Agent;
}

/** An account with one site (allowing `origins`) and one owner whose password is PASSWORD. */
export async function createTenant(database: Database, origins: string[], label = randomBytes(3).toString('hex')): Promise<Tenant> {
  const { db } = database;
  const [account] = await db.insert(schema.accounts).values({ name: `Account ${label}` }).returning();
  const [site] = await db.insert(schema.sites).values({
    accountId: account!.id, publicKey: newSiteKey(), name: `Site ${label}`,
    allowedOrigins: origins, widgetSettings: DEFAULT_WIDGET_SETTINGS,
  }).returning();
  const owner = await addAgent(database, account!.id, `owner-${label}@example.com`, 'owner');
  return { accountId: account!.id, site: site!, owner };
}

let cachedHash: Promise<string> | undefined;
export async function addAgent(database: Database, accountId: string, email: string, role: 'owner' | 'admin' | 'agent' = 'agent'): Promise<schema.Agent> {
  cachedHash ??= hashPassword(PASSWORD);
  const [agent] = await database.db.insert(schema.agents).values({
    accountId, email, name: email.split('@')[0]!, passwordHash: await cachedHash, role,
  }).returning();
  return agent!;
}

export interface TestServer {
  app: FastifyInstance;
  database: Database;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** buildApp on a real port of 127.0.0.1, with the Redis broker when the suite runs with Redis. */
export async function startServer(options: {
  config?: Partial<Config>; database?: Database; port?: number;
  logStream?: AppDeps['logStream'];
  /** With Redis: nodes given the same prefix share the bus and presence, as one cluster. */
  redisPrefix?: string;
  /** With Redis: reach it here instead of REDIS_URL (a test's proxy that can cut it off). */
  redisUrl?: string;
  /** Without Redis: nodes in one process given the same presence agree on who is online. */
  presence?: Presence;
  /** Called before listening: a test's extra routes or hooks. */
  setup?: (app: FastifyInstance) => void;
} = {}): Promise<TestServer> {
  const database = options.database ?? await createTestDatabase();
  const redis = useRedis ? { url: options.redisUrl ?? process.env.REDIS_URL!, prefix: options.redisPrefix ?? `parley-test-${randomBytes(4).toString('hex')}:` } : undefined;
  const app = await buildApp(testConfig(options.config), {
    db: database.db, ...(redis ? { redis } : {}), ...(options.logStream ? { logStream: options.logStream } : {}),
    ...(options.presence && !redis ? { presence: options.presence } : {}),
  });
  options.setup?.(app);
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    database,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}${WS_PATH}`,
    async close() {
      await app.close();
      if (!options.database) await database.close();
    },
  };
}

export async function post<T = unknown>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() as T };
}

export async function get<T = unknown>(url: string, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: await response.json() as T };
}

export async function loginAgent(server: TestServer, email: string): Promise<string> {
  const { status, body } = await post<{ token: string }>(`${server.url}/api/v1/auth/login`, { email, password: PASSWORD });
  if (status !== 200) throw new Error(`login failed: ${status} ${JSON.stringify(body)}`);
  return body.token;
}

export async function visitorSession(server: TestServer, site: schema.Site, origin = site.allowedOrigins[0]!, token?: string) {
  const { status, body } = await post<{ token: string; visitorId: string }>(
    `${server.url}/api/widget/session?site=${encodeURIComponent(site.publicKey)}`, token ? { token } : {}, { origin });
  if (status !== 200) throw new Error(`session failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

/** A real WebSocket client that records every frame and can wait for the next one matching a test. */
export class TestClient {
  readonly frames: ServerFrame[] = [];
  private waiters: { match: (frame: ServerFrame) => boolean; resolve: (frame: ServerFrame) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ServerFrame;
      this.frames.push(frame);
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async connect(server: Pick<TestServer, 'wsUrl'>, options: { token?: string; origin?: string; tokenIn?: 'header' | 'frame' } = {}): Promise<TestClient> {
    const protocols = options.token && options.tokenIn !== 'frame' ? [PROTOCOL, options.token] : [];
    const socket = new WebSocket(server.wsUrl, protocols, options.origin ? { origin: options.origin } : {});
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    if (options.token && options.tokenIn === 'frame') client.send({ type: 'auth', token: options.token });
    return client;
  }

  send(frame: ClientFrame | Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** The first frame of this type (and matching `where`) not yet consumed by an earlier next(). */
  next<T extends ServerFrame['type']>(type: T, where: (frame: FrameOf<T>) => boolean = () => true, timeoutMs = 10_000): Promise<FrameOf<T>> {
    const match = (frame: ServerFrame) => frame.type === type && where(frame as FrameOf<T>);
    for (let i = 0; i < this.frames.length; i++) {
      const frame = this.frames[i]!;
      if (match(frame)) {
        this.frames.splice(i, 1);
        return Promise.resolve(frame as FrameOf<T>);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}; got ${JSON.stringify(this.frames.map((f) => f.type))}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(frame), 1);
          resolve(frame as FrameOf<T>);
        },
      });
    });
  }

  /** The `ready` frame, typed for the expected role. */
  async ready<R extends 'visitor' | 'agent'>(role: R): Promise<Extract<ServerFrame, { type: 'ready'; role: R }>> {
    const frame = await this.next('ready');
    if (frame.role !== role) throw new Error(`expected a ${role} ready frame, got ${frame.role}`);
    return frame as Extract<ServerFrame, { type: 'ready'; role: R }>;
  }

  close(): void {
    this.socket.close();
  }
}
