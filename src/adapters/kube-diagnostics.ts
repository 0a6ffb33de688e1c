// The diagnostics' reads through @kubernetes/client-node (KubeApi's shared clients, deadline and pool): pods by
// label selector, a container's log tail, events about an object, a Service's EndpointSlices, and a GET through
// the API server's service proxy. Only GETs: nothing here can change the cluster. Every failure becomes a
// ClusterError; a 403 is 'forbidden' with the verb and the resource RBAC refused (deploy/rbac.yaml grants them).
import * as k8s from './kube-client.js';
import type { ClusterEvent, EndpointCounts, PodSummary, ProxyAnswer } from '../core/entities.js';
import { ClusterError } from '../core/errors.js';
import type { ClusterDiagnostics, DiagnosticsSettings } from '../core/ports.js';
import { toClusterError, type KubeApi } from './kubernetes.js';

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

  async events(object: { kind: string; name: string }, options: { type?: string } = {}): Promise<ClusterEvent[]> {
    const fieldSelector = [`involvedObject.kind=${object.kind}`, `involvedObject.name=${object.name}`, ...(options.type ? [`type=${options.type}`] : [])].join(',');
    try {
      const list = await this.api.core.listNamespacedEvent({ namespace: this.namespace, fieldSelector }, this.api.options());
      return list.items.map((e) => {
        const seen = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
        return {
          object: { kind: e.involvedObject.kind ?? object.kind, name: e.involvedObject.name ?? object.name },
          type: e.type ?? 'Normal',
          reason: e.reason ?? '',
          message: e.message ?? '',
          count: e.count ?? e.series?.count ?? 1,
          lastSeen: seen ? new Date(seen as Date | string).toISOString() : undefined,
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
        // The API server's own refusal (RBAC), not the Service answering 401/403.
        if (error.code === 401 || (error.code === 403 && status?.reason === 'Forbidden')) {
          throw this.error(error, { verb: 'get', resource: 'services/proxy', name });
        }
        // Whatever the Service answered is an answer; so is the API server saying it could not reach it.
        return { status: error.code, latencyMs: elapsed(), body: status?.message ?? bodyText(error.body), fromApiServer: status !== undefined };
      }
      throw this.error(error, { verb: 'get', resource: 'services/proxy', name });
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
