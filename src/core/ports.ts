// What the domain core needs from the outside world: interfaces only. Adapters in src/adapters implement
// them; the core never imports Slack, Kubernetes, Redis or HTTP code. The data they carry is in entities.ts.
import type {
  AccessAnswer,
  AlertGroupRecord,
  AlertMessageContext,
  AlertQuery,
  AlertThreadEvent,
  ApprovalRequest,
  AuditEntry,
  CanaryRoute,
  ClusterEvent,
  ContainerEnv,
  CreateRequestResult,
  DeploymentReadiness,
  EndpointCounts,
  LabelledSamples,
  PodSummary,
  ProxyAnswer,
  RangeSeries,
  RequestStatus,
  ResourceRef,
  RouteCopy,
  RouteRef,
  RouteShapeCheck,
  Sample,
  SilenceRequest,
} from './entities.js';

/** Every write takes `dryRun`: a server-side dry run (validated by the API server, nothing persisted). */
export interface WriteOptions {
  dryRun?: boolean;
}

// ---------- The traffic router: the canary route, whatever the traffic layer ----------

export interface PercentChange {
  percent: number;
  /** Fails with a conflict when the route changed since this version was read. */
  expectedVersion?: string;
  appliedBy: string;
  appliedAt: string;
}

/** What putting the canary route in place did. */
export type RouteApplied = { kind: 'created'; from: 'kept-copy' | 'manifest' } | { kind: 'canary-added'; rules: number } | { kind: 'already-present' };

export interface TrafficRouter {
  /** The canary route. */
  readonly ref: RouteRef;
  /** The object that carries the primary's traffic (the cleanup points it at the canary service). */
  readonly primaryRef: RouteRef;
  /** DRY_RUN: every write is a server-side dry run whatever the caller asks. */
  readonly dryRun: boolean;
  /** The object rollback writes, as the cluster's access control names it (diagnostics ask whether the bot may). */
  readonly resource: ResourceRef;
  readRoute(): Promise<CanaryRoute>;
  /** Sets the canary percent on every split rule, and nothing else. */
  setPercent(change: PercentChange, options?: WriteOptions): Promise<CanaryRoute>;
  /** Rollback's write: percent 0 and every routing rule removed, without a precondition (it must win). */
  resetToPrimary(by: { appliedBy: string; appliedAt: string }, options?: WriteOptions): Promise<CanaryRoute>;
  /** The object as it is now, to keep before removing it. */
  copyRoute(): Promise<RouteCopy | undefined>;
  /**
   * The runbook's last resort when writing 0 keeps failing: remove the canary route so the primary gets
   * everything. Absent where that would take the primary's traffic down too.
   */
  removeCanaryRoute?(options?: WriteOptions): Promise<void>;
  /** Puts the canary route in place at 0 when absent (from the kept copy, else the configured manifest). */
  applyCanaryRoute(copy: RouteCopy | undefined, by: { appliedBy: string; appliedAt: string }, options?: WriteOptions): Promise<RouteApplied>;
  /**
   * Cleanup: the primary route sends everything to the canary service; returns how many backends changed (0 when
   * it already did). Throws when the primary route has a backend on neither service.
   */
  promoteCanaryToPrimary(options?: WriteOptions): Promise<number>;
  /** Cleanup: the canary-only parts of the route go (its last step). */
  removeCanaryParts(options?: WriteOptions): Promise<void>;
  /** The commands an engineer runs by hand when the bot cannot write. */
  manualRollbackCommands(): string[];
  /**
   * The commands that show what the traffic layer's controller says about the canary route (its logs, or how
   * to find the controller whose logs say it): why it skips or rejects the route. Pure: no request.
   */
  troubleshootingCommands(): string[];
  /**
   * Read-only, for diagnostics: does the canary route exist, match the primary route (what requests it
   * serves) and get accepted by the traffic layer. One entry per aspect, in the traffic layer's words.
   */
  checkRouteShape(): Promise<RouteShapeCheck[]>;
}

// ---------- The cluster: the two deployments and their services ----------

export interface ClusterTargets {
  namespace: string;
  rustDeployment: string;
  pythonDeployment: string;
  rustService: string;
  rustServicePort: number;
  pythonService: string;
}

export interface Cluster {
  readonly targets: ClusterTargets;
  readonly dryRun: boolean;
  readDeployment(name: string): Promise<DeploymentReadiness>;
  /** Plain `value` env vars of each container of a deployment. */
  readDeploymentEnv(name: string): Promise<ContainerEnv[]>;
  /** Like `kubectl set env`: one container's env changed, other vars and containers untouched. */
  setDeploymentEnv(name: string, container: string, env: Record<string, string>, options?: WriteOptions): Promise<void>;
  deleteDeployment(name: string, options?: WriteOptions): Promise<void>;
  deleteService(name: string, options?: WriteOptions): Promise<void>;
}

// ---------- Prometheus and Alertmanager ----------

export interface MetricsSource {
  /** Never throws: every failure becomes `{ ok: false, reason }`. */
  instant(query: string): Promise<Sample>;
  /** One series over [start, end] at `stepMs`, gaps filled with null. Never throws. */
  range(query: string, window: { start: Date; end: Date; stepMs: number }): Promise<RangeSeries>;
  /** Every series of an instant vector, with labels (e.g. which alerts fired). Never throws. */
  instantVector(query: string): Promise<LabelledSamples>;
}

export interface AlertSource {
  /** Firing alerts matching every matcher (e.g. severity="critical"), silenced and inhibited ones included (marked). Never throws. */
  firing(matchers: string[]): Promise<AlertQuery>;
  /** Creates a silence; returns its ID. Throws with a readable message on failure. */
  silence(request: SilenceRequest): Promise<string>;
}

/** Posts alert groups to the channel (Slack in production); the core decides what, this says it. */
export interface AlertAnnouncer {
  post(record: AlertGroupRecord, context: AlertMessageContext): Promise<{ channel: string; ts: string }>;
  update(record: AlertGroupRecord, context: AlertMessageContext): Promise<void>;
  thread(record: AlertGroupRecord, event: AlertThreadEvent): Promise<void>;
}

export interface ApproverDirectory {
  /** Members of a chat user group (S...). Throws when the chat cannot answer. */
  membersOf(groupId: string): Promise<string[]>;
}

// ---------- State store (Redis in production, memory for local use) ----------

/** A claimed job: its id and the payload it was scheduled with. */
export interface JobClaim {
  id: string;
  payload?: string;
}

export interface StateStore {
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  /** Atomically creates the request unless another is pending (one pending request at a time). */
  createRequest(request: ApprovalRequest, ttlMs: number): Promise<CreateRequestResult>;
  getRequest(id: string): Promise<ApprovalRequest | undefined>;
  getPendingRequest(): Promise<ApprovalRequest | undefined>;
  /**
   * Compare-and-set on the status: applies `changes` only when the request is in `from`.
   * This is what makes an approval apply exactly once across replicas.
   */
  transitionRequest(
    id: string,
    from: RequestStatus,
    changes: Partial<ApprovalRequest> & { status?: RequestStatus },
  ): Promise<ApprovalRequest | undefined>;
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  recentAudit(limit: number): Promise<AuditEntry[]>;

  getAlertGroup(id: string): Promise<AlertGroupRecord | undefined>;
  saveAlertGroup(record: AlertGroupRecord): Promise<void>;

  /** A lock shared by every replica; returns a token to release it with, or undefined when held elsewhere. */
  acquireLock(name: string, ttlMs: number): Promise<string | undefined>;
  releaseLock(name: string, token: string): Promise<void>;

  /**
   * Durable timers: they survive restarts, and each due job is claimed by exactly one replica. Scheduling an
   * id again replaces its due time and payload (an opaque string kept with the job; none when absent).
   */
  scheduleJob(id: string, dueAt: Date, payload?: string): Promise<void>;
  /** Takes the jobs off the store, payloads included; unknown ids are ignored. */
  cancelJobs(ids: string[]): Promise<void>;
  /**
   * Due jobs, oldest first, whose id starts with one of `prefixes` (any id when absent). Each is claimed by
   * exactly one caller. With `leaseMs` a claimed job stays in the store, due again `leaseMs` after `now`
   * unless the claimer takes it off (cancelJobs) or schedules it again first: a replica that dies while
   * running it loses nothing. Without it the job is taken off at once.
   */
  claimDueJobs(now: Date, limit: number, options?: { prefixes?: string[]; leaseMs?: number }): Promise<JobClaim[]>;

  /** True the first time `key` is claimed within `ttlMs`, false afterwards (on any replica). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;

  /** Small JSON values (e.g. the last known state of the canary route). */
  getValue<T>(key: string): Promise<T | undefined>;
  setValue(key: string, value: unknown): Promise<void>;

  close(): Promise<void>;
}

// ---------- Time and logging ----------

export interface Clock {
  now(): Date;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

// ---------- Diagnostics: what the runbook's troubleshooting reads from the cluster ----------

export interface DiagnosticsSettings {
  /** RUST_HEALTH_PATH: the Rust gateway's health endpoint, starting with '/'. */
  rustHealthPath: string;
  /** DIAGNOSE_LOG_LINES: the last lines read from each pod's log. */
  logLines: number;
  /** PYTHON_POD_SELECTOR: a label selector of the Python gateway's pods. */
  pythonPodSelector: string;
}

/**
 * Read-only: it never changes the cluster (asking whether the bot may is a POST that stores nothing). Every
 * call has a deadline; a refused one throws a ClusterError 'forbidden' whose detail names the verb and the
 * resource, so a missing permission becomes a finding; credentials the API server does not accept throw
 * 'unauthenticated'.
 */
export interface ClusterDiagnostics {
  readonly settings: DiagnosticsSettings;
  /** Pods matching a label selector. */
  listPods(selector: string): Promise<PodSummary[]>;
  /** The last `tailLines` lines of one container's log. */
  readPodLog(pod: string, container: string, tailLines: number): Promise<string>;
  /** Events about one object (of one type, e.g. Warning, when given). */
  events(object: { kind: string; name: string }, options?: { type?: string }): Promise<ClusterEvent[]>;
  /** Ready and not-ready endpoints of a Service. */
  endpoints(service: string): Promise<EndpointCounts>;
  /** GET `path` on a Service through the API server's service proxy: whatever HTTP status it answers is an answer, not an error. */
  proxyGet(service: string, port: number, path: string): Promise<ProxyAnswer>;
  /** Whether the bot may `verb` the object, as the cluster's authorizer answers (nothing is attempted). */
  mayChange(object: ResourceRef, verb: string): Promise<AccessAnswer>;
}
