// Starting a server under test as a child process pinned to the server core, and reading its
// numbers: CPU time from /proc (exact even when its event loop is saturated), memory and
// event-loop delay over IPC.
import { fileURLToPath } from 'node:url';
import { BenchChild, cpuPlan, cpuSecondsOf } from '../lib/processes.ts';
import type { ServerKind, Target } from '../clients.ts';
import type { ServerStats } from './reporter.ts';
import { BENCH_ORIGIN } from '../parley-fixtures.ts';

export const SERVER_LABELS: Record<ServerKind, string> = { parley: 'Parley', ws: 'bare ws', socketio: 'socket.io' };

const scripts: Record<ServerKind, string> = {
  parley: fileURLToPath(new URL('./parley.ts', import.meta.url)),
  ws: fileURLToPath(new URL('./ws-relay.ts', import.meta.url)),
  socketio: fileURLToPath(new URL('./socketio.ts', import.meta.url)),
};

export class ServerUnderTest {
  private constructor(readonly kind: ServerKind, readonly child: BenchChild, readonly target: Target,
    /** What the server said about itself when it started, e.g. which rate limits it raised. */
    readonly info: Record<string, unknown>,
    /** The PostgreSQL database it uses (Parley), whose backends' CPU is billed to it. */
    readonly databaseName: string | null) {}

  static async start(kind: ServerKind, options: { databaseUrl?: string } = {}): Promise<ServerUnderTest> {
    if (kind === 'parley' && !options.databaseUrl) throw new Error('Parley needs a database URL');
    const child = new BenchChild(kind, scripts[kind], {
      cores: cpuPlan.server,
      // --expose-gc: the idle-memory scenario measures after a full collection.
      nodeArgs: ['--expose-gc'],
      env: options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {},
    });
    try {
      const { port, info } = await child.waitFor<{ type: 'listening'; port: number; info: Record<string, unknown> }>('listening');
      const databaseName = options.databaseUrl ? new URL(options.databaseUrl).pathname.slice(1) : null;
      return new ServerUnderTest(kind, child, { kind, port, ...(kind === 'parley' ? { origin: BENCH_ORIGIN } : {}) }, info, databaseName);
    } catch (error) {
      await child.stop();
      throw error;
    }
  }

  async stats(options: { gc?: boolean; resetEventLoopDelay?: boolean } = {}): Promise<ServerStats> {
    const reply = await this.child.request<{ type: 'stats'; stats: ServerStats }>({ type: 'stats', ...options });
    return reply.stats;
  }

  async cpuSeconds(): Promise<number> {
    return cpuSecondsOf(this.child.pid) ?? (await this.stats()).cpuUs / 1e6;
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

  startProfile(): Promise<unknown> {
    return this.child.request({ type: 'profile.start' });
  }

  stopProfile(file: string): Promise<unknown> {
    return this.child.request({ type: 'profile.stop', file });
  }

  writeHeapSnapshot(file: string): Promise<unknown> {
    return this.child.request({ type: 'heap.snapshot', file }, 600_000);
  }

  async stop(): Promise<void> {
    await this.child.request({ type: 'shutdown' }, 15_000).catch(() => {});
    await this.child.stop();
  }
}
