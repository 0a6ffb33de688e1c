// Drift: someone changed the canary outside the bot (kubectl edit, a CD tool). The bot records on the route
// what it applied; a live percent that differs, a canary route that appeared or vanished, or split rules
// that disagree with each other, is drift. So is a canary percent above 0 with no record of the bot's at all
// (a route made by hand or by a migration tool such as ingress2gateway): nobody can say how long it has
// held, so the ramp would refuse every increase. It is announced once (whichever replica sees it first),
// audited, and adopted as the new known state: recorded on the route as applied now, so the hold counts
// from the moment it was noticed.
import type { CoreDeps } from './deps.js';
import type { CanaryRoute } from './entities.js';
import { describe } from './errors.js';
import { formatPercent } from './format.js';
import { percentOf } from './ramp.js';

export const KNOWN_ROUTE_KEY = 'canary:known';

export interface KnownRoute {
  exists: boolean;
  percent: number;
  at: string;
}

export interface DriftEvent {
  at: string;
  before: { exists: boolean; percent: number };
  after: { exists: boolean; percent: number };
  /** Every split rule's percent, when they disagree with each other. */
  disagreeingSplit?: number[];
  /** Whether the new state was recorded on the route as the applied one (the hold restarts). */
  adopted: boolean;
  /** The percent did not change: it was set outside the bot with no record of when (before = after). */
  unrecorded?: boolean;
  dryRun: boolean;
}

/** Called after the bot's own changes, so they are never mistaken for drift. Best effort. */
export async function rememberRoute(deps: Pick<CoreDeps, 'store' | 'clock'>, state: { exists: boolean; percent: number }): Promise<void> {
  const known: KnownRoute = { exists: state.exists, percent: state.percent, at: deps.clock.now().toISOString() };
  await deps.store.setValue(KNOWN_ROUTE_KEY, known).catch(() => undefined);
}

function disagreement(live: CanaryRoute): number[] | undefined {
  const percents = live.splitPercents ?? [];
  return live.exists && new Set(percents).size > 1 ? percents : undefined;
}

export async function checkDrift(deps: CoreDeps): Promise<DriftEvent | undefined> {
  const live = await deps.router.readRoute();
  const known = await deps.store.getValue<KnownRoute>(KNOWN_ROUTE_KEY);
  // What the bot last applied, as recorded on the route itself (survives a store loss).
  const applied = live.lastApplied;
  const split = disagreement(live);
  let before: KnownRoute | undefined;
  if (live.exists && applied && applied.percent !== live.percent) {
    before = { exists: true, percent: applied.percent, at: applied.at };
  } else if (known && known.exists !== live.exists) {
    before = known;
  } else if (known && live.exists && known.percent !== live.percent && !(applied && applied.percent === live.percent && applied.at >= known.at)) {
    before = known;
  } else if (split) {
    before = { exists: true, percent: applied?.percent ?? live.percent, at: applied?.at ?? '' };
  }
  const unrecorded = !before && live.exists && !applied && live.percent > 0;
  if (unrecorded) before = { exists: true, percent: live.percent, at: '' };
  if (!before) {
    if (!known || known.exists !== live.exists || known.percent !== live.percent) await rememberRoute(deps, live);
    return undefined;
  }

  // Announce once across replicas: the claim is keyed by the observed change.
  const key = `drift:${unrecorded ? 'unrecorded:' : ''}${before.exists}:${before.percent}:${live.exists}:${live.percent}:${split?.join('/') ?? ''}:${live.version ?? 'gone'}`;
  if (!(await deps.store.claimOnce(key, 86_400_000))) return undefined;

  const at = deps.clock.now().toISOString();
  const afterPercent = percentOf(live);
  // Adopt: record the live percent as applied now, so the hold restarts and status stops warning. Split
  // rules that disagree are left as they are: making them agree would move traffic, which is a person's call.
  let adopted = false;
  if (live.exists && !split) {
    try {
      await deps.router.setPercent({ percent: live.percent, expectedVersion: live.version, appliedBy: 'outside the bot (drift adopted)', appliedAt: at });
      adopted = true;
    } catch (error) {
      deps.logger.warn({ err: describe(error) }, 'could not record the adopted percent on the canary route');
    }
  }
  await rememberRoute(deps, live);
  const describeState = (exists: boolean, percent: number) => (exists ? `weight ${formatPercent(percent)}` : 'canary route absent');
  deps.audit.record({
    at,
    actor: 'outside the bot',
    action: 'drift-detected',
    summary: unrecorded
      ? `set outside mcp-canary with no record of when: ${describeState(live.exists, afterPercent)}${adopted ? ', recorded as applied now (the hold at this step restarts)' : ', could not be recorded on the route'}`
      : `changed outside mcp-canary: ${describeState(before.exists, before.percent)} → ${describeState(live.exists, afterPercent)}${split ? ` (split rules disagree: ${split.map(formatPercent).join(', ')})` : ''}`,
    fromPercent: before.exists ? before.percent : 0,
    toPercent: afterPercent,
    dryRun: deps.router.dryRun || undefined,
  });
  return {
    at,
    before: { exists: before.exists, percent: before.exists ? before.percent : 0 },
    after: { exists: live.exists, percent: afterPercent },
    disagreeingSplit: split,
    adopted,
    unrecorded: unrecorded || undefined,
    dryRun: deps.router.dryRun,
  };
}
