// Proves the local Kubernetes API server (devkit/kube-api-server.ts) serves what the Gateway API router and
// the diagnostics need the way a real API server does: through the real @kubernetes/client-node 2 (the bot's
// client) and the real `kubectl` (the runbook's).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startFakeKubeApi } from './fake-kube-api.js';
import type { FakeKubeApi } from './fake-kube-api.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const NS = 'stoa-system';
const ROUTE = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: NS, plural: 'httproutes', name: 'mcp-gateway' };
const { name: _name, ...ROUTES } = ROUTE;
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategicPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
const CONFLICT = 'Operation cannot be fulfilled on httproutes.gateway.networking.k8s.io "mcp-gateway": the object has been modified; please apply your changes to the latest version and try again';
const REJECTED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server rejected our request due to an error in our request', reason: 'Invalid', details: {}, code: 422 };

async function apiError(p: Promise<unknown>): Promise<k8s.ApiException<unknown> & { status: any }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof k8s.ApiException) {
      let status: unknown = String(err.body);
      try {
        status = JSON.parse(String(err.body));
      } catch {
        // a Service's own plain-text answer, relayed by the proxy
      }
      return Object.assign(err, { status });
    }
    throw err;
  }
  throw new Error('expected an ApiException');
}

function clients(fake: FakeKubeApi) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(fake.kubeconfigPath);
  return { custom: kc.makeApiClient(k8s.CustomObjectsApi), core: kc.makeApiClient(k8s.CoreV1Api), discovery: kc.makeApiClient(k8s.DiscoveryV1Api) };
}

const weights = (route: any, rule = 0) => route.spec.rules[rule].backendRefs.map((b: any) => `${b.name}=${b.weight}`);

describe('HTTPRoute (gateway.networking.k8s.io/v1) through client-node CustomObjectsApi', () => {
  let fake: FakeKubeApi;
  let custom: k8s.CustomObjectsApi;

  beforeAll(async () => {
    fake = await startFakeKubeApi();
    custom = clients(fake).custom;
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('serves the seeded route, with its CRD defaults and the status the controller wrote', async () => {
    const route = await custom.getNamespacedCustomObject(ROUTE);
    expect(route).toMatchObject({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'mcp-gateway', namespace: NS, generation: 1 } });
    expect(fake.requests.at(-1)?.path).toBe(fake.paths.httpRoute);
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public-gw' }]);
    expect(route.spec.hostnames).toEqual(['mcp.example.com']);
    expect(route.spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    expect(weights(route)).toEqual(['mcp-gateway-python=100', 'mcp-gateway-rust=0']);
    expect(route.spec.rules[0].backendRefs[1]).toEqual({ group: '', kind: 'Service', name: 'mcp-gateway-rust', port: 8080, weight: 0 });
    expect(route.spec.rules[1].matches[0].headers).toEqual([{ type: 'Exact', name: 'X-Canary', value: 'always' }]);
    expect(weights(route, 1)).toEqual(['mcp-gateway-rust=1']);
    expect(route.status.parents[0]).toMatchObject({ controllerName: 'example.net/gateway-controller', parentRef: { name: 'public-gw' } });
    expect(route.status.parents[0].conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'ResolvedRefs=True']);

    // A list of custom resources keeps apiVersion/kind on its items (they are unstructured).
    const list = await custom.listNamespacedCustomObject(ROUTES);
    expect(list).toMatchObject({ kind: 'HTTPRouteList', apiVersion: 'gateway.networking.k8s.io/v1' });
    expect(list.items.map((i: any) => `${i.kind}/${i.metadata.name}`)).toEqual(['HTTPRoute/mcp-gateway']);
  });

  it('404s with the real Status after a delete, and create answers 201 then 409 AlreadyExists', async () => {
    const seeded = fake.get(fake.paths.httpRoute);
    await custom.deleteNamespacedCustomObject(ROUTE);
    const gone = await apiError(custom.getNamespacedCustomObject(ROUTE));
    expect(gone.code).toBe(404);
    expect(gone.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'httproutes.gateway.networking.k8s.io "mcp-gateway" not found',
      reason: 'NotFound',
      details: { name: 'mcp-gateway', group: 'gateway.networking.k8s.io', kind: 'httproutes' },
      code: 404,
    });
    const body = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'mcp-gateway' }, spec: seeded.spec, status: seeded.status };
    const created = await custom.createNamespacedCustomObject({ ...ROUTES, body });
    expect(fake.requests.at(-1)?.method).toBe('POST');
    expect(created.metadata).toMatchObject({ name: 'mcp-gateway', namespace: NS, generation: 1 });
    expect(created.metadata.uid).not.toBe(seeded.metadata.uid);
    expect(created).not.toHaveProperty('status'); // create cannot set a custom resource's status
    const again = await apiError(custom.createNamespacedCustomObject({ ...ROUTES, body }));
    expect(again.code).toBe(409);
    expect(again.status).toMatchObject({ reason: 'AlreadyExists', message: 'httproutes.gateway.networking.k8s.io "mcp-gateway" already exists' });
    // An unstructured body must say what it is.
    const { kind: _k, ...noKind } = { ...body, metadata: { name: 'other' } };
    expect((await apiError(custom.createNamespacedCustomObject({ ...ROUTES, body: noKind }))).code).toBe(400);
  });

  it('replace: 409 Conflict on a stale resourceVersion (real message), then succeeds and bumps resourceVersion and generation, keeping status', async () => {
    const read = await custom.getNamespacedCustomObject(ROUTE);
    await custom.patchNamespacedCustomObject({ ...ROUTE, body: { metadata: { labels: { touched: 'yes' } } } }, mergePatch);
    const stale = structuredClone(read);
    stale.spec.rules[0].backendRefs[1].weight = 5;
    const err = await apiError(custom.replaceNamespacedCustomObject({ ...ROUTE, body: stale }));
    expect(err.code).toBe(409);
    expect(err.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: CONFLICT,
      reason: 'Conflict',
      details: { name: 'mcp-gateway', group: 'gateway.networking.k8s.io', kind: 'httproutes' },
      code: 409,
    });
    expect(weights(fake.get(fake.paths.httpRoute))).toEqual(['mcp-gateway-python=100', 'mcp-gateway-rust=0']);

    const fresh = await custom.getNamespacedCustomObject(ROUTE);
    fresh.spec.rules[0].backendRefs[0].weight = 95;
    fresh.spec.rules[0].backendRefs[1].weight = 5;
    fresh.status = { parents: [] }; // ignored: status is a subresource
    const out = await custom.replaceNamespacedCustomObject({ ...ROUTE, body: fresh });
    expect(weights(out)).toEqual(['mcp-gateway-python=95', 'mcp-gateway-rust=5']);
    expect(Number(out.metadata.resourceVersion)).toBeGreaterThan(Number(fresh.metadata.resourceVersion));
    expect(out.metadata.generation).toBe(2);
    expect(out.status.parents).toHaveLength(1);

    // Custom resources allow no unconditional update.
    delete fresh.metadata.resourceVersion;
    const unconditional = await apiError(custom.replaceNamespacedCustomObject({ ...ROUTE, body: fresh }));
    expect(unconditional.code).toBe(422);
    expect(unconditional.status.message).toBe('HTTPRoute.gateway.networking.k8s.io "mcp-gateway" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
  });

  it('JSON Patch with test ops: applied when they hold; a failing test is the real 422 and changes nothing', async () => {
    const before = fake.get(fake.paths.httpRoute).metadata.resourceVersion as string;
    const out = await custom.patchNamespacedCustomObject(
      {
        ...ROUTE,
        body: [
          { op: 'test', path: '/spec/rules/0/backendRefs/1/name', value: 'mcp-gateway-rust' },
          { op: 'test', path: '/spec/rules/0/backendRefs', value: [{ weight: 100, port: 8000, name: 'mcp-gateway-python', kind: 'Service', group: '' }, { group: '', kind: 'Service', name: 'mcp-gateway-rust', port: 8080, weight: 0 }] },
          { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 10 },
          { op: 'add', path: '/spec/rules/0/backendRefs/0/weight', value: 90 },
          { op: 'add', path: '/metadata/annotations', value: {} },
          { op: 'add', path: '/metadata/annotations/mcp-canary.stoa.dev~1applied-weight', value: '10' },
        ],
      },
      jsonPatch,
    );
    expect(fake.requests.at(-1)?.contentType).toBe('application/json-patch+json');
    expect(weights(out)).toEqual(['mcp-gateway-python=90', 'mcp-gateway-rust=10']);
    expect(out.metadata.annotations).toEqual({ 'mcp-canary.stoa.dev/applied-weight': '10' });
    expect(Number(out.metadata.resourceVersion)).toBeGreaterThan(Number(before));
    expect(out.metadata.generation).toBe(2);

    const stored = JSON.stringify(fake.get(fake.paths.httpRoute));
    const err = await apiError(
      custom.patchNamespacedCustomObject(
        { ...ROUTE, body: [{ op: 'test', path: '/spec/rules/0/backendRefs/1/weight', value: 0 }, { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 50 }] },
        jsonPatch,
      ),
    );
    expect(err.code).toBe(422);
    expect(err.status).toEqual(REJECTED);
    // A path that is not there is the same answer.
    expect((await apiError(custom.patchNamespacedCustomObject({ ...ROUTE, body: [{ op: 'remove', path: '/spec/rules/7' }] }, jsonPatch))).status).toEqual(REJECTED);
    expect(JSON.stringify(fake.get(fake.paths.httpRoute))).toBe(stored);
  });

  it('JSON Patch on array indexes and `-`: add a backendRef, remove a rule', async () => {
    const out = await custom.patchNamespacedCustomObject(
      {
        ...ROUTE,
        body: [
          { op: 'add', path: '/spec/rules/0/backendRefs/-', value: { name: 'mcp-gateway-shadow', port: 9000, weight: 0 } },
          { op: 'add', path: '/spec/hostnames/0', value: 'mcp-canary.example.com' },
          { op: 'remove', path: '/spec/rules/1' },
        ],
      },
      jsonPatch,
    );
    expect(out.spec.rules).toHaveLength(1);
    // The CRD's defaults are applied to what is stored.
    expect(out.spec.rules[0].backendRefs[2]).toEqual({ name: 'mcp-gateway-shadow', port: 9000, weight: 0, group: '', kind: 'Service' });
    expect(out.spec.hostnames).toEqual(['mcp-canary.example.com', 'mcp.example.com']);
    // Replacing an index past the end is a failed patch.
    expect((await apiError(custom.patchNamespacedCustomObject({ ...ROUTE, body: [{ op: 'replace', path: '/spec/rules/3/backendRefs', value: [] }] }, jsonPatch))).code).toBe(422);
  });

  it('a replace of /metadata/resourceVersion is a precondition: 409 when stale, applied when current', async () => {
    const read = await custom.getNamespacedCustomObject(ROUTE);
    await custom.patchNamespacedCustomObject({ ...ROUTE, body: [{ op: 'add', path: '/metadata/labels', value: { touched: 'yes' } }] }, jsonPatch);
    const ops = (rv: string) => [
      { op: 'replace', path: '/metadata/resourceVersion', value: rv },
      { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 25 },
    ];
    const err = await apiError(custom.patchNamespacedCustomObject({ ...ROUTE, body: ops(read.metadata.resourceVersion) }, jsonPatch));
    expect(err.code).toBe(409);
    expect(err.status).toMatchObject({ reason: 'Conflict', message: CONFLICT });
    expect(weights(fake.get(fake.paths.httpRoute))).toEqual(['mcp-gateway-python=100', 'mcp-gateway-rust=0']);

    const current = fake.get(fake.paths.httpRoute).metadata.resourceVersion as string;
    const out = await custom.patchNamespacedCustomObject({ ...ROUTE, body: ops(current) }, jsonPatch);
    expect(weights(out)).toEqual(['mcp-gateway-python=100', 'mcp-gateway-rust=25']);
    expect(Number(out.metadata.resourceVersion)).toBeGreaterThan(Number(current));
  });

  it('a JSON merge patch replaces spec.rules whole; strategic merge patch is 415 on a custom resource', async () => {
    const out = await custom.patchNamespacedCustomObject(
      { ...ROUTE, body: { spec: { rules: [{ backendRefs: [{ name: 'mcp-gateway-rust', port: 8080, weight: 100 }] }] } } },
      mergePatch,
    );
    expect(fake.requests.at(-1)?.contentType).toBe('application/merge-patch+json');
    expect(out.spec.rules).toEqual([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'mcp-gateway-rust', port: 8080, weight: 100, group: '', kind: 'Service' }] }]);
    expect(out.spec.hostnames).toEqual(['mcp.example.com']);

    const err = await apiError(custom.patchNamespacedCustomObject({ ...ROUTE, body: { metadata: { labels: { a: 'b' } } } }, strategicPatch));
    expect(err.code).toBe(415);
    expect(err.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      reason: 'UnsupportedMediaType',
      code: 415,
    });
  });

  it('dryRun=All validates without persisting; an invalid weight is a 422 Invalid', async () => {
    const before = structuredClone(fake.get(fake.paths.httpRoute));
    const out = await custom.patchNamespacedCustomObject({ ...ROUTE, body: [{ op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 50 }], dryRun: 'All' }, jsonPatch);
    expect(weights(out)).toEqual(['mcp-gateway-python=100', 'mcp-gateway-rust=50']);
    expect(fake.requests.at(-1)?.query).toEqual({ dryRun: 'All' });
    expect(fake.get(fake.paths.httpRoute)).toEqual(before);

    const bad = await apiError(custom.patchNamespacedCustomObject({ ...ROUTE, body: [{ op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: -1 }], dryRun: 'All' }, jsonPatch));
    expect(bad.code).toBe(422);
    expect(bad.status).toMatchObject({
      reason: 'Invalid',
      message: 'HTTPRoute.gateway.networking.k8s.io "mcp-gateway" is invalid: spec.rules[0].backendRefs[1].weight: Invalid value: -1: spec.rules[0].backendRefs[1].weight in body should be greater than or equal to 0',
      details: { name: 'mcp-gateway', group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
    });
    const noPort = await apiError(custom.patchNamespacedCustomObject({ ...ROUTE, body: [{ op: 'add', path: '/spec/rules/0/backendRefs/-', value: { name: 'x' } }] }, jsonPatch));
    expect(noPort.status.message).toContain('spec.rules[0].backendRefs[2]: Invalid value: "object": Must have port for Service reference');
    expect(fake.get(fake.paths.httpRoute)).toEqual(before);
  });

  it('a no-op write keeps the resourceVersion; a label change bumps it but not the generation', async () => {
    const rv = fake.get(fake.paths.httpRoute).metadata.resourceVersion;
    const same = await custom.patchNamespacedCustomObject({ ...ROUTE, body: [{ op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 0 }] }, jsonPatch);
    expect(same.metadata.resourceVersion).toBe(rv);
    const labelled = await custom.patchNamespacedCustomObject({ ...ROUTE, body: { metadata: { labels: { team: 'platform' } } } }, mergePatch);
    expect(Number(labelled.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    expect(labelled.metadata.generation).toBe(1);
  });

  it('status is written only through the status subresource', async () => {
    const route = await custom.getNamespacedCustomObject(ROUTE);
    route.status.parents[0].conditions[1] = { type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound', message: 'service "mcp-gateway-rust" not found' };
    const out = await custom.replaceNamespacedCustomObjectStatus({ ...ROUTE, body: route });
    expect(out.status.parents[0].conditions[1]).toMatchObject({ status: 'False', reason: 'BackendNotFound' });
    expect(out.metadata.generation).toBe(1);
  });

  it('failNext fails HTTPRoute requests like the API server would (403 names the RBAC verb)', async () => {
    fake.failNext({ method: 'PATCH', pathIncludes: '/httproutes/' }, 403);
    const err = await apiError(custom.patchNamespacedCustomObject({ ...ROUTE, body: [{ op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 5 }] }, jsonPatch));
    expect(err.code).toBe(403);
    expect(err.status).toMatchObject({
      reason: 'Forbidden',
      message:
        'httproutes.gateway.networking.k8s.io "mcp-gateway" is forbidden: User "system:serviceaccount:stoa-system:mcp-canary" cannot patch resource "httproutes" in API group "gateway.networking.k8s.io" in the namespace "stoa-system"',
      details: { name: 'mcp-gateway', group: 'gateway.networking.k8s.io', kind: 'httproutes' },
    });
  });
});

describe('HTTPRoute seed option', () => {
  it('httpRoute: false seeds none; an object is stored instead, completed', async () => {
    const none = await startFakeKubeApi({ httpRoute: false });
    try {
      expect(none.get(none.paths.httpRoute)).toBeUndefined();
      expect((await apiError(clients(none).custom.getNamespacedCustomObject(ROUTE))).code).toBe(404);
      // The other seeds are there.
      expect(none.get(none.paths.canaryIngress)).toBeDefined();
    } finally {
      await none.close();
    }
    const own = await startFakeKubeApi({ httpRoute: { metadata: { name: 'edge' }, spec: { rules: [{ backendRefs: [{ name: 'mcp-gateway-python', port: 8000 }] }] } } });
    try {
      expect(own.paths.httpRoute).toBe('/apis/gateway.networking.k8s.io/v1/namespaces/stoa-system/httproutes/edge');
      const route = await clients(own).custom.getNamespacedCustomObject({ ...ROUTE, name: 'edge' });
      expect(route.metadata).toMatchObject({ name: 'edge', namespace: NS, generation: 1 });
      expect(route.spec.rules[0].backendRefs[0]).toEqual({ name: 'mcp-gateway-python', port: 8000, group: '', kind: 'Service', weight: 1 });
      expect(route).not.toHaveProperty('status');
    } finally {
      await own.close();
    }
  });
});

describe('diagnostics reads through client-node CoreV1Api and DiscoveryV1Api', () => {
  let fake: FakeKubeApi;
  let core: k8s.CoreV1Api;
  let discovery: k8s.DiscoveryV1Api;

  beforeAll(async () => {
    fake = await startFakeKubeApi();
    ({ core, discovery } = clients(fake));
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('lists pods by label selector (equality, !=, comma-separated, set-based)', async () => {
    const python = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=mcp-gateway-python' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: `/api/v1/namespaces/${NS}/pods`, query: { labelSelector: 'app=mcp-gateway-python' } });
    expect(python.items.map((p) => p.metadata?.name)).toEqual(fake.podNames.python);
    for (const pod of python.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(pod.status?.containerStatuses?.every((c) => c.ready)).toBe(true);
      expect(pod.spec?.containers.map((c) => c.name)).toEqual(['gateway', 'sidecar']);
    }
    const notPython = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app!=mcp-gateway-python' });
    expect(notPython.items.map((p) => p.metadata?.name)).toEqual(fake.podNames.rust);
    const both = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=mcp-gateway-rust,pod-template-hash' });
    expect(both.items).toHaveLength(2);
    expect((await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=mcp-gateway-rust,pod-template-hash!=59c8d7f6b4' })).items).toEqual([]);
    expect((await core.listNamespacedPod({ namespace: NS, labelSelector: 'app in (mcp-gateway-rust, mcp-gateway-python)' })).items).toHaveLength(4);
    expect((await core.listNamespacedPod({ namespace: NS })).items).toHaveLength(4);
    expect((await core.listNamespacedPod({ namespace: NS, fieldSelector: 'status.phase=Running,spec.nodeName=node-1' })).items).toHaveLength(2);
    expect((await apiError(core.listNamespacedPod({ namespace: NS, labelSelector: 'app=(' }))).code).toBe(400);
  });

  it('reads pod logs as text/plain with tailLines, limitBytes, sinceSeconds and container', async () => {
    const [pod] = fake.podNames.python as [string];
    const old = Date.now() - 3_600_000;
    fake.setPodLog(pod, [
      { text: '{"level":"info","msg":"started"}', at: old },
      '{"level":"warn","msg":"Shadow MISMATCH","path":"/tools/list"}',
      '{"level":"warn","msg":"Shadow MISMATCH","path":"/tools/call"}',
      '{"level":"info","msg":"ok"}',
    ]);
    // Two containers: the API server (unlike kubectl) wants to be told which.
    const which = await apiError(core.readNamespacedPodLog({ name: pod, namespace: NS }));
    expect(which.code).toBe(400);
    expect(which.status).toMatchObject({ reason: 'BadRequest', message: `a container name must be specified for pod ${pod}, choose one of: [gateway sidecar]` });

    const all = await core.readNamespacedPodLog({ name: pod, namespace: NS, container: 'gateway' });
    expect(all.split('\n')).toHaveLength(5); // four lines, each ending with \n
    const raw = await fetch(`${fake.url}/api/v1/namespaces/${NS}/pods/${pod}/log?container=gateway`);
    expect(raw.headers.get('content-type')).toBe('text/plain');
    const tail = await core.readNamespacedPodLog({ name: pod, namespace: NS, container: 'gateway', tailLines: 2 });
    expect(tail).toBe('{"level":"warn","msg":"Shadow MISMATCH","path":"/tools/call"}\n{"level":"info","msg":"ok"}\n');
    expect(fake.requests.at(-1)?.query).toEqual({ container: 'gateway', tailLines: '2' });
    expect(await core.readNamespacedPodLog({ name: pod, namespace: NS, container: 'gateway', tailLines: 2, limitBytes: 10 })).toBe('{"level":"');
    const recent = await core.readNamespacedPodLog({ name: pod, namespace: NS, container: 'gateway', sinceSeconds: 600 });
    expect(recent.split('\n').filter(Boolean)).toHaveLength(3);
    expect(await core.readNamespacedPodLog({ name: pod, namespace: NS, container: 'sidecar' })).toBe('');
    expect((await apiError(core.readNamespacedPodLog({ name: pod, namespace: NS, container: 'nope' }))).status.message).toBe(`container nope is not valid for pod ${pod}`);
    // One container: no need to name it.
    fake.setPodLog(fake.podNames.rust[0]!, ['ready']);
    expect(await core.readNamespacedPodLog({ name: fake.podNames.rust[0]!, namespace: NS })).toBe('ready\n');
    expect((await apiError(core.readNamespacedPodLog({ name: 'gone', namespace: NS }))).status.message).toBe('pods "gone" not found');
  });

  it('a 403 on pods/log is an ApiException 403 with the real Forbidden Status', async () => {
    const pod = fake.podNames.rust[1]!;
    fake.failNext({ pathIncludes: '/log' }, 403);
    const err = await apiError(core.readNamespacedPodLog({ name: pod, namespace: NS, tailLines: 10 }));
    expect(err).toBeInstanceOf(k8s.ApiException);
    expect(err.code).toBe(403);
    expect(err.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `pods "${pod}" is forbidden: User "system:serviceaccount:stoa-system:mcp-canary" cannot get resource "pods/log" in API group "" in the namespace "stoa-system"`,
      reason: 'Forbidden',
      details: { name: pod, kind: 'pods' },
      code: 403,
    });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: `/api/v1/namespaces/${NS}/pods/${pod}/log`, query: { tailLines: '10' } });
    fake.failNext({ pathIncludes: '/pods' }, 403);
    expect((await apiError(core.listNamespacedPod({ namespace: NS }))).status.message).toBe(
      'pods is forbidden: User "system:serviceaccount:stoa-system:mcp-canary" cannot list resource "pods" in API group "" in the namespace "stoa-system"',
    );
  });

  it('lists events by field selector (involvedObject.name/kind, type=Warning)', async () => {
    fake.addEvent({ involvedObject: { kind: 'HTTPRoute', name: 'mcp-gateway' }, type: 'Warning', reason: 'BackendNotFound', message: 'service "mcp-gateway-rust" not found' });
    fake.addEvent({ involvedObject: { kind: 'Deployment', name: 'mcp-gateway-rust' }, reason: 'ScalingReplicaSet', message: 'Scaled up replica set mcp-gateway-rust-59c8d7f6b4 to 3' });
    const warning = fake.addEvent({
      involvedObject: { kind: 'Deployment', name: 'mcp-gateway-rust' },
      type: 'Warning',
      reason: 'FailedCreate',
      message: 'exceeded quota',
      lastTimestamp: '2026-01-02T03:04:05Z',
    });
    expect(warning.involvedObject).toMatchObject({ apiVersion: 'apps/v1', namespace: NS, uid: fake.get(fake.paths.rustDeployment).metadata.uid });

    const forRoute = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=mcp-gateway' });
    expect(forRoute.items.map((e) => e.reason)).toEqual(['BackendNotFound']);
    const rust = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.kind=Deployment,involvedObject.name=mcp-gateway-rust' });
    expect(rust.items.map((e) => e.reason)).toEqual(['ScalingReplicaSet', 'FailedCreate']);
    const warnings = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=mcp-gateway-rust,type=Warning' });
    expect(warnings.items).toHaveLength(1);
    expect(warnings.items[0]).toMatchObject({ type: 'Warning', reason: 'FailedCreate', message: 'exceeded quota', count: 1, source: { component: 'deployment-controller' } });
    expect(warnings.items[0]?.lastTimestamp?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect((await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'type!=Warning' })).items.map((e) => e.reason)).toEqual(['ScalingReplicaSet']);
    const unsupported = await apiError(core.listNamespacedEvent({ namespace: NS, fieldSelector: 'severity=high' }));
    expect(unsupported.code).toBe(400);
    expect(unsupported.status.message).toBe('field label not supported: severity');
    fake.failNext({ pathIncludes: '/events' }, 500);
    expect((await apiError(core.listNamespacedEvent({ namespace: NS }))).code).toBe(500);
  });

  it('lists EndpointSlices by service name; setEndpoints changes them (an empty slice has endpoints: null)', async () => {
    const rust = await discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: 'kubernetes.io/service-name=mcp-gateway-rust' });
    expect(fake.requests.at(-1)?.path).toBe(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`);
    expect(rust.items).toHaveLength(1);
    expect(rust.items[0]?.metadata?.name).toBe(fake.paths.rustEndpointSlice.split('/').at(-1));
    expect(rust.items[0]?.endpoints?.map((e) => e.conditions?.ready)).toEqual([true, true, true]);
    expect(rust.items[0]?.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080 }]);
    const python = await discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: 'kubernetes.io/service-name=mcp-gateway-python' });
    expect(python.items[0]?.endpoints).toHaveLength(3);

    const rv = rust.items[0]?.metadata?.resourceVersion;
    fake.setEndpoints('mcp-gateway-rust', { ready: 1, notReady: 2 });
    const changed = await discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: 'kubernetes.io/service-name=mcp-gateway-rust' });
    expect(changed.items[0]?.endpoints?.map((e) => e.conditions?.ready)).toEqual([true, false, false]);
    expect(Number(changed.items[0]?.metadata?.resourceVersion)).toBeGreaterThan(Number(rv));
    fake.setEndpoints('mcp-gateway-rust', { ready: 0 });
    const empty = await discovery.listNamespacedEndpointSlice({ namespace: NS, labelSelector: 'kubernetes.io/service-name=mcp-gateway-rust' });
    expect(empty.items[0]?.endpoints).toBeNull();
    fake.failNext({ pathIncludes: '/endpointslices' }, 403);
    expect((await apiError(discovery.listNamespacedEndpointSlice({ namespace: NS }))).status.reason).toBe('Forbidden');
  });

  it('proxies GET to a Service: default /health, a settable answer, delay, no ready endpoints, unknown port', async () => {
    const health = await core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-rust:8080', namespace: NS, path: 'health' });
    // Recorded as sent: client-node URL-encodes the ':' of name:port.
    expect(fake.requests.at(-1)?.path).toBe(`/api/v1/namespaces/${NS}/services/mcp-gateway-rust%3A8080/proxy/health`);
    // client-node parses a JSON answer although the method is typed string.
    expect(health).toEqual({ status: 'ok' });
    const missing = await apiError(core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-rust:8080', namespace: NS, path: 'nope' }));
    expect(missing.code).toBe(404);
    expect(missing.status).toBe('404 page not found\n');

    fake.setServiceProxy('mcp-gateway-rust', { status: 503, body: '{"status":"degraded","redis":"down"}' });
    const down = await apiError(core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-rust:8080', namespace: NS, path: 'health' }));
    expect(down.code).toBe(503);
    expect(down.status).toEqual({ status: 'degraded', redis: 'down' }); // the Service's own body, relayed

    fake.setServiceProxy('mcp-gateway-rust', (req) => ({ body: `${req.method} ${req.path} ${req.port}`, delayMs: 150 }));
    const t0 = Date.now();
    expect(await core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-rust:http', namespace: NS, path: 'a/b' })).toBe('GET /a/b http');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    fake.setServiceProxy('mcp-gateway-rust', { refused: true });
    const refused = await apiError(core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-rust:8080', namespace: NS, path: 'health' }));
    expect(refused.status).toMatchObject({ kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'error trying to reach service: dial tcp 10.244.2.11:8080: connect: connection refused' });
    fake.setServiceProxy('mcp-gateway-rust', undefined);

    fake.setEndpoints('mcp-gateway-rust', { ready: 0, notReady: 3 });
    const none = await apiError(core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-rust:8080', namespace: NS, path: 'health' }));
    expect(none.status).toMatchObject({ code: 503, reason: 'ServiceUnavailable', message: 'no endpoints available for service "mcp-gateway-rust"' });
    const port = await apiError(core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-python:8080', namespace: NS, path: 'health' }));
    expect(port.status.message).toBe('no service port 8080 found for service "mcp-gateway-python"');
    expect((await apiError(core.connectGetNamespacedServiceProxyWithPath({ name: 'nope:8080', namespace: NS, path: 'health' }))).status.message).toBe('services "nope" not found');

    fake.failNext({ pathIncludes: 'mcp-gateway-python:8000/proxy/' }, 403); // matches the decoded path too
    const forbidden = await apiError(core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-python:8000', namespace: NS, path: 'health' }));
    expect(forbidden.status.message).toBe(
      'services "mcp-gateway-python:8000" is forbidden: User "system:serviceaccount:stoa-system:mcp-canary" cannot get resource "services/proxy" in API group "" in the namespace "stoa-system"',
    );
    expect(await core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-python:8000', namespace: NS, path: 'health' })).toEqual({ status: 'ok' });
  });

  it('deleting a Service takes its EndpointSlices with it (the garbage collector)', async () => {
    await core.deleteNamespacedService({ name: 'mcp-gateway-python', namespace: NS });
    await expect.poll(() => fake.get(fake.paths.pythonEndpointSlice)).toBeUndefined();
    expect(fake.get(fake.paths.rustEndpointSlice)).toBeDefined();
  });

  it('reset() restores pods, logs, endpoints and proxies', async () => {
    fake.setPodLog(fake.podNames.rust[0]!, ['x']);
    fake.setEndpoints('mcp-gateway-rust', { ready: 0 });
    fake.setServiceProxy('mcp-gateway-rust', { status: 500 });
    fake.reset();
    expect(await core.readNamespacedPodLog({ name: fake.podNames.rust[0]!, namespace: NS })).toBe('');
    expect(await core.connectGetNamespacedServiceProxyWithPath({ name: 'mcp-gateway-rust:8080', namespace: NS, path: 'health' })).toEqual({ status: 'ok' });
    expect(() => fake.setPodLog('nope', [])).toThrow(/no pod nope/);
  });

  it('answers SelfSubjectAccessReviews: allowed by default (stored nowhere), denied when the test says, invalid without attributes', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(fake.kubeconfigPath);
    const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    const review = (attrs: Record<string, string>) =>
      authz.createSelfSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: NS, ...attrs } } } });
    const patchCanary = { verb: 'patch', group: 'networking.k8s.io', resource: 'ingresses', name: 'mcp-gateway-canary' };
    const allowed = await review(patchCanary);
    expect(allowed.status).toMatchObject({ allowed: true, reason: expect.stringContaining('RBAC: allowed by RoleBinding') });
    expect(allowed.spec.resourceAttributes).toMatchObject(patchCanary);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' });

    fake.denyAccess({ verb: 'patch', resource: 'ingresses', name: 'mcp-gateway-canary' });
    expect((await review(patchCanary)).status).toEqual({ allowed: false });
    // Only what the denial names: another verb or object is still allowed.
    expect((await review({ ...patchCanary, verb: 'get' })).status?.allowed).toBe(true);
    expect((await review({ ...patchCanary, name: 'mcp-gateway-primary' })).status?.allowed).toBe(true);

    const invalid = await apiError(authz.createSelfSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} } }));
    expect(invalid.code).toBe(422);
    expect(invalid.status.message).toContain('exactly one of nonResourceAttributes or resourceAttributes must be specified');

    fake.reset();
    expect((await review(patchCanary)).status?.allowed).toBe(true);
  });

  it('serves API discovery: legacy documents, and aggregated discovery when asked for', async () => {
    const get = async (path: string, accept = 'application/json') => {
      const res = await fetch(`${fake.url}${path}`, { headers: { accept } });
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
    };
    const groups = await get('/apis');
    expect(groups.body.kind).toBe('APIGroupList');
    expect(groups.body.groups.map((g: any) => g.name)).toEqual(expect.arrayContaining(['gateway.networking.k8s.io', 'discovery.k8s.io', 'networking.k8s.io', 'apps']));
    expect((await get('/apis/gateway.networking.k8s.io')).body).toMatchObject({ kind: 'APIGroup', preferredVersion: { groupVersion: 'gateway.networking.k8s.io/v1' } });
    const gw = await get('/apis/gateway.networking.k8s.io/v1');
    expect(gw.body.resources[0]).toEqual({
      name: 'httproutes',
      singularName: 'httproute',
      namespaced: true,
      kind: 'HTTPRoute',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
      categories: ['gateway-api'],
    });
    const core1 = await get('/api/v1');
    expect(core1.body.resources.map((r: any) => r.name)).toEqual(expect.arrayContaining(['pods', 'pods/log', 'events', 'services', 'services/proxy']));
    expect((await get('/apis/discovery.k8s.io/v1')).body.resources.map((r: any) => r.name)).toEqual(['endpointslices']);
    expect((await get('/apis/example.com/v1')).status).toBe(404);

    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const agg = await get('/apis', accept);
    expect(agg.type).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const gateway = agg.body.items.find((i: any) => i.metadata.name === 'gateway.networking.k8s.io');
    expect(gateway.versions[0].resources[0]).toMatchObject({ resource: 'httproutes', responseKind: { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute' }, scope: 'Namespaced' });
    const coreAgg = await get('/api', accept);
    expect(coreAgg.body.items[0].versions[0].resources.find((r: any) => r.resource === 'pods').subresources.map((s: any) => s.subresource)).toContain('log');
  });
});

// ---------------------------------------------------------------------------------------------
// The real kubectl (Debian package kubernetes-client), as the runbook and the manual rollback use it.

function kubectlPath(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir || '.', 'kubectl');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('kubectl not found on PATH: install it with `apt-get install -y kubernetes-client` (bash scripts/install-test-deps.sh)');
}

describe('real kubectl against the fake API server', () => {
  let fake: FakeKubeApi;
  let bin: string;
  let home: string;

  const kubectl = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        bin,
        [`--kubeconfig=${fake.kubeconfigPath}`, `--cache-dir=${join(home, 'cache')}`, '-n', NS, ...args],
        { env: { PATH: process.env.PATH ?? '', HOME: home }, timeout: 15_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    bin = kubectlPath();
    fake = await startFakeKubeApi({ canaryWeight: '5' });
    home = await mkdtemp(join(tmpdir(), 'kubectl-home-'));
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('kubectl get httproute -o json, after discovering the group', async () => {
    const out = await kubectl('get', 'httproute', 'mcp-gateway', '-o', 'json');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const route = JSON.parse(out.stdout);
    expect(route).toMatchObject({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'mcp-gateway', namespace: NS } });
    expect(weights(route)).toEqual(['mcp-gateway-python=100', 'mcp-gateway-rust=0']);
    // It resolved `httproute` through discovery (aggregated, as kubectl asks for it first).
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /api', 'GET /apis', `GET ${fake.paths.httpRoute}`]));

    const table = await kubectl('get', 'httproute', 'mcp-gateway');
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+HOSTNAMES\s+AGE$/);
    expect(table.stdout.split('\n')[1]).toMatch(/^mcp-gateway\s+\["mcp\.example\.com"\]\s+7d$/);
  });

  it('kubectl patch httproute --type=json: applied when the test holds, refused with the real error when not', async () => {
    const ok = await kubectl(
      'patch',
      'httproute',
      'mcp-gateway',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'test', path: '/spec/rules/0/backendRefs/1/weight', value: 0 },
        { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 5 },
        { op: 'replace', path: '/spec/rules/0/backendRefs/0/weight', value: 95 },
      ]),
    );
    expect(ok).toMatchObject({ code: 0, stdout: 'httproute.gateway.networking.k8s.io/mcp-gateway patched\n' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', contentType: 'application/json-patch+json', path: fake.paths.httpRoute });
    expect(weights(fake.get(fake.paths.httpRoute))).toEqual(['mcp-gateway-python=95', 'mcp-gateway-rust=5']);

    const stale = await kubectl('patch', 'httproute', 'mcp-gateway', '--type=json', '-p', JSON.stringify([{ op: 'test', path: '/spec/rules/0/backendRefs/1/weight', value: 0 }]));
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain('The request is invalid: the server rejected our request due to an error in our request');

    const rv = await kubectl('patch', 'httproute', 'mcp-gateway', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/metadata/resourceVersion', value: '1' }]));
    expect(rv.code).not.toBe(0);
    expect(rv.stderr).toContain('the object has been modified; please apply your changes to the latest version and try again');
  });

  it('kubectl patch httproute --type=merge replaces spec.rules whole; its default (strategic) is refused', async () => {
    const merged = await kubectl('patch', 'httproute', 'mcp-gateway', '--type=merge', '-p', JSON.stringify({ spec: { rules: [{ backendRefs: [{ name: 'mcp-gateway-rust', port: 8080 }] }] } }));
    expect(merged).toMatchObject({ code: 0, stdout: 'httproute.gateway.networking.k8s.io/mcp-gateway patched\n' });
    expect(fake.requests.at(-1)?.contentType).toBe('application/merge-patch+json');
    expect(fake.get(fake.paths.httpRoute).spec.rules).toEqual([
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'mcp-gateway-rust', port: 8080, group: '', kind: 'Service', weight: 1 }] },
    ]);

    const strategic = await kubectl('patch', 'httproute', 'mcp-gateway', '-p', '{"metadata":{"labels":{"a":"b"}}}');
    expect(strategic.code).not.toBe(0);
    expect(strategic.stderr).toContain(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });

  it('kubectl get ingress prints the server-side table; kubectl patch ingress --type=merge sets the weight', async () => {
    const got = await kubectl('get', 'ingress', 'mcp-gateway-canary');
    expect(got.code).toBe(0);
    const [header, row] = got.stdout.split('\n');
    expect(header).toMatch(/^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE$/);
    expect(row).toMatch(/^mcp-gateway-canary\s+nginx\s+mcp\.gostoa\.dev\s+10\.0\.0\.10\s+80\s+7d$/);

    const patched = await kubectl('patch', 'ingress', 'mcp-gateway-canary', '--type=merge', '-p', '{"metadata":{"annotations":{"nginx.ingress.kubernetes.io/canary-weight":"10"}}}');
    expect(patched).toMatchObject({ code: 0, stdout: 'ingress.networking.k8s.io/mcp-gateway-canary patched\n' });
    expect(fake.get(fake.paths.canaryIngress).metadata.annotations['nginx.ingress.kubernetes.io/canary-weight']).toBe('10');
  });

  it('kubectl reads what the diagnostics read: pods by label, logs, events, endpoint slices, the service proxy', async () => {
    const pods = await kubectl('get', 'pods', '-l', 'app=mcp-gateway-rust', '-o', 'jsonpath={.items[*].metadata.name}');
    expect(pods.stdout).toBe(fake.podNames.rust.join(' '));
    fake.setPodLog(fake.podNames.python[0]!, ['one', 'two', 'three']);
    const logs = await kubectl('logs', fake.podNames.python[0]!, '-c', 'gateway', '--tail=2');
    expect(logs.stdout).toBe('two\nthree\n');
    fake.addEvent({ involvedObject: { kind: 'Deployment', name: 'mcp-gateway-rust' }, type: 'Warning', reason: 'FailedCreate', message: 'exceeded quota' });
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=mcp-gateway-rust,type=Warning', '-o', 'jsonpath={.items[*].reason}');
    expect(events.stdout).toBe('FailedCreate');
    const slices = await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=mcp-gateway-rust', '-o', 'jsonpath={.items[0].endpoints[*].conditions.ready}');
    expect(slices.stdout).toBe('true true true');
    const health = await kubectl('get', '--raw', `/api/v1/namespaces/${NS}/services/mcp-gateway-rust:8080/proxy/health`);
    expect(health.stdout).toBe('{"status":"ok"}');
  });

  it('kubectl auth can-i: yes by default, no once denied', async () => {
    const yes = await kubectl('auth', 'can-i', 'patch', 'ingresses.networking.k8s.io/mcp-gateway-canary');
    expect(yes).toMatchObject({ code: 0, stdout: 'yes\n' });
    fake.denyAccess({ verb: 'patch', resource: 'ingresses', name: 'mcp-gateway-canary' });
    const no = await kubectl('auth', 'can-i', 'patch', 'ingresses.networking.k8s.io/mcp-gateway-canary');
    expect(no).toMatchObject({ code: 1, stdout: 'no\n' });
  });
});
