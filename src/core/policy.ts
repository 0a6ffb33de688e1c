// The policy the core applies, all of it from configuration (src/config.ts) with the runbook's values as
// defaults: nothing of this one migration is written into the use cases.
import type { BusinessHours } from './business-hours.js';
import type { DiagnoseScope } from './entities.js';

export interface RampPolicy {
  /** Percentages, increasing, e.g. [1, 5, 10, 25, 50, 100]. */
  steps: number[];
  stepMinHoldMs: number;
}

export interface RampRules extends RampPolicy {
  businessHours: BusinessHours;
  timeZone: string;
}

/** The runbook's prerequisites of the first step (RAMP_PREREQUISITES). */
export type RampPrerequisite = 'shadow' | 'quiet-48h' | 'rust-ready' | 'rollback-verified';

export interface GoNoGoPolicy {
  errorRateQuery: string;
  errorRateMax: number;
  rustP99Query: string;
  pythonP99Query: string;
  p99RatioMax: number;
  criticalAlertMatchers: string[];
  /** The `severity` label value of critical alerts (ALERT_CRITICAL_SEVERITY). */
  criticalSeverity: string;
  /** Alerts whose runbook action is "pause ramp-up": while firing, increases are NO-GO. */
  pauseAlerts: string[];
  /** Alerts whose runbook action is "roll back" (ROLLBACK_ALERTS): NO-GO too, whatever their severity. */
  rollbackAlerts: string[];
  /** Checked before the first step of the ramp. */
  prerequisites: RampPrerequisite[];
}

/** The runbook's immediate-rollback conditions, watched by the guard. */
export interface GuardPolicy {
  mode: 'rollback' | 'page' | 'off';
  intervalMs: number;
  /** Consecutive breaching checks before acting. */
  breaches: number;
  errorRateMax: number;
  p99RatioMax: number;
  /** Alerts whose runbook action is an immediate rollback. */
  rollbackAlerts: string[];
}

export interface ShadowConfig {
  matchQuery: string;
  errorQuery: string;
  timeoutQuery: string;
  /** The match ratio of one whole day; evaluated at the end of each of the last N days. */
  dailyMatchQuery: string;
  /** Mismatches by request path, when the metrics carry a `path` label. */
  mismatchByPathQuery: string;
  matchMin: number;
  errorMax: number;
  timeoutMax: number;
  requiredDays: number;
  rustGatewayUrl: string;
  /** The Python deployment's container to set env on; the first container when unset. */
  container?: string;
}

export interface AlertPolicy {
  /** Runbook action per alert name. */
  actions: Record<string, string>;
  /** The diagnosis each alert's message offers (the runbook's troubleshooting case). */
  diagnoses: Record<string, DiagnoseScope>;
  /** Alerts whose runbook action is an immediate rollback. */
  rollbackAlerts: string[];
  criticalSeverity: string;
  autoRollbackOnCritical: boolean;
  escalation: { l1?: string; l2?: string; l3?: string; l2AfterMs: number; l3AfterMs: number };
}

export interface CorePolicy {
  ramp: RampRules;
  goNoGo: GoNoGoPolicy;
  guard: GuardPolicy;
  approvalTtlMs: number;
  /** User IDs (U...) and user-group IDs (S...) allowed to approve increases. */
  approvers: string[];
  /** Writes are server-side dry runs; every outcome says so. */
  dryRun: boolean;
  shadow: ShadowConfig;
  /** How long concurrent `status` requests may share one evaluation (0: never). */
  statusShareMs: number;
  /** PromQL listing the alerts that fired within a window such as "48h" (one series per alert). */
  firedAlertsQuery: (window: string) => string;
}
