// How long the stores keep what they keep. One set of figures for Redis and memory, so both behave alike
// (test/store runs the same contract suite against both, with short limits).

export interface StoreLimits {
  /**
   * A pending request keeps blocking new ones this long past its TTL: the expiry sweep closes it in the
   * meantime (the store never closes a request itself). After that the slot frees itself.
   */
  pendingGraceMs: number;
  /** A request, decided or not, stays readable this long after its creation, for late clicks on old messages. */
  requestRetentionMs: number;
  /** An alert group's record is kept this long after its last save. */
  alertGroupRetentionMs: number;
  /** The audit trail keeps this many entries, the newest. */
  auditMaxLength: number;
}

export const DEFAULT_STORE_LIMITS: Readonly<StoreLimits> = Object.freeze({
  pendingGraceMs: 3_600_000,
  requestRetentionMs: 7 * 86_400_000,
  alertGroupRetentionMs: 14 * 86_400_000,
  auditMaxLength: 1000,
});

export function storeLimits(overrides: Partial<StoreLimits> = {}): StoreLimits {
  const limits = { ...DEFAULT_STORE_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    // Redis takes whole milliseconds (PX) and a whole MAXLEN.
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`store limit ${name} must be a positive integer, got ${value}`);
  }
  return limits;
}
