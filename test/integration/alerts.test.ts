// Alertmanager's webhook into the channel: one message per group, thread news, escalation, acknowledge,
// silence, rollback from the alert, auto-rollback. Payloads are the captured fixtures of the real servers.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buttonsOf, CHANNEL, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import type { SlackMessage } from '../support/fake-slack-api.js';
import { useRedisPerFile } from '../support/redis-fixture.js';

const TOKEN = 'am-webhook-token-0123456789';
const firing = JSON.parse(readFileSync(new URL('../support/fixtures/alertmanager-webhook-firing.json', import.meta.url), 'utf8'));
const resolved = JSON.parse(readFileSync(new URL('../support/fixtures/alertmanager-webhook-resolved.json', import.meta.url), 'utf8'));
const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';

const redisServer = useRedisPerFile();
let h: Harness;

afterEach(async () => {
  await h?.close();
});

function harness(env: Record<string, string> = {}, bot = {}) {
  return startHarness({
    redis: redisServer(),
    env: { ALERT_WEBHOOK_TOKEN: TOKEN, ESCALATION_L1: 'U0ONCALL', ESCALATION_L2: 'S0PLATFORMLEAD', ESCALATION_L3: 'U0RUSTMAINT', ...env },
    bot: { escalationPollMs: 50, ...bot },
  });
}

async function webhook(payload: unknown, opts: { token?: string | null; raw?: string; bot?: { url: string } } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Alertmanager/0.25.0' };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  const res = await fetch(`${(opts.bot ?? h.bot).url}/alerts/webhook`, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(payload) });
  return { status: res.status, body: await res.text() };
}

const topLevel = (): SlackMessage[] => [...h.slack.messages.values()].filter((m) => !m.thread_ts && /FIRING|RESOLVED/.test(textOf(m)));
const thread = (ts: string): SlackMessage[] => [...h.slack.messages.values()].filter((m) => m.thread_ts === ts);

function withAlerts(base: any, changes: { groupKey?: string; alerts?: any[]; truncatedAlerts?: number; status?: string }) {
  return { ...structuredClone(base), ...changes };
}

describe('POST /alerts/webhook', () => {
  it('refuses a missing or wrong bearer token (401), malformed JSON (400), a non-Alertmanager body (400) and an oversized body (413)', async () => {
    h = await harness();
    expect((await webhook(firing, { token: null })).status).toBe(401);
    expect((await webhook(firing, { token: 'wrong' })).status).toBe(401);
    expect((await webhook(undefined, { raw: '{"version": "4", ' })).status).toBe(400);
    const notAm = await webhook({ hello: 'world' });
    expect(notAm.status).toBe(400);
    expect(notAm.body).toMatch(/version/);
    expect((await webhook(undefined, { raw: `{"pad":"${'x'.repeat(1_100_000)}"}` })).status).toBe(413);
    expect(h.slack.callsOf('chat.postMessage')).toEqual([]);
  });

  it('refuses everything when ALERT_WEBHOOK_TOKEN is not set', async () => {
    h = await harness({ ALERT_WEBHOOK_TOKEN: '' });
    const res = await webhook(firing, { token: 'anything' });
    expect(res.status).toBe(401);
    expect(res.body).toMatch(/ALERT_WEBHOOK_TOKEN is not set/);
  });

  it('posts one message per group with severity, summary, runbook action, weight, links and the three buttons; repeats update it', async () => {
    h = await harness();
    h.setCanary(5, { hoursAgo: 3 });
    expect((await webhook(firing)).status).toBe(200);
    expect((await webhook(firing)).status).toBe(200);
    const messages = topLevel();
    expect(messages).toHaveLength(1);
    const m = messages[0]!;
    expect(m.channel).toBe(CHANNEL);
    const text = textOf(m);
    expect(text).toContain('MCPRustGatewayErrorRateHigh');
    expect(text).toContain('critical');
    expect(text).toContain('Rust gateway error rate is 2% (threshold 0.1%)');
    expect(text).toContain('Immediate rollback');
    expect(text).toContain('5%');
    expect(text).toContain('http://alertmanager.example:9093');
    expect(text).toContain('http://prometheus.example:9090/graph');
    const buttons = buttonsOf(m.blocks);
    expect(buttons.map((b) => b.action_id).sort()).toEqual(['canary_alert_ack', 'canary_alert_silence', 'canary_rollback']);
    expect(buttons.find((b) => b.action_id === 'canary_rollback')!.confirm).toBeDefined();

    // A new alert joining the group updates the same message and says so in the thread.
    const joined = withAlerts(firing, {
      alerts: [...firing.alerts, { ...firing.alerts[0], fingerprint: 'b1b1b1', labels: { ...firing.alerts[0].labels, alertname: 'MCPRustGatewayDown' } }],
    });
    await webhook(joined);
    expect(topLevel()).toHaveLength(1);
    expect(textOf(h.slack.messages.get(m.ts))).toContain('MCPRustGatewayDown');
    expect(thread(m.ts).some((t) => /Now also firing/.test(textOf(t)))).toBe(true);
  });

  it('shows unknown alerts plainly and says how many were truncated', async () => {
    h = await harness();
    const odd = withAlerts(firing, {
      groupKey: '{}:{alertname="DiskFull"}',
      truncatedAlerts: 7,
      alerts: [{ ...firing.alerts[0], fingerprint: 'c2', labels: { alertname: 'DiskFull', severity: 'warning' }, annotations: { summary: 'disk 97% full' } }],
    });
    expect((await webhook(odd)).status).toBe(200);
    const text = textOf(topLevel()[0]);
    expect(text).toContain('DiskFull');
    expect(text).toContain('no runbook action for this alert');
    expect(text).toMatch(/7 truncated/);
  });

  it('posts the resolution in the thread and shows the resolved state', async () => {
    h = await harness();
    await webhook(firing);
    const [m] = topLevel();
    expect((await webhook(resolved)).status).toBe(200);
    expect((await webhook(resolved)).status).toBe(200);
    const now = h.slack.messages.get(m!.ts)!;
    expect(textOf(now)).toContain('RESOLVED');
    expect(buttonsOf(now.blocks).some((b) => b.action_id === 'canary_alert_ack')).toBe(false);
    expect(thread(m!.ts).filter((t) => /Resolved/.test(textOf(t)))).toHaveLength(1);
  });
});

describe('escalation of unacknowledged critical alerts', () => {
  it('mentions L1 at once, L2 and L3 after their delays, in the thread, in order', async () => {
    h = await harness({ ESCALATE_L2_AFTER: '400ms', ESCALATE_L3_AFTER: '900ms' });
    const fresh = withAlerts(firing, { alerts: [{ ...firing.alerts[0], startsAt: new Date().toISOString() }] });
    await webhook(fresh);
    const [m] = topLevel();
    expect(textOf(thread(m!.ts)[0])).toContain('<@U0ONCALL>');
    await h.slack.waitFor(() => thread(m!.ts).length >= 3, 5000);
    const mentions = thread(m!.ts).map((t) => textOf(t).match(/Escalation L(\d)/)?.[1]);
    expect(mentions).toEqual(['1', '2', '3']);
    expect(textOf(thread(m!.ts)[1])).toContain('<!subteam^S0PLATFORMLEAD>');
    expect(textOf(thread(m!.ts)[2])).toContain('<@U0RUSTMAINT>');
    const at = thread(m!.ts).map((t) => h.slack.calls.find((c) => c.method === 'chat.postMessage' && c.args.thread_ts === m!.ts && textOf(c.args).includes(`L${textOf(t).match(/Escalation L(\d)/)![1]}`))!.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(300);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(800);
  });

  it('stops when acknowledged, recording who and when', async () => {
    h = await harness({ ESCALATE_L2_AFTER: '500ms', ESCALATE_L3_AFTER: '800ms' });
    await webhook(withAlerts(firing, { alerts: [{ ...firing.alerts[0], startsAt: new Date().toISOString() }] }));
    const [m] = topLevel();
    const ack = await h.click('canary_alert_ack', buttonsOf(m!.blocks).find((b) => b.action_id === 'canary_alert_ack')!.value!, { user: USERS.bob, messageTs: m!.ts });
    expect(textOf(await h.response(ack.responseId))).toMatch(/Acknowledged/);
    await new Promise((r) => setTimeout(r, 1200));
    expect(thread(m!.ts).filter((t) => /Escalation L[23]/.test(textOf(t)))).toEqual([]);
    expect(textOf(h.slack.messages.get(m!.ts))).toContain(`Acknowledged by <@${USERS.bob}>`);
    expect(buttonsOf(h.slack.messages.get(m!.ts)!.blocks).some((b) => b.action_id === 'canary_alert_ack')).toBe(false);
    const history = textOf(await h.command('history').then(({ responseId }) => h.response(responseId)));
    expect(history).toMatch(/acknowledged MCPRustGatewayErrorRateHigh/);
  });

  it('stops when the group resolves', async () => {
    h = await harness({ ESCALATE_L2_AFTER: '500ms', ESCALATE_L3_AFTER: '800ms' });
    await webhook(withAlerts(firing, { alerts: [{ ...firing.alerts[0], startsAt: new Date().toISOString() }] }));
    await webhook(resolved);
    const [m] = topLevel();
    await new Promise((r) => setTimeout(r, 1200));
    expect(thread(m!.ts).filter((t) => /Escalation L[23]/.test(textOf(t)))).toEqual([]);
  });

  it('fires each level exactly once with two replicas polling the same Redis', async () => {
    h = await harness({ ESCALATE_L2_AFTER: '500ms', ESCALATE_L3_AFTER: '900ms' });
    const second = await h.startAnotherBot();
    await Promise.all([
      webhook(withAlerts(firing, { alerts: [{ ...firing.alerts[0], startsAt: new Date().toISOString() }] }), { bot: second }),
      webhook(withAlerts(firing, { alerts: [{ ...firing.alerts[0], startsAt: new Date().toISOString() }] })),
    ]);
    expect(topLevel()).toHaveLength(1);
    const [m] = topLevel();
    await h.slack.waitFor(() => thread(m!.ts).some((t) => /Escalation L3/.test(textOf(t))), 5000);
    await new Promise((r) => setTimeout(r, 500));
    const levels = thread(m!.ts).map((t) => textOf(t).match(/Escalation L(\d)/)?.[1]).filter(Boolean);
    expect(levels).toEqual(['1', '2', '3']);
  });

  it('survives a restart: timers live in Redis, and a bot started later fires them', async () => {
    h = await harness({ ESCALATE_L2_AFTER: '800ms', ESCALATE_L3_AFTER: '1500ms' });
    await webhook(withAlerts(firing, { alerts: [{ ...firing.alerts[0], startsAt: new Date().toISOString() }] }));
    const [m] = topLevel();
    await h.bot.stop();
    await new Promise((r) => setTimeout(r, 900)); // L2 falls due while no bot runs
    await h.startAnotherBot();
    await h.slack.waitFor(() => thread(m!.ts).some((t) => /Escalation L3/.test(textOf(t))), 5000);
    const levels = thread(m!.ts).map((t) => textOf(t).match(/Escalation L(\d)/)?.[1]).filter(Boolean);
    expect(levels).toEqual(['1', '2', '3']);
  });

  it('warning alerts do not escalate', async () => {
    h = await harness({ ESCALATE_L2_AFTER: '200ms', ESCALATE_L3_AFTER: '300ms' });
    const warning = withAlerts(firing, {
      groupKey: '{}:{alertname="MCPRustGatewayLatencyHigh"}',
      alerts: [{ ...firing.alerts[0], fingerprint: 'w1', labels: { alertname: 'MCPRustGatewayLatencyHigh', severity: 'warning' } }],
    });
    await webhook(warning);
    await new Promise((r) => setTimeout(r, 600));
    const [m] = topLevel();
    expect(textOf(m)).toContain('Pause ramp-up, investigate');
    expect(thread(m!.ts)).toEqual([]);
  });
});

describe('rollback from an alert', () => {
  it('rolls back from the alert message, reports in its thread, and counts as the acknowledgement', async () => {
    h = await harness({ ESCALATE_L2_AFTER: '600ms', ESCALATE_L3_AFTER: '900ms' });
    h.setCanary(10, { hoursAgo: 2 });
    await webhook(withAlerts(firing, { alerts: [{ ...firing.alerts[0], startsAt: new Date().toISOString() }] }));
    const [m] = topLevel();
    const rollback = buttonsOf(m!.blocks).find((b) => b.action_id === 'canary_rollback')!;
    await h.click('canary_rollback', rollback.value!, { user: USERS.mallory, messageTs: m!.ts });
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0');
    await h.slack.waitFor(() => thread(m!.ts).some((t) => /rolled back/i.test(textOf(t))));
    // Everyone must see that traffic moved: the thread reply is also shown in the channel.
    const announcement = h.slack.callsOf('chat.postMessage').find((c) => c.thread_ts === m!.ts && /rolled back/i.test(textOf(c as never)));
    expect(announcement).toMatchObject({ channel: CHANNEL, reply_broadcast: 'true' });
    await h.slack.waitFor(() => textOf(h.slack.messages.get(m!.ts)).includes(`Acknowledged by <@${USERS.mallory}>`));
    await new Promise((r) => setTimeout(r, 1000));
    expect(thread(m!.ts).filter((t) => /Escalation L[23]/.test(textOf(t)))).toEqual([]);
  });

  it('creates an Alertmanager silence for 1h from "Silence 1h"', async () => {
    h = await harness();
    await webhook(firing);
    const [m] = topLevel();
    const silence = buttonsOf(m!.blocks).find((b) => b.action_id === 'canary_alert_silence')!;
    const click = await h.click('canary_alert_silence', silence.value!, { user: USERS.carol, messageTs: m!.ts });
    expect(textOf(await h.response(click.responseId))).toMatch(/Silenced/);
    expect(h.alertmanager.silences).toHaveLength(1);
    const created = h.alertmanager.silences[0];
    expect(created.matchers).toEqual([{ name: 'alertname', value: 'MCPRustGatewayErrorRateHigh', isRegex: false, isEqual: true }]);
    expect(Date.parse(created.endsAt) - Date.parse(created.startsAt)).toBe(3_600_000);
    // Who and where, in Alertmanager's own fields: the configured channel, never a hard-coded name.
    expect(created).toMatchObject({
      createdBy: `mcp-canary (Slack user ${USERS.carol})`,
      comment: `Silenced from Slack channel C0ONCALL by user ${USERS.carol}: MCPRustGatewayErrorRateHigh`,
    });
    expect(textOf(h.slack.messages.get(m!.ts))).toMatch(/Silenced by/);
  });
});

describe('AUTO_ROLLBACK_ON_CRITICAL', () => {
  it('rolls back at once on a firing rollback alert when true, posting what was done in the thread', async () => {
    h = await harness({ AUTO_ROLLBACK_ON_CRITICAL: 'true' });
    h.setCanary(25, { hoursAgo: 1 });
    await webhook(firing);
    await webhook(firing);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('0');
    const [m] = topLevel();
    const autos = thread(m!.ts).filter((t) => /Automatic rollback/.test(textOf(t)));
    expect(autos).toHaveLength(1);
    expect(textOf(autos[0])).toMatch(/25%/);
    expect(h.canaryWrites().filter((w) => w.method === 'PATCH')).toHaveLength(1);
    expect(h.logs.some((l) => l.includes('"action":"rollback"') && l.includes('"actor":"mcp-canary"'))).toBe(true);
  });

  it('does not roll back when false (the default), and not for warnings', async () => {
    h = await harness();
    h.setCanary(25, { hoursAgo: 1 });
    await webhook(firing);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('25');
    expect(h.canaryWrites()).toEqual([]);
  });
});

describe('status lists firing alerts by name', () => {
  it('is NO-GO naming the alert', async () => {
    h = await harness();
    h.alertmanager.setAlerts([{ labels: { alertname: 'MCPRustGatewayErrorRateHigh', severity: 'critical' } }]);
    const body = await h.ask('status');
    expect(textOf(body)).toContain('NO-GO');
    expect(textOf(body)).toContain('MCPRustGatewayErrorRateHigh');
  });
});
