// The ramp schedule: which steps exist, where the canary is on them, and how long it has held there.
import type { CanaryRoute } from './entities.js';
import { formatPercent } from './format.js';
import type { RampPolicy } from './policy.js';

/** The canary's share of traffic: 0 when its route is absent. */
export function percentOf(route: Pick<CanaryRoute, 'percent' | 'exists'>): number {
  return route.exists ? route.percent : 0;
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
 * Time at the current step. The bot records what it applied on the route itself; a live percent that differs
 * means someone changed it outside the bot, so the hold cannot be vouched for and counts as not met.
 */
export function holdStatus(route: CanaryRoute, policy: RampPolicy, now: Date): HoldStatus {
  if (!route.exists || route.percent === 0) return { satisfied: true };
  const applied = route.lastApplied;
  if (!applied) {
    // The drift check records such a weight as applied when it next runs; until then, say so.
    return { satisfied: false, unknownReason: 'no record of when this weight was set (it was not set by mcp-canary): the drift check records it as set when it next runs, and the hold counts from then' };
  }
  if (applied.percent !== route.percent) {
    return {
      satisfied: false,
      unknownReason: `the live weight (${formatPercent(route.percent)}) differs from the one mcp-canary applied (${formatPercent(applied.percent)}): it was changed outside the bot`,
    };
  }
  const since = new Date(applied.at);
  if (Number.isNaN(since.getTime())) return { satisfied: false, unknownReason: 'the recorded change time is unreadable' };
  const heldMs = Math.max(0, now.getTime() - since.getTime());
  const remainingMs = Math.max(0, policy.stepMinHoldMs - heldMs);
  return { since, heldMs, remainingMs, satisfied: remainingMs === 0 };
}
