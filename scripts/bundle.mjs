// The build: three ES module outputs.
//   - dist/mcp-canary.js, the production bundle: src/main.ts and what it imports, dependencies included, as one
//     tree-shaken file (what `npm start`, the Docker image and the benchmark run). It must contain nothing of
//     devkit/ or test/: the build fails if its metafile lists any of their modules.
//   - dist/cli.js and its chunks in dist/cli-chunks/, the break-glass command line (src/cli.ts; below).
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
// node:child_process is loaded on the first call of one of its functions: loading it loads dgram and more
// (6 ms), and on the rollback's path only node-cron (for its daemon) and client-node's exec and cloud auth
// providers import it, to call it later if ever. A named import of anything but its functions fails the build.
const CHILD_PROCESS_FUNCTIONS = Object.entries(await import('node:child_process'))
  .filter(([name, value]) => typeof value === 'function' && /^[a-z]/.test(name))
  .map(([name]) => name);
const BUILTINS_THROUGH_REQUIRE = {
  name: 'builtins-through-require',
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'import-statement' || !builtins.has(name)) return undefined;
      return { path: name, namespace: 'builtin-through-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) =>
      args.path === 'child_process'
        ? {
            contents: [
              ...CHILD_PROCESS_FUNCTIONS.map((f) => `export function ${f}(...args) { return require('node:child_process').${f}(...args); }`),
              `export default { ${CHILD_PROCESS_FUNCTIONS.join(', ')} };`,
            ].join('\n'),
            loader: 'js',
          }
        : { contents: `module.exports = require('node:${args.path}');`, loader: 'js' },
    );
  },
};
// client-node's KubeConfig (dist/config.js) imports, at its top, the generated API (900 model classes; for
// makeApiClient), undici (the generated clients' fetch dispatcher), and the proxy agents; its Azure and GCP
// auth providers import jsonpath-plus. The rollback's write uses none of them: its routers call the API
// server through Node's https with KubeConfig's auth (src/adapters/kube-connection.ts). Loading them cost
// the command line about 40 ms before its PATCH. This plugin gives config.js stand-ins instead:
//   - undici and the generated API: src/adapters/kube-config-deferred.ts, bound to the real modules by
//     src/adapters/kube-client.ts, which every use of the generated clients loads first. They stay out of the
//     chunks the command line loads at its start (the status, history and the rest of the composition after
//     the write load them with src/compose.ts).
//   - the proxy agents and jsonpath-plus: a require() (esbuild bundles it as a lazy initialiser) on first use,
//     since a kubeconfig with proxy-url or a GCP/Azure auth provider needs them for the rollback itself.
// Each stand-in must provide what its importer imports: the build fails when an import line changes.
const CLIENT_NODE = /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/;
const lazyClass = (pkg, name) => `export class ${name} { constructor(...args) { return new (require('${pkg}').${name})(...args); } }`;
/** A namespace import (`import * as local`) whose functions are called: each loads the module on its first call. */
const lazyCalls = (pkg, local, members) => ({
  uses: { local, members },
  contents: members.map((m) => `export function ${m}(...args) { return require('${pkg}').${m}(...args); }`).join('\n'),
});
const KUBE_CONFIG_DEFERRED = 'src/adapters/kube-config-deferred.ts';
// The Azure and GCP auth providers import it the same way.
const JSONPATH = { line: "import * as jsonpath from 'jsonpath-plus';", ...lazyCalls('jsonpath-plus', 'jsonpath', ['JSONPath']) };
const DEFERRED = {
  'config.js': {
    undici: { line: "import { Agent as UndiciAgent, ProxyAgent as UndiciProxyAgent, } from 'undici';", boundBy: KUBE_CONFIG_DEFERRED },
    './gen/index.js': { line: "import { createConfiguration, ServerConfiguration, } from './gen/index.js';", boundBy: KUBE_CONFIG_DEFERRED },
    'socks-proxy-agent': { line: "import { SocksProxyAgent } from 'socks-proxy-agent';", contents: lazyClass('socks-proxy-agent', 'SocksProxyAgent') },
    socks: { line: "import { SocksClient } from 'socks';", uses: { local: 'SocksClient', members: ['createConnection'] }, contents: "export const SocksClient = { createConnection: (...args) => require('socks').SocksClient.createConnection(...args) };" },
    hpagent: { line: "import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';", contents: [lazyClass('hpagent', 'HttpProxyAgent'), lazyClass('hpagent', 'HttpsProxyAgent')].join('\n') },
  },
  'azure_auth.js': { 'jsonpath-plus': JSONPATH },
  'gcp_auth.js': { 'jsonpath-plus': JSONPATH },
};
const CLIENT_NODE_DEFERRED = {
  name: 'client-node-deferred-imports',
  setup(b) {
    const checked = new Set();
    b.onResolve({ filter: /^(undici|\.\/gen\/index\.js|socks-proxy-agent|socks|hpagent|jsonpath-plus)$/ }, (args) => {
      if (!CLIENT_NODE.test(args.importer)) return undefined;
      const stands = DEFERRED[args.importer.split(/[\\/]/).at(-1)];
      const stand = stands?.[args.path];
      if (!stand) return undefined;
      if (!checked.has(args.importer)) {
        const source = readFileSync(args.importer, 'utf8');
        const problems = Object.values(stands).flatMap((s) => {
          if (!source.includes(s.line)) return [`no longer has \`${s.line}\``];
          if (!s.uses) return [];
          // What the importer calls on it, all of which the stand-in must have.
          const called = new Set([...source.matchAll(new RegExp(`\\b${s.uses.local}\\.(\\w+)`, 'g'))].map((m) => m[1]));
          const missing = [...called].filter((m) => !s.uses.members.includes(m));
          return missing.length ? [`uses ${missing.map((m) => `${s.uses.local}.${m}`).join(', ')}, which its stand-in lacks`] : [];
        });
        if (problems.length) throw new Error(`${relative(ROOT, args.importer)} ${problems.join('; ')}: update DEFERRED in scripts/bundle.mjs`);
        checked.add(args.importer);
      }
      if (stand.boundBy) return { path: join(ROOT, stand.boundBy) };
      return { path: `${args.importer}:${args.path}`, namespace: 'client-node-deferred', pluginData: { contents: stand.contents, resolveDir: dirname(args.importer) } };
    });
    b.onLoad({ filter: /.*/, namespace: 'client-node-deferred' }, (args) => ({ contents: args.pluginData.contents, resolveDir: args.pluginData.resolveDir, loader: 'js' }));
  },
};
// Split into chunks: dist/cli.js and what it imports at its start are what the rollback's write needs; the
// rest (the store, Prometheus, Alertmanager, Slack, the views, the generated API) is in chunks loaded after
// it. One file would be read and compiled whole at every start (5 MB: about 20 ms, compile cache or not).
const cliChunks = join(dirname(cliOutfile), 'cli-chunks');
rmSync(cliChunks, { recursive: true, force: true });
const cli = await build({
  ...common,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: dirname(cliOutfile),
  splitting: true,
  chunkNames: 'cli-chunks/[name]-[hash]',
  sourcemap: 'external',
  external: RUNTIME_PACKAGES,
  banner: BANNER,
  // The logging adapter takes LogLevel from @slack/bolt, which re-exports it from @slack/logger. Bolt itself
  // (express, Socket Mode, OAuth: 1.2 MB and ~40 ms of start-up) has no business on the rollback's path.
  alias: { '@slack/bolt': '@slack/logger' },
  plugins: [CLIENT_NODE_DEFERRED, BUILTINS_THROUGH_REQUIRE],
});
refuseInputs(cli, cliOutfile, ['devkit', 'test', 'node_modules/@slack/bolt', 'node_modules/express'], 'the command line is the production core only, without Bolt');
const cliFiles = Object.keys(cli.metafile.outputs).filter((o) => o.endsWith('.js'));
for (const file of cliFiles) refuseNonAscii(join(ROOT, file));
// What its start loads: dist/cli.js and the chunks it imports, transitively. The generated API and undici (kept
// out by the stand-ins above), the logger, the store, Slack's client and the views must not be among them.
const startChunks = new Set();
const visit = (output) => {
  if (startChunks.has(output)) return;
  startChunks.add(output);
  for (const i of cli.metafile.outputs[output].imports) if (i.kind === 'import-statement' && cli.metafile.outputs[i.path]) visit(i.path);
};
visit(relative(ROOT, cliOutfile));
const startInputs = { metafile: { inputs: Object.fromEntries([...startChunks].flatMap((o) => Object.keys(cli.metafile.outputs[o].inputs).map((i) => [i, true]))), outputs: cli.metafile.outputs } };
refuseInputs(startInputs, cliOutfile, ['node_modules/undici', 'node_modules/@kubernetes/client-node/dist/gen/models', 'node_modules/ioredis', 'node_modules/axios', 'node_modules/@slack/web-api', 'node_modules/pino', 'views'], 'the start of the command line is the rollback\'s write only');
const startBytes = [...startChunks].reduce((sum, o) => sum + cli.metafile.outputs[o].bytes, 0);
console.log(`bundled ${relative(ROOT, cliOutfile)}: ${cliFiles.length} files, ${(Object.values(cli.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0) / 1048576).toFixed(1)} MB with their source maps, ${Object.keys(cli.metafile.inputs).length} modules; ${(startBytes / 1048576).toFixed(1)} MB loaded at its start`);

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
