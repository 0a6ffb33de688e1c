// deploy/grafana/mcp-gateway-migration.json, the runbook's dashboard "MCP Gateway Migration: Python
// to Rust": its shape (title, uid, datasource variable used everywhere, the runbook's panels and
// thresholds), the names its queries read (recorded by deploy/prometheus/mcp-migration-rules.yml,
// exported by the bot, or ALERTS: a typo in a rule name must not pass as "empty result"), and every
// query sent to the REAL Debian Prometheus (2.42) loaded with the project's rules: each must be
// accepted (parse errors and unknown functions fail), and once the gateways, the shadow middleware
// and the bot export their metrics, every panel query must return data.
// Install Prometheus with: bash scripts/install-test-deps.sh
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/child-process.js';
import { startMetricsEndpoint, startRealPrometheus, withShortFor } from '../support/real-prometheus.js';
import type { MetricsEndpoint, RealServer } from '../support/real-prometheus.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DASHBOARD = 'deploy/grafana/mcp-gateway-migration.json';
const RULES = 'deploy/prometheus/mcp-migration-rules.yml';
const DS_VAR = 'DS_PROMETHEUS';
const DS_REF = { type: 'prometheus', uid: `\${${DS_VAR}}` };

/**
 * Bot metrics the dashboard reads that issue 16 adds to the bot's /metrics concurrently with this
 * dashboard (SPEC.md "Diagnostics": mcp_canary_weight_percent; the guard's counters). Accepted
 * while src/ does not declare them yet; once it does, they are found there like the others.
 */
const BOT_METRICS_BEING_ADDED = ['mcp_canary_weight_percent', 'mcp_canary_guard_checks_total', 'mcp_canary_guard_actions_total'];

/** Grafana's built-in variables, replaced as Grafana would for the dashboard's default range (48 h). */
const GRAFANA_VARIABLES: Record<string, string> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '48h',
};

// ---------------------------------------------------------------------------------------------
// Reading the dashboard
// ---------------------------------------------------------------------------------------------

interface DatasourceRef {
  type?: string;
  uid?: string;
}
interface Target {
  refId?: string;
  expr?: string;
  datasource?: DatasourceRef;
  legendFormat?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: {
    defaults: {
      unit?: string;
      thresholds?: { mode: string; steps: Array<{ color: string; value: number | null }> };
      custom?: { thresholdsStyle?: { mode: string } };
    };
    overrides: unknown[];
  };
}
interface Annotation {
  name: string;
  builtIn?: number;
  datasource?: DatasourceRef;
  expr?: string;
}
interface Dashboard {
  title: string;
  uid: string;
  id?: number | null;
  schemaVersion: number;
  time: { from: string; to: string };
  refresh: string;
  __inputs?: unknown;
  annotations: { list: Annotation[] };
  templating: { list: Array<{ name: string; type: string; query?: string; current?: unknown }> };
  panels: Panel[];
}

function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(join(ROOT, DASHBOARD), 'utf8')) as Dashboard;
}

/** Every panel, including those nested in (collapsed) rows. */
function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

interface Query {
  /** Where it is, for messages: panel title + refId, or the annotation's name. */
  where: string;
  expr: string;
  /** Annotations are events: empty most of the time. */
  annotation: boolean;
}

/** Every PromQL expression of the dashboard: panel targets and annotation queries. */
function queries(d: Dashboard): Query[] {
  const out: Query[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" target ${t.refId ?? '?'}`, expr: t.expr ?? '', annotation: false });
  }
  for (const a of d.annotations.list) {
    if (!a.builtIn) out.push({ where: `annotation "${a.name}"`, expr: a.expr ?? '', annotation: true });
  }
  return out;
}

/** The expression as Grafana sends it to Prometheus: built-in variables replaced; no other `$` allowed. */
function toPromQL(expr: string): string {
  const out = expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = GRAFANA_VARIABLES[name];
    if (value === undefined) throw new Error(`unknown template variable ${whole} in ${JSON.stringify(expr)}`);
    return value;
  });
  return out;
}

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'atan2', 'inf', 'nan']);

/** Metric names (vector selectors) an expression reads: what is left once strings, matchers, durations, grouping clauses, numbers and function calls are removed. */
function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery durations
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ') // grouping label lists
    .replace(/\boffset\s+-?\w+/gi, ' ') // offset durations
    .replace(/(?<![\w:])(?:0x[0-9a-f]+|\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)/gi, ' '); // numbers
  const names = new Set<string>();
  for (const m of s.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2]) continue; // function or aggregation call
    if (PROMQL_KEYWORDS.has(m[1]!.toLowerCase())) continue;
    names.add(m[1]!);
  }
  return [...names].sort();
}

function recordedByRules(): string[] {
  const doc = load(readFileSync(join(ROOT, RULES), 'utf8')) as { groups: Array<{ rules: Array<{ record?: string }> }> };
  return doc.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])));
}

/** `mcp_canary_*` names written as string literals in src/ (prom-client `name:`), with a histogram's series suffixes. */
function declaredBotMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/['"`](mcp_canary_[a-z0-9_]+)['"`]/g)) names.add(m[1]!);
      }
    }
  };
  walk(join(ROOT, 'src'));
  for (const n of [...names]) for (const suffix of ['_bucket', '_sum', '_count']) names.add(n + suffix);
  return names;
}

function panel(d: Dashboard, title: string): Panel {
  const p = allPanels(d).find((x) => x.title === title);
  if (!p) throw new Error(`no panel titled ${JSON.stringify(title)}; panels: ${allPanels(d).map((x) => x.title).join(', ')}`);
  return p;
}

const exprs = (p: Panel): string[] => (p.targets ?? []).map((t) => t.expr ?? '');
const thresholdValues = (p: Panel): Array<number | null> => (p.fieldConfig?.defaults.thresholds?.steps ?? []).map((s) => s.value);

// ---------------------------------------------------------------------------------------------
// Static checks
// ---------------------------------------------------------------------------------------------

describe(`Grafana dashboard ${DASHBOARD}`, () => {
  const d = readDashboard();

  it('is the runbook\'s dashboard, importable: title, uid, no instance id, schema, 48 h range, 30 s refresh', () => {
    expect(d.title).toBe('MCP Gateway Migration: Python to Rust');
    expect(d.uid).toBe('mcp-gateway-migration');
    expect(d.id ?? null).toBeNull();
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(d.time).toEqual({ from: 'now-48h', to: 'now' });
    expect(d.refresh).toBe('30s');
    const ids = allPanels(d).map((p) => p.id);
    expect(new Set(ids).size, 'panel ids are unique').toBe(ids.length);
  });

  it(`has one datasource variable $${DS_VAR} (Prometheus), and every panel, target and annotation uses it: no hard-coded datasource`, () => {
    const dsVars = d.templating.list.filter((v) => v.type === 'datasource');
    expect(dsVars).toHaveLength(1);
    expect(dsVars[0]).toMatchObject({ name: DS_VAR, query: 'prometheus' });
    // Import must not pin a datasource: no __inputs (their values would be substituted into the panels).
    expect(d.__inputs).toBeUndefined();

    for (const p of allPanels(d)) {
      if (p.type === 'row') continue;
      expect(p.datasource, `panel "${p.title}"`).toEqual(DS_REF);
      expect(p.targets?.length ?? 0, `panel "${p.title}" has queries`).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource, `panel "${p.title}" target ${t.refId}`).toEqual(DS_REF);
    }
    for (const a of d.annotations.list) {
      if (!a.builtIn) expect(a.datasource, `annotation "${a.name}"`).toEqual(DS_REF);
    }
    // Wherever a datasource is referenced in the file, it is the variable.
    const refs: unknown[] = [];
    JSON.parse(readFileSync(join(ROOT, DASHBOARD), 'utf8'), (key, value: unknown) => {
      if (key === 'datasource') refs.push(value);
      return value;
    });
    for (const ref of refs) {
      if ((ref as { uid?: string }).uid === '-- Grafana --') continue; // Grafana's built-in annotations
      expect(ref).toEqual(DS_REF);
    }
  });

  it('has the runbook\'s panels with their units and thresholds', () => {
    const weight = panel(d, 'Canary weight');
    expect(exprs(weight).join(' ')).toContain('mcp_canary_weight_percent');
    expect(weight.fieldConfig?.defaults.unit).toBe('percent');

    const errors = panel(d, 'Rust error rate');
    expect(exprs(errors)).toEqual(['mcp:rust_gateway_error_rate:5m']);
    expect(errors.fieldConfig?.defaults.unit).toBe('percentunit');
    expect(thresholdValues(errors)).toEqual([null, 0.001]);
    expect(errors.fieldConfig?.defaults.custom?.thresholdsStyle?.mode).toMatch(/line|dashed/);

    const p99 = panel(d, 'Rust and Python p99 latency');
    expect(p99.fieldConfig?.defaults.unit).toBe('s');
    expect(exprs(p99)).toEqual([
      'mcp:rust_gateway_p99_latency:5m',
      'mcp:python_gateway_p99_latency:5m',
      '1.5 * mcp:python_gateway_p99_latency:5m',
      '2 * mcp:python_gateway_p99_latency:5m',
    ]);
    const ratio = panel(d, 'Rust p99 / Python p99');
    expect(thresholdValues(ratio)).toEqual([null, 1.5, 2]);

    for (const [title, expr, threshold] of [
      ['Shadow match rate', 'mcp:shadow_match_ratio:5m', 0.999],
      ['Shadow error rate', 'mcp:shadow_error_ratio:5m', 0.01],
      ['Shadow timeout rate', 'mcp:shadow_timeout_ratio:5m', 0.05],
    ] as const) {
      const p = panel(d, title);
      expect(exprs(p), title).toEqual([expr]);
      expect(p.fieldConfig?.defaults.unit, title).toBe('percentunit');
      expect(thresholdValues(p), title).toEqual([null, threshold]);
      expect(p.fieldConfig?.defaults.custom?.thresholdsStyle?.mode, title).toMatch(/line|dashed/);
    }

    const alerts = panel(d, 'Alerts firing');
    expect(exprs(alerts).every((e) => e.includes('ALERTS{alertstate="firing"'))).toBe(true);
    expect(exprs(panel(d, 'Critical alerts firing')).join(' ')).toContain('ALERTS{alertstate="firing", severity="critical"}');
    expect(exprs(panel(d, 'Guard checks')).join(' ')).toContain('mcp_canary_guard_checks_total');
    expect(exprs(panel(d, 'Guard actions in range')).join(' ')).toContain('mcp_canary_guard_actions_total');
    expect(exprs(panel(d, 'Rollbacks by source')).join(' ')).toContain('mcp_canary_rollbacks_total');
    expect(exprs(panel(d, 'Approval decisions in range')).join(' ')).toContain('mcp_canary_approval_decisions_total');
    expect(d.annotations.list.map((a) => a.name)).toContain('Rollbacks');
  });

  it('metricNames finds the selectors of an expression, and only those', () => {
    expect(
      metricNames(
        'round(sum by (le, code) (rate(foo_bucket{a="b", c=~"x{1}"}[5m])) / 2.5e-3 * on () group_left () bar:baz:5m offset 1m) > bool 1 or vector(0) unless up[1h:1m]',
      ),
    ).toEqual(['bar:baz:5m', 'foo_bucket', 'up']);
    expect(metricNames(toPromQL('sum(increase(x_total[$__rate_interval])) and ALERTS{alertstate="firing"}'))).toEqual(['ALERTS', 'x_total']);
    expect(() => toPromQL('rate(x[$window])')).toThrow(/unknown template variable/);
  });

  it('reads only series the rules record, the bot exports, or ALERTS (a misspelt rule name fails here, not as "no data")', () => {
    const known = new Set(['ALERTS', ...recordedByRules(), ...declaredBotMetrics(), ...BOT_METRICS_BEING_ADDED]);
    const unknown: string[] = [];
    for (const q of queries(d)) {
      for (const name of metricNames(toPromQL(q.expr))) if (!known.has(name)) unknown.push(`${q.where}: ${name}`);
    }
    expect(unknown).toEqual([]);
    // The check bites: a misspelt recording rule is not known.
    expect(metricNames('mcp:rust_gateway_eror_rate:5m').filter((n) => !known.has(n))).toEqual(['mcp:rust_gateway_eror_rate:5m']);
    // Every recording rule the go/no-go and shadow panels need is used.
    const used = new Set(queries(d).flatMap((q) => metricNames(toPromQL(q.expr))));
    for (const rule of recordedByRules().filter((r) => r !== 'mcp:rust_gateway_ready_for_traffic')) expect(used, rule).toContain(rule);
  });
});

// ---------------------------------------------------------------------------------------------
// The real Prometheus
// ---------------------------------------------------------------------------------------------

interface ApiAnswer {
  status: string;
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

async function api(prometheus: RealServer, path: string, params: Record<string, string>): Promise<ApiAnswer> {
  const res = await fetch(`${prometheus.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(5_000),
  });
  return (await res.json()) as ApiAnswer;
}

/** Sends the query as Grafana does (range query for graphs) and as an instant query; both must be accepted. */
async function rejection(prometheus: RealServer, expr: string): Promise<string | undefined> {
  const now = Date.now() / 1000;
  const instant = await api(prometheus, '/api/v1/query', { query: expr, time: String(now) });
  if (instant.status !== 'success') return `instant: ${instant.errorType}: ${instant.error}`;
  const range = await api(prometheus, '/api/v1/query_range', { query: expr, start: String(now - 3600), end: String(now), step: '60' });
  if (range.status !== 'success') return `range: ${range.errorType}: ${range.error}`;
  return undefined;
}

describe(`${DASHBOARD} against the real Prometheus with ${RULES}`, () => {
  const d = readDashboard();
  let metrics: MetricsEndpoint | undefined;
  let prometheus: RealServer | undefined;
  let traffic: NodeJS.Timeout | undefined;
  const started = Date.now();

  beforeAll(async () => {
    const m = await startMetricsEndpoint();
    metrics = m;
    // Everything the dashboard reads, moving: Rust 2% 5xx (MCPRustGatewayErrorRateHigh, critical),
    // shadow 0.5% mismatches (MCPShadowMismatchRateHigh, warning), latency histograms for both
    // gateways, and the bot's own metrics.
    m.set('mcp_canary_weight_percent', {}, 5);
    m.inc('mcp_canary_rollbacks_total', { outcome: 'rolled-back', source: 'command' });
    m.inc('mcp_canary_approval_decisions_total', { outcome: 'applied' });
    m.inc('mcp_canary_guard_actions_total', { mode: 'page' });
    const tick = () => {
      m.inc('mcp_gateway_requests_total', { gateway: 'rust', code: '200' }, 98);
      m.inc('mcp_gateway_requests_total', { gateway: 'rust', code: '500' }, 2);
      m.inc('mcp_gateway_requests_total', { gateway: 'python', code: '200' }, 100);
      for (const gateway of ['rust', 'python']) {
        m.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '0.1' }, 90);
        m.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '0.5' }, 100);
        m.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '+Inf' }, 100);
        m.inc('mcp_gateway_request_duration_seconds_count', { gateway }, 100);
        m.inc('mcp_gateway_request_duration_seconds_sum', { gateway }, 8);
      }
      m.inc('mcp_shadow_requests_total', { status: 'ok' }, 196);
      m.inc('mcp_shadow_requests_total', { status: 'error' }, 1);
      m.inc('mcp_shadow_requests_total', { status: 'timeout' }, 3);
      m.inc('mcp_shadow_match_total', { result: 'match' }, 199);
      m.inc('mcp_shadow_match_total', { result: 'mismatch' }, 1);
      m.inc('mcp_canary_guard_checks_total', { result: 'breach' });
      m.inc('mcp_canary_approval_decisions_total', { outcome: 'applied' });
    };
    tick();
    traffic = setInterval(tick, 100);
    prometheus = await startRealPrometheus({
      scrapeTargets: [m.target],
      // The production rules, alerts' `for:` shortened to 0s so the alert panels have something to show.
      ruleFiles: [withShortFor(RULES)],
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
  }, 30_000);

  afterAll(async () => {
    if (traffic) clearInterval(traffic);
    await Promise.all([prometheus?.close(), metrics?.close()]);
    // eslint-disable-next-line no-console
    console.info(`[grafana-dashboard.test] real Prometheus part: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('rejects what is not PromQL (so the check below can fail)', async () => {
    expect(await rejection(prometheus!, 'sum(rate(mcp:rust_gateway_error_rate:5m[5m])')).toMatch(/bad_data/);
    expect(await rejection(prometheus!, 'no_such_function(mcp:rust_gateway_error_rate:5m)')).toMatch(/unknown function/);
    expect(await rejection(prometheus!, 'increase(mcp_canary_rollbacks_total[$__range])')).toMatch(/bad_data/);
  });

  it('accepts every query of the dashboard (panels and annotations), Grafana variables replaced', async () => {
    const rejected: string[] = [];
    const all = queries(d);
    expect(all.length).toBeGreaterThan(10);
    for (const q of all) {
      expect(q.expr.trim(), q.where).not.toBe('');
      const why = await rejection(prometheus!, toPromQL(q.expr));
      if (why) rejected.push(`${q.where}: ${q.expr}\n  ${why}`);
    }
    expect(rejected.join('\n')).toBe('');
  });

  it('every panel query returns data once the gateways, the shadow middleware and the bot export their metrics', async () => {
    const panelQueries = queries(d).filter((q) => !q.annotation);
    const empty = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const q of panelQueries) {
        const a = await api(prometheus!, '/api/v1/query', { query: toPromQL(q.expr) });
        if (a.status !== 'success' || (a.data?.result.length ?? 0) === 0) out.push(`${q.where}: ${q.expr}`);
      }
      return out;
    };
    let last: string[] = [];
    await waitFor(
      'data in every panel',
      async () => {
        last = await empty();
        return last.length === 0 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    ).catch(() => {
      throw new Error(`panels still without data:\n${last.join('\n')}\n--- prometheus logs ---\n${prometheus!.logs().slice(-3000)}`);
    });
  }, 30_000);
});
