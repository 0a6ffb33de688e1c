// Post-migration cleanup (runbook "Cleanup (After 14 Days at 100%)"): delete the Python deployment and
// service, send the primary route's traffic to the Rust service, remove the canary parts of the route. It
// needs the same two-person approval as a weight increase. Every step is dry-run on the server first; then
// the steps run in order and stop at the first failure, saying what is done and what is not.
import type { CoreDeps } from './deps.js';
import { rememberRoute } from './drift.js';
import type { ApprovalRequest, CleanupStep, StepResult } from './entities.js';
import { ClusterError, describe } from './errors.js';
import { formatDuration } from './format.js';
import { CLEANUP_AFTER_MS } from './phase.js';
import type { WriteOptions } from './ports.js';
import { holdStatus, percentOf } from './ramp.js';

export function cleanupPlan(deps: Pick<CoreDeps, 'cluster' | 'router'>): CleanupStep[] {
  const t = deps.cluster.targets;
  const object = (ref: { kind: string; name: string }) => `${ref.kind.toLowerCase()}/${ref.name}`;
  return [
    { id: 'delete-python-deployment', target: `deployment/${t.pythonDeployment}` },
    { id: 'delete-python-service', target: `service/${t.pythonService}` },
    { id: 'promote-canary-route', target: object(deps.router.primaryRef) },
    { id: 'remove-canary-route', target: object(deps.router.ref) },
  ];
}

/** Plain text of a step, for the audit log and terminals. */
export function stepText(step: CleanupStep, targets: { rustService: string; rustServicePort: number }): string {
  switch (step.id) {
    case 'delete-python-deployment':
    case 'delete-python-service':
      return `delete ${step.target}`;
    case 'promote-canary-route':
      return `point ${step.target} at service ${targets.rustService} port ${targets.rustServicePort}`;
    case 'remove-canary-route':
      return `remove the canary route ${step.target}`;
  }
}

async function runStep(deps: Pick<CoreDeps, 'cluster' | 'router'>, step: CleanupStep, options: WriteOptions): Promise<string> {
  const t = deps.cluster.targets;
  switch (step.id) {
    case 'delete-python-deployment':
      return deleted(() => deps.cluster.deleteDeployment(t.pythonDeployment, options));
    case 'delete-python-service':
      return deleted(() => deps.cluster.deleteService(t.pythonService, options));
    case 'promote-canary-route': {
      // 0: already done (a cleanup that stopped is run again); the router throws when there is nothing to point.
      const changed = await deps.router.promoteCanaryToPrimary(options);
      return changed === 0 ? `already pointed at ${t.rustService}` : `${changed} backend${changed === 1 ? '' : 's'} repointed`;
    }
    case 'remove-canary-route':
      await deps.router.removeCanaryParts(options);
      return 'removed';
  }
}

/** A delete is done when the object is gone, whoever deleted it (a cleanup that stopped can be run again). */
async function deleted(remove: () => Promise<void>): Promise<string> {
  try {
    await remove();
    return 'deleted';
  } catch (error) {
    if (error instanceof ClusterError && error.kind === 'not-found') return 'already deleted';
    throw error;
  }
}

/** Server-side dry run of every step; all must pass before anything is requested or applied. */
export async function dryRunCleanup(deps: Pick<CoreDeps, 'cluster' | 'router'>): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of cleanupPlan(deps)) {
    try {
      results.push({ step, ok: true, detail: `dry run ok (${await runStep(deps, step, { dryRun: true })})` });
    } catch (error) {
      results.push({ step, ok: false, detail: `dry run failed: ${describe(error)}` });
    }
  }
  return results;
}

/** Is the canary at 100% for 14 days, by the bot's own record? */
async function cleanupReadiness(deps: CoreDeps): Promise<{ ready: boolean; reason?: string }> {
  let route;
  try {
    route = await deps.router.readRoute();
  } catch (error) {
    return { ready: false, reason: `could not read the canary route: ${describe(error)}` };
  }
  if (!route.exists) return { ready: false, reason: 'the canary route is absent (rolled back or already cleaned up?)' };
  const percent = percentOf(route);
  if (percent < 100) return { ready: false, reason: `the canary is at ${percent}%, not 100%` };
  const hold = holdStatus(route, { steps: deps.policy.ramp.steps, stepMinHoldMs: CLEANUP_AFTER_MS }, deps.clock.now());
  if (hold.unknownReason) return { ready: false, reason: `time at 100% unknown: ${hold.unknownReason}` };
  if (!hold.satisfied) return { ready: false, reason: `only ${formatDuration(hold.heldMs ?? 0)} at 100%: cleanup after 14d (${formatDuration(hold.remainingMs ?? 0)} left)` };
  return { ready: true };
}

export type FinalizeRequestOutcome =
  | { kind: 'requested'; request: ApprovalRequest; plan: StepResult[] }
  | { kind: 'refused'; reason: string; plan?: StepResult[] }
  | { kind: 'pending-exists'; pending: ApprovalRequest }
  | { kind: 'unavailable'; message: string };

/** `/mcp-canary finalize`: check readiness, dry-run the plan, post it for a second person's approval. */
export async function requestFinalize(deps: CoreDeps, input: { actor: string }): Promise<FinalizeRequestOutcome> {
  const readiness = await cleanupReadiness(deps);
  if (!readiness.ready) return { kind: 'refused', reason: readiness.reason! };
  const plan = await dryRunCleanup(deps);
  const failed = plan.find((r) => !r.ok);
  if (failed) return { kind: 'refused', reason: `the dry run of "${stepText(failed.step, deps.cluster.targets)}" failed: ${failed.detail}`, plan };
  const now = deps.clock.now();
  const request: ApprovalRequest = {
    id: deps.newId(),
    kind: 'finalize',
    status: 'pending',
    requestedBy: input.actor,
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.policy.approvalTtlMs).toISOString(),
    fromPercent: 100,
    toPercent: 100,
    evidence: { verdict: 'GO', evaluatedAt: now.toISOString(), criteria: plan.map((r) => ({ label: stepText(r.step, deps.cluster.targets), value: r.detail, threshold: 'dry run ok', pass: r.ok })), reasons: [] },
  };
  try {
    const created = await deps.store.createRequest(request, deps.policy.approvalTtlMs);
    if (!created.created) return { kind: 'pending-exists', pending: created.pending };
  } catch (error) {
    return { kind: 'unavailable', message: `Approvals need the state store, which is unreachable (${describe(error)}). Nothing was requested.` };
  }
  deps.audit.record({ at: request.requestedAt, actor: input.actor, action: 'finalize-requested', summary: `requested the cleanup: ${plan.map((r) => stepText(r.step, deps.cluster.targets)).join('; ')}`, requestId: request.id });
  return { kind: 'requested', request, plan };
}

/**
 * Runs after the approval passed the two-person checks and claimed the request. Re-checks readiness and the
 * dry run at this moment, then applies step by step, reporting each as it completes.
 */
export async function applyFinalize(
  deps: CoreDeps,
  request: ApprovalRequest,
  actor: string,
  onStep: (result: StepResult, index: number, total: number) => Promise<void>,
): Promise<{ kind: 'finished' | 'stopped' | 'refused'; results: StepResult[]; notDone: CleanupStep[]; reasons: string[] }> {
  const readiness = await cleanupReadiness(deps);
  if (!readiness.ready) return { kind: 'refused', results: [], notDone: cleanupPlan(deps), reasons: [readiness.reason!] };
  const dry = await dryRunCleanup(deps);
  const failedDry = dry.find((r) => !r.ok);
  if (failedDry) return { kind: 'refused', results: dry, notDone: cleanupPlan(deps), reasons: [`dry run of "${stepText(failedDry.step, deps.cluster.targets)}" failed: ${failedDry.detail}`] };

  const plan = cleanupPlan(deps);
  const results: StepResult[] = [];
  for (const [i, step] of plan.entries()) {
    let result: StepResult;
    try {
      result = { step, ok: true, detail: `${await runStep(deps, step, {})}${deps.policy.dryRun ? ' (DRY RUN)' : ''}` };
    } catch (error) {
      result = { step, ok: false, detail: describe(error) };
    }
    results.push(result);
    deps.audit.record({
      at: deps.clock.now().toISOString(),
      actor,
      action: 'finalize-step',
      summary: `${stepText(step, deps.cluster.targets)}: ${result.ok ? 'done' : 'FAILED'} (${result.detail})`,
      requestId: request.id,
      dryRun: deps.policy.dryRun || undefined,
    });
    await onStep(result, i + 1, plan.length).catch(() => undefined);
    if (!result.ok) return { kind: 'stopped', results, notDone: plan.slice(i + 1), reasons: [result.detail] };
  }
  if (!deps.policy.dryRun) await rememberRoute(deps, { exists: false, percent: 0 });
  deps.audit.record({ at: deps.clock.now().toISOString(), actor, action: 'finalize-finished', summary: 'cleanup finished: Rust serves all traffic through the primary route', requestId: request.id });
  return { kind: 'finished', results, notDone: [], reasons: [] };
}
