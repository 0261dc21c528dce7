// The two load scenarios, run on one set of connected pairs:
//   latency    — a fixed rate (2,000 msg/s over 2,000 pairs in the full run) for ≥ 20 s: p50/p99/max.
//   throughput — the rate doubled step by step until p99 passes 50 ms, then bisected: delivered
//                msg/s at the fastest step under the limit, and server CPU per message.
import { availableParallelism } from 'node:os';
import type { LatencySummary } from '../lib/histogram.ts';
import { cpuPlan, machineBusySeconds, postgresCpuSeconds, waitForQuietMachine } from '../lib/processes.ts';
import type { GeneratorPool } from '../generators.ts';
import type { ServerUnderTest } from '../servers/launch.ts';
import type { ServerStats } from '../servers/reporter.ts';

export interface StepTiming {
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  /** Tries per step when other processes disturb it (1 = never retry). */
  attempts: number;
  /** How long to wait for the machine to go quiet before each step. */
  quietWaitMs: number;
}

export interface Step {
  offeredPerSecond: number;
  deliveredPerSecond: number;
  latency: LatencySummary;
  sent: number;
  undelivered: number;
  unexpected: number;
  problems: Record<string, number>;
  /** Server process CPU over the window, % of one core (the server is single-threaded JS; several nodes: their sum). */
  serverCpuPercent: number;
  serverCpuUsPerMessage: number;
  /** The PostgreSQL backends serving the server's database, per delivered message (Parley only). */
  postgresCpuUsPerMessage: number | null;
  postgresCpuPercent: number | null;
  /** The TCP balancer in front of a multi-node server, % of one core (null without one). */
  balancerCpuPercent: number | null;
  /**
   * CPU used during the window by processes outside the bench (machine busy time minus server,
   * generators, balancer and PostgreSQL), % of one core. Above ~20 the step competed for the cores.
   * Redis, shared with whatever else uses it, is counted here.
   */
  otherCpuPercent: number | null;
  /** The whole machine, % of one core (so up to 100 × cores). */
  machineCpuPercent: number | null;
  /**
   * The server's core, busy %: the server plus whatever else ran there. PostgreSQL is not pinned,
   * so its backends share this core with the server.
   */
  serverCoreBusyPercent: number | null;
  serverEventLoopDelay: ServerStats['eventLoopDelay'];
  generatorCpuPercent: number;
  generatorSendLagP99Ms: number;
  /** Earlier tries of this step thrown away because other processes took the CPU (see measureStep). */
  disturbedAttempts: number;
}

/** Other processes using more than this (% of one core) during a step make it "disturbed". */
const DISTURBED_PERCENT = 25;

export interface ThroughputResult {
  p99LimitMs: number;
  /** Delivered msg/s at the fastest step whose p99 stayed under the limit with nothing lost. */
  maxDeliveredPerSecond: number;
  serverCpuUsPerMessage: number;
  postgresCpuUsPerMessage: number | null;
  /** What ran out at the failing step, as far as the CPU figures tell. */
  limitedBy: Limit | 'not reached';
  steps: Step[];
}

/**
 * A step, retried when it was disturbed: if processes outside the bench took more than
 * DISTURBED_PERCENT of a core during the window and the step `failed` although the server kept up
 * with the rate, it is measured again (at most timing.attempts in all). The machine may be shared;
 * the bench measures the server, not its neighbours. Every step records how much CPU others used,
 * so the reader can judge.
 */
export async function measureStep(server: ServerUnderTest, generators: GeneratorPool, rate: number, timing: StepTiming,
  failed: (step: Step) => boolean, log: (line: string) => void): Promise<Step> {
  for (let attempt = 0; ; attempt++) {
    const step = await runStep(server, generators, rate, timing);
    step.disturbedAttempts = attempt;
    // A server that fell behind on delivery was overloaded whatever else ran: no second try.
    const disturbed = (step.otherCpuPercent ?? 0) >= DISTURBED_PERCENT && step.deliveredPerSecond >= 0.9 * step.offeredPerSecond;
    if (attempt + 1 >= timing.attempts || !failed(step) || !disturbed) return step;
    log(`    (disturbed: other processes used ${step.otherCpuPercent}% of a core; measuring again) ${describeStep(step)}`);
  }
}

/** One measured step: every generator at its share of `rate`, the server's CPU read at the window's edges. */
async function runStep(server: ServerUnderTest, generators: GeneratorPool, rate: number, timing: StepTiming): Promise<Step> {
  await server.settle();
  if (timing.quietWaitMs > 0) await waitForQuietMachine(DISTURBED_PERCENT, timing.quietWaitMs);
  // Time for the command to reach every generator, so they all start on the same schedule.
  const startAt = Date.now() + 200;
  const windowStart = startAt + timing.warmupMs;
  const windowEnd = windowStart + timing.durationMs;
  const at = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
  const sampleServer = async () => ({
    cpu: await server.cpuSeconds(),
    postgres: server.databaseName ? postgresCpuSeconds(server.databaseName) : null,
    balancer: server.balancerCpuSeconds(),
    machine: machineBusySeconds(),
    serverCore: cpuPlan.pinned ? machineBusySeconds(Number(cpuPlan.server)) : null,
  });

  const running = generators.run({ rate, startAt, ...timing });
  const sampled = (async () => {
    await at(windowStart);
    const [first] = await Promise.all([sampleServer(), server.stats({ resetEventLoopDelay: true })]);
    await at(windowEnd);
    const [last, stats] = await Promise.all([sampleServer(), server.stats({ resetEventLoopDelay: true })]);
    return { first, last, stats };
  })();
  const [run, { first, last, stats }] = await Promise.all([running, sampled]);

  const delivered = Math.max(1, run.deliveredInWindow);
  const seconds = run.windowSeconds;
  const percent = (from: number | null, to: number | null) => (from === null || to === null ? null : (100 * (to - from)) / seconds);
  const serverCpuPercent = percent(first.cpu, last.cpu)!;
  const postgresCpuPercent = percent(first.postgres, last.postgres);
  const balancerCpuPercent = percent(first.balancer, last.balancer);
  const machinePercent = percent(first.machine, last.machine);
  const serverCorePercent = percent(first.serverCore, last.serverCore);
  return {
    offeredPerSecond: rate,
    deliveredPerSecond: Math.round(run.deliveredInWindow / seconds),
    latency: run.latency.summary(),
    sent: run.sent,
    undelivered: run.undelivered,
    unexpected: run.unexpected,
    problems: run.problems,
    serverCpuPercent: round(serverCpuPercent),
    serverCpuUsPerMessage: round(((last.cpu - first.cpu) * 1e6) / delivered),
    postgresCpuUsPerMessage: first.postgres !== null && last.postgres !== null
      ? round(((last.postgres - first.postgres) * 1e6) / delivered) : null,
    postgresCpuPercent: postgresCpuPercent === null ? null : round(postgresCpuPercent),
    balancerCpuPercent: balancerCpuPercent === null ? null : round(balancerCpuPercent),
    machineCpuPercent: machinePercent === null ? null : round(machinePercent),
    serverCoreBusyPercent: serverCorePercent === null ? null : round(serverCorePercent),
    otherCpuPercent: machinePercent === null ? null
      : round(Math.max(0, machinePercent - serverCpuPercent - run.generatorsCpuPercentTotal - (postgresCpuPercent ?? 0) - (balancerCpuPercent ?? 0))),
    serverEventLoopDelay: roundAll(stats.eventLoopDelay),
    generatorCpuPercent: round(run.generatorCpuPercent),
    generatorSendLagP99Ms: run.sendLagP99Ms,
    disturbedAttempts: 0,
  };
}

export interface RampPlan extends StepTiming {
  startRate: number;
  p99LimitMs: number;
  maxSteps: number;
  /** Extra steps between the last passing and the first failing rate. */
  bisections: number;
}

export async function runThroughput(server: ServerUnderTest, generators: GeneratorPool, plan: RampPlan,
  log: (line: string) => void): Promise<ThroughputResult> {
  const steps: Step[] = [];
  const passes = (step: Step) => stepPasses(step, plan.p99LimitMs);
  const measure = async (rate: number) => {
    const step = await measureStep(server, generators, rate, plan, (s) => !passes(s), log);
    steps.push(step);
    log(`    ${describeStep(step)}${passes(step) ? '' : '  ✗'}`);
    return step;
  };

  // Doubling, so every server is measured at the same rates (250, 500, 1,000…) and can be compared
  // step for step; then bisection between the last pass and the first failure.
  let best: Step | null = null;
  let failed: Step | null = null;
  for (let i = 0, rate = plan.startRate; i < plan.maxSteps; i++, rate *= 2) {
    const step = await measure(rate);
    if (!passes(step)) {
      failed = step;
      break;
    }
    best = step;
  }
  for (let i = 0; failed && i < plan.bisections; i++) {
    const low = best?.offeredPerSecond ?? 0;
    const middle = Math.round((low + failed.offeredPerSecond) / 2);
    if (middle <= low || middle >= failed.offeredPerSecond) break;
    const step = await measure(middle);
    if (passes(step)) best = step;
    else failed = step;
  }

  return {
    p99LimitMs: plan.p99LimitMs,
    maxDeliveredPerSecond: best?.deliveredPerSecond ?? 0,
    serverCpuUsPerMessage: best?.serverCpuUsPerMessage ?? 0,
    postgresCpuUsPerMessage: best?.postgresCpuUsPerMessage ?? null,
    limitedBy: failed ? limitOf(failed, server.databaseName !== null) : 'not reached',
    steps,
  };
}

/** Under the p99 limit, nothing lost, and the offered rate actually delivered. */
export function stepPasses(step: Step, p99LimitMs: number): boolean {
  return step.latency.p99Ms <= p99LimitMs && step.undelivered === 0 && step.deliveredPerSecond >= 0.95 * step.offeredPerSecond;
}

type Limit = 'server CPU' | 'server core (shared with PostgreSQL)' | 'server core (shared)' | 'all cores busy' | 'generator'
  | 'server pauses' | 'other processes' | 'waiting on PostgreSQL' | 'unclear';

/** A heuristic from the CPU figures of the failing step; BENCHMARKS.md backs it with profiles. */
function limitOf(step: Step, usesPostgres: boolean): Limit {
  if (step.serverCpuPercent >= 90) return 'server CPU';
  // Queueing on a core starts well before 100%: above 80% busy, latency climbs steeply.
  if ((step.serverCoreBusyPercent ?? 0) >= 80) return usesPostgres ? 'server core (shared with PostgreSQL)' : 'server core (shared)';
  // PostgreSQL is not pinned: with the server, it can fill every core while neither looks full.
  if ((step.machineCpuPercent ?? 0) >= 90 * availableParallelism()) return 'all cores busy';
  if (step.generatorCpuPercent >= 90 || step.generatorSendLagP99Ms > 10) return 'generator';
  // The event loop stalled (GC, a long task) for about as long as the p99 it caused.
  if (step.serverEventLoopDelay.maxMs >= step.latency.p99Ms / 2) return 'server pauses';
  if ((step.otherCpuPercent ?? 0) >= DISTURBED_PERCENT) return 'other processes';
  // The server had CPU to spare and its messages still queued: they were waiting for the database.
  return usesPostgres ? 'waiting on PostgreSQL' : 'unclear';
}

/** One line for the progress log. */
export function describeStep(step: Step): string {
  return `${step.offeredPerSecond} msg/s → ${step.deliveredPerSecond} delivered, ` +
    `p50 ${step.latency.p50Ms} p99 ${step.latency.p99Ms} max ${step.latency.maxMs} ms; CPU: server ${step.serverCpuPercent}%` +
    (step.postgresCpuPercent === null ? '' : `, PostgreSQL ${step.postgresCpuPercent}%`) +
    (step.balancerCpuPercent === null ? '' : `, balancer ${step.balancerCpuPercent}%`) +
    (step.serverCoreBusyPercent === null ? '' : `, server's core ${step.serverCoreBusyPercent}% busy`) +
    `, generators ${step.generatorCpuPercent}%, others ${step.otherCpuPercent ?? '?'}%` +
    (step.undelivered ? `; ${step.undelivered} undelivered` : '') +
    (Object.keys(step.problems).length ? `; problems ${JSON.stringify(step.problems)}` : '');
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function roundAll<T extends Record<string, number>>(values: T): T {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Math.round(value * 100) / 100])) as T;
}
