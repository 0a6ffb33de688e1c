// Every Rollback button (status, approval request, alert message). Slack's confirm dialog already asked.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { acknowledgeAlertGroup } from '../../src/core/alerts.js';
import type { RollbackSource } from '../../src/core/rollback.js';
import { rollbackAndAnnounce } from '../announce.js';
import type { HandlerContext } from '../context.js';
import { tellClicker } from '../reply.js';

export function rollbackButton(ctx: HandlerContext) {
  return async ({ ack, body, action, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const [prefix, ref] = (action.value ?? '').split(':');
    const source = sourceOf(prefix);
    const channel = body.channel?.id ?? ctx.channel;
    if (!channel) {
      await tellClicker(ctx, { body, respond, client }, { text: ':warning: No channel to report the rollback in; nothing was done.' });
      return;
    }
    // Alert messages get the outcome in their thread; elsewhere it goes to the channel.
    const threadTs = source === 'alert' ? body.message?.ts : undefined;
    const { outcome, posted, message } = await rollbackAndAnnounce(ctx, client, { actor: body.user.id, source, channel, threadTs });
    // If the channel post failed (rate limit, bot not in channel), the person who clicked still learns the outcome.
    if (!posted || body.view?.type === 'home') await tellClicker(ctx, { body, respond, client }, message, { inChannel: !posted && !!body.response_url });
    // Rolling back from an alert is handling it: that acknowledges the group and stops its escalation.
    if (source === 'alert' && ref && outcome.kind !== 'failed') {
      await acknowledgeAlertGroup(ctx.core, { groupId: ref, actor: body.user.id, via: 'rollback' }).catch((error: unknown) =>
        ctx.logger.warn({ err: String(error) }, 'could not record the acknowledgement of the rollback'),
      );
    }
  };
}

function sourceOf(prefix: string | undefined): RollbackSource {
  return prefix === 'approval' || prefix === 'alert' || prefix === 'home' || prefix === 'digest' || prefix === 'status' ? prefix : 'status';
}
