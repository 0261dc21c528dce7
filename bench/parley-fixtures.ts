// Parley's side of the bench setup, done by the orchestrator before the server starts so the
// server's memory and CPU figures carry none of it: a fresh PostgreSQL database (dropped after the
// run), and N pairs inserted in bulk. One account per pair (1 site + 1 agent + 1 visitor + their
// open conversation, already assigned), so each visitor message fans out to exactly one agent, as
// in the baselines. Tokens are signed with the product's Tokens class and the secret the server
// will read from the settings table.
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { openDb, schema, type Database } from '../db/index.ts';
import { Tokens, loadSecret } from '../server/services/tokens.ts';
import { DEFAULT_WIDGET_SETTINGS } from '../server/services/bootstrap.ts';

export const BENCH_ORIGIN = 'http://bench.test';

export interface ParleyPair {
  visitorToken: string;
  agentToken: string;
  conversationId: string;
}

/** A pair as stored: the ids too, for the write-path scenario that calls the services directly. */
export interface SeededPair extends ParleyPair {
  accountId: string;
  siteId: string;
  visitorId: string;
}

export interface BenchDatabase extends Database {
  url: string;
  /** The database's name: PostgreSQL's process titles carry it (postgresCpuSeconds). */
  name: string;
  /** Closes the connection and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, empty database on the PostgreSQL server of `baseUrl`, for one run; `drop` removes it. */
export async function createEmptyDatabase(baseUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `parley_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  return {
    url: url.toString(),
    name,
    async drop() {
      const cleanup = postgres(baseUrl, { max: 1, onnotice: () => {} });
      // `with (force)` ends the server child's connections too, should it still hold any.
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

export async function createBenchDatabase(baseUrl: string): Promise<BenchDatabase> {
  const empty = await createEmptyDatabase(baseUrl);
  let database: Database;
  try {
    // openDb runs the migrations, so the server child finds the schema in place.
    database = await openDb({ url: empty.url, maxConnections: 4 });
  } catch (error) {
    await empty.drop();
    throw error;
  }
  let dropped = false;
  return {
    ...database,
    url: empty.url,
    name: empty.name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await database.close();
      await empty.drop();
    },
  };
}

/** Bulk-inserts `count` one-pair accounts and signs their tokens. Rows go in chunks of 1,000. */
export async function seedPairs(database: Database, count: number): Promise<SeededPair[]> {
  const { db } = database;
  const tokens = new Tokens(await loadSecret(db, undefined));
  const nonce = randomBytes(3).toString('hex');
  const rows = Array.from({ length: count }, (_, i) => ({
    accountId: randomUUID(),
    siteId: randomUUID(),
    agentId: randomUUID(),
    visitorId: randomUUID(),
    conversationId: randomUUID(),
    label: `${nonce}-${i}`,
  }));
  for (let start = 0; start < count; start += 1000) {
    const chunk = rows.slice(start, start + 1000);
    await db.insert(schema.accounts).values(chunk.map((r) => ({ id: r.accountId, name: `Bench ${r.label}` })));
    await db.insert(schema.sites).values(chunk.map((r) => ({
      id: r.siteId, accountId: r.accountId, publicKey: `site_bench_${r.label}`, name: `Bench ${r.label}`,
      allowedOrigins: [BENCH_ORIGIN], widgetSettings: DEFAULT_WIDGET_SETTINGS,
    })));
    // Bench agents never log in with a password (their token is signed here): a placeholder hash.
    await db.insert(schema.agents).values(chunk.map((r) => ({
      id: r.agentId, accountId: r.accountId, email: `agent-${r.label}@bench.test`, name: `Agent ${r.label}`,
      passwordHash: 'bench-no-login', role: 'owner' as const,
    })));
    await db.insert(schema.visitors).values(chunk.map((r) => ({ id: r.visitorId, siteId: r.siteId })));
    await db.insert(schema.conversations).values(chunk.map((r) => ({
      id: r.conversationId, siteId: r.siteId, visitorId: r.visitorId, assigneeId: r.agentId,
    })));
  }
  return Promise.all(rows.map(async (r) => ({
    visitorToken: await tokens.signVisitor(r.visitorId, r.siteId),
    agentToken: await tokens.signAgent(r.agentId, r.accountId),
    conversationId: r.conversationId,
    accountId: r.accountId,
    siteId: r.siteId,
    visitorId: r.visitorId,
  })));
}
