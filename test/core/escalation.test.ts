// Escalation of unacknowledged critical alerts, on in-memory ports: no step is lost when Slack fails.
import { describe, expect, it } from 'vitest';
import { acknowledgeAlertGroup, alertGroupId, receiveAlertNotification, runDueEscalations } from '../../src/core/alerts.js';
import type { AlertNotification } from '../../src/core/entities.js';
import { coreKit, START, type Kit } from './kit.js';

const MINUTE = 60_000;

function firing(groupKey = '{}:{alertname="MCPRustGatewayDown"}'): AlertNotification {
  return {
    groupKey,
    status: 'firing',
    receiver: 'mcp-canary',
    groupLabels: { alertname: 'MCPRustGatewayDown' },
    commonLabels: { alertname: 'MCPRustGatewayDown', severity: 'critical' },
    truncatedAlerts: 0,
    alerts: [{ fingerprint: 'f1', name: 'MCPRustGatewayDown', severity: 'critical', status: 'firing', startsAt: START.toISOString(), labels: { alertname: 'MCPRustGatewayDown', severity: 'critical' } }],
  };
}

const levels = (kit: Kit) => kit.announcer.threads.flatMap((e) => (e.kind === 'escalation' ? [e.level] : []));

describe('escalation when Slack fails', () => {
  it('retries a step Slack refused, with a backoff, and loses nothing else of the batch', async () => {
    const kit = coreKit({ ESCALATE_L2_AFTER: '15m', ESCALATE_L3_AFTER: '30m' });
    await receiveAlertNotification(kit.deps, firing());
    expect(levels(kit)).toEqual([1]);

    // Both L2 and L3 are due in one batch; Slack refuses the first post (L2).
    kit.clock.advance(31 * MINUTE);
    kit.announcer.failNext(1, 'thread');
    const first = await runDueEscalations(kit.deps);
    expect(first).toEqual({ done: 1, retried: 1, givenUp: 0 });
    expect(levels(kit)).toEqual([1, 3]);

    // Not before its backoff…
    kit.clock.advance(2_000);
    expect(await runDueEscalations(kit.deps)).toEqual({ done: 0, retried: 0, givenUp: 0 });
    // …then delivered, once.
    kit.clock.advance(5_000);
    expect(await runDueEscalations(kit.deps)).toEqual({ done: 1, retried: 0, givenUp: 0 });
    expect(levels(kit).sort()).toEqual([1, 2, 3]);
    kit.clock.advance(10 * MINUTE);
    await runDueEscalations(kit.deps);
    expect(levels(kit)).toHaveLength(3);
  });

  it('a stopping replica (aborted signal) claims no more steps: they stay in the store for the next run', async () => {
    const kit = coreKit({ ESCALATE_L2_AFTER: '15m', ESCALATE_L3_AFTER: '30m' });
    await receiveAlertNotification(kit.deps, firing());
    kit.clock.advance(31 * MINUTE);
    const stopping = new AbortController();
    stopping.abort();
    expect(await runDueEscalations(kit.deps, { signal: stopping.signal })).toEqual({ done: 0, retried: 0, givenUp: 0 });
    expect(levels(kit)).toEqual([1]);
    expect(await runDueEscalations(kit.deps)).toEqual({ done: 2, retried: 0, givenUp: 0 });
    expect(levels(kit)).toEqual([1, 2, 3]);
  });

  it('retries L1 when Slack cannot take it at once', async () => {
    const kit = coreKit();
    kit.announcer.failNext(1, 'thread');
    await receiveAlertNotification(kit.deps, firing());
    expect(levels(kit)).toEqual([]);
    await runDueEscalations(kit.deps);
    expect(levels(kit)).toEqual([1]);
    kit.clock.advance(MINUTE);
    await runDueEscalations(kit.deps);
    expect(levels(kit)).toEqual([1]);
  });

  it('stops retrying once the alert is acknowledged', async () => {
    const kit = coreKit({ ESCALATE_L2_AFTER: '15m', ESCALATE_L3_AFTER: '30m' });
    await receiveAlertNotification(kit.deps, firing());
    kit.clock.advance(16 * MINUTE);
    kit.announcer.failNext(1, 'thread');
    await runDueEscalations(kit.deps);
    await acknowledgeAlertGroup(kit.deps, { groupId: alertGroupId(firing().groupKey), actor: 'U0ALICE', via: 'button' });
    kit.clock.advance(60 * MINUTE);
    await runDueEscalations(kit.deps);
    expect(levels(kit)).toEqual([1]);
  });

  it('gives up after an hour: logged and audited as undeliverable', async () => {
    const kit = coreKit({ ESCALATE_L2_AFTER: '15m', ESCALATE_L3_AFTER: '30m' });
    await receiveAlertNotification(kit.deps, firing());
    kit.clock.advance(16 * MINUTE);
    kit.announcer.failNext(1000, 'thread');
    for (let i = 0; i < 40; i++) {
      await runDueEscalations(kit.deps);
      kit.clock.advance(5 * MINUTE);
    }
    const { entries } = await kit.deps.audit.recent(50);
    const undeliverable = entries.filter((e) => e.action === 'job-undeliverable');
    expect(undeliverable.map((e) => e.summary).sort()).toEqual([expect.stringMatching(/^escalation L2 .*not delivered after 6\d min/), expect.stringMatching(/^escalation L3 .*not delivered after 6\d min/)]);
    expect(kit.logger.lines.some((l) => l.level === 'error' && l.msg === 'job undeliverable: given up')).toBe(true);
  });
});

describe('escalation when the store fails after the mention', () => {
  /** The store refuses to save alert groups from the moment the given level was mentioned. */
  function storeFailsAfterMention(kit: Kit, level: number): void {
    const thread = kit.announcer.thread.bind(kit.announcer);
    kit.announcer.thread = async (record, event) => {
      await thread(record, event);
      if (event.kind === 'escalation' && event.level === level) kit.storeFault.down(['saveAlertGroup']);
    };
  }

  it('an L2 mention whose group could not be saved afterwards is not mentioned again by the retry', async () => {
    const kit = coreKit({ ESCALATE_L2_AFTER: '15m', ESCALATE_L3_AFTER: '60m' });
    await receiveAlertNotification(kit.deps, firing());
    storeFailsAfterMention(kit, 2);
    kit.clock.advance(16 * MINUTE);
    await runDueEscalations(kit.deps);
    kit.storeFault.heal();
    for (let i = 0; i < 5; i++) {
      kit.clock.advance(MINUTE);
      await runDueEscalations(kit.deps);
    }
    expect(levels(kit)).toEqual([1, 2]);
  });

  it('an L1 mention whose group could not be saved afterwards is not mentioned again by Alertmanager’s retry or its timer', async () => {
    const kit = coreKit();
    storeFailsAfterMention(kit, 1);
    await receiveAlertNotification(kit.deps, firing()).catch(() => undefined);
    kit.storeFault.heal();
    // The webhook failed: Alertmanager sends the notification again.
    await receiveAlertNotification(kit.deps, firing());
    for (let i = 0; i < 3; i++) {
      kit.clock.advance(MINUTE);
      await runDueEscalations(kit.deps);
    }
    expect(levels(kit)).toEqual([1]);
  });

  it('a mention Slack refused is still retried (the level saved before the post is taken back)', async () => {
    const kit = coreKit({ ESCALATE_L2_AFTER: '15m', ESCALATE_L3_AFTER: '60m' });
    await receiveAlertNotification(kit.deps, firing());
    kit.clock.advance(16 * MINUTE);
    kit.announcer.failNext(1, 'thread');
    await runDueEscalations(kit.deps);
    expect(levels(kit)).toEqual([1]);
    expect((await kit.store.getAlertGroup(alertGroupId('{}:{alertname="MCPRustGatewayDown"}')))?.escalated).toEqual([1]);
    kit.clock.advance(MINUTE);
    await runDueEscalations(kit.deps);
    expect(levels(kit)).toEqual([1, 2]);
  });
});
