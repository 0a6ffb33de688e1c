// What every listener gets: the core's dependencies, the bot's metrics and logger, the channel policy.
import type { WebClient } from '@slack/web-api';
import type { AlertDeps } from '../src/core/deps.js';
import type { GoNoGoChartData } from '../src/core/digest.js';
import type { Logger } from '../src/core/ports.js';
import type { BotMetrics } from '../src/adapters/metrics.js';
import { markDryRun } from '../views/blocks.js';

export interface HandlerContext {
  /** The core's dependencies, alert handling included. */
  core: AlertDeps;
  metrics: BotMetrics;
  logger: Logger;
  /** SLACK_CHANNEL: where requests, rollbacks, alerts and digests are announced. */
  channel?: string;
  /** Channels where commands are accepted; empty = anywhere. */
  commandChannels: string[];
  /** The chart adapter: go/no-go data in, PNG bytes out. */
  renderChart: (data: GoNoGoChartData) => Promise<Buffer>;
  /** How long `status` may wait for its report to answer in the ack itself, before falling back to response_url. */
  statusInAckMs: number;
}

export type SlackMessage = { text: string; blocks?: unknown[] };

/** Posts to a channel and returns the message ts, or undefined (logged) when Slack refused. */
export async function postToChannel(
  ctx: HandlerContext,
  client: WebClient,
  channel: string,
  message: SlackMessage,
  threadTs?: string,
  options: { broadcast?: boolean } = {},
): Promise<string | undefined> {
  try {
    const marked = markDryRun(message, ctx.core.policy.dryRun);
    const base = { channel, text: marked.text, blocks: marked.blocks as never, unfurl_links: false };
    // A reply that everyone must see (traffic moved) is also shown in the channel itself.
    const result = await client.chat.postMessage(threadTs ? { ...base, thread_ts: threadTs, reply_broadcast: options.broadcast === true } : base);
    return result.ts;
  } catch (error) {
    ctx.logger.error({ err: describeSlackError(error), channel }, 'chat.postMessage failed');
    return undefined;
  }
}

export async function updateMessage(ctx: HandlerContext, client: WebClient, channel: string, ts: string, message: SlackMessage): Promise<boolean> {
  try {
    const marked = markDryRun(message, ctx.core.policy.dryRun);
    await client.chat.update({ channel, ts, text: marked.text, blocks: marked.blocks as never });
    return true;
  } catch (error) {
    ctx.logger.error({ err: describeSlackError(error), channel, ts }, 'chat.update failed');
    return false;
  }
}

export function describeSlackError(error: unknown): string {
  const e = error as { data?: { error?: string }; message?: string };
  return e?.data?.error ?? e?.message ?? String(error);
}
