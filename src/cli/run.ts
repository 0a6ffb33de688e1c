// The break-glass command line's work: config -> adapters -> core, as the bot composes it (src/compose.ts's
// composeCore), without Bolt, the HTTP server or the background loops. Each command does its work, closes what
// it opened (Redis, the Kubernetes connection pool, Slack's sockets) and returns its exit code.
//
// rollback loads only what the write needs before it: the configuration, the route's connection (client-node's
// KubeConfig for its auth, Node's https), the router and the core's rollback. The logger, the rest of the
// composition (the store and its Redis connection, Prometheus and Alertmanager clients), Slack's Web API client
// and the views come after the write, in parallel, each with a short deadline: whatever does not answer in time
// is reported, never waited for. scripts/bundle.mjs splits the bundle along these lines (README, "Performance").
import { KubeConnection, loadKubeConfig } from '../adapters/kube-connection.js';
import { createRouter, type RouterConfig } from '../adapters/routers/index.js';
import type { ComposedCore } from '../compose.js';
import { ConfigError, corePolicies, readConfig, type Config } from '../config.js';
import { AuditTrail } from '../core/audit.js';
import { rememberRoute } from '../core/drift.js';
import type { ApprovalRequest } from '../core/entities.js';
import type { Logger, StateStore } from '../core/ports.js';
import type { Logger as PinoLogger } from 'pino';
import { cancelPendingAfterRollback, movedTraffic, rollbackCanary } from '../core/rollback.js';
import { settledWithin } from '../settled-within.js';
import type { RollbackDelivery } from '../../views/terminal.js';
import { cliActor, parseCli, USAGE, type CliCommand } from './args.js';
import { auditFileDirectories, settleAudit } from './audit-file.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

/** How long the command line waits for the store after the rollback (connection, then each step). */
const STORE_WAIT_MS = 1000;
const HISTORY_LIMIT = 20;

export const EXIT = { done: 0, failed: 1, usage: 2 } as const;

export async function runCli(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const out = (lines: string[] | string) => io.stdout.write(`${Array.isArray(lines) ? lines.join('\n') : lines}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  const command = parseCli(argv);
  switch (command.kind) {
    case 'help':
      out(USAGE);
      return EXIT.done;
    case 'usage':
      err(`mcp-canary: ${command.problem}\n\n${USAGE}`);
      return EXIT.usage;
    case 'refused':
      err(`mcp-canary: ${command.problem}`);
      return EXIT.usage;
  }

  let config: Config;
  try {
    config = readConfig(io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err(`mcp-canary: the environment is not valid (the bot would not start either).\n${error.message}`);
    if (command.kind === 'rollback') {
      // Even when the bad variable is one the rollback does not use (SLACK_CHANNEL=#oncall): the engineer in an
      // incident gets the commands to do it by hand, for the route the router settings name.
      const { router, defaulted } = routerSettingsDespite(io.env);
      const commands = manualCommands(router);
      err(`\nThe rollback was NOT done: nothing was changed. Fix the environment and run it again, or roll back by hand:\n${commands.map((c) => `    ${c}`).join('\n')}`);
      if (defaulted.length) err(`(${defaulted.join(', ')} not valid: these commands use ${defaulted.length > 1 ? 'their defaults' : 'its default'}; check the route's name and namespace.)`);
      if (command.json) out(JSON.stringify({ kind: 'invalid-environment', problems: error.problems, manualCommands: commands }, null, 2));
    }
    return EXIT.usage;
  }
  // The bot's LOG_LEVEL is usually info: that would fill the terminal. The command line logs warnings and
  // errors (JSON, on stderr) unless LOG_LEVEL asks for something else than info.
  const logLevel = config.logLevel === 'info' ? 'warn' : config.logLevel;
  const createLogger = async () => (await import('../adapters/logging.js')).createLogger(logLevel, io.stderr);

  switch (command.kind) {
    case 'status':
    case 'history': {
      let composed: ComposedCore;
      try {
        composed = (await import('../compose.js')).composeCore(config, { logger: await createLogger(), statusShareMs: 0 });
      } catch (error) {
        // Typically the kubeconfig: missing file, or no in-cluster service account.
        err(`mcp-canary: cannot reach the cluster: ${error instanceof Error ? error.message : String(error)}`);
        return EXIT.failed;
      }
      try {
        return command.kind === 'status' ? await status(command, composed, out, err) : await history(command, composed, config, out, err);
      } finally {
        await composed.close();
      }
    }
    case 'rollback':
      return rollback(command, config, createLogger, io, out, err);
  }
}

function manualCommands(router: RouterConfig): string[] {
  // The router's own commands; it needs no connection (nor DRY_RUN) to say them.
  return createRouter({ dryRun: false } as KubeConnection, router).manualRollbackCommands();
}

/** The variables the router settings (Config['router']) are read from. */
export const ROUTER_VARIABLES = ['TRAFFIC_ROUTER', 'K8S_NAMESPACE', 'CANARY_INGRESS', 'PRIMARY_INGRESS', 'HTTPROUTE', 'PYTHON_SERVICE', 'RUST_SERVICE', 'RUST_SERVICE_PORT', 'CANARY_ROUTE_MANIFEST'] as const;

/**
 * The router settings of an environment that is not valid as a whole, validated as the bot validates them:
 * the router's variables alone, each one that is itself invalid replaced by its default (and named).
 */
export function routerSettingsDespite(env: Record<string, string | undefined>): { router: RouterConfig; defaulted: string[] } {
  const routerEnv: Record<string, string | undefined> = Object.fromEntries(ROUTER_VARIABLES.map((name) => [name, env[name]]));
  try {
    return { router: readConfig(routerEnv).router, defaulted: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const defaulted = ROUTER_VARIABLES.filter((name) => error.problems.some((problem) => problem.startsWith(`${name}:`)));
    for (const name of defaulted) delete routerEnv[name];
    return { router: readConfig(routerEnv).router, defaulted };
  }
}

/** What rollbackCanary reads: a part of the core's dependencies. */
export type RollbackDeps = Parameters<typeof rollbackCanary>[0];

/**
 * The rollback's dependencies before the rest of the composition: the router and the policy exactly as
 * composeCore makes them from the same configuration (the command line's composeCore call shares no status
 * evaluations: statusShareMs 0), on the command line's own connection, audit trail and store.
 */
export function rollbackDeps(config: Config, kube: KubeConnection, own: Pick<RollbackDeps, 'audit' | 'store' | 'logger'>): RollbackDeps {
  return { router: createRouter(kube, config.router), clock: { now: () => new Date() }, policy: corePolicies(config, { statusShareMs: 0 }).policy, ...own };
}

type Out = (lines: string[] | string) => void;
type Err = (text: string) => void;

async function status(command: Extract<CliCommand, { kind: 'status' }>, composed: ComposedCore, out: Out, err: Err): Promise<number> {
  const { core } = composed;
  err(`mcp-canary: reading ${core.router.ref.kind} ${core.router.ref.name} in ${core.router.ref.namespace}, the Rust deployment, Prometheus, Alertmanager and the state store...`);
  // The pending request and the guard's state are in the store: give it a moment to connect (never more).
  await settledWithin(composed.storeReady, 1500);
  const [{ buildStatus }, { statusLines }] = await Promise.all([import('../core/status.js'), import('../../views/terminal.js')]);
  const report = await buildStatus(core);
  out(command.json ? JSON.stringify(report, null, 2) : statusLines(report));
  // Whatever the verdict: status reports, it does not judge.
  return EXIT.done;
}

async function history(command: Extract<CliCommand, { kind: 'history' }>, composed: ComposedCore, config: Config, out: Out, err: Err): Promise<number> {
  if (!config.redisUrl) err('mcp-canary: REDIS_URL is not set: the audit history lives in the bot\'s Redis, there is none here.');
  await settledWithin(composed.storeReady, 1500);
  const { entries, storeError } = await composed.core.audit.recent(HISTORY_LIMIT);
  if (storeError) err(`mcp-canary: the state store did not answer (${storeError}).`);
  const { historyLines } = await import('../../views/terminal.js');
  out(command.json ? JSON.stringify(entries, null, 2) : historyLines(entries, { storeError, limit: HISTORY_LIMIT }));
  return storeError ? EXIT.failed : EXIT.done;
}

async function rollback(
  command: Extract<CliCommand, { kind: 'rollback' }>,
  config: Config,
  createLogger: () => Promise<PinoLogger>,
  io: CliIo,
  out: Out,
  err: Err,
): Promise<number> {
  let kube: KubeConnection;
  try {
    kube = new KubeConnection(loadKubeConfig(config.kube.kubeconfig), config.kube.requestTimeoutMs, config.dryRun);
  } catch (error) {
    // Typically the kubeconfig: missing file, or no in-cluster service account.
    const why = error instanceof Error ? error.message : String(error);
    err(`mcp-canary: cannot reach the cluster: ${why}`);
    err(`\nThe rollback FAILED: nothing was changed. Fix KUBECONFIG, or run by hand:\n${manualCommands(config.router).map((c) => `    ${c}`).join('\n')}`);
    if (command.json) out(JSON.stringify({ kind: 'failed', errors: [why], manualCommands: manualCommands(config.router) }, null, 2));
    return EXIT.failed;
  }
  const later = storeLater();
  // The logger (pino) is loaded after the write too: until then its lines wait in memory.
  const logs = loggerLater();
  // The rollback's own audit trail: its entry waits in memory until the store is there (or goes to a file).
  const audit = new AuditTrail(later.store, logs.logger);
  const deps = rollbackDeps(config, kube, { audit, store: later.store, logger: logs.logger });
  const actor = cliActor(io.env);
  const ref = deps.router.ref;
  let composed: ComposedCore | undefined;
  try {
    err(`mcp-canary: rolling back ${ref.kind} ${ref.name} in ${ref.namespace} (${ref.router}) as ${actor}${config.dryRun ? ' (DRY RUN)' : ''}...`);
    const outcome = await rollbackCanary(deps, { actor, reason: command.reason, source: 'cli' });

    // The write is done. Now the logger, the rest of the bot's composition (its store connects to Redis from
    // here), and Slack.
    const logger = await createLogger();
    logs.arrive(logger);
    const shared = config.redisUrl !== undefined;
    // Without REDIS_URL the store is this process's memory: the entry goes to a file, whatever happens next.
    const unshared = shared ? [] : audit.takeUnwritten();
    try {
      composed = (await import('../compose.js')).composeCore(config, { logger, statusShareMs: 0 });
      later.arrive(composed.core.store);
    } catch (error) {
      later.arrive(error instanceof Error ? error : new Error(String(error)));
    }
    const rest = composed;
    let cancel: (request: ApprovalRequest | undefined) => void = () => undefined;
    const cancelled = new Promise<ApprovalRequest | undefined>((resolve) => (cancel = resolve));
    const stored = (async (): Promise<RollbackDelivery['audit']> => {
      try {
        const reachable = shared && rest !== undefined && (await storeAnswers(rest));
        if (reachable && movedTraffic(outcome)) {
          // The core remembered the route at once, before the store was there: again, so the running bot's drift
          // check knows this change was ours. Not after a dry run: it changed nothing (the core skips it too),
          // and the bot would take the live route, still at its weight, for a change made outside it.
          if (!outcome.dryRun) await settledWithin(rememberRoute(rest.core, { exists: outcome.kind === 'rolled-back', percent: 0 }), STORE_WAIT_MS);
          cancel((await settledWithin(cancelPendingAfterRollback(rest.core, actor), STORE_WAIT_MS))?.value);
        }
        cancel(undefined);
        if (!shared) return settleAudit(unshared, 'REDIS_URL is not set (no shared store)', auditFileDirectories(io.env));
        if (reachable) {
          // Twice at most: a flush started before the store was connected may still be finishing.
          await settledWithin(audit.flush(), STORE_WAIT_MS);
          if (audit.pendingCount) await settledWithin(audit.flush(), STORE_WAIT_MS);
        }
        return settleAudit(audit.takeUnwritten(), reachable ? 'the state store (Redis) did not take it in time' : 'the state store (Redis) did not answer', auditFileDirectories(io.env));
      } finally {
        cancel(undefined);
      }
    })();
    const announced = (async () => {
      const slack = await import('./slack.js');
      // A client that cannot be made is said as such, not taken for a missing token.
      const client = await slack.createSlackClient(config, logger).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      const announcement = await slack.announceRollback(client, config, outcome);
      const request = await cancelled;
      if (request && !(client instanceof Error)) await slack.updateRequestMessage(client, request, config.dryRun, logger);
      return announcement;
    })();
    const [auditDelivery, announcement] = await Promise.all([stored, announced]);
    const request = await cancelled;
    const delivery: RollbackDelivery = { audit: auditDelivery, announcement, cancelledRequest: request?.id };

    if (command.json) out(JSON.stringify({ ...outcome, ...delivery }, null, 2));
    else out((await import('../../views/terminal.js')).rollbackLines(outcome, delivery));
    return outcome.kind === 'failed' ? EXIT.failed : EXIT.done;
  } finally {
    // Whatever waited for the logger is written, also when the rollback threw before the logger came.
    if (!logs.arrived) logs.arrive(await createLogger());
    audit.stop();
    await composed?.close();
    kube.close();
  }
}

/**
 * A StateStore that is not there yet: every call waits for the real one (composed after the rollback's write,
 * so that loading and connecting it never delays the write), then goes to it.
 */
function storeLater(): { store: StateStore; arrive(store: StateStore | Error): void } {
  let arrive: (store: StateStore | Error) => void = () => undefined;
  const arrived = new Promise<StateStore | Error>((resolve) => (arrive = resolve));
  const store = new Proxy({} as StateStore, {
    get: (_, method) =>
      // Not a thenable: nothing may mistake it for a promise.
      method === 'then'
        ? undefined
        : async (...args: unknown[]) => {
            const real = await arrived;
            if (real instanceof Error) throw real;
            return (real[method as keyof StateStore] as (...a: unknown[]) => Promise<unknown>).apply(real, args);
          },
  });
  return { store, arrive };
}

/** The core's Logger before pino is loaded: each call waits in memory, in order, and goes to the real one when it arrives. */
function loggerLater(): { logger: Logger; arrive(logger: Logger): void; readonly arrived: boolean } {
  let real: Logger | undefined;
  const waiting: Array<[keyof Logger, object, string | undefined]> = [];
  const call = (level: keyof Logger) => (obj: object, msg?: string) => (real ? real[level](obj, msg) : void waiting.push([level, obj, msg]));
  return {
    logger: { info: call('info'), warn: call('warn'), error: call('error') },
    arrive(logger) {
      real = logger;
      for (const [level, obj, msg] of waiting.splice(0)) logger[level](obj, msg);
    },
    get arrived() {
      return real !== undefined;
    },
  };
}

/** Connected and answering within the deadline. */
async function storeAnswers(composed: ComposedCore): Promise<boolean> {
  await settledWithin(composed.storeReady, STORE_WAIT_MS);
  return (await settledWithin(composed.core.store.ping(), STORE_WAIT_MS)) !== undefined;
}
