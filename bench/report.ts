// From results to the table on stdout: one row per measure, a column per server measured, and the
// ratios Parley/ws, Parley/socket.io and Parley (one and two nodes)/socket.io + INSERT; then the
// write path, page weight and the targets.
import type { ServerKind } from './clients.ts';
import { stepPasses, type Step, type ThroughputResult } from './scenarios/load.ts';
import type { IdleMemoryResult } from './scenarios/idle-memory.ts';
import type { WritePathResult } from './scenarios/write-path.ts';
import type { PageWeightResult } from './scenarios/page-weight.ts';

export interface ServerResult {
  label: string;
  /** What the server reported at start (Parley: the rate limits it raised for the bench). */
  info: Record<string, unknown>;
  connectSeconds: number;
  latency: Step;
  throughput: ThroughputResult;
  idleMemory: IdleMemoryResult;
}

export interface Ratios {
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
  throughput: number;
  serverCpuPerMessage: number;
  idleMemoryPerConnection: number;
}

export interface Target {
  name: string;
  required: string;
  actual: string;
  met: boolean;
}

export interface Results {
  version: 1;
  mode: 'full' | 'quick';
  startedAt: string;
  durationSeconds: number;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  servers: Partial<Record<ServerKind, ServerResult>>;
  writePath?: WritePathResult;
  pageWeight?: PageWeightResult;
  ratios: { parleyOverWs?: Ratios; parleyOverSocketio?: Ratios; parleyOverSocketioPg?: Ratios; parley2OverSocketioPg?: Ratios };
  /** Latency at the fastest throughput step every server passed: like for like when the latency rate is too fast for one. */
  atCommonRate?: CommonRate;
  targets: Target[];
  /** With --webhooks: what was recorded and delivered. */
  webhooks?: { registered: number; messagesStored: number; deliveries: Record<string, number>; received: number };
}

export interface CommonRate {
  rate: number;
  p50Ms: Partial<Record<ServerKind, number>>;
  p99Ms: Partial<Record<ServerKind, number>>;
}

export function commonRateOf(servers: Results['servers']): CommonRate | undefined {
  const measured = Object.entries(servers) as [ServerKind, ServerResult][];
  const passedAt = (result: ServerResult, rate: number) => result.throughput.steps.find((step) =>
    step.offeredPerSecond === rate && stepPasses(step, result.throughput.p99LimitMs));
  const rates = measured[0]?.[1].throughput.steps.map((step) => step.offeredPerSecond) ?? [];
  const rate = Math.max(0, ...rates.filter((r) => measured.every(([, result]) => passedAt(result, r))));
  if (rate === 0) return undefined;
  const pick = (field: 'p50Ms' | 'p99Ms') => Object.fromEntries(measured.map(([kind, result]) => [kind, passedAt(result, rate)!.latency[field]]));
  return { rate, p50Ms: pick('p50Ms'), p99Ms: pick('p99Ms') };
}

export function ratiosOf(parley: ServerResult, other: ServerResult): Ratios {
  const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : 0);
  return {
    latencyP50: ratio(parley.latency.latency.p50Ms, other.latency.latency.p50Ms),
    latencyP99: ratio(parley.latency.latency.p99Ms, other.latency.latency.p99Ms),
    latencyMax: ratio(parley.latency.latency.maxMs, other.latency.latency.maxMs),
    throughput: ratio(parley.throughput.maxDeliveredPerSecond, other.throughput.maxDeliveredPerSecond),
    serverCpuPerMessage: ratio(parley.throughput.serverCpuUsPerMessage, other.throughput.serverCpuUsPerMessage),
    idleMemoryPerConnection: ratio(parley.idleMemory.rssPerConnectionBytes, other.idleMemory.rssPerConnectionBytes),
  };
}

export function targetsOf(results: Results): Target[] {
  const targets: Target[] = [];
  const { parleyOverWs: ws, parleyOverSocketio: io } = results.ratios;
  const parley = results.servers.parley;
  if (ws) {
    targets.push({ name: 'throughput with persistence vs bare ws', required: '≥ 0.5×', actual: `${ws.throughput}×`, met: ws.throughput >= 0.5 });
  }
  if (io) {
    targets.push({ name: 'throughput with persistence vs socket.io', required: '≥ 1.0×', actual: `${io.throughput}×`, met: io.throughput >= 1 });
  }
  // Like for like: both store every message before relaying it.
  const insert = results.servers['socketio-pg'];
  for (const kind of ['parley', 'parley2'] as const) {
    const ratio = results.ratios[kind === 'parley' ? 'parleyOverSocketioPg' : 'parley2OverSocketioPg'];
    const server = results.servers[kind];
    if (!ratio || !server || !insert) continue;
    targets.push({
      name: `throughput, ${server.label} vs socket.io + INSERT (p99 ≤ 50 ms)`, required: '≥ 3×',
      actual: `${ratio.throughput}× (${number(server.throughput.maxDeliveredPerSecond)} vs ${number(insert.throughput.maxDeliveredPerSecond)} msg/s)`,
      met: ratio.throughput >= 3,
    });
  }
  if (ws) {
    targets.push({ name: 'p99 latency vs bare ws', required: '≤ 1.5×', actual: `${ws.latencyP99}×`, met: ws.latencyP99 <= 1.5 });
  }
  if (parley) {
    const kb = parley.idleMemory.rssPerConnectionBytes / 1024;
    targets.push({
      name: `server memory per idle connection (${parley.idleMemory.connections.toLocaleString('en')} held)`,
      required: '≤ 10 KB', actual: `${kb.toFixed(1)} KB`, met: kb <= 10,
    });
  }
  if (results.pageWeight) {
    const { widgetGzipBytes, consoleInitialLoadGzipBytes, budgets } = results.pageWeight;
    targets.push({ name: 'widget.js gzipped', required: `≤ ${budgets.widget / 1024} KB`, actual: `${(widgetGzipBytes / 1024).toFixed(1)} KB`, met: widgetGzipBytes <= budgets.widget });
    targets.push({ name: 'console initial load gzipped', required: `≤ ${budgets.console / 1024} KB`, actual: `${(consoleInitialLoadGzipBytes / 1024).toFixed(1)} KB`, met: consoleInitialLoadGzipBytes <= budgets.console });
  }
  return targets;
}

type Row = [string, ...string[]];

function table(rows: Row[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row, i) => {
    const line = row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

const number = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined ? '–' : value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const times = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(2)}×`);

/** Columns in this order, for the servers a run measured; then the ratios it could compute. */
const COLUMNS: ServerKind[] = ['parley', 'parley2', 'ws', 'socketio', 'socketio-pg'];
const RATIO_COLUMNS = [
  ['parleyOverWs', 'Parley/ws', 'ws'],
  ['parleyOverSocketio', 'Parley/socket.io', 'socketio'],
  ['parleyOverSocketioPg', 'Parley/socket.io+INSERT', 'socketio-pg'],
  ['parley2OverSocketioPg', 'Parley×2/socket.io+INSERT', 'socketio-pg'],
] as const;

export function formatResults(results: Results): string {
  const s = results.servers;
  const kinds = COLUMNS.filter((kind) => s[kind]);
  const ratioColumns = RATIO_COLUMNS.filter(([key]) => results.ratios[key]);
  const latencyRate = Object.values(s)[0]?.latency.offeredPerSecond ?? 0;
  const row = (name: string, value: (r: ServerResult) => string, ratio?: keyof Ratios): Row =>
    [name, ...kinds.map((kind) => value(s[kind]!)), ...ratioColumns.map(([key]) => times(ratio && results.ratios[key]?.[ratio]))];
  const common = results.atCommonRate;
  const commonRow = (field: 'p50Ms' | 'p99Ms'): Row[] => {
    if (!common) return [];
    const value = (kind: ServerKind) => common[field][kind];
    const ratio = (mine: ServerKind, other: ServerKind) => (value(mine) && value(other) ? value(mine)! / value(other)! : undefined);
    return [[`  ${field.slice(0, 3)} (ms) at ${number(common.rate)} msg/s, fastest step all passed`,
      ...kinds.map((kind) => number(value(kind), 2)),
      ...ratioColumns.map(([key, , other]) => times(ratio(key.startsWith('parley2') ? 'parley2' : 'parley', other)))]];
  };

  const out: string[] = [];
  out.push(table([
    ['', ...kinds.map((kind) => s[kind]!.label), ...ratioColumns.map(([, title]) => title)],
    row(`latency p50 (ms) at ${number(latencyRate)} msg/s`, (r) => number(r.latency.latency.p50Ms, 2), 'latencyP50'),
    row('latency p99 (ms)', (r) => number(r.latency.latency.p99Ms, 2), 'latencyP99'),
    row('latency max (ms)', (r) => number(r.latency.latency.maxMs, 1), 'latencyMax'),
    row('throughput (msg/s delivered, p99 ≤ 50 ms)', (r) => number(r.throughput.maxDeliveredPerSecond), 'throughput'),
    row('  server CPU per message (µs)', (r) => number(r.throughput.serverCpuUsPerMessage, 1), 'serverCpuPerMessage'),
    row('  PostgreSQL CPU per message (µs)', (r) => number(r.throughput.postgresCpuUsPerMessage, 1)),
    row('  what ran out first', (r) => r.throughput.limitedBy),
    ...commonRow('p50Ms'),
    ...commonRow('p99Ms'),
    row('idle memory per connection (KB RSS)', (r) => number(r.idleMemory.rssPerConnectionBytes / 1024, 1), 'idleMemoryPerConnection'),
    row('  heap used per connection (KB)', (r) => number(r.idleMemory.heapPerConnectionBytes / 1024, 1)),
    row('  heap held per connection (KB)', (r) => number(r.idleMemory.heapTotalPerConnectionBytes / 1024, 1)),
    row('  connections held', (r) => number(r.idleMemory.connections)),
  ]));

  if (results.writePath) {
    const w = results.writePath;
    out.push('', `Write path on PostgreSQL (${w.writers} writers waiting for their commit, pool of ${w.poolSize}):`);
    out.push(table([
      ['', 'msg/s', 'commit p50 (ms)', 'commit p99 (ms)', 'PostgreSQL CPU/msg (µs)'],
      ...([['Parley as shipped (Messages.sendAsVisitor)', w.product], ['one transaction per message (raw SQL)', w.perMessage],
        ['one statement per message (UPDATE→INSERT CTE)', w.oneStatement],
        [`group commit (mean batch ${w.batched.meanBatchSize})`, w.batched]] as const).map(([name, v]): Row =>
        [name, number(v.messagesPerSecond), number(v.commitLatency.p50Ms, 2), number(v.commitLatency.p99Ms, 2), number(v.postgresCpuUsPerMessage)]),
    ]));
    out.push(`group commit (this bench's sketch) ÷ Parley as shipped: ${times(w.batchedSpeedup)}`);
  }

  if (results.pageWeight) {
    const p = results.pageWeight;
    out.push('', `Page weight: widget.js ${number(p.widgetGzipBytes)} B gzipped, console initial load ${number(p.consoleInitialLoadGzipBytes)} B gzipped` +
      (p.buildError ? ` (measured from dist/: ${p.buildError})` : ''));
  }

  if (results.targets.length) {
    out.push('', results.mode === 'quick' ? 'Targets (quick run: small counts, indicative only):' : 'Targets:');
    out.push(table([['', 'required', 'measured', ''], ...results.targets.map((t): Row => [t.name, t.required, t.actual, t.met ? 'met' : 'MISSED'])]));
  }
  return out.join('\n');
}
