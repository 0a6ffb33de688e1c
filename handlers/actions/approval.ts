// Approve and Reject on an approval request message. The core enforces the two-person rule; this
// listener acks, calls it, updates the request message in place and tells the clicker privately.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { approveRequest, rejectRequest, type DecisionOutcome } from '../../src/core/approvals.js';
import { renderDecisionReply } from '../../views/index.js';
import { refreshRequestMessage } from '../announce.js';
import type { WebClient } from '@slack/web-api';
import { renderCleanupStep } from '../../views/lifecycle.js';
import { postToChannel, type HandlerContext } from '../context.js';
import { tellClicker } from '../reply.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function approveButton(ctx: HandlerContext) {
  return decisionListener(ctx, (requestId, actor, client) =>
    approveRequest(
      ctx.core,
      { requestId, actor },
      {
        // Cleanup steps are reported in the request's thread as they complete.
        onFinalizeStep: async (request, result, index, total) => {
          if (request.channel && request.messageTs) await postToChannel(ctx, client, request.channel, renderCleanupStep(result, index, total), request.messageTs);
        },
      },
    ),
  );
}

export function rejectButton(ctx: HandlerContext) {
  return decisionListener(ctx, (requestId, actor) => rejectRequest(ctx.core, { requestId, actor }));
}

function decisionListener(ctx: HandlerContext, decide: (requestId: string, actor: string, client: WebClient) => Promise<DecisionOutcome>) {
  return async ({ ack, body, action, respond, client }: ButtonArgs): Promise<void> => {
    await ack();
    const outcome = await decide(action.value ?? '', body.user.id, client);
    ctx.metrics.approvals.inc({ outcome: outcome.kind });
    if ('request' in outcome && ['applied', 'refused', 'failed', 'rejected', 'expired', 'already-decided'].includes(outcome.kind)) {
      const fallback = body.channel?.id && body.message?.ts ? { channel: body.channel.id, ts: body.message.ts } : undefined;
      await refreshRequestMessage(ctx, client, outcome.request, fallback);
    }
    await tellClicker(ctx, { body, respond, client }, renderDecisionReply(outcome));
  };
}
