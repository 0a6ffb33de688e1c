// The "Put the canary route back" button (after its confirm dialog): approvers only, checked again at the
// click; the route is put back at 0%, announced in the channel, and the clicker answered.
import { describe, expect, it } from 'vitest';
import { routeApplyButton, routeApplyConfirmReply } from '../../handlers/route.js';
import { ROUTE_COPY_KEY } from '../../src/core/rollback.js';
import { ACTION } from '../../views/action-ids.js';
import { arg, CHANNEL, clickArgs, handlerKit, OTHER_CHANNEL, run } from './kit.js';

/** The canary route gone, as after a rollback's fallback removed it, with the copy the rollback kept. */
async function routeRemoved(h: ReturnType<typeof handlerKit>): Promise<void> {
  await h.store.setValue(ROUTE_COPY_KEY, { savedAt: new Date().toISOString(), object: structuredClone(h.router.route) });
  h.router.route = { ...h.router.route, exists: false, percent: 0 };
}

describe('route apply button', () => {
  it('acks first, puts the route back at 0%, announces it in the channel and tells the clicker', async () => {
    const h = handlerKit();
    await routeRemoved(h);
    const args = clickArgs(h, ACTION.routeApply, 'apply', { user: 'U0BOB' });
    const { ackedAtOnce } = await run(routeApplyButton(h.ctx), args);
    expect(ackedAtOnce).toBe(true);
    expect(h.calls[0]).toBe('ack');
    expect(h.writesAtAck).toBe(0);
    expect(h.router.route).toMatchObject({ exists: true, percent: 0 });
    expect(arg(h.client.chat.postMessage)).toMatchObject({ channel: CHANNEL, text: expect.stringMatching(/Canary route put back at 0% by <@U0BOB>/) });
    expect(arg(args.respond)).toMatchObject({ response_type: 'ephemeral', text: 'Canary route put back: announced in the channel.' });
    expect((await h.auditEntries()).map((e) => [e.action, e.actor])).toContainEqual(['route-applied', 'U0BOB']);
  });

  it('refuses a non-approver at the click, naming the rule, writing and announcing nothing', async () => {
    const h = handlerKit();
    await routeRemoved(h);
    const args = clickArgs(h, ACTION.routeApply, 'apply', { user: 'U0MALLORY' });
    const { ackedAtOnce } = await run(routeApplyButton(h.ctx), args);
    expect(ackedAtOnce).toBe(true);
    expect(arg(args.respond).text).toBe('Refused: only approvers (CANARY_APPROVERS) may put the canary route in place');
    expect(JSON.stringify(arg(args.respond).blocks)).toContain('Nothing was changed');
    expect(h.router.writes).toEqual([]);
    expect(h.router.route.exists).toBe(false);
    expect(h.client.chat.postMessage).not.toHaveBeenCalled();
  });

  it('announces in SLACK_CHANNEL even when the button is clicked in another channel', async () => {
    const h = handlerKit();
    await routeRemoved(h);
    await run(routeApplyButton(h.ctx), clickArgs(h, ACTION.routeApply, 'apply', { user: 'U0BOB', channel: OTHER_CHANNEL }));
    expect(arg(h.client.chat.postMessage).channel).toBe(CHANNEL);
  });

  it('says the route is already there, announcing nothing, when nothing needs putting back', async () => {
    const h = handlerKit();
    const args = clickArgs(h, ACTION.routeApply, 'apply', { user: 'U0BOB' });
    await run(routeApplyButton(h.ctx), args);
    expect(h.client.chat.postMessage).not.toHaveBeenCalled();
    expect(arg(args.respond).text).toMatch(/already/i);
  });

  it('a failed write is told to the clicker with the error escaped, and not announced', async () => {
    const h = handlerKit();
    await routeRemoved(h);
    h.router.failNext('applyCanaryRoute', new Error('admission webhook said <!channel> <@U0ALICE>'));
    const args = clickArgs(h, ACTION.routeApply, 'apply', { user: 'U0BOB' });
    await run(routeApplyButton(h.ctx), args);
    expect(h.client.chat.postMessage).not.toHaveBeenCalled();
    const answer = JSON.stringify(arg(args.respond));
    expect(answer).toContain('&lt;!channel&gt;');
    expect(answer).not.toMatch(/<!channel>|<@U0ALICE>/);
  });

  it('DRY_RUN: the announcement and the answer say so', async () => {
    const h = handlerKit({ DRY_RUN: 'true' });
    await routeRemoved(h);
    const args = clickArgs(h, ACTION.routeApply, 'apply', { user: 'U0BOB' });
    await run(routeApplyButton(h.ctx), args);
    expect(arg(h.client.chat.postMessage).text).toContain('DRY RUN');
    expect(arg(args.respond).text).toContain('DRY RUN');
  });

  it('route apply (the command): an approver list that cannot be read is said with its error escaped', async () => {
    const h = handlerKit();
    (h.ctx.core.directory as { membersOf: (id: string) => Promise<string[]> }).membersOf = async () => {
      throw new Error('usergroups.users.list said <!channel> <@U0ALICE>');
    };
    const reply = await routeApplyConfirmReply(h.ctx, 'U0MALLORY');
    const all = `${reply.text} ${JSON.stringify(reply.blocks)}`;
    expect(all).toContain('Could not check the approver list');
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).not.toMatch(/<!channel>|<@U0ALICE>/);
  });
});
