// The digest view words the core's recommended action (src/core/digest.ts `Recommendation`): one sentence per
// kind, the same words the digest always used; the Request button only with "request the next step".
import { describe, expect, it } from 'vitest';
import type { Recommendation } from '../../src/core/digest.js';
import type { GuardCondition } from '../../src/core/guard.js';
import { ACTION } from '../../views/action-ids.js';
import { recommendationText, renderDigest } from '../../views/digest.js';
import { allText, buttonFor, digestReport, readyStatusReport } from './fixtures.js';

const HOUR = 3_600_000;

const breach = (c: Pick<GuardCondition, 'id' | 'label' | 'value' | 'threshold'>): GuardCondition => ({ ...c, state: 'breach' });

describe('recommendationText', () => {
  const cases: Array<[Recommendation, string]> = [
    [{ kind: 'fix-route-access', error: 'connect ECONNREFUSED 10.0.0.1:443' }, 'Fix access to the canary route first (connect ECONNREFUSED 10.0.0.1:443).'],
    [
      { kind: 'roll-back', breaches: [breach({ id: 'error-rate', label: 'Rust error rate (5m)', value: '2%', threshold: '> 0.1%' })] },
      'Roll back now: Rust error rate (5m) 2% (rollback when > 0.1%).',
    ],
    [
      { kind: 'roll-back', breaches: [breach({ id: 'p99-ratio', label: 'Rust p99 vs Python', value: '250ms vs 100ms (2.50x)', threshold: '> 2x Python p99' })] },
      'Roll back now: Rust p99 vs Python 250ms vs 100ms (2.50x) (rollback when > 2x Python p99).',
    ],
    [
      {
        kind: 'roll-back',
        breaches: [
          breach({ id: 'error-rate', label: 'Rust error rate (5m)', value: '6%', threshold: '> 5%' }),
          breach({ id: 'p99-ratio', label: 'Rust p99 vs Python', value: '300ms vs 100ms (3.00x)', threshold: '> 2x Python p99' }),
        ],
      },
      'Roll back now: Rust error rate (5m) 6% (rollback when > 5%); Rust p99 vs Python 300ms vs 100ms (3.00x) (rollback when > 2x Python p99).',
    ],
    [
      { kind: 'roll-back', breaches: [breach({ id: 'rollback-alerts', label: 'Rollback alerts firing', value: 'MCPRustGatewayErrorRateHigh', threshold: 'MCPRustGatewayErrorRateHigh' })] },
      'Roll back now: Rollback alerts firing MCPRustGatewayErrorRateHigh (rollback when MCPRustGatewayErrorRateHigh).',
    ],
    [{ kind: 'roll-back-critical', alerts: ['MCPGatewayDatabaseDown', 'MCPRustGatewayDown'] }, 'Roll back now: critical alert firing (MCPGatewayDatabaseDown, MCPRustGatewayDown).'],
    [{ kind: 'watch-primary' }, 'Rust is primary: keep watching; cleanup after 14 days at 100%.'],
    [{ kind: 'nothing-to-ramp' }, 'Nothing to ramp.'],
    [{ kind: 'request-next', fromPercent: 5, toPercent: 10 }, 'Request the next step: 5% → 10%.'],
    [
      { kind: 'hold-investigate', percent: 5, reasons: ["Rust p99 is 1.80x Python's (limit 1.5x)", 'error rate 0.2% is not below 0.1%'] },
      "Hold at 5% and investigate: Rust p99 is 1.80x Python's (limit 1.5x); error rate 0.2% is not below 0.1%. Roll back if it gets worse.",
    ],
    [{ kind: 'hold', percent: 5, toPercent: 10, remainingMs: 22 * HOUR }, 'Hold: 22h left at 5% before 10%.'],
    [{ kind: 'not-yet', reasons: ['Business window: closed (Mon-Fri 09:00-18:00 UTC)', 'Pending request: none'] }, 'Not yet: Business window: closed (Mon-Fri 09:00-18:00 UTC); Pending request: none.'],
  ];
  it.each(cases)('words %j', (recommendation, text) => {
    expect(recommendationText(recommendation)).toBe(text);
  });
});

describe('the recommended action in the digest', () => {
  it('comes first, worded and escaped', () => {
    const m = renderDigest(digestReport({ recommendation: { kind: 'roll-back-critical', alerts: ['<!here> & co'] } }), { dryRun: false, chart: 'in-thread' });
    expect(allText(m)).toContain(':point_right: *Recommended action:* Roll back now: critical alert firing (&lt;!here&gt; &amp; co).');
  });

  it('offers the Request button only when the recommendation is to request the next step', () => {
    const status = readyStatusReport();
    const render = (recommendation: Recommendation) => renderDigest(digestReport({ status, recommendation }), { dryRun: false, chart: 'in-thread' });
    expect(buttonFor(render({ kind: 'request-next', fromPercent: 5, toPercent: 10 }).blocks, ACTION.requestNext)).toBeDefined();
    expect(buttonFor(render({ kind: 'hold-investigate', percent: 5, reasons: ['p99'] }).blocks, ACTION.requestNext)).toBeUndefined();
    expect(buttonFor(render({ kind: 'roll-back-critical', alerts: ['X'] }).blocks, ACTION.requestNext)).toBeUndefined();
  });
});
