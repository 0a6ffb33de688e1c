// The App Home tab: published when opened and on Refresh, with the live status and the pending request.
import { describe, expect, it } from 'vitest';
import { appHomeOpened, refreshHomeButton } from '../../handlers/events/app-home.js';
import { requestWeightChange } from '../../src/core/approvals.js';
import { ACTION } from '../../views/action-ids.js';
import { arg, clickArgs, handlerKit, run, slackError, type HandlerKit } from './kit.js';

function opened(h: HandlerKit, tab: 'home' | 'messages', user = 'U0ALICE') {
  return { event: { type: 'app_home_opened' as const, user, channel: 'D0DM', tab, event_ts: '1800000000.1' }, client: h.web, say: async () => undefined, next: async () => undefined, body: { event_id: 'Ev1' } };
}

describe('App Home', () => {
  it('publishes the live dashboard for whoever opened the tab', async () => {
    const h = handlerKit();
    h.holdAt(5);
    await appHomeOpened(h.ctx)(opened(h, 'home', 'U0CAROL') as never);
    expect(h.client.views.publish).toHaveBeenCalledTimes(1);
    const { user_id, view } = arg(h.client.views.publish);
    expect(user_id).toBe('U0CAROL');
    expect(view.type).toBe('home');
    const json = JSON.stringify(view.blocks);
    expect(json).toContain('MCP canary status');
    expect(json).toContain('5%');
    expect(json).toContain(`"action_id":"${ACTION.rollback}"`);
    expect(json).toContain(`"action_id":"${ACTION.refreshHome}"`);
  });

  it('shows the pending request with Approve and Reject', async () => {
    const h = handlerKit();
    h.holdAt(5);
    const outcome = await requestWeightChange(h.deps, { actor: 'U0ALICE', target: { kind: 'next' } });
    expect(outcome.kind).toBe('requested');
    await appHomeOpened(h.ctx)(opened(h, 'home') as never);
    const json = JSON.stringify(arg(h.client.views.publish).view.blocks);
    expect(json).toContain('Approval request pending');
    expect(json).toContain(`"action_id":"${ACTION.approve}"`);
    expect(json).toContain(`"action_id":"${ACTION.reject}"`);
  });

  it('does nothing for the Messages tab', async () => {
    const h = handlerKit();
    await appHomeOpened(h.ctx)(opened(h, 'messages') as never);
    expect(h.calls).toEqual([]);
  });

  it('Refresh acks first, then republishes', async () => {
    const h = handlerKit();
    const args = clickArgs(h, ACTION.refreshHome, 'refresh', { home: true, user: 'U0BOB' });
    const { ackedAtOnce } = await run(refreshHomeButton(h.ctx), args);
    expect(ackedAtOnce).toBe(true);
    expect(h.calls).toEqual(['ack', 'views.publish']);
    expect(arg(h.client.views.publish).user_id).toBe('U0BOB');
  });

  it('logs a refused publish instead of failing', async () => {
    const h = handlerKit();
    h.client.views.publish.mockRejectedValueOnce(slackError('not_enabled'));
    await appHomeOpened(h.ctx)(opened(h, 'home') as never);
    expect(h.logger.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'views.publish failed', obj: expect.objectContaining({ err: 'not_enabled' }) }));
  });
});
