// The break-glass command line (`mcp-canary`), run as a process as a user runs it: the bundle scripts/bundle.mjs
// builds (dist/cli.js), against the local Kubernetes API server, a real redis-server and the local Slack Web API.
// Every case of the issue: status (text and --json), rollback 5% -> 0 with its audit entry, with Redis stopped
// (local audit file), already rolled back, PATCH failing (fallback) and everything failing (manual commands),
// increases refused, usage, Slack down, history, and a running bot that does not take the CLI's rollback for drift.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisStateStore } from '../../src/adapters/store/redis-store.js';
import type { ApprovalRequest, AuditEntry } from '../../src/core/entities.js';
import { startHarness, textOf, type Harness } from '../support/bot-harness.js';
import { freePort } from '../support/child-process.js';
import { cliNodeArgs } from '../support/image-runtime.js';
import { startFakeKubeApi, type FakeKubeApi } from '../support/fake-kube-api.js';
import { startFakeAlertmanager, startFakePrometheus, type FakeAlertmanager, type FakePrometheus } from '../support/fake-prometheus.js';
import { startFakeSlackApi, type FakeSlackApi } from '../support/fake-slack-api.js';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILD = mkdtempSync(join(tmpdir(), 'mcp-canary-cli-build-'));
const CLI = join(BUILD, 'cli.js');
const CHANNEL = 'C0ONCALL';
const NGINX = 'nginx.ingress.kubernetes.io/';
const WEIGHT = `${NGINX}canary-weight`;
const ACTOR = `cli:${userInfo().username}@${hostname()}`;
const QUERIES = { errorRate: 'mcp:rust_gateway_error_rate:5m', rustP99: 'mcp:rust_gateway_p99_latency:5m', pythonP99: 'mcp:python_gateway_p99_latency:5m' };

let kube: FakeKubeApi, slack: FakeSlackApi, prometheus: FakePrometheus, alertmanager: FakeAlertmanager, redis: RedisServerHandle;
let store: RedisStateStore;
let cwd: string;

beforeAll(async () => {
  // As `npm run build` makes it (the bot's bundle beside it; only cli.js is run here).
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(BUILD, 'mcp-canary.js'), '--no-playground'], { cwd: ROOT });
  [kube, slack, prometheus, alertmanager, redis] = await Promise.all([startFakeKubeApi(), startFakeSlackApi(), startFakePrometheus(), startFakeAlertmanager(), startRedisServer()]);
  store = new RedisStateStore({ url: redis.url });
  await store.connect();
}, 120_000);

afterAll(async () => {
  await store?.close();
  await Promise.all([kube?.close(), slack?.close(), prometheus?.close(), alertmanager?.close(), redis?.stop()]);
  rmSync(BUILD, { recursive: true, force: true });
});

beforeEach(async () => {
  kube.reset();
  slack.reset();
  slack.setDelay(0);
  await store.redis.flushall();
  prometheus.set(QUERIES.errorRate, 0.0004);
  prometheus.set(QUERIES.rustP99, 0.12);
  prometheus.set(QUERIES.pythonP99, 0.1);
  alertmanager.setAlerts([]);
  setCanary(5);
  // The engineer's working directory: where a local audit file lands.
  cwd = mkdtempSync(join(tmpdir(), 'mcp-canary-cli-cwd-'));
});

afterEach(() => rmSync(cwd, { recursive: true, force: true }));

/** The canary at `weight`, as mcp-canary applied it 3 h ago (its record on the Ingress), optionally with header routing. */
function setCanary(weight: number, opts: { header?: boolean } = {}) {
  const ingress = kube.get(kube.paths.canaryIngress);
  const a = ingress.metadata.annotations as Record<string, string>;
  a[WEIGHT] = String(weight);
  a['mcp-canary.stoa.dev/applied-weight'] = String(weight);
  a['mcp-canary.stoa.dev/applied-at'] = new Date(Date.now() - 3 * 3600_000).toISOString();
  a['mcp-canary.stoa.dev/applied-by'] = 'U0ALICE';
  if (opts.header) a[`${NGINX}canary-by-header`] = 'X-Canary';
  ingress.metadata.resourceVersion = String(Number(ingress.metadata.resourceVersion) + 1000);
}

/** The bot's environment, as the on-call engineer has it. */
function botEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cwd,
    SLACK_BOT_TOKEN: 'xoxb-test-bot-token-0123456789',
    SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789',
    SLACK_API_URL: slack.apiUrl,
    SLACK_CHANNEL: CHANNEL,
    CANARY_APPROVERS: 'U0BOB',
    KUBECONFIG: kube.kubeconfigPath,
    PROMETHEUS_URL: prometheus.url,
    ALERTMANAGER_URL: alertmanager.url,
    REDIS_URL: redis.url,
    BUSINESS_HOURS: 'always',
    SOURCE_TIMEOUT: '500ms',
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

interface Run {
  /** Date.now() at the spawn (the fake API server stamps its requests with Date.now()). */
  spawnedAt: number;
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Instrumentation: says so on stderr when the command line ends through process.exit (its safety net for
 * libraries that linger after being closed) rather than by itself, and what was still open.
 */
const EXIT_PROBE = `data:text/javascript,${encodeURIComponent(
  "const exit = process.exit.bind(process); process.exit = (code) => { process.stderr.write('[forced exit; still open: ' + process.getActiveResourcesInfo().join(', ') + ']\\n'); exit(code); };",
)}`;

/**
 * Runs `mcp-canary <args>` (node dist/cli.js, as the image's wrapper does) until it exits. It must end by
 * itself, everything it opened closed (Redis, the Kubernetes connection pool, Slack's sockets), unless
 * `lingering` says a library is expected to hold on (a Redis that does not answer the close).
 */
function mcpCanary(args: string[], opts: { env?: Record<string, string>; onStderr?: (text: string) => void; timeoutMs?: number; lingering?: boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, ['--import', EXIT_PROBE, CLI, ...args], { cwd, env: opts.env ?? botEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mcp-canary ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 15_000} ms:\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 15_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!opts.lingering && stderr.includes('[forced exit')) reject(new Error(`did not end by itself: ${stderr}`));
      resolve({ spawnedAt, code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Redis back (empty), and the test's own connection to it ready again. */
async function restartRedis(): Promise<void> {
  await redis.restart();
  await slack.waitFor(() => store.redis.ping().then(() => true, () => false), 10_000);
}

const canaryWrites = () => kube.requests.filter((r) => r.path === kube.paths.canaryIngress && r.method !== 'GET' && r.query.dryRun !== 'All');
const posted = () => slack.callsOf('chat.postMessage');
const weight = () => kube.get(kube.paths.canaryIngress)?.metadata.annotations[WEIGHT];
const auditEntries = () => store.recentAudit(50);

async function seedPendingRequest(extra: Partial<ApprovalRequest> = {}): Promise<ApprovalRequest> {
  const now = Date.now();
  const request: ApprovalRequest = {
    id: 'req00001',
    status: 'pending',
    requestedBy: 'U0ALICE',
    requestedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 30 * 60_000).toISOString(),
    fromPercent: 5,
    toPercent: 10,
    evidence: { verdict: 'GO', evaluatedAt: new Date(now).toISOString(), criteria: [], reasons: [] },
    ...extra,
  };
  const created = await store.createRequest(request, 30 * 60_000);
  if (!created.created) throw new Error('a request is already pending');
  return request;
}

describe('mcp-canary usage', () => {
  it('--help (and help) prints the usage on stdout and exits 0, touching nothing', async () => {
    for (const args of [['--help'], ['help'], ['-h']]) {
      const run = await mcpCanary(args, { env: { PATH: process.env.PATH ?? '' } });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: mcp-canary <command>/);
      expect(run.stdout).toMatch(/rollback \[reason\]/);
      expect(run.stdout).toMatch(/Exit codes: 0 done/);
    }
    expect(kube.requests).toEqual([]);
  });

  it('an unknown subcommand, an unknown option or no command at all: the usage on stderr, exit 2, nothing done', async () => {
    for (const args of [['frobnicate'], ['status', '--force'], [], ['status', 'now']]) {
      const run = await mcpCanary(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/Usage: mcp-canary <command>/);
      expect(run.stdout).toBe('');
    }
    expect(kube.requests).toEqual([]);
    expect(slack.calls).toEqual([]);
  });

  it('refuses anything that raises the weight with exit 2 and says to use Slack (two-person rule): nothing is written', async () => {
    for (const args of [['weight', '50'], ['promote'], ['weight', '10%'], ['finalize'], ['shadow', 'on']]) {
      const run = await mcpCanary(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/Slack/);
    }
    const weight50 = await mcpCanary(['weight', '50']);
    expect(weight50.stderr).toMatch(/two-person rule/);
    expect(weight50.stderr).toMatch(/\/mcp-canary weight 50/);
    expect(kube.requests).toEqual([]);
    expect(slack.calls).toEqual([]);
    expect(weight()).toBe('5');
    expect(await auditEntries()).toEqual([]);
  });

  it('refuses an invalid environment as the bot does, naming the variable (exit 2, nothing done), and a rollback still gets the commands to run by hand', async () => {
    const run = await mcpCanary(['rollback'], { env: botEnv({ SLACK_CHANNEL: '#oncall-platform' }) });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/SLACK_CHANNEL: expected a channel ID/);
    expect(run.stderr).toMatch(/The rollback was NOT done: nothing was changed\. Fix the environment and run it again, or roll back by hand:\n {4}kubectl patch ingress mcp-gateway-canary -n stoa-system --type=merge/);
    expect(run.stderr).toMatch(/^ {4}kubectl delete ingress mcp-gateway-canary -n stoa-system$/m);
    expect(kube.requests).toEqual([]);
    // For the route the router settings name, as far as they are valid themselves.
    const named = await mcpCanary(['rollback'], { env: botEnv({ SLACK_CHANNEL: '#oncall-platform', K8S_NAMESPACE: 'edge', CANARY_INGRESS: 'gw-canary' }) });
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/^ {4}kubectl patch ingress gw-canary -n edge --type=merge/m);
    const status = await mcpCanary(['status'], { env: botEnv({ SLACK_CHANNEL: '#oncall-platform' }) });
    expect(status.code).toBe(2);
    expect(status.stderr).not.toMatch(/kubectl/);
    expect(kube.requests).toEqual([]);
  });
});

describe('mcp-canary status', () => {
  it('prints what the Slack status shows: weight and step with a bar, criteria with values and thresholds, the guard, the pending request', async () => {
    await seedPendingRequest();
    const run = await mcpCanary(['status']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/5% of traffic to Rust — ▰▰▱▱▱▱ step 2 of 6/);
    expect(run.stdout).toMatch(/GO — every go\/no-go criterion passes/);
    expect(run.stdout).toMatch(/Go\/no-go criteria/);
    expect(run.stdout).toMatch(/✅ Rust error rate.*: 0\.04% \(< 0\.1%\)/);
    expect(run.stdout).toMatch(/p99.*\(< 1\.5/);
    expect(run.stdout).toMatch(/^Guard \(GUARD=rollback/m);
    expect(run.stdout).toMatch(/Approval request: ⏳ U0ALICE asked for 5% → 10% \(request req00001\), expires/);
    expect(run.stdout).toMatch(/Hold \(48h per step\)/);
    // Plain text: no Slack markup left.
    expect(run.stdout).not.toMatch(/<!date|\*5%\*|&gt;|:hourglass_flowing_sand:/);
    // Progress on stderr, never mixed into stdout.
    expect(run.stderr).toMatch(/mcp-canary: reading Ingress mcp-gateway-canary/);
    expect(canaryWrites()).toEqual([]);
  });

  it('exits 0 whatever the verdict (NO-GO with its reasons)', async () => {
    prometheus.set(QUERIES.errorRate, 0.02);
    const run = await mcpCanary(['status']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/🔴 NO-GO — 1 reason:/);
    expect(run.stdout).toMatch(/❌ Rust error rate.*: 2% \(< 0\.1%\)/);
  });

  it('--json prints the core StatusReport', async () => {
    await seedPendingRequest();
    const run = await mcpCanary(['status', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.percent).toBe(5);
    expect(report.position).toMatchObject({ stepNumber: 2, stepCount: 6, nextStep: 10 });
    expect(report.goNoGo.verdict).toBe('GO');
    expect(report.goNoGo.criteria.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(['error-rate', 'p99-ratio', 'critical-alerts']));
    expect(report.pending).toMatchObject({ id: 'req00001', fromPercent: 5, toPercent: 10 });
    expect(report.guard.mode).toBe('rollback');
    expect(report.routeRef).toMatchObject({ kind: 'Ingress', name: 'mcp-gateway-canary' });
  });
});

describe('mcp-canary rollback', () => {
  it('authenticates as the kubeconfig says, with an exec plugin too (EKS, GKE): the token it prints is the one sent with the write', async () => {
    // client-node runs the plugin (child_process, loaded by the bundle on first use) and caches its ExecCredential.
    const plugin = join(cwd, 'kube-token.sh');
    writeFileSync(plugin, '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-the-exec-plugin"}}\'\n');
    chmodSync(plugin, 0o755);
    const kubeconfig = join(cwd, 'exec-kubeconfig');
    writeFileSync(
      kubeconfig,
      readFileSync(kube.kubeconfigPath, 'utf8').replace(
        /^ {4}token: .*$/m,
        `    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${plugin}\n      interactiveMode: Never`,
      ),
    );
    const run = await mcpCanary(['rollback', 'exec auth'], { env: botEnv({ KUBECONFIG: kubeconfig }) });
    expect(run.code, run.stderr).toBe(0);
    expect(weight()).toBe('0');
    const write = canaryWrites()[0]!;
    expect(write.method).toBe('PATCH');
    expect(write.authorization).toBe('Bearer from-the-exec-plugin');
  });

  it('rolls back 5% -> 0 (routing rules removed), audits it in Redis as cli:<user>@<host>, announces it, cancels the pending request', async () => {
    setCanary(5, { header: true });
    // The pending request's message in the channel, as the bot posted it.
    const requestMessage = (await (
      await fetch(`${slack.apiUrl}chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-x' }, body: JSON.stringify({ channel: CHANNEL, text: 'request 5% -> 10%' }) })
    ).json()) as { ts: string };
    await seedPendingRequest({ channel: CHANNEL, messageTs: requestMessage.ts });
    slack.reset();

    const run = await mcpCanary(['rollback', 'users', 'report', 'errors']);
    expect(run.code).toBe(0);
    expect(weight()).toBe('0');
    const annotations = kube.get(kube.paths.canaryIngress).metadata.annotations;
    expect(annotations[`${NGINX}canary-by-header`]).toBeUndefined();
    expect(annotations['mcp-canary.stoa.dev/applied-by']).toBe(ACTOR);
    expect(canaryWrites().map((w) => w.method)).toEqual(['PATCH']);

    // The same words as the channel message (views/rollback.ts).
    expect(run.stdout).toMatch(/⏪ Canary rolled back/);
    expect(run.stdout).toContain(`${ACTOR} rolled the canary back from 5% to 0%: all traffic goes to Python.`);
    expect(run.stdout).toMatch(/removed the routing rules `header X-Canary/);
    expect(run.stdout).toMatch(/via the break-glass command line/);
    expect(run.stdout).toMatch(/Reason: users report errors/);
    expect(run.stdout).toMatch(/Audit: written to the state store/);
    expect(run.stdout).toMatch(/Announced in Slack \(C0ONCALL\)/);
    expect(run.stdout).toMatch(/Pending request req00001 cancelled/);
    expect(run.stderr).toMatch(/rolling back Ingress mcp-gateway-canary in stoa-system \(ingress-nginx\) as cli:/);

    const [entry] = await auditEntries();
    expect(entry).toMatchObject({ actor: ACTOR, action: 'rollback', fromPercent: 5, toPercent: 0 });
    expect(entry!.summary).toMatch(/rollback from cli: Ingress mcp-gateway-canary set to 0% from 5%, 1 routing rule\(s\) removed \(reason: users report errors\)/);

    const announcement = posted();
    expect(announcement).toHaveLength(1);
    expect(announcement[0]!.channel).toBe(CHANNEL);
    expect(textOf(announcement[0] as never)).toMatch(/Canary rolled back to 0% from 5% by cli:/);
    expect((await store.getRequest('req00001'))?.status).toBe('cancelled');
    // The request's message is updated in place, as the bot does.
    expect(slack.callsOf('chat.update').map((u) => u.ts)).toEqual([requestMessage.ts]);
    // Nothing left behind: the audit is in Redis, not in a file.
    expect(readdirSync(cwd).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });

  it('--json prints the RollbackOutcome, with where the audit and the announcement went', async () => {
    const run = await mcpCanary(['rollback', '--json']);
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout);
    expect(outcome).toMatchObject({ kind: 'rolled-back', fromPercent: 5, source: 'cli', actor: ACTOR, audit: { kind: 'store' }, announcement: { kind: 'posted', channel: CHANNEL } });
    expect(outcome.steps).toEqual([{ kind: 'reset', fromPercent: 5, removedRules: [], nowPercent: 0 }]);
  });

  it('shows a progress line on stderr while it waits on the cluster', async () => {
    kube.setDelay(1500);
    let patchesWhenProgressShown: number | undefined;
    const run = await mcpCanary(['rollback'], {
      onStderr: (text) => {
        if (patchesWhenProgressShown === undefined && /rolling back Ingress/.test(text)) patchesWhenProgressShown = canaryWrites().length;
      },
    });
    expect(run.code).toBe(0);
    expect(patchesWhenProgressShown).toBe(0);
    expect(weight()).toBe('0');
  });

  it('with Redis stopped: the rollback is done (exit 0), the audit goes to a local file whose path it prints', async () => {
    await redis.stop();
    try {
      // ioredis keeps a 2 s timer after a refused connection, even once closed: the command line does not wait for it.
      const run = await mcpCanary(['rollback', 'redis is down too'], { lingering: true });
      expect(run.code).toBe(0);
      expect(weight()).toBe('0');
      expect(run.stdout).toMatch(/⏪ Canary rolled back/);
      const path = /written to the local file (\S+\.jsonl) instead/.exec(run.stdout)?.[1];
      expect(path, run.stdout).toBeDefined();
      expect(path!.startsWith(cwd)).toBe(true);
      const lines = readFileSync(path!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ actor: ACTOR, action: 'rollback', fromPercent: 5, toPercent: 0 });
      expect(lines[0]!.summary).toMatch(/reason: redis is down too/);
      // Slack still hears of it.
      expect(posted()).toHaveLength(1);
      // Redis never held the rollback up: the store's deadlines are short.
      expect(run.ms).toBeLessThan(6000);
    } finally {
      await restartRedis();
    }
    expect(await auditEntries()).toEqual([]);
  });

  it('a Redis slow to answer never holds the rollback up: the PATCH goes out at once, the audit falls back to a file', async () => {
    // Redis behind a proxy that holds every connection 4 s before passing it on.
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      sockets.add(client);
      client.pause();
      setTimeout(() => {
        const upstream = connect(redis.port, '127.0.0.1');
        sockets.add(upstream);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      }, 4000);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      // ioredis waits for the hung Redis to acknowledge the close: the command line does not.
      const run = await mcpCanary(['rollback'], { env: botEnv({ REDIS_URL: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}` }), lingering: true });
      expect(run.code).toBe(0);
      const patch = kube.requests.find((r) => r.method === 'PATCH' && r.path === kube.paths.canaryIngress)!;
      expect(patch.at - run.spawnedAt).toBeLessThan(2000);
      expect(run.stdout).toMatch(/Audit: the state store \(Redis\) did not answer; written to the local file/);
      expect(run.ms).toBeLessThan(4000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('DRY_RUN: nothing changes, and the route the drift check knows stays as it was (rolled back, or the fallback)', async () => {
    // What the running bot's drift check last recorded: the canary at 5%.
    const known = { exists: true, percent: 5, at: new Date(Date.now() - 3600_000).toISOString() };
    for (const fallback of [false, true]) {
      await store.setValue('canary:known', known);
      if (fallback) kube.failNext({ method: 'PATCH', pathIncludes: 'mcp-gateway-canary' }, 500, 2);
      const run = await mcpCanary(['rollback', '--json'], { env: botEnv({ DRY_RUN: 'true' }) });
      expect(run.code, run.stderr).toBe(0);
      // The store answered (so the command line did reach the point where it tells the drift check).
      expect(JSON.parse(run.stdout)).toMatchObject({ kind: fallback ? 'route-removed' : 'rolled-back', dryRun: true, audit: { kind: 'store' } });
      expect(weight()).toBe('5');
      expect(canaryWrites()).toEqual([]);
      // Still at 5%: had it said 0%, the bot's next check would report the live 5% as a change made outside it.
      expect(await store.getValue('canary:known')).toEqual(known);
    }
  });

  it('already rolled back: exit 0, says so, writes nothing and announces nothing', async () => {
    setCanary(0);
    const run = await mcpCanary(['rollback']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ℹ️ Already rolled back/);
    expect(run.stdout).toMatch(/nothing to do, Ingress `mcp-gateway-canary` is already at 0% with no routing rules/);
    expect(canaryWrites()).toEqual([]);
    expect(posted()).toEqual([]);
    expect((await auditEntries())[0]).toMatchObject({ action: 'rollback-noop', actor: ACTOR });
  });

  it('PATCH failing: the runbook fallback (canary Ingress removed) is done and reported, exit 0', async () => {
    kube.failNext({ method: 'PATCH', pathIncludes: 'mcp-gateway-canary' }, 500, 2);
    const run = await mcpCanary(['rollback']);
    expect(run.code).toBe(0);
    expect(kube.get(kube.paths.canaryIngress)).toBeUndefined();
    expect(canaryWrites().map((w) => w.method)).toEqual(['PATCH', 'PATCH', 'DELETE']);
    expect(run.stdout).toMatch(/⏪ Canary route removed \(fallback\)/);
    expect(run.stdout).toMatch(/Setting the canary to 0% failed \(.*\), so cli:.*'s rollback removed the canary route Ingress `mcp-gateway-canary`, the runbook's fallback/);
    expect(run.stdout).toMatch(/write attempt 1 failed/);
    expect((await auditEntries())[0]).toMatchObject({ action: 'rollback', actor: ACTOR, toPercent: 0 });
    expect(textOf(posted()[0] as never)).toMatch(/Canary route removed \(rollback fallback\)/);
  });

  it('everything failing: exit 1, what failed and the commands to run by hand', async () => {
    kube.failNext({ method: 'PATCH', pathIncludes: 'mcp-gateway-canary' }, 500, 2);
    kube.failNext({ method: 'DELETE', pathIncludes: 'mcp-gateway-canary' }, 403, 2);
    const run = await mcpCanary(['rollback']);
    expect(run.code).toBe(1);
    expect(weight()).toBe('5');
    expect(run.stdout).toMatch(/🚨 Rollback FAILED/);
    expect(run.stdout).toMatch(/traffic may still go to Rust/);
    expect(run.stdout).toMatch(/Run by hand:\n {4}kubectl patch ingress mcp-gateway-canary -n stoa-system --type=merge -p '\{"metadata":\{"annotations":\{"nginx.ingress.kubernetes.io\/canary-weight":"0"/);
    expect((await auditEntries())[0]).toMatchObject({ action: 'rollback-failed', actor: ACTOR });
  });

  it('Slack down (accepts connections, never answers): the rollback is still done at once, exit 0, and it says it could not announce it', async () => {
    // A Slack that hangs: connections are accepted and never answered.
    const sockets = new Set<Socket>();
    const blackHole = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}/api/`;
      const run = await mcpCanary(['rollback'], { env: botEnv({ SLACK_API_URL: url }) });
      expect(run.code).toBe(0);
      expect(weight()).toBe('0');
      expect(run.stdout).toMatch(/⏪ Canary rolled back/);
      expect(run.stdout).toMatch(/Not announced in Slack: Slack did not take it/);
      expect(run.stdout).toMatch(/Audit: written to the state store/);
      expect(sockets.size).toBeGreaterThan(0);
      // One try with a short timeout, no retries: it does not hang the terminal.
      expect(run.ms).toBeLessThan(8000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });

  it('Slack unreachable (connection refused): the rollback is still done, exit 0', async () => {
    const closed = await freePort();
    const run = await mcpCanary(['rollback'], { env: botEnv({ SLACK_API_URL: `http://127.0.0.1:${closed}/api/` }) });
    expect(run.code).toBe(0);
    expect(weight()).toBe('0');
    expect(run.stdout).toMatch(/Not announced in Slack/);
  });

  it('weight 0 is a rollback, as in Slack', async () => {
    const run = await mcpCanary(['weight', '0']);
    expect(run.code).toBe(0);
    expect(weight()).toBe('0');
  });

  it('without SLACK_* and REDIS_URL (a laptop with only a kubeconfig): done, audit in a local file, not announced', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: cwd, KUBECONFIG: kube.kubeconfigPath };
    const run = await mcpCanary(['rollback'], { env });
    expect(run.code).toBe(0);
    expect(weight()).toBe('0');
    expect(run.stdout).toMatch(/REDIS_URL is not set.*written to the local file/);
    expect(run.stdout).toMatch(/Not announced in Slack: SLACK_BOT_TOKEN is not set/);
    expect(readdirSync(cwd).filter((f) => /^mcp-canary-audit-.*\.jsonl$/.test(f))).toHaveLength(1);
  });

  it('a kubeconfig that cannot be read: exit 1, nothing changed, the commands to run by hand', async () => {
    const run = await mcpCanary(['rollback'], { env: botEnv({ KUBECONFIG: join(cwd, 'missing-kubeconfig') }) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach the cluster/);
    expect(run.stderr).toMatch(/kubectl patch ingress mcp-gateway-canary -n stoa-system/);
  });
});

describe('mcp-canary history', () => {
  it('prints the last 20 audit entries, and --json the AuditEntry list', async () => {
    for (let i = 0; i < 25; i++) {
      await store.appendAudit({ at: new Date(Date.now() - (25 - i) * 60_000).toISOString(), actor: 'U0BOB', action: 'weight-decreased', summary: `entry ${i}`, fromPercent: 10, toPercent: 5 });
    }
    await mcpCanary(['rollback', 'history test']);
    const text = await mcpCanary(['history']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Canary audit history \(last 20, newest first\)/);
    const firstEntry = text.stdout.split('\n').find((l) => /UTC · /.test(l));
    expect(firstEntry).toMatch(new RegExp(`UTC · ${ACTOR.replace(/[.]/g, '\\.')} · ⏪ rollback · 5% → 0%`));
    expect(text.stdout).toMatch(/rollback from cli: .*\(reason: history test\)/);
    const json = await mcpCanary(['history', '--json']);
    const entries = JSON.parse(json.stdout) as AuditEntry[];
    expect(entries).toHaveLength(20);
    expect(entries[0]).toMatchObject({ actor: ACTOR, action: 'rollback' });
  });

  it('with Redis stopped: says the store did not answer, exit 1', async () => {
    await redis.stop();
    try {
      const run = await mcpCanary(['history'], { lingering: true });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/state store did not answer/);
    } finally {
      await restartRedis();
    }
  });
});

describe('the running bot and the command line', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("does not report the CLI's rollback (weight 0) as drift, and it is announced once", async () => {
    // Drift checks every 100 ms, all through the command line's run.
    h = await startHarness({ redis, env: { DRIFT_CHECK_INTERVAL: '100ms' } });
    h.setCanary(5, { hoursAgo: 60 });
    // The bot knows the canary at 5% (its first drift check recorded it).
    await h.slack.waitFor(async () => (await h!.bot.core.store.getValue<{ percent: number }>('canary:known'))?.percent === 5, 5000);
    const run = await mcpCanary(['rollback'], { env: cliEnvOf(h) });
    expect(run.code).toBe(0);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('0');
    // Several drift checks later: nothing announced or audited as drift; the rollback announced once.
    await new Promise((r) => setTimeout(r, 800));
    await expectNoDrift(h);
  });

  it("does not report the CLI's fallback rollback (canary Ingress removed) as drift", async () => {
    // The fallback removes the route, then records that it did (the core's rollback): a drift check that
    // lands between the two would see a route vanish. That window is the core's, the same for the bot's own
    // fallback; here the command line runs right after a drift check, and the next ones come after it.
    h = await startHarness({ redis, env: { DRIFT_CHECK_INTERVAL: '1500ms' } });
    h.setCanary(5, { hoursAgo: 60 });
    await h.slack.waitFor(async () => (await h!.bot.core.store.getValue<{ percent: number }>('canary:known'))?.percent === 5, 5000);
    const reads = h.kube.requests.length;
    await h.slack.waitFor(() => h!.kube.requests.length > reads, 5000);
    h.kube.failNext({ method: 'PATCH', pathIncludes: 'mcp-gateway-canary' }, 500, 2);
    const run = await mcpCanary(['rollback'], { env: cliEnvOf(h) });
    expect(run.code).toBe(0);
    expect(h.kube.get(h.kube.paths.canaryIngress)).toBeUndefined();
    // The bot's next two drift checks see the route absent, as the command line recorded it.
    await new Promise((r) => setTimeout(r, 3200));
    await expectNoDrift(h);
  });

  function cliEnvOf(harness: Harness): Record<string, string> {
    const env: Record<string, string> = { ...harness.env, PATH: process.env.PATH ?? '', HOME: cwd };
    delete env.PORT;
    return env;
  }

  async function expectNoDrift(harness: Harness): Promise<void> {
    expect([...harness.slack.messages.values()].filter((m) => /changed outside/i.test(textOf(m)))).toEqual([]);
    const audit = await harness.bot.core.store.recentAudit(20);
    expect(audit.filter((e) => e.action === 'drift-detected')).toEqual([]);
    expect(audit.filter((e) => e.action === 'rollback')).toHaveLength(1);
    expect([...harness.slack.messages.values()].filter((m) => /rolled back|route removed/i.test(textOf(m)))).toHaveLength(1);
  }
});

describe('the image and the checkout', () => {
  it('dist/cli.js and its chunks run alone, as in the image (no node_modules anywhere near), with the wrapper\'s node flags', async () => {
    const app = mkdtempSync(join(tmpdir(), 'mcp-canary-cli-image-'));
    try {
      mkdirSync(join(app, 'dist'));
      copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
      copyFileSync(CLI, join(app, 'dist', 'cli.js'));
      cpSync(join(BUILD, 'cli-chunks'), join(app, 'dist', 'cli-chunks'), { recursive: true });
      const flags = cliNodeArgs(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [...flags, join(app, 'dist', 'cli.js'), 'status', '--json'], { cwd: '/', env: botEnv() }, (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
        ),
      );
      expect(run.code, run.stderr).toBe(0);
      // stdout is the JSON alone: progress and logs go to stderr.
      expect(JSON.parse(run.stdout).percent).toBe(5);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('contains neither Bolt nor anything of the development kit or the tests, in any chunk', () => {
    const chunks = readdirSync(join(BUILD, 'cli-chunks')).map((f) => join(BUILD, 'cli-chunks', f));
    const maps = [`${CLI}.map`, ...chunks.filter((f) => f.endsWith('.js.map'))];
    const sources = maps.flatMap((map) => (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources.map((s) => s.replace(/^(\.\.\/)+/, '')));
    expect(sources.some((s) => s.endsWith('src/cli.ts'))).toBe(true);
    expect(sources.some((s) => s.endsWith('src/compose.ts'))).toBe(true);
    expect(sources.filter((s) => /(^|\/)(devkit|test)\/|node_modules\/@slack\/bolt\/|node_modules\/express\//.test(s))).toEqual([]);
    for (const file of [CLI, ...chunks.filter((f) => f.endsWith('.js'))]) expect(readFileSync(file, 'latin1'), file).not.toMatch(/[^\x00-\x7f]/);
  });

  it('the Dockerfile ships dist/cli.js with its chunks and an executable mcp-canary on the PATH, run by plain node with a compile cache of every chunk', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist\/cli\.js \/app\/dist\/cli\.js\.map \.\/dist\/$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist\/cli-chunks \.\/dist\/cli-chunks$/m);
    expect(dockerfile).toMatch(/test -f dist\/cli\.js && test -d dist\/cli-chunks/);
    // The wrapper: /usr/local/bin/mcp-canary, executable. No V8 flag: any would make Node compile its own
    // built-in modules again (their code cache is made for the default flags), 12 ms before the rollback's PATCH.
    expect(dockerfile).toMatch(/\/usr\/local\/bin\/mcp-canary/);
    expect(cliNodeArgs(dockerfile)).toEqual([]);
    expect(dockerfile).toMatch(/chmod 755 \/usr\/local\/bin\/mcp-canary/);
    expect(dockerfile).toMatch(/readdirSync\('\/app\/dist\/cli-chunks'\)/);
  });

  it('the package bin runs from a checkout (bin/mcp-canary.js)', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ 'mcp-canary': 'bin/mcp-canary.js' });
    expect(existsSync(join(ROOT, pkg.bin['mcp-canary']!))).toBe(true);
    const run = await new Promise<{ code: number | null; out: string }>((resolve) =>
      execFile(process.execPath, [join(ROOT, 'bin', 'mcp-canary.js'), '--help'], { cwd, env: { PATH: process.env.PATH ?? '' } }, (error, stdout) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, out: stdout }),
      ),
    );
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Usage: mcp-canary/);
  });
});
