// Every Rollback button (status, approval request, alert message). Slack's confirm dialog already asked.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { RollbackSource } from '../../src/core/rollback.js';
import { rollbackAndAnnounce } from '../announce.js';
import type { HandlerContext } from '../context.js';

export function rollbackButton(ctx: HandlerContext) {
  return async ({ ack, body, action, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const source = sourceOf(action.value);
    const channel = body.channel?.id ?? ctx.channel;
    if (!channel) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: ':warning: No channel to report the rollback in; nothing was done.' });
      return;
    }
    // Alert messages get the outcome in their thread; elsewhere it goes to the channel.
    const threadTs = source === 'alert' ? body.message?.ts : undefined;
    const { posted, message } = await rollbackAndAnnounce(ctx, client, { actor: body.user.id, source, channel, threadTs });
    if (!posted) await respond({ response_type: 'in_channel', replace_original: false, ...message });
  };
}

function sourceOf(value: string | undefined): RollbackSource {
  const prefix = (value ?? '').split(':')[0];
  return prefix === 'approval' || prefix === 'alert' || prefix === 'status' ? prefix : 'status';
}
