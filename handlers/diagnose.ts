// `/mcp-canary diagnose [traffic|shadow|mismatches]` and the Diagnose button of shadow alerts. Read-only, open
// to anyone in the channel. The command's acknowledgement says "running" (within Slack's 3 s, before anything
// is read); then a short message "Diagnosis (scope) by @user" goes to the channel and the findings, one
// message per scope, to its thread; the button does the same in the alert's thread. The short message is
// updated with the summary once the findings are in.
import type { AllMiddlewareArgs, BlockButtonAction, RespondFn, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { diagnose, parseScope } from '../src/core/diagnostics.js';
import type { DiagnoseScope, Diagnosis } from '../src/core/entities.js';
import { describe } from '../src/core/errors.js';
import { renderDiagnosis, renderDiagnosisHead, renderScopeFindings } from '../views/diagnostics.js';
import { renderFailure } from '../views/replies.js';
import { postToChannel, updateMessage, type HandlerContext } from './context.js';
import { tellClicker } from './reply.js';

/** Where the findings go: a new message in `channel` (the command), or the thread of an existing one (an alert). */
export interface DiagnosisTarget {
  channel: string;
  /** The alert message whose thread gets the diagnosis. */
  threadTs?: string;
}

export interface DiagnosisRun {
  diagnosis: Diagnosis;
  /** The findings are in the thread (false: Slack refused the posts; the caller tells the person who asked). */
  posted: boolean;
}

/** Runs the diagnosis and posts it: the head message, the findings in its thread (or the alert's), the head updated with the summary. */
export async function runAndPostDiagnosis(ctx: HandlerContext, client: WebClient, input: { actor: string; scope?: DiagnoseScope; target: DiagnosisTarget }): Promise<DiagnosisRun> {
  const { actor, scope, target } = input;
  const fromAlert = target.threadTs !== undefined;
  const headTs = await postToChannel(ctx, client, target.channel, renderDiagnosisHead({ scope, actor, fromAlert }), target.threadTs);
  const diagnosis = await diagnose(ctx.core, scope);
  ctx.logger.info(
    { actor, scope: diagnosis.scope, failing: diagnosis.findings.filter((f) => !f.pass).map((f) => f.check), tookMs: diagnosis.tookMs },
    'diagnosis run',
  );
  const threadTs = target.threadTs ?? headTs;
  if (headTs === undefined || threadTs === undefined) return { diagnosis, posted: false };
  let posted = true;
  for (const s of diagnosis.scopes) {
    if ((await postToChannel(ctx, client, target.channel, renderScopeFindings(diagnosis, s), threadTs)) === undefined) posted = false;
  }
  await updateMessage(ctx, client, target.channel, headTs, renderDiagnosisHead({ scope, actor, diagnosis, fromAlert }));
  return { diagnosis, posted };
}

/** The slash command, after its "running" acknowledgement. */
export async function diagnoseCommand(
  ctx: HandlerContext,
  client: WebClient,
  input: { actor: string; scope?: DiagnoseScope; channel: string },
  respond: (answer: { response_type: 'ephemeral'; text: string; blocks?: unknown[] }) => Promise<unknown>,
): Promise<void> {
  try {
    const run = await runAndPostDiagnosis(ctx, client, { actor: input.actor, scope: input.scope, target: { channel: input.channel } });
    // Slack refused the thread (bot not in the channel, rate limit): the person who asked still gets the findings.
    if (!run.posted) await respond({ response_type: 'ephemeral', ...renderDiagnosis(run.diagnosis) });
  } catch (error) {
    ctx.logger.error({ err: describe(error) }, 'diagnosis failed');
    await respond({ response_type: 'ephemeral', ...renderFailure('The diagnosis failed', describe(error)) });
  }
}

/** The Diagnose button of an alert message: value "<scope>:<alert group id>"; the findings go to the alert's thread. */
export function diagnoseButton(ctx: HandlerContext) {
  return async ({ ack, body, action, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const value = action.value ?? '';
    const separator = value.indexOf(':');
    const scope = parseScope(separator === -1 ? value : value.slice(0, separator));
    const groupId = separator === -1 ? '' : value.slice(separator + 1);
    if (scope === null) {
      await tellClicker(ctx, { body, respond, client }, { text: 'This Diagnose button is not one the bot knows: run `/mcp-canary diagnose` instead.' });
      return;
    }
    // The alert message of the group (its thread), else the message the button is on.
    const record = groupId ? await ctx.core.store.getAlertGroup(groupId).catch(() => undefined) : undefined;
    const channel = record?.channel ?? body.channel?.id ?? ctx.channel;
    const threadTs = record?.ts ?? body.message?.thread_ts ?? body.message?.ts ?? body.container?.message_ts;
    if (!channel || !threadTs) {
      await answerWithFindings(ctx, { body, respond, client }, await diagnose(ctx.core, scope));
      return;
    }
    const run = await runAndPostDiagnosis(ctx, client, { actor: body.user.id, scope, target: { channel, threadTs: String(threadTs) } });
    if (!run.posted) await answerWithFindings(ctx, { body, respond, client }, run.diagnosis);
  };
}

async function answerWithFindings(ctx: HandlerContext, args: { body: BlockButtonAction; respond?: RespondFn; client: WebClient }, diagnosis: Diagnosis): Promise<void> {
  await tellClicker(ctx, args, renderDiagnosis(diagnosis));
}
