// The embedded store for local use (REDIS_URL unset): same contract as Redis, one process only.
import type { ApprovalRequest, AuditEntry, CreateRequestResult, RequestStatus, StateStore } from '../../core/ports.js';

export class MemoryStateStore implements StateStore {
  private readonly requests = new Map<string, ApprovalRequest>();
  private pendingId: string | undefined;
  private readonly audit: AuditEntry[] = [];

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

  async close(): Promise<void> {}
}
