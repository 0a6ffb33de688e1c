// The bot: the core (src/compose.ts) + Bolt + the HTTP server (or Socket Mode) + the background work.
// `startBot` is what the server entry point (src/main.ts), the playground and the tests call.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Logger as BoltLogger } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { boltLoggerFrom, createLogger } from './adapters/logging.js';
import { BotMetrics } from './adapters/metrics.js';
import { RedisStateStore } from './adapters/store/redis-store.js';
import { observeRoutes } from './adapters/routers/index.js';
import { composeCore } from './compose.js';
import { ConfigError, type Config } from './config.js';
import type { AlertDeps } from './core/deps.js';
import type { Clock } from './core/ports.js';
import { sharedStatus } from './core/status.js';
import type { HandlerContext } from '../handlers/context.js';
import { startBackgroundWork } from '../handlers/background-work.js';
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

  const clientOptions: WebClientOptions = {
    slackApiUrl: config.slack.apiUrl,
    // Bolt's default is 10 retries over ~30 minutes: far too long for an incident. 429s still honour Retry-After.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    timeout: 5000,
  };
  // The bot's own Web API client (approver groups, alert messages, background work); Bolt gives listeners theirs,
  // with the same options.
  const slack = new WebClient(config.slack.botToken, { ...clientOptions, logger: boltLogger });
  const { core: deps, storeReady, close: closeCore } = composeCore(config, {
    logger,
    clock: options.clock,
    slackClient: slack,
    statusShareMs: options.statusShareMs,
  });
  const { store, audit } = deps;
  const botMetrics = new BotMetrics({ defaultMetrics: true });
  // Every route the bot reads or writes sets the weight gauge: /metrics shows the live percent it last saw.
  deps.router = observeRoutes(deps.router, (route) => botMetrics.weightPercent.set(route.exists ? route.percent : 0));

  let slackAuthOk = false;
  const customRoutes = [
    ...healthRoutes({ store, slackAuthOk: () => slackAuthOk }, botMetrics),
    alertWebhookRoute(() => deps, config.alertWebhookToken, (result) => botMetrics.alertNotifications.inc({ result })),
  ];

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

  await storeReady;
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

  const background = startBackgroundWork(ctx, slack, {
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
              ...('error' in report.route ? { canaryRoute: report.route.error } : {}),
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
      // Flushes the audit queue (at most 2 s), closes the store and the cluster's connections.
      await closeCore();
      logger.info({ unwrittenAudit: audit.pendingCount }, 'mcp-canary stopped');
    },
  };
}
