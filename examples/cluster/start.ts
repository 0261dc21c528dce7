// Two Parley nodes behind nginx on one machine, started and stopped together:
//
//   DATABASE_URL=postgres://… REDIS_URL=redis://… npx tsx examples/cluster/start.ts
//
// Node A starts first: on a fresh database it runs the migrations and creates the first-start data
// with the example shop's origins, since only A serves the shop. Then node B, then nginx in the
// foreground as this user, with its pid, logs and temporary files in a run directory of its own.
// Ctrl-C (or SIGTERM) stops all three; if one of them exits, the others are stopped too.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findNginx, writeNginxConfig } from './nginx.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  const port = raw ? Number(raw) : fallback;
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${name} must be a port number, got "${raw}"`);
  return port;
}

function fail(message: string): never {
  console.error(`[cluster] ${message}`);
  process.exit(1);
}

if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
  fail('a cluster needs a shared PostgreSQL and a shared Redis: set DATABASE_URL (postgres://…) and REDIS_URL (redis://…).\n' +
    'PGlite lives inside one process and the in-memory bus reaches one node, so neither can be shared.');
}
const nginx = findNginx() ?? fail('nginx is not installed (Debian: apt-get install -y nginx), or set NGINX to its path.');
// Away from `npm start`'s 3000 (console) and 3001 (example shop).
const port = portFrom('CLUSTER_PORT', 8080);
const nodeA = portFrom('NODE_A_PORT', 3100);
const nodeB = portFrom('NODE_B_PORT', 3200);
const publicUrl = `http://localhost:${port}`;

const runDir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
// Started by root, nginx's workers run as nobody and write their temporary files in here.
chmodSync(runDir, 0o755);

interface Service { name: string; child: ChildProcess; exited: Promise<void> }
const services: Service[] = [];
let stopping = false;

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Service {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stdout! }).on('line', (line) => console.log(`[${name}] ${line}`));
  createInterface({ input: child.stderr! }).on('line', (line) => console.error(`[${name}] ${line}`));
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[cluster] ${name} exited (${signal ?? `code ${code}`}); stopping the others`);
      void stop(1);
    }
    resolve();
  }));
  const service = { name, child, exited };
  services.push(service);
  return service;
}

function startNode(name: string, nodePort: number, examplePort: string | undefined): Service {
  return run(name, process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    HOST: '127.0.0.1',
    PORT: String(nodePort),
    EXAMPLE_PORT: examplePort,
    // Browsers reach every node through nginx, which is the only proxy the nodes believe.
    PUBLIC_URL: publicUrl,
    TRUST_PROXY: '127.0.0.1',
  });
}

async function waitReady(service: Service, url: string): Promise<void> {
  let exited = false;
  void service.exited.then(() => { exited = true; });
  for (const deadline = Date.now() + 120_000; Date.now() < deadline && !exited;) {
    const ok = await fetch(`${url}/readyz`).then((response) => response.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${service.name} did not become ready at ${url}`);
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // nginx first, so that no new request reaches a node on its way out.
  for (const { child } of services.toReversed()) {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  }
  await Promise.all(services.map((service) => service.exited));
  rmSync(runDir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const a = startNode('a', nodeA, process.env.EXAMPLE_PORT);
  await waitReady(a, `http://127.0.0.1:${nodeA}`);
  const b = startNode('b', nodeB, 'off');
  await waitReady(b, `http://127.0.0.1:${nodeB}`);
  const config = writeNginxConfig(runDir, { port, nodeA, nodeB });
  const proxy = run('nginx', nginx, ['-p', runDir, '-c', config, '-e', 'stderr']);
  await waitReady(proxy, `http://127.0.0.1:${port}`);
  console.log([
    `[cluster] ready: ${publicUrl}/console/ through nginx, round robin over node a (127.0.0.1:${nodeA}) and node b (127.0.0.1:${nodeB})`,
    `[cluster] pids: a=${a.child.pid} b=${b.child.pid} nginx=${proxy.child.pid}; nginx's config and logs in ${runDir}`,
    '[cluster] Ctrl-C stops all three',
  ].join('\n'));
} catch (error) {
  console.error(`[cluster] ${(error as Error).message}`);
  await stop(1);
}
