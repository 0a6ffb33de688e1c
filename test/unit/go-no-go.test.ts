import { describe, expect, it } from 'vitest';
import { parseBusinessHours, type BusinessHours } from '../../src/core/business-hours.js';
import { assessIncrease, evaluateGoNoGo } from '../../src/core/go-no-go.js';
import { type GoNoGoPolicy, type RampRules } from '../../src/core/policy.js';
import type { AlertQuery, CanaryRoute, Sample } from '../../src/core/entities.js';
import { holdStatus, percentOf, rampPosition } from '../../src/core/ramp.js';

const policy: GoNoGoPolicy = {
  errorRateQuery: 'err',
  errorRateMax: 0.001,
  rustP99Query: 'rust',
  pythonP99Query: 'python',
  p99RatioMax: 1.5,
  criticalAlertMatchers: ['severity="critical"'],
  criticalSeverity: 'critical',
  pauseAlerts: [],
  rollbackAlerts: [],
  prerequisites: [],
};
const now = new Date('2026-11-24T14:00:00Z'); // a Tuesday afternoon

function sources(values: Record<string, Sample>, alerts: AlertQuery = { ok: true, alerts: [] }) {
  return {
    metrics: { instant: async (q: string) => values[q] ?? { ok: false as const, reason: `no data for ${q}` } },
    alerts: { firing: async () => alerts },
  };
}
const healthy = { err: { ok: true, value: 0.0004 }, rust: { ok: true, value: 0.12 }, python: { ok: true, value: 0.1 } } as const;

describe('evaluateGoNoGo', () => {
  it('is GO when every criterion passes, with live values and thresholds', async () => {
    const result = await evaluateGoNoGo(sources(healthy), policy, now);
    expect(result.verdict).toBe('GO');
    expect(result.criteria.map((c) => [c.id, c.value, c.threshold, c.pass])).toEqual([
      ['error-rate', '0.04%', '< 0.1%', true],
      ['p99-ratio', '120ms vs 100ms (1.20x)', '< 1.5x Python p99', true],
      ['critical-alerts', 'none', 'none', true],
    ]);
  });

  it('fails closed on missing, NaN or unreachable values, with the reason', async () => {
    const result = await evaluateGoNoGo(
      sources({ rust: { ok: false, reason: 'rust is NaN' }, python: healthy.python }, { ok: false, reason: 'Alertmanager unreachable (ECONNREFUSED)' }),
      policy,
      now,
    );
    expect(result.verdict).toBe('NO-GO');
    expect(result.reasons).toEqual([
      'error rate unknown: no data for err',
      'p99 unknown: Rust p99 rust is NaN',
      'alerts unknown: Alertmanager unreachable (ECONNREFUSED)',
    ]);
  });

  it('is NO-GO above the error threshold, at 1.5x p99, and with a critical alert firing', async () => {
    const result = await evaluateGoNoGo(
      sources(
        { err: { ok: true, value: 0.001 }, rust: { ok: true, value: 0.2 }, python: { ok: true, value: 0.1 } },
        { ok: true, alerts: [{ name: 'MCPRustGatewayDown', severity: 'critical', startsAt: '', fingerprint: 'f', labels: {} }] },
      ),
      policy,
      now,
    );
    expect(result.criteria.map((c) => c.pass)).toEqual([false, false, false]);
    expect(result.reasons.join('\n')).toMatch(/0.1% is not below 0.1%[\s\S]*2.00x Python's[\s\S]*MCPRustGatewayDown/);
  });
});

const rules: RampRules = {
  steps: [1, 5, 10, 25, 50, 100],
  stepMinHoldMs: 48 * 3600_000,
  businessHours: parseBusinessHours('Mon-Fri 09:00-18:00') as BusinessHours,
  timeZone: 'UTC',
};

function canaryAt(percent: number, appliedHoursAgo?: number, extra: Partial<CanaryRoute> = {}): CanaryRoute {
  return {
    ref: { router: 'ingress-nginx', kind: 'Ingress', name: 'mcp-gateway-canary', namespace: 'stoa-system' },
    exists: true,
    percent,
    routingRules: [],
    conditions: [],
    lastApplied: appliedHoursAgo === undefined ? undefined : { percent, at: new Date(now.getTime() - appliedHoursAgo * 3600_000).toISOString(), by: 'U1' },
    ...extra,
  };
}

describe('assessIncrease: may we go to the next step?', () => {
  const ready = { name: 'mcp-gateway-rust', desired: 3, ready: 3, available: 3, updated: 3, rolloutComplete: true };

  it('allows the next step after the hold, in the window, with GO', async () => {
    const goNoGo = await evaluateGoNoGo(sources(healthy), policy, now);
    const result = assessIncrease({ route: canaryAt(10, 49), targetPercent: 25, rust: ready, goNoGo, rules, now });
    expect(result.allowed).toBe(true);
  });

  it('refuses skipping a step, an unfinished hold, a closed window and an unready Rust deployment', async () => {
    const goNoGo = await evaluateGoNoGo(sources(healthy), policy, now);
    const skip = assessIncrease({ route: canaryAt(5, 49), targetPercent: 25, rust: ready, goNoGo, rules, now });
    expect(skip.reasons).toEqual(['Next step only: from 5% the next step is 10%, not 25%']);
    const early = assessIncrease({ route: canaryAt(5, 47), targetPercent: 10, rust: ready, goNoGo, rules, now });
    expect(early.reasons).toEqual(['Hold 48h at step: held 47h, 1h left']);
    const night = new Date('2026-11-24T23:00:00Z');
    const closed = assessIncrease({ route: canaryAt(5, 60), targetPercent: 10, rust: ready, goNoGo, rules, now: night });
    expect(closed.reasons).toEqual(['Business window: closed (Mon-Fri 09:00-18:00 UTC)']);
    expect(closed.checks.find((c) => c.label === 'Business window')?.opensAt).toBe('2026-11-25T09:00:00.000Z');
    const notReady = assessIncrease({ route: canaryAt(5, 49), targetPercent: 10, rust: { ...ready, ready: 1 }, goNoGo, rules, now });
    expect(notReady.reasons).toEqual(['Rust deployment ready: 1/3 ready']);
  });

  it('cannot vouch for the hold when the weight was changed outside the bot', async () => {
    const goNoGo = await evaluateGoNoGo(sources(healthy), policy, now);
    const route = canaryAt(5, 72, { lastApplied: { percent: 1, at: new Date(now.getTime() - 72 * 3600_000).toISOString(), by: 'U1' } });
    const result = assessIncrease({ route, targetPercent: 10, rust: ready, goNoGo, rules, now });
    expect(result.allowed).toBe(false);
    expect(result.reasons[0]).toMatch(/changed outside the bot/);
  });

  it('carries the go/no-go reasons', async () => {
    const goNoGo = await evaluateGoNoGo(sources({ ...healthy, err: { ok: true, value: 0.02 } }), policy, now);
    const result = assessIncrease({ route: canaryAt(0), targetPercent: 1, rust: ready, goNoGo, rules, now });
    expect(result.reasons).toEqual(['Go/no-go: NO-GO: error rate 2% is not below 0.1%']);
  });
});

describe('ramp arithmetic', () => {
  it('places weights on the schedule', () => {
    expect(rampPosition(5, rules)).toMatchObject({ stepNumber: 2, stepCount: 6, onStep: true, nextStep: 10, isFinal: false });
    expect(rampPosition(0, rules)).toMatchObject({ stepNumber: 0, nextStep: 1 });
    expect(rampPosition(7, rules)).toMatchObject({ stepNumber: 2, onStep: false, nextStep: 10 });
    expect(rampPosition(100, rules)).toMatchObject({ stepNumber: 6, isFinal: true, nextStep: undefined });
  });

  it('counts an absent canary route as 0%', () => {
    expect(percentOf({ exists: true, percent: 5 })).toBe(5);
    expect(percentOf({ exists: false, percent: 50 })).toBe(0);
  });

  it('measures the hold from what the bot applied', () => {
    expect(holdStatus(canaryAt(5, 10), rules, now)).toMatchObject({ satisfied: false, heldMs: 10 * 3600_000, remainingMs: 38 * 3600_000 });
    expect(holdStatus(canaryAt(0), rules, now)).toEqual({ satisfied: true });
    expect(holdStatus(canaryAt(5), rules, now)).toMatchObject({ satisfied: false, unknownReason: expect.stringMatching(/not set by mcp-canary/) });
  });
});
