// The guard in the running bot: it watches the runbook's rollback conditions while the canary gets traffic
// and acts once per breach episode (GUARD=rollback rolls back, GUARD=page pages, GUARD=off only shows).
// Prometheus and Alertmanager answers come from the local API servers, switched at once; the real Debian
// Prometheus drives the same guard in test/e2e/guard-with-real-prometheus.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { approvalMessages, CHANNEL, QUERIES, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import { useRedisPerFile } from '../support/redis-fixture.js';

const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const FAST = { GUARD_INTERVAL: '1s', GUARD_BREACHES: '2' };
const redisServer = useRedisPerFile();
let h: Harness;

afterEach(async () => {
  await h?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const patches = () => h.canaryWrites().filter((w) => w.method === 'PATCH');
/** The bot's /metrics line for `series` (name with its labels), or undefined when it is not there. */
const metricLine = async (series: string): Promise<string | undefined> =>
  (await (await fetch(`${h.bot.url}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${series} `));
const channelPosts = (pattern: RegExp) => h.slack.callsOf('chat.postMessage').filter((c) => c.channel === CHANNEL && pattern.test(textOf(c as never)));

describe('GUARD=rollback (the default)', () => {
  it('rolls back after GUARD_BREACHES breaching checks, once, saying what it saw and how to resume; audited with the guard as actor and the evidence', async () => {
    h = await startHarness({ redis: redisServer(), env: FAST });
    h.setCanary(10, { hoursAgo: 5 });
    h.prometheus.set(QUERIES.errorRate, 0.02);
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0', 8000);
    const [announcement] = await h.slack.waitFor(() => {
      const found = channelPosts(/guard rolled the canary back/i);
      return found.length ? found : undefined;
    });
    const text = textOf(announcement as never);
    expect(text).toMatch(/Rust error rate \(5m\): \*2%\* \(rollback when &gt; 0\.1%\)/);
    expect(text).toMatch(/2 breaching checks in a row/);
    expect(text).toMatch(/To resume/);
    // The breach goes on, the canary is at 0: nothing more is written or said.
    await sleep(2500);
    expect(patches()).toHaveLength(1);
    expect(channelPosts(/rolled the canary back|rolled back/i)).toHaveLength(1);
    const audit = h.logs.map((l) => JSON.parse(l)).find((l) => l.audit?.action === 'rollback');
    expect(audit.audit).toMatchObject({ actor: 'guard', fromPercent: 10, toPercent: 0, evidence: { verdict: 'NO-GO', reasons: [expect.stringMatching(/Rust error rate \(5m\) 2%/)] } });
    const metrics = await (await fetch(`${h.bot.url}/metrics`)).text();
    expect(metrics).toMatch(/mcp_canary_guard_actions_total\{mode="rollback"\} 1/);
    expect(metrics).toMatch(/mcp_canary_weight_percent 0/);
  });

  it('its metrics: the weight gauge reads the approved percent, then 0 once the guard rolled back; each check counted by result, the rollback once', async () => {
    h = await startHarness({ redis: redisServer(), env: FAST });
    await h.response((await h.command('promote')).responseId);
    const request = approvalMessages(h.slack)[0]!;
    const id = JSON.stringify(request.blocks).match(/"action_id":"canary_approve","value":"([^"]+)"/)![1]!;
    await h.response((await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts })).responseId);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('1');
    expect(await metricLine('mcp_canary_weight_percent')).toBe('mcp_canary_weight_percent 1');
    await h.slack.waitFor(async () => (await metricLine('mcp_canary_guard_checks_total{result="clear"}')) !== undefined, 5000);
    expect(await metricLine('mcp_canary_guard_checks_total{result="breach"}')).toBeUndefined();

    h.prometheus.set(QUERIES.errorRate, 0.02);
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0', 8000);
    await h.slack.waitFor(() => channelPosts(/guard rolled the canary back/i)[0], 5000);
    await sleep(1500);
    expect(await metricLine('mcp_canary_weight_percent')).toBe('mcp_canary_weight_percent 0');
    // Two breaching checks, then nothing to guard at 0: no more checks.
    expect(await metricLine('mcp_canary_guard_checks_total{result="breach"}')).toBe('mcp_canary_guard_checks_total{result="breach"} 2');
    expect(await metricLine('mcp_canary_guard_actions_total{mode="rollback"}')).toBe('mcp_canary_guard_actions_total{mode="rollback"} 1');
    expect(await metricLine('mcp_canary_guard_actions_total{mode="page"}')).toBeUndefined();
  });

  it('rolls back when Rust p99 is above 2x Python, but not at 1.8x, where increases are still NO-GO', async () => {
    h = await startHarness({ redis: redisServer(), env: FAST });
    h.setCanary(10, { hoursAgo: 60 });
    h.prometheus.set(QUERIES.rustP99, 0.18);
    h.prometheus.set(QUERIES.pythonP99, 0.1);
    await sleep(3500);
    expect(patches()).toEqual([]);
    const promote = await h.command('promote');
    expect(textOf(await h.response(promote.responseId))).toMatch(/Rust p99 is 1\.80x Python's \(limit 1\.5x\)/);
    expect(approvalMessages(h.slack)).toEqual([]);

    h.prometheus.set(QUERIES.rustP99, 0.25);
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0', 8000);
    const said = await h.slack.waitFor(() => channelPosts(/guard rolled the canary back/i)[0], 5000);
    expect(textOf(said as never)).toMatch(/2\.50x\)\* \(rollback when &gt; 2x Python p99\)/);
  });

  it('does nothing for a breach shorter than GUARD_BREACHES checks', async () => {
    h = await startHarness({ redis: redisServer(), env: { GUARD_INTERVAL: '1s', GUARD_BREACHES: '3' } });
    h.setCanary(10, { hoursAgo: 5 });
    h.prometheus.set(QUERIES.errorRate, 0.02);
    await sleep(1100);
    h.makeHealthy();
    await sleep(4000);
    expect(patches()).toEqual([]);
    expect(channelPosts(/guard/i)).toEqual([]);
  });

  it('never rolls back for missing data: three checks without data are posted once as a warning, and once when data returns', async () => {
    h = await startHarness({ redis: redisServer(), env: FAST });
    h.setCanary(10, { hoursAgo: 5 });
    await h.prometheus.setDown(true);
    await h.slack.waitFor(() => channelPosts(/guard cannot see|no data/i).length === 1, 8000);
    await sleep(2500);
    expect(channelPosts(/guard cannot see|no data/i)).toHaveLength(1);
    expect(textOf(channelPosts(/no data/i)[0] as never)).toMatch(/Missing data is never a reason to roll back/);
    expect(Number((await metricLine('mcp_canary_guard_checks_total{result="no-data"}'))?.split(' ')[1])).toBeGreaterThanOrEqual(3);
    await h.prometheus.setDown(false);
    await h.slack.waitFor(() => channelPosts(/The guard sees again/).length === 1, 8000);
    await sleep(1500);
    expect(channelPosts(/The guard sees again/)).toHaveLength(1);
    expect(patches()).toEqual([]);
  });

  it('acts once for two replicas, also when AUTO_ROLLBACK_ON_CRITICAL fires for the same incident: one write, one announcement', async () => {
    const token = 'guard-webhook-token';
    h = await startHarness({ redis: redisServer(), env: { ...FAST, AUTO_ROLLBACK_ON_CRITICAL: 'true', ALERT_WEBHOOK_TOKEN: token } });
    const second = await h.startAnotherBot();
    h.setCanary(25, { hoursAgo: 5 });
    const alert = { labels: { alertname: 'MCPRustGatewayDown', severity: 'critical' } };
    h.alertmanager.setAlerts([alert]);
    h.prometheus.set(QUERIES.errorRate, 0.05);
    const webhook = {
      version: '4',
      groupKey: '{}:{alertname="MCPRustGatewayDown"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'mcp-canary',
      groupLabels: { alertname: 'MCPRustGatewayDown' },
      commonLabels: alert.labels,
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example',
      alerts: [{ status: 'firing', labels: alert.labels, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'f1' }],
    };
    await sleep(1200);
    await Promise.all(
      [h.bot, second].map((bot) =>
        fetch(`${bot.url}/alerts/webhook`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(webhook) }),
      ),
    );
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0', 8000);
    await sleep(3000);
    expect(patches()).toHaveLength(1);
    const announcements = h.slack.callsOf('chat.postMessage').filter((c) => /rolled the canary back|rolled back to 0%|Automatic rollback/i.test(textOf(c as never)));
    expect(announcements).toHaveLength(1);
  });
});

describe('GUARD=page', () => {
  it('writes nothing, posts "Roll back now" with the evidence and a Rollback button, and mentions L1 at once', async () => {
    h = await startHarness({ redis: redisServer(), env: { ...FAST, GUARD: 'page', ESCALATION_L1: 'U0ONCALL', ESCALATION_L2: 'S0LEAD' } });
    h.setCanary(10, { hoursAgo: 5 });
    h.prometheus.set(QUERIES.errorRate, 0.02);
    const page = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => !m.thread_ts && /Roll back now/.test(textOf(m))), 8000);
    expect(textOf(page)).toMatch(/Rust error rate \(5m\)/);
    expect(textOf(page)).toContain('canary_rollback');
    await h.slack.waitFor(() => [...h.slack.messages.values()].some((m) => m.thread_ts === page.ts && /Escalation L1/.test(textOf(m)) && textOf(m).includes('<@U0ONCALL>')), 5000);
    await sleep(2500);
    expect(patches()).toEqual([]);
    expect([...h.slack.messages.values()].filter((m) => !m.thread_ts && /Roll back now/.test(textOf(m)))).toHaveLength(1);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('10');
    expect(await metricLine('mcp_canary_guard_actions_total{mode="page"}')).toBe('mcp_canary_guard_actions_total{mode="page"} 1');
    expect(await metricLine('mcp_canary_guard_actions_total{mode="rollback"}')).toBeUndefined();
  });
});

describe('GUARD=page when Slack refuses the page', () => {
  it('posts it at the next breaching check, once', async () => {
    h = await startHarness({ redis: redisServer(), env: { ...FAST, GUARD: 'page', ESCALATION_L1: 'U0ONCALL' } });
    h.setCanary(10, { hoursAgo: 5 });
    h.slack.failNext('chat.postMessage', { error: 'not_in_channel' }, 1);
    h.prometheus.set(QUERIES.errorRate, 0.02);
    const pages = () => [...h.slack.messages.values()].filter((m) => !m.thread_ts && /Roll back now/.test(textOf(m)));
    await h.slack.waitFor(() => pages().length === 1, 8000);
    await sleep(2500);
    expect(pages()).toHaveLength(1);
    expect(h.slack.callsOf('chat.postMessage').filter((c) => /Roll back now/.test(textOf(c as never))).length).toBeGreaterThanOrEqual(2);
    expect(patches()).toEqual([]);
  });
});

describe('GUARD=off', () => {
  it('does nothing, and status still shows the conditions with their values', async () => {
    h = await startHarness({ redis: redisServer(), env: { ...FAST, GUARD: 'off' } });
    h.setCanary(10, { hoursAgo: 5 });
    h.prometheus.set(QUERIES.errorRate, 0.02);
    await sleep(3500);
    expect(patches()).toEqual([]);
    expect(channelPosts(/guard/i)).toEqual([]);
    const status = textOf(await h.ask('status'));
    expect(status).toMatch(/\*Guard\* \(GUARD=off/);
    expect(status).toMatch(/Rust error rate \(5m\): \*2%\* \(rollback when &gt; 0\.1%\)/);
  });
});

describe('the ramp rules the runbook adds', () => {
  it('makes increases NO-GO while an alert of PAUSE_ALERTS fires, naming it', async () => {
    h = await startHarness({ redis: redisServer(), env: { GUARD: 'off' } });
    h.setCanary(5, { hoursAgo: 60 });
    h.alertmanager.setAlerts([{ labels: { alertname: 'MCPRustGatewayLatencyHigh', severity: 'warning' } }]);
    const reply = textOf(await h.response((await h.command('promote')).responseId));
    expect(reply).toMatch(/runbook action is "pause ramp-up": MCPRustGatewayLatencyHigh/);
    expect(approvalMessages(h.slack)).toEqual([]);
  });

  const prerequisites: Array<{ id: string; breakIt: (h: Harness) => void; reason: RegExp }> = [
    {
      id: 'shadow',
      breakIt: (x) => x.prometheus.setRange(QUERIES.dailyMatch, 'empty'),
      reason: /Shadow match &gt; 99\.9% for 7 days: 0 of 7 days met|Shadow match > 99\.9% for 7 days: 0 of 7 days met/,
    },
    {
      id: 'quiet-48h',
      breakIt: (x) => x.prometheus.setVector('count by (alertname, severity) (max_over_time(ALERTS{alertstate="firing"}[48h]))', [{ labels: { alertname: 'MCPRustGatewayDown', severity: 'critical' }, value: 1 }]),
      reason: /No critical alert in the last 48 h: fired: MCPRustGatewayDown/,
    },
    {
      id: 'rust-ready',
      breakIt: (x) => {
        const rust = x.kube.get(x.kube.paths.rustDeployment);
        rust.status = { ...rust.status, updatedReplicas: 1 };
      },
      reason: /Rust fully rolled out and ready: 3\/3 ready, rollout not complete/,
    },
    {
      id: 'rollback-verified',
      breakIt: (x) => x.kube.failNext({ method: 'PATCH', pathIncludes: 'mcp-gateway-canary', dryRun: true }, 422, 5),
      reason: /Rollback verified: dry run of the rollback write failed/,
    },
  ];

  /** Approves the newest approval request as Bob; the reply to the click. */
  async function approveNewest(): Promise<string> {
    const request = approvalMessages(h.slack).at(-1)!;
    const id = JSON.stringify(request.blocks).match(/"action_id":"canary_approve","value":"([^"]+)"/)![1]!;
    const approve = await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts });
    return textOf(await h.response(approve.responseId));
  }

  it.each(prerequisites)('refuses the first step when "$id" is unmet, at request and at approval, and allows it once removed from RAMP_PREREQUISITES', async ({ id, breakIt, reason }) => {
    // Met at request, unmet by approval: the approval is refused with the reason, nothing written.
    h = await startHarness({ redis: redisServer(), env: { GUARD: 'off' }, kube: { autoRollout: false } });
    await h.response((await h.command('promote')).responseId);
    expect(approvalMessages(h.slack)).toHaveLength(1);
    breakIt(h);
    expect(await approveNewest()).toMatch(reason);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('0');
    expect(patches()).toEqual([]);
    // Unmet at request: refused there, no approval request.
    const refused = textOf(await h.response((await h.command('promote')).responseId));
    expect(refused).toMatch(reason);
    expect(approvalMessages(h.slack)).toHaveLength(1);
    await h.close();

    // Dropped from RAMP_PREREQUISITES: unmet all along, requested and approved.
    const all = 'shadow,quiet-48h,rust-ready,rollback-verified'.split(',');
    h = await startHarness({ redis: redisServer(), env: { GUARD: 'off', RAMP_PREREQUISITES: all.filter((p) => p !== id).join(',') }, kube: { autoRollout: false } });
    breakIt(h);
    await h.response((await h.command('promote')).responseId);
    expect(approvalMessages(h.slack)).toHaveLength(1);
    expect(await approveNewest()).not.toMatch(reason);
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] !== '0', 5000);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('1');
  });
});
