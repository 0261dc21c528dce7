// What each index on `messages` costs the group commit under a steady (open-loop) stream, the way a
// server sees it: commit latency (p50/p99/max) and PostgreSQL CPU per message, for the schema as
// migrated and for variants of it. Each variant gets a fresh database. Not part of `npm run bench`.
//
// Usage: DATABASE_URL=… tsx bench/experiments/index-costs.ts [rate=3000] [seconds=20] [variants]
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { createBenchDatabase, seedPairs } from '../parley-fixtures.ts';
import { LatencyHistogram } from '../lib/histogram.ts';
import { postgresCpuSeconds } from '../lib/processes.ts';
import { openDb } from '../../db/index.ts';
import { MessageStore } from '../../server/services/message-store.ts';

const rate = Number(process.argv[2] ?? 3000);
const seconds = Number(process.argv[3] ?? 20);
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) throw new Error('set DATABASE_URL');
const BODY = 'Hi! I ordered the blue one last week and it has not arrived yet, can you check?';

const VARIANTS: Record<string, string[]> = {
  'as migrated': [],
  // As before migration 0004: inserts go through GIN's pending list.
  'search index with fastupdate': ['alter index messages_body_search_idx set (fastupdate = on)'],
  'no search index': ['drop index messages_body_search_idx'],
  'no search, no created_at index': ['drop index messages_body_search_idx', 'drop index messages_created_idx'],
};
const chosen = process.argv[4] ? process.argv[4].split(',') : Object.keys(VARIANTS);

for (const name of chosen) {
  const database = await createBenchDatabase(baseUrl);
  try {
    for (const statement of VARIANTS[name]!) await database.db.execute(sql.raw(statement));
    const pairs = await seedPairs(database, 2_000);
    const product = await openDb({ url: database.url, maxConnections: 10 });
    const store = new MessageStore(product.db);
    const latency = new LatencyHistogram();
    const started = performance.now();
    const measureFrom = started + 2_000;
    const end = measureFrom + seconds * 1000;
    const pending: Promise<unknown>[] = [];
    let at: number | null = null;
    let measured = 0;
    const slow: number[] = [];
    for (let k = 0; ; k++) {
      const due = started + (k * 1000) / rate;
      if (due >= end) break;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (at === null && due >= measureFrom) at = postgresCpuSeconds(database.name) ?? 0;
      const pair = pairs[k % pairs.length]!;
      pending.push(store.append({ conversationId: pair.conversationId, clientId: `c${k}`, authorKind: 'visitor', authorId: pair.visitorId, body: `${BODY} ${k}` })
        .then(() => {
          if (due < measureFrom) return;
          const ms = performance.now() - due;
          latency.record(ms);
          if (ms > 50) slow.push(Math.round((due - measureFrom) / 100) / 10);
          measured += 1;
        }));
    }
    await Promise.all(pending);
    const postgres = (postgresCpuSeconds(database.name) ?? 0) - at!;
    const { p50Ms, p99Ms, maxMs } = latency.summary();
    const bursts = [...new Set(slow)].slice(0, 12).join(', ');
    console.log(`${name}: ${rate} msg/s, commit p50 ${p50Ms} p99 ${p99Ms} max ${maxMs} ms, PostgreSQL ${Math.round((postgres * 1e6) / measured)} µs/msg; commits over 50 ms at s ${bursts || '–'}`);
    await product.close();
  } finally {
    await database.drop();
  }
}
