// Alertmanager's webhook on in-memory ports: one message per alert group, posted once and updated only when
// what it shows changes; news and resolution in its thread; a re-fire is a new episode; the automatic
// rollback happens once per episode and is announced only when it moved traffic; with the store down the
// channel still hears of the alert.
import { describe, expect, it } from 'vitest';
import { acknowledgeAlertGroup, alertGroupId, mergeNotification, receiveAlertNotification, runDueEscalations, silenceAlertGroup } from '../../src/core/alerts.js';
import { requestWeightChange } from '../../src/core/approvals.js';
import type { AlertInstance, AlertNotification, AlertThreadEvent } from '../../src/core/entities.js';
import { automaticRollback } from '../../src/core/rollback.js';
import { coreKit, START, type Kit } from './kit.js';

const MINUTE = 60_000;
const GROUP = '{}:{alertname="MCPRustGatewayDown"}';
const ID = alertGroupId(GROUP);

function alert(name: string, severity = 'critical', status: 'firing' | 'resolved' = 'firing'): AlertInstance {
  return { fingerprint: `fp-${name}`, name, severity, status, startsAt: START.toISOString(), summary: `${name} summary`, labels: { alertname: name, severity } };
}

function notification(status: 'firing' | 'resolved', alerts: AlertInstance[], groupKey = GROUP): AlertNotification {
  return {
    groupKey,
    status,
    receiver: 'mcp-canary',
    groupLabels: { alertname: alerts[0]!.name },
    commonLabels: { severity: alerts[0]!.severity },
    externalURL: 'http://alertmanager:9093',
    truncatedAlerts: 0,
    alerts,
  };
}

const firing = (...names: string[]) => notification('firing', (names.length ? names : ['MCPRustGatewayDown']).map((n) => alert(n)));
const resolved = (...names: string[]) => notification('resolved', (names.length ? names : ['MCPRustGatewayDown']).map((n) => alert(n, 'critical', 'resolved')));

function said(kit: Kit): string[] {
  return kit.announcer.threads.map((e: AlertThreadEvent) => {
    switch (e.kind) {
      case 'escalation':
        return `L${e.level} ${e.target}`;
      case 'joined':
      case 'refired':
        return `${e.kind} ${e.names.join(',')}`;
      case 'auto-rollback':
        return `auto-rollback ${e.outcome.kind}`;
      case 'acknowledged':
        return `acknowledged via ${e.via}`;
      default:
        return e.kind;
    }
  });
}

describe('one message per alert group', () => {
  it('posts once; repeats never post again', async () => {
    const kit = coreKit();
    const first = await receiveAlertNotification(kit.deps, firing());
    expect(first).toMatchObject({ kind: 'posted', record: { id: ID, status: 'firing', critical: true, episode: 1, channel: 'C0ONCALL', ts: '1700.0001' } });
    expect(await kit.store.getAlertGroup(ID)).toMatchObject({ ts: '1700.0001', firingSince: START.toISOString() });
    for (let i = 0; i < 3; i++) {
      kit.clock.advance(MINUTE);
      expect(['updated', 'unchanged']).toContain((await receiveAlertNotification(kit.deps, firing())).kind);
    }
    expect(kit.announcer.posts).toHaveLength(1);
    expect((await receiveAlertNotification(kit.deps, firing())).kind).toBe('unchanged');
  });

  it('leaves an unchanged repeat alone: no update', async () => {
    const kit = coreKit();
    const warning = notification('firing', [alert('MCPShadowMismatchRateHigh', 'warning')]);
    expect((await receiveAlertNotification(kit.deps, warning)).kind).toBe('posted');
    kit.clock.advance(MINUTE);
    expect((await receiveAlertNotification(kit.deps, warning)).kind).toBe('unchanged');
    expect(kit.announcer.posts).toHaveLength(1);
    expect(kit.announcer.updates).toHaveLength(0);
  });

  it('updates the message in place when the group changes, and notes new alerts in the thread', async () => {
    const kit = coreKit();
    await receiveAlertNotification(kit.deps, firing('MCPRustGatewayDown'));
    const joined = await receiveAlertNotification(kit.deps, firing('MCPRustGatewayDown', 'MCPRustGatewayErrorRateHigh'));
    expect(joined).toMatchObject({ kind: 'updated', record: { ts: '1700.0001' } });
    expect(kit.announcer.posts).toHaveLength(1);
    // Once when L1 was notified, once for the alert that joined.
    expect(kit.announcer.updates.map((u) => u.alerts.length)).toEqual([1, 2]);
    expect(said(kit)).toEqual(['L1 U0ONCALL', 'joined MCPRustGatewayErrorRateHigh']);
  });

  it('updates when the live canary weight it shows changes', async () => {
    const kit = coreKit();
    await receiveAlertNotification(kit.deps, firing());
    kit.holdAt(5);
    expect((await receiveAlertNotification(kit.deps, firing())).kind).toBe('updated');
  });

  it('posts the resolution in the thread, updates the message, and stops the escalation', async () => {
    const kit = coreKit({ ESCALATE_L2_AFTER: '15m' });
    await receiveAlertNotification(kit.deps, firing());
    kit.clock.advance(5 * MINUTE);
    const done = await receiveAlertNotification(kit.deps, resolved());
    expect(done).toMatchObject({ kind: 'updated', record: { status: 'resolved', resolvedAt: kit.clock.now().toISOString() } });
    expect(said(kit)).toEqual(['L1 U0ONCALL', 'resolved']);
    // Its timers are gone, not merely moot.
    expect(await kit.store.claimDueJobs(new Date(START.getTime() + 365 * 24 * 60 * MINUTE), 100)).toEqual([]);
    kit.clock.advance(60 * MINUTE);
    await runDueEscalations(kit.deps);
    expect(said(kit)).toEqual(['L1 U0ONCALL', 'resolved']);
    // Resolved again (a repeat): said once.
    expect((await receiveAlertNotification(kit.deps, resolved())).kind).toBe('unchanged');
    expect(said(kit)).toEqual(['L1 U0ONCALL', 'resolved']);
  });

  it('starts a new episode on a re-fire: acknowledgement and escalation start over', async () => {
    const kit = coreKit();
    await receiveAlertNotification(kit.deps, firing());
    await acknowledgeAlertGroup(kit.deps, { groupId: ID, actor: 'U0ALICE', via: 'button' });
    await receiveAlertNotification(kit.deps, resolved());
    kit.clock.advance(10 * MINUTE);
    const again = await receiveAlertNotification(kit.deps, firing());
    expect(again).toMatchObject({ kind: 'updated', record: { status: 'firing', episode: 2, firingSince: kit.clock.now().toISOString(), acknowledgedAt: undefined, escalated: [1] } });
    expect(said(kit)).toEqual(['L1 U0ONCALL', 'acknowledged via button', 'resolved', 'refired MCPRustGatewayDown', 'L1 U0ONCALL']);
    expect(kit.announcer.posts).toHaveLength(1);
  });

  it('does not escalate a group without a critical alert', async () => {
    const kit = coreKit();
    const outcome = await receiveAlertNotification(kit.deps, notification('firing', [alert('MCPShadowMismatchRateHigh', 'warning')]));
    expect(outcome).toMatchObject({ kind: 'posted', record: { critical: false } });
    kit.clock.advance(60 * MINUTE);
    await runDueEscalations(kit.deps);
    expect(said(kit)).toEqual([]);
  });

  it('honours ALERT_CRITICAL_SEVERITY', () => {
    const merged = mergeNotification(undefined, notification('firing', [alert('X', 'P1')]), 'x', START, { criticalSeverity: 'P1' });
    expect(merged.record.critical).toBe(true);
    expect(mergeNotification(undefined, notification('firing', [alert('X', 'critical')]), 'x', START, { criticalSeverity: 'P1' }).record.critical).toBe(false);
  });

  it('saves nothing when Slack refuses the post, so Alertmanager’s retry posts it (once)', async () => {
    const kit = coreKit();
    kit.announcer.failNext(1, 'post');
    await expect(receiveAlertNotification(kit.deps, firing())).rejects.toThrow(/ratelimited/);
    expect(await kit.store.getAlertGroup(ID)).toBeUndefined();
    expect((await receiveAlertNotification(kit.deps, firing())).kind).toBe('posted');
    expect((await receiveAlertNotification(kit.deps, firing())).kind).not.toBe('posted');
    expect(kit.announcer.posts).toHaveLength(1);
  });

  it('handles the same notification delivered twice at once as one message', async () => {
    const kit = coreKit();
    const results = await Promise.all([receiveAlertNotification(kit.deps, firing()), receiveAlertNotification(kit.replica(), firing())]);
    expect(results.map((r) => r.kind).filter((k) => k === 'posted')).toEqual(['posted']);
    expect(kit.announcer.posts).toHaveLength(1);
  });

  it('keeps going when a thread note fails (the message shows the state)', async () => {
    const kit = coreKit();
    await receiveAlertNotification(kit.deps, firing());
    kit.announcer.failNext(1, 'thread');
    expect((await receiveAlertNotification(kit.deps, resolved())).kind).toBe('updated');
    expect(await kit.store.getAlertGroup(ID)).toMatchObject({ status: 'resolved' });
  });
});

describe('AUTO_ROLLBACK_ON_CRITICAL', () => {
  it('rolls back once per firing episode, says so in the thread, acknowledges the group and cancels the pending request', async () => {
    const kit = coreKit({ AUTO_ROLLBACK_ON_CRITICAL: 'true', ESCALATE_L2_AFTER: '15m' });
    kit.holdAt(5);
    expect((await requestWeightChange(kit.deps, { actor: 'U0ALICE', target: { kind: 'next' } })).kind).toBe('requested');
    const outcome = await receiveAlertNotification(kit.deps, firing());
    expect(outcome.kind).toBe('posted');
    expect(kit.router.route.percent).toBe(0);
    expect(said(kit)).toEqual(['L1 U0ONCALL', 'auto-rollback rolled-back']);
    const record = await kit.store.getAlertGroup(ID);
    expect(record).toMatchObject({ autoRollback: { outcome: 'rolled-back' }, acknowledgedBy: 'mcp-canary', acknowledgedVia: 'auto-rollback' });
    expect(await kit.store.getPendingRequest()).toBeUndefined();
    expect((await kit.auditEntries()).find((e) => e.action === 'rollback')).toMatchObject({ actor: 'mcp-canary', summary: expect.stringContaining('rollback from auto') });

    // Repeats and retries of the same episode: no second rollback, no second announcement, no L2.
    kit.holdAt(5);
    await receiveAlertNotification(kit.deps, firing());
    kit.clock.advance(20 * MINUTE);
    await runDueEscalations(kit.deps);
    expect(kit.router.route.percent).toBe(5);
    expect(said(kit)).toEqual(['L1 U0ONCALL', 'auto-rollback rolled-back']);
  });

  it('rolls back again in a new episode', async () => {
    const kit = coreKit({ AUTO_ROLLBACK_ON_CRITICAL: 'true' });
    kit.holdAt(5);
    await receiveAlertNotification(kit.deps, firing());
    await receiveAlertNotification(kit.deps, resolved());
    kit.holdAt(5);
    await receiveAlertNotification(kit.deps, firing());
    expect(kit.router.route.percent).toBe(0);
    expect(said(kit).filter((s) => s.startsWith('auto-rollback'))).toEqual(['auto-rollback rolled-back', 'auto-rollback rolled-back']);
  });

  it('announces nothing when it moved no traffic (already at 0), and escalation goes on', async () => {
    const kit = coreKit({ AUTO_ROLLBACK_ON_CRITICAL: 'true' });
    await receiveAlertNotification(kit.deps, firing());
    expect(said(kit)).toEqual(['L1 U0ONCALL']);
    const record = await kit.store.getAlertGroup(ID);
    expect(record?.autoRollback?.outcome).toBe('already-rolled-back');
    expect(record?.acknowledgedAt).toBeUndefined();
  });

  it('announces nothing when the guard (or another replica) rolled this route version back at the same moment', async () => {
    const kit = coreKit({ AUTO_ROLLBACK_ON_CRITICAL: 'true' });
    kit.holdAt(5);
    const [guard, alertPath] = await Promise.all([automaticRollback(kit.deps, { actor: 'guard', source: 'guard' }), receiveAlertNotification(kit.replica(), firing())]);
    expect(guard?.kind).toBe('rolled-back');
    expect(alertPath.kind).toBe('posted');
    expect(said(kit).filter((s) => s.startsWith('auto-rollback'))).toEqual([]);
    expect(kit.router.writes.filter((w) => w.op === 'resetToPrimary')).toHaveLength(1);
  });

  it('only for a firing critical alert of ROLLBACK_ALERTS', async () => {
    const kit = coreKit({ AUTO_ROLLBACK_ON_CRITICAL: 'true' });
    kit.holdAt(5);
    await receiveAlertNotification(kit.deps, firing('MCPGatewayDatabaseDown'));
    await receiveAlertNotification(kit.deps, notification('firing', [alert('MCPRustGatewayDown', 'warning')], 'other'));
    expect(kit.router.route.percent).toBe(5);
  });

  it('never without AUTO_ROLLBACK_ON_CRITICAL', async () => {
    const kit = coreKit();
    kit.holdAt(5);
    await receiveAlertNotification(kit.deps, firing());
    expect(kit.router.route.percent).toBe(5);
    expect((await kit.store.getAlertGroup(ID))?.autoRollback).toBeUndefined();
  });
});

describe('the store down', () => {
  it('still posts the alert (degraded), without escalation timers', async () => {
    const kit = coreKit();
    kit.storeFault.down();
    const outcome = await receiveAlertNotification(kit.deps, firing());
    expect(outcome).toEqual({ kind: 'degraded', reason: 'connect ECONNREFUSED 127.0.0.1:6379 (test)' });
    expect(kit.announcer.posts).toEqual([expect.objectContaining({ id: ID, status: 'firing' })]);
    expect(kit.logger.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'alert received while the state store is unreachable' }));
  });

  it('still rolls back automatically, and says so in the thread', async () => {
    const kit = coreKit({ AUTO_ROLLBACK_ON_CRITICAL: 'true' });
    kit.holdAt(5);
    kit.storeFault.down();
    expect((await receiveAlertNotification(kit.deps, firing())).kind).toBe('degraded');
    expect(kit.router.route.percent).toBe(0);
    expect(said(kit)).toEqual(['auto-rollback rolled-back']);
  });
});

describe('acknowledge and silence', () => {
  it('acknowledges once, stopping the escalation; a resolved group has nothing to acknowledge', async () => {
    const kit = coreKit({ ESCALATE_L2_AFTER: '15m' });
    await receiveAlertNotification(kit.deps, firing());
    expect(await acknowledgeAlertGroup(kit.deps, { groupId: ID, actor: 'U0ALICE', via: 'button' })).toMatchObject({ kind: 'acknowledged', record: { acknowledgedBy: 'U0ALICE' } });
    expect(await acknowledgeAlertGroup(kit.deps, { groupId: ID, actor: 'U0BOB', via: 'button' })).toMatchObject({ kind: 'already', record: { acknowledgedBy: 'U0ALICE' } });
    kit.clock.advance(20 * MINUTE);
    await runDueEscalations(kit.deps);
    expect(said(kit)).toEqual(['L1 U0ONCALL', 'acknowledged via button']);
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'alert-acknowledged', actor: 'U0ALICE' });

    await receiveAlertNotification(kit.deps, notification('resolved', [alert('Other', 'critical', 'resolved')], 'resolved-group'));
    expect(await acknowledgeAlertGroup(kit.deps, { groupId: alertGroupId('resolved-group'), actor: 'U0ALICE', via: 'button' })).toMatchObject({ kind: 'resolved' });
    expect(await acknowledgeAlertGroup(kit.deps, { groupId: 'unknown', actor: 'U0ALICE', via: 'button' })).toEqual({ kind: 'not-found' });
  });

  it('silences the group’s labels for the given time in Alertmanager, noted in the thread and audited', async () => {
    const kit = coreKit();
    await receiveAlertNotification(kit.deps, firing());
    const outcome = await silenceAlertGroup(kit.deps, { groupId: ID, actor: 'U0ALICE', durationMs: 60 * MINUTE });
    const until = new Date(START.getTime() + 60 * MINUTE).toISOString();
    expect(outcome).toMatchObject({ kind: 'silenced', silenceId: 'silence-1', until });
    expect(kit.alerts.silences).toEqual([expect.objectContaining({ matchers: { alertname: 'MCPRustGatewayDown' }, endsAt: new Date(until), requestedBy: 'U0ALICE', alertNames: ['MCPRustGatewayDown'] })]);
    expect(said(kit)).toEqual(['L1 U0ONCALL', 'silenced']);
    expect(await kit.store.getAlertGroup(ID)).toMatchObject({ silence: { id: 'silence-1', by: 'U0ALICE', until } });
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'alert-silenced', actor: 'U0ALICE' });
  });

  it('says when the store is down', async () => {
    const kit = coreKit();
    await receiveAlertNotification(kit.deps, firing());
    kit.storeFault.down();
    expect(await acknowledgeAlertGroup(kit.deps, { groupId: ID, actor: 'U0ALICE', via: 'button' })).toMatchObject({ kind: 'unavailable', message: expect.stringContaining('Rollback still works') });
    expect(await silenceAlertGroup(kit.deps, { groupId: ID, actor: 'U0ALICE', durationMs: 1000 })).toMatchObject({ kind: 'failed', message: expect.stringContaining('Nothing was silenced') });
    expect(kit.alerts.silences).toEqual([]);
  });
});

describe('DRY_RUN in the alert thread', () => {
  it('every thread event says whether the bot writes nothing, so its post can say DRY RUN', async () => {
    const kit = coreKit({ DRY_RUN: 'true', ESCALATE_L2_AFTER: '15m', ESCALATE_L3_AFTER: '30m' });
    await receiveAlertNotification(kit.deps, firing());
    kit.clock.advance(16 * MINUTE);
    await runDueEscalations(kit.deps);
    await acknowledgeAlertGroup(kit.deps, { groupId: ID, actor: 'U0ALICE', via: 'button' });
    await receiveAlertNotification(kit.deps, resolved());
    expect(kit.announcer.threads.map((e) => [e.kind, e.dryRun])).toEqual([
      ['escalation', true],
      ['escalation', true],
      ['acknowledged', true],
      ['resolved', true],
    ]);
    const live = coreKit();
    await receiveAlertNotification(live.deps, firing());
    expect(live.announcer.threads.map((e) => e.dryRun)).toEqual([false]);
  });
});
