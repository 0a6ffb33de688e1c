// The ramp schedule: which steps exist, where the canary is on them, and how long it has held there.
import type { CanaryState } from './ports.js';

export interface RampPolicy {
  /** Percentages, increasing, e.g. [1, 5, 10, 25, 50, 100]. */
  steps: number[];
  stepMinHoldMs: number;
}

/** Percentage of requests ingress-nginx sends to the canary (weight out of the effective total). */
export function percentOf(state: Pick<CanaryState, 'weight' | 'weightTotal' | 'exists'>): number {
  if (!state.exists) return 0;
  return Math.round((state.weight / state.weightTotal) * 10_000) / 100;
}

/** The raw annotation value for a percentage, honouring canary-weight-total. */
export function weightFor(percent: number, weightTotal: number): number {
  return Math.round((percent * weightTotal) / 100);
}

export interface RampPosition {
  percent: number;
  /** 1-based index of the highest step reached (0 = before the first step). */
  stepNumber: number;
  stepCount: number;
  /** True when the weight sits exactly on a step. */
  onStep: boolean;
  nextStep?: number;
  isFinal: boolean;
}

export function rampPosition(percent: number, policy: RampPolicy): RampPosition {
  const reached = policy.steps.filter((s) => s <= percent).length;
  return {
    percent,
    stepNumber: reached,
    stepCount: policy.steps.length,
    onStep: policy.steps.includes(percent),
    nextStep: policy.steps.find((s) => s > percent),
    isFinal: percent >= policy.steps[policy.steps.length - 1]!,
  };
}

export interface HoldStatus {
  /** When the current weight was applied, when known. */
  since?: Date;
  heldMs?: number;
  remainingMs?: number;
  satisfied: boolean;
  /** Why the hold cannot be confirmed, when it cannot. */
  unknownReason?: string;
}

/**
 * Time at the current step. The bot records what it applied on the Ingress itself; a live weight that differs
 * means someone changed it outside the bot, so the hold cannot be vouched for and counts as not met.
 */
export function holdStatus(state: CanaryState, policy: RampPolicy, now: Date): HoldStatus {
  if (!state.exists || state.weight === 0) return { satisfied: true };
  const applied = state.lastApplied;
  if (!applied) {
    return { satisfied: false, unknownReason: 'no record of when this weight was set (it was not set by mcp-canary)' };
  }
  if (applied.weight !== state.weight) {
    return {
      satisfied: false,
      unknownReason: `the live weight (${state.weight}) differs from the one mcp-canary applied (${applied.weight}): it was changed outside the bot`,
    };
  }
  const since = new Date(applied.at);
  if (Number.isNaN(since.getTime())) return { satisfied: false, unknownReason: 'the recorded change time is unreadable' };
  const heldMs = Math.max(0, now.getTime() - since.getTime());
  const remainingMs = Math.max(0, policy.stepMinHoldMs - heldMs);
  return { since, heldMs, remainingMs, satisfied: remainingMs === 0 };
}

/** "2d 3h", "45m", "12s": compact durations for messages. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h <= 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

export function formatPercent(percent: number): string {
  return `${Number.isInteger(percent) ? percent : percent.toFixed(2)}%`;
}
