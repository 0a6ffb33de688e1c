// Starts the real bot (startBot) against local servers: the fake Kubernetes API (through client-node),
// the fake Slack Web API, Prometheus and Alertmanager APIs, and optionally a real redis-server.
// Tests drive it with signed HTTP requests, exactly as Slack would.
import { Writable } from 'node:stream';
import { readConfig } from '../../src/config.js';
import { startBot, type BotOptions, type RunningBot } from '../../src/bot.js';
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeApiOptions } from './fake-kube-api.js';
import { startFakeAlertmanager, startFakePrometheus, type FakeAlertmanager, type FakePrometheus } from './fake-prometheus.js';
import { startFakeSlackApi, type FakeSlackApi, type SlackMessage } from './fake-slack-api.js';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';
import { blockActionBody, postSigned, slashCommandBody, type PostSignedResult } from './slack-requests.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-test-bot-token-0123456789';
export const CHANNEL = 'C0ONCALL';
export const USERS = { alice: 'U0ALICE', bob: 'U0BOB', carol: 'U0CAROL', mallory: 'U0MALLORY' } as const;
/** bob is a direct approver; carol approves through the S0APPROVERS user group; mallory is neither. */
export const APPROVERS = `${USERS.bob},S0APPROVERS`;

export const QUERIES = {
  errorRate: 'mcp:rust_gateway_error_rate:5m',
  rustP99: 'mcp:rust_gateway_p99_latency:5m',
  pythonP99: 'mcp:python_gateway_p99_latency:5m',
  /** One day's shadow match ratio (the first step's "shadow" prerequisite). */
  dailyMatch: 'sum(increase(mcp_shadow_match_total{result="match"}[1d])) / sum(increase(mcp_shadow_match_total[1d]))',
};

const DAY_MS = 86_400_000;

/** The daily match ratios of the last `ratios.length` full days, oldest first, as a range answer. */
export function dailyRatios(ratios: number[], now = Date.now()): Array<[number, string]> {
  const end = Math.floor(now / DAY_MS) * DAY_MS;
  return ratios.map((r, i) => [(end - (ratios.length - 1 - i) * DAY_MS) / 1000, String(r)]);
}

export interface HarnessOptions {
  redis?: boolean | RedisServerHandle;
  env?: Record<string, string>;
  kube?: FakeKubeApiOptions;
  bot?: BotOptions;
}

export interface Harness {
  kube: FakeKubeApi;
  slack: FakeSlackApi;
  prometheus: FakePrometheus;
  alertmanager: FakeAlertmanager;
  redis?: RedisServerHandle;
  bot: RunningBot;
  bots: RunningBot[];
  env: Record<string, string>;
  /** JSON log lines of every bot started by this harness. */
  logs: string[];
  startAnotherBot(): Promise<RunningBot>;
  /** Healthy metrics, no alerts, 7 days of shadow match above 99.9%: GO, and the first step's prerequisites met. */
  makeHealthy(): void;
  /** Sets the live weight as if mcp-canary applied it `hoursAgo` ago. */
  setCanary(weight: number, opts?: { hoursAgo?: number; annotations?: Record<string, string | null> }): void;
  canaryAnnotations(): Record<string, string>;
  command(text: string, opts?: { user?: string; channel?: string; bot?: RunningBot }): Promise<{ res: PostSignedResult; responseId: string }>;
  click(actionId: string, value: string, opts: { user: string; messageTs: string; channel?: string; bot?: RunningBot }): Promise<{ res: PostSignedResult; responseId: string }>;
  /** Runs a command and returns its answer, wherever Slack would get it: the ack's body when it carries a message, else the first response_url POST. */
  ask(text: string, opts?: { user?: string; channel?: string; bot?: RunningBot }): Promise<any>;
  /** Waits for the n-th POST to a response_url and returns its body. */
  response(responseId: string, index?: number): Promise<any>;
  /** Kubernetes writes (PATCH/PUT/DELETE/POST) to the canary Ingress so far; server-side dry runs write nothing and are not counted. */
  canaryWrites(): Array<{ method: string; body: any }>;
  close(): Promise<void>;
}

let responseCounter = 0;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const [kube, slack, prometheus, alertmanager] = await Promise.all([
    startFakeKubeApi(options.kube),
    startFakeSlackApi(),
    startFakePrometheus(),
    startFakeAlertmanager(),
  ]);
  let redis: RedisServerHandle | undefined;
  let ownRedis = false;
  if (options.redis === true) {
    redis = await startRedisServer();
    ownRedis = true;
  } else if (options.redis) {
    redis = options.redis;
  }
  slack.setUserGroup('S0APPROVERS', [USERS.carol]);

  const env: Record<string, string> = {
    PORT: '0',
    LOG_LEVEL: 'info',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_CHANNEL: CHANNEL,
    CANARY_APPROVERS: APPROVERS,
    KUBECONFIG: kube.kubeconfigPath,
    PROMETHEUS_URL: prometheus.url,
    ALERTMANAGER_URL: alertmanager.url,
    BUSINESS_HOURS: 'always',
    SOURCE_TIMEOUT: '500ms',
    ...(redis ? { REDIS_URL: redis.url } : {}),
    ...options.env,
  };
  const logs: string[] = [];
  const bots: RunningBot[] = [];
  const startAnotherBot = async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const bot = await startBot(readConfig(env), { expirySweepMs: 100, drainTimeoutMs: 2000, statusShareMs: 0, startupCheck: false, ...options.bot, logDestination: sink });
    bots.push(bot);
    return bot;
  };
  const bot = await startAnotherBot();

  const harness: Harness = {
    kube,
    slack,
    prometheus,
    alertmanager,
    redis,
    bot,
    bots,
    env,
    logs,
    startAnotherBot,
    makeHealthy() {
      prometheus.set(QUERIES.errorRate, 0.0004);
      prometheus.set(QUERIES.rustP99, 0.12);
      prometheus.set(QUERIES.pythonP99, 0.1);
      prometheus.setRange(QUERIES.dailyMatch, dailyRatios([0.9995, 0.9996, 0.9994, 0.9997, 0.9995, 0.9996, 0.9998]));
      alertmanager.setAlerts([]);
    },
    setCanary(weight, opts = {}) {
      const ingress = kube.get(kube.paths.canaryIngress);
      const annotations = ingress.metadata.annotations as Record<string, string>;
      annotations['nginx.ingress.kubernetes.io/canary-weight'] = String(weight);
      if (opts.hoursAgo !== undefined) {
        annotations['mcp-canary.stoa.dev/applied-weight'] = String(weight);
        annotations['mcp-canary.stoa.dev/applied-at'] = new Date(Date.now() - opts.hoursAgo * 3600_000).toISOString();
        annotations['mcp-canary.stoa.dev/applied-by'] = USERS.alice;
      }
      for (const [k, v] of Object.entries(opts.annotations ?? {})) {
        if (v === null) delete annotations[k];
        else annotations[k] = v;
      }
      ingress.metadata.resourceVersion = String(Number(ingress.metadata.resourceVersion) + 1000);
    },
    canaryAnnotations() {
      return kube.get(kube.paths.canaryIngress)?.metadata?.annotations ?? {};
    },
    async command(text, opts = {}) {
      const responseId = `r${++responseCounter}`;
      const body = slashCommandBody({ text, userId: opts.user ?? USERS.alice, channelId: opts.channel ?? CHANNEL, responseUrl: slack.responseUrl(responseId) });
      const res = await postSigned((opts.bot ?? bot).url, body, { signingSecret: SIGNING_SECRET });
      return { res, responseId };
    },
    async click(actionId, value, opts) {
      const responseId = `r${++responseCounter}`;
      const message = slack.messages.get(opts.messageTs);
      const body = blockActionBody({
        actionId,
        value,
        userId: opts.user,
        channelId: opts.channel ?? CHANNEL,
        messageTs: opts.messageTs,
        responseUrl: slack.responseUrl(responseId),
        message: message?.blocks,
      });
      const res = await postSigned((opts.bot ?? bot).url, body, { signingSecret: SIGNING_SECRET });
      return { res, responseId };
    },
    async ask(text, opts = {}) {
      const { res, responseId } = await harness.command(text, opts);
      if (res.json && (res.json.text || res.json.blocks)) return res.json;
      return harness.response(responseId);
    },
    async response(responseId, index = 0) {
      return slack.waitFor(() => slack.responses.filter((r) => r.id === responseId)[index]?.body, 5000);
    },
    canaryWrites() {
      return kube.requests
        .filter((r) => r.path.endsWith('/ingresses/mcp-gateway-canary') && r.method !== 'GET' && r.query.dryRun !== 'All')
        .map((r) => ({ method: r.method, body: r.body }));
    },
    async close() {
      await Promise.all(bots.map((b) => b.stop().catch(() => undefined)));
      await Promise.all([kube.close(), slack.close(), prometheus.close(), alertmanager.close()]);
      if (ownRedis) await redis?.stop();
    },
  };
  harness.makeHealthy();
  return harness;
}

/** Buttons of a Block Kit message, by action_id. */
export function buttonsOf(blocks: any[] | undefined): Array<{ action_id: string; value?: string; confirm?: unknown; text: { text: string } }> {
  return (blocks ?? []).flatMap((b) => (b.type === 'actions' ? b.elements : b.accessory ? [b.accessory] : [])).filter((e: any) => e?.type === 'button');
}

/** All text of a message, for "does it say X" assertions. */
export function textOf(message: { text?: string; blocks?: any[] } | SlackMessage | undefined): string {
  return `${message?.text ?? ''}\n${JSON.stringify(message?.blocks ?? [])}`;
}

/** The channel messages that carry an Approve button (approval requests), oldest first. */
export function approvalMessages(slack: FakeSlackApi): SlackMessage[] {
  return [...slack.messages.values()].filter((m) => buttonsOf(m.blocks).some((b) => b.action_id === 'canary_approve') || m.history.some((h) => buttonsOf(h.blocks).some((b) => b.action_id === 'canary_approve')));
}
