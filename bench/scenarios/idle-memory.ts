// Idle memory: what holding a connection costs the server. A fresh server process warms up
// (a few pairs connect and leave, so lazily loaded code and JIT are not billed to connections),
// then RSS is read after a full GC, N idle connections are opened (N/2 pairs, authenticated and
// subscribed for Parley), and RSS is read again after a GC. The difference per connection is the
// figure; heap is reported next to it because RSS also holds freed-but-kept pages.
import type { PairSpec } from '../clients.ts';
import type { GeneratorPool } from '../generators.ts';
import type { ServerUnderTest } from '../servers/launch.ts';

export interface IdleMemoryResult {
  connections: number;
  failed: number;
  connectSeconds: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerConnectionBytes: number;
  heapPerConnectionBytes: number;
  /** Heap pages held (used or not) per connection: the part of RSS growth that is V8's. */
  heapTotalPerConnectionBytes: number;
}

const WARMUP_PAIRS = 50;

/**
 * `heapSnapshots`: a file prefix for snapshots before and after, for diagnosis. Writing the first
 * one grows the process, so such a run overstates RSS per connection; the heap figures hold.
 */
export async function runIdleMemory(server: ServerUnderTest, generators: GeneratorPool, pairs: PairSpec[],
  heapSnapshots?: string): Promise<IdleMemoryResult> {
  const warmup = pairs.slice(0, WARMUP_PAIRS);
  const held = pairs.slice(WARMUP_PAIRS);
  await generators.connect(server.target, warmup);
  await generators.close();
  await server.settle();
  const before = await server.stats({ gc: true });
  if (heapSnapshots) await server.writeHeapSnapshot(`${heapSnapshots}-before.heapsnapshot`);

  const connected = await generators.connect(server.target, held);
  if (connected.connected === 0) throw new Error(`no idle connection could be opened: ${connected.firstError ?? 'unknown error'}`);
  // Let deferred work finish (presence fan-out, Nagle-delayed writes) before reading.
  await server.settle();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await server.stats({ gc: true });
  // With the connections still open: what each one keeps alive, by constructor.
  if (heapSnapshots) await server.writeHeapSnapshot(`${heapSnapshots}-after.heapsnapshot`);
  await generators.close();

  const connections = connected.connected * 2;
  return {
    connections,
    failed: connected.failed * 2,
    connectSeconds: Math.round(connected.seconds * 10) / 10,
    rssBeforeBytes: before.rssBytes,
    rssAfterBytes: after.rssBytes,
    rssPerConnectionBytes: Math.round((after.rssBytes - before.rssBytes) / connections),
    heapPerConnectionBytes: Math.round((after.heapUsedBytes - before.heapUsedBytes) / connections),
    heapTotalPerConnectionBytes: Math.round((after.heapTotalBytes - before.heapTotalBytes) / connections),
  };
}

/** Pairs needed for `connections` held idle plus the warm-up. */
export function idlePairsNeeded(connections: number): number {
  return Math.ceil(connections / 2) + WARMUP_PAIRS;
}
