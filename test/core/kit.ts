// The fast tier's kit: the core's ports in memory (cluster, metrics, alerts, directory, announcer, clock),
// the real in-memory store and audit trail, and the policy from configuration defaults. Core use cases run
// against it in milliseconds; every port records what it was asked and can be made to fail.
import { MemoryStateStore } from '../../src/adapters/store/memory-store.js';
import { readConfig } from '../../src/config.js';
import type { AlertDeps, AlertPolicy } from '../../src/core/alerts.js';
import { AuditTrail } from '../../src/core/audit.js';
import type { CorePolicy } from '../../src/core/deps.js';
import { type AlertAnnouncer, type AlertGroupRecord, type AlertMessageContext, type AlertQuery, type AlertSource, type AlertThreadEvent, type ApproverDirectory, type CanaryCluster, type CanaryState, type Clock, type ClusterTargets, type ContainerEnv, type DeploymentReadiness, type FiringAlert, type LabelledSamples, type Logger, type MetricsSource, type RangeSeries, type Sample, type SilenceRequest, type WeightPatch, type WriteOptions } from '../../src/core/ports.js';
import { ClusterError } from '../../src/core/errors.js';

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

type ClusterOp = 'readCanary' | 'patchCanaryWeight' | 'deleteCanary' | 'readDeployment' | 'readDeploymentEnv' | 'setDeploymentEnv';

export class InMemoryCluster implements CanaryCluster {
  readonly targets: ClusterTargets = readConfig({}).kube;
  canary: CanaryState = { exists: true, canaryEnabled: true, weight: 0, weightTotal: 100, routingRules: {}, resourceVersion: '1' };
  readonly deployments = new Map<string, DeploymentReadiness>();
  readonly env = new Map<string, ContainerEnv[]>();
  /** Every write, in order, with its dry-run flag. */
  readonly writes: Array<{ op: ClusterOp; args: unknown; dryRun: boolean }> = [];
  private readonly failures: Array<{ op: ClusterOp; error: Error; times: number }> = [];

  constructor(readonly dryRun = false) {
    for (const name of [this.targets.rustDeployment, this.targets.pythonDeployment]) {
      this.deployments.set(name, { name, desired: 3, ready: 3, available: 3, updated: 3, rolloutComplete: true });
    }
    this.env.set(this.targets.pythonDeployment, [{ container: 'gateway', env: { LOG_LEVEL: 'info' } }]);
  }

  /** The next `times` calls of `op` throw `error` (a ClusterError by default). */
  failNext(op: ClusterOp, error: Error = new ClusterError('unavailable', 'Kubernetes API unreachable (test)'), times = 1): void {
    this.failures.push({ op, error, times });
  }

  setWeight(weight: number, lastApplied?: { hoursAgo: number; clock: Clock }): void {
    this.canary = { ...this.canary, exists: true, weight, resourceVersion: String(Number(this.canary.resourceVersion ?? 0) + 1) };
    if (lastApplied) {
      const at = new Date(lastApplied.clock.now().getTime() - lastApplied.hoursAgo * 3_600_000).toISOString();
      this.canary.lastApplied = { weight, at, by: 'U0ALICE' };
    }
  }

  private fail(op: ClusterOp): void {
    const failure = this.failures.find((f) => f.op === op && f.times > 0);
    if (!failure) return;
    failure.times--;
    throw failure.error;
  }

  private write(op: ClusterOp, args: unknown, options?: WriteOptions): boolean {
    const dryRun = this.dryRun || options?.dryRun === true;
    this.writes.push({ op, args, dryRun });
    return dryRun;
  }

  async readCanary(): Promise<CanaryState> {
    this.fail('readCanary');
    return structuredClone(this.canary);
  }

  async patchCanaryWeight(patch: WeightPatch, options?: WriteOptions): Promise<CanaryState> {
    this.fail('patchCanaryWeight');
    if (!this.canary.exists) throw new ClusterError('not-found', 'ingress not found');
    if (patch.expectedResourceVersion && patch.expectedResourceVersion !== this.canary.resourceVersion) throw new ClusterError('conflict', 'the object has been modified');
    if (this.write('patchCanaryWeight', patch, options)) return structuredClone(this.canary);
    const routingRules = { ...this.canary.routingRules };
    for (const key of patch.removeAnnotations ?? []) delete routingRules[key];
    this.canary = {
      ...this.canary,
      weight: patch.weight,
      routingRules,
      lastApplied: { weight: patch.weight, at: patch.appliedAt, by: patch.appliedBy },
      resourceVersion: String(Number(this.canary.resourceVersion ?? 0) + 1),
    };
    return structuredClone(this.canary);
  }

  async deleteCanary(options?: WriteOptions): Promise<void> {
    this.fail('deleteCanary');
    if (this.write('deleteCanary', {}, options)) return;
    this.canary = { exists: false, canaryEnabled: false, weight: 0, weightTotal: 100, routingRules: {} };
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
    this.fail('setDeploymentEnv');
    if (this.write('setDeploymentEnv', { name, container, env }, options)) return;
    const containers = this.env.get(name) ?? [];
    const target = containers.find((c) => c.container === container);
    if (target) Object.assign(target.env, env);
  }

  async deleteDeployment(name: string, options?: WriteOptions): Promise<void> {
    if (!this.write('readDeployment', { delete: name }, options)) this.deployments.delete(name);
  }

  async deleteService(): Promise<void> {}

  async repointIngress(): Promise<number> {
    return 1;
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
    const wanted = matchers.map((m) => /^(\w+)="(.*)"$/.exec(m)).filter((m): m is RegExpExecArray => m !== null);
    return { ok: true, alerts: this.alerts.filter((a) => wanted.every(([, k, v]) => a.labels[k!] === v)) };
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

export interface Kit {
  deps: AlertDeps;
  cluster: InMemoryCluster;
  metrics: InMemoryMetrics;
  alerts: InMemoryAlerts;
  store: MemoryStateStore;
  directory: InMemoryDirectory;
  announcer: RecordingAnnouncer;
  clock: TestClock;
  logger: RecordingLogger;
  /** Healthy metrics, no alerts: GO. */
  makeHealthy(): void;
}

/** The core wired to in-memory ports; `env` is read like the bot's environment (defaults are the runbook's). */
export function coreKit(env: Record<string, string> = {}): Kit {
  const config = readConfig({ BUSINESS_HOURS: 'always', CANARY_APPROVERS: 'U0BOB,S0APPROVERS', ESCALATION_L1: 'U0ONCALL', ESCALATION_L2: 'S0LEAD', ESCALATION_L3: 'U0RUST', ...env });
  const clock = new TestClock();
  const cluster = new InMemoryCluster(config.dryRun);
  const metrics = new InMemoryMetrics();
  const alerts = new InMemoryAlerts();
  const store = new MemoryStateStore();
  const directory = new InMemoryDirectory();
  directory.groups.set('S0APPROVERS', ['U0CAROL']);
  const announcer = new RecordingAnnouncer();
  const logger = new RecordingLogger();
  const policy: CorePolicy = {
    ramp: config.ramp,
    goNoGo: config.goNoGo,
    approvalTtlMs: config.approvalTtlMs,
    approvers: config.slack.approvers,
    dryRun: config.dryRun,
    shadow: config.shadow,
    statusShareMs: 0,
    firedAlertsQuery: (window) => `fired[${window}]`,
  };
  const alertPolicy: AlertPolicy = {
    actions: config.alertActions,
    rollbackAlerts: config.rollbackAlerts,
    criticalSeverity: config.criticalSeverity,
    autoRollbackOnCritical: config.autoRollbackOnCritical,
    escalation: config.escalation,
  };
  let ids = 0;
  const deps: AlertDeps = {
    cluster,
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
    cluster,
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
  };
  kit.makeHealthy();
  return kit;
}
