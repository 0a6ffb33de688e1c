// The durable job runner (core/jobs.ts) on the in-memory store: nothing claimed is lost when a replica stops
// or dies mid-batch, one loop never takes another loop's jobs, and a payload travels with its retries.
import { describe, expect, it } from 'vitest';
import { JOB_LEASE_MS, retryLater, runDueJobs, type JobHandler } from '../../src/core/jobs.js';
import { coreKit, START } from './kit.js';

const MINUTE = 60_000;

/** A handler that records what it ran and fails while `failing` is set. */
function recorder(options: { failing?: boolean; onRun?: (args: string[]) => Promise<void> } = {}) {
  const ran: Array<{ args: string[]; payload?: string }> = [];
  const state = { failing: options.failing ?? false };
  const handler: JobHandler = {
    describe: (args) => `job ${args.join('/')}`,
    run: async (args, payload) => {
      if (state.failing) throw new Error('Slack said ratelimited');
      await options.onRun?.(args);
      ran.push(payload === undefined ? { args } : { args, payload });
    },
  };
  return { handler, ran, state };
}

describe('runDueJobs', () => {
  it('a stop mid-batch leaves the untried jobs in the store for the next run, each run once', async () => {
    const kit = coreKit();
    for (const n of [1, 2, 3, 4]) await kit.store.scheduleJob(`announce|${n}`, new Date(START.getTime() - (5 - n) * 1000));
    const stopping = new AbortController();
    // The replica is told to stop while it runs the first job of the batch.
    const first = recorder({ onRun: async () => stopping.abort() });
    expect(await runDueJobs(kit.deps, { announce: first.handler }, { signal: stopping.signal })).toEqual({ done: 1, retried: 0, givenUp: 0 });
    expect(first.ran.map((r) => r.args)).toEqual([['1']]);

    // Another replica (or this one after its restart) runs the rest: nothing lost, nothing twice.
    const next = recorder();
    expect(await runDueJobs(kit.replica(), { announce: next.handler })).toEqual({ done: 3, retried: 0, givenUp: 0 });
    expect(next.ran.map((r) => r.args)).toEqual([['2'], ['3'], ['4']]);
    kit.clock.advance(2 * JOB_LEASE_MS);
    expect(await runDueJobs(kit.deps, { announce: next.handler })).toEqual({ done: 0, retried: 0, givenUp: 0 });
  });

  it('a job whose replica died while running it is due again when its lease ends; a finished one never is', async () => {
    const kit = coreKit();
    await kit.store.scheduleJob('escalate|g1|1|2', START, 'p');
    // The replica dies in the middle of the job: its run never returns.
    const dying: JobHandler = { describe: () => 'L2', run: () => new Promise<void>(() => undefined) };
    void runDueJobs(kit.deps, { escalate: dying });
    await new Promise((resolve) => setImmediate(resolve));

    const survivor = recorder();
    expect(await runDueJobs(kit.replica(), { escalate: survivor.handler })).toEqual({ done: 0, retried: 0, givenUp: 0 });
    kit.clock.advance(JOB_LEASE_MS - 1);
    expect(await runDueJobs(kit.replica(), { escalate: survivor.handler })).toEqual({ done: 0, retried: 0, givenUp: 0 });
    kit.clock.advance(1);
    expect(await runDueJobs(kit.replica(), { escalate: survivor.handler })).toEqual({ done: 1, retried: 0, givenUp: 0 });
    expect(survivor.ran).toEqual([{ args: ['g1', '1', '2'], payload: 'p' }]);
    kit.clock.advance(2 * JOB_LEASE_MS);
    expect(await runDueJobs(kit.replica(), { escalate: survivor.handler })).toEqual({ done: 0, retried: 0, givenUp: 0 });
  });

  it("leaves another loop's jobs in the store instead of dropping them", async () => {
    const kit = coreKit();
    await kit.store.scheduleJob('escalate|g1|1|2', START);
    await kit.store.scheduleJob('announce|a', START, '{}');
    const announcements = recorder();
    expect(await runDueJobs(kit.deps, { announce: announcements.handler })).toEqual({ done: 1, retried: 0, givenUp: 0 });
    const escalations = recorder();
    expect(await runDueJobs(kit.deps, { escalate: escalations.handler })).toEqual({ done: 1, retried: 0, givenUp: 0 });
    expect(escalations.ran).toEqual([{ args: ['g1', '1', '2'] }]);
  });

  it('keeps the payload through its retries and runs it once when it succeeds', async () => {
    const kit = coreKit();
    await kit.store.scheduleJob('announce|a', START, 'the words');
    const job = recorder({ failing: true });
    expect(await runDueJobs(kit.deps, { announce: job.handler })).toEqual({ done: 0, retried: 1, givenUp: 0 });
    kit.clock.advance(5_000);
    expect(await runDueJobs(kit.deps, { announce: job.handler })).toEqual({ done: 0, retried: 1, givenUp: 0 });
    job.state.failing = false;
    kit.clock.advance(10_000);
    expect(await runDueJobs(kit.deps, { announce: job.handler })).toEqual({ done: 1, retried: 0, givenUp: 0 });
    expect(job.ran).toEqual([{ args: ['a'], payload: 'the words' }]);
    // The claimed ids (first and retried) are all gone: nothing comes back after the lease.
    kit.clock.advance(2 * JOB_LEASE_MS);
    expect(await runDueJobs(kit.deps, { announce: job.handler })).toEqual({ done: 0, retried: 0, givenUp: 0 });
  });
});

describe('retryLater', () => {
  it('keeps a job whose first attempt failed elsewhere; its hour counts from that attempt, then it is audited as undeliverable', async () => {
    const kit = coreKit();
    expect(await retryLater(kit.deps, { kind: 'announce', args: ['x'], payload: 'words', what: 'the drift notice' }, new Error('Slack down'))).toBe(true);
    const job = recorder({ failing: true });
    // Not before the first backoff.
    kit.clock.advance(4_999);
    expect(await runDueJobs(kit.deps, { announce: job.handler })).toEqual({ done: 0, retried: 0, givenUp: 0 });
    kit.clock.advance(1);
    let given = 0;
    let runs = 0;
    while (kit.clock.now().getTime() - START.getTime() < 2 * 60 * MINUTE && given === 0) {
      const run = await runDueJobs(kit.deps, { announce: job.handler });
      given += run.givenUp;
      runs += run.retried + run.givenUp;
      kit.clock.advance(5 * MINUTE);
    }
    expect(given).toBe(1);
    expect(runs).toBeGreaterThan(5);
    const undeliverable = (await kit.auditEntries()).filter((e) => e.action === 'job-undeliverable');
    expect(undeliverable).toHaveLength(1);
    expect(undeliverable[0]!.summary).toMatch(/^job x: not delivered after (6\d) min of retries \(last error: Slack said ratelimited\)/);
    expect(await kit.store.claimDueJobs(new Date(START.getTime() + 24 * 60 * MINUTE), 10)).toEqual([]);
  });

  it('says false (and logs it) when the store cannot keep the job', async () => {
    const kit = coreKit();
    kit.storeFault.down(['scheduleJob']);
    expect(await retryLater(kit.deps, { kind: 'announce', args: ['x'], payload: 'words', what: 'the drift notice' }, new Error('Slack down'))).toBe(false);
    expect(kit.logger.lines.some((l) => l.level === 'error' && /lost/.test(l.msg ?? ''))).toBe(true);
  });
});
