// `/mcp-canary diagnose [traffic|shadow|mismatches]`: the runbook's troubleshooting section, run by the bot
// and returned as data. Read-only: every check reads (the cluster, Prometheus, the store), none writes.
// Every check has its own time limit and runs on its own (Promise.allSettled): a check that fails, is
// refused by RBAC or hangs becomes a failed finding saying why, and never hides the others.
//
//   traffic:    the canary route exists and matches the primary (its router says how), the Rust Service has
//               ready endpoints, Rust health answers through the API server's service proxy, no recent
//               Warning event on the route or the Rust deployment (the adapter adds its ReplicaSets and
//               pods), the live weight is what the bot applied, the bot may write the route (the runbook's
//               "Rollback not working", asked of the cluster before a rollback needs it);
//   shadow:     the shadow env on the Python deployment (pointing at RUST_SERVICE:RUST_SERVICE_PORT) and its
//               rollout, Rust health, the shadow error and timeout rates against their thresholds;
//   mismatches: the last DIAGNOSE_LOG_LINES lines of each Python pod, the `Shadow MISMATCH` ones parsed as
//               JSON and counted by `path` (most first), with a few samples; other lines counted apart.
import type { CoreDeps } from './deps.js';
import { KNOWN_ROUTE_KEY, type KnownRoute } from './drift.js';
import type {
  CheckProblem,
  ClusterEvent,
  DiagnoseScope,
  EndpointCounts,
  DiagnosticCheck,
  DiagnosticEvidence,
  Diagnosis,
  Finding,
  MismatchCount,
  NextAction,
  PodLogRead,
  ProxyAnswer,
  Sample,
} from './entities.js';
import { ClusterError, describe } from './errors.js';
import { SHADOW_ENV } from './shadow.js';
import { settledWithin } from '../settled-within.js';

export const DIAGNOSE_SCOPES: readonly DiagnoseScope[] = ['traffic', 'shadow', 'mismatches'];

/** What the Python gateway logs for each shadow response that differs from Python's. */
export const MISMATCH_MARKER = 'Shadow MISMATCH';

/** Each check's limit, unless the caller says otherwise; the Kubernetes and Prometheus calls inside have their own, shorter, deadlines. */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

/** Warning events older than this are not "recent" (the API server keeps events about an hour by default). */
export const RECENT_EVENTS_MS = 3_600_000;

const SAMPLES = 3;
/** Longest value kept in a sample (longer ones are cut with "…"). */
export const SAMPLE_VALUE_MAX = 200;
const NOT_JSON_SAMPLE_MAX = 300;

export type DiagnosticsDeps = Pick<CoreDeps, 'router' | 'cluster' | 'diagnostics' | 'metrics' | 'store' | 'clock' | 'policy'>;

export interface DiagnoseOptions {
  /** Each check's time limit [DEFAULT_CHECK_TIMEOUT_MS]. */
  checkTimeoutMs?: number;
}

type Check = {
  checks: DiagnosticCheck[];
  scope: DiagnoseScope;
  run: () => Promise<Finding[]>;
  /** The next action when the check runs out of time [retry]. */
  onTimeout?: NextAction;
};

/** Runs the checks of one scope (or of all of them, when `scope` is undefined) and returns every finding. */
export async function diagnose(deps: DiagnosticsDeps, scope?: DiagnoseScope, options: DiagnoseOptions = {}): Promise<Diagnosis> {
  const started = Date.now();
  const at = deps.clock.now();
  const limitMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const scopes = scope ? [scope] : [...DIAGNOSE_SCOPES];
  const checks: Check[] = [];
  // Read once per diagnosis: the endpoints check and the health check (to tell why Rust was not reached) share it.
  let endpointsRead: Promise<EndpointCounts> | undefined;
  const rustEndpointCounts = () => (endpointsRead ??= deps.diagnostics.endpoints(deps.cluster.targets.rustService));
  // Out of time on Rust health is Rust not answering: the other checks got their answers through the same API server.
  const healthCheck = (s: DiagnoseScope): Check => ({ scope: s, checks: ['rust-health'], run: () => rustHealth(deps, s, rustEndpointCounts), onTimeout: rustHealthNext(deps) });
  for (const s of scopes) {
    if (s === 'traffic') {
      checks.push(
        { scope: s, checks: ['route-shape'], run: () => routeShape(deps, s) },
        { scope: s, checks: ['rust-endpoints'], run: () => rustEndpoints(deps, s, rustEndpointCounts) },
        healthCheck(s),
        { scope: s, checks: ['warning-events'], run: () => warningEvents(deps, s, at) },
        { scope: s, checks: ['weight'], run: () => weight(deps, s) },
        { scope: s, checks: ['route-write'], run: () => routeWrite(deps, s) },
      );
    } else if (s === 'shadow') {
      checks.push(
        { scope: s, checks: ['shadow-env'], run: () => shadowEnv(deps, s) },
        { scope: s, checks: ['python-rollout'], run: () => pythonRollout(deps, s) },
        // Rust health is read once per diagnosis: with traffic in the same run, it is there.
        ...(scopes.includes('traffic') ? [] : [healthCheck(s)]),
        { scope: s, checks: ['shadow-error-rate'], run: () => shadowRate(deps, s, 'shadow-error-rate') },
        { scope: s, checks: ['shadow-timeout-rate'], run: () => shadowRate(deps, s, 'shadow-timeout-rate') },
      );
    } else {
      checks.push({ scope: s, checks: ['pod-logs', 'mismatches'], run: () => mismatches(deps, s) });
    }
  }
  const settled = await Promise.allSettled(checks.map((c) => guarded(c, limitMs)));
  const findings = settled.flatMap((r, i) => (r.status === 'fulfilled' ? r.value : failedChecks(checks[i]!, { kind: 'error', message: describe(r.reason) })));
  return { scope: scope ?? 'all', scopes, namespace: deps.cluster.targets.namespace, findings, at: at.toISOString(), tookMs: Date.now() - started };
}

/** A check within its time limit; what it throws, or not finishing in time, is its finding. */
async function guarded(check: Check, limitMs: number): Promise<Finding[]> {
  const started = Date.now();
  const outcome = await settledWithin(
    Promise.resolve()
      .then(check.run)
      .then(
        (findings) => ({ findings }),
        (error: unknown) => ({ error }),
      ),
    limitMs,
  );
  if (!outcome) return failedChecks(check, { kind: 'timeout', afterMs: limitMs });
  if ('error' in outcome.value) return failedChecks(check, problemOf(outcome.value.error, Date.now() - started));
  return outcome.value.findings;
}

function failedChecks(check: Check, problem: CheckProblem): Finding[] {
  return check.checks.map(
    (c) =>
      ({
        scope: check.scope,
        check: c,
        pass: false,
        problem,
        next: problem.kind === 'timeout' && check.onTimeout ? check.onTimeout : nextForProblem(problem, c === 'shadow-error-rate' || c === 'shadow-timeout-rate' ? 'metrics' : 'cluster'),
      }) as Finding,
  );
}

/** A failure, in the core's terms: RBAC refusals name the verb and the resource; refused credentials are not RBAC. */
export function problemOf(error: unknown, elapsedMs: number): CheckProblem {
  if (error instanceof ClusterError) {
    if (error.kind === 'forbidden') return { kind: 'forbidden', verb: error.detail.verb ?? 'get', resource: error.detail.resource ?? 'unknown', name: error.detail.name || undefined, message: error.message };
    if (error.kind === 'unauthenticated') return { kind: 'unauthenticated', message: error.message };
    if (error.kind === 'timeout') return { kind: 'timeout', afterMs: elapsedMs };
  }
  return { kind: 'error', message: describe(error) };
}

function nextForProblem(problem: CheckProblem, what: 'cluster' | 'metrics'): NextAction {
  if (problem.kind === 'forbidden') return { kind: 'grant', verb: problem.verb, resource: problem.resource };
  if (problem.kind === 'unauthenticated') return { kind: 'check-credentials' };
  return { kind: 'retry', what };
}

/** Runs a read and hands back its value, or the problem that kept the check from looking. */
async function attempt<T>(read: () => Promise<T>): Promise<{ value: T } | { problem: CheckProblem }> {
  const started = Date.now();
  try {
    return { value: await read() };
  } catch (error) {
    return { problem: problemOf(error, Date.now() - started) };
  }
}

// ---------- traffic ----------

async function routeShape(deps: DiagnosticsDeps, scope: DiagnoseScope): Promise<Finding[]> {
  const checks = await deps.router.checkRouteShape();
  const failed = checks.filter((c) => !c.ok);
  const pass = checks.length > 0 && failed.length === 0;
  let next: NextAction | undefined;
  // What the traffic layer's controller says about the route: the router knows where it speaks.
  const controllerCommands = () => deps.router.troubleshootingCommands();
  if (failed.some((c) => c.kind === 'present')) next = { kind: 'put-route-back' };
  else if (failed.some((c) => c.kind === 'match' || c.kind === 'split')) {
    next = { kind: 'align-route', aspects: failed.filter((c) => c.kind !== 'condition').map((c) => c.aspect), controllerCommands: controllerCommands() };
  } else if (failed.length) next = { kind: 'fix-route-conditions', reasons: failed.map((c) => (c.actual ? `${c.aspect}: ${c.actual}` : c.aspect)), controllerCommands: controllerCommands() };
  return [{ scope, check: 'route-shape', pass, evidence: { route: deps.router.ref, checks }, next }];
}

async function rustEndpoints(deps: DiagnosticsDeps, scope: DiagnoseScope, read: () => Promise<EndpointCounts>): Promise<Finding[]> {
  const { rustService: service, rustDeployment: deployment } = deps.cluster.targets;
  const counts = await read();
  const pass = counts.ready > 0;
  return [{ scope, check: 'rust-endpoints', pass, evidence: { service, ...counts }, next: pass ? undefined : { kind: 'check-rust-pods', deployment, service } }];
}

/** The runbook's "Shadow requests failing" check: Rust's health from inside its own pod. */
function rustHealthNext(deps: DiagnosticsDeps): NextAction {
  const { rustServicePort: port, rustDeployment: deployment } = deps.cluster.targets;
  return { kind: 'check-rust-health', deployment, port, path: deps.diagnostics.settings.rustHealthPath };
}

async function rustHealth(deps: DiagnosticsDeps, scope: DiagnoseScope, endpoints: () => Promise<EndpointCounts>): Promise<Finding[]> {
  const { rustService: service, rustServicePort: port, rustDeployment: deployment } = deps.cluster.targets;
  const path = deps.diagnostics.settings.rustHealthPath;
  const started = Date.now();
  let answer: ProxyAnswer;
  try {
    answer = await deps.diagnostics.proxyGet(service, port, path);
  } catch (error) {
    const problem = problemOf(error, Date.now() - started);
    // The API server relays and waits: no answer in time is Rust hanging, not the API server.
    if (problem.kind === 'timeout') return [{ scope, check: 'rust-health', pass: false, problem, next: rustHealthNext(deps) }];
    throw error;
  }
  const pass = !answer.fromApiServer && answer.status >= 200 && answer.status < 300;
  let next: NextAction | undefined;
  if (answer.fromApiServer) {
    // The API server did not reach Rust: without a ready endpoint the pods are the problem; with ready ones it
    // could not connect to them (wrong port, a network policy, Rust not listening), which the curl in the pod tells.
    const counts = await attempt(endpoints);
    next = 'value' in counts && counts.value.ready > 0 ? rustHealthNext(deps) : { kind: 'check-rust-pods', deployment, service };
  } else if (!pass) next = rustHealthNext(deps);
  return [{ scope, check: 'rust-health', pass, evidence: { service, port, path, status: answer.status, latencyMs: answer.latencyMs, body: answer.body, fromApiServer: answer.fromApiServer === true }, next }];
}

async function warningEvents(deps: DiagnosticsDeps, scope: DiagnoseScope, at: Date): Promise<Finding[]> {
  const objects = [
    { kind: deps.router.ref.kind, name: deps.router.ref.name },
    { kind: 'Deployment', name: deps.cluster.targets.rustDeployment },
  ];
  const reads = await Promise.all(objects.map((o) => attempt(() => deps.diagnostics.events(o, { type: 'Warning' }))));
  const unread = reads.flatMap((r, i) => ('problem' in r ? [{ ...objects[i]!, problem: r.problem }] : []));
  if (unread.length === objects.length) {
    const problem = unread[0]!.problem;
    return [{ scope, check: 'warning-events', pass: false, problem, next: nextForProblem(problem, 'cluster') }];
  }
  const since = at.getTime() - RECENT_EVENTS_MS;
  const events: ClusterEvent[] = reads
    .flatMap((r) => ('value' in r ? r.value : []))
    .filter((e) => e.type === 'Warning' && (e.lastSeen === undefined || Date.parse(e.lastSeen) >= since))
    .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''));
  const pass = events.length === 0 && unread.length === 0;
  // The objects the warnings are about (a pod or a ReplicaSet of the deployment, too), each once, newest first.
  const warned = [...new Map(events.map((e) => [`${e.object.kind}/${e.object.name}`, { kind: e.object.kind, name: e.object.name }])).values()];
  const next: NextAction | undefined = events.length
    ? { kind: 'read-events', objects: warned }
    : unread.length
      ? nextForProblem(unread[0]!.problem, 'cluster')
      : undefined;
  return [{ scope, check: 'warning-events', pass, evidence: { objects, windowMs: RECENT_EVENTS_MS, events, unread }, next }];
}

async function weight(deps: DiagnosticsDeps, scope: DiagnoseScope): Promise<Finding[]> {
  const route = await deps.router.readRoute();
  const live = route.exists ? route.percent : 0;
  let applied: DiagnosticEvidence['weight']['applied'];
  if (route.lastApplied) applied = { ...route.lastApplied, recordedOn: 'route' };
  else {
    // No record on the route (never set by the bot, or re-created): what the bot last saw, if it kept it.
    const known = await deps.store.getValue<KnownRoute>(KNOWN_ROUTE_KEY).catch(() => undefined);
    if (known) applied = { percent: known.exists ? known.percent : 0, at: known.at, recordedOn: 'store' };
  }
  const disagree = route.exists && route.splitPercents !== undefined && new Set(route.splitPercents).size > 1;
  const pass = !disagree && (applied ? applied.percent === live : live === 0);
  return [{ scope, check: 'weight', pass, evidence: { exists: route.exists, live, splitPercents: route.splitPercents, applied }, next: pass ? undefined : { kind: 'check-drift' } }];
}

/** The verb rollback writes the canary route with (percent 0, routing rules removed). */
const ROUTE_WRITE_VERB = 'patch';

/**
 * The runbook's "Rollback not working", asked before it matters: may the bot write the canary route? The
 * cluster's authorizer answers (nothing is written). When it may not, the permission to grant and the
 * router's commands to roll back by hand meanwhile.
 */
async function routeWrite(deps: DiagnosticsDeps, scope: DiagnoseScope): Promise<Finding[]> {
  const resource = deps.router.resource;
  const answer = await deps.diagnostics.mayChange(resource, ROUTE_WRITE_VERB);
  const evidence: DiagnosticEvidence['route-write'] = { route: deps.router.ref, verb: ROUTE_WRITE_VERB, resource, allowed: answer.allowed, ...(answer.reason ? { reason: answer.reason } : {}) };
  const next: NextAction | undefined = answer.allowed ? undefined : { kind: 'grant-route-write', verb: ROUTE_WRITE_VERB, resource, manualCommands: deps.router.manualRollbackCommands() };
  return [{ scope, check: 'route-write', pass: answer.allowed, evidence, next }];
}

// ---------- shadow ----------

async function shadowEnv(deps: DiagnosticsDeps, scope: DiagnoseScope): Promise<Finding[]> {
  const { pythonDeployment: deployment, rustService, rustServicePort } = deps.cluster.targets;
  const config = deps.policy.shadow;
  const containers = await deps.cluster.readDeploymentEnv(deployment);
  const container = config.container ? containers.find((c) => c.container === config.container) : containers[0];
  const expectedUrl = config.rustGatewayUrl;
  if (!container) {
    const problem: CheckProblem = { kind: 'error', message: `container ${config.container ?? '(first)'} not found in deployment ${deployment}` };
    return [{ scope, check: 'shadow-env', pass: false, problem, evidence: { deployment, expectedUrl }, next: { kind: 'retry', what: 'cluster' } }];
  }
  const enabled = container.env[SHADOW_ENV.enabled];
  const url = container.env[SHADOW_ENV.url];
  const rust = `${rustService}:${rustServicePort}`;
  const reachesRust = (u: string) => pointsAtService(u, rustService, rustServicePort, deps.cluster.targets.namespace);
  // The same text as the bot's setting is not enough: both may name something other than the Rust Service.
  let problem: CheckProblem | undefined;
  if (url !== undefined && !reachesRust(url)) problem = { kind: 'error', message: `SHADOW_RUST_GATEWAY_URL ${url} does not point at the Rust Service ${rust} (RUST_SERVICE:RUST_SERVICE_PORT): the shadow requests go elsewhere` };
  else if (!reachesRust(expectedUrl)) problem = { kind: 'error', message: `the bot's SHADOW_RUST_GATEWAY_URL ${expectedUrl} does not point at the Rust Service ${rust} (RUST_SERVICE:RUST_SERVICE_PORT): fix the bot's configuration before turning shadow mode on` };
  const evidence: DiagnosticEvidence['shadow-env'] = { deployment, container: container.container, enabled, url, expectedUrl };
  // Set from a Secret or a ConfigMap: set, but its value is not readable here. Neither "unset" nor a reason to
  // turn shadow on (which would replace the reference): the value is to be read where it lives.
  const byReference = [SHADOW_ENV.enabled, SHADOW_ENV.url].flatMap((variable) => {
    const source = container.fromRefs?.[variable];
    return source ? [{ variable, source }] : [];
  });
  if (byReference.length) {
    evidence.fromRefs = Object.fromEntries(byReference.map((r) => [r.variable, r.source]));
    return [{ scope, check: 'shadow-env', pass: false, problem, evidence, next: { kind: 'read-env-source', sources: byReference } }];
  }
  const pass = enabled === 'true' && url === expectedUrl && !problem;
  // Turning shadow on sets the bot's URL: only worth it when that one reaches Rust.
  const next: NextAction | undefined = pass || !reachesRust(expectedUrl) ? undefined : { kind: 'turn-shadow-on', url: expectedUrl };
  return [{ scope, check: 'shadow-env', pass, problem, evidence, next }];
}

/**
 * Whether an http(s) URL reaches a Service of the namespace on its port: its host is the Service's cluster DNS
 * name (`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.<cluster domain>`), its port the Service's (or the scheme's default).
 */
export function pointsAtService(url: string, service: string, port: number, namespace: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  const names = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`];
  const hostOk = names.includes(host) || host.startsWith(`${service}.${namespace}.svc.`);
  const urlPort = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  return hostOk && urlPort === port;
}

async function pythonRollout(deps: DiagnosticsDeps, scope: DiagnoseScope): Promise<Finding[]> {
  const deployment = deps.cluster.targets.pythonDeployment;
  const readiness = await deps.cluster.readDeployment(deployment);
  return [{ scope, check: 'python-rollout', pass: readiness.rolloutComplete, evidence: readiness, next: readiness.rolloutComplete ? undefined : { kind: 'wait-rollout', deployment } }];
}

async function shadowRate(deps: DiagnosticsDeps, scope: DiagnoseScope, check: 'shadow-error-rate' | 'shadow-timeout-rate'): Promise<Finding[]> {
  const config = deps.policy.shadow;
  const [query, max] = check === 'shadow-error-rate' ? [config.errorQuery, config.errorMax] : [config.timeoutQuery, config.timeoutMax];
  const sample: Sample = await deps.metrics.instant(query);
  if (!sample.ok) {
    // Fail closed: no data is not a healthy shadow.
    return [{ scope, check, pass: false, evidence: { max, reason: sample.reason }, problem: { kind: 'error', message: sample.reason }, next: { kind: 'retry', what: 'metrics' } }];
  }
  const pass = sample.value < max;
  return [{ scope, check, pass, evidence: { value: sample.value, max }, next: pass ? undefined : { kind: 'check-shadow-path', from: deps.cluster.targets.pythonDeployment, url: `${config.rustGatewayUrl.replace(/\/+$/, '')}${deps.diagnostics.settings.rustHealthPath}` } }];
}

// ---------- mismatches ----------

async function mismatches(deps: DiagnosticsDeps, scope: DiagnoseScope): Promise<Finding[]> {
  const { pythonPodSelector: selector, logLines: tailLines } = deps.diagnostics.settings;
  const pods = await deps.diagnostics.listPods(selector);
  const preferred = deps.policy.shadow.container;
  const reads = await Promise.all(
    pods.map(async (pod): Promise<{ read: PodLogRead; text?: string }> => {
      // The gateway's container: SHADOW_CONTAINER when the pod has it, else the first (a sidecar logs no mismatch).
      const container = preferred && pod.containers.includes(preferred) ? preferred : (pod.containers[0] ?? '');
      const got = await attempt(() => deps.diagnostics.readPodLog(pod.name, container, tailLines));
      if ('problem' in got) return { read: { pod: pod.name, container, problem: got.problem } };
      const lines = splitLines(got.value);
      return { read: { pod: pod.name, container, lines: lines.length }, text: got.value };
    }),
  );
  const podReads = reads.map((r) => r.read);
  const refused = podReads.find((r) => r.problem);
  const logsPass = pods.length > 0 && !refused;
  const logsFinding: Finding = {
    scope,
    check: 'pod-logs',
    pass: logsPass,
    evidence: { selector, tailLines, pods: podReads },
    problem: pods.length === 0 ? { kind: 'error', message: `no pod matches the selector ${selector}` } : refused?.problem,
    next: refused?.problem ? nextForProblem(refused.problem, 'cluster') : undefined,
  };
  const texts = reads.flatMap((r) => (r.text !== undefined ? [r.text] : []));
  const count = countMismatches(texts);
  const evidence: DiagnosticEvidence['mismatches'] = { marker: MISMATCH_MARKER, podsRead: texts.length, linesRead: podReads.reduce((n, r) => n + (r.lines ?? 0), 0), ...count };
  const found = count.total + count.notJson.count;
  const mismatchFinding: Finding =
    texts.length === 0
      ? { scope, check: 'mismatches', pass: false, evidence, problem: { kind: 'error', message: 'no pod log could be read' }, next: { kind: 'fix-log-access' } }
      : { scope, check: 'mismatches', pass: found === 0, evidence, next: found === 0 ? undefined : { kind: 'compare-responses', path: count.byPath[0]?.path ?? null } };
  return [logsFinding, mismatchFinding];
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * The runbook's `grep "Shadow MISMATCH" | jq -r '.path' | sort | uniq -c | sort -rn`, over several logs: the
 * lines with the marker parsed as JSON objects and counted by `path` (most first, then by path), the newest
 * line of each of the top paths kept as a sample (long values cut); lines that are not a JSON object are
 * counted apart (and a few kept), never dropped.
 */
export function countMismatches(logs: string[]): Pick<DiagnosticEvidence['mismatches'], 'total' | 'byPath' | 'samples' | 'notJson'> {
  const counts = new Map<string | null, number>();
  const newest = new Map<string | null, Record<string, unknown>>();
  const notJson: string[] = [];
  let notJsonCount = 0;
  let total = 0;
  for (const log of logs) {
    for (const raw of splitLines(log)) {
      if (!raw.includes(MISMATCH_MARKER)) continue;
      const line = raw.trim();
      const parsed = parseObject(line);
      if (!parsed) {
        notJsonCount++;
        // The newest ones are the most useful: keep the last few seen.
        notJson.push(cut(line, NOT_JSON_SAMPLE_MAX));
        if (notJson.length > SAMPLES) notJson.shift();
        continue;
      }
      total++;
      const path = typeof parsed.path === 'string' ? parsed.path : parsed.path === undefined || parsed.path === null ? null : JSON.stringify(parsed.path);
      counts.set(path, (counts.get(path) ?? 0) + 1);
      newest.set(path, parsed);
    }
  }
  const byPath: MismatchCount[] = [...counts.entries()]
    .map(([path, count]) => ({ path, count }))
    .sort((a, b) => b.count - a.count || (a.path ?? '\uffff').localeCompare(b.path ?? '\uffff'));
  const samples = byPath.slice(0, SAMPLES).map((c) => cutValues(newest.get(c.path)!));
  return { total, byPath, samples, notJson: { count: notJsonCount, samples: notJson } };
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Every value of a sample at most SAMPLE_VALUE_MAX characters long (objects and arrays as JSON text). */
export function cutValues(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => {
      if (typeof value === 'string') return [key, cut(value, SAMPLE_VALUE_MAX)];
      if (value !== null && typeof value === 'object') {
        const text = JSON.stringify(value);
        return [key, text.length > SAMPLE_VALUE_MAX ? cut(text, SAMPLE_VALUE_MAX) : value];
      }
      return [key, value];
    }),
  );
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let s = text.slice(0, max - 1);
  const last = s.charCodeAt(s.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1);
  return `${s}…`;
}

/** `traffic`, `shadow`, `mismatches`, or undefined (all) from a button value or a word; null when it is none of them. */
export function parseScope(word: string | undefined): DiagnoseScope | undefined | null {
  if (word === undefined || word === '' || word === 'all') return undefined;
  return (DIAGNOSE_SCOPES as readonly string[]).includes(word) ? (word as DiagnoseScope) : null;
}
