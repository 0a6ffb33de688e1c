// `npm run bench`: the bot's performance against local servers, as a report (exit code 0 even when a
// target is missed; misses are listed at the end). See README.md, "Performance".
//
// The bot runs in its own process (compiled like `npm start`), against: a real redis-server, the fake
// Kubernetes API of test/support (client-node over HTTP), the fake Slack Web API (which also serves the
// response_urls), a Prometheus API answering in about 1 ms, and the fake Alertmanager API. Phases run one
// after the other and each waits for the bot's follow-up work to finish, so they never overlap.
import { Server as NetServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { freePort } from '../test/support/child-process.js';
import { podRuntime } from '../test/support/image-runtime.js';
import { startFakeKubeApi, type KubeRequest } from '../devkit/kube-api-server.js';
import { startFakeAlertmanager, startFakePrometheus } from '../devkit/prometheus-api.js';
import { startFakeSlackApi } from '../devkit/slack-api.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { blockActionBody, signSlackRequest } from '../devkit/slack-requests.js';
import { BOT_ENTRY, buildBot, spawnBot, type BotProcess } from './bot-process.js';
import { runCliPhase, runToExit, summarizeSpawnRuns, type CliPhaseResult, type SpawnRunsResult } from './cli-phase.js';
import { runGuardPhase, type GuardPhaseResult } from './guard-phase.js';
import { Worker } from 'node:worker_threads';
import type { AckLoadInput, AckLoadOutput } from './ack-load.js';
import { BenchClient } from './http-client.js';
import { startKubeFront } from './kube-front.js';
import { describeMachine, kubectlPath } from './machine.js';
import { mb, ms, summary } from './stats.js';

const n = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const CFG = {
  commands: n('BENCH_COMMANDS', 1000),
  concurrency: n('BENCH_CONCURRENCY', 20),
  rollbacks: n('BENCH_ROLLBACKS', 200),
  kubectlRuns: n('BENCH_KUBECTL_RUNS', 20),
  cliRuns: n('BENCH_CLI_RUNS', 20),
  stormPosts: n('BENCH_STORM_POSTS', 200),
  stormGroups: n('BENCH_STORM_GROUPS', 10),
  stormWindowMs: n('BENCH_STORM_WINDOW_MS', 2000),
  startups: n('BENCH_STARTUPS', 3),
  guardRuns: n('BENCH_GUARD_RUNS', 20),
  guardIntervalMs: n('BENCH_GUARD_INTERVAL_MS', 1000),
  guardBreaches: n('BENCH_GUARD_BREACHES', 2),
  prometheusDelayMs: 1,
};
const TARGET = { ackP99: 50, rollbackP99: 20, kubectlRatio: 10, rssMiB: 120 };

const SIGNING_SECRET = 'bench-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-bench-bot-token-0123456789';
const WEBHOOK_TOKEN = 'bench-alertmanager-token-0123456789';
const CHANNEL = 'C0ONCALL';
const USERS = { alice: 'U0ALICE', bob: 'U0BOB', carol: 'U0CAROL' };
const NGINX = 'nginx.ingress.kubernetes.io/';
const QUERIES = { errorRate: 'mcp:rust_gateway_error_rate:5m', rustP99: 'mcp:rust_gateway_p99_latency:5m', pythonP99: 'mcp:python_gateway_p99_latency:5m' };

/** The bot container's NODE_OPTIONS and MALLOC_* variables in deploy/deployment.yaml. */
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, check: () => boolean, timeoutMs: number, intervalMs = 5): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
  return performance.now() - start;
}

function withTimeout<T>(what: string, p: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

// New TCP connections accepted per local server port: how well the bot's HTTP clients reuse connections.
const connections = new Map<number, number>();
const originalEmit = NetServer.prototype.emit as (this: NetServer, event: string | symbol, ...args: unknown[]) => boolean;
NetServer.prototype.emit = function (this: NetServer, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'connection') {
    const port = (this.address() as AddressInfo | null)?.port;
    if (port) connections.set(port, (connections.get(port) ?? 0) + 1);
  }
  return originalEmit.call(this, event, ...args);
} as typeof NetServer.prototype.emit;

interface Row {
  metric: string;
  value: string;
  target: string;
  ok?: boolean;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

  try {
    if (process.env.BENCH_SKIP_BUILD) {
      log('BENCH_SKIP_BUILD: running bench/.build as it is');
    } else {
      log('building the bot (scripts/bundle.mjs bench/.build/mcp-canary.js --no-playground)');
      const build = await buildBot();
      log(`built in ${(build.ms / 1000).toFixed(1)} s`);
    }

    // ---- Local servers.
    const [kube, slack, prometheus, alertmanager, redis] = await Promise.all([
      startFakeKubeApi({ canaryWeight: '5' }),
      startFakeSlackApi(),
      startFakePrometheus(),
      startFakeAlertmanager(),
      startRedisServer(),
    ]);
    cleanups.push(() => kube.close(), () => slack.close(), () => prometheus.close(), () => alertmanager.close(), () => redis.stop());
    prometheus.set(QUERIES.errorRate, 0.0004);
    prometheus.set(QUERIES.rustP99, 0.12);
    prometheus.set(QUERIES.pythonP99, 0.1);
    prometheus.setDelay(CFG.prometheusDelayMs);
    alertmanager.setAlerts([]);
    slack.setUserGroup('S0APPROVERS', [USERS.carol]);

    /** Weight 5 as the bot itself would have applied it 3 h ago (so it is not drift). */
    const setCanary = (weight: number) => {
      const ingress = kube.get(kube.paths.canaryIngress);
      const a = ingress.metadata.annotations as Record<string, string>;
      a[`${NGINX}canary-weight`] = String(weight);
      a['mcp-canary.stoa.dev/applied-weight'] = String(weight);
      a['mcp-canary.stoa.dev/applied-at'] = new Date(Date.now() - 3 * 3600_000).toISOString();
      a['mcp-canary.stoa.dev/applied-by'] = USERS.alice;
      ingress.metadata.resourceVersion = String(Number(ingress.metadata.resourceVersion) + 1000);
    };
    setCanary(5);

    // The PATCH of the canary Ingress, timed when the fake has read its whole body (it records the
    // request right then): a hook on the fake's own request log, with performance.now().
    let onCanaryPatch: ((at: number) => void) | undefined;
    const originalPush = kube.requests.push.bind(kube.requests);
    kube.requests.push = (...items: KubeRequest[]) => {
      const at = performance.now();
      for (const r of items) if (r.method === 'PATCH' && r.path === kube.paths.canaryIngress) onCanaryPatch?.(at);
      return originalPush(...items);
    };
    const nextCanaryPatch = () => new Promise<number>((resolve) => (onCanaryPatch = resolve));

    // BENCH_KUBE_TLS=1: the bot reaches the API server over HTTPS (a TLS front before the fake), as in a
    // real cluster; the PATCH is then timed when the front has it.
    const tlsFront = process.env.BENCH_KUBE_TLS ? await startKubeFront(kube.url, kube.namespace, { tls: true }) : undefined;
    if (tlsFront) {
      cleanups.push(() => tlsFront.close());
      kube.requests.push = originalPush;
      tlsFront.onRequest = (r) => {
        if (r.method === 'PATCH' && r.path === kube.paths.canaryIngress) onCanaryPatch?.(r.at);
      };
    }

    const env: Record<string, string> = {
      LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_CHANNEL: CHANNEL,
      CANARY_APPROVERS: `${USERS.bob},S0APPROVERS`,
      KUBECONFIG: tlsFront?.kubeconfigPath ?? kube.kubeconfigPath,
      PROMETHEUS_URL: prometheus.url,
      ALERTMANAGER_URL: alertmanager.url,
      REDIS_URL: redis.url,
      ALERT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      BUSINESS_HOURS: 'always',
    };
    // The pod's runtime (node flags and allocator from the Dockerfile, NODE_OPTIONS from deploy/deployment.yaml),
    // so the figures are the deployment's; BENCH_DEPLOYMENT_ENV=0 runs the bot with Node's defaults instead.
    const runtime = process.env.BENCH_DEPLOYMENT_ENV === '0' ? { nodeArgs: [], cliNodeArgs: [], env: {}, notes: [] } : podRuntime();
    Object.assign(env, runtime.env);
    log(`runtime of the pod (Dockerfile, deploy/deployment.yaml): node ${runtime.nodeArgs.join(' ')}, ${JSON.stringify(runtime.env)}`);
    for (const note of runtime.notes) log(`NOTE: ${note}`);
    const botNodeArgs = [...runtime.nodeArgs, ...(process.env.BENCH_BOT_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
    // Extra environment for the bot process, e.g. BENCH_BOT_ENV="MALLOC_ARENA_MAX=2".
    for (const kv of (process.env.BENCH_BOT_ENV ?? '').split(/\s+/).filter(Boolean)) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }

    // ---- Start-up: spawn to the first 200 of /readyz; the last start is the bot under load.
    const startups: number[] = [];
    let bot: BotProcess | undefined;
    for (let i = 0; i < CFG.startups; i++) {
      const b = await spawnBot(env, await freePort(), { nodeArgs: botNodeArgs });
      startups.push(b.startupMs);
      log(`start-up ${i + 1}/${CFG.startups}: ${ms(b.startupMs)} to /readyz 200`);
      if (i < CFG.startups - 1) await b.stop();
      else bot = b;
    }
    const theBot = bot!;
    cleanups.push(() => theBot.stop());
    // A moment of idleness after start-up (profiles: bench/profile-summary.ts --skip-startup splits there).
    await sleep(400);
    if (process.env.BENCH_PAUSE_S) {
      // For attaching a tracer/profiler to the running bot before the load starts.
      log(`pausing ${process.env.BENCH_PAUSE_S} s: bot pid ${theBot.pid}, ${theBot.url}, response_url base ${slack.responseUrl('x').replace(/\/x$/, '')}`);
      await sleep(Number(process.env.BENCH_PAUSE_S) * 1000);
    }
    const idle = theBot.memory();
    const client = new BenchClient(CFG.concurrency);
    cleanups.push(async () => client.close());
    const idleHeap = heapOf((await client.get(`${theBot.url}/metrics`)).body);
    const slackHeaders = (body: string) => signSlackRequest(SIGNING_SECRET, body);
    // Per phase: requests the bot made to each local server and the new connections they took.
    const servers = { kube: tlsFront?.url ?? kube.url, slack: slack.apiUrl, prometheus: prometheus.url, alertmanager: alertmanager.url };
    const requestCounts = () => ({
      kube: kube.requests.length,
      slack: slack.calls.length + slack.responses.length,
      prometheus: prometheus.requests.length,
      alertmanager: alertmanager.requests.length,
    });
    const connNow = () => {
      const c: Record<string, number> = {};
      for (const [name, url] of Object.entries(servers)) c[name] = connections.get(Number(new URL(url).port)) ?? 0;
      return { conns: c, reqs: requestCounts() };
    };
    /** "kube 400 requests over 400 new connections, ..." since `from`. */
    const connSince = (from: ReturnType<typeof connNow>) => {
      const to = connNow();
      return Object.keys(servers)
        .map((k) => {
          const reqs = to.reqs[k as keyof typeof to.reqs] - from.reqs[k as keyof typeof from.reqs];
          return `${k} ${Number.isNaN(reqs) ? '?' : reqs} req / ${to.conns[k]! - from.conns[k]!} new conn`;
        })
        .join(', ');
    };
    // Per phase: CPU use of the bot, of this process (fakes + load generator) and of everything else.
    const cpuNow = () => {
      const u = process.cpuUsage();
      return { bot: theBot.cpuMs(), bench: (u.user + u.system) / 1000, machine: machineBusyMs(), at: performance.now() };
    };
    const cpuSince = (from: ReturnType<typeof cpuNow>) => {
      const to = cpuNow();
      const wall = to.at - from.at;
      const pct = (v: number) => `${((v / wall) * 100).toFixed(0)}%`;
      const others = to.machine - from.machine - (to.bot - from.bot) - (to.bench - from.bench);
      return `bot ${pct(to.bot - from.bot)} of a core, bench (fakes + load) ${pct(to.bench - from.bench)}, everything else on the machine (redis, other jobs) ${pct(Math.max(0, others))}`;
    };

    // ---- 1. Ack latency: `status` commands at concurrency N. The bot answers in the ack when its report is
    // ready within its budget, otherwise later through the command's response_url; both are counted.
    log(`ack: ${CFG.commands} signed status commands at concurrency ${CFG.concurrency}`);
    const ackMs: number[] = [];
    const ackByIndex: Array<{ i: number; ms: number; connectMs?: number; writtenMs?: number }> = [];
    let ackErrors = 0;
    const ackErrorSamples: string[] = [];
    let ackResponses = 0;
    const originalResponsePush = slack.responses.push.bind(slack.responses);
    slack.responses.push = (...items) => {
      for (const r of items) if (r.id.startsWith('ack-')) ackResponses++;
      return originalResponsePush(...items);
    };
    // The load generator runs in a worker thread with its own event loop, so its timing does not wait
    // behind the fake servers (main thread) answering the bot's follow-up requests.
    // It opens its keep-alive connections first, as a proxy or Slack with established connections would
    // have them: Node accepts one new connection per event-loop iteration, so 20 connections opened at the
    // start of a saturating load queue behind the work (BENCH_COLD_CONNECTIONS=1 measures that instead).
    const coldConnections = !!process.env.BENCH_COLD_CONNECTIONS;
    // Event-loop delay on both sides: the bot's from its own metrics (prom-client resets it at each scrape).
    await client.get(`${theBot.url}/metrics`);
    const benchLoop = monitorEventLoopDelay({ resolution: 5 });
    benchLoop.enable();
    const ackCpu = cpuNow();
    const ackConn = connNow();
    const loadInput: AckLoadInput = {
      botUrl: theBot.url,
      signingSecret: SIGNING_SECRET,
      user: USERS.alice,
      channel: CHANNEL,
      responseUrlBase: slack.responseUrl('x').replace(/\/x$/, ''),
      commands: CFG.commands,
      concurrency: CFG.concurrency,
      warmConnections: !coldConnections,
    };
    const load = await new Promise<AckLoadOutput>((resolve, reject) => {
      const worker = new Worker(new URL('./ack-load.ts', import.meta.url), { workerData: loadInput });
      worker.once('message', (m: { ok: boolean; out?: AckLoadOutput; error?: string }) => (m.ok ? resolve(m.out!) : reject(new Error(m.error))));
      worker.once('error', reject);
    });
    const ackPhaseMs = load.wallMs;
    if (process.env.BENCH_ACK_SAMPLES) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.BENCH_ACK_SAMPLES, JSON.stringify({ botSpawnedAt: theBot.spawnedAt, samples: load.samples }));
    }
    for (const r of load.samples) {
      ackMs.push(r.ms);
      ackByIndex.push({ i: r.i, ms: r.ms, connectMs: r.connectMs, writtenMs: r.writtenMs });
      if (r.status !== 200) {
        ackErrors++;
        if (ackErrorSamples.length < 3) ackErrorSamples.push(`${r.status} ${r.error ?? ''}`);
      }
    }
    const answeredInAck = load.samples.filter((r) => r.answeredInAck).length;
    const drainMs = await waitUntil(`${CFG.commands - answeredInAck} status answers on response_url`, () => ackResponses >= CFG.commands - answeredInAck, 120_000);
    const ackCpuUse = cpuSince(ackCpu);
    benchLoop.disable();
    const botLoop = loopLagOf((await client.get(`${theBot.url}/metrics`)).body);
    const loopUse = `bot ${botLoop}; bench p99 ${ms(benchLoop.percentile(99) / 1e6)} max ${ms(benchLoop.max / 1e6)}`;
    const ackConnUse = connSince(ackConn);
    const statusAnswers = slack.responses.filter((r) => r.id.startsWith('ack-'));
    const statusWithBlocks = answeredInAck + statusAnswers.filter((r) => Array.isArray(r.body?.blocks) && r.body.blocks.length > 0).length;
    const ack = summary(ackMs);
    const slowest = [...ackByIndex].sort((a, b) => b.ms - a.ms).slice(0, 10);
    const firstHundred = summary(ackByIndex.filter((a) => a.i < 100).map((a) => a.ms));
    const rest = summary(ackByIndex.filter((a) => a.i >= 100).map((a) => a.ms));
    log(`ack: p50 ${ms(ack.p50)} p99 ${ms(ack.p99)} max ${ms(ack.max)}; ${(CFG.commands / (ackPhaseMs / 1000)).toFixed(0)} commands/s acked; all answers in ${ms(ackPhaseMs + drainMs, 0)}`);

    const rssAfterAck = theBot.memory();

    // ---- 2. Rollback latency: signed Rollback click -> PATCH of the canary Ingress at the API server.
    log(`rollback: ${CFG.rollbacks} clicks, one after the other`);
    const rollbackMs: number[] = [];
    const rbCpu = cpuNow();
    const rbConn = connNow();
    const rollbackAckMs: number[] = [];
    const rollbackEndMs: number[] = [];
    const patchesBefore = kube.requests.filter((r) => r.path === kube.paths.canaryIngress && r.method !== 'GET').length;
    for (let i = 0; i < CFG.rollbacks; i++) {
      setCanary(5);
      const postsBefore = slack.calls.filter((c) => c.method === 'chat.postMessage').length;
      const body = blockActionBody({
        actionId: 'canary_rollback',
        value: 'status',
        userId: USERS.alice,
        channelId: CHANNEL,
        // Each click is on its own status message (the bot ignores a second identical click within 5 s).
        messageTs: `1700100000.${String(i).padStart(6, '0')}`,
        responseUrl: slack.responseUrl(`rb-${i}`),
      });
      const patched = nextCanaryPatch();
      const headers = slackHeaders(body);
      const t0 = performance.now();
      const acked = client.post(`${theBot.url}/slack/events`, body, headers);
      const at = await withTimeout('the rollback PATCH', patched, 10_000);
      rollbackMs.push(at - t0);
      const a = await acked;
      rollbackAckMs.push(a.ms);
      if (a.status !== 200) throw new Error(`rollback click answered ${a.status}: ${a.body}`);
      // The rollback is announced in the channel: wait for it before the next click.
      await waitUntil('the rollback announcement', () => slack.calls.filter((c) => c.method === 'chat.postMessage').length > postsBefore, 10_000, 1);
      rollbackEndMs.push(performance.now() - t0);
    }
    const rbCpuUse = cpuSince(rbCpu);
    const rbConnUse = connSince(rbConn);
    const canaryWrites = kube.requests.filter((r) => r.path === kube.paths.canaryIngress && r.method !== 'GET').slice(patchesBefore);
    const rollbackPatches = canaryWrites.filter((r) => r.method === 'PATCH').length;
    const rollbackOther = canaryWrites.length - rollbackPatches;
    const rb = summary(rollbackMs);
    const slowestRollbacks = rollbackMs.map((v, i) => ({ i, v })).sort((a, b) => b.v - a.v).slice(0, 5);
    log(`rollback: click->PATCH p50 ${ms(rb.p50)} p99 ${ms(rb.p99)} max ${ms(rb.max)}; ${rollbackPatches} PATCHes, ${rollbackOther} other writes`);

    const rssAfterRollback = theBot.memory();

    // ---- 3. Webhook storm: N Alertmanager posts of G groups spread over the window, all concurrent.
    log(`storm: ${CFG.stormPosts} webhook posts of ${CFG.stormGroups} groups in ${CFG.stormWindowMs} ms`);
    const fixture = JSON.parse(readFileSync(new URL('../test/support/fixtures/alertmanager-webhook-firing.json', import.meta.url), 'utf8'));
    const stormNames = Array.from({ length: CFG.stormGroups }, (_, k) => `MCPBenchStorm${String(k + 1).padStart(2, '0')}`);
    const startsAt = new Date().toISOString();
    const stormPayload = (k: number) => {
      const p = structuredClone(fixture);
      const name = stormNames[k]!;
      p.alerts[0].labels.alertname = name;
      p.alerts[0].startsAt = startsAt;
      p.alerts[0].fingerprint = `be0c${String(k).padStart(12, '0')}`;
      p.groupLabels.alertname = name;
      p.commonLabels.alertname = name;
      p.groupKey = `{}:{alertname="${name}"}`;
      return JSON.stringify(p);
    };
    const stormClient = new BenchClient(CFG.stormPosts);
    cleanups.push(async () => stormClient.close());
    const callsBefore = slack.calls.length;
    const stormResults: Array<{ status: number; ms: number; error?: string; body: string }> = [];
    const stormStart = performance.now();
    const stormCpu = cpuNow();
    const stormConn = connNow();
    await Promise.all(
      Array.from({ length: CFG.stormPosts }, async (_, i) => {
        const due = stormStart + (i * CFG.stormWindowMs) / CFG.stormPosts;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const r = await stormClient.post(`${theBot.url}/alerts/webhook`, stormPayload(i % CFG.stormGroups), {
          'content-type': 'application/json',
          'user-agent': 'Alertmanager/0.25.0',
          authorization: `Bearer ${WEBHOOK_TOKEN}`,
        });
        stormResults.push(r);
      }),
    );
    const stormMs = performance.now() - stormStart;
    const stormCpuUse = cpuSince(stormCpu);
    const stormConnUse = connSince(stormConn);
    // Let any Slack call still in flight land before counting.
    await sleep(500);
    const stormCalls = slack.calls.slice(callsBefore);
    const mentionsStorm = (args: Record<string, unknown>) => stormNames.some((name) => JSON.stringify(args).includes(name));
    const topLevelPosts = stormCalls.filter((c) => c.method === 'chat.postMessage' && !c.args.thread_ts);
    const stormMessages = topLevelPosts.filter((c) => !c.failed && mentionsStorm(c.args)).length;
    const otherTopLevel = topLevelPosts.length - stormMessages;
    const threadPosts = stormCalls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts).length;
    const updates = stormCalls.filter((c) => c.method === 'chat.update').length;
    const stormErrors = stormResults.filter((r) => r.status < 200 || r.status > 299);
    const stormKinds: Record<string, number> = {};
    for (const r of stormResults) {
      let kind = `HTTP ${r.status}`;
      try {
        kind = (JSON.parse(r.body) as { status?: string }).status ?? kind;
      } catch {
        // not JSON
      }
      stormKinds[kind] = (stormKinds[kind] ?? 0) + 1;
    }
    const st = summary(stormResults.map((r) => r.ms));
    log(
      `storm: ${stormErrors.length} errors, ${stormMessages} messages (+${otherTopLevel} other top-level, ${threadPosts} thread posts, ${updates} updates); ` +
        `answers p50 ${ms(st.p50)} p99 ${ms(st.p99)} max ${ms(st.max)}; done in ${ms(stormMs, 0)}; ${JSON.stringify(stormKinds)}`,
    );

    // ---- 4. Memory after the load.
    const after = theBot.memory();
    if (process.env.BENCH_SMAPS) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.BENCH_SMAPS, readFileSync(`/proc/${theBot.pid}/smaps`));
    }
    // anonymous + mapped files per phase: which part a phase grows (the heap and malloc, or pages of the node binary).
    const split = (m: { rss: number; anon: number; file: number }) => `${mb(m.rss)} (${mb(m.anon)} + ${mb(m.file)})`;
    log(`memory: RSS (anonymous + mapped files) ${split(after)} after the load (idle after start-up ${split(idle)}, after the ack phase ${split(rssAfterAck)}, after the rollbacks ${split(rssAfterRollback)}, peak ${mb(after.hwm)})`);

    const metricsText = (await client.get(`${theBot.url}/metrics`)).body;
    // BENCH_HEAP_SNAPSHOT=1 (with BENCH_BOT_NODE_ARGS=--heapsnapshot-signal=SIGUSR2): a snapshot of what is live now.
    if (process.env.BENCH_HEAP_SNAPSHOT) {
      process.kill(theBot.pid, 'SIGUSR2');
      await sleep(5000);
      log(`heap snapshot requested (written to the bot's working directory, ${process.cwd()})`);
    }

    // The bot's own view of its ack latency (mcp_canary_slack_ack_seconds), as a cross-check.
    const serverAck = ackHistogram(metricsText);
    const afterHeap = heapOf(metricsText);

    // ---- 5. kubectl patch against the same API server (through a discovery front; see kube-front.ts).
    const kubectl = kubectlPath();
    let kubectlResult: SpawnRunsResult | undefined;
    if (kubectl) {
      log(`kubectl: 1 cold + ${CFG.kubectlRuns} runs of \`kubectl patch ingress ... --type=merge\``);
      const front = tlsFront ?? (await startKubeFront(kube.url, kube.namespace));
      if (!tlsFront) cleanups.push(() => front.close());
      const home = await mkdtemp(join(tmpdir(), 'bench-kubectl-home-'));
      cleanups.push(() => rm(home, { recursive: true, force: true }));
      const patch = JSON.stringify({ metadata: { annotations: { [`${NGINX}canary-weight`]: '0' } } });
      const runs: Array<{ patchMs: number; totalMs: number }> = [];
      const failures: string[] = [];
      for (let i = 0; i <= CFG.kubectlRuns; i++) {
        setCanary(5);
        let patchAt = Number.NaN;
        front.onRequest = (r) => {
          if (r.method === 'PATCH' && r.path === kube.paths.canaryIngress && Number.isNaN(patchAt)) patchAt = r.at;
        };
        const t0 = performance.now();
        const { code, output } = await runToExit(kubectl, ['--kubeconfig', front.kubeconfigPath, 'patch', 'ingress', 'mcp-gateway-canary', '-n', kube.namespace, '--type=merge', '-p', patch], {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
        });
        const totalMs = performance.now() - t0;
        if (code !== 0 || Number.isNaN(patchAt)) failures.push(`run ${i}: exit ${code}: ${output.trim().slice(0, 300)}`);
        runs.push({ patchMs: patchAt - t0, totalMs });
      }
      kubectlResult = summarizeSpawnRuns(runs, failures);
      log(`kubectl: cold ${ms(kubectlResult.cold.patchMs)} to PATCH; warm p50 ${ms(kubectlResult.warm.p50)} p99 ${ms(kubectlResult.warm.p99)} to PATCH (process exit p50 ${ms(kubectlResult.warmTotal.p50)})`);
      if (failures.length) log(`kubectl failures:\n  ${failures.join('\n  ')}`);
    } else {
      log('kubectl not installed: no comparison');
    }

    // ---- 6. The break-glass command line: `mcp-canary rollback` (bench/.build/cli.js, run as the image's
    // /usr/local/bin/mcp-canary runs it) from spawn to its PATCH at the same API server, beside kubectl.
    log(`cli: 1 cold + ${CFG.cliRuns} runs of \`mcp-canary rollback\` (node ${[...runtime.cliNodeArgs, 'cli.js'].join(' ')}, compile cache)`);
    if (tlsFront) {
      // The kubectl phase took the front's hook.
      tlsFront.onRequest = (r) => {
        if (r.method === 'PATCH' && r.path === kube.paths.canaryIngress) onCanaryPatch?.(r.at);
      };
    }
    // The bot's variables and the image's allocator; not the deployment's NODE_OPTIONS (the bot's heap sizes):
    // `docker run <image> mcp-canary rollback` has none.
    const { NODE_OPTIONS: _botNodeOptions, ...cliEnv } = env;
    const cliResult: CliPhaseResult = await runCliPhase({
      cli: join(dirname(BOT_ENTRY), 'cli.js'),
      // The wrapper's flags (none: see the Dockerfile), not the bot's.
      nodeArgs: runtime.cliNodeArgs,
      env: cliEnv,
      runs: CFG.cliRuns,
      resetCanary: () => {
        setCanary(5);
        // Applied now, after the previous run's rollback: the running bot's drift check sees no drift to adopt.
        kube.get(kube.paths.canaryIngress).metadata.annotations['mcp-canary.stoa.dev/applied-at'] = new Date().toISOString();
      },
      nextCanaryPatch,
    });
    log(`cli: cold ${ms(cliResult.cold.patchMs)} to PATCH; warm p50 ${ms(cliResult.warm.p50)} p99 ${ms(cliResult.warm.p99)} to PATCH (process exit p50 ${ms(cliResult.warmTotal.p50)})`);
    if (cliResult.failures.length) log(`cli failures:\n  ${cliResult.failures.join('\n  ')}`);

    const botLog = theBot.logLines();
    if (process.env.BENCH_GC_LOG) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.BENCH_GC_LOG, theBot.rawOutput().split('\n').filter((l) => !l.startsWith('{')).join('\n'));
    }
    const warnings = botLog.filter((l) => /"level":"(warn|error|fatal)"/.test(l));

    // ---- 7. The guard: two fresh replicas with a short GUARD_INTERVAL (the bot above is stopped first, so
    // only they tick), the error rate turned bad at a known instant, until the guard's own PATCH.
    await theBot.stop();
    log(`guard: 2 replicas, GUARD_INTERVAL ${CFG.guardIntervalMs} ms, GUARD_BREACHES ${CFG.guardBreaches}, ${CFG.guardRuns} breaches`);
    const guardTargetMs = CFG.guardIntervalMs * CFG.guardBreaches + 1000;
    const guardResult: GuardPhaseResult = await runGuardPhase({
      runs: CFG.guardRuns,
      intervalMs: CFG.guardIntervalMs,
      breaches: CFG.guardBreaches,
      startReplica: async (extra) => spawnBot({ ...env, ...extra }, await freePort(), { nodeArgs: botNodeArgs }),
      setErrorRate: (bad) => prometheus.set(QUERIES.errorRate, bad ? 0.05 : 0.0004),
      resetCanary: () => {
        setCanary(5);
        kube.get(kube.paths.canaryIngress).metadata.annotations['mcp-canary.stoa.dev/applied-at'] = new Date().toISOString();
      },
      nextCanaryPatch,
      queryCounts: () => ({ prometheus: prometheus.requests.length, alertmanager: alertmanager.requests.length }),
      postCount: () => slack.calls.filter((c) => c.method === 'chat.postMessage').length,
    });
    const guardWarnings = guardResult.replicas.flatMap((r) => r.logLines()).filter((l) => /"level":"(warn|error|fatal)"/.test(l));
    log(`guard: breach -> PATCH p50 ${ms(guardResult.breachToPatch.p50, 0)} p99 ${ms(guardResult.breachToPatch.p99, 0)} (target ${ms(guardTargetMs, 0)})`);

    // ---- Report.
    const st1 = summary(startups);
    const ratio = kubectlResult ? kubectlResult.warm.p50 / rb.p99 : Number.NaN;
    const ratioMedians = kubectlResult ? kubectlResult.warm.p50 / rb.p50 : Number.NaN;
    const rows: Row[] = [
      { metric: `ack latency p50 (${CFG.commands} \`status\`, concurrency ${CFG.concurrency})`, value: ms(ack.p50), target: '' },
      { metric: 'ack latency p99', value: ms(ack.p99), target: `<= ${TARGET.ackP99} ms`, ok: ack.p99 <= TARGET.ackP99 && ackErrors === 0 },
      {
        metric: 'ack non-200 answers / status answers with blocks (in the ack + on response_url)',
        value: `${ackErrors} / ${statusWithBlocks} (${answeredInAck} + ${statusAnswers.length})`,
        target: `0 / ${CFG.commands}`,
        ok: ackErrors === 0 && statusWithBlocks === CFG.commands,
      },
      { metric: `rollback click -> PATCH p50 (${CFG.rollbacks} sequential)`, value: ms(rb.p50), target: '' },
      { metric: 'rollback click -> PATCH p99', value: ms(rb.p99), target: `<= ${TARGET.rollbackP99} ms`, ok: rb.p99 <= TARGET.rollbackP99 && rollbackPatches === CFG.rollbacks },
    ];
    if (kubectlResult) {
      rows.push(
        { metric: '`kubectl patch` spawn -> PATCH p50 / p99 (warm discovery cache)', value: `${ms(kubectlResult.warm.p50)} / ${ms(kubectlResult.warm.p99)}`, target: '' },
        { metric: '`kubectl patch` first run (discovery, empty cache)', value: ms(kubectlResult.cold.patchMs), target: '' },
        { metric: 'kubectl p50 / bot rollback p99 (p50 / p50)', value: `${ratio.toFixed(0)}x (${ratioMedians.toFixed(0)}x)`, target: `>= ${TARGET.kubectlRatio}x`, ok: ratio >= TARGET.kubectlRatio && kubectlResult.failures.length === 0 },
      );
    } else {
      rows.push({ metric: 'kubectl comparison', value: 'kubectl not installed', target: `>= ${TARGET.kubectlRatio}x` });
    }
    const cliOk =
      cliResult.failures.length === 0 && (!kubectlResult || (cliResult.warm.p50 <= kubectlResult.warm.p50 && cliResult.warm.p99 <= kubectlResult.warm.p99));
    rows.push(
      {
        metric: `\`mcp-canary rollback\` (CLI) spawn -> PATCH p50 / p99 (${CFG.cliRuns} runs, compile cache warm)`,
        value: `${ms(cliResult.warm.p50)} / ${ms(cliResult.warm.p99)}`,
        target: kubectlResult ? `<= kubectl's ${ms(kubectlResult.warm.p50)} / ${ms(kubectlResult.warm.p99)}` : 'no slower than kubectl',
        ok: cliOk,
      },
      { metric: 'CLI first run (empty compile cache)', value: ms(cliResult.cold.patchMs), target: '' },
    );
    rows.push(
      {
        metric: `guard: error rate turns bad -> its PATCH p50 / p99 (${guardResult.breachToPatch.n} of ${CFG.guardRuns} breaches, 2 replicas, GUARD_INTERVAL ${CFG.guardIntervalMs / 1000} s × GUARD_BREACHES ${CFG.guardBreaches})`,
        value: `${ms(guardResult.breachToPatch.p50, 0)} / ${ms(guardResult.breachToPatch.p99, 0)}`,
        target: `<= ${ms(guardTargetMs, 0)} (interval × breaches + 1 s; with the defaults 15 s × 2: 31 s; Flagger's 1 m × 5: 5 min)`,
        ok: guardResult.failures.length === 0 && guardResult.breachToPatch.p99 <= guardTargetMs,
      },
      {
        metric: 'guard: queries per interval, both replicas (Prometheus / Alertmanager)',
        value: `${guardResult.perTick.prometheus.toFixed(1)} / ${guardResult.perTick.alertmanager.toFixed(1)}`,
        target: '<= 3 / 1 (one replica per tick: error rate, Rust and Python p99 in parallel; the alerts)',
        ok: guardResult.perTick.prometheus <= 3 && guardResult.perTick.alertmanager <= 1,
      },
    );
    rows.push(
      { metric: `storm: errors (${CFG.stormPosts} posts, ${CFG.stormGroups} groups, ${CFG.stormWindowMs / 1000} s)`, value: String(stormErrors.length), target: '0', ok: stormErrors.length === 0 },
      { metric: 'storm: messages posted', value: String(stormMessages + otherTopLevel), target: `exactly ${CFG.stormGroups}`, ok: stormMessages === CFG.stormGroups && otherTopLevel === 0 },
      { metric: 'RSS after the load (VmRSS)', value: mb(after.rss), target: `<= ${TARGET.rssMiB} MB`, ok: after.rss <= TARGET.rssMiB * 1024 * 1024 },
      { metric: `start-up to /readyz 200 (median of ${startups.length})`, value: ms(st1.p50, 0), target: '' },
    );

    const out: string[] = [];
    out.push('');
    out.push('| metric | value | target | |');
    out.push('|---|---|---|---|');
    for (const r of rows) out.push(`| ${r.metric} | ${r.value} | ${r.target || '—'} | ${r.ok === undefined ? '' : r.ok ? '✅' : '❌'} |`);
    out.push('');
    out.push(`Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.ramGiB} GiB RAM, ${machine.kernel}; Node ${machine.node}; redis-server ${machine.redis}`);
    out.push(`kubectl: ${machine.kubectl ?? 'not installed'}`);
    const allocator = env.LD_PRELOAD?.includes('jemalloc') ? `jemalloc (MALLOC_CONF=${env.MALLOC_CONF ?? ''})` : 'glibc malloc';
    out.push(`Bot runtime: node ${[...botNodeArgs, ...(env.NODE_OPTIONS ? [`NODE_OPTIONS="${env.NODE_OPTIONS}"`] : [])].join(' ')}; ${allocator}${runtime.notes.length ? `; ${runtime.notes.join('; ')}` : ''}`);
    out.push('');
    out.push('Details:');
    out.push(`- ack: mean ${ms(ack.mean)}, p90 ${ms(ack.p90)}, max ${ms(ack.max)}; ${(CFG.commands / (ackPhaseMs / 1000)).toFixed(0)} acks/s; last status answer ${ms(drainMs, 0)} after the last ack; CPU: ${ackCpuUse}`);
    out.push(`  - bot's outgoing HTTP: ${ackConnUse}`);
    out.push(`  - event-loop delay during the phase: ${loopUse}`);
    out.push(`  - slowest acks (command #: ms): ${slowest.map((a) => `#${a.i}: ${a.ms.toFixed(0)}${a.connectMs !== undefined ? ` (connected at ${a.connectMs.toFixed(0)}, written at ${a.writtenMs?.toFixed(0)})` : ''}`).join(', ')}${rest.n ? `; first 100 commands p50 ${ms(firstHundred.p50)} p99 ${ms(firstHundred.p99)}, the other ${rest.n} p50 ${ms(rest.p50)} p99 ${ms(rest.p99)}` : ''}`);
    out.push(`- ack as the bot measures it (mcp_canary_slack_ack_seconds, all Slack requests so far): ${serverAck}`);
    out.push(`- rollback: click -> PATCH mean ${ms(rb.mean)}, p90 ${ms(rb.p90)}, max ${ms(rb.max)}; click -> ack p50 ${ms(summary(rollbackAckMs).p50)}; click -> channel announcement p50 ${ms(summary(rollbackEndMs).p50)} p99 ${ms(summary(rollbackEndMs).p99)}; ${rollbackPatches} PATCHes${rollbackOther ? `, ${rollbackOther} other writes (delete fallback?)` : ''}; CPU: ${rbCpuUse}`);
    out.push(`  - bot's outgoing HTTP: ${rbConnUse}`);
    out.push(`  - slowest rollbacks (click #: ms): ${slowestRollbacks.map((r) => `#${r.i}: ${r.v.toFixed(1)}`).join(', ')}`);
    if (kubectlResult) {
      out.push(`- kubectl: spawn -> process exit p50 ${ms(kubectlResult.warmTotal.p50)} p99 ${ms(kubectlResult.warmTotal.p99)}; first run ${ms(kubectlResult.cold.totalMs)} (aggregated discovery, then cached in $HOME/.kube/cache)`);
    }
    out.push(
      `- CLI: spawn -> process exit p50 ${ms(cliResult.warmTotal.p50)} p99 ${ms(cliResult.warmTotal.p99)} (audit in Redis, announcement posted); first run ${ms(cliResult.cold.totalMs)}${cliResult.failures.length ? `; failures: ${cliResult.failures.join(' | ').slice(0, 600)}` : ''}`,
    );
    out.push(
      `- guard: breach -> PATCH mean ${ms(guardResult.breachToPatch.mean, 0)}, min ${ms(guardResult.minMs, 0)}, max ${ms(guardResult.breachToPatch.max, 0)}; ${guardResult.announced} of ${CFG.guardRuns} rollbacks announced; quiet stretch ${guardResult.perTick.ticks} intervals; replicas' log: ${guardWarnings.length} warn/error${guardWarnings.length ? `, first: ${guardWarnings.slice(0, 2).join(' | ').slice(0, 500)}` : ''}${guardResult.failures.length ? `; failures: ${guardResult.failures.join(' | ')}` : ''}`,
    );
    out.push(`- storm: answers p50 ${ms(st.p50)} p99 ${ms(st.p99)} max ${ms(st.max)}; results ${JSON.stringify(stormKinds)}; ${threadPosts} thread posts, ${updates} chat.update${otherTopLevel ? `; ${otherTopLevel} other top-level posts` : ''}; CPU: ${stormCpuUse}`);
    out.push(`  - bot's outgoing HTTP: ${stormConnUse}`);
    out.push(
      `- memory: RSS ${mb(idle.rss)} idle after start-up, ${mb(after.rss)} after the load (${mb(after.anon)} anonymous + ${mb(after.file)} mapped files, mostly the node binary), peak (VmHWM) ${mb(after.hwm)}`,
    );
    out.push(`  - V8: idle ${idleHeap}; after the load ${afterHeap}`);
    out.push(`- start-up runs: ${startups.map((s) => ms(s, 0)).join(', ')}`);
    out.push(`- bot log: ${botLog.length} lines, ${warnings.length} warn/error${warnings.length ? `; first: ${warnings.slice(0, 3).join(' | ').slice(0, 600)}` : ''}`);
    if (ackErrorSamples.length) out.push(`- ack errors, first: ${ackErrorSamples.join(' | ')}`);
    if (stormErrors.length) out.push(`- storm errors, first: ${stormErrors.slice(0, 3).map((r) => `${r.status} ${r.error ?? r.body.slice(0, 200)}`).join(' | ')}`);
    const misses = rows.filter((r) => r.ok === false);
    out.push('');
    out.push(misses.length ? `MISSED ${misses.length} target(s):\n${misses.map((r) => `  ❌ ${r.metric}: ${r.value} (target ${r.target})`).join('\n')}` : 'All targets met.');
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await cleanup();
  }
}

/** CPU time all CPUs of the machine spent busy (not idle or iowait), from /proc/stat, in ms. */
function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return (total - fields[3]! - fields[4]!) * 10;
}

/** The bot's event-loop lag (prom-client, since the previous scrape). */
function loopLagOf(metrics: string): string {
  const v = (name: string) => Number(new RegExp(`^mcp_canary_nodejs_eventloop_lag_${name}_seconds (\\S+)`, 'm').exec(metrics)?.[1]) * 1000;
  return `p50 ${ms(v('p50'))} p99 ${ms(v('p99'))} max ${ms(v('max'))}`;
}

/** V8 heap figures from the bot's prom-client default metrics. */
function heapOf(metrics: string): string {
  const v = (name: string) => Number(new RegExp(`^mcp_canary_${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(metrics)?.[1]);
  const spaces = [...metrics.matchAll(/^mcp_canary_nodejs_heap_space_size_total_bytes\{space="([^"]+)"\} (\S+)/gm)]
    .filter((m) => Number(m[2]) >= 4 * 1024 * 1024)
    .map((m) => `${m[1]} ${mb(Number(m[2]))}`);
  return `heap ${mb(v('nodejs_heap_size_used_bytes'))} used of ${mb(v('nodejs_heap_size_total_bytes'))} (${spaces.join(', ')}), external ${mb(v('nodejs_external_memory_bytes'))}`;
}

/** Share of Slack requests under each bucket bound of mcp_canary_slack_ack_seconds. */
function ackHistogram(metrics: string): string {
  const buckets = [...metrics.matchAll(/^mcp_canary_slack_ack_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm)].map((m) => ({ le: m[1]!, count: Number(m[2]) }));
  const total = buckets.find((b) => b.le === '+Inf')?.count ?? 0;
  if (!total) return 'not available';
  return buckets
    .filter((b) => ['0.005', '0.01', '0.025', '0.05', '0.1'].includes(b.le))
    .map((b) => `${((b.count / total) * 100).toFixed(1)}% <= ${Number(b.le) * 1000} ms`)
    .join(', ');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
