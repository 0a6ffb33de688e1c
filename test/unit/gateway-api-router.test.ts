// The Gateway API router's arithmetic: the canary percent is the Rust backend's weight over the split rule's
// weight sum (an unset weight counts 1), and which rules are split rules and which are routing rules.
import { describe, expect, it } from 'vitest';
import type { KubeApi } from '../../src/adapters/kubernetes.js';
import { GatewayApiRouter, percentOfRule, type BackendRef, type HttpRoute } from '../../src/adapters/routers/gateway-api.js';

const router = new GatewayApiRouter({ dryRun: false } as KubeApi, { namespace: 'stoa-system', httpRoute: 'mcp-gateway', pythonService: 'py', rustService: 'rs', rustServicePort: 8080 });
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
