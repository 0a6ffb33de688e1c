// Phase 1, shadow mode: the Python gateway mirrors requests to Rust. The bot reads the match, error and
// timeout rates against the runbook's thresholds, tracks the exit criterion ("N days with > 99.9% match"),
// and switches shadow mode on the Python deployment the way `kubectl set env` does.
import type { CoreDeps } from './deps.js';
import { formatRatio } from './format.js';
import type { ContainerEnv, EnvSource } from './entities.js';
import { describe } from './errors.js';
import { mayChangeProduction, type ApproverRule } from './permissions.js';
import type { ShadowConfig } from './policy.js';

export const SHADOW_ENV = { enabled: 'SHADOW_MODE_ENABLED', url: 'SHADOW_RUST_GATEWAY_URL' } as const;

export interface ShadowRate {
  label: string;
  value?: number;
  display: string;
  threshold: string;
  pass: boolean;
  error?: string;
}

export interface ShadowDay {
  /** End of the day the ratio covers. */
  end: Date;
  ratio: number | null;
  met: boolean;
}

export interface ExitCriterion {
  requiredDays: number;
  /** Consecutive days met, counting back from the most recent full day. */
  streak: number;
  met: boolean;
  days: ShadowDay[];
  /** The most recent day that broke the streak. */
  brokenBy?: ShadowDay;
  error?: string;
  summary: string;
}

export interface ShadowStatus {
  enabled: boolean | 'unknown';
  enabledError?: string;
  rates: ShadowRate[];
  exit: ExitCriterion;
  topMismatchPaths: Array<{ path: string; perSecond: number }>;
  at: Date;
}

export async function readShadowStatus(deps: Pick<CoreDeps, 'metrics' | 'cluster' | 'clock'>, config: ShadowConfig): Promise<ShadowStatus> {
  const at = deps.clock.now();
  const [match, error, timeout, exit, paths, env] = await Promise.all([
    deps.metrics.instant(config.matchQuery),
    deps.metrics.instant(config.errorQuery),
    deps.metrics.instant(config.timeoutQuery),
    evaluateExitCriterion(deps, config, at),
    deps.metrics.instantVector(config.mismatchByPathQuery),
    deps.cluster.readDeploymentEnv(deps.cluster.targets.pythonDeployment).then(
      (containers) => ({ containers }),
      (err: unknown) => ({ error: describe(err) }),
    ),
  ]);
  const rate = (label: string, s: typeof match, threshold: number, mustBeAbove: boolean): ShadowRate => {
    const shown = `${mustBeAbove ? '>' : '<'} ${formatRatio(threshold)}`;
    if (!s.ok) return { label, display: 'unknown', threshold: shown, pass: false, error: s.reason };
    return { label, value: s.value, display: formatRatio(s.value), threshold: shown, pass: mustBeAbove ? s.value > threshold : s.value < threshold };
  };
  let enabled: boolean | 'unknown' = 'unknown';
  let enabledError: string | undefined;
  if ('containers' in env) {
    const container = shadowContainer(env.containers, config);
    const source = container?.fromRefs?.[SHADOW_ENV.enabled];
    enabled = container && !source ? container.env[SHADOW_ENV.enabled] === 'true' : 'unknown';
    if (!container) enabledError = `container ${config.container ?? '(first)'} not found`;
    // Set from a Secret or ConfigMap: its value is not read, so neither on nor off.
    else if (source) enabledError = `${SHADOW_ENV.enabled} is set from ${sourceText(source)}, which the bot does not read`;
  } else {
    enabledError = env.error;
  }
  return {
    enabled,
    enabledError,
    rates: [
      rate('Match rate', match, config.matchMin, true),
      rate('Error rate', error, config.errorMax, false),
      rate('Timeout rate', timeout, config.timeoutMax, false),
    ],
    exit,
    topMismatchPaths: paths.ok
      ? paths.samples
          .filter((s) => s.labels.path && Number.isFinite(s.value) && s.value > 0)
          .sort((a, b) => b.value - a.value)
          .slice(0, 5)
          .map((s) => ({ path: s.labels.path!, perSecond: s.value }))
      : [],
    at,
  };
}

/** "N days with > 99.9% match": one value per full day, the streak ending at the most recent one. */
export async function evaluateExitCriterion(deps: Pick<CoreDeps, 'metrics'>, config: ShadowConfig, at: Date): Promise<ExitCriterion> {
  const required = config.requiredDays;
  const dayMs = 86_400_000;
  const end = new Date(Math.floor(at.getTime() / dayMs) * dayMs);
  const start = new Date(end.getTime() - (required - 1) * dayMs);
  const series = await deps.metrics.range(config.dailyMatchQuery, { start, end, stepMs: dayMs });
  if (!series.ok) {
    return { requiredDays: required, streak: 0, met: false, days: [], error: series.reason, summary: `unknown: ${series.reason}` };
  }
  const days: ShadowDay[] = series.points.map(([t, v]) => ({ end: new Date(t), ratio: v, met: v !== null && v > config.matchMin }));
  let streak = 0;
  for (let i = days.length - 1; i >= 0 && days[i]!.met; i--) streak++;
  const brokenBy = [...days].reverse().find((d) => !d.met);
  const met = streak >= required;
  const dayNumber = brokenBy ? days.indexOf(brokenBy) + 1 : 0;
  const broke = brokenBy
    ? `; day ${dayNumber} (${brokenBy.end.toISOString().slice(0, 10)}) broke it ${brokenBy.ratio === null ? 'with no data' : `at ${formatRatio(brokenBy.ratio)}`}`
    : '';
  return {
    requiredDays: required,
    streak,
    met,
    days,
    brokenBy,
    summary: `${streak} of ${required} days met (> ${formatRatio(config.matchMin)} match)${broke}`,
  };
}

/** "ConfigMap gateway-flags (key shadow)", "Secret s (key k)", "the field status.podIP". */
function sourceText(source: EnvSource): string {
  const what = source.kind === 'Secret' || source.kind === 'ConfigMap' ? source.kind : source.kind === 'other' ? 'a reference' : `the ${source.kind}`;
  return `${what} ${source.name}${source.key ? ` (key ${source.key})` : ''}`;
}

function shadowContainer(containers: ContainerEnv[], config: ShadowConfig): ContainerEnv | undefined {
  return config.container ? containers.find((c) => c.container === config.container) : containers[0];
}

export type ShadowToggleOutcome =
  | { kind: 'changed'; enabled: boolean; container: string; env: Record<string, string>; dryRun: boolean }
  | { kind: 'unchanged'; enabled: boolean }
  | { kind: 'not-approver'; rule: ApproverRule }
  | { kind: 'failed'; message: string };

/**
 * `/mcp-canary shadow on|off`, after its confirm dialog. It restarts the production Python pods, so only
 * approvers may do it; the rule is checked here, whatever the UI showed.
 */
export async function setShadowMode(
  deps: Pick<CoreDeps, 'cluster' | 'audit' | 'clock' | 'policy' | 'directory'>,
  config: ShadowConfig,
  input: { actor: string; enabled: boolean },
): Promise<ShadowToggleOutcome> {
  const allowed = await mayChangeProduction(deps, input.actor, 'shadow');
  if (allowed !== true) return allowed.kind === 'not-approver' ? allowed : { kind: 'failed', message: allowed.message };
  const name = deps.cluster.targets.pythonDeployment;
  let containers: ContainerEnv[];
  try {
    containers = await deps.cluster.readDeploymentEnv(name);
  } catch (error) {
    return { kind: 'failed', message: `Could not read deployment ${name}: ${describe(error)}. Nothing was changed.` };
  }
  const container = shadowContainer(containers, config);
  if (!container) {
    return { kind: 'failed', message: `Deployment ${name} has no container ${config.container ?? ''} (set SHADOW_CONTAINER). Nothing was changed.` };
  }
  const current = container.env[SHADOW_ENV.enabled] === 'true';
  const wantedUrl = config.rustGatewayUrl;
  // A variable set from a Secret or ConfigMap has a value the bot does not see: never "unchanged"; the write
  // replaces the reference with the plain value.
  const byReference = container.fromRefs?.[SHADOW_ENV.enabled] !== undefined || (input.enabled && container.fromRefs?.[SHADOW_ENV.url] !== undefined);
  if (!byReference && current === input.enabled && (!input.enabled || container.env[SHADOW_ENV.url] === wantedUrl)) return { kind: 'unchanged', enabled: current };
  const env: Record<string, string> = { [SHADOW_ENV.enabled]: String(input.enabled) };
  if (input.enabled) env[SHADOW_ENV.url] = wantedUrl;
  try {
    await deps.cluster.setDeploymentEnv(name, container.container, env);
  } catch (error) {
    return { kind: 'failed', message: `Could not set ${Object.keys(env).join(', ')} on ${name}: ${describe(error)}. Nothing was changed.` };
  }
  deps.audit.record({
    at: deps.clock.now().toISOString(),
    actor: input.actor,
    action: 'shadow-toggled',
    summary: `shadow mode ${input.enabled ? 'ON' : 'OFF'} on deployment/${name} (container ${container.container}: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})`,
    dryRun: deps.cluster.dryRun || undefined,
  });
  return { kind: 'changed', enabled: input.enabled, container: container.container, env, dryRun: deps.cluster.dryRun };
}
