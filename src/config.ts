// Environment, parsed and validated once at start-up. Names are the contract in SPEC.md section 3;
// the extra go/no-go knobs default to the runbook's values so the next migration only changes env.
import ms from 'ms';
import { validate as validateCron } from 'node-cron';
import * as z from 'zod';
import { parseBusinessHours } from './core/business-hours.js';
import type { RouterConfig } from './adapters/routers/index.js';
import type { AlertPolicy, CorePolicy, GoNoGoPolicy, GuardPolicy, RampPrerequisite, RampRules, ShadowConfig } from './core/policy.js';
import type { DiagnoseScope } from './core/entities.js';
import type { ClusterTargets } from './core/ports.js';

// zod compiles a parser per object schema (new Function) on its first parse, to parse many objects fast. This
// process parses the environment once and a webhook's payload now and then: compiling costs more than it
// saves (2 ms of the command line's start, before its rollback). For every schema of the process.
z.config({ jitless: true });

export interface Config {
  port: number;
  logLevel: string;
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
    channel?: string;
    approvers: string[];
    /** Channels where commands are accepted; defaults to SLACK_CHANNEL alone when that is set. */
    commandChannels: string[];
  };
  /** The targets, plus how to reach the API server. */
  kube: ClusterTargets & { kubeconfig?: string; requestTimeoutMs: number; canaryIngress: string; primaryIngress: string };
  /** TRAFFIC_ROUTER and the route objects it drives. */
  router: RouterConfig;
  guard: GuardPolicy;
  diagnostics: { rustHealthPath: string; logLines: number; pythonPodSelector: string };
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  sourceTimeoutMs: number;
  redisUrl?: string;
  ramp: RampRules;
  goNoGo: GoNoGoPolicy;
  approvalTtlMs: number;
  digestCron: string;
  shadow: ShadowConfig;
  escalation: { l1?: string; l2?: string; l3?: string; l2AfterMs: number; l3AfterMs: number };
  alertWebhookToken?: string;
  autoRollbackOnCritical: boolean;
  rollbackAlerts: string[];
  /** The runbook's action per alert name, shown on alert messages. */
  alertActions: Record<string, string>;
  /** Alert name → the diagnosis its message's Diagnose button runs. */
  alertDiagnoses: Record<string, DiagnoseScope>;
  criticalSeverity: string;
  driftCheckIntervalMs: number;
  dryRun: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DURATION = /^\d+(ms|s|m|h|d)$/;
/** Alert names end up in Alertmanager matchers (alertname=~"A|B"): plain identifiers only. */
const ALERT_NAME = /^[A-Za-z_][A-Za-z0-9_:]*$/;
const PREREQUISITES = ['shadow', 'quiet-48h', 'rust-ready', 'rollback-verified'] as const satisfies readonly RampPrerequisite[];

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => DURATION.test(v.trim()), { message: 'expected a duration like 500ms, 30s, 15m, 48h or 7d' })
    .transform((v) => ms(v.trim() as ms.StringValue));

const bool = (fallback: boolean) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^(true|false|1|0|yes|no)$/i.test(v.trim()), { message: 'expected true or false' })
    .transform((v) => /^(true|1|yes)$/i.test(v.trim()));

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const url = optionalText.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), {
  message: 'expected an http(s) URL',
});

const number = (fallback: string, check: (n: number) => boolean, expected: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) => Number(v.trim()))
    .refine((n) => Number.isFinite(n) && check(n), { message: `expected ${expected}` });

const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

const slackIds = (prefixes: string) =>
  list('').refine((ids) => ids.every((id) => new RegExp(`^[${prefixes}][A-Z0-9]{2,}$`).test(id)), {
    message: `expected comma-separated Slack IDs starting with ${prefixes.split('').join(' or ')}`,
  });

const mention = optionalText.refine((v) => v === undefined || /^[USW][A-Z0-9]{2,}$/.test(v), {
  message: 'expected a Slack user ID (U...) or user-group ID (S...)',
});

const k8sName = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) && v.length <= 253, {
      message: 'expected a Kubernetes object name (lowercase letters, digits, - and .)',
    });

const rampSteps = list('1,5,10,25,50,100')
  .transform((parts) => parts.map(Number))
  .refine(
    (steps) =>
      steps.length > 0 &&
      steps.every((s, i) => Number.isInteger(s) && s >= 1 && s <= 100 && (i === 0 || s > steps[i - 1]!)),
    { message: 'expected increasing integers between 1 and 100, e.g. 1,5,10,25,50,100' },
  );

const timeZone = z
  .string()
  .default('UTC')
  .refine(
    (tz) => {
      // The default needs no check: the first Intl call loads ICU's data, 10 ms of the command line's start.
      if (tz === 'UTC') return true;
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected an IANA time zone such as UTC or Europe/Paris' },
  );

const cronExpression = z
  .string()
  .default('0 9 * * 1-5')
  .refine((v) => [5, 6].includes(v.trim().split(/\s+/).length) && validateCron(v.trim()), {
    message: 'expected a node-cron expression with 5 or 6 fields (seconds optional), e.g. "0 9 * * 1-5"',
  });

export const RUNBOOK_ALERT_ACTIONS: Record<string, string> = {
  MCPShadowMismatchRateHigh: 'Investigate logs, pause ramp-up',
  MCPShadowErrorRateHigh: 'Check Rust gateway health',
  MCPRustGatewayErrorRateHigh: 'Immediate rollback',
  MCPRustGatewayLatencyHigh: 'Pause ramp-up, investigate',
  MCPRustGatewayDown: 'Immediate rollback',
};

const alertActions = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return RUNBOOK_ALERT_ACTIONS;
    try {
      const parsed: unknown = JSON.parse(v);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((x) => typeof x === 'string')) {
        return parsed as Record<string, string>;
      }
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'expected a JSON object of alert name to action, e.g. {"MCPRustGatewayDown":"Immediate rollback"}' });
    return z.NEVER;
  });

/** The runbook's troubleshooting case of each shadow alert: its message offers that diagnosis. */
export const RUNBOOK_ALERT_DIAGNOSES: Record<string, DiagnoseScope> = {
  MCPShadowMismatchRateHigh: 'mismatches',
  MCPShadowErrorRateHigh: 'shadow',
};

const alertDiagnoses = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return RUNBOOK_ALERT_DIAGNOSES;
    try {
      const parsed: unknown = JSON.parse(v);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((x) => x === 'traffic' || x === 'shadow' || x === 'mismatches')) {
        return parsed as Record<string, DiagnoseScope>;
      }
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'expected a JSON object of alert name to traffic, shadow or mismatches, e.g. {"MCPShadowErrorRateHigh":"shadow"}' });
    return z.NEVER;
  });

const envSchema = z.object({
  PORT: number('3000', (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a TCP port 0-65535'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLACK_BOT_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xoxb-'), {
    message: 'expected a bot token starting with xoxb-',
  }),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xapp-'), {
    message: 'expected an app-level token starting with xapp-',
  }),
  SLACK_API_URL: url,
  SLACK_CHANNEL: optionalText.refine((v) => v === undefined || /^[CG][A-Z0-9]{2,}$/.test(v), {
    message: 'expected a channel ID such as C0123456789 (not a #name)',
  }),
  SLACK_COMMAND_CHANNELS: slackIds('CGD'),
  CANARY_APPROVERS: slackIds('USW'),
  KUBECONFIG: optionalText,
  K8S_NAMESPACE: k8sName('stoa-system'),
  CANARY_INGRESS: k8sName('mcp-gateway-canary'),
  RUST_DEPLOYMENT: k8sName('mcp-gateway-rust'),
  PYTHON_DEPLOYMENT: k8sName('mcp-gateway-python'),
  PRIMARY_INGRESS: k8sName('mcp-gateway-primary'),
  RUST_SERVICE: k8sName('mcp-gateway-rust'),
  RUST_SERVICE_PORT: number('8080', (n) => Number.isInteger(n) && n > 0 && n < 65536, 'a TCP port such as 8080'),
  PYTHON_SERVICE: k8sName('mcp-gateway-python'),
  K8S_REQUEST_TIMEOUT: duration('3s'),
  TRAFFIC_ROUTER: z.enum(['ingress-nginx', 'gateway-api'], { message: 'expected ingress-nginx or gateway-api' }).default('ingress-nginx'),
  HTTPROUTE: k8sName('mcp-gateway'),
  CANARY_ROUTE_MANIFEST: optionalText,
  GUARD: z.enum(['rollback', 'page', 'off'], { message: 'expected rollback, page or off' }).default('rollback'),
  GUARD_INTERVAL: duration('15s').refine((v) => v >= 1000, { message: 'expected at least 1s' }),
  GUARD_BREACHES: number('2', (n) => Number.isInteger(n) && n >= 1 && n <= 100, 'a whole number of checks such as 2'),
  GUARD_ERROR_RATE_MAX: number('0.001', (n) => n >= 0 && n <= 1, 'a ratio between 0 and 1 such as 0.001'),
  GUARD_P99_RATIO_MAX: number('2', (n) => n > 0, 'a positive number such as 2'),
  PAUSE_ALERTS: list('MCPShadowMismatchRateHigh,MCPRustGatewayLatencyHigh').refine((names) => names.every((n) => ALERT_NAME.test(n)), { message: 'expected comma-separated alert names' }),
  RAMP_PREREQUISITES: list('shadow,quiet-48h,rust-ready,rollback-verified').refine((items) => items.every((i) => (PREREQUISITES as readonly string[]).includes(i)), {
    message: `expected a comma-separated subset of ${PREREQUISITES.join(', ')} (empty: none)`,
  }),
  RUST_HEALTH_PATH: z.string().default('/health').refine((v) => /^\/[^\s]*$/.test(v), { message: 'expected a path starting with /' }),
  DIAGNOSE_LOG_LINES: number('2000', (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, 'a whole number of lines such as 2000'),
  PYTHON_POD_SELECTOR: z.string().default('app=mcp-gateway-python').refine((v) => /^[A-Za-z0-9._/-]+(!?=[A-Za-z0-9._-]*)?(,[A-Za-z0-9._/-]+(!?=[A-Za-z0-9._-]*)?)*$/.test(v), { message: 'expected a label selector such as app=mcp-gateway-python' }),
  PROMETHEUS_URL: url,
  ALERTMANAGER_URL: url,
  SOURCE_TIMEOUT: duration('1500ms'),
  REDIS_URL: optionalText.refine((v) => v === undefined || /^(rediss?|redis\+sentinel):\/\//.test(v), {
    message: 'expected a redis://, rediss:// or redis+sentinel://host:26379,host2:26379/mastername URL',
  }),
  RAMP_STEPS: rampSteps,
  STEP_MIN_HOLD: duration('48h'),
  BUSINESS_HOURS: z
    .string()
    .default('Mon-Fri 09:00-18:00')
    .transform((v, ctx) => {
      const parsed = parseBusinessHours(v);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  TZ: timeZone,
  GONOGO_ERROR_RATE_QUERY: z.string().default('mcp:rust_gateway_error_rate:5m'),
  GONOGO_ERROR_RATE_MAX: number('0.001', (n) => n >= 0, 'a non-negative number such as 0.001'),
  GONOGO_RUST_P99_QUERY: z.string().default('mcp:rust_gateway_p99_latency:5m'),
  GONOGO_PYTHON_P99_QUERY: z.string().default('mcp:python_gateway_p99_latency:5m'),
  GONOGO_P99_RATIO_MAX: number('1.5', (n) => n > 0, 'a positive number such as 1.5'),
  GONOGO_ALERT_MATCHERS: list(''),
  APPROVAL_TTL: duration('30m'),
  SHADOW_MATCH_QUERY: z.string().default('sum(rate(mcp_shadow_match_total{result="match"}[5m])) / sum(rate(mcp_shadow_match_total[5m]))'),
  SHADOW_ERROR_QUERY: z.string().default('sum(rate(mcp_shadow_requests_total{status="error"}[5m])) / sum(rate(mcp_shadow_requests_total[5m]))'),
  SHADOW_TIMEOUT_QUERY: z.string().default('sum(rate(mcp_shadow_requests_total{status="timeout"}[5m])) / sum(rate(mcp_shadow_requests_total[5m]))'),
  SHADOW_DAILY_MATCH_QUERY: z.string().default('sum(increase(mcp_shadow_match_total{result="match"}[1d])) / sum(increase(mcp_shadow_match_total[1d]))'),
  SHADOW_MISMATCH_BY_PATH_QUERY: z.string().default('sum by (path) (rate(mcp_shadow_match_total{result!="match"}[1h]))'),
  SHADOW_MATCH_MIN: number('0.999', (n) => n > 0 && n <= 1, 'a ratio between 0 and 1 such as 0.999'),
  SHADOW_ERROR_MAX: number('0.01', (n) => n >= 0 && n <= 1, 'a ratio between 0 and 1 such as 0.01'),
  SHADOW_TIMEOUT_MAX: number('0.05', (n) => n >= 0 && n <= 1, 'a ratio between 0 and 1 such as 0.05'),
  SHADOW_REQUIRED_DAYS: number('7', (n) => Number.isInteger(n) && n >= 1 && n <= 60, 'a whole number of days such as 7'),
  SHADOW_RUST_GATEWAY_URL: z.string().default('http://mcp-gateway-rust:8080'),
  SHADOW_CONTAINER: optionalText,
  DIGEST_CRON: cronExpression,
  ESCALATION_L1: mention,
  ESCALATION_L2: mention,
  ESCALATION_L3: mention,
  ESCALATE_L2_AFTER: duration('15m'),
  ESCALATE_L3_AFTER: duration('30m'),
  ALERT_WEBHOOK_TOKEN: optionalText,
  AUTO_ROLLBACK_ON_CRITICAL: bool(false),
  ROLLBACK_ALERTS: list('MCPRustGatewayErrorRateHigh,MCPRustGatewayDown').refine((names) => names.every((n) => ALERT_NAME.test(n)), { message: 'expected comma-separated alert names' }),
  ALERT_ACTIONS: alertActions,
  ALERT_DIAGNOSES: alertDiagnoses,
  // It becomes an Alertmanager matcher value (severity="…") when GONOGO_ALERT_MATCHERS is unset.
  ALERT_CRITICAL_SEVERITY: z.string().default('critical').refine((v) => /^[^"\\\s]+$/.test(v), { message: 'expected a severity label value without quotes, backslashes or spaces' }),
  DRIFT_CHECK_INTERVAL: duration('1m'),
  DRY_RUN: bool(false),
});

/** Pure: reads a plain env object, so tests pass their own. Throws ConfigError naming every bad variable. */
export function readConfig(env: Record<string, string | undefined>): Config {
  // An empty string means "unset" for every variable, as in most deployment tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const got = present[name];
        const shown = got === undefined ? '' : ` (got "${isSecret(name) ? '***' : got}")`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.SLACK_BOT_TOKEN && !e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
    problems.push('SLACK_SIGNING_SECRET: required in HTTP mode (SLACK_BOT_TOKEN set, SLACK_APP_TOKEN unset)');
  }
  if (e.SLACK_APP_TOKEN && !e.SLACK_BOT_TOKEN) {
    problems.push('SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN (Socket Mode) is set');
  }
  if (e.ESCALATE_L3_AFTER <= e.ESCALATE_L2_AFTER) {
    problems.push('ESCALATE_L3_AFTER: expected a longer duration than ESCALATE_L2_AFTER');
  }
  if (problems.length) throw new ConfigError(problems);

  return {
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL && (e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`),
      channel: e.SLACK_CHANNEL,
      approvers: e.CANARY_APPROVERS,
      commandChannels: e.SLACK_COMMAND_CHANNELS.length
        ? e.SLACK_COMMAND_CHANNELS
        : e.SLACK_CHANNEL
          ? [e.SLACK_CHANNEL]
          : [],
    },
    kube: {
      kubeconfig: e.KUBECONFIG,
      namespace: e.K8S_NAMESPACE,
      canaryIngress: e.CANARY_INGRESS,
      rustDeployment: e.RUST_DEPLOYMENT,
      pythonDeployment: e.PYTHON_DEPLOYMENT,
      primaryIngress: e.PRIMARY_INGRESS,
      rustService: e.RUST_SERVICE,
      rustServicePort: e.RUST_SERVICE_PORT,
      pythonService: e.PYTHON_SERVICE,
      requestTimeoutMs: e.K8S_REQUEST_TIMEOUT,
    },
    router: {
      kind: e.TRAFFIC_ROUTER,
      namespace: e.K8S_NAMESPACE,
      canaryIngress: e.CANARY_INGRESS,
      primaryIngress: e.PRIMARY_INGRESS,
      httpRoute: e.HTTPROUTE,
      pythonService: e.PYTHON_SERVICE,
      rustService: e.RUST_SERVICE,
      rustServicePort: e.RUST_SERVICE_PORT,
      canaryRouteManifest: e.CANARY_ROUTE_MANIFEST,
    },
    guard: {
      mode: e.GUARD,
      intervalMs: e.GUARD_INTERVAL,
      breaches: e.GUARD_BREACHES,
      errorRateMax: e.GUARD_ERROR_RATE_MAX,
      p99RatioMax: e.GUARD_P99_RATIO_MAX,
      rollbackAlerts: e.ROLLBACK_ALERTS,
    },
    diagnostics: { rustHealthPath: e.RUST_HEALTH_PATH, logLines: e.DIAGNOSE_LOG_LINES, pythonPodSelector: e.PYTHON_POD_SELECTOR },
    prometheusUrl: e.PROMETHEUS_URL,
    alertmanagerUrl: e.ALERTMANAGER_URL,
    sourceTimeoutMs: e.SOURCE_TIMEOUT,
    redisUrl: e.REDIS_URL,
    ramp: {
      steps: e.RAMP_STEPS,
      stepMinHoldMs: e.STEP_MIN_HOLD,
      businessHours: e.BUSINESS_HOURS,
      timeZone: e.TZ,
    },
    goNoGo: {
      errorRateQuery: e.GONOGO_ERROR_RATE_QUERY,
      errorRateMax: e.GONOGO_ERROR_RATE_MAX,
      rustP99Query: e.GONOGO_RUST_P99_QUERY,
      pythonP99Query: e.GONOGO_PYTHON_P99_QUERY,
      p99RatioMax: e.GONOGO_P99_RATIO_MAX,
      // Unset: the alerts of ALERT_CRITICAL_SEVERITY block, whatever that severity is called here.
      criticalAlertMatchers: e.GONOGO_ALERT_MATCHERS.length ? e.GONOGO_ALERT_MATCHERS : [`severity="${e.ALERT_CRITICAL_SEVERITY}"`],
      criticalSeverity: e.ALERT_CRITICAL_SEVERITY,
      pauseAlerts: e.PAUSE_ALERTS,
      rollbackAlerts: e.ROLLBACK_ALERTS,
      prerequisites: e.RAMP_PREREQUISITES as RampPrerequisite[],
    },
    approvalTtlMs: e.APPROVAL_TTL,
    digestCron: e.DIGEST_CRON.trim(),
    shadow: {
      matchQuery: e.SHADOW_MATCH_QUERY,
      errorQuery: e.SHADOW_ERROR_QUERY,
      timeoutQuery: e.SHADOW_TIMEOUT_QUERY,
      dailyMatchQuery: e.SHADOW_DAILY_MATCH_QUERY,
      mismatchByPathQuery: e.SHADOW_MISMATCH_BY_PATH_QUERY,
      matchMin: e.SHADOW_MATCH_MIN,
      errorMax: e.SHADOW_ERROR_MAX,
      timeoutMax: e.SHADOW_TIMEOUT_MAX,
      requiredDays: e.SHADOW_REQUIRED_DAYS,
      rustGatewayUrl: e.SHADOW_RUST_GATEWAY_URL,
      container: e.SHADOW_CONTAINER,
    },
    escalation: {
      l1: e.ESCALATION_L1,
      l2: e.ESCALATION_L2,
      l3: e.ESCALATION_L3,
      l2AfterMs: e.ESCALATE_L2_AFTER,
      l3AfterMs: e.ESCALATE_L3_AFTER,
    },
    alertWebhookToken: e.ALERT_WEBHOOK_TOKEN,
    autoRollbackOnCritical: e.AUTO_ROLLBACK_ON_CRITICAL,
    rollbackAlerts: e.ROLLBACK_ALERTS,
    alertActions: e.ALERT_ACTIONS,
    alertDiagnoses: e.ALERT_DIAGNOSES,
    criticalSeverity: e.ALERT_CRITICAL_SEVERITY,
    driftCheckIntervalMs: e.DRIFT_CHECK_INTERVAL,
    dryRun: e.DRY_RUN,
  };
}

function isSecret(name: string): boolean {
  return /TOKEN|SECRET|REDIS_URL/.test(name);
}

/** The policies the core reads, from the configuration; the composition root and the core's test kit share it. */
export function corePolicies(config: Config, overrides: Partial<CorePolicy> = {}): { policy: CorePolicy; alertPolicy: AlertPolicy } {
  return {
    policy: {
      ramp: config.ramp,
      goNoGo: config.goNoGo,
      guard: config.guard,
      approvalTtlMs: config.approvalTtlMs,
      approvers: config.slack.approvers,
      dryRun: config.dryRun,
      shadow: config.shadow,
      statusShareMs: 1000,
      firedAlertsQuery: (window) => `count by (alertname, severity) (max_over_time(ALERTS{alertstate="firing"}[${window}]))`,
      ...overrides,
    },
    alertPolicy: {
      actions: config.alertActions,
      diagnoses: config.alertDiagnoses,
      rollbackAlerts: config.rollbackAlerts,
      criticalSeverity: config.criticalSeverity,
      autoRollbackOnCritical: config.autoRollbackOnCritical,
      escalation: config.escalation,
    },
  };
}
