// Slack, for the command line: one try, a short timeout, never on the rollback's path. This module (and with it
// @slack/web-api) is loaded only once the rollback is done (src/cli/run.ts imports it then).
import { WebClient } from '@slack/web-api';
import type { Logger as PinoLogger } from 'pino';
import { boltLoggerFrom } from '../adapters/logging.js';
import type { Config } from '../config.js';
import type { ApprovalRequest, RollbackOutcome } from '../core/entities.js';
import { markDryRun } from '../../views/blocks.js';
import { renderDecidedRequest, renderRollbackOutcome } from '../../views/index.js';

/** How long a Slack call may take before the command line gives up on it (no retries). */
export const SLACK_TIMEOUT_MS = 2500;

export type Announcement = { kind: 'posted'; channel: string } | { kind: 'not-posted'; why: string } | { kind: 'not-needed' };

export async function createSlackClient(config: Config, logger: PinoLogger): Promise<WebClient | undefined> {
  if (!config.slack.botToken) return undefined;
  return new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    timeout: SLACK_TIMEOUT_MS,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: boltLoggerFrom(logger),
  });
}

function slackError(error: unknown): string {
  const e = error as { data?: { error?: string }; message?: string };
  return e?.data?.error ?? e?.message ?? String(error);
}

/**
 * The rollback's message in SLACK_CHANNEL, as the bot posts it (views/rollback.ts). "Already rolled back"
 * changed nothing: like the bot, nobody else needs to hear it.
 */
export async function announceRollback(client: WebClient | Error | undefined, config: Config, outcome: RollbackOutcome): Promise<Announcement> {
  if (outcome.kind === 'already-rolled-back') return { kind: 'not-needed' };
  if (!client) return { kind: 'not-posted', why: 'SLACK_BOT_TOKEN is not set' };
  if (client instanceof Error) return { kind: 'not-posted', why: `Slack's client could not be made (${client.message})` };
  const channel = config.slack.channel;
  if (!channel) return { kind: 'not-posted', why: 'SLACK_CHANNEL is not set' };
  const message = renderRollbackOutcome(outcome);
  try {
    await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false });
    return { kind: 'posted', channel };
  } catch (error) {
    return { kind: 'not-posted', why: `Slack did not take it (${slackError(error)})` };
  }
}

/** The cancelled request's message, updated in place as the bot does after a rollback. Best effort. */
export async function updateRequestMessage(client: WebClient | undefined, request: ApprovalRequest, dryRun: boolean, logger: PinoLogger): Promise<void> {
  if (!client || !request.channel || !request.messageTs) return;
  const message = markDryRun(renderDecidedRequest(request, { dryRun }), dryRun);
  try {
    await client.chat.update({ channel: request.channel, ts: request.messageTs, text: message.text, blocks: message.blocks });
  } catch (error) {
    logger.warn({ err: slackError(error), requestId: request.id }, 'could not update the cancelled request message in Slack');
  }
}
