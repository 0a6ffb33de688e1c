// The build: two ES modules.
//   - dist/mcp-canary.js, the production bundle: src/main.ts and what it imports, dependencies included, as one
//     tree-shaken file (what `npm start`, the Docker image and the benchmark run). It must contain nothing of
//     devkit/ or test/: the build fails if its metafile lists any of their modules.
//   - dist/playground.js, the development kit's playground (devkit/playground/playground.ts, its page files
//     through esbuild's text loader), which dist/mcp-canary.js loads only when there is no Slack workspace
//     (`npm start` without any SLACK_* variable, `npm run playground`). It is handed the bot by the
//     production bundle, so it carries no copy of it (the build fails if it does). The image does not ship it.
//
// Why a bundle and not tsc's one-file-per-module output: @kubernetes/client-node alone is 868 modules
// and 25 MB of JavaScript (the whole generated API) for the handful of calls the bot makes. Node keeps
// every loaded module's source and metadata in memory, so the unbundled bot idled with a 49 MB V8 heap
// and took 1.5 s to start; bundled and tree-shaken it is about half of both (README, "Performance").
//
// Usage: node scripts/bundle.mjs [outfile] [--no-playground]
//   outfile: the production bundle [dist/mcp-canary.js]; a .map is written beside it, and playground.js too
//   unless --no-playground (the Docker build: its context has no devkit/).
// Type checking is not esbuild's job: `npm run build` runs tsc --noEmit first.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_PACKAGES } from './runtime-packages.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const withPlayground = !args.includes('--no-playground');
const outfile = args.find((a) => !a.startsWith('--')) ?? join(ROOT, 'dist', 'mcp-canary.js');
const playgroundOutfile = join(dirname(outfile), 'playground.js');
const cliOutfile = join(dirname(outfile), 'cli.js');

/** Settings both outputs share. */
const common = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Identifiers keep their names so stack traces in the logs stay readable; whitespace and syntax are minified.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'none',
  // ASCII only: one non-ASCII character anywhere makes V8 hold the whole 5 MB source as UTF-16, twice the memory.
  charset: 'ascii',
  metafile: true,
  logLevel: 'warning',
};

// CommonJS dependencies call require() for Node's built-ins and may read __dirname/__filename (ioredis
// for friendlier stacks, pino for transports the bot does not use); an ES module has none of them.
const BANNER = {
  js: [
    "import { createRequire as __bundleCreateRequire } from 'node:module';",
    "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
    'const require = __bundleCreateRequire(import.meta.url);',
    'const __filename = __bundleFileURLToPath(import.meta.url);',
    "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
  ].join(' '),
};

const result = await build({
  ...common,
  entryPoints: ['src/main.ts'],
  outfile,
  sourcemap: 'external',
  // Loaded at run time from node_modules, relative to the bundle (scripts/runtime-packages.mjs).
  external: RUNTIME_PACKAGES,
  banner: BANNER,
});

/** Fails the build when one of `result`'s modules is under one of `dirs` (paths relative to the project). */
function refuseInputs(result, file, dirs, why) {
  const found = Object.keys(result.metafile.inputs).filter((input) => dirs.some((dir) => input.startsWith(`${dir}/`)));
  if (found.length > 0) {
    console.error(`${relative(ROOT, file)} must not contain ${dirs.join('/, ')}/ (${why}), but it bundled:\n  ${found.join('\n  ')}`);
    for (const output of Object.keys(result.metafile.outputs)) rmSync(join(ROOT, output), { force: true });
    process.exit(1);
  }
}

// esbuild escapes non-ASCII characters everywhere except inside String.raw templates, where an escape would change the text.
function refuseNonAscii(file) {
  const text = readFileSync(file, 'latin1');
  const nonAscii = /[^\x00-\x7f]/.exec(text);
  if (nonAscii) {
    const at = nonAscii.index;
    console.error(`${relative(ROOT, file)} has a non-ASCII byte at ${at} (use an escape or an HTML entity in the source): ...${text.slice(Math.max(0, at - 60), at + 20)}...`);
    process.exit(1);
  }
}

refuseInputs(result, outfile, ['devkit', 'test'], 'the production bundle is the bot only; src/main.ts loads the playground from playground.js at run time');
refuseNonAscii(outfile);
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`bundled ${relative(ROOT, outfile)}: ${(bytes / 1048576).toFixed(1)} MB with its source map, ${Object.keys(result.metafile.inputs).length} modules`);

// The break-glass command line (src/cli.ts): the same core, without Bolt, the HTTP server or the loops. It is a
// process per command, so its start-up is its speed (`npm run bench` times it against `kubectl patch`).
//
// Node's built-ins through require(), never as ES module imports: Node gives an imported built-in an ES module
// facade that reads every one of its exports, and some are lazy (node:http's WebSocket loads Node's own
// undici: ~20 ms of a ~130 ms start). esbuild keeps `import http from 'node:http'` from ES module packages
// (client-node) as an import; this plugin turns each into the CommonJS module `module.exports = require(...)`,
// whose exports esbuild reads only where they are used.
const BUILTINS_THROUGH_REQUIRE = {
  name: 'builtins-through-require',
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'import-statement' || !builtins.has(name)) return undefined;
      return { path: name, namespace: 'builtin-through-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({ contents: `module.exports = require('node:${args.path}');`, loader: 'js' }));
  },
};
const cli = await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: cliOutfile,
  sourcemap: 'external',
  external: RUNTIME_PACKAGES,
  banner: BANNER,
  // The logging adapter takes LogLevel from @slack/bolt, which re-exports it from @slack/logger. Bolt itself
  // (express, Socket Mode, OAuth: 1.2 MB and ~40 ms of start-up) has no business on the rollback's path.
  alias: { '@slack/bolt': '@slack/logger' },
  plugins: [BUILTINS_THROUGH_REQUIRE],
});
refuseInputs(cli, cliOutfile, ['devkit', 'test', 'node_modules/@slack/bolt', 'node_modules/express'], 'the command line is the production core only, without Bolt');
refuseNonAscii(cliOutfile);
console.log(`bundled ${relative(ROOT, cliOutfile)}: ${(Object.values(cli.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0) / 1048576).toFixed(1)} MB with its source map, ${Object.keys(cli.metafile.inputs).length} modules`);

if (!withPlayground) {
  // Whatever the directory held before, it now holds the bot only.
  rmSync(playgroundOutfile, { force: true });
} else {
  const PAGE_DIR = join(ROOT, 'devkit', 'playground', 'page');
  const playground = await build({
    ...common,
    entryPoints: ['devkit/playground/playground.ts'],
    outfile: playgroundOutfile,
    plugins: [
      {
        // The page's HTML, CSS and script are files in devkit/playground/page/. page-files.ts reads them from disk
        // (tsx, vitest); here it becomes a module that imports them with the text loader, so the bundle carries them.
        name: 'playground-page-files',
        setup(b) {
          b.onLoad({ filter: /[\\/]devkit[\\/]playground[\\/]page-files\.ts$/ }, () => ({
            contents: [
              "import html from './page/index.html';",
              "import css from './page/page.css';",
              "import js from './page/page.js';",
              'export const PAGE_FILES = { html, css, js };',
            ].join('\n'),
            resolveDir: dirname(PAGE_DIR),
            loader: 'js',
          }));
          b.onLoad({ filter: /[\\/]devkit[\\/]playground[\\/]page[\\/][^\\/]+$/ }, (file) => ({ contents: readFileSync(file.path, 'utf8'), loader: 'text' }));
        },
      },
    ],
  });
  refuseInputs(playground, playgroundOutfile, ['src', 'handlers', 'views'], 'the playground runs the bot src/main.ts hands it, it carries no copy');
  refuseNonAscii(playgroundOutfile);
  const pages = Object.keys(playground.metafile.inputs).filter((input) => input.startsWith('devkit/playground/page/'));
  console.log(`bundled ${relative(ROOT, playgroundOutfile)}: ${(Object.values(playground.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0) / 1024).toFixed(0)} KB, ${Object.keys(playground.metafile.inputs).length} modules (page files: ${pages.map((p) => p.slice('devkit/playground/page/'.length)).join(', ')})`);
}
