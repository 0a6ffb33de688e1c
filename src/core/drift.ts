// Drift: someone changed the canary outside the bot (kubectl edit, a CD tool). The bot records on the
// Ingress what it applied; a live weight that differs, or an Ingress that appeared or vanished, is drift.
// It is announced once (whichever replica sees it first), audited, and adopted as the new known state.
import type { CoreDeps } from './deps.js';
import type { CanaryState } from './ports.js';
import { formatPercent, percentOf } from './ramp.js';
import { describe } from './errors.js';

export const KNOWN_CANARY_KEY = 'canary:known';

export interface KnownCanary {
  exists: boolean;
  weight: number;
  weightTotal: number;
  at: string;
}

export interface DriftEvent {
  at: string;
  before: { exists: boolean; percent: number };
  after: { exists: boolean; percent: number };
  summary: string;
  /** Whether the new state was adopted on the Ingress (applied-* annotations). */
  adopted: boolean;
  dryRun: boolean;
}

/** Called after the bot's own changes, so they are never mistaken for drift. Best effort. */
export async function rememberCanary(deps: Pick<CoreDeps, 'store' | 'clock'>, state: Pick<CanaryState, 'exists' | 'weight' | 'weightTotal'>): Promise<void> {
  const known: KnownCanary = { exists: state.exists, weight: state.weight, weightTotal: state.weightTotal, at: deps.clock.now().toISOString() };
  await deps.store.setValue(KNOWN_CANARY_KEY, known).catch(() => undefined);
}

export async function checkDrift(deps: CoreDeps): Promise<DriftEvent | undefined> {
  const live = await deps.cluster.readCanary();
  const known = await deps.store.getValue<KnownCanary>(KNOWN_CANARY_KEY);
  // What the bot last applied, as recorded on the Ingress itself (survives a store loss).
  const applied = live.lastApplied;
  let before: KnownCanary | undefined;
  if (live.exists && applied && applied.weight !== live.weight) {
    before = { exists: true, weight: applied.weight, weightTotal: live.weightTotal, at: applied.at };
  } else if (known && known.exists !== live.exists) {
    before = known;
  } else if (known && live.exists && known.weight !== live.weight && !(applied && applied.weight === live.weight && applied.at >= known.at)) {
    before = known;
  }
  if (!before) {
    if (!known || known.exists !== live.exists || known.weight !== live.weight) await rememberCanary(deps, live);
    return undefined;
  }

  // Announce once across replicas: the claim is keyed by the observed change.
  const key = `drift:${before.exists}:${before.weight}:${live.exists}:${live.weight}:${live.resourceVersion ?? 'gone'}`;
  if (!(await deps.store.claimOnce(key, 86_400_000))) return undefined;

  const at = deps.clock.now().toISOString();
  const beforePercent = before.exists ? percentOf({ exists: true, weight: before.weight, weightTotal: before.weightTotal }) : 0;
  const afterPercent = percentOf(live);
  const describeState = (exists: boolean, percent: number) => (exists ? `weight ${formatPercent(percent)}` : 'canary Ingress absent');
  const summary = `changed outside mcp-canary: ${describeState(before.exists, beforePercent)} → ${describeState(live.exists, afterPercent)}`;

  // Adopt: record the live weight as applied now, so the hold restarts from here and status stops warning.
  let adopted = false;
  if (live.exists) {
    try {
      await deps.cluster.patchCanaryWeight({ weight: live.weight, expectedResourceVersion: live.resourceVersion, appliedBy: 'outside the bot (drift adopted)', appliedAt: at });
      adopted = true;
    } catch (error) {
      deps.logger.warn({ err: describe(error) }, 'could not record the adopted weight on the canary Ingress');
    }
  }
  await rememberCanary(deps, live);
  deps.audit.record({
    at,
    actor: 'outside the bot',
    action: 'drift-detected',
    summary,
    fromPercent: beforePercent,
    toPercent: afterPercent,
    dryRun: deps.cluster.dryRun || undefined,
  });
  return {
    at,
    before: { exists: before.exists, percent: beforePercent },
    after: { exists: live.exists, percent: afterPercent },
    summary,
    adopted,
    dryRun: deps.cluster.dryRun,
  };
}
