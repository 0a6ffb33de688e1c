// Replies to the person who asked, in the cases the listener tests found wrong.
import { describe, expect, it } from 'vitest';
import { mcpCanaryCommand } from '../../handlers/commands/mcp-canary.js';
import { ClusterError } from '../../src/core/errors.js';
import { arg, CHANNEL, commandArgs, handlerKit, OTHER_CHANNEL, run } from './kit.js';

describe('replies to the asker', () => {
  it('without SLACK_CHANNEL nobody is told "announced in <#undefined>"', async () => {
    const h = handlerKit({}, { channel: undefined, commandChannels: [] });
    h.holdAt(10);
    const args = commandArgs(h, 'rollback', { channel: 'C0ANY' });
    await run(mcpCanaryCommand(h.ctx), args);
    expect(arg(h.client.chat.postMessage).channel).toBe('C0ANY');
    for (const [answer] of args.respond.mock.calls) expect(JSON.stringify(answer)).not.toContain('undefined');
  });

  it('a FAILED rollback asked from another channel is not reported as "Rolled back"', async () => {
    const h = handlerKit({ TRAFFIC_ROUTER: 'gateway-api' }, { commandChannels: [CHANNEL, OTHER_CHANNEL] });
    h.holdAt(10);
    h.router.failNext('resetToPrimary', new ClusterError('forbidden', 'httproutes is forbidden'), 2);
    const args = commandArgs(h, 'rollback', { channel: OTHER_CHANNEL });
    await run(mcpCanaryCommand(h.ctx), args);
    expect(arg(h.client.chat.postMessage).text).toMatch(/^Rollback FAILED/);
    expect(arg(args.respond).text).not.toMatch(/^Rolled back/);
  }, 10_000);

  it.each(['weight 0', 'weight 5'])('`%s` from another command channel tells the asker', async (text) => {
    const h = handlerKit({}, { commandChannels: [CHANNEL, OTHER_CHANNEL] });
    h.holdAt(10);
    const args = commandArgs(h, text, { channel: OTHER_CHANNEL });
    await run(mcpCanaryCommand(h.ctx), args);
    expect(arg(h.client.chat.postMessage).channel).toBe(CHANNEL);
    expect(args.respond).toHaveBeenCalled();
  });
});
