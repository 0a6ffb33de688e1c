// Rollback: weight "0" now, for anyone, without approval. It talks to Kubernetes only: never to the
// store or Prometheus, so it works while either is down. Weight 0 alone still lets header/cookie rules
// route requests to Rust, so those go too. If patching keeps failing, the canary Ingress is deleted
// (the runbook's fallback), and the outcome says exactly what was done.
import type { CoreDeps } from './deps.js';
import { rememberCanary } from './drift.js';
import { type ApprovalRequest, type CanaryState } from './ports.js';
import { ClusterError, describe } from './errors.js';
import { formatPercent, percentOf } from './ramp.js';

const ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';
export const ROUTING_RULE_ANNOTATIONS = ['canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie'].map(
  (name) => ANNOTATION_PREFIX + name,
);

export type RollbackSource = 'command' | 'status' | 'approval' | 'alert' | 'home' | 'digest' | 'auto' | 'weight-0';

export interface RollbackRequest {
  actor: string;
  reason?: string;
  source: RollbackSource;
}

interface RollbackCommon {
  actor: string;
  reason?: string;
  source: RollbackSource;
  at: string;
  dryRun: boolean;
  /** The steps taken, in order, in words for the channel. */
  actions: string[];
}

export type RollbackOutcome =
  | (RollbackCommon & { kind: 'rolled-back'; fromPercent?: number; removedRules: Record<string, string> })
  | (RollbackCommon & { kind: 'deleted-ingress'; fromPercent?: number; patchError: string })
  | (RollbackCommon & { kind: 'already-rolled-back'; detail: string })
  | (RollbackCommon & { kind: 'failed'; errors: string[]; manualCommands: string[] });

export interface RollbackTuning {
  patchAttempts: number;
  retryDelayMs: number;
}

const DEFAULT_TUNING: RollbackTuning = { patchAttempts: 2, retryDelayMs: 250 };

const rollbackInProgress = new WeakMap<object, Promise<unknown>>();

/**
 * One rollback at a time per process: a second click (or the guard and an alert at the same moment)
 * waits for the first and then reads the live state, so it finds "already rolled back" instead of
 * writing again. Nothing is ever dropped: every request gets its own outcome.
 */
export function rollbackCanary(
  deps: Pick<CoreDeps, 'cluster' | 'audit' | 'clock' | 'policy' | 'store'>,
  request: RollbackRequest,
  tuning: RollbackTuning = DEFAULT_TUNING,
): Promise<RollbackOutcome> {
  const previous = rollbackInProgress.get(deps.cluster) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => rollbackNow(deps, request, tuning));
  rollbackInProgress.set(deps.cluster, run);
  return run;
}

async function rollbackNow(
  deps: Pick<CoreDeps, 'cluster' | 'audit' | 'clock' | 'policy' | 'store'>,
  request: RollbackRequest,
  tuning: RollbackTuning,
): Promise<RollbackOutcome> {
  const { cluster } = deps;
  const at = deps.clock.now().toISOString();
  const common: RollbackCommon = { actor: request.actor, reason: request.reason, source: request.source, at, dryRun: deps.policy.dryRun, actions: [] };
  const t = cluster.targets;
  const ingressRef = `ingress/${t.canaryIngress} in ${t.namespace}`;

  // The read tells us what we are undoing; if it fails we patch blind rather than wait.
  let before: CanaryState | undefined;
  try {
    before = await cluster.readCanary();
  } catch (error) {
    common.actions.push(`could not read ${ingressRef} first (${describe(error)}); patching anyway`);
  }
  if (before && !before.exists) {
    return finish(deps, { ...common, kind: 'already-rolled-back', detail: `${ingressRef} does not exist: all traffic already goes to Python` });
  }
  if (before && before.weight === 0 && Object.keys(before.routingRules).length === 0) {
    return finish(deps, { ...common, kind: 'already-rolled-back', detail: `${ingressRef} is already at weight 0 with no header or cookie rules` });
  }
  const fromPercent = before ? percentOf(before) : undefined;

  let patchError = '';
  for (let attempt = 1; attempt <= tuning.patchAttempts; attempt++) {
    try {
      const after = await cluster.patchCanaryWeight({
        weight: 0,
        removeAnnotations: ROUTING_RULE_ANNOTATIONS,
        appliedBy: request.actor,
        appliedAt: at,
      });
      const removedRules = before?.routingRules ?? {};
      common.actions.push(`set ${ANNOTATION_PREFIX}canary-weight to "0" on ${ingressRef}${fromPercent !== undefined ? ` (was ${formatPercent(fromPercent)})` : ''}`);
      if (Object.keys(removedRules).length) {
        common.actions.push(`removed ${Object.entries(removedRules).map(([k, v]) => `${k.replace(ANNOTATION_PREFIX, '')}=${v}`).join(', ')} so no header or cookie routes to Rust`);
      }
      if (after.weight !== 0) common.actions.push(`warning: the Ingress now reads weight ${after.weight}`);
      return finish(deps, { ...common, kind: 'rolled-back', fromPercent, removedRules });
    } catch (error) {
      if (error instanceof ClusterError && error.kind === 'not-found') {
        return finish(deps, { ...common, kind: 'already-rolled-back', detail: `${ingressRef} does not exist: all traffic already goes to Python` });
      }
      patchError = describe(error);
      common.actions.push(`patch attempt ${attempt} failed: ${patchError}`);
      if (attempt < tuning.patchAttempts) await delay(tuning.retryDelayMs);
    }
  }

  // Runbook fallback: without the canary Ingress every request goes to the primary backend.
  const errors = [`patch: ${patchError}`];
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await cluster.deleteCanary();
      common.actions.push(`deleted ${ingressRef} (fallback after the patch failed): all traffic goes to Python; re-apply the canary Ingress before ramping again`);
      return finish(deps, { ...common, kind: 'deleted-ingress', fromPercent, patchError });
    } catch (error) {
      if (error instanceof ClusterError && error.kind === 'not-found') {
        common.actions.push(`${ingressRef} is gone: all traffic goes to Python`);
        return finish(deps, { ...common, kind: 'deleted-ingress', fromPercent, patchError });
      }
      errors.push(`delete: ${describe(error)}`);
      common.actions.push(`delete attempt ${attempt} failed: ${describe(error)}`);
      if (attempt < 2) await delay(tuning.retryDelayMs);
    }
  }
  return finish(deps, {
    ...common,
    kind: 'failed',
    errors,
    manualCommands: [
      `kubectl patch ingress ${t.canaryIngress} -n ${t.namespace} --type=merge -p '{"metadata":{"annotations":{"${ANNOTATION_PREFIX}canary-weight":"0","${ANNOTATION_PREFIX}canary-by-header":null,"${ANNOTATION_PREFIX}canary-by-cookie":null}}}'`,
      `kubectl delete ingress ${t.canaryIngress} -n ${t.namespace}`,
    ],
  });
}

function finish(deps: Pick<CoreDeps, 'audit' | 'store' | 'clock'>, outcome: RollbackOutcome): RollbackOutcome {
  // Not awaited: the rollback never waits on the store. Remembered so drift detection knows it was us.
  if (outcome.kind === 'rolled-back') void rememberCanary(deps, { exists: true, weight: 0, weightTotal: 100 });
  if (outcome.kind === 'deleted-ingress') void rememberCanary(deps, { exists: false, weight: 0, weightTotal: 100 });
  const why = outcome.reason ? ` (reason: ${outcome.reason})` : '';
  deps.audit.record({
    at: outcome.at,
    actor: outcome.actor,
    action: outcome.kind === 'failed' ? 'rollback-failed' : outcome.kind === 'already-rolled-back' ? 'rollback-noop' : 'rollback',
    summary:
      outcome.kind === 'already-rolled-back'
        ? `rollback from ${outcome.source}: nothing to do, ${outcome.detail}${why}`
        : `rollback from ${outcome.source}: ${outcome.actions.join('; ')}${why}`,
    fromPercent: 'fromPercent' in outcome ? outcome.fromPercent : undefined,
    toPercent: outcome.kind === 'failed' || outcome.kind === 'already-rolled-back' ? undefined : 0,
    dryRun: outcome.dryRun || undefined,
  });
  return outcome;
}

/** After a rollback, a pending increase makes no sense any more: cancel it. Best effort, store may be down. */
export async function cancelPendingAfterRollback(
  deps: Pick<CoreDeps, 'store' | 'clock' | 'logger'>,
  actor: string,
): Promise<ApprovalRequest | undefined> {
  try {
    const pending = await deps.store.getPendingRequest();
    if (!pending) return undefined;
    return await deps.store.transitionRequest(pending.id, 'pending', {
      status: 'cancelled',
      decidedBy: actor,
      decidedAt: deps.clock.now().toISOString(),
      outcome: `cancelled: <@${actor}> rolled the canary back`,
    });
  } catch (error) {
    deps.logger.warn({ err: describe(error) }, 'could not cancel the pending request after a rollback');
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
