// The orchestrator's handle on the load-generator processes: pairs are split into contiguous
// slices (both ends of a pair always in the same process), the rate is split in proportion, and
// the processes' histograms are merged so percentiles cover every message.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BenchChild, cpuPlan } from './lib/processes.ts';
import { LatencyHistogram } from './lib/histogram.ts';
import type { PairSpec, Target } from './clients.ts';
import type { ConnectResult, RunCommand, RunResult } from './generator.ts';

const script = fileURLToPath(new URL('./generator.ts', import.meta.url));

/** One generator's result, summed over the pool. */
export interface MergedRun extends Omit<RunResult, 'latency' | 'sendLag' | 'cpuSeconds'> {
  latency: LatencyHistogram;
  /** Worst send lag of any generator: above a few ms, the generator itself was falling behind. */
  sendLagP99Ms: number;
  /** Busiest generator's CPU use over the window, in % of one core. */
  generatorCpuPercent: number;
  /** All generators together, in % of one core. */
  generatorsCpuPercentTotal: number;
}

export class GeneratorPool {
  private slices: number[] = [];

  private constructor(private readonly children: BenchChild[], readonly localAddresses: string[]) {}

  static async start(count: number): Promise<GeneratorPool> {
    const children = Array.from({ length: count }, (_, i) =>
      new BenchChild(`generator-${i}`, script, { cores: cpuPlan.generators }));
    return new GeneratorPool(children, await usableLoopbackAddresses());
  }

  get size(): number {
    return this.children.length;
  }

  async connect(target: Target, pairs: PairSpec[], concurrency = 64): Promise<ConnectResult> {
    const per = Math.ceil(pairs.length / this.children.length);
    const slices = this.children.map((_, i) => pairs.slice(i * per, (i + 1) * per));
    const results = await Promise.all(this.children.map((child, i) => child.request<{ type: 'done'; result: ConnectResult }>(
      { type: 'connect', target, pairs: slices[i], localAddresses: this.localAddresses, concurrency }, 600_000)));
    this.slices = slices.map((slice) => slice.length);
    const merged = results.map((r) => r.result);
    const firstError = merged.find((r) => r.firstError)?.firstError;
    return {
      connected: merged.reduce((sum, r) => sum + r.connected, 0),
      failed: merged.reduce((sum, r) => sum + r.failed, 0),
      ...(firstError ? { firstError } : {}),
      seconds: Math.max(...merged.map((r) => r.seconds)),
    };
  }

  async run(command: Omit<RunCommand, 'type'>): Promise<MergedRun> {
    const total = this.slices.reduce((sum, n) => sum + n, 0);
    const busy = this.children.filter((_, i) => this.slices[i]! > 0);
    const timeout = command.startAt - Date.now() + command.warmupMs + command.durationMs + command.drainMs + 60_000;
    const replies = await Promise.all(busy.map((child) => {
      const share = this.slices[this.children.indexOf(child)]! / total;
      return child.request<{ type: 'done'; result: RunResult }>({ type: 'run', ...command, rate: command.rate * share }, timeout);
    }));
    const latency = new LatencyHistogram();
    const problems: Record<string, number> = {};
    let sent = 0, delivered = 0, deliveredInWindow = 0, undelivered = 0, unexpected = 0, sendLagP99Ms = 0, generatorCpuPercent = 0, generatorsCpuPercentTotal = 0;
    for (const { result } of replies) {
      latency.merge(result.latency);
      sent += result.sent;
      delivered += result.delivered;
      deliveredInWindow += result.deliveredInWindow;
      undelivered += result.undelivered;
      unexpected += result.unexpected;
      sendLagP99Ms = Math.max(sendLagP99Ms, result.sendLag.p99Ms);
      generatorCpuPercent = Math.max(generatorCpuPercent, (100 * result.cpuSeconds) / result.windowSeconds);
      generatorsCpuPercentTotal += (100 * result.cpuSeconds) / result.windowSeconds;
      for (const [kind, count] of Object.entries(result.problems)) problems[kind] = (problems[kind] ?? 0) + count;
    }
    return {
      latency, sent, delivered, deliveredInWindow, undelivered, unexpected, problems,
      windowSeconds: command.durationMs / 1000, sendLagP99Ms, generatorCpuPercent, generatorsCpuPercentTotal,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((child) => child.request({ type: 'close' }, 120_000)));
    this.slices = [];
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => child.stop()));
  }
}

/**
 * Source addresses for the generators' sockets: each (source address, server port) allows ~28k
 * ephemeral ports, so 15,000+ connections spread over several 127.0.0.x. Only the ones this
 * machine lets us bind (all of 127/8 on Linux; often only 127.0.0.1 elsewhere).
 */
async function usableLoopbackAddresses(): Promise<string[]> {
  const candidates = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
  const usable: string[] = [];
  for (const address of candidates) {
    const ok = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(0, address, () => probe.close(() => resolve(true)));
    });
    if (ok) usable.push(address);
  }
  return usable.length ? usable : ['127.0.0.1'];
}
