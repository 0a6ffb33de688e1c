// The daily go/no-go digest: the live status plus each criterion over the last 24 h (current, worst,
// time in breach), alerts of the last 48 h, shadow rates while in shadow phase, readiness for the next
// step with a recommended action, and the data of the 48 h chart.
import type { CoreDeps } from './deps.js';
import type { AuditEntry, RangeSeries } from './entities.js';
import { formatRatio } from './format.js';
import { evaluateGuardConditions, type GuardCondition } from './guard.js';
import type { Phase } from './phase.js';
import type { GuardPolicy } from './policy.js';
import { readShadowStatus, type ShadowRate } from './shadow.js';
import { buildStatus, type StatusReport } from './status.js';

export interface ChartPoint {
  at: number;
  value: number | null;
}

/** Neutral chart data; the chart adapter turns it into a PNG. */
export interface GoNoGoChartData {
  from: number;
  to: number;
  errorRate: ChartPoint[];
  errorRateMax: number;
  p99Ratio: ChartPoint[];
  p99RatioMax: number;
  weightChanges: Array<{ at: number; percent: number }>;
  /** Worded by the view (digestChartTitle); the chart adapter has a plain default. */
  title?: string;
}

export interface WindowedCriterion {
  label: string;
  threshold: string;
  current: string;
  worst: string;
  /** Time the criterion was failing within the window (not measured for alerts). */
  breachMs?: number;
  /** Share of the window without data. */
  gapShare: number;
  pass: boolean;
  error?: string;
}

export interface ShadowRates {
  rates: ShadowRate[];
  /** Progress on the exit criterion, e.g. "4 of 7 days met (> 99.9% match); day 2 broke it at 99.82%". */
  exit?: string;
}

export interface DigestReport {
  at: Date;
  /** Local date in TZ, e.g. 2026-11-24. */
  date: string;
  phase: Phase;
  status: StatusReport;
  criteria24h: WindowedCriterion[];
  /** `critical`: of ALERT_CRITICAL_SEVERITY (the core knows the policy; views never compare severities). */
  alerts48h: { ok: true; alerts: Array<{ name: string; severity: string; critical: boolean }> } | { ok: false; reason: string };
  shadow?: ShadowRates;
  recommendation: Recommendation;
  chart: GoNoGoChartData;
}

const HOUR = 3_600_000;
const STEP_MS = 5 * 60_000;

export async function buildDigest(deps: CoreDeps): Promise<DigestReport> {
  const policy = deps.policy;
  const at = deps.clock.now();
  const start48 = new Date(at.getTime() - 48 * HOUR);
  const g = deps.policy.goNoGo;
  const window = { start: start48, end: at, stepMs: STEP_MS };
  const [status, errorRate, rustP99, pythonP99, fired24, fired48, history] = await Promise.all([
    buildStatus(deps),
    deps.metrics.range(g.errorRateQuery, window),
    deps.metrics.range(g.rustP99Query, window),
    deps.metrics.range(g.pythonP99Query, window),
    deps.metrics.instantVector(policy.firedAlertsQuery('24h')),
    deps.metrics.instantVector(policy.firedAlertsQuery('48h')),
    deps.audit.recent(200),
  ]);
  const phase = status.phase;

  const ratio = ratioSeries(rustP99, pythonP99);
  const since24 = at.getTime() - 24 * HOUR;
  const last24 = (points: Array<[number, number | null]>) => points.filter(([t]) => t >= since24);
  const criteria24h: WindowedCriterion[] = [
    windowed('Rust error rate (5m)', `< ${formatRatio(g.errorRateMax)}`, errorRate.ok ? { ok: true, points: last24(errorRate.points) } : errorRate, g.errorRateMax, formatRatio),
    windowed('p99 Rust / Python', `< ${g.p99RatioMax}x`, ratio.ok ? { ok: true, points: last24(ratio.points) } : ratio, g.p99RatioMax, (v) => `${v.toFixed(2)}x`),
    alertCriterion(fired24, status, deps.policy.goNoGo.criticalSeverity),
  ];

  let shadow: ShadowRates | undefined;
  if (phase.name === 'shadow') {
    const read = await readShadowStatus(deps, policy.shadow);
    shadow = { rates: read.rates, exit: read.exit.summary };
  }

  const weightChanges = history.entries
    .filter((e): e is AuditEntry & { toPercent: number } => e.toPercent !== undefined && ['weight-change-approved', 'weight-decreased', 'rollback'].includes(e.action))
    .map((e) => ({ at: Date.parse(e.at), percent: e.toPercent }))
    .filter((c) => c.at >= start48.getTime())
    .sort((a, b) => a.at - b.at);

  return {
    at,
    date: localDate(at, policy.ramp.timeZone),
    phase,
    status,
    criteria24h,
    alerts48h: fired48.ok
      ? {
          ok: true,
          alerts: fired48.samples.map((s) => ({
            name: s.labels.alertname ?? 'unnamed',
            severity: s.labels.severity ?? 'none',
            critical: s.labels.severity === policy.goNoGo.criticalSeverity,
          })),
        }
      : { ok: false, reason: fired48.reason },
    shadow,
    recommendation: recommend(status, phase, { criticalSeverity: deps.policy.goNoGo.criticalSeverity, guard: deps.policy.guard }),
    chart: {
      from: start48.getTime(),
      to: at.getTime(),
      errorRate: errorRate.ok ? errorRate.points.map(([t, v]) => ({ at: t, value: v })) : [],
      errorRateMax: g.errorRateMax,
      p99Ratio: ratio.ok ? ratio.points.map(([t, v]) => ({ at: t, value: v })) : [],
      p99RatioMax: g.p99RatioMax,
      weightChanges,
    },
  };
}

function ratioSeries(rust: RangeSeries, python: RangeSeries): RangeSeries {
  if (!rust.ok) return { ok: false, reason: `Rust p99: ${rust.reason}` };
  if (!python.ok) return { ok: false, reason: `Python p99: ${python.reason}` };
  const py = new Map(python.points);
  return {
    ok: true,
    points: rust.points.map(([t, r]) => {
      const p = py.get(t);
      return [t, r === null || p === null || p === undefined || p <= 0 ? null : r / p];
    }),
  };
}

/** Current, worst and time in breach of a "must stay below" criterion over a window. */
export function windowed(label: string, threshold: string, series: RangeSeries, max: number, format: (v: number) => string): WindowedCriterion {
  if (!series.ok) return { label, threshold, current: 'unknown', worst: 'unknown', breachMs: 0, gapShare: 1, pass: false, error: series.reason };
  const values = series.points.map(([, v]) => v);
  const present = values.filter((v): v is number => v !== null);
  const gapShare = values.length ? (values.length - present.length) / values.length : 1;
  if (!present.length) return { label, threshold, current: 'no data', worst: 'no data', breachMs: 0, gapShare, pass: false, error: 'no data in the last 24 h' };
  const current = [...values].reverse().find((v): v is number => v !== null)!;
  const worst = Math.max(...present);
  const breachMs = present.filter((v) => v >= max).length * STEP_MS;
  return { label, threshold, current: format(current), worst: format(worst), breachMs, gapShare, pass: current < max };
}

function alertCriterion(fired: Awaited<ReturnType<CoreDeps['metrics']['instantVector']>>, status: StatusReport, criticalSeverity: string): WindowedCriterion {
  const now = status.goNoGo.criteria.find((c) => c.id === 'critical-alerts');
  const label = 'Critical alerts';
  if (!fired.ok) return { label, threshold: 'none', current: now?.value ?? 'unknown', worst: 'unknown', gapShare: 0, pass: now?.pass ?? false, error: fired.reason };
  const critical = fired.samples.filter((s) => s.labels.severity === criticalSeverity).map((s) => s.labels.alertname ?? 'unnamed');
  return {
    label,
    threshold: 'none',
    current: now?.value ?? 'unknown',
    worst: critical.length ? `fired: ${[...new Set(critical)].join(', ')}` : 'none fired',
    gapShare: 0,
    pass: now?.pass ?? false,
  };
}

/**
 * What the on-call engineer should do next, as data; the digest view words it. A breach of a runbook rollback
 * condition (the guard's conditions, read from the same moment as the go/no-go) says roll back now, never hold.
 */
export type Recommendation =
  /** The canary route could not be read: nothing else can be recommended. */
  | { kind: 'fix-route-access'; error: string }
  /** Guard conditions in breach at a canary above 0: the runbook says roll back. */
  | { kind: 'roll-back'; breaches: GuardCondition[] }
  /** Alerts of the critical severity firing at a canary above 0. */
  | { kind: 'roll-back-critical'; alerts: string[] }
  /** Rust is primary (100%): keep watching until the cleanup. */
  | { kind: 'watch-primary' }
  /** No next step and not primary (cleanup-ready: 14 days at 100%). */
  | { kind: 'nothing-to-ramp' }
  /** Every ramp rule is met: the next step can be requested. */
  | { kind: 'request-next'; fromPercent: number; toPercent: number }
  /** Go/no-go criteria failing below the rollback conditions at a canary above 0. */
  | { kind: 'hold-investigate'; percent: number; reasons: string[] }
  /** Only the hold at this step is left. */
  | { kind: 'hold'; percent: number; toPercent: number; remainingMs: number }
  /** The ramp rules not met. */
  | { kind: 'not-yet'; reasons: string[] };

/** The next step may be requested (the digest's Request button) only when that is the recommendation. */
export function canRequestNext(recommendation: Recommendation): boolean {
  return recommendation.kind === 'request-next';
}

export function recommend(status: StatusReport, phase: Phase, policy: { criticalSeverity: string; guard: GuardPolicy }): Recommendation {
  if ('error' in status.route) return { kind: 'fix-route-access', error: status.route.error };
  const percent = status.percent ?? 0;
  const alerts = [...status.goNoGo.firingAlerts, ...status.goNoGo.pausingAlerts];
  const rollbackAlerts = { ok: true as const, alerts: alerts.filter((a) => policy.guard.rollbackAlerts.includes(a.name)) };
  const breaches = evaluateGuardConditions({ ...status.goNoGo.readings, rollbackAlerts }, policy.guard).filter((c) => c.state === 'breach');
  if (breaches.length && percent > 0) return { kind: 'roll-back', breaches };
  const critical = status.goNoGo.firingAlerts.some((a) => a.critical ?? a.severity === policy.criticalSeverity);
  if (critical && percent > 0) return { kind: 'roll-back-critical', alerts: status.goNoGo.firingAlerts.map((a) => a.name) };
  if (!status.next) return { kind: phase.name === 'primary' ? 'watch-primary' : 'nothing-to-ramp' };
  const a = status.next.assessment;
  if (a.allowed) return { kind: 'request-next', fromPercent: percent, toPercent: status.next.targetPercent };
  // Failing criteria that are read (not unknown) and not alerts: worth investigating, short of a rollback.
  const failing = status.goNoGo.criteria.filter((c) => !c.pass && c.id !== 'critical-alerts' && c.id !== 'pause-alerts' && c.value !== 'unknown');
  if (failing.length && percent > 0) return { kind: 'hold-investigate', percent, reasons: failing.map((c) => c.reason ?? `${c.label} failed`) };
  if (status.hold && !status.hold.satisfied && status.hold.remainingMs !== undefined) {
    return { kind: 'hold', percent, toPercent: status.next.targetPercent, remainingMs: status.hold.remainingMs };
  }
  return { kind: 'not-yet', reasons: a.reasons };
}

function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
