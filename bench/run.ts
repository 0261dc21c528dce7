// `npm run bench [-- --quick] [--out file.json] [--profile] [--heap-snapshot] [--servers parley,parley2,ws,socketio,socketio-pg] [--generators N]`
//
// Measures Parley and, in the same run with the same load generator, three baselines: a bare `ws`
// relay (the limit of Node), socket.io with rooms, and socket.io with rooms that INSERTs every
// message into PostgreSQL before relaying it. With REDIS_URL, also Parley on two nodes behind a
// TCP balancer, each pair's ends on different nodes. For each server: latency at a fixed rate,
// throughput by steps until p99 passes 50 ms, and idle memory per connection. Then the write path
// on PostgreSQL (one commit per message vs group commit) and the page weight of the bundles.
// Prints a table and writes everything to bench/results/<timestamp>.json.
//
// The server runs pinned to core 0 (both nodes of a two-node run) and the generators to the other
// cores (taskset). Each server that stores runs on a fresh PostgreSQL database created from
// DATABASE_URL and dropped after it.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { cpuPlan, killAllNow, openFileLimit, stopAll } from './lib/processes.ts';
import { GeneratorPool } from './generators.ts';
import { requirementsOf, ServerUnderTest, SERVER_LABELS } from './servers/launch.ts';
import { createBenchDatabase, createEmptyDatabase, seedPairs, type BenchDatabase } from './parley-fixtures.ts';
import { describeStep, measureStep, runThroughput, type RampPlan, type StepTiming } from './scenarios/load.ts';
import { idlePairsNeeded, runIdleMemory } from './scenarios/idle-memory.ts';
import { runWritePath, type WritePathPlan } from './scenarios/write-path.ts';
import { runPageWeight } from './scenarios/page-weight.ts';
import { commonRateOf, formatResults, ratiosOf, targetsOf, type Results, type ServerResult } from './report.ts';
import { summarizeProfile } from './profile-summary.ts';
import type { PairSpec, ServerKind } from './clients.ts';
import { registerWebhooks, startWebhookSink, type WebhookSink } from './lib/webhook-sink.ts';

interface Plan {
  pairs: number;
  latency: StepTiming & { rate: number };
  throughput: RampPlan;
  idleConnections: number;
  writePath: WritePathPlan;
}

// A shared machine: wait up to 15 s for neighbours to go quiet, and measure a disturbed step again.
const patient = { attempts: 3, quietWaitMs: 15_000 };

const FULL: Plan = {
  pairs: 2_000,
  latency: { rate: 2_000, warmupMs: 3_000, durationMs: 20_000, drainMs: 5_000, ...patient },
  throughput: { startRate: 250, p99LimitMs: 50, maxSteps: 10, bisections: 3, warmupMs: 1_000, durationMs: 5_000, drainMs: 3_000, ...patient },
  idleConnections: 15_000,
  writePath: { writers: 1_000, warmupMs: 2_000, durationMs: 6_000, poolSize: 10, maxBatch: 500 },
};

/** Small counts and short steps: checks that everything runs, in well under a minute. */
const QUICK: Plan = {
  pairs: 100,
  latency: { rate: 200, warmupMs: 300, durationMs: 1_500, drainMs: 2_000, attempts: 1, quietWaitMs: 0 },
  throughput: { startRate: 100, p99LimitMs: 50, maxSteps: 3, bisections: 0, warmupMs: 200, durationMs: 800, drainMs: 2_000, attempts: 1, quietWaitMs: 0 },
  idleConnections: 600,
  writePath: { writers: 50, warmupMs: 200, durationMs: 1_000, poolSize: 10, maxBatch: 500 },
};

const ALL_SERVERS: ServerKind[] = ['ws', 'socketio', 'socketio-pg', 'parley', 'parley2'];
const isParley = (kind: ServerKind) => kind === 'parley' || kind === 'parley2';
const resultsDir = fileURLToPath(new URL('./results', import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    /** CPU profile of each server over the throughput ramp, summarised in the log. */
    profile: { type: 'boolean', default: false },
    /** Heap snapshots of each server before and while holding the idle connections. */
    'heap-snapshot': { type: 'boolean', default: false },
    servers: { type: 'string', default: ALL_SERVERS.join(',') },
    generators: { type: 'string' },
    /** A message.created webhook on every account, delivered to a local sink (bench/lib/webhook-sink.ts). */
    webhooks: { type: 'boolean', default: false },
  },
});

const log = (line: string) => console.log(line);

/** Messages stored and deliveries recorded by status in one Parley database. */
async function webhookTally(database: BenchDatabase): Promise<{ messagesStored: number; deliveries: Record<string, number> }> {
  const client = (database.db as unknown as { $client: { unsafe(text: string): Promise<Record<string, unknown>[]> } }).$client;
  const [messages] = await client.unsafe('select count(*)::int as n from messages');
  const deliveries = await client.unsafe('select status, count(*)::int as n from webhook_deliveries group by status');
  return {
    messagesStored: Number(messages?.n ?? 0),
    deliveries: Object.fromEntries(deliveries.map((row) => [String(row.status), Number(row.n)])),
  };
}

async function main(): Promise<void> {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    throw new Error('Set DATABASE_URL to a PostgreSQL server the bench may create databases on, ' +
      'e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench');
  }
  const redisUrl = process.env.REDIS_URL || undefined;
  const plan = args.quick ? QUICK : FULL;
  const named = args.servers.split(',').map((name) => name.trim()) as ServerKind[];
  for (const kind of named) if (!ALL_SERVERS.includes(kind)) throw new Error(`unknown server "${kind}"`);
  const servers = named.filter((kind) => {
    if (!requirementsOf(kind).redis || redisUrl) return true;
    log(`${SERVER_LABELS[kind]} skipped: REDIS_URL is not set (its nodes talk through Redis)`);
    return false;
  });
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-');

  const generators = await GeneratorPool.start(Number(args.generators) || cpuPlan.generatorCount);
  // The database of the server being measured, dropped on any exit path.
  let dropDatabase: (() => Promise<void>) | null = null;
  cleanups.push(async () => { await generators.stop(); await dropDatabase?.(); });

  const results: Results = {
    version: 1,
    mode: args.quick ? 'quick' : 'full',
    startedAt: started.toISOString(),
    durationSeconds: 0,
    machine: await describeMachine(baseUrl, generators),
    settings: { ...plan },
    servers: {},
    ratios: {},
    targets: [],
  };
  log(`Parley bench (${results.mode}) on ${String(results.machine.cpuModel)}, ${String(results.machine.nproc)} cores, ` +
    (cpuPlan.pinned ? `server on core ${cpuPlan.server}, ${generators.size} generator(s) on core(s) ${cpuPlan.generators}` : 'not pinned (no taskset)'));

  if (Number(results.machine.loadAverageAtStart) > 0.5) {
    log(`warning: load average ${String(results.machine.loadAverageAtStart)} before starting; other work on this machine will skew the numbers`);
  }

  let webhookSink: WebhookSink | null = null;
  if (args.webhooks && servers.some(isParley)) {
    webhookSink = await startWebhookSink();
    cleanups.push(() => webhookSink!.close());
    // The sink listens on loopback, which the address guard refuses unless told otherwise.
    process.env.WEBHOOKS_ALLOW_PRIVATE = 'true';
  }
  const webhooks = { registered: 0, messagesStored: 0, deliveries: {} as Record<string, number> };

  for (const kind of servers) {
    log(`\n${SERVER_LABELS[kind]}`);
    let pairsFor = (from: number, count: number): PairSpec[] => Array.from({ length: count }, (_, i) => ({ key: `p${from + i}` }));
    let databaseUrl: string | undefined;
    let parleyDatabase: BenchDatabase | null = null;
    if (isParley(kind)) {
      // A database of its own for each Parley run, so the second does not start on the first's messages.
      parleyDatabase = await createBenchDatabase(baseUrl);
      dropDatabase = () => parleyDatabase!.drop();
      const seeded = await seedPairs(parleyDatabase, plan.pairs + idlePairsNeeded(plan.idleConnections));
      pairsFor = (from, count) => seeded.slice(from, from + count).map((p, i) =>
        ({ key: `p${from + i}`, visitorToken: p.visitorToken, agentToken: p.agentToken, conversationId: p.conversationId }));
      databaseUrl = parleyDatabase.url;
      if (webhookSink) {
        const registered = await registerWebhooks(parleyDatabase, webhookSink.url);
        webhooks.registered += registered;
        log(`${registered} webhooks registered (message.created → ${webhookSink.url})`);
      }
    } else if (requirementsOf(kind).database) {
      const empty = await createEmptyDatabase(baseUrl);
      dropDatabase = () => empty.drop();
      databaseUrl = empty.url;
    }
    results.servers[kind] = await measureServer(kind, plan, generators, { databaseUrl, redisUrl }, pairsFor, stamp);
    if (webhookSink && parleyDatabase) {
      const tally = await webhookTally(parleyDatabase);
      webhooks.messagesStored += tally.messagesStored;
      for (const [status, n] of Object.entries(tally.deliveries)) webhooks.deliveries[status] = (webhooks.deliveries[status] ?? 0) + n;
    }
    await dropDatabase?.();
    dropDatabase = null;
  }

  if (webhookSink) {
    results.webhooks = { ...webhooks, received: webhookSink.received() };
    log(`\nWebhooks: ${JSON.stringify(results.webhooks)}`);
  }

  if (servers.includes('parley')) {
    log('\nWrite path on PostgreSQL');
    results.writePath = await runWritePath(baseUrl, plan.writePath, log);
  }
  log('\nPage weight');
  results.pageWeight = await runPageWeight();

  const { parley, parley2, ws, socketio, 'socketio-pg': socketioPg } = results.servers;
  if (parley && ws) results.ratios.parleyOverWs = ratiosOf(parley, ws);
  if (parley && socketio) results.ratios.parleyOverSocketio = ratiosOf(parley, socketio);
  if (parley && socketioPg) results.ratios.parleyOverSocketioPg = ratiosOf(parley, socketioPg);
  if (parley2 && socketioPg) results.ratios.parley2OverSocketioPg = ratiosOf(parley2, socketioPg);
  results.atCommonRate = commonRateOf(results.servers);
  results.targets = targetsOf(results);
  results.durationSeconds = Math.round((Date.now() - started.getTime()) / 1000);

  log(`\n${formatResults(results)}`);
  const out = args.out ?? join(resultsDir, `${stamp}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nResults: ${out} (${results.durationSeconds} s)`);
}

/** One server: start it, connect the pairs, latency, throughput; then a fresh start for idle memory. */
async function measureServer(kind: ServerKind, plan: Plan, generators: GeneratorPool,
  services: { databaseUrl?: string | undefined; redisUrl?: string | undefined },
  pairsFor: (from: number, count: number) => PairSpec[], stamp: string): Promise<ServerResult> {
  const options = {
    ...(services.databaseUrl ? { databaseUrl: services.databaseUrl } : {}),
    ...(services.redisUrl && requirementsOf(kind).redis ? { redisUrl: services.redisUrl } : {}),
  };
  const start = () => ServerUnderTest.start(kind, options);
  let server = await start();
  try {
    const connected = await generators.connect(server.target, pairsFor(0, plan.pairs));
    if (connected.failed > 0) throw new Error(`${connected.failed} of ${plan.pairs} pairs failed to connect: ${connected.firstError}`);
    log(`  ${plan.pairs} pairs connected in ${connected.seconds.toFixed(1)} s` +
      (Object.keys(server.info).length ? ` (${JSON.stringify(server.info)})` : ''));
    const { info } = server;

    // Any disturbance counts here: a neighbour's burst would land in the p99 and the max.
    const latency = await measureStep(server, generators, plan.latency.rate, plan.latency, () => true, log);
    log(`  latency: ${describeStep(latency)}`);

    log('  throughput');
    if (args.profile) await server.startProfile();
    const throughput = await runThroughput(server, generators, plan.throughput, log);
    if (args.profile) {
      const file = join(resultsDir, 'profiles', `${stamp}-${kind}-throughput.cpuprofile`);
      await server.stopProfile(file);
      log(`  profile: ${file}\n${summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), 12)}`);
    }
    await generators.close();
    await server.stop();

    log('  idle memory');
    server = await start();
    // A balancer holds two descriptors per connection (client and node): it carries at most half the file limit.
    const fileLimit = server.balancer ? openFileLimit() : null;
    const idleConnections = fileLimit ? Math.min(plan.idleConnections, 2 * Math.floor((fileLimit - 500) / 4)) : plan.idleConnections;
    if (idleConnections < plan.idleConnections) log(`    ${idleConnections} connections, not ${plan.idleConnections}: the balancer's open-file limit is ${fileLimit}`);
    const snapshots = args['heap-snapshot'] ? join(resultsDir, 'profiles', `${stamp}-${kind}-idle`) : undefined;
    const idleMemory = await runIdleMemory(server, generators, pairsFor(plan.pairs, idlePairsNeeded(idleConnections)), snapshots);
    if (snapshots) log(`    heap snapshots: ${snapshots}-{before,after}.heapsnapshot (tsx bench/heap-summary.ts after before ${idleMemory.connections})`);
    log(`    ${idleMemory.connections} connections (opened in ${idleMemory.connectSeconds} s): ` +
      `${(idleMemory.rssPerConnectionBytes / 1024).toFixed(1)} KB RSS, ${(idleMemory.heapPerConnectionBytes / 1024).toFixed(1)} KB heap each` +
      (idleMemory.failed ? ` (${idleMemory.failed} failed)` : ''));
    return { label: SERVER_LABELS[kind], info, connectSeconds: connected.seconds, latency, throughput, idleMemory };
  } finally {
    await server.stop();
  }
}

async function describeMachine(baseUrl: string, generators: GeneratorPool): Promise<Record<string, unknown>> {
  let cpuModel = 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  const sql = postgres(baseUrl, { max: 1, onnotice: () => {} });
  const [server] = await sql<{ version: string; synchronous_commit: string }[]>`
    select version(), current_setting('synchronous_commit') as synchronous_commit`;
  await sql.end();
  return {
    commit: gitDescribe(),
    nproc: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    postgres: server?.version.split(' on ')[0],
    postgresSynchronousCommit: server?.synchronous_commit,
    pinned: cpuPlan.pinned,
    serverCores: cpuPlan.server,
    generatorCores: cpuPlan.generators,
    generators: generators.size,
    sourceAddresses: generators.localAddresses.length,
    // Anything else running skews every number; each step also records the CPU others used.
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** The commit measured, with `+changes` when the working tree differs from it. */
function gitDescribe(): string {
  // Read-only: `git status` would otherwise refresh the index and take its lock in a shared tree.
  const options = { encoding: 'utf8' as const, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } };
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], options).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], options).trim();
    return changed ? `${commit}+changes` : commit;
  } catch {
    return 'unknown';
  }
}

// ---- every exit path ends every child and drops the bench database --------------------------------

const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch((error: unknown) => console.error('cleanup:', error));
  await stopAll();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
}
process.on('exit', killAllNow);

try {
  await main();
  await cleanUp();
} catch (error) {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  await cleanUp();
  process.exitCode = 1;
}
