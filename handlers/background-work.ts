// What the bot does without being asked: expiring stale approval requests, the daily digest, telling
// the channel when someone changed the canary weight outside the bot (drift), the due alert escalations,
// and the guard watching the rollback conditions. Each posts through the same views as the listeners.
// What the channel is owed and Slack did not take is kept in the store as a job and retried (core/jobs.ts).
import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { repeatWithoutOverlap, scheduleOncePerTick, type CronJob, type RepeatingJob } from '../src/adapters/scheduler.js';
import { runDueEscalations } from '../src/core/alerts.js';
import { expireStaleRequest } from '../src/core/approvals.js';
import { checkDrift } from '../src/core/drift.js';
import { retryLater, runDueJobs, type JobHandler } from '../src/core/jobs.js';
import { renderDrift } from '../views/lifecycle.js';
import { refreshRequestMessage } from './announce.js';
import { postToChannel, type HandlerContext, type SlackMessage } from './context.js';
import { deliverDigest, renderDigestNow, type RenderedDigest } from './digest.js';
import { guardLoop } from './guard.js';

export interface BackgroundWorkOptions {
  /** Where the digest and drift notices go; without it neither runs. */
  channel: string | undefined;
  digestCron: string;
  timeZone: string;
  expirySweepMs: number;
  driftCheckIntervalMs: number;
  escalationPollMs: number;
}

export function startBackgroundWork(ctx: HandlerContext, client: WebClient, options: BackgroundWorkOptions): { stop(): Promise<void> } {
  const { core, logger } = ctx;
  const { channel } = options;
  const loops: RepeatingJob[] = [
    repeatWithoutOverlap({
      name: 'expiry sweep',
      everyMs: options.expirySweepMs,
      logger,
      run: async () => {
        const expired = await expireStaleRequest(core);
        if (expired) await refreshRequestMessage(ctx, client, expired);
      },
    }),
    repeatWithoutOverlap({ name: 'escalation run', everyMs: options.escalationPollMs, logger, run: (signal) => runDueEscalations(core, { signal }) }),
    repeatWithoutOverlap({
      name: 'announcement retries',
      everyMs: options.escalationPollMs,
      logger,
      run: (signal) => runDueJobs(core, { [ANNOUNCE_JOB]: announcementJob(ctx, client) }, { signal }),
    }),
  ];
  // GUARD=off: only `status` shows the conditions; nothing runs.
  if (core.policy.guard.mode !== 'off') {
    loops.push(repeatWithoutOverlap({ name: 'guard', everyMs: core.policy.guard.intervalMs, logger, run: guardLoop(ctx, client, (owed, error) => oweAnnouncement(ctx, owed, error)) }));
  }
  let digestJob: CronJob | undefined;
  if (channel) {
    digestJob = scheduleOncePerTick({
      name: 'digest',
      expression: options.digestCron,
      timeZone: options.timeZone,
      store: core.store,
      logger,
      run: () => digestTick(ctx, client, channel),
    });
    loops.push(
      repeatWithoutOverlap({
        name: 'drift check',
        everyMs: options.driftCheckIntervalMs,
        logger,
        run: () => driftTick(ctx, client, channel),
      }),
    );
  } else {
    logger.warn({}, 'SLACK_CHANNEL is not set: no daily digest and nowhere to post alerts');
  }
  return {
    // A replica stopping (a rolling deploy) lets the runs under way finish, a bounded while: a claimed
    // digest tick or drift notice is delivered or kept, and the job loops leave untried jobs in the store.
    stop: async () => {
      await Promise.all([...loops.map((loop) => loop.stop()), digestJob?.stop()]);
    },
  };
}

/** The drift check: announced once across replicas (the core claims it), so a failed post is kept, never dropped. */
export async function driftTick(ctx: HandlerContext, client: WebClient, channel: string): Promise<void> {
  const event = await checkDrift(ctx.core);
  if (event) await postOrOwe(ctx, client, { kind: 'message', what: 'drift notice', channel, message: renderDrift(event) });
}

/** The cron tick: the digest is rendered once; if Slack does not take it, that rendering is retried. */
export async function digestTick(ctx: HandlerContext, client: WebClient, channel: string): Promise<void> {
  const { digest, withoutChart } = await renderDigestNow(ctx);
  try {
    await deliverDigest(ctx, client, channel, digest, withoutChart);
  } catch (error) {
    await oweAnnouncement(ctx, { kind: 'digest', channel, digest }, error);
  }
}

export const ANNOUNCE_JOB = 'announce';

/**
 * An announcement the channel is owed (nobody asked for it, so nobody would notice it missing) and Slack did
 * not take: the job's payload. It is kept as rendered when it was due rather than as data rendered at
 * delivery: it words what happened then, the digest's report holds dates that do not survive JSON and
 * re-reading Prometheus later would post other figures, and the chart must be the one its tick drew. The
 * core never reads it.
 */
export type OwedAnnouncement =
  | { kind: 'message'; what: string; channel: string; message: SlackMessage }
  | { kind: 'digest'; channel: string; digest: RenderedDigest };

export type Owe = (owed: OwedAnnouncement, error: unknown) => Promise<void>;

/** Posts at once; when Slack refuses, keeps it as a job for the job loop. */
export async function postOrOwe(ctx: HandlerContext, client: WebClient, owed: OwedAnnouncement & { kind: 'message' }): Promise<void> {
  const ts = await postToChannel(ctx, client, owed.channel, owed.message);
  if (!ts) await oweAnnouncement(ctx, owed, new Error(`Slack did not take the ${owed.what} in ${owed.channel}`));
}

export async function oweAnnouncement(ctx: HandlerContext, owed: OwedAnnouncement, error: unknown): Promise<void> {
  await retryLater(ctx.core, { kind: ANNOUNCE_JOB, args: [randomUUID()], payload: JSON.stringify(owed), what: describeOwed(owed) }, error);
}

/** Delivers an owed announcement; throws (to be retried) while Slack does not take it. */
export function announcementJob(ctx: HandlerContext, client: WebClient): JobHandler {
  return {
    describe: (_args, payload) => {
      const owed = readOwed(payload);
      return owed ? describeOwed(owed) : 'an announcement (unreadable)';
    },
    run: async (_args, payload) => {
      const owed = readOwed(payload);
      if (!owed) {
        ctx.logger.error({ payload: payload?.slice(0, 200) }, 'an owed announcement could not be read: dropped');
        return;
      }
      if (owed.kind === 'digest') {
        await deliverDigest(ctx, client, owed.channel, owed.digest);
        return;
      }
      const ts = await postToChannel(ctx, client, owed.channel, owed.message);
      if (!ts) throw new Error(`Slack did not take the ${owed.what} in ${owed.channel}`);
    },
  };
}

function describeOwed(owed: OwedAnnouncement): string {
  return owed.kind === 'digest' ? `the go/no-go digest of ${owed.digest.date} in ${owed.channel}` : `the ${owed.what} in ${owed.channel}`;
}

function readOwed(payload: string | undefined): OwedAnnouncement | undefined {
  try {
    const owed = JSON.parse(payload ?? '') as OwedAnnouncement;
    return typeof owed?.channel === 'string' && (owed.kind === 'digest' || owed.kind === 'message') ? owed : undefined;
  } catch {
    return undefined;
  }
}
