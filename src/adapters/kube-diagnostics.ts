// The diagnostics' reads through @kubernetes/client-node (KubeApi's shared clients, deadline and pool): pods by
// label selector, a container's log tail, events about an object, a Service's EndpointSlices, a GET through
// the API server's service proxy, and SelfSubjectAccessReviews (whether the bot may change an object). GETs,
// and review POSTs the API server answers without storing anything: nothing here can change the cluster.
// Every failure becomes a ClusterError (toClusterError): a 403 is 'forbidden' with the verb and the resource
// RBAC refused (deploy/rbac.yaml grants them); a 401 is 'unauthenticated', which no RBAC rule fixes.
import * as k8s from './kube-client.js';
import type { AccessAnswer, ClusterEvent, EndpointCounts, PodSummary, ProxyAnswer, ResourceRef } from '../core/entities.js';
import { ClusterError } from '../core/errors.js';
import type { ClusterDiagnostics, DiagnosticsSettings } from '../core/ports.js';
import { toClusterError } from './kube-connection.js';
import type { KubeApi } from './kubernetes.js';

type KubeEvent = Awaited<ReturnType<k8s.CoreV1Api['listNamespacedEvent']>>['items'][number];

/** A Service's answer is kept to this many characters: enough to show why, never a whole page. */
const BODY_MAX = 2000;

export class KubeClusterDiagnostics implements ClusterDiagnostics {
  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    readonly settings: DiagnosticsSettings,
  ) {}

  async listPods(selector: string): Promise<PodSummary[]> {
    try {
      const list = await this.api.core.listNamespacedPod({ namespace: this.namespace, labelSelector: selector }, this.api.options());
      return list.items.map((pod) => ({
        name: pod.metadata?.name ?? '',
        containers: (pod.spec?.containers ?? []).map((c) => c.name),
        phase: pod.status?.phase,
        ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      }));
    } catch (error) {
      throw this.error(error, { verb: 'list', resource: 'pods', name: '' });
    }
  }

  async readPodLog(pod: string, container: string, tailLines: number): Promise<string> {
    try {
      const text: unknown = await this.api.core.readNamespacedPodLog({ name: pod, namespace: this.namespace, container, tailLines }, this.api.options());
      return typeof text === 'string' ? text : JSON.stringify(text);
    } catch (error) {
      throw this.error(error, { verb: 'get', resource: 'pods/log', name: pod });
    }
  }

  /**
   * Warning events about a Deployment are mostly about what it owns: FailedCreate on its ReplicaSets, Unhealthy
   * and BackOff on its pods. For a Deployment, the events of its ReplicaSets and pods come too (by the names
   * the controllers give them: `<deployment>-<hash>` and `<deployment>-<hash>-<suffix>`).
   */
  async events(object: { kind: string; name: string }, options: { type?: string } = {}): Promise<ClusterEvent[]> {
    const type = options.type ? [`type=${options.type}`] : [];
    const reads = [this.listEvents([`involvedObject.kind=${object.kind}`, `involvedObject.name=${object.name}`, ...type], () => true)];
    if (object.kind === 'Deployment') {
      const owned = ownedNames(object.name);
      reads.push(this.listEvents(['involvedObject.kind=ReplicaSet', ...type], (name) => owned.replicaSet.test(name)));
      reads.push(this.listEvents(['involvedObject.kind=Pod', ...type], (name) => owned.pod.test(name)));
    }
    return (await Promise.all(reads)).flat();
  }

  private async listEvents(selector: string[], about: (name: string) => boolean): Promise<ClusterEvent[]> {
    try {
      const list = await this.api.core.listNamespacedEvent({ namespace: this.namespace, fieldSelector: selector.join(',') }, this.api.options());
      return list.items
        .filter((e) => about(e.involvedObject.name ?? ''))
        .map((e) => {
          const seen = lastSeenOf(e);
          return {
            object: { kind: e.involvedObject.kind ?? '', name: e.involvedObject.name ?? '' },
            type: e.type ?? 'Normal',
            reason: e.reason ?? '',
            message: e.message ?? '',
            count: Math.max(e.count ?? 1, e.series?.count ?? 1),
            lastSeen: seen,
          };
        });
    } catch (error) {
      throw this.error(error, { verb: 'list', resource: 'events', name: '' });
    }
  }

  async endpoints(service: string): Promise<EndpointCounts> {
    try {
      const list = await this.api.discovery.listNamespacedEndpointSlice({ namespace: this.namespace, labelSelector: `kubernetes.io/service-name=${service}` }, this.api.options());
      let ready = 0;
      let notReady = 0;
      for (const slice of list.items) {
        for (const endpoint of slice.endpoints ?? []) {
          // An unset `ready` is unknown, which consumers must take as ready (EndpointConditions).
          if (endpoint.conditions?.ready === false) notReady++;
          else ready++;
        }
      }
      return { ready, notReady };
    } catch (error) {
      throw this.error(error, { verb: 'list', resource: 'endpointslices', name: '' });
    }
  }

  async proxyGet(service: string, port: number, path: string): Promise<ProxyAnswer> {
    const name = `${service}:${port}`;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const info = await this.api.core.connectGetNamespacedServiceProxyWithPathWithHttpInfo(
        { name, namespace: this.namespace, path: path.replace(/^\/+/, '') },
        this.api.options(),
      );
      return { status: info.httpStatusCode, latencyMs: elapsed(), body: bodyText(info.data) };
    } catch (error) {
      if (error instanceof k8s.ApiException) {
        const status = apiStatusOf(error.body);
        // The API server's own refusal (credentials or RBAC); a 401 or 403 in Rust's own words is Rust's answer.
        if (error.code === 403 && status?.reason === 'Forbidden') throw this.error(error, { verb: 'get', resource: 'services/proxy', name });
        if (error.code === 401) {
          // client-node drops the body of every 401, so whose it is shows only by asking the API server again.
          if (await this.credentialsRejected()) throw this.error(error, { verb: 'get', resource: 'services/proxy', name });
          return { status: 401, latencyMs: elapsed(), body: '' };
        }
        // Whatever the Service answered is an answer; so is the API server saying it could not reach it.
        return { status: error.code, latencyMs: elapsed(), body: status?.message ?? bodyText(error.body), fromApiServer: status !== undefined };
      }
      throw this.error(error, { verb: 'get', resource: 'services/proxy', name });
    }
  }

  async mayChange(object: ResourceRef, verb: string): Promise<AccessAnswer> {
    const resourceAttributes = { namespace: object.namespace, verb, group: object.group, resource: object.resource, name: object.name };
    try {
      const review = await this.api.authorization.createSelfSubjectAccessReview(
        { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } } },
        this.api.options(),
      );
      const status = review.status;
      // evaluationError: an authorizer failed while answering (a "no" may then be no verdict at all), worth showing.
      const reason = [status?.reason, status?.evaluationError].filter(Boolean).join('; ') || undefined;
      return { allowed: status?.allowed === true, ...(reason ? { reason } : {}) };
    } catch (error) {
      throw this.error(error, { verb: 'create', resource: 'selfsubjectaccessreviews', name: '' });
    }
  }

  /** True when the API server refuses the bot's credentials themselves (a 401 on a read the diagnostics make anyway). */
  private async credentialsRejected(): Promise<boolean> {
    try {
      await this.api.discovery.listNamespacedEndpointSlice({ namespace: this.namespace, limit: 1 }, this.api.options());
      return false;
    } catch (error) {
      return error instanceof k8s.ApiException && error.code === 401;
    }
  }

  private error(error: unknown, op: { verb: string; resource: string; name: string }): ClusterError {
    const mapped = toClusterError(error, op);
    if (op.name || mapped.kind !== 'forbidden') return mapped;
    // A list: RBAC refuses the verb on the resource in the namespace, not on one object.
    return new ClusterError(
      'forbidden',
      `Kubernetes refused ${op.verb} on ${op.resource} in ${this.namespace} (HTTP ${mapped.detail.status}): the bot's ServiceAccount needs RBAC verb "${op.verb}" on ${op.resource} (see deploy/rbac.yaml)`,
      mapped.detail,
    );
  }
}

/** Names of a Deployment's ReplicaSets and pods: the pod-template hash and the pod suffix use the controllers' alphabet (no vowels, no 0, 1, 3). */
function ownedNames(deployment: string): { replicaSet: RegExp; pod: RegExp } {
  const name = deployment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const safe = '[bcdfghjklmnpqrstvwxz2456789]';
  return { replicaSet: new RegExp(`^${name}-${safe}{1,10}$`), pod: new RegExp(`^${name}-${safe}{1,10}-${safe}{5}$`) };
}

/** When an event was last seen: a repeating event's series moves on while its first time (eventTime) stays. */
function lastSeenOf(e: KubeEvent): string | undefined {
  const times = [e.series?.lastObservedTime, e.lastTimestamp, e.eventTime, e.firstTimestamp, e.metadata?.creationTimestamp]
    .filter((t): t is Date => t !== undefined && t !== null)
    .map((t) => new Date(t as Date | string).getTime())
    .filter((t) => !Number.isNaN(t));
  return times.length ? new Date(Math.max(...times)).toISOString() : undefined;
}

function bodyText(body: unknown): string {
  const text = body === undefined || body === null ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > BODY_MAX ? `${text.slice(0, BODY_MAX - 1)}…` : text;
}

/** A k8s Status object (the API server speaking), or undefined when the body is the Service's own. */
function apiStatusOf(body: unknown): { reason?: string; message?: string } | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (value && typeof value === 'object' && (value as { kind?: unknown }).kind === 'Status' && (value as { apiVersion?: unknown }).apiVersion === 'v1') {
    return value as { reason?: string; message?: string };
  }
  return undefined;
}
