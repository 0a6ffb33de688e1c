// The phases around the ramp: shadow mode, drift detection, the post-migration cleanup, and DRY_RUN.
import { afterEach, describe, expect, it } from 'vitest';
import { approvalMessages, buttonsOf, CHANNEL, SIGNING_SECRET, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import { eventCallbackBody, postSigned } from '../support/slack-requests.js';

const DAY = 86_400_000;
const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const DAILY_MATCH = 'sum(increase(mcp_shadow_match_total{result="match"}[1d])) / sum(increase(mcp_shadow_match_total[1d]))';
const BY_PATH = 'sum by (path) (rate(mcp_shadow_match_total{result!="match"}[1h]))';
const SHADOW = {
  match: 'sum(rate(mcp_shadow_match_total{result="match"}[5m])) / sum(rate(mcp_shadow_match_total[5m]))',
  error: 'sum(rate(mcp_shadow_requests_total{status="error"}[5m])) / sum(rate(mcp_shadow_requests_total[5m]))',
  timeout: 'sum(rate(mcp_shadow_requests_total{status="timeout"}[5m])) / sum(rate(mcp_shadow_requests_total[5m]))',
};

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Seven daily match ratios ending at the last midnight (UTC), oldest first. */
function sevenDays(ratios: number[]): Array<[number, string]> {
  const end = Math.floor(Date.now() / DAY) * DAY;
  return ratios.map((r, i) => [(end - (ratios.length - 1 - i) * DAY) / 1000, String(r)]);
}

describe('shadow mode', () => {
  it('shows rates against thresholds, the 7-day exit criterion with the day that broke it, and the top mismatching paths', async () => {
    h = await startHarness({});
    h.prometheus.set(SHADOW.match, 0.9995);
    h.prometheus.set(SHADOW.error, 0.002);
    h.prometheus.set(SHADOW.timeout, 0.07);
    h.prometheus.setRange(DAILY_MATCH, sevenDays([0.9991, 0.9982, 0.9993, 0.9995, 0.9992, 0.9999, 0.9994]));
    h.prometheus.setVector(BY_PATH, [
      { labels: { path: '/mcp/v1/tools' }, value: 0.4 },
      { labels: { path: '/mcp/v1/resources' }, value: 0.05 },
    ]);
    const body = await h.command('shadow status').then(({ responseId }) => h.response(responseId));
    const text = textOf(body);
    expect(text).toContain('99.95%');
    expect(text).toContain('&gt; 99.9%');
    expect(text).toMatch(/Timeout rate.*7%.*&lt; 5%/s);
    expect(text).toContain('5 of 7 days met');
    expect(text).toMatch(/day 2 \(\d{4}-\d{2}-\d{2}\) broke it at 99.82%/);
    expect(text.indexOf('/mcp/v1/tools')).toBeLessThan(text.indexOf('/mcp/v1/resources'));
  });

  it('turns shadow mode on after a confirm dialog, like kubectl set env (other env and containers untouched), audited, with the rollout in the thread', async () => {
    h = await startHarness({ bot: { rolloutWatch: { intervalMs: 50, timeoutMs: 5000 } } });
    const { responseId } = await h.command('shadow on', { user: USERS.bob });
    const confirm = await h.response(responseId);
    const toggle = buttonsOf(confirm.blocks).find((b) => b.action_id === 'canary_shadow_toggle')!;
    expect(toggle.confirm).toBeDefined();
    expect(h.kube.requests.filter((r) => r.method === 'PATCH')).toEqual([]);

    await h.click('canary_shadow_toggle', toggle.value!, { user: USERS.carol, messageTs: '1.1' });
    const announced = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /shadow mode \*ON\*/.test(textOf(m))));
    const patch = h.kube.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/deployments/mcp-gateway-python'))!;
    expect(patch.contentType).toBe('application/strategic-merge-patch+json');
    const deployment = h.kube.get(h.kube.paths.pythonDeployment);
    const [gateway, sidecar] = deployment.spec.template.spec.containers;
    expect(gateway.env).toEqual(
      expect.arrayContaining([
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'SHADOW_MODE_ENABLED', value: 'true' },
        { name: 'SHADOW_RUST_GATEWAY_URL', value: 'http://mcp-gateway-rust:8080' },
      ]),
    );
    expect(sidecar.name).toBe('sidecar');
    await h.slack.waitFor(() => [...h.slack.messages.values()].some((m) => m.thread_ts === announced.ts && /Rollout complete/.test(textOf(m))), 5000);
    const history = textOf(await h.command('history').then(({ responseId: id }) => h.response(id)));
    expect(history).toMatch(/shadow mode ON/);
  });

  it('refuses shadow on/off to non-approvers, at the command and again at the confirm click, naming the rule', async () => {
    h = await startHarness({});
    const reply = await h.command('shadow off', { user: USERS.mallory }).then(({ responseId }) => h.response(responseId));
    expect(textOf(reply)).toMatch(/Only approvers \(CANARY_APPROVERS\) may turn shadow mode on or off/);
    expect(buttonsOf(reply.blocks).find((b) => b.action_id === 'canary_shadow_toggle')).toBeUndefined();
    // A confirm button from someone else's message (or a crafted payload) is refused the same way.
    const click = await h.click('canary_shadow_toggle', 'on', { user: USERS.mallory, messageTs: '1.2' });
    expect(textOf(await h.response(click.responseId))).toMatch(/Only approvers \(CANARY_APPROVERS\).*Nothing was changed/s);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.kube.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(h.logs.some((l) => l.includes('shadow-toggled'))).toBe(false);
  });
});

describe('phase and next-phase checklist', () => {
  it('in shadow phase, status lists the prerequisites of the canary with live marks, including a verified rollback (server-side dry run)', async () => {
    h = await startHarness({});
    h.prometheus.setRange(DAILY_MATCH, sevenDays([0.9991, 0.9992, 0.9993, 0.9995, 0.9992, 0.9999, 0.9994]));
    const body = await h.ask('status');
    const text = textOf(body);
    expect(text).toMatch(/shadow/i);
    expect(text).toContain('7 of 7 days met');
    expect(text).toMatch(/No critical alert in the last 48 h/);
    expect(text).toMatch(/Rollback verified/);
    const dryRun = h.kube.requests.find((r) => r.method === 'PATCH' && r.query.dryRun === 'All');
    expect(dryRun).toBeDefined();
    expect(h.canaryAnnotations()['mcp-canary.stoa.dev/applied-by']).toBeUndefined();
  });
});

describe('drift detection', () => {
  it('announces a weight changed outside the bot once, with before/after, audits it and adopts it', async () => {
    h = await startHarness({ env: { DRIFT_CHECK_INTERVAL: '100ms' } });
    h.setCanary(10, { hoursAgo: 60 });
    await new Promise((r) => setTimeout(r, 300));
    // Someone runs kubectl: the weight moves, the bot's record on the Ingress stays at 10.
    h.setCanary(25);
    const drift = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /changed outside/i.test(textOf(m))), 5000);
    expect(textOf(drift)).toMatch(/10%.*25%/s);
    await new Promise((r) => setTimeout(r, 500));
    expect([...h.slack.messages.values()].filter((m) => /changed outside/i.test(textOf(m)))).toHaveLength(1);
    expect(h.canaryAnnotations()['mcp-canary.stoa.dev/applied-weight']).toBe('25');
    const history = textOf(await h.command('history').then(({ responseId }) => h.response(responseId)));
    expect(history).toMatch(/changed outside mcp-canary/);
  });

  it('announces a canary Ingress deleted outside the bot', async () => {
    h = await startHarness({ env: { DRIFT_CHECK_INTERVAL: '100ms' } });
    h.setCanary(5, { hoursAgo: 60 });
    // The first check records the known state; only then is a deletion a change.
    await h.slack.waitFor(async () => (await h.bot.core.store.getValue<{ exists: boolean }>('canary:known'))?.exists === true, 5000);
    h.kube.objects.delete(h.kube.paths.canaryIngress);
    const drift = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /changed outside/i.test(textOf(m))), 5000);
    expect(textOf(drift)).toMatch(/absent/);
  });

  it("does not mistake the bot's own changes for drift", async () => {
    h = await startHarness({ env: { DRIFT_CHECK_INTERVAL: '100ms' } });
    h.setCanary(5, { hoursAgo: 60 });
    await new Promise((r) => setTimeout(r, 300));
    await h.command('rollback');
    await h.slack.waitFor(() => h.canaryAnnotations()[WEIGHT] === '0');
    await new Promise((r) => setTimeout(r, 500));
    expect([...h.slack.messages.values()].filter((m) => /changed outside/i.test(textOf(m)))).toEqual([]);
  });
});

describe('finalize (post-migration cleanup)', () => {
  it('is refused before 14 days at 100%', async () => {
    h = await startHarness({});
    h.setCanary(100, { hoursAgo: 13 * 24 });
    const reply = textOf(await h.command('finalize').then(({ responseId }) => h.response(responseId)));
    expect(reply).toMatch(/refused/i);
    expect(reply).toMatch(/14d/);
    expect(h.kube.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('dry-runs every step, needs a second person, then applies step by step reporting in the thread', async () => {
    h = await startHarness({});
    h.setCanary(100, { hoursAgo: 15 * 24 });
    await h.command('finalize').then(({ responseId }) => h.response(responseId));
    const request = approvalMessages(h.slack)[0]!;
    expect(textOf(request)).toMatch(/dry run ok/);
    const writes = () => h.kube.requests.filter((r) => r.method !== 'GET');
    expect(writes().length).toBe(4);
    expect(writes().every((r) => r.query.dryRun === 'All')).toBe(true);
    const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;

    const self = await h.click('canary_approve', id, { user: USERS.alice, messageTs: request.ts });
    expect(textOf(await h.response(self.responseId))).toMatch(/another approver/i);
    expect(writes().filter((r) => r.query.dryRun !== 'All')).toEqual([]);

    const bob = await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts });
    await h.response(bob.responseId);
    expect(h.kube.get(h.kube.paths.pythonDeployment)).toBeUndefined();
    expect(h.kube.get(h.kube.paths.pythonService)).toBeUndefined();
    expect(h.kube.get(h.kube.paths.canaryIngress)).toBeUndefined();
    const primary = h.kube.get(h.kube.paths.primaryIngress);
    expect(JSON.stringify(primary.spec)).toContain('"name":"mcp-gateway-rust","port":{"number":8080}');
    const steps = [...h.slack.messages.values()].filter((m) => m.thread_ts === request.ts).map(textOf);
    expect(steps).toHaveLength(4);
    expect(steps.every((s) => /Step \d\/4/.test(s))).toBe(true);
    // Dry runs of all four steps came before the first real write.
    const firstReal = writes().findIndex((r) => r.query.dryRun !== 'All');
    expect(writes().slice(0, firstReal).filter((r) => r.query.dryRun === 'All').length).toBeGreaterThanOrEqual(8);
    expect(textOf(h.slack.messages.get(request.ts))).toMatch(/cleanup finished/);
  });

  it('stops at the first failing step and says what is done and what is not', async () => {
    h = await startHarness({});
    h.setCanary(100, { hoursAgo: 15 * 24 });
    await h.command('finalize').then(({ responseId }) => h.response(responseId));
    const request = approvalMessages(h.slack)[0]!;
    const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
    // The dry runs pass; the real delete of the service (step 2) fails.
    h.kube.failNext({ method: 'DELETE', pathIncludes: '/services/mcp-gateway-python', dryRun: false }, 500, 1);
    const bob = await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts });
    await h.response(bob.responseId);
    const final = textOf(h.slack.messages.get(request.ts));
    expect(final).toMatch(/stopped at the first failure/);
    expect(final).toMatch(/done: delete deployment\/mcp-gateway-python/);
    expect(final).toMatch(/FAILED: delete service\/mcp-gateway-python/);
    expect(final).toMatch(/Not done: point ingress\/mcp-gateway-primary.*remove the canary route ingress\/mcp-gateway-canary/);
    expect(h.kube.get(h.kube.paths.pythonDeployment)).toBeUndefined();
    expect(h.kube.get(h.kube.paths.pythonService)).toBeDefined();
    expect(h.kube.get(h.kube.paths.canaryIngress)).toBeDefined();
    const steps = [...h.slack.messages.values()].filter((m) => m.thread_ts === request.ts).map(textOf);
    expect(steps).toHaveLength(2);
  });
});

describe('DRY_RUN', () => {
  it('reads the real cluster, writes nothing (server-side dry runs) and says DRY RUN', async () => {
    h = await startHarness({ env: { DRY_RUN: 'true' } });
    h.setCanary(5, { hoursAgo: 60 });
    await h.command('promote').then(({ responseId }) => h.response(responseId));
    const request = approvalMessages(h.slack)[0]!;
    expect(textOf(request)).toMatch(/DRY RUN/);
    const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
    await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts }).then(({ responseId }) => h.response(responseId));
    await h.command('rollback');
    await h.slack.waitFor(() => [...h.slack.messages.values()].some((m) => /DRY RUN/.test(textOf(m)) && /roll/i.test(textOf(m)) && m.channel === CHANNEL && m.ts !== request.ts));
    const writes = h.kube.requests.filter((r) => r.method !== 'GET');
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((r) => r.query.dryRun === 'All')).toBe(true);
    expect(h.canaryAnnotations()[WEIGHT]).toBe('5');
    expect(textOf(h.slack.messages.get(request.ts))).toMatch(/DRY RUN/);
  });
});

describe('DRY_RUN in every message', () => {
  it('says DRY RUN in everything the bot shows: answers, channel posts, updates, ephemerals, the App Home', async () => {
    h = await startHarness({ env: { DRY_RUN: 'true' } });
    h.setCanary(5, { hoursAgo: 60 });
    const acks: any[] = [];
    const ask = async (text: string, user: string = USERS.alice) => {
      const { res, responseId } = await h.command(text, { user });
      if (res.json) acks.push(res.json);
      return responseId;
    };
    await h.response(await ask('promote'));
    const request = approvalMessages(h.slack)[0]!;
    const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
    await h.click('canary_approve', id, { user: USERS.alice, messageTs: request.ts }).then(({ responseId }) => h.response(responseId));
    await h.click('canary_approve', id, { user: USERS.mallory, messageTs: request.ts }).then(({ responseId }) => h.response(responseId));
    await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts }).then(({ responseId }) => h.response(responseId));
    // A decrease is announced in the channel; the requester gets no second copy.
    await ask('weight 1');
    await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').some((c) => /lowered/.test(String(c.text))));
    await ask('status');
    await ask('help');
    await h.response(await ask('history'));
    await h.response(await ask('shadow status'));
    await h.response(await ask('shadow on', USERS.bob));
    await h.response(await ask('digest'));
    await ask('rollback checking the dry run');
    await ask('rollback', USERS.mallory);
    await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').filter((c) => /rolled back/.test(String(c.text))).length >= 2);
    await postSigned(h.bot.url, eventCallbackBody({ type: 'app_home_opened', user: USERS.bob, channel: 'D0BOB', tab: 'home' }), { signingSecret: SIGNING_SECRET });
    await h.slack.waitFor(() => h.slack.callsOf('views.publish').length >= 1);
    await new Promise((r) => setTimeout(r, 300));

    const shown = [
      ...acks.map((body) => ({ where: 'ack', body })),
      ...h.slack.responses.map((r) => ({ where: 'response_url', body: r.body })),
      ...['chat.postMessage', 'chat.update', 'chat.postEphemeral'].flatMap((method) => h.slack.callsOf(method).map((body) => ({ where: method, body }))),
      ...h.slack.callsOf('views.publish').map((body) => ({ where: 'views.publish', body: { blocks: (typeof body.view === 'string' ? JSON.parse(body.view) : body.view).blocks } })),
    ];
    expect(shown.length).toBeGreaterThan(15);
    const unmarked = shown.filter(({ body }) => !/DRY RUN/.test(textOf({ text: body.text, blocks: typeof body.blocks === 'string' ? JSON.parse(body.blocks) : body.blocks })));
    expect(unmarked.map(({ where, body }) => `${where}: ${String(body.text ?? '').slice(0, 80)}`)).toEqual([]);
    expect(h.kube.requests.filter((r) => r.method !== 'GET' && r.query.dryRun !== 'All')).toEqual([]);
  });
});

describe('cleanup request message', () => {
  it('names the cleanup, not a weight change, and never claims nothing was applied after a partial run', async () => {
    h = await startHarness({});
    h.setCanary(100, { hoursAgo: 15 * 24 });
    await h.command('finalize').then(({ responseId }) => h.response(responseId));
    const request = approvalMessages(h.slack)[0]!;
    expect(textOf(request)).toContain('Approval needed: post-migration cleanup');
    const approve = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!;
    expect(approve.text.text).toMatch(/Approve cleanup/);
    h.kube.failNext({ method: 'PATCH', pathIncludes: '/ingresses/mcp-gateway-primary', dryRun: false }, 500, 1);
    await h.click('canary_approve', approve.value!, { user: USERS.carol, messageTs: request.ts }).then(({ responseId }) => h.response(responseId));
    const final = textOf(h.slack.messages.get(request.ts));
    expect(final).toMatch(/Failed: post-migration cleanup/);
    expect(final).not.toMatch(/Nothing was applied/);
    expect(final).toMatch(/Stopped at the first failing step/);
  });
});
