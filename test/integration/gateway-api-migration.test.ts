// A canary route the bot did not make, at a weight above 0: the HTTPRoute written by ingress2gateway when a
// running canary moves to Gateway API (README, "migrating a running canary"), or a canary Ingress applied by
// hand. It carries no record of the bot's, so nobody can say how long the weight has held. On both routers
// the drift check records it as applied now (announced, audited), and the hold counts from then instead of
// refusing every increase until someone lowers the weight.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, textOf, type Harness } from '../support/bot-harness.js';

const APPLIED = 'mcp-canary.stoa.dev/applied-';
let h: Harness;

afterEach(async () => {
  await h?.close();
});

const posted = (pattern: RegExp) => h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => pattern.test(textOf(m))), 5000);

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** After the drift check: recorded, announced, audited, and the hold counts from now (not "no record"). */
async function expectRecordedNow(annotations: () => Record<string, string>): Promise<void> {
  await until(() => annotations()[`${APPLIED}weight`] !== undefined);
  expect(annotations()[`${APPLIED}by`]).toBe('outside the bot (drift adopted)');
  expect(Date.now() - Date.parse(annotations()[`${APPLIED}at`]!)).toBeLessThan(5000);
  await posted(/Weight \*10%\* was set outside mcp-canary with no record of when .* Recorded as set now: the hold at this step restarts now/);
  expect(h.logs.some((l) => l.includes('set outside mcp-canary with no record of when: weight 10%, recorded as applied now'))).toBe(true);
  const status = textOf(await h.ask('status'));
  expect(status).not.toMatch(/no record of when this weight was set/);
  expect(status).toMatch(/held \d+s, (48h|47h \d+m) left/);
}

describe('a canary route at 10% with no record of the bot', () => {
  it('gateway-api (the HTTPRoute from ingress2gateway): recorded as applied now, the weights untouched', async () => {
    // There before the bot starts, accepted by its Gateway, with no applied-* annotation.
    const svc = (name: string, port: number, weight: number) => ({ group: '', kind: 'Service', name, port, weight });
    const accepted = (type: string) => ({ type, status: 'True', reason: type, message: '', observedGeneration: 1, lastTransitionTime: new Date().toISOString() });
    const httpRoute = {
      metadata: { name: 'mcp-gateway' },
      spec: {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public-gw' }],
        hostnames: ['mcp.example.com'],
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [svc('mcp-gateway-python', 8000, 90), svc('mcp-gateway-rust', 8080, 10)] }],
      },
      status: { parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public-gw' }, controllerName: 'example.net/gateway-controller', conditions: [accepted('Accepted'), accepted('ResolvedRefs')] }] },
    };
    h = await startHarness({ env: { TRAFFIC_ROUTER: 'gateway-api', DRIFT_CHECK_INTERVAL: '200ms' }, kube: { httpRoute } });
    await expectRecordedNow(() => h.kube.get(h.kube.paths.httpRoute).metadata.annotations ?? {});
    expect(h.kube.get(h.kube.paths.httpRoute).metadata.annotations[`${APPLIED}weight`]).toBe('10');
    expect(h.kube.get(h.kube.paths.httpRoute).spec.rules[0].backendRefs.map((b: any) => b.weight)).toEqual([90, 10]);
  });

  it('ingress-nginx (a canary Ingress applied by hand): recorded as applied now, the weight untouched', async () => {
    // There before the bot starts, with no applied-* annotation.
    h = await startHarness({ env: { DRIFT_CHECK_INTERVAL: '200ms' }, kube: { canaryWeight: '10' } });
    expect(h.canaryAnnotations()[`${APPLIED}weight`]).toBeUndefined();
    await expectRecordedNow(() => h.canaryAnnotations());
    expect(h.canaryAnnotations()).toMatchObject({ 'nginx.ingress.kubernetes.io/canary-weight': '10', [`${APPLIED}weight`]: '10' });
  });
});
