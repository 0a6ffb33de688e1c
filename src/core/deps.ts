// Everything the core's use cases share: the ports, the audit trail and the policy from configuration.
import type { AuditTrail } from './audit.js';
import type { AlertPolicy, CorePolicy } from './policy.js';
import type { AlertAnnouncer, AlertSource, ApproverDirectory, Clock, Cluster, ClusterDiagnostics, Logger, MetricsSource, StateStore, TrafficRouter } from './ports.js';

export interface CoreDeps {
  /** The canary route, whatever the traffic layer. */
  router: TrafficRouter;
  /** The deployments and services. */
  cluster: Cluster;
  /** Read-only cluster reads of the troubleshooting (pods, logs, events, endpoints, the service proxy). */
  diagnostics: ClusterDiagnostics;
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

/** The core plus what alert handling needs: where to post, and the runbook's alert policy. */
export interface AlertDeps extends CoreDeps {
  announcer: AlertAnnouncer;
  alertPolicy: AlertPolicy;
}
