// The server the chaos test kills: a real process it can SIGKILL mid-transaction and start again on
// the same port and the same data. Like server/main.ts, minus bundles and the example shop, plus
// the fixtures the test needs (created once, by the first node to start, and written to
// FIXTURES_FILE; the other nodes of a cluster read them from there). test/cluster/node-process.ts
// starts it.
//
// Env: PORT, DATA_DIR (PGlite) or DATABASE_URL, REDIS_URL + REDIS_PREFIX (optional), SECRET (fixed
// by the test so tokens outlive restarts), FIXTURES_FILE, ACCOUNTS, AGENTS_PER_ACCOUNT, ORIGIN.
import { closeSync, existsSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { openDb, schema, type Db } from '../../db/index.ts';
import { buildApp } from '../../server/app.ts';
import { testConfig } from '../../server/config.ts';
import { hashPassword } from '../../server/services/passwords.ts';
import { DEFAULT_WIDGET_SETTINGS, newSiteKey } from '../../server/services/bootstrap.ts';
import type { Broker } from '../../server/realtime/broker.ts';

export const CHAOS_PASSWORD = 'chaos monkey with a long password';
export const READY_LINE = 'CHAOS_SERVER_READY';

export interface ChaosFixtures {
  origin: string;
  accounts: { accountId: string; siteKey: string; agentEmails: string[] }[];
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`server-child needs ${name}`);
  return value;
}

async function createFixtures(db: Db, accountCount: number, agentsPerAccount: number, origin: string): Promise<ChaosFixtures> {
  const passwordHash = await hashPassword(CHAOS_PASSWORD);
  const accounts: ChaosFixtures['accounts'] = [];
  for (let a = 0; a < accountCount; a++) {
    const [account] = await db.insert(schema.accounts).values({ name: `Chaos ${a}` }).returning();
    const siteKey = newSiteKey();
    await db.insert(schema.sites).values({
      accountId: account!.id, publicKey: siteKey, name: `Chaos site ${a}`,
      allowedOrigins: [origin], widgetSettings: DEFAULT_WIDGET_SETTINGS,
    });
    const agentEmails: string[] = [];
    for (let g = 0; g < agentsPerAccount; g++) {
      const email = `chaos-${a}-${g}@example.com`;
      await db.insert(schema.agents).values({
        accountId: account!.id, email, name: `Agent ${a}.${g}`, passwordHash, role: g === 0 ? 'owner' : 'agent',
      });
      agentEmails.push(email);
    }
    accounts.push({ accountId: account!.id, siteKey, agentEmails });
  }
  return { origin, accounts };
}

/**
 * The first node to start creates the fixtures; nodes starting at the same moment wait for its file
 * rather than create a second set. The lock file is taken with O_EXCL, which one process wins.
 */
async function ensureFixtures(db: Db, fixturesFile: string): Promise<void> {
  if (existsSync(fixturesFile)) return;
  let lock: number;
  try {
    lock = openSync(`${fixturesFile}.lock`, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    for (let waited = 0; !existsSync(fixturesFile); waited += 100) {
      // A node killed while creating them leaves the lock and no file: say so rather than hang.
      if (waited > 60_000) throw new Error(`${fixturesFile}.lock is held and no fixtures appeared`);
      await sleep(100);
    }
    return;
  }
  closeSync(lock);
  const fixtures = await createFixtures(db, Number(required('ACCOUNTS')),
    Number(required('AGENTS_PER_ACCOUNT')), required('ORIGIN'));
  // Rename, so a kill while writing never leaves a half-written file.
  writeFileSync(`${fixturesFile}.tmp`, JSON.stringify(fixtures));
  renameSync(`${fixturesFile}.tmp`, fixturesFile);
}

async function main(): Promise<void> {
  const fixturesFile = required('FIXTURES_FILE');
  const database = await openDb({ url: process.env.DATABASE_URL, dataDir: process.env.DATA_DIR });
  await ensureFixtures(database.db, fixturesFile);

  let broker: Broker | undefined;
  if (process.env.REDIS_URL) {
    const { RedisBroker } = await import('../../server/realtime/redis.ts');
    broker = new RedisBroker(process.env.REDIS_URL, process.env.REDIS_PREFIX || 'parley-chaos:');
  }
  const config = testConfig({
    secret: required('SECRET'),
    // The clients send far faster than a person types; the limiter is tested elsewhere.
    rateLimitPerSecond: 1_000_000,
    rateLimitBurst: 1_000_000,
    visitorMessageRateLimitPerSecond: 1_000_000,
    visitorMessageRateLimitBurst: 1_000_000,
    heartbeatMs: 5_000,
    logLevel: process.env.LOG_LEVEL || 'warn',
  });
  const app = await buildApp(config, { db: database.db, ...(broker ? { broker } : {}) });
  await app.listen({ host: '127.0.0.1', port: Number(required('PORT')) });
  process.stdout.write(`${READY_LINE}\n`);

  let closing = false;
  process.on('SIGTERM', () => {
    if (closing) return;
    closing = true;
    void (async () => {
      await app.close();
      await database.close();
      process.exit(0);
    })();
  });
}

// The test imports the constants and types above; only `node server-child.ts` starts a server.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
