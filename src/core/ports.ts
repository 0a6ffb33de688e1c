// What the domain core needs from the outside world. Adapters in src/adapters implement these;
// the core never imports Slack, Kubernetes, Redis or HTTP code.
import type { RollbackOutcome } from './rollback.js';

// ---------- Kubernetes: the canary Ingress and the two deployments ----------

/** The canary Ingress as ingress-nginx sees it. Weights are raw annotation values out of `weightTotal`. */
export interface CanaryState {
  exists: boolean;
  /** nginx.ingress.kubernetes.io/canary == "true" */
  canaryEnabled: boolean;
  weight: number;
  /** canary-weight-total when above 100, else 100 (ingress-nginx ignores totals below 100). */
  weightTotal: number;
  /** canary-by-header / -header-value / -header-pattern / -cookie: they route to Rust whatever the weight. */
  routingRules: Record<string, string>;
  /** What the bot recorded on the Ingress when it last changed the weight (survives a Redis loss). */
  lastApplied?: { weight: number; at: string; by: string };
  resourceVersion?: string;
}

export interface DeploymentReadiness {
  name: string;
  desired: number;
  ready: number;
  available: number;
  updated: number;
  /** What `kubectl rollout status` calls complete. */
  rolloutComplete: boolean;
}

export interface WeightPatch {
  weight: number;
  /** Annotation keys (full names) to remove. */
  removeAnnotations?: string[];
  /** Merge-patch precondition: the write fails with a conflict when the Ingress changed since it was read. */
  expectedResourceVersion?: string;
  appliedBy: string;
  appliedAt: string;
}

export interface ContainerEnv {
  container: string;
  env: Record<string, string>;
}

/** Every write takes `dryRun`: a server-side dry run (validated by the API server, nothing persisted). */
export interface WriteOptions {
  dryRun?: boolean;
}

export interface CanaryCluster {
  readCanary(): Promise<CanaryState>;
  patchCanaryWeight(patch: WeightPatch, options?: WriteOptions): Promise<CanaryState>;
  deleteCanary(options?: WriteOptions): Promise<void>;
  readDeployment(name: string): Promise<DeploymentReadiness>;
  /** Plain `value` env vars of each container of a deployment. */
  readDeploymentEnv(name: string): Promise<ContainerEnv[]>;
  /** Like `kubectl set env`: a strategic merge patch of one container's env, other vars and containers untouched. */
  setDeploymentEnv(name: string, container: string, env: Record<string, string>, options?: WriteOptions): Promise<void>;
  deleteDeployment(name: string, options?: WriteOptions): Promise<void>;
  deleteService(name: string, options?: WriteOptions): Promise<void>;
  /** Points every backend of an Ingress that uses `fromService` at `toService:port`; returns how many were changed. */
  repointIngress(ingress: string, fromService: string, toService: string, port: number, options?: WriteOptions): Promise<number>;
  /** Names shown in messages and audit entries. */
  readonly targets: ClusterTargets;
  /** DRY_RUN: every write is a server-side dry run whatever the caller asks. */
  readonly dryRun: boolean;
}

export interface ClusterTargets {
  namespace: string;
  canaryIngress: string;
  rustDeployment: string;
  pythonDeployment: string;
  primaryIngress: string;
  rustService: string;
  rustServicePort: number;
  pythonService: string;
}


// ---------- Prometheus and Alertmanager ----------

/** A single instant value. Missing, NaN and unreachable values are failures with a reason: fail closed. */
export type Sample = { ok: true; value: number } | { ok: false; reason: string };

/** A range of one series; null marks a gap (no sample, or NaN). */
export type RangeSeries = { ok: true; points: Array<[atMs: number, value: number | null]> } | { ok: false; reason: string };

/** Several labelled series at one instant. */
export type LabelledSamples = { ok: true; samples: Array<{ labels: Record<string, string>; value: number }> } | { ok: false; reason: string };

export interface MetricsSource {
  /** Never throws: every failure becomes `{ ok: false, reason }`. */
  instant(query: string): Promise<Sample>;
  /** One series over [start, end] at `stepMs`, gaps filled with null. Never throws. */
  range(query: string, window: { start: Date; end: Date; stepMs: number }): Promise<RangeSeries>;
  /** Every series of an instant vector, with labels (e.g. which alerts fired). Never throws. */
  instantVector(query: string): Promise<LabelledSamples>;
}

export interface FiringAlert {
  name: string;
  severity: string;
  summary?: string;
  startsAt: string;
  fingerprint: string;
  labels: Record<string, string>;
  generatorURL?: string;
  /** Muted in Alertmanager: still firing for the go/no-go and the guard, which a silence never opens. */
  suppressed?: { silences: AlertSilence[]; inhibited: boolean };
}

export interface AlertSilence {
  id: string;
  createdBy?: string;
  endsAt?: string;
}

export type AlertQuery = { ok: true; alerts: FiringAlert[] } | { ok: false; reason: string };

export interface SilenceRequest {
  /** Label equality matchers. */
  matchers: Record<string, string>;
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

export interface AlertSource {
  /** Firing alerts matching every matcher (e.g. severity="critical"), silenced and inhibited ones included (marked). Never throws. */
  firing(matchers: string[]): Promise<AlertQuery>;
  /** Creates a silence; returns its ID. Throws with a readable message on failure. */
  silence(request: SilenceRequest): Promise<string>;
}

// ---------- Alert notifications (Alertmanager webhook, parsed by its adapter) ----------

export interface AlertInstance {
  fingerprint: string;
  name: string;
  severity: string;
  status: 'firing' | 'resolved';
  summary?: string;
  description?: string;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
  labels: Record<string, string>;
}

export interface AlertNotification {
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  externalURL?: string;
  truncatedAlerts: number;
  alerts: AlertInstance[];
}

/** One Alertmanager group as the channel sees it: one message, updated in place. */
export interface AlertGroupRecord {
  id: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  alerts: AlertInstance[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  externalURL?: string;
  truncatedAlerts: number;
  critical: boolean;
  channel?: string;
  ts?: string;
  /** Start of the current firing episode (a re-fire after resolution starts a new one). */
  firingSince: string;
  episode: number;
  resolvedAt?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  acknowledgedVia?: 'button' | 'rollback' | 'auto-rollback';
  /** Escalation levels already mentioned in this episode. */
  escalated: number[];
  silence?: { id: string; by: string; until: string };
  autoRollback?: { at: string; outcome: string };
  /** Fingerprint of what the message shows, to skip no-op updates on repeated notifications. */
  renderedHash?: string;
}

/** What happens to an alert group that the channel should read in the group's thread. */
export type AlertThreadEvent =
  | { kind: 'resolved'; at: string }
  | { kind: 'refired'; at: string; names: string[] }
  | { kind: 'joined'; names: string[] }
  | { kind: 'escalation'; level: number; target: string; names: string[]; action?: string }
  | { kind: 'auto-rollback'; outcome: RollbackOutcome }
  | { kind: 'acknowledged'; by: string; at: string; via: 'button' | 'rollback' | 'auto-rollback' }
  | { kind: 'silenced'; by: string; until: string; silenceId: string };

export interface AlertMessageContext {
  /** Live canary weight when the message was rendered, or why it is unknown. */
  canaryPercent?: number;
  canaryError?: string;
  /** The runbook's action for each alert name in the group. */
  actions: Record<string, string>;
  rollbackAlerts: string[];
  /** When the next escalation is due, if one is. */
  nextEscalation?: { level: number; at: string };
  dryRun: boolean;
}

/** Posts alert groups to the channel (Slack in production); the core decides what, this says it. */
export interface AlertAnnouncer {
  post(record: AlertGroupRecord, context: AlertMessageContext): Promise<{ channel: string; ts: string }>;
  update(record: AlertGroupRecord, context: AlertMessageContext): Promise<void>;
  thread(record: AlertGroupRecord, event: AlertThreadEvent): Promise<void>;
}

// ---------- Slack directory ----------

export interface ApproverDirectory {
  /** Members of a Slack user group (S...). Throws when Slack cannot answer. */
  membersOf(groupId: string): Promise<string[]>;
}

// ---------- State store (Redis in production, memory for local use) ----------

export type RequestStatus = 'pending' | 'applying' | 'applied' | 'rejected' | 'refused' | 'expired' | 'failed' | 'cancelled';

export interface EvidenceSnapshot {
  verdict: 'GO' | 'NO-GO';
  evaluatedAt: string;
  criteria: Array<{ label: string; value: string; threshold: string; pass: boolean }>;
  reasons: string[];
}

export interface ApprovalRequest {
  id: string;
  /** A weight increase (default) or the post-migration cleanup. */
  kind?: 'weight' | 'finalize';
  status: RequestStatus;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  fromPercent: number;
  toPercent: number;
  evidence: EvidenceSnapshot;
  channel?: string;
  messageTs?: string;
  decidedBy?: string;
  decidedAt?: string;
  /** Why it ended the way it did, in words for the channel. */
  outcome?: string;
  /** Evidence at decision time, when the go/no-go was evaluated again. */
  decisionEvidence?: EvidenceSnapshot;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action:
    | 'weight-change-requested'
    | 'weight-change-approved'
    | 'weight-change-rejected'
    | 'weight-change-refused'
    | 'weight-change-expired'
    | 'weight-change-failed'
    | 'weight-decreased'
    | 'rollback'
    | 'rollback-noop'
    | 'rollback-failed'
    | 'shadow-toggled'
    | 'alert-acknowledged'
    | 'alert-silenced'
    | 'drift-detected'
    | 'finalize-requested'
    | 'finalize-step'
    | 'finalize-finished'
    | 'job-undeliverable';
  summary: string;
  fromPercent?: number;
  toPercent?: number;
  requestId?: string;
  evidence?: EvidenceSnapshot;
  dryRun?: boolean;
}

export type CreateRequestResult = { created: true; request: ApprovalRequest } | { created: false; pending: ApprovalRequest };

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

  /** Durable timers: they survive restarts, and each due job is claimed by exactly one replica. */
  scheduleJob(id: string, dueAt: Date): Promise<void>;
  cancelJobs(ids: string[]): Promise<void>;
  claimDueJobs(now: Date, limit: number): Promise<string[]>;

  /** True the first time `key` is claimed within `ttlMs`, false afterwards (on any replica). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;

  /** Small JSON values (e.g. the last known state of the canary Ingress). */
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
