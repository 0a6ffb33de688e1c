// The digest's recommendation follows the guard's conditions: a breach of a runbook rollback condition (the
// error rate, the p99 ratio) at a canary above 0 is a roll-back carrying each breached condition (its value
// against its threshold), never a hold; below the rollback threshold it holds; at 0 there is nothing to roll
// back. The core returns the recommendation as data; test/views/digest-recommendation.test.ts has its wording.
import { describe, expect, it } from 'vitest';
import { buildDigest, canRequestNext } from '../../src/core/digest.js';
import { coreKit } from './kit.js';

describe('the digest recommendation on a guard condition', () => {
  it('says roll back now on an error-rate breach, with the value against GUARD_ERROR_RATE_MAX', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.02);
    const digest = await buildDigest(kit.deps);
    expect(digest.recommendation).toEqual({
      kind: 'roll-back',
      breaches: [{ id: 'error-rate', label: 'Rust error rate (5m)', value: '2%', threshold: '> 0.1%', state: 'breach' }],
    });
    expect(canRequestNext(digest.recommendation)).toBe(false);
  });

  it('says roll back now on Rust p99 at 2.5x Python (above GUARD_P99_RATIO_MAX)', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    kit.metrics.set(kit.config.goNoGo.rustP99Query, 0.25);
    kit.metrics.set(kit.config.goNoGo.pythonP99Query, 0.1);
    const digest = await buildDigest(kit.deps);
    expect(digest.recommendation).toEqual({
      kind: 'roll-back',
      breaches: [{ id: 'p99-ratio', label: 'Rust p99 vs Python', value: '250ms vs 100ms (2.50x)', threshold: '> 2x Python p99', state: 'breach' }],
    });
  });

  it('names every breached condition, and follows GUARD_ERROR_RATE_MAX rather than the go/no-go threshold', async () => {
    const kit = coreKit({ GUARD_ERROR_RATE_MAX: '0.05' });
    kit.holdAt(5);
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.02);
    expect((await buildDigest(kit.deps)).recommendation.kind).not.toBe('roll-back');
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.06);
    kit.metrics.set(kit.config.goNoGo.rustP99Query, 0.3);
    expect((await buildDigest(kit.deps)).recommendation).toEqual({
      kind: 'roll-back',
      breaches: [
        { id: 'error-rate', label: 'Rust error rate (5m)', value: '6%', threshold: '> 5%', state: 'breach' },
        { id: 'p99-ratio', label: 'Rust p99 vs Python', value: '300ms vs 100ms (3.00x)', threshold: '> 2x Python p99', state: 'breach' },
      ],
    });
  });

  it('holds (not roll back) with p99 at 1.8x: a go/no-go failure below the rollback condition', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    kit.metrics.set(kit.config.goNoGo.rustP99Query, 0.18);
    kit.metrics.set(kit.config.goNoGo.pythonP99Query, 0.1);
    const digest = await buildDigest(kit.deps);
    expect(digest.recommendation).toEqual({ kind: 'hold-investigate', percent: 5, reasons: ["Rust p99 is 1.80x Python's (limit 1.5x)"] });
    expect(canRequestNext(digest.recommendation)).toBe(false);
  });

  it('never says roll back at 0%, breach or not, nor on missing data', async () => {
    const kit = coreKit();
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.02);
    expect((await buildDigest(kit.deps)).recommendation.kind).not.toMatch(/^roll-back/);
    kit.holdAt(5);
    kit.metrics.down = true;
    expect((await buildDigest(kit.deps)).recommendation.kind).not.toMatch(/^roll-back/);
  });

  it('says roll back now on a ROLLBACK_ALERTS alert of any severity, and the go/no-go is NO-GO with the runbook action named', async () => {
    const kit = coreKit({ ROLLBACK_ALERTS: 'MCPRustGatewayErrorRateHigh' });
    kit.holdAt(5);
    // Not of the critical severity, not in PAUSE_ALERTS: only ROLLBACK_ALERTS names it.
    kit.alerts.fire('MCPRustGatewayErrorRateHigh', 'warning');
    const digest = await buildDigest(kit.deps);
    expect(digest.recommendation).toEqual({
      kind: 'roll-back',
      breaches: [{ id: 'rollback-alerts', label: 'Rollback alerts firing', value: 'MCPRustGatewayErrorRateHigh', threshold: 'MCPRustGatewayErrorRateHigh', state: 'breach' }],
    });
    expect(digest.status.goNoGo.verdict).toBe('NO-GO');
    expect(digest.status.goNoGo.reasons).toContain('alert firing whose runbook action is "roll back": MCPRustGatewayErrorRateHigh');
  });
});
