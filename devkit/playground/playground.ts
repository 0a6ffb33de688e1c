// The local playground: the real bot (startBot, same app, handlers, views and core) wired to an in-memory
// store, a simulated cluster (a Kubernetes API server on loopback, reached through client-node), a simulated
// gateway behind Prometheus and Alertmanager APIs, and a web page that plays Slack for #oncall-platform.
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
import { startFakeKubeApi } from '../kube-api-server.js';
import { startFakeAlertmanager, startFakePrometheus } from '../prometheus-api.js';
import { LocalSlackApi, type SlackIdentity, type SlackPerson } from '../slack-api.js';
import { DEFAULT_KNOBS, RUNBOOK_ALERTS, SimulatedGateway, type GatewayKnobs } from './gateway.js';
import { startPageServer, type PageServer, type PlaygroundControls } from './page-server.js';

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
}

export interface RunningPlayground {
  url: string;
  bot: RunningBot;
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
];

export async function startPlayground(entry: BotEntry, options: PlaygroundOptions = {}): Promise<RunningPlayground> {
  const { readConfig, startBot } = entry;
  // The clock the bot, the gateway and Alertmanager share: the page's "advance" knob moves it forward.
  // It ticks in whole seconds, so range queries (the digest's 48 h) start on a whole second.
  let offsetMs = 0;
  const clock: Clock = { now: () => new Date(Math.floor((Date.now() + offsetMs) / 1000) * 1000) };

  const extra = Object.fromEntries(Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
  // Queries the bot will send (defaults unless overridden), so the simulated gateway knows what each one asks.
  const policy = readConfig({ ...extra, PORT: '0' });
  const gateway = new SimulatedGateway(clock, {
    errorRate: policy.goNoGo.errorRateQuery,
    rustP99: policy.goNoGo.rustP99Query,
    pythonP99: policy.goNoGo.pythonP99Query,
    shadowMatch: policy.shadow.matchQuery,
    shadowError: policy.shadow.errorQuery,
    shadowTimeout: policy.shadow.timeoutQuery,
    shadowDailyMatch: policy.shadow.dailyMatchQuery,
    mismatchByPath: policy.shadow.mismatchByPathQuery,
  });

  const started: Array<{ close(): Promise<void> }> = [];
  const closeAll = async () => {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
  };

  let workspace: LocalSlackApi | undefined;
  let controls: PlaygroundControls | undefined;
  let page: PageServer;
  try {
    page = await startPageServer({ port: options.port ?? 3000, workspace: () => workspace!, controls: () => controls! });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${options.port ?? 3000} is already in use: set PORT to another port (PORT=0 picks a free one)`);
    throw error;
  }
  started.push(page);

  let bot: RunningBot;
  try {
    const kube = await startFakeKubeApi({ namespace: policy.kube.namespace });
    started.push(kube);
    const prometheus = await startFakePrometheus({ model: gateway.prometheusModel(), now: () => clock.now().getTime() });
    started.push(prometheus);
    const alertmanager = await startFakeAlertmanager({ now: () => clock.now().getTime() });
    started.push(alertmanager);

    const botToken = 'xoxb-playground';
    const signingSecret = randomBytes(24).toString('hex');
    const webhookToken = randomBytes(24).toString('hex');
    workspace = new LocalSlackApi({
      identity: PLAYGROUND_IDENTITY,
      workspace: { channel: PLAYGROUND_CHANNEL, users: PLAYGROUND_USERS, botToken },
      clock,
      keep: 500,
    });
    workspace.url = page.url;
    workspace.onChange(() => page.notify());

    const [alice, bob, carol] = PLAYGROUND_USERS.filter((u) => u.approver);
    const env: Record<string, string> = {
      LOG_LEVEL: 'warn',
      DRIFT_CHECK_INTERVAL: '10s',
      BUSINESS_HOURS: 'always',
      ...extra,
      PORT: '0',
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
    bot = await startBot(config, {
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
    const kubeFetch = (path: string, init: { method: string; body?: unknown; contentType?: string }) =>
      fetch(`${kube.url}${path}`, {
        method: init.method,
        headers: { accept: 'application/json', 'content-type': init.contentType ?? 'application/json', authorization: 'Bearer playground' },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    const deploymentState = (path: string) => {
      const d = kube.get(path);
      const env = (d?.spec?.template?.spec?.containers?.[0]?.env ?? []) as Array<{ name: string; value?: string }>;
      return {
        replicas: d?.spec?.replicas ?? 0,
        ready: d?.status?.readyReplicas ?? 0,
        shadowMode: env.find((e) => e.name === 'SHADOW_MODE_ENABLED')?.value === 'true' ? 'ON' : 'OFF',
      };
    };

    controls = {
      snapshot() {
        const ingress = kube.get(kube.paths.canaryIngress);
        const annotations = (ingress?.metadata?.annotations ?? {}) as Record<string, string>;
        const weight = annotations[`${NGINX}canary-weight`] ?? '0';
        const total = Number(annotations[`${NGINX}canary-weight-total`] ?? 100);
        const weightTotal = Number.isFinite(total) && total > 100 ? total : 100;
        const percent = Math.round((Number(weight) / weightTotal) * 10_000) / 100;
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
            namespace: config.kube.namespace,
            name: config.kube.canaryIngress,
            exists: !!ingress,
            weight,
            weightTotal,
            percent: Number.isFinite(percent) ? percent : 0,
            resourceVersion: ingress?.metadata?.resourceVersion,
            annotations,
            deployments: { rust: deploymentState(kube.paths.rustDeployment), python: deploymentState(kube.paths.pythonDeployment) },
          },
        };
      },
      signature() {
        const rv = (p: string) => kube.get(p)?.metadata?.resourceVersion ?? 'absent';
        return [rv(kube.paths.canaryIngress), rv(kube.paths.rustDeployment), rv(kube.paths.pythonDeployment), offsetMs].join('|');
      },
      async setKnobs(changes) {
        const picked: Partial<GatewayKnobs> = {};
        for (const key of Object.keys(DEFAULT_KNOBS) as Array<keyof GatewayKnobs>) {
          const v = changes[key];
          if (typeof v === 'number' && Number.isFinite(v)) picked[key] = v;
        }
        gateway.setKnobs(picked);
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
      },
      async reapplyIngress() {
        if (kube.get(kube.paths.canaryIngress)) return { ok: false, error: 'the canary Ingress already exists' };
        const { metadata, spec } = canaryTemplate;
        const annotations = { ...(metadata.annotations as Record<string, string>), [`${NGINX}canary-weight`]: '0' };
        const body = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: metadata.name, namespace: metadata.namespace, annotations }, spec };
        const res = await kubeFetch(kube.paths.canaryIngress.replace(/\/[^/]+$/, ''), { method: 'POST', body });
        return res.ok ? { ok: true } : { ok: false, error: `kubectl apply failed: HTTP ${res.status}` };
      },
      async setWeightOutOfBand(percent) {
        if (!Number.isInteger(percent) || percent < 0 || percent > 100) return { ok: false, error: 'expected a weight from 0 to 100' };
        if (!kube.get(kube.paths.canaryIngress)) return { ok: false, error: 'the canary Ingress does not exist: re-apply it first' };
        const res = await kubeFetch(kube.paths.canaryIngress, {
          method: 'PATCH',
          contentType: 'application/merge-patch+json',
          body: { metadata: { annotations: { [`${NGINX}canary-weight`]: String(percent) } } },
        });
        return res.ok ? { ok: true } : { ok: false, error: `kubectl annotate failed: HTTP ${res.status}` };
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }

  if (options.open) openInBrowser(page.url);
  let stopped: Promise<void> | undefined;
  return {
    url: page.url,
    bot,
    stop() {
      stopped ??= closeAll();
      return stopped;
    },
  };
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
 * What `npm run playground` (and `npm start` without any SLACK_* variable) runs, through src/main.ts: starts
 * the playground with that bot on PORT (default 3000), prints its URL, and runs until SIGINT/SIGTERM.
 * PLAYGROUND_OPEN=true opens a browser.
 */
export async function runPlayground(entry: BotEntry): Promise<void> {
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 3000 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`mcp-canary playground: PORT must be a TCP port 0-65535 (got "${process.env.PORT}")`);
    process.exit(1);
  }
  const env = Object.fromEntries(PLAYGROUND_PASSTHROUGH.map((name) => [name, process.env[name]]));
  let playground: RunningPlayground;
  try {
    playground = await startPlayground(entry, { port, open: process.env.PLAYGROUND_OPEN === 'true', logDestination: readableLogs(), env });
  } catch (error) {
    console.error(`mcp-canary playground cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  console.log(`mcp-canary playground: ${playground.url}`);
  console.log('  The real bot against a simulated cluster, Prometheus and Alertmanager; the page plays Slack. Ctrl-C stops it.');
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
