// The migration phase, derived from the live state: shadow → canary (step i) → primary (100%) →
// cleanup-ready (14 days at 100%) → done.
import type { CoreDeps } from './deps.js';
import { formatRatio } from './go-no-go.js';
import { formatDuration, formatPercent } from './ramp.js';
import { ROUTING_RULE_ANNOTATIONS } from './rollback.js';
import { describe } from './errors.js';
import { evaluateExitCriterion } from './shadow.js';
import type { StatusReport } from './status.js';

export type PhaseName = 'shadow' | 'canary' | 'primary' | 'cleanup-ready' | 'unknown';

export interface Phase {
  name: PhaseName;
  label: string;
}

export const CLEANUP_AFTER_MS = 14 * 86_400_000;

export function derivePhase(status: Pick<StatusReport, 'canary' | 'percent' | 'position' | 'hold'>): Phase {
  if ('error' in status.canary) return { name: 'unknown', label: 'unknown (canary Ingress unreadable)' };
  if (!status.canary.exists || (status.percent ?? 0) === 0) {
    return { name: 'shadow', label: status.canary.exists ? 'shadow (canary at 0%)' : 'shadow (no canary Ingress)' };
  }
  const position = status.position!;
  if (!position.isFinal) return { name: 'canary', label: `canary, step ${position.stepNumber} of ${position.stepCount} (${formatPercent(status.percent!)})` };
  if ((status.hold?.heldMs ?? 0) >= CLEANUP_AFTER_MS) return { name: 'cleanup-ready', label: 'cleanup-ready (14 days at 100%)' };
  return { name: 'primary', label: 'primary (Rust at 100%)' };
}

export interface ChecklistItem {
  label: string;
  pass: boolean;
  detail: string;
}

/**
 * The prerequisites of the next phase, with live marks. From shadow to canary (runbook, Phase 2
 * prerequisites): N days of shadow match, no critical alert in 48 h, Rust ready, rollback verified
 * (a server-side dry run of the rollback patch), business window open. From primary: 14 days at 100%.
 */
export async function nextPhaseChecklist(
  deps: Pick<CoreDeps, 'metrics' | 'cluster' | 'clock' | 'policy'>,
  status: Pick<StatusReport, 'canary' | 'percent' | 'position' | 'hold' | 'rust' | 'window'>,
  phase: Phase,
): Promise<ChecklistItem[] | undefined> {
  if (phase.name === 'shadow') {
    const now = deps.clock.now();
    const [exit, fired, rollback] = await Promise.all([
      evaluateExitCriterion(deps, deps.policy.shadow, now),
      deps.metrics.instantVector(deps.policy.firedAlertsQuery('48h')),
      verifyRollback(deps, status),
    ]);
    const critical = fired.ok ? [...new Set(fired.samples.filter((s) => s.labels.severity === deps.policy.goNoGo.criticalSeverity).map((s) => s.labels.alertname ?? 'unnamed'))] : [];
    const rust = status.rust;
    return [
      { label: `Shadow match > ${formatRatio(deps.policy.shadow.matchMin)} for ${deps.policy.shadow.requiredDays} days`, pass: exit.met, detail: exit.summary },
      {
        label: 'No critical alert in the last 48 h',
        pass: fired.ok && critical.length === 0,
        detail: !fired.ok ? `unknown: ${fired.reason}` : critical.length ? `fired: ${critical.join(', ')}` : 'none fired',
      },
      'error' in rust
        ? { label: 'Rust deployment ready', pass: false, detail: `unknown: ${rust.error}` }
        : { label: 'Rust deployment ready', pass: rust.desired > 0 && rust.ready >= rust.desired, detail: `${rust.ready}/${rust.desired} ready` },
      { label: 'Rollback verified', pass: rollback.ok, detail: rollback.detail },
      { label: 'Business window open', pass: status.window.open, detail: status.window.open ? status.window.description : `closed (${status.window.description})` },
    ];
  }
  if (phase.name === 'primary' || phase.name === 'cleanup-ready') {
    const held = status.hold?.heldMs ?? 0;
    return [
      {
        label: '14 days at 100% before cleanup',
        pass: held >= CLEANUP_AFTER_MS,
        detail: status.hold?.unknownReason ?? `${formatDuration(held)} of 14d${held >= CLEANUP_AFTER_MS ? ': run /mcp-canary finalize' : ''}`,
      },
    ];
  }
  return undefined;
}

/** The runbook's "rollback script tested": the API server accepts the rollback patch (server-side dry run). */
async function verifyRollback(deps: Pick<CoreDeps, 'cluster' | 'clock'>, status: Pick<StatusReport, 'canary'>): Promise<{ ok: boolean; detail: string }> {
  if ('error' in status.canary) return { ok: false, detail: `canary Ingress unreadable: ${status.canary.error}` };
  if (!status.canary.exists) return { ok: false, detail: 'the canary Ingress does not exist yet: apply it first' };
  try {
    await deps.cluster.patchCanaryWeight(
      { weight: 0, removeAnnotations: ROUTING_RULE_ANNOTATIONS, appliedBy: 'mcp-canary (rollback check)', appliedAt: deps.clock.now().toISOString() },
      { dryRun: true },
    );
    return { ok: true, detail: 'server-side dry run of the rollback patch accepted' };
  } catch (error) {
    return { ok: false, detail: `dry run of the rollback patch failed: ${describe(error)}` };
  }
}
