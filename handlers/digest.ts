// Posting the go/no-go digest (cron tick or `/mcp-canary digest`): the message first, then the chart
// in its thread. A chart that fails to render or upload never stops the digest: the message says so.
import type { WebClient } from '@slack/web-api';
import { buildDigest } from '../src/core/digest.js';
import { describe } from '../src/core/errors.js';
import { renderDigest } from '../views/index.js';
import { describeSlackError, postToChannel, updateMessage, type HandlerContext } from './context.js';

export async function postDigest(ctx: HandlerContext, client: WebClient, channel: string): Promise<{ ts?: string; chart: 'uploaded' | 'missing' }> {
  const report = await buildDigest(ctx.core);
  let png: Buffer | undefined;
  let missing: string | undefined;
  try {
    png = await ctx.renderChart(report.chart);
  } catch (error) {
    missing = `rendering failed (${describe(error)})`;
    ctx.logger.error({ err: describe(error) }, 'digest chart rendering failed');
  }
  const dryRun = ctx.core.policy.dryRun;
  const message = renderDigest(report, { dryRun, chart: png ? 'in-thread' : { missing: missing ?? 'unknown reason' } });
  const ts = await postToChannel(ctx, client, channel, message);
  if (!ts) throw new Error(`the digest could not be posted in ${channel}`);
  if (!png) return { ts, chart: 'missing' };
  try {
    await client.filesUploadV2({
      channel_id: channel,
      thread_ts: ts,
      file: png,
      filename: `go-no-go-${report.date}.png`,
      title: `Go/no-go ${report.date}: error rate and p99 ratio, last 48 h`,
      alt_text: 'Rust error rate and p99 ratio over the last 48 hours with threshold lines and weight steps',
    });
    return { ts, chart: 'uploaded' };
  } catch (error) {
    const reason = `upload failed (${describeSlackError(error)})`;
    ctx.logger.error({ err: reason }, 'digest chart upload failed');
    await updateMessage(ctx, client, channel, ts, renderDigest(report, { dryRun, chart: { missing: reason } }));
    return { ts, chart: 'missing' };
  }
}
