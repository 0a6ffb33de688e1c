// TRAFFIC_ROUTER=gateway-api, the running bot against the local API server, where a route is not as the
// bot left it: no Gateway has reported on it; someone edits it between the bot's read and its patch (a
// failed `test` op answers 422, which must count as a conflict); the drift check adopts hand-set weights
// that are not out of 100; Rust sits beside a backend other than Python; the HTTPRoute itself is gone.
import { afterEach, describe, expect, it } from 'vitest';
import { approvalMessages, buttonsOf, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';

const APPLIED = 'mcp-canary.stoa.dev/applied-';
const PYTHON = { group: '', kind: 'Service', name: 'mcp-gateway-python', port: 8000 };
const RUST = { group: '', kind: 'Service', name: 'mcp-gateway-rust', port: 8080 };
let h: Harness;

afterEach(async () => {
  await h?.close();
});

const route = () => h.kube.get(h.kube.paths.httpRoute);
const weights = (rule: any) => Object.fromEntries(rule.backendRefs.map((b: any) => [b.name, b.weight]));
const realPatches = () => h.kube.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/httproutes/mcp-gateway') && r.query.dryRun !== 'All');
const posted = (pattern: RegExp, timeoutMs?: number) => h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => pattern.test(textOf(m))), timeoutMs);

/** The split rule's weights as given, recorded as applied at `appliedPercent` `hoursAgo` ago (as the bot would). */
function handSet(python: number, rust: number, applied?: { percent: number; hoursAgo: number }): void {
  const r = route();
  r.spec.rules[0].backendRefs = [
    { ...PYTHON, weight: python },
    { ...RUST, weight: rust },
  ];
  const annotations = { ...(r.metadata.annotations ?? {}) };
  for (const key of Object.keys(annotations)) if (key.startsWith(APPLIED)) delete annotations[key];
  if (applied) {
    annotations[`${APPLIED}weight`] = String(applied.percent);
    annotations[`${APPLIED}at`] = new Date(Date.now() - applied.hoursAgo * 3_600_000).toISOString();
    annotations[`${APPLIED}by`] = USERS.alice;
  }
  r.metadata.annotations = annotations;
  r.metadata.resourceVersion = String(Number(r.metadata.resourceVersion) + 100);
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('TRAFFIC_ROUTER=gateway-api, a route not as the bot left it', () => {
  it('is NO-GO for increases while no Gateway has reported on the route, and status says why', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    handSet(95, 5, { percent: 5, hoursAgo: 60 });
    route().status = { parents: [] };
    const text = textOf(await h.ask('status'));
    expect(text).toMatch(/\*Accepted is False\*: not reported: no Gateway has reported on the route \(status\.parents is empty\): check its parentRefs/);
    const refused = textOf(await h.response((await h.command('promote')).responseId));
    expect(refused).toMatch(/Canary route: not accepted by the traffic layer: Accepted is false \(not reported: no Gateway has reported on the route/);
    expect(approvalMessages(h.slack)).toEqual([]);
  });

  it('takes an edit between its read and its patch (the test ops fail: 422) for a conflict: reads again and applies the approval', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    handSet(95, 5, { percent: 5, hoursAgo: 60 });
    await h.response((await h.command('promote')).responseId);
    const request = approvalMessages(h.slack).at(-1)!;
    const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
    // Every request now waits at the API server: the bot's patch arrives, and someone reorders the
    // backendRefs (same weights) before the server applies it.
    h.kube.setDelay(200);
    const click = h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts });
    await until(() => realPatches().length === 1);
    const r = route();
    r.spec.rules[0].backendRefs.reverse();
    r.metadata.resourceVersion = String(Number(r.metadata.resourceVersion) + 1);
    h.kube.setDelay(0);
    await h.response((await click).responseId);
    expect(realPatches()).toHaveLength(2);
    expect(route().spec.rules[0].backendRefs).toEqual([expect.objectContaining({ name: 'mcp-gateway-rust', weight: 10 }), expect.objectContaining({ name: 'mcp-gateway-python', weight: 90 })]);
    expect(route().metadata.annotations[`${APPLIED}weight`]).toBe('10');
  });

  it('drift adoption of weights that are not out of 100 records the percent and leaves the weights as they were set', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api', DRIFT_CHECK_INTERVAL: '200ms' } });
    handSet(95, 5, { percent: 5, hoursAgo: 10 });
    await new Promise((r) => setTimeout(r, 400));
    // By hand: Python 2, Rust 1 (33.33%).
    handSet(2, 1, { percent: 5, hoursAgo: 10 });
    await posted(/Adopted as the known state: the hold at this step restarts now/, 5000);
    await until(() => route().metadata.annotations[`${APPLIED}weight`] === '33.33');
    expect(weights(route().spec.rules[0])).toEqual({ 'mcp-gateway-python': 2, 'mcp-gateway-rust': 1 });
    // By hand again: 190/10 (5%); adopted as 5%, still 190/10.
    handSet(190, 10, { percent: 33.33, hoursAgo: 1 });
    await until(() => route().metadata.annotations[`${APPLIED}weight`] === '5');
    expect(weights(route().spec.rules[0])).toEqual({ 'mcp-gateway-python': 190, 'mcp-gateway-rust': 10 });
    expect(h.logs.some((l) => l.includes('could not record the adopted percent'))).toBe(false);
  });

  it('rollback takes Rust out of a rule where it sits beside another backend, which it counts as canary traffic', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    handSet(100, 0, { percent: 0, hoursAgo: 2 });
    const r = route();
    r.spec.rules[1] = { matches: [{ path: { type: 'PathPrefix', value: '/legacy' } }], backendRefs: [{ ...PYTHON, name: 'mcp-gateway-legacy', weight: 70 }, { ...RUST, weight: 30 }] };
    r.metadata.resourceVersion = String(Number(r.metadata.resourceVersion) + 1);
    await h.command('rollback');
    await posted(/rolled the canary back/i);
    expect(weights(route().spec.rules[1])).toEqual({ 'mcp-gateway-legacy': 70, 'mcp-gateway-rust': 0 });
    expect(weights(route().spec.rules[0])).toEqual({ 'mcp-gateway-python': 100, 'mcp-gateway-rust': 0 });
    expect([...h.slack.messages.values()].some((m) => /Already rolled back/.test(textOf(m)))).toBe(false);
  });

  it('when the HTTPRoute itself is gone, never offers `route apply` and never says rollback is done', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    h.kube.objects.delete(h.kube.paths.httpRoute);
    const gone = /HTTPRoute mcp-gateway not found in stoa-system: it carries Python's traffic as well as Rust's/;

    const status = await h.ask('status');
    expect(textOf(status)).toMatch(gone);
    expect(textOf(status)).not.toMatch(/is absent/);
    expect(buttonsOf(status.blocks).map((b) => b.action_id)).not.toContain('canary_route_apply');
    const shown = await h.ask('route');
    expect(textOf(shown)).toMatch(gone);
    expect(textOf(shown)).not.toMatch(/route apply/);
    expect(buttonsOf(shown.blocks).map((b) => b.action_id)).not.toContain('canary_route_apply');

    await h.command('rollback');
    const failed = await posted(/Rollback FAILED/, 8000);
    expect(textOf(failed)).toMatch(gone);
    expect([...h.slack.messages.values()].some((m) => /Already rolled back/.test(textOf(m)))).toBe(false);
    expect(h.kube.requests.some((q) => q.method !== 'GET')).toBe(false);
  });
});
