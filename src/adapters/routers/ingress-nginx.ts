// The ingress-nginx router: the canary Ingress (`nginx.ingress.kubernetes.io/canary: "true"`) whose
// `canary-weight` out of `canary-weight-total` is the canary percent, and whose canary-by-header/-cookie
// annotations are the routing rules. Rollback's last resort deletes the canary Ingress, keeping a copy.
import { readFile } from 'node:fs/promises';
import type * as k8s from '../kube-client.js';
import type { CanaryRoute, ResourceRef, RouteCopy, RouteRef, RouteShapeCheck, RoutingRule } from '../../core/entities.js';
import { ClusterError } from '../../core/errors.js';
import type { PercentChange, RouteApplied, TrafficRouter, WriteOptions } from '../../core/ports.js';
import { APPLIED_ANNOTATIONS, PATCH_CONTENT_TYPE, portableCopy, toClusterError, type KubeConnection } from '../kube-connection.js';

const NGINX = 'nginx.ingress.kubernetes.io/';
const CANARY = `${NGINX}canary`;
const WEIGHT = `${NGINX}canary-weight`;
const WEIGHT_TOTAL = `${NGINX}canary-weight-total`;
const BY_HEADER = `${NGINX}canary-by-header`;
const BY_HEADER_VALUE = `${NGINX}canary-by-header-value`;
const BY_HEADER_PATTERN = `${NGINX}canary-by-header-pattern`;
const BY_COOKIE = `${NGINX}canary-by-cookie`;
/** They send requests to the canary whatever the weight (precedence: header, cookie, weight). */
export const ROUTING_RULE_ANNOTATIONS = [BY_HEADER, BY_HEADER_VALUE, BY_HEADER_PATTERN, BY_COOKIE];

export interface IngressNginxOptions {
  namespace: string;
  canaryIngress: string;
  primaryIngress: string;
  pythonService: string;
  rustService: string;
  rustServicePort: number;
  /** A YAML file with the canary Ingress, to create it when the bot has no copy of its own. */
  canaryRouteManifest?: string;
}

export class IngressNginxRouter implements TrafficRouter {
  readonly ref: RouteRef;
  readonly primaryRef: RouteRef;
  readonly dryRun: boolean;
  readonly resource: ResourceRef;

  constructor(
    private readonly api: KubeConnection,
    private readonly options: IngressNginxOptions,
  ) {
    this.ref = { router: 'ingress-nginx', kind: 'Ingress', name: options.canaryIngress, namespace: options.namespace };
    this.primaryRef = { ...this.ref, name: options.primaryIngress };
    this.resource = { group: 'networking.k8s.io', resource: 'ingresses', name: options.canaryIngress, namespace: options.namespace };
    this.dryRun = api.dryRun;
  }

  private async read(name = this.options.canaryIngress): Promise<k8s.V1Ingress | undefined> {
    try {
      return await this.api.request<k8s.V1Ingress>({ method: 'GET', path: this.path(name) });
    } catch (error) {
      const mapped = toClusterError(error, { verb: 'get', resource: 'ingresses', name });
      if (mapped.kind === 'not-found') return undefined;
      throw mapped;
    }
  }

  /** The namespace's Ingresses, or one of them. */
  private path(name?: string): string {
    const base = `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/ingresses`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  private mergePatch(name: string, body: unknown, options: WriteOptions): Promise<k8s.V1Ingress> {
    return this.api.request<k8s.V1Ingress>({ method: 'PATCH', path: this.path(name), body, contentType: PATCH_CONTENT_TYPE.merge, query: { dryRun: this.api.dryRunParam(options) } });
  }

  async readRoute(): Promise<CanaryRoute> {
    const ingress = await this.read();
    return ingress ? routeOf(ingress, this.ref) : absentRoute(this.ref);
  }

  private async patch(annotations: Record<string, string | null>, options: WriteOptions, expectedVersion?: string): Promise<CanaryRoute> {
    const name = this.options.canaryIngress;
    const metadata: Record<string, unknown> = { annotations };
    // A merge patch carrying the resourceVersion is a precondition: 409 when the Ingress changed since.
    if (expectedVersion) metadata.resourceVersion = expectedVersion;
    try {
      return routeOf(await this.mergePatch(name, { metadata }, options), this.ref);
    } catch (error) {
      throw toClusterError(error, { verb: 'patch', resource: 'ingresses', name });
    }
  }

  async setPercent(change: PercentChange, options: WriteOptions = {}): Promise<CanaryRoute> {
    // The raw weight depends on canary-weight-total, so the Ingress is read first.
    const ingress = await this.read();
    if (!ingress) throw new ClusterError('not-found', `ingress ${this.options.canaryIngress} not found in ${this.options.namespace}`, { verb: 'get', resource: 'ingresses', name: this.options.canaryIngress });
    const version = ingress.metadata?.resourceVersion;
    if (change.expectedVersion && version !== change.expectedVersion) {
      throw new ClusterError('conflict', 'the canary Ingress has been modified since it was read', { status: 409, verb: 'patch', resource: 'ingresses', name: this.options.canaryIngress });
    }
    const weight = String(Math.round((change.percent * weightTotalOf(ingress)) / 100));
    return this.patch({ [WEIGHT]: weight, ...applied(weight, change) }, options, change.expectedVersion ?? version);
  }

  async resetToPrimary(by: { appliedBy: string; appliedAt: string }, options: WriteOptions = {}): Promise<CanaryRoute> {
    const annotations: Record<string, string | null> = { [WEIGHT]: '0', ...applied('0', by) };
    for (const key of ROUTING_RULE_ANNOTATIONS) annotations[key] = null;
    return this.patch(annotations, options);
  }

  async copyRoute(): Promise<RouteCopy | undefined> {
    const ingress = await this.read();
    return ingress ? { savedAt: new Date().toISOString(), object: portableCopy(ingress as never) } : undefined;
  }

  async removeCanaryRoute(options: WriteOptions = {}): Promise<void> {
    const name = this.options.canaryIngress;
    try {
      await this.api.request({ method: 'DELETE', path: this.path(name), query: { dryRun: this.api.dryRunParam(options) } });
    } catch (error) {
      throw toClusterError(error, { verb: 'delete', resource: 'ingresses', name });
    }
  }

  async applyCanaryRoute(copy: RouteCopy | undefined, by: { appliedBy: string; appliedAt: string }, options: WriteOptions = {}): Promise<RouteApplied> {
    const { namespace, canaryIngress: name } = this.options;
    if (await this.read()) return { kind: 'already-present' };
    let from: 'kept-copy' | 'manifest';
    let body: k8s.V1Ingress;
    if (copy) {
      from = 'kept-copy';
      body = structuredClone(copy.object) as k8s.V1Ingress;
    } else if (this.options.canaryRouteManifest) {
      from = 'manifest';
      // client-node's YAML loader (and with it the generated models) only here: `route apply` from a manifest.
      const { loadYaml } = await import('../kube-client.js');
      body = loadYaml<k8s.V1Ingress>(await readFile(this.options.canaryRouteManifest, 'utf8'));
    } else {
      throw new ClusterError('not-found', `no copy of ingress ${name} was kept and CANARY_ROUTE_MANIFEST is not set: apply the canary Ingress by hand`, { verb: 'create', resource: 'ingresses', name });
    }
    // Put back at 0, as a canary, under its configured name, with no routing rule: increases go through approval again.
    const annotations: Record<string, string> = { ...(body.metadata?.annotations ?? {}), [CANARY]: 'true', [WEIGHT]: '0', ...(applied('0', by) as Record<string, string>) };
    for (const key of ROUTING_RULE_ANNOTATIONS) delete annotations[key];
    body = { ...portableCopy(body as { metadata?: Record<string, unknown> }), apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' } as k8s.V1Ingress;
    body.metadata = { ...body.metadata, name, namespace, annotations };
    try {
      await this.api.request({ method: 'POST', path: this.path(), body, query: { dryRun: this.api.dryRunParam(options) } });
    } catch (error) {
      throw toClusterError(error, { verb: 'create', resource: 'ingresses', name });
    }
    return { kind: 'created', from };
  }

  async promoteCanaryToPrimary(options: WriteOptions = {}): Promise<number> {
    const { namespace, primaryIngress: name, pythonService, rustService, rustServicePort } = this.options;
    const current = await this.read(name);
    if (!current) throw new ClusterError('not-found', `ingress ${name} not found in ${namespace}`, { verb: 'get', resource: 'ingresses', name });
    let changed = 0;
    const repoint = (backend: k8s.V1IngressBackend | undefined): k8s.V1IngressBackend | undefined => {
      if (backend?.service?.name !== pythonService) return backend;
      changed++;
      return { ...backend, service: { name: rustService, port: { number: rustServicePort } } };
    };
    const spec = current.spec ?? {};
    const rules = (spec.rules ?? []).map((rule) => ({
      ...rule,
      http: rule.http && { ...rule.http, paths: rule.http.paths.map((p) => ({ ...p, backend: repoint(p.backend)! })) },
    }));
    const defaultBackend = repoint(spec.defaultBackend);
    if (changed === 0) {
      const backends = [spec.defaultBackend, ...(spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))];
      if (backends.some((b) => b?.service?.name === rustService)) return 0;
      throw new ClusterError('invalid', `ingress ${name} has no backend on service ${pythonService} or ${rustService}`, { verb: 'patch', resource: 'ingresses', name });
    }
    // Lists are replaced whole by a merge patch: send the complete rules, guarded by the version we read.
    const body = { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { rules, ...(defaultBackend ? { defaultBackend } : {}) } };
    try {
      await this.mergePatch(name, body, options);
    } catch (error) {
      throw toClusterError(error, { verb: 'patch', resource: 'ingresses', name });
    }
    return changed;
  }

  async removeCanaryParts(options: WriteOptions = {}): Promise<void> {
    await this.removeCanaryRoute(options);
  }

  manualRollbackCommands(): string[] {
    const { namespace, canaryIngress: name } = this.options;
    return [
      `kubectl patch ingress ${name} -n ${namespace} --type=merge -p '{"metadata":{"annotations":{"${WEIGHT}":"0","${BY_HEADER}":null,"${BY_HEADER_VALUE}":null,"${BY_HEADER_PATTERN}":null,"${BY_COOKIE}":null}}}'`,
      `kubectl delete ingress ${name} -n ${namespace}`,
    ];
  }

  /** The runbook's "Canary not receiving traffic", step 2: the ingress-nginx controller's logs say why it skips a canary Ingress. */
  troubleshootingCommands(): string[] {
    return ['kubectl logs -l app.kubernetes.io/component=controller -n ingress-nginx'];
  }

  /**
   * ingress-nginx sends a share of the primary's requests to the canary Ingress only when it is marked as a
   * canary and has the primary's host, path and ingress class; its backend must be the Rust Service.
   * Read-only: two GETs.
   */
  async checkRouteShape(): Promise<RouteShapeCheck[]> {
    const { canaryIngress, primaryIngress, rustService } = this.options;
    const [canary, primary] = await Promise.all([this.read(), this.read(primaryIngress)]);
    if (!canary) return [{ kind: 'present', aspect: `canary Ingress ${canaryIngress}`, ok: false, actual: 'absent', detail: 'all traffic goes to the primary' }];
    const checks: RouteShapeCheck[] = [
      { kind: 'present', aspect: `canary Ingress ${canaryIngress}`, ok: true, actual: 'present' },
      { kind: 'split', aspect: `${CANARY} annotation`, ok: canary.metadata?.annotations?.[CANARY] === 'true', expected: '"true"', actual: quoted(canary.metadata?.annotations?.[CANARY]) },
    ];
    if (!primary) {
      checks.push({ kind: 'match', aspect: `primary Ingress ${primaryIngress}`, ok: false, actual: 'absent', detail: 'a canary Ingress only works beside a primary Ingress with the same host and path' });
    } else {
      const same = (aspect: string, of: (i: k8s.V1Ingress) => string) => {
        const expected = of(primary);
        const actual = of(canary);
        checks.push({ kind: 'match', aspect, ok: expected === actual, expected, actual });
      };
      same('host', (i) => listText((i.spec?.rules ?? []).map((r) => r.host ?? '*')));
      same('path', (i) => listText((i.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => `${p.path ?? '/'} (${p.pathType})`))));
      same('ingress class', (i) => i.spec?.ingressClassName ?? i.metadata?.annotations?.['kubernetes.io/ingress.class'] ?? '(default)');
    }
    const backends = [...new Set((canary.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend.service?.name ?? '(none)')))];
    checks.push({ kind: 'split', aspect: 'canary backend', ok: backends.length > 0 && backends.every((b) => b === rustService), expected: `Service ${rustService}`, actual: listText(backends.map((b) => `Service ${b}`)) });
    return checks;
  }
}

function quoted(value: string | undefined): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}

/** Distinct values, sorted, as one text: two lists with the same members read the same. */
function listText(values: string[]): string {
  return [...new Set(values)].sort().join(', ') || '(none)';
}

function applied(weight: string, by: { appliedBy: string; appliedAt: string }): Record<string, string | null> {
  return { [APPLIED_ANNOTATIONS.weight]: weight, [APPLIED_ANNOTATIONS.at]: by.appliedAt, [APPLIED_ANNOTATIONS.by]: by.appliedBy };
}

/** canary-weight-total when above 100, else 100 (ingress-nginx ignores totals below 100). */
function weightTotalOf(ingress: k8s.V1Ingress): number {
  const total = Number(ingress.metadata?.annotations?.[WEIGHT_TOTAL]);
  return Number.isInteger(total) && total > 100 ? total : 100;
}

function percentOfWeight(weight: number, total: number): number {
  return Math.round((weight / total) * 10_000) / 100;
}

function absentRoute(ref: RouteRef): CanaryRoute {
  return { ref, exists: false, percent: 0, routingRules: [], conditions: [] };
}

export function routeOf(ingress: k8s.V1Ingress, ref: RouteRef): CanaryRoute {
  const annotations = ingress.metadata?.annotations ?? {};
  const total = weightTotalOf(ingress);
  const raw = Number(annotations[WEIGHT] ?? '0');
  // ingress-nginx treats an invalid weight as 0.
  const weight = Number.isInteger(raw) && raw >= 0 ? raw : 0;
  const routingRules: RoutingRule[] = [];
  if (annotations[BY_HEADER] !== undefined) {
    routingRules.push({ kind: 'header', name: annotations[BY_HEADER]!, value: annotations[BY_HEADER_VALUE] ?? annotations[BY_HEADER_PATTERN] ?? 'always' });
  }
  if (annotations[BY_COOKIE] !== undefined) routingRules.push({ kind: 'cookie', name: annotations[BY_COOKIE]! });
  const appliedWeight = annotations[APPLIED_ANNOTATIONS.weight];
  const appliedAt = annotations[APPLIED_ANNOTATIONS.at];
  return {
    ref,
    exists: true,
    splitProblem: annotations[CANARY] === 'true' ? undefined : `the Ingress is not marked ${CANARY}: "true", so ingress-nginx does not treat it as a canary`,
    percent: percentOfWeight(weight, total),
    routingRules,
    lastApplied:
      appliedWeight !== undefined && appliedAt !== undefined
        ? { percent: percentOfWeight(Number(appliedWeight), total), at: appliedAt, by: annotations[APPLIED_ANNOTATIONS.by] ?? 'unknown' }
        : undefined,
    version: ingress.metadata?.resourceVersion,
    conditions: [],
  };
}
