// Cron schedules (node-cron) that run once per tick across replicas: node-cron's distributed mode asks a
// run coordinator before each run, and ours claims the tick in the shared store. A replica that dies
// mid-run only loses its own tick: the next tick is a different claim.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger, StateStore } from '../core/ports.js';

export interface CronJob {
  stop(): Promise<void>;
}

export function scheduleOncePerTick(options: {
  name: string;
  expression: string;
  timeZone: string;
  store: Pick<StateStore, 'claimOnce'>;
  logger: Logger;
  run: (firedAt: Date) => Promise<void>;
}): CronJob {
  const { name, logger } = options;
  const task: ScheduledTask = cron.schedule(
    options.expression,
    async (context) => {
      try {
        await options.run(context.date);
      } catch (error) {
        logger.error({ job: name, err: (error as Error).message }, `${name} failed`);
      }
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
      await task.destroy();
    },
  };
}

export interface RepeatingJob {
  stop(): void;
}

/**
 * Runs `run` every `everyMs` on this replica, never two runs at once: a run slower than the interval
 * (a Kubernetes API timing out) skips ticks instead of piling requests up. Failures are logged and the
 * next tick tries again. Work that must happen once across replicas claims it in the store itself.
 */
export function repeatWithoutOverlap(options: { name: string; everyMs: number; logger: Logger; run: () => Promise<unknown> }): RepeatingJob {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    options
      .run()
      .catch((error: unknown) => options.logger.warn({ job: options.name, err: String(error) }, `${options.name} failed`))
      .finally(() => {
        running = false;
      });
  }, options.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
