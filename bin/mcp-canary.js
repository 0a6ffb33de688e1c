#!/usr/bin/env node
// The package's `bin`: `npx mcp-canary <status|rollback [reason]|history> [--json]`, the break-glass command
// line (README.md, "When Slack is down"). It runs the bundle dist/cli.js when `npm run build` made it, else
// the TypeScript source (src/cli.ts) through tsx, so it works in a fresh checkout after `npm install`.
// dist/ is not in git: after a `git pull` without `npm run build` the bundle is older than the sources, and
// running it would run the old core. In a checkout (src/ present) a bundle older than any source file is
// skipped for the sources, once said on stderr; in the image (no src/) the bundle is all there is.
//
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);

if (major < 22 || (major === 22 && minor < 19)) {
  const node24 = join(ROOT, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(node24) || process.env.MCP_CANARY_REEXEC) {
    process.stderr.write(`mcp-canary needs Node >= 22.19 (this is ${process.version}); run \`npm install\` in ${ROOT} (it brings Node 24), or use the container image.\n`);
    process.exit(1);
  }
  const run = spawnSync(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, MCP_CANARY_REEXEC: '1' } });
  process.exit(run.status ?? 1);
}

// V8's code cache on disk: the second run onwards skips compiling the bundle (about 60 ms of its start).
module.enableCompileCache?.();

const bundle = join(ROOT, 'dist', 'cli.js');
const source = join(ROOT, 'src', 'cli.ts');
const built = existsSync(bundle);
// Only a checkout has src/; a few ms of stat calls (about a hundred files).
const newer = built && existsSync(source) ? newestSourceAfter(statSync(bundle).mtimeMs) : undefined;
let cli;
if (built && !newer) {
  cli = await import(pathToFileURL(bundle).href);
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch (error) {
    // Installed without its devDependencies: the old bundle is better than nothing at all.
    if (!newer) throw error;
  }
  if (tsx) {
    if (newer) process.stderr.write(`mcp-canary: dist/cli.js is older than ${newer} (not rebuilt since the sources changed): running the sources instead. \`npm run build\` in ${ROOT} refreshes it.\n`);
    tsx.register();
    cli = await import(pathToFileURL(source).href);
  } else {
    process.stderr.write(`mcp-canary: dist/cli.js is older than ${newer} and tsx is not installed to run the sources: running the old bundle. \`npm install && npm run build\` in ${ROOT} refreshes it.\n`);
    cli = await import(pathToFileURL(bundle).href);
  }
}
await cli.main(process.argv.slice(2));

/** A source file (src/, handlers/, views/) changed after `since` (ms), by its path from ROOT; undefined if none. */
function newestSourceAfter(since) {
  for (const dir of ['src', 'handlers', 'views']) {
    let entries;
    try {
      entries = readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath ?? entry.path, entry.name);
      if (statSync(path).mtimeMs > since) return path.slice(ROOT.length + 1);
    }
  }
  return undefined;
}
