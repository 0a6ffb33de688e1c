// What decides whether the canary may move to a higher weight: the runbook's go/no-go criteria (live
// metrics and alerts, including the alerts whose action is "pause ramp-up"), the ramp rules (next step
// only, hold time, business window, Rust ready, the route accepted by its traffic layer) and, before the
// first step, the runbook's prerequisites. Everything fails closed: a value that cannot be read is a
// NO-GO with the reason.
import { describeBusinessHours, isWindowOpen, nextWindowOpening } from './business-hours.js';
import type { CoreDeps } from './deps.js';
import type { CanaryRoute, DeploymentReadiness, EvidenceSnapshot, FiringAlert, Sample } from './entities.js';
import { describe } from './errors.js';
import { formatDuration, formatPercent, formatRatio, formatSeconds } from './format.js';
import type { GoNoGoPolicy, RampPrerequisite, RampRules } from './policy.js';
import type { AlertSource, MetricsSource } from './ports.js';
import { holdStatus, percentOf, rampPosition, type HoldStatus } from './ramp.js';
import { evaluateExitCriterion } from './shadow.js';

export interface Criterion {
  id: 'error-rate' | 'p99-ratio' | 'critical-alerts' | 'pause-alerts';
  label: string;
  /** Live value, formatted; "unknown" when it could not be read. */
  value: string;
  threshold: string;
  pass: boolean;
  reason?: string;
}

export interface GoNoGo {
  verdict: 'GO' | 'NO-GO';
  criteria: Criterion[];
  reasons: string[];
  /** Critical alerts firing (silenced ones included, marked). */
  firingAlerts: FiringAlert[];
  /** Alerts of PAUSE_ALERTS firing. */
  pausingAlerts: FiringAlert[];
  /** The raw samples, for whoever needs the numbers (the guard's view of the same moment). */
  readings: GoNoGoReadings;
  evaluatedAt: Date;
}

export interface GoNoGoReadings {
  errorRate: Sample;
  rustP99: Sample;
  pythonP99: Sample;
}

/** An alert name as the go/no-go counts it: a muted alert still counts, and says it is muted. */
function countedName(alert: FiringAlert): string {
  if (!alert.suppressed) return alert.name;
  return `${alert.name} (${alert.suppressed.silences.length ? 'silenced' : 'inhibited'})`;
}

export async function evaluateGoNoGo(
  sources: { metrics: Pick<MetricsSource, 'instant'>; alerts: Pick<AlertSource, 'firing'> },
  policy: GoNoGoPolicy,
  now: Date,
): Promise<GoNoGo> {
  const blockingNames = [...new Set([...policy.pauseAlerts, ...policy.rollbackAlerts])];
  const [errorRate, rustP99, pythonP99, alerts, blocking] = await Promise.all([
    sources.metrics.instant(policy.errorRateQuery),
    sources.metrics.instant(policy.rustP99Query),
    sources.metrics.instant(policy.pythonP99Query),
    sources.alerts.firing(policy.criticalAlertMatchers),
    // Rollback alerts of any severity are asked for here too, so status and the digest see what the guard sees.
    blockingNames.length ? sources.alerts.firing([`alertname=~"${blockingNames.join('|')}"`]) : Promise.resolve(undefined),
  ]);

  // An alert the critical-alerts criterion already counts is not counted (or listed) twice.
  const critical = new Set(alerts.ok ? alerts.alerts.map((a) => a.fingerprint) : []);
  const pausing = blocking?.ok ? { ok: true as const, alerts: blocking.alerts.filter((a) => !critical.has(a.fingerprint)) } : blocking;
  const criteria: Criterion[] = [];

  const errorThreshold = `< ${formatRatio(policy.errorRateMax)}`;
  criteria.push(
    errorRate.ok
      ? {
          id: 'error-rate',
          label: 'Rust error rate (5m)',
          value: formatRatio(errorRate.value),
          threshold: errorThreshold,
          pass: errorRate.value < policy.errorRateMax,
          reason: errorRate.value < policy.errorRateMax ? undefined : `error rate ${formatRatio(errorRate.value)} is not below ${formatRatio(policy.errorRateMax)}`,
        }
      : { id: 'error-rate', label: 'Rust error rate (5m)', value: 'unknown', threshold: errorThreshold, pass: false, reason: `error rate unknown: ${errorRate.reason}` },
  );

  const p99Threshold = `< ${policy.p99RatioMax}x Python p99`;
  if (!rustP99.ok || !pythonP99.ok) {
    const why = !rustP99.ok ? `Rust p99 ${rustP99.reason}` : `Python p99 ${(pythonP99 as { reason: string }).reason}`;
    criteria.push({ id: 'p99-ratio', label: 'p99 latency vs Python', value: 'unknown', threshold: p99Threshold, pass: false, reason: `p99 unknown: ${why}` });
  } else if (pythonP99.value <= 0) {
    criteria.push({
      id: 'p99-ratio',
      label: 'p99 latency vs Python',
      value: `${formatSeconds(rustP99.value)} vs ${formatSeconds(pythonP99.value)}`,
      threshold: p99Threshold,
      pass: false,
      reason: 'Python p99 is 0: no baseline to compare with',
    });
  } else {
    const ratio = rustP99.value / pythonP99.value;
    const pass = ratio < policy.p99RatioMax;
    criteria.push({
      id: 'p99-ratio',
      label: 'p99 latency vs Python',
      value: `${formatSeconds(rustP99.value)} vs ${formatSeconds(pythonP99.value)} (${ratio.toFixed(2)}x)`,
      threshold: p99Threshold,
      pass,
      reason: pass ? undefined : `Rust p99 is ${ratio.toFixed(2)}x Python's (limit ${policy.p99RatioMax}x)`,
    });
  }

  const alertLabel = `Alerts firing (${policy.criticalAlertMatchers.join(', ') || 'any'})`;
  if (alerts.ok) {
    // A silenced or inhibited alert still counts: silencing mutes notifications, never the gate.
    const names = [...new Set(alerts.alerts.map(countedName))];
    criteria.push({
      id: 'critical-alerts',
      label: alertLabel,
      value: names.length ? `${names.length}: ${names.join(', ')}` : 'none',
      threshold: 'none',
      pass: names.length === 0,
      reason: names.length ? `critical alert firing: ${names.join(', ')}` : undefined,
    });
  } else {
    criteria.push({ id: 'critical-alerts', label: alertLabel, value: 'unknown', threshold: 'none', pass: false, reason: `alerts unknown: ${alerts.reason}` });
  }

  if (pausing) {
    const label = policy.rollbackAlerts.length ? 'Pause and rollback alerts' : 'Pause ramp-up alerts';
    if (pausing.ok) {
      const names = [...new Set(pausing.alerts.map(countedName))];
      const rollback = [...new Set(pausing.alerts.filter((a) => policy.rollbackAlerts.includes(a.name)).map(countedName))];
      const pause = names.filter((n) => !rollback.includes(n));
      const reasons = [
        rollback.length ? `alert firing whose runbook action is "roll back": ${rollback.join(', ')}` : undefined,
        pause.length ? `alert firing whose runbook action is "pause ramp-up": ${pause.join(', ')}` : undefined,
      ].filter((r) => r !== undefined);
      criteria.push({
        id: 'pause-alerts',
        label,
        value: names.length ? `${names.length}: ${names.join(', ')}` : 'none',
        threshold: 'none',
        pass: names.length === 0,
        reason: reasons.length ? reasons.join('; ') : undefined,
      });
    } else {
      criteria.push({ id: 'pause-alerts', label, value: 'unknown', threshold: 'none', pass: false, reason: `alerts unknown: ${pausing.reason}` });
    }
  }

  const reasons = criteria.filter((c) => !c.pass).map((c) => c.reason ?? `${c.label} failed`);
  return {
    verdict: reasons.length ? 'NO-GO' : 'GO',
    criteria,
    reasons,
    firingAlerts: alerts.ok ? alerts.alerts : [],
    pausingAlerts: pausing?.ok ? pausing.alerts : [],
    readings: { errorRate, rustP99, pythonP99 },
    evaluatedAt: now,
  };
}

export interface RuleCheck {
  label: string;
  pass: boolean;
  detail: string;
  /** When a closed window opens next (the view shows it in the reader's time zone). */
  opensAt?: string;
}

export interface WeightChangeAssessment {
  allowed: boolean;
  reasons: string[];
  checks: RuleCheck[];
  hold: HoldStatus;
}

/** The route as the traffic layer reports it: present, set up to split, accepted, its split rules agreeing. */
export function routeCheck(route: CanaryRoute): RuleCheck {
  const label = 'Canary route';
  if (!route.exists) return { label, pass: false, detail: 'the canary route is absent (removed by a rollback?): put it in place first (/mcp-canary route apply)' };
  if (route.splitProblem) return { label, pass: false, detail: route.splitProblem };
  const failing = route.conditions.filter((c) => !c.ok);
  if (failing.length) {
    return { label, pass: false, detail: `not accepted by the traffic layer: ${failing.map((c) => `${c.type} is false${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`).join('; ')}` };
  }
  const percents = route.splitPercents ?? [];
  if (new Set(percents).size > 1) return { label, pass: false, detail: `its split rules disagree (${percents.map(formatPercent).join(', ')}): fix them first` };
  return { label, pass: true, detail: 'present' };
}

/** Every replica ready; with `rolledOut`, also fully rolled out as `kubectl rollout status` means it (the prerequisite). */
export function rustReadyCheck(rust: DeploymentReadiness | { error: string }, rolledOut = false): RuleCheck {
  const label = 'Rust deployment ready';
  if ('error' in rust) return { label, pass: false, detail: `unknown: ${rust.error}` };
  const ready = rust.desired > 0 && rust.ready >= rust.desired;
  const pass = ready && (!rolledOut || rust.rolloutComplete);
  return { label, pass, detail: `${rust.ready}/${rust.desired} ready${rolledOut ? (rust.rolloutComplete ? ', rollout complete' : `, rollout not complete (${rust.updated}/${rust.desired} updated)`) : ''}` };
}

/**
 * May the canary go from its live state to `targetPercent` now? Increases only: decreases and rollbacks
 * never need this. Combines the ramp rules with an already evaluated go/no-go and, for the first step,
 * the evaluated prerequisites.
 */
export function assessIncrease(input: {
  route: CanaryRoute;
  targetPercent: number;
  rust: DeploymentReadiness | { error: string };
  goNoGo: GoNoGo;
  /** Before the first step: RAMP_PREREQUISITES, evaluated. */
  prerequisites?: RuleCheck[];
  rules: RampRules;
  now: Date;
}): WeightChangeAssessment {
  const { route, targetPercent, rules, now } = input;
  const checks: RuleCheck[] = [];
  const current = percentOf(route);
  const position = rampPosition(current, rules);

  checks.push(routeCheck(route));

  const nextOnly = position.nextStep === targetPercent;
  checks.push({
    label: 'Next step only',
    pass: nextOnly,
    detail: nextOnly
      ? `${formatPercent(current)} → ${formatPercent(targetPercent)}`
      : position.nextStep === undefined
        ? `already at the last step (${formatPercent(current)})`
        : `from ${formatPercent(current)} the next step is ${formatPercent(position.nextStep)}, not ${formatPercent(targetPercent)}`,
  });

  const hold = holdStatus(route, rules, now);
  checks.push({
    label: `Hold ${formatDuration(rules.stepMinHoldMs)} at step`,
    pass: hold.satisfied,
    detail: hold.unknownReason
      ? hold.unknownReason
      : hold.satisfied
        ? hold.heldMs === undefined
          ? 'no hold needed from 0%'
          : `held ${formatDuration(hold.heldMs)}`
        : `held ${formatDuration(hold.heldMs ?? 0)}, ${formatDuration(hold.remainingMs ?? 0)} left`,
  });

  const open = isWindowOpen(rules.businessHours, now, rules.timeZone);
  const opening = open ? undefined : nextWindowOpening(rules.businessHours, now, rules.timeZone);
  checks.push({
    label: 'Business window',
    pass: open,
    detail: `${open ? 'open' : 'closed'} (${describeBusinessHours(rules.businessHours, rules.timeZone)})`,
    opensAt: opening?.toISOString(),
  });

  checks.push(rustReadyCheck(input.rust));

  checks.push({
    label: 'Go/no-go',
    pass: input.goNoGo.verdict === 'GO',
    detail: input.goNoGo.verdict === 'GO' ? 'GO' : `NO-GO: ${input.goNoGo.reasons.join('; ')}`,
  });

  if (current === 0) checks.push(...(input.prerequisites ?? []));

  const reasons = checks.filter((c) => !c.pass).map((c) => `${c.label}: ${c.detail}`);
  return { allowed: reasons.length === 0, reasons, checks, hold };
}

const PREREQUISITE_LABELS: Record<RampPrerequisite, (deps: Pick<CoreDeps, 'policy'>) => string> = {
  shadow: (deps) => `Shadow match > ${formatRatio(deps.policy.shadow.matchMin)} for ${deps.policy.shadow.requiredDays} days`,
  'quiet-48h': () => 'No critical alert in the last 48 h',
  'rust-ready': () => 'Rust fully rolled out and ready',
  'rollback-verified': () => 'Rollback verified',
};

/**
 * The runbook's prerequisites of the first step (RAMP_PREREQUISITES), each with its evidence. Read in
 * parallel; one that cannot be read fails with the reason.
 */
export async function checkPrerequisites(
  deps: Pick<CoreDeps, 'metrics' | 'router' | 'clock' | 'policy'>,
  input: { route: CanaryRoute | { error: string }; rust: DeploymentReadiness | { error: string }; now: Date },
): Promise<RuleCheck[]> {
  const wanted = deps.policy.goNoGo.prerequisites;
  const check = async (id: RampPrerequisite): Promise<RuleCheck> => {
    const label = PREREQUISITE_LABELS[id](deps);
    switch (id) {
      case 'shadow': {
        const exit = await evaluateExitCriterion(deps, deps.policy.shadow, input.now);
        return { label, pass: exit.met, detail: exit.summary };
      }
      case 'quiet-48h': {
        const fired = await deps.metrics.instantVector(deps.policy.firedAlertsQuery('48h'));
        if (!fired.ok) return { label, pass: false, detail: `unknown: ${fired.reason}` };
        const critical = [...new Set(fired.samples.filter((s) => s.labels.severity === deps.policy.goNoGo.criticalSeverity).map((s) => s.labels.alertname ?? 'unnamed'))];
        return { label, pass: critical.length === 0, detail: critical.length ? `fired: ${critical.join(', ')}` : 'none fired' };
      }
      case 'rust-ready':
        return { ...rustReadyCheck(input.rust, true), label: 'Rust fully rolled out and ready' };
      case 'rollback-verified':
        return { label, ...(await verifyRollback(deps, input.route)) };
    }
  };
  return Promise.all(wanted.map(check));
}

/** The runbook's "rollback script tested": the traffic layer accepts the rollback write (server-side dry run). */
async function verifyRollback(deps: Pick<CoreDeps, 'router' | 'clock'>, route: CanaryRoute | { error: string }): Promise<{ pass: boolean; detail: string }> {
  if ('error' in route) return { pass: false, detail: `canary route unreadable: ${route.error}` };
  if (!route.exists) return { pass: false, detail: 'the canary route is absent: put it in place first' };
  try {
    await deps.router.resetToPrimary({ appliedBy: 'mcp-canary (rollback check)', appliedAt: deps.clock.now().toISOString() }, { dryRun: true });
    return { pass: true, detail: 'server-side dry run of the rollback write accepted' };
  } catch (error) {
    return { pass: false, detail: `dry run of the rollback write failed: ${describe(error)}` };
  }
}

/** Everything an increase from the live route to `targetPercent` depends on, read now. */
export async function assessIncreaseNow(deps: CoreDeps, route: CanaryRoute, targetPercent: number): Promise<{ goNoGo: GoNoGo; assessment: WeightChangeAssessment }> {
  const now = deps.clock.now();
  const [goNoGo, rust] = await Promise.all([
    evaluateGoNoGo(deps, deps.policy.goNoGo, now),
    deps.cluster.readDeployment(deps.cluster.targets.rustDeployment).catch((error: unknown): { error: string } => ({ error: describe(error) })),
  ]);
  const prerequisites = percentOf(route) === 0 ? await checkPrerequisites(deps, { route, rust, now }) : undefined;
  const assessment = assessIncrease({ route, targetPercent, rust, goNoGo, prerequisites, rules: deps.policy.ramp, now });
  return { goNoGo, assessment };
}

/** The evidence kept with a request and in the audit log. */
export function snapshotEvidence(goNoGo: GoNoGo, extraReasons: string[] = []): EvidenceSnapshot {
  const reasons = [...new Set([...goNoGo.reasons, ...extraReasons])];
  return {
    verdict: reasons.length ? 'NO-GO' : 'GO',
    evaluatedAt: goNoGo.evaluatedAt.toISOString(),
    criteria: goNoGo.criteria.map((c) => ({ label: c.label, value: c.value, threshold: c.threshold, pass: c.pass })),
    reasons,
  };
}
