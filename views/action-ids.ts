// action_id values shared by the views that render buttons and the handlers that listen for them.
export const ACTION = {
  approve: 'canary_approve',
  reject: 'canary_reject',
  rollback: 'canary_rollback',
  requestNext: 'canary_request_next',
  refreshStatus: 'canary_refresh_status',
  refreshHome: 'canary_refresh_home',
  acknowledgeAlert: 'canary_alert_ack',
  silenceAlert: 'canary_alert_silence',
  shadowToggle: 'canary_shadow_toggle',
  routeApply: 'canary_route_apply',
  diagnose: 'canary_diagnose',
} as const;

/** Rollback button values say where the click came from (for the audit log): "status", "approval:<id>", "alert:<key>". */
export function rollbackButtonValue(source: 'status' | 'approval' | 'alert' | 'home' | 'digest', ref?: string): string {
  return ref ? `${source}:${ref}` : source;
}

/** Diagnose button values: "<scope>:<alert group id>" (scope: traffic, shadow, mismatches or all). */
export function diagnoseButtonValue(scope: string, alertGroupId: string): string {
  return `${scope}:${alertGroupId}`;
}
