// Summarises a V8 .heapsnapshot (from `BENCH_HEAP_SNAPSHOT=1 BENCH_BOT_NODE_ARGS="--heapsnapshot-signal=SIGUSR2
// --diagnostic-dir=bench/profiles" npm run bench`): live bytes by object type/constructor, largest first.
// Usage: node --import tsx bench/heap-summary.ts bench/profiles/<file>.heapsnapshot [top=30]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: bench/heap-summary.ts <file.heapsnapshot> [top]');
  process.exit(2);
}
const snap = JSON.parse(readFileSync(file, 'utf8')) as {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
};
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const F = fields.length;
const iType = fields.indexOf('type');
const iName = fields.indexOf('name');
const iSize = fields.indexOf('self_size');
const bySize = new Map<string, { bytes: number; count: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += F) {
  const type = types[snap.nodes[i + iType]!]!;
  const size = snap.nodes[i + iSize]!;
  total += size;
  let name = type;
  if (type === 'object' || type === 'closure' || type === 'native') name = `${type}:${snap.strings[snap.nodes[i + iName]!]!.slice(0, 60)}`;
  const e = bySize.get(name) ?? { bytes: 0, count: 0 };
  e.bytes += size;
  e.count++;
  bySize.set(name, e);
}
console.log(`${file}: ${(total / 1048576).toFixed(1)} MB live (self sizes), ${snap.nodes.length / F} objects`);
for (const [name, e] of [...bySize.entries()].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(topArg ?? 30))) {
  console.log(`${(e.bytes / 1048576).toFixed(2).padStart(8)} MB ${String(e.count).padStart(8)}  ${name}`);
}
