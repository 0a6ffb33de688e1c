// Posting the go/no-go digest (cron tick or `/mcp-canary digest`): the message first, then the chart
// in its thread. A chart that fails to render or upload never stops the digest: the message says so.
import type { WebClient } from '@slack/web-api';
import { buildDigest } from '../src/core/digest.js';
import { describe } from '../src/core/errors.js';
import { renderDigest } from '../views/index.js';
import { digestChartTitle } from '../views/digest.js';
import { describeSlackError, postToChannel, updateMessage, type HandlerContext, type SlackMessage } from './context.js';

/**
 * A digest as its tick saw it, rendered: what a retry posts when the first post failed (handlers/
 * background-work.ts keeps it in the store as a job, so it must survive JSON).
 */
export interface RenderedDigest {
  date: string;
  message: SlackMessage;
  /** The chart for the message's thread: PNG bytes in base64. */
  chartPng?: string;
  /** The message once the chart upload failed, for a retried post (the first post words the error itself). */
  withoutChart: SlackMessage;
}

export async function renderDigestNow(ctx: HandlerContext): Promise<{ digest: RenderedDigest; withoutChart: (reason: string) => SlackMessage }> {
  const report = await buildDigest(ctx.core);
  let png: Buffer | undefined;
  let missing: string | undefined;
  try {
    png = await ctx.renderChart({ ...report.chart, title: digestChartTitle(report) });
  } catch (error) {
    missing = `rendering failed (${describe(error)})`;
    ctx.logger.error({ err: describe(error) }, 'digest chart rendering failed');
  }
  const dryRun = ctx.core.policy.dryRun;
  const withoutChart = (reason: string) => renderDigest(report, { dryRun, chart: { missing: reason } });
  const digest: RenderedDigest = {
    date: report.date,
    message: renderDigest(report, { dryRun, chart: png ? 'in-thread' : { missing: missing ?? 'unknown reason' } }),
    ...(png ? { chartPng: png.toString('base64') } : {}),
    withoutChart: withoutChart('upload failed (see the bot log)'),
  };
  return { digest, withoutChart };
}

export async function postDigest(ctx: HandlerContext, client: WebClient, channel: string): Promise<{ ts?: string; chart: 'uploaded' | 'missing' }> {
  const { digest, withoutChart } = await renderDigestNow(ctx);
  return deliverDigest(ctx, client, channel, digest, withoutChart);
}

/** Posts a rendered digest; throws when the message itself could not be posted (nothing was). */
export async function deliverDigest(
  ctx: HandlerContext,
  client: WebClient,
  channel: string,
  digest: RenderedDigest,
  withoutChart: (reason: string) => SlackMessage = () => digest.withoutChart,
): Promise<{ ts?: string; chart: 'uploaded' | 'missing' }> {
  const ts = await postToChannel(ctx, client, channel, digest.message);
  if (!ts) throw new Error(`the digest could not be posted in ${channel}`);
  if (!digest.chartPng) return { ts, chart: 'missing' };
  try {
    await client.filesUploadV2({
      channel_id: channel,
      thread_ts: ts,
      file: Buffer.from(digest.chartPng, 'base64'),
      filename: `go-no-go-${digest.date}.png`,
      title: `Go/no-go ${digest.date}: error rate and p99 ratio, last 48 h`,
      alt_text: 'Rust error rate and p99 ratio over the last 48 hours with threshold lines and weight steps',
    });
    return { ts, chart: 'uploaded' };
  } catch (error) {
    const reason = `upload failed (${describeSlackError(error)})`;
    ctx.logger.error({ err: reason }, 'digest chart upload failed');
    await updateMessage(ctx, client, channel, ts, withoutChart(reason));
    return { ts, chart: 'missing' };
  }
}
