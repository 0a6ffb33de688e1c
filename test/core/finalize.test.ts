// The post-migration cleanup on in-memory ports: only after 14 days at 100%, every step dry-run on the
// server first, a second person approves, then the steps run in order and stop at the first failure,
// saying what is done and what is not.
import { describe, expect, it } from 'vitest';
import { approveRequest, requestWeightChange } from '../../src/core/approvals.js';
import type { CleanupStep } from '../../src/core/entities.js';
import { ClusterError } from '../../src/core/errors.js';
import { cleanupPlan, requestFinalize, type FinalizeRequestOutcome } from '../../src/core/finalize.js';
import { coreKit, type Kit } from './kit.js';

const DAY_H = 24;

const PLAN: CleanupStep[] = [
  { id: 'delete-python-deployment', target: 'deployment/mcp-gateway-python' },
  { id: 'delete-python-service', target: 'service/mcp-gateway-python' },
  { id: 'promote-canary-route', target: 'route/mcp-gateway-primary' },
  { id: 'remove-canary-route', target: 'route/mcp-gateway-canary' },
];

function requestedId(outcome: FinalizeRequestOutcome): string {
  if (outcome.kind !== 'requested') throw new Error(`expected a request, got ${JSON.stringify(outcome)}`);
  return outcome.request.id;
}

/** Every write to the cluster, then every write to the route, each in order: [op, dry run]. */
function writes(kit: Kit): Array<[string, boolean]> {
  return [...kit.cluster.writes, ...kit.router.writes].map((w) => [w.op, w.dryRun]);
}

describe('readiness: 14 days at 100%', () => {
  it('refuses below 100%', async () => {
    const kit = coreKit();
    kit.holdAt(50, 30 * DAY_H);
    expect(await requestFinalize(kit.deps, { actor: 'U0ALICE' })).toEqual({ kind: 'refused', reason: 'the canary is at 50%, not 100%' });
  });

  it('refuses before 14 days at 100%, saying how long is left', async () => {
    const kit = coreKit();
    kit.holdAt(100, 13 * DAY_H);
    expect(await requestFinalize(kit.deps, { actor: 'U0ALICE' })).toEqual({ kind: 'refused', reason: 'only 13d at 100%: cleanup after 14d (24h left)' });
    expect(writes(kit)).toEqual([]);
  });

  it('refuses when the time at 100% is not the bot’s own record', async () => {
    const kit = coreKit();
    kit.router.route = { ...kit.router.route, percent: 100, lastApplied: undefined };
    expect(await requestFinalize(kit.deps, { actor: 'U0ALICE' })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^time at 100% unknown: /) });
  });

  it('refuses when the canary route is absent or unreadable', async () => {
    const kit = coreKit();
    kit.router.route = { ...kit.router.route, exists: false };
    expect(await requestFinalize(kit.deps, { actor: 'U0ALICE' })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^the canary route is absent/) });
    kit.router.failNext('readRoute', new ClusterError('timeout', 'GET timed out'));
    expect(await requestFinalize(kit.deps, { actor: 'U0ALICE' })).toEqual({ kind: 'refused', reason: 'could not read the canary route: GET timed out' });
  });
});

describe('the request', () => {
  it('dry-runs every step on the server first, then records a request for a second person (nothing deleted)', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    const outcome = await requestFinalize(kit.deps, { actor: 'U0ALICE' });
    expect(outcome).toMatchObject({ kind: 'requested', request: { kind: 'finalize', status: 'pending', requestedBy: 'U0ALICE' } });
    expect(outcome.kind === 'requested' && outcome.plan.map((r) => [r.step.id, r.ok, r.detail])).toEqual([
      ['delete-python-deployment', true, 'dry run ok (deleted)'],
      ['delete-python-service', true, 'dry run ok (deleted)'],
      ['promote-canary-route', true, 'dry run ok (1 backend repointed)'],
      ['remove-canary-route', true, 'dry run ok (removed)'],
    ]);
    expect(writes(kit)).toEqual([
      ['deleteDeployment', true],
      ['deleteService', true],
      ['promoteCanaryToPrimary', true],
      ['removeCanaryParts', true],
    ]);
    expect(kit.cluster.deployments.has('mcp-gateway-python')).toBe(true);
    expect(kit.router.route.exists).toBe(true);
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'finalize-requested', actor: 'U0ALICE', summary: expect.stringContaining('delete deployment/mcp-gateway-python') });
  });

  it('refuses when a step fails its dry run, naming it, and requests nothing', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    kit.cluster.failNext('deleteService', new ClusterError('forbidden', 'services "mcp-gateway-python" is forbidden'));
    const outcome = await requestFinalize(kit.deps, { actor: 'U0ALICE' });
    expect(outcome).toMatchObject({
      kind: 'refused',
      reason: 'the dry run of "delete service/mcp-gateway-python" failed: dry run failed: services "mcp-gateway-python" is forbidden',
      plan: [{ ok: true }, { ok: false }, { ok: true }, { ok: true }],
    });
    expect(await kit.store.getPendingRequest()).toBeUndefined();
    expect(writes(kit).every(([, dry]) => dry)).toBe(true);
  });

  it('refuses a primary route with no backend on the Python service', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    kit.router.promoteChanges = 'none';
    expect(await requestFinalize(kit.deps, { actor: 'U0ALICE' })).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('route/mcp-gateway-primary has no backend on service mcp-gateway-python'),
    });
  });

  it('is one pending request among the others (one at a time)', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    const id = requestedId(await requestFinalize(kit.deps, { actor: 'U0ALICE' }));
    expect(await requestFinalize(kit.deps, { actor: 'U0BOB' })).toMatchObject({ kind: 'pending-exists', pending: { id } });
  });

  it('says when the store is down: nothing requested', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    kit.storeFault.down();
    expect(await requestFinalize(kit.deps, { actor: 'U0ALICE' })).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/Nothing was requested\.$/) });
  });
});

describe('the approval', () => {
  it('follows the two-person rule', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    const id = requestedId(await requestFinalize(kit.deps, { actor: 'U0BOB' }));
    expect((await approveRequest(kit.deps, { requestId: id, actor: 'U0BOB' })).kind).toBe('self-approval');
    expect((await approveRequest(kit.deps, { requestId: id, actor: 'U0MALLORY' })).kind).toBe('not-approver');
    expect(kit.cluster.deployments.has('mcp-gateway-python')).toBe(true);
  });

  it('dry-runs again, then applies the steps in order, reporting each, and audits them', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    const id = requestedId(await requestFinalize(kit.deps, { actor: 'U0ALICE' }));
    kit.cluster.writes.length = 0;
    kit.router.writes.length = 0;
    const reported: Array<[string, boolean, number, number]> = [];
    const outcome = await approveRequest(kit.deps, { requestId: id, actor: 'U0CAROL' }, { onFinalizeStep: async (_r, result, i, total) => void reported.push([result.step.id, result.ok, i, total]) });
    expect(outcome).toMatchObject({ kind: 'applied', request: { status: 'applied', decision: { kind: 'cleanup', notDone: [], dryRun: false } } });
    expect(writes(kit)).toEqual([
      ['deleteDeployment', true],
      ['deleteService', true],
      ['deleteDeployment', false],
      ['deleteService', false],
      ['promoteCanaryToPrimary', true],
      ['removeCanaryParts', true],
      ['promoteCanaryToPrimary', false],
      ['removeCanaryParts', false],
    ]);
    expect(reported).toEqual([
      ['delete-python-deployment', true, 1, 4],
      ['delete-python-service', true, 2, 4],
      ['promote-canary-route', true, 3, 4],
      ['remove-canary-route', true, 4, 4],
    ]);
    expect(kit.cluster.deployments.has('mcp-gateway-python')).toBe(false);
    expect(kit.cluster.services.has('mcp-gateway-python')).toBe(false);
    expect(kit.cluster.services.has('mcp-gateway-rust')).toBe(true);
    expect(kit.router.route.exists).toBe(false);
    const actions = (await kit.auditEntries()).map((e) => e.action);
    expect(actions.slice(0, 5)).toEqual(['finalize-finished', 'finalize-step', 'finalize-step', 'finalize-step', 'finalize-step']);
  });

  it('stops at the first failure, saying what is done and what is not', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    const id = requestedId(await requestFinalize(kit.deps, { actor: 'U0ALICE' }));
    kit.cluster.failNext('deleteService', new ClusterError('unavailable', 'etcd timeout'), 1, { dryRun: false });
    const outcome = await approveRequest(kit.deps, { requestId: id, actor: 'U0BOB' });
    expect(outcome).toMatchObject({ kind: 'failed', message: 'cleanup stopped at the first failure (service/mcp-gateway-python: etcd timeout)' });
    if (outcome.kind !== 'failed') return;
    expect(outcome.request.status).toBe('failed');
    const decision = outcome.request.decision;
    expect(decision?.kind === 'cleanup' && decision.results.map((r) => [r.step.id, r.ok, r.detail])).toEqual([
      ['delete-python-deployment', true, 'deleted'],
      ['delete-python-service', false, 'etcd timeout'],
    ]);
    expect(decision?.kind === 'cleanup' && decision.notDone).toEqual(PLAN.slice(2));
    // Nothing after the failure ran.
    expect(kit.router.writes.filter((w) => !w.dryRun)).toEqual([]);
    expect(kit.router.route.exists).toBe(true);
    expect((await kit.auditEntries()).some((e) => e.action === 'finalize-finished')).toBe(false);
  });

  it('is refused at approval when the canary left 100% meanwhile (rolled back), deleting nothing', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    const id = requestedId(await requestFinalize(kit.deps, { actor: 'U0ALICE' }));
    expect((await requestWeightChange(kit.deps, { actor: 'U0MALLORY', target: { kind: 'percent', percent: 50 } })).kind).toBe('decreased');
    const outcome = await approveRequest(kit.deps, { requestId: id, actor: 'U0BOB' });
    expect(outcome).toEqual({ kind: 'refused', request: expect.objectContaining({ status: 'refused' }), reasons: ['the canary is at 50%, not 100%'] });
    expect(kit.cluster.writes.filter((w) => !w.dryRun)).toEqual([]);
  });

  it('is refused at approval when the dry run now fails', async () => {
    const kit = coreKit();
    kit.holdAt(100, 14 * DAY_H);
    const id = requestedId(await requestFinalize(kit.deps, { actor: 'U0ALICE' }));
    kit.router.failNext('removeCanaryParts', new ClusterError('forbidden', 'ingresses is forbidden'), 1, { dryRun: true });
    const outcome = await approveRequest(kit.deps, { requestId: id, actor: 'U0BOB' });
    expect(outcome).toMatchObject({ kind: 'refused', reasons: ['dry run of "remove the canary route route/mcp-gateway-canary" failed: dry run failed: ingresses is forbidden'] });
    expect([...kit.cluster.writes, ...kit.router.writes].filter((w) => !w.dryRun)).toEqual([]);
  });

  it('under DRY_RUN runs every step as a dry run and says so', async () => {
    const kit = coreKit({ DRY_RUN: 'true' });
    kit.holdAt(100, 14 * DAY_H);
    const id = requestedId(await requestFinalize(kit.deps, { actor: 'U0ALICE' }));
    const outcome = await approveRequest(kit.deps, { requestId: id, actor: 'U0BOB' });
    expect(outcome).toMatchObject({ kind: 'applied', request: { decision: { kind: 'cleanup', dryRun: true } } });
    const decision = outcome.kind === 'applied' ? outcome.request.decision : undefined;
    expect(decision?.kind === 'cleanup' && decision.results.every((r) => r.detail.endsWith('(DRY RUN)'))).toBe(true);
    expect(kit.cluster.deployments.has('mcp-gateway-python')).toBe(true);
    expect(kit.router.route.exists).toBe(true);
  });

  it('plans the four runbook steps on the configured objects', () => {
    const kit = coreKit({ PYTHON_DEPLOYMENT: 'py', PYTHON_SERVICE: 'py-svc' });
    expect(cleanupPlan(kit.deps).map((s) => s.target)).toEqual(['deployment/py', 'service/py-svc', 'route/mcp-gateway-primary', 'route/mcp-gateway-canary']);
  });
});
