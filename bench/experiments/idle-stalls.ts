// Event-loop stalls of an idle server holding many connections: nothing is sent, so any delay is
// the server's own periodic work (for Parley, the heartbeat that pings every connection at once).
// Not part of `npm run bench`.
//
// Usage: DATABASE_URL=… tsx bench/experiments/idle-stalls.ts [parley|ws|socketio] [connections=15000] [seconds=60]
import { GeneratorPool } from '../generators.ts';
import { ServerUnderTest } from '../servers/launch.ts';
import { createBenchDatabase, seedPairs } from '../parley-fixtures.ts';
import { cpuPlan, stopAll } from '../lib/processes.ts';
import type { PairSpec, ServerKind } from '../clients.ts';

const kind = (process.argv[2] ?? 'parley') as ServerKind;
const connections = Number(process.argv[3] ?? 15_000);
const seconds = Number(process.argv[4] ?? 60);
const baseUrl = process.env.DATABASE_URL;
if (kind === 'parley' && !baseUrl) throw new Error('set DATABASE_URL');

const database = kind === 'parley' ? await createBenchDatabase(baseUrl!) : null;
const generators = await GeneratorPool.start(cpuPlan.generatorCount);
try {
  const count = Math.ceil(connections / 2);
  const pairs: PairSpec[] = database
    ? (await seedPairs(database, count)).map((pair, i) => ({ key: `p${i}`, ...pair }))
    : Array.from({ length: count }, (_, i) => ({ key: `p${i}` }));
  const server = await ServerUnderTest.start(kind, database ? { databaseUrl: database.url } : {});
  await generators.connect(server.target, pairs);
  await server.settle();
  await server.stats({ resetEventLoopDelay: true });
  let cpu = await server.cpuSeconds();
  for (let elapsed = 10; elapsed <= seconds; elapsed += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const { eventLoopDelay } = await server.stats({ resetEventLoopDelay: true });
    const now = await server.cpuSeconds();
    console.log(`${kind} ${connections} idle connections, ${elapsed - 10}–${elapsed} s: longest stall ${eventLoopDelay.maxMs.toFixed(1)} ms, ` +
      `p99 ${eventLoopDelay.p99Ms.toFixed(1)} ms, CPU ${(now - cpu).toFixed(2)} s`);
    cpu = now;
  }
  await generators.close();
  await server.stop();
} finally {
  await generators.stop();
  await database?.drop();
  await stopAll();
}
