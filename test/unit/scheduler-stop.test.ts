// A replica stopping (a rolling deploy) with a background run under way: the stop tells the run, waits for
// it a bounded while, and does not hang on a run that never ends.
import { describe, expect, it, vi } from 'vitest';
import { repeatWithoutOverlap } from '../../src/adapters/scheduler.js';

const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };

describe('repeatWithoutOverlap stop', () => {
  it('aborts the run signal and waits for the run under way before resolving', async () => {
    let signal: AbortSignal | undefined;
    let finish!: () => void;
    let finished = false;
    const job = repeatWithoutOverlap({
      name: 'announcement retries',
      everyMs: 10,
      logger,
      run: (s) => {
        signal = s;
        return new Promise<void>((resolve) => (finish = resolve)).then(() => {
          finished = true;
        });
      },
    });
    await vi.waitFor(() => expect(signal).toBeDefined());
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    expect(signal!.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(finished).toBe(true);
  });

  it('gives up waiting after stopWaitMs, logs it, and never starts another run', async () => {
    let runs = 0;
    const job = repeatWithoutOverlap({
      name: 'escalation run',
      everyMs: 10,
      logger,
      stopWaitMs: 100,
      run: () => {
        runs++;
        return new Promise<void>(() => undefined);
      },
    });
    await vi.waitFor(() => expect(runs).toBe(1));
    const started = Date.now();
    await job.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(logger.warn).toHaveBeenCalledWith({ job: 'escalation run' }, 'escalation run still running at stop; not waited for any longer');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).toBe(1);
  });
});
