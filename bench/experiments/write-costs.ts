// Where the cost of one visitor message goes on PostgreSQL, piece by piece (the evidence behind
// BENCHMARKS.md's recommendations; not part of `npm run bench`). Steps 1, 2 and 5 run the product
// as server/ has it; the breakdown below describes 7bfe680, where BENCHMARKS.md quotes it:
//
//   1. Messages.sendAsVisitor (conversation lookup, then the append transaction)
//   2. its append alone (the private Messages.append, through drizzle)
//   3. the same transaction in raw SQL, unprepared (what drizzle sends: a fresh parse and plan)
//   4. the same, prepared (postgres.js tagged templates are prepared per connection)
//   5. as shipped again, after adding an index for the lookup (latestConversationOf filters on
//      visitor_id, which only a partial index covers, so it scans the table)
//
// Usage: DATABASE_URL=… tsx bench/experiments/write-costs.ts [conversations=10000] [writers=200]
// Each step runs 5 s, closed-loop, on a pool of 10 like the server's; the database is dropped after.
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { createBenchDatabase, seedPairs, type SeededPair } from '../parley-fixtures.ts';
import { postgresCpuSeconds } from '../lib/processes.ts';
import { openDb } from '../../db/index.ts';
import { createServices } from '../../server/services/index.ts';
import { testConfig } from '../../server/config.ts';

const [conversations = 10_000, writers = 200] = process.argv.slice(2).map(Number);
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) throw new Error('set DATABASE_URL');
const BODY = 'Hi! I ordered the blue one last week and it has not arrived yet, can you check?';

const database = await createBenchDatabase(baseUrl);
try {
  const pairs = (await seedPairs(database, conversations)).slice(0, writers);
  const product = await openDb({ url: database.url, maxConnections: 10 });
  const services = createServices({
    db: product.db, secret: 'unused-by-the-write-path-'.padEnd(32, 'x'), config: testConfig(), onError: () => {},
  });
  // append is private; reaching it here isolates the transaction from the lookup before it.
  type Append = (conversationId: string, author: { kind: 'visitor'; id: string; name: null }, clientId: string, body: string) => Promise<unknown>;
  const append = (services.messages as unknown as { append: Append }).append.bind(services.messages);
  const prepared = postgres(database.url, { max: 10, onnotice: () => {} });
  const unprepared = postgres(database.url, { max: 10, onnotice: () => {}, prepare: false });
  const transaction = (sql: postgres.Sql) => (pair: SeededPair, clientId: string) => sql.begin(async (tx) => {
    const [conversation] = await tx`
      update conversations set last_seq = last_seq + 1, updated_at = now(), status = 'open', resolved_at = null
      where id = ${pair.conversationId} returning last_seq`;
    await tx`
      insert into messages (conversation_id, seq, client_id, author_kind, author_id, body)
      values (${pair.conversationId}, ${conversation!.last_seq}, ${clientId}, 'visitor', ${pair.visitorId}, ${BODY})
      on conflict do nothing returning *`;
  });
  const asShipped = (pair: SeededPair, clientId: string) => services.messages.sendAsVisitor(
    { visitorId: pair.visitorId, siteId: pair.siteId, accountId: pair.accountId }, clientId, BODY);

  console.log(`${conversations} conversations, ${writers} writers, pool of 10`);
  await measure('1. sendAsVisitor as shipped', pairs, asShipped);
  await measure('2. its transaction alone (drizzle)', pairs,
    (pair, clientId) => append(pair.conversationId, { kind: 'visitor', id: pair.visitorId, name: null }, clientId, BODY));
  await measure('3. same transaction, raw SQL, unprepared', pairs, transaction(unprepared));
  await measure('4. same transaction, raw SQL, prepared', pairs, transaction(prepared));
  await prepared`create index conversations_visitor_latest on conversations (visitor_id, created_at desc)`;
  await measure('5. as shipped, with the index', pairs, asShipped);

  await prepared.end();
  await unprepared.end();
  await product.close();
} finally {
  await database.drop();
}

async function measure(name: string, pairs: SeededPair[], write: (pair: SeededPair, clientId: string) => Promise<unknown>): Promise<void> {
  const postgresBefore = postgresCpuSeconds(database.name) ?? 0;
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + 5_000;
  let written = 0;
  await Promise.all(pairs.map(async (pair, writer) => {
    for (let n = 0; performance.now() < end; n++) {
      await write(pair, `${name.slice(0, 2)}-${writer}-${n}`);
      written += 1;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const postgresCpu = (postgresCpuSeconds(database.name) ?? 0) - postgresBefore;
  const node = process.cpuUsage(nodeBefore);
  console.log(`${name.padEnd(44)} ${String(Math.round(written / seconds)).padStart(6)} msg/s  ` +
    `PostgreSQL ${String(Math.round((postgresCpu * 1e6) / written)).padStart(4)} µs/msg  ` +
    `Node ${String(Math.round((node.user + node.system) / written)).padStart(4)} µs/msg`);
}
