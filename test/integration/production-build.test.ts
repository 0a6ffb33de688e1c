// The production artifact: scripts/bundle.mjs's single-file bundle (what `npm start`, the Docker image
// and the benchmark run) with scripts/runtime-packages.mjs's packages, laid out as in the image, in its
// own process against the fake servers. The rest of the suite runs the
// TypeScript sources; this catches what only bundling can break: a dependency's dynamic require, the
// lazily loaded chart stack finding its WebAssembly and fonts from the bundle's location, non-ASCII
// source, the entry-point check, and the pod's runtime (no optimising JIT, jemalloc) under all of it.
// Also the two entry points: the image has no playground (dist/playground.js is the development kit's,
// beside the bundle only where `npm run build` ran), and which one starts from which environment.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnGuarded, waitFor, type GuardedChild } from '../support/child-process.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { startFakeAlertmanager, startFakePrometheus, type FakeAlertmanager, type FakePrometheus } from '../support/fake-prometheus.js';
import { startFakeSlackApi, type FakeSlackApi } from '../support/fake-slack-api.js';
import { podRuntime } from '../support/image-runtime.js';
import { BOT_TOKEN, CHANNEL, QUERIES, SIGNING_SECRET, textOf, USERS } from '../support/bot-harness.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';

const ROOT = join(import.meta.dirname, '..', '..');
// The image's layout, outside the project so that nothing resolves from its node_modules:
// /app/package.json, /app/dist/mcp-canary.js(.map), /app/dist/node_modules (only the runtime packages),
// copied from the build's output as the Dockerfile copies it.
const APP = mkdtempSync(join(tmpdir(), 'mcp-canary-image-'));
const BUNDLE = join(APP, 'dist', 'mcp-canary.js');
// What `npm run build` leaves in dist/ (the bundle, its map, playground.js), with the same runtime packages.
const DEV = mkdtempSync(join(tmpdir(), 'mcp-canary-build-'));
const DEV_BUNDLE = join(DEV, 'dist', 'mcp-canary.js');

let kube: FakeKubeApi, slack: FakeSlackApi, prometheus: FakePrometheus, alertmanager: FakeAlertmanager;
let bot: GuardedChild | undefined;
let url = '';

beforeAll(async () => {
  for (const dir of [APP, DEV]) {
    mkdirSync(join(dir, 'dist'), { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  }
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), DEV_BUNDLE], { cwd: ROOT });
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'runtime-packages.mjs'), join(APP, 'dist', 'node_modules')], { cwd: ROOT });
  for (const file of ['mcp-canary.js', 'mcp-canary.js.map']) copyFileSync(join(DEV, 'dist', file), join(APP, 'dist', file));
  symlinkSync(join(APP, 'dist', 'node_modules'), join(DEV, 'dist', 'node_modules'));
  [kube, slack, prometheus, alertmanager] = await Promise.all([startFakeKubeApi(), startFakeSlackApi(), startFakePrometheus(), startFakeAlertmanager()]);
  prometheus.set(QUERIES.errorRate, 0.0004);
  prometheus.set(QUERIES.rustP99, 0.12);
  prometheus.set(QUERIES.pythonP99, 0.1);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    PORT: String(port),
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_CHANNEL: CHANNEL,
    CANARY_APPROVERS: USERS.bob,
    KUBECONFIG: kube.kubeconfigPath,
    PROMETHEUS_URL: prometheus.url,
    ALERTMANAGER_URL: alertmanager.url,
    BUSINESS_HOURS: 'always',
  };
  // As the pod runs it: the image's node flags and allocator, the deployment's NODE_OPTIONS.
  const runtime = podRuntime();
  bot = spawnGuarded(process.execPath, [...runtime.nodeArgs, BUNDLE], { name: 'mcp-canary bundle', cwd: '/', env: { ...env, ...runtime.env } });
  await waitFor('the bundle to answer /readyz 200', async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), {
    timeoutMs: 20_000,
    intervalMs: 50,
    child: bot,
  });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await Promise.all([kube?.close(), slack?.close(), prometheus?.close(), alertmanager?.close()]);
  rmSync(APP, { recursive: true, force: true });
  rmSync(DEV, { recursive: true, force: true });
});

/** Runs a bundle with only `env` (and PATH/HOME, PORT=0) until it exits by itself (at most 20 s). */
function runToExit(bundle: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const fullEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [bundle, ...args], { cwd: '/', env: fullEnv, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe('the production bundle', () => {
  it('is ASCII only, so V8 keeps its source at one byte per character', () => {
    expect(readFileSync(BUNDLE, 'latin1')).not.toMatch(/[^\x00-\x7f]/);
  });

  it('starts from any working directory and answers a signed status in the ack', async () => {
    const body = slashCommandBody({ text: 'status', userId: USERS.alice, channelId: CHANNEL, responseUrl: slack.responseUrl('bundle-status') });
    const res = await postSigned(url, body, { signingSecret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    expect(textOf(res.json)).toMatch(/of traffic to Rust/);
    expect(textOf(res.json)).toContain('0.04%');
  });

  it('runs beside only its runtime packages, as in the image (no project node_modules to fall back on)', () => {
    expect(readdirSync(join(APP, 'dist', 'node_modules')).sort()).toEqual(['@resvg', 'dejavu-fonts-ttf', 'echarts', 'tslib', 'zrender']);
  });

  it('loads the chart stack on demand (from dist/node_modules) and uploads the digest chart', async () => {
    const body = slashCommandBody({ text: 'digest', userId: USERS.alice, channelId: CHANNEL, responseUrl: slack.responseUrl('bundle-digest') });
    expect((await postSigned(url, body, { signingSecret: SIGNING_SECRET })).status).toBe(200);
    await slack.waitFor(() => slack.callsOf('files.completeUploadExternal')[0], 20_000);
    const png = [...slack.uploads.values()][0]!;
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('contains nothing of the development kit or the tests (its source map lists every module it bundled)', () => {
    const { sources } = JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')) as { sources: string[] };
    expect(sources.length).toBeGreaterThan(100);
    expect(sources.filter((source) => /(^|\/)(devkit|test)\//.test(source.replace(/^(\.\.\/)+/, '')))).toEqual([]);
    expect(readFileSync(BUNDLE, 'latin1')).not.toContain('mcp-canary playground:');
  });

  it('ships without the playground, as in the image: --playground, or no Slack variable at all, stops with a clear error', async () => {
    expect(readdirSync(join(APP, 'dist')).sort()).toEqual(['mcp-canary.js', 'mcp-canary.js.map', 'node_modules']);
    for (const [args, env] of [[['--playground'], {}], [[], { SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: '' }]] as const) {
      const run = await runToExit(BUNDLE, [...args], { ...env });
      expect(run.code).toBe(1);
      expect(run.output).toMatch(/cannot start the playground: .*playground\.js is not here/);
      expect(run.output).toMatch(/not part of the production build/);
    }
  });

  it('is what the Dockerfile ships: built without the playground, devkit/ kept out of the build context, only the bundle and its packages copied', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/node scripts\/bundle\.mjs --no-playground dist\/mcp-canary\.js/);
    expect(dockerfile.match(/^COPY --from=build .*$/gm)).toEqual([
      'COPY --from=build /app/package.json ./package.json',
      'COPY --from=build /app/dist/mcp-canary.js /app/dist/mcp-canary.js.map ./dist/',
      'COPY --from=build /app/dist/node_modules ./dist/node_modules',
      'COPY --from=build /app/dist/cli.js /app/dist/cli.js.map ./dist/',
      'COPY --from=build /app/dist/cli-chunks ./dist/cli-chunks',
    ]);
    expect(dockerfile).not.toMatch(/^COPY (devkit|test|bench)\b/m);
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['devkit', 'test', 'bench', 'dist']));
  });

  it('stops with a configuration error naming SLACK_BOT_TOKEN when it is empty and SLACK_SIGNING_SECRET is set (no playground, even where it is built)', async () => {
    const run = await runToExit(DEV_BUNDLE, [], { SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: SIGNING_SECRET });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/cannot start\.\nInvalid configuration:\n\s+- SLACK_BOT_TOKEN: required to connect to Slack \(SLACK_SIGNING_SECRET is set/);
    expect(run.output).not.toContain('playground:');
  });

  it('runs the playground from dist/playground.js with --playground (npm run playground)', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: '0' };
    const playground = spawnGuarded(process.execPath, [DEV_BUNDLE, '--playground'], { name: 'mcp-canary bundle playground', cwd: '/', env });
    try {
      const url = await waitFor('the playground URL', async () => /mcp-canary playground: (http:\/\/127\.0\.0\.1:\d+)/.exec(playground.logs())?.[1], {
        timeoutMs: 20_000,
        intervalMs: 50,
        child: playground,
      });
      const page = await (await fetch(url)).text();
      expect(page).toContain('#oncall-platform');
      // The page's style and script are files of the playground bundle (esbuild's text loader).
      expect(await (await fetch(`${url}/page.css`)).text()).toContain('.layout');
      expect(await (await fetch(`${url}/page.js`)).text()).toContain("new EventSource('/ui/events')");
    } finally {
      await playground.stop();
    }
  });

  it('runs the playground when no Slack variable is set (npm start without a workspace)', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: '0', SLACK_BOT_TOKEN: '' };
    const playground = spawnGuarded(process.execPath, [DEV_BUNDLE], { name: 'mcp-canary bundle playground', cwd: '/', env });
    try {
      await waitFor('the playground URL', async () => /mcp-canary playground: (http:\/\/127\.0\.0\.1:\d+)/.exec(playground.logs())?.[1], {
        timeoutMs: 20_000,
        intervalMs: 50,
        child: playground,
      });
    } finally {
      await playground.stop();
    }
  });

  it('runs with the image runtime: jemalloc preloaded when this machine has it, the optimising compilers off', () => {
    const runtime = podRuntime();
    expect(runtime.nodeArgs).toEqual(['--no-maglev', '--no-turbofan']);
    const maps = readFileSync(`/proc/${bot!.serverPid()}/maps`, 'utf8');
    if (runtime.env.LD_PRELOAD) expect(maps).toContain('libjemalloc.so.2');
    else expect(runtime.notes.join()).toMatch(/jemalloc is not installed/);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    await bot!.stop();
    expect(bot!.exitStatus()).toBe('exit code 0');
  });
});
