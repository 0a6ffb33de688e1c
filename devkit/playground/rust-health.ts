// The "Rust unhealthy" knob: what an unhealthy Rust gateway looks like from the API server, where the bot's
// diagnostics look (the runbook's "Shadow requests failing": curl the Rust Service's /health).
//
// - its health endpoint (RUST_HEALTH_PATH, through the API server's service proxy) answers 503, or never
//   answers ("hang": the caller times out);
// - its EndpointSlice keeps one ready endpoint of three (the readiness probes fail on the others), and the
//   Deployment's status says 1 of 3 ready (Available=False, MinimumReplicasUnavailable);
// - a Warning event on the Deployment, and the kubelet's Unhealthy event on a pod.
//
// Healthy again puts the answer, the endpoints and the Deployment's status back; the events stay, as events do.
import type { Clock } from '../../src/core/ports.js';
import type { FakeKubeApi, ServiceProxyAnswer, ServiceProxyHandler } from '../kube-api-server.js';
import type { RustHealth } from './python-logs.js';

type KubeFetch = (path: string, init: { method: string; body?: unknown; contentType?: string }) => Promise<Response>;

export interface RustHealthOptions {
  /** The Rust Service (RUST_SERVICE) and Deployment (RUST_DEPLOYMENT). */
  service: string;
  deployment: string;
  /** RUST_HEALTH_PATH. */
  healthPath: string;
  kubeFetch: KubeFetch;
}

const k8sTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class RustHealthSimulation {
  private mode: RustHealth = 'healthy';
  /** Requests left hanging, answered when the knob goes back (their callers gave up long before). */
  private readonly hanging = new Set<(answer: ServiceProxyAnswer) => void>();
  private readonly healthyHandler: ServiceProxyHandler;
  private readonly unhealthyHandler: ServiceProxyHandler;

  constructor(
    private readonly kube: FakeKubeApi,
    private readonly clock: Clock,
    private readonly options: RustHealthOptions,
  ) {
    const isHealth = (path: string) => path === options.healthPath || path === '/health';
    this.healthyHandler = (req) =>
      isHealth(req.path)
        ? { status: 200, body: { status: 'ok', version: '1.0.0', checks: { tool_registry: 'ok', session_store: 'ok' } } }
        : { status: 404, body: '404 page not found\n', contentType: 'text/plain; charset=utf-8' };
    this.unhealthyHandler = (req) => {
      if (this.mode === 'hang') return new Promise<ServiceProxyAnswer>((resolve) => this.hanging.add(resolve));
      return isHealth(req.path)
        ? { status: 503, body: { status: 'unhealthy', version: '1.0.0', checks: { tool_registry: 'unreachable: dial tcp 10.96.0.42:7000: connect: connection refused', session_store: 'ok' } } }
        : { status: 503, body: 'upstream unavailable: tool registry unreachable\n', contentType: 'text/plain; charset=utf-8' };
    };
  }

  /** Answers RUST_HEALTH_PATH with 200 (the API server's default answers only /health). */
  install(): void {
    this.kube.setServiceProxy(this.options.service, this.healthyHandler);
  }

  get current(): RustHealth {
    return this.mode;
  }

  describe(): { mode: RustHealth; path: string; endpoints: { ready: number; total: number }; deployment: { ready: number; replicas: number } } {
    const slice = this.kube.get(this.kube.paths.rustEndpointSlice);
    const endpoints = (slice?.endpoints ?? []) as Array<{ conditions?: { ready?: boolean } }>;
    const d = this.kube.get(this.kube.paths.rustDeployment);
    return {
      mode: this.mode,
      path: this.options.healthPath,
      endpoints: { ready: endpoints.filter((e) => e.conditions?.ready !== false).length, total: endpoints.length },
      deployment: { ready: d?.status?.readyReplicas ?? 0, replicas: d?.spec?.replicas ?? 0 },
    };
  }

  async set(mode: RustHealth): Promise<{ ok: boolean; error?: string }> {
    if (mode === this.mode) return { ok: true };
    const was = this.mode;
    this.mode = mode;
    const { service } = this.options;
    const replicas = Number(this.kube.get(this.kube.paths.rustDeployment)?.spec?.replicas ?? 3);
    const now = this.clock.now();
    if (mode === 'healthy') {
      this.kube.setServiceProxy(service, this.healthyHandler);
      this.release();
      this.kube.setEndpoints(service, { ready: replicas });
      return this.deploymentStatus(replicas, replicas, now);
    }
    this.kube.setServiceProxy(service, this.unhealthyHandler);
    if (was === 'hang') this.release();
    this.kube.setEndpoints(service, { ready: 1, notReady: Math.max(0, replicas - 1) });
    const probe =
      mode === '503'
        ? 'HTTP probe failed with statuscode: 503'
        : `Get "http://10.244.2.12:8080${this.options.healthPath}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
    this.kube.addEvent({
      involvedObject: { kind: 'Deployment', name: this.options.deployment },
      type: 'Warning',
      reason: 'MinimumReplicasUnavailable',
      message: `Deployment does not have minimum availability: 1 of ${replicas} replicas ready (readiness probe GET ${this.options.healthPath}: ${mode === '503' ? '503' : 'timeout'})`,
      lastTimestamp: now,
    });
    const pod = this.kube.podNames.rust[1] ?? this.kube.podNames.rust[0];
    if (pod) {
      this.kube.addEvent({
        involvedObject: { kind: 'Pod', name: pod, fieldPath: 'spec.containers{gateway}' },
        type: 'Warning',
        reason: 'Unhealthy',
        message: `Readiness probe failed: ${probe}`,
        lastTimestamp: now,
        count: 6,
        firstTimestamp: new Date(now.getTime() - 60_000),
      });
    }
    return this.deploymentStatus(1, replicas, now);
  }

  /** Answers the requests left hanging (the playground is stopping, or Rust answers again). */
  release(): void {
    for (const resolve of this.hanging) resolve({ status: 504, body: 'upstream request timeout\n', contentType: 'text/plain; charset=utf-8' });
    this.hanging.clear();
  }

  /** The Deployment controller's view: `ready` of `replicas` ready, through the status subresource. */
  private async deploymentStatus(ready: number, replicas: number, now: Date): Promise<{ ok: boolean; error?: string }> {
    const d = this.kube.get(this.kube.paths.rustDeployment);
    if (!d) return { ok: true };
    const at = k8sTime(now);
    const old = (d.status?.conditions ?? []) as Array<Record<string, unknown>>;
    const available = ready === replicas;
    const before = old.find((c) => c.type === 'Available');
    const conditions = [
      {
        type: 'Available',
        status: available ? 'True' : 'False',
        reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
        lastUpdateTime: at,
        lastTransitionTime: before && before.status === (available ? 'True' : 'False') ? before.lastTransitionTime : at,
      },
      ...old.filter((c) => c.type !== 'Available'),
    ];
    const status = {
      ...d.status,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: replicas - ready || null,
      conditions,
    };
    try {
      const res = await this.options.kubeFetch(`${this.kube.paths.rustDeployment}/status`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { status } });
      return res.ok ? { ok: true } : { ok: false, error: `the Deployment status update failed: HTTP ${res.status}` };
    } catch (error) {
      return { ok: false, error: `the Deployment status update failed: ${(error as Error).message}` };
    }
  }
}
