// The IPC side every bench server shares: it announces its port, answers `stats` (memory, CPU,
// event-loop delay, optionally after a full GC), records a CPU profile or writes a heap snapshot
// on request (the evidence behind BENCHMARKS.md), and shuts down
// when told to or when the orchestrator goes away, so a crashed bench leaves no server behind.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { writeFileSync, mkdirSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { dirname } from 'node:path';

export interface ServerStats {
  rssBytes: number;
  heapUsedBytes: number;
  /** Heap pages V8 holds, used or not: RSS minus this is native memory (sockets, buffers). */
  heapTotalBytes: number;
  externalBytes: number;
  cpuUs: number;
  /** Event-loop delay since the previous reset, in ms: high means the server is CPU-bound. */
  eventLoopDelay: { meanMs: number; p50Ms: number; p99Ms: number; maxMs: number };
}

type Command = { id: number; type: 'stats'; gc?: boolean; resetEventLoopDelay?: boolean }
  | { id: number; type: 'profile.start' }
  | { id: number; type: 'profile.stop'; file: string }
  | { id: number; type: 'heap.snapshot'; file: string }
  | { id: number; type: 'shutdown' };

const gc = (globalThis as { gc?: () => void }).gc;
/** The histogram records whole timer intervals; the resolution is subtracted to leave the delay. */
const ELD_RESOLUTION_MS = 10;
const delayMs = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);

export function serveBenchCommands(name: string, close: () => Promise<void>): (port: number, info?: Record<string, unknown>) => void {
  if (!process.send) throw new Error(`${name} is a bench child: start it through bench/run.ts`);
  const delay = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  delay.enable();
  let profiler: Session | null = null;
  let closing: Promise<void> | null = null;

  const shutdown = () => {
    closing ??= close().catch((error: unknown) => console.error(`${name}: close failed`, error)).finally(() => process.exit(0));
    return closing;
  };
  process.on('disconnect', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());

  const reply = (message: Record<string, unknown>) => process.send?.(message);

  process.on('message', async (command: Command) => {
    try {
      switch (command.type) {
        case 'stats': {
          if (command.gc && gc) {
            // Twice: the first pass can leave garbage that only a second one finds (weak refs, finalizers).
            gc();
            await new Promise((resolve) => setImmediate(resolve));
            gc();
          }
          const memory = process.memoryUsage();
          const cpu = process.cpuUsage();
          const stats: ServerStats = {
            rssBytes: memory.rss,
            heapUsedBytes: memory.heapUsed,
            heapTotalBytes: memory.heapTotal,
            externalBytes: memory.external,
            cpuUs: cpu.user + cpu.system,
            eventLoopDelay: {
              meanMs: delayMs(delay.mean),
              p50Ms: delayMs(delay.percentile(50)),
              p99Ms: delayMs(delay.percentile(99)),
              maxMs: delayMs(delay.max),
            },
          };
          if (command.resetEventLoopDelay) delay.reset();
          return reply({ type: 'stats', id: command.id, stats });
        }
        case 'profile.start':
          profiler = new Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.start');
          return reply({ type: 'ok', id: command.id });
        case 'profile.stop': {
          if (!profiler) throw new Error('no profile running');
          const { profile } = await profiler.post('Profiler.stop');
          profiler.disconnect();
          profiler = null;
          mkdirSync(dirname(command.file), { recursive: true });
          writeFileSync(command.file, JSON.stringify(profile));
          return reply({ type: 'ok', id: command.id });
        }
        case 'heap.snapshot':
          mkdirSync(dirname(command.file), { recursive: true });
          writeHeapSnapshot(command.file);
          return reply({ type: 'ok', id: command.id });
        case 'shutdown':
          reply({ type: 'ok', id: command.id });
          return void shutdown();
      }
    } catch (error) {
      reply({ type: 'error', id: command.id, message: error instanceof Error ? error.message : String(error) });
    }
  });

  return (port, info = {}) => reply({ type: 'listening', port, info });
}
