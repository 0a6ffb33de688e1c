import { afterEach, describe, expect, it, vi } from 'vitest';
import { repeatWithoutOverlap } from '../../src/adapters/scheduler.js';

const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

afterEach(() => {
  vi.useRealTimers();
  vi.clearAllMocks();
});

describe('repeatWithoutOverlap (the background loops: expiry sweep, drift check, escalations)', () => {
  it('skips ticks while a run is still going, instead of starting a second one', async () => {
    vi.useFakeTimers();
    let started = 0;
    let finish!: () => void;
    const job = repeatWithoutOverlap({
      name: 'drift check',
      everyMs: 100,
      logger,
      run: () => {
        started++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    await vi.advanceTimersByTimeAsync(550);
    expect(started).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toBe(2);
    job.stop();
  });

  it('logs a failed run with its name and runs again on the next tick', async () => {
    vi.useFakeTimers();
    const run = vi.fn().mockRejectedValueOnce(new Error('kube API 503')).mockResolvedValue(undefined);
    const job = repeatWithoutOverlap({ name: 'escalation run', everyMs: 100, logger, run });
    await vi.advanceTimersByTimeAsync(200);
    expect(run).toHaveBeenCalledTimes(2);
    expect(logger.warn).toHaveBeenCalledWith({ job: 'escalation run', err: 'Error: kube API 503' }, 'escalation run failed');
    job.stop();
  });

  it('runs no more after stop()', async () => {
    vi.useFakeTimers();
    const run = vi.fn().mockResolvedValue(undefined);
    const job = repeatWithoutOverlap({ name: 'expiry sweep', everyMs: 100, logger, run });
    await vi.advanceTimersByTimeAsync(100);
    job.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
