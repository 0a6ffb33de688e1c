// `/mcp-canary ...`: parse, ack at once, then do the work and answer through response_url.
// `status` is the exception: its report is usually ready in milliseconds (shared between concurrent
// requests), so it answers in the ack itself, one HTTP exchange instead of two; only a slow source
// (Prometheus timing out) sends it down the response_url path.
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { sharedStatus } from '../../src/core/status.js';
import { settledWithin } from '../../src/settled-within.js';
import { markDryRun } from '../../views/blocks.js';
import { renderHelp, renderHistory, renderStatus, renderWeightChangeOutcome } from '../../views/index.js';
import { type HandlerContext } from '../context.js';
import { requestAndAnnounce, rollbackAndAnnounce } from '../announce.js';
import { diagnoseCommand } from '../diagnose.js';
import { renderDiagnoseRunning } from '../../views/diagnostics.js';
import { renderAnnouncedIn, renderDigestPosted, renderFailure, renderWrongChannel } from '../../views/replies.js';
import { describe } from '../../src/core/errors.js';
import { postDigest } from '../digest.js';
import { finalizeCommand, shadowConfirmReply, shadowStatusReply } from '../lifecycle.js';
import { parseCommand } from '../parse-command.js';
import { routeApplyConfirmReply, routeReply } from '../route.js';

const HISTORY_LIMIT = 20;

export function mcpCanaryCommand(ctx: HandlerContext) {
  // Concurrent `status` requests share one report (sharedStatus); they share its rendering too, which
  // was a sixth of the CPU of each answer under load.
  const renderedStatus = new WeakMap<object, ReturnType<typeof renderStatus>>();
  const renderStatusOnce = (report: Parameters<typeof renderStatus>[0]) => {
    let rendered = renderedStatus.get(report);
    if (!rendered) renderedStatus.set(report, (rendered = renderStatus(report)));
    return rendered;
  };
  return async (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const { command, client } = args;
    // Every answer says DRY RUN when the bot writes nothing (views that know better already say it).
    const dryRun = ctx.core.policy.dryRun;
    const ack = (answer?: { response_type: 'ephemeral'; text: string; blocks?: unknown[] }) => args.ack(answer && (markDryRun(answer, dryRun) as never));
    const respond = (answer: { response_type: 'ephemeral' | 'in_channel'; text: string; blocks?: unknown[] }) => args.respond(markDryRun(answer, dryRun) as never);
    const parsed = parseCommand(command.text);
    ctx.metrics.commands.inc({ subcommand: parsed.kind });

    if (ctx.commandChannels.length && !ctx.commandChannels.includes(command.channel_id)) {
      await ack({ response_type: 'ephemeral', ...renderWrongChannel(ctx.commandChannels) });
      return;
    }
    if (parsed.kind === 'help' || parsed.kind === 'invalid') {
      await ack({ response_type: 'ephemeral', ...renderHelp(parsed.kind === 'invalid' ? parsed.problem : undefined) });
      return;
    }
    if (parsed.kind === 'status') {
      const report = sharedStatus(ctx.core);
      const ready = await settledWithin(report, ctx.statusInAckMs);
      if (ready) {
        await ack({ response_type: 'ephemeral', ...renderStatusOnce(ready.value) });
        return;
      }
      await ack();
      await respond({ response_type: 'ephemeral', ...renderStatusOnce(await report) });
      return;
    }
    if (parsed.kind === 'diagnose') {
      // "Running" in the acknowledgement itself, within Slack's 3 s; the findings follow in a thread.
      await ack({ response_type: 'ephemeral', ...renderDiagnoseRunning(parsed.scope) });
      await diagnoseCommand(ctx, client, { actor: command.user_id, scope: parsed.scope, channel: command.channel_id }, respond);
      return;
    }
    await ack();

    const actor = command.user_id;
    const channel = command.channel_id;
    switch (parsed.kind) {
      case 'promote':
      case 'weight': {
        const target = parsed.kind === 'promote' ? ({ kind: 'next' } as const) : ({ kind: 'percent', percent: parsed.percent } as const);
        const result = await requestAndAnnounce(ctx, client, { actor, target, origin: { channel } });
        // Announced in the channel: the requester gets a short confirmation; otherwise the whole answer.
        const reply =
          result.reply ??
          (!result.announced || result.outcome.kind === 'requested' || (ctx.channel !== undefined && channel !== ctx.channel) ? renderWeightChangeOutcome(result.outcome) : undefined);
        if (reply) await respond({ response_type: 'ephemeral', ...reply });
        return;
      }
      case 'rollback': {
        const { outcome, posted, message } = await rollbackAndAnnounce(ctx, client, { actor, reason: parsed.reason, source: 'command', origin: { channel } });
        // Not in the channel (nothing changed, or the post failed: rate limit, bot not in channel): the person who asked still learns the outcome.
        if (!posted) await respond({ response_type: outcome.kind === 'already-rolled-back' ? 'ephemeral' : 'in_channel', ...message });
        else if (ctx.channel !== undefined && channel !== ctx.channel)
          await respond({ response_type: 'ephemeral', ...renderAnnouncedIn(outcome.kind === 'failed' ? 'Rollback FAILED' : 'Rolled back', ctx.channel) });
        return;
      }
      case 'history': {
        const { entries, storeError } = await ctx.core.audit.recent(HISTORY_LIMIT);
        await respond({ response_type: 'ephemeral', ...renderHistory(entries, { storeError, limit: HISTORY_LIMIT }) });
        return;
      }
      case 'digest': {
        const target = ctx.channel ?? channel;
        try {
          const { chart } = await postDigest(ctx, client, target);
          await respond({ response_type: 'ephemeral', ...renderDigestPosted(target, chart) });
        } catch (error) {
          await respond({ response_type: 'ephemeral', ...renderFailure('The digest could not be posted', describe(error)) });
        }
        return;
      }
      case 'shadow': {
        const reply = parsed.action === 'status' ? await shadowStatusReply(ctx) : await shadowConfirmReply(ctx, actor, parsed.action === 'on');
        await respond({ response_type: 'ephemeral', ...reply });
        return;
      }
      case 'route':
        await respond({ response_type: 'ephemeral', ...(parsed.action === 'show' ? await routeReply(ctx) : await routeApplyConfirmReply(ctx, actor)) });
        return;
      case 'finalize':
        await respond({ response_type: 'ephemeral', ...(await finalizeCommand(ctx, client, actor, ctx.channel ?? channel)) });
        return;
    }
  };
}
