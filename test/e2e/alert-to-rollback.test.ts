// End to end with the real Debian Prometheus and Alertmanager: a metrics endpoint exports a Rust error
// rate above the threshold, the production rules (deploy/prometheus) fire, the real Alertmanager calls the
// bot's webhook, one message with a Rollback button appears on the local Slack server, clicking it rolls
// back, repeats do not duplicate the message, and the resolution lands in its thread.
// The only changes to the production rules: alerts' `for:` is 0s and rate windows are 5s instead of 5m,
// so the test takes seconds instead of minutes; the expressions are otherwise the real ones.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonsOf, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import { startMetricsEndpoint, startRealAlertmanager, startRealPrometheus, withShortFor, type MetricsEndpoint, type RealServer } from '../support/real-prometheus.js';

const TOKEN = 'e2e-alertmanager-token';
const RULES = 'deploy/prometheus/mcp-migration-rules.yml';
const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';

function fastRules(): string {
  const path = withShortFor(RULES, '0s');
  writeFileSync(path, readFileSync(path, 'utf8').replaceAll('[5m]', '[5s]'));
  return path;
}

describe('real Prometheus → real Alertmanager → bot → Slack → rollback', () => {
  let h: Harness;
  let metrics: MetricsEndpoint;
  let alertmanager: RealServer;
  let prometheus: RealServer;
  let traffic: NodeJS.Timeout;
  let errorsPerTick = 3;

  beforeAll(async () => {
    h = await startHarness({ redis: true, env: { ALERT_WEBHOOK_TOKEN: TOKEN, ESCALATION_L1: 'U0ONCALL' } });
    h.setCanary(10, { hoursAgo: 3 });
    metrics = await startMetricsEndpoint();
    const tick = () => {
      metrics.inc('mcp_gateway_requests_total', { gateway: 'rust', code: '200' }, 97);
      metrics.inc('mcp_gateway_requests_total', { gateway: 'rust', code: '503' }, errorsPerTick);
      metrics.inc('mcp_gateway_requests_total', { gateway: 'python', code: '200' }, 100);
      for (const gateway of ['rust', 'python']) {
        metrics.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '0.1' }, 90);
        metrics.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '0.5' }, 100);
        metrics.inc('mcp_gateway_request_duration_seconds_bucket', { gateway, le: '+Inf' }, 100);
        metrics.inc('mcp_gateway_request_duration_seconds_count', { gateway }, 100);
      }
    };
    tick();
    traffic = setInterval(tick, 100);
    alertmanager = await startRealAlertmanager({
      webhookUrl: `${h.bot.url}/alerts/webhook`,
      bearerToken: TOKEN,
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '2s',
    });
    prometheus = await startRealPrometheus({
      scrapeTargets: [metrics.target],
      ruleFiles: [fastRules()],
      alertmanagerUrl: alertmanager.url,
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
  }, 60_000);

  afterAll(async () => {
    clearInterval(traffic);
    await Promise.all([prometheus?.close(), alertmanager?.close(), metrics?.close()]);
    await h?.close();
  });

  const alertMessages = () => [...h.slack.messages.values()].filter((m) => !m.thread_ts && textOf(m).includes('MCPRustGatewayErrorRateHigh'));

  it('posts one alert message, rolls back from it, does not duplicate on repeats, and posts the resolution in the thread', async () => {
    const message = await h.slack.waitFor(() => alertMessages()[0], 60_000);
    expect(textOf(message)).toContain('Immediate rollback');
    const rollback = buttonsOf(message.blocks).find((b) => b.action_id === 'canary_rollback');
    expect(rollback?.confirm).toBeDefined();

    // Alertmanager repeats the notification (repeat_interval 2s): still one message.
    const deliveries = async () => {
      const text = await (await fetch(`${h.bot.url}/metrics`)).text();
      return [...text.matchAll(/mcp_canary_alert_notifications_total\{result="(posted|updated|unchanged)"\} (\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
    };
    await h.slack.waitFor(async () => (await deliveries()) >= 3, 20_000);
    expect(alertMessages()).toHaveLength(1);

    const click = await h.click('canary_rollback', rollback!.value!, { user: USERS.carol, messageTs: message.ts });
    expect(click.res.status).toBe(200);
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0', 10_000);
    await h.slack.waitFor(() => [...h.slack.messages.values()].some((m) => m.thread_ts === message.ts && /rolled back/i.test(textOf(m))), 10_000);

    // The gateway recovers: the alert resolves, the thread says so, the message shows it.
    errorsPerTick = 0;
    await h.slack.waitFor(() => [...h.slack.messages.values()].some((m) => m.thread_ts === message.ts && /Resolved/.test(textOf(m))), 60_000);
    expect(textOf(h.slack.messages.get(message.ts))).toContain('RESOLVED');
    expect(alertMessages()).toHaveLength(1);
  }, 150_000);
});
