// Who may do what, in one place. Rolling back: anyone in the channel, always. Requests (promote, weight N,
// finalize): anyone; approving them: approvers only, never the requester (approvals.ts). Actions that
// change production at once without a second person, other than rolling back (shadow on/off, putting the
// canary route in place): approvers only. Every rule is checked in the core, whatever the UI showed.
import type { CoreDeps } from './deps.js';
import { describe } from './errors.js';

/** Production changes reserved to approvers, and why each is. */
export type RestrictedAction = 'shadow' | 'route-apply';

export interface ApproverRule {
  action: RestrictedAction;
  /** CANARY_APPROVERS, as configured (user and user-group IDs). */
  approvers: string[];
}

export type Permission = true | { kind: 'not-approver'; rule: ApproverRule } | { kind: 'unavailable'; message: string };

export async function mayChangeProduction(deps: Pick<CoreDeps, 'policy' | 'directory'>, actor: string, action: RestrictedAction): Promise<Permission> {
  try {
    if (await isApprover(deps, actor)) return true;
  } catch (error) {
    return { kind: 'unavailable', message: `Could not check the approver list (${describe(error)}). Nothing was changed.` };
  }
  return { kind: 'not-approver', rule: { action, approvers: deps.policy.approvers } };
}

/** Direct user IDs, or membership of an approver user group (resolved through Slack). */
export async function isApprover(deps: Pick<CoreDeps, 'policy' | 'directory'>, userId: string): Promise<boolean> {
  const { approvers } = deps.policy;
  if (approvers.includes(userId)) return true;
  for (const group of approvers.filter((id) => id.startsWith('S'))) {
    if ((await deps.directory.membersOf(group)).includes(userId)) return true;
  }
  return false;
}
