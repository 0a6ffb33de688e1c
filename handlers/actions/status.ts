// Buttons on the status message: refresh it in place, or request the next ramp step.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { sharedStatus } from '../../src/core/status.js';
import { renderStatus, renderWeightChangeOutcome } from '../../views/index.js';
import { requestAndAnnounce } from '../announce.js';
import type { HandlerContext } from '../context.js';
import { tellClicker } from '../reply.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function refreshStatusButton(ctx: HandlerContext) {
  return async ({ ack, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const report = await sharedStatus(ctx.core);
    await respond({ replace_original: true, ...renderStatus(report) });
  };
}

export function requestNextStepButton(ctx: HandlerContext) {
  return async ({ ack, body, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    // "Next" is re-derived from the live weight: the button may be old and the weight may have moved.
    const result = await requestAndAnnounce(ctx, client, { actor: body.user.id, target: { kind: 'next' }, origin: { channel: body.channel?.id } });
    const reply = result.reply ?? renderWeightChangeOutcome(result.outcome);
    await tellClicker(ctx, { body, respond, client }, reply);
  };
}
