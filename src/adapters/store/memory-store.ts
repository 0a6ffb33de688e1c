// The embedded store for local use (REDIS_URL unset): same contract as Redis, one process only.
import { randomUUID } from 'node:crypto';
import type { AlertGroupRecord, ApprovalRequest, AuditEntry, CreateRequestResult, RequestStatus, StateStore } from '../../core/ports.js';

export class MemoryStateStore implements StateStore {
  private readonly requests = new Map<string, ApprovalRequest>();
  private pendingId: string | undefined;
  private readonly audit: AuditEntry[] = [];
  private readonly alertGroups = new Map<string, AlertGroupRecord>();
  private readonly locks = new Map<string, { token: string; until: number }>();
  private readonly jobs = new Map<string, number>();
  private readonly once = new Map<string, number>();
  private readonly values = new Map<string, string>();

  constructor(private readonly auditMaxLength = 1000) {}

  async ping(): Promise<void> {}

  async createRequest(request: ApprovalRequest): Promise<CreateRequestResult> {
    const pending = this.pendingId ? this.requests.get(this.pendingId) : undefined;
    if (pending?.status === 'pending') return { created: false, pending: structuredClone(pending) };
    this.requests.set(request.id, structuredClone(request));
    this.pendingId = request.id;
    return { created: true, request };
  }

  async getRequest(id: string): Promise<ApprovalRequest | undefined> {
    const request = this.requests.get(id);
    return request && structuredClone(request);
  }

  async getPendingRequest(): Promise<ApprovalRequest | undefined> {
    const request = this.pendingId ? this.requests.get(this.pendingId) : undefined;
    return request?.status === 'pending' ? structuredClone(request) : undefined;
  }

  async transitionRequest(
    id: string,
    from: RequestStatus,
    changes: Partial<ApprovalRequest> & { status?: RequestStatus },
  ): Promise<ApprovalRequest | undefined> {
    const current = this.requests.get(id);
    if (!current || current.status !== from) return undefined;
    const next = { ...current, ...changes, status: changes.status ?? from };
    this.requests.set(id, next);
    if (next.status !== 'pending' && this.pendingId === id) this.pendingId = undefined;
    return structuredClone(next);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.audit.push(structuredClone(entry));
    if (this.audit.length > this.auditMaxLength) this.audit.splice(0, this.audit.length - this.auditMaxLength);
  }

  async recentAudit(limit: number): Promise<AuditEntry[]> {
    return this.audit.slice(-limit).reverse().map((e) => structuredClone(e));
  }

  async getAlertGroup(id: string): Promise<AlertGroupRecord | undefined> {
    const record = this.alertGroups.get(id);
    return record && structuredClone(record);
  }

  async saveAlertGroup(record: AlertGroupRecord): Promise<void> {
    this.alertGroups.set(record.id, structuredClone(record));
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | undefined> {
    const held = this.locks.get(name);
    if (held && held.until > Date.now()) return undefined;
    const token = randomUUID();
    this.locks.set(name, { token, until: Date.now() + ttlMs });
    return token;
  }

  async releaseLock(name: string, token: string): Promise<void> {
    if (this.locks.get(name)?.token === token) this.locks.delete(name);
  }

  async scheduleJob(id: string, dueAt: Date): Promise<void> {
    this.jobs.set(id, dueAt.getTime());
  }

  async cancelJobs(ids: string[]): Promise<void> {
    for (const id of ids) this.jobs.delete(id);
  }

  async claimDueJobs(now: Date, limit: number): Promise<string[]> {
    const due = [...this.jobs.entries()].filter(([, at]) => at <= now.getTime()).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([id]) => id);
    for (const id of due) this.jobs.delete(id);
    return due;
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    const until = this.once.get(key);
    if (until !== undefined && until > Date.now()) return false;
    this.once.set(key, Date.now() + ttlMs);
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
