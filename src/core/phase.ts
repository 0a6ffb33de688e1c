// The migration phase, derived from the live state: shadow → canary (step i) → primary (100%) →
// cleanup-ready (14 days at 100%), and the prerequisites of the next phase with live marks.
import type { CanaryRoute } from './entities.js';
import { formatDuration, formatPercent } from './format.js';
import type { RuleCheck } from './go-no-go.js';
import type { HoldStatus, RampPosition } from './ramp.js';

export type PhaseName = 'shadow' | 'canary' | 'primary' | 'cleanup-ready' | 'unknown';

export interface Phase {
  name: PhaseName;
  label: string;
}

export type ChecklistItem = RuleCheck;

export const CLEANUP_AFTER_MS = 14 * 86_400_000;

export interface PhaseInput {
  route: CanaryRoute | { error: string };
  percent?: number;
  position?: RampPosition;
  hold?: HoldStatus;
}

export function derivePhase(status: PhaseInput): Phase {
  if ('error' in status.route) return { name: 'unknown', label: 'unknown (canary route unreadable)' };
  if (!status.route.exists || (status.percent ?? 0) === 0) {
    return { name: 'shadow', label: status.route.exists ? 'shadow (canary at 0%)' : 'shadow (no canary route)' };
  }
  const position = status.position!;
  if (!position.isFinal) return { name: 'canary', label: `canary, step ${position.stepNumber} of ${position.stepCount} (${formatPercent(status.percent!)})` };
  if ((status.hold?.heldMs ?? 0) >= CLEANUP_AFTER_MS) return { name: 'cleanup-ready', label: 'cleanup-ready (14 days at 100%)' };
  return { name: 'primary', label: 'primary (Rust at 100%)' };
}

/**
 * The prerequisites of the next phase, with live marks. From shadow to canary: the runbook's prerequisites
 * (RAMP_PREREQUISITES, already evaluated) and the business window. From primary: 14 days at 100%.
 */
export function nextPhaseChecklist(
  phase: Phase,
  input: { prerequisites?: RuleCheck[]; window: RuleCheck; hold?: HoldStatus },
): ChecklistItem[] | undefined {
  if (phase.name === 'shadow') return [...(input.prerequisites ?? []), { ...input.window, label: 'Business window open' }];
  if (phase.name === 'primary' || phase.name === 'cleanup-ready') {
    const held = input.hold?.heldMs ?? 0;
    return [
      {
        label: '14 days at 100% before cleanup',
        pass: held >= CLEANUP_AFTER_MS,
        detail: input.hold?.unknownReason ?? `${formatDuration(held)} of 14d${held >= CLEANUP_AFTER_MS ? ': run /mcp-canary finalize' : ''}`,
      },
    ];
  }
  return undefined;
}
