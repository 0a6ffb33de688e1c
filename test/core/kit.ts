// The fast tier's kit: the core's ports in memory (cluster, metrics, alerts, directory, announcer, clock),
// the real in-memory store and audit trail, and the policy from configuration defaults. Core use cases run
// against it in milliseconds; every port records what it was asked and can be made to fail.
import { MemoryStateStore } from '../../src/adapters/store/memory-store.js';
import { corePolicies, readConfig, type Config } from '../../src/config.js';
import { AuditTrail } from '../../src/core/audit.js';
import type { AlertDeps } from '../../src/core/deps.js';
import type {
  AlertGroupRecord,
  AlertMessageContext,
  AuditEntry,
  AlertQuery,
  AlertThreadEvent,
  CanaryRoute,
  ContainerEnv,
  DeploymentReadiness,
  FiringAlert,
  LabelledSamples,
  RangeSeries,
  ResourceRef,
  RouteCopy,
  RouteRef,
  Sample,
  SilenceRequest,
} from '../../src/core/entities.js';
import type { AccessAnswer, ClusterEvent, EndpointCounts, PodSummary, ProxyAnswer, RouteShapeCheck } from '../../src/core/entities.js';
import { ClusterError } from '../../src/core/errors.js';
import type {
  AlertAnnouncer,
  AlertSource,
  ApproverDirectory,
  Clock,
  Cluster,
  ClusterTargets,
  Logger,
  MetricsSource,
  PercentChange,
  RouteApplied,
  StateStore,
  TrafficRouter,
  WriteOptions,
} from '../../src/core/ports.js';
import type { ClusterDiagnostics, DiagnosticsSettings } from '../../src/core/ports.js';

export const START = new Date('2026-03-03T10:00:00.000Z');

export class TestClock implements Clock {
  constructor(private at = START) {}
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
}

type RouterOp = 'readRoute' | 'setPercent' | 'resetToPrimary' | 'removeCanaryRoute' | 'applyCanaryRoute' | 'copyRoute' | 'promoteCanaryToPrimary' | 'removeCanaryParts';

/** Which calls a planned failure hits: every call (default), only real writes, or only server-side dry runs. */
export interface FailureFilter {
  dryRun?: boolean;
}

interface PlannedFailure<Op> {
  op: Op;
  error: Error;
  times: number;
  filter: FailureFilter;
}

/** Throws the first planned failure due for `op` (a real write or a dry run, as its filter says), once. */
function throwPlannedFailure<Op>(failures: Array<PlannedFailure<Op>>, op: Op, dryRun: boolean): void {
  const failure = failures.find((f) => f.op === op && f.times > 0 && (f.filter.dryRun === undefined || f.filter.dryRun === dryRun));
  if (!failure) return;
  failure.times--;
  throw failure.error;
}

/** What two router objects of two replicas share: the one route in the cluster, and what was done to it. */
interface SharedRouteState {
  route: CanaryRoute;
  writes: Array<{ op: RouterOp; args: unknown; dryRun: boolean }>;
  failures: Array<PlannedFailure<RouterOp>>;
  hooks: Array<{ op: RouterOp; run: () => void }>;
}

/** The canary route in memory: a percent, routing rules, a version; every write recorded. */
export class InMemoryRouter implements TrafficRouter {
  readonly ref: RouteRef = { router: 'in-memory', kind: 'Route', name: 'mcp-gateway-canary', namespace: 'stoa-system' };
  readonly primaryRef: RouteRef = { ...this.ref, name: 'mcp-gateway-primary' };
  readonly resource: ResourceRef = { group: 'routes.example', resource: 'routes', name: 'mcp-gateway-canary', namespace: 'stoa-system' };
  private readonly shared: SharedRouteState;
  /** How many backends `promoteCanaryToPrimary` repoints (0: already done); 'none': the primary route has no backend to point. */
  promoteChanges: number | 'none' = 1;
  /** Without it, the router has no last resort (like Gateway API, which never deletes the route). */
  removeCanaryRoute?: (options?: WriteOptions) => Promise<void>;

  constructor(
    readonly dryRun = false,
    private readonly options: { canRemoveRoute?: boolean } = {},
    shared?: SharedRouteState,
  ) {
    this.shared = shared ?? { route: { ref: this.ref, exists: true, percent: 0, routingRules: [], conditions: [], version: '1' }, writes: [], failures: [], hooks: [] };
    if (options.canRemoveRoute !== false) {
      this.removeCanaryRoute = async (opts?: WriteOptions) => {
        this.fail('removeCanaryRoute', opts);
        if (!this.route.exists) throw new ClusterError('not-found', 'route not found');
        if (this.write('removeCanaryRoute', {}, opts)) return;
        this.route = { ...this.route, exists: false, percent: 0, routingRules: [], version: this.bump() };
      };
    }
  }

  /** The live route (shared with every replica's router). */
  get route(): CanaryRoute {
    return this.shared.route;
  }
  set route(route: CanaryRoute) {
    this.shared.route = route;
  }

  /** Every write, in order, with its dry-run flag (shared with every replica's router). */
  get writes(): Array<{ op: RouterOp; args: unknown; dryRun: boolean }> {
    return this.shared.writes;
  }

  /** Another replica's router: its own object (own in-process serialisation), the same route in the same cluster. */
  replica(): InMemoryRouter {
    return new InMemoryRouter(this.dryRun, this.options, this.shared);
  }

  /**
   * The next `times` calls of `op` throw `error` (a ClusterError by default); `filter.dryRun` limits it to
   * real writes (false) or server-side dry runs (true).
   */
  failNext(op: RouterOp, error: Error = new ClusterError('unavailable', 'Kubernetes API unreachable (test)'), times = 1, filter: FailureFilter = {}): void {
    this.shared.failures.push({ op, error, times, filter });
  }

  /** Runs `run` just before the next call of `op` does anything: someone else acting at that very moment. */
  beforeNext(op: RouterOp, run: () => void): void {
    this.shared.hooks.push({ op, run });
  }

  /** Someone changed another field of the route (the version moves, the percent does not). */
  touch(): void {
    this.route = { ...this.route, version: this.bump() };
  }

  setWeight(percent: number, lastApplied?: { hoursAgo: number; clock: Clock }): void {
    this.route = { ...this.route, exists: true, percent, version: this.bump() };
    if (lastApplied) this.route.lastApplied = { percent, at: new Date(lastApplied.clock.now().getTime() - lastApplied.hoursAgo * 3_600_000).toISOString(), by: 'U0ALICE' };
  }

  private bump(): string {
    return String(Number(this.route.version ?? 0) + 1);
  }

  private fail(op: RouterOp, options?: WriteOptions): void {
    const hook = this.shared.hooks.findIndex((h) => h.op === op);
    if (hook >= 0) this.shared.hooks.splice(hook, 1)[0]!.run();
    throwPlannedFailure(this.shared.failures, op, this.dryRun || options?.dryRun === true);
  }

  private write(op: RouterOp, args: unknown, options?: WriteOptions): boolean {
    const dryRun = this.dryRun || options?.dryRun === true;
    this.writes.push({ op, args, dryRun });
    return dryRun;
  }

  async readRoute(): Promise<CanaryRoute> {
    this.fail('readRoute');
    return structuredClone(this.route);
  }

  async setPercent(change: PercentChange, options?: WriteOptions): Promise<CanaryRoute> {
    this.fail('setPercent', options);
    if (!this.route.exists) throw new ClusterError('not-found', 'route not found');
    if (change.expectedVersion && change.expectedVersion !== this.route.version) throw new ClusterError('conflict', 'the object has been modified');
    if (this.write('setPercent', change, options)) return structuredClone(this.route);
    this.route = { ...this.route, percent: change.percent, lastApplied: { percent: change.percent, at: change.appliedAt, by: change.appliedBy }, version: this.bump() };
    return structuredClone(this.route);
  }

  async resetToPrimary(by: { appliedBy: string; appliedAt: string }, options?: WriteOptions): Promise<CanaryRoute> {
    this.fail('resetToPrimary', options);
    if (!this.route.exists) throw new ClusterError('not-found', 'route not found');
    if (this.write('resetToPrimary', by, options)) return structuredClone(this.route);
    this.route = { ...this.route, percent: 0, routingRules: [], lastApplied: { percent: 0, at: by.appliedAt, by: by.appliedBy }, version: this.bump() };
    return structuredClone(this.route);
  }

  async copyRoute(): Promise<RouteCopy | undefined> {
    this.fail('copyRoute');
    return this.route.exists ? { savedAt: new Date().toISOString(), object: structuredClone(this.route) } : undefined;
  }

  async applyCanaryRoute(copy: RouteCopy | undefined, by: { appliedBy: string; appliedAt: string }, options?: WriteOptions): Promise<RouteApplied> {
    this.fail('applyCanaryRoute', options);
    if (this.route.exists) return { kind: 'already-present' };
    if (!copy) throw new ClusterError('not-found', 'no copy and no manifest');
    if (this.write('applyCanaryRoute', { copy, by }, options)) return { kind: 'created', from: 'kept-copy' };
    this.route = { ...this.route, exists: true, percent: 0, routingRules: [], lastApplied: { percent: 0, at: by.appliedAt, by: by.appliedBy }, version: this.bump() };
    return { kind: 'created', from: 'kept-copy' };
  }

  async promoteCanaryToPrimary(options?: WriteOptions): Promise<number> {
    this.fail('promoteCanaryToPrimary', options);
    if (this.promoteChanges === 'none') throw new ClusterError('invalid', 'route/mcp-gateway-primary has no backend on service mcp-gateway-python or mcp-gateway-rust');
    this.write('promoteCanaryToPrimary', {}, options);
    return this.promoteChanges;
  }

  /** The cleanup's last step: the canary route goes (as ingress-nginx's canary Ingress does). */
  async removeCanaryParts(options?: WriteOptions): Promise<void> {
    this.fail('removeCanaryParts', options);
    if (this.write('removeCanaryParts', {}, options)) return;
    this.route = { ...this.route, exists: false, percent: 0, routingRules: [], version: this.bump() };
  }

  manualRollbackCommands(): string[] {
    return ['kubectl edit route mcp-gateway-canary'];
  }

  troubleshootingCommands(): string[] {
    return ['kubectl logs -l app=route-controller'];
  }

  /** Read-only: present or absent, and, when present, the same host as the primary. Tests replace it on the instance for other shapes. */
  async checkRouteShape(): Promise<RouteShapeCheck[]> {
    this.fail('readRoute');
    if (!this.route.exists) return [{ kind: 'present', aspect: `route ${this.ref.name}`, ok: false, actual: 'absent' }];
    return [
      { kind: 'present', aspect: `route ${this.ref.name}`, ok: true, actual: 'present' },
      { kind: 'match', aspect: 'host', ok: true, expected: 'mcp.example.com', actual: 'mcp.example.com' },
    ];
  }
}

type ClusterOp = 'readDeployment' | 'readDeploymentEnv' | 'setDeploymentEnv' | 'deleteDeployment' | 'deleteService';

export class InMemoryCluster implements Cluster {
  readonly deployments = new Map<string, DeploymentReadiness>();
  readonly env = new Map<string, ContainerEnv[]>();
  /** The Services that exist. */
  readonly services = new Set<string>();
  /** Every write, in order, with its dry-run flag. */
  readonly writes: Array<{ op: ClusterOp; args: unknown; dryRun: boolean }> = [];
  private readonly failures: Array<PlannedFailure<ClusterOp>> = [];

  constructor(
    readonly dryRun = false,
    readonly targets: ClusterTargets = readConfig({}).kube,
  ) {
    for (const name of [this.targets.rustDeployment, this.targets.pythonDeployment]) {
      this.deployments.set(name, { name, desired: 3, ready: 3, available: 3, updated: 3, rolloutComplete: true });
    }
    this.env.set(this.targets.pythonDeployment, [{ container: 'gateway', env: { LOG_LEVEL: 'info' } }]);
    this.services.add(this.targets.pythonService).add(this.targets.rustService);
  }

  /** The next `times` calls of `op` throw; `filter.dryRun` limits it to real writes (false) or dry runs (true). */
  failNext(op: ClusterOp, error: Error = new ClusterError('unavailable', 'Kubernetes API unreachable (test)'), times = 1, filter: FailureFilter = {}): void {
    this.failures.push({ op, error, times, filter });
  }

  private fail(op: ClusterOp, options?: WriteOptions): void {
    throwPlannedFailure(this.failures, op, this.dryRun || options?.dryRun === true);
  }

  private write(op: ClusterOp, args: unknown, options?: WriteOptions): boolean {
    const dryRun = this.dryRun || options?.dryRun === true;
    this.writes.push({ op, args, dryRun });
    return dryRun;
  }

  async readDeployment(name: string): Promise<DeploymentReadiness> {
    this.fail('readDeployment');
    const found = this.deployments.get(name);
    if (!found) throw new ClusterError('not-found', `deployment ${name} not found`);
    return { ...found };
  }

  async readDeploymentEnv(name: string): Promise<ContainerEnv[]> {
    this.fail('readDeploymentEnv');
    return structuredClone(this.env.get(name) ?? []);
  }

  async setDeploymentEnv(name: string, container: string, env: Record<string, string>, options?: WriteOptions): Promise<void> {
    this.fail('setDeploymentEnv', options);
    if (this.write('setDeploymentEnv', { name, container, env }, options)) return;
    const target = (this.env.get(name) ?? []).find((c) => c.container === container);
    if (!target) return;
    Object.assign(target.env, env);
    // As the adapter's patch does: a plain value replaces the variable's reference to a Secret or ConfigMap.
    for (const key of Object.keys(env)) delete target.fromRefs?.[key];
  }

  /** As the API server does: deleting what is not there is a 404, dry run or not. */
  async deleteDeployment(name: string, options?: WriteOptions): Promise<void> {
    this.fail('deleteDeployment', options);
    if (!this.deployments.has(name)) throw new ClusterError('not-found', `deployments.apps "${name}" not found`, { status: 404, verb: 'delete', resource: 'deployments', name });
    if (!this.write('deleteDeployment', { name }, options)) this.deployments.delete(name);
  }

  async deleteService(name: string, options?: WriteOptions): Promise<void> {
    this.fail('deleteService', options);
    if (!this.services.has(name)) throw new ClusterError('not-found', `services "${name}" not found`, { status: 404, verb: 'delete', resource: 'services', name });
    if (!this.write('deleteService', { name }, options)) this.services.delete(name);
  }
}

type DiagnosticsOp = 'listPods' | 'readPodLog' | 'events' | 'endpoints' | 'proxyGet' | 'mayChange';

/**
 * The diagnostics' cluster reads in memory: pods with their containers' logs, events, endpoint counts and
 * what the Rust Service answers. Every call is recorded; `failNext` makes calls throw, `hang` never answer.
 */
export class InMemoryDiagnostics implements ClusterDiagnostics {
  readonly settings: DiagnosticsSettings;
  /** Pod name -> container -> log text. */
  readonly pods = new Map<string, { containers: string[]; logs: Map<string, string> }>();
  readonly eventList: ClusterEvent[] = [];
  readonly endpointCounts = new Map<string, EndpointCounts>();
  health: ProxyAnswer = { status: 200, latencyMs: 4, body: '{"status":"ok"}' };
  /** What the cluster answers to "may the bot <verb> <resource>?", by `verb resource/name`; allowed when absent. */
  readonly access = new Map<string, AccessAnswer>();
  readonly calls: Array<{ op: DiagnosticsOp; args: unknown[] }> = [];
  private readonly failures: Array<{ op: DiagnosticsOp; error: Error | 'hang'; times: number; match?: string }> = [];

  constructor(settings: DiagnosticsSettings, rustService: string) {
    this.settings = settings;
    this.endpointCounts.set(rustService, { ready: 3, notReady: 0 });
    for (const name of ['mcp-gateway-python-a', 'mcp-gateway-python-b']) this.pods.set(name, { containers: ['gateway', 'sidecar'], logs: new Map() });
  }

  /** The next `times` calls of `op` (whose first argument contains `match`, when given) throw `error`, or never answer ('hang'). */
  failNext(op: DiagnosticsOp, error: Error | 'hang', times = 1, match?: string): void {
    this.failures.push({ op, error, times, match });
  }

  private async call(op: DiagnosticsOp, args: unknown[]): Promise<void> {
    this.calls.push({ op, args });
    const failure = this.failures.find((f) => f.op === op && f.times > 0 && (f.match === undefined || String(args[0]).includes(f.match)));
    if (!failure) return;
    failure.times--;
    if (failure.error === 'hang') await new Promise(() => undefined);
    throw failure.error;
  }

  setLog(pod: string, lines: string[], container = 'gateway'): void {
    this.pods.get(pod)!.logs.set(container, lines.map((l) => `${l}\n`).join(''));
  }

  async listPods(selector: string): Promise<PodSummary[]> {
    await this.call('listPods', [selector]);
    return [...this.pods.entries()].map(([name, p]) => ({ name, containers: [...p.containers], phase: 'Running', ready: true }));
  }

  async readPodLog(pod: string, container: string, tailLines: number): Promise<string> {
    await this.call('readPodLog', [pod, container, tailLines]);
    const found = this.pods.get(pod);
    if (!found) throw new ClusterError('not-found', `pods "${pod}" not found`);
    if (!found.containers.includes(container)) throw new ClusterError('invalid', `container ${container} is not valid for pod ${pod}`);
    const lines = (found.logs.get(container) ?? '').split('\n');
    lines.pop(); // every line ends with \n
    return lines.slice(-tailLines).map((l) => `${l}\n`).join('');
  }

  async events(object: { kind: string; name: string }, options: { type?: string } = {}): Promise<ClusterEvent[]> {
    await this.call('events', [object, options]);
    return this.eventList.filter((e) => e.object.kind === object.kind && e.object.name === object.name && (!options.type || e.type === options.type));
  }

  async endpoints(service: string): Promise<EndpointCounts> {
    await this.call('endpoints', [service]);
    return { ...(this.endpointCounts.get(service) ?? { ready: 0, notReady: 0 }) };
  }

  async proxyGet(service: string, port: number, path: string): Promise<ProxyAnswer> {
    await this.call('proxyGet', [service, port, path]);
    return { ...this.health };
  }

  async mayChange(object: ResourceRef, verb: string): Promise<AccessAnswer> {
    await this.call('mayChange', [object, verb]);
    return { ...(this.access.get(`${verb} ${object.resource}/${object.name}`) ?? { allowed: true, reason: 'allowed (test)' }) };
  }
}

/** Instant values by query; anything not set is "no data". */
export class InMemoryMetrics implements MetricsSource {
  readonly values = new Map<string, number | string>();
  readonly vectors = new Map<string, LabelledSamples>();
  readonly ranges = new Map<string, RangeSeries>();
  readonly asked: string[] = [];
  down = false;

  set(query: string, value: number | string): void {
    this.values.set(query, value);
  }

  async instant(query: string): Promise<Sample> {
    this.asked.push(query);
    if (this.down) return { ok: false, reason: 'Prometheus unreachable (test)' };
    const v = this.values.get(query);
    if (v === undefined) return { ok: false, reason: 'no data' };
    if (typeof v === 'string') return { ok: false, reason: v };
    return Number.isNaN(v) ? { ok: false, reason: 'NaN' } : { ok: true, value: v };
  }

  async range(query: string): Promise<RangeSeries> {
    this.asked.push(query);
    if (this.down) return { ok: false, reason: 'Prometheus unreachable (test)' };
    return this.ranges.get(query) ?? { ok: true, points: [] };
  }

  async instantVector(query: string): Promise<LabelledSamples> {
    this.asked.push(query);
    if (this.down) return { ok: false, reason: 'Prometheus unreachable (test)' };
    return this.vectors.get(query) ?? { ok: true, samples: [] };
  }
}

export class InMemoryAlerts implements AlertSource {
  alerts: FiringAlert[] = [];
  readonly silences: SilenceRequest[] = [];
  down = false;

  fire(name: string, severity = 'critical', extra: Partial<FiringAlert> = {}): void {
    this.alerts.push({ name, severity, startsAt: START.toISOString(), fingerprint: `${name}-${this.alerts.length}`, labels: { alertname: name, severity }, ...extra });
  }

  async firing(matchers: string[]): Promise<AlertQuery> {
    if (this.down) return { ok: false, reason: 'Alertmanager unreachable (test)' };
    // Alertmanager's matcher forms; regular expressions are anchored, as there.
    const tests = matchers.map((m) => {
      const [, name, op, value] = /^(\w+)(=~|!~|!=|=)"(.*)"$/.exec(m) ?? [];
      if (!name || value === undefined) throw new Error(`unsupported matcher ${m}`);
      const re = new RegExp(`^(?:${value})$`);
      return (labels: Record<string, string>) => {
        const v = labels[name] ?? '';
        return op === '=' ? v === value : op === '!=' ? v !== value : op === '=~' ? re.test(v) : !re.test(v);
      };
    });
    return { ok: true, alerts: this.alerts.filter((a) => tests.every((t) => t(a.labels))) };
  }

  async silence(request: SilenceRequest): Promise<string> {
    this.silences.push(request);
    return `silence-${this.silences.length}`;
  }
}

export class InMemoryDirectory implements ApproverDirectory {
  readonly groups = new Map<string, string[]>();
  async membersOf(groupId: string): Promise<string[]> {
    return this.groups.get(groupId) ?? [];
  }
}

/** Records what would be said; `failNext` makes the next calls throw as Slack would (rate limit, outage). */
export class RecordingAnnouncer implements AlertAnnouncer {
  readonly posts: AlertGroupRecord[] = [];
  readonly updates: AlertGroupRecord[] = [];
  readonly threads: AlertThreadEvent[] = [];
  private readonly failures = { post: 0, update: 0, thread: 0 };

  /** The next `times` calls (of one kind, or of every kind) fail. */
  failNext(times = 1, kind?: 'post' | 'update' | 'thread'): void {
    for (const k of kind ? [kind] : (['post', 'update', 'thread'] as const)) this.failures[k] += times;
  }

  private maybeFail(kind: 'post' | 'update' | 'thread'): void {
    if (this.failures[kind] > 0) {
      this.failures[kind]--;
      throw new Error('Slack chat.postMessage failed: ratelimited (test)');
    }
  }

  async post(record: AlertGroupRecord, _context: AlertMessageContext): Promise<{ channel: string; ts: string }> {
    this.maybeFail('post');
    this.posts.push(structuredClone(record));
    return { channel: 'C0ONCALL', ts: `1700.${String(this.posts.length).padStart(4, '0')}` };
  }

  async update(record: AlertGroupRecord): Promise<void> {
    this.maybeFail('update');
    this.updates.push(structuredClone(record));
  }

  async thread(_record: AlertGroupRecord, event: AlertThreadEvent): Promise<void> {
    this.maybeFail('thread');
    this.threads.push(event);
  }
}

export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; obj: object; msg?: string }> = [];
  info(obj: object, msg?: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
}

/** The store's methods that talk to the store (everything but close). */
export type StoreMethod = Exclude<keyof StateStore, 'close'>;

const STORE_METHODS: StoreMethod[] = [
  'ping',
  'createRequest',
  'getRequest',
  'getPendingRequest',
  'transitionRequest',
  'appendAudit',
  'recentAudit',
  'getAlertGroup',
  'saveAlertGroup',
  'acquireLock',
  'releaseLock',
  'scheduleJob',
  'cancelJobs',
  'claimDueJobs',
  'claimOnce',
  'getValue',
  'setValue',
];

/**
 * Makes the store fail as Redis does: `down` rejects at once (connection refused), `stall` never answers
 * (a reachable but stuck Redis); `only` limits it to some methods. `heal` puts it back.
 */
export class StoreFault {
  private mode: 'ok' | 'down' | 'stall' = 'ok';
  private only: Set<StoreMethod> | undefined;
  /** Calls made while faulty, by method. */
  readonly hits: StoreMethod[] = [];

  constructor(store: MemoryStateStore) {
    for (const name of STORE_METHODS) {
      const original = (store[name] as (...args: unknown[]) => Promise<unknown>).bind(store);
      (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        if (this.mode === 'ok' || (this.only && !this.only.has(name))) return original(...args);
        this.hits.push(name);
        if (this.mode === 'stall') return new Promise(() => undefined);
        return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379 (test)'));
      };
    }
  }

  down(only?: StoreMethod[]): void {
    this.mode = 'down';
    this.only = only && new Set(only);
  }

  stall(only?: StoreMethod[]): void {
    this.mode = 'stall';
    this.only = only && new Set(only);
  }

  heal(): void {
    this.mode = 'ok';
    this.only = undefined;
  }
}

export interface Kit {
  deps: AlertDeps;
  router: InMemoryRouter;
  cluster: InMemoryCluster;
  /** The diagnostics' cluster reads (pods, logs, events, endpoints, the Rust health answer). */
  diagnostics: InMemoryDiagnostics;
  metrics: InMemoryMetrics;
  alerts: InMemoryAlerts;
  store: MemoryStateStore;
  directory: InMemoryDirectory;
  announcer: RecordingAnnouncer;
  clock: TestClock;
  logger: RecordingLogger;
  /** Healthy metrics, no alerts: GO. */
  makeHealthy(): void;
  /** The canary at `percent`, applied by the bot `hoursAgo` hours ago (past the 48 h hold by default). */
  holdAt(percent: number, hoursAgo?: number): void;
  /** Shadow mode's exit criterion met: the last SHADOW_REQUIRED_DAYS days each above SHADOW_MATCH_MIN. */
  meetShadowCriterion(): void;
  /** The audit trail, newest first (entries not yet written to the store included). */
  auditEntries(): Promise<AuditEntry[]>;
  /** The configuration the kit was built from (queries, thresholds). */
  config: Config;
  /** Makes the store fail on demand (down or stalled). */
  storeFault: StoreFault;
  /** Another replica of the bot: its own router object and audit trail, the same store, cluster, clock and Slack. */
  replica(): AlertDeps;
}

/** The core wired to in-memory ports; `env` is read like the bot's environment (defaults are the runbook's). */
export function coreKit(env: Record<string, string> = {}): Kit {
  const config = readConfig({ BUSINESS_HOURS: 'always', CANARY_APPROVERS: 'U0BOB,S0APPROVERS', ESCALATION_L1: 'U0ONCALL', ESCALATION_L2: 'S0LEAD', ESCALATION_L3: 'U0RUST', ...env });
  const clock = new TestClock();
  const router = new InMemoryRouter(config.dryRun, { canRemoveRoute: config.router.kind === 'ingress-nginx' });
  const cluster = new InMemoryCluster(config.dryRun, config.kube);
  const diagnostics = new InMemoryDiagnostics(config.diagnostics, config.kube.rustService);
  const metrics = new InMemoryMetrics();
  const alerts = new InMemoryAlerts();
  const store = new MemoryStateStore();
  const storeFault = new StoreFault(store);
  const directory = new InMemoryDirectory();
  directory.groups.set('S0APPROVERS', ['U0CAROL']);
  const announcer = new RecordingAnnouncer();
  const logger = new RecordingLogger();
  const { policy, alertPolicy } = corePolicies(config, { statusShareMs: 0, firedAlertsQuery: (window) => `fired[${window}]` });
  let ids = 0;
  const deps: AlertDeps = {
    router,
    cluster,
    diagnostics,
    metrics,
    alerts,
    store,
    directory,
    audit: new AuditTrail(store, logger),
    clock,
    logger,
    policy,
    newId: () => `req${++ids}`,
    announcer,
    alertPolicy,
  };
  const kit: Kit = {
    deps,
    router,
    cluster,
    diagnostics,
    metrics,
    alerts,
    store,
    directory,
    announcer,
    clock,
    logger,
    makeHealthy() {
      metrics.set(config.goNoGo.errorRateQuery, 0.0004);
      metrics.set(config.goNoGo.rustP99Query, 0.12);
      metrics.set(config.goNoGo.pythonP99Query, 0.1);
      alerts.alerts = [];
    },
    holdAt(percent, hoursAgo = 60) {
      router.setWeight(percent, { hoursAgo, clock });
    },
    meetShadowCriterion() {
      const day = 86_400_000;
      const end = Math.floor(clock.now().getTime() / day) * day;
      const points: Array<[number, number]> = Array.from({ length: config.shadow.requiredDays }, (_, i) => [end - (config.shadow.requiredDays - 1 - i) * day, 0.9995]);
      metrics.ranges.set(config.shadow.dailyMatchQuery, { ok: true, points });
    },
    async auditEntries() {
      return (await deps.audit.recent(1000)).entries;
    },
    config,
    storeFault,
    replica: () => ({ ...deps, router: router.replica(), audit: new AuditTrail(store, logger) }),
  };
  kit.makeHealthy();
  return kit;
}
