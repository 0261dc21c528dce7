// What one group-commit statement (server/services/message-store.ts) costs PostgreSQL, by batch
// size, as the messages table grows: batches written one after another, each waited for. A fixed
// cost per statement is paid again by every batch, so under a steady stream of small batches it is
// what PostgreSQL's CPU per message is made of. Not part of `npm run bench`.
//
// Usage: DATABASE_URL=… tsx bench/experiments/statement-costs.ts [sizes=1,5,20,100] [rounds=3]
import { performance } from 'node:perf_hooks';
import { createBenchDatabase, seedPairs } from '../parley-fixtures.ts';
import { postgresCpuSeconds } from '../lib/processes.ts';
import { openDb } from '../../db/index.ts';
import { MessageStore } from '../../server/services/message-store.ts';

const sizes = (process.argv[2] ?? '1,5,20,100').split(',').map(Number);
const rounds = Number(process.argv[3] ?? 3);
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) throw new Error('set DATABASE_URL');
const BODY = 'Hi! I ordered the blue one last week and it has not arrived yet, can you check?';
const STATEMENTS = 200;

const database = await createBenchDatabase(baseUrl);
try {
  const pairs = await seedPairs(database, 2_000);
  const product = await openDb({ url: database.url, maxConnections: 2 });
  const store = new MessageStore(product.db, { maxBatch: 1_000 });
  let k = 0;
  let stored = 0;
  for (let round = 1; round <= rounds; round++) {
    for (const size of sizes) {
      const cpu = postgresCpuSeconds(database.name) ?? 0;
      const started = performance.now();
      for (let s = 0; s < STATEMENTS; s++) {
        // Appended in one turn of the event loop: one statement of `size` messages.
        await Promise.all(Array.from({ length: size }, () => {
          const pair = pairs[k++ % pairs.length]!;
          return store.append({ conversationId: pair.conversationId, clientId: `c${k}`, authorKind: 'visitor', authorId: pair.visitorId, body: BODY });
        }));
      }
      stored += STATEMENTS * size;
      const ms = (performance.now() - started) / STATEMENTS;
      const pgMs = (((postgresCpuSeconds(database.name) ?? 0) - cpu) * 1e3) / STATEMENTS;
      console.log(`round ${round}, batch of ${String(size).padStart(3)} (${stored.toLocaleString('en')} messages stored): ` +
        `${ms.toFixed(2)} ms per statement, PostgreSQL CPU ${pgMs.toFixed(2)} ms per statement = ${Math.round((pgMs * 1e3) / size)} µs per message`);
    }
  }
  await product.close();
} finally {
  await database.drop();
}
