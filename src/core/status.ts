// The live picture for `status` (and the digest, App Home and the command line): everything read in
// parallel, each part failing on its own so one unreachable source never hides the others.
import { describeBusinessHours, isWindowOpen, nextWindowOpening } from './business-hours.js';
import type { CoreDeps } from './deps.js';
import type { ApprovalRequest, CanaryRoute, DeploymentReadiness, FiringAlert, RouteRef } from './entities.js';
import { describe } from './errors.js';
import { assessIncrease, checkPrerequisites, evaluateGoNoGo, type GoNoGo, type RuleCheck, type WeightChangeAssessment } from './go-no-go.js';
import { readGuardReport, type GuardReport } from './guard.js';
import { derivePhase, nextPhaseChecklist, type ChecklistItem, type Phase } from './phase.js';
import type { ClusterTargets } from './ports.js';
import { holdStatus, percentOf, rampPosition, type HoldStatus, type RampPosition } from './ramp.js';

export interface StatusReport {
  at: Date;
  dryRun: boolean;
  targets: Pick<ClusterTargets, 'namespace' | 'rustDeployment' | 'pythonDeployment'>;
  /** Which route the bot drives. */
  routeRef: RouteRef;
  route: CanaryRoute | { error: string };
  percent?: number;
  position?: RampPosition;
  hold?: HoldStatus;
  stepMinHoldMs: number;
  window: { open: boolean; description: string; nextOpening?: Date };
  goNoGo: GoNoGo;
  rust: DeploymentReadiness | { error: string };
  /** May the next step be requested now, and if not, why. */
  next?: { targetPercent: number; assessment: WeightChangeAssessment };
  pending?: ApprovalRequest;
  pendingError?: string;
  phase: Phase;
  /** Prerequisites of the next phase with live marks (shadow → canary, primary → cleanup). */
  checklist?: ChecklistItem[];
  guard: GuardReport;
  /** ALERT_CRITICAL_SEVERITY, for lists the core does not mark itself (the digest's alerts of the last 48 h). */
  criticalSeverity: string;
}

export async function buildStatus(deps: CoreDeps): Promise<StatusReport> {
  const now = deps.clock.now();
  const { ramp } = deps.policy;
  const [route, rust, goNoGo, pending] = await Promise.all([
    deps.router.readRoute().catch((error: unknown) => ({ error: describe(error) })),
    deps.cluster.readDeployment(deps.cluster.targets.rustDeployment).catch((error: unknown) => ({ error: describe(error) })),
    evaluateGoNoGo(deps, deps.policy.goNoGo, now).then((g) => markCritical(g, deps.policy.goNoGo.criticalSeverity)),
    deps.store.getPendingRequest().then(
      (request) => ({ request }),
      (error: unknown) => ({ error: describe(error) }),
    ),
  ]);
  const percent = 'error' in route ? undefined : percentOf(route);
  const [prerequisites, guard] = await Promise.all([
    // Before the first step only: the runbook's prerequisites, shown and enforced.
    percent === 0 ? checkPrerequisites(deps, { route, rust, now }) : Promise.resolve(undefined),
    readGuardReport(deps, { readings: goNoGo.readings, alerts: [...goNoGo.firingAlerts, ...goNoGo.pausingAlerts], percent, at: now }),
  ]);

  const open = isWindowOpen(ramp.businessHours, now, ramp.timeZone);
  const description = describeBusinessHours(ramp.businessHours, ramp.timeZone);
  const nextOpening = open ? undefined : nextWindowOpening(ramp.businessHours, now, ramp.timeZone);
  const report: Omit<StatusReport, 'phase'> = {
    at: now,
    dryRun: deps.policy.dryRun,
    targets: deps.cluster.targets,
    routeRef: deps.router.ref,
    route,
    stepMinHoldMs: ramp.stepMinHoldMs,
    window: { open, description, nextOpening },
    goNoGo,
    rust,
    pending: 'request' in pending ? pending.request : undefined,
    pendingError: 'error' in pending ? pending.error : undefined,
    guard,
    criticalSeverity: deps.policy.goNoGo.criticalSeverity,
  };
  if (!('error' in route)) {
    report.percent = percent;
    report.position = rampPosition(percent!, ramp);
    report.hold = holdStatus(route, ramp, now);
    if (report.position.nextStep !== undefined) {
      report.next = {
        targetPercent: report.position.nextStep,
        assessment: assessIncrease({ route, targetPercent: report.position.nextStep, rust, goNoGo, prerequisites, rules: ramp, now }),
      };
    }
  }
  const phase = derivePhase(report);
  const window: RuleCheck = { label: 'Business window', pass: open, detail: open ? description : `closed (${description})`, opensAt: nextOpening?.toISOString() };
  const checklist = nextPhaseChecklist(phase, { prerequisites, window, hold: report.hold });
  return { ...report, phase, checklist };
}

/** Each alert says whether it is critical (ALERT_CRITICAL_SEVERITY): views show the flag, never compare severities. */
function markCritical(goNoGo: GoNoGo, criticalSeverity: string): GoNoGo {
  const mark = (alerts: FiringAlert[]) => alerts.map((a) => ({ ...a, critical: a.severity === criticalSeverity }));
  return { ...goNoGo, firingAlerts: mark(goNoGo.firingAlerts), pausingAlerts: mark(goNoGo.pausingAlerts) };
}

interface SharedReport {
  report: Promise<StatusReport>;
  /** When its evaluation started: the age of its data. */
  at: number;
  changeCount: number;
  settled?: boolean;
  refreshing?: boolean;
}
const shared = new WeakMap<object, SharedReport>();

/**
 * `status` for many people at once (an incident, the App Home, Refresh clicks): concurrent and
 * back-to-back requests share one evaluation for up to `maxAgeMs`, unless a change was recorded
 * since (every change is audited), so nobody sees a weight older than the bot's own last write.
 * Past half its age a request starts the next evaluation in the background and still gets the
 * shared one, so a steady stream of requests never waits for an evaluation and never sees one
 * older than `maxAgeMs`.
 */
export function sharedStatus(deps: CoreDeps, maxAgeMs = deps.policy.statusShareMs): Promise<StatusReport> {
  if (maxAgeMs <= 0) return buildStatus(deps);
  const now = performance.now();
  const changeCount = deps.audit.changeCount;
  const cached = shared.get(deps);
  if (cached && now - cached.at < maxAgeMs && cached.changeCount === changeCount) {
    if (cached.settled && !cached.refreshing && now - cached.at >= maxAgeMs / 2) {
      cached.refreshing = true;
      const report = buildStatus(deps);
      report.then(
        () => shared.get(deps) === cached && shared.set(deps, { report, at: now, changeCount, settled: true }),
        () => (cached.refreshing = false),
      );
    }
    return cached.report;
  }
  const entry: SharedReport = { report: buildStatus(deps), at: now, changeCount };
  shared.set(deps, entry);
  entry.report.then(
    () => (entry.settled = true),
    () => shared.get(deps) === entry && shared.delete(deps),
  );
  return entry.report;
}
