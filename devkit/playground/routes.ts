// The playground's view of the two traffic routers' objects, as the simulated gateway and the page read them:
// the canary Ingress (ingress-nginx) or the HTTPRoute (Gateway API), each turned into the traffic split the
// simulated gateway applies (which share of requests each rule gets, which share of that goes to Rust) and
// into what the cluster panel shows. Also the simulated Gateway controller, which keeps the HTTPRoute's
// status (Accepted, ResolvedRefs, observedGeneration) up to date as a real one does.
//
// Plain data in, plain data out: nothing here imports the bot (the playground bundle carries no copy of it).

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

export type PlaygroundRouter = 'ingress-nginx' | 'gateway-api';
export const PLAYGROUND_ROUTERS: readonly PlaygroundRouter[] = ['ingress-nginx', 'gateway-api'];

const NGINX = 'nginx.ingress.kubernetes.io/';

/**
 * The share of requests that carry the canary header (`X-Canary: always` on the seeded HTTPRoute, or the
 * Ingress's canary-by-header) or cookie: synthetic probes and the Rust team's own testing.
 */
export const HEADER_SHARE = 0.002;

/** One rule of the split as the simulated gateway applies it. */
export interface RuleTraffic {
  /** "split rule #1", "routing rule #2 (X-Canary: always)", "canary-weight", ... */
  label: string;
  /** Fraction of all requests this rule gets. */
  share: number;
  /** Fraction of this rule's requests that go to Rust (the rest to Python). */
  rust: number;
  /** The rule's backends weigh 0 in all: its requests get a 500 from the gateway. */
  noBackend?: boolean;
}

export interface TrafficSplit {
  router: PlaygroundRouter;
  /** Fraction of all requests the Rust gateway serves. */
  rust: number;
  /** Fraction the Python gateway serves (and mirrors to Rust while shadow mode is on). */
  python: number;
  rules: RuleTraffic[];
}

export const ALL_TO_PYTHON = (router: PlaygroundRouter): TrafficSplit => ({ router, rust: 0, python: 1, rules: [{ label: 'primary', share: 1, rust: 0 }] });

function totals(router: PlaygroundRouter, rules: RuleTraffic[]): TrafficSplit {
  const rust = rules.reduce((sum, r) => sum + (r.noBackend ? 0 : r.share * r.rust), 0);
  const python = rules.reduce((sum, r) => sum + (r.noBackend ? 0 : r.share * (1 - r.rust)), 0);
  return { router, rust: round(rust), python: round(python), rules };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

// ---------------------------------------------------------------------------------------------
// ingress-nginx: the canary Ingress.

export interface IngressView {
  exists: boolean;
  weight: string;
  weightTotal: number;
  percent: number;
  resourceVersion?: string;
  annotations: Record<string, string>;
}

export function ingressView(ingress: Obj | undefined): IngressView {
  const annotations = (ingress?.metadata?.annotations ?? {}) as Record<string, string>;
  const weight = annotations[`${NGINX}canary-weight`] ?? '0';
  const total = Number(annotations[`${NGINX}canary-weight-total`] ?? 100);
  const weightTotal = Number.isFinite(total) && total > 100 ? total : 100;
  const percent = Math.round((Number(weight) / weightTotal) * 10_000) / 100;
  return { exists: !!ingress, weight, weightTotal, percent: Number.isFinite(percent) ? percent : 0, resourceVersion: ingress?.metadata?.resourceVersion, annotations };
}

/** ingress-nginx's precedence: canary-by-header, then canary-by-cookie, then canary-weight. */
export function splitFromIngress(ingress: Obj | undefined): TrafficSplit {
  const annotations = (ingress?.metadata?.annotations ?? {}) as Record<string, string>;
  if (!ingress || annotations[`${NGINX}canary`] !== 'true') return ALL_TO_PYTHON('ingress-nginx');
  const rules: RuleTraffic[] = [];
  let rest = 1;
  const header = annotations[`${NGINX}canary-by-header`];
  if (header) {
    const value = annotations[`${NGINX}canary-by-header-value`] ?? annotations[`${NGINX}canary-by-header-pattern`] ?? 'always';
    rules.push({ label: `canary-by-header (${header}: ${value})`, share: HEADER_SHARE, rust: 1 });
    rest -= HEADER_SHARE;
  }
  const cookie = annotations[`${NGINX}canary-by-cookie`];
  if (cookie) {
    rules.push({ label: `canary-by-cookie (${cookie}=always)`, share: HEADER_SHARE, rust: 1 });
    rest -= HEADER_SHARE;
  }
  const view = ingressView(ingress);
  rules.push({ label: 'canary-weight', share: round(rest), rust: Math.min(1, Math.max(0, view.percent / 100)) });
  return totals('ingress-nginx', rules);
}

// ---------------------------------------------------------------------------------------------
// gateway-api: the HTTPRoute.

export interface RouteNames {
  pythonService: string;
  rustService: string;
}

export interface BackendView {
  name: string;
  port?: number;
  /** The weight that counts (unset = 1). */
  weight: number;
  /** Whether `weight` was written on the backendRef. */
  weightSet: boolean;
  role: 'python' | 'rust' | 'other';
}

export interface RuleView {
  index: number;
  /** One line per match: "PathPrefix /", "PathPrefix / + header X-Canary: always". */
  matches: string[];
  backends: BackendView[];
  /** split: has a backendRef to the Python Service; routing: every backend is Rust; other. */
  kind: 'split' | 'routing' | 'other';
  /** On split rules: the Rust weight over the rule's weight sum, as the bot reads it. */
  canaryPercent?: number;
  /** Fraction of all requests the simulated gateway sends through this rule. */
  share: number;
}

export interface RouteConditionView {
  parent: string;
  controller?: string;
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface HttpRouteView {
  exists: boolean;
  /** The first split rule's canary percent (what the bot calls the canary percent). */
  percent: number;
  /** Some split rule has a Rust backendRef (or a routing rule exists): the canary route is in place. */
  canaryPresent: boolean;
  /** Split rules whose Rust backendRef is missing. */
  missingRust: number[];
  resourceVersion?: string;
  generation?: number;
  hostnames: string[];
  parents: string[];
  rules: RuleView[];
  conditions: RouteConditionView[];
  annotations: Record<string, string>;
}

const isService = (b: Obj) => (b.group === undefined || b.group === '') && (b.kind === undefined || b.kind === 'Service');
const weightOf = (b: Obj) => (typeof b.weight === 'number' ? Math.max(0, b.weight) : 1);

function matchText(m: Obj): string {
  const parts: string[] = [];
  if (m.method) parts.push(String(m.method));
  parts.push(m.path ? `${m.path.type ?? 'PathPrefix'} ${m.path.value ?? '/'}` : 'PathPrefix /');
  for (const h of m.headers ?? []) parts.push(`header ${h.name}${h.type === 'RegularExpression' ? ' ~ ' : ': '}${h.value}`);
  for (const q of m.queryParams ?? []) parts.push(`query ${q.name}=${q.value}`);
  return parts.join(' + ');
}

const hasHeaderMatch = (rule: Obj) => (rule.matches ?? []).some((m: Obj) => (m.headers ?? []).length > 0 || (m.queryParams ?? []).length > 0);

/**
 * The split the simulated gateway applies: rules with a header (or query) match are more specific and
 * take the requests that carry it (HEADER_SHARE each); the remaining requests go to the first rule
 * without one (the seeded route's rules all match PathPrefix /; other paths are not simulated). In a
 * rule, each backend gets its weight over the rule's weight sum.
 */
export function splitFromHttpRoute(route: Obj | undefined, names: RouteNames): TrafficSplit {
  if (!route) return { router: 'gateway-api', rust: 0, python: 0, rules: [{ label: 'no HTTPRoute: the Gateway answers 404', share: 1, rust: 0, noBackend: true }] };
  const view = httpRouteView(route, names);
  const rules: RuleTraffic[] = view.rules
    .filter((r) => r.share > 0)
    .map((r) => {
      const total = r.backends.reduce((sum, b) => sum + b.weight, 0);
      const rust = total > 0 ? r.backends.filter((b) => b.role === 'rust').reduce((sum, b) => sum + b.weight, 0) / total : 0;
      const label = `${r.kind === 'split' ? 'split rule' : r.kind === 'routing' ? 'routing rule' : 'rule'} #${r.index + 1}${r.kind === 'split' ? '' : ` (${r.matches.join('; ')})`}`;
      return { label, share: r.share, rust: round(rust), noBackend: total === 0 || undefined };
    });
  return totals('gateway-api', rules);
}

export function httpRouteView(route: Obj | undefined, names: RouteNames): HttpRouteView {
  if (!route) return { exists: false, percent: 0, canaryPresent: false, missingRust: [], hostnames: [], parents: [], rules: [], conditions: [], annotations: {} };
  const specRules: Obj[] = Array.isArray(route.spec?.rules) ? route.spec.rules : [];
  const headerRules = specRules.map(hasHeaderMatch);
  const headerShare = Math.min(1, headerRules.filter(Boolean).length * HEADER_SHARE);
  const catchAll = headerRules.indexOf(false);
  const rules: RuleView[] = specRules.map((rule, index) => {
    const backends: BackendView[] = (rule.backendRefs ?? []).map((b: Obj) => ({
      name: String(b.name),
      port: typeof b.port === 'number' ? b.port : undefined,
      weight: weightOf(b),
      weightSet: typeof b.weight === 'number',
      role: isService(b) && b.name === names.pythonService ? 'python' : isService(b) && b.name === names.rustService ? 'rust' : 'other',
    }));
    const kind: RuleView['kind'] = backends.some((b) => b.role === 'python') ? 'split' : backends.length > 0 && backends.every((b) => b.role === 'rust') ? 'routing' : 'other';
    const total = backends.reduce((sum, b) => sum + b.weight, 0);
    const rust = backends.filter((b) => b.role === 'rust').reduce((sum, b) => sum + b.weight, 0);
    const canaryPercent = kind === 'split' ? (total > 0 ? Math.round((rust / total) * 10_000) / 100 : 0) : undefined;
    const share = headerRules[index] ? HEADER_SHARE : index === catchAll ? round(1 - headerShare) : 0;
    return { index, matches: (rule.matches ?? [{}]).map(matchText), backends, kind, canaryPercent, share };
  });
  const split = rules.filter((r) => r.kind === 'split');
  const conditions: RouteConditionView[] = (route.status?.parents ?? []).flatMap((p: Obj) =>
    (p.conditions ?? []).map((c: Obj) => ({
      parent: String(p.parentRef?.name ?? '?'),
      controller: p.controllerName,
      type: String(c.type),
      status: String(c.status),
      reason: c.reason,
      message: c.message,
      observedGeneration: c.observedGeneration,
      lastTransitionTime: c.lastTransitionTime,
    })),
  );
  return {
    exists: true,
    percent: split[0]?.canaryPercent ?? 0,
    canaryPresent: split.some((r) => r.backends.some((b) => b.role === 'rust')) || rules.some((r) => r.kind === 'routing'),
    missingRust: split.filter((r) => !r.backends.some((b) => b.role === 'rust')).map((r) => r.index),
    resourceVersion: route.metadata?.resourceVersion,
    generation: route.metadata?.generation,
    hostnames: route.spec?.hostnames ?? [],
    parents: (route.spec?.parentRefs ?? []).map((p: Obj) => `${p.kind ?? 'Gateway'}/${p.name}`),
    rules,
    conditions,
    annotations: (route.metadata?.annotations ?? {}) as Record<string, string>,
  };
}

/** The HTTPRoute's spec.rules with Rust at `percent` and Python at 100 - percent on every split rule (what a person types in kubectl edit). */
export function rulesWithWeights(route: Obj, names: RouteNames & { rustPort: number }, percent: number): Obj[] {
  return (route.spec?.rules ?? []).map((rule: Obj) => {
    const refs: Obj[] = rule.backendRefs ?? [];
    if (!refs.some((b) => isService(b) && b.name === names.pythonService)) return rule;
    const next = refs.map((b) =>
      isService(b) && b.name === names.pythonService ? { ...b, weight: 100 - percent } : isService(b) && b.name === names.rustService ? { ...b, weight: percent } : b,
    );
    if (!next.some((b) => isService(b) && b.name === names.rustService)) next.push({ group: '', kind: 'Service', name: names.rustService, port: names.rustPort, weight: percent });
    return { ...rule, backendRefs: next };
  });
}

/** The HTTPRoute's spec.rules without the Rust backendRef on the split rules (a person deleting it by hand). */
export function rulesWithoutRust(route: Obj, names: RouteNames): Obj[] {
  return (route.spec?.rules ?? []).map((rule: Obj) => {
    const refs: Obj[] = rule.backendRefs ?? [];
    if (!refs.some((b) => isService(b) && b.name === names.pythonService)) return rule;
    return { ...rule, backendRefs: refs.filter((b) => !(isService(b) && b.name === names.rustService)) };
  });
}

// ---------------------------------------------------------------------------------------------
// The simulated Gateway controller.

const CONTROLLER = 'example.net/gateway-controller';

/**
 * The status a Gateway controller would write for the route now: Accepted by each parent Gateway, and
 * ResolvedRefs unless a backendRef names a Service that does not exist (BackendNotFound). Conditions whose
 * status did not change keep their lastTransitionTime. Undefined when the stored status is already that.
 */
export function reconciledStatus(route: Obj, serviceExists: (name: string) => boolean, now: Date): Obj | undefined {
  const generation = route.metadata?.generation ?? 1;
  const missing = new Set<string>();
  for (const rule of route.spec?.rules ?? []) for (const b of rule.backendRefs ?? []) if (isService(b) && !serviceExists(String(b.name))) missing.add(String(b.name));
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const previous: Obj[] = route.status?.parents ?? [];
  const parents = (route.spec?.parentRefs ?? []).map((ref: Obj) => {
    const before = previous.find((p) => p.parentRef?.name === ref.name && (p.controllerName ?? CONTROLLER) === CONTROLLER);
    const condition = (type: string, ok: boolean, reason: string, message: string) => {
      const old = (before?.conditions ?? []).find((c: Obj) => c.type === type);
      const status = ok ? 'True' : 'False';
      return { type, status, reason, message, observedGeneration: generation, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : at };
    };
    return {
      parentRef: { group: ref.group ?? 'gateway.networking.k8s.io', kind: ref.kind ?? 'Gateway', name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}), ...(ref.sectionName ? { sectionName: ref.sectionName } : {}) },
      controllerName: CONTROLLER,
      conditions: [
        condition('Accepted', true, 'Accepted', 'Route is accepted'),
        missing.size
          ? condition('ResolvedRefs', false, 'BackendNotFound', `Failed to resolve backend(s): ${[...missing].map((n) => `Service "${n}" not found`).join(', ')}`)
          : condition('ResolvedRefs', true, 'ResolvedRefs', 'Resolved all the Object references for the Route'),
      ],
    };
  });
  const next = { parents };
  // Compared by meaning, not by key order, so a status already written is never written again.
  const comparable = (s: Obj | undefined) =>
    JSON.stringify(
      (s?.parents ?? []).map((p: Obj) => [
        p.parentRef?.name,
        p.controllerName,
        (p.conditions ?? []).map((c: Obj) => [c.type, c.status, c.reason, c.message, c.observedGeneration]),
      ]),
    );
  return comparable(next) === comparable(route.status) ? undefined : next;
}
