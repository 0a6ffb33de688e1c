// Bugs found by the fast tier, each with the test that failed before its fix.
import { describe, expect, it } from 'vitest';
import { receiveAlertNotification } from '../../src/core/alerts.js';
import { approveRequest } from '../../src/core/approvals.js';
import { checkDrift } from '../../src/core/drift.js';
import { ClusterError } from '../../src/core/errors.js';
import { requestFinalize } from '../../src/core/finalize.js';
import { INITIAL_GUARD_STATE, runGuardTick } from '../../src/core/guard.js';
import { rollbackCanary } from '../../src/core/rollback.js';
import { coreKit, START } from './kit.js';

describe('DRY_RUN and drift', () => {
  it('a dry-run rollback is not drift', async () => {
    const kit = coreKit({ DRY_RUN: 'true' });
    kit.holdAt(25);
    expect(await checkDrift(kit.deps)).toBeUndefined();
    expect((await rollbackCanary(kit.deps, { actor: 'U0ALICE', source: 'status' })).kind).toBe('rolled-back');
    expect(kit.router.route.percent).toBe(25);
    expect(await checkDrift(kit.deps)).toBeUndefined();
  });

  it('a dry-run cleanup is not drift', async () => {
    const kit = coreKit({ DRY_RUN: 'true' });
    kit.holdAt(100, 15 * 24);
    expect(await checkDrift(kit.deps)).toBeUndefined();
    const requested = await requestFinalize(kit.deps, { actor: 'U0ALICE' });
    if (requested.kind !== 'requested') throw new Error(requested.kind);
    expect((await approveRequest(kit.deps, { requestId: requested.request.id, actor: 'U0BOB' })).kind).toBe('applied');
    expect(kit.router.route.exists).toBe(true);
    expect(await checkDrift(kit.deps)).toBeUndefined();
  });
});

describe('a failed automatic rollback', () => {
  it('the guard hands the failed outcome to its caller (who shows the manual commands)', async () => {
    const kit = coreKit({ TRAFFIC_ROUTER: 'gateway-api' });
    kit.holdAt(10);
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.02);
    kit.router.failNext('resetToPrimary', new ClusterError('forbidden', 'httproutes is forbidden'), 100);
    const local = { state: INITIAL_GUARD_STATE };
    await runGuardTick(kit.deps, local);
    kit.clock.advance(kit.config.guard.intervalMs);
    const tick = await runGuardTick(kit.deps, local);
    expect(kit.router.route.percent).toBe(10);
    expect(tick).toMatchObject({ kind: 'rolled-back', outcome: { kind: 'failed', manualCommands: ['kubectl edit route mcp-gateway-canary'] } });
  }, 10_000);

  it('the guard tries again on the next breaching check', async () => {
    const kit = coreKit({ TRAFFIC_ROUTER: 'gateway-api' });
    kit.holdAt(10);
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.02);
    kit.router.failNext('resetToPrimary', new ClusterError('unavailable', 'API server unreachable'), 2);
    const local = { state: INITIAL_GUARD_STATE };
    await runGuardTick(kit.deps, local);
    kit.clock.advance(kit.config.guard.intervalMs);
    await runGuardTick(kit.deps, local);
    kit.clock.advance(kit.config.guard.intervalMs);
    await runGuardTick(kit.deps, local);
    expect(kit.router.route.percent).toBe(0);
  }, 10_000);

  it('AUTO_ROLLBACK_ON_CRITICAL says in the alert thread that it failed', async () => {
    const kit = coreKit({ AUTO_ROLLBACK_ON_CRITICAL: 'true', TRAFFIC_ROUTER: 'gateway-api' });
    kit.holdAt(10);
    kit.router.failNext('resetToPrimary', new ClusterError('forbidden', 'httproutes is forbidden'), 100);
    await receiveAlertNotification(kit.deps, {
      groupKey: 'g',
      status: 'firing',
      receiver: 'mcp-canary',
      groupLabels: { alertname: 'MCPRustGatewayDown' },
      commonLabels: {},
      truncatedAlerts: 0,
      alerts: [{ fingerprint: 'f', name: 'MCPRustGatewayDown', severity: 'critical', status: 'firing', startsAt: START.toISOString(), labels: {} }],
    });
    expect(kit.router.route.percent).toBe(10);
    expect(kit.announcer.threads.filter((e) => e.kind === 'auto-rollback')).toEqual([expect.objectContaining({ outcome: expect.objectContaining({ kind: 'failed' }) })]);
  }, 10_000);
});

describe('finishing a cleanup that stopped', () => {
  it('can be requested again, and completes', async () => {
    const kit = coreKit();
    kit.holdAt(100, 15 * 24);
    const first = await requestFinalize(kit.deps, { actor: 'U0ALICE' });
    if (first.kind !== 'requested') throw new Error(first.kind);
    kit.cluster.failNext('deleteService', new ClusterError('unavailable', 'etcd timeout'), 1, { dryRun: false });
    expect((await approveRequest(kit.deps, { requestId: first.request.id, actor: 'U0BOB' })).kind).toBe('failed');
    expect(kit.cluster.deployments.has('mcp-gateway-python')).toBe(false);
    const again = await requestFinalize(kit.deps, { actor: 'U0ALICE' });
    expect(again).toMatchObject({ kind: 'requested' });
    if (again.kind !== 'requested') return;
    expect((await approveRequest(kit.deps, { requestId: again.request.id, actor: 'U0BOB' })).kind).toBe('applied');
    expect(kit.cluster.services.has('mcp-gateway-python')).toBe(false);
    expect(kit.router.route.exists).toBe(false);
  });
});

describe('L1 on the message', () => {
  it('the message shows L1 notified, and an identical repeat changes nothing', async () => {
    const kit = coreKit();
    const n = {
      groupKey: 'g',
      status: 'firing' as const,
      receiver: 'mcp-canary',
      groupLabels: { alertname: 'MCPRustGatewayDown' },
      commonLabels: {},
      truncatedAlerts: 0,
      alerts: [{ fingerprint: 'f', name: 'MCPRustGatewayDown', severity: 'critical', status: 'firing' as const, startsAt: START.toISOString(), labels: {} }],
    };
    await receiveAlertNotification(kit.deps, n);
    expect(kit.announcer.threads.map((e) => e.kind)).toEqual(['escalation']);
    expect([...kit.announcer.posts, ...kit.announcer.updates].at(-1)?.escalated).toEqual([1]);
    expect((await receiveAlertNotification(kit.deps, n)).kind).toBe('unchanged');
  });
});
