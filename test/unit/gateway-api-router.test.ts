// The Gateway API router's arithmetic: the canary percent is the Rust backend's weight over the split rule's
// weight sum (an unset weight counts 1), and which rules are split rules and which are routing rules; the
// weights it writes (integers, left alone when they already give the percent), the conditions it reports,
// and the command it gives to run by hand.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { KubeConnection } from '../../src/adapters/kube-connection.js';
import { GatewayApiRouter, integerWeights, percentOfRule, type BackendRef, type HttpRoute } from '../../src/adapters/routers/gateway-api.js';

const router = new GatewayApiRouter({ dryRun: false } as KubeConnection, { namespace: 'stoa-system', httpRoute: 'mcp-gateway', pythonService: 'py', rustService: 'rs', rustServicePort: 8080 });
const isRust = (b: BackendRef) => b.name === 'rs';
const ref = (name: string, weight?: number): BackendRef => (weight === undefined ? { name, port: 8080 } : { name, port: 8080, weight });
const httpRoute = (rules: HttpRoute['spec']['rules']): HttpRoute => ({ metadata: { name: 'mcp-gateway', resourceVersion: '7' }, spec: { rules } });

describe('percentOfRule', () => {
  it('divides by the weight sum, whatever it is', () => {
    expect(percentOfRule({ backendRefs: [ref('py', 90), ref('rs', 10)] }, isRust)).toBe(10);
    expect(percentOfRule({ backendRefs: [ref('py', 3), ref('rs', 1)] }, isRust)).toBe(25);
    expect(percentOfRule({ backendRefs: [ref('py', 2), ref('rs', 1)] }, isRust)).toBe(33.33);
    expect(percentOfRule({ backendRefs: [ref('py', 0), ref('rs', 0)] }, isRust)).toBe(0);
  });

  it('counts an unset weight as 1', () => {
    expect(percentOfRule({ backendRefs: [ref('py'), ref('rs')] }, isRust)).toBe(50);
    expect(percentOfRule({ backendRefs: [ref('py', 3), ref('rs')] }, isRust)).toBe(25);
  });

  it('gives a single backend everything or nothing, whatever its weight', () => {
    expect(percentOfRule({ backendRefs: [ref('py', 5)] }, isRust)).toBe(0);
    expect(percentOfRule({ backendRefs: [ref('rs', 5)] }, isRust)).toBe(100);
    expect(percentOfRule({ backendRefs: [ref('rs', 0)] }, isRust)).toBe(0);
  });
});

describe('the route as the core sees it', () => {
  it('reads the first split rule, lists every split rule when several, and the Rust-only rules as routing rules', () => {
    const seen = router.routeOf(
      httpRoute([
        { matches: [{ headers: [{ name: 'X-Canary', value: 'always' }] }], backendRefs: [ref('rs')] },
        { backendRefs: [ref('py', 95), ref('rs', 5)] },
        { matches: [{ path: { value: '/admin' } }], backendRefs: [ref('py', 1), ref('rs', 1)] },
        { backendRefs: [{ name: 'other', port: 80 }] },
      ]),
    );
    expect(seen).toMatchObject({ exists: true, percent: 5, splitPercents: [5, 50], routingRules: [{ kind: 'header', name: 'X-Canary', value: 'always' }], version: '7' });
  });

  it('has no canary route when no split rule names Rust, and says so when no rule names Python', () => {
    expect(router.routeOf(httpRoute([{ backendRefs: [ref('py', 1)] }]))).toMatchObject({ exists: false, percent: 0, splitProblem: undefined });
    expect(router.routeOf(httpRoute([{ backendRefs: [ref('rs', 1)] }])).splitProblem).toMatch(/no rule with a backendRef to Service py/);
  });

  it('ignores backendRefs to other kinds with the same name', () => {
    const seen = router.routeOf(httpRoute([{ backendRefs: [ref('py', 50), { name: 'rs', kind: 'ServiceImport', group: 'multicluster.x-k8s.io', weight: 50 }] }]));
    expect(seen.percent).toBe(0);
    expect(seen.exists).toBe(false);
  });
});

/** A router whose API answers GETs with `route` and records the JSON Patches it is sent. */
function routerOn(route: HttpRoute) {
  const patches: unknown[][] = [];
  const api = {
    dryRun: false,
    dryRunParam: () => undefined,
    request: async ({ method, body }: { method: string; body?: unknown[] }) => {
      if (method === 'GET') return structuredClone(route);
      patches.push(body!);
      return structuredClone(route);
    },
  } as unknown as KubeConnection;
  return { router: new GatewayApiRouter(api, { namespace: 'stoa-system', httpRoute: 'mcp-gateway', pythonService: 'py', rustService: 'rs', rustServicePort: 8080 }), patches };
}
const by = { appliedBy: 'U0BOB', appliedAt: '2026-03-03T10:00:00.000Z' };
const weightWrites = (ops: any[]) => ops.filter((op) => op.path.endsWith('/weight') || op.path.endsWith('/backendRefs/-')).map((op) => [op.path, op.value]);

describe('the route status as the core sees it', () => {
  it('counts a route no Gateway has reported on as not accepted, and says why', () => {
    expect(router.routeOf(httpRoute([{ backendRefs: [ref('py', 95), ref('rs', 5)] }])).conditions).toEqual([
      { type: 'Accepted', ok: false, reason: 'not reported', message: 'no Gateway has reported on the route (status.parents is empty): check its parentRefs' },
    ]);
  });

  it('counts a Gateway that reports no Accepted condition as not accepted, beside what it does report', () => {
    const route = { ...httpRoute([{ backendRefs: [ref('py', 95), ref('rs', 5)] }]), status: { parents: [{ parentRef: { name: 'public-gw' }, conditions: [{ type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs' }] }] } };
    expect(router.routeOf(route).conditions).toEqual([
      expect.objectContaining({ type: 'Accepted', ok: false, reason: 'not reported', reporter: 'public-gw' }),
      { type: 'ResolvedRefs', ok: true, reason: 'ResolvedRefs', message: undefined, reporter: 'public-gw' },
    ]);
  });
});

describe('weights are integers', () => {
  it('writes Rust N and Python 100-N, scaled when the percent has decimals', () => {
    expect(integerWeights(10)).toEqual({ rust: 10, python: 90 });
    expect(integerWeights(0)).toEqual({ rust: 0, python: 100 });
    expect(integerWeights(33.33)).toEqual({ rust: 3333, python: 6667 });
    expect(integerWeights(12.5)).toEqual({ rust: 125, python: 875 });
    expect(integerWeights(0.01)).toEqual({ rust: 1, python: 9999 });
  });

  it('sets a fractional percent with integer weights that read back as that percent', async () => {
    const { router: r, patches } = routerOn(httpRoute([{ backendRefs: [ref('py', 90), ref('rs', 10)] }]));
    await r.setPercent({ percent: 33.33, ...by });
    expect(weightWrites(patches[0] as any[])).toEqual([
      ['/spec/rules/0/backendRefs/0/weight', 6667],
      ['/spec/rules/0/backendRefs/1/weight', 3333],
    ]);
    expect(percentOfRule({ backendRefs: [ref('py', 6667), ref('rs', 3333)] }, isRust)).toBe(33.33);
  });

  it('leaves hand-set weights alone when every split rule already gives the percent (only the record is written)', async () => {
    for (const [py, rs, percent] of [
      [2, 1, 33.33],
      [190, 10, 5],
    ] as const) {
      const { router: r, patches } = routerOn(httpRoute([{ backendRefs: [ref('py', py), ref('rs', rs)] }, { matches: [{ path: { value: '/admin' } }], backendRefs: [ref('py', py), ref('rs', rs)] }]));
      await r.setPercent({ percent, ...by });
      expect(weightWrites(patches[0] as any[])).toEqual([]);
      expect((patches[0] as any[]).map((op) => op.path)).toEqual([
        '/metadata/resourceVersion',
        '/metadata/annotations',
        '/metadata/annotations/mcp-canary.stoa.dev~1applied-weight',
        '/metadata/annotations/mcp-canary.stoa.dev~1applied-at',
        '/metadata/annotations/mcp-canary.stoa.dev~1applied-by',
      ]);
    }
  });

  it('writes the weight on every split rule, and rollback resets every split rule', async () => {
    const { router: r, patches } = routerOn(httpRoute([{ backendRefs: [ref('py', 95), ref('rs', 5)] }, { matches: [{ path: { value: '/admin' } }], backendRefs: [ref('py', 95), ref('rs', 5)] }]));
    await r.setPercent({ percent: 10, ...by });
    expect(weightWrites(patches[0] as any[])).toEqual([
      ['/spec/rules/0/backendRefs/0/weight', 90],
      ['/spec/rules/0/backendRefs/1/weight', 10],
      ['/spec/rules/1/backendRefs/0/weight', 90],
      ['/spec/rules/1/backendRefs/1/weight', 10],
    ]);
    await r.resetToPrimary(by);
    expect(weightWrites(patches[1] as any[])).toEqual([
      ['/spec/rules/0/backendRefs/0/weight', 100],
      ['/spec/rules/0/backendRefs/1/weight', 0],
      ['/spec/rules/1/backendRefs/0/weight', 100],
      ['/spec/rules/1/backendRefs/1/weight', 0],
    ]);
  });
});

describe('Rust beside a backend other than Python', () => {
  const mixed = () =>
    httpRoute([
      { backendRefs: [ref('py', 100), ref('rs', 0)] },
      { matches: [{ path: { value: '/legacy' } }], backendRefs: [ref('legacy', 70), ref('rs', 30)] },
      { matches: [{ path: { value: '/beta' } }], backendRefs: [ref('legacy', 0), ref('rs', 1)] },
    ]);

  it('counts its Rust share as canary traffic (a routing rule), so the route at 0% is not rolled back already', () => {
    const seen = router.routeOf(mixed());
    expect(seen).toMatchObject({ exists: true, percent: 0 });
    expect(seen.routingRules).toEqual([
      { kind: 'header', name: '(rule 2: 30% of its requests, beside Service legacy)' },
      { kind: 'header', name: '(rule 3: 100% of its requests, beside Service legacy)' },
    ]);
  });

  it('rollback sets Rust 0 where another backend serves, removes the rule where none does, and never leaves a rule without a serving backend', async () => {
    const { router: r, patches } = routerOn(mixed());
    await r.resetToPrimary(by);
    const ops = (patches[0] as any[]).filter((op) => op.op !== 'test' && !op.path.startsWith('/metadata'));
    expect(ops).toEqual([
      { op: 'add', path: '/spec/rules/0/backendRefs/0/weight', value: 100 },
      { op: 'add', path: '/spec/rules/0/backendRefs/1/weight', value: 0 },
      { op: 'add', path: '/spec/rules/1/backendRefs/1/weight', value: 0 },
      { op: 'remove', path: '/spec/rules/2' },
    ]);
  });
});

describe('the one command to run by hand', () => {
  it('is a JSON Patch of the route as last read: Rust 0 / Python 100 on every split rule, Rust-only rules removed highest index first', async () => {
    const { router: r } = routerOn(
      httpRoute([
        { matches: [{ headers: [{ name: 'X-Canary', value: 'always' }] }], backendRefs: [ref('rs')] },
        { backendRefs: [ref('py', 75), ref('rs', 25)] },
        { matches: [{ headers: [{ name: 'X-Beta', value: "it's" }] }], backendRefs: [ref('rs', 1)] },
      ]),
    );
    expect(r.manualRollbackCommands()[0]).toMatch(/^kubectl -n stoa-system get httproute mcp-gateway -o yaml/);
    await r.readRoute();
    const ops = [
      { op: 'test', path: '/spec/rules/1/backendRefs/0/name', value: 'py' },
      { op: 'add', path: '/spec/rules/1/backendRefs/0/weight', value: 100 },
      { op: 'test', path: '/spec/rules/1/backendRefs/1/name', value: 'rs' },
      { op: 'add', path: '/spec/rules/1/backendRefs/1/weight', value: 0 },
      { op: 'test', path: '/spec/rules/2/backendRefs', value: [{ name: 'rs', port: 8080, weight: 1 }] },
      { op: 'remove', path: '/spec/rules/2' },
      { op: 'test', path: '/spec/rules/0/backendRefs', value: [{ name: 'rs', port: 8080 }] },
      { op: 'remove', path: '/spec/rules/0' },
    ];
    expect(r.manualRollbackCommands()).toEqual([`kubectl -n stoa-system patch httproute mcp-gateway --type=json -p '${JSON.stringify(ops)}'`]);
  });

  it('survives the shell: a single quote in what the patch tests reaches kubectl as it was', async () => {
    const { router: r } = routerOn(httpRoute([{ backendRefs: [ref('py', 1), ref('rs', 1)] }, { backendRefs: [{ name: 'rs', port: 8080, filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Note', value: "it's" }] } }] }] }]));
    await r.readRoute();
    const [command] = r.manualRollbackCommands();
    // The shell parses the command; a stand-in kubectl prints the -p argument it was given.
    const printed = execFileSync('sh', ['-c', `kubectl() { printf '%s' "$8"; }; ${command}`], { encoding: 'utf8' });
    expect(JSON.parse(printed)).toContainEqual({ op: 'test', path: '/spec/rules/1/backendRefs', value: [{ name: 'rs', port: 8080, filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Note', value: "it's" }] } }] }] });
  });
});
