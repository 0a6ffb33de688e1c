// Telling the person who clicked. Buttons on messages come with a response_url; buttons in the App Home
// tab do not, so there the answer is an ephemeral message in the channel, and the tab is republished.
import type { BlockAction, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { describeSlackError, type HandlerContext, type SlackMessage } from './context.js';
import { publishHome } from './events/app-home.js';
import { markDryRun } from '../views/blocks.js';

export interface ClickArgs {
  body: BlockAction;
  respond?: RespondFn;
  client: WebClient;
}

export async function tellClicker(ctx: HandlerContext, args: ClickArgs, unmarked: SlackMessage, options: { replaceOriginal?: boolean; inChannel?: boolean } = {}): Promise<void> {
  const { body, respond, client } = args;
  const message = markDryRun(unmarked, ctx.core.policy.dryRun);
  try {
    if (body.response_url && respond) {
      await respond({
        response_type: options.inChannel ? 'in_channel' : 'ephemeral',
        replace_original: options.replaceOriginal ?? false,
        text: message.text,
        blocks: message.blocks as never,
      });
    } else if (ctx.channel) {
      if (options.inChannel) await client.chat.postMessage({ channel: ctx.channel, text: message.text, blocks: message.blocks as never });
      else await client.chat.postEphemeral({ channel: ctx.channel, user: body.user.id, text: message.text, blocks: message.blocks as never });
    }
  } catch (error) {
    ctx.logger.warn({ err: describeSlackError(error), user: body.user.id }, 'could not answer the person who clicked');
  }
  if (body.view?.type === 'home') await publishHome(ctx, client, body.user.id);
}
