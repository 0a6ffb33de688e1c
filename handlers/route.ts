// `/mcp-canary route` and `route apply`, and the "Put the canary route back" button: the live route, and
// putting the canary route back at 0% (approvers only, checked at the command and again at the click).
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { mayChangeProduction } from '../src/core/permissions.js';
import { putCanaryRouteInPlace, readRouteReport } from '../src/core/route.js';
import { renderNotApprover } from '../views/lifecycle.js';
import { renderProblem } from '../views/replies.js';
import { renderRoute, renderRouteApplied, renderRouteApplyConfirm } from '../views/route.js';
import { announcementChannel } from './announce.js';
import { postToChannel, type HandlerContext, type SlackMessage } from './context.js';
import { tellClicker } from './reply.js';

export async function routeReply(ctx: HandlerContext): Promise<SlackMessage> {
  return renderRoute(await readRouteReport(ctx.core), { dryRun: ctx.core.policy.dryRun });
}

/** `route apply`: the confirm dialog for approvers; anyone else is told the rule at once. */
export async function routeApplyConfirmReply(ctx: HandlerContext, actor: string): Promise<SlackMessage> {
  const dryRun = ctx.core.policy.dryRun;
  const allowed = await mayChangeProduction(ctx.core, actor, 'route-apply');
  if (allowed !== true) return allowed.kind === 'not-approver' ? renderNotApprover(allowed.rule, { dryRun }) : renderProblem(allowed.message);
  return renderRouteApplyConfirm(ctx.core.router.ref, { dryRun });
}

/** The button (after Slack's confirm dialog): put it back, announce it in the channel, answer the clicker. */
export function routeApplyButton(ctx: HandlerContext) {
  return async ({ ack, body, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const outcome = await putCanaryRouteInPlace(ctx.core, { actor: body.user.id });
    const message = renderRouteApplied(outcome);
    const channel = announcementChannel(ctx, { channel: body.channel?.id });
    const posted = outcome.kind === 'applied' && channel !== undefined && (await postToChannel(ctx, client, channel, message)) !== undefined;
    await tellClicker(ctx, { body, respond, client }, posted ? { text: 'Canary route put back: announced in the channel.' } : message);
  };
}
