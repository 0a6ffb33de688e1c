// Composition root: config -> adapters -> core -> Bolt app. `startBot` is what tests and the entry point
// call; running this file reads the environment, starts the bot and stops it cleanly on SIGTERM/SIGINT.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { App, HTTPReceiver, type Logger as BoltLogger } from '@slack/bolt';
import { AlertmanagerAlerts } from './adapters/alertmanager.js';
import { KubernetesCanaryCluster, loadKubeConfig } from './adapters/kubernetes.js';
import { boltLoggerFrom, createLogger } from './adapters/logging.js';
import { BotMetrics } from './adapters/metrics.js';
import { PrometheusMetrics } from './adapters/prometheus.js';
import { SlackApproverDirectory } from './adapters/slack-directory.js';
import { MemoryStateStore } from './adapters/store/memory-store.js';
import { RedisStateStore } from './adapters/store/redis-store.js';
import { ConfigError, readConfig, type Config } from './config.js';
import type { AlertDeps } from './core/alerts.js';
import { AuditTrail } from './core/audit.js';
import type { Clock, StateStore } from './core/ports.js';
import { sharedStatus } from './core/status.js';
import { settledWithin } from './settled-within.js';
import type { HandlerContext } from '../handlers/context.js';
import { startBackgroundWork } from '../handlers/background-work.js';
import { SlackAlertAnnouncer } from '../handlers/alerts/slack-announcer.js';
import { alertWebhookRoute } from '../handlers/http/alert-webhook.js';
import { guardSlackRequest } from '../handlers/http/body.js';
import { SlackSignatureVerifier } from '../handlers/http/slack-signature.js';
import { healthRoutes } from '../handlers/http/health.js';
import { InFlightWork } from '../handlers/in-flight.js';
import { registerListeners } from '../handlers/index.js';

/** Slack bodies are small; anything larger is not from Slack. */
const SLACK_BODY_LIMIT = 256 * 1024;

export interface BotOptions {
  /** Where JSON log lines go (default stdout). */
  logDestination?: NodeJS.WritableStream;
  clock?: Clock;
  /** How often pending requests are checked for expiry. */
  expirySweepMs?: number;
  /** How often due escalation timers are looked for. */
  escalationPollMs?: number;
  /** How long concurrent `status` requests share one evaluation (default 1 s; 0 disables). */
  statusShareMs?: number;
  /** How long `status` waits for its report to answer in the ack (default 1 s; 0 always answers on response_url). */
  statusInAckMs?: number;
  /** Evaluate status once at start and log it (default true). */
  startupCheck?: boolean;
  /** How long stop() waits for in-flight requests before closing their connections. */
  drainTimeoutMs?: number;
  /** How a deployment rollout (shadow mode toggle) is followed in the thread. */
  rolloutWatch?: { intervalMs: number; timeoutMs: number };
}

export interface RunningBot {
  url: string;
  port: number;
  app: App;
  core: AlertDeps;
  metrics: BotMetrics;
  stop(): Promise<void>;
}

export async function startBot(config: Config, options: BotOptions = {}): Promise<RunningBot> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const boltLogger: BoltLogger = boltLoggerFrom(logger);
  if (!config.slack.botToken) {
    throw new ConfigError(['SLACK_BOT_TOKEN: required to connect to Slack (see README.md, "Creating the Slack app")']);
  }

  // Adapters.
  const store = createStore(config, logger);
  const cluster = new KubernetesCanaryCluster(loadKubeConfig(config.kube.kubeconfig), { ...config.kube, dryRun: config.dryRun });
  const metricsSource = new PrometheusMetrics(config.prometheusUrl, config.sourceTimeoutMs);
  const alertSource = new AlertmanagerAlerts(config.alertmanagerUrl, config.sourceTimeoutMs);
  const botMetrics = new BotMetrics({ defaultMetrics: true });
  const audit = new AuditTrail(store, logger);

  let slackAuthOk = false;
  let core: AlertDeps | undefined;
  const customRoutes = [
    ...healthRoutes({ store, slackAuthOk: () => slackAuthOk }, botMetrics),
    alertWebhookRoute(() => core!, config.alertWebhookToken, (result) => botMetrics.alertNotifications.inc({ result })),
  ];
  const clientOptions = {
    slackApiUrl: config.slack.apiUrl,
    // Bolt's default is 10 retries over ~30 minutes: far too long for an incident. 429s still honour Retry-After.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    timeout: 5000,
  };

  let receiver: HTTPReceiver | undefined;
  let app: App;
  if (config.slack.appToken) {
    app = new App({
      token: config.slack.botToken,
      appToken: config.slack.appToken,
      socketMode: true,
      customRoutes,
      installerOptions: { port: config.port },
      clientOptions,
      logger: boltLogger,
      convoStore: false,
      deferInitialization: true,
    });
  } else {
    receiver = new HTTPReceiver({
      signingSecret: config.slack.signingSecret ?? '',
      // guardSlackRequest checks signatures before anything parses the body (handlers/http/slack-signature.ts).
      signatureVerification: false,
      customRoutes,
      logger: boltLogger,
      bodyLimit: SLACK_BODY_LIMIT,
      // Our listeners ack at once; a delivery nobody handles (not from our app) gets its answer quickly.
      unhandledRequestTimeoutMillis: 1000,
    } as ConstructorParameters<typeof HTTPReceiver>[0]);
    app = new App({ token: config.slack.botToken, receiver, clientOptions, logger: boltLogger, convoStore: false, deferInitialization: true });
  }

  const deps: AlertDeps = {
    cluster,
    metrics: metricsSource,
    alerts: alertSource,
    store,
    directory: new SlackApproverDirectory(app.client),
    audit,
    clock: options.clock ?? { now: () => new Date() },
    logger,
    policy: {
      ramp: config.ramp,
      goNoGo: config.goNoGo,
      approvalTtlMs: config.approvalTtlMs,
      approvers: config.slack.approvers,
      dryRun: config.dryRun,
      shadow: config.shadow,
      statusShareMs: options.statusShareMs ?? 1000,
      firedAlertsQuery: (window) => `count by (alertname, severity) (max_over_time(ALERTS{alertstate="firing"}[${window}]))`,
    },
    newId: () => randomUUID().slice(0, 8),
    announcer: new SlackAlertAnnouncer(app.client, config.slack.channel),
    alertPolicy: {
      actions: config.alertActions,
      rollbackAlerts: config.rollbackAlerts,
      criticalSeverity: config.criticalSeverity,
      autoRollbackOnCritical: config.autoRollbackOnCritical,
      escalation: config.escalation,
    },
  };
  core = deps;
  const ctx: HandlerContext = {
    core: deps,
    metrics: botMetrics,
    logger,
    channel: config.slack.channel,
    commandChannels: config.slack.commandChannels,
    // Loaded on first use: the chart stack (WebAssembly renderer, fonts) is not needed to start.
    renderChart: async (data) => (await import('./adapters/chart.js')).renderGoNoGoChart(data),
    statusInAckMs: options.statusInAckMs ?? 1000,
  };
  const inFlight = new InFlightWork();
  app.use(inFlight.middleware());
  registerListeners(app, ctx, options.rolloutWatch ?? { intervalMs: 5_000, timeoutMs: 10 * 60_000 });
  app.error(async (error) => {
    logger.error({ err: error.message, code: (error as { code?: string }).code }, 'unhandled error in a listener');
  });

  if (store instanceof RedisStateStore) {
    await store.connect().catch((error: unknown) => logger.error({ err: String(error) }, 'Redis unreachable at start-up; retrying in the background'));
  }
  await app.init();
  slackAuthOk = true;

  let server: Server | undefined;
  let port = config.port;
  if (receiver) {
    const listener = receiver.requestListener;
    const signatures = new SlackSignatureVerifier(config.slack.signingSecret ?? '');
    const refused = (status: number, reason: string) => logger.warn({ status, reason }, 'Slack request refused');
    server = createServer((req, res) => {
      // Ack latency as Slack sees it: from the request arriving to the response being sent.
      if (req.method === 'POST' && req.url?.startsWith('/slack/events')) {
        const end = botMetrics.ackLatency.startTimer({ kind: 'slack' });
        res.once('finish', () => end());
        void guardSlackRequest(req, res, SLACK_BODY_LIMIT, signatures, refused).then((ok) => ok && listener(req, res));
        return;
      }
      listener(req, res);
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.port, resolve);
    });
    port = (server.address() as AddressInfo).port;
  } else {
    await app.start(config.port);
  }

  const background = startBackgroundWork(ctx, app.client, {
    channel: config.slack.channel,
    digestCron: config.digestCron,
    timeZone: config.ramp.timeZone,
    expirySweepMs: options.expirySweepMs ?? 15_000,
    driftCheckIntervalMs: config.driftCheckIntervalMs,
    escalationPollMs: options.escalationPollMs ?? 5_000,
  });

  logger.info(
    { port, mode: receiver ? 'http' : 'socket', store: store instanceof RedisStateStore ? 'redis' : 'memory', dryRun: config.dryRun },
    'mcp-canary started',
  );
  // One status evaluation right away: the log shows what the bot sees (or which source it cannot
  // read) from the first second, and the first person to ask does not pay for cold connections and code.
  if (options.startupCheck ?? true) {
    void sharedStatus(deps).then(
      (report) =>
        logger.info(
          {
            weight: report.percent ?? null,
            phase: report.phase,
            goNoGo: report.goNoGo.verdict,
            reasons: report.goNoGo.reasons,
            unreadable: {
              ...('error' in report.canary ? { canaryIngress: report.canary.error } : {}),
              ...('error' in report.rust ? { rustDeployment: report.rust.error } : {}),
              ...(report.pendingError ? { store: report.pendingError } : {}),
            },
          },
          'start-up check',
        ),
      (error: unknown) => logger.warn({ err: String(error) }, 'start-up check failed'),
    );
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    app,
    core: deps,
    metrics: botMetrics,
    async stop() {
      await background.stop();
      if (server) {
        // Finish in-flight requests (a rollback mid-way must complete), then cut what is left.
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server!.closeAllConnections(), options.drainTimeoutMs ?? 10_000);
          server!.close(() => {
            clearTimeout(force);
            resolve();
          });
          server!.closeIdleConnections();
        });
      } else {
        await app.stop();
      }
      // Listeners keep working after their ack: let them finish (a rollback must complete and be told).
      await inFlight.idle(options.drainTimeoutMs ?? 10_000);
      await settledWithin(audit.flush(), 2000);
      audit.stop();
      await store.close();
      logger.info({ unwrittenAudit: audit.pendingCount }, 'mcp-canary stopped');
    },
  };
}

function createStore(config: Config, logger: ReturnType<typeof createLogger>): StateStore {
  if (config.redisUrl) {
    return new RedisStateStore({ url: config.redisUrl, onError: (error) => logger.warn({ err: error.message }, 'Redis connection problem (reconnecting)') });
  }
  logger.warn({}, 'REDIS_URL is not set: using the in-memory store. Approvals and audit history are lost on restart and not shared between replicas.');
  return new MemoryStateStore();
}

async function main(): Promise<void> {
  let config: Config;
  try {
    // Validated first in every mode: a bad value stops the process, naming the variable.
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`mcp-canary cannot start.\n${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  // No Slack app yet (or --playground): the playground runs the same bot against a simulated cluster and a page that plays Slack.
  if (process.argv.includes('--playground') || (!config.slack.botToken && !config.slack.appToken)) {
    await (await import('./playground/main.js')).runPlayground();
    return;
  }
  let bot: RunningBot;
  try {
    bot = await startBot(config);
  } catch (error) {
    console.error(`mcp-canary cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`mcp-canary: ${signal} received, draining`);
    bot.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
