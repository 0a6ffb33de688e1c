// The data the StateStore port carries, named from the port's own signatures: the stores depend on the port
// alone, whichever core module declares these types.
import type { StateStore } from '../../core/ports.js';

export type ApprovalRequest = NonNullable<Awaited<ReturnType<StateStore['getRequest']>>>;
export type RequestStatus = ApprovalRequest['status'];
export type RequestChanges = Parameters<StateStore['transitionRequest']>[2];
export type CreateRequestResult = Awaited<ReturnType<StateStore['createRequest']>>;
export type AuditEntry = Parameters<StateStore['appendAudit']>[0];
export type AlertGroupRecord = Parameters<StateStore['saveAlertGroup']>[0];
export type EvidenceSnapshot = ApprovalRequest['evidence'];
