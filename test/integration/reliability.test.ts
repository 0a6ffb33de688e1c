// The bot as the emergency lever: replicas, retries, double clicks, faults around it, secrets, shutdown.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalMessages, BOT_TOKEN, buttonsOf, CHANNEL, SIGNING_SECRET, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import { startRedisServer } from '../support/redis-server.js';
import { eventCallbackBody, postSigned, signSlackRequest, slashCommandBody } from '../support/slack-requests.js';

const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const WEBHOOK_TOKEN = 'webhook-secret-token-abcdef';
let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('delivered once', () => {
  it('handles an Events API retry (same event_id, X-Slack-Retry-Num) once, across two replicas', async () => {
    const redis = await startRedisServer();
    try {
      h = await startHarness({ redis });
      const second = await h.startAnotherBot();
      const body = eventCallbackBody({ type: 'app_home_opened', user: USERS.bob, channel: 'D0BOB', tab: 'home' });
      const first = await postSigned(h.bot.url, body, { signingSecret: SIGNING_SECRET });
      const retry = await postSigned(second.url, body, { signingSecret: SIGNING_SECRET, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
      expect([first.status, retry.status]).toEqual([200, 200]);
      await h.slack.waitFor(() => h.slack.callsOf('views.publish').length >= 1);
      await new Promise((r) => setTimeout(r, 400));
      expect(h.slack.callsOf('views.publish')).toHaveLength(1);
    } finally {
      await redis.stop();
    }
  });

  it('handles a double-clicked Rollback once: one PATCH, one announcement', async () => {
    h = await startHarness({});
    h.setCanary(10, { hoursAgo: 5 });
    await Promise.all([
      h.click('canary_rollback', 'status', { user: USERS.carol, messageTs: '1700.0001' }),
      h.click('canary_rollback', 'status', { user: USERS.carol, messageTs: '1700.0001' }),
    ]);
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.canaryWrites().filter((w) => w.method === 'PATCH')).toHaveLength(1);
    expect([...h.slack.messages.values()].filter((m) => /rolled back/i.test(textOf(m)))).toHaveLength(1);
    // The second click is not dropped: it is answered from the live state, to the person who clicked.
    await h.slack.waitFor(() => h.slack.responses.find((r) => /already rolled back/i.test(textOf(r.body))));
  });

  it('acts on every Rollback click on one message, however close together: 30 clicks, the weight reset to 5 before each', async () => {
    h = await startHarness({});
    for (let i = 0; i < 30; i++) {
      h.setCanary(5, { hoursAgo: 60 });
      const started = Date.now();
      const { res } = await h.click('canary_rollback', 'status', { user: USERS.carol, messageTs: '1700.0042' });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2500);
      await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0', 3000);
    }
    expect(h.canaryWrites().filter((w) => w.method === 'PATCH')).toHaveLength(30);
  }, 60_000);

  it('acknowledges a duplicate delivery at once (a double-clicked Refresh), doing the work once', async () => {
    h = await startHarness({});
    const click = () => h.click('canary_refresh_status', 'refresh', { user: USERS.alice, messageTs: '1700.0077' });
    const first = await click();
    const started = Date.now();
    const second = await click();
    expect([first.res.status, second.res.status]).toEqual([200, 200]);
    expect(Date.now() - started).toBeLessThan(900);
    await h.response(first.responseId);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.responses.filter((r) => r.id === second.responseId)).toEqual([]);
  });
});

describe('faults around the bot', () => {
  it('Redis down: approvals refuse with a clear message, nothing is requested or applied', async () => {
    const redis = await startRedisServer();
    try {
      h = await startHarness({ redis });
      h.setCanary(5, { hoursAgo: 60 });
      await h.command('promote').then(({ responseId }) => h.response(responseId));
      const request = approvalMessages(h.slack)[0]!;
      await redis.stop();
      const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
      const approve = await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts });
      expect(textOf(await h.response(approve.responseId))).toMatch(/state store is unreachable.*Nothing was (applied|changed)/s);
      const promote = await h.command('promote', { user: USERS.carol });
      expect(textOf(await h.response(promote.responseId))).toMatch(/Approvals need the state store.*Rollback still works/s);
      expect(h.canaryWrites()).toEqual([]);
    } finally {
      await redis.stop();
    }
  });

  it('Alertmanager down: NO-GO for the alerts criterion, with the reason', async () => {
    h = await startHarness({});
    await h.alertmanager.setDown(true);
    const text = textOf(await h.ask('status'));
    expect(text).toContain('NO-GO');
    expect(text).toMatch(/alerts unknown: Alertmanager unreachable/);
  });

  it('Slack rate limit on the announcement: honours Retry-After and still posts', async () => {
    h = await startHarness({});
    h.setCanary(10, { hoursAgo: 5 });
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 1);
    const started = Date.now();
    await h.command('rollback');
    await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /rolled back/i.test(textOf(m))), 8000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('0');
  });

  it('Slack refuses the channel post: the person who asked still learns the outcome through response_url', async () => {
    h = await startHarness({});
    h.setCanary(10, { hoursAgo: 5 });
    h.slack.failNext('chat.postMessage', { error: 'not_in_channel' }, 5);
    const { responseId } = await h.command('rollback');
    const reply = await h.response(responseId);
    expect(textOf(reply)).toMatch(/rolled back/i);
    expect(reply.response_type).toBe('in_channel');
  });

  it('refuses an oversized Slack body without doing anything', async () => {
    h = await startHarness({});
    const body = slashCommandBody({ text: `rollback ${'x'.repeat(300_000)}`, userId: USERS.mallory, channelId: CHANNEL, responseUrl: h.slack.responseUrl('big') });
    const res = await postSigned(h.bot.url, body, { signingSecret: SIGNING_SECRET });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(h.canaryWrites()).toEqual([]);
  });
});

describe('secrets', () => {
  it('never writes a token or secret to the logs, even at debug level', async () => {
    h = await startHarness({ env: { LOG_LEVEL: 'debug', ALERT_WEBHOOK_TOKEN: WEBHOOK_TOKEN } });
    h.setCanary(5, { hoursAgo: 60 });
    await h.ask('status');
    await h.command('promote').then(({ responseId }) => h.response(responseId));
    const request = approvalMessages(h.slack)[0]!;
    const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
    await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts }).then(({ responseId }) => h.response(responseId));
    await fetch(`${h.bot.url}/alerts/webhook`, { method: 'POST', headers: { authorization: 'Bearer wrong-token' }, body: '{}' });
    await fetch(`${h.bot.url}/alerts/webhook`, { method: 'POST', headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' }, body: '{"not":"valid"}' });
    // A failing Slack call logs its error; the token must not ride along.
    h.slack.failNext('chat.postMessage', { error: 'invalid_auth' }, 3);
    await h.command('rollback');
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0');
    await new Promise((r) => setTimeout(r, 200));
    const logs = h.logs.join('\n');
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of [BOT_TOKEN, SIGNING_SECRET, WEBHOOK_TOKEN]) expect(logs).not.toContain(secret);
  });
});

describe('shutdown', () => {
  it('on SIGTERM finishes the in-flight rollback, answers it, and exits 0', async () => {
    h = await startHarness({});
    h.setCanary(10, { hoursAgo: 5 });
    h.kube.setDelay(400);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...h.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const port = await h.slack.waitFor(() => /"port":(\d+)/.exec(out)?.[1], 20_000);
    const responseUrl = h.slack.responseUrl('sigterm');
    const body = slashCommandBody({ text: 'rollback draining test', userId: USERS.carol, channelId: CHANNEL, responseUrl });
    const pending = fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: signSlackRequest(SIGNING_SECRET, body), body });
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect((await pending).status).toBe(200);
    expect(code).toBe(0);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('0');
    expect(out).toMatch(/mcp-canary stopped/);
    expect([...h.slack.messages.values()].some((m) => /draining test/.test(textOf(m)))).toBe(true);
  }, 30_000);
});

