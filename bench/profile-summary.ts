// Reads a V8 CPU profile (.cpuprofile, from --cpu-prof or `npm run bench -- --profile`) and prints
// where the busy time went: by package or area, and the top functions by self and total time.
// Usage: tsx bench/profile-summary.ts <file.cpuprofile> [top=25] [self|total]
//        tsx bench/profile-summary.ts <file.cpuprofile> [top=25] callers <function name>
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

const IDLE = new Set(['(idle)']);

/** Which part of the system a frame belongs to: a package, our own code, Node, or V8. */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node core';
  const own = /\/(server|db|bench)\//.exec(url);
  return own ? `parley ${own[1]}/` : url;
}

function nameOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(server|db|bench)\//, '$1/');
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

export function summarizeProfile(profile: CpuProfile, top = 25, sortBy: 'self' | 'total' = 'self'): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const idle = profile.nodes.filter((node) => IDLE.has(node.callFrame.functionName)).reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const busy = Math.max(1, total - idle);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();

  // Total time counts each function once per stack, so recursion is not counted twice.
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)!;
    const name = nameOf(node);
    const hits = IDLE.has(node.callFrame.functionName) ? 0 : node.hitCount ?? 0;
    self.set(name, (self.get(name) ?? 0) + hits);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + hits);
    const fresh = !onStack.has(name);
    if (fresh) onStack.add(name);
    let subtree = hits;
    for (const child of node.children ?? []) subtree += walk(child, onStack);
    if (fresh) {
      onStack.delete(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + subtree);
    }
    return subtree;
  };
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  for (const node of profile.nodes) if (!childIds.has(node.id)) walk(node.id, new Set());

  const percent = (hits: number) => `${((100 * hits) / busy).toFixed(1).padStart(5)}%`;
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const lines = [`  ${seconds.toFixed(1)} s profiled, busy ${((100 * busy) / Math.max(1, total)).toFixed(0)}% of samples; shares below are of busy time`];
  lines.push('  by area:');
  for (const [area, hits] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, 12)) lines.push(`    ${percent(hits)}  ${area}`);
  // Sorting by total time shows which entry points (a service call, a frame handler) cost most.
  const ranked = sortBy === 'self' ? [...self] : [...inclusive];
  lines.push(`  top functions by ${sortBy} time: self% (total%)`);
  for (const [name] of ranked.sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`    ${percent(self.get(name) ?? 0)} (${percent(inclusive.get(name) ?? 0).trim()})  ${name}`);
  }
  return lines.join('\n');
}

/** Who calls `functionName`: its self time split by the chain of `depth` callers above it. */
export function callersOf(profile: CpuProfile, functionName: string, top = 25, depth = 9): string {
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const chains = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    if (node.callFrame.functionName !== functionName || !node.hitCount) continue;
    const chain: string[] = [];
    for (let up = parent.get(node.id); up && chain.length < depth; up = parent.get(up.id)) chain.push(nameOf(up));
    const key = chain.join(' ← ') || '(no JS caller)';
    chains.set(key, (chains.get(key) ?? 0) + node.hitCount);
    total += node.hitCount;
  }
  return [`  ${functionName}: ${total} samples, by caller chain`,
    ...[...chains].sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([chain, hits]) => `    ${((100 * hits) / Math.max(1, total)).toFixed(1).padStart(5)}%  ${chain}`)].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top, sortBy, name] = process.argv.slice(2);
  if (file && sortBy === 'callers' && name) {
    console.log(callersOf(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, name, Number(top) || 25));
    process.exit(0);
  }
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top] [self|total]');
  console.log(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top) || 25, sortBy === 'total' ? 'total' : 'self'));
}
