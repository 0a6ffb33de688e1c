// Weight changes and the two-person rule, on in-memory ports: who may approve, one pending request at a
// time, expiry, everything checked again at approval, exactly one write under concurrent approvals, the
// conflict retry, and what the requester is told when the store is down.
import { describe, expect, it, vi } from 'vitest';
import { approveRequest, expireStaleRequest, rejectRequest, requestWeightChange, type DecisionOutcome, type WeightChangeOutcome } from '../../src/core/approvals.js';
import type { ApprovalRequest } from '../../src/core/entities.js';
import { ClusterError } from '../../src/core/errors.js';
import { coreKit, type Kit } from './kit.js';

const MINUTE = 60_000;

function requested(outcome: WeightChangeOutcome): ApprovalRequest {
  if (outcome.kind !== 'requested') throw new Error(`expected a request, got ${JSON.stringify(outcome)}`);
  return outcome.request;
}

/** The canary at 5% held past its 48 h, and U0ALICE's request for the next step (10%). */
async function pendingIncrease(kit: Kit): Promise<ApprovalRequest> {
  kit.holdAt(5);
  return requested(await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } }));
}

const setPercentWrites = (kit: Kit) => kit.router.writes.filter((w) => w.op === 'setPercent');

describe('requesting an increase', () => {
  it('records a pending request for the next step with the go/no-go evidence, and audits it; nothing is written', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    expect(request).toMatchObject({ status: 'pending', requestedBy: 'U0ALICE', fromPercent: 5, toPercent: 10, evidence: { verdict: 'GO' } });
    expect(new Date(request.expiresAt).getTime() - new Date(request.requestedAt).getTime()).toBe(30 * MINUTE);
    expect(await kit.store.getPendingRequest()).toMatchObject({ id: request.id, status: 'pending' });
    expect(kit.router.route.percent).toBe(5);
    expect(setPercentWrites(kit)).toEqual([]);
    expect(await kit.auditEntries()).toEqual([expect.objectContaining({ action: 'weight-change-requested', actor: 'U0ALICE', fromPercent: 5, toPercent: 10, requestId: request.id })]);
  });

  it('refuses anything but the next step, and an increase before the hold is over, naming the rule', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    const skip = await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'percent', percent: 25 } });
    expect(skip.kind).toBe('refused');
    expect(skip.kind === 'refused' && skip.assessment.reasons).toEqual(['Next step only: from 5% the next step is 10%, not 25%']);

    kit.holdAt(5, 10);
    const early = await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } });
    expect(early.kind === 'refused' && early.assessment.reasons).toEqual(['Hold 48h at step: held 10h, 38h left']);
    expect(await kit.store.getPendingRequest()).toBeUndefined();
  });

  it('refuses on NO-GO (fail closed: a missing metric is a NO-GO with its reason)', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    kit.metrics.values.delete(kit.config.goNoGo.errorRateQuery);
    const outcome = await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } });
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.assessment.reasons).toEqual(['Go/no-go: NO-GO: error rate unknown: no data']);
  });

  it('applies a decrease at once, without a request, and audits it', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    const outcome = await requestWeightChange(kit.deps, { actor: 'U0MALLORY', target: { kind: 'percent', percent: 5 } });
    expect(outcome).toEqual({ kind: 'decreased', actor: 'U0MALLORY', fromPercent: 10, toPercent: 5, dryRun: false });
    expect(kit.router.route).toMatchObject({ percent: 5, lastApplied: { percent: 5, by: 'U0MALLORY' } });
    expect(await kit.store.getPendingRequest()).toBeUndefined();
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'weight-decreased', actor: 'U0MALLORY', fromPercent: 10, toPercent: 5 });
  });

  it('treats weight 0 as a rollback, and says when there is nothing to do', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    const zero = await requestWeightChange(kit.deps, { actor: 'U0MALLORY', target: { kind: 'percent', percent: 0 } });
    expect(zero).toMatchObject({ kind: 'rollback', rollback: { kind: 'rolled-back', source: 'weight-0', fromPercent: 10 } });
    expect(kit.router.route.percent).toBe(0);
    expect(await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'percent', percent: 0 } })).toMatchObject({ kind: 'rollback', rollback: { kind: 'already-rolled-back' } });

    kit.holdAt(100);
    expect(await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } })).toEqual({ kind: 'at-final-step', percent: 100 });
    expect(await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'percent', percent: 100 } })).toEqual({ kind: 'no-change', percent: 100 });
  });

  it('allows one pending request at a time: the second is refused (not replaced) and names the pending one', async () => {
    const kit = coreKit();
    const first = await pendingIncrease(kit);
    const second = await requestWeightChange(kit.deps, { actor: 'U0BOB', target: { kind: 'next' } });
    expect(second).toEqual({ kind: 'pending-exists', pending: expect.objectContaining({ id: first.id, requestedBy: 'U0ALICE', expiresAt: first.expiresAt }) });
    expect((await kit.store.getPendingRequest())?.id).toBe(first.id);
    expect((await kit.auditEntries()).filter((e) => e.action === 'weight-change-requested')).toHaveLength(1);
  });

  it('closes a pending request past its expiry so that a new one can be made, and returns it to update its message', async () => {
    const kit = coreKit();
    const first = await pendingIncrease(kit);
    kit.clock.advance(31 * MINUTE);
    const outcome = await requestWeightChange(kit.deps, { actor: 'U0BOB', target: { kind: 'next' } });
    expect(outcome.kind).toBe('requested');
    expect(outcome.kind === 'requested' && outcome.expired).toMatchObject({ id: first.id, status: 'expired', decision: { kind: 'expired' } });
    expect(await kit.store.getRequest(first.id)).toMatchObject({ status: 'expired' });
  });
});

describe('the two-person rule', () => {
  it('never lets the requester approve, even an approver', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    const request = requested(await requestWeightChange(kit.deps, { actor: 'U0BOB', target: { kind: 'next' } }));
    expect(await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' })).toMatchObject({ kind: 'self-approval' });
    expect(kit.router.route.percent).toBe(5);
    expect(await kit.store.getRequest(request.id)).toMatchObject({ status: 'pending' });
  });

  it('refuses someone outside CANARY_APPROVERS and its groups', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    expect(await approveRequest(kit.deps, { requestId: request.id, actor: 'U0MALLORY' })).toMatchObject({ kind: 'not-approver' });
    expect(kit.router.route.percent).toBe(5);
    expect(await kit.store.getRequest(request.id)).toMatchObject({ status: 'pending' });
  });

  it('lets a member of an approver user group approve: the weight is applied and recorded as theirs', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    const outcome = await approveRequest(kit.deps, { requestId: request.id, actor: 'U0CAROL' });
    expect(outcome).toMatchObject({ kind: 'applied', request: { status: 'applied', decidedBy: 'U0CAROL', decision: { kind: 'applied', dryRun: false }, decisionEvidence: { verdict: 'GO' } } });
    expect(kit.router.route).toMatchObject({ percent: 10, lastApplied: { percent: 10, by: 'U0CAROL', at: kit.clock.now().toISOString() } });
    expect(setPercentWrites(kit)).toHaveLength(1);
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'weight-change-approved', actor: 'U0CAROL', requestedBy: 'U0ALICE', fromPercent: 5, toPercent: 10, requestId: request.id });
    // Closed: a later click is told it is decided and changes nothing.
    expect(await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' })).toMatchObject({ kind: 'already-decided', request: { status: 'applied' } });
    expect(setPercentWrites(kit)).toHaveLength(1);
  });

  it('says when the approver list cannot be read (group membership from Slack), and applies nothing', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.directory.membersOf = async () => {
      throw new Error('usergroups.users.list: ratelimited');
    };
    expect(await approveRequest(kit.deps, { requestId: request.id, actor: 'U0CAROL' })).toEqual({
      kind: 'unavailable',
      message: 'Could not check the approver list (usergroups.users.list: ratelimited). Nothing was applied; try again.',
    });
    expect(kit.router.route.percent).toBe(5);
    expect(await kit.store.getRequest(request.id)).toMatchObject({ status: 'pending' });
  });

  it('expires: an approval at the expiry is refused as expired, audited once, and nothing is applied', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.clock.advance(30 * MINUTE);
    expect(await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' })).toMatchObject({ kind: 'expired', request: { status: 'expired' } });
    expect(await approveRequest(kit.deps, { requestId: request.id, actor: 'U0CAROL' })).toMatchObject({ kind: 'already-decided', request: { status: 'expired' } });
    expect(kit.router.route.percent).toBe(5);
    expect((await kit.auditEntries()).filter((e) => e.action === 'weight-change-expired')).toEqual([expect.objectContaining({ actor: 'mcp-canary', requestId: request.id, requestedBy: 'U0ALICE' })]);
    expect(await kit.store.getPendingRequest()).toBeUndefined();
  });

  it('is still approvable just before its expiry', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.clock.advance(30 * MINUTE - 1000);
    expect((await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' })).kind).toBe('applied');
  });

  it('is closed by the expiry sweep, once', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    expect(await expireStaleRequest(kit.deps)).toBeUndefined();
    kit.clock.advance(45 * MINUTE);
    expect(await expireStaleRequest(kit.deps)).toMatchObject({ id: request.id, status: 'expired' });
    expect(await expireStaleRequest(kit.deps)).toBeUndefined();
  });

  it('lets the requester withdraw and an approver reject, but not someone else', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    expect(await rejectRequest(kit.deps, { requestId: request.id, actor: 'U0MALLORY' })).toMatchObject({ kind: 'not-approver' });
    expect(await rejectRequest(kit.deps, { requestId: request.id, actor: 'U0ALICE' })).toMatchObject({ kind: 'rejected', request: { status: 'rejected', decision: { kind: 'rejected', withdrawn: true } } });

    const again = requested(await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } }));
    expect(await rejectRequest(kit.deps, { requestId: again.id, actor: 'U0CAROL' })).toMatchObject({ kind: 'rejected', request: { decidedBy: 'U0CAROL', decision: { withdrawn: false } } });
    expect(await approveRequest(kit.deps, { requestId: again.id, actor: 'U0BOB' })).toMatchObject({ kind: 'already-decided' });
    expect(kit.router.route.percent).toBe(5);
    expect((await kit.auditEntries()).filter((e) => e.action === 'weight-change-rejected').map((e) => e.summary)).toEqual(['rejected 5% → 10%', 'withdrew 5% → 10%']);
  });

  it('answers not-found for an unknown request', async () => {
    const kit = coreKit();
    expect(await approveRequest(kit.deps, { requestId: 'nope', actor: 'U0BOB' })).toEqual({ kind: 'not-found', requestId: 'nope' });
  });
});

describe('everything is evaluated again at approval', () => {
  async function refusedAtApproval(kit: Kit, request: ApprovalRequest): Promise<string[]> {
    const outcome = await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' });
    if (outcome.kind !== 'refused') throw new Error(`expected refused, got ${outcome.kind}`);
    expect(await kit.store.getRequest(request.id)).toMatchObject({ status: 'refused', decision: { kind: 'refused', reasons: outcome.reasons } });
    expect(setPercentWrites(kit)).toEqual([]);
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'weight-change-refused', actor: 'U0BOB', requestedBy: 'U0ALICE', requestId: request.id });
    return outcome.reasons;
  }

  it('refuses when the go/no-go turned NO-GO since the request', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.metrics.set(kit.config.goNoGo.errorRateQuery, 0.005);
    expect(await refusedAtApproval(kit, request)).toEqual(['Go/no-go: NO-GO: error rate 0.5% is not below 0.1%']);
    expect(kit.router.route.percent).toBe(5);
  });

  it('refuses while an alert of PAUSE_ALERTS fires (not critical, still a pause), even silenced', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.alerts.fire('MCPRustGatewayLatencyHigh', 'warning', { suppressed: { silences: [{ id: 's1' }], inhibited: false } });
    expect(await refusedAtApproval(kit, request)).toEqual(['Go/no-go: NO-GO: alert firing whose runbook action is "pause ramp-up": MCPRustGatewayLatencyHigh (silenced)']);
  });

  it('refuses when the weight moved since the request', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.holdAt(1);
    expect(await refusedAtApproval(kit, request)).toEqual(['the weight changed since the request (requested from 5%, now 1%)']);
    expect(kit.router.route.percent).toBe(1);
  });

  it('refuses when the Rust deployment is no longer ready', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.cluster.deployments.set(kit.cluster.targets.rustDeployment, { name: 'mcp-gateway-rust', desired: 3, ready: 1, available: 1, updated: 3, rolloutComplete: true });
    expect(await refusedAtApproval(kit, request)).toEqual(['Rust deployment ready: 1/3 ready']);
  });

  it('checks the prerequisites before the first step: refused without the shadow criterion', async () => {
    const kit = coreKit();
    const outcome = await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } });
    expect(outcome.kind === 'refused' && outcome.assessment.reasons).toEqual(['Shadow match > 99.9% for 7 days: 0 of 7 days met (> 99.9% match)']);
  });

  it('checks the prerequisites again at approval of the first step (a critical alert in the last 48 h, the rollback dry run)', async () => {
    const kit = coreKit();
    kit.meetShadowCriterion();
    const request = requested(await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } }));
    expect(request).toMatchObject({ fromPercent: 0, toPercent: 1 });
    kit.metrics.vectors.set('fired[48h]', { ok: true, samples: [{ labels: { alertname: 'MCPRustGatewayDown', severity: 'critical' }, value: 1 }] });
    kit.router.failNext('resetToPrimary', new ClusterError('forbidden', 'ingresses is forbidden'), 1, { dryRun: true });
    expect(await refusedAtApproval(kit, request)).toEqual([
      'No critical alert in the last 48 h: fired: MCPRustGatewayDown',
      'Rollback verified: dry run of the rollback write failed: ingresses is forbidden',
    ]);
    expect(kit.router.route.percent).toBe(0);
  });

  it('applies the first step once the prerequisites hold (the rollback check is only a dry run)', async () => {
    const kit = coreKit();
    kit.meetShadowCriterion();
    const request = requested(await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } }));
    expect((await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' })).kind).toBe('applied');
    expect(kit.router.route.percent).toBe(1);
    expect(kit.router.writes.filter((w) => w.op === 'resetToPrimary').every((w) => w.dryRun)).toBe(true);
  });
});

describe('exactly once', () => {
  it('applies the weight once when two approvers click at the same moment on two replicas sharing the store', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    const other = kit.replica();
    const outcomes = await Promise.all([
      approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' }),
      approveRequest(other, { requestId: request.id, actor: 'U0CAROL' }),
      approveRequest(other, { requestId: request.id, actor: 'U0BOB' }),
    ]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['already-decided', 'already-decided', 'applied']);
    expect(setPercentWrites(kit)).toHaveLength(1);
    expect(kit.router.route.percent).toBe(10);
    await Promise.all([kit.deps.audit.flush(), other.audit.flush()]);
    expect((await kit.store.recentAudit(100)).filter((e) => e.action === 'weight-change-approved')).toHaveLength(1);
  });
});

describe('conflicts', () => {
  it('retries once with the fresh version when only another field changed', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.router.beforeNext('setPercent', () => kit.router.touch());
    const outcome = await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' });
    expect(outcome.kind).toBe('applied');
    expect(kit.router.route.percent).toBe(10);
    // The write that went through carries the version read after the conflict.
    const touchedVersion = String(Number(kit.router.route.version) - 1);
    expect(setPercentWrites(kit)).toEqual([expect.objectContaining({ args: expect.objectContaining({ percent: 10, expectedVersion: touchedVersion }) })]);
  });

  it('gives up when the weight itself moved meanwhile: failed as a conflict, never overwritten', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.router.beforeNext('setPercent', () => kit.holdAt(1));
    const outcome = await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' });
    expect(outcome).toMatchObject({ kind: 'failed', message: 'the canary route changed while applying (the weight moved to 1% meanwhile); nothing was applied, request again' });
    expect(kit.router.route.percent).toBe(1);
    expect(await kit.store.getRequest(request.id)).toMatchObject({ status: 'failed', decision: { kind: 'failed', conflict: true } });
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'weight-change-failed' });
  });

  it('retries only once', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.router.beforeNext('setPercent', () => kit.router.touch());
    kit.router.beforeNext('setPercent', () => kit.router.touch());
    const spy = vi.spyOn(kit.router, 'setPercent');
    const outcome = await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' });
    expect(outcome).toMatchObject({ kind: 'failed', request: { decision: { conflict: true } } });
    expect(spy).toHaveBeenCalledTimes(2);
    expect(kit.router.route.percent).toBe(5);
  });

  it('reports any other write failure as such, weight unchanged', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.router.failNext('setPercent', new ClusterError('forbidden', 'ingresses "mcp-gateway-canary" is forbidden'));
    expect(await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' })).toMatchObject({
      kind: 'failed',
      message: 'the write failed: ingresses "mcp-gateway-canary" is forbidden; the weight is unchanged',
      request: { status: 'failed', decision: { conflict: false } },
    });
  });

  it('retries a decrease once on a conflict too', async () => {
    const kit = coreKit();
    kit.holdAt(10);
    kit.router.beforeNext('setPercent', () => kit.router.touch());
    expect((await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'percent', percent: 5 } })).kind).toBe('decreased');
    expect(kit.router.route.percent).toBe(5);
  });
});

describe('the state store down', () => {
  it('refuses to request (nothing requested, rollback still works)', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    kit.storeFault.down();
    expect(await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } })).toEqual({
      kind: 'unavailable',
      message: 'Approvals need the state store, which is unreachable (connect ECONNREFUSED 127.0.0.1:6379 (test)). Nothing was requested. Rollback still works.',
    });
    kit.storeFault.heal();
    expect(await kit.store.getPendingRequest()).toBeUndefined();
  });

  it('refuses to approve when the request cannot be read', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.storeFault.down();
    expect(await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' })).toEqual({
      kind: 'unavailable',
      message: 'The state store is unreachable (connect ECONNREFUSED 127.0.0.1:6379 (test)). Nothing was changed; rollback still works.',
    });
    expect(kit.router.route.percent).toBe(5);
  });

  it('applies nothing when the claim cannot be recorded, and the request stays pending', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.storeFault.down(['transitionRequest']);
    const outcome: DecisionOutcome = await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' });
    expect(outcome).toEqual({ kind: 'unavailable', message: 'The state store is unreachable (connect ECONNREFUSED 127.0.0.1:6379 (test)). Nothing was applied; rollback still works.' });
    expect(setPercentWrites(kit)).toEqual([]);
    kit.storeFault.heal();
    expect(await kit.store.getRequest(request.id)).toMatchObject({ status: 'pending' });
  });

  it('says so on reject', async () => {
    const kit = coreKit();
    const request = await pendingIncrease(kit);
    kit.storeFault.down();
    expect(await rejectRequest(kit.deps, { requestId: request.id, actor: 'U0ALICE' })).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/^The state store is unreachable/) });
  });
});

describe('DRY_RUN', () => {
  it('approves as a server-side dry run: nothing changes, and the decision and audit say DRY RUN', async () => {
    const kit = coreKit({ DRY_RUN: 'true' });
    const request = await pendingIncrease(kit);
    const outcome = await approveRequest(kit.deps, { requestId: request.id, actor: 'U0BOB' });
    expect(outcome).toMatchObject({ kind: 'applied', request: { decision: { kind: 'applied', dryRun: true } } });
    expect(kit.router.route.percent).toBe(5);
    expect(setPercentWrites(kit)).toEqual([expect.objectContaining({ dryRun: true })]);
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'weight-change-approved', dryRun: true, summary: expect.stringContaining('DRY RUN') });
  });
});
