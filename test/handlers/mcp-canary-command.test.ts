// `/mcp-canary`, the listener called directly with a fake ack, respond and client: ack first (status in the
// ack itself when ready in time), the channel refusal, help for anything malformed, requests and rollbacks
// announced in SLACK_CHANNEL, DRY RUN on every answer.
import { describe, expect, it, vi } from 'vitest';
import { mcpCanaryCommand } from '../../handlers/commands/mcp-canary.js';
import { renderHelp } from '../../views/help.js';
import { arg, CHANNEL, commandArgs, handlerKit, OTHER_CHANNEL, run, slackError, type HandlerKit } from './kit.js';

const blocksJson = (message: { blocks?: unknown[] } | undefined) => JSON.stringify(message?.blocks ?? []);

async function command(h: HandlerKit, text: string, options: { user?: string; channel?: string } = {}) {
  const args = commandArgs(h, text, options);
  const { ackedAtOnce } = await run(mcpCanaryCommand(h.ctx), args);
  return { ...args, ackedAtOnce };
}

describe('the channel rule', () => {
  it.each(['status', 'rollback', 'promote', 'weight 0', 'shadow on', 'nonsense'])('refuses `%s` outside the command channels, at once, and does nothing', async (text) => {
    const h = handlerKit();
    h.holdAt(10);
    const c = await command(h, text, { channel: OTHER_CHANNEL, user: 'U0BOB' });
    expect(c.ackedAtOnce).toBe(true);
    expect(c.ack).toHaveBeenCalledWith(expect.objectContaining({ response_type: 'ephemeral', text: ':no_entry: /mcp-canary only works in <#C0ONCALL>, where the on-call team sees what it does. Nothing was done.' }));
    expect(c.respond).not.toHaveBeenCalled();
    expect(h.calls).toEqual(['ack']);
    expect(h.router.writes).toEqual([]);
    expect(h.router.route.percent).toBe(10);
  });

  it('accepts every channel of SLACK_COMMAND_CHANNELS, and anywhere when none is configured', async () => {
    const listed = handlerKit({}, { commandChannels: [CHANNEL, OTHER_CHANNEL] });
    expect(arg((await command(listed, 'help', { channel: OTHER_CHANNEL })).ack).text).toMatch(/^Usage: /);
    const open = handlerKit({}, { commandChannels: [] });
    expect(arg((await command(open, 'help', { channel: 'C0ANYWHERE' })).ack).text).toMatch(/^Usage: /);
  });
});

describe('help', () => {
  it.each<{ text: string; problem?: string }>([
    { text: '' },
    { text: 'help' },
    { text: 'weight abc', problem: '"abc" is not a weight: use a whole number from 0 to 100.' },
    { text: 'weight', problem: '`weight` needs one whole number from 0 to 100, e.g. `/mcp-canary weight 5`.' },
    { text: 'frobnicate now', problem: 'Unknown subcommand "frobnicate".' },
    { text: 'status please', problem: '`status` takes no arguments (got "please").' },
    { text: 'shadow maybe', problem: '`shadow` takes one of `on`, `off` or `status`.' },
  ])('answers $text with the usage in the ack itself', async ({ text, problem }) => {
    const h = handlerKit();
    const c = await command(h, text);
    expect(c.ackedAtOnce).toBe(true);
    expect(c.ack).toHaveBeenCalledWith({ response_type: 'ephemeral', ...renderHelp(problem) });
    expect(c.respond).not.toHaveBeenCalled();
    // The problem comes first, above the usage.
    expect(arg(c.ack).blocks[0].text.text.startsWith(':warning:')).toBe(problem !== undefined);
  });

  it('counts commands by subcommand on /metrics', async () => {
    const h = handlerKit();
    await command(h, 'frobnicate');
    await command(h, 'help');
    const metric = await h.ctx.metrics.registry.getSingleMetricAsString('mcp_canary_commands_total');
    expect(metric).toContain('mcp_canary_commands_total{subcommand="invalid"} 1');
    expect(metric).toContain('mcp_canary_commands_total{subcommand="help"} 1');
  });
});

describe('status', () => {
  it('answers in the ack itself when the report is ready in time', async () => {
    const h = handlerKit();
    h.holdAt(5);
    const c = await command(h, 'status');
    expect(c.ack).toHaveBeenCalledTimes(1);
    const answer = arg(c.ack);
    expect(answer).toMatchObject({ response_type: 'ephemeral', text: 'GO: canary 5% (step 2 of 6) · next step 10% can be requested' });
    expect(answer.blocks[0]).toMatchObject({ type: 'header', text: { text: 'MCP canary status' } });
    expect(blocksJson(answer)).toContain('"action_id":"canary_rollback"');
    expect(blocksJson(answer)).toContain('"action_id":"canary_request_next"');
    expect(c.respond).not.toHaveBeenCalled();
  });

  it('acks at once and answers on the response_url when a source is slow', async () => {
    const h = handlerKit({}, { statusInAckMs: 20 });
    const instant = h.metrics.instant.bind(h.metrics);
    h.metrics.instant = async (query: string) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return instant(query);
    };
    const c = await command(h, 'status');
    expect(c.ack.mock.calls).toEqual([[undefined]]);
    expect(h.calls).toEqual(['ack', 'respond']);
    expect(arg(c.respond)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^GO: canary 0%/) });
  });
});

describe('promote and weight', () => {
  it('acks before anything else, posts the approval request in SLACK_CHANNEL and confirms to the requester', async () => {
    const h = handlerKit();
    h.holdAt(5);
    const c = await command(h, 'promote');
    expect(c.ackedAtOnce).toBe(true);
    expect(arg(c.ack)).toBeUndefined();
    expect(h.calls).toEqual(['ack', 'chat.postMessage', 'respond']);
    const post = arg(h.client.chat.postMessage);
    expect(post).toMatchObject({ channel: CHANNEL, text: expect.stringMatching(/^Approval needed: canary 5% → 10%, requested by <@U0ALICE>/) });
    expect(blocksJson(post)).toContain('"action_id":"canary_approve"');
    expect(arg(c.respond)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Approval request posted for canary 5% → 10%/) });
    // The request knows where its message is, so decisions update it in place.
    expect(await h.store.getPendingRequest()).toMatchObject({ channel: CHANNEL, messageTs: '1800000000.000001' });
  });

  it('withdraws the request when Slack refuses its message, and tells the requester', async () => {
    const h = handlerKit();
    h.holdAt(5);
    h.client.chat.postMessage.mockRejectedValueOnce(slackError('not_in_channel'));
    const c = await command(h, 'promote');
    expect(arg(c.respond).text).toBe(':warning: The request could not be posted in <#C0ONCALL> (is the bot a member of the channel?). Nothing was requested.');
    expect(await h.store.getPendingRequest()).toBeUndefined();
    expect(h.logger.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'chat.postMessage failed', obj: expect.objectContaining({ err: 'not_in_channel' }) }));
  });

  it('answers a refusal (NO-GO) to the requester only', async () => {
    const h = handlerKit();
    h.holdAt(5);
    h.metrics.set(h.config.goNoGo.errorRateQuery, 0.01);
    const c = await command(h, 'weight 10');
    expect(h.client.chat.postMessage).not.toHaveBeenCalled();
    expect(arg(c.respond)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^NO-GO: canary 5% → 10% not requested/) });
  });

  it('announces a decrease in the channel', async () => {
    const h = handlerKit();
    h.holdAt(10);
    const c = await command(h, 'weight 5%');
    expect(arg(h.client.chat.postMessage)).toMatchObject({ channel: CHANNEL, text: 'Canary lowered 10% → 5%' });
    expect(c.respond).not.toHaveBeenCalled();
    expect(h.router.route.percent).toBe(5);
  });
});

describe('rollback', () => {
  it('acks before writing, rolls back and announces it in SLACK_CHANNEL', async () => {
    const h = handlerKit();
    h.holdAt(10);
    const c = await command(h, 'rollback p99 climbing');
    expect(c.ackedAtOnce).toBe(true);
    expect(h.writesAtAck).toBe(0);
    expect(h.router.route.percent).toBe(0);
    expect(h.client.chat.postMessage).toHaveBeenCalledTimes(1);
    expect(arg(h.client.chat.postMessage)).toMatchObject({ channel: CHANNEL, text: 'Canary rolled back to 0% from 10% by <@U0ALICE> (reason: p99 climbing)' });
    expect(arg(h.client.chat.postMessage).thread_ts).toBeUndefined();
    expect(c.respond).not.toHaveBeenCalled();
    expect(await h.ctx.metrics.registry.getSingleMetricAsString('mcp_canary_rollbacks_total')).toContain('mcp_canary_rollbacks_total{outcome="rolled-back",source="command"} 1');
  });

  it('announces in SLACK_CHANNEL and tells someone who asked from another channel where', async () => {
    const h = handlerKit({}, { commandChannels: [CHANNEL, OTHER_CHANNEL] });
    h.holdAt(10);
    const c = await command(h, 'rollback', { channel: OTHER_CHANNEL });
    expect(arg(h.client.chat.postMessage).channel).toBe(CHANNEL);
    expect(c.respond).toHaveBeenCalledWith(expect.objectContaining({ response_type: 'ephemeral', text: 'Rolled back: announced in <#C0ONCALL>.' }));
  });

  it('tells only the person who asked when there was nothing to do', async () => {
    const h = handlerKit();
    const c = await command(h, 'rollback');
    expect(h.client.chat.postMessage).not.toHaveBeenCalled();
    expect(arg(c.respond)).toMatchObject({ response_type: 'ephemeral', text: 'Already rolled back: the canary is at 0% with no routing rules' });
  });

  it('still tells the channel through the response_url when Slack refuses the post', async () => {
    const h = handlerKit();
    h.holdAt(10);
    h.client.chat.postMessage.mockRejectedValueOnce(slackError('ratelimited'));
    const c = await command(h, 'rollback');
    expect(h.router.route.percent).toBe(0);
    expect(arg(c.respond)).toMatchObject({ response_type: 'in_channel', text: 'Canary rolled back to 0% from 10% by <@U0ALICE>' });
  });

  it('cancels the pending request and updates its message', async () => {
    const h = handlerKit();
    h.holdAt(5);
    await command(h, 'promote');
    const request = await h.store.getPendingRequest();
    await command(h, 'rollback', { user: 'U0BOB' });
    expect(await h.store.getRequest(request!.id)).toMatchObject({ status: 'cancelled', decision: { kind: 'cancelled', cause: 'rolled-back' } });
    expect(arg(h.client.chat.update)).toMatchObject({ channel: CHANNEL, ts: request!.messageTs, text: expect.stringMatching(/^Cancelled: canary 5% → 10%/) });
  });

  it('`weight 0` is a rollback, announced the same way', async () => {
    const h = handlerKit();
    h.holdAt(10);
    await command(h, 'weight 0');
    expect(arg(h.client.chat.postMessage).text).toBe('Canary rolled back to 0% from 10% by <@U0ALICE> (reason: weight 0 requested)');
  });
});

describe('the other subcommands', () => {
  it('history: the audited actions, to the asker only', async () => {
    const h = handlerKit();
    h.holdAt(10);
    await command(h, 'rollback');
    const c = await command(h, 'history');
    expect(arg(c.respond)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Canary audit history: 1 entry, latest /) });
  });

  it('digest: posts it in SLACK_CHANNEL with its chart in the thread', async () => {
    const h = handlerKit();
    const c = await command(h, 'digest');
    expect(arg(h.client.chat.postMessage)).toMatchObject({ channel: CHANNEL, text: expect.stringContaining('digest') });
    expect(arg(h.client.filesUploadV2)).toMatchObject({ channel_id: CHANNEL, thread_ts: '1800000000.000001', file: Buffer.from('\x89PNG chart') });
    expect(c.respond).toHaveBeenCalledWith(expect.objectContaining({ response_type: 'ephemeral', text: 'Digest posted in <#C0ONCALL>.' }));
    // The chart's title is worded by the digest view, with the phase.
    expect(arg(h.ctx.renderChart as never)).toMatchObject({ title: expect.stringMatching(/^Go\/no-go, last 48 h \(shadow/) });
  });

  it('digest: still posts when the chart fails, and says so', async () => {
    const h = handlerKit({}, { renderChart: vi.fn(async () => Promise.reject(new Error('resvg: out of memory'))) });
    const c = await command(h, 'digest');
    expect(h.client.chat.postMessage).toHaveBeenCalledTimes(1);
    expect(h.client.filesUploadV2).not.toHaveBeenCalled();
    expect(arg(c.respond).text).toBe('Digest posted in <#C0ONCALL> (without its chart: see the message).');
  });

  it('shadow status, and shadow on|off: the confirm for approvers, the rule for anyone else', async () => {
    const h = handlerKit();
    expect(arg((await command(h, 'shadow status')).respond)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Shadow mode OFF: /) });
    const confirm = arg((await command(h, 'shadow on', { user: 'U0BOB' })).respond);
    expect(confirm).toMatchObject({ text: 'Turn shadow mode on?' });
    expect(blocksJson(confirm)).toContain('"action_id":"canary_shadow_toggle"');
    expect(arg((await command(h, 'shadow on', { user: 'U0MALLORY' })).respond).text).toMatch(/^Refused: only approvers \(CANARY_APPROVERS\) may turn shadow mode on or off/);
    expect(h.cluster.writes).toEqual([]);
  });

  it('finalize: refused with the reason before 14 days at 100%', async () => {
    const h = handlerKit();
    h.holdAt(10);
    expect(arg((await command(h, 'finalize')).respond).text).toBe('Cleanup refused: the canary is at 10%, not 100%');
  });
});

describe('DRY_RUN', () => {
  it('marks every answer and announcement DRY RUN', async () => {
    const h = handlerKit({ DRY_RUN: 'true' });
    expect(arg((await command(h, 'help')).ack).text).toMatch(/^DRY RUN · Usage: /);
    expect(arg((await command(h, 'status')).ack).text).toMatch(/^DRY RUN · GO: /);
    expect(arg((await command(h, 'elsewhere', { channel: OTHER_CHANNEL })).ack).text).toMatch(/^DRY RUN · :no_entry: /);

    h.holdAt(10);
    await command(h, 'rollback');
    expect(arg(h.client.chat.postMessage).text).toMatch(/^DRY RUN · Canary rolled back to 0% from 10%/);
    expect(h.router.route.percent).toBe(10);

    h.holdAt(5);
    const promote = await command(h, 'promote');
    expect(arg(h.client.chat.postMessage, 1).text).toMatch(/^DRY RUN · Approval needed: /);
    expect(arg(promote.respond).text).toMatch(/^DRY RUN · Approval request posted/);
    expect(blocksJson(arg(promote.respond))).toContain('DRY RUN');
    expect(arg((await command(h, 'history')).respond).text).toMatch(/^DRY RUN · /);
  });
});

describe('errors from outside in answers', () => {
  it('a digest that could not be posted is answered with the error escaped (no ping, no disguised link)', async () => {
    const h = handlerKit();
    h.clock.now = () => {
      throw new Error('Prometheus said <!channel> <!subteam^S0ABC> <@U0ALICE> <https://evil.example|click>');
    };
    const args = commandArgs(h, 'digest');
    await run(mcpCanaryCommand(h.ctx), args);
    const answer = arg(args.respond);
    expect(answer.text).toContain('The digest could not be posted: Prometheus said &lt;!channel&gt; &lt;!subteam^S0ABC&gt; &lt;@U0ALICE&gt; &lt;https://evil.example|click&gt;');
    expect(JSON.stringify(answer)).not.toMatch(/<!channel>|<!subteam|<@U0ALICE>|<https:/);
  });
});
