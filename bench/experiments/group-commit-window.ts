// How well server/services/message-store.ts groups commits under a steady (open-loop) rate, as a
// server sees it, for its shipped setting and for two fixed ones (SETTINGS). The closed-loop write
// path in `npm run bench` makes big batches by construction (1,000 writers all waiting); a real
// stream of messages does not, and this shows what that costs. Not part of `npm run bench`.
//
// Usage: DATABASE_URL=… tsx bench/experiments/group-commit-window.ts [rates=2000,4000,8000]
import { performance } from 'node:perf_hooks';
import { createBenchDatabase, seedPairs, type SeededPair } from '../parley-fixtures.ts';
import { LatencyHistogram } from '../lib/histogram.ts';
import { postgresCpuSeconds } from '../lib/processes.ts';
import { openDb, type Db } from '../../db/index.ts';
import { MessageStore, type StoreOptions } from '../../server/services/message-store.ts';

const rates = (process.argv[2] ?? '2000,4000,8000').split(',').map(Number);
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) throw new Error('set DATABASE_URL');
const BODY = 'Hi! I ordered the blue one last week and it has not arrived yet, can you check?';
const WARMUP_MS = 1_000;

interface Setting { name: string; options: Partial<StoreOptions> }
const SETTINGS: Setting[] = [
  { name: 'as shipped (1 in flight, up to 4 on a backlog of 16)', options: {} },
  { name: 'always up to 4 in flight', options: { backlog: 0 } },
  { name: 'always 1 in flight', options: { maxInFlight: 1 } },
];
const DURATION_MS = 6_000;

const database = await createBenchDatabase(baseUrl);
try {
  const pairs = await seedPairs(database, 2_000);
  const product = await openDb({ url: database.url, maxConnections: 10 });
  for (const rate of rates) {
    for (const setting of SETTINGS) await measure(product.db, pairs, rate, setting);
  }
  await product.close();
} finally {
  await database.drop();
}

/** Appends at `rate` msg/s, each on its schedule whatever earlier ones do, for DURATION_MS. */
async function measure(db: Db, pairs: SeededPair[], rate: number, setting: Setting): Promise<void> {
  const store = new MessageStore(db, setting.options);
  // Count statements: writeBatch is private, so it is wrapped on this instance only.
  let batches = 0;
  const internals = store as unknown as { writeBatch: (messages: unknown[]) => Promise<unknown> };
  const writeBatch = internals.writeBatch.bind(store);
  internals.writeBatch = (messages) => { batches += 1; return writeBatch(messages); };

  const latency = new LatencyHistogram();
  const started = performance.now();
  const measureFrom = started + WARMUP_MS;
  const end = measureFrom + DURATION_MS;
  const pending: Promise<unknown>[] = [];
  let at: { postgres: number; node: NodeJS.CpuUsage; batches: number } | null = null;
  let measured = 0;
  for (let k = 0; ; k++) {
    const due = started + (k * 1000) / rate;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (!at && due >= measureFrom) at = { postgres: postgresCpuSeconds(database.name) ?? 0, node: process.cpuUsage(), batches };
    const pair = pairs[k % pairs.length]!;
    pending.push(store.append({ conversationId: pair.conversationId, clientId: `${rate}-${setting.name}-${k}`, authorKind: 'visitor', authorId: pair.visitorId, body: BODY })
      .then(() => {
        if (due < measureFrom) return;
        latency.record(performance.now() - due);
        measured += 1;
      }));
  }
  await Promise.all(pending);
  const postgres = (postgresCpuSeconds(database.name) ?? 0) - at!.postgres;
  const node = process.cpuUsage(at!.node);
  const { p50Ms, p99Ms } = latency.summary();
  console.log(`${rate} msg/s, ${setting.name}: ${(measured / (batches - at!.batches)).toFixed(1)} messages per statement, ` +
    `commit p50 ${p50Ms} p99 ${p99Ms} ms, PostgreSQL ${Math.round((postgres * 1e6) / measured)} µs/msg, ` +
    `Node ${Math.round((node.user + node.system) / measured)} µs/msg`);
}
