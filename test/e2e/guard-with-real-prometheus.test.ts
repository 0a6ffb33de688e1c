// The guard against the real Debian Prometheus evaluating the project's recording rules over a local metrics
// endpoint: the error rate and the p99 ratio the guard reads are the production rules' answers. The rules'
// 5m windows are 5s here (and alerts' `for:` 0s), so the test takes seconds; the expressions are the real ones.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalMessages, CHANNEL, startHarness, textOf, type Harness } from '../support/bot-harness.js';
import { startMetricsEndpoint, startRealPrometheus, withShortFor, type MetricsEndpoint, type RealServer } from '../support/real-prometheus.js';

const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const INTERVAL_MS = 1000;
const BREACHES = 2;
/** SPEC: GUARD_INTERVAL × GUARD_BREACHES + 1 s from the breach being visible; a shared CI machine gets 2 s more. */
const BOUND_MS = INTERVAL_MS * BREACHES + 1000 + 2000;

function fastRules(): string {
  const path = withShortFor('deploy/prometheus/mcp-migration-rules.yml', '0s');
  writeFileSync(path, readFileSync(path, 'utf8').replaceAll('[5m]', '[5s]'));
  return path;
}

/** The two gateways' traffic: every 100 ms, 100 requests each, with the errors and latencies asked for. */
interface Traffic {
  rustErrorsPerTick: number;
  /** Upper bound of the bucket every Rust request falls in (Python's are all under 0.1 s). */
  rustLatencyBucket: '0.1' | '0.18' | '0.25';
}

const BUCKETS = ['0.1', '0.18', '0.25', '0.5', '+Inf'] as const;

describe('the guard with the real Prometheus and the production recording rules', () => {
  let h: Harness;
  let metrics: MetricsEndpoint;
  let prometheus: RealServer;
  let timer: NodeJS.Timeout;
  const traffic: Traffic = { rustErrorsPerTick: 0, rustLatencyBucket: '0.1' };

  const tick = () => {
    metrics.inc('mcp_gateway_requests_total', { gateway: 'rust', code: '200' }, 100 - traffic.rustErrorsPerTick);
    metrics.inc('mcp_gateway_requests_total', { gateway: 'rust', code: '503' }, traffic.rustErrorsPerTick);
    metrics.inc('mcp_gateway_requests_total', { gateway: 'python', code: '200' }, 100);
    for (const le of BUCKETS) {
      metrics.inc('mcp_gateway_request_duration_seconds_bucket', { gateway: 'python', le }, 100);
      const rustIn = Number(le === '+Inf' ? Infinity : le) >= Number(traffic.rustLatencyBucket);
      metrics.inc('mcp_gateway_request_duration_seconds_bucket', { gateway: 'rust', le }, rustIn ? 100 : 0);
    }
    metrics.inc('mcp_gateway_request_duration_seconds_count', { gateway: 'python' }, 100);
    metrics.inc('mcp_gateway_request_duration_seconds_count', { gateway: 'rust' }, 100);
  };

  /** Polls the recording rule until `ok`; returns when Prometheus first answered so. */
  const ruleShows = async (query: string, ok: (v: number) => boolean): Promise<number> =>
    h.slack.waitFor(async () => {
      const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
      const value = Number(((await res.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result[0]?.value[1]);
      return ok(value) ? Date.now() : undefined;
    }, 30_000);

  const canaryPatches = () => h.canaryWrites().filter((w) => w.method === 'PATCH');
  const guardAnnouncements = () => h.slack.callsOf('chat.postMessage').filter((c) => c.channel === CHANNEL && /guard rolled the canary back/i.test(textOf(c as never)));

  beforeAll(async () => {
    metrics = await startMetricsEndpoint();
    tick();
    timer = setInterval(tick, 100);
    prometheus = await startRealPrometheus({ scrapeTargets: [metrics.target], ruleFiles: [fastRules()], scrapeInterval: '1s', evaluationInterval: '1s' });
    h = await startHarness({ redis: true, env: { PROMETHEUS_URL: prometheus.url, GUARD_INTERVAL: `${INTERVAL_MS}ms`, GUARD_BREACHES: String(BREACHES) } });
    await ruleShows('mcp:rust_gateway_error_rate:5m', (v) => v === 0);
  }, 60_000);

  afterAll(async () => {
    clearInterval(timer);
    await h?.close();
    await Promise.all([prometheus?.close(), metrics?.close()]);
  });

  it('rolls back once within GUARD_INTERVAL × GUARD_BREACHES + 1 s of the error rate breaching', async () => {
    h.setCanary(10, { hoursAgo: 5 });
    traffic.rustErrorsPerTick = 3;
    const breachVisible = await ruleShows('mcp:rust_gateway_error_rate:5m', (v) => v > 0.001);
    const patch = await h.slack.waitFor(() => canaryPatches()[0], BOUND_MS + 2000);
    expect(patch.body.metadata.annotations[WEIGHT]).toBe('0');
    const at = h.kube.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/mcp-gateway-canary') && r.query.dryRun !== 'All')!.at;
    expect(at - breachVisible).toBeLessThanOrEqual(BOUND_MS);
    await new Promise((r) => setTimeout(r, 2500));
    expect(canaryPatches()).toHaveLength(1);
    traffic.rustErrorsPerTick = 0;
    await ruleShows('mcp:rust_gateway_error_rate:5m', (v) => v === 0);
  }, 60_000);

  it('does not roll back at 1.8x Python p99, where increases are NO-GO, and rolls back at 2.5x', async () => {
    h.kube.requests.length = 0;
    h.setCanary(10, { hoursAgo: 60 });
    traffic.rustLatencyBucket = '0.18';
    await ruleShows('mcp:rust_gateway_p99_latency:5m / mcp:python_gateway_p99_latency:5m', (v) => v > 1.7 && v < 1.9);
    await new Promise((r) => setTimeout(r, INTERVAL_MS * (BREACHES + 2)));
    expect(canaryPatches()).toEqual([]);
    const promote = await h.command('promote');
    expect(textOf(await h.response(promote.responseId))).toMatch(/Rust p99 is 1\.8\dx Python's \(limit 1\.5x\)/);
    expect(approvalMessages(h.slack)).toEqual([]);

    const announcedBefore = guardAnnouncements().length;
    traffic.rustLatencyBucket = '0.25';
    await ruleShows('mcp:rust_gateway_p99_latency:5m / mcp:python_gateway_p99_latency:5m', (v) => v > 2.4);
    // The ratio climbs over the 5 s rate window: wait as long as a loaded machine may need, the bound is checked above.
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0', 20_000);
    // This rollback's announcement: the one after those already in the channel (the first test's).
    const said = await h.slack.waitFor(() => guardAnnouncements().slice(announcedBefore)[0], 5000);
    // What it saw, against the threshold: above 2x (the ratio was still climbing towards 2.5x).
    const ratio = Number(/\((\d+\.\d+)x\)\* \(rollback when &gt; 2x Python p99\)/.exec(textOf(said as never))?.[1]);
    expect(ratio).toBeGreaterThan(2);
    traffic.rustLatencyBucket = '0.1';
  }, 90_000);

  it('never rolls back while Prometheus is down, and warns once', async () => {
    h.kube.requests.length = 0;
    h.setCanary(10, { hoursAgo: 5 });
    const warnings = () => h.slack.callsOf('chat.postMessage').filter((c) => /^Guard: no data/.test(String(c.text)));
    const before = warnings().length;
    await prometheus.close();
    await h.slack.waitFor(() => warnings().length === before + 1, 15_000);
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 3));
    expect(warnings()).toHaveLength(before + 1);
    expect(canaryPatches()).toEqual([]);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('10');
  }, 60_000);
});
