// The diagnostics use case on in-memory ports: findings as data (pass/fail, evidence, next action), the
// mismatch count (parsing, counting, order, samples, cutting, non-JSON lines apart), per-check time limits,
// and one failing check never hiding the others. Read-only: no port is ever asked to write.
import { describe, expect, it } from 'vitest';
import { countMismatches, diagnose, MISMATCH_MARKER, parseScope, pointsAtService, SAMPLE_VALUE_MAX } from '../../src/core/diagnostics.js';
import { KNOWN_ROUTE_KEY } from '../../src/core/drift.js';
import type { DiagnosticCheck, Diagnosis, Finding } from '../../src/core/entities.js';
import { ClusterError } from '../../src/core/errors.js';
import { coreKit, START, type Kit } from './kit.js';

const line = (path: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ level: 'warning', msg: MISMATCH_MARKER, ...(path === undefined ? {} : { path }), ...extra });

function find<C extends DiagnosticCheck>(d: Diagnosis, check: C): Extract<Finding, { check: C }> {
  const found = d.findings.find((f) => f.check === check);
  if (!found) throw new Error(`no ${check} finding in ${d.findings.map((f) => f.check).join(', ')}`);
  return found as Extract<Finding, { check: C }>;
}

function forbidden(verb: string, resource: string, name = ''): ClusterError {
  return new ClusterError('forbidden', `Kubernetes refused ${verb} on ${resource}`, { status: 403, verb, resource, name });
}

function healthyShadow(kit: Kit): void {
  kit.cluster.env.set(kit.config.kube.pythonDeployment, [{ container: 'gateway', env: { SHADOW_MODE_ENABLED: 'true', SHADOW_RUST_GATEWAY_URL: kit.config.shadow.rustGatewayUrl } }]);
  kit.metrics.set(kit.config.shadow.errorQuery, 0.001);
  kit.metrics.set(kit.config.shadow.timeoutQuery, 0.01);
}

describe('countMismatches', () => {
  it('counts the marked JSON lines by path, most first (ties by path), across logs; unmarked lines are ignored', () => {
    const count = countMismatches([
      [line('/b'), line('/a'), '{"msg":"ok","path":"/a"}', line('/c'), line('/c')].join('\n'),
      `${[line('/c'), line('/a'), line('/b')].join('\n')}\n`,
    ]);
    expect(count.total).toBe(7);
    expect(count.byPath).toEqual([
      { path: '/c', count: 3 },
      { path: '/a', count: 2 },
      { path: '/b', count: 2 },
    ]);
  });

  it('counts lines that are not a JSON object apart (never dropped, never by path), keeping the newest few', () => {
    const count = countMismatches([
      [
        `WARNING ${MISMATCH_MARKER} /tools/call`,
        `{"msg":"${MISMATCH_MARKER}", broken`,
        `["${MISMATCH_MARKER}"]`,
        `"${MISMATCH_MARKER}"`,
        line('/ok'),
        `  ${line('/ok')}  `,
      ].join('\n'),
    ]);
    expect(count.total).toBe(2);
    expect(count.byPath).toEqual([{ path: '/ok', count: 2 }]);
    expect(count.notJson.count).toBe(4);
    expect(count.notJson.samples).toEqual([`{"msg":"${MISMATCH_MARKER}", broken`, `["${MISMATCH_MARKER}"]`, `"${MISMATCH_MARKER}"`]);
  });

  it('puts JSON lines without a path under null, after the named paths of the same count', () => {
    const count = countMismatches([[line(undefined), line(null), line('/x'), line('/x'), line({ not: 'a string' })].join('\n')]);
    expect(count.byPath).toEqual([
      { path: '/x', count: 2 },
      { path: null, count: 2 },
      { path: '{"not":"a string"}', count: 1 },
    ]);
  });

  it('keeps the newest line of each of the top three paths as a sample, every long value cut', () => {
    const long = 'y'.repeat(1000);
    const count = countMismatches([
      [line('/a', { n: 1 }), line('/a', { n: 2, diff: long, nested: { body: long }, small: { ok: true } }), line('/b'), line('/c'), line('/d'), line('/a', { n: 3 })].join('\n'),
      [line('/b', { n: 9 }), line('/c'), line('/e')].join('\n'),
    ]);
    expect(count.byPath.slice(0, 3).map((c) => c.path)).toEqual(['/a', '/b', '/c']);
    expect(count.samples).toHaveLength(3);
    expect(count.samples[0]).toMatchObject({ path: '/a', n: 3 });
    expect(count.samples[1]).toMatchObject({ path: '/b', n: 9 });

    const cut = countMismatches([line('/a', { diff: long, nested: { body: long }, small: { ok: true }, count: 5 })]).samples[0]!;
    expect(cut.diff).toBe(`${'y'.repeat(SAMPLE_VALUE_MAX - 1)}…`);
    expect(typeof cut.nested).toBe('string');
    expect((cut.nested as string).length).toBe(SAMPLE_VALUE_MAX);
    expect((cut.nested as string).endsWith('…')).toBe(true);
    expect(cut.small).toEqual({ ok: true });
    expect(cut.count).toBe(5);
  });

  it('finds nothing in empty logs', () => {
    expect(countMismatches(['', '\n'])).toEqual({ total: 0, byPath: [], samples: [], notJson: { count: 0, samples: [] } });
  });
});

describe('diagnose mismatches', () => {
  it('reads the last DIAGNOSE_LOG_LINES lines of the gateway container of each selected pod, and reports the counts', async () => {
    const kit = coreKit({ DIAGNOSE_LOG_LINES: '3', PYTHON_POD_SELECTOR: 'app=python,tier=gw' });
    kit.diagnostics.setLog('mcp-gateway-python-a', [line('/old'), line('/a'), '{"msg":"ok"}', line('/a')]);
    kit.diagnostics.setLog('mcp-gateway-python-b', [line('/b')]);
    kit.diagnostics.setLog('mcp-gateway-python-b', [line('/sidecar')], 'sidecar');
    const d = await diagnose(kit.deps, 'mismatches');
    expect(d.findings.map((f) => [f.check, f.pass])).toEqual([
      ['pod-logs', true],
      ['mismatches', false],
    ]);
    expect(kit.diagnostics.calls.filter((c) => c.op === 'listPods').map((c) => c.args)).toEqual([['app=python,tier=gw']]);
    expect(kit.diagnostics.calls.filter((c) => c.op === 'readPodLog').map((c) => c.args)).toEqual([
      ['mcp-gateway-python-a', 'gateway', 3],
      ['mcp-gateway-python-b', 'gateway', 3],
    ]);
    const logs = find(d, 'pod-logs');
    expect(logs.evidence?.pods).toEqual([
      { pod: 'mcp-gateway-python-a', container: 'gateway', lines: 3 },
      { pod: 'mcp-gateway-python-b', container: 'gateway', lines: 1 },
    ]);
    const m = find(d, 'mismatches');
    expect(m.evidence).toMatchObject({ podsRead: 2, linesRead: 4, total: 3, byPath: [{ path: '/a', count: 2 }, { path: '/b', count: 1 }] });
    expect(m.next).toEqual({ kind: 'compare-responses', path: '/a' });
  });

  it('reads SHADOW_CONTAINER when the pods have it', async () => {
    const kit = coreKit({ SHADOW_CONTAINER: 'sidecar' });
    kit.diagnostics.setLog('mcp-gateway-python-a', [line('/s')], 'sidecar');
    const d = await diagnose(kit.deps, 'mismatches');
    expect(kit.diagnostics.calls.filter((c) => c.op === 'readPodLog').map((c) => c.args[1])).toEqual(['sidecar', 'sidecar']);
    expect(find(d, 'mismatches').evidence?.byPath).toEqual([{ path: '/s', count: 1 }]);
  });

  it('passes when the logs hold no mismatch', async () => {
    const kit = coreKit();
    kit.diagnostics.setLog('mcp-gateway-python-a', ['{"msg":"ok"}']);
    const d = await diagnose(kit.deps, 'mismatches');
    expect(find(d, 'mismatches')).toMatchObject({ pass: true, next: undefined, evidence: { total: 0, notJson: { count: 0 } } });
  });

  it('a log read refused by RBAC is a failed finding naming the verb and resource; the readable pods are still counted', async () => {
    const kit = coreKit();
    kit.diagnostics.setLog('mcp-gateway-python-b', [line('/b')]);
    kit.diagnostics.failNext('readPodLog', forbidden('get', 'pods/log', 'mcp-gateway-python-a'), 1, 'mcp-gateway-python-a');
    const d = await diagnose(kit.deps, 'mismatches');
    const logs = find(d, 'pod-logs');
    expect(logs.pass).toBe(false);
    expect(logs.evidence?.pods[0]).toMatchObject({ pod: 'mcp-gateway-python-a', problem: { kind: 'forbidden', verb: 'get', resource: 'pods/log', name: 'mcp-gateway-python-a' } });
    expect(logs.next).toEqual({ kind: 'grant', verb: 'get', resource: 'pods/log' });
    expect(find(d, 'mismatches').evidence).toMatchObject({ podsRead: 1, total: 1 });
  });

  it('no pod list: both findings fail with the refused verb and resource', async () => {
    const kit = coreKit();
    kit.diagnostics.failNext('listPods', forbidden('list', 'pods'));
    const d = await diagnose(kit.deps, 'mismatches');
    for (const f of d.findings) {
      expect(f).toMatchObject({ pass: false, problem: { kind: 'forbidden', verb: 'list', resource: 'pods' }, next: { kind: 'grant', verb: 'list', resource: 'pods' } });
    }
    expect(d.findings).toHaveLength(2);
  });
});

describe('diagnose traffic', () => {
  it('passes on a healthy canary, with the evidence of each check', async () => {
    const kit = coreKit();
    kit.holdAt(5, 3);
    const d = await diagnose(kit.deps, 'traffic');
    expect(d.findings.map((f) => [f.scope, f.check, f.pass])).toEqual([
      ['traffic', 'route-shape', true],
      ['traffic', 'rust-endpoints', true],
      ['traffic', 'rust-health', true],
      ['traffic', 'warning-events', true],
      ['traffic', 'weight', true],
      ['traffic', 'route-write', true],
    ]);
    expect(find(d, 'rust-endpoints').evidence).toEqual({ service: 'mcp-gateway-rust', ready: 3, notReady: 0 });
    expect(find(d, 'rust-health').evidence).toMatchObject({ service: 'mcp-gateway-rust', port: 8080, path: '/health', status: 200 });
    expect(find(d, 'warning-events').evidence?.objects).toEqual([
      { kind: 'Route', name: 'mcp-gateway-canary' },
      { kind: 'Deployment', name: 'mcp-gateway-rust' },
    ]);
    expect(find(d, 'weight').evidence).toMatchObject({ live: 5, applied: { percent: 5, recordedOn: 'route' } });
    expect(d).toMatchObject({ scope: 'traffic', scopes: ['traffic'], namespace: 'stoa-system', at: START.toISOString() });
  });

  it('0 ready endpoints and a failing health answer fail with the next actions', async () => {
    const kit = coreKit();
    kit.diagnostics.endpointCounts.set('mcp-gateway-rust', { ready: 0, notReady: 2 });
    kit.diagnostics.health = { status: 503, latencyMs: 3, body: 'no endpoints available', fromApiServer: true };
    const d = await diagnose(kit.deps, 'traffic');
    expect(find(d, 'rust-endpoints')).toMatchObject({ pass: false, next: { kind: 'check-rust-pods', deployment: 'mcp-gateway-rust', service: 'mcp-gateway-rust' } });
    expect(find(d, 'rust-health')).toMatchObject({ pass: false, evidence: { status: 503, fromApiServer: true }, next: { kind: 'check-rust-pods' } });
    kit.diagnostics.health = { status: 500, latencyMs: 3, body: 'boom' };
    expect(find(await diagnose(kit.deps, 'traffic'), 'rust-health')).toMatchObject({ pass: false, next: { kind: 'check-rust-health', port: 8080, path: '/health' } });
  });

  it('the API server not reaching Rust although endpoints are ready points at the connection (the curl in the pod), not at the pods', async () => {
    const kit = coreKit();
    kit.diagnostics.health = { status: 503, latencyMs: 3, body: 'error trying to reach service: dial tcp 10.244.2.11:8080: connect: connection refused', fromApiServer: true };
    const d = await diagnose(kit.deps, 'traffic');
    expect(find(d, 'rust-endpoints')).toMatchObject({ pass: true, evidence: { ready: 3 } });
    expect(find(d, 'rust-health')).toMatchObject({ pass: false, evidence: { fromApiServer: true }, next: { kind: 'check-rust-health', deployment: 'mcp-gateway-rust', port: 8080, path: '/health' } });
    // The endpoints are read once for both checks.
    expect(kit.diagnostics.calls.filter((c) => c.op === 'endpoints')).toHaveLength(1);

    // Shadow alone (no endpoints check in the run): the health check reads them itself.
    const shadow = await diagnose(kit.deps, 'shadow');
    expect(find(shadow, 'rust-health').next).toMatchObject({ kind: 'check-rust-health' });
    kit.diagnostics.endpointCounts.set('mcp-gateway-rust', { ready: 0, notReady: 3 });
    expect(find(await diagnose(kit.deps, 'shadow'), 'rust-health').next).toEqual({ kind: 'check-rust-pods', deployment: 'mcp-gateway-rust', service: 'mcp-gateway-rust' });
  });

  it("Rust health out of the adapter's time is a failing finding about Rust with the runbook's check, not an API server problem", async () => {
    const kit = coreKit();
    kit.diagnostics.failNext('proxyGet', new ClusterError('timeout', 'Kubernetes get services/proxy/mcp-gateway-rust:8080 timed out'));
    const health = find(await diagnose(kit.deps, 'traffic'), 'rust-health');
    expect(health).toMatchObject({ pass: false, problem: { kind: 'timeout' }, next: { kind: 'check-rust-health', deployment: 'mcp-gateway-rust', port: 8080, path: '/health' } });
  });

  it('shows recent Warning events only, newest first; an object whose events cannot be read is said, the other still shown', async () => {
    const kit = coreKit();
    const ago = (ms: number) => new Date(START.getTime() - ms).toISOString();
    kit.diagnostics.eventList.push(
      { object: { kind: 'Deployment', name: 'mcp-gateway-rust' }, type: 'Warning', reason: 'Old', message: 'old', count: 1, lastSeen: ago(2 * 3_600_000) },
      { object: { kind: 'Deployment', name: 'mcp-gateway-rust' }, type: 'Warning', reason: 'FailedCreate', message: 'quota', count: 3, lastSeen: ago(600_000) },
      { object: { kind: 'Deployment', name: 'mcp-gateway-rust' }, type: 'Warning', reason: 'Newer', message: 'x', count: 1, lastSeen: ago(60_000) },
      { object: { kind: 'Deployment', name: 'mcp-gateway-rust' }, type: 'Normal', reason: 'Scaled', message: 'fine', count: 1, lastSeen: ago(1000) },
    );
    let events = find(await diagnose(kit.deps, 'traffic'), 'warning-events');
    expect(events.pass).toBe(false);
    expect(events.evidence?.events.map((e) => e.reason)).toEqual(['Newer', 'FailedCreate']);
    expect(events.next).toEqual({ kind: 'read-events', objects: [{ kind: 'Deployment', name: 'mcp-gateway-rust' }] });

    // What the deployment owns (its pods, its ReplicaSets) comes with it: the next action names those objects.
    const owned = [
      { object: { kind: 'Pod', name: 'mcp-gateway-rust-59c8d7f6b4-4vwtn' }, type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed', count: 9, lastSeen: ago(30_000) },
      { object: { kind: 'ReplicaSet', name: 'mcp-gateway-rust-59c8d7f6b4' }, type: 'Warning', reason: 'FailedCreate', message: 'quota', count: 2, lastSeen: ago(120_000) },
      { object: { kind: 'Pod', name: 'mcp-gateway-rust-59c8d7f6b4-4vwtn' }, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting', count: 4, lastSeen: ago(90_000) },
    ];
    const inner = kit.diagnostics.events.bind(kit.diagnostics);
    kit.diagnostics.events = async (object, options) => [...(await inner(object, options)), ...(object.kind === 'Deployment' ? owned : [])];
    events = find(await diagnose(kit.deps, 'traffic'), 'warning-events');
    expect(events.evidence?.events.map((e) => e.reason)).toEqual(['Unhealthy', 'Newer', 'BackOff', 'FailedCreate', 'FailedCreate']);
    expect(events.next).toEqual({
      kind: 'read-events',
      objects: [
        { kind: 'Pod', name: 'mcp-gateway-rust-59c8d7f6b4-4vwtn' },
        { kind: 'Deployment', name: 'mcp-gateway-rust' },
        { kind: 'ReplicaSet', name: 'mcp-gateway-rust-59c8d7f6b4' },
      ],
    });
    kit.diagnostics.events = inner;

    kit.diagnostics.failNext('events', forbidden('list', 'events'), 1);
    events = find(await diagnose(kit.deps, 'traffic'), 'warning-events');
    expect(events.evidence?.unread).toEqual([{ kind: 'Route', name: 'mcp-gateway-canary', problem: expect.objectContaining({ kind: 'forbidden', verb: 'list', resource: 'events' }) }]);
    expect(events.evidence?.events).toHaveLength(2);

    kit.diagnostics.eventList.length = 0;
    kit.diagnostics.failNext('events', forbidden('list', 'events'), 2);
    events = find(await diagnose(kit.deps, 'traffic'), 'warning-events');
    expect(events).toMatchObject({ pass: false, problem: { kind: 'forbidden', verb: 'list', resource: 'events' }, next: { kind: 'grant', verb: 'list', resource: 'events' } });
  });

  it('route shape: absent means putting it back; a mismatch with the primary means aligning it; a rejected condition its reasons', async () => {
    const kit = coreKit();
    kit.router.setWeight(0);
    kit.router.route = { ...kit.router.route, exists: false };
    expect(find(await diagnose(kit.deps, 'traffic'), 'route-shape')).toMatchObject({ pass: false, next: { kind: 'put-route-back' } });

    kit.router.checkRouteShape = async () => [
      { kind: 'present', aspect: 'route', ok: true },
      { kind: 'match', aspect: 'host', ok: false, expected: 'a.example', actual: 'b.example' },
      { kind: 'condition', aspect: 'Accepted', ok: false, actual: 'False (NoMatchingParent)' },
    ];
    const shape = find(await diagnose(kit.deps, 'traffic'), 'route-shape');
    // The router's commands for what its controller says, passed on as data: the core knows no controller.
    expect(shape.next).toEqual({ kind: 'align-route', aspects: ['host'], controllerCommands: ['kubectl logs -l app=route-controller'] });
    expect(shape.evidence?.checks).toHaveLength(3);
    expect(shape.evidence?.route).toEqual(kit.router.ref);

    kit.router.checkRouteShape = async () => [{ kind: 'condition', aspect: 'Accepted', ok: false, actual: 'False (NoMatchingParent)' }];
    kit.router.troubleshootingCommands = () => ['kubectl get gateway-controller-logs', 'a second command'];
    expect(find(await diagnose(kit.deps, 'traffic'), 'route-shape').next).toEqual({
      kind: 'fix-route-conditions',
      reasons: ['Accepted: False (NoMatchingParent)'],
      controllerCommands: ['kubectl get gateway-controller-logs', 'a second command'],
    });
    kit.router.checkRouteShape = async () => [];
    expect(find(await diagnose(kit.deps, 'traffic'), 'route-shape').pass).toBe(false);
  });

  it('weight: the live percent against what the bot applied (on the route, else what it last saw), and split rules that disagree', async () => {
    const kit = coreKit();
    kit.holdAt(10, 5);
    kit.router.route = { ...kit.router.route, percent: 25 };
    expect(find(await diagnose(kit.deps, 'traffic'), 'weight')).toMatchObject({ pass: false, evidence: { live: 25, applied: { percent: 10 } }, next: { kind: 'check-drift' } });

    kit.router.route = { ...kit.router.route, percent: 10, splitPercents: [10, 0] };
    expect(find(await diagnose(kit.deps, 'traffic'), 'weight')).toMatchObject({ pass: false, evidence: { splitPercents: [10, 0] } });

    kit.router.route = { ...kit.router.route, lastApplied: undefined, splitPercents: undefined };
    expect(find(await diagnose(kit.deps, 'traffic'), 'weight')).toMatchObject({ pass: false, evidence: { live: 10, applied: undefined } });
    await kit.store.setValue(KNOWN_ROUTE_KEY, { exists: true, percent: 10, at: START.toISOString() });
    expect(find(await diagnose(kit.deps, 'traffic'), 'weight')).toMatchObject({ pass: true, evidence: { applied: { percent: 10, recordedOn: 'store' } } });

    const fresh = coreKit();
    expect(find(await diagnose(fresh.deps, 'traffic'), 'weight')).toMatchObject({ pass: true, evidence: { live: 0, applied: undefined } });
  });
});

describe('diagnose traffic: may the bot write the canary route (runbook, "Rollback not working")', () => {
  it('asks the cluster whether the bot may patch the router\'s object; allowed passes with the authorizer\'s reason', async () => {
    const kit = coreKit();
    const d = await diagnose(kit.deps, 'traffic');
    expect(find(d, 'route-write')).toEqual({
      scope: 'traffic',
      check: 'route-write',
      pass: true,
      evidence: { route: kit.router.ref, verb: 'patch', resource: kit.router.resource, allowed: true, reason: 'allowed (test)' },
      next: undefined,
    });
    expect(kit.diagnostics.calls.filter((c) => c.op === 'mayChange').map((c) => c.args)).toEqual([[kit.router.resource, 'patch']]);
    // Asked, not tried: nothing was written.
    expect(kit.router.writes).toEqual([]);
  });

  it('denied fails with the permission to grant and the router\'s commands to roll back by hand', async () => {
    const kit = coreKit();
    kit.diagnostics.access.set('patch routes/mcp-gateway-canary', { allowed: false });
    const finding = find(await diagnose(kit.deps, 'traffic'), 'route-write');
    expect(finding).toMatchObject({ pass: false, evidence: { allowed: false, verb: 'patch' } });
    expect(finding.evidence).not.toHaveProperty('reason');
    expect(finding.next).toEqual({ kind: 'grant-route-write', verb: 'patch', resource: kit.router.resource, manualCommands: ['kubectl edit route mcp-gateway-canary'] });
  });

  it('runs in traffic (and so in the full diagnosis) only, once', async () => {
    const kit = coreKit();
    for (const scope of ['shadow', 'mismatches'] as const) expect((await diagnose(kit.deps, scope)).findings.some((f) => f.check === 'route-write')).toBe(false);
    await diagnose(kit.deps);
    expect(kit.diagnostics.calls.filter((c) => c.op === 'mayChange')).toHaveLength(1);
  });

  it('a refused or failed question is the check\'s problem: RBAC on the review, credentials, an unreachable API server', async () => {
    const kit = coreKit();
    kit.diagnostics.failNext('mayChange', forbidden('create', 'selfsubjectaccessreviews'));
    expect(find(await diagnose(kit.deps, 'traffic'), 'route-write')).toMatchObject({
      pass: false,
      problem: { kind: 'forbidden', verb: 'create', resource: 'selfsubjectaccessreviews' },
      next: { kind: 'grant', verb: 'create', resource: 'selfsubjectaccessreviews' },
    });
    kit.diagnostics.failNext('mayChange', new ClusterError('unavailable', 'Kubernetes API unreachable (test)'));
    expect(find(await diagnose(kit.deps, 'traffic'), 'route-write')).toMatchObject({ pass: false, problem: { kind: 'error' }, next: { kind: 'retry', what: 'cluster' } });
  });
});

describe('credentials the API server does not accept', () => {
  it('are their own problem, never an RBAC refusal: check the credentials, grant nothing', async () => {
    const kit = coreKit();
    const unauthenticated = (resource: string) =>
      new ClusterError('unauthenticated', `the Kubernetes API server did not accept the bot's credentials (HTTP 401 Unauthorized) for list on ${resource}`, { status: 401, verb: 'list', resource, name: '' });
    kit.diagnostics.failNext('endpoints', unauthenticated('endpointslices'), 2);
    kit.diagnostics.failNext('events', unauthenticated('events'), 4);
    kit.diagnostics.failNext('mayChange', unauthenticated('selfsubjectaccessreviews'));
    const d = await diagnose(kit.deps, 'traffic');
    for (const check of ['rust-endpoints', 'warning-events', 'route-write'] as const) {
      expect(find(d, check), check).toMatchObject({ pass: false, problem: { kind: 'unauthenticated', message: expect.stringContaining("did not accept the bot's credentials") }, next: { kind: 'check-credentials' } });
    }
  });
});

describe('diagnose shadow', () => {
  it('checks the env on the Python container, its rollout, Rust health and both rates against their thresholds', async () => {
    const kit = coreKit();
    healthyShadow(kit);
    let d = await diagnose(kit.deps, 'shadow');
    expect(d.findings.map((f) => [f.check, f.pass])).toEqual([
      ['shadow-env', true],
      ['python-rollout', true],
      ['rust-health', true],
      ['shadow-error-rate', true],
      ['shadow-timeout-rate', true],
    ]);
    expect(find(d, 'shadow-env').evidence).toEqual({ deployment: 'mcp-gateway-python', container: 'gateway', enabled: 'true', url: 'http://mcp-gateway-rust:8080', expectedUrl: 'http://mcp-gateway-rust:8080' });

    // At the threshold is not under it; no data is not healthy.
    kit.metrics.set(kit.config.shadow.errorQuery, 0.01);
    kit.metrics.values.delete(kit.config.shadow.timeoutQuery);
    kit.cluster.env.set('mcp-gateway-python', [{ container: 'gateway', env: { SHADOW_MODE_ENABLED: 'false' } }]);
    kit.cluster.deployments.set('mcp-gateway-python', { name: 'mcp-gateway-python', desired: 4, ready: 3, available: 3, updated: 2, rolloutComplete: false });
    d = await diagnose(kit.deps, 'shadow');
    expect(find(d, 'shadow-error-rate')).toMatchObject({ pass: false, evidence: { value: 0.01, max: 0.01 }, next: { kind: 'check-shadow-path', from: 'mcp-gateway-python', url: 'http://mcp-gateway-rust:8080/health' } });
    expect(find(d, 'shadow-timeout-rate')).toMatchObject({ pass: false, evidence: { max: 0.05, reason: 'no data' }, problem: { kind: 'error', message: 'no data' }, next: { kind: 'retry', what: 'metrics' } });
    expect(find(d, 'shadow-env')).toMatchObject({ pass: false, evidence: { enabled: 'false', url: undefined }, next: { kind: 'turn-shadow-on', url: 'http://mcp-gateway-rust:8080' } });
    expect(find(d, 'python-rollout')).toMatchObject({ pass: false, next: { kind: 'wait-rollout', deployment: 'mcp-gateway-python' } });
  });

  it('shadow-env: a URL that is not the Rust Service on its port fails, even when it is the one the bot is configured with', async () => {
    const kit = coreKit();
    healthyShadow(kit);
    kit.cluster.env.set('mcp-gateway-python', [{ container: 'gateway', env: { SHADOW_MODE_ENABLED: 'true', SHADOW_RUST_GATEWAY_URL: 'http://mcp-gateway-rust:9090' } }]);
    let env = find(await diagnose(kit.deps, 'shadow'), 'shadow-env');
    expect(env).toMatchObject({ pass: false, next: { kind: 'turn-shadow-on', url: 'http://mcp-gateway-rust:8080' } });
    expect(env.problem).toEqual({ kind: 'error', message: expect.stringContaining('SHADOW_RUST_GATEWAY_URL http://mcp-gateway-rust:9090 does not point at the Rust Service mcp-gateway-rust:8080') });

    // The bot's own setting names another service: the env matches it, and still no shadow request reaches Rust.
    const misconfigured = coreKit({ SHADOW_RUST_GATEWAY_URL: 'http://mcp-gateway-python:8080' });
    healthyShadow(misconfigured);
    env = find(await diagnose(misconfigured.deps, 'shadow'), 'shadow-env');
    expect(env).toMatchObject({ pass: false, next: undefined, evidence: { url: 'http://mcp-gateway-python:8080', expectedUrl: 'http://mcp-gateway-python:8080' } });
    expect(env.problem?.kind === 'error' && env.problem.message).toContain('does not point at the Rust Service mcp-gateway-rust:8080');

    // Its cluster DNS names are the same Service.
    const fqdn = coreKit({ SHADOW_RUST_GATEWAY_URL: 'http://mcp-gateway-rust.stoa-system.svc.cluster.local:8080' });
    healthyShadow(fqdn);
    expect(find(await diagnose(fqdn.deps, 'shadow'), 'shadow-env')).toMatchObject({ pass: true, problem: undefined });
  });
});

describe('pointsAtService', () => {
  it("is true for the Service's cluster DNS names on its port, false for another host, port or scheme", () => {
    const at = (url: string) => pointsAtService(url, 'rust', 8080, 'ns');
    for (const url of ['http://rust:8080', 'http://rust:8080/', 'http://RUST:8080/x', 'http://rust.ns:8080', 'http://rust.ns.svc:8080', 'http://rust.ns.svc.cluster.local:8080', 'https://rust.ns.svc.example.org.:8080']) {
      expect(at(url), url).toBe(true);
    }
    for (const url of ['http://rust:9090', 'http://rust', 'http://rust.other:8080', 'http://rusty:8080', 'http://rust.ns.svc', 'ftp://rust:8080', 'rust:8080', 'not a url']) {
      expect(at(url), url).toBe(false);
    }
    expect(pointsAtService('http://rust', 'rust', 80, 'ns')).toBe(true);
    expect(pointsAtService('https://rust', 'rust', 443, 'ns')).toBe(true);
  });
});

describe('every check on its own', () => {
  it('runs the three scopes in order, reads Rust health once, and writes nothing', async () => {
    const kit = coreKit();
    healthyShadow(kit);
    const d = await diagnose(kit.deps);
    expect(d.scope).toBe('all');
    expect(d.scopes).toEqual(['traffic', 'shadow', 'mismatches']);
    expect(d.findings.map((f) => `${f.scope}/${f.check}`)).toEqual([
      'traffic/route-shape',
      'traffic/rust-endpoints',
      'traffic/rust-health',
      'traffic/warning-events',
      'traffic/weight',
      'traffic/route-write',
      'shadow/shadow-env',
      'shadow/python-rollout',
      'shadow/shadow-error-rate',
      'shadow/shadow-timeout-rate',
      'mismatches/pod-logs',
      'mismatches/mismatches',
    ]);
    expect(kit.diagnostics.calls.filter((c) => c.op === 'proxyGet')).toHaveLength(1);
    expect(kit.router.writes).toEqual([]);
    expect(kit.cluster.writes).toEqual([]);
  });

  it('a check that never answers fails at its time limit; the others are reported as usual', async () => {
    const kit = coreKit();
    kit.diagnostics.failNext('proxyGet', 'hang');
    const started = Date.now();
    const d = await diagnose(kit.deps, 'traffic', { checkTimeoutMs: 80 });
    expect(Date.now() - started).toBeLessThan(1000);
    // Rust hanging, not the API server: the other checks got their answers through it.
    expect(find(d, 'rust-health')).toMatchObject({ pass: false, problem: { kind: 'timeout', afterMs: 80 }, next: { kind: 'check-rust-health', deployment: 'mcp-gateway-rust', port: 8080, path: '/health' } });
    expect(d.findings.filter((f) => f.check !== 'rust-health').every((f) => f.pass)).toBe(true);
    expect(d.findings).toHaveLength(6);
  });

  it('a hanging log read times the mismatch check out as both of its findings', async () => {
    const kit = coreKit();
    kit.diagnostics.failNext('readPodLog', 'hang');
    const d = await diagnose(kit.deps, 'mismatches', { checkTimeoutMs: 50 });
    expect(d.findings.map((f) => [f.check, f.pass, f.problem?.kind])).toEqual([
      ['pod-logs', false, 'timeout'],
      ['mismatches', false, 'timeout'],
    ]);
  });

  it('checks that throw (an adapter timeout, an unreachable API server, a bug) fail alone, each saying why', async () => {
    const kit = coreKit();
    kit.diagnostics.failNext('endpoints', new ClusterError('timeout', 'Kubernetes list endpointslices timed out'));
    kit.diagnostics.failNext('proxyGet', forbidden('get', 'services/proxy', 'mcp-gateway-rust:8080'));
    kit.router.checkRouteShape = async () => {
      throw new TypeError('cannot read properties of undefined');
    };
    kit.cluster.failNext('readDeploymentEnv', new ClusterError('unavailable', 'Kubernetes API unreachable (test)'));
    const d = await diagnose(kit.deps);
    expect(find(d, 'rust-endpoints')).toMatchObject({ pass: false, problem: { kind: 'timeout' }, next: { kind: 'retry', what: 'cluster' } });
    expect(find(d, 'rust-health')).toMatchObject({
      pass: false,
      problem: { kind: 'forbidden', verb: 'get', resource: 'services/proxy', name: 'mcp-gateway-rust:8080' },
      next: { kind: 'grant', verb: 'get', resource: 'services/proxy' },
    });
    expect(find(d, 'route-shape')).toMatchObject({ pass: false, problem: { kind: 'error', message: 'cannot read properties of undefined' } });
    expect(find(d, 'shadow-env')).toMatchObject({ pass: false, problem: { kind: 'error', message: 'Kubernetes API unreachable (test)' } });
    expect(d.findings).toHaveLength(12);
    expect(find(d, 'weight').pass).toBe(true);
    expect(find(d, 'pod-logs').pass).toBe(true);
  });
});

describe('parseScope', () => {
  it('reads a scope word, "all" or nothing, and refuses the rest', () => {
    expect(parseScope('traffic')).toBe('traffic');
    expect(parseScope('mismatches')).toBe('mismatches');
    expect(parseScope('all')).toBeUndefined();
    expect(parseScope(undefined)).toBeUndefined();
    expect(parseScope('everything')).toBeNull();
  });
});
