// Cron schedules (node-cron) that run once per tick across replicas: node-cron's distributed mode asks a
// run coordinator before each run, and ours claims the tick in the shared store. What a run owes the channel
// and could not deliver is the run's to keep as a job (handlers/background-work.ts); a stop waits for it.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger, StateStore } from '../core/ports.js';

export interface CronJob {
  /** Stops the schedule and waits for a run under way (at most `STOP_WAIT_MS`). */
  stop(): Promise<void>;
}

/**
 * How long a stop waits for the run under way: long enough for a Slack post, short enough that with the
 * bot's own drains (src/bot.ts: requests 10 s, audit 2 s) the pod exits within its 30 s grace period. A job
 * cut short is not lost: it is leased, and due again when its lease ends.
 */
export const STOP_WAIT_MS = 5_000;

export function scheduleOncePerTick(options: {
  name: string;
  expression: string;
  timeZone: string;
  store: Pick<StateStore, 'claimOnce'>;
  logger: Logger;
  run: (firedAt: Date) => Promise<void>;
  stopWaitMs?: number;
}): CronJob {
  const { name, logger } = options;
  const runs = new Set<Promise<void>>();
  const task: ScheduledTask = cron.schedule(
    options.expression,
    async (context) => {
      const running = options.run(context.date).catch((error: unknown) => {
        logger.error({ job: name, err: (error as Error).message }, `${name} failed`);
      });
      runs.add(running);
      await running.finally(() => runs.delete(running));
    },
    {
      name,
      timezone: options.timeZone,
      noOverlap: true,
      distributed: true,
      // A tick's claim outlives any run; the key carries the fire time, so the next tick is free.
      distributedLease: 3_600_000,
      runCoordinator: {
        shouldRun: (key, ttlMs) => options.store.claimOnce(`cron:${key}`, Math.max(ttlMs, 60_000)),
      },
      unref: true,
    },
  );
  task.on('execution:skipped', (context: { reason?: string; error?: Error }) => {
    if (context.reason === 'coordinator-error') logger.warn({ job: name, err: context.error?.message }, `${name} skipped: the state store could not elect a runner`);
  });
  return {
    stop: async () => {
      await task.stop();
      // The tick is claimed: a run cut short here would be lost for every replica.
      await waitAtMost(Promise.all(runs), options.stopWaitMs ?? STOP_WAIT_MS, () =>
        logger.warn({ job: name }, `${name} still running at stop; not waited for any longer`),
      );
      await task.destroy();
    },
  };
}

export interface RepeatingJob {
  /** Stops the timer, aborts the run's signal and waits for the run under way (at most `stopWaitMs`). */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `everyMs` on this replica, never two runs at once: a run slower than the interval
 * (a Kubernetes API timing out) skips ticks instead of piling requests up. Failures are logged and the
 * next tick tries again. Work that must happen once across replicas claims it in the store itself.
 */
export function repeatWithoutOverlap(options: {
  name: string;
  everyMs: number;
  logger: Logger;
  run: (signal: AbortSignal) => Promise<unknown>;
  stopWaitMs?: number;
}): RepeatingJob {
  let running: Promise<void> | undefined;
  const stopping = new AbortController();
  const timer = setInterval(() => {
    if (running) return;
    running = options
      .run(stopping.signal)
      .then(
        () => undefined,
        (error: unknown) => options.logger.warn({ job: options.name, err: String(error) }, `${options.name} failed`),
      )
      .finally(() => {
        running = undefined;
      });
  }, options.everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      stopping.abort();
      if (running) {
        await waitAtMost(running, options.stopWaitMs ?? STOP_WAIT_MS, () =>
          options.logger.warn({ job: options.name }, `${options.name} still running at stop; not waited for any longer`),
        );
      }
    },
  };
}

async function waitAtMost(work: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
  });
  const result = await Promise.race([work.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') onTimeout();
}
