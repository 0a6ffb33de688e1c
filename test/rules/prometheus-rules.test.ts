// The Prometheus rules and the Alertmanager receiver in deploy/, checked by the real tools:
// Debian's promtool (package prometheus) and amtool (package prometheus-alertmanager).
// Install both with: bash scripts/install-test-deps.sh
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULES = 'deploy/prometheus/mcp-migration-rules.yml';
const RULE_TESTS = 'deploy/prometheus/mcp-migration-rules.test.yml';
const PROMETHEUS_RULE = 'deploy/prometheus/prometheus-rule.yaml';
const ALERTMANAGER_CONFIG = 'deploy/alertmanager-receiver.yaml';

const PROMTOOL_HINT = "install Debian's prometheus package (bash scripts/install-test-deps.sh)";
const AMTOOL_HINT = "install Debian's prometheus-alertmanager package, which ships amtool (bash scripts/install-test-deps.sh)";

/** Absolute path of a program on PATH, or undefined. */
function which(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

function run(tool: string, hint: string, args: string[]): { code: number | null; output: string } {
  const bin = which(tool);
  if (!bin) throw new Error(`${tool} not found: ${hint}`);
  const r = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`${tool} ${args.join(' ')} failed to run: ${r.error.message}`);
  return { code: r.status, output: `$ ${tool} ${args.join(' ')}\n${r.stdout}${r.stderr}` };
}

/** Runs the tool and expects exit 0; on failure the assertion message is the tool's own output. */
function expectSuccess(tool: string, hint: string, args: string[]): string {
  const { code, output } = run(tool, hint, args);
  expect(code, output).toBe(0);
  return output;
}

type Rule = { record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
type Group = { name: string; rules: Rule[] };

function readYaml<T>(path: string): T {
  return load(readFileSync(join(ROOT, path), 'utf8')) as T;
}

describe('Prometheus rules (promtool)', () => {
  it(`promtool check rules ${RULES}`, () => {
    const output = expectSuccess('promtool', PROMTOOL_HINT, ['check', 'rules', RULES]);
    expect(output).toContain('SUCCESS');
  });

  it(`promtool test rules ${RULE_TESTS}`, () => {
    expectSuccess('promtool', PROMTOOL_HINT, ['test', 'rules', RULE_TESTS]);
  });

  it('defines the recording rules the bot queries and the runbook alerts with their labels and annotations', () => {
    const { groups } = readYaml<{ groups: Group[] }>(RULES);
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.record).map((r) => r.record)).toEqual([
      'mcp:rust_gateway_error_rate:5m',
      'mcp:rust_gateway_p99_latency:5m',
      'mcp:python_gateway_p99_latency:5m',
      'mcp:rust_gateway_ready_for_traffic',
      'mcp:shadow_match_ratio:5m',
      'mcp:shadow_error_ratio:5m',
      'mcp:shadow_timeout_ratio:5m',
    ]);
    const alerts = Object.fromEntries(rules.filter((r) => r.alert).map((r) => [r.alert!, r]));
    expect(Object.fromEntries(Object.entries(alerts).map(([name, r]) => [name, [r.labels?.severity, r.for]]))).toEqual({
      MCPShadowMismatchRateHigh: ['warning', '10m'],
      MCPShadowErrorRateHigh: ['warning', '10m'],
      MCPRustGatewayErrorRateHigh: ['critical', '2m'],
      MCPRustGatewayLatencyHigh: ['warning', '10m'],
      MCPRustGatewayDown: ['critical', '2m'],
    });
    for (const [name, r] of Object.entries(alerts)) {
      expect(r.labels?.component, name).toMatch(/^mcp-/);
      expect(Object.keys(r.annotations ?? {}).sort(), name).toEqual(['description', 'runbook_url', 'summary']);
      expect(r.annotations?.runbook_url, name).toMatch(/^https:\/\/\S+#[a-z-]+$/);
    }
  });

  it(`${PROMETHEUS_RULE} wraps exactly the same groups in a PrometheusRule`, () => {
    const plain = readYaml<{ groups: Group[] }>(RULES);
    const wrapped = readYaml<{
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace: string; labels: Record<string, string> };
      spec: { groups: Group[] };
    }>(PROMETHEUS_RULE);
    expect(wrapped.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(wrapped.kind).toBe('PrometheusRule');
    expect(wrapped.metadata).toMatchObject({ name: 'mcp-migration', namespace: 'stoa-monitoring', labels: { release: 'prometheus' } });
    expect(Object.keys(wrapped.spec)).toEqual(['groups']);
    expect(wrapped.spec.groups).toEqual(plain.groups);
  });
});

describe('Alertmanager receiver (amtool)', () => {
  const amtool = () => {
    if (!which('amtool')) throw new Error(`amtool not found: ${AMTOOL_HINT}`);
  };

  it(`amtool check-config ${ALERTMANAGER_CONFIG}`, () => {
    amtool();
    const output = expectSuccess('amtool', AMTOOL_HINT, ['check-config', ALERTMANAGER_CONFIG]);
    expect(output).toContain('SUCCESS');
  });

  it('routes every migration alert to the mcp-canary webhook, and nothing else', () => {
    amtool();
    const { groups } = readYaml<{ groups: Group[] }>(RULES);
    const alerts = groups.flatMap((g) => g.rules).filter((r) => r.alert);
    expect(alerts).toHaveLength(5);
    const route = (labels: string[]) =>
      expectSuccess('amtool', AMTOOL_HINT, ['config', 'routes', 'test', `--config.file=${ALERTMANAGER_CONFIG}`, ...labels])
        .split('\n')
        .filter((l) => l && !l.startsWith('$') && !l.startsWith('Warning:'))
        .join('\n')
        .trim();
    for (const a of alerts) {
      expect(route([`alertname=${a.alert}`, `severity=${a.labels!.severity}`, `component=${a.labels!.component}`]), a.alert).toBe('mcp-canary');
    }
    expect(route(['alertname=Watchdog', 'severity=none'])).toBe('default');
  });

  it('the webhook: URL, bearer credentials file, resolved notifications, no truncation, timings', () => {
    const config = readYaml<{
      route: { routes: Array<Record<string, unknown>> };
      receivers: Array<{ name: string; webhook_configs?: Array<Record<string, unknown>> }>;
    }>(ALERTMANAGER_CONFIG);
    const mcp = config.route.routes.find((r) => r.receiver === 'mcp-canary');
    expect(mcp).toMatchObject({ group_by: ['alertname'], group_wait: '10s', group_interval: '1m', repeat_interval: '1h' });
    const receiver = config.receivers.find((r) => r.name === 'mcp-canary');
    expect(receiver?.webhook_configs).toEqual([
      {
        url: 'http://mcp-canary.stoa-system.svc/alerts/webhook',
        send_resolved: true,
        max_alerts: 0,
        http_config: { authorization: { type: 'Bearer', credentials_file: expect.stringMatching(/^\//) } },
      },
    ]);
  });
});
