#!/usr/bin/env node
// The package's `bin`: `npx mcp-canary <status|rollback [reason]|history> [--json]`, the break-glass command
// line (README.md, "When Slack is down"). It runs the bundle dist/cli.js when `npm run build` made it, else
// the TypeScript source (src/cli.ts) through tsx, so it works in a fresh checkout after `npm install`.
//
// Plain JavaScript that any Node parses: on a Node older than the project's (undici 8 crashes at import
// before 22.19), it runs itself again with the Node 24 of the `node` devDependency when it is installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
let cli;
if (existsSync(bundle)) {
  cli = await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(pathToFileURL(join(ROOT, 'src', 'cli.ts')).href);
}
await cli.main(process.argv.slice(2));
