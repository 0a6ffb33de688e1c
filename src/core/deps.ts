// Everything the core's use cases share: the ports, the audit trail and the policy from configuration.
import type { AuditTrail } from './audit.js';
import type { GoNoGoPolicy, RampRules } from './go-no-go.js';
import type { ShadowConfig } from './shadow.js';
import type { AlertSource, ApproverDirectory, CanaryCluster, Clock, Logger, MetricsSource, StateStore } from './ports.js';

export interface CorePolicy {
  ramp: RampRules;
  goNoGo: GoNoGoPolicy;
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

export interface CoreDeps {
  cluster: CanaryCluster;
  metrics: MetricsSource;
  alerts: AlertSource;
  store: StateStore;
  directory: ApproverDirectory;
  audit: AuditTrail;
  clock: Clock;
  logger: Logger;
  policy: CorePolicy;
  newId: () => string;
}
