// The digest's recommended action is data (a kind with the numbers and reasons it needs); the view words it
// (test/views/digest-recommendation.test.ts). The rollback cases are in guard-digest.test.ts and
// critical-severity.test.ts; here, every other kind from a real status.
import { describe, expect, it } from 'vitest';
import { buildDigest, canRequestNext } from '../../src/core/digest.js';
import { ClusterError } from '../../src/core/errors.js';
import { coreKit } from './kit.js';

const HOUR = 3_600_000;

describe('the digest recommendation, as data', () => {
  it('asks to fix access to the canary route when it cannot be read', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    kit.router.failNext('readRoute', new ClusterError('unavailable', 'connect ECONNREFUSED 10.0.0.1:443'), 10);
    const { recommendation } = await buildDigest(kit.deps);
    expect(recommendation).toEqual({ kind: 'fix-route-access', error: expect.stringContaining('connect ECONNREFUSED 10.0.0.1:443') });
    expect(canRequestNext(recommendation)).toBe(false);
  });

  it('recommends requesting the next step, with both percents, when every ramp rule is met', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    const { recommendation } = await buildDigest(kit.deps);
    expect(recommendation).toEqual({ kind: 'request-next', fromPercent: 5, toPercent: 10 });
    expect(canRequestNext(recommendation)).toBe(true);
  });

  it('holds with the time left when only the hold is not done', async () => {
    const kit = coreKit();
    kit.holdAt(5, 26);
    const { recommendation } = await buildDigest(kit.deps);
    expect(recommendation).toEqual({ kind: 'hold', percent: 5, toPercent: 10, remainingMs: 22 * HOUR });
    expect(canRequestNext(recommendation)).toBe(false);
  });

  it('says not yet with the ramp rules not met, when nothing failing is worth investigating', async () => {
    const kit = coreKit({ BUSINESS_HOURS: 'Mon-Fri 09:00-18:00' });
    kit.holdAt(5);
    // START is a Tuesday 10:00 UTC; move to Saturday, the window closed.
    kit.clock.advance(4 * 24 * HOUR);
    const { recommendation } = await buildDigest(kit.deps);
    expect(recommendation.kind).toBe('not-yet');
    expect(recommendation.kind === 'not-yet' && recommendation.reasons).toEqual([expect.stringMatching(/^Business window: /)]);
  });

  it('watches once Rust is primary, and has nothing to ramp once cleanup is due', async () => {
    const kit = coreKit();
    kit.holdAt(100, 24);
    expect((await buildDigest(kit.deps)).recommendation).toEqual({ kind: 'watch-primary' });
    kit.holdAt(100, 15 * 24);
    expect((await buildDigest(kit.deps)).recommendation).toEqual({ kind: 'nothing-to-ramp' });
  });
});
