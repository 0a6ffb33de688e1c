// Drift on in-memory ports: changes made behind the bot's back (kubectl, a CD tool) are announced once,
// audited and adopted; split rules that disagree are announced, never adopted; the bot's own changes never drift.
import { describe, expect, it } from 'vitest';
import { approveRequest, requestWeightChange } from '../../src/core/approvals.js';
import { checkDrift, KNOWN_ROUTE_KEY, type KnownRoute } from '../../src/core/drift.js';
import { rollbackCanary } from '../../src/core/rollback.js';
import { putCanaryRouteInPlace } from '../../src/core/route.js';
import { coreKit, type Kit } from './kit.js';

/** The canary at `percent`, set by the bot and known to it. */
async function settledAt(kit: Kit, percent: number): Promise<void> {
  kit.holdAt(percent);
  expect(await checkDrift(kit.deps)).toBeUndefined();
  expect(await kit.store.getValue<KnownRoute>(KNOWN_ROUTE_KEY)).toMatchObject({ exists: true, percent });
}

/** What `kubectl annotate --overwrite ...canary-weight=N` does: the percent moves, the bot's record does not. */
function kubectlWeight(kit: Kit, percent: number): void {
  kit.router.route = { ...kit.router.route, percent, version: String(Number(kit.router.route.version) + 1) };
}

const drifts = async (kit: Kit) => (await kit.auditEntries()).filter((e) => e.action === 'drift-detected');

describe('drift', () => {
  it('announces a percent changed outside the bot, audits it and adopts it (the hold restarts)', async () => {
    const kit = coreKit();
    await settledAt(kit, 5);
    kubectlWeight(kit, 20);
    const event = await checkDrift(kit.deps);
    expect(event).toEqual({
      at: kit.clock.now().toISOString(),
      before: { exists: true, percent: 5 },
      after: { exists: true, percent: 20 },
      disagreeingSplit: undefined,
      adopted: true,
      dryRun: false,
    });
    expect(kit.router.route.lastApplied).toEqual({ percent: 20, at: kit.clock.now().toISOString(), by: 'outside the bot (drift adopted)' });
    expect(await drifts(kit)).toEqual([
      expect.objectContaining({ actor: 'outside the bot', fromPercent: 5, toPercent: 20, summary: 'changed outside mcp-canary: weight 5% → weight 20%' }),
    ]);
    // Adopted: no further drift.
    expect(await checkDrift(kit.deps)).toBeUndefined();
    expect(await drifts(kit)).toHaveLength(1);
  });

  it('sees a change even when the store lost what it knew (the route carries what the bot applied)', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    kubectlWeight(kit, 50);
    expect(await checkDrift(kit.deps)).toMatchObject({ before: { percent: 10 }, after: { percent: 50 }, adopted: true });
  });

  it('announces once when the adoption cannot be written, and across replicas seeing it at the same moment', async () => {
    const kit = coreKit();
    await settledAt(kit, 5);
    kubectlWeight(kit, 20);
    kit.router.failNext('setPercent');
    const other = kit.replica();
    const events = await Promise.all([checkDrift(kit.deps), checkDrift(other)]);
    expect(events.filter(Boolean)).toEqual([expect.objectContaining({ adopted: false, after: { exists: true, percent: 20 } })]);
    expect(kit.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'could not record the adopted percent on the canary route' }));
    expect(await checkDrift(kit.deps)).toBeUndefined();
    expect(await checkDrift(other)).toBeUndefined();
  });

  it('announces a canary route that vanished, without adopting anything', async () => {
    const kit = coreKit();
    await settledAt(kit, 10);
    kit.router.route = { ...kit.router.route, exists: false };
    expect(await checkDrift(kit.deps)).toMatchObject({ before: { exists: true, percent: 10 }, after: { exists: false, percent: 0 }, adopted: false });
    expect(kit.router.writes).toEqual([]);
    expect((await drifts(kit))[0]?.summary).toBe('changed outside mcp-canary: weight 10% → canary route absent');
    expect(await checkDrift(kit.deps)).toBeUndefined();
  });

  it('announces a canary route that appeared after the bot removed it, and adopts its percent', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    kit.router.failNext('resetToPrimary', undefined, 2);
    expect((await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }, { writeAttempts: 2, retryDelayMs: 1 })).kind).toBe('route-removed');
    expect(await checkDrift(kit.deps)).toBeUndefined();
    // kubectl apply -f canary-ingress.yaml: back, at 0, with no record of the bot.
    kit.router.route = { ...kit.router.route, exists: true, percent: 0, lastApplied: undefined, version: '99' };
    expect(await checkDrift(kit.deps)).toMatchObject({ before: { exists: false, percent: 0 }, after: { exists: true, percent: 0 }, adopted: true });
    expect(await checkDrift(kit.deps)).toBeUndefined();
  });

  it('announces split rules that disagree, and leaves them as they are (making them agree would move traffic)', async () => {
    const kit = coreKit();
    await settledAt(kit, 10);
    kit.router.route = { ...kit.router.route, splitPercents: [10, 50], version: '42' };
    const event = await checkDrift(kit.deps);
    expect(event).toMatchObject({ disagreeingSplit: [10, 50], adopted: false, before: { percent: 10 }, after: { percent: 10 } });
    expect(kit.router.writes).toEqual([]);
    expect((await drifts(kit))[0]?.summary).toBe('changed outside mcp-canary: weight 10% → weight 10% (split rules disagree: 10%, 50%)');
    // Announced once, while they keep disagreeing.
    expect(await checkDrift(kit.deps)).toBeUndefined();
    expect(await drifts(kit)).toHaveLength(1);
  });

  it('records a canary percent set with no record of the bot (a route made by ingress2gateway) as applied now, so the hold restarts instead of refusing every increase', async () => {
    const kit = coreKit();
    await settledAt(kit, 10);
    // The migration's new route: the same percent as remembered, no applied-* record.
    kit.router.route = { ...kit.router.route, lastApplied: undefined, version: '77' };
    // Until the drift check runs, the refusal says what will happen.
    const before = await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } });
    expect(before).toMatchObject({ kind: 'refused', assessment: { hold: { unknownReason: expect.stringMatching(/the drift check records it as set when it next runs/) } } });
    const event = await checkDrift(kit.deps);
    expect(event).toMatchObject({ before: { exists: true, percent: 10 }, after: { exists: true, percent: 10 }, adopted: true, unrecorded: true });
    expect(kit.router.route.lastApplied).toEqual({ percent: 10, at: kit.clock.now().toISOString(), by: 'outside the bot (drift adopted)' });
    expect((await drifts(kit))[0]).toMatchObject({ actor: 'outside the bot', summary: 'set outside mcp-canary with no record of when: weight 10%, recorded as applied now (the hold at this step restarts)' });
    expect(await checkDrift(kit.deps)).toBeUndefined();
    // The hold counts from now: refused until it has passed, then the next step can be requested.
    const early = await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } });
    expect(early).toMatchObject({ kind: 'refused', assessment: { hold: { satisfied: false, heldMs: 0 } } });
    kit.clock.advance(kit.deps.policy.ramp.stepMinHoldMs);
    expect((await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } })).kind).toBe('requested');
  });

  it('records nothing for a canary at 0 with no record (no hold to vouch for)', async () => {
    const kit = coreKit();
    kit.router.route = { ...kit.router.route, exists: true, percent: 0, lastApplied: undefined };
    expect(await checkDrift(kit.deps)).toBeUndefined();
    expect(kit.router.writes).toEqual([]);
  });

  it('ignores split rules that agree', async () => {
    const kit = coreKit();
    await settledAt(kit, 10);
    kit.router.route = { ...kit.router.route, splitPercents: [10, 10] };
    expect(await checkDrift(kit.deps)).toBeUndefined();
  });
});

describe("the bot's own changes never drift", () => {
  it('an approved increase, a decrease and a rollback', async () => {
    const kit = coreKit();
    await settledAt(kit, 5);
    kit.clock.advance(60_000);
    const request = await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } });
    expect(request.kind).toBe('requested');
    if (request.kind !== 'requested') return;
    expect((await approveRequest(kit.deps, { requestId: request.request.id, actor: 'U0BOB' })).kind).toBe('applied');
    expect(await checkDrift(kit.deps)).toBeUndefined();
    expect(await kit.store.getValue<KnownRoute>(KNOWN_ROUTE_KEY)).toMatchObject({ percent: 10 });

    kit.clock.advance(60_000);
    expect((await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'percent', percent: 5 } })).kind).toBe('decreased');
    expect(await checkDrift(kit.deps)).toBeUndefined();

    kit.clock.advance(60_000);
    expect((await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' })).kind).toBe('rolled-back');
    expect(await checkDrift(kit.deps)).toBeUndefined();
    expect(await drifts(kit)).toEqual([]);
  });

  it('putting the canary route back after the rollback fallback removed it (route apply)', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    kit.router.failNext('resetToPrimary', undefined, 2);
    expect((await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }, { writeAttempts: 2, retryDelayMs: 1 })).kind).toBe('route-removed');
    expect(await checkDrift(kit.deps)).toBeUndefined();
    expect(await putCanaryRouteInPlace(kit.deps, { actor: 'U0BOB' })).toMatchObject({ kind: 'applied' });
    expect(kit.router.route).toMatchObject({ exists: true, percent: 0 });
    expect(await checkDrift(kit.deps)).toBeUndefined();
    expect(await drifts(kit)).toEqual([]);
  });

  it('a change made by another replica (same store)', async () => {
    const kit = coreKit();
    await settledAt(kit, 10);
    const other = kit.replica();
    kit.clock.advance(60_000);
    expect((await requestWeightChange(other, { actor: 'U0ALICE', target: { kind: 'percent', percent: 5 } })).kind).toBe('decreased');
    expect(await checkDrift(kit.deps)).toBeUndefined();
  });
});
