// The bot's own Prometheus metrics (GET /metrics). One registry per bot instance so tests can run several.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class BotMetrics {
  readonly registry = new Registry();
  readonly commands = new Counter({
    name: 'mcp_canary_commands_total',
    help: 'Slash commands received, by subcommand',
    labelNames: ['subcommand'] as const,
    registers: [this.registry],
  });
  readonly approvals = new Counter({
    name: 'mcp_canary_approval_decisions_total',
    help: 'Approval button outcomes (applied, refused, self-approval, not-approver, ...)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rollbacks = new Counter({
    name: 'mcp_canary_rollbacks_total',
    help: 'Rollbacks by outcome and where they came from',
    labelNames: ['outcome', 'source'] as const,
    registers: [this.registry],
  });
  readonly alertNotifications = new Counter({
    name: 'mcp_canary_alert_notifications_total',
    help: 'Alertmanager webhook deliveries by result (posted, updated, unchanged, degraded, rejected, failed)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly weightPercent = new Gauge({
    name: 'mcp_canary_weight_percent',
    help: 'The live canary percent the bot last read from its route (0 when the canary route is absent)',
    registers: [this.registry],
  });
  readonly guardChecks = new Counter({
    name: 'mcp_canary_guard_checks_total',
    help: 'Guard checks of the rollback conditions, by result (breach, clear, no-data)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly guardActions = new Counter({
    name: 'mcp_canary_guard_actions_total',
    help: 'Times the guard acted on a breach episode, by GUARD mode (rollback, page)',
    labelNames: ['mode'] as const,
    registers: [this.registry],
  });
  readonly ackLatency = new Histogram({
    name: 'mcp_canary_slack_ack_seconds',
    help: 'Time from receiving a Slack request to answering it (Slack allows 3 s)',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'mcp_canary_' });
  }
}
