// Weight changes and the two-person rule. Increases become a request that another approver must
// approve; at approval everything is checked again, and a compare-and-set on the request's status in
// the shared store makes the weight apply exactly once, whichever replica gets the click.
// Decreases apply at once (audited); weight 0 is a rollback.
import type { CoreDeps } from './deps.js';
import type { ApprovalRequest, CanaryRoute, RequestDecision, RollbackOutcome, StepResult } from './entities.js';
import { ClusterError, describe } from './errors.js';
import { applyFinalize } from './finalize.js';
import { formatPercent } from './format.js';
import { assessIncreaseNow, snapshotEvidence, type GoNoGo, type WeightChangeAssessment } from './go-no-go.js';
import { isApprover } from './permissions.js';
import { percentOf, rampPosition } from './ramp.js';
import { rollbackCanary } from './rollback.js';

export interface ApprovalHooks {
  /** Each cleanup step as it completes (finalize requests), to report it in the request's thread. */
  onFinalizeStep?: (request: ApprovalRequest, result: StepResult, index: number, total: number) => Promise<void>;
}

export type WeightTarget = { kind: 'next' } | { kind: 'percent'; percent: number };

export type WeightChangeOutcome =
  | { kind: 'requested'; request: ApprovalRequest; assessment: WeightChangeAssessment; goNoGo: GoNoGo; expired?: ApprovalRequest }
  | { kind: 'refused'; fromPercent: number; toPercent: number; assessment: WeightChangeAssessment; goNoGo: GoNoGo }
  | { kind: 'pending-exists'; pending: ApprovalRequest }
  | { kind: 'decreased'; actor: string; fromPercent: number; toPercent: number; dryRun: boolean }
  | { kind: 'rollback'; rollback: RollbackOutcome }
  | { kind: 'no-change'; percent: number }
  | { kind: 'at-final-step'; percent: number }
  | { kind: 'invalid'; message: string }
  | { kind: 'unavailable'; message: string };

/** `/mcp-canary promote` and `/mcp-canary weight N`. */
export async function requestWeightChange(deps: CoreDeps, input: { actor: string; target: WeightTarget }): Promise<WeightChangeOutcome> {
  const { actor, target } = input;
  if (target.kind === 'percent' && target.percent === 0) {
    return { kind: 'rollback', rollback: await rollbackCanary(deps, { actor, source: 'weight-0', reason: 'weight 0 requested' }) };
  }

  let route: CanaryRoute;
  try {
    route = await deps.router.readRoute();
  } catch (error) {
    return { kind: 'unavailable', message: `Could not read the canary route: ${describe(error)}. Nothing was changed.` };
  }
  const current = percentOf(route);
  const position = rampPosition(current, deps.policy.ramp);
  let toPercent: number;
  if (target.kind === 'next') {
    if (position.nextStep === undefined) return { kind: 'at-final-step', percent: current };
    toPercent = position.nextStep;
  } else {
    toPercent = target.percent;
  }
  if (toPercent === current) return { kind: 'no-change', percent: current };

  if (toPercent < current) return decreaseWeight(deps, { actor, route, fromPercent: current, toPercent });

  const { goNoGo, assessment } = await assessIncreaseNow(deps, route, toPercent);
  if (!assessment.allowed) {
    return { kind: 'refused', fromPercent: current, toPercent, assessment, goNoGo };
  }

  const now = deps.clock.now();
  const request: ApprovalRequest = {
    id: deps.newId(),
    status: 'pending',
    requestedBy: actor,
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.policy.approvalTtlMs).toISOString(),
    fromPercent: current,
    toPercent,
    evidence: snapshotEvidence(goNoGo),
  };
  let created;
  let expired: ApprovalRequest | undefined;
  try {
    // A pending request past its expiry must not block this one: close it first (its message is updated too).
    expired = await expireStaleRequest(deps);
    created = await deps.store.createRequest(request, deps.policy.approvalTtlMs);
  } catch (error) {
    return {
      kind: 'unavailable',
      message: `Approvals need the state store, which is unreachable (${describe(error)}). Nothing was requested. Rollback still works.`,
    };
  }
  if (!created.created) return { kind: 'pending-exists', pending: created.pending };
  deps.audit.record({
    at: request.requestedAt,
    actor,
    action: 'weight-change-requested',
    summary: `requested ${formatPercent(current)} → ${formatPercent(toPercent)}`,
    fromPercent: current,
    toPercent,
    requestId: request.id,
    evidence: request.evidence,
  });
  return { kind: 'requested', request, assessment, goNoGo, expired };
}

/** Remembers where the request message is, so expiry and decisions can update it in place. */
export async function attachRequestMessage(deps: Pick<CoreDeps, 'store'>, requestId: string, channel: string, messageTs: string): Promise<void> {
  await deps.store.transitionRequest(requestId, 'pending', { channel, messageTs });
}

/**
 * A request nobody can see must not block the next one: when its channel message could not be posted, the
 * request is withdrawn (audited). Best effort: a store that cannot take it leaves the request to expire.
 */
export async function withdrawUnpostedRequest(deps: Pick<CoreDeps, 'store' | 'audit' | 'clock'>, requestId: string, channel: string): Promise<boolean> {
  const withdrawn = await deps.store
    .transitionRequest(requestId, 'pending', { status: 'cancelled', decision: { kind: 'cancelled', cause: 'not-posted' } })
    .catch(() => undefined);
  if (!withdrawn) return false;
  deps.audit.record({
    at: deps.clock.now().toISOString(),
    actor: 'mcp-canary',
    action: 'weight-change-failed',
    summary: `request ${requestId} withdrawn: its message could not be posted in ${channel}`,
    requestId,
  });
  return true;
}

async function decreaseWeight(
  deps: CoreDeps,
  input: { actor: string; route: CanaryRoute; fromPercent: number; toPercent: number },
): Promise<WeightChangeOutcome> {
  const { actor, route, fromPercent, toPercent } = input;
  const at = deps.clock.now().toISOString();
  try {
    await setWithOneConflictRetry(deps, route, fromPercent, { percent: toPercent, appliedBy: actor, appliedAt: at });
  } catch (error) {
    return { kind: 'unavailable', message: `Could not lower the weight: ${describe(error)}. The weight is unchanged; use rollback if this is urgent.` };
  }
  deps.audit.record({
    at,
    actor,
    action: 'weight-decreased',
    summary: `decreased ${formatPercent(fromPercent)} → ${formatPercent(toPercent)} (no approval needed for decreases)`,
    fromPercent,
    toPercent,
    dryRun: deps.policy.dryRun || undefined,
  });
  return { kind: 'decreased', actor, fromPercent, toPercent, dryRun: deps.policy.dryRun };
}

/**
 * Writes with the version that was read, so a concurrent change is never overwritten. On a conflict the
 * route is read again once: if the percent is still the one the decision was based on (someone touched
 * another field), the write is retried with the fresh version; otherwise the conflict stands.
 */
async function setWithOneConflictRetry(
  deps: CoreDeps,
  route: CanaryRoute,
  expectedPercent: number,
  change: { percent: number; appliedBy: string; appliedAt: string },
): Promise<void> {
  try {
    await deps.router.setPercent({ ...change, expectedVersion: route.version });
  } catch (error) {
    if (!(error instanceof ClusterError && error.kind === 'conflict')) throw error;
    const fresh = await deps.router.readRoute();
    if (percentOf(fresh) !== expectedPercent) {
      throw new ClusterError('conflict', `the weight moved to ${formatPercent(percentOf(fresh))} meanwhile`, error.detail);
    }
    await deps.router.setPercent({ ...change, expectedVersion: fresh.version });
  }
}

export type DecisionOutcome =
  | { kind: 'applied'; request: ApprovalRequest }
  | { kind: 'refused'; request: ApprovalRequest; reasons: string[] }
  | { kind: 'failed'; request: ApprovalRequest; message: string }
  | { kind: 'rejected'; request: ApprovalRequest }
  | { kind: 'expired'; request: ApprovalRequest }
  | { kind: 'already-decided'; request: ApprovalRequest }
  | { kind: 'self-approval'; request: ApprovalRequest }
  | { kind: 'not-approver'; request: ApprovalRequest }
  | { kind: 'not-found'; requestId: string }
  | { kind: 'unavailable'; message: string };

/** The Approve button. Every rule is enforced here, never only in the UI. */
export async function approveRequest(deps: CoreDeps, input: { requestId: string; actor: string }, hooks: ApprovalHooks = {}): Promise<DecisionOutcome> {
  const { actor, requestId } = input;
  const loaded = await loadOpenRequest(deps, requestId);
  if (loaded.kind !== 'open') return loaded.outcome;
  const request = loaded.request;

  if (request.requestedBy === actor) return { kind: 'self-approval', request };
  let approver: boolean;
  try {
    approver = await isApprover(deps, actor);
  } catch (error) {
    return { kind: 'unavailable', message: `Could not check the approver list (${describe(error)}). Nothing was applied; try again.` };
  }
  if (!approver) return { kind: 'not-approver', request };

  // The claim: only one approver, on one replica, gets past this line.
  let claimed: ApprovalRequest | undefined;
  try {
    claimed = await deps.store.transitionRequest(requestId, 'pending', { status: 'applying', decidedBy: actor, decidedAt: deps.clock.now().toISOString() });
  } catch (error) {
    return { kind: 'unavailable', message: `The state store is unreachable (${describe(error)}). Nothing was applied; rollback still works.` };
  }
  if (!claimed) {
    const latest = await deps.store.getRequest(requestId).catch(() => undefined);
    return { kind: 'already-decided', request: latest ?? request };
  }

  if (claimed.kind === 'finalize') return approveFinalize(deps, claimed, actor, hooks);

  const refuse = async (reasons: string[], evidence = claimed.evidence): Promise<DecisionOutcome> => {
    const done = await settle(deps, claimed, { status: 'refused', decision: { kind: 'refused', reasons }, decisionEvidence: evidence });
    deps.audit.record({
      at: done.decidedAt ?? deps.clock.now().toISOString(),
      actor,
      action: 'weight-change-refused',
      summary: `approval of ${formatPercent(request.fromPercent)} → ${formatPercent(request.toPercent)} refused: ${reasons.join('; ')}`,
      fromPercent: request.fromPercent,
      toPercent: request.toPercent,
      requestId,
      requestedBy: request.requestedBy,
      evidence,
    });
    return { kind: 'refused', request: done, reasons };
  };

  let route: CanaryRoute;
  try {
    route = await deps.router.readRoute();
  } catch (error) {
    return refuse([`could not read the canary route: ${describe(error)}`]);
  }
  const live = percentOf(route);
  if (live !== request.fromPercent) {
    return refuse([`the weight changed since the request (requested from ${formatPercent(request.fromPercent)}, now ${formatPercent(live)})`]);
  }
  const { goNoGo, assessment } = await assessIncreaseNow(deps, route, request.toPercent);
  const evidence = snapshotEvidence(goNoGo, assessment.reasons);
  if (!assessment.allowed) return refuse(assessment.reasons, evidence);

  const at = deps.clock.now().toISOString();
  try {
    await setWithOneConflictRetry(deps, route, request.fromPercent, {
      percent: request.toPercent,
      appliedBy: actor,
      appliedAt: at,
    });
  } catch (error) {
    const conflict = error instanceof ClusterError && error.kind === 'conflict';
    const message = conflict
      ? `the canary route changed while applying (${describe(error)}); nothing was applied, request again`
      : `the write failed: ${describe(error)}; the weight is unchanged`;
    const done = await settle(deps, claimed, { status: 'failed', decision: { kind: 'failed', error: describe(error), conflict }, decisionEvidence: evidence });
    deps.audit.record({ at, actor, action: 'weight-change-failed', summary: message, fromPercent: request.fromPercent, toPercent: request.toPercent, requestId, requestedBy: request.requestedBy, evidence });
    return { kind: 'failed', request: done, message };
  }
  const dryRun = deps.policy.dryRun;
  const done = await settle(deps, claimed, { status: 'applied', decision: { kind: 'applied', dryRun }, decisionEvidence: evidence });
  deps.audit.record({
    at,
    actor,
    action: 'weight-change-approved',
    summary: `approved and applied ${formatPercent(request.fromPercent)} → ${formatPercent(request.toPercent)}${dryRun ? ' (DRY RUN: server-side dry run only)' : ''}`,
    fromPercent: request.fromPercent,
    toPercent: request.toPercent,
    requestId,
    requestedBy: request.requestedBy,
    evidence,
    dryRun: deps.policy.dryRun || undefined,
  });
  return { kind: 'applied', request: done };
}

/** A claimed cleanup request: re-checked and dry-run again inside applyFinalize, then applied step by step. */
async function approveFinalize(deps: CoreDeps, claimed: ApprovalRequest, actor: string, hooks: ApprovalHooks): Promise<DecisionOutcome> {
  const result = await applyFinalize(deps, claimed, actor, (step, index, total) => hooks.onFinalizeStep?.(claimed, step, index, total) ?? Promise.resolve());
  if (result.kind === 'refused') {
    const done = await settle(deps, claimed, { status: 'refused', decision: { kind: 'refused', reasons: result.reasons } });
    return { kind: 'refused', request: done, reasons: result.reasons };
  }
  const decision: RequestDecision = { kind: 'cleanup', results: result.results, notDone: result.kind === 'stopped' ? result.notDone : [], dryRun: deps.policy.dryRun };
  if (result.kind === 'stopped') {
    const done = await settle(deps, claimed, { status: 'failed', decision });
    const failed = result.results.find((r) => !r.ok);
    return { kind: 'failed', request: done, message: `cleanup stopped at the first failure${failed ? ` (${failed.step.target}: ${failed.detail})` : ''}` };
  }
  const done = await settle(deps, claimed, { status: 'applied', decision });
  return { kind: 'applied', request: done };
}

/** The Reject button: the requester withdraws, or an approver declines. */
export async function rejectRequest(deps: CoreDeps, input: { requestId: string; actor: string }): Promise<DecisionOutcome> {
  const { actor, requestId } = input;
  const loaded = await loadOpenRequest(deps, requestId);
  if (loaded.kind !== 'open') return loaded.outcome;
  const request = loaded.request;
  if (request.requestedBy !== actor) {
    let approver: boolean;
    try {
      approver = await isApprover(deps, actor);
    } catch (error) {
      return { kind: 'unavailable', message: `Could not check the approver list (${describe(error)}).` };
    }
    if (!approver) return { kind: 'not-approver', request };
  }
  const now = deps.clock.now().toISOString();
  let done: ApprovalRequest | undefined;
  try {
    done = await deps.store.transitionRequest(requestId, 'pending', {
      status: 'rejected',
      decidedBy: actor,
      decidedAt: now,
      decision: { kind: 'rejected', withdrawn: request.requestedBy === actor },
    });
  } catch (error) {
    return { kind: 'unavailable', message: `The state store is unreachable (${describe(error)}).` };
  }
  if (!done) return { kind: 'already-decided', request: (await deps.store.getRequest(requestId).catch(() => undefined)) ?? request };
  deps.audit.record({
    at: now,
    actor,
    action: 'weight-change-rejected',
    summary: `${request.requestedBy === actor ? 'withdrew' : 'rejected'} ${formatPercent(request.fromPercent)} → ${formatPercent(request.toPercent)}`,
    fromPercent: request.fromPercent,
    toPercent: request.toPercent,
    requestId,
    requestedBy: request.requestedBy,
  });
  return { kind: 'rejected', request: done };
}

/** Called periodically: a pending request past its expiry is closed, so its message can say so. */
export async function expireStaleRequest(deps: CoreDeps): Promise<ApprovalRequest | undefined> {
  const pending = await deps.store.getPendingRequest();
  if (!pending || !isExpired(deps, pending)) return undefined;
  return expire(deps, pending);
}

async function expire(deps: CoreDeps, request: ApprovalRequest): Promise<ApprovalRequest | undefined> {
  const done = await deps.store.transitionRequest(request.id, 'pending', {
    status: 'expired',
    decidedAt: deps.clock.now().toISOString(),
    decision: { kind: 'expired' },
  });
  if (done) {
    deps.audit.record({
      at: done.decidedAt!,
      actor: 'mcp-canary',
      action: 'weight-change-expired',
      summary: `request ${formatPercent(request.fromPercent)} → ${formatPercent(request.toPercent)} expired without approval`,
      fromPercent: request.fromPercent,
      toPercent: request.toPercent,
      requestId: request.id,
      requestedBy: request.requestedBy,
    });
  }
  return done;
}

type LoadedRequest = { kind: 'open'; request: ApprovalRequest } | { kind: 'closed'; outcome: DecisionOutcome };

async function loadOpenRequest(deps: CoreDeps, requestId: string): Promise<LoadedRequest> {
  let request: ApprovalRequest | undefined;
  try {
    request = await deps.store.getRequest(requestId);
  } catch (error) {
    return { kind: 'closed', outcome: { kind: 'unavailable', message: `The state store is unreachable (${describe(error)}). Nothing was changed; rollback still works.` } };
  }
  if (!request) return { kind: 'closed', outcome: { kind: 'not-found', requestId } };
  if (request.status !== 'pending') return { kind: 'closed', outcome: { kind: 'already-decided', request } };
  if (isExpired(deps, request)) {
    const expired = await expire(deps, request).catch(() => undefined);
    return { kind: 'closed', outcome: expired ? { kind: 'expired', request: expired } : { kind: 'already-decided', request } };
  }
  return { kind: 'open', request };
}

function isExpired(deps: Pick<CoreDeps, 'clock'>, request: ApprovalRequest): boolean {
  return deps.clock.now().getTime() >= new Date(request.expiresAt).getTime();
}

async function settle(deps: CoreDeps, claimed: ApprovalRequest, changes: Partial<ApprovalRequest>): Promise<ApprovalRequest> {
  const decidedAt = deps.clock.now().toISOString();
  const done = await deps.store
    .transitionRequest(claimed.id, 'applying', { ...changes, decidedAt })
    .catch((error: unknown) => {
      deps.logger.error({ err: describe(error), requestId: claimed.id }, 'could not record the decision in the store');
      return undefined;
    });
  return done ?? { ...claimed, ...changes, decidedAt };
}
