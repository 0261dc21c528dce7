// Parley nodes as child processes (test/chaos/server-child.ts) that a test can SIGKILL or SIGTERM
// and start again on the same port and data; several of them share one PostgreSQL database and one
// Redis prefix, as the nodes of a cluster behind a load balancer do.
//
//   const cluster = await clusterEnv({ scratch, fixtures: { accounts: 2, agentsPerAccount: 1, origin } });
//   const a = new NodeProcess(cluster.nodeEnv(await freePort()), 'A');
//   await a.start();                   // the first node creates the fixtures…
//   const fixtures = cluster.fixtures();
//   const b = new NodeProcess(cluster.nodeEnv(await freePort()), 'B');
//   await b.start();                   // …the others reuse them
//   await a.stop('SIGTERM'); await a.start();
//   …; await cluster.close();          // after every node has stopped
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WS_PATH } from '../../protocol/index.ts';
import { READY_LINE, type ChaosFixtures } from '../chaos/server-child.ts';
import { createTestDatabase, driver, useRedis } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD_ENTRY = fileURLToPath(new URL('../chaos/server-child.ts', import.meta.url));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function waitFor(condition: () => boolean, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

export interface ClusterEnv {
  /** Several nodes can share the data: PostgreSQL (and Redis, when the suite has it), not PGlite. */
  readonly shared: boolean;
  /** The database the nodes write to, for the test's own checks; PGlite's is the DATA_DIR. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string | undefined;
  /** One node's environment: the shared part and its own port. */
  nodeEnv(port: number, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** What the first node created; read after it is ready. */
  fixtures(): ChaosFixtures;
  /** Drops the PostgreSQL database; call after every node has stopped. */
  close(): Promise<void>;
}

/**
 * The environment every node of one test shares: a fresh PostgreSQL database and a Redis prefix of
 * its own in the postgres project, a PGlite directory under `scratch` (one node only) otherwise; a
 * fixed SECRET so tokens outlive restarts and work on every node; one FIXTURES_FILE.
 */
export async function clusterEnv(options: {
  scratch: string;
  fixtures: { accounts: number; agentsPerAccount: number; origin: string };
  env?: NodeJS.ProcessEnv;
}): Promise<ClusterEnv> {
  const fixturesFile = join(options.scratch, 'fixtures.json');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SECRET: randomBytes(32).toString('hex'),
    FIXTURES_FILE: fixturesFile,
    ACCOUNTS: String(options.fixtures.accounts),
    AGENTS_PER_ACCOUNT: String(options.fixtures.agentsPerAccount),
    ORIGIN: options.fixtures.origin,
    ...options.env,
  };
  // The pglite project runs with DATABASE_URL set too when CI runs every driver.
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.DATA_DIR;
  delete env.PORT;
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let dataDir: string | undefined;
  if (driver === 'postgres') {
    database = await createTestDatabase();
    // The nodes open their own connections; this one is not needed.
    env.DATABASE_URL = database.url;
    if (useRedis) {
      env.REDIS_URL = process.env.REDIS_URL;
      env.REDIS_PREFIX = `parley-cluster-${randomBytes(4).toString('hex')}:`;
    }
  } else {
    dataDir = join(options.scratch, 'pgdata');
    env.DATA_DIR = dataDir;
  }
  return {
    shared: driver === 'postgres' && useRedis,
    databaseUrl: database?.url,
    dataDir,
    nodeEnv: (port, extra = {}) => ({ ...env, ...extra, PORT: String(port) }),
    fixtures: () => JSON.parse(readFileSync(fixturesFile, 'utf8')) as ChaosFixtures,
    close: async () => { await database?.close(); },
  };
}

/** One node: a child process this test can kill -9 or SIGTERM and start again on the same port and data. */
export class NodeProcess {
  private child: ChildProcess | null = null;
  private output = '';
  private expectingExit = false;
  readonly unexpectedExits: string[] = [];
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;

  constructor(private readonly env: NodeJS.ProcessEnv, readonly name = 'server') {
    this.port = Number(env.PORT);
    if (!this.port) throw new Error('NodeProcess needs PORT in its env');
    this.httpUrl = `http://127.0.0.1:${this.port}`;
    this.wsUrl = `ws://127.0.0.1:${this.port}${WS_PATH}`;
  }

  /** The child's stderr and stdout, newest last: what to show when something goes wrong. */
  get log(): string {
    return this.output.slice(-8000);
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD_ENTRY], {
      cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.expectingExit = false;
    const remember = (chunk: Buffer) => { this.output = (this.output + chunk.toString()).slice(-64_000); };
    child.stderr!.on('data', remember);
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start in time:\n${this.log}`)), 60_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        remember(chunk);
        stdout += chunk.toString();
        if (stdout.includes(READY_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited before it was ready (${code ?? signal}):\n${this.log}`));
      });
    });
    child.once('exit', (code, signal) => {
      if (!this.expectingExit) this.unexpectedExits.push(`${this.name} exited by itself (${code ?? signal}):\n${this.log}`);
    });
  }

  /** Sends the signal and waits for the exit; a child that ignores SIGTERM is killed after a while. */
  async stop(signal: 'SIGKILL' | 'SIGTERM', timeoutMs = 15_000): Promise<{ code: number | null; signal: string | null }> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return { code: child?.exitCode ?? null, signal: child?.signalCode ?? null };
    }
    this.expectingExit = true;
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal })));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const result = await exited;
    clearTimeout(timer);
    this.child = null;
    return result;
  }
}
