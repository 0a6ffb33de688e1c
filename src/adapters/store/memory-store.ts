// The embedded store for local use (REDIS_URL unset): one process only, otherwise the same contract as the
// Redis store, TTLs and limits included (test/store runs one suite against both). Like Redis keys with a TTL,
// expired entries read as absent, and they are swept now and then so a long-running bot does not keep every
// claim and lock it ever took.
import { randomUUID } from 'node:crypto';
import type { JobClaim, StateStore } from '../../core/ports.js';
import type { AlertGroupRecord, ApprovalRequest, AuditEntry, CreateRequestResult, RequestStatus } from '../../core/entities.js';
import { storeLimits, type StoreLimits } from './limits.js';

const SWEEP_EVERY_MS = 60_000;

/** Entries that disappear `ttlMs` after they were set, as Redis keys set with PX do. */
class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  private nextSweep = 0;

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Redis keeps a key up to and including its expiry millisecond.
    if (entry.until < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    const now = Date.now();
    this.sweep(now);
    this.entries.set(key, { value, until: now + ttlMs });
  }

  /** Changes a live entry's value, keeping its expiry (like HSET on a hash with a TTL). */
  replace(key: string, value: V): void {
    const entry = this.entries.get(key);
    if (entry) entry.value = value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, entry] of this.entries) if (entry.until < now) this.entries.delete(key);
  }
}

export class MemoryStateStore implements StateStore {
  private readonly limits: StoreLimits;
  private readonly requests = new ExpiringMap<ApprovalRequest>();
  /** The pending request's id, under one key: it outlives the request's TTL by the grace, as in Redis. */
  private readonly pending = new ExpiringMap<string>();
  private readonly audit: AuditEntry[] = [];
  private readonly alertGroups = new ExpiringMap<AlertGroupRecord>();
  private readonly locks = new ExpiringMap<string>();
  private readonly jobs = new Map<string, { at: number; payload?: string }>();
  private readonly once = new ExpiringMap<true>();
  private readonly values = new Map<string, string>();

  constructor(limits: Partial<StoreLimits> = {}) {
    this.limits = storeLimits(limits);
  }

  async ping(): Promise<void> {}

  async createRequest(request: ApprovalRequest, ttlMs: number): Promise<CreateRequestResult> {
    // No await between the check and the write: concurrent creates must not both see a free slot.
    const current = this.pendingRequest();
    if (current) return { created: false, pending: structuredClone(current) };
    this.requests.set(request.id, { ...structuredClone(request), status: 'pending' }, this.limits.requestRetentionMs);
    this.pending.set('', request.id, ttlMs + this.limits.pendingGraceMs);
    return { created: true, request };
  }

  async getRequest(id: string): Promise<ApprovalRequest | undefined> {
    const request = this.requests.get(id);
    return request && structuredClone(request);
  }

  async getPendingRequest(): Promise<ApprovalRequest | undefined> {
    const request = this.pendingRequest();
    return request && structuredClone(request);
  }

  private pendingRequest(): ApprovalRequest | undefined {
    const id = this.pending.get('');
    const request = id === undefined ? undefined : this.requests.get(id);
    return request?.status === 'pending' ? request : undefined;
  }

  async transitionRequest(
    id: string,
    from: RequestStatus,
    changes: Partial<ApprovalRequest> & { status?: RequestStatus },
  ): Promise<ApprovalRequest | undefined> {
    const current = this.requests.get(id);
    if (!current || current.status !== from) return undefined;
    // A copy: the caller's `changes` must not alias what is stored.
    const next = structuredClone({ ...current, ...changes, status: changes.status ?? from });
    this.requests.replace(id, next);
    if (next.status !== 'pending' && this.pending.get('') === id) this.pending.delete('');
    return structuredClone(next);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.audit.push(structuredClone(entry));
    if (this.audit.length > this.limits.auditMaxLength) this.audit.splice(0, this.audit.length - this.limits.auditMaxLength);
  }

  async recentAudit(limit: number): Promise<AuditEntry[]> {
    if (limit <= 0) return []; // slice(-0) would be everything
    return this.audit.slice(-limit).reverse().map((e) => structuredClone(e));
  }

  async getAlertGroup(id: string): Promise<AlertGroupRecord | undefined> {
    const record = this.alertGroups.get(id);
    return record && structuredClone(record);
  }

  async saveAlertGroup(record: AlertGroupRecord): Promise<void> {
    this.alertGroups.set(record.id, structuredClone(record), this.limits.alertGroupRetentionMs);
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | undefined> {
    if (this.locks.get(name) !== undefined) return undefined;
    const token = randomUUID();
    this.locks.set(name, token, ttlMs);
    return token;
  }

  async releaseLock(name: string, token: string): Promise<void> {
    if (this.locks.get(name) === token) this.locks.delete(name);
  }

  async scheduleJob(id: string, dueAt: Date, payload?: string): Promise<void> {
    this.jobs.set(id, payload === undefined ? { at: dueAt.getTime() } : { at: dueAt.getTime(), payload });
  }

  async cancelJobs(ids: string[]): Promise<void> {
    for (const id of ids) this.jobs.delete(id);
  }

  async claimDueJobs(now: Date, limit: number, options: { prefixes?: string[]; leaseMs?: number } = {}): Promise<JobClaim[]> {
    const { prefixes, leaseMs } = options;
    // Oldest first, ties by id: the order of a Redis sorted set.
    const due = [...this.jobs.entries()]
      .filter(([id, job]) => job.at <= now.getTime() && (!prefixes || prefixes.some((p) => id.startsWith(p))))
      .sort(([a, x], [b, y]) => x.at - y.at || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, Math.max(0, limit));
    for (const [id, job] of due) {
      if (leaseMs === undefined) this.jobs.delete(id);
      else job.at = now.getTime() + leaseMs;
    }
    return due.map(([id, job]) => (job.payload === undefined ? { id } : { id, payload: job.payload }));
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    if (this.once.get(key)) return false;
    this.once.set(key, true, ttlMs);
    return true;
  }

  async getValue<T>(key: string): Promise<T | undefined> {
    const raw = this.values.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  async setValue(key: string, value: unknown): Promise<void> {
    this.values.set(key, JSON.stringify(value));
  }

  async close(): Promise<void> {}
}
