// Proves the test fakes behave like the real servers where the bot depends on them,
// using the same client libraries the bot uses.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { startFakeKubeApi } from './fake-kube-api.js';
import type { FakeKubeApi } from './fake-kube-api.js';

const NS = 'stoa-system';
const CANARY = 'mcp-gateway-canary';
const WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategicPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

async function apiError(p: Promise<unknown>): Promise<k8s.ApiException<unknown>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof k8s.ApiException) return err;
    throw err;
  }
  throw new Error('expected an ApiException');
}

describe('fake kube API with @kubernetes/client-node', () => {
  let fake: FakeKubeApi;
  let net: k8s.NetworkingV1Api;
  let apps: k8s.AppsV1Api;

  beforeAll(async () => {
    fake = await startFakeKubeApi({ canaryWeight: '5', extraCanaryAnnotations: { 'example.com/owner': 'platform' } });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(fake.kubeconfigPath);
    net = kc.makeApiClient(k8s.NetworkingV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('reads the seeded canary ingress', async () => {
    const ing = await net.readNamespacedIngress({ name: CANARY, namespace: NS });
    expect(ing.metadata?.annotations?.[WEIGHT]).toBe('5');
    expect(ing.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary']).toBe('true');
    expect(ing.metadata?.annotations?.['example.com/owner']).toBe('platform');
    expect(ing.spec?.rules?.[0]?.host).toBe('mcp.gostoa.dev');
    expect(ing.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name).toBe('mcp-gateway-rust');
    expect(ing.metadata?.resourceVersion).toMatch(/^\d+$/);
    const req = fake.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'GET', path: fake.paths.canaryIngress, authorization: 'Bearer fake-kube-token' });
  });

  it('client-node refuses an http:// server unless the kubeconfig says insecure-skip-tls-verify', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: fake.url, skipTLSVerify: false }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await expect(kc.makeApiClient(k8s.NetworkingV1Api).readNamespacedIngress({ name: CANARY, namespace: NS })).rejects.toThrow(
      /HTTP protocol is not allowed/,
    );
  });

  it('merge-patches an annotation, null removes one, resourceVersion moves on', async () => {
    const before = fake.get(fake.paths.canaryIngress).metadata.resourceVersion as string;
    const out = await net.patchNamespacedIngress(
      { name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '10', 'example.com/owner': null } } } },
      mergePatch,
    );
    expect(out.metadata?.annotations?.[WEIGHT]).toBe('10');
    expect(out.metadata?.annotations).not.toHaveProperty('example.com/owner');
    expect(Number(out.metadata?.resourceVersion)).toBeGreaterThan(Number(before));
    expect(fake.get(fake.paths.canaryIngress).metadata.annotations[WEIGHT]).toBe('10');
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', contentType: 'application/merge-patch+json' });
    // Annotations only: the ingress spec did not change, so neither did its generation.
    expect(out.metadata?.generation).toBe(1);
  });

  it('a stale resourceVersion in a merge patch is a 409 Conflict', async () => {
    const seen = await net.readNamespacedIngress({ name: CANARY, namespace: NS });
    // Someone else writes in between: our resourceVersion is now stale.
    await net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { labels: { touched: 'yes' } } } }, mergePatch);
    const err = await apiError(
      net.patchNamespacedIngress(
        { name: CANARY, namespace: NS, body: { metadata: { resourceVersion: seen.metadata?.resourceVersion, annotations: { [WEIGHT]: '50' } } } },
        mergePatch,
      ),
    );
    expect(err.code).toBe(409);
    const status = JSON.parse(String(err.body));
    expect(status).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(status.message).toContain('the object has been modified');
    expect(fake.get(fake.paths.canaryIngress).metadata.annotations[WEIGHT]).toBe('5');

    // With the current resourceVersion the same precondition passes.
    const rv = fake.get(fake.paths.canaryIngress).metadata.resourceVersion as string;
    const ok = await net.patchNamespacedIngress(
      { name: CANARY, namespace: NS, body: { metadata: { resourceVersion: rv, annotations: { [WEIGHT]: '50' } } } },
      mergePatch,
    );
    expect(ok.metadata?.annotations?.[WEIGHT]).toBe('50');
  });

  it('rejects non-string annotation values with 400, like the real API', async () => {
    const err = await apiError(
      net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: 20 } } } }, mergePatch),
    );
    expect(err.code).toBe(400);
    expect(fake.get(fake.paths.canaryIngress).metadata.annotations[WEIGHT]).toBe('5');
  });

  it('failNext answers a Status error once, and records the request', async () => {
    fake.failNext({ method: 'PATCH', pathIncludes: '/ingresses/' }, 500);
    const err = await apiError(net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '0' } } } }, mergePatch));
    expect(err.code).toBe(500);
    expect(JSON.parse(String(err.body))).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500 });
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    // Only once: the retry goes through.
    const ok = await net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '0' } } } }, mergePatch);
    expect(ok.metadata?.annotations?.[WEIGHT]).toBe('0');
  });

  it('delete answers a Status, then read is a 404 NotFound', async () => {
    const status = await net.deleteNamespacedIngress({ name: CANARY, namespace: NS });
    expect(status).toMatchObject({ kind: 'Status', status: 'Success' });
    const err = await apiError(net.readNamespacedIngress({ name: CANARY, namespace: NS }));
    expect(err.code).toBe(404);
    expect(JSON.parse(String(err.body))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'ingresses.networking.k8s.io "mcp-gateway-canary" not found',
      reason: 'NotFound',
      details: { name: CANARY, group: 'networking.k8s.io', kind: 'ingresses' },
      code: 404,
    });
    expect((await apiError(net.deleteNamespacedIngress({ name: CANARY, namespace: NS }))).code).toBe(404);
  });

  it('create answers 201 and then 409 AlreadyExists', async () => {
    await net.deleteNamespacedIngress({ name: CANARY, namespace: NS });
    const body: k8s.V1Ingress = {
      metadata: { name: CANARY, annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', [WEIGHT]: '0' } },
      spec: { rules: [{ host: 'mcp.gostoa.dev' }] },
    };
    const created = await net.createNamespacedIngress({ namespace: NS, body });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.namespace).toBe(NS);
    const err = await apiError(net.createNamespacedIngress({ namespace: NS, body }));
    expect(err.code).toBe(409);
    expect(JSON.parse(String(err.body)).reason).toBe('AlreadyExists');
  });

  it('replace with a stale resourceVersion is a 409, with the current one it succeeds', async () => {
    const ing = await net.readNamespacedIngress({ name: CANARY, namespace: NS });
    await net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '1' } } } }, mergePatch);
    ing.metadata!.annotations![WEIGHT] = '25';
    expect((await apiError(net.replaceNamespacedIngress({ name: CANARY, namespace: NS, body: ing }))).code).toBe(409);
    const fresh = await net.readNamespacedIngress({ name: CANARY, namespace: NS });
    fresh.metadata!.annotations![WEIGHT] = '25';
    const out = await net.replaceNamespacedIngress({ name: CANARY, namespace: NS, body: fresh });
    expect(out.metadata?.annotations?.[WEIGHT]).toBe('25');
  });

  it('strategic merge patch of one env var keeps the other env var and the sidecar', async () => {
    const before = await apps.readNamespacedDeployment({ name: 'mcp-gateway-python', namespace: NS });
    const out = await apps.patchNamespacedDeployment(
      {
        name: 'mcp-gateway-python',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'gateway', env: [{ name: 'SHADOW_MODE_ENABLED', value: 'true' }] }] } } } },
      },
      strategicPatch,
    );
    const containers = out.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['gateway', 'sidecar']);
    expect(containers[0]?.env).toEqual([
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'SHADOW_MODE_ENABLED', value: 'true' },
    ]);
    expect(containers[0]?.image).toBe(before.spec?.template.spec?.containers[0]?.image);
    // A template change is a new generation; the fake controller then catches up.
    expect(out.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
    await expect.poll(() => fake.get(fake.paths.pythonDeployment).status.observedGeneration).toBe(out.metadata?.generation);

    // $patch: delete removes one entry, again keeping the rest.
    const del = await apps.patchNamespacedDeployment(
      {
        name: 'mcp-gateway-python',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'gateway', env: [{ name: 'SHADOW_MODE_ENABLED', $patch: 'delete' }] }] } } } },
      },
      strategicPatch,
    );
    expect(del.spec?.template.spec?.containers[0]?.env).toEqual([{ name: 'LOG_LEVEL', value: 'info' }]);
    expect(del.spec?.template.spec?.containers).toHaveLength(2);
  });

  it('a JSON merge patch replaces whole lists (why the bot must use strategic merge for env)', async () => {
    const out = await apps.patchNamespacedDeployment(
      {
        name: 'mcp-gateway-python',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'gateway', image: 'x', env: [{ name: 'A', value: 'b' }] }] } } } },
        dryRun: 'All',
      },
      mergePatch,
    );
    expect(out.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['gateway']);
  });

  it('JSON patch (RFC 6902) with test and replace', async () => {
    const ptr = '/metadata/annotations/' + WEIGHT.replace(/~/g, '~0').replace(/\//g, '~1');
    const out = await net.patchNamespacedIngress(
      { name: CANARY, namespace: NS, body: [{ op: 'test', path: ptr, value: '5' }, { op: 'replace', path: ptr, value: '10' }] },
      jsonPatch,
    );
    expect(out.metadata?.annotations?.[WEIGHT]).toBe('10');
    const err = await apiError(net.patchNamespacedIngress({ name: CANARY, namespace: NS, body: [{ op: 'test', path: ptr, value: '5' }] }, jsonPatch));
    expect(err.code).toBe(422);
  });

  it('dryRun=All answers as if applied but does not persist', async () => {
    const rv = fake.get(fake.paths.canaryIngress).metadata.resourceVersion as string;
    const out = await net.patchNamespacedIngress(
      { name: CANARY, namespace: NS, body: { metadata: { annotations: { [WEIGHT]: '100' } } }, dryRun: 'All' },
      mergePatch,
    );
    expect(out.metadata?.annotations?.[WEIGHT]).toBe('100');
    expect(fake.get(fake.paths.canaryIngress).metadata.annotations[WEIGHT]).toBe('5');
    expect(fake.get(fake.paths.canaryIngress).metadata.resourceVersion).toBe(rv);
    expect(fake.requests.at(-1)?.query).toEqual({ dryRun: 'All' });

    await net.deleteNamespacedIngress({ name: CANARY, namespace: NS, dryRun: 'All' });
    expect(fake.get(fake.paths.canaryIngress)).toBeDefined();
  });

  it('reads deployment readiness and /version', async () => {
    const rust = await apps.readNamespacedDeployment({ name: 'mcp-gateway-rust', namespace: NS });
    expect(rust.spec?.replicas).toBe(3);
    expect(rust.status).toMatchObject({ readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, observedGeneration: rust.metadata?.generation });
    const res = await fetch(`${fake.url}/version`);
    expect(await res.json()).toMatchObject({ major: '1', minor: '31', gitVersion: 'v1.31.0' });
  });
});
