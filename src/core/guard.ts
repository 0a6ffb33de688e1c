// When the bot rolls back by itself. While the canary gets traffic, every GUARD_INTERVAL the guard checks
// the runbook's immediate-rollback conditions: error rate above GUARD_ERROR_RATE_MAX, Rust p99 above
// GUARD_P99_RATIO_MAX × Python p99, an alert of ROLLBACK_ALERTS firing. After GUARD_BREACHES breaching
// checks in a row it acts once per breach episode, on one replica:
//   - rollback: rolls back exactly as the Rollback button does, with the guard as actor and the evidence;
//   - page: writes nothing, asks people to roll back now and escalates at once;
//   - off: only `status` shows the conditions.
// Missing data is never a breach: a condition without data is skipped, the others still count. Three checks
// in a row without data are reported once, and once more when data returns. An episode ends when the canary
// is at 0 or the conditions clear; a later breach is a new episode.
import { settledWithin } from '../settled-within.js';
import { pageForGuard, resolveGuardPage } from './alerts.js';
import type { AlertDeps, CoreDeps } from './deps.js';
import type { AlertGroupRecord, CanaryRoute, EvidenceSnapshot, FiringAlert, RollbackOutcome } from './entities.js';
import { describe } from './errors.js';
import { formatRatio, formatSeconds } from './format.js';
import type { GoNoGoReadings } from './go-no-go.js';
import type { GuardPolicy } from './policy.js';
import type { AlertSource, MetricsSource } from './ports.js';
import { percentOf } from './ramp.js';
import { automaticRollback, movedTraffic, rollbackCanary } from './rollback.js';

export const GUARD_STATE_KEY = 'guard:state';
/** Checks in a row without data before the channel hears the guard cannot see. */
export const NO_DATA_WARNING_AFTER = 3;

export type GuardConditionState = 'breach' | 'clear' | 'no-data';

export interface GuardCondition {
  id: 'error-rate' | 'p99-ratio' | 'rollback-alerts';
  label: string;
  /** The live value, formatted ("unknown" without data). */
  value: string;
  threshold: string;
  state: GuardConditionState;
  /** Why there is no data, when there is none. */
  missing?: string;
}

export interface GuardCheck {
  at: string;
  percent: number;
  conditions: GuardCondition[];
  breach: boolean;
  /** At least one condition had no data. */
  noData: boolean;
}

/** Pure: the conditions from what was read. */
export function evaluateGuardConditions(
  input: { errorRate: { ok: true; value: number } | { ok: false; reason: string }; rustP99: { ok: true; value: number } | { ok: false; reason: string }; pythonP99: { ok: true; value: number } | { ok: false; reason: string }; rollbackAlerts: { ok: true; alerts: FiringAlert[] } | { ok: false; reason: string } },
  policy: Pick<GuardPolicy, 'errorRateMax' | 'p99RatioMax' | 'rollbackAlerts'>,
): GuardCondition[] {
  const conditions: GuardCondition[] = [];
  const errorThreshold = `> ${formatRatio(policy.errorRateMax)}`;
  const { errorRate, rustP99, pythonP99, rollbackAlerts } = input;
  conditions.push(
    errorRate.ok
      ? { id: 'error-rate', label: 'Rust error rate (5m)', value: formatRatio(errorRate.value), threshold: errorThreshold, state: errorRate.value > policy.errorRateMax ? 'breach' : 'clear' }
      : { id: 'error-rate', label: 'Rust error rate (5m)', value: 'unknown', threshold: errorThreshold, state: 'no-data', missing: errorRate.reason },
  );

  const p99Threshold = `> ${policy.p99RatioMax}x Python p99`;
  if (!rustP99.ok || !pythonP99.ok || pythonP99.value <= 0) {
    const missing = !rustP99.ok ? `Rust p99 ${rustP99.reason}` : !pythonP99.ok ? `Python p99 ${pythonP99.reason}` : 'Python p99 is 0: no baseline';
    conditions.push({ id: 'p99-ratio', label: 'Rust p99 vs Python', value: 'unknown', threshold: p99Threshold, state: 'no-data', missing });
  } else {
    const ratio = rustP99.value / pythonP99.value;
    conditions.push({
      id: 'p99-ratio',
      label: 'Rust p99 vs Python',
      value: `${formatSeconds(rustP99.value)} vs ${formatSeconds(pythonP99.value)} (${ratio.toFixed(2)}x)`,
      threshold: p99Threshold,
      state: ratio > policy.p99RatioMax ? 'breach' : 'clear',
    });
  }

  const alertThreshold = policy.rollbackAlerts.join(', ') || 'none configured';
  if (rollbackAlerts.ok) {
    // Silenced or inhibited, a rollback alert still fires: a silence mutes notifications, never the guard.
    const names = [...new Set(rollbackAlerts.alerts.map((a) => a.name))];
    conditions.push({ id: 'rollback-alerts', label: 'Rollback alerts firing', value: names.length ? names.join(', ') : 'none', threshold: alertThreshold, state: names.length ? 'breach' : 'clear' });
  } else {
    conditions.push({ id: 'rollback-alerts', label: 'Rollback alerts firing', value: 'unknown', threshold: alertThreshold, state: 'no-data', missing: rollbackAlerts.reason });
  }
  return conditions;
}

/** One Prometheus round trip per condition, and one Alertmanager query. */
export async function readGuardConditions(
  sources: { metrics: Pick<MetricsSource, 'instant'>; alerts: Pick<AlertSource, 'firing'> },
  queries: { errorRateQuery: string; rustP99Query: string; pythonP99Query: string },
  policy: GuardPolicy,
): Promise<GuardCondition[]> {
  const [errorRate, rustP99, pythonP99, rollbackAlerts] = await Promise.all([
    sources.metrics.instant(queries.errorRateQuery),
    sources.metrics.instant(queries.rustP99Query),
    sources.metrics.instant(queries.pythonP99Query),
    policy.rollbackAlerts.length ? sources.alerts.firing([`alertname=~"${policy.rollbackAlerts.join('|')}"`]) : Promise.resolve({ ok: true as const, alerts: [] }),
  ]);
  return evaluateGuardConditions({ errorRate, rustP99, pythonP99, rollbackAlerts }, policy);
}

/** What the guard remembers between checks, shared by every replica through the store. */
export interface GuardState {
  lastCheck?: GuardCheck;
  breachesInRow: number;
  noDataInRow: number;
  /** The "cannot see" warning was posted and data has not returned since. */
  noDataWarned: boolean;
  /** The current breach episode: when it began and what the guard did about it. */
  episode?: { startedAt: string; actedAt?: string; action?: 'rollback' | 'page' | 'off'; failedAt?: string };
  /** Ticks in a row that could not read the canary route (the guard can neither see nor act). */
  routeUnreadableInRow?: number;
  /** The "cannot read the canary route" warning was posted and the route has not been read since. */
  routeUnreadableWarned?: boolean;
}

export const INITIAL_GUARD_STATE: GuardState = { breachesInRow: 0, noDataInRow: 0, noDataWarned: false };

export type GuardDecision = { act: false } | { act: true; episodeStartedAt: string };

/** Pure: the next state after one check, and whether to act now. The consecutive-breach counter lives here. */
export function advanceGuard(state: GuardState, check: GuardCheck, policy: Pick<GuardPolicy, 'breaches'>): { state: GuardState; decision: GuardDecision; noData?: 'warn' | 'recovered' } {
  const next: GuardState = { ...state, lastCheck: check };
  let noData: 'warn' | 'recovered' | undefined;
  next.noDataInRow = check.noData ? state.noDataInRow + 1 : 0;
  if (check.noData && next.noDataInRow >= NO_DATA_WARNING_AFTER && !state.noDataWarned) {
    next.noDataWarned = true;
    noData = 'warn';
  } else if (!check.noData && state.noDataWarned) {
    next.noDataWarned = false;
    noData = 'recovered';
  }
  // The canary at 0 or the conditions clear: the episode is over, the count starts again.
  if (check.percent === 0 || !check.breach) {
    next.breachesInRow = 0;
    next.episode = undefined;
    return { state: next, decision: { act: false }, noData };
  }
  next.breachesInRow = state.breachesInRow + 1;
  next.episode = state.episode ?? { startedAt: check.at };
  if (next.breachesInRow >= policy.breaches && !next.episode.actedAt) {
    return { state: next, decision: { act: true, episodeStartedAt: next.episode.startedAt }, noData };
  }
  return { state: next, decision: { act: false }, noData };
}

/** The readings as evidence, for the audit entry and the message. */
export function guardEvidence(check: GuardCheck): EvidenceSnapshot {
  const breaching = check.conditions.filter((c) => c.state === 'breach');
  return {
    verdict: 'NO-GO',
    evaluatedAt: check.at,
    criteria: check.conditions.map((c) => ({ label: c.label, value: c.value, threshold: c.threshold, pass: c.state !== 'breach' })),
    reasons: breaching.map((c) => `${c.label} ${c.value} (rollback when ${c.threshold})`),
  };
}

export type GuardTick =
  | { kind: 'skipped'; why: 'another-replica' | 'canary-at-zero' }
  /** The canary route could not be read: nothing checked; `warn` once after NO_DATA_WARNING_AFTER ticks in a row. */
  | { kind: 'route-unreadable'; error: string; inRow: number; warn: boolean }
  | { kind: 'checked'; check: GuardCheck; state: GuardState; noData?: 'warn' | 'recovered' }
  /** Rolled back (`outcome` moved traffic), or found it done by someone else at the same moment (no outcome). */
  | { kind: 'rolled-back'; check: GuardCheck; state: GuardState; outcome?: RollbackOutcome; noData?: 'warn' | 'recovered' }
  | { kind: 'paged'; check: GuardCheck; state: GuardState; page: AlertGroupRecord; noData?: 'warn' | 'recovered' };

/** The store's answers are awaited this long at most: a stalled Redis must not hold the guard. */
const STORE_WAIT_MS = 500;

/**
 * One guard tick. Every replica calls it every GUARD_INTERVAL; one of them, the first to claim the tick in
 * the store, checks. Without the store each replica checks on its own (`local` keeps its state), and the
 * rollback itself stays idempotent.
 */
export async function runGuardTick(deps: AlertDeps, local: { state: GuardState }): Promise<GuardTick> {
  const policy = deps.policy.guard;
  const now = deps.clock.now();
  const tick = Math.floor(now.getTime() / policy.intervalMs);
  const claimed = await settledWithin(deps.store.claimOnce(`guard:tick:${tick}`, policy.intervalMs * 4), STORE_WAIT_MS);
  if (claimed?.value === false) return { kind: 'skipped', why: 'another-replica' };

  const stored = await settledWithin(deps.store.getValue<GuardState>(GUARD_STATE_KEY), STORE_WAIT_MS);
  const read = stored?.value ?? (stored ? INITIAL_GUARD_STATE : local.state);
  let route: CanaryRoute;
  try {
    route = await deps.router.readRoute();
  } catch (error) {
    // Neither seeing nor able to act: said once after a few ticks, like missing data; the breach count stays.
    const inRow = (read.routeUnreadableInRow ?? 0) + 1;
    const warn = inRow >= NO_DATA_WARNING_AFTER && !read.routeUnreadableWarned;
    deps.logger.warn({ err: describe(error), inRow }, 'guard: could not read the canary route');
    await save(deps, local, { ...read, routeUnreadableInRow: inRow, routeUnreadableWarned: read.routeUnreadableWarned || warn });
    return { kind: 'route-unreadable', error: describe(error), inRow, warn };
  }
  const routeBack = read.routeUnreadableWarned === true;
  const previous: GuardState = { ...read, routeUnreadableInRow: 0, routeUnreadableWarned: false };
  const percent = percentOf(route);

  const conditions = percent > 0 ? await readGuardConditions(deps, deps.policy.goNoGo, policy) : [];
  const check: GuardCheck = {
    at: now.toISOString(),
    percent,
    conditions,
    breach: conditions.some((c) => c.state === 'breach'),
    noData: conditions.some((c) => c.state === 'no-data'),
  };
  if (percent === 0) {
    // Nothing to guard: remember the readings for `status`, end any episode.
    const state: GuardState = { ...previous, lastCheck: check, breachesInRow: 0, episode: undefined };
    await endEpisode(deps, previous);
    await save(deps, local, state);
    return routeBack ? { kind: 'checked', check, state, noData: 'recovered' } : { kind: 'skipped', why: 'canary-at-zero' };
  }

  const advanced = advanceGuard(previous, check, policy);
  const { state, decision } = advanced;
  const noData = advanced.noData ?? (routeBack ? 'recovered' : undefined);
  if (!state.episode) await endEpisode(deps, previous);
  if (!decision.act || policy.mode === 'off') {
    if (decision.act && state.episode) state.episode = { ...state.episode, actedAt: check.at, action: 'off' };
    await save(deps, local, state);
    return { kind: 'checked', check, state, noData };
  }

  // Act once per episode, on one replica, also when another replica or the alert path acts at the same time.
  const acting = await settledWithin(deps.store.claimOnce(`guard:act:${decision.episodeStartedAt}:${check.at}`, 86_400_000), STORE_WAIT_MS);
  state.episode = { ...state.episode!, actedAt: check.at, action: policy.mode };
  if (acting?.value === false) {
    await save(deps, local, state);
    return { kind: 'checked', check, state, noData };
  }

  const evidence = guardEvidence(check);
  if (policy.mode === 'page') {
    // Marked done only once the page is out: a page Slack refused, or that could not take its lock (the
    // store down), is tried again at the next breaching check. The page is one alert group per episode, so
    // a retry after a page that did go out finds it instead of posting a second one.
    let page: AlertGroupRecord;
    try {
      page = await pageForGuard(deps, { episodeStartedAt: decision.episodeStartedAt, evidence, percent });
    } catch (error) {
      state.episode = { ...state.episode, actedAt: undefined, failedAt: check.at };
      await save(deps, local, state);
      throw error;
    }
    await save(deps, local, state);
    deps.audit.record({
      at: check.at,
      actor: 'guard',
      action: 'guard-breach',
      summary: `rollback conditions breached ${state.breachesInRow} checks in a row at ${percent}%: ${evidence.reasons.join('; ')}; GUARD=page, nothing written, people paged`,
      fromPercent: percent,
      evidence,
    });
    return { kind: 'paged', check, state, page, noData };
  }
  await save(deps, local, state);
  const retrying = previous.episode?.startedAt === decision.episodeStartedAt && previous.episode.failedAt !== undefined;
  const outcome = await (retrying ? rollbackCanary : automaticRollback)(deps, {
    actor: 'guard',
    source: 'guard',
    reason: `${evidence.reasons.join('; ')} (${state.breachesInRow} checks in a row)`,
    evidence,
  });
  if (outcome?.kind === 'failed') {
    // Not done: the next breaching check tries again; the caller announces the manual commands now.
    state.episode = { ...state.episode, actedAt: undefined, failedAt: check.at };
    await save(deps, local, state);
  } else if (outcome === undefined) {
    // Another replica or the alert path holds this route version's rollback: theirs to do and announce. Not
    // marked done: if the canary is still up at the next breaching check, theirs did not land, and the guard
    // asks again (it rolls back itself once the holder has said it failed).
    state.episode = { ...state.episode, actedAt: undefined };
    await save(deps, local, state);
  }
  return { kind: 'rolled-back', check, state, outcome: outcome && outcome.kind !== 'already-rolled-back' ? outcome : undefined, noData };
}

/** An episode is over: a page it raised is resolved, so its escalation stops. */
async function endEpisode(deps: AlertDeps, previous: GuardState): Promise<void> {
  if (previous.episode?.action !== 'page') return;
  await resolveGuardPage(deps, previous.episode.startedAt).catch((error: unknown) => deps.logger.warn({ err: describe(error) }, 'guard: could not resolve its page'));
}

async function save(deps: Pick<CoreDeps, 'store' | 'logger'>, local: { state: GuardState }, state: GuardState): Promise<void> {
  local.state = state;
  const saved = await settledWithin(deps.store.setValue(GUARD_STATE_KEY, state), STORE_WAIT_MS);
  if (!saved) deps.logger.warn({}, 'guard: state not saved in the store (unreachable or slow); this replica keeps its own count');
}

/** What `status`, App Home and the digest show of the guard. */
export interface GuardReport {
  mode: GuardPolicy['mode'];
  intervalMs: number;
  breachesToAct: number;
  state?: GuardState;
  stateError?: string;
  /** The conditions now, when the guard has no check of its own to show. */
  live?: GuardCheck;
}

/**
 * The guard as `status` shows it: its last check from the store, or (GUARD=off, or no check yet) the
 * conditions read live from what the go/no-go already read, so showing them costs no extra query.
 */
export async function readGuardReport(
  deps: Pick<CoreDeps, 'store' | 'policy'>,
  live: { readings: GoNoGoReadings; alerts: FiringAlert[]; percent?: number; at: Date },
): Promise<GuardReport> {
  const policy = deps.policy.guard;
  const report: GuardReport = { mode: policy.mode, intervalMs: policy.intervalMs, breachesToAct: policy.breaches };
  try {
    report.state = await deps.store.getValue<GuardState>(GUARD_STATE_KEY);
  } catch (error) {
    report.stateError = describe(error);
  }
  if (policy.mode === 'off' || !report.state?.lastCheck) {
    const rollbackAlerts = { ok: true as const, alerts: live.alerts.filter((a) => policy.rollbackAlerts.includes(a.name)) };
    const conditions = evaluateGuardConditions({ ...live.readings, rollbackAlerts }, policy);
    report.live = { at: live.at.toISOString(), percent: live.percent ?? 0, conditions, breach: conditions.some((c) => c.state === 'breach'), noData: conditions.some((c) => c.state === 'no-data') };
  }
  return report;
}
