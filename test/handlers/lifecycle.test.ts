// The shadow on/off button (after its confirm dialog): approvers only, set like kubectl set env, announced
// in the channel with the rollout followed in the thread.
import { describe, expect, it, vi } from 'vitest';
import { finalizeCommand, shadowToggleButton } from '../../handlers/lifecycle.js';
import { ACTION } from '../../views/action-ids.js';
import { arg, CHANNEL, clickArgs, handlerKit, run } from './kit.js';

const WATCH = { intervalMs: 5, timeoutMs: 1000 };

describe('shadow on/off button', () => {
  it('acks first, sets the env, replaces the confirm, announces in the channel and follows the rollout in the thread', async () => {
    const h = handlerKit();
    const args = clickArgs(h, ACTION.shadowToggle, 'on', { user: 'U0BOB' });
    const { ackedAtOnce } = await run(shadowToggleButton(h.ctx, WATCH), args);
    expect(ackedAtOnce).toBe(true);
    expect(h.cluster.env.get('mcp-gateway-python')?.[0]?.env).toMatchObject({ LOG_LEVEL: 'info', SHADOW_MODE_ENABLED: 'true' });
    expect(args.respond).toHaveBeenCalledWith(expect.objectContaining({ replace_original: true, text: 'Shadow mode on: announced in the channel.' }));
    expect(arg(h.client.chat.postMessage)).toMatchObject({ channel: CHANNEL, text: 'Shadow mode ON on mcp-gateway-python' });
    const announcement = '1800000000.000001';
    await vi.waitFor(() => expect(h.client.chat.postMessage).toHaveBeenCalledTimes(2));
    expect(arg(h.client.chat.postMessage, 1)).toMatchObject({ channel: CHANNEL, thread_ts: announcement });
    expect(h.calls.slice(0, 3)).toEqual(['ack', 'respond', 'chat.postMessage']);
  });

  it('updates the rollout message in the thread until the rollout completes', async () => {
    const h = handlerKit();
    const python = h.cluster.deployments.get('mcp-gateway-python')!;
    h.cluster.deployments.set('mcp-gateway-python', { ...python, updated: 1, rolloutComplete: false });
    await run(shadowToggleButton(h.ctx, WATCH), clickArgs(h, ACTION.shadowToggle, 'on', { user: 'U0BOB' }));
    await vi.waitFor(() => expect(h.client.chat.postMessage).toHaveBeenCalledTimes(2));
    expect(arg(h.client.chat.postMessage, 1).text).toBe(':arrows_counterclockwise: Rolling out: updated 1/3, ready 3/3, available 3/3');
    h.cluster.deployments.set('mcp-gateway-python', python);
    await vi.waitFor(() => expect(h.client.chat.update.mock.calls.at(-1)?.[0].text).toBe(':white_check_mark: Rollout complete: updated 3/3, ready 3/3, available 3/3'));
    const updates = h.client.chat.update.mock.calls.length;
    expect(h.client.chat.update.mock.calls.every(([a]) => a.ts === '1800000000.000002')).toBe(true);
    // Done: it stops following.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.client.chat.update).toHaveBeenCalledTimes(updates);
    expect(h.client.chat.postMessage).toHaveBeenCalledTimes(2);
  });

  it('refuses a non-approver in place of the confirm, changing and announcing nothing', async () => {
    const h = handlerKit();
    const args = clickArgs(h, ACTION.shadowToggle, 'on', { user: 'U0MALLORY' });
    await run(shadowToggleButton(h.ctx, WATCH), args);
    expect(arg(args.respond)).toMatchObject({ replace_original: true, text: expect.stringMatching(/^Refused: only approvers/) });
    expect(h.client.chat.postMessage).not.toHaveBeenCalled();
    expect(h.cluster.writes).toEqual([]);
  });

  it('says "already off" without announcing anything', async () => {
    const h = handlerKit();
    const args = clickArgs(h, ACTION.shadowToggle, 'off', { user: 'U0BOB' });
    await run(shadowToggleButton(h.ctx, WATCH), args);
    expect(arg(args.respond).text).toBe('Shadow mode is already off');
    expect(h.client.chat.postMessage).not.toHaveBeenCalled();
  });

  it('DRY_RUN: the announcement says so and nothing changes', async () => {
    const h = handlerKit({ DRY_RUN: 'true' });
    const args = clickArgs(h, ACTION.shadowToggle, 'on', { user: 'U0BOB' });
    await run(shadowToggleButton(h.ctx, WATCH), args);
    expect(arg(h.client.chat.postMessage).text).toMatch(/DRY RUN/);
    expect(arg(args.respond).text).toMatch(/^DRY RUN · Shadow mode on/);
    expect(h.cluster.env.get('mcp-gateway-python')?.[0]?.env).toEqual({ LOG_LEVEL: 'info' });
  });
});

describe('/mcp-canary finalize while a request is pending', () => {
  it('names the pending request with the view’s wording: its requester mentioned, its expiry as a time, not an ISO string', async () => {
    const h = handlerKit();
    h.holdAt(100, 14 * 24);
    const first = await finalizeCommand(h.ctx, h.web, 'U0ALICE', CHANNEL);
    expect(first.text).toMatch(/^Cleanup requested/);
    const second = await finalizeCommand(h.ctx, h.web, 'U0CAROL', CHANNEL);
    expect(second.text).toMatch(/^One request at a time: <@U0ALICE> asked for the post-migration cleanup, expires \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(JSON.stringify(second.blocks)).toMatch(/<!date\^\d+\^/);
    expect(JSON.stringify(second)).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });
});
