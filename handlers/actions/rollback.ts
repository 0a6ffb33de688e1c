// Every Rollback button (status, approval request, alert message). Slack's confirm dialog already asked.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { acknowledgeAlertGroup } from '../../src/core/alerts.js';
import type { RollbackSource } from '../../src/core/entities.js';
import { rollbackAndAnnounce } from '../announce.js';
import type { HandlerContext } from '../context.js';
import { tellClicker } from '../reply.js';

export function rollbackButton(ctx: HandlerContext) {
  return async ({ ack, body, action, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const [prefix, ref] = (action.value ?? '').split(':');
    const source = sourceOf(prefix);
    // Alert messages get the outcome in their thread (also shown in the channel); elsewhere it goes to SLACK_CHANNEL.
    const origin = { channel: body.channel?.id, threadTs: source === 'alert' ? body.message?.ts : undefined };
    const { outcome, posted, message } = await rollbackAndAnnounce(ctx, client, { actor: body.user.id, source, origin });
    // Not announced (nothing changed, or the post failed: rate limit, bot not in channel), clicked in the App Home
    // or in another channel: the person who clicked still learns the outcome where they are.
    const elsewhere = origin.channel !== undefined && origin.channel !== ctx.channel;
    if (!posted || elsewhere || body.view?.type === 'home') {
      const inChannel = !posted && outcome.kind !== 'already-rolled-back' && !!body.response_url;
      await tellClicker(ctx, { body, respond, client }, message, { inChannel });
    }
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
