// The buttons, each listener called directly with a fake ack, respond and client: Rollback (from a status
// message, another channel, an alert, the App Home), Approve / Reject, Refresh, Request next step,
// Acknowledge and Silence.
import { describe, expect, it } from 'vitest';
import { acknowledgeAlertButton, silenceAlertButton } from '../../handlers/actions/alerts.js';
import { approveButton, rejectButton } from '../../handlers/actions/approval.js';
import { rollbackButton } from '../../handlers/actions/rollback.js';
import { refreshStatusButton, requestNextStepButton } from '../../handlers/actions/status.js';
import { alertGroupId, receiveAlertNotification } from '../../src/core/alerts.js';
import { attachRequestMessage, requestWeightChange } from '../../src/core/approvals.js';
import type { ApprovalRequest } from '../../src/core/entities.js';
import { ACTION } from '../../views/action-ids.js';
import { START } from '../core/kit.js';
import { arg, CHANNEL, clickArgs, handlerKit, OTHER_CHANNEL, run, slackError, type HandlerKit } from './kit.js';

async function click(h: HandlerKit, listener: (args: never) => Promise<void>, actionId: string, value: string | undefined, options: Parameters<typeof clickArgs>[3] = {}) {
  const args = clickArgs(h, actionId, value, options);
  const { ackedAtOnce } = await run(listener, args);
  return { ...args, ackedAtOnce };
}

describe('Rollback button', () => {
  it('acks before writing, rolls back and announces it in SLACK_CHANNEL; the clicker there needs nothing more', async () => {
    const h = handlerKit();
    h.holdAt(10);
    const c = await click(h, rollbackButton(h.ctx), ACTION.rollback, 'status');
    expect(c.ackedAtOnce).toBe(true);
    expect(h.writesAtAck).toBe(0);
    expect(h.router.route.percent).toBe(0);
    expect(h.calls).toEqual(['ack', 'chat.postMessage']);
    expect(arg(h.client.chat.postMessage)).toMatchObject({ channel: CHANNEL, text: 'Canary rolled back to 0% from 10% by <@U0ALICE>' });
    expect((await h.auditEntries())[0]).toMatchObject({ action: 'rollback', summary: expect.stringMatching(/^rollback from status:/) });
  });

  it('clicked in another channel: announced in SLACK_CHANNEL, and the clicker is told where they are', async () => {
    const h = handlerKit();
    h.holdAt(10);
    const c = await click(h, rollbackButton(h.ctx), ACTION.rollback, 'digest', { channel: OTHER_CHANNEL });
    expect(arg(h.client.chat.postMessage).channel).toBe(CHANNEL);
    expect(arg(c.respond)).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: 'Canary rolled back to 0% from 10% by <@U0ALICE>' });
  });

  it('on an alert: announced in the alert thread, broadcast to the channel, and the group acknowledged', async () => {
    const h = handlerKit();
    h.holdAt(10);
    const groupKey = '{}:{alertname="MCPRustGatewayDown"}';
    await receiveAlertNotification(h.deps, {
      groupKey,
      status: 'firing',
      receiver: 'mcp-canary',
      groupLabels: { alertname: 'MCPRustGatewayDown' },
      commonLabels: {},
      truncatedAlerts: 0,
      alerts: [{ fingerprint: 'f', name: 'MCPRustGatewayDown', severity: 'critical', status: 'firing', startsAt: START.toISOString(), labels: {} }],
    });
    const id = alertGroupId(groupKey);
    const c = await click(h, rollbackButton(h.ctx), ACTION.rollback, `alert:${id}`, { messageTs: '1700.0001', user: 'U0BOB' });
    expect(arg(h.client.chat.postMessage)).toMatchObject({ channel: CHANNEL, thread_ts: '1700.0001', reply_broadcast: true, text: expect.stringMatching(/^Canary rolled back/) });
    expect(c.respond).not.toHaveBeenCalled();
    expect(await h.store.getAlertGroup(id)).toMatchObject({ acknowledgedBy: 'U0BOB', acknowledgedVia: 'rollback' });
    expect((await h.auditEntries()).find((e) => e.action === 'rollback')?.summary).toMatch(/^rollback from alert:/);
  });

  it('in the App Home: announced in the channel, the clicker told privately there, and the tab republished', async () => {
    const h = handlerKit();
    h.holdAt(10);
    await click(h, rollbackButton(h.ctx), ACTION.rollback, 'home', { home: true, user: 'U0CAROL' });
    expect(h.calls).toEqual(['ack', 'chat.postMessage', 'chat.postEphemeral', 'views.publish']);
    expect(arg(h.client.chat.postEphemeral)).toMatchObject({ channel: CHANNEL, user: 'U0CAROL', text: expect.stringMatching(/^Canary rolled back/) });
    expect(arg(h.client.views.publish)).toMatchObject({ user_id: 'U0CAROL', view: { type: 'home' } });
  });

  it('already rolled back: nothing announced, only the clicker is told', async () => {
    const h = handlerKit();
    const c = await click(h, rollbackButton(h.ctx), ACTION.rollback, 'status');
    expect(h.client.chat.postMessage).not.toHaveBeenCalled();
    expect(arg(c.respond)).toMatchObject({ response_type: 'ephemeral', text: 'Already rolled back: the canary is at 0% with no routing rules' });
  });

  it('when Slack refuses the announcement, the clicker’s channel still sees it through the response_url', async () => {
    const h = handlerKit();
    h.holdAt(10);
    h.client.chat.postMessage.mockRejectedValueOnce(slackError('channel_not_found'));
    const c = await click(h, rollbackButton(h.ctx), ACTION.rollback, 'status');
    expect(arg(c.respond)).toMatchObject({ response_type: 'in_channel', text: 'Canary rolled back to 0% from 10% by <@U0ALICE>' });
  });

  it('two clicks at once: one rollback, one announcement; the second clicker hears it was already done', async () => {
    const h = handlerKit();
    h.holdAt(10);
    const first = clickArgs(h, ACTION.rollback, 'status', { user: 'U0ALICE' });
    const second = clickArgs(h, ACTION.rollback, 'status', { user: 'U0BOB' });
    const listener = rollbackButton(h.ctx);
    await Promise.all([listener(first as never), listener(second as never)]);
    expect(h.router.writes.filter((w) => w.op === 'resetToPrimary')).toHaveLength(1);
    expect(h.client.chat.postMessage).toHaveBeenCalledTimes(1);
    expect(first.respond).not.toHaveBeenCalled();
    expect(arg(second.respond).text).toMatch(/^Already rolled back/);
  });

  it('marks the announcement DRY RUN under DRY_RUN', async () => {
    const h = handlerKit({ DRY_RUN: 'true' });
    h.holdAt(10);
    await click(h, rollbackButton(h.ctx), ACTION.rollback, 'status');
    expect(arg(h.client.chat.postMessage).text).toMatch(/^DRY RUN · Canary rolled back/);
    expect(h.router.route.percent).toBe(10);
  });
});

describe('Approve and Reject', () => {
  async function postedRequest(h: HandlerKit): Promise<ApprovalRequest> {
    h.holdAt(5);
    const outcome = await requestWeightChange(h.deps, { actor: 'U0ALICE', target: { kind: 'next' } });
    if (outcome.kind !== 'requested') throw new Error(outcome.kind);
    await attachRequestMessage(h.deps, outcome.request.id, CHANNEL, '1750.0001');
    return outcome.request;
  }

  it('Approve by another approver: acked first, applied, the request message updated in place, the clicker told', async () => {
    const h = handlerKit();
    const request = await postedRequest(h);
    const c = await click(h, approveButton(h.ctx), ACTION.approve, request.id, { user: 'U0CAROL', messageTs: '1750.0001' });
    expect(c.ackedAtOnce).toBe(true);
    expect(h.writesAtAck).toBe(0);
    expect(h.router.route.percent).toBe(10);
    expect(h.calls).toEqual(['ack', 'chat.update', 'respond']);
    expect(arg(h.client.chat.update)).toMatchObject({ channel: CHANNEL, ts: '1750.0001', text: expect.stringMatching(/^Applied: canary 5% → 10%/) });
    expect(arg(c.respond)).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: 'Applied: canary 5% → 10%' });
    expect(await h.ctx.metrics.registry.getSingleMetricAsString('mcp_canary_approval_decisions_total')).toContain('{outcome="applied"} 1');
  });

  it('Approve by the requester: refused (two-person rule), the message left as it is', async () => {
    const h = handlerKit();
    const request = await postedRequest(h);
    const c = await click(h, approveButton(h.ctx), ACTION.approve, request.id, { user: 'U0ALICE' });
    expect(h.router.route.percent).toBe(5);
    expect(h.client.chat.update).not.toHaveBeenCalled();
    expect(arg(c.respond).text).toBe('You requested this change; another approver must approve it (two-person rule)');
  });

  it('Approve by a non-approver: refused', async () => {
    const h = handlerKit();
    const request = await postedRequest(h);
    const c = await click(h, approveButton(h.ctx), ACTION.approve, request.id, { user: 'U0MALLORY' });
    expect(h.router.route.percent).toBe(5);
    expect(arg(c.respond).text).toBe('Only approvers in CANARY_APPROVERS can approve');
  });

  it('a second Approve after the first: told it is already applied, applied once', async () => {
    const h = handlerKit();
    const request = await postedRequest(h);
    await click(h, approveButton(h.ctx), ACTION.approve, request.id, { user: 'U0CAROL' });
    const again = await click(h, approveButton(h.ctx), ACTION.approve, request.id, { user: 'U0BOB' });
    expect(arg(again.respond).text).toBe('Already applied: canary 5% → 10%');
    expect(h.router.writes.filter((w) => w.op === 'setPercent' && !w.dryRun)).toHaveLength(1);
  });

  it('Reject by the requester withdraws it; the message says so', async () => {
    const h = handlerKit();
    const request = await postedRequest(h);
    const c = await click(h, rejectButton(h.ctx), ACTION.reject, request.id, { user: 'U0ALICE' });
    expect(c.ackedAtOnce).toBe(true);
    expect(arg(h.client.chat.update).text).toMatch(/^Withdrawn: canary 5% → 10%/);
    expect(arg(c.respond).text).toBe('Withdrawn: canary 5% → 10%');
  });
});

describe('status buttons', () => {
  it('Refresh replaces the status message with the live status', async () => {
    const h = handlerKit();
    h.holdAt(25);
    const c = await click(h, refreshStatusButton(h.ctx), ACTION.refreshStatus, 'refresh');
    expect(c.ackedAtOnce).toBe(true);
    expect(arg(c.respond)).toMatchObject({ replace_original: true, text: 'GO: canary 25% (step 4 of 6) · next step 50% can be requested' });
  });

  it('Request next step: derived from the live weight, posted in SLACK_CHANNEL, the clicker told', async () => {
    const h = handlerKit();
    h.holdAt(10);
    const c = await click(h, requestNextStepButton(h.ctx), ACTION.requestNext, '10', { user: 'U0BOB' });
    expect(c.ackedAtOnce).toBe(true);
    expect(arg(h.client.chat.postMessage)).toMatchObject({ channel: CHANNEL, text: expect.stringMatching(/^Approval needed: canary 10% → 25%, requested by <@U0BOB>/) });
    expect(arg(c.respond).text).toMatch(/^Approval request posted for canary 10% → 25%/);
  });
});

describe('alert buttons', () => {
  const groupKey = '{}:{alertname="MCPRustGatewayErrorRateHigh"}';
  async function alerted(h: HandlerKit): Promise<string> {
    await receiveAlertNotification(h.deps, {
      groupKey,
      status: 'firing',
      receiver: 'mcp-canary',
      groupLabels: { alertname: 'MCPRustGatewayErrorRateHigh' },
      commonLabels: {},
      truncatedAlerts: 0,
      alerts: [{ fingerprint: 'f', name: 'MCPRustGatewayErrorRateHigh', severity: 'critical', status: 'firing', startsAt: START.toISOString(), labels: {} }],
    });
    return alertGroupId(groupKey);
  }

  it('Acknowledge: acked first, recorded, once', async () => {
    const h = handlerKit();
    const id = await alerted(h);
    const first = await click(h, acknowledgeAlertButton(h.ctx, h.deps), ACTION.acknowledgeAlert, id, { user: 'U0BOB' });
    expect(first.ackedAtOnce).toBe(true);
    expect(arg(first.respond).text).toBe(':ok_hand: Acknowledged: escalation stopped.');
    expect(await h.store.getAlertGroup(id)).toMatchObject({ acknowledgedBy: 'U0BOB', acknowledgedVia: 'button' });
    const second = await click(h, acknowledgeAlertButton(h.ctx, h.deps), ACTION.acknowledgeAlert, id, { user: 'U0CAROL' });
    expect(arg(second.respond).text).toBe('Already acknowledged by <@U0BOB>.');
    const unknown = await click(h, acknowledgeAlertButton(h.ctx, h.deps), ACTION.acknowledgeAlert, 'nope');
    expect(arg(unknown.respond).text).toMatch(/^This alert group is unknown to the bot/);
  });

  it('Silence 1h: an Alertmanager silence, the clicker told its id', async () => {
    const h = handlerKit();
    const id = await alerted(h);
    const c = await click(h, silenceAlertButton(h.ctx, h.deps), ACTION.silenceAlert, id, { user: 'U0BOB' });
    expect(c.ackedAtOnce).toBe(true);
    expect(arg(c.respond).text).toBe(':no_bell: Silenced in Alertmanager for 1h (silence `silence-1`).');
    expect(h.alerts.silences[0]).toMatchObject({ matchers: { alertname: 'MCPRustGatewayErrorRateHigh' }, endsAt: new Date(START.getTime() + 3_600_000) });
  });
});
