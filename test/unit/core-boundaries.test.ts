// The core's boundaries, checked on its source: it imports nothing from Slack, Kubernetes, Redis or HTTP,
// its modules import each other without cycles, ports.ts declares interfaces only, and neither the core nor
// the views speak a traffic layer's vocabulary or chat markup: they say "canary route" and "routing rules".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const CORE = join(ROOT, 'src/core');
const VIEWS = join(ROOT, 'views');

function sources(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** Module specifiers of every import and export-from, type-only ones included. */
function importsOf(source: string): string[] {
  return [...source.matchAll(/^(?:import|export)\b[^'"]*?from '([^']+)';/gm)].map((m) => m[1]!);
}

/** Code without comments, so a comment may name what the code must not use. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('the core', () => {
  const core = sources(CORE);

  it('imports only its own modules, Node built-ins it needs for pure work, and the shared settledWithin', () => {
    for (const [file, source] of core) {
      for (const spec of importsOf(source)) {
        expect(spec, `${file} imports ${spec}`).toMatch(/^\.\/[a-z-]+\.js$|^\.\.\/settled-within\.js$|^node:crypto$/);
      }
    }
  });

  it('has no import cycle', () => {
    const graph = new Map([...core].map(([file, source]) => [file, importsOf(source).filter((s) => s.startsWith('./')).map((s) => s.slice(2).replace(/\.js$/, '.ts'))]));
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (path.includes(file)) {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    };
    for (const file of graph.keys()) visit(file, []);
    expect([...new Set(cycles)]).toEqual([]);
  });

  it('declares only interfaces and types in ports.ts, and its errors in errors.ts', () => {
    const ports = code(core.get('ports.ts')!);
    expect(ports).not.toMatch(/^export (class|function|const|let)\b/m);
    for (const [file, source] of core) {
      if (file !== 'errors.ts') expect(code(source), file).not.toMatch(/class \w+ extends Error/);
    }
  });
});

describe('vocabulary', () => {
  const vendor = /nginx|canary-by|canary-weight|annotation|HTTPRoute|httproute|backendRef|parentRef/;
  const chatMarkup = /<@|<!(channel|here|subteam)/;

  it('the core says "canary route" and "routing rules", never a router\'s fields, and writes no chat markup', () => {
    for (const [file, source] of sources(CORE)) {
      expect(code(source), file).not.toMatch(vendor);
      expect(code(source), file).not.toMatch(chatMarkup);
    }
  });

  it('the views word routes through the route reference, never a router\'s fields', () => {
    for (const [file, source] of sources(VIEWS)) expect(code(source), file).not.toMatch(vendor);
  });
});
