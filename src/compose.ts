// The core's composition: configuration -> adapters -> the core's dependencies (store, cluster, metric and
// alert sources, audit trail, policies). No Bolt, no HTTP server, no background loops: the bot (src/bot.ts)
// adds those around it, and a command line can run the same core with nothing else. Slack is optional: a
// WebClient (@slack/web-api) gives the core the approver directory (user groups) and the alert announcer.
import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { AlertmanagerAlerts } from './adapters/alertmanager.js';
import { KubeClusterDiagnostics } from './adapters/kube-diagnostics.js';
import { KubeConnection, loadKubeConfig } from './adapters/kube-connection.js';
import { KubeApi, KubernetesCluster } from './adapters/kubernetes.js';
import { createRouter } from './adapters/routers/index.js';
import { PrometheusMetrics } from './adapters/prometheus.js';
import { SlackApproverDirectory } from './adapters/slack-directory.js';
import { MemoryStateStore } from './adapters/store/memory-store.js';
import { RedisStateStore } from './adapters/store/redis-store.js';
import { corePolicies, type Config } from './config.js';
import type { AlertDeps } from './core/deps.js';
import { AuditTrail } from './core/audit.js';
import type { AlertAnnouncer, ApproverDirectory, Clock, Logger, StateStore } from './core/ports.js';
import { settledWithin } from './settled-within.js';
import { SlackAlertAnnouncer } from '../handlers/alerts/slack-announcer.js';

export interface CoreOptions {
  logger: Logger;
  clock?: Clock;
  /** Slack's Web API: approver user groups and alert messages. Without it, both fail with "Slack is not available". */
  slackClient?: WebClient;
  /** How long concurrent `status` requests share one evaluation (default 1 s; 0 disables). */
  statusShareMs?: number;
}

export interface ComposedCore {
  /** The core's dependencies, alert handling included. */
  core: AlertDeps;
  /** Settles once the store is connected, or failed to (logged; ioredis keeps retrying). Never rejects. */
  storeReady: Promise<void>;
  /** Flushes the audit queue (at most 2 s), then closes the store's connection and the Kubernetes connection pool. */
  close(): Promise<void>;
}

export function composeCore(config: Config, options: CoreOptions): ComposedCore {
  const { logger } = options;
  const store = createStore(config, logger);
  // One kubeconfig, deadline and DRY_RUN for the router (plain REST calls), the cluster and the diagnostics (one
  // set of generated API clients).
  const connection = new KubeConnection(loadKubeConfig(config.kube.kubeconfig), config.kube.requestTimeoutMs, config.dryRun);
  const kube = new KubeApi(connection);
  const audit = new AuditTrail(store, logger);
  const core: AlertDeps = {
    router: createRouter(connection, config.router),
    cluster: new KubernetesCluster(kube, config.kube),
    diagnostics: new KubeClusterDiagnostics(kube, config.kube.namespace, config.diagnostics),
    metrics: new PrometheusMetrics(config.prometheusUrl, config.sourceTimeoutMs),
    alerts: new AlertmanagerAlerts(config.alertmanagerUrl, config.sourceTimeoutMs, { channel: config.slack.channel }),
    store,
    directory: options.slackClient ? new SlackApproverDirectory(options.slackClient) : NO_DIRECTORY,
    audit,
    clock: options.clock ?? { now: () => new Date() },
    logger,
    ...corePolicies(config, { statusShareMs: options.statusShareMs ?? 1000 }),
    newId: () => randomUUID().slice(0, 8),
    announcer: options.slackClient ? new SlackAlertAnnouncer(options.slackClient, config.slack.channel) : NO_ANNOUNCER,
  };

  const storeReady =
    store instanceof RedisStateStore
      ? store.connect().catch((error: unknown) => logger.error({ err: String(error) }, 'Redis unreachable at start-up; retrying in the background'))
      : Promise.resolve();

  let closed: Promise<void> | undefined;
  return {
    core,
    storeReady,
    close() {
      closed ??= (async () => {
        await settledWithin(audit.flush(), 2000);
        audit.stop();
        await store.close();
        await kube.close();
        connection.close();
      })();
      return closed;
    },
  };
}

function createStore(config: Config, logger: Logger): StateStore {
  if (config.redisUrl) {
    return new RedisStateStore({ url: config.redisUrl, onError: (error) => logger.warn({ err: error.message }, 'Redis connection problem (reconnecting)') });
  }
  logger.warn({}, 'REDIS_URL is not set: using the in-memory store. Approvals and audit history are lost on restart and not shared between replicas.');
  return new MemoryStateStore();
}

const noSlack = (what: string) => new Error(`Slack is not available here (${what})`);

const NO_DIRECTORY: ApproverDirectory = {
  membersOf: async () => {
    throw noSlack('approver user groups');
  },
};

const NO_ANNOUNCER: AlertAnnouncer = {
  post: async () => {
    throw noSlack('alert messages');
  },
  update: async () => {
    throw noSlack('alert messages');
  },
  thread: async () => {
    throw noSlack('alert messages');
  },
};
