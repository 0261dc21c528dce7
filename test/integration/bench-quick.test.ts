// `npm run bench -- --quick` end to end: every server, every scenario, the JSON it writes.
// It needs PostgreSQL (Parley and the socket.io + INSERT baseline run on fresh databases created
// from DATABASE_URL), and it runs once, in the PostgreSQL project, not again in the PGlite one.
// Parley on two nodes joins when REDIS_URL is set too (the postgres+redis project).
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const skipReason = !process.env.DATABASE_URL ? 'DATABASE_URL is not set, and the bench runs Parley on PostgreSQL'
  : process.env.PARLEY_TEST_DB !== 'postgres' ? 'it runs once, in the PostgreSQL project'
  : null;
if (skipReason) console.log(`bench-quick skipped: ${skipReason}`);
const servers = ['parley', 'ws', 'socketio', 'socketio-pg', ...(process.env.REDIS_URL ? ['parley2'] : [])];
if (!skipReason && !process.env.REDIS_URL) console.log('bench-quick: Parley on two nodes left out, REDIS_URL is not set');

describe('npm run bench -- --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  let bench: ChildProcess | undefined;
  afterAll(() => {
    // SIGTERM lets the bench stop its servers and generators and drop its database.
    if (bench && bench.exitCode === null) bench.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(skipReason !== null)(`measures every scenario on ${servers.join(', ')}, and writes them as JSON`, async () => {
    const out = join(dir, 'quick.json');
    bench = spawn('npm', ['run', '--silent', 'bench', '--', '--quick', '--out', out, '--servers', servers.join(',')],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    bench.stdout!.on('data', (chunk) => { output += chunk; });
    bench.stderr!.on('data', (chunk) => { output += chunk; });
    const code = await new Promise<number | null>((resolve) => bench!.on('exit', resolve));
    expect(code, output).toBe(0);

    const results = JSON.parse(readFileSync(out, 'utf8'));
    expect(results.mode).toBe('quick');
    for (const kind of servers) {
      const server = results.servers[kind];
      expect(server, `${kind} results`).toBeDefined();
      for (const value of [server.latency.latency.p50Ms, server.latency.latency.p99Ms, server.latency.latency.maxMs, server.latency.deliveredPerSecond]) {
        expect(value, `${kind} latency`).toBeGreaterThan(0);
      }
      // Every step delivered and was measured. Whether one stayed under 50 ms p99 is the
      // measurement itself (a loaded CI machine may say no), so it is not asserted here.
      expect(server.throughput.steps.length).toBeGreaterThan(0);
      for (const step of server.throughput.steps) {
        expect(step.deliveredPerSecond, `${kind} throughput`).toBeGreaterThan(0);
        expect(step.serverCpuUsPerMessage, `${kind} CPU per message`).toBeGreaterThan(0);
      }
      expect(server.idleMemory.connections).toBeGreaterThan(0);
      expect(server.idleMemory.rssAfterBytes).toBeGreaterThan(0);
    }
    for (const variant of ['product', 'perMessage', 'oneStatement', 'batched']) {
      expect(results.writePath[variant].messagesPerSecond, `write path ${variant}`).toBeGreaterThan(0);
    }
    expect(results.pageWeight.widgetGzipBytes).toBeGreaterThan(0);
    expect(results.pageWeight.consoleInitialLoadGzipBytes).toBeGreaterThan(0);
    expect(results.ratios.parleyOverWs.latencyP99).toBeGreaterThan(0);
    expect(results.ratios.parleyOverSocketio.latencyP99).toBeGreaterThan(0);
    expect(results.ratios.parleyOverSocketioPg.latencyP99).toBeGreaterThan(0);
    // The baseline that stores used its database: PostgreSQL worked for it.
    expect(results.servers['socketio-pg'].latency.postgresCpuUsPerMessage).toBeGreaterThan(0);
    if (servers.includes('parley2')) {
      expect(results.servers.parley2.info.nodes).toBe(2);
      expect(results.ratios.parley2OverSocketioPg.latencyP99).toBeGreaterThan(0);
    }
    const targets = results.targets.map((target: { name: string }) => target.name);
    expect(targets).toContain('throughput, Parley vs socket.io + INSERT (p99 ≤ 50 ms)');
  }, 240_000);
});
