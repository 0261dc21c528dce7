// Does GET /api/v1/exports/messages stream in flat memory? It exports 10,000 and then 100,000
// messages through a real HTTP request to the app in this process, sampling heap and RSS every
// 50 ms, and compares each run's peak growth over its own baseline: if the export held its rows,
// the 100,000-row run would grow about ten times as much as the 10,000-row one; streamed, about
// the same. Each size runs twice: once untouched, for speed and the heap as V8 lets it grow (which
// includes garbage not yet collected), and once with a full collection before each sample, which
// slows it down but shows what the export actually holds: that is the figure that must stay flat.
// Not part of `npm run bench`.
//
// Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/exports.ts [jsonl|csv]
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { schema } from '../db/index.ts';
import { buildApp } from '../server/app.ts';
import { testConfig } from '../server/config.ts';
import { newSiteKey, DEFAULT_WIDGET_SETTINGS } from '../server/services/bootstrap.ts';
import { createBenchDatabase } from './parley-fixtures.ts';

const format = process.argv[2] === 'csv' ? 'csv' : 'jsonl';
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) throw new Error('set DATABASE_URL');

const TOTAL = 100_000;
const SMALL = 10_000;
const CONVERSATIONS = 100;
const SAMPLE_MS = 50;
const START = new Date('2026-10-01T00:00:00Z');
/** Messages are 10 ms apart, so a range of n × 10 ms holds the first n. */
const untilFor = (rows: number) => new Date(START.getTime() + rows * 10);

// A full collection before each baseline, so that garbage from the previous run is not counted.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const database = await createBenchDatabase(baseUrl);
try {
  const { db } = database;
  const seeding = performance.now();
  const [account] = await db.insert(schema.accounts).values({ name: 'Bench exports' }).returning();
  const [site] = await db.insert(schema.sites).values({
    accountId: account!.id, publicKey: newSiteKey(), name: 'Bench shop', widgetSettings: DEFAULT_WIDGET_SETTINGS,
  }).returning();
  const [owner] = await db.insert(schema.agents).values({
    accountId: account!.id, email: 'owner@bench.test', name: 'Olivia', passwordHash: 'unused', role: 'owner',
  }).returning();
  await db.execute(sql`
    insert into visitors (site_id, name) select ${site!.id}::uuid, 'Visitor ' || i from generate_series(1, ${CONVERSATIONS}) as i`);
  await db.execute(sql`
    insert into conversations (site_id, visitor_id, status) select site_id, id, 'resolved' from visitors where site_id = ${site!.id}::uuid`);
  // One statement for all the messages: conversation i % 100, seq in order, 10 ms apart.
  await db.execute(sql`
    with numbered as (select id, row_number() over (order by id) - 1 as n from conversations where site_id = ${site!.id}::uuid)
    insert into messages (conversation_id, seq, client_id, author_kind, author_id, body, created_at)
    select c.id, i / ${CONVERSATIONS} + 1, 'bench-' || i,
      case when i % 2 = 0 then 'visitor'::author_kind else 'agent'::author_kind end,
      case when i % 2 = 0 then null else ${owner!.id}::uuid end,
      'Hi! I ordered the blue one last week (order #' || i || ') and it has not arrived yet, can you check?',
      ${START.toISOString()}::timestamptz + i * interval '10 milliseconds'
    from generate_series(0, ${TOTAL - 1}) as i join numbered c on c.n = i % ${CONVERSATIONS}`);
  // As autovacuum would have by now on a real database: plans made for empty tables scan them whole.
  await db.execute(sql`analyze`);
  console.log(`seeded ${TOTAL.toLocaleString('en')} messages in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

  const app = await buildApp(testConfig({ apiRateLimitPerToken: 1_000 }), { db });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const { token } = await app.services.apiTokens.create(
    { accountId: account!.id, role: 'owner', agentId: owner!.id, tokenId: null, name: 'Olivia' }, { name: 'bench', role: 'admin' });

  const runs: Run[] = [];
  try {
    await exportOnce(port, token, SMALL, false); // warm-up: JIT, prepared plans, connection pool
    for (const live of [false, true]) {
      for (const rows of [SMALL, TOTAL]) runs.push(await exportOnce(port, token, rows, live));
    }
  } finally {
    await app.close();
  }

  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(`\nGET /api/v1/exports/messages?format=${format} (PostgreSQL, app and client in this process)`);
  console.log('samples           rows      bytes (MB)  seconds  rows/s    peak heap growth (MB)  peak RSS growth (MB)');
  for (const run of runs) {
    console.log(`${(run.live ? 'after a full GC' : 'as they come').padEnd(18)}${run.rows.toLocaleString('en').padEnd(10)}${mb(run.bytes).padEnd(12)}`
      + `${run.seconds.toFixed(2).padEnd(9)}${Math.round(run.rows / run.seconds).toLocaleString('en').padEnd(10)}`
      + `${mb(run.peakHeapGrowth).padEnd(23)}${mb(run.peakRssGrowth)}`);
  }
  for (const live of [false, true]) {
    const [small, large] = runs.filter((run) => run.live === live) as [Run, Run];
    const ratio = (a: number, b: number) => (a / Math.max(b, 1024 * 1024)).toFixed(2);
    console.log(`${live ? 'held (after GC)' : 'as they come'}: ${(large.rows / small.rows).toFixed(0)}× the rows → `
      + `${ratio(large.peakHeapGrowth, small.peakHeapGrowth)}× the peak heap growth, ${ratio(large.peakRssGrowth, small.peakRssGrowth)}× the peak RSS growth`
      + ' (growths under 1 MB count as 1 MB)');
  }
  console.log('flat: about 1× for what is held; rows held in memory would make it about 10×');
} finally {
  await database.drop();
}

interface Run { live: boolean; rows: number; bytes: number; seconds: number; peakHeapGrowth: number; peakRssGrowth: number }

/**
 * One export of the first `rows` messages, read to the end and thrown away as it arrives.
 * @param live collect garbage before each sample, so that the peak is what is really held
 */
async function exportOnce(port: number, token: string, rows: number, live: boolean): Promise<Run> {
  collect();
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  let peakRss = baseline.rss;
  const sampler = setInterval(() => {
    if (live) collect();
    const { heapUsed, rss } = process.memoryUsage();
    peakHeap = Math.max(peakHeap, heapUsed);
    peakRss = Math.max(peakRss, rss);
  }, SAMPLE_MS);
  const started = performance.now();
  const query = `since=${START.toISOString()}&until=${untilFor(rows).toISOString()}&format=${format}`;
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/exports/messages?${query}`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200 || !response.body) throw new Error(`export failed: ${response.status} ${await response.text()}`);
  let bytes = 0;
  let lines = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const byte of chunk) if (byte === 10) lines += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  // JSON Lines: one line per row; CSV: a header line too (bodies here have no line breaks).
  const exported = format === 'csv' ? lines - 1 : lines;
  if (exported !== rows) throw new Error(`expected ${rows} rows, got ${exported}`);
  return { live, rows: exported, bytes, seconds, peakHeapGrowth: peakHeap - baseline.heapUsed, peakRssGrowth: peakRss - baseline.rss };
}
