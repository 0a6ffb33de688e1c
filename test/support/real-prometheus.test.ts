// Proves the real-server helpers and the production rules end to end: a metrics endpoint exports a
// Rust error rate of 2%; the REAL Prometheus (Debian 2.42) scrapes it every second and evaluates
// deploy/prometheus/mcp-migration-rules.yml (alerts' `for:` shortened to 0s); the recording rule
// answers through /api/v1/query; MCPRustGatewayErrorRateHigh goes to the REAL Alertmanager (0.25),
// which POSTs a version 4 webhook with the bearer token to a local receiver.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './child-process.js';
import { startMetricsEndpoint, startRealAlertmanager, startRealPrometheus, withShortFor } from './real-prometheus.js';
import type { MetricsEndpoint, RealServer } from './real-prometheus.js';

const TOKEN = 'e2e-webhook-token';
const RULES = 'deploy/prometheus/mcp-migration-rules.yml';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: {
    version: string;
    status: string;
    receiver: string;
    groupKey: string;
    groupLabels: Record<string, string>;
    alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; fingerprint: string }>;
  };
}

interface PromVector {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

async function instant(prometheusUrl: string, query: string): Promise<PromVector['data']['result']> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as PromVector;
  if (body.status !== 'success') throw new Error(`query ${query}: ${JSON.stringify(body)}`);
  return body.data.result;
}

describe('real Prometheus + Alertmanager with the production rules', () => {
  const received: Received[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
      } catch {
        // not JSON: the assertions below will say nothing arrived
      }
      res.writeHead(200).end();
    });
  });
  let metrics: MetricsEndpoint | undefined;
  let alertmanager: RealServer | undefined;
  let prometheus: RealServer | undefined;
  let traffic: NodeJS.Timeout | undefined;
  const started = Date.now();

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    const receiverPort = (receiver.address() as AddressInfo).port;

    const m = await startMetricsEndpoint();
    metrics = m;
    // Traffic every 100 ms: Rust answers 98 ok + 2 5xx (2% errors, threshold 0.1%) + 1 404
    // (not an error); both gateways' latency histograms identical (p99 ratio 1: no latency alert).
    const tick = () => {
      m.inc('mcp_gateway_requests_total', { gateway: 'rust', code: '200' }, 97);
      m.inc('mcp_gateway_requests_total', { gateway: 'rust', code: '404' }, 1);
      m.inc('mcp_gateway_requests_total', { gateway: 'rust', code: '503' }, 2);
      m.inc('mcp_gateway_requests_total', { gateway: 'python', code: '200' }, 100);
      for (const gateway of ['rust', 'python']) {
        m.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '0.1' }, 90);
        m.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '0.25' }, 99);
        m.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '0.5' }, 100);
        m.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '+Inf' }, 100);
        m.inc('mcp_gateway_request_duration_seconds_count', { gateway }, 100);
        m.inc('mcp_gateway_request_duration_seconds_sum', { gateway }, 12);
      }
    };
    tick();
    traffic = setInterval(tick, 100);

    alertmanager = await startRealAlertmanager({
      webhookUrl: `http://127.0.0.1:${receiverPort}/alerts/webhook`,
      bearerToken: TOKEN,
      groupWait: '1s',
      groupInterval: '1s',
    });
    prometheus = await startRealPrometheus({
      scrapeTargets: [m.target],
      ruleFiles: [withShortFor(RULES)],
      alertmanagerUrl: alertmanager.url,
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
  }, 45_000);

  afterAll(async () => {
    if (traffic) clearInterval(traffic);
    await Promise.all([prometheus?.close(), alertmanager?.close(), metrics?.close()]);
    await new Promise<void>((resolve) => {
      receiver.close(() => resolve());
      receiver.closeAllConnections();
    });
    // eslint-disable-next-line no-console
    console.info(`[real-prometheus.test] total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('serves the exposition format with TYPE lines', async () => {
    const text = await (await fetch(metrics!.url)).text();
    expect(text).toContain('# TYPE mcp_gateway_requests_total counter');
    expect(text).toContain('# TYPE mcp_gateway_request_duration_seconds histogram');
    expect(text).toMatch(/^mcp_gateway_request_duration_seconds_bucket\{gateway="rust",le="\+Inf"\} \d+$/m);
    expect(text).toMatch(/^mcp_gateway_requests_total\{code="503",gateway="rust"\} \d+$/m);
  });

  it('withShortFor rewrites every alert `for:` and keeps the expressions', async () => {
    const { load } = await import('js-yaml');
    const { readFileSync } = await import('node:fs');
    type Rules = { groups: Array<{ rules: Array<Record<string, unknown>> }> };
    const original = load(readFileSync(RULES, 'utf8')) as Rules;
    const short = load(readFileSync(withShortFor(RULES, '1s'), 'utf8')) as Rules;
    const alerts = short.groups.flatMap((g) => g.rules).filter((r) => r.alert);
    expect(alerts).toHaveLength(5);
    expect(alerts.every((r) => r.for === '1s')).toBe(true);
    const strip = (d: Rules) => d.groups.map((g) => ({ ...g, rules: g.rules.map(({ for: _for, ...rest }) => rest) }));
    expect(strip(short)).toEqual(strip(original));
  });

  it('the recording rule answers through /api/v1/query, and the alert reaches the webhook with the bearer token', async () => {
    const t0 = Date.now();
    const errorRate = await waitFor(
      'mcp:rust_gateway_error_rate:5m in Prometheus',
      async () => {
        const result = await instant(prometheus!.url, 'mcp:rust_gateway_error_rate:5m');
        const v = result.length === 1 ? Number.parseFloat(result[0]!.value[1]) : Number.NaN;
        return Number.isFinite(v) ? { metric: result[0]!.metric, value: v } : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- prometheus logs ---\n${prometheus!.logs()}`);
    });
    const tRecorded = Date.now();
    // One series, no labels but the name: the bot expects exactly one.
    expect(errorRate.metric).toEqual({ __name__: 'mcp:rust_gateway_error_rate:5m' });
    expect(errorRate.value).toBeCloseTo(0.02, 3);

    const ready = await instant(prometheus!.url, 'mcp:rust_gateway_ready_for_traffic');
    expect(ready.map((r) => r.value[1])).toEqual(['0']);
    const ratio = await instant(prometheus!.url, 'mcp:rust_gateway_p99_latency:5m / mcp:python_gateway_p99_latency:5m');
    expect(ratio.map((r) => Number.parseFloat(r.value[1]))).toEqual([1]);

    const firing = await waitFor(
      'the MCPRustGatewayErrorRateHigh webhook',
      async () => received.find((r) => r.body.status === 'firing' && r.body.groupLabels.alertname === 'MCPRustGatewayErrorRateHigh'),
      { timeoutMs: 25_000, intervalMs: 100 },
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}\nreceived: ${JSON.stringify(received.map((r) => r.body))}\n--- prometheus logs ---\n${prometheus!.logs()}\n--- alertmanager logs ---\n${alertmanager!.logs()}`,
      );
    });
    // eslint-disable-next-line no-console
    console.info(
      `[real-prometheus.test] recording rule after ${((tRecorded - t0) / 1000).toFixed(1)} s, webhook ${((Date.now() - tRecorded) / 1000).toFixed(1)} s later`,
    );

    expect(firing.path).toBe('/alerts/webhook');
    expect(firing.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(firing.headers['content-type']).toMatch(/^application\/json/);
    expect(firing.headers['user-agent']).toMatch(/^Alertmanager\//);
    expect(firing.body.version).toBe('4');
    expect(firing.body.receiver).toBe('mcp-canary');
    expect(firing.body.groupKey).toContain('MCPRustGatewayErrorRateHigh');
    expect(firing.body.alerts).toHaveLength(1);
    const alert = firing.body.alerts[0]!;
    expect(alert.status).toBe('firing');
    expect(alert.labels).toMatchObject({ alertname: 'MCPRustGatewayErrorRateHigh', severity: 'critical', component: 'mcp-gateway-rust' });
    expect(alert.annotations.summary).toBe('Rust gateway error rate is 2% (threshold 0.1%)');
    expect(alert.annotations.runbook_url).toMatch(/#rollback$/);
    expect(alert.fingerprint).toMatch(/^[0-9a-f]{16}$/);

    // Only the rule that should fire did: healthy latency, the Rust job is up, no shadow traffic.
    const names = new Set(received.flatMap((r) => r.body.alerts.map((a) => a.labels.alertname)));
    expect([...names]).toEqual(['MCPRustGatewayErrorRateHigh']);
  }, 50_000);
});
