// The storage side of the message path, below the gateway: what each batch costs the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { preparedQuery, schema, type Database } from '../../db/index.ts';
import { APPEND_BATCH, MessageStore } from '../../server/services/message-store.ts';
import { createTenant, createTestDatabase } from '../helpers.ts';

let database: Database;
let conversationIds: string[];
let visitorIds: string[];
let siteId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const tenant = await createTenant(database, ['http://shop.test']);
  siteId = tenant.site.id;
  visitorIds = [randomUUID(), randomUUID(), randomUUID()];
  await database.db.insert(schema.visitors).values(visitorIds.map((id) => ({ id, siteId: tenant.site.id })));
  const rows = await database.db.insert(schema.conversations)
    .values(visitorIds.map((visitorId) => ({ siteId: tenant.site.id, visitorId })))
    .returning({ id: schema.conversations.id });
  conversationIds = rows.map((row) => row.id);
});
afterAll(async () => { await database?.close(); });

const rows = <T>(text: string): Promise<T[]> => preparedQuery<T>(database.db)(text, []);

describe('message store', () => {
  it('numbers a batch spread over several conversations without gaps, in arrival order', async () => {
    const store = new MessageStore(database.db);
    const sends = Array.from({ length: 12 }, (_, i) => store.append({
      conversationId: conversationIds[i % 3]!, clientId: `batch-${i}`, authorKind: 'visitor', authorId: visitorIds[i % 3]!, body: `m${i}`,
    }));
    const appended = await Promise.all(sends);
    for (let c = 0; c < 3; c++) {
      const seqs = appended.filter((a) => a?.row.conversationId === conversationIds[c]).map((a) => a!.row.seq);
      expect(seqs).toEqual([1, 2, 3, 4]);
    }
    // A resend in a later batch is answered with the stored row.
    const again = await store.append({ conversationId: conversationIds[0]!, clientId: 'batch-3', authorKind: 'visitor', authorId: visitorIds[0]!, body: 'm3' });
    expect(again).toMatchObject({ duplicate: true, row: { seq: appended[3]!.row.seq, body: 'm3' } });
  });

  // Every message bumps its conversation's last_seq and updated_at. An index over either column
  // would make each of those updates write a new entry in every index of the table.
  it('updates the conversation row in place (HOT) for each message', async () => {
    const [{ hot } = { hot: false }] = await rows<{ hot: boolean }>(`select to_regproc('pg_stat_force_next_flush') is not null as hot`);
    if (!hot) {
      console.log('HOT check: skipped, this PostgreSQL cannot flush its statistics on demand (needs 15+)');
      return;
    }
    const counts = async () => {
      await rows('select pg_stat_force_next_flush()');
      const [row] = await rows<{ updates: string; hot: string }>(`
        select n_tup_upd as updates, n_tup_hot_upd as hot from pg_stat_user_tables where relname = 'conversations'`);
      return { updates: Number(row?.updates ?? 0), hot: Number(row?.hot ?? 0) };
    };
    const before = await counts();
    const store = new MessageStore(database.db);
    for (let i = 0; i < 20; i++) {
      await store.append({ conversationId: conversationIds[1]!, clientId: `hot-${i}`, authorKind: 'visitor', authorId: visitorIds[1]!, body: 'hello' });
    }
    // Other pooled connections flush their statistics within a second or so of their commits.
    let after = await counts();
    for (let waited = 0; after.updates - before.updates < 20 && waited < 10_000; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await counts();
    }
    // Earlier tests' updates may be counted late, from the store's own connections: every update
    // counted in between must have been HOT, and ours at least were counted.
    expect(after.updates - before.updates).toBeGreaterThanOrEqual(20);
    expect(after.hot - before.hot).toBe(after.updates - before.updates);
  });

  // The statement runs on its generic plan (db/index.ts, genericPlanQuery): one plan made without
  // the batch's size. Whatever that plan is, it must probe the indexes for the batch's few rows,
  // not read whole tables: as NOT EXISTS, the check for stored clientIds became a hash anti-join
  // over a sequential scan of every message.
  it('runs on a generic plan that reads no table whole', async () => {
    // Tables of a few pages, where reading one whole costs more than probing its index.
    await database.db.execute(sql.raw(`
      with v as (insert into visitors (id, site_id) select gen_random_uuid(), '${siteId}' from generate_series(1, 2000) returning id)
      insert into conversations (site_id, visitor_id) select '${siteId}', id from v`));
    await database.db.execute(sql.raw(`
      insert into messages (conversation_id, seq, client_id, author_kind, author_id, body)
      select '${conversationIds[2]}', 100000 + g, 'bulk-' || g, 'visitor', '${visitorIds[2]}', 'bulk'
      from generate_series(1, 1000) g`));
    const plan = await database.db.transaction(async (tx) => {
      await tx.execute(sql.raw(`set local plan_cache_mode = force_generic_plan`));
      await tx.execute(sql.raw(`prepare append_plan(text[], text[], text[], text[], text[], text[]) as ${APPEND_BATCH}`));
      try {
        const explained = await tx.execute(sql.raw(`explain (format json) execute append_plan(
          '{${conversationIds[0]}}', '{plan-check}', '{visitor}', '{${visitorIds[0]}}', '{hi}', '{NULL}')`));
        return JSON.stringify(rowsOf(explained));
      } finally {
        await tx.execute(sql.raw('deallocate append_plan'));
      }
    });
    const scanned = [...plan.matchAll(/"Node Type":\s*"Seq Scan",[^}]*?"Relation Name":\s*"(\w+)"/g)].map((m) => m[1]);
    expect(plan).toContain('Index');
    expect(scanned).toEqual([]);
  });

  // GIN's pending list (fastupdate) gathers inserts until one unlucky insert merges them all:
  // ~100 ms for that commit every few seconds at 3,000 msg/s (bench/experiments/index-costs.ts).
  it('keeps the search index free of a pending list', async () => {
    const [row] = await rows<{ options: string[] | null }>(
      `select reloptions as options from pg_class where relname = 'messages_body_search_idx'`);
    expect(row?.options).toContain('fastupdate=off');
  });
});

/** drizzle's execute answers rows (PGlite: { rows }; postgres.js: the rows array). */
function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
}
