// Parley as it ships, for the bench: buildApp on PostgreSQL (DATABASE_URL names the fresh database
// the orchestrator created and seeded, see bench/parley-fixtures.ts), listening on 127.0.0.1.
// Every message is committed before its ack, exactly as in production. With BENCH_REDIS_URL it is
// one node of several (`parley2`): broker and presence in Redis as server/main.ts makes them, on a
// key prefix of the run's own (BENCH_REDIS_PREFIX), since the Redis server may be shared. Not
// REDIS_URL, which the orchestrator's own environment may carry into a one-node run.
import type { AddressInfo } from 'node:net';
import { openDb } from '../../db/index.ts';
import { buildApp } from '../../server/app.ts';
import { testConfig, type Config } from '../../server/config.ts';
import { serveBenchCommands } from './reporter.ts';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('bench/servers/parley.ts needs DATABASE_URL');
// The product's pool size (openDb's default) unless the bench is asked to try another.
const maxConnections = Number(process.env.BENCH_PG_POOL) || undefined;

const { config, raised } = withoutRateLimits(testConfig({
  logLevel: 'warn',
  // bench/run.ts --webhooks delivers to a sink on loopback.
  webhooksAllowPrivate: process.env.WEBHOOKS_ALLOW_PRIVATE === 'true',
  // What else a node shares through Redis in production (REST rate limits…) follows the broker.
  redisUrl: process.env.BENCH_REDIS_URL || undefined,
}));
const database = await openDb({ url, ...(maxConnections ? { maxConnections } : {}) });
const redis = process.env.BENCH_REDIS_URL
  ? { url: process.env.BENCH_REDIS_URL, prefix: process.env.BENCH_REDIS_PREFIX || 'parley-bench:' }
  : undefined;
const app = await buildApp(config, { db: database.db, ...(redis ? { redis } : {}) });

const listening = serveBenchCommands('parley', async () => {
  await app.close();
  await database.close();
});
await app.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
listening((app.server.address() as AddressInfo).port, { rateLimitsRaised: raised, ...(redis ? { broker: 'redis' } : {}) });

/**
 * The gateway may gain per-connection rate limits (a count per second or per window). The bench
 * measures the server, not the limiter, so every such count is raised; windows and durations are
 * left alone, since raising those would tighten a limit rather than lift it.
 */
function withoutRateLimits(base: Config): { config: Config; raised: string[] } {
  const config: Record<string, unknown> = { ...base };
  const raised: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const isDuration = /(ms|window|interval|(?<!per)seconds?)$/i.test(key);
    if (typeof value !== 'number' || !/rate.?limit/i.test(key) || isDuration) continue;
    config[key] = 1_000_000_000;
    raised.push(key);
  }
  return { config: config as unknown as Config, raised };
}
