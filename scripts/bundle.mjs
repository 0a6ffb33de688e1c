// The production build: src/main.ts and what it imports, dependencies included, as one tree-shaken
// ES module (what `npm start`, the Docker image and the benchmark run).
//
// Why a bundle and not tsc's one-file-per-module output: @kubernetes/client-node alone is 868 modules
// and 25 MB of JavaScript (the whole generated API) for the handful of calls the bot makes. Node keeps
// every loaded module's source and metadata in memory, so the unbundled bot idled with a 49 MB V8 heap
// and took 1.5 s to start; bundled and tree-shaken it is about half of both (README, "Performance").
//
// Usage: node scripts/bundle.mjs [outfile]   (default dist/mcp-canary.js; a .map is written beside it)
// Type checking is not esbuild's job: `npm run build` runs tsc --noEmit first.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_PACKAGES } from './runtime-packages.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = process.argv[2] ?? join(ROOT, 'dist', 'mcp-canary.js');

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Identifiers keep their names so stack traces in the logs stay readable; whitespace and syntax are minified.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'external',
  legalComments: 'none',
  // ASCII only: one non-ASCII character anywhere makes V8 hold the whole 5 MB source as UTF-16, twice the memory.
  charset: 'ascii',
  metafile: true,
  logLevel: 'warning',
  // Loaded at run time from node_modules, relative to the bundle (scripts/runtime-packages.mjs).
  external: RUNTIME_PACKAGES,
  // CommonJS dependencies call require() for Node's built-ins and may read __dirname/__filename (ioredis
  // for friendlier stacks, pino for transports the bot does not use); an ES module has none of them.
  banner: {
    js: [
      "import { createRequire as __bundleCreateRequire } from 'node:module';",
      "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
      'const require = __bundleCreateRequire(import.meta.url);',
      'const __filename = __bundleFileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
});

// esbuild escapes non-ASCII characters everywhere except inside String.raw templates, where an escape would change the text.
const nonAscii = /[^\x00-\x7f]/.exec(readFileSync(outfile, 'latin1'));
if (nonAscii) {
  const at = nonAscii.index;
  console.error(`${relative(ROOT, outfile)} has a non-ASCII byte at ${at} (use an escape or an HTML entity in the source): ...${readFileSync(outfile, 'latin1').slice(Math.max(0, at - 60), at + 20)}...`);
  process.exit(1);
}

const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`bundled ${relative(ROOT, outfile)}: ${(bytes / 1048576).toFixed(1)} MB with its source map, ${Object.keys(result.metafile.inputs).length} modules`);
