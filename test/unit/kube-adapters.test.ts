// The Kubernetes adapters through @kubernetes/client-node against the local API server: a 401 is
// 'unauthenticated' (the credentials), never 'forbidden' (RBAC), everywhere, and a rollback that meets it
// still hands out the commands to run by hand; env vars set with valueFrom come back as references and
// `shadow on|off`'s write replaces them; the access review asks the API server and writes nothing; each
// router names its object for access control and its controller's commands.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeClusterDiagnostics } from '../../src/adapters/kube-diagnostics.js';
import { KubeConnection, loadKubeConfig } from '../../src/adapters/kube-connection.js';
import { KubeApi, KubernetesCluster } from '../../src/adapters/kubernetes.js';
import { GatewayApiRouter } from '../../src/adapters/routers/gateway-api.js';
import { createRouter } from '../../src/adapters/routers/index.js';
import { IngressNginxRouter } from '../../src/adapters/routers/ingress-nginx.js';
import { readConfig } from '../../src/config.js';
import { ClusterError } from '../../src/core/errors.js';
import { rollbackCanary } from '../../src/core/rollback.js';
import { startFakeKubeApi, type FakeKubeApi } from '../../devkit/kube-api-server.js';
import { coreKit } from '../core/kit.js';

const config = readConfig({});
let kube: FakeKubeApi;
let connection: KubeConnection;
let api: KubeApi;

beforeAll(async () => {
  kube = await startFakeKubeApi();
  connection = new KubeConnection(loadKubeConfig(kube.kubeconfigPath), 2000, false);
  api = new KubeApi(connection);
});

afterEach(() => kube.reset());

afterAll(async () => {
  await api?.close();
  connection?.close();
  await kube?.close();
});

const cluster = () => new KubernetesCluster(api, config.kube);
const diagnostics = () => new KubeClusterDiagnostics(api, config.kube.namespace, config.diagnostics);
const ingressRouter = () => createRouter(connection, { ...config.router, kind: 'ingress-nginx' });

async function errorOf(call: () => Promise<unknown>): Promise<ClusterError> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClusterError);
  return error as ClusterError;
}

describe('a 401 from the API server', () => {
  it("is 'unauthenticated' with the credentials named, on the cluster's, the routers' and the diagnostics' calls", async () => {
    kube.failNext({}, 401, 100);
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['read deployment', () => cluster().readDeployment(config.kube.rustDeployment)],
      ['patch env', () => cluster().setDeploymentEnv(config.kube.pythonDeployment, 'gateway', { SHADOW_MODE_ENABLED: 'true' })],
      ['read canary Ingress', () => ingressRouter().readRoute()],
      ['read HTTPRoute', () => createRouter(connection, { ...config.router, kind: 'gateway-api' }).readRoute()],
      ['list pods', () => diagnostics().listPods('app=mcp-gateway-python')],
      ['access review', () => diagnostics().mayChange(ingressRouter().resource, 'patch')],
    ];
    for (const [what, call] of calls) {
      const error = await errorOf(call);
      expect(error.kind, what).toBe('unauthenticated');
      expect(error.detail.status, what).toBe(401);
      expect(error.message, what).toMatch(/did not accept the bot's credentials \(HTTP 401 Unauthorized\) for \w+ on [\w/.:-]+: its token expired or the kubeconfig is wrong \(not an RBAC refusal\)/);
      expect(error.message, what).not.toContain('RBAC verb');
    }
  });

  it("a 403 stays 'forbidden', naming the verb and the RBAC rule", async () => {
    kube.failNext({ pathIncludes: '/deployments/' }, 403);
    const error = await errorOf(() => cluster().readDeployment(config.kube.rustDeployment));
    expect(error.kind).toBe('forbidden');
    expect(error.message).toContain(`the bot's ServiceAccount needs RBAC verb "get" on deployments "${config.kube.rustDeployment}"`);
  });

  it('makes a rollback fail with the commands to run by hand, as a 403 does', async () => {
    const kit = coreKit();
    for (const status of [401, 403]) {
      kube.reset();
      kube.failNext({}, status, 100);
      const router = ingressRouter();
      const outcome = await rollbackCanary({ ...kit.deps, router }, { actor: 'U0BOB', source: 'command' }, { writeAttempts: 1, retryDelayMs: 0 });
      expect(outcome.kind, String(status)).toBe('failed');
      if (outcome.kind !== 'failed') continue;
      expect(outcome.manualCommands).toEqual(router.manualRollbackCommands());
      expect(outcome.manualCommands[0]).toContain('kubectl patch ingress mcp-gateway-canary -n stoa-system');
      expect(outcome.errors.join(' '), String(status)).toMatch(status === 401 ? /did not accept the bot's credentials/ : /needs RBAC verb "patch"/);
    }
  });
});

describe('env vars set with valueFrom', () => {
  function pythonContainer(): any {
    return kube.get(kube.paths.pythonDeployment).spec.template.spec.containers[0];
  }

  it('come back as where they are set from (not dropped, not as a value); an empty value is set, to ""', async () => {
    pythonContainer().env.push(
      { name: 'SHADOW_MODE_ENABLED', valueFrom: { configMapKeyRef: { name: 'gateway-flags', key: 'shadow' } } },
      { name: 'SHADOW_RUST_GATEWAY_URL', valueFrom: { secretKeyRef: { name: 'gateway-secrets', key: 'rust-url' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'EMPTY' },
    );
    const [container] = await cluster().readDeploymentEnv(config.kube.pythonDeployment);
    expect(container!.fromRefs).toEqual({
      SHADOW_MODE_ENABLED: { kind: 'ConfigMap', name: 'gateway-flags', key: 'shadow' },
      SHADOW_RUST_GATEWAY_URL: { kind: 'Secret', name: 'gateway-secrets', key: 'rust-url' },
      POD_IP: { kind: 'field', name: 'status.podIP' },
      CPU_LIMIT: { kind: 'resource', name: 'limits.cpu' },
    });
    expect(container!.env).not.toHaveProperty('SHADOW_MODE_ENABLED');
    expect(container!.env.EMPTY).toBe('');
  });

  it('are replaced by the plain value shadow on|off writes, the other variables left alone', async () => {
    pythonContainer().env.push(
      { name: 'SHADOW_MODE_ENABLED', valueFrom: { configMapKeyRef: { name: 'gateway-flags', key: 'shadow' } } },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    );
    await cluster().setDeploymentEnv(config.kube.pythonDeployment, pythonContainer().name, { SHADOW_MODE_ENABLED: 'false' });
    const env: any[] = pythonContainer().env;
    expect(env.find((e) => e.name === 'SHADOW_MODE_ENABLED')).toEqual({ name: 'SHADOW_MODE_ENABLED', value: 'false' });
    expect(env.find((e) => e.name === 'DB_PASSWORD')).toEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } });
    const [container] = await cluster().readDeploymentEnv(config.kube.pythonDeployment);
    expect(container!.env.SHADOW_MODE_ENABLED).toBe('false');
    expect(container!.fromRefs).toEqual({ DB_PASSWORD: { kind: 'Secret', name: 'db', key: 'password' } });
  });
});

describe('may the bot change an object (SelfSubjectAccessReview)', () => {
  it("asks the API server, with the authorizer's reason; denied is an answer, not an error; nothing is stored", async () => {
    const resource = ingressRouter().resource;
    expect(await diagnostics().mayChange(resource, 'patch')).toEqual({ allowed: true, reason: expect.stringContaining('RBAC: allowed by RoleBinding') });
    kube.denyAccess({ verb: 'patch', resource: 'ingresses' });
    expect(await diagnostics().mayChange(resource, 'patch')).toEqual({ allowed: false });
    expect(await diagnostics().mayChange(resource, 'get')).toMatchObject({ allowed: true });
    const reviews = kube.requests.filter((r) => r.method !== 'GET');
    expect(reviews.map((r) => `${r.method} ${r.path}`)).toEqual(Array(3).fill('POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews'));
    expect(reviews[0]!.body.spec.resourceAttributes).toEqual({ namespace: 'stoa-system', verb: 'patch', group: 'networking.k8s.io', resource: 'ingresses', name: 'mcp-gateway-canary' });
  });

  it("a 403 on the review is 'forbidden' create on selfsubjectaccessreviews", async () => {
    kube.failNext({ method: 'POST' }, 403);
    const error = await errorOf(() => diagnostics().mayChange(ingressRouter().resource, 'patch'));
    expect(error).toMatchObject({ kind: 'forbidden', detail: { verb: 'create', resource: 'selfsubjectaccessreviews' } });
  });
});

describe("each router's object for access control and its controller's commands", () => {
  const options = { namespace: 'stoa-system', pythonService: 'py', rustService: 'rs', rustServicePort: 8080 };
  const offline = { dryRun: false } as KubeConnection;

  it('ingress-nginx: the canary Ingress; the runbook\'s controller logs', () => {
    const router = new IngressNginxRouter(offline, { ...options, canaryIngress: 'canary', primaryIngress: 'primary' });
    expect(router.resource).toEqual({ group: 'networking.k8s.io', resource: 'ingresses', name: 'canary', namespace: 'stoa-system' });
    expect(router.troubleshootingCommands()).toEqual(['kubectl logs -l app.kubernetes.io/component=controller -n ingress-nginx']);
  });

  it('gateway-api: the HTTPRoute; how to find its controller, named once the route was read', async () => {
    const offlineRouter = new GatewayApiRouter(offline, { ...options, httpRoute: 'web' });
    expect(offlineRouter.resource).toEqual({ group: 'gateway.networking.k8s.io', resource: 'httproutes', name: 'web', namespace: 'stoa-system' });
    expect(offlineRouter.troubleshootingCommands()).toEqual([
      "kubectl -n stoa-system get httproute web -o jsonpath='{.status.parents[*].controllerName}'   # the Gateway controller: its logs say why",
    ]);

    const router = createRouter(connection, { ...config.router, kind: 'gateway-api' });
    await router.readRoute();
    const controller = kube.get(kube.paths.httpRoute).status.parents[0].controllerName as string;
    expect(router.troubleshootingCommands()).toEqual([
      `kubectl -n stoa-system get httproute mcp-gateway -o jsonpath='{.status.parents[*].controllerName}'   # the Gateway controller (last read: ${controller}): its logs say why`,
    ]);
  });
});
