// Work that continues after the ack (Slack gets its answer first, the rollback runs after). Shutdown waits
// for it: SIGTERM during a rollback must finish the rollback and tell the channel, then exit.
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';

export class InFlightWork {
  private count = 0;
  private waiters: Array<() => void> = [];

  /** Outermost Bolt middleware: counts a delivery from its arrival until its listener has finished. */
  middleware(): Middleware<AnyMiddlewareArgs> {
    return async ({ next }) => {
      this.count++;
      try {
        await next();
      } finally {
        this.count--;
        if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
      }
    };
  }

  get size(): number {
    return this.count;
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`, whichever comes first. */
  idle(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
