// Reads V8 heap snapshots (`npm run bench -- --heap-snapshot` takes one of each server before and
// while it holds its idle connections) and prints what the connections added, by constructor:
// count, bytes, bytes per connection. Self sizes only: it shows which objects are many, not who
// retains them.
// Usage: tsx bench/heap-summary.ts <after.heapsnapshot> [before.heapsnapshot] [connections] [top=30]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

type Groups = Map<string, { count: number; bytes: number }>;

function groupsOf(snapshot: HeapSnapshot): Groups {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups: Groups = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    const size = snapshot.nodes[i + sizeAt]!;
    // Objects by constructor; strings, code, arrays and the rest by their kind.
    const key = type === 'object' || type === 'native' ? snapshot.strings[snapshot.nodes[i + nameAt]!]! : `(${type})`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += size;
    groups.set(key, group);
  }
  return groups;
}

/** The groups of `after`, less those of `before` when given, largest first. */
export function summarizeHeap(after: HeapSnapshot, before: HeapSnapshot | null, connections = 0, top = 30): string {
  const groups = groupsOf(after);
  if (before) {
    for (const [name, { count, bytes }] of groupsOf(before)) {
      const group = groups.get(name) ?? { count: 0, bytes: 0 };
      groups.set(name, { count: group.count - count, bytes: group.bytes - bytes });
    }
  }
  const total = [...groups.values()].reduce((sum, group) => sum + group.bytes, 0);
  const perConnection = (bytes: number) => (connections ? `${(bytes / connections).toFixed(0).padStart(7)} B/conn` : '');
  const lines = [`  ${(total / 2 ** 20).toFixed(1)} MiB${before ? ' added' : ''}${connections ? ` for ${connections} connections: ${perConnection(total).trim()}` : ''}`];
  for (const [name, { count, bytes }] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
    lines.push(`  ${(bytes / 2 ** 20).toFixed(2).padStart(8)} MiB ${String(count).padStart(9)} × ${perConnection(bytes)}  ${name.slice(0, 80)}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [after, before, connections, top] = process.argv.slice(2);
  if (!after) throw new Error('usage: tsx bench/heap-summary.ts <after.heapsnapshot> [before.heapsnapshot] [connections] [top]');
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  console.log(summarizeHeap(read(after), before ? read(before) : null, Number(connections) || 0, Number(top) || 30));
}
