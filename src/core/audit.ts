// Every state change is logged as one JSON line at once and written to the store. A store that is down
// must not slow a rollback, so writes are queued and retried: entries wait in memory until the store is back.
import type { AuditEntry } from './entities.js';
import type { Logger, StateStore } from './ports.js';

export class AuditTrail {
  private readonly unwritten: AuditEntry[] = [];
  private flushing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Incremented by every recorded change: lets readers know whether what they cached is still current. */
  changeCount = 0;

  constructor(
    private readonly store: StateStore,
    private readonly logger: Logger,
    private readonly options: { retryEveryMs?: number; maxUnwritten?: number } = {},
  ) {}

  /** Synchronous on purpose: callers never wait on the store to record what they did. */
  record(entry: AuditEntry): void {
    this.changeCount++;
    this.logger.info({ audit: entry }, `audit: ${entry.action} by ${entry.actor}: ${entry.summary}`);
    this.unwritten.push(entry);
    const max = this.options.maxUnwritten ?? 10_000;
    if (this.unwritten.length > max) {
      const dropped = this.unwritten.splice(0, this.unwritten.length - max);
      this.logger.error({ dropped: dropped.length }, 'audit: store unreachable for too long; oldest entries kept only in the log');
    }
    void this.flush();
  }

  /** Writes queued entries in order; stops at the first failure and retries later. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.unwritten.length) {
          await this.store.appendAudit(this.unwritten[0]!);
          this.unwritten.shift();
        }
      } catch (error) {
        this.logger.warn({ err: String(error), queued: this.unwritten.length }, 'audit: store write failed; will retry');
        this.scheduleRetry();
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  get pendingCount(): number {
    return this.unwritten.length;
  }

  /**
   * The entries not yet written to the store, oldest first, and forgets them (no retry will write them):
   * for a short-lived process, the command line, that writes them somewhere else before it exits. The bot
   * never calls it.
   */
  takeUnwritten(): AuditEntry[] {
    return this.unwritten.splice(0);
  }

  /** Newest first; entries not yet written are included so history never hides a recent action. */
  async recent(limit: number): Promise<{ entries: AuditEntry[]; storeError?: string }> {
    const queued = [...this.unwritten].reverse();
    try {
      const stored = await this.store.recentAudit(limit);
      return { entries: [...queued, ...stored].slice(0, limit) };
    } catch (error) {
      return { entries: queued.slice(0, limit), storeError: String((error as Error).message ?? error) };
    }
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.options.retryEveryMs ?? 2_000);
    this.retryTimer.unref();
  }
}
