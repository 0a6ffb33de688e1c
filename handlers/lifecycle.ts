// Shadow mode and the post-migration cleanup, as the channel sees them.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { requestFinalize } from '../src/core/finalize.js';
import { describe } from '../src/core/errors.js';
import { readShadowStatus, setShadowMode } from '../src/core/shadow.js';
import { renderApprovalRequest } from '../views/index.js';
import { renderCleanupRequested, renderPendingExists, renderProblem, renderRequestNotPosted } from '../views/replies.js';
import { mayChangeProduction } from '../src/core/permissions.js';
import { renderCleanupPlan, renderNotApprover, renderRollout, renderShadowConfirm, renderShadowStatus, renderShadowToggled } from '../views/lifecycle.js';
import { postRequestMessage } from './announce.js';
import { postToChannel, updateMessage, type HandlerContext, type SlackMessage } from './context.js';
import { tellClicker } from './reply.js';

export async function shadowStatusReply(ctx: HandlerContext): Promise<SlackMessage> {
  const status = await readShadowStatus(ctx.core, ctx.core.policy.shadow);
  return renderShadowStatus(status, { dryRun: ctx.core.policy.dryRun });
}

/** `shadow on|off`: the confirm dialog for approvers; anyone else is told the rule at once. */
export async function shadowConfirmReply(ctx: HandlerContext, actor: string, enabled: boolean): Promise<SlackMessage> {
  const dryRun = ctx.core.policy.dryRun;
  const allowed = await mayChangeProduction(ctx.core, actor, 'shadow');
  if (allowed !== true) return allowed.kind === 'not-approver' ? renderNotApprover(allowed.rule, { dryRun }) : renderProblem(allowed.message);
  return renderShadowConfirm(enabled, ctx.core.cluster.targets.pythonDeployment, dryRun);
}

export interface RolloutWatch {
  intervalMs: number;
  timeoutMs: number;
}

/** The button of the confirm message: set the env, announce it, follow the rollout in the thread. */
export function shadowToggleButton(ctx: HandlerContext, watch: RolloutWatch) {
  return async ({ ack, body, action, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const enabled = action.value === 'on';
    const deployment = ctx.core.cluster.targets.pythonDeployment;
    const outcome = await setShadowMode(ctx.core, ctx.core.policy.shadow, { actor: body.user.id, enabled });
    const message = renderShadowToggled(outcome, body.user.id, deployment, { dryRun: ctx.core.policy.dryRun });
    if (outcome.kind !== 'changed') {
      await tellClicker(ctx, { body, respond, client }, message, { replaceOriginal: true });
      return;
    }
    await tellClicker(ctx, { body, respond, client }, { text: `Shadow mode ${enabled ? 'on' : 'off'}: announced in the channel.` }, { replaceOriginal: true });
    const channel = ctx.channel ?? body.channel?.id;
    if (!channel) return;
    const ts = await postToChannel(ctx, client, channel, message);
    if (ts) void followRollout(ctx, client, channel, ts, deployment, watch);
  };
}

/** Posts the rollout's progress in the thread and updates it until complete (or the watch times out). */
export async function followRollout(ctx: HandlerContext, client: WebClient, channel: string, threadTs: string, deployment: string, watch: RolloutWatch): Promise<void> {
  const started = Date.now();
  let progressTs: string | undefined;
  for (;;) {
    const readiness = await ctx.core.cluster.readDeployment(deployment).catch((error: unknown) => ({ error: describe(error) }));
    const done = !('error' in readiness) && readiness.rolloutComplete;
    const timedOut = Date.now() - started >= watch.timeoutMs;
    const message = renderRollout(readiness, done ? 'done' : timedOut ? 'timeout' : 'progress');
    if (!progressTs) progressTs = await postToChannel(ctx, client, channel, message, threadTs);
    else await updateMessage(ctx, client, channel, progressTs, message);
    if (done || timedOut || 'error' in readiness) return;
    await new Promise((resolve) => setTimeout(resolve, watch.intervalMs));
  }
}

/** `/mcp-canary finalize`: refused with the reason, or a cleanup request posted for approval. */
export async function finalizeCommand(ctx: HandlerContext, client: WebClient, actor: string, channel: string): Promise<SlackMessage> {
  const outcome = await requestFinalize(ctx.core, { actor });
  switch (outcome.kind) {
    case 'refused':
      return renderCleanupPlan(outcome.plan ?? [], outcome.reason);
    case 'pending-exists':
      return renderPendingExists(outcome.pending);
    case 'unavailable':
      return renderProblem(outcome.message);
    case 'requested': {
      const request = renderApprovalRequest(outcome.request, { dryRun: ctx.core.policy.dryRun });
      const plan = renderCleanupPlan(outcome.plan);
      const posted = await postRequestMessage(ctx, client, outcome.request, channel, { text: request.text, blocks: [...plan.blocks!, ...request.blocks] });
      return posted ? renderCleanupRequested() : renderRequestNotPosted(channel, 'cleanup request');
    }
  }
}
