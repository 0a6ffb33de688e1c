// What the core knows, in its own terms: the canary route and its percent, routing rules, deployments,
// metric samples, alerts, approval requests, audit entries and what each use case decided. Plain data:
// ids, numbers, times (ISO strings) and reasons; the views word them, and no traffic layer's vocabulary
// (annotations, route fields) appears here.

// ---------- The traffic split ----------

/**
 * An object as the cluster's access control names it: its API group ('' for the core group), its resource
 * (plural), name and namespace. What the bot asks "may I change this?" about.
 */
export interface ResourceRef {
  group: string;
  resource: string;
  name: string;
  namespace: string;
}

/** The cluster's answer to "may the bot do this?", with the authorizer's reason when it gives one. */
export interface AccessAnswer {
  allowed: boolean;
  reason?: string;
}

/** Which route the bot drives: the router (TRAFFIC_ROUTER), the kind of object and its name, for messages. */
export interface RouteRef {
  router: string;
  kind: string;
  name: string;
  namespace: string;
}

/** A rule that sends requests to the canary whatever the percent (a header or cookie match). */
export interface RoutingRule {
  kind: 'header' | 'cookie';
  /** Header or cookie name. */
  name: string;
  /** The value (or pattern) it must have, when the rule says one. */
  value?: string;
}

/** A condition the traffic layer reports on the route (e.g. accepted by its gateway, references resolved). */
export interface RouteCondition {
  type: string;
  ok: boolean;
  reason?: string;
  message?: string;
  /** Who reported it (the gateway controller), when several do. */
  reporter?: string;
}

/** The canary route as the core sees it, whatever the router. */
export interface CanaryRoute {
  ref: RouteRef;
  /** The canary part of the route exists (it may be absent after a fallback rollback, or never applied). */
  exists: boolean;
  /** Set up to split traffic; `problem` says why not (it blocks increases). */
  splitProblem?: string;
  /** Share of requests the canary gets by the split, 0..100 (may be fractional). */
  percent: number;
  /** Every split rule's own percent, when the route has several: they must agree. */
  splitPercents?: number[];
  routingRules: RoutingRule[];
  /** What the bot recorded on the route when it last changed the percent (survives a Redis loss). */
  lastApplied?: { percent: number; at: string; by: string };
  /** Opaque version for optimistic concurrency (the object's resourceVersion). */
  version?: string;
  conditions: RouteCondition[];
}

/** A copy of the canary route object, kept before the bot removes it, so it can be put back. */
export interface RouteCopy {
  savedAt: string;
  object: unknown;
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

export interface ContainerEnv {
  container: string;
  /** Variables with a plain value. */
  env: Record<string, string>;
  /** Variables that take their value from elsewhere (a Secret, a ConfigMap, a field): where from; the value is not read. */
  fromRefs?: Record<string, EnvSource>;
}

/** Where a variable set by reference takes its value: a Secret's or ConfigMap's key, a field of the pod, a resource. */
export interface EnvSource {
  kind: 'Secret' | 'ConfigMap' | 'field' | 'resource' | 'other';
  /** The Secret or ConfigMap; the field path; the resource. */
  name: string;
  /** The key in the Secret or ConfigMap. */
  key?: string;
}

// ---------- Metrics and alerts ----------

/** A single instant value. Missing, NaN and unreachable values are failures with a reason: fail closed. */
export type Sample = { ok: true; value: number } | { ok: false; reason: string };

/** A range of one series; null marks a gap (no sample, or NaN). */
export type RangeSeries = { ok: true; points: Array<[atMs: number, value: number | null]> } | { ok: false; reason: string };

/** Several labelled series at one instant. */
export type LabelledSamples = { ok: true; samples: Array<{ labels: Record<string, string>; value: number }> } | { ok: false; reason: string };

export interface AlertSilence {
  id: string;
  createdBy?: string;
  endsAt?: string;
}

export interface FiringAlert {
  name: string;
  severity: string;
  summary?: string;
  startsAt: string;
  fingerprint: string;
  labels: Record<string, string>;
  generatorURL?: string;
  /** Its severity is the critical one (ALERT_CRITICAL_SEVERITY): set by the core, which knows the policy. */
  critical?: boolean;
  /** Muted in Alertmanager: still firing for the go/no-go and the guard, which a silence never opens. */
  suppressed?: { silences: AlertSilence[]; inhibited: boolean };
}

export type AlertQuery = { ok: true; alerts: FiringAlert[] } | { ok: false; reason: string };

export interface SilenceRequest {
  /** Label equality matchers. */
  matchers: Record<string, string>;
  startsAt: Date;
  endsAt: Date;
  /** Who asked (a chat user id); the alert source words its author and comment. */
  requestedBy: string;
  alertNames: string[];
}

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
  /** Its severity is the critical one (ALERT_CRITICAL_SEVERITY): set by the core, which knows the policy. */
  critical?: boolean;
}

/** An Alertmanager webhook notification, parsed by its adapter. */
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
  /** Alertmanager's group, or the guard's page (GUARD=page) that escalates the same way. */
  origin?: 'alertmanager' | 'guard';
  /** The guard's readings, on its page. */
  evidence?: EvidenceSnapshot;
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
  autoRollback?: { at: string; outcome: RollbackOutcome['kind'] };
  /** Fingerprint of what the message shows, to skip no-op updates on repeated notifications. */
  renderedHash?: string;
}

/** What happens to an alert group that the channel should read in the group's thread. */
export type AlertThreadNews =
  | { kind: 'resolved'; at: string }
  | { kind: 'refired'; at: string; names: string[] }
  | { kind: 'joined'; names: string[] }
  | { kind: 'escalation'; level: number; target: string; names: string[]; action?: string }
  | { kind: 'auto-rollback'; outcome: RollbackOutcome }
  | { kind: 'acknowledged'; by: string; at: string; via: 'button' | 'rollback' | 'auto-rollback' }
  | { kind: 'silenced'; by: string; until: string; silenceId: string };

/** A thread post: the news, and whether the bot writes nothing (DRY_RUN: every message says so). */
export type AlertThreadEvent = AlertThreadNews & { dryRun: boolean };

export interface AlertMessageContext {
  /** Live canary percent when the message was rendered, or why it is unknown. */
  canaryPercent?: number;
  canaryError?: string;
  /** The runbook's action for each alert name in the group. */
  actions: Record<string, string>;
  /** The diagnosis to offer for each alert name in the group that has one. */
  diagnoses?: Record<string, DiagnoseScope>;
  rollbackAlerts: string[];
  /** When the next escalation is due, if one is. */
  nextEscalation?: { level: number; at: string };
  dryRun: boolean;
}

// ---------- Rollback ----------

export type RollbackSource = 'command' | 'status' | 'approval' | 'alert' | 'home' | 'digest' | 'auto' | 'weight-0' | 'guard' | 'cli';

/** What the rollback did, step by step, in order. */
export type RollbackStep =
  | { kind: 'read-failed'; error: string }
  | { kind: 'reset'; fromPercent?: number; removedRules: RoutingRule[]; nowPercent: number }
  | { kind: 'write-failed'; attempt: number; error: string }
  | { kind: 'route-removed'; copyKept: boolean }
  | { kind: 'route-already-gone' }
  | { kind: 'remove-failed'; attempt: number; error: string };

interface RollbackCommon {
  actor: string;
  reason?: string;
  source: RollbackSource;
  at: string;
  dryRun: boolean;
  route: RouteRef;
  steps: RollbackStep[];
}

export type RollbackOutcome =
  | (RollbackCommon & { kind: 'rolled-back'; fromPercent?: number; removedRules: RoutingRule[] })
  /** The runbook's fallback: the canary route was removed because writing 0 kept failing. */
  | (RollbackCommon & { kind: 'route-removed'; fromPercent?: number; writeError: string })
  | (RollbackCommon & { kind: 'already-rolled-back'; why: 'route-absent' | 'at-zero' })
  | (RollbackCommon & { kind: 'failed'; errors: string[]; manualCommands: string[] });

// ---------- Requests, evidence and the audit trail ----------

export type RequestStatus = 'pending' | 'applying' | 'applied' | 'rejected' | 'refused' | 'expired' | 'failed' | 'cancelled';

export interface EvidenceSnapshot {
  verdict: 'GO' | 'NO-GO';
  evaluatedAt: string;
  criteria: Array<{ label: string; value: string; threshold: string; pass: boolean }>;
  reasons: string[];
}

/** One step of the post-migration cleanup. */
export interface CleanupStep {
  id: 'delete-python-deployment' | 'delete-python-service' | 'promote-canary-route' | 'remove-canary-route';
  /** The object it acts on, e.g. "deployment/mcp-gateway-python". */
  target: string;
}

export interface StepResult {
  step: CleanupStep;
  ok: boolean;
  detail: string;
}

/** How a request ended, as data: the views word it. */
export type RequestDecision =
  | { kind: 'applied'; dryRun: boolean }
  | { kind: 'refused'; reasons: string[] }
  | { kind: 'failed'; error: string; conflict: boolean }
  | { kind: 'rejected'; withdrawn: boolean }
  | { kind: 'expired' }
  | { kind: 'cancelled'; cause: 'rolled-back' | 'not-posted' }
  | { kind: 'cleanup'; results: StepResult[]; notDone: CleanupStep[]; dryRun: boolean };

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
  decision?: RequestDecision;
  /** Evidence at decision time, when the go/no-go was evaluated again. */
  decisionEvidence?: EvidenceSnapshot;
}

export type AuditAction =
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
  | 'route-applied'
  | 'shadow-toggled'
  | 'alert-acknowledged'
  | 'alert-silenced'
  | 'drift-detected'
  | 'guard-breach'
  | 'finalize-requested'
  | 'finalize-step'
  | 'finalize-finished'
  | 'job-undeliverable';

/** Who, what, when, and the evidence. `summary` is plain text for logs and terminals (no chat markup). */
export interface AuditEntry {
  at: string;
  /** A chat user ID, `mcp-canary`, `guard`, `cli:<user>@<host>` or `outside the bot`. */
  actor: string;
  action: AuditAction;
  summary: string;
  fromPercent?: number;
  toPercent?: number;
  requestId?: string;
  /** Who asked, when the actor decided on someone else's request. */
  requestedBy?: string;
  evidence?: EvidenceSnapshot;
  /** The canary route as it was before the bot removed it (rollback fallback), to put it back. */
  routeCopy?: RouteCopy;
  dryRun?: boolean;
}

export type CreateRequestResult = { created: true; request: ApprovalRequest } | { created: false; pending: ApprovalRequest };

// ---------- Diagnostics: the runbook's troubleshooting, read-only ----------

/** What `diagnose` looks at: the traffic path to the canary, shadow mode, the shadow mismatches in the logs. */
export type DiagnoseScope = 'traffic' | 'shadow' | 'mismatches';

/**
 * One aspect of the canary route's shape, as its router checks it. `aspect`, the values and `detail` are in
 * the traffic layer's own words (they come from the router); `kind` says what a failure means to the core.
 */
export interface RouteShapeCheck {
  /**
   * present: the canary route exists; match: it matches the primary on this aspect (`expected` is the
   * primary's value); condition: the traffic layer reports it accepted; split: it is set up to send a share
   * of the requests to the canary service.
   */
  kind: 'present' | 'match' | 'condition' | 'split';
  aspect: string;
  ok: boolean;
  /** What it must be (the primary's value). */
  expected?: string;
  /** What the canary route has. */
  actual?: string;
  /** Why, e.g. a condition's reason and message. */
  detail?: string;
}

/** A pod as the diagnostics need it. */
export interface PodSummary {
  name: string;
  containers: string[];
  phase?: string;
  ready: boolean;
}

/** An event the cluster recorded about an object (a controller refusing something says why in a Warning). */
export interface ClusterEvent {
  object: { kind: string; name: string };
  type: string;
  reason: string;
  message: string;
  count: number;
  /** When it was last seen (ISO), when the event says. */
  lastSeen?: string;
}

/** The endpoints behind a Service, from its endpoint slices. */
export interface EndpointCounts {
  ready: number;
  notReady: number;
}

/** What a GET through the API server's service proxy got back. */
export interface ProxyAnswer {
  status: number;
  latencyMs: number;
  /** The body as text (cut by the adapter to a few KiB). */
  body: string;
  /** The API server answered itself (no endpoint, connection refused, no such Service): the Service was not reached. */
  fromApiServer?: boolean;
}

/** Why a check could not look: out of time, refused by RBAC (which verb on which resource), or another failure. */
export type CheckProblem =
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'forbidden'; verb: string; resource: string; name?: string; message: string }
  /** The API server did not accept the bot's credentials (an expired token, the wrong kubeconfig): not RBAC. */
  | { kind: 'unauthenticated'; message: string }
  | { kind: 'error'; message: string };

/** One pod's log, as the mismatch count read it. */
export interface PodLogRead {
  pod: string;
  container: string;
  /** Lines read (at most DIAGNOSE_LOG_LINES). */
  lines?: number;
  problem?: CheckProblem;
}

/** Mismatch lines counted by request path; `path: null` for JSON lines without one. */
export interface MismatchCount {
  path: string | null;
  count: number;
}

/** What each check saw, as data: numbers, names and samples. */
export interface DiagnosticEvidence {
  'route-shape': { route: RouteRef; checks: RouteShapeCheck[] };
  'rust-endpoints': { service: string; ready: number; notReady: number };
  'warning-events': { objects: Array<{ kind: string; name: string }>; windowMs: number; events: ClusterEvent[]; unread: Array<{ kind: string; name: string; problem: CheckProblem }> };
  'rust-health': { service: string; port: number; path: string; status: number; latencyMs: number; body: string; fromApiServer: boolean };
  weight: { exists: boolean; live: number; splitPercents?: number[]; applied?: { percent: number; at: string; by?: string; recordedOn: 'route' | 'store' } };
  /** The runbook's "Rollback not working": may the bot write the canary route (the cluster's own answer)? */
  'route-write': { route: RouteRef; verb: string; resource: ResourceRef; allowed: boolean; reason?: string };
  'shadow-env': {
    deployment: string;
    container?: string;
    enabled?: string;
    url?: string;
    expectedUrl: string;
    /** SHADOW_MODE_ENABLED or SHADOW_RUST_GATEWAY_URL set by reference: where from (their values are not read). */
    fromRefs?: Record<string, EnvSource>;
  };
  'python-rollout': DeploymentReadiness;
  'shadow-error-rate': { value?: number; max: number; reason?: string };
  'shadow-timeout-rate': { value?: number; max: number; reason?: string };
  'pod-logs': { selector: string; tailLines: number; pods: PodLogRead[] };
  mismatches: {
    marker: string;
    podsRead: number;
    linesRead: number;
    /** JSON mismatch lines. */
    total: number;
    /** Most first (ties by path). */
    byPath: MismatchCount[];
    /** Up to three parsed lines (the newest of each of the top paths), long values cut. */
    samples: Array<Record<string, unknown>>;
    /** Mismatch lines that are not a JSON object: counted apart, a few kept (cut). */
    notJson: { count: number; samples: string[] };
  };
}

export type DiagnosticCheck = keyof DiagnosticEvidence;

/** What to do next, as data: the views word it. */
export type NextAction =
  | { kind: 'grant'; verb: string; resource: string }
  | { kind: 'retry'; what: 'cluster' | 'metrics' }
  /** The API server refused the bot's credentials: its token or kubeconfig, not a permission. */
  | { kind: 'check-credentials' }
  | { kind: 'put-route-back' }
  /** `controllerCommands`: the router's commands showing what the traffic layer's controller says (its logs). */
  | { kind: 'align-route'; aspects: string[]; controllerCommands: string[] }
  | { kind: 'fix-route-conditions'; reasons: string[]; controllerCommands: string[] }
  /** Rollback cannot write the route: the permission to grant, and the router's commands to roll back by hand meanwhile. */
  | { kind: 'grant-route-write'; verb: string; resource: ResourceRef; manualCommands: string[] }
  | { kind: 'check-rust-pods'; deployment: string; service: string }
  | { kind: 'read-events'; objects: Array<{ kind: string; name: string }> }
  | { kind: 'check-rust-health'; deployment: string; port: number; path: string }
  | { kind: 'check-drift' }
  | { kind: 'turn-shadow-on'; url: string }
  /** Shadow variables set by reference: read their value where it lives (the bot does not). */
  | { kind: 'read-env-source'; sources: Array<{ variable: string; source: EnvSource }> }
  | { kind: 'wait-rollout'; deployment: string }
  | { kind: 'check-shadow-path'; from: string; url: string }
  | { kind: 'compare-responses'; path: string | null }
  | { kind: 'fix-log-access' };

/** One check's finding: pass or fail, what it saw (or why it could not look), and what to do next. */
export type Finding = {
  [C in DiagnosticCheck]: { scope: DiagnoseScope; check: C; pass: boolean; evidence?: DiagnosticEvidence[C]; problem?: CheckProblem; next?: NextAction };
}[DiagnosticCheck];

/** A diagnosis: the findings of every check of the scope(s), in a fixed order. */
export interface Diagnosis {
  /** What was asked: one scope, or all of them. */
  scope: DiagnoseScope | 'all';
  scopes: DiagnoseScope[];
  /** Where the objects are (for the commands the next actions suggest). */
  namespace: string;
  findings: Finding[];
  at: string;
  tookMs: number;
}
