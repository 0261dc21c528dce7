// Child processes of the bench: servers and load generators, each a Node process with an IPC
// channel, pinned to CPU cores with taskset when it exists. Every child is tracked so that
// stopAll() can end them on any exit path, and every child exits by itself when the IPC channel
// closes (see servers/reporter.ts and generator.ts), so none outlives a crashed orchestrator.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const cores = availableParallelism();

/** Core 0 for the server under test, the rest (or core 0 too on a 1-core machine) for load. */
export const cpuPlan = {
  pinned: hasTaskset && cores > 1,
  server: '0',
  generators: cores > 2 ? `1-${cores - 1}` : cores === 2 ? '1' : '0',
  generatorCount: Math.max(1, cores - 1),
};

interface Pending {
  resolve: (message: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface Reply { type: string; id?: number; [key: string]: unknown }

const running = new Set<BenchChild>();

/** A Node child with a request/reply channel over IPC. */
export class BenchChild {
  readonly process: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly output: string[] = [];
  private readonly listeners: ((message: Reply) => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, script: string, options: { cores?: string; nodeArgs?: string[]; env?: NodeJS.ProcessEnv; args?: string[] } = {}) {
    const nodeArgs = ['--import', 'tsx', ...(options.nodeArgs ?? []), script, ...(options.args ?? [])];
    const [command, args] = cpuPlan.pinned && options.cores
      ? ['taskset', ['-c', options.cores, process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
    this.process = spawn(command, args as string[], {
      cwd: root,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    running.add(this);
    // Keep the tail of the child's output to explain a failure; do not clutter the table otherwise.
    const keep = (chunk: Buffer) => {
      for (const line of String(chunk).split('\n')) if (line.trim()) this.output.push(line);
      if (this.output.length > 60) this.output.splice(0, this.output.length - 60);
    };
    this.process.stdout!.on('data', keep);
    this.process.stderr!.on('data', keep);
    this.process.on('message', (message: Reply) => {
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (waiter) {
        this.pending.delete(message.id!);
        clearTimeout(waiter.timer);
        if (message.type === 'error') waiter.reject(new Error(`${this.name}: ${String(message.message)}`));
        else waiter.resolve(message);
      } else {
        for (const listener of this.listeners) listener(message);
      }
    });
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code) => {
        running.delete(this);
        for (const waiter of this.pending.values()) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`${this.name} exited (code ${code}) while waiting for a reply\n${this.tail()}`));
        }
        this.pending.clear();
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** Sends a command and waits for the reply carrying the same id. */
  request<T extends Reply = Reply>(message: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no reply to ${String(message.type)} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (message: Reply) => void, reject, timer });
      // With a callback, a child already gone rejects this request instead of throwing from an event.
      this.process.send({ ...message, id }, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${error.message}`));
      });
    });
  }

  /** The first unsolicited message of this type (e.g. `listening`). */
  waitFor<T extends Reply = Reply>(type: string, timeoutMs = 60_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no ${type} within ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
      const listener = (message: Reply) => {
        if (message.type !== type) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        resolve(message as T);
      };
      this.listeners.push(listener);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}) before ${type}\n${this.tail()}`));
      });
    });
  }

  tail(): string {
    return this.output.map((line) => `  [${this.name}] ${line}`).join('\n');
  }

  /** Asks politely (SIGTERM), then insists (SIGKILL) after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/** Last resort on a synchronous exit path: no waiting possible, so SIGKILL. */
export function killAllNow(): void {
  for (const child of running) child.process.kill('SIGKILL');
}

/** This process's open-file limit (children inherit it), or null where /proc is missing. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) ? soft : null;
  } catch {
    return null;
  }
}

// ---- CPU time from /proc, readable even while the child's event loop is saturated ----------------

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds of a process (all its threads), or null where /proc is missing. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of the PostgreSQL backends connected to `database` (their process title names it).
 * Shared work (WAL writer, checkpointer) is not included, so this slightly understates the cost;
 * summing every postgres process instead would count whatever else uses the cluster meanwhile.
 */
export function postgresCpuSeconds(database: string): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      // "postgres: 15/main: user database 127.0.0.1(port) state"
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!title.includes(` ${database} `)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    } catch {
      // The process ended between listing and reading.
    }
  }
  return total;
}

/**
 * Busy CPU seconds of the whole machine, or of one core (iowait counted as idle). Compared with
 * what the bench's own processes used, it tells whether something else was competing.
 */
export function machineBusySeconds(core?: number): number | null {
  try {
    const label = core === undefined ? 'cpu ' : `cpu${core} `;
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(label));
    if (!line) return null;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / ticksPerSecond;
  } catch {
    return null;
  }
}

/**
 * On a shared machine, waits until the cores are nearly idle (busy under `maxPercent` of one core
 * for half a second) before a step starts, so a neighbour's burst does not land in the numbers.
 * Gives up after `maxWaitMs`; the step then records how much CPU others used (Step.otherCpuPercent).
 */
export async function waitForQuietMachine(maxPercent = 25, maxWaitMs = 15_000): Promise<number> {
  const started = Date.now();
  let before = machineBusySeconds();
  if (before === null) return 0;
  while (Date.now() - started < maxWaitMs) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = machineBusySeconds()!;
    if ((100 * (now - before)) / 0.5 < maxPercent) break;
    before = now;
  }
  return Date.now() - started;
}
