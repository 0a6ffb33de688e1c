// The local playground: the real bot (startBot, same app, handlers, views and core) wired to an in-memory
// store, a simulated cluster (a Kubernetes API server on loopback, reached through client-node), a simulated
// gateway behind Prometheus and Alertmanager APIs, and a web page that plays Slack for #oncall-platform.
//
// The simulated world runs on one traffic router at a time: ingress-nginx (the canary Ingress) or Gateway API
// (the HTTPRoute `mcp-gateway`). The bot gets TRAFFIC_ROUTER accordingly and drives that object; the simulated
// gateway reads its traffic split from it (routes.ts). `--router gateway-api` picks it at start, and the page's
// switch restarts the whole world (bot, cluster, gateway, channel, clock) on the other one.
//
// The bot is handed in (BotEntry), never imported: this file is the entry of dist/playground.js
// (scripts/bundle.mjs), which dist/mcp-canary.js loads when there is no Slack workspace to talk to
// (`npm start` without any SLACK_* variable, `npm run playground`) and calls with its own startBot, so the
// playground runs the production bundle's bot and carries no copy of it. Tests start it with the bot
// from source through ./main.ts.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import type { BotOptions, RunningBot } from '../../src/bot.js';
import type { Config } from '../../src/config.js';
import type { Clock } from '../../src/core/ports.js';
import { startFakeKubeApi, type FakeKubeApi } from '../kube-api-server.js';
import { startFakeAlertmanager, startFakePrometheus } from '../prometheus-api.js';
import { LocalSlackApi, type SlackIdentity, type SlackPerson } from '../slack-api.js';
import { DEFAULT_KNOBS, RUNBOOK_ALERTS, SimulatedGateway, type GatewayKnobs } from './gateway.js';
import { startPageServer, type PageServer, type PlaygroundControls } from './page-server.js';
import { MISMATCH_MARKER, PythonGatewayLogs, sidecarLog, type RustHealth } from './python-logs.js';
import {
  httpRouteView,
  ingressView,
  PLAYGROUND_ROUTERS,
  reconciledStatus,
  rulesWithoutRust,
  rulesWithWeights,
  splitFromHttpRoute,
  splitFromIngress,
  type PlaygroundRouter,
  type TrafficSplit,
} from './routes.js';
import { RustHealthSimulation } from './rust-health.js';

export { PLAYGROUND_ROUTERS, type PlaygroundRouter } from './routes.js';

/** What the playground needs of the bot: how to read its configuration and start it. */
export interface BotEntry {
  readConfig(env: Record<string, string | undefined>): Config;
  startBot(config: Config, options?: BotOptions): Promise<RunningBot>;
}

export interface PlaygroundUser extends SlackPerson {
  approver: boolean;
  role: string;
}

export const PLAYGROUND_USERS: PlaygroundUser[] = [
  { id: 'U0ALICE', name: 'alice', realName: 'Alice Martin', approver: true, role: 'on-call (L1)' },
  { id: 'U0BOB', name: 'bob', realName: 'Bob Chen', approver: true, role: 'platform lead (L2)' },
  { id: 'U0CAROL', name: 'carol', realName: 'Carol Diaz', approver: true, role: 'Rust maintainer (L3)' },
  { id: 'U0MALLORY', name: 'mallory', realName: 'Mallory Stone', approver: false, role: 'not an approver' },
];

const PLAYGROUND_IDENTITY: SlackIdentity = {
  team: { id: 'T0PLAYGROUND', domain: 'playground', name: 'Playground' },
  bot: { userId: 'U0MCPCANARY', botId: 'B0MCPCANARY', name: 'mcp-canary' },
  appId: 'A0MCPCANARY',
};
const PLAYGROUND_CHANNEL = { id: 'C0PLAYGROUND', name: 'oncall-platform' };

export interface PlaygroundOptions {
  /** Port of the page (the bot listens on a free port of its own) [3000; 0 = any free port]. */
  port?: number;
  /** Open the page in the default browser. */
  open?: boolean;
  /** Where the bot's JSON log lines go [stdout]. */
  logDestination?: NodeJS.WritableStream;
  /** Extra environment for the bot (e.g. RAMP_STEPS, STEP_MIN_HOLD, LOG_LEVEL); the playground's own wiring wins. */
  env?: Record<string, string | undefined>;
  /** The traffic router the bot drives (TRAFFIC_ROUTER) and the simulated gateway reads [ingress-nginx]. The page can switch it. */
  router?: PlaygroundRouter;
}

export interface RunningPlayground {
  url: string;
  /** The running bot (a new one after a router switch). */
  readonly bot: RunningBot;
  /** The router the simulated world runs on now. */
  readonly router: PlaygroundRouter;
  /** The simulated cluster's API server (a new one after a router switch). */
  readonly kube: FakeKubeApi;
  /** Restarts the simulated world (bot, cluster, gateway, channel, clock) on `router`, as the page's switch does. */
  switchRouter(router: PlaygroundRouter): Promise<void>;
  stop(): Promise<void>;
}

const NGINX = 'nginx.ingress.kubernetes.io/';
/** Bot settings a user may pass through to the playground (`RAMP_STEPS=1,10,100 npm run playground`). */
export const PLAYGROUND_PASSTHROUGH = [
  'LOG_LEVEL',
  'RAMP_STEPS',
  'STEP_MIN_HOLD',
  'APPROVAL_TTL',
  'TZ',
  'DIGEST_CRON',
  'AUTO_ROLLBACK_ON_CRITICAL',
  'DRY_RUN',
  'ESCALATE_L2_AFTER',
  'ESCALATE_L3_AFTER',
  'BUSINESS_HOURS',
  'RUST_HEALTH_PATH',
  'DIAGNOSE_LOG_LINES',
];

/** How far back the Python pods' logs go (simulated time). */
const LOG_WINDOW_MS = 60 * 60_000;

type Result = { ok: boolean; error?: string };
type WorldControls = Omit<PlaygroundControls, 'switchRouter'>;

/** One simulated world: its clock, cluster, gateway, Prometheus, Alertmanager, channel and bot, on one router. */
interface World {
  id: number;
  router: PlaygroundRouter;
  workspace: LocalSlackApi;
  bot: RunningBot;
  kube: FakeKubeApi;
  controls: WorldControls;
  stop(): Promise<void>;
}

interface WorldContext {
  entry: BotEntry;
  options: PlaygroundOptions;
  page: PageServer;
  extra: Record<string, string>;
  /** The world's Slack, before its bot starts: from then on the page server serves this one. */
  useWorkspace(workspace: LocalSlackApi): void;
}

export async function startPlayground(entry: BotEntry, options: PlaygroundOptions = {}): Promise<RunningPlayground> {
  const initialRouter = options.router ?? 'ingress-nginx';
  if (!PLAYGROUND_ROUTERS.includes(initialRouter)) throw new Error(`the router must be ${PLAYGROUND_ROUTERS.join(' or ')} (got "${String(initialRouter)}")`);
  const extra = Object.fromEntries(Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
  // The router is the playground's to choose (--router, the page's switch), never the passed-through env's.
  delete extra.TRAFFIC_ROUTER;

  let world: World | undefined;
  /** The Slack the page server serves: the starting world's as soon as it exists (its bot calls it while starting). */
  let workspace: LocalSlackApi | undefined;
  let worlds = 0;
  /** The last restart, for the page: from which router, when. */
  let restarted: { from: PlaygroundRouter; at: string } | undefined;
  let switching: PlaygroundRouter | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const facade: PlaygroundControls = {
    snapshot() {
      return {
        ...world!.controls.snapshot(),
        world: { id: world!.id, router: world!.router, routers: PLAYGROUND_ROUTERS, restarted, switching },
      };
    },
    signature: () => `${world!.id}|${switching ?? ''}|${world!.controls.signature()}`,
    setKnobs: (changes) => world!.controls.setKnobs(changes),
    setAlert: (name, firing) => world!.controls.setAlert(name, firing),
    advanceClock: (ms) => world!.controls.advanceClock(ms),
    reapplyRoute: () => world!.controls.reapplyRoute(),
    setWeightOutOfBand: (percent) => world!.controls.setWeightOutOfBand(percent),
    removeCanaryByHand: () => world!.controls.removeCanaryByHand(),
    setRustHealth: (mode) => world!.controls.setRustHealth(mode),
    async switchRouter(router) {
      if (!PLAYGROUND_ROUTERS.includes(router as PlaygroundRouter)) return { ok: false, error: `unknown router "${router}": expected ${PLAYGROUND_ROUTERS.join(' or ')}` };
      try {
        await switchTo(router as PlaygroundRouter);
        return { ok: true };
      } catch (error) {
        return { ok: false, error: (error as Error).message };
      }
    },
  };

  let page: PageServer;
  try {
    page = await startPageServer({ port: options.port ?? 3000, workspace: () => workspace!, controls: () => facade });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${options.port ?? 3000} is already in use: set PORT to another port (PORT=0 picks a free one)`);
    throw error;
  }
  const context: WorldContext = { entry, options, page, extra, useWorkspace: (ws) => (workspace = ws) };
  try {
    world = await startWorld(context, initialRouter, ++worlds);
  } catch (error) {
    await page.close().catch(() => undefined);
    throw error;
  }

  /** Stops the world and starts a new one on `router` (one switch at a time; the old bot is gone before the new one posts). */
  function switchTo(router: PlaygroundRouter): Promise<void> {
    const run = queue.then(async () => {
      if (stopped) throw new Error('the playground is stopping');
      const old = world!;
      switching = router;
      page.notify();
      try {
        await old.stop();
        try {
          world = await startWorld(context, router, ++worlds);
        } catch (error) {
          // Back on the router that ran, so the page keeps a world to show.
          world = await startWorld(context, old.router, ++worlds);
          throw new Error(`the playground could not restart on ${router}: ${(error as Error).message}; it runs on ${old.router} again`);
        }
        restarted = { from: old.router, at: new Date().toISOString() };
      } finally {
        switching = undefined;
        page.notify();
      }
    });
    queue = run.catch(() => undefined);
    return run;
  }

  if (options.open) openInBrowser(page.url);
  let stopped: Promise<void> | undefined;
  return {
    url: page.url,
    get bot() {
      return world!.bot;
    },
    get router() {
      return world!.router;
    },
    get kube() {
      return world!.kube;
    },
    switchRouter: switchTo,
    stop() {
      stopped ??= queue.then(async () => {
        await world?.stop().catch(() => undefined);
        await page.close().catch(() => undefined);
      });
      return stopped;
    },
  };
}

async function startWorld(context: WorldContext, router: PlaygroundRouter, id: number): Promise<World> {
  const { entry, options, page, extra } = context;
  const { readConfig, startBot } = entry;
  // The clock the bot, the gateway and Alertmanager share: the page's "advance" knob moves it forward.
  // It ticks in whole seconds, so range queries (the digest's 48 h) start on a whole second.
  let offsetMs = 0;
  const clock: Clock = { now: () => new Date(Math.floor((Date.now() + offsetMs) / 1000) * 1000) };

  // Queries the bot will send (defaults unless overridden), so the simulated gateway knows what each one asks.
  const policy = readConfig({ ...extra, PORT: '0', TRAFFIC_ROUTER: router });
  const names = { pythonService: policy.router.pythonService, rustService: policy.router.rustService };
  const rustHealthPath = policy.diagnostics.rustHealthPath;

  const started: Array<{ close(): Promise<void> }> = [];
  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  const closeAll = async () => {
    closed = true;
    for (const t of timers) clearInterval(t);
    for (const s of started.reverse()) await s.close().catch(() => undefined);
  };

  try {
    const kube = await startFakeKubeApi({ namespace: policy.kube.namespace });
    started.push(kube);

    // The Python gateway has mirrored to Rust for a week (the shadow match history Prometheus answers says
    // so): shadow mode is on in its Deployment, as the bot's `shadow on` leaves it.
    const python = kube.get(kube.paths.pythonDeployment);
    const gatewayContainer = (python?.spec?.template?.spec?.containers ?? []).find((c: { name: string }) => c.name === policy.shadow.container) ?? python?.spec?.template?.spec?.containers?.[0];
    if (gatewayContainer) {
      gatewayContainer.env = [
        ...(gatewayContainer.env ?? []).filter((e: { name: string }) => e.name !== 'SHADOW_MODE_ENABLED' && e.name !== 'SHADOW_RUST_GATEWAY_URL'),
        { name: 'SHADOW_MODE_ENABLED', value: 'true' },
        { name: 'SHADOW_RUST_GATEWAY_URL', value: policy.shadow.rustGatewayUrl },
      ];
    }

    const readSplit = (): TrafficSplit => (router === 'gateway-api' ? splitFromHttpRoute(kube.get(kube.paths.httpRoute), names) : splitFromIngress(kube.get(kube.paths.canaryIngress)));
    const readShadowOn = (): boolean => {
      const d = kube.get(kube.paths.pythonDeployment);
      const containers = (d?.spec?.template?.spec?.containers ?? []) as Array<{ name: string; env?: Array<{ name: string; value?: string }> }>;
      const c = containers.find((x) => x.name === policy.shadow.container) ?? containers[0];
      return c?.env?.find((e) => e.name === 'SHADOW_MODE_ENABLED')?.value === 'true';
    };
    const gateway = new SimulatedGateway(
      clock,
      {
        errorRate: policy.goNoGo.errorRateQuery,
        rustP99: policy.goNoGo.rustP99Query,
        pythonP99: policy.goNoGo.pythonP99Query,
        shadowMatch: policy.shadow.matchQuery,
        shadowError: policy.shadow.errorQuery,
        shadowTimeout: policy.shadow.timeoutQuery,
        shadowDailyMatch: policy.shadow.dailyMatchQuery,
        mismatchByPath: policy.shadow.mismatchByPathQuery,
      },
      DEFAULT_KNOBS,
      { split: readSplit(), shadowOn: readShadowOn() },
    );

    const prometheus = await startFakePrometheus({ model: gateway.prometheusModel(), now: () => clock.now().getTime() });
    started.push(prometheus);
    const alertmanager = await startFakeAlertmanager({ now: () => clock.now().getTime() });
    started.push(alertmanager);

    const botToken = 'xoxb-playground';
    const signingSecret = randomBytes(24).toString('hex');
    const webhookToken = randomBytes(24).toString('hex');
    const workspace = new LocalSlackApi({
      identity: PLAYGROUND_IDENTITY,
      workspace: { channel: PLAYGROUND_CHANNEL, users: PLAYGROUND_USERS, botToken },
      clock,
      keep: 500,
    });
    workspace.url = page.url;
    workspace.onChange(() => page.notify());
    context.useWorkspace(workspace);

    const kubeFetch = (path: string, init: { method: string; body?: unknown; contentType?: string }) =>
      fetch(`${kube.url}${path}`, {
        method: init.method,
        headers: { accept: 'application/json', 'content-type': init.contentType ?? 'application/json', authorization: 'Bearer playground' },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    const failure = async (what: string, res: Response): Promise<Result> => {
      const status = (await res.json().catch(() => undefined)) as { message?: string } | undefined;
      return { ok: false, error: `${what} failed: HTTP ${res.status}${status?.message ? ` (${status.message})` : ''}` };
    };

    // ---- The simulated cluster's moving parts: Rust's health, the Gateway controller, the Python logs.
    const rust = new RustHealthSimulation(kube, clock, {
      service: policy.kube.rustService,
      deployment: policy.kube.rustDeployment,
      healthPath: rustHealthPath,
      kubeFetch,
    });
    rust.install();

    const logs = new PythonGatewayLogs(kube.podNames.python, policy.shadow.rustGatewayUrl);
    const logStats = { lines: 0, mismatches: 0, truncated: 0, pods: kube.podNames.python.length, windowMinutes: LOG_WINDOW_MS / 60_000 };
    for (const pod of kube.podNames.python) kube.setPodLog(pod, sidecarLog(clock.now().getTime() - 7 * 86_400_000), { container: 'sidecar' });
    const refreshLogs = () => {
      if (closed) return;
      const now = clock.now().getTime();
      const generated = logs.generate(now, LOG_WINDOW_MS, (t) => gateway.worldAt(t), gateway.shadowChanges());
      let lines = 0;
      let mismatches = 0;
      let truncated = 0;
      for (const [pod, podLines] of generated) {
        kube.setPodLog(pod, podLines, { container: 'gateway' });
        lines += podLines.length;
        for (const l of podLines) {
          if (!l.text.includes(MISMATCH_MARKER)) continue;
          mismatches++;
          if (!l.text.endsWith('}')) truncated++;
        }
      }
      Object.assign(logStats, { lines, mismatches, truncated });
    };

    /** What a Gateway controller does for the HTTPRoute: Accepted / ResolvedRefs for the generation it saw. */
    let reconciling = false;
    const reconcileRoute = async () => {
      if (router !== 'gateway-api' || reconciling || closed) return;
      const route = kube.get(kube.paths.httpRoute);
      if (!route) return;
      const next = reconciledStatus(route, (name) => !!kube.get(kube.paths.rustService.replace(/[^/]+$/, name)), clock.now());
      if (!next) return;
      reconciling = true;
      try {
        await kubeFetch(`${kube.paths.httpRoute}/status`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: next } });
      } catch {
        // Stopped meanwhile, or the API server is down: the next tick tries again.
      } finally {
        reconciling = false;
      }
    };

    let ticks = 0;
    const sync = () => {
      if (closed) return;
      const splitChanged = gateway.setTrafficSplit(readSplit());
      const shadowChanged = gateway.setShadowMode(readShadowOn());
      if (splitChanged || shadowChanged || ticks % 4 === 0) refreshLogs();
      ticks++;
      void reconcileRoute();
    };
    refreshLogs();
    await reconcileRoute();
    timers.push(setInterval(sync, 500));
    for (const t of timers) t.unref();

    const [alice, bob, carol] = PLAYGROUND_USERS.filter((u) => u.approver);
    const env: Record<string, string> = {
      LOG_LEVEL: 'warn',
      DRIFT_CHECK_INTERVAL: '10s',
      BUSINESS_HOURS: 'always',
      ...extra,
      PORT: '0',
      TRAFFIC_ROUTER: router,
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: `${page.url}/api/`,
      SLACK_CHANNEL: PLAYGROUND_CHANNEL.id,
      CANARY_APPROVERS: PLAYGROUND_USERS.filter((u) => u.approver).map((u) => u.id).join(','),
      KUBECONFIG: kube.kubeconfigPath,
      PROMETHEUS_URL: prometheus.url,
      ALERTMANAGER_URL: alertmanager.url,
      ALERT_WEBHOOK_TOKEN: webhookToken,
      ESCALATION_L1: alice!.id,
      ESCALATION_L2: bob!.id,
      ESCALATION_L3: carol!.id,
    };
    const config = readConfig(env);
    const bot = await startBot(config, {
      clock,
      logDestination: options.logDestination,
      expirySweepMs: 2_000,
      escalationPollMs: 1_000,
      drainTimeoutMs: 2_000,
      rolloutWatch: { intervalMs: 1_000, timeoutMs: 60_000 },
    });
    started.push({ close: () => bot.stop() });
    workspace.bot = { url: bot.url, signingSecret };

    const canaryTemplate = structuredClone(kube.get(kube.paths.canaryIngress)) as Record<string, any>;
    const deploymentState = (path: string) => {
      const d = kube.get(path);
      const env = (d?.spec?.template?.spec?.containers?.[0]?.env ?? []) as Array<{ name: string; value?: string }>;
      return {
        replicas: d?.spec?.replicas ?? 0,
        ready: d?.status?.readyReplicas ?? 0,
        shadowMode: env.find((e) => e.name === 'SHADOW_MODE_ENABLED')?.value === 'true' ? 'ON' : 'OFF',
      };
    };

    const routeCluster = (): Record<string, unknown> => {
      if (router === 'gateway-api') {
        const view = httpRouteView(kube.get(kube.paths.httpRoute), names);
        return {
          kind: 'HTTPRoute',
          name: config.router.httpRoute,
          exists: view.canaryPresent,
          routeExists: view.exists,
          percent: view.percent,
          resourceVersion: view.resourceVersion,
          annotations: view.annotations,
          route: view,
        };
      }
      const view = ingressView(kube.get(kube.paths.canaryIngress));
      return { kind: 'Ingress', name: config.kube.canaryIngress, ...view };
    };

    const controls: WorldControls = {
      snapshot() {
        return {
          knobs: gateway.knobs,
          defaults: DEFAULT_KNOBS,
          thresholds: { errorRateMax: config.goNoGo.errorRateMax, p99RatioMax: config.goNoGo.p99RatioMax, shadowMatchMin: config.shadow.matchMin },
          alerts: RUNBOOK_ALERTS.map((a) => {
            const firing = gateway.firingAlerts().find((f) => f.name === a.name);
            return { name: a.name, severity: a.severity, action: a.action, firing: !!firing, since: firing?.startsAt };
          }),
          clock: { now: clock.now().toISOString(), offsetMs },
          rampSteps: config.ramp.steps,
          cluster: {
            router,
            namespace: config.kube.namespace,
            ...routeCluster(),
            deployments: { rust: deploymentState(kube.paths.rustDeployment), python: deploymentState(kube.paths.pythonDeployment) },
            traffic: gateway.trafficSplit,
            rustHealth: rust.describe(),
            api: { url: kube.url, kubeconfig: kube.kubeconfigPath },
          },
          logs: { ...logStats },
        };
      },
      signature() {
        const rv = (p: string) => kube.get(p)?.metadata?.resourceVersion ?? 'absent';
        return [
          rv(kube.paths.canaryIngress),
          rv(kube.paths.httpRoute),
          rv(kube.paths.rustDeployment),
          rv(kube.paths.pythonDeployment),
          rv(kube.paths.rustEndpointSlice),
          gateway.rustHealth,
          offsetMs,
        ].join('|');
      },
      async setKnobs(changes) {
        const picked: Partial<GatewayKnobs> = {};
        for (const key of Object.keys(DEFAULT_KNOBS) as Array<keyof GatewayKnobs>) {
          const v = changes[key];
          if (typeof v === 'number' && Number.isFinite(v)) picked[key] = v;
        }
        gateway.setKnobs(picked);
        refreshLogs();
      },
      async setAlert(name, firing) {
        if (!RUNBOOK_ALERTS.some((a) => a.name === name)) return { ok: false, error: `unknown alert ${name}` };
        const state = firing ? gateway.fire(name) : gateway.resolve(name);
        if (!state) return { ok: true };
        // Alertmanager knows the alert first (status goes NO-GO), then notifies the bot, as the real one does.
        alertmanager.setAlerts(gateway.alertmanagerAlerts());
        try {
          const res = await fetch(`${bot.url}/alerts/webhook`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${webhookToken}`, 'user-agent': 'Alertmanager/0.25.0' },
            body: JSON.stringify(gateway.webhookPayload(state, firing ? 'firing' : 'resolved', alertmanager.url)),
            signal: AbortSignal.timeout(10_000),
          });
          if (!res.ok) return { ok: false, error: `the bot answered the Alertmanager webhook with HTTP ${res.status}: ${(await res.text()).slice(0, 200)}` };
          return { ok: true };
        } catch (error) {
          return { ok: false, error: `the Alertmanager webhook failed: ${(error as Error).message}` };
        }
      },
      async advanceClock(ms) {
        if (Number.isFinite(ms) && ms > 0) offsetMs += Math.min(ms, 365 * 86_400_000);
        refreshLogs();
      },
      async reapplyRoute() {
        if (router === 'gateway-api') {
          // kubectl edit: the Rust backendRef back on the split rules that lost it, at weight 0.
          const route = kube.get(kube.paths.httpRoute);
          if (!route) return { ok: false, error: `the HTTPRoute ${config.router.httpRoute} does not exist` };
          const view = httpRouteView(route, names);
          if (!view.missingRust.length) return { ok: false, error: `every split rule already has the ${names.rustService} backendRef` };
          const ops: unknown[] = [{ op: 'test', path: '/metadata/resourceVersion', value: route.metadata.resourceVersion }];
          for (const i of view.missingRust) {
            ops.push({ op: 'add', path: `/spec/rules/${i}/backendRefs/-`, value: { group: '', kind: 'Service', name: names.rustService, port: config.router.rustServicePort, weight: 0 } });
          }
          const res = await kubeFetch(kube.paths.httpRoute, { method: 'PATCH', contentType: 'application/json-patch+json', body: ops });
          return res.ok ? { ok: true } : failure('kubectl edit httproute', res);
        }
        if (kube.get(kube.paths.canaryIngress)) return { ok: false, error: 'the canary Ingress already exists' };
        const { metadata, spec } = canaryTemplate;
        const annotations = { ...(metadata.annotations as Record<string, string>), [`${NGINX}canary-weight`]: '0' };
        const body = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: metadata.name, namespace: metadata.namespace, annotations }, spec };
        const res = await kubeFetch(kube.paths.canaryIngress.replace(/\/[^/]+$/, ''), { method: 'POST', body });
        return res.ok ? { ok: true } : failure('kubectl apply', res);
      },
      async setWeightOutOfBand(percent) {
        if (!Number.isInteger(percent) || percent < 0 || percent > 100) return { ok: false, error: 'expected a weight from 0 to 100' };
        if (router === 'gateway-api') {
          // kubectl edit: Rust N and Python 100 - N on the split rules, sent as kubectl sends it for a custom
          // resource (a merge patch, so spec.rules whole), with the resourceVersion read.
          const route = kube.get(kube.paths.httpRoute);
          if (!route) return { ok: false, error: `the HTTPRoute ${config.router.httpRoute} does not exist` };
          const rules = rulesWithWeights(route, { ...names, rustPort: config.router.rustServicePort }, percent);
          const res = await kubeFetch(kube.paths.httpRoute, {
            method: 'PATCH',
            contentType: 'application/merge-patch+json',
            body: { metadata: { resourceVersion: route.metadata.resourceVersion }, spec: { rules } },
          });
          return res.ok ? { ok: true } : failure('kubectl edit httproute', res);
        }
        if (!kube.get(kube.paths.canaryIngress)) return { ok: false, error: 'the canary Ingress does not exist: re-apply it first' };
        const res = await kubeFetch(kube.paths.canaryIngress, {
          method: 'PATCH',
          contentType: 'application/merge-patch+json',
          body: { metadata: { annotations: { [`${NGINX}canary-weight`]: String(percent) } } },
        });
        return res.ok ? { ok: true } : failure('kubectl annotate', res);
      },
      async removeCanaryByHand() {
        if (router === 'gateway-api') {
          const route = kube.get(kube.paths.httpRoute);
          if (!route) return { ok: false, error: `the HTTPRoute ${config.router.httpRoute} does not exist` };
          if (httpRouteView(route, names).missingRust.length === httpRouteView(route, names).rules.filter((r) => r.kind === 'split').length) {
            return { ok: false, error: `no split rule has the ${names.rustService} backendRef` };
          }
          const res = await kubeFetch(kube.paths.httpRoute, {
            method: 'PATCH',
            contentType: 'application/merge-patch+json',
            body: { metadata: { resourceVersion: route.metadata.resourceVersion }, spec: { rules: rulesWithoutRust(route, names) } },
          });
          return res.ok ? { ok: true } : failure('kubectl edit httproute', res);
        }
        if (!kube.get(kube.paths.canaryIngress)) return { ok: false, error: 'the canary Ingress does not exist' };
        const res = await kubeFetch(kube.paths.canaryIngress, { method: 'DELETE' });
        return res.ok ? { ok: true } : failure('kubectl delete ingress', res);
      },
      async setRustHealth(mode) {
        if (mode !== 'healthy' && mode !== '503' && mode !== 'hang') return { ok: false, error: `unknown Rust health "${mode}": expected healthy, 503 or hang` };
        const result = await rust.set(mode as RustHealth);
        if (result.ok) {
          gateway.setRustHealth(mode as RustHealth);
          refreshLogs();
        }
        return result;
      },
    };

    return {
      id,
      router,
      workspace,
      bot,
      kube,
      controls,
      stop: async () => {
        rust.release();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser here: the URL is printed anyway.
  }
}

/** Bot log lines (JSON) as short readable lines on stderr. */
function readableLogs(): Writable {
  let buffered = '';
  return new Writable({
    write(chunk, _encoding, done) {
      buffered += String(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          const { level, msg, time: _t, pid: _p, hostname: _h, app: _a, ...rest } = JSON.parse(line) as Record<string, unknown>;
          // The playground uses the in-memory store on purpose.
          if (String(msg).startsWith('REDIS_URL is not set')) continue;
          const name = typeof level === 'number' ? ({ 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' } as Record<number, string>)[level] ?? String(level) : String(level);
          const fields = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
          process.stderr.write(`  bot ${name}: ${String(msg)}${fields}\n`);
        } catch {
          process.stderr.write(`  bot: ${line}\n`);
        }
      }
      done();
    },
  });
}

/**
 * The router asked for on the command line (`--router gateway-api`, `--router=gateway-api`), else
 * TRAFFIC_ROUTER, else ingress-nginx. Throws a usage error for anything else.
 */
export function routerFromArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): PlaygroundRouter {
  let value: string | undefined;
  let from = 'TRAFFIC_ROUTER';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--router') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new Error(`--router needs a value: ${PLAYGROUND_ROUTERS.join(' or ')}`);
      value = next;
      from = '--router';
      i++;
    } else if (arg.startsWith('--router=')) {
      value = arg.slice('--router='.length);
      from = '--router';
    }
  }
  if (value === undefined) value = env.TRAFFIC_ROUTER === undefined || env.TRAFFIC_ROUTER === '' ? 'ingress-nginx' : env.TRAFFIC_ROUTER;
  if (!PLAYGROUND_ROUTERS.includes(value as PlaygroundRouter)) throw new Error(`${from} must be ${PLAYGROUND_ROUTERS.join(' or ')} (got "${value}")`);
  return value as PlaygroundRouter;
}

/**
 * What `npm run playground` (and `npm start` without any SLACK_* variable) runs, through src/main.ts: starts
 * the playground with that bot on PORT (default 3000), prints its URL, and runs until SIGINT/SIGTERM.
 * `--router gateway-api` (`npm run playground -- --router gateway-api`) runs it on Gateway API.
 * PLAYGROUND_OPEN=true opens a browser.
 */
export async function runPlayground(entry: BotEntry): Promise<void> {
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 3000 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`mcp-canary playground: PORT must be a TCP port 0-65535 (got "${process.env.PORT}")`);
    process.exit(1);
  }
  let router: PlaygroundRouter;
  try {
    router = routerFromArgs(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`mcp-canary playground: ${(error as Error).message}`);
    process.exit(1);
  }
  const env = Object.fromEntries(PLAYGROUND_PASSTHROUGH.map((name) => [name, process.env[name]]));
  let playground: RunningPlayground;
  try {
    playground = await startPlayground(entry, { port, open: process.env.PLAYGROUND_OPEN === 'true', logDestination: readableLogs(), env, router });
  } catch (error) {
    console.error(`mcp-canary playground cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  console.log(`mcp-canary playground: ${playground.url}`);
  console.log('  The real bot against a simulated cluster, Prometheus and Alertmanager; the page plays Slack. Ctrl-C stops it.');
  console.log(
    router === 'gateway-api'
      ? '  Traffic router: gateway-api (the HTTPRoute mcp-gateway). The page switches it; --router ingress-nginx starts on the canary Ingress.'
      : '  Traffic router: ingress-nginx (the canary Ingress). The page switches it; --router gateway-api starts on the HTTPRoute.',
  );
  console.log('  (No Slack workspace: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to run the bot against yours instead.)');
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    playground.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
