// TRAFFIC_ROUTER=gateway-api: the running bot drives the HTTPRoute through client-node's CustomObjectsApi
// against the local API server (JSON Patch with test ops, 409 on a stale resourceVersion, 415 for strategic
// merge, like a real one). Writes change exactly the weights (and the bot's applied-* record); rollback
// removes the Rust-only rules and never deletes the route; conditions show in status.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalMessages, buttonsOf, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';

const APPLIED = 'mcp-canary.stoa.dev/applied-';
let h: Harness;

afterEach(async () => {
  await h?.close();
});

const route = () => h.kube.get(h.kube.paths.httpRoute);
const routeWrites = () => h.kube.requests.filter((r) => r.path.includes('/httproutes/mcp-gateway') && r.method !== 'GET' && r.query.dryRun !== 'All');
const weights = (rule: any) => Object.fromEntries(rule.backendRefs.map((b: any) => [b.name, b.weight]));

/** Sets the Rust weight on the split rule as if the bot applied it `hoursAgo` ago. */
function setRustPercent(percent: number, hoursAgo: number): void {
  const r = route();
  r.spec.rules[0].backendRefs = [
    { group: '', kind: 'Service', name: 'mcp-gateway-python', port: 8000, weight: 100 - percent },
    { group: '', kind: 'Service', name: 'mcp-gateway-rust', port: 8080, weight: percent },
  ];
  r.metadata.annotations = {
    ...(r.metadata.annotations ?? {}),
    [`${APPLIED}weight`]: String(percent),
    [`${APPLIED}at`]: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
    [`${APPLIED}by`]: USERS.alice,
  };
  r.metadata.resourceVersion = String(Number(r.metadata.resourceVersion) + 100);
}

/** The object without what the bot may change: its applied-* record, resourceVersion and generation. */
function withoutBotRecord(object: any): any {
  const copy = structuredClone(object);
  for (const key of Object.keys(copy.metadata.annotations ?? {})) if (key.startsWith(APPLIED)) delete copy.metadata.annotations[key];
  delete copy.metadata.resourceVersion;
  delete copy.metadata.generation;
  return copy;
}

async function promoteAndApprove(): Promise<void> {
  await h.response((await h.command('promote')).responseId);
  const request = approvalMessages(h.slack).at(-1)!;
  const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
  await h.response((await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts })).responseId);
}

describe('TRAFFIC_ROUTER=gateway-api', () => {
  it('status shows the router, the HTTPRoute, the percent as Rust weight over the split rule, and its conditions', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    setRustPercent(5, 10);
    const text = textOf(await h.ask('status'));
    expect(text).toContain('*5%* of traffic to Rust');
    expect(text).toContain('HTTPRoute `mcp-gateway` in `stoa-system` (gateway-api)');
    expect(text).toContain('✅ Accepted, ResolvedRefs');
    expect(text).toContain('`header X-Canary: always`');
  });

  it('promote + approve writes exactly the weights on every split rule, and nothing else in the route', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    setRustPercent(5, 60);
    const before = withoutBotRecord(route());
    await promoteAndApprove();
    const after = route();
    expect(weights(after.spec.rules[0])).toEqual({ 'mcp-gateway-python': 90, 'mcp-gateway-rust': 10 });
    expect(after.metadata.annotations[`${APPLIED}weight`]).toBe('10');
    expect(after.metadata.annotations[`${APPLIED}by`]).toBe(USERS.bob);
    before.spec.rules[0].backendRefs.find((b: any) => b.name === 'mcp-gateway-python').weight = 90;
    before.spec.rules[0].backendRefs.find((b: any) => b.name === 'mcp-gateway-rust').weight = 10;
    expect(withoutBotRecord(after)).toEqual(before);
    const [write] = routeWrites();
    expect(write).toMatchObject({ method: 'PATCH', contentType: 'application/json-patch+json' });
    expect(write!.body.filter((op: any) => op.op === 'test').length).toBeGreaterThan(0);
  });

  it('retries once with a fresh resourceVersion after a 409 when the weight did not move', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    setRustPercent(5, 60);
    await h.response((await h.command('promote')).responseId);
    const request = approvalMessages(h.slack).at(-1)!;
    h.kube.failNext({ method: 'PATCH', pathIncludes: '/httproutes/mcp-gateway', dryRun: false }, 409, 1);
    const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
    await h.response((await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts })).responseId);
    expect(h.kube.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/httproutes/mcp-gateway') && r.query.dryRun !== 'All')).toHaveLength(2);
    expect(weights(route().spec.rules[0])['mcp-gateway-rust']).toBe(10);
  });

  it('rollback sets Rust 0 / Python 100, removes the Rust-only rules, never deletes the route, and says so', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    setRustPercent(25, 3);
    const ruleCount = route().spec.rules.length;
    await h.command('rollback users report 502s');
    const posted = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /rolled the canary back/i.test(textOf(m))));
    const after = route();
    expect(after).toBeDefined();
    expect(after.spec.rules).toHaveLength(ruleCount - 1);
    expect(weights(after.spec.rules[0])).toEqual({ 'mcp-gateway-python': 100, 'mcp-gateway-rust': 0 });
    expect(after.spec.rules.every((r: any) => r.backendRefs.some((b: any) => b.name === 'mcp-gateway-python' && b.weight > 0))).toBe(true);
    expect(after.spec.hostnames).toEqual(['mcp.example.com']);
    expect(textOf(posted)).toMatch(/from \*25%\* to \*0%\*/);
    expect(textOf(posted)).toMatch(/removed the routing rules `header X-Canary: always`/);
    expect(h.kube.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });

  it('when writes keep failing, says exactly what failed and the one command to run by hand (which real kubectl runs), and never deletes the route', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    setRustPercent(10, 3);
    const headerRule = structuredClone(route().spec.rules[1]);
    // Both of the bot's write attempts fail; the API server is back when the engineer runs the command.
    h.kube.failNext({ method: 'PATCH', pathIncludes: '/httproutes/mcp-gateway' }, 500, 2);
    await h.command('rollback');
    const posted = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /Rollback FAILED/.test(textOf(m))), 8000);
    const text = textOf(posted);
    expect(text).toMatch(/write attempt 2 failed: Kubernetes patch httproutes\/mcp-gateway failed with HTTP 500/);
    expect(routeWrites()).toHaveLength(2);
    expect(route()).toBeDefined();
    expect(h.kube.requests.some((r) => r.method === 'DELETE')).toBe(false);

    const byHand = posted!.blocks!.map((b: any) => b.text?.text ?? '').find((t: string) => t.startsWith('*Run by hand:*'))!;
    const commands = /```([\s\S]*)```/.exec(byHand)![1]!.split('\n');
    const ops = [
      { op: 'test', path: '/spec/rules/0/backendRefs/0/name', value: 'mcp-gateway-python' },
      { op: 'add', path: '/spec/rules/0/backendRefs/0/weight', value: 100 },
      { op: 'test', path: '/spec/rules/0/backendRefs/1/name', value: 'mcp-gateway-rust' },
      { op: 'add', path: '/spec/rules/0/backendRefs/1/weight', value: 0 },
      { op: 'test', path: '/spec/rules/1/backendRefs', value: headerRule.backendRefs },
      { op: 'remove', path: '/spec/rules/1' },
    ];
    expect(commands).toEqual([`kubectl -n stoa-system patch httproute mcp-gateway --type=json -p '${JSON.stringify(ops)}'`]);
    // The engineer runs it, in a shell, with the real kubectl: Rust gets nothing any more.
    const home = await mkdtemp(join(tmpdir(), 'kubectl-home-'));
    try {
      const ran = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile('sh', ['-c', commands[0]!], { env: { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: h.kube.kubeconfigPath }, timeout: 15_000 }, (err, _out, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
        ),
      );
      expect(ran).toEqual({ code: 0, stderr: '' });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
    expect(route().spec.rules).toHaveLength(1);
    expect(weights(route().spec.rules[0])).toEqual({ 'mcp-gateway-python': 100, 'mcp-gateway-rust': 0 });
  });

  it('is NO-GO for increases while the Gateway has not accepted the route, with the reason', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    setRustPercent(5, 60);
    route().status.parents[0].conditions[0] = { type: 'Accepted', status: 'False', reason: 'NoMatchingListenerHostname', message: 'no listener matches mcp.example.com' };
    const text = textOf(await h.ask('status'));
    expect(text).toMatch(/Accepted is False\* \(public-gw\): NoMatchingListenerHostname: no listener matches mcp\.example\.com/);
    const refused = textOf(await h.response((await h.command('promote')).responseId));
    expect(refused).toMatch(/Canary route: not accepted by the traffic layer: Accepted is false \(NoMatchingListenerHostname/);
    expect(approvalMessages(h.slack)).toEqual([]);
  });

  it('announces split rules that disagree, and a weight changed by hand, as drift', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api', DRIFT_CHECK_INTERVAL: '200ms' } });
    setRustPercent(5, 10);
    await new Promise((r) => setTimeout(r, 500));
    // Someone edits the route by hand: the split rule goes to 20%.
    const r = route();
    r.spec.rules[0].backendRefs[1].weight = 20;
    r.spec.rules[0].backendRefs[0].weight = 80;
    r.metadata.resourceVersion = String(Number(r.metadata.resourceVersion) + 1);
    const drift = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /changed outside mcp-canary/.test(textOf(m))), 5000);
    expect(textOf(drift)).toMatch(/Before: weight \*5%\*\\nAfter: weight \*20%\*/);
    // A second split rule that disagrees with the first.
    const r2 = route();
    r2.spec.rules.push({ matches: [{ path: { type: 'PathPrefix', value: '/admin' } }], backendRefs: [{ group: '', kind: 'Service', name: 'mcp-gateway-python', port: 8000, weight: 50 }, { group: '', kind: 'Service', name: 'mcp-gateway-rust', port: 8080, weight: 50 }] });
    r2.metadata.resourceVersion = String(Number(r2.metadata.resourceVersion) + 1);
    const split = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /split rules disagree/.test(textOf(m))), 5000);
    expect(textOf(split)).toMatch(/The split rules disagree: 20%, 50%/);
  });

  it('route apply adds the Rust backendRef at weight 0 to the split rules after it was taken out by hand', async () => {
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api' } });
    const r = route();
    r.spec.rules = [{ ...r.spec.rules[0], backendRefs: [{ group: '', kind: 'Service', name: 'mcp-gateway-python', port: 8000, weight: 1 }] }];
    r.metadata.resourceVersion = String(Number(r.metadata.resourceVersion) + 1);
    expect(textOf(await h.ask('route'))).toMatch(/The canary route is absent/);
    const click = await h.click('canary_route_apply', 'apply', { user: USERS.bob, messageTs: '1.9' });
    expect(textOf(await h.response(click.responseId))).toMatch(/announced in the channel/);
    expect(route().spec.rules[0].backendRefs).toEqual([
      expect.objectContaining({ name: 'mcp-gateway-python', weight: 1 }),
      expect.objectContaining({ name: 'mcp-gateway-rust', port: 8080, weight: 0 }),
    ]);
    expect([...h.slack.messages.values()].some((m) => /the Rust backend added at weight 0 to 1 split rule/.test(textOf(m)))).toBe(true);
  });
});
