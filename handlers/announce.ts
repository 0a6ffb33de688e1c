// The state changes that more than one listener triggers (command and button): announced the same way.
import type { WebClient } from '@slack/web-api';
import { attachRequestMessage, requestWeightChange, withdrawUnpostedRequest, type WeightChangeOutcome, type WeightTarget } from '../src/core/approvals.js';
import { type ApprovalRequest, type RollbackOutcome, type RollbackSource } from '../src/core/entities.js';
import { cancelPendingAfterRollback, rollbackCanary } from '../src/core/rollback.js';
import { renderApprovalRequest, renderDecidedRequest, renderRollbackOutcome, renderWeightChangeOutcome } from '../views/index.js';
import { renderRequestNotPosted } from '../views/replies.js';
import { postToChannel, updateMessage, type HandlerContext, type SlackMessage } from './context.js';

/** Where a change was asked for: the channel of the command or click, and the alert thread if any. */
export interface Origin {
  channel?: string;
  /** An alert message in SLACK_CHANNEL: the announcement goes in its thread, broadcast to the channel. */
  threadTs?: string;
}

/**
 * Rollback, then tell the channel. `posted` is false when the channel did not get it (nothing changed, or
 * Slack refused the post): the returned message is then for whoever asked.
 */
export async function rollbackAndAnnounce(
  ctx: HandlerContext,
  client: WebClient,
  input: { actor: string; reason?: string; source: RollbackSource; origin: Origin },
): Promise<{ outcome: RollbackOutcome; posted: boolean; message: SlackMessage }> {
  const outcome = await rollbackCanary(ctx.core, { actor: input.actor, reason: input.reason, source: input.source });
  return announceRollback(ctx, client, outcome, input.origin);
}

/** SLACK_CHANNEL hears of every change (the audit's channel), wherever it was asked for. */
export function announcementChannel(ctx: HandlerContext, origin: Origin): string | undefined {
  return ctx.channel ?? origin.channel;
}

export async function announceRollback(
  ctx: HandlerContext,
  client: WebClient,
  outcome: RollbackOutcome,
  origin: Origin,
  message: SlackMessage = renderRollbackOutcome(outcome),
): Promise<{ outcome: RollbackOutcome; posted: boolean; message: SlackMessage }> {
  ctx.metrics.rollbacks.inc({ outcome: outcome.kind, source: outcome.source });
  const channel = announcementChannel(ctx, origin);
  // "Already rolled back" changed nothing: only the person who asked needs to hear it.
  const announce = channel !== undefined && outcome.kind !== 'already-rolled-back';
  const threadTs = origin.channel === channel ? origin.threadTs : undefined;
  const posted = announce && (await postToChannel(ctx, client, channel, message, threadTs, { broadcast: true })) !== undefined;
  if (outcome.kind !== 'already-rolled-back' && outcome.kind !== 'failed') {
    const cancelled = await cancelPendingAfterRollback(ctx.core, outcome.actor);
    if (cancelled) await refreshRequestMessage(ctx, client, cancelled);
  }
  return { outcome, posted, message };
}

/** promote / weight N / "Request next step": posts the approval request in SLACK_CHANNEL. */
export async function requestAndAnnounce(
  ctx: HandlerContext,
  client: WebClient,
  input: { actor: string; target: WeightTarget; origin: Origin },
): Promise<{ outcome: WeightChangeOutcome; reply?: SlackMessage; announced?: SlackMessage }> {
  const outcome = await requestWeightChange(ctx.core, { actor: input.actor, target: input.target });
  const channel = announcementChannel(ctx, input.origin);
  if (outcome.kind === 'rollback') {
    const { posted, message } = await announceRollback(ctx, client, outcome.rollback, input.origin);
    return { outcome, announced: posted ? message : undefined, reply: posted ? undefined : message };
  }
  if (outcome.kind === 'requested') {
    if (outcome.expired) await refreshRequestMessage(ctx, client, outcome.expired);
    const message = renderApprovalRequest(outcome.request, { dryRun: ctx.core.policy.dryRun });
    const posted = channel !== undefined && (await postRequestMessage(ctx, client, outcome.request, channel, message));
    return posted ? { outcome, announced: message } : { outcome, reply: renderRequestNotPosted(channel) };
  }
  if (outcome.kind === 'decreased') {
    // Decreases need no approval but the channel should still see them.
    const message = renderWeightChangeOutcome(outcome);
    const posted = channel !== undefined && (await postToChannel(ctx, client, channel, message)) !== undefined;
    return { outcome, announced: posted ? message : undefined, reply: posted ? undefined : message };
  }
  return { outcome };
}

/**
 * Posts an approval request's message and records where it is. A request nobody can see must not block
 * the next one: if Slack refuses the post, the request is withdrawn (and audited) and false is returned.
 */
export async function postRequestMessage(ctx: HandlerContext, client: WebClient, request: ApprovalRequest, channel: string, message: SlackMessage): Promise<boolean> {
  const ts = await postToChannel(ctx, client, channel, message);
  if (!ts) {
    await withdrawUnpostedRequest(ctx.core, request.id, channel);
    return false;
  }
  await attachRequestMessage(ctx.core, request.id, channel, ts).catch((error: unknown) =>
    ctx.logger.warn({ err: String(error), requestId: request.id }, 'could not record the request message'),
  );
  return true;
}

/** Re-renders a request's channel message from its stored state. */
export async function refreshRequestMessage(ctx: HandlerContext, client: WebClient, request: ApprovalRequest, fallback?: { channel: string; ts: string }): Promise<void> {
  const channel = request.channel ?? fallback?.channel;
  const ts = request.messageTs ?? fallback?.ts;
  if (!channel || !ts) return;
  const message = request.status === 'pending' ? renderApprovalRequest(request, { dryRun: ctx.core.policy.dryRun }) : renderDecidedRequest(request, { dryRun: ctx.core.policy.dryRun });
  await updateMessage(ctx, client, channel, ts, message);
}
