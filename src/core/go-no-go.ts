// What decides whether the canary may move to a higher weight: the runbook's go/no-go criteria
// (live metrics and alerts) and the ramp rules (next step only, hold time, business window, Rust ready).
// Everything fails closed: a value that cannot be read is a NO-GO with the reason.
import { describeBusinessHours, isWindowOpen, nextWindowOpening, type BusinessHours } from './business-hours.js';
import type { AlertSource, CanaryState, DeploymentReadiness, EvidenceSnapshot, FiringAlert, MetricsSource } from './ports.js';
import { formatDuration, formatPercent, holdStatus, percentOf, rampPosition, type HoldStatus, type RampPolicy } from './ramp.js';

export interface GoNoGoPolicy {
  errorRateQuery: string;
  errorRateMax: number;
  rustP99Query: string;
  pythonP99Query: string;
  p99RatioMax: number;
  criticalAlertMatchers: string[];
  /** The `severity` label value of critical alerts (ALERT_CRITICAL_SEVERITY). */
  criticalSeverity: string;
}

export interface Criterion {
  id: 'error-rate' | 'p99-ratio' | 'critical-alerts';
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
  firingAlerts: FiringAlert[];
  evaluatedAt: Date;
}

export async function evaluateGoNoGo(
  sources: { metrics: Pick<MetricsSource, 'instant'>; alerts: Pick<AlertSource, 'firing'> },
  policy: GoNoGoPolicy,
  now: Date,
): Promise<GoNoGo> {
  const [errorRate, rustP99, pythonP99, alerts] = await Promise.all([
    sources.metrics.instant(policy.errorRateQuery),
    sources.metrics.instant(policy.rustP99Query),
    sources.metrics.instant(policy.pythonP99Query),
    sources.alerts.firing(policy.criticalAlertMatchers),
  ]);

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
          reason:
            errorRate.value < policy.errorRateMax
              ? undefined
              : `error rate ${formatRatio(errorRate.value)} is not below ${formatRatio(policy.errorRateMax)}`,
        }
      : {
          id: 'error-rate',
          label: 'Rust error rate (5m)',
          value: 'unknown',
          threshold: errorThreshold,
          pass: false,
          reason: `error rate unknown: ${errorRate.reason}`,
        },
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
    const names = [...new Set(alerts.alerts.map((a) => (a.suppressed ? `${a.name} (${a.suppressed.silences.length ? 'silenced' : 'inhibited'})` : a.name)))];
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

  const reasons = criteria.filter((c) => !c.pass).map((c) => c.reason ?? `${c.label} failed`);
  return {
    verdict: reasons.length ? 'NO-GO' : 'GO',
    criteria,
    reasons,
    firingAlerts: alerts.ok ? alerts.alerts : [],
    evaluatedAt: now,
  };
}

export interface RampRules extends RampPolicy {
  businessHours: BusinessHours;
  timeZone: string;
}

export interface RuleCheck {
  label: string;
  pass: boolean;
  detail: string;
}

export interface WeightChangeAssessment {
  allowed: boolean;
  reasons: string[];
  checks: RuleCheck[];
  hold: HoldStatus;
}

/**
 * May the canary go from its live state to `targetPercent` now? Increases only: decreases and rollbacks
 * never need this. Combines the ramp rules with an already evaluated go/no-go.
 */
export function assessIncrease(input: {
  canary: CanaryState;
  targetPercent: number;
  rust: DeploymentReadiness | { error: string };
  goNoGo: GoNoGo;
  rules: RampRules;
  now: Date;
}): WeightChangeAssessment {
  const { canary, targetPercent, rules, now } = input;
  const checks: RuleCheck[] = [];
  const current = percentOf(canary);
  const position = rampPosition(current, rules);

  checks.push(
    !canary.exists
      ? { label: 'Canary Ingress', pass: false, detail: `the canary Ingress does not exist (deleted by a rollback?): re-apply it first` }
      : !canary.canaryEnabled
        ? { label: 'Canary Ingress', pass: false, detail: 'the Ingress is not marked nginx.ingress.kubernetes.io/canary: "true"' }
        : { label: 'Canary Ingress', pass: true, detail: 'present' },
  );

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

  const hold = holdStatus(canary, rules, now);
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
    detail: open
      ? `open (${describeBusinessHours(rules.businessHours, rules.timeZone)})`
      : `closed (${describeBusinessHours(rules.businessHours, rules.timeZone)})${opening ? `, opens ${opening.toISOString()}` : ''}`,
  });

  const rust = input.rust;
  checks.push(
    'error' in rust
      ? { label: 'Rust deployment ready', pass: false, detail: `unknown: ${rust.error}` }
      : {
          label: 'Rust deployment ready',
          pass: rust.desired > 0 && rust.ready >= rust.desired,
          detail: `${rust.ready}/${rust.desired} ready`,
        },
  );

  checks.push({
    label: 'Go/no-go',
    pass: input.goNoGo.verdict === 'GO',
    detail: input.goNoGo.verdict === 'GO' ? 'GO' : `NO-GO: ${input.goNoGo.reasons.join('; ')}`,
  });

  const reasons = checks.filter((c) => !c.pass).map((c) => `${c.label}: ${c.detail}`);
  return { allowed: reasons.length === 0, reasons, checks, hold };
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

export function formatRatio(value: number): string {
  // Four significant digits: 99.95% must not round to 100% next to a 99.9% threshold.
  return `${Number((value * 100).toPrecision(4))}%`;
}

export function formatSeconds(value: number): string {
  return value < 1 ? `${Math.round(value * 1000)}ms` : `${value.toFixed(2)}s`;
}
