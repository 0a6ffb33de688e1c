// The digest's recommendation follows the guard's conditions: a breach of a runbook rollback condition (the
// error rate, the p99 ratio) at a canary above 0 says "Roll back now" with the value against its threshold,
// never "hold"; below the rollback threshold it holds; at 0 there is nothing to roll back.
import { describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/core/digest.js';
import { coreKit } from './kit.js';

describe('the digest recommendation on a guard condition', () => {
  it('says roll back now on an error-rate breach, with the value against GUARD_ERROR_RATE_MAX', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.02);
    const digest = await buildDigest(kit.deps);
    expect(digest.recommendation).toEqual({ text: 'Roll back now: Rust error rate (5m) 2% (rollback when > 0.1%).', canRequestNext: false });
  });

  it('says roll back now on Rust p99 at 2.5x Python (above GUARD_P99_RATIO_MAX)', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    kit.metrics.set(kit.config.goNoGo.rustP99Query, 0.25);
    kit.metrics.set(kit.config.goNoGo.pythonP99Query, 0.1);
    const digest = await buildDigest(kit.deps);
    expect(digest.recommendation).toEqual({ text: 'Roll back now: Rust p99 vs Python 250ms vs 100ms (2.50x) (rollback when > 2x Python p99).', canRequestNext: false });
  });

  it('names every breached condition, and follows GUARD_ERROR_RATE_MAX rather than the go/no-go threshold', async () => {
    const kit = coreKit({ GUARD_ERROR_RATE_MAX: '0.05' });
    kit.holdAt(5);
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.02);
    expect((await buildDigest(kit.deps)).recommendation.text).not.toMatch(/^Roll back now/);
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.06);
    kit.metrics.set(kit.config.goNoGo.rustP99Query, 0.3);
    expect((await buildDigest(kit.deps)).recommendation.text).toBe(
      'Roll back now: Rust error rate (5m) 6% (rollback when > 5%); Rust p99 vs Python 300ms vs 100ms (3.00x) (rollback when > 2x Python p99).',
    );
  });

  it('holds (not roll back) with p99 at 1.8x: a go/no-go failure below the rollback condition', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    kit.metrics.set(kit.config.goNoGo.rustP99Query, 0.18);
    kit.metrics.set(kit.config.goNoGo.pythonP99Query, 0.1);
    const digest = await buildDigest(kit.deps);
    expect(digest.recommendation.text).toMatch(/^Hold at 5% and investigate: /);
    expect(digest.recommendation.canRequestNext).toBe(false);
  });

  it('never says roll back at 0%, breach or not, nor on missing data', async () => {
    const kit = coreKit();
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.02);
    expect((await buildDigest(kit.deps)).recommendation.text).not.toMatch(/Roll back/);
    kit.holdAt(5);
    kit.metrics.down = true;
    expect((await buildDigest(kit.deps)).recommendation.text).not.toMatch(/Roll back now/);
  });

  it('says roll back now on a ROLLBACK_ALERTS alert of any severity, and the go/no-go is NO-GO with the runbook action named', async () => {
    const kit = coreKit({ ROLLBACK_ALERTS: 'MCPRustGatewayErrorRateHigh' });
    kit.holdAt(5);
    // Not of the critical severity, not in PAUSE_ALERTS: only ROLLBACK_ALERTS names it.
    kit.alerts.fire('MCPRustGatewayErrorRateHigh', 'warning');
    const digest = await buildDigest(kit.deps);
    expect(digest.recommendation).toEqual({ text: 'Roll back now: Rollback alerts firing MCPRustGatewayErrorRateHigh (rollback when MCPRustGatewayErrorRateHigh).', canRequestNext: false });
    expect(digest.status.goNoGo.verdict).toBe('NO-GO');
    expect(digest.status.goNoGo.reasons).toContain('alert firing whose runbook action is "roll back": MCPRustGatewayErrorRateHigh');
  });
});
