// Starting a server under test as child processes pinned to the server core, and reading its
// numbers: CPU time from /proc (exact even when its event loop is saturated), memory and
// event-loop delay over IPC. A multi-node server (`parley2`) is several such children behind a
// TCP balancer (lib/tcp-balancer.ts); its figures are the nodes' together.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BenchChild, cpuPlan, cpuSecondsOf } from '../lib/processes.ts';
import type { Protocol, ServerKind, Target } from '../clients.ts';
import type { ServerStats } from './reporter.ts';
import { BENCH_ORIGIN } from '../parley-fixtures.ts';

export const SERVER_LABELS: Record<ServerKind, string> = {
  parley: 'Parley', parley2: 'Parley ×2 nodes', ws: 'bare ws', socketio: 'socket.io', 'socketio-pg': 'socket.io + INSERT',
};

interface ServerSpec {
  script: string;
  protocol: Protocol;
  nodes: number;
  needsDatabase: boolean;
  needsRedis: boolean;
}

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const parley = { script: script('./parley.ts'), protocol: 'parley', needsDatabase: true } as const;
const specs: Record<ServerKind, ServerSpec> = {
  parley: { ...parley, nodes: 1, needsRedis: false },
  parley2: { ...parley, nodes: 2, needsRedis: true },
  ws: { script: script('./ws-relay.ts'), protocol: 'ws', nodes: 1, needsDatabase: false, needsRedis: false },
  socketio: { script: script('./socketio.ts'), protocol: 'socketio', nodes: 1, needsDatabase: false, needsRedis: false },
  'socketio-pg': { script: script('./socketio-pg.ts'), protocol: 'socketio', nodes: 1, needsDatabase: true, needsRedis: false },
};
const balancerScript = fileURLToPath(new URL('../lib/tcp-balancer.ts', import.meta.url));

/** What a server needs besides itself: `npm run bench` skips the ones whose services are not configured. */
export function requirementsOf(kind: ServerKind): { database: boolean; redis: boolean } {
  return { database: specs[kind].needsDatabase, redis: specs[kind].needsRedis };
}

export class ServerUnderTest {
  private constructor(readonly kind: ServerKind, readonly nodes: BenchChild[], readonly balancer: BenchChild | null,
    readonly target: Target,
    /** What the server said about itself when it started, e.g. which rate limits it raised. */
    readonly info: Record<string, unknown>,
    /** The PostgreSQL database it uses, whose backends' CPU is billed to it. */
    readonly databaseName: string | null) {}

  static async start(kind: ServerKind, options: { databaseUrl?: string; redisUrl?: string } = {}): Promise<ServerUnderTest> {
    const spec = specs[kind];
    if (spec.needsDatabase && !options.databaseUrl) throw new Error(`${SERVER_LABELS[kind]} needs a database URL`);
    if (spec.needsRedis && !options.redisUrl) throw new Error(`${SERVER_LABELS[kind]} needs a Redis URL`);
    const env: NodeJS.ProcessEnv = {
      ...(spec.needsDatabase ? { DATABASE_URL: options.databaseUrl } : {}),
      // Every node of this start on one prefix of its own: the Redis server may be shared.
      ...(spec.needsRedis ? { BENCH_REDIS_URL: options.redisUrl, BENCH_REDIS_PREFIX: `parley-bench-${randomBytes(4).toString('hex')}:` } : {}),
    };
    // Every node on the server core: a two-node run has the CPU a one-node run has, so it
    // measures what crossing nodes costs, not what a second core would add.
    const nodes = Array.from({ length: spec.nodes }, (_, i) => new BenchChild(spec.nodes > 1 ? `${kind}-${i}` : kind, spec.script, {
      cores: cpuPlan.server,
      // --expose-gc: the idle-memory scenario measures after a full collection.
      nodeArgs: ['--expose-gc'],
      env,
    }));
    let balancer: BenchChild | null = null;
    try {
      const listening = await Promise.all(nodes.map((node) =>
        node.waitFor<{ type: 'listening'; port: number; info: Record<string, unknown> }>('listening')));
      let port = listening[0]!.port;
      let info = listening[0]!.info;
      if (nodes.length > 1) {
        // The balancer is not the server: it runs beside the generators, as it would on a machine of its own.
        balancer = new BenchChild('tcp-balancer', balancerScript, {
          cores: cpuPlan.generators,
          env: { BENCH_BACKENDS: listening.map((node) => node.port).join(',') },
        });
        const announced = await balancer.waitFor<{ type: 'listening'; port: number; info: Record<string, unknown> }>('listening');
        port = announced.port;
        info = { ...info, nodes: nodes.length, balancer: announced.info };
      }
      const databaseName = spec.needsDatabase ? new URL(options.databaseUrl!).pathname.slice(1) : null;
      const target: Target = {
        protocol: spec.protocol, port,
        ...(spec.protocol === 'parley' ? { origin: BENCH_ORIGIN } : {}),
        ...(nodes.length > 1 ? { splitPairs: true } : {}),
      };
      return new ServerUnderTest(kind, nodes, balancer, target, info, databaseName);
    } catch (error) {
      await Promise.all([...nodes, ...(balancer ? [balancer] : [])].map((child) => child.stop()));
      throw error;
    }
  }

  /** The nodes' figures together: memory and CPU summed, event-loop delay the worst node's. */
  async stats(options: { gc?: boolean; resetEventLoopDelay?: boolean } = {}): Promise<ServerStats> {
    const replies = await Promise.all(this.nodes.map((node) => node.request<{ type: 'stats'; stats: ServerStats }>({ type: 'stats', ...options })));
    const all = replies.map((reply) => reply.stats);
    const sum = (field: 'rssBytes' | 'heapUsedBytes' | 'heapTotalBytes' | 'externalBytes' | 'cpuUs') =>
      all.reduce((total, stats) => total + stats[field], 0);
    const worst = (field: keyof ServerStats['eventLoopDelay']) => Math.max(...all.map((stats) => stats.eventLoopDelay[field]));
    return {
      rssBytes: sum('rssBytes'), heapUsedBytes: sum('heapUsedBytes'), heapTotalBytes: sum('heapTotalBytes'),
      externalBytes: sum('externalBytes'), cpuUs: sum('cpuUs'),
      eventLoopDelay: { meanMs: worst('meanMs'), p50Ms: worst('p50Ms'), p99Ms: worst('p99Ms'), maxMs: worst('maxMs') },
    };
  }

  async cpuSeconds(): Promise<number> {
    const fromProc = this.nodes.map((node) => cpuSecondsOf(node.pid));
    if (fromProc.every((seconds) => seconds !== null)) return fromProc.reduce((total, seconds) => total + seconds!, 0);
    return (await this.stats()).cpuUs / 1e6;
  }

  /** CPU seconds of the balancer in front of the nodes, if any (not the server's, not the generators'). */
  balancerCpuSeconds(): number | null {
    return this.balancer ? cpuSecondsOf(this.balancer.pid) : null;
  }

  /** Waits until the server has worked off any backlog (under 10% of a core for 200 ms), at most 60 s. */
  async settle(): Promise<void> {
    const deadline = Date.now() + 60_000;
    let before = await this.cpuSeconds();
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = await this.cpuSeconds();
      if (now - before < 0.02) return;
      before = now;
    }
  }

  // Profiles and heap snapshots are of the first node: the nodes run the same code.

  startProfile(): Promise<unknown> {
    return this.nodes[0]!.request({ type: 'profile.start' });
  }

  stopProfile(file: string): Promise<unknown> {
    return this.nodes[0]!.request({ type: 'profile.stop', file });
  }

  writeHeapSnapshot(file: string): Promise<unknown> {
    return this.nodes[0]!.request({ type: 'heap.snapshot', file }, 600_000);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => {
      await node.request({ type: 'shutdown' }, 15_000).catch(() => {});
      await node.stop();
    }));
    if (this.balancer) {
      await this.balancer.request({ type: 'shutdown' }, 15_000).catch(() => {});
      await this.balancer.stop();
    }
  }
}
