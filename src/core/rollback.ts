// Rollback: the canary at 0 now, for anyone, without approval. It talks to the traffic router only: never
// waits on the store or Prometheus, so it works while either is down. Percent 0 alone still lets header and
// cookie rules send requests to the canary, so those go too. If writing keeps failing, the router's last
// resort removes the canary route (a copy is kept first, to put it back), and the outcome says exactly
// what was done, step by step, as data.
import type { CoreDeps } from './deps.js';
import { rememberRoute } from './drift.js';
import type { CanaryRoute, EvidenceSnapshot, RollbackOutcome, RollbackSource, RollbackStep, RouteCopy } from './entities.js';
import { ClusterError, describe } from './errors.js';
import { percentOf } from './ramp.js';
import { settledWithin } from '../settled-within.js';

export const ROUTE_COPY_KEY = 'canary-route:copy';

export interface RollbackRequest {
  actor: string;
  reason?: string;
  source: RollbackSource;
  /** What made an automatic rollback happen (the guard's readings), kept in the audit entry. */
  evidence?: EvidenceSnapshot;
}

export interface RollbackTuning {
  writeAttempts: number;
  retryDelayMs: number;
}

const DEFAULT_TUNING: RollbackTuning = { writeAttempts: 2, retryDelayMs: 250 };

type RollbackDeps = Pick<CoreDeps, 'router' | 'audit' | 'clock' | 'policy' | 'store' | 'logger'>;

const rollbackInProgress = new WeakMap<object, Promise<unknown>>();

/**
 * One rollback at a time per process: a second click (or the guard and an alert at the same moment)
 * waits for the first and then reads the live state, so it finds "already rolled back" instead of
 * writing again. Nothing is ever dropped: every request gets its own outcome.
 */
export function rollbackCanary(deps: RollbackDeps, request: RollbackRequest, tuning: RollbackTuning = DEFAULT_TUNING): Promise<RollbackOutcome> {
  const previous = rollbackInProgress.get(deps.router) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => rollbackNow(deps, request, tuning));
  rollbackInProgress.set(deps.router, run);
  return run;
}

/**
 * An automatic rollback (the guard, a rollback alert): several replicas, and both paths, may decide it for
 * the same incident at the same moment. The first to claim the route's current version writes; the others
 * get undefined (someone else is on it) or find the canary at 0: one write, one announcement. A claim
 * whose rollback failed is marked so: the next path or check to ask claims one retry after that failure
 * and rolls back, instead of waiting out the claim. The store is waited on at most 250 ms per question;
 * without an answer the rollback goes ahead (it is idempotent).
 */
export async function automaticRollback(deps: RollbackDeps, request: RollbackRequest): Promise<RollbackOutcome | undefined> {
  const route = await deps.router.readRoute().catch(() => undefined);
  let claim: string | undefined;
  if (route && route.exists && (route.percent > 0 || route.routingRules.length > 0)) {
    claim = `auto-rollback:${route.version ?? route.percent}`;
    const claimed = await settledWithin(deps.store.claimOnce(claim, AUTO_ROLLBACK_CLAIM_MS), STORE_WAIT_MS);
    if (claimed?.value === false) {
      const failed = await settledWithin(deps.store.getValue<{ at: string }>(`${claim}:failed`), STORE_WAIT_MS);
      // Still in progress (or it succeeded and the route moved on): theirs.
      if (!failed?.value) return undefined;
      const retry = await settledWithin(deps.store.claimOnce(`${claim}:retry:${failed.value.at}`, AUTO_ROLLBACK_CLAIM_MS), STORE_WAIT_MS);
      if (retry?.value === false) return undefined;
    }
  }
  const outcome = await rollbackCanary(deps, request);
  if (claim && outcome.kind === 'failed') {
    const marked = await settledWithin(deps.store.setValue(`${claim}:failed`, { at: outcome.at }), STORE_WAIT_MS);
    if (!marked) deps.logger.warn({ claim }, 'automatic rollback failed and the store did not take note: the other path may try only once its claim expires');
  }
  return outcome;
}

const AUTO_ROLLBACK_CLAIM_MS = 600_000;
const STORE_WAIT_MS = 250;

/** Did this outcome move traffic (and so deserve an announcement)? */
export function movedTraffic(outcome: RollbackOutcome): boolean {
  return outcome.kind === 'rolled-back' || outcome.kind === 'route-removed';
}

async function rollbackNow(deps: RollbackDeps, request: RollbackRequest, tuning: RollbackTuning): Promise<RollbackOutcome> {
  const { router } = deps;
  const at = deps.clock.now().toISOString();
  const steps: RollbackStep[] = [];
  const common = { actor: request.actor, reason: request.reason, source: request.source, at, dryRun: deps.policy.dryRun, route: router.ref, steps };

  // The read tells us what we are undoing; if it fails we write blind rather than wait.
  let before: CanaryRoute | undefined;
  try {
    before = await router.readRoute();
  } catch (error) {
    steps.push({ kind: 'read-failed', error: describe(error) });
  }
  if (before && !before.exists) return finish(deps, request, { ...common, kind: 'already-rolled-back', why: 'route-absent' });
  if (before && before.percent === 0 && before.routingRules.length === 0) return finish(deps, request, { ...common, kind: 'already-rolled-back', why: 'at-zero' });
  const fromPercent = before ? percentOf(before) : undefined;

  let writeError = '';
  for (let attempt = 1; attempt <= tuning.writeAttempts; attempt++) {
    try {
      const after = await router.resetToPrimary({ appliedBy: request.actor, appliedAt: at });
      const removedRules = before?.routingRules ?? [];
      steps.push({ kind: 'reset', fromPercent, removedRules, nowPercent: after.percent });
      return finish(deps, request, { ...common, kind: 'rolled-back', fromPercent, removedRules });
    } catch (error) {
      if (error instanceof ClusterError && error.kind === 'not-found') return finish(deps, request, { ...common, kind: 'already-rolled-back', why: 'route-absent' });
      writeError = describe(error);
      steps.push({ kind: 'write-failed', attempt, error: writeError });
      if (attempt < tuning.writeAttempts) await delay(tuning.retryDelayMs);
    }
  }

  const errors = [writeError];
  const fail = (): Promise<RollbackOutcome> =>
    finish(deps, request, { ...common, kind: 'failed', errors, manualCommands: router.manualRollbackCommands() });
  if (!router.removeCanaryRoute) return fail();

  // Runbook fallback: without the canary route every request goes to the primary. Keep a copy first (best
  // effort, never waited on for long) so `route apply` can put it back.
  const copy = (await settledWithin(router.copyRoute(), 1_000))?.value;
  // Told to the drift check before the route goes, so a check in between never takes it for a change made
  // outside the bot (not awaited: the rollback never waits on the store); taken back if the removal fails.
  if (!deps.policy.dryRun) void rememberRoute(deps, { exists: false, percent: 0 });
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await router.removeCanaryRoute();
      steps.push({ kind: 'route-removed', copyKept: copy !== undefined });
      return finish(deps, request, { ...common, kind: 'route-removed', fromPercent, writeError }, copy);
    } catch (error) {
      if (error instanceof ClusterError && error.kind === 'not-found') {
        steps.push({ kind: 'route-already-gone' });
        return finish(deps, request, { ...common, kind: 'route-removed', fromPercent, writeError });
      }
      errors.push(describe(error));
      steps.push({ kind: 'remove-failed', attempt, error: describe(error) });
      if (attempt < 2) await delay(tuning.retryDelayMs);
    }
  }
  if (!deps.policy.dryRun && before) void rememberRoute(deps, { exists: true, percent: before.percent });
  return fail();
}

function finish(deps: RollbackDeps, request: RollbackRequest, outcome: RollbackOutcome, copy?: RouteCopy): Promise<RollbackOutcome> {
  // Not awaited: the rollback never waits on the store. Remembered so drift detection knows it was us
  // (a dry run changed nothing, so there is nothing to remember).
  if (outcome.kind === 'rolled-back' && !outcome.dryRun) void rememberRoute(deps, { exists: true, percent: 0 });
  if (outcome.kind === 'route-removed' && !outcome.dryRun) void rememberRoute(deps, { exists: false, percent: 0 });
  if (copy) void deps.store.setValue(ROUTE_COPY_KEY, copy).catch((error: unknown) => deps.logger.warn({ err: describe(error) }, 'could not keep the copy of the canary route in the store; the audit entry has it'));
  deps.audit.record({
    at: outcome.at,
    actor: outcome.actor,
    action: outcome.kind === 'failed' ? 'rollback-failed' : outcome.kind === 'already-rolled-back' ? 'rollback-noop' : 'rollback',
    summary: rollbackSummary(outcome),
    fromPercent: 'fromPercent' in outcome ? outcome.fromPercent : undefined,
    toPercent: outcome.kind === 'failed' || outcome.kind === 'already-rolled-back' ? undefined : 0,
    evidence: request.evidence,
    routeCopy: copy,
    dryRun: outcome.dryRun || undefined,
  });
  return Promise.resolve(outcome);
}

/** Plain text for the audit log and terminals. */
export function rollbackSummary(outcome: RollbackOutcome): string {
  const route = `${outcome.route.kind} ${outcome.route.name}`;
  const why = outcome.reason ? ` (reason: ${outcome.reason})` : '';
  const from = 'fromPercent' in outcome && outcome.fromPercent !== undefined ? ` from ${outcome.fromPercent}%` : '';
  switch (outcome.kind) {
    case 'rolled-back':
      return `rollback from ${outcome.source}: ${route} set to 0%${from}${outcome.removedRules.length ? `, ${outcome.removedRules.length} routing rule(s) removed` : ''}${why}`;
    case 'route-removed':
      return `rollback from ${outcome.source}: writing 0% kept failing (${outcome.writeError}); the canary route of ${route} was removed${from}: all traffic goes to the primary${why}`;
    case 'already-rolled-back':
      return `rollback from ${outcome.source}: nothing to do, ${outcome.why === 'route-absent' ? `the canary route of ${route} is absent` : `${route} is already at 0% with no routing rules`}${why}`;
    case 'failed':
      return `rollback from ${outcome.source} FAILED on ${route}: ${outcome.errors.join('; ')}${why}`;
  }
}

/** After a rollback, a pending increase makes no sense any more: cancel it. Best effort, store may be down. */
export async function cancelPendingAfterRollback(deps: Pick<CoreDeps, 'store' | 'clock' | 'logger'>, actor: string) {
  try {
    const pending = await deps.store.getPendingRequest();
    if (!pending) return undefined;
    return await deps.store.transitionRequest(pending.id, 'pending', {
      status: 'cancelled',
      decidedBy: actor,
      decidedAt: deps.clock.now().toISOString(),
      decision: { kind: 'cancelled', cause: 'rolled-back' },
    });
  } catch (error) {
    deps.logger.warn({ err: describe(error) }, 'could not cancel the pending request after a rollback');
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
