// The write path alone: how many messages per second PostgreSQL can persist with Parley's
// guarantees (per-conversation seq without gaps, idempotent clientId, committed before the ack),
// four ways, on one fresh database:
//
//   product    — Messages.sendAsVisitor as server/ has it now, whatever that does (up to 7bfe680:
//                a SELECT for the conversation, then BEGIN / UPDATE / INSERT / COMMIT through
//                drizzle; since a0d5210, group commit in services/message-store.ts).
//   perMessage — one transaction per message in raw SQL (the pre-a0d5210 statements, prepared,
//                no lookup first).
//   oneStatement — still one commit per message, but one round trip: UPDATE … RETURNING feeds the
//                INSERT in a single statement, which is its own transaction.
//   batched    — group commit: messages that arrive while commits are in flight are written
//                together, one transaction (and one WAL flush) per batch.
//
// Each runs closed-loop: W writers (think: W connections, each waiting for its ack before its
// next message), on a pool of the product's size, for a fixed time. Nothing here changes
// server/; the batched writer is this bench's own sketch of group commit, a yardstick for the
// product's.
import { performance } from 'node:perf_hooks';
import postgres, { type Sql } from 'postgres';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.ts';
import { postgresCpuSeconds } from '../lib/processes.ts';
import { createBenchDatabase, seedPairs, type SeededPair } from '../parley-fixtures.ts';
import { openDb } from '../../db/index.ts';
import { createServices } from '../../server/services/index.ts';
import { testConfig } from '../../server/config.ts';

export interface WritePathPlan {
  writers: number;
  warmupMs: number;
  durationMs: number;
  /** PostgreSQL connections, as the server's pool (openDb's default is 10). */
  poolSize: number;
  maxBatch: number;
}

export interface WriteVariant {
  messagesPerSecond: number;
  /** From the write call to its commit. */
  commitLatency: LatencySummary;
  postgresCpuUsPerMessage: number | null;
  meanBatchSize?: number;
}

export interface WritePathResult {
  writers: number;
  poolSize: number;
  product: WriteVariant;
  perMessage: WriteVariant;
  oneStatement: WriteVariant;
  batched: WriteVariant;
  /** batched ÷ product, in messages per second */
  batchedSpeedup: number;
}

type Write = (pair: SeededPair, clientId: string, body: string) => Promise<unknown>;

const BODY = 'Hi! I ordered the blue one last week and it has not arrived yet, can you check?';

export async function runWritePath(baseUrl: string, plan: WritePathPlan, log: (line: string) => void): Promise<WritePathResult> {
  const database = await createBenchDatabase(baseUrl);
  const product = await openDb({ url: database.url, maxConnections: plan.poolSize });
  const sql = postgres(database.url, { max: plan.poolSize, onnotice: () => {} });
  try {
    // One conversation per writer, so writers do not queue on each other's row locks.
    const pairs = await seedPairs(database, plan.writers);
    const services = createServices({
      db: product.db, secret: 'unused-by-the-write-path-'.padEnd(32, 'x'),
      config: testConfig(), onError: () => {},
    });
    const variants = {
      product: (pair, clientId, body) => services.messages.sendAsVisitor(
        { visitorId: pair.visitorId, siteId: pair.siteId, accountId: pair.accountId }, clientId, body),
      perMessage: (pair, clientId, body) => appendOne(sql, pair, clientId, body),
      oneStatement: (pair, clientId, body) => appendInOneStatement(sql, pair, clientId, body),
    } satisfies Record<string, Write>;

    const results: Partial<Record<keyof WritePathResult & string, WriteVariant>> = {};
    for (const [name, write] of Object.entries(variants)) {
      results[name as keyof typeof variants] = await closedLoop(name, pairs, write, plan, database.name);
      log(`    ${name}: ${results[name as keyof typeof variants]!.messagesPerSecond} msg/s`);
    }
    const committer = new GroupCommitter(sql, plan.maxBatch, plan.poolSize);
    results.batched = { ...await closedLoop('batched', pairs, (pair, clientId, body) => committer.write(pair, clientId, body), plan, database.name),
      meanBatchSize: Math.round((committer.messages / Math.max(1, committer.batches)) * 10) / 10 };
    log(`    batched: ${results.batched.messagesPerSecond} msg/s (mean batch ${results.batched.meanBatchSize})`);
    return {
      writers: plan.writers,
      poolSize: plan.poolSize,
      product: results.product!,
      perMessage: results.perMessage!,
      oneStatement: results.oneStatement!,
      batched: results.batched,
      batchedSpeedup: Math.round((results.batched.messagesPerSecond / Math.max(1, results.product!.messagesPerSecond)) * 100) / 100,
    };
  } finally {
    await sql.end({ timeout: 5 });
    await product.close();
    await database.drop();
  }
}

/** Every writer sends, waits for its commit, sends again; commits that end inside the window count. */
async function closedLoop(name: string, pairs: SeededPair[], write: Write, plan: WritePathPlan, database: string): Promise<WriteVariant> {
  const latency = new LatencyHistogram();
  const start = performance.now();
  const measureFrom = start + plan.warmupMs;
  const measureTo = measureFrom + plan.durationMs;
  let committed = 0;
  let postgresAtStart: number | null = null;
  const timer = setTimeout(() => { postgresAtStart = postgresCpuSeconds(database); }, plan.warmupMs);
  await Promise.all(pairs.map(async (pair, writer) => {
    for (let n = 0; performance.now() < measureTo; n++) {
      const sentAt = performance.now();
      await write(pair, `${name}-${writer}-${n}`, BODY);
      const doneAt = performance.now();
      if (doneAt >= measureFrom && doneAt < measureTo) {
        committed += 1;
        latency.record(doneAt - sentAt);
      }
    }
  }));
  clearTimeout(timer);
  const postgresAtEnd = postgresCpuSeconds(database);
  return {
    messagesPerSecond: Math.round(committed / (plan.durationMs / 1000)),
    commitLatency: latency.summary(),
    postgresCpuUsPerMessage: postgresAtStart !== null && postgresAtEnd !== null
      ? Math.round(((postgresAtEnd - postgresAtStart) * 1e6) / Math.max(1, committed)) : null,
  };
}

class DuplicateClientId extends Error {}

/** The product's transaction, without the ORM and without the conversation lookup before it. */
async function appendOne(sql: Sql, pair: SeededPair, clientId: string, body: string): Promise<void> {
  await sql.begin(async (tx) => {
    const [conversation] = await tx`
      update conversations set last_seq = last_seq + 1, updated_at = now(), status = 'open', resolved_at = null
      where id = ${pair.conversationId} returning last_seq`;
    if (!conversation) throw new Error('conversation missing');
    const inserted = await tx`
      insert into messages (conversation_id, seq, client_id, author_kind, author_id, body)
      values (${pair.conversationId}, ${conversation.last_seq}, ${clientId}, 'visitor', ${pair.visitorId}, ${body})
      on conflict do nothing returning id`;
    // As in the product, a known clientId rolls back so the seq bump leaves no gap.
    if (inserted.length === 0) throw new DuplicateClientId();
  });
}

/**
 * One round trip and no BEGIN/COMMIT: the seq bump and the insert are one statement, hence one
 * transaction. A duplicate clientId is a unique violation that aborts the whole statement, seq
 * bump included, so there is no gap; the caller then reads the original (not needed here).
 */
async function appendInOneStatement(sql: Sql, pair: SeededPair, clientId: string, body: string): Promise<void> {
  try {
    await sql`
      with bumped as (
        update conversations set last_seq = last_seq + 1, updated_at = now(), status = 'open', resolved_at = null
        where id = ${pair.conversationId} returning last_seq)
      insert into messages (conversation_id, seq, client_id, author_kind, author_id, body)
      select ${pair.conversationId}, last_seq, ${clientId}, 'visitor', ${pair.visitorId}, ${body} from bumped
      returning id`;
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
  }
}

interface Waiting {
  pair: SeededPair;
  clientId: string;
  body: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit. A message is queued; whenever a connection is free, everything queued (up to
 * maxBatch) goes in one transaction: lock the conversations in id order (two batches touching the
 * same conversations then wait for each other instead of deadlocking), bump each last_seq by its
 * message count, insert every message with its seq, commit once. Each caller is answered after
 * that commit, so "acknowledged after commit" still holds. A duplicate clientId in a batch rolls
 * the whole batch back and replays its messages one by one, which keeps the no-gap rule.
 */
class GroupCommitter {
  private queue: Waiting[] = [];
  private inFlight = 0;
  batches = 0;
  messages = 0;

  constructor(private readonly sql: Sql, private readonly maxBatch: number, private readonly maxInFlight: number) {}

  write(pair: SeededPair, clientId: string, body: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ pair, clientId, body, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      this.batches += 1;
      this.messages += batch.length;
      this.commit(batch)
        .then(() => { for (const waiting of batch) waiting.resolve(); })
        .catch(async (error: unknown) => {
          if (!(error instanceof DuplicateClientId)) throw error;
          for (const waiting of batch) {
            await appendOne(this.sql, waiting.pair, waiting.clientId, waiting.body)
              .catch((e: unknown) => { if (!(e instanceof DuplicateClientId)) throw e; });
            waiting.resolve();
          }
        })
        .catch((error: unknown) => { for (const waiting of batch) waiting.reject(error); })
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }

  private async commit(batch: Waiting[]): Promise<void> {
    const counts = new Map<string, number>();
    for (const { pair } of batch) counts.set(pair.conversationId, (counts.get(pair.conversationId) ?? 0) + 1);
    const ids = [...counts.keys()].sort();
    await this.sql.begin(async (tx) => {
      await tx`select id from conversations where id = any(${ids}::uuid[]) order by id for update`;
      const bumped = await tx`
        update conversations c set last_seq = c.last_seq + b.n, updated_at = now(), status = 'open', resolved_at = null
        from unnest(${ids}::uuid[], ${ids.map((id) => counts.get(id)!)}::int[]) as b(id, n)
        where c.id = b.id
        returning c.id, c.last_seq`;
      // The batch's messages of one conversation take the new seqs in arrival order.
      const nextSeq = new Map(bumped.map((row) => [row.id as string, (row.last_seq as number) - counts.get(row.id as string)! + 1]));
      const seqs = batch.map(({ pair }) => {
        const seq = nextSeq.get(pair.conversationId);
        if (seq === undefined) throw new Error('conversation missing');
        nextSeq.set(pair.conversationId, seq + 1);
        return seq;
      });
      const inserted = await tx`
        insert into messages (conversation_id, seq, client_id, author_kind, author_id, body)
        select b.conversation_id, b.seq, b.client_id, 'visitor', b.author_id, b.body
        from unnest(${batch.map((m) => m.pair.conversationId)}::uuid[], ${seqs}::int[], ${batch.map((m) => m.clientId)}::text[],
          ${batch.map((m) => m.pair.visitorId)}::uuid[], ${batch.map((m) => m.body)}::text[])
          as b(conversation_id, seq, client_id, author_id, body)
        on conflict do nothing returning id`;
      if (inserted.length !== batch.length) throw new DuplicateClientId();
    });
  }
}
