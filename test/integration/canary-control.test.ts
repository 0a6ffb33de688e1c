// The foundation, end to end: signed Slack requests in, Kubernetes writes and Slack messages out.
import { afterEach, describe, expect, it } from 'vitest';
import { approvalMessages, buttonsOf, CHANNEL, QUERIES, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import { useRedisPerFile } from '../support/redis-fixture.js';
import { startRedisServer } from '../support/redis-server.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';

const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';

const redisServer = useRedisPerFile();
let h: Harness;

afterEach(async () => {
  await h?.close();
});

async function requestPromotion(user: string = USERS.alice) {
  const { res, responseId } = await h.command('promote', { user });
  expect(res.status).toBe(200);
  await h.response(responseId);
  const message = approvalMessages(h.slack).at(-1);
  expect(message, 'an approval request message in the channel').toBeDefined();
  const approve = buttonsOf(message!.blocks).find((b) => b.action_id === 'canary_approve')!;
  return { message: message!, requestId: approve.value! };
}

describe('/mcp-canary status', () => {
  it('shows weight, step, hold, window, every criterion against its threshold, verdict, readiness and actions', async () => {
    h = await startHarness({ redis: redisServer() });
    h.setCanary(5, { hoursAgo: 10 });
    // The report is ready at once, so it comes in the ack itself: no second HTTP exchange.
    const { res } = await h.command('status');
    expect(res.status).toBe(200);
    const body = res.json;
    expect(body.response_type).toBe('ephemeral');
    const text = textOf(body);
    expect(text).toContain('5%');
    expect(text).toMatch(/step 2 of 6/);
    expect(text).toMatch(/10h/); // time at this step
    expect(text).toMatch(/38h/); // hold time left
    expect(text).toMatch(/window/i);
    expect(text).toContain('0.04%'); // live error rate
    expect(text).toContain('&lt; 0.1%'); // its threshold (mrkdwn-escaped)
    expect(text).toMatch(/1\.20x/); // p99 ratio
    expect(text).toMatch(/1\.5x Python/);
    // Every criterion passes: the go/no-go itself is GO (only the hold blocks the next step, below).
    expect(body.text).toMatch(/^GO: canary 5%/);
    expect(text).toContain('every go/no-go criterion passes');
    expect(text).not.toContain('NO-GO');
    expect(text).toMatch(/3\/3/); // Rust readiness
    // Hold not met: the verdict for the next step says so, and Rollback is always offered.
    expect(text).toMatch(/Hold 48h at step/);
    const buttons = buttonsOf(body.blocks);
    expect(buttons.find((b) => b.action_id === 'canary_rollback')?.confirm).toBeDefined();
  });

  it('is NO-GO with the alert names when a critical alert fires, and offers Request next step when all is green', async () => {
    h = await startHarness({ redis: redisServer() });
    h.setCanary(5, { hoursAgo: 50 });
    let body = await h.ask('status');
    expect(buttonsOf(body.blocks).find((b) => b.action_id === 'canary_request_next')?.value).toBe('10');

    h.alertmanager.setAlerts([{ labels: { alertname: 'MCPRustGatewayDown', severity: 'critical' } }]);
    body = await h.ask('status');
    expect(textOf(body)).toContain('NO-GO');
    expect(textOf(body)).toContain('MCPRustGatewayDown');
    expect(buttonsOf(body.blocks).some((b) => b.action_id === 'canary_request_next')).toBe(false);
  });

  it('acks at once and answers on response_url when the report is slower than the ack budget', async () => {
    h = await startHarness({ redis: redisServer(), bot: { statusInAckMs: 50 } });
    h.setCanary(5, { hoursAgo: 10 });
    h.prometheus.setDelay(300);
    const { res, responseId } = await h.command('status');
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(h.slack.responses.filter((r) => r.id === responseId)).toEqual([]);
    const body = await h.response(responseId);
    expect(body.response_type).toBe('ephemeral');
    expect(textOf(body)).toContain('5%');
    expect(textOf(body)).toContain('0.04%');
  });

  it('answers even when Prometheus is down, saying why it is NO-GO', async () => {
    h = await startHarness({ redis: redisServer() });
    await h.prometheus.setDown(true);
    const body = await h.ask('status');
    expect(textOf(body)).toContain('NO-GO');
    expect(textOf(body)).toMatch(/Prometheus unreachable/);
  });
});

describe('two-person rule', () => {
  it('posts an approval request with who, from, to, evidence, expiry and the three buttons', async () => {
    h = await startHarness({ redis: redisServer() });
    const { message } = await requestPromotion();
    const text = textOf(message);
    expect(text).toContain(`<@${USERS.alice}>`);
    expect(text).toMatch(/0%.*1%/s);
    expect(text).toContain('0.04%');
    expect(text).toMatch(/expire/i);
    expect(buttonsOf(message.blocks).map((b) => b.action_id).sort()).toEqual(['canary_approve', 'canary_reject', 'canary_rollback']);
    expect(message.channel).toBe(CHANNEL);
  });

  it('refuses self-approval and non-approvers, changing nothing', async () => {
    h = await startHarness({ redis: redisServer() });
    const { message, requestId } = await requestPromotion(USERS.alice);

    const self = await h.click('canary_approve', requestId, { user: USERS.alice, messageTs: message.ts });
    expect(self.res.status).toBe(200);
    expect(textOf(await h.response(self.responseId))).toMatch(/another approver/i);

    const mallory = await h.click('canary_approve', requestId, { user: USERS.mallory, messageTs: message.ts });
    expect(textOf(await h.response(mallory.responseId))).toMatch(/CANARY_APPROVERS/);

    expect(h.canaryWrites()).toEqual([]);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('0');
    expect(h.slack.messages.get(message.ts)!.history).toHaveLength(0);
  });

  it('lets a member of an approver user group approve: applied once, message updated in place', async () => {
    h = await startHarness({ redis: redisServer() });
    const { message, requestId } = await requestPromotion(USERS.alice);
    const carol = await h.click('canary_approve', requestId, { user: USERS.carol, messageTs: message.ts });
    await h.response(carol.responseId);
    expect(h.slack.callsOf('usergroups.users.list').map((a) => a.usergroup)).toContain('S0APPROVERS');
    expect(h.canaryAnnotations()[WEIGHT]).toBe('1');
    expect(h.canaryAnnotations()['mcp-canary.stoa.dev/applied-by']).toBe(USERS.carol);
    const updated = h.slack.messages.get(message.ts)!;
    expect(updated.history.length).toBeGreaterThan(0);
    expect(textOf(updated)).toMatch(/applied/i);
    expect(textOf(updated)).toContain(`<@${USERS.carol}>`);
    expect(buttonsOf(updated.blocks).some((b) => b.action_id === 'canary_approve')).toBe(false);

    // A second approval of the same request is told it was decided, and applies nothing more.
    const bob = await h.click('canary_approve', requestId, { user: USERS.bob, messageTs: message.ts });
    expect(textOf(await h.response(bob.responseId))).toMatch(/already/i);
    expect(h.canaryWrites().filter((w) => w.method === 'PATCH')).toHaveLength(1);
  });

  it('expires requests after APPROVAL_TTL and updates the message', async () => {
    h = await startHarness({ redis: redisServer(), env: { APPROVAL_TTL: '1s' } });
    const { message, requestId } = await requestPromotion();
    await h.slack.waitFor(() => /expired/i.test(textOf(h.slack.messages.get(message.ts))), 5000);
    const late = await h.click('canary_approve', requestId, { user: USERS.bob, messageTs: message.ts });
    expect(textOf(await h.response(late.responseId))).toMatch(/expired/i);
    expect(h.canaryWrites()).toEqual([]);
  });

  it('re-evaluates go/no-go at approval: a NO-GO refuses with the reasons', async () => {
    h = await startHarness({ redis: redisServer() });
    const { message, requestId } = await requestPromotion();
    h.prometheus.set(QUERIES.errorRate, 0.02);
    const bob = await h.click('canary_approve', requestId, { user: USERS.bob, messageTs: message.ts });
    await h.response(bob.responseId);
    expect(h.canaryWrites()).toEqual([]);
    const updated = textOf(h.slack.messages.get(message.ts));
    expect(updated).toMatch(/refused/i);
    expect(updated).toContain('error rate 2% is not below 0.1%');
  });

  it('refuses at approval when Prometheus is unreachable (fail closed)', async () => {
    h = await startHarness({ redis: redisServer() });
    const { message, requestId } = await requestPromotion();
    await h.prometheus.setDown(true);
    const bob = await h.click('canary_approve', requestId, { user: USERS.bob, messageTs: message.ts });
    await h.response(bob.responseId);
    expect(h.canaryWrites()).toEqual([]);
    expect(textOf(h.slack.messages.get(message.ts))).toMatch(/Prometheus unreachable/);
  });

  it('applies exactly once when two approvers click at the same moment on two replicas sharing Redis', async () => {
    h = await startHarness({ redis: redisServer() });
    const second = await h.startAnotherBot();
    const { message, requestId } = await requestPromotion();
    const [bob, carol] = await Promise.all([
      h.click('canary_approve', requestId, { user: USERS.bob, messageTs: message.ts, bot: h.bot }),
      h.click('canary_approve', requestId, { user: USERS.carol, messageTs: message.ts, bot: second }),
    ]);
    const replies = await Promise.all([h.response(bob.responseId), h.response(carol.responseId)]);
    expect(h.canaryWrites().filter((w) => w.method === 'PATCH')).toHaveLength(1);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('1');
    expect(replies.map(textOf).filter((t) => /already/i.test(t))).toHaveLength(1);
  });

  it('keeps one pending request at a time: a second request is refused and points at the first', async () => {
    h = await startHarness({ redis: redisServer() });
    await requestPromotion(USERS.alice);
    const { responseId } = await h.command('weight 1', { user: USERS.bob });
    const reply = textOf(await h.response(responseId));
    expect(reply).toMatch(/one request at a time/i);
    expect(reply).toContain(`<@${USERS.alice}>`);
    expect(approvalMessages(h.slack)).toHaveLength(1);
  });

  it('refuses a request that skips a ramp step, and applies decreases without approval (audited)', async () => {
    h = await startHarness({ redis: redisServer() });
    h.setCanary(5, { hoursAgo: 50 });
    const skip = await h.command('weight 25');
    expect(textOf(await h.response(skip.responseId))).toMatch(/next step is 10%/);
    expect(approvalMessages(h.slack)).toHaveLength(0);

    const down = await h.command('weight 1', { user: USERS.mallory });
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '1');
    const history = await h.command('history').then(({ responseId }) => h.response(responseId));
    expect(textOf(history)).toContain(`<@${USERS.mallory}>`);
    expect(textOf(history)).toMatch(/decreased/);
    expect(down.res.status).toBe(200);
  });

  it('honours canary-weight-total when applying a step', async () => {
    h = await startHarness({ redis: redisServer(), kube: { weightTotal: '1000', canaryWeight: '10' } });
    h.setCanary(10, { hoursAgo: 50 });
    const { message, requestId } = await requestPromotion();
    expect(textOf(message)).toMatch(/1%.*5%/s);
    const bob = await h.click('canary_approve', requestId, { user: USERS.bob, messageTs: message.ts });
    await h.response(bob.responseId);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('50');
  });

  it('writes exactly the weight (and its own applied-* record) on the canary Ingress, nothing else', async () => {
    h = await startHarness({ redis: redisServer() });
    h.setCanary(5, { hoursAgo: 50, annotations: { 'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary' } });
    const strip = (o: any) => {
      const c = structuredClone(o);
      for (const k of Object.keys(c.metadata.annotations)) if (k.startsWith('mcp-canary.stoa.dev/applied-') || k === WEIGHT) delete c.metadata.annotations[k];
      delete c.metadata.resourceVersion;
      delete c.metadata.generation;
      return c;
    };
    const before = strip(h.kube.get(h.kube.paths.canaryIngress));
    const { message, requestId } = await requestPromotion();
    await h.response((await h.click('canary_approve', requestId, { user: USERS.bob, messageTs: message.ts })).responseId);
    const after = h.kube.get(h.kube.paths.canaryIngress);
    expect(after.metadata.annotations[WEIGHT]).toBe('10');
    expect(after.metadata.annotations['mcp-canary.stoa.dev/applied-weight']).toBe('10');
    expect(strip(after)).toEqual(before);
  });
});

describe('rollback', () => {
  it('sets weight 0 and removes header/cookie routing, even with Redis stopped, and says what it did', async () => {
    const own = await startRedisServer();
    h = await startHarness({ redis: own });
    h.setCanary(25, { hoursAgo: 3, annotations: { 'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary', 'nginx.ingress.kubernetes.io/canary-by-cookie': 'rust' } });
    await own.stop();
    const { res } = await h.command('rollback users report 502s');
    expect(res.status).toBe(200);
    const posted = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /rolled back/i.test(textOf(m))));
    const annotations = h.canaryAnnotations();
    expect(annotations[WEIGHT]).toBe('0');
    expect(annotations['nginx.ingress.kubernetes.io/canary-by-header']).toBeUndefined();
    expect(annotations['nginx.ingress.kubernetes.io/canary-by-cookie']).toBeUndefined();
    const text = textOf(posted);
    expect(text).toContain('25%');
    expect(text).toMatch(/header X-Canary/);
    expect(text).toContain('users report 502s');
    // The audit entry is logged at once even though Redis is down.
    expect(h.logs.some((l) => l.includes('"action":"rollback"'))).toBe(true);
  });

  it('rolls back from a button click on an approval message and cancels the pending request', async () => {
    h = await startHarness({ redis: redisServer() });
    h.setCanary(5, { hoursAgo: 50 });
    const { message } = await requestPromotion();
    const click = await h.click('canary_rollback', 'approval', { user: USERS.mallory, messageTs: message.ts });
    expect(click.res.status).toBe(200);
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0');
    await h.slack.waitFor(() => /cancel/i.test(textOf(h.slack.messages.get(message.ts))));
  });

  it('deletes the canary Ingress when patching keeps failing with 500, and says exactly that', async () => {
    h = await startHarness({ redis: redisServer() });
    h.setCanary(10, { hoursAgo: 5 });
    h.kube.failNext({ method: 'PATCH', pathIncludes: 'mcp-gateway-canary' }, 500, 5);
    await h.command('rollback');
    const posted = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /removed the canary route/i.test(textOf(m))));
    expect(h.kube.get(h.kube.paths.canaryIngress)).toBeUndefined();
    const methods = h.canaryWrites().map((w) => w.method);
    expect(methods.filter((m) => m === 'PATCH').length).toBeGreaterThanOrEqual(2);
    expect(methods).toContain('DELETE');
    expect(textOf(posted)).toMatch(/500/);
  });

  it('is idempotent: a second rollback says it is already rolled back and writes nothing', async () => {
    h = await startHarness({ redis: redisServer() });
    h.setCanary(5, { hoursAgo: 5 });
    await h.command('rollback');
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0');
    const writes = h.canaryWrites().length;
    const status = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /rolled back/i.test(textOf(m))));
    expect(status).toBeDefined();
    const posts = h.slack.callsOf('chat.postMessage').length;
    const again = await h.command('rollback');
    // Nothing changed, so only the person who asked hears it, from the live state.
    const reply = await h.response(again.responseId);
    expect(textOf(reply)).toMatch(/already rolled back/i);
    expect(reply.response_type).toBe('ephemeral');
    expect(h.canaryWrites().length).toBe(writes);
    expect(h.slack.callsOf('chat.postMessage').length).toBe(posts);
  });

  it('announces a rollback in SLACK_CHANNEL even when the click names another channel, and tells the clicker there', async () => {
    h = await startHarness({ redis: redisServer() });
    h.setCanary(10, { hoursAgo: 5 });
    const click = await h.click('canary_rollback', 'status', { user: USERS.mallory, messageTs: '1700.0303', channel: 'C0ELSEWHERE' });
    expect(click.res.status).toBe(200);
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0');
    const posts = await h.slack.waitFor(() => {
      const found = h.slack.callsOf('chat.postMessage').filter((c) => /rolled back/i.test(textOf(c as never)));
      return found.length ? found : undefined;
    });
    expect(posts.map((c) => c.channel)).toEqual([CHANNEL]);
    expect(textOf(await h.response(click.responseId))).toMatch(/rolled back/i);
  });
});

describe('hostile and malformed input', () => {
  it('answers forged and stale signatures with 401 and does nothing', async () => {
    h = await startHarness({ redis: redisServer() });
    h.setCanary(5, { hoursAgo: 5 });
    const body = slashCommandBody({ text: 'rollback', userId: USERS.mallory, channelId: CHANNEL, responseUrl: h.slack.responseUrl('forged') });
    const forged = await postSigned(h.bot.url, body, { signingSecret: 'test-signing-secret-0123456789', badSignature: true });
    const stale = await postSigned(h.bot.url, body, { signingSecret: 'test-signing-secret-0123456789', timestamp: Math.floor(Date.now() / 1000) - 600 });
    const unsigned = await fetch(`${h.bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(forged.status).toBe(401);
    expect(stale.status).toBe(401);
    expect(unsigned.status).toBe(401);
    // Each refusal is logged with its reason, so a wrong SLACK_SIGNING_SECRET or clock skew is diagnosable.
    const refusals = h.logs.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'Slack request refused');
    expect(refusals.map((entry) => [entry.status, entry.reason])).toEqual([
      [401, 'signature mismatch'],
      [401, expect.stringMatching(/^timestamp 60\d s away from now/)],
      [401, 'missing or malformed x-slack-request-timestamp'],
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.canaryWrites()).toEqual([]);
    expect(h.slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(h.slack.responses).toEqual([]);
  });

  it("answers Slack's signed ssl_check with an empty 200, and an unsigned one with 401", async () => {
    h = await startHarness({ redis: redisServer() });
    const signed = await postSigned(h.bot.url, 'ssl_check=1&token=x', { signingSecret: 'test-signing-secret-0123456789' });
    expect(signed.status).toBe(200);
    expect(signed.text).toBe('');
    const unsigned = await fetch(`${h.bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ssl_check=1&token=x' });
    expect(unsigned.status).toBe(401);
    expect(h.slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
  });

  it.each(['weight 150', 'weight abc', 'frobnicate', 'weight', 'help'])('answers "%s" with usage and changes nothing', async (text) => {
    h = await startHarness({ redis: redisServer() });
    const { res } = await h.command(text);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/rollback/);
    expect(res.text).toMatch(/weight/);
    expect(h.canaryWrites()).toEqual([]);
    expect(approvalMessages(h.slack)).toHaveLength(0);
  });

  it('refuses commands from other channels', async () => {
    h = await startHarness({ redis: redisServer() });
    const { res } = await h.command('rollback', { channel: 'C0ELSEWHERE' });
    expect(res.text).toMatch(/only works in/);
    expect(h.canaryWrites()).toEqual([]);
  });
});

describe('a request Slack will not show', () => {
  it('is withdrawn (and audited) when its message cannot be posted, so it blocks nothing', async () => {
    h = await startHarness({ redis: redisServer() });
    h.slack.failNext('chat.postMessage', { error: 'not_in_channel' }, 1);
    const first = await h.command('promote');
    expect(textOf(await h.response(first.responseId))).toMatch(/could not be posted.*Nothing was requested/s);
    const second = await h.command('promote', { user: USERS.bob });
    await h.response(second.responseId);
    expect(approvalMessages(h.slack)).toHaveLength(1);
    const history = textOf(await h.command('history').then(({ responseId }) => h.response(responseId)));
    expect(history).toMatch(/withdrawn: its message could not be posted/);
  });
});
