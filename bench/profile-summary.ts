// Summarises a V8 .cpuprofile (from `BENCH_BOT_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/profiles" npm run bench`):
// self time by package/area and by function, and total (inclusive) time of the bot's own functions.
// Usage: node --import tsx bench/profile-summary.ts bench/profiles/<file>.cpuprofile [top=25] [--skip-startup] [--first-ms N]
//   [--callers <function>]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// `--skip-startup`: ignore the samples before the first idle stretch of 250 ms (the bench pauses after start-up).
let firstSample = 0;
if (process.argv.includes('--skip-startup')) {
  const idleId = profile.nodes.find((n) => n.callFrame.functionName === '(idle)')?.id;
  let idleRun = 0; // ms of consecutive idle samples
  for (let i = 0; i < profile.samples.length; i++) {
    idleRun = profile.samples[i] === idleId ? idleRun + (profile.timeDeltas[i] ?? 0) / 1000 : 0;
    if (idleRun >= 250) {
      firstSample = i;
      break;
    }
  }
}
const windowArg = process.argv.indexOf('--first-ms');
const windowMs = windowArg > 0 ? Number(process.argv[windowArg + 1]) : Infinity;
let lastSample = profile.samples.length;
{
  let t = 0;
  let started = false;
  for (let i = firstSample; i < profile.samples.length; i++) {
    const idleId = profile.nodes.find((n) => n.callFrame.functionName === '(idle)')?.id;
    if (!started && profile.samples[i] !== idleId) started = true;
    if (started) t += (profile.timeDeltas[i] ?? 0) / 1000;
    if (t > windowMs) {
      lastSample = i;
      break;
    }
  }
}
profile.samples = profile.samples.slice(0, lastSample);
profile.timeDeltas = profile.timeDeltas.slice(0, lastSample);
for (let i = 0; i < firstSample; i++) profile.samples[i] = -1;

// Self time per node from the samples (each sample's delta is attributed to the sampled node).
const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  if (profile.samples[i] === -1) continue;
  const id = profile.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
}
const totalMs = [...self.values()].reduce((a, b) => a + b, 0);

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native/builtin)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/.*/, 'node:internal');
  const own = /bench\/\.build\/(.+)$/.exec(url) ?? /\/work\/main\/(.+)$/.exec(url);
  return own ? `app:${own[1]!.split('/').slice(0, 2).join('/')}` : url;
}

const byArea = new Map<string, number>();
const byFn = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const a = area(n.callFrame.url, n.callFrame.functionName);
  byArea.set(a, (byArea.get(a) ?? 0) + t);
  const key = `${n.callFrame.functionName || '(anonymous)'}  ${a}:${n.callFrame.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
}

// Inclusive time per function of the app (each sample counted once per distinct function on its stack).
const inclusive = new Map<string, number>();
for (let i = 0; i < profile.samples.length; i++) {
  if (profile.samples[i] === -1) continue;
  const seen = new Set<string>();
  let id: number | undefined = profile.samples[i]!;
  while (id !== undefined) {
    const n = byId.get(id)!;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    if (a.startsWith('app:') || a === '@kubernetes/client-node' || a === '@slack/bolt' || a === '@slack/web-api' || a === 'ioredis' || a === 'pino' || a === 'axios') {
      const key = `${n.callFrame.functionName || '(anonymous)'}  ${a}:${n.callFrame.lineNumber + 1}`;
      if (!seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
      }
    }
    id = parent.get(id);
  }
}

const pct = (t: number) => `${((t / totalMs) * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>, k: number) => {
  console.log(`\n${title}`);
  for (const [key, t] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k)) console.log(`${pct(t)} ${t.toFixed(0).padStart(7)} ms  ${key}`);
};
console.log(`${file}: ${(totalMs / 1000).toFixed(2)} s sampled over ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s`);
print('self time by area', byArea, top);
print('self time by function', byFn, top);
print('inclusive time (app and main libraries)', inclusive, top);

// `--callers <functionName>`: who calls it (stack paths above the matching nodes, weighted by self time below them).
const callersOf = process.argv.indexOf('--callers');
if (callersOf > 0) {
  const name = process.argv[callersOf + 1]!;
  const paths = new Map<string, number>();
  const inclusiveOf = (id: number): number => (self.get(id) ?? 0) + (byId.get(id)!.children ?? []).reduce((a, c) => a + inclusiveOf(c), 0);
  for (const n of profile.nodes) {
    if (n.callFrame.functionName !== name) continue;
    const chain: string[] = [];
    let p = parent.get(n.id);
    while (p !== undefined && chain.length < 12) {
      const pn = byId.get(p)!;
      chain.push(`${pn.callFrame.functionName || '(anon)'}@${area(pn.callFrame.url, pn.callFrame.functionName)}:${pn.callFrame.lineNumber + 1}`);
      p = parent.get(p);
    }
    const key = chain.join(' < ');
    paths.set(key, (paths.get(key) ?? 0) + inclusiveOf(n.id));
  }
  print(`callers of ${name}`, paths, 8);
}
