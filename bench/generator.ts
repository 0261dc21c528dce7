// A load-generator process. The orchestrator (run.ts) forks one or more, pinned away from the
// server's core, and drives them over IPC: `connect` a slice of the pairs, `run` at a rate, `close`.
//
// Both ends of every pair live in this process, so a latency is one clock read minus another of
// the same clock. Sends follow a fixed schedule (message k at t0 + k / rate) whatever happens to
// earlier messages, and a latency is measured from the message's *scheduled* time: when the server
// or this process falls behind, the lag is counted, not hidden (no coordinated omission).
import { performance } from 'node:perf_hooks';
import { LatencyHistogram, type HistogramData, type LatencySummary } from './lib/histogram.ts';
import { connectPair, type PairConnection, type PairSpec, type Target, type End } from './clients.ts';

export interface ConnectCommand { type: 'connect'; target: Target; pairs: PairSpec[]; localAddresses: string[]; concurrency: number }
export interface RunCommand {
  type: 'run';
  /** Messages per second for this process (its share of the total). */
  rate: number;
  /** Wall-clock time (Date.now()) to send the first message, so every generator starts together. */
  startAt: number;
  /** Sent but not measured: connections, JIT and pools settle first. */
  warmupMs: number;
  durationMs: number;
  /** How long to wait after the last send for messages still on their way. */
  drainMs: number;
}

export interface ConnectResult { connected: number; failed: number; firstError?: string; seconds: number }

export interface RunResult {
  latency: HistogramData;
  /** How late this process sent relative to the schedule: its own saturation, not the server's. */
  sendLag: LatencySummary;
  sent: number;
  /** Messages measured (scheduled inside the window) that arrived. */
  delivered: number;
  /** Arrivals inside the window, whatever their schedule: the delivered rate's numerator. */
  deliveredInWindow: number;
  /** Messages scheduled inside the window that never arrived (their wait counts as latency). */
  undelivered: number;
  /** Bodies that matched no message in flight (duplicates, or late arrivals from an earlier run). */
  unexpected: number;
  problems: Record<string, number>;
  windowSeconds: number;
  cpuSeconds: number;
}

/** A realistic chat message, the same for every server: after the id, ~80 characters of text. */
const FILLER = 'Hi! I ordered the blue one last week and it has not arrived yet, can you check?';
/** Sends per event-loop turn when behind schedule, so arrivals are still read in between. */
const MAX_BURST = 500;

let pairs: PairConnection[] = [];
let problems: Record<string, number> = {};
let nextMessageId = 0;

/**
 * The run in progress. Message k of the run has id firstId + k; its scheduled time and whether it
 * arrived live in flat typed arrays rather than a Map, so that bookkeeping at tens of thousands of
 * messages per second makes no garbage (the generator's own GC pauses would count as latency).
 */
interface Run {
  firstId: number;
  scheduledAt: Float64Array;
  arrived: Uint8Array;
  sent: number;
  pending: number;
  measureFrom: number;
  measureTo: number;
  histogram: LatencyHistogram;
  delivered: number;
  deliveredInWindow: number;
  unexpected: number;
}
let current: Run | null = null;

const events = {
  delivered(_to: End, body: string) {
    const receivedAt = performance.now();
    const run = current;
    // Between runs: a straggler already counted as undelivered by the run that sent it.
    if (!run) return;
    const k = Number.parseInt(body, 10) - run.firstId;
    if (!(k >= 0 && k < run.sent) || run.arrived[k]) {
      run.unexpected += 1;
      return;
    }
    run.arrived[k] = 1;
    run.pending -= 1;
    const scheduled = run.scheduledAt[k]!;
    if (receivedAt >= run.measureFrom && receivedAt < run.measureTo) run.deliveredInWindow += 1;
    if (scheduled >= run.measureFrom && scheduled < run.measureTo) {
      run.histogram.record(receivedAt - scheduled);
      run.delivered += 1;
    }
  },
  problem(kind: string) {
    problems[kind] = (problems[kind] ?? 0) + 1;
  },
};

async function connect(command: ConnectCommand): Promise<ConnectResult> {
  const started = performance.now();
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const slots: (PairConnection | undefined)[] = new Array(command.pairs.length);
  // A bounded number of handshakes in flight: the server's accept queue is finite, and a storm
  // of SYNs measures the kernel, not the server.
  const worker = async () => {
    while (next < command.pairs.length) {
      const index = next++;
      const localAddress = command.localAddresses[index % command.localAddresses.length]!;
      try {
        slots[index] = await connectPair(command.target, command.pairs[index]!, localAddress, events);
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.pairs.length) }, worker));
  pairs = slots.filter((pair): pair is PairConnection => pair !== undefined);
  return { connected: pairs.length, failed, ...(firstError ? { firstError } : {}), seconds: (performance.now() - started) / 1000 };
}

async function runAtRate(command: RunCommand): Promise<RunResult> {
  if (pairs.length === 0) throw new Error('no pairs connected');
  problems = {};
  const interval = 1000 / command.rate;
  const total = Math.floor(((command.warmupMs + command.durationMs) / 1000) * command.rate);
  const t0 = performance.now() + Math.max(0, command.startAt - Date.now());
  const measureFrom = t0 + command.warmupMs;
  const measureTo = measureFrom + command.durationMs;
  const run: Run = {
    firstId: nextMessageId, scheduledAt: new Float64Array(total), arrived: new Uint8Array(total), sent: 0, pending: 0,
    measureFrom, measureTo, histogram: new LatencyHistogram(), delivered: 0, deliveredInWindow: 0, unexpected: 0,
  };
  nextMessageId += total;
  current = run;
  const sendLag = new LatencyHistogram();
  let cpuAtStart = 0;
  let cpuAtEnd = 0;
  const cpuNow = () => { const usage = process.cpuUsage(); return (usage.user + usage.system) / 1e6; };
  const cpuTimers = [
    setTimeout(() => { cpuAtStart = cpuNow(); }, measureFrom - performance.now()),
    setTimeout(() => { cpuAtEnd = cpuNow(); }, measureTo - performance.now()),
  ];

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      let burst = 0;
      while (run.sent < total && burst < MAX_BURST) {
        const k = run.sent;
        const due = t0 + k * interval;
        if (due > now) break;
        // Round-robin over the pairs; each pair alternates visitor → agent, agent → visitor.
        const pair = pairs[k % pairs.length]!;
        const from: End = Math.floor(k / pairs.length) % 2 === 0 ? 0 : 1;
        const id = run.firstId + k;
        run.scheduledAt[k] = due;
        run.sent += 1;
        run.pending += 1;
        pair.send(from, `b${id}`, `${id} ${FILLER}`);
        if (due >= measureFrom && due < measureTo) sendLag.record(now - due);
        burst += 1;
      }
      if (run.sent >= total) return resolve();
      if (burst === MAX_BURST) setImmediate(tick);
      else setTimeout(tick, Math.max(0, t0 + run.sent * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });

  // Wait for the stragglers, then count what never came as undelivered, with the time waited as
  // its (understated) latency, so a lossy server cannot look fast.
  const deadline = performance.now() + command.drainMs;
  while (performance.now() < deadline && run.pending > 0) await sleep(10);
  const end = performance.now();
  let undelivered = 0;
  for (let k = 0; k < run.sent; k++) {
    const scheduled = run.scheduledAt[k]!;
    if (run.arrived[k] || scheduled < measureFrom || scheduled >= measureTo) continue;
    run.histogram.record(end - scheduled);
    undelivered += 1;
  }
  for (const timer of cpuTimers) clearTimeout(timer);
  if (cpuAtEnd === 0) cpuAtEnd = cpuNow();
  current = null;
  return {
    latency: run.histogram.toJSON(),
    sendLag: sendLag.summary(),
    sent: run.sent,
    delivered: run.delivered,
    deliveredInWindow: run.deliveredInWindow,
    undelivered,
    unexpected: run.unexpected,
    problems,
    windowSeconds: command.durationMs / 1000,
    cpuSeconds: cpuAtEnd - cpuAtStart,
  };
}

async function closePairs(): Promise<void> {
  await Promise.all(pairs.map((pair) => pair.close()));
  pairs = [];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (!process.send) throw new Error('bench/generator.ts is started by bench/run.ts');
// Never outlive the orchestrator.
process.on('disconnect', () => process.exit(0));
process.on('message', async (command: (ConnectCommand | RunCommand | { type: 'close' }) & { id: number }) => {
  try {
    const result = command.type === 'connect' ? await connect(command)
      : command.type === 'run' ? await runAtRate(command)
      : await closePairs();
    process.send!({ type: 'done', id: command.id, result });
  } catch (error) {
    process.send!({ type: 'error', id: command.id, message: error instanceof Error ? error.stack ?? error.message : String(error) });
  }
});
