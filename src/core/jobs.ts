// Durable jobs: timers kept in the shared store (they survive restarts), each due one claimed by exactly
// one replica. A job that fails (Slack down or rate-limited, a lock held too long) goes back with a backoff
// and is retried until it succeeds, becomes moot (the handler decides: an acknowledged or resolved alert),
// or is an hour old: then it is logged and audited as undeliverable. One failing job never takes the rest of
// its batch with it.
//
// Nothing is lost when a replica stops or dies mid-batch: jobs are claimed one at a time, so the rest of a
// batch stays in the store for whoever runs next, and a claimed job is only leased: if its replica dies
// before it is done, it is due again when the lease ends.
//
// Job ids are `kind|arg|arg…`; a retried job carries the time of its first attempt: `kind|args…@<ms>`. A job
// may carry a payload, a string this module never reads (e.g. the words of an announcement the channel is owed).
import type { CoreDeps } from './deps.js';
import { describe } from './errors.js';

export interface JobHandler {
  /** Does the job, or throws to have it retried. Returning means done (or moot). */
  run(args: string[], payload: string | undefined): Promise<void>;
  /** What the job was, for the log and the audit entry when it is given up. */
  describe(args: string[], payload: string | undefined): string;
}

export interface JobRetryPolicy {
  giveUpAfterMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_JOB_RETRY: JobRetryPolicy = { giveUpAfterMs: 3_600_000, minBackoffMs: 5_000, maxBackoffMs: 300_000 };

/**
 * How long a claimed job is kept from the other replicas. Longer than any job runs (a Slack call with its
 * retries, a lock wait), so a slow job is never run twice; short enough that a dead replica's job is late,
 * not lost.
 */
export const JOB_LEASE_MS = 5 * 60_000;

export interface JobsRun {
  done: number;
  retried: number;
  givenUp: number;
}

export interface RunJobsOptions {
  /** Jobs run in one call at most. */
  limit?: number;
  retry?: JobRetryPolicy;
  leaseMs?: number;
  /** Aborted when the replica stops: the job under way finishes, the rest stay in the store. */
  signal?: AbortSignal;
}

type JobDeps = Pick<CoreDeps, 'store' | 'clock' | 'logger' | 'audit'>;

const FIRST_ATTEMPT = '@';

export async function runDueJobs(deps: JobDeps, handlers: Record<string, JobHandler>, options: RunJobsOptions = {}): Promise<JobsRun> {
  const retry = options.retry ?? DEFAULT_JOB_RETRY;
  const limit = options.limit ?? 50;
  // Only the kinds this caller can run: another loop's jobs are left for it.
  const prefixes = Object.keys(handlers).map((kind) => `${kind}|`);
  const run: JobsRun = { done: 0, retried: 0, givenUp: 0 };
  for (let i = 0; i < limit && !options.signal?.aborted; i++) {
    const [job] = await deps.store.claimDueJobs(deps.clock.now(), 1, { prefixes, leaseMs: options.leaseMs ?? JOB_LEASE_MS });
    if (!job) break;
    const [base = '', first] = job.id.split(FIRST_ATTEMPT);
    const [kind = '', ...args] = base.split('|');
    const handler = handlers[kind]!;
    const firstAttemptMs = first ? Number(first) : deps.clock.now().getTime();
    try {
      await handler.run(args, job.payload);
      run.done++;
      await takeOff(deps, job.id, 'done');
    } catch (error) {
      const now = deps.clock.now();
      const ageMs = now.getTime() - firstAttemptMs;
      const what = handler.describe(args, job.payload);
      if (ageMs >= retry.giveUpAfterMs) {
        run.givenUp++;
        deps.logger.error({ job: base, err: describe(error), ageMs }, 'job undeliverable: given up');
        deps.audit.record({
          at: now.toISOString(),
          actor: 'mcp-canary',
          action: 'job-undeliverable',
          summary: `${what}: not delivered after ${Math.round(ageMs / 60_000)} min of retries (last error: ${describe(error)})`,
        });
        await takeOff(deps, job.id, 'given up');
        continue;
      }
      const backoffMs = backoff(retry, ageMs);
      const retryId = `${base}${FIRST_ATTEMPT}${firstAttemptMs}`;
      try {
        // Scheduled before the claimed id is taken off: in between, a failure can only mean one more try.
        await deps.store.scheduleJob(retryId, new Date(now.getTime() + backoffMs), job.payload);
        if (retryId !== job.id) await takeOff(deps, job.id, 'retried');
        run.retried++;
        deps.logger.warn({ job: base, err: describe(error), retryInMs: backoffMs }, 'job failed; retrying later');
      } catch (storeError) {
        // Still leased in the store: it comes back when the lease ends.
        deps.logger.error({ job: base, err: describe(error), storeErr: describe(storeError) }, 'job failed and could not be rescheduled; it runs again when its lease ends');
      }
    }
  }
  return run;
}

/**
 * A job whose first attempt was made where it arose (an announcement posted at once) and failed: kept in the
 * store for the job loop, its hour counted from that attempt. False (logged) when the store cannot keep it.
 */
export async function retryLater(
  deps: Pick<CoreDeps, 'store' | 'clock' | 'logger'>,
  job: { kind: string; args: string[]; payload?: string; what: string },
  error: unknown,
  retry: JobRetryPolicy = DEFAULT_JOB_RETRY,
): Promise<boolean> {
  const now = deps.clock.now().getTime();
  const id = `${[job.kind, ...job.args].join('|')}${FIRST_ATTEMPT}${now}`;
  try {
    await deps.store.scheduleJob(id, new Date(now + backoff(retry, 0)), job.payload);
    deps.logger.warn({ job: job.what, err: describe(error) }, 'not delivered; kept for a retry');
    return true;
  } catch (storeError) {
    deps.logger.error({ job: job.what, err: describe(error), storeErr: describe(storeError) }, 'not delivered, and the store cannot keep it for a retry: lost');
    return false;
  }
}

/** Doubles with the job's age: 5 s, 10 s, 20 s… up to 5 min. */
function backoff(retry: JobRetryPolicy, ageMs: number): number {
  return Math.min(retry.maxBackoffMs, Math.max(retry.minBackoffMs, ageMs * 2));
}

async function takeOff(deps: Pick<CoreDeps, 'store' | 'logger'>, id: string, why: string): Promise<void> {
  try {
    await deps.store.cancelJobs([id]);
  } catch (error) {
    deps.logger.error({ job: id.split(FIRST_ATTEMPT)[0], err: describe(error) }, `job ${why} but still leased in the store: it runs again when its lease ends`);
  }
}
