// The canary route itself: what `/mcp-canary route` shows, and putting it back in place at 0%
// (`/mcp-canary route apply`) after a rollback removed it, from the copy the bot kept (in the store, else in
// the audit entry of that rollback), else from the configured manifest. A production change without a
// second person, so approvers only; audited; a server-side dry run under DRY_RUN.
import type { CoreDeps } from './deps.js';
import { rememberRoute } from './drift.js';
import type { CanaryRoute, RouteCopy, RouteRef } from './entities.js';
import { describe } from './errors.js';
import { mayChangeProduction, type ApproverRule } from './permissions.js';
import type { RouteApplied } from './ports.js';
import { holdStatus, type HoldStatus } from './ramp.js';
import { ROUTE_COPY_KEY } from './rollback.js';

export interface RouteReport {
  ref: RouteRef;
  route: CanaryRoute | { error: string };
  hold?: HoldStatus;
  at: Date;
}

export async function readRouteReport(deps: Pick<CoreDeps, 'router' | 'clock' | 'policy'>): Promise<RouteReport> {
  const at = deps.clock.now();
  try {
    const route = await deps.router.readRoute();
    return { ref: deps.router.ref, route, hold: holdStatus(route, deps.policy.ramp, at), at };
  } catch (error) {
    return { ref: deps.router.ref, route: { error: describe(error) }, at };
  }
}

export type RouteApplyOutcome =
  | { kind: 'applied'; result: Exclude<RouteApplied, { kind: 'already-present' }>; ref: RouteRef; actor: string; at: string; dryRun: boolean }
  | { kind: 'already-present'; ref: RouteRef }
  | { kind: 'not-approver'; rule: ApproverRule }
  | { kind: 'failed'; ref: RouteRef; error: string };

/** `/mcp-canary route apply`, after its confirm dialog. */
export async function putCanaryRouteInPlace(deps: CoreDeps, input: { actor: string }): Promise<RouteApplyOutcome> {
  const ref = deps.router.ref;
  const allowed = await mayChangeProduction(deps, input.actor, 'route-apply');
  if (allowed !== true) return allowed.kind === 'not-approver' ? allowed : { kind: 'failed', ref, error: allowed.message };
  const copy = await keptCopy(deps);
  const at = deps.clock.now().toISOString();
  let result: RouteApplied;
  try {
    result = await deps.router.applyCanaryRoute(copy, { appliedBy: input.actor, appliedAt: at });
  } catch (error) {
    return { kind: 'failed', ref, error: describe(error) };
  }
  if (result.kind === 'already-present') return { kind: 'already-present', ref };
  const dryRun = deps.policy.dryRun;
  if (!dryRun) await rememberRoute(deps, { exists: true, percent: 0 });
  deps.audit.record({
    at,
    actor: input.actor,
    action: 'route-applied',
    summary: `put the canary route ${ref.kind} ${ref.name} in place at 0% (${result.kind === 'created' ? `re-created from ${result.from === 'kept-copy' ? 'the copy kept before the rollback removed it' : 'CANARY_ROUTE_MANIFEST'}` : `canary backend added to ${result.rules} split rule(s)`})`,
    toPercent: 0,
    dryRun: dryRun || undefined,
  });
  return { kind: 'applied', result, ref, actor: input.actor, at, dryRun };
}

/** The copy kept by the rollback that removed the route: in the store, else in the audit trail. */
async function keptCopy(deps: Pick<CoreDeps, 'store' | 'audit'>): Promise<RouteCopy | undefined> {
  const stored = await deps.store.getValue<RouteCopy>(ROUTE_COPY_KEY).catch(() => undefined);
  if (stored) return stored;
  const { entries } = await deps.audit.recent(200);
  return entries.find((e) => e.routeCopy)?.routeCopy;
}
