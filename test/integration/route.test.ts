// `/mcp-canary route` and `route apply` on both routers: the live route (on gateway-api, the percent of each
// split rule and the Gateway's conditions), and the canary route put back at 0% (ingress-nginx: the canary
// Ingress after a rollback's fallback deleted it, from the copy the bot kept; gateway-api: the Rust
// backendRef added to the split rules); approvers only; DRY_RUN honoured.
import { afterEach, describe, expect, it } from 'vitest';
import { buttonsOf, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';

const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
let h: Harness;

afterEach(async () => {
  await h?.close();
});

/** A rollback whose writes keep failing: the fallback deletes the canary Ingress (keeping a copy). */
async function rollbackToDeletion(): Promise<void> {
  h.setCanary(10, { hoursAgo: 5, annotations: { 'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary' } });
  h.kube.failNext({ method: 'PATCH', pathIncludes: 'mcp-gateway-canary' }, 500, 2);
  await h.command('rollback');
  await h.slack.waitFor(() => h.kube.get(h.kube.paths.canaryIngress) === undefined, 8000);
  await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => /removed the canary route/i.test(textOf(m))));
}

describe('/mcp-canary route', () => {
  it('shows the router, the object, the percent, the routing rules and when the bot last set it', async () => {
    h = await startHarness({});
    h.setCanary(5, { hoursAgo: 3, annotations: { 'nginx.ingress.kubernetes.io/canary-by-cookie': 'rust' } });
    const text = textOf(await h.ask('route'));
    expect(text).toContain('Canary route (ingress-nginx)');
    expect(text).toContain('Ingress `mcp-gateway-canary` in `stoa-system`');
    expect(text).toContain('*5%* of traffic to Rust');
    expect(text).toContain('`cookie rust`');
    expect(text).toMatch(/Last set by the bot:\* 5% by <@U0ALICE> <!date\^\d+\^[^>]+> \(3h at this step\)/);
  });
});

describe('/mcp-canary route apply', () => {
  it('puts the canary Ingress back at 0% from the copy kept before the delete fallback, offered on the rollback message and in status', async () => {
    h = await startHarness({});
    await rollbackToDeletion();
    const removed = [...h.slack.messages.values()].find((m) => /removed the canary route/i.test(textOf(m)))!;
    expect(buttonsOf(removed.blocks).map((b) => b.action_id)).toContain('canary_route_apply');
    expect(buttonsOf((await h.ask('status')).blocks).map((b) => b.action_id)).toContain('canary_route_apply');

    const confirm = await h.command('route apply', { user: USERS.bob }).then(({ responseId }) => h.response(responseId));
    const button = buttonsOf(confirm.blocks).find((b) => b.action_id === 'canary_route_apply')!;
    expect(button.confirm).toBeDefined();
    expect(h.kube.get(h.kube.paths.canaryIngress)).toBeUndefined();

    const click = await h.click('canary_route_apply', button.value!, { user: USERS.carol, messageTs: '1.5' });
    await h.response(click.responseId);
    const ingress = h.kube.get(h.kube.paths.canaryIngress);
    expect(ingress.metadata.annotations).toMatchObject({ 'nginx.ingress.kubernetes.io/canary': 'true', [WEIGHT]: '0' });
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/canary-by-header']).toBeUndefined();
    expect(ingress.spec.rules[0].host).toBe('mcp.gostoa.dev');
    expect([...h.slack.messages.values()].some((m) => /put the canary route of Ingress `mcp-gateway-canary` back in place at \*0%\* \(re-created from the copy/.test(textOf(m)))).toBe(true);
    expect(h.logs.some((l) => l.includes('"action":"route-applied"'))).toBe(true);
    // Back in place: the ramp can start again, and nothing was announced as drift.
    expect(textOf(await h.ask('status'))).toContain('*0%* of traffic to Rust');
  });

  it('is refused to non-approvers at the command and at the click, naming the rule; nothing is created', async () => {
    h = await startHarness({});
    await rollbackToDeletion();
    const reply = await h.command('route apply', { user: USERS.mallory }).then(({ responseId }) => h.response(responseId));
    expect(textOf(reply)).toMatch(/Only approvers \(CANARY_APPROVERS\) may put the canary route in place/);
    expect(buttonsOf(reply.blocks).find((b) => b.action_id === 'canary_route_apply')).toBeUndefined();
    const click = await h.click('canary_route_apply', 'apply', { user: USERS.mallory, messageTs: '1.6' });
    expect(textOf(await h.response(click.responseId))).toMatch(/Only approvers \(CANARY_APPROVERS\)/);
    expect(h.kube.get(h.kube.paths.canaryIngress)).toBeUndefined();
  });

  it('is a server-side dry run under DRY_RUN, and says so', async () => {
    h = await startHarness({ env: { DRY_RUN: 'true', CANARY_ROUTE_MANIFEST: new URL('../../deploy/canary-ingress.example.yaml', import.meta.url).pathname } });
    h.kube.objects.delete(h.kube.paths.canaryIngress);
    const click = await h.click('canary_route_apply', 'apply', { user: USERS.bob, messageTs: '1.7' });
    expect(textOf(await h.response(click.responseId))).toMatch(/DRY RUN/);
    const create = h.kube.requests.find((r) => r.method === 'POST' && r.path.endsWith('/ingresses'));
    expect(create?.query.dryRun).toBe('All');
    expect(h.kube.get(h.kube.paths.canaryIngress)).toBeUndefined();
  });

  it('says the canary route is already in place when it is', async () => {
    h = await startHarness({});
    const click = await h.click('canary_route_apply', 'apply', { user: USERS.bob, messageTs: '1.8' });
    expect(textOf(await h.response(click.responseId))).toMatch(/already in place: nothing changed/);
  });
});

describe('/mcp-canary route and route apply on gateway-api', () => {
  const GATEWAY_API = { TRAFFIC_ROUTER: 'gateway-api' };
  const route = () => h.kube.get(h.kube.paths.httpRoute);
  const svc = (name: string, port: number, weight: number) => ({ group: '', kind: 'Service', name, port, weight });
  /** Rust's backendRef taken out of the split rule by hand: the canary route is absent. */
  function withoutRust(): void {
    const r = route();
    r.spec.rules[0].backendRefs = [svc('mcp-gateway-python', 8000, 1)];
    r.metadata.resourceVersion = String(Number(r.metadata.resourceVersion) + 1);
  }
  const routeWrites = () => h.kube.requests.filter((r) => r.path.endsWith('/httproutes/mcp-gateway') && r.method !== 'GET');

  it('shows the HTTPRoute, the percent of each split rule and the Gateway conditions with their reasons', async () => {
    h = await startHarness({ env: GATEWAY_API });
    const r = route();
    r.spec.rules[0].backendRefs = [svc('mcp-gateway-python', 8000, 95), svc('mcp-gateway-rust', 8080, 5)];
    r.spec.rules.push({ matches: [{ path: { type: 'PathPrefix', value: '/admin' } }], backendRefs: [svc('mcp-gateway-python', 8000, 3), svc('mcp-gateway-rust', 8080, 1)] });
    r.status.parents[0].conditions[1] = { type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound', message: 'Service mcp-gateway-rust not found' };
    r.metadata.resourceVersion = String(Number(r.metadata.resourceVersion) + 1);
    const text = textOf(await h.ask('route'));
    expect(text).toContain('Canary route (gateway-api)');
    expect(text).toContain('HTTPRoute `mcp-gateway` in `stoa-system`');
    expect(text).toContain('*5%* of traffic to Rust (split rules: 5%, 25% — they disagree)');
    expect(text).toContain('`header X-Canary: always`');
    expect(text).toContain('✅ Accepted (public-gw): Accepted — Route is accepted');
    expect(text).toContain('❌ ResolvedRefs (public-gw): BackendNotFound — Service mcp-gateway-rust not found');
  });

  it('route apply is refused to non-approvers at the command and at the click; nothing is written', async () => {
    h = await startHarness({ env: GATEWAY_API });
    withoutRust();
    const reply = await h.command('route apply', { user: USERS.mallory }).then(({ responseId }) => h.response(responseId));
    expect(textOf(reply)).toMatch(/Only approvers \(CANARY_APPROVERS\) may put the canary route in place/);
    expect(buttonsOf(reply.blocks).find((b) => b.action_id === 'canary_route_apply')).toBeUndefined();
    const click = await h.click('canary_route_apply', 'apply', { user: USERS.mallory, messageTs: '2.6' });
    expect(textOf(await h.response(click.responseId))).toMatch(/Only approvers \(CANARY_APPROVERS\)/);
    expect(routeWrites()).toEqual([]);
    expect(route().spec.rules[0].backendRefs).toHaveLength(1);
  });

  it('route apply is a server-side dry run under DRY_RUN, and says so', async () => {
    h = await startHarness({ env: { ...GATEWAY_API, DRY_RUN: 'true' } });
    withoutRust();
    const click = await h.click('canary_route_apply', 'apply', { user: USERS.bob, messageTs: '2.7' });
    expect(textOf(await h.response(click.responseId))).toMatch(/DRY RUN/);
    expect(routeWrites().map((w) => [w.method, w.query.dryRun])).toEqual([['PATCH', 'All']]);
    expect(routeWrites()[0]!.body).toContainEqual({ op: 'add', path: '/spec/rules/0/backendRefs/-', value: { name: 'mcp-gateway-rust', port: 8080, weight: 0 } });
    expect(route().spec.rules[0].backendRefs).toHaveLength(1);
  });

  it('route apply says the canary route is already in place when every split rule has the Rust backendRef', async () => {
    h = await startHarness({ env: GATEWAY_API });
    const click = await h.click('canary_route_apply', 'apply', { user: USERS.bob, messageTs: '2.8' });
    expect(textOf(await h.response(click.responseId))).toMatch(/already in place: nothing changed/);
    expect(routeWrites()).toEqual([]);
  });
});
