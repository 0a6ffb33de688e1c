// The Gateway API router: one HTTPRoute (gateway.networking.k8s.io/v1). Its split rules are the rules with
// a backendRef to the primary (Python) Service; the canary percent is the Rust backendRef's weight over the
// rule's weight sum (an unset weight counts 1), read on the first split rule. Rules whose only backend is
// Rust (header matches) are the routing rules, and so is Rust's share of a rule where it sits beside a
// backend other than Python. Writes are JSON Patches that change only the weights and rules they mean to,
// each guarded by `test` ops on what was read (a CRD takes no strategic merge patch, and a merge patch
// would replace spec.rules whole); weights are integers, as the API requires. The route itself is never
// deleted, and its absence is never taken for "no canary": it carries Python's traffic too.
import type { CanaryRoute, ResourceRef, RouteCondition, RouteCopy, RouteRef, RouteShapeCheck, RoutingRule } from '../../core/entities.js';
import { ClusterError } from '../../core/errors.js';
import type { PercentChange, RouteApplied, TrafficRouter, WriteOptions } from '../../core/ports.js';
import { APPLIED_ANNOTATIONS, PATCH_CONTENT_TYPE, toClusterError, type KubeConnection } from '../kube-connection.js';

const GROUP = 'gateway.networking.k8s.io';
const VERSION = 'v1';
const PLURAL = 'httproutes';

export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [key: string]: unknown;
}

export interface HttpRouteRule {
  matches?: Array<{ path?: { type?: string; value?: string }; headers?: Array<{ type?: string; name: string; value: string }>; queryParams?: unknown[]; method?: string }>;
  backendRefs?: BackendRef[];
  [key: string]: unknown;
}

export interface HttpRoute {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string>; [key: string]: unknown };
  spec: { rules?: HttpRouteRule[]; [key: string]: unknown };
  status?: { parents?: Array<{ controllerName?: string; parentRef?: { name?: string }; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> }> };
}

export interface GatewayApiOptions {
  namespace: string;
  httpRoute: string;
  pythonService: string;
  rustService: string;
  rustServicePort: number;
}

type JsonPatchOp = { op: 'test' | 'replace' | 'add' | 'remove'; path: string; value?: unknown };

export class GatewayApiRouter implements TrafficRouter {
  readonly ref: RouteRef;
  /** One HTTPRoute carries both. */
  readonly primaryRef: RouteRef;
  readonly dryRun: boolean;
  readonly resource: ResourceRef;
  /** The route as last read or written: what the commands to run by hand are built from. */
  private lastRead: HttpRoute | undefined;

  constructor(
    private readonly api: KubeConnection,
    private readonly options: GatewayApiOptions,
  ) {
    this.ref = { router: 'gateway-api', kind: 'HTTPRoute', name: options.httpRoute, namespace: options.namespace };
    this.primaryRef = this.ref;
    this.dryRun = api.dryRun;
    this.resource = { group: GROUP, resource: PLURAL, name: options.httpRoute, namespace: options.namespace };
  }

  private path(): string {
    const { namespace, httpRoute: name } = this.options;
    return `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}/${encodeURIComponent(name)}`;
  }

  /**
   * The HTTPRoute. Its absence is an error, never "no canary route": the route carries Python's traffic
   * too, so without it nothing reaches either, and `route apply` (which adds a backendRef) cannot help.
   * Kind 'invalid', not 'not-found': a rollback must not report it as done.
   */
  private async read(): Promise<HttpRoute> {
    const { namespace, httpRoute: name } = this.options;
    try {
      const route = await this.api.request<HttpRoute>({ method: 'GET', path: this.path() });
      this.lastRead = route;
      return route;
    } catch (error) {
      const mapped = toClusterError(error, { verb: 'get', resource: PLURAL, name });
      if (mapped.kind !== 'not-found') throw mapped;
      throw new ClusterError(
        'invalid',
        `HTTPRoute ${name} not found in ${namespace}: it carries Python's traffic as well as Rust's, so neither gets any through it. mcp-canary never creates or deletes it: apply its manifest again with kubectl apply -f`,
        { ...mapped.detail, status: 404 },
      );
    }
  }

  /**
   * A failed `test` op answers 422 (a generic "rejected our request"), like any invalid patch. When the
   * patch was guarded by what was read and the route's resourceVersion has moved since, the route changed
   * under us: that is a conflict (the caller may read again and retry), not an invalid request.
   */
  private async patch(ops: JsonPatchOp[], options: WriteOptions, readVersion: string | undefined): Promise<HttpRoute> {
    const name = this.options.httpRoute;
    try {
      const route = await this.api.request<HttpRoute>({ method: 'PATCH', path: this.path(), body: ops, contentType: PATCH_CONTENT_TYPE.json, query: { dryRun: this.api.dryRunParam(options) } });
      if (!this.api.dryRunParam(options)) this.lastRead = route;
      return route;
    } catch (error) {
      const mapped = toClusterError(error, { verb: 'patch', resource: PLURAL, name });
      const guarded = ops.some((op) => op.op === 'test' || op.path === '/metadata/resourceVersion');
      if (mapped.detail.status !== 422 || !guarded || readVersion === undefined) throw mapped;
      const now = await this.read().catch(() => undefined);
      if (!now || now.metadata.resourceVersion === readVersion) throw mapped;
      throw new ClusterError('conflict', `HTTPRoute ${name} was modified while mcp-canary was writing it (resourceVersion ${readVersion} -> ${now.metadata.resourceVersion})`, {
        status: 422,
        verb: 'patch',
        resource: PLURAL,
        name,
      });
    }
  }

  private isPython(ref: BackendRef): boolean {
    return isService(ref) && ref.name === this.options.pythonService;
  }

  private isRust(ref: BackendRef): boolean {
    return isService(ref) && ref.name === this.options.rustService;
  }

  /** Indexes of the split rules: those with a backendRef to the primary Service. */
  private splitRules(route: HttpRoute): number[] {
    return (route.spec.rules ?? []).flatMap((rule, i) => ((rule.backendRefs ?? []).some((b) => this.isPython(b)) ? [i] : []));
  }

  /** Indexes of the routing rules: every backend is the canary Service. */
  private canaryOnlyRules(route: HttpRoute): number[] {
    return (route.spec.rules ?? []).flatMap((rule, i) => {
      const refs = rule.backendRefs ?? [];
      return refs.length > 0 && refs.every((b) => this.isRust(b)) ? [i] : [];
    });
  }

  /**
   * Indexes of the rules where Rust sits beside a backend other than Python (neither split nor Rust-only):
   * the bot never sets their weights, but rollback must take Rust out of them.
   */
  private mixedRules(route: HttpRoute): number[] {
    const split = new Set(this.splitRules(route));
    return (route.spec.rules ?? []).flatMap((rule, i) => {
      const refs = rule.backendRefs ?? [];
      return !split.has(i) && refs.some((b) => this.isRust(b)) && refs.some((b) => !this.isRust(b)) ? [i] : [];
    });
  }

  /** A mixed rule whose other backends get nothing sends everything to Rust: rollback treats it as Rust-only. */
  private othersServe(rule: HttpRouteRule): boolean {
    return (rule.backendRefs ?? []).some((b) => !this.isRust(b) && weightOf(b) > 0);
  }

  async readRoute(): Promise<CanaryRoute> {
    return this.routeOf(await this.read());
  }

  routeOf(route: HttpRoute): CanaryRoute {
    const rules = route.spec.rules ?? [];
    const split = this.splitRules(route);
    const percents = split.map((i) => percentOfRule(rules[i]!, (b) => this.isRust(b)));
    const hasCanary = split.some((i) => (rules[i]!.backendRefs ?? []).some((b) => this.isRust(b)));
    const routingRules: RoutingRule[] = this.canaryOnlyRules(route).flatMap((i) => routingRulesOf(rules[i]!));
    // Rust's share of a mixed rule goes to Rust whatever the canary percent: a routing rule, which rollback
    // takes out (so a route at 0% with such a rule is not "already rolled back").
    for (const i of this.mixedRules(route)) {
      const share = percentOfRule(rules[i]!, (b) => this.isRust(b));
      if (share > 0) routingRules.push(mixedRuleOf(rules[i]!, i, share, (b) => this.isRust(b)));
    }
    const annotations = route.metadata.annotations ?? {};
    const appliedPercent = annotations[APPLIED_ANNOTATIONS.weight];
    const appliedAt = annotations[APPLIED_ANNOTATIONS.at];
    return {
      ref: this.ref,
      exists: hasCanary || routingRules.length > 0,
      splitProblem: split.length ? undefined : `HTTPRoute ${this.options.httpRoute} has no rule with a backendRef to Service ${this.options.pythonService}`,
      percent: percents[0] ?? 0,
      splitPercents: percents.length > 1 ? percents : undefined,
      routingRules,
      lastApplied: appliedPercent !== undefined && appliedAt !== undefined ? { percent: Number(appliedPercent), at: appliedAt, by: annotations[APPLIED_ANNOTATIONS.by] ?? 'unknown' } : undefined,
      version: route.metadata.resourceVersion,
      conditions: conditionsOf(route),
    };
  }

  /**
   * Rust N and Python 100−N on every split rule (Rust's backendRef added where missing); nothing else
   * changes. Weights are integers: a percent with decimals (33.33) scales both (3333 and 6667).
   */
  private weightOps(route: HttpRoute, percent: number): JsonPatchOp[] {
    const { rust, python } = integerWeights(percent);
    const rules = route.spec.rules ?? [];
    const ops: JsonPatchOp[] = [];
    for (const i of this.splitRules(route)) {
      const refs = rules[i]!.backendRefs ?? [];
      let hasRust = false;
      refs.forEach((b, j) => {
        const path = `/spec/rules/${i}/backendRefs/${j}`;
        if (this.isPython(b)) ops.push({ op: 'test', path: `${path}/name`, value: b.name }, { op: 'add', path: `${path}/weight`, value: python });
        else if (this.isRust(b)) {
          hasRust = true;
          ops.push({ op: 'test', path: `${path}/name`, value: b.name }, { op: 'add', path: `${path}/weight`, value: rust });
        }
      });
      if (!hasRust) ops.push({ op: 'add', path: `/spec/rules/${i}/backendRefs/-`, value: { name: this.options.rustService, port: this.options.rustServicePort, weight: rust } });
    }
    return ops;
  }

  /**
   * Rollback's changes, nothing else: Rust 0 and Python 100 on every split rule; Rust 0 on a mixed rule
   * whose other backends serve; the rules that send only to Rust removed (highest index first, so the
   * others keep theirs), each removal guarded by a test of what was read, so a rule that moved meanwhile
   * is never removed by mistake. No rule is left without a serving backend.
   */
  private rollbackOps(route: HttpRoute): JsonPatchOp[] {
    const rules = route.spec.rules ?? [];
    const mixed = this.mixedRules(route);
    const zeroed = mixed.filter((i) => this.othersServe(rules[i]!));
    const removed = [...this.canaryOnlyRules(route), ...mixed.filter((i) => !zeroed.includes(i))].sort((a, b) => b - a);
    // Weights first (their indexes are those read), removals after; split rules never become canary-only.
    const weights = this.weightOps(route, 0).filter((op) => !(op.op === 'add' && op.path.endsWith('/backendRefs/-')));
    const mixedWeights = zeroed.flatMap((i) =>
      (rules[i]!.backendRefs ?? []).flatMap((b, j): JsonPatchOp[] => {
        const path = `/spec/rules/${i}/backendRefs/${j}`;
        return this.isRust(b) ? [{ op: 'test', path: `${path}/name`, value: b.name }, { op: 'add', path: `${path}/weight`, value: 0 }] : [];
      }),
    );
    const removals = removed.flatMap((i): JsonPatchOp[] => [{ op: 'test', path: `/spec/rules/${i}/backendRefs`, value: rules[i]!.backendRefs }, { op: 'remove', path: `/spec/rules/${i}` }]);
    return [...weights, ...mixedWeights, ...removals];
  }

  private appliedOps(route: HttpRoute, percent: number, by: { appliedBy: string; appliedAt: string }): JsonPatchOp[] {
    const ops: JsonPatchOp[] = [];
    if (!route.metadata.annotations) ops.push({ op: 'add', path: '/metadata/annotations', value: {} });
    const key = (k: string) => `/metadata/annotations/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    ops.push(
      { op: 'add', path: key(APPLIED_ANNOTATIONS.weight), value: String(percent) },
      { op: 'add', path: key(APPLIED_ANNOTATIONS.at), value: by.appliedAt },
      { op: 'add', path: key(APPLIED_ANNOTATIONS.by), value: by.appliedBy },
    );
    return ops;
  }

  async setPercent(change: PercentChange, options: WriteOptions = {}): Promise<CanaryRoute> {
    const route = await this.read();
    if (change.expectedVersion && route.metadata.resourceVersion !== change.expectedVersion) {
      throw new ClusterError('conflict', `HTTPRoute ${this.options.httpRoute} has been modified since it was read`, { status: 409, verb: 'patch', resource: PLURAL, name: this.options.httpRoute });
    }
    const split = this.splitRules(route);
    if (!split.length) throw new ClusterError('invalid', this.routeOf(route).splitProblem!, { verb: 'patch', resource: PLURAL, name: this.options.httpRoute });
    // Weights that already give this percent on every split rule are left as they are (hand-set 190/10,
    // or 2/1): recording a percent, as the drift check's adoption does, moves nothing and rewrites nothing.
    const rules = route.spec.rules ?? [];
    const already = split.every((i) => percentOfRule(rules[i]!, (b) => this.isRust(b)) === change.percent);
    // The resourceVersion read makes the patch a precondition: 409 when the route changed in between.
    const ops: JsonPatchOp[] = [
      { op: 'replace', path: '/metadata/resourceVersion', value: route.metadata.resourceVersion },
      ...(already ? [] : this.weightOps(route, change.percent)),
      ...this.appliedOps(route, change.percent, change),
    ];
    return this.routeOf(await this.patch(ops, options, route.metadata.resourceVersion));
  }

  async resetToPrimary(by: { appliedBy: string; appliedAt: string }, options: WriteOptions = {}): Promise<CanaryRoute> {
    const route = await this.read();
    if (!this.splitRules(route).length) throw new ClusterError('invalid', this.routeOf(route).splitProblem!, { verb: 'patch', resource: PLURAL, name: this.options.httpRoute });
    const ops = [...this.rollbackOps(route), ...this.appliedOps(route, 0, by)];
    return this.routeOf(await this.patch(ops, options, route.metadata.resourceVersion));
  }

  async copyRoute(): Promise<RouteCopy | undefined> {
    const route = await this.read();
    return { savedAt: new Date().toISOString(), object: route };
  }

  async applyCanaryRoute(_copy: RouteCopy | undefined, by: { appliedBy: string; appliedAt: string }, options: WriteOptions = {}): Promise<RouteApplied> {
    const route = await this.read();
    const rules = route.spec.rules ?? [];
    const split = this.splitRules(route);
    if (!split.length) throw new ClusterError('invalid', this.routeOf(route).splitProblem!, { verb: 'patch', resource: PLURAL, name: this.options.httpRoute });
    const missing = split.filter((i) => !(rules[i]!.backendRefs ?? []).some((b) => this.isRust(b)));
    if (!missing.length) return { kind: 'already-present' };
    const ops: JsonPatchOp[] = [{ op: 'replace', path: '/metadata/resourceVersion', value: route.metadata.resourceVersion }];
    for (const i of missing) {
      ops.push({ op: 'test', path: `/spec/rules/${i}/backendRefs`, value: rules[i]!.backendRefs });
      ops.push({ op: 'add', path: `/spec/rules/${i}/backendRefs/-`, value: { name: this.options.rustService, port: this.options.rustServicePort, weight: 0 } });
    }
    await this.patch([...ops, ...this.appliedOps(route, 0, by)], options, route.metadata.resourceVersion);
    return { kind: 'canary-added', rules: missing.length };
  }

  async promoteCanaryToPrimary(options: WriteOptions = {}): Promise<number> {
    const route = await this.read();
    const rules = route.spec.rules ?? [];
    const ops: JsonPatchOp[] = [{ op: 'replace', path: '/metadata/resourceVersion', value: route.metadata.resourceVersion }];
    let changed = 0;
    for (const i of this.splitRules(route)) {
      const refs = rules[i]!.backendRefs ?? [];
      const next = refs.filter((b) => !this.isPython(b)).map((b) => (this.isRust(b) ? { ...b, weight: 1 } : b));
      if (!next.some((b) => this.isRust(b))) next.push({ name: this.options.rustService, port: this.options.rustServicePort, weight: 1 });
      changed += refs.length - refs.filter((b) => !this.isPython(b)).length;
      ops.push({ op: 'test', path: `/spec/rules/${i}/backendRefs`, value: refs }, { op: 'replace', path: `/spec/rules/${i}/backendRefs`, value: next });
    }
    if (!this.splitRules(route).length && !rules.some((r) => (r.backendRefs ?? []).some((b) => this.isRust(b)))) {
      throw new ClusterError('invalid', `HTTPRoute ${this.options.httpRoute} has no backendRef to Service ${this.options.pythonService} or ${this.options.rustService}`, { verb: 'patch', resource: PLURAL, name: this.options.httpRoute });
    }
    if (changed) await this.patch(ops, options, route.metadata.resourceVersion);
    return changed;
  }

  async removeCanaryParts(options: WriteOptions = {}): Promise<void> {
    // After the promotion Rust serves every rule; the header rules that sent only some requests there are redundant.
    const route = await this.read();
    const rules = route.spec.rules ?? [];
    const indexes = this.canaryOnlyRules(route).filter((i) => (rules[i]!.matches ?? []).some((m) => (m.headers ?? []).length > 0));
    if (!indexes.length) return;
    const ops = indexes.sort((a, b) => b - a).flatMap((i): JsonPatchOp[] => [{ op: 'test', path: `/spec/rules/${i}/backendRefs`, value: rules[i]!.backendRefs }, { op: 'remove', path: `/spec/rules/${i}` }]);
    await this.patch(ops, options, route.metadata.resourceVersion);
  }

  /**
   * The one command to run by hand: rollback's JSON Patch, built from the route as last read (its `test`
   * ops make it fail rather than change the wrong backend if the route has changed since). Before any
   * read, what to edit, in words.
   */
  manualRollbackCommands(): string[] {
    const { namespace, httpRoute: name } = this.options;
    const route = this.lastRead;
    if (route && this.splitRules(route).length) {
      return [`kubectl -n ${namespace} patch httproute ${name} --type=json -p ${shellQuote(JSON.stringify(this.rollbackOps(route)))}`];
    }
    return [
      `kubectl -n ${namespace} get httproute ${name} -o yaml   # find the ${this.options.rustService} backendRefs`,
      `kubectl -n ${namespace} edit httproute ${name}   # set ${this.options.rustService} weight 0 and ${this.options.pythonService} weight 100 on every rule; delete the rules whose only backend is ${this.options.rustService}`,
    ];
  }

  /**
   * Which controller implements a Gateway varies (Envoy Gateway, Istio, NGINX Gateway Fabric…), and so do
   * where its logs are: the route's status names the controllers that reported on it, whose logs say why.
   * The names last read are shown too, when there are any.
   */
  troubleshootingCommands(): string[] {
    const { namespace, httpRoute: name } = this.options;
    const controllers = [...new Set((this.lastRead?.status?.parents ?? []).flatMap((p) => (p.controllerName ? [p.controllerName] : [])))];
    const seen = controllers.length ? ` (last read: ${controllers.join(', ')})` : '';
    return [`kubectl -n ${namespace} get httproute ${name} -o jsonpath='{.status.parents[*].controllerName}'   # the Gateway controller${seen}: its logs say why`];
  }

  /**
   * One HTTPRoute carries the primary and the canary, so they share hostnames and matches by construction;
   * what can be wrong is the route itself (absent, no split rule, no Rust backendRef on a split rule) and
   * what each parent Gateway says of it: Accepted and ResolvedRefs, with their reasons. Read-only: one GET.
   */
  async checkRouteShape(): Promise<RouteShapeCheck[]> {
    const { httpRoute: name, pythonService, rustService } = this.options;
    let route: HttpRoute;
    try {
      route = await this.read();
    } catch (error) {
      if (error instanceof ClusterError && error.detail.status === 404) return [{ kind: 'present', aspect: `HTTPRoute ${name}`, ok: false, actual: 'absent' }];
      throw error;
    }
    const rules = route.spec.rules ?? [];
    const split = this.splitRules(route);
    const withRust = split.filter((i) => (rules[i]!.backendRefs ?? []).some((b) => this.isRust(b)));
    const hostnames = Array.isArray(route.spec.hostnames) ? (route.spec.hostnames as string[]) : [];
    const checks: RouteShapeCheck[] = [
      { kind: 'present', aspect: `HTTPRoute ${name}`, ok: true, actual: 'present', detail: `hostnames ${hostnames.join(', ') || '(any)'}; one route carries the primary and the canary` },
      { kind: 'split', aspect: 'split rules', ok: split.length > 0, expected: `rules with a backendRef to Service ${pythonService}`, actual: `${split.length} of ${rules.length} rules` },
      { kind: 'split', aspect: 'canary backendRef', ok: split.length > 0 && withRust.length === split.length, expected: `Service ${rustService} on every split rule`, actual: `on ${withRust.length} of ${split.length} split rules` },
    ];
    const parents = route.status?.parents ?? [];
    if (!parents.length) checks.push({ kind: 'condition', aspect: 'Accepted', ok: false, detail: 'no Gateway has reported on the route (status.parents is empty): check its parentRefs' });
    for (const parent of parents) {
      const gateway = parent.parentRef?.name ?? parent.controllerName ?? 'gateway';
      for (const type of ['Accepted', 'ResolvedRefs']) {
        const c = (parent.conditions ?? []).find((x) => x.type === type);
        checks.push({
          kind: 'condition',
          aspect: `${type} (${gateway})`,
          ok: c?.status === 'True',
          expected: 'True',
          actual: c ? `${c.status}${c.reason ? ` (${c.reason})` : ''}` : 'not reported',
          detail: c?.message,
        });
      }
    }
    return checks;
  }
}

function isService(ref: BackendRef): boolean {
  return (ref.group === undefined || ref.group === '') && (ref.kind === undefined || ref.kind === 'Service');
}

/** A backendRef's weight as the Gateway reads it: unset counts 1. */
function weightOf(ref: BackendRef): number {
  return ref.weight === undefined ? 1 : Math.max(0, ref.weight);
}

/**
 * The weights that give `percent` to Rust, as integers (the API takes no other): Rust N and Python 100−N,
 * scaled by the power of ten that makes a fractional percent whole (33.33 -> 3333 and 6667), at most 10^4
 * (weights stay within the API's 1,000,000), rounding below that.
 */
export function integerWeights(percent: number): { rust: number; python: number } {
  let scale = 1;
  while (scale < 10_000 && Math.abs(percent * scale - Math.round(percent * scale)) > 1e-9) scale *= 10;
  const rust = Math.round(percent * scale);
  return { rust, python: 100 * scale - rust };
}

/** POSIX shell single quotes: the text as one word, whatever it contains. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The share of a rule's traffic that goes to the matching backends: weight over the weight sum (unset = 1). */
export function percentOfRule(rule: HttpRouteRule, isCanary: (ref: BackendRef) => boolean): number {
  const refs = rule.backendRefs ?? [];
  const total = refs.reduce((sum, b) => sum + weightOf(b), 0);
  if (total === 0) return 0;
  const canary = refs.filter(isCanary).reduce((sum, b) => sum + weightOf(b), 0);
  return Math.round((canary / total) * 10_000) / 100;
}

function routingRulesOf(rule: HttpRouteRule): RoutingRule[] {
  const headers = (rule.matches ?? []).flatMap((m) => m.headers ?? []);
  if (!headers.length) return [{ kind: 'header', name: '(any request matching this rule)' }];
  return headers.map((h) => (h.name.toLowerCase() === 'cookie' ? { kind: 'cookie' as const, name: h.value } : { kind: 'header' as const, name: h.name, value: h.value }));
}

/** Rust's share of a mixed rule, named by what the rule matches and what else it sends to. */
function mixedRuleOf(rule: HttpRouteRule, index: number, share: number, isRust: (ref: BackendRef) => boolean): RoutingRule {
  const others = (rule.backendRefs ?? []).filter((b) => !isRust(b)).map((b) => `${b.kind ?? 'Service'} ${b.name}`);
  return { kind: 'header', name: `(rule ${index + 1}: ${share}% of its requests, beside ${others.join(', ')})` };
}

/**
 * Accepted and ResolvedRefs as each parent Gateway reports them. A route no Gateway has reported on, or
 * whose Gateway reports no Accepted, is not known to serve: Accepted counts as failing, with why.
 */
function conditionsOf(route: HttpRoute): RouteCondition[] {
  const parents = route.status?.parents ?? [];
  if (!parents.length) {
    return [{ type: 'Accepted', ok: false, reason: 'not reported', message: 'no Gateway has reported on the route (status.parents is empty): check its parentRefs' }];
  }
  return parents.flatMap((parent) => {
    const reporter = parent.parentRef?.name ?? parent.controllerName;
    const reported = (parent.conditions ?? []).filter((c) => c.type === 'Accepted' || c.type === 'ResolvedRefs');
    const conditions: RouteCondition[] = reported.map((c) => ({ type: c.type, ok: c.status === 'True', reason: c.reason, message: c.message, reporter }));
    if (!reported.some((c) => c.type === 'Accepted')) {
      conditions.unshift({ type: 'Accepted', ok: false, reason: 'not reported', message: `${reporter ?? 'a Gateway'} lists the route but reports no Accepted condition: check its parentRefs and the Gateway's listeners`, reporter });
    }
    return conditions;
  });
}
