// The guard on in-memory ports with an injected clock: the runbook's immediate-rollback conditions, the
// consecutive-breach counter and its episodes, missing data, and what each GUARD mode does (rollback,
// page, off), once per interval across replicas sharing a store.
import { describe, expect, it } from 'vitest';
import { alertGroupId, runDueEscalations } from '../../src/core/alerts.js';
import type { AlertThreadEvent } from '../../src/core/entities.js';
import {
  advanceGuard,
  evaluateGuardConditions,
  GUARD_STATE_KEY,
  INITIAL_GUARD_STATE,
  runGuardTick,
  type GuardCheck,
  type GuardState,
  type GuardTick,
} from '../../src/core/guard.js';
import { automaticRollback } from '../../src/core/rollback.js';
import { coreKit, TestClock, type Kit } from './kit.js';

const POLICY = { errorRateMax: 0.001, p99RatioMax: 2, rollbackAlerts: ['MCPRustGatewayErrorRateHigh', 'MCPRustGatewayDown'] };
const ok = (value: number) => ({ ok: true as const, value });
const missing = (reason = 'no data') => ({ ok: false as const, reason });
const noAlerts = { ok: true as const, alerts: [] };

describe('evaluateGuardConditions', () => {
  it('is clear while every value is within its threshold', () => {
    const conditions = evaluateGuardConditions({ errorRate: ok(0.0004), rustP99: ok(0.12), pythonP99: ok(0.1), rollbackAlerts: noAlerts }, POLICY);
    expect(conditions.map((c) => [c.id, c.state, c.value, c.threshold])).toEqual([
      ['error-rate', 'clear', '0.04%', '> 0.1%'],
      ['p99-ratio', 'clear', '120ms vs 100ms (1.20x)', '> 2x Python p99'],
      ['rollback-alerts', 'clear', 'none', 'MCPRustGatewayErrorRateHigh, MCPRustGatewayDown'],
    ]);
  });

  it('breaches strictly above each threshold', () => {
    const at = evaluateGuardConditions({ errorRate: ok(0.001), rustP99: ok(0.2), pythonP99: ok(0.1), rollbackAlerts: noAlerts }, POLICY);
    expect(at.map((c) => c.state)).toEqual(['clear', 'clear', 'clear']);
    const above = evaluateGuardConditions({ errorRate: ok(0.0011), rustP99: ok(0.21), pythonP99: ok(0.1), rollbackAlerts: noAlerts }, POLICY);
    expect(above.map((c) => c.state)).toEqual(['breach', 'breach', 'clear']);
  });

  it('breaches on a rollback alert, silenced or not: a silence mutes notifications, never the guard', () => {
    const alert = { name: 'MCPRustGatewayDown', severity: 'critical', startsAt: '', fingerprint: 'f', labels: {}, suppressed: { silences: [{ id: 's' }], inhibited: false } };
    const conditions = evaluateGuardConditions({ errorRate: ok(0), rustP99: ok(0.1), pythonP99: ok(0.1), rollbackAlerts: { ok: true, alerts: [alert, { ...alert, fingerprint: 'g' }] } }, POLICY);
    expect(conditions[2]).toMatchObject({ state: 'breach', value: 'MCPRustGatewayDown' });
  });

  it('skips a condition without data (never a breach), says why, and still evaluates the others', () => {
    const conditions = evaluateGuardConditions({ errorRate: missing('Prometheus timeout'), rustP99: ok(0.5), pythonP99: ok(0.1), rollbackAlerts: missing('Alertmanager unreachable') }, POLICY);
    expect(conditions.map((c) => [c.state, c.missing])).toEqual([
      ['no-data', 'Prometheus timeout'],
      ['breach', undefined],
      ['no-data', 'Alertmanager unreachable'],
    ]);
    const noBaseline = evaluateGuardConditions({ errorRate: ok(0), rustP99: ok(0.5), pythonP99: ok(0), rollbackAlerts: noAlerts }, POLICY);
    expect(noBaseline[1]).toMatchObject({ state: 'no-data', missing: 'Python p99 is 0: no baseline' });
    const noRust = evaluateGuardConditions({ errorRate: ok(0), rustP99: missing('NaN'), pythonP99: ok(0.1), rollbackAlerts: noAlerts }, POLICY);
    expect(noRust[1]).toMatchObject({ state: 'no-data', missing: 'Rust p99 NaN' });
  });
});

describe('advanceGuard: the consecutive-breach counter', () => {
  const clock = new TestClock();
  function check(kind: 'breach' | 'clear' | 'no-data', percent = 10): GuardCheck {
    clock.advance(15_000);
    return { at: clock.now().toISOString(), percent, conditions: [], breach: kind === 'breach', noData: kind === 'no-data' };
  }
  /** What runGuardTick records once it acted. */
  const acted = (state: GuardState): GuardState => ({ ...state, episode: { ...state.episode!, actedAt: state.lastCheck!.at, action: 'rollback' } });

  it('does nothing on one breach, acts at GUARD_BREACHES in a row, once per episode', () => {
    const first = check('breach');
    const one = advanceGuard(INITIAL_GUARD_STATE, first, { breaches: 2 });
    expect(one.decision).toEqual({ act: false });
    expect(one.state).toMatchObject({ breachesInRow: 1, episode: { startedAt: first.at } });

    const two = advanceGuard(one.state, check('breach'), { breaches: 2 });
    expect(two.decision).toEqual({ act: true, episodeStartedAt: first.at });
    expect(two.state.breachesInRow).toBe(2);

    const three = advanceGuard(acted(two.state), check('breach'), { breaches: 2 });
    expect(three.decision).toEqual({ act: false });
    expect(three.state).toMatchObject({ breachesInRow: 3, episode: { startedAt: first.at } });
  });

  it('starts over after a clear check: a later breach is a new episode that needs GUARD_BREACHES again', () => {
    let state = advanceGuard(INITIAL_GUARD_STATE, check('breach'), { breaches: 3 }).state;
    state = advanceGuard(state, check('breach'), { breaches: 3 }).state;
    const cleared = advanceGuard(state, check('clear'), { breaches: 3 });
    expect(cleared.state).toMatchObject({ breachesInRow: 0, episode: undefined });
    const later = check('breach');
    let next = advanceGuard(cleared.state, later, { breaches: 3 });
    expect(next.state.episode).toEqual({ startedAt: later.at });
    next = advanceGuard(next.state, check('breach'), { breaches: 3 });
    expect(next.decision.act).toBe(false);
    expect(advanceGuard(next.state, check('breach'), { breaches: 3 }).decision).toEqual({ act: true, episodeStartedAt: later.at });
  });

  it('ends the episode when the canary is at 0', () => {
    const one = advanceGuard(INITIAL_GUARD_STATE, check('breach'), { breaches: 2 });
    const zero = advanceGuard(one.state, check('breach', 0), { breaches: 2 });
    expect(zero).toMatchObject({ decision: { act: false }, state: { breachesInRow: 0, episode: undefined } });
    expect(advanceGuard(zero.state, check('breach'), { breaches: 2 }).decision.act).toBe(false);
  });

  it('warns once after three checks without data, and once when data returns', () => {
    let state = INITIAL_GUARD_STATE;
    const seen: Array<string | undefined> = [];
    for (const kind of ['no-data', 'no-data', 'no-data', 'no-data', 'no-data', 'clear', 'clear', 'no-data'] as const) {
      const next = advanceGuard(state, check(kind), { breaches: 2 });
      seen.push(next.noData);
      state = next.state;
    }
    expect(seen).toEqual([undefined, undefined, 'warn', undefined, undefined, 'recovered', undefined, undefined]);
  });

  it('does not warn when data returns before the third check', () => {
    let state = INITIAL_GUARD_STATE;
    const seen: Array<string | undefined> = [];
    for (const kind of ['no-data', 'no-data', 'clear', 'no-data', 'no-data'] as const) {
      const next = advanceGuard(state, check(kind), { breaches: 2 });
      seen.push(next.noData);
      state = next.state;
    }
    expect(seen).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('runGuardTick', () => {
  function breaching(kit: Kit): void {
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.02);
  }
  async function tick(kit: Kit, local = { state: INITIAL_GUARD_STATE }, deps = kit.deps): Promise<GuardTick> {
    try {
      return await runGuardTick(deps, local);
    } finally {
      kit.clock.advance(kit.config.guard.intervalMs);
    }
  }
  const threadKinds = (kit: Kit) => kit.announcer.threads.map((e: AlertThreadEvent) => (e.kind === 'escalation' ? `escalation L${e.level} ${e.target}` : e.kind));

  it('GUARD=rollback: one breach does nothing, the second rolls back with the guard as actor and its evidence', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    breaching(kit);
    const local = { state: INITIAL_GUARD_STATE };
    expect(await tick(kit, local)).toMatchObject({ kind: 'checked', state: { breachesInRow: 1 } });
    expect(kit.router.route.percent).toBe(10);

    const second = await tick(kit, local);
    expect(second).toMatchObject({ kind: 'rolled-back', outcome: { kind: 'rolled-back', actor: 'guard', source: 'guard', fromPercent: 10 } });
    expect(second.kind === 'rolled-back' && second.outcome?.reason).toBe('Rust error rate (5m) 2% (rollback when > 0.1%) (2 checks in a row)');
    expect(kit.router.route.percent).toBe(0);
    const audit = (await kit.auditEntries())[0];
    expect(audit).toMatchObject({ action: 'rollback', actor: 'guard', evidence: { verdict: 'NO-GO', reasons: ['Rust error rate (5m) 2% (rollback when > 0.1%)'] } });
    expect(audit?.evidence?.criteria.map((c) => [c.label, c.pass])).toEqual([
      ['Rust error rate (5m)', false],
      ['Rust p99 vs Python', true],
      ['Rollback alerts firing', true],
    ]);
    expect(await kit.store.getValue<GuardState>(GUARD_STATE_KEY)).toMatchObject({ breachesInRow: 2, episode: { action: 'rollback' } });

    // Nothing left to guard.
    expect(await tick(kit, local)).toEqual({ kind: 'skipped', why: 'canary-at-zero' });
    expect(kit.router.writes.filter((w) => w.op === 'resetToPrimary')).toHaveLength(1);
  });

  it('acts again in a later episode (the canary raised again and breaching again)', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    expect((await tick(kit)).kind).toBe('rolled-back');
    await tick(kit);
    kit.holdAt(5);
    expect((await tick(kit)).kind).toBe('checked');
    expect(await tick(kit)).toMatchObject({ kind: 'rolled-back', outcome: { fromPercent: 5 } });
    expect(kit.router.writes.filter((w) => w.op === 'resetToPrimary')).toHaveLength(2);
  });

  it('rolls back on a rollback alert firing, silenced or not', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    kit.alerts.fire('MCPRustGatewayDown', 'critical', { suppressed: { silences: [{ id: 's1' }], inhibited: false } });
    await tick(kit);
    expect(await tick(kit)).toMatchObject({ kind: 'rolled-back', outcome: { kind: 'rolled-back' } });
  });

  it('a clear check in between ends the episode: the count starts over', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    kit.makeHealthy();
    expect(await tick(kit)).toMatchObject({ kind: 'checked', state: { breachesInRow: 0 } });
    breaching(kit);
    expect(await tick(kit)).toMatchObject({ kind: 'checked', state: { breachesInRow: 1 } });
    expect(kit.router.route.percent).toBe(10);
  });

  it('the canary at 0 ends an episode', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    kit.holdAt(0);
    expect(await tick(kit)).toEqual({ kind: 'skipped', why: 'canary-at-zero' });
    expect(await kit.store.getValue<GuardState>(GUARD_STATE_KEY)).toMatchObject({ breachesInRow: 0 });
    kit.holdAt(10);
    expect(await tick(kit)).toMatchObject({ kind: 'checked', state: { breachesInRow: 1 } });
    expect(kit.router.writes).toEqual([]);
  });

  it('never acts on missing data; warns after three checks without it and once when it returns', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    kit.metrics.down = true;
    const results = [await tick(kit), await tick(kit), await tick(kit), await tick(kit)];
    expect(results.map((r) => [r.kind, 'noData' in r ? r.noData : undefined])).toEqual([
      ['checked', undefined],
      ['checked', undefined],
      ['checked', 'warn'],
      ['checked', undefined],
    ]);
    kit.metrics.down = false;
    expect(await tick(kit)).toMatchObject({ kind: 'checked', noData: 'recovered' });
    expect(kit.router.writes).toEqual([]);
  });

  it('GUARD=page: writes nothing, pages once through an alert group that mentions L1 at once, resolved when the episode ends', async () => {
    const kit = coreKit({ GUARD: 'page', ESCALATE_L2_AFTER: '15m' });
    kit.holdAt(10);
    breaching(kit);
    const first = kit.clock.now().toISOString();
    await tick(kit);
    const paged = await tick(kit);
    expect(paged).toMatchObject({ kind: 'paged', page: { origin: 'guard', status: 'firing', critical: true, evidence: { verdict: 'NO-GO' } } });
    expect(kit.router.writes).toEqual([]);
    expect(kit.router.route.percent).toBe(10);
    expect(kit.announcer.posts).toHaveLength(1);
    expect(threadKinds(kit)).toEqual(['escalation L1 U0ONCALL']);
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'guard-breach', actor: 'guard', fromPercent: 10, summary: expect.stringContaining('GUARD=page, nothing written, people paged') });

    // Still breaching: no second page.
    expect((await tick(kit)).kind).toBe('checked');
    expect(kit.announcer.posts).toHaveLength(1);

    // Conditions clear: the episode is over, its page resolved, and its escalation stops.
    kit.makeHealthy();
    await tick(kit);
    expect(threadKinds(kit)).toEqual(['escalation L1 U0ONCALL', 'resolved']);
    expect(await kit.store.getAlertGroup(`guard-${alertGroupId(first)}`)).toMatchObject({ status: 'resolved' });
    kit.clock.advance(60 * 60_000);
    await runDueEscalations(kit.deps);
    expect(threadKinds(kit)).toEqual(['escalation L1 U0ONCALL', 'resolved']);
  });

  it('GUARD=page: someone rolling back ends the episode, and its page is resolved', async () => {
    const kit = coreKit({ GUARD: 'page' });
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    expect((await tick(kit)).kind).toBe('paged');
    kit.holdAt(0);
    expect(await tick(kit)).toEqual({ kind: 'skipped', why: 'canary-at-zero' });
    expect(threadKinds(kit)).toEqual(['escalation L1 U0ONCALL', 'resolved']);
    expect(kit.announcer.updates.at(-1)).toMatchObject({ origin: 'guard', status: 'resolved' });
  });

  it('GUARD=page: an unacknowledged page escalates to L2 on the alert timers', async () => {
    const kit = coreKit({ GUARD: 'page', ESCALATE_L2_AFTER: '15m', ESCALATE_L3_AFTER: '30m' });
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    await tick(kit);
    kit.clock.advance(16 * 60_000);
    await runDueEscalations(kit.deps);
    expect(threadKinds(kit)).toEqual(['escalation L1 U0ONCALL', 'escalation L2 S0LEAD']);
  });

  it('GUARD=page: a page Slack refused is posted at the next breaching check, once', async () => {
    const kit = coreKit({ GUARD: 'page' });
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    kit.announcer.failNext(1, 'post');
    await expect(tick(kit)).rejects.toThrow('ratelimited');
    expect(kit.announcer.posts).toHaveLength(0);
    const failed = await kit.store.getValue<GuardState>(GUARD_STATE_KEY);
    expect(failed?.episode?.failedAt).toEqual(expect.any(String));
    expect(failed?.episode?.actedAt).toBeUndefined();
    expect(await kit.auditEntries()).toEqual([]);

    expect(await tick(kit)).toMatchObject({ kind: 'paged', page: { origin: 'guard', status: 'firing' } });
    expect((await tick(kit)).kind).toBe('checked');
    expect(kit.announcer.posts).toHaveLength(1);
    expect(threadKinds(kit)).toEqual(['escalation L1 U0ONCALL']);
    expect((await kit.auditEntries()).map((e) => e.action)).toEqual(['guard-breach']);
  });

  it('GUARD=page: a page that went out is never posted twice, even when what follows it failed', async () => {
    const kit = coreKit({ GUARD: 'page' });
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    // Posted, then the store refuses to schedule its escalation: the tick fails after the page went out.
    const scheduleJob = kit.store.scheduleJob.bind(kit.store);
    kit.store.scheduleJob = () => Promise.reject(new Error('connect ECONNREFUSED (test)'));
    await expect(tick(kit)).rejects.toThrow('ECONNREFUSED');
    kit.store.scheduleJob = scheduleJob;
    expect(kit.announcer.posts).toHaveLength(1);
    expect((await tick(kit)).kind).toBe('paged');
    expect((await tick(kit)).kind).toBe('checked');
    expect(kit.announcer.posts).toHaveLength(1);
  });

  it('GUARD=page with the store down: the page needs its lock, so it is tried at each breaching check and posted once the store is back', async () => {
    const kit = coreKit({ GUARD: 'page' });
    kit.holdAt(10);
    breaching(kit);
    const local = { state: INITIAL_GUARD_STATE };
    await tick(kit, local);
    kit.storeFault.down();
    await expect(tick(kit, local)).rejects.toThrow('ECONNREFUSED');
    await expect(tick(kit, local)).rejects.toThrow('ECONNREFUSED');
    expect(kit.announcer.posts).toHaveLength(0);
    kit.storeFault.heal();
    expect(await tick(kit, local)).toMatchObject({ kind: 'paged', page: { origin: 'guard' } });
    expect((await tick(kit, local)).kind).toBe('checked');
    expect(kit.announcer.posts).toHaveLength(1);
    expect(kit.router.writes).toEqual([]);
  });

  it('GUARD=page: a page whose lock could not be taken (the rest of the store answering) is tried again at the next breaching check', async () => {
    const kit = coreKit({ GUARD: 'page' });
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    kit.storeFault.down(['acquireLock']);
    await expect(tick(kit)).rejects.toThrow('ECONNREFUSED');
    kit.storeFault.heal();
    expect((await tick(kit)).kind).toBe('paged');
    expect((await tick(kit)).kind).toBe('checked');
    expect(kit.announcer.posts).toHaveLength(1);
  });

  it('the alert path rolls back this route version at the same moment: the guard leaves it to it, one write', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    const [alertPath, guard] = await Promise.all([automaticRollback(kit.replica(), { actor: 'mcp-canary', source: 'auto' }), tick(kit)]);
    expect(alertPath).toMatchObject({ kind: 'rolled-back', actor: 'mcp-canary' });
    expect(guard).toMatchObject({ kind: 'rolled-back', outcome: undefined });
    expect(await tick(kit)).toEqual({ kind: 'skipped', why: 'canary-at-zero' });
    expect(kit.router.writes.filter((w) => w.op === 'resetToPrimary')).toHaveLength(1);
  });

  it('the alert path held the rollback and it failed: the guard rolls back at the next breaching check', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    breaching(kit);
    await tick(kit);
    kit.router.failNext('resetToPrimary', undefined, 2);
    kit.router.failNext('removeCanaryRoute', undefined, 2);
    const [alertPath, guard] = await Promise.all([automaticRollback(kit.replica(), { actor: 'mcp-canary', source: 'auto' }), tick(kit)]);
    expect(alertPath).toMatchObject({ kind: 'failed' });
    expect(guard).toMatchObject({ kind: 'rolled-back', outcome: undefined });
    expect(kit.router.route.percent).toBe(10);

    expect(await tick(kit)).toMatchObject({ kind: 'rolled-back', outcome: { kind: 'rolled-back', actor: 'guard', fromPercent: 10 } });
    expect(kit.router.route.percent).toBe(0);
  });

  it('GUARD=off never acts', async () => {
    const kit = coreKit({ GUARD: 'off' });
    kit.holdAt(10);
    breaching(kit);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await tick(kit));
    expect(results.map((r) => r.kind)).toEqual(['checked', 'checked', 'checked', 'checked', 'checked']);
    expect(kit.router.writes).toEqual([]);
    expect(kit.announcer.posts).toEqual([]);
    expect(await kit.auditEntries()).toEqual([]);
    expect(await kit.store.getValue<GuardState>(GUARD_STATE_KEY)).toMatchObject({ breachesInRow: 5, episode: { action: 'off' } });
  });

  it('checks once per interval across two replicas sharing a store, and they share the count', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    breaching(kit);
    const a = { deps: kit.deps, local: { state: INITIAL_GUARD_STATE } };
    const other = kit.replica();
    const b = { deps: other, local: { state: INITIAL_GUARD_STATE } };

    const firstInterval = await Promise.all([runGuardTick(a.deps, a.local), runGuardTick(b.deps, b.local)]);
    expect(firstInterval.map((r) => r.kind).sort()).toEqual(['checked', 'skipped']);
    expect(firstInterval.find((r) => r.kind === 'skipped')).toEqual({ kind: 'skipped', why: 'another-replica' });

    kit.clock.advance(kit.config.guard.intervalMs);
    // The replica that did not check the first time acts on the second breach: the count is in the store.
    const checkedFirst = firstInterval[0]!.kind === 'checked' ? b : a;
    const second = await runGuardTick(checkedFirst.deps, checkedFirst.local);
    expect(second).toMatchObject({ kind: 'rolled-back', state: { breachesInRow: 2 } });
    expect(await runGuardTick(a.deps === checkedFirst.deps ? b.deps : a.deps, { state: INITIAL_GUARD_STATE })).toEqual({ kind: 'skipped', why: 'another-replica' });
    expect(kit.router.writes.filter((w) => w.op === 'resetToPrimary')).toHaveLength(1);
  });

  it('without the store each replica keeps its own count, and still acts', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    breaching(kit);
    kit.storeFault.down();
    const local = { state: INITIAL_GUARD_STATE };
    expect(await tick(kit, local)).toMatchObject({ kind: 'checked', state: { breachesInRow: 1 } });
    expect(await tick(kit, local)).toMatchObject({ kind: 'rolled-back', outcome: { kind: 'rolled-back', actor: 'guard' } });
    expect(kit.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'guard: state not saved in the store (unreachable or slow); this replica keeps its own count' }));
  });

  it('a canary route it cannot read: warned once after three ticks in a row, the breach count kept, and said again when readable', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    breaching(kit);
    expect(await tick(kit)).toMatchObject({ kind: 'checked', state: { breachesInRow: 1 } });
    kit.router.failNext('readRoute', undefined, 4);
    const unreadable = [await tick(kit), await tick(kit), await tick(kit), await tick(kit)];
    expect(unreadable.map((t) => t.kind === 'route-unreadable' && [t.inRow, t.warn])).toEqual([
      [1, false],
      [2, false],
      [3, true],
      [4, false],
    ]);
    expect(kit.router.writes).toEqual([]);
    // Readable again: the breach count went on from where it was (the second breaching check acts), and it says so.
    const back = await tick(kit);
    expect(back).toMatchObject({ kind: 'rolled-back', noData: 'recovered' });
  });
});
