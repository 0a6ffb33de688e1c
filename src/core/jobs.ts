// Durable jobs: timers kept in the shared store (they survive restarts), each due one claimed by exactly
// one replica. Claiming takes a job off the store, so a job that fails (Slack down or rate-limited, a lock
// held too long) goes back with a backoff and is retried until it succeeds, becomes moot (the handler
// decides: an acknowledged or resolved alert), or is an hour old: then it is logged and audited as
// undeliverable. One failing job never takes the rest of its batch with it.
//
// Job ids are `kind|arg|arg…`; a retried job carries the time of its first attempt: `kind|args…@<ms>`.
import type { CoreDeps } from './deps.js';
import { describe } from './errors.js';

export interface JobHandler {
  /** Does the job, or throws to have it retried. Returning means done (or moot). */
  run(args: string[]): Promise<void>;
  /** What the job was, for the log and the audit entry when it is given up. */
  describe(args: string[]): string;
}

export interface JobRetryPolicy {
  giveUpAfterMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_JOB_RETRY: JobRetryPolicy = { giveUpAfterMs: 3_600_000, minBackoffMs: 5_000, maxBackoffMs: 300_000 };

export interface JobsRun {
  done: number;
  retried: number;
  givenUp: number;
}

const FIRST_ATTEMPT = '@';

export async function runDueJobs(
  deps: Pick<CoreDeps, 'store' | 'clock' | 'logger' | 'audit'>,
  handlers: Record<string, JobHandler>,
  options: { limit?: number; retry?: JobRetryPolicy } = {},
): Promise<JobsRun> {
  const retry = options.retry ?? DEFAULT_JOB_RETRY;
  const claimed = await deps.store.claimDueJobs(deps.clock.now(), options.limit ?? 50);
  const run: JobsRun = { done: 0, retried: 0, givenUp: 0 };
  for (const id of claimed) {
    const [base = '', first] = id.split(FIRST_ATTEMPT);
    const [kind = '', ...args] = base.split('|');
    const handler = handlers[kind];
    if (!handler) {
      deps.logger.warn({ job: id }, 'job of an unknown kind dropped');
      continue;
    }
    const firstAttemptMs = first ? Number(first) : deps.clock.now().getTime();
    try {
      await handler.run(args);
      run.done++;
    } catch (error) {
      const now = deps.clock.now();
      const ageMs = now.getTime() - firstAttemptMs;
      const what = handler.describe(args);
      if (ageMs >= retry.giveUpAfterMs) {
        run.givenUp++;
        deps.logger.error({ job: base, err: describe(error), ageMs }, 'job undeliverable: given up');
        deps.audit.record({
          at: now.toISOString(),
          actor: 'mcp-canary',
          action: 'job-undeliverable',
          summary: `${what}: not delivered after ${Math.round(ageMs / 60_000)} min of retries (last error: ${describe(error)})`,
        });
        continue;
      }
      // Doubles with the job's age: 5 s, 10 s, 20 s… up to 5 min.
      const backoffMs = Math.min(retry.maxBackoffMs, Math.max(retry.minBackoffMs, ageMs * 2));
      try {
        await deps.store.scheduleJob(`${base}${FIRST_ATTEMPT}${firstAttemptMs}`, new Date(now.getTime() + backoffMs));
        run.retried++;
        deps.logger.warn({ job: base, err: describe(error), retryInMs: backoffMs }, 'job failed; retrying later');
      } catch (storeError) {
        deps.logger.error({ job: base, err: describe(error), storeErr: describe(storeError) }, 'job failed and could not be put back: lost');
      }
    }
  }
  return run;
}
