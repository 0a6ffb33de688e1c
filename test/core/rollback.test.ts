// Rollback on in-memory ports: the canary at 0 and its routing rules gone, for anyone, without the store;
// the runbook's fallback (remove the canary route, a copy kept) when writing 0 keeps failing; manual
// commands when even that is impossible; one rollback at a time; automatic rollbacks claimed once per
// route version; never held by a stalled store.
import { describe, expect, it } from 'vitest';
import { requestWeightChange } from '../../src/core/approvals.js';
import { KNOWN_ROUTE_KEY, type KnownRoute } from '../../src/core/drift.js';
import type { RoutingRule } from '../../src/core/entities.js';
import { ClusterError } from '../../src/core/errors.js';
import { automaticRollback, cancelPendingAfterRollback, movedTraffic, rollbackCanary, ROUTE_COPY_KEY } from '../../src/core/rollback.js';
import { coreKit, type Kit } from './kit.js';

const FAST = { writeAttempts: 2, retryDelayMs: 1 };
const HEADER: RoutingRule = { kind: 'header', name: 'X-Canary', value: 'always' };
const COOKIE: RoutingRule = { kind: 'cookie', name: 'canary' };

function withRules(kit: Kit, percent: number, rules: RoutingRule[]): void {
  kit.holdAt(percent);
  kit.router.route = { ...kit.router.route, routingRules: rules };
}

const resets = (kit: Kit) => kit.router.writes.filter((w) => w.op === 'resetToPrimary');

describe('rollback', () => {
  it('sets the canary to 0 and removes its header and cookie rules, audited with where it was', async () => {
    const kit = coreKit();
    withRules(kit, 25, [HEADER, COOKIE]);
    const outcome = await rollbackCanary(kit.deps, { actor: 'U0MALLORY', source: 'command', reason: 'p99 climbing' });
    expect(outcome).toMatchObject({
      kind: 'rolled-back',
      actor: 'U0MALLORY',
      source: 'command',
      reason: 'p99 climbing',
      fromPercent: 25,
      removedRules: [HEADER, COOKIE],
      dryRun: false,
      steps: [{ kind: 'reset', fromPercent: 25, removedRules: [HEADER, COOKIE], nowPercent: 0 }],
    });
    expect(movedTraffic(outcome)).toBe(true);
    expect(kit.router.route).toMatchObject({ exists: true, percent: 0, routingRules: [], lastApplied: { percent: 0, by: 'U0MALLORY' } });
    expect((await kit.auditEntries())[0]).toMatchObject({
      action: 'rollback',
      actor: 'U0MALLORY',
      fromPercent: 25,
      toPercent: 0,
      summary: 'rollback from command: Route mcp-gateway-canary set to 0% from 25%, 2 routing rule(s) removed (reason: p99 climbing)',
    });
    // Remembered as the bot's own change, for drift detection.
    expect(await kit.store.getValue<KnownRoute>(KNOWN_ROUTE_KEY)).toMatchObject({ exists: true, percent: 0 });
  });

  it('still removes routing rules left at 0%', async () => {
    const kit = coreKit();
    withRules(kit, 0, [HEADER]);
    expect(await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' })).toMatchObject({ kind: 'rolled-back', removedRules: [HEADER] });
    expect(kit.router.route.routingRules).toEqual([]);
  });

  it('says "already rolled back" at 0 with no rules, and when the route is absent, writing nothing', async () => {
    const kit = coreKit();
    expect(await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' })).toMatchObject({ kind: 'already-rolled-back', why: 'at-zero', steps: [] });
    kit.router.route = { ...kit.router.route, exists: false };
    const absent = await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' });
    expect(absent).toMatchObject({ kind: 'already-rolled-back', why: 'route-absent' });
    expect(movedTraffic(absent)).toBe(false);
    expect(kit.router.writes).toEqual([]);
    expect((await kit.auditEntries()).map((e) => e.action)).toEqual(['rollback-noop', 'rollback-noop']);
  });

  it('writes blind when the route cannot be read first', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    kit.router.failNext('readRoute', new ClusterError('timeout', 'GET timed out'));
    const outcome = await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' });
    expect(outcome).toMatchObject({ kind: 'rolled-back', fromPercent: undefined, steps: [{ kind: 'read-failed', error: 'GET timed out' }, { kind: 'reset', nowPercent: 0 }] });
    expect(kit.router.route.percent).toBe(0);
  });

  it('answers "already rolled back" when the route vanished between the read and the write', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    kit.router.beforeNext('resetToPrimary', () => (kit.router.route = { ...kit.router.route, exists: false }));
    expect(await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' })).toMatchObject({ kind: 'already-rolled-back', why: 'route-absent' });
  });

  it('retries a failed write once', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    kit.router.failNext('resetToPrimary');
    const outcome = await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }, FAST);
    expect(outcome).toMatchObject({ kind: 'rolled-back', steps: [{ kind: 'write-failed', attempt: 1 }, { kind: 'reset' }] });
    expect(kit.router.route.percent).toBe(0);
  });

  it('never needs the store or Prometheus', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    kit.storeFault.down();
    kit.metrics.down = true;
    kit.alerts.down = true;
    expect(await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' })).toMatchObject({ kind: 'rolled-back', fromPercent: 10 });
    expect(kit.router.route.percent).toBe(0);
    // The audit entry waits for the store, and is shown meanwhile.
    expect((await kit.deps.audit.recent(5)).entries[0]).toMatchObject({ action: 'rollback' });
  });

  it('is a server-side dry run under DRY_RUN: nothing changes and the outcome says so', async () => {
    const kit = coreKit({ DRY_RUN: 'true' });
    withRules(kit, 25, [HEADER]);
    const outcome = await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' });
    expect(outcome).toMatchObject({ kind: 'rolled-back', dryRun: true });
    expect(kit.router.route).toMatchObject({ percent: 25, routingRules: [HEADER] });
    expect(resets(kit)).toEqual([expect.objectContaining({ dryRun: true })]);
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'rollback', dryRun: true });
  });
});

describe('when writing 0 keeps failing', () => {
  it('removes the canary route (the runbook fallback), keeps a copy in the store and in the audit entry', async () => {
    const kit = coreKit();
    withRules(kit, 25, [HEADER]);
    const before = structuredClone(kit.router.route);
    kit.router.failNext('resetToPrimary', new ClusterError('unavailable', 'admission webhook timed out'), 2);
    const outcome = await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }, FAST);
    expect(outcome).toMatchObject({
      kind: 'route-removed',
      fromPercent: 25,
      writeError: 'admission webhook timed out',
      steps: [
        { kind: 'write-failed', attempt: 1, error: 'admission webhook timed out' },
        { kind: 'write-failed', attempt: 2, error: 'admission webhook timed out' },
        { kind: 'route-removed', copyKept: true },
      ],
    });
    expect(movedTraffic(outcome)).toBe(true);
    expect(kit.router.route.exists).toBe(false);
    const copy = await kit.store.getValue<{ object: unknown }>(ROUTE_COPY_KEY);
    expect(copy?.object).toEqual(before);
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'rollback', toPercent: 0, fromPercent: 25, routeCopy: { object: before } });
    expect(await kit.store.getValue<KnownRoute>(KNOWN_ROUTE_KEY)).toMatchObject({ exists: false });
  });

  it('keeps the copy in the audit entry when the store cannot take it, and says so in the log', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    kit.router.failNext('resetToPrimary', undefined, 2);
    kit.storeFault.down();
    const outcome = await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }, FAST);
    expect(outcome.kind).toBe('route-removed');
    expect((await kit.deps.audit.recent(5)).entries[0]).toMatchObject({ action: 'rollback', routeCopy: { object: expect.objectContaining({ percent: 25 }) } });
    expect(kit.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'could not keep the copy of the canary route in the store; the audit entry has it' }));
  });

  it('counts a route already gone at removal as removed', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    kit.router.failNext('resetToPrimary', undefined, 2);
    kit.router.beforeNext('removeCanaryRoute', () => (kit.router.route = { ...kit.router.route, exists: false }));
    expect(await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }, FAST)).toMatchObject({ kind: 'route-removed', steps: [{}, {}, { kind: 'route-already-gone' }] });
  });

  it('fails with the manual commands when the router has no last resort (Gateway API)', async () => {
    const kit = coreKit({ TRAFFIC_ROUTER: 'gateway-api' });
    kit.holdAt(25);
    kit.router.failNext('resetToPrimary', new ClusterError('forbidden', 'httproutes is forbidden'), 2);
    const outcome = await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }, FAST);
    expect(outcome).toMatchObject({ kind: 'failed', errors: ['httproutes is forbidden'], manualCommands: ['kubectl edit route mcp-gateway-canary'] });
    expect(movedTraffic(outcome)).toBe(false);
    expect(kit.router.route).toMatchObject({ exists: true, percent: 25 });
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'rollback-failed', toPercent: undefined, summary: expect.stringContaining('FAILED') });
  });

  it('fails with every error and the manual commands when removal fails twice too', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    kit.router.failNext('resetToPrimary', new Error('write 1'), 1);
    kit.router.failNext('resetToPrimary', new Error('write 2'), 1);
    kit.router.failNext('removeCanaryRoute', new Error('delete refused'), 2);
    const outcome = await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }, FAST);
    expect(outcome).toMatchObject({
      kind: 'failed',
      errors: ['write 2', 'delete refused', 'delete refused'],
      manualCommands: ['kubectl edit route mcp-gateway-canary'],
      steps: [{ kind: 'write-failed' }, { kind: 'write-failed' }, { kind: 'remove-failed', attempt: 1 }, { kind: 'remove-failed', attempt: 2 }],
    });
    expect(kit.router.route.exists).toBe(true);
    // The drift check is told the route is still there, at the percent it had.
    expect(await kit.store.getValue<KnownRoute>(KNOWN_ROUTE_KEY)).toMatchObject({ exists: true, percent: 25 });
  });

  it('tells the drift check the route is going before it is removed, so a check in between sees no outside change', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    kit.router.failNext('resetToPrimary', undefined, 2);
    let knownAtRemoval: Promise<KnownRoute | undefined> | undefined;
    kit.router.beforeNext('removeCanaryRoute', () => (knownAtRemoval = kit.store.getValue<KnownRoute>(KNOWN_ROUTE_KEY)));
    expect((await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }, FAST)).kind).toBe('route-removed');
    expect(await knownAtRemoval).toMatchObject({ exists: false, percent: 0 });
  });
});

describe('concurrent rollbacks', () => {
  it('serialises clicks in one process: one writes, the next finds it already rolled back', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    const outcomes = await Promise.all([
      rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' }),
      rollbackCanary(kit.deps, { actor: 'U0BOB', source: 'alert' }),
      rollbackCanary(kit.deps, { actor: 'U0CAROL', source: 'home' }),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['rolled-back', 'already-rolled-back', 'already-rolled-back']);
    expect(resets(kit)).toHaveLength(1);
  });

  it('claims an automatic rollback once per route version, across replicas, and again once the weight moved', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    const other = kit.replica();
    const [a, b] = await Promise.all([
      automaticRollback(kit.deps, { actor: 'guard', source: 'guard' }),
      automaticRollback(other, { actor: 'mcp-canary', source: 'auto' }),
    ]);
    expect([a?.kind, b?.kind].sort()).toEqual(['rolled-back', undefined]);
    expect(resets(kit)).toHaveLength(1);

    // Raised again (a new version): a new incident rolls back again.
    kit.holdAt(5);
    expect(await automaticRollback(other, { actor: 'mcp-canary', source: 'auto' })).toMatchObject({ kind: 'rolled-back', fromPercent: 5 });
    expect(resets(kit)).toHaveLength(2);
    // At 0 there is nothing to claim: the outcome says so.
    expect(await automaticRollback(kit.deps, { actor: 'guard', source: 'guard' })).toMatchObject({ kind: 'already-rolled-back' });
  });

  it('a failed automatic rollback lets the next path try at once, one retry per failure; a successful one leaves nothing to do', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    const other = kit.replica();
    kit.router.failNext('resetToPrimary', undefined, 2);
    kit.router.failNext('removeCanaryRoute', undefined, 2);
    expect(await automaticRollback(other, { actor: 'mcp-canary', source: 'auto' })).toMatchObject({ kind: 'failed' });
    expect(kit.router.route.percent).toBe(25);

    // Same route version, claim still held: the holder said it failed, so the guard (and only it) retries.
    const [guard, third] = await Promise.all([automaticRollback(kit.deps, { actor: 'guard', source: 'guard' }), automaticRollback(kit.replica(), { actor: 'mcp-canary', source: 'auto' })]);
    expect([guard?.kind, third?.kind]).toEqual(['rolled-back', undefined]);
    expect(kit.router.route.percent).toBe(0);
    expect(resets(kit)).toHaveLength(1);
    expect(await automaticRollback(other, { actor: 'mcp-canary', source: 'auto' })).toMatchObject({ kind: 'already-rolled-back' });
    expect(resets(kit)).toHaveLength(1);
  });

  it('a claim whose rollback is still under way is left to its holder', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    let late: Promise<unknown> | undefined;
    // The holder is writing when the other path asks.
    kit.router.beforeNext('resetToPrimary', () => {
      late = automaticRollback(kit.replica(), { actor: 'guard', source: 'guard' });
    });
    expect(await automaticRollback(kit.deps, { actor: 'mcp-canary', source: 'auto' })).toMatchObject({ kind: 'rolled-back' });
    expect(await late).toBeUndefined();
    expect(resets(kit)).toHaveLength(1);
  });

  it('keeps the guard evidence in the audit entry of an automatic rollback', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    const evidence = { verdict: 'NO-GO' as const, evaluatedAt: kit.clock.now().toISOString(), criteria: [], reasons: ['error rate 2%'] };
    await automaticRollback(kit.deps, { actor: 'guard', source: 'guard', evidence });
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'rollback', actor: 'guard', evidence });
  });
});

describe('a stalled store', () => {
  it('never holds a rollback', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    kit.storeFault.stall();
    const started = Date.now();
    expect((await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' })).kind).toBe('rolled-back');
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('holds an automatic rollback at most 250 ms for its claim, then rolls back', async () => {
    const kit = coreKit();
    kit.holdAt(25);
    kit.storeFault.stall();
    const started = Date.now();
    expect(await automaticRollback(kit.deps, { actor: 'guard', source: 'guard' })).toMatchObject({ kind: 'rolled-back' });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(240);
    expect(waited).toBeLessThan(700);
    expect(kit.router.route.percent).toBe(0);
  });
});

describe('after a rollback', () => {
  it('cancels the pending request, which nothing makes sense of any more', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    const outcome = await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } });
    expect(outcome.kind).toBe('requested');
    await rollbackCanary(kit.deps, { actor: 'U0BOB', source: 'command' });
    expect(await cancelPendingAfterRollback(kit.deps, 'U0BOB')).toMatchObject({ status: 'cancelled', decidedBy: 'U0BOB', decision: { kind: 'cancelled', cause: 'rolled-back' } });
    expect(await kit.store.getPendingRequest()).toBeUndefined();
    expect(await cancelPendingAfterRollback(kit.deps, 'U0BOB')).toBeUndefined();
  });

  it('cancelling is best effort when the store is down', async () => {
    const kit = coreKit();
    kit.storeFault.down();
    expect(await cancelPendingAfterRollback(kit.deps, 'U0BOB')).toBeUndefined();
    expect(kit.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'could not cancel the pending request after a rollback' }));
  });
});
