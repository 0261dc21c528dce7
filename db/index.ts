// openDb(): one entry to the database for the whole product. PGlite (real Postgres compiled to
// WASM, in-process) when no DATABASE_URL is given, so a newcomer needs nothing installed; the
// postgres driver when it is. Both give the same drizzle API, so services have one code path.
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export { schema };

export interface Database {
  db: Db;
  driver: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** postgres://… — when absent, PGlite is used */
  url?: string | undefined;
  /** PGlite data directory; absent = in memory (tests) */
  dataDir?: string | undefined;
  /** postgres pool size */
  maxConnections?: number;
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

// Any fixed number shared by every node (server/services/bootstrap.ts holds the first start's).
const MIGRATION_LOCK = 727_274_001;

export async function openDb(options: OpenDbOptions = {}): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.maxConnections ?? 10);
  return openPglite(options.dataDir);
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  const db = drizzle({ client, schema });
  await migrate(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    driver: 'pglite',
    close: () => client.close(),
  };
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  const client = postgres(url, { max, onnotice: () => {} });
  // Connections of their own for the group-commit statement, always on its generic plan (see
  // genericPlanQuery). postgres.js opens them on first use: a process that stores no message opens none.
  const writer = postgres(url, { max: WRITER_CONNECTIONS, onnotice: () => {}, connection: { plan_cache_mode: 'force_generic_plan' } });
  const db = drizzle({ client, schema });
  writers.set(db, writer as unknown as PostgresJsClient);
  await holdingAdvisoryLock(url, MIGRATION_LOCK, () => migrate(db, { migrationsFolder }));
  return {
    db: db as unknown as Db,
    driver: 'postgres',
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), writer.end({ timeout: 5 })]);
    },
  };
}

/** The message store keeps at most four statements in flight (services/message-store.ts). */
const WRITER_CONNECTIONS = 4;
const writers = new WeakMap<object, PostgresJsClient>();

/**
 * Nodes started together on a fresh database (a deploy, `examples/cluster/`) would otherwise all
 * migrate at once: drizzle creates its bookkeeping schema before its transaction and each node
 * would apply every migration, so all but one fail on "already exists" and exit. A session-level
 * advisory lock makes them take turns; the next one finds the migrations recorded and applies
 * none. The lock lives on a connection of its own, so the pool's size cannot starve the work, and
 * closing that connection releases it even when a migration fails. (PGlite is one process: no lock.)
 */
async function holdingAdvisoryLock(url: string, key: number, work: () => Promise<void>): Promise<void> {
  const { default: postgres } = await import('postgres');
  const lockConnection = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await lockConnection`select pg_advisory_lock(${key})`;
    await work();
  } finally {
    await lockConnection.end({ timeout: 5 });
  }
}

/** Rows of a statement run with new parameters each time, as the driver parses them. */
export type PreparedQuery<Row> = (text: string, params: unknown[]) => Promise<Row[]>;

/**
 * For the hottest statement (services/message-store.ts). drizzle sends raw SQL unprepared, so
 * PostgreSQL parses and plans it at every call; postgres.js prepares it once per connection and
 * reuses the plan (PgBouncer in transaction mode needs 1.21+ for that). PGlite, in-process, plans
 * each call.
 */
export function preparedQuery<Row>(db: Db): PreparedQuery<Row> {
  const client: unknown = (db as unknown as { $client: unknown }).$client;
  if (isPostgresJs(client)) return (text, params) => client.unsafe(text, params, { prepare: true }) as Promise<Row[]>;
  const pglite = client as { query(text: string, params: unknown[]): Promise<{ rows: Row[] }> };
  return async (text, params) => (await pglite.query(text, params)).rows;
}

/**
 * The same, on connections where PostgreSQL always runs the statement's generic plan: made once per
 * connection, without the parameters' values. By default PostgreSQL plans every execution afresh
 * whenever the generic plan's estimated cost exceeds the custom plans' (an array parameter is
 * estimated at 10 rows where one message's batch holds 1), and planning the group-commit statement
 * cost 0.3 ms of the 0.6 ms PostgreSQL spent on a one-message batch
 * (bench/experiments/statement-costs.ts). Only for a statement written so its generic plan is
 * right whatever the values: the other queries keep custom plans on the main pool. PGlite plans
 * each call, as above.
 */
export function genericPlanQuery<Row>(db: Db): PreparedQuery<Row> {
  const writer = writers.get(db);
  if (!writer) return preparedQuery(db);
  return (text, params) => writer.unsafe(text, params, { prepare: true }) as Promise<Row[]>;
}

interface PostgresJsClient {
  unsafe(text: string, params: unknown[], options: { prepare: boolean }): Promise<unknown[]>;
}

function isPostgresJs(client: unknown): client is PostgresJsClient {
  return typeof (client as Partial<PostgresJsClient>).unsafe === 'function';
}
