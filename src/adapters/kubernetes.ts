// The Kubernetes API through @kubernetes/client-node: one set of API clients and one connection pool shared
// by the cluster adapter (deployments, services) and the traffic routers (routers/). Every failure becomes
// a ClusterError the core can decide on.
import * as k8s from './kube-client.js';
import type { DeploymentReadiness, ContainerEnv, EnvSource } from '../core/entities.js';
import { ClusterError, type ClusterErrorKind } from '../core/errors.js';
import type { Cluster, ClusterTargets, WriteOptions } from '../core/ports.js';

export function loadKubeConfig(kubeconfigPath?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  return kc;
}

type RequestOptions = k8s.ConfigurationOptions<k8s.ObservableMiddleware>;

/** The API clients, with a per-request deadline and one reused connection pool. */
export class KubeApi {
  readonly networking: k8s.NetworkingV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly core: k8s.CoreV1Api;
  readonly custom: k8s.CustomObjectsApi;
  readonly discovery: k8s.DiscoveryV1Api;
  /** SelfSubjectAccessReviews: what the bot may do, asked without doing it. */
  readonly authorization: k8s.AuthorizationV1Api;
  private dispatcher: ReturnType<k8s.RequestContext['getDispatcher']>;

  constructor(
    kc: k8s.KubeConfig,
    private readonly requestTimeoutMs: number,
    readonly dryRun: boolean,
  ) {
    this.networking = kc.makeApiClient(k8s.NetworkingV1Api);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    this.authorization = kc.makeApiClient(k8s.AuthorizationV1Api);
  }

  dryRunParam(options: WriteOptions = {}): string | undefined {
    return this.dryRun || options.dryRun ? 'All' : undefined;
  }

  /** Options for one call: its deadline (a hung API server must not hold a rollback), the shared pool, an optional content type. */
  options(contentType?: k8s.PatchStrategy): RequestOptions {
    const base = contentType ? k8s.setHeaderOptions('Content-Type', contentType) : undefined;
    const timeoutMs = this.requestTimeoutMs;
    const deadline: k8s.ObservableMiddleware = {
      pre: (request) => {
        request.setSignal(AbortSignal.timeout(timeoutMs));
        // client-node 2.0 builds a new undici Agent per request when the cluster has TLS settings (always,
        // in-cluster): a new connection and TLS handshake per call. Reuse the first one: rollback p99 over
        // HTTPS went from 41 ms to 16 ms in `npm run bench`.
        const fresh = request.getDispatcher();
        if (fresh) {
          this.dispatcher ??= fresh;
          if (fresh !== this.dispatcher) {
            request.setDispatcher(this.dispatcher);
            void fresh.close().catch(() => undefined);
          }
        }
        return of(request);
      },
      post: (response) => of(response),
    };
    return { ...base, middleware: [...(base?.middleware ?? []), deadline], middlewareMergeStrategy: 'append' };
  }

  async close(): Promise<void> {
    await this.dispatcher?.close().catch(() => undefined);
  }
}

// client-node's ObservableMiddleware expects its own minimal Observable; this mirrors its rxjsStub `of`.
function of<T>(value: T): k8s.Observable<T> {
  return new k8s.Observable(Promise.resolve(value));
}

/** The deployments and services the migration touches. */
export class KubernetesCluster implements Cluster {
  readonly dryRun: boolean;

  constructor(
    private readonly api: KubeApi,
    readonly targets: ClusterTargets,
  ) {
    this.dryRun = api.dryRun;
  }

  async readDeployment(name: string): Promise<DeploymentReadiness> {
    try {
      return readinessOf(await this.api.apps.readNamespacedDeployment({ name, namespace: this.targets.namespace }, this.api.options()));
    } catch (error) {
      throw toClusterError(error, { verb: 'get', resource: 'deployments', name });
    }
  }

  async readDeploymentEnv(name: string): Promise<ContainerEnv[]> {
    try {
      const deployment = await this.api.apps.readNamespacedDeployment({ name, namespace: this.targets.namespace }, this.api.options());
      return (deployment.spec?.template.spec?.containers ?? []).map((c) => {
        const fromRefs = Object.fromEntries((c.env ?? []).flatMap((e) => (e.valueFrom ? [[e.name, envSourceOf(e.valueFrom)]] : [])));
        return {
          container: c.name,
          // An entry with neither value nor valueFrom is set, to "".
          env: Object.fromEntries((c.env ?? []).filter((e) => !e.valueFrom).map((e) => [e.name, e.value ?? ''])),
          ...(Object.keys(fromRefs).length ? { fromRefs } : {}),
        };
      });
    } catch (error) {
      throw toClusterError(error, { verb: 'get', resource: 'deployments', name });
    }
  }

  async setDeploymentEnv(name: string, container: string, env: Record<string, string>, options: WriteOptions = {}): Promise<void> {
    // Strategic merge: containers and env entries merge by name, as `kubectl set env` does.
    // A JSON merge patch would replace the lists and drop the other containers and variables.
    // `valueFrom: null` drops a Secret or ConfigMap reference the variable had: the plain value replaces it (as
    // `kubectl set env` does) instead of the API server refusing an entry with both.
    const body = { spec: { template: { spec: { containers: [{ name: container, env: Object.entries(env).map(([k, v]) => ({ name: k, value: v, valueFrom: null })) }] } } } };
    try {
      await this.api.apps.patchNamespacedDeployment(
        { name, namespace: this.targets.namespace, body, dryRun: this.api.dryRunParam(options) },
        this.api.options(k8s.PatchStrategy.StrategicMergePatch),
      );
    } catch (error) {
      throw toClusterError(error, { verb: 'patch', resource: 'deployments', name });
    }
  }

  async deleteDeployment(name: string, options: WriteOptions = {}): Promise<void> {
    try {
      await this.api.apps.deleteNamespacedDeployment({ name, namespace: this.targets.namespace, dryRun: this.api.dryRunParam(options) }, this.api.options());
    } catch (error) {
      throw toClusterError(error, { verb: 'delete', resource: 'deployments', name });
    }
  }

  async deleteService(name: string, options: WriteOptions = {}): Promise<void> {
    try {
      await this.api.core.deleteNamespacedService({ name, namespace: this.targets.namespace, dryRun: this.api.dryRunParam(options) }, this.api.options());
    } catch (error) {
      throw toClusterError(error, { verb: 'delete', resource: 'services', name });
    }
  }
}

/** Where a `valueFrom` variable takes its value: the bot sees the reference, never the value. */
function envSourceOf(from: k8s.V1EnvVarSource): EnvSource {
  if (from.secretKeyRef) return { kind: 'Secret', name: from.secretKeyRef.name ?? '', key: from.secretKeyRef.key };
  if (from.configMapKeyRef) return { kind: 'ConfigMap', name: from.configMapKeyRef.name ?? '', key: from.configMapKeyRef.key };
  if (from.fieldRef) return { kind: 'field', name: from.fieldRef.fieldPath };
  if (from.resourceFieldRef) return { kind: 'resource', name: from.resourceFieldRef.resource };
  return { kind: 'other', name: Object.keys(from).join(', ') || 'valueFrom' };
}

export function readinessOf(deployment: k8s.V1Deployment): DeploymentReadiness {
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  return {
    name: deployment.metadata?.name ?? '',
    desired,
    ready: status.readyReplicas ?? 0,
    available,
    updated,
    rolloutComplete:
      (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
      updated === desired &&
      available === desired &&
      (status.replicas ?? updated) === updated &&
      (progressing === undefined || progressing.reason === 'NewReplicaSetAvailable'),
  };
}

export function toClusterError(error: unknown, op: { verb: string; resource: string; name: string }): ClusterError {
  if (error instanceof ClusterError) return error;
  if (error instanceof k8s.ApiException) {
    const status = error.code;
    const apiMessage = apiMessageOf(error.body) ?? error.message.split('\n')[0];
    const kind: ClusterErrorKind =
      status === 409
        ? 'conflict'
        : status === 403
          ? 'forbidden'
          : status === 401
            ? 'unauthenticated'
            : status === 404
              ? 'not-found'
              : status === 400 || status === 422 || status === 415
                ? 'invalid'
                : 'unavailable';
    const target = op.name ? `${op.resource}/${op.name}` : op.resource;
    const message =
      kind === 'forbidden'
        ? `Kubernetes refused ${op.verb} on ${target} (HTTP ${status}): the bot's ServiceAccount needs RBAC verb "${op.verb}" on ${op.resource}${op.name ? ` "${op.name}"` : ''} (see deploy/rbac.yaml)`
        : kind === 'unauthenticated'
          ? // Authentication, not authorization: the API server did not take the token at all; no RBAC rule helps.
            `the Kubernetes API server did not accept the bot's credentials (HTTP 401 Unauthorized) for ${op.verb} on ${target}: its token expired or the kubeconfig is wrong (not an RBAC refusal)`
          : `Kubernetes ${op.verb} ${target} failed with HTTP ${status}: ${apiMessage}`;
    return new ClusterError(kind, message, { status, ...op });
  }
  const err = error as Error & { cause?: { code?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new ClusterError('timeout', `Kubernetes ${op.verb} ${op.resource}/${op.name} timed out`, op);
  }
  const code = err?.cause?.code ? ` (${err.cause.code})` : '';
  return new ClusterError('unavailable', `Kubernetes API unreachable for ${op.verb} ${op.resource}/${op.name}: ${err?.message ?? String(error)}${code}`, op);
}

function apiMessageOf(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 300);
    } catch {
      return body.slice(0, 300) || undefined;
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return undefined;
}

/** Annotations the bot writes on the route object to record what it applied (routers ignore unknown ones). */
export const APPLIED_ANNOTATIONS = {
  /** ingress-nginx: the raw canary-weight; gateway-api: the percent. */
  weight: 'mcp-canary.stoa.dev/applied-weight',
  at: 'mcp-canary.stoa.dev/applied-at',
  by: 'mcp-canary.stoa.dev/applied-by',
} as const;

/** The object without what the API server owns, to be created again later. */
export function portableCopy<T extends { metadata?: Record<string, unknown>; status?: unknown }>(object: T): T {
  const { status: _, ...rest } = structuredClone(object);
  const { resourceVersion: __, uid: ___, creationTimestamp: ____, managedFields: _____, generation: ______, selfLink: _______, ...metadata } = (rest.metadata ?? {}) as Record<string, unknown>;
  return { ...rest, metadata } as T;
}
