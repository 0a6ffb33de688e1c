// What the bot does without being asked: expiring stale approval requests, the daily digest, telling
// the channel when someone changed the canary weight outside the bot (drift), the due alert escalations,
// and the guard watching the rollback conditions. Each posts through the same views as the listeners.
import type { WebClient } from '@slack/web-api';
import { repeatWithoutOverlap, scheduleOncePerTick, type CronJob, type RepeatingJob } from '../src/adapters/scheduler.js';
import { runDueEscalations } from '../src/core/alerts.js';
import { expireStaleRequest } from '../src/core/approvals.js';
import { checkDrift } from '../src/core/drift.js';
import { renderDrift } from '../views/lifecycle.js';
import { refreshRequestMessage } from './announce.js';
import { postToChannel, type HandlerContext } from './context.js';
import { postDigest } from './digest.js';
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
    repeatWithoutOverlap({ name: 'escalation run', everyMs: options.escalationPollMs, logger, run: () => runDueEscalations(core) }),
  ];
  // GUARD=off: only `status` shows the conditions; nothing runs.
  if (core.policy.guard.mode !== 'off') {
    loops.push(repeatWithoutOverlap({ name: 'guard', everyMs: core.policy.guard.intervalMs, logger, run: guardLoop(ctx, client) }));
  }
  let digestJob: CronJob | undefined;
  if (channel) {
    digestJob = scheduleOncePerTick({
      name: 'digest',
      expression: options.digestCron,
      timeZone: options.timeZone,
      store: core.store,
      logger,
      run: async () => {
        await postDigest(ctx, client, channel);
      },
    });
    loops.push(
      repeatWithoutOverlap({
        name: 'drift check',
        everyMs: options.driftCheckIntervalMs,
        logger,
        run: async () => {
          const event = await checkDrift(core);
          if (event) await postToChannel(ctx, client, channel, renderDrift(event));
        },
      }),
    );
  } else {
    logger.warn({}, 'SLACK_CHANNEL is not set: no daily digest and nowhere to post alerts');
  }
  return {
    stop: async () => {
      for (const loop of loops) loop.stop();
      await digestJob?.stop();
    },
  };
}
